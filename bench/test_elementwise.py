"""Elementwise kernels of a training step: fastnn's ``_core`` against NumPy.

Bias plus activation runs in place on a hidden layer's pre-activations
(128 x 256 is one batch of workload A's first layer, 4096 x 256 a large
one). Both libraries repeat it on the same array, so the values drift from
call to call, but they stay finite: tanh and logistic bound them, and ReLU
adds at most the bias once per call. The softmax head and the softmax
cross-entropy loss run on 10-class logits. The NumPy versions are the
plain ufunc code a user would write, with ``out=`` where it applies.
"""

import numpy as np
import pytest

from fastnn import _core

ACTIVATIONS = ["relu", "tanh", "logistic"]
HIDDEN_SHAPES = [(128, 256), (4096, 256)]
LOGIT_SHAPES = [(128, 10), (4096, 10)]


def shape_id(shape):
    return "%dx%d" % shape


def hidden_inputs(shape):
    rng = np.random.default_rng(shape[0])
    Z = rng.normal(0.0, 2.0, shape).astype(np.float32)
    b = rng.normal(0.0, 0.1, shape[1]).astype(np.float32)
    return Z, b


def logit_inputs(shape):
    rng = np.random.default_rng(shape[0] + 1)
    Z = rng.normal(0.0, 3.0, shape).astype(np.float32)
    Y = np.eye(shape[1], dtype=np.float32)[rng.integers(0, shape[1], shape[0])]
    return Z, Y


def numpy_bias_act(Z, b, activation):
    """Apply Z := activation(Z + b) in place with NumPy ufuncs."""
    np.add(Z, b, out=Z)
    if activation == "relu":
        np.maximum(Z, 0, out=Z)
    elif activation == "tanh":
        np.tanh(Z, out=Z)
    else:
        # exp(-z) overflows to inf for z < -88 in float32, and 1 / inf is the
        # correct limit 0, so the warning is silenced
        with np.errstate(over="ignore"):
            np.negative(Z, out=Z)
            np.exp(Z, out=Z)
            np.add(Z, 1, out=Z)
            np.reciprocal(Z, out=Z)
    return Z


def numpy_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    E /= E.sum(axis=1, keepdims=True)
    return E


def numpy_softmax_loss(Z, Y):
    """Return (mean softmax cross-entropy, its gradient dZ) as fastnn's loss defines them."""
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n_rows = Z.shape[0]
    loss = -float((Y * log_probs).sum()) / n_rows
    dZ = (np.exp(log_probs) - Y) / n_rows
    return loss, dZ


# ---- bias + activation -------------------------------------------------------------


def describe_bias_act(record, library, threads, activation, shape):
    record.describe("bias_act %s %s t%d" % (activation, shape_id(shape), threads), library,
                    threads, suite="bias_act", activation=activation, shape=shape_id(shape))


@pytest.mark.parametrize("shape", HIDDEN_SHAPES, ids=shape_id)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_bias_act_fastnn(benchmark, record, threads, activation, shape):
    Z, b = hidden_inputs(shape)
    expected = numpy_bias_act(Z.copy(), b, activation)
    np.testing.assert_allclose(_core.bias_act(Z.copy(), b, activation), expected,
                               rtol=1e-5, atol=1e-6)

    describe_bias_act(record, "fastnn", threads, activation, shape)
    benchmark(_core.bias_act, Z, b, activation)
    record.rates(rows=shape[0])


@pytest.mark.parametrize("shape", HIDDEN_SHAPES, ids=shape_id)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_bias_act_numpy(benchmark, record, threads, activation, shape):
    Z, b = hidden_inputs(shape)
    describe_bias_act(record, "numpy", threads, activation, shape)
    benchmark(numpy_bias_act, Z, b, activation)
    record.rates(rows=shape[0])


# ---- softmax output head -------------------------------------------------------------


def describe_head(record, library, threads, shape):
    record.describe("softmax %s t%d" % (shape_id(shape), threads), library, threads,
                    suite="softmax", shape=shape_id(shape))


@pytest.mark.parametrize("shape", LOGIT_SHAPES, ids=shape_id)
def test_softmax_fastnn(benchmark, record, threads, shape):
    Z, _ = logit_inputs(shape)
    np.testing.assert_allclose(_core.output_head(Z, "softmax"), numpy_softmax(Z),
                               rtol=1e-5, atol=1e-7)

    describe_head(record, "fastnn", threads, shape)
    benchmark(_core.output_head, Z, "softmax")
    record.rates(rows=shape[0])


@pytest.mark.parametrize("shape", LOGIT_SHAPES, ids=shape_id)
def test_softmax_numpy(benchmark, record, threads, shape):
    Z, _ = logit_inputs(shape)
    describe_head(record, "numpy", threads, shape)
    benchmark(numpy_softmax, Z)
    record.rates(rows=shape[0])


# ---- softmax cross-entropy loss ------------------------------------------------------


def describe_loss(record, library, threads, shape):
    record.describe("loss %s t%d" % (shape_id(shape), threads), library, threads,
                    suite="loss", shape=shape_id(shape))


@pytest.mark.parametrize("shape", LOGIT_SHAPES, ids=shape_id)
def test_loss_fastnn(benchmark, record, threads, shape):
    Z, Y = logit_inputs(shape)
    loss, dZ = _core.loss(Z, Y, "softmax")
    expected_loss, expected_dZ = numpy_softmax_loss(Z, Y)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    # dZ entries are at most 1/n in size, so the absolute tolerance scales with 1/n
    np.testing.assert_allclose(dZ, expected_dZ, rtol=1e-5, atol=1e-6 / shape[0])

    describe_loss(record, "fastnn", threads, shape)
    benchmark(_core.loss, Z, Y, "softmax")
    record.rates(rows=shape[0])


@pytest.mark.parametrize("shape", LOGIT_SHAPES, ids=shape_id)
def test_loss_numpy(benchmark, record, threads, shape):
    Z, Y = logit_inputs(shape)
    describe_loss(record, "numpy", threads, shape)
    benchmark(numpy_softmax_loss, Z, Y)
    record.rates(rows=shape[0])
