"""Batch prediction of rows with many zeros.

When most inputs of a chunk of rows are 0 (MNIST pixels, one-hot columns),
the first layer is computed row by row and skips the weights of the zero
inputs (sparse_rows in csrc/fnn_ukernel_tmpl.h). Each row's result then
depends on that row alone, so it is the same at any thread count.
"""

import contextlib
import platform

import numpy as np
import pytest

import fastnn
from fastnn import _core

from _bits import assert_same_bits, zero_sign_network


def sparse_rows(n, width, density, dtype, seed=0):
    """Return n rows of which about `density` of the values are nonzero,
    with a row of zeros only, a row with -0.0 values and a row without
    zeros among them."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, width))
    X[rng.random(X.shape) >= density] = 0.0
    X[1] = 0.0
    X[2, ::5] = -0.0
    X[3] = rng.uniform(0.1, 1.0, size=width)
    return X.astype(dtype)


def activation_ref(z, activation):
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "logistic":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    return z


def logits_ref(net, X, activation):
    """Return the network's logits for X, computed in float64 by NumPy."""
    A = X.astype(np.float64)
    last = len(net.coefs) - 1
    for layer, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        Z = A @ W.astype(np.float64) + b.astype(np.float64)
        if layer == last:
            return Z
        A = activation_ref(Z, activation)


@contextlib.contextmanager
def thread_count(n):
    """Run the block with fastnn limited to n threads."""
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(n)
    try:
        yield
    finally:
        fastnn.set_num_threads(previous)


# Widths of the first layer: whole groups of columns only, and with a
# remainder that is summed over every input.
@pytest.mark.parametrize("width", [64, 100, 256, 300])
@pytest.mark.parametrize("activation", ["relu", "tanh", "identity"])
def test_sparse_batch_matches_numpy(isa, float_dtype, activation, width):
    net = fastnn.MLP([300, width, 16, 3], activation=activation,
                     dtype=np.dtype(float_dtype).name, random_state=1)
    X = sparse_rows(200, 300, 0.1, float_dtype)
    tolerance = 1e-4 if float_dtype == np.float32 else 1e-10

    logits = net.decision_function(X)

    np.testing.assert_allclose(logits, logits_ref(net, X, activation), rtol=tolerance,
                               atol=tolerance, err_msg=isa)
    assert_same_bits(net.predictor()(X), net.predict_proba(X), isa)
    assert_same_bits(net.predictor(logits=True)(X), logits, isa)


@pytest.mark.parametrize("n", [4, 10, 63, 64, 65])
def test_predictor_bits_any_row_count(isa, float_dtype, n):
    # From 64 rows on, a batch of mostly zero rows takes the row path, for
    # the Predictor (whose weights are known to be finite) and predict_proba
    # alike. 784 inputs are more than the blocked product sums in one
    # block, so the two paths give different bits.
    net = fastnn.MLP([784, 128, 10], dtype=np.dtype(float_dtype).name, random_state=3)
    X = sparse_rows(n, 784, 0.1, float_dtype, seed=n)

    assert_same_bits(net.predictor()(X), net.predict_proba(X), "%d rows on %s" % (n, isa))
    assert_same_bits(net.predictor(logits=True)(X), net.decision_function(X),
                     "%d rows on %s" % (n, isa))


def test_sparse_batch_thread_invariant(isa, float_dtype):
    # 5000 rows take three chunks, of 2048, 2048 and 904 rows.
    net = fastnn.MLP([784, 256, 32, 10], dtype=np.dtype(float_dtype).name, random_state=2)
    X = sparse_rows(5000, 784, 0.2, float_dtype, seed=3)
    results = {}
    for threads in (1, 2, 3):
        with thread_count(threads):
            results[threads] = (net.predict_proba(X), net.predictor()(X))

    for threads in (2, 3):
        assert_same_bits(results[threads][0], results[1][0], "%d threads on %s" % (threads, isa))
        assert_same_bits(results[threads][1], results[1][0], "%d threads on %s" % (threads, isa))


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="the portable kernels do not fuse multiply-adds on x86-64 only")
@pytest.mark.parametrize("width", [96, 100])
def test_sparse_layer_input_order_bits(float_dtype, width):
    # With the portable kernels on x86-64 (SSE2, no fused multiply-add), a
    # row computed on its own sums x[p] * W[p, j] for p = 0, 1, ... in order,
    # each step rounded, zero inputs included or not: the bits of the loop
    # below. The blocked product sums the inputs in blocks instead, so these
    # bits also show that the sparse path ran.
    original = _core.isa_active()
    _core.isa_select("scalar")
    try:
        net = fastnn.MLP([700, width], output="identity", dtype=np.dtype(float_dtype).name,
                         random_state=5)
        X = sparse_rows(100, 700, 0.15, float_dtype, seed=6)
        W, b = net.coefs[0], net.intercepts[0]

        logits = net.decision_function(X)

        expected = np.zeros((len(X), width), dtype=float_dtype)
        for p in range(W.shape[0]):
            expected += X[:, p:p + 1] * W[p]
        expected += b
        assert_same_bits(logits, expected)
    finally:
        _core.isa_select(original)


def test_sparse_batch_zero_sum_sign(isa, float_dtype):
    # A batch whose first layer skips the zero inputs keeps the sign of zero
    # of the sum over every input (see zero_sign_network): +0.
    net, tiny = zero_sign_network(float_dtype)
    X = np.zeros((100, 4), dtype=float_dtype)
    X[:, 0] = tiny

    logits = net.network.predict(net.params, X, logits=True)

    assert_same_bits(logits, np.zeros_like(logits), isa)


def test_infinite_weight_gives_nan(float_dtype):
    # 0 * inf is NaN in the full sum, which skipping the zero inputs would
    # miss: weights that are not all finite take the blocked product.
    net = fastnn.MLP([50, 64, 3], dtype=np.dtype(float_dtype).name, random_state=0)
    X = sparse_rows(100, 50, 0.1, float_dtype)
    X[:, 3] = 0.0
    params = net.params.copy()
    params[3 * 64 + 7] = np.inf  # the weight of input 3 to unit 7

    logits = net.network.predict(params, X, logits=True)

    assert np.isnan(logits).all(axis=1).all()


def test_sparse_batch_names_nan_input(float_dtype):
    net = fastnn.MLP([784, 256, 10], dtype=np.dtype(float_dtype).name, random_state=0)
    X = sparse_rows(3000, 784, 0.2, float_dtype)
    X[2500, 40] = np.nan

    with pytest.raises(ValueError, match=r"row 2500, column 40"):
        net.predictor()(X)
    with pytest.raises(ValueError, match="NaN"):
        net.predict_proba(X)
    logits = net.network.predict(net.params, X, logits=True)
    assert np.isnan(logits[2500]).all()
    assert np.isfinite(np.delete(logits, 2500, axis=0)).all()
