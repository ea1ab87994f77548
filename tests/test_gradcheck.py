"""Finite-difference checks of `Network.forward_backward` in float64.

The network is [5, 7, 6, 3]: two hidden layers and every output head. Each
check perturbs every one of its 111 parameters by +-eps and compares the
central difference of the returned loss with the gradient that
forward_backward wrote. A NumPy forward pass checks the loss value itself.
"""

import math

import numpy as np
import pytest

from fastnn import _core

SIZES = [5, 7, 6, 3]
N_ROWS = 8
ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu")
OUTPUTS = ("softmax", "logistic", "identity", "exp")
EPS = 1e-6
# A relu pre-activation closer than this to 0 could cross the kink when a
# parameter moves by EPS. Here |x| < 2 and |params| < 0.9, so no
# pre-activation moves by more than about 1e-5.
RELU_MARGIN = 1e-4


def activation_ref(z, activation):
    if activation == "logistic":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "leaky_relu":
        return np.where(z < 0, 0.01 * z, z)
    if activation == "elu":
        return np.where(z < 0, np.expm1(np.minimum(z, 0.0)), z)
    if activation == "gelu":
        return 0.5 * z * np.vectorize(math.erfc, otypes=[np.float64])(-z / np.sqrt(2.0))
    return z


def row_losses_ref(Z, Y, output):
    if output == "softmax":
        zmax = Z.max(axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1))
        return lse * Y.sum(axis=1) - (Y * Z).sum(axis=1)
    if output == "logistic":
        return (np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))).sum(axis=1)
    if output == "exp":
        y_log_y = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0)), 0.0)
        return (y_log_y - Y * Z - Y + np.exp(Z)).sum(axis=1)
    return 0.5 * ((Z - Y) ** 2).sum(axis=1)


def layer_views(network, params):
    """Return [(W, b), ...] as views into the flat params of `network`."""
    sizes = network.sizes
    views = []
    for l, (w_off, b_off) in enumerate(network.offsets()):
        K, M = sizes[l], sizes[l + 1]
        views.append((params[w_off:w_off + K * M].reshape(K, M), params[b_off:b_off + M]))
    return views


def forward_ref(network, params, X):
    """Return (pre-activations of the hidden layers, logits) computed by NumPy."""
    A = X
    hidden_Z = []
    layers = layer_views(network, params)
    for l, (W, b) in enumerate(layers):
        Z = A @ W + b
        if l == len(layers) - 1:
            return hidden_Z, Z
        hidden_Z.append(Z)
        A = activation_ref(Z, network.activations[l])


def loss_ref(network, params, X, Y, w=None, alpha=0.0):
    """Return the weighted mean data loss + 0.5 * alpha * sum(W**2) / sum(w).

    sum(w) is the number of rows without weights, and biases are not penalised.
    """
    _, logits = forward_ref(network, params, X)
    per_row = row_losses_ref(logits, Y, network.output)
    weights = np.ones(len(X)) if w is None else w
    data_loss = (weights * per_row).sum() / weights.sum()
    sum_sq = sum((W ** 2).sum() for W, _ in layer_views(network, params))
    return data_loss + 0.5 * alpha * sum_sq / weights.sum()


def make_problem(rng, activations, output):
    network = _core.Network(SIZES, activations, output, np.float64)
    params = rng.uniform(-0.9, 0.9, size=network.n_params)
    X = rng.uniform(-2.0, 2.0, size=(N_ROWS, SIZES[0]))
    n_out = SIZES[-1]
    if output == "softmax":
        Y = np.eye(n_out)[rng.integers(0, n_out, size=N_ROWS)]
    elif output == "logistic":
        Y = rng.integers(0, 2, size=(N_ROWS, n_out)).astype(np.float64)
    elif output == "exp":
        Y = rng.poisson(1.5, size=(N_ROWS, n_out)).astype(np.float64)
    else:
        Y = rng.standard_normal((N_ROWS, n_out))
    return network, params, X, Y


def numeric_gradient(network, params, X, Y, w, alpha):
    grads_scratch = np.empty_like(params)
    numeric = np.empty_like(params)
    for i in range(params.size):
        saved = params[i]
        params[i] = saved + EPS
        loss_plus = network.forward_backward(params, grads_scratch, X, Y, w, alpha)
        params[i] = saved - EPS
        loss_minus = network.forward_backward(params, grads_scratch, X, Y, w, alpha)
        params[i] = saved
        numeric[i] = (loss_plus - loss_minus) / (2 * EPS)
    return numeric


def parameter_names(network):
    names = []
    for l, _ in enumerate(network.offsets()):
        K, M = network.sizes[l], network.sizes[l + 1]
        names += ["W%d[%d,%d]" % (l, i, j) for i in range(K) for j in range(M)]
        names += ["b%d[%d]" % (l, j) for j in range(M)]
    return names


def assert_gradient_matches(network, analytic, numeric, context):
    diff = np.abs(analytic - numeric)
    bad = ~(diff <= 1e-8 + 1e-5 * np.abs(numeric))
    names = parameter_names(network)
    detail = "; ".join(
        "%s: analytic %.10g, numeric %.10g" % (names[i], analytic[i], numeric[i])
        for i in np.flatnonzero(bad)[:5]
    )
    assert not bad.any(), "%s: %d of %d gradient entries differ (max |diff| %.3e): %s" % (
        context, bad.sum(), bad.size, diff.max(), detail)


CASES = [((act, act), out) for act in ACTIVATIONS for out in OUTPUTS]
CASES += [(("tanh", "relu"), "softmax"), (("relu", "logistic"), "identity")]


@pytest.mark.parametrize("regularized", [False, True], ids=["plain", "weights_alpha"])
@pytest.mark.parametrize("activations,output", CASES,
                         ids=["%s-%s-%s" % (a[0], a[1], o) for a, o in CASES])
def test_gradient_fd(rng, activations, output, regularized):
    network, params, X, Y = make_problem(rng, activations, output)
    w = rng.uniform(0.2, 2.0, size=N_ROWS) if regularized else None
    alpha = 0.3 if regularized else 0.0
    if {"relu", "leaky_relu"} & set(activations):
        hidden_Z, _ = forward_ref(network, params, X)
        closest = min(np.abs(Z).min() for Z, act in zip(hidden_Z, activations)
                      if act in ("relu", "leaky_relu"))
        assert closest > RELU_MARGIN, (
            "test setup: a relu pre-activation is %.2e from the kink; choose another seed" % closest)
    grads = np.full_like(params, np.nan)

    loss = network.forward_backward(params, grads, X, Y, w, alpha)
    numeric = numeric_gradient(network, params, X, Y, w, alpha)

    context = "hidden %s, output %s, %s" % (activations, output,
                                         "weights + alpha" if regularized else "plain")
    assert np.isfinite(loss), "%s: loss %r" % (context, loss)
    assert np.isfinite(grads).all(), "%s: gradient entries left unwritten or non-finite" % context
    assert_gradient_matches(network, grads, numeric, context)


@pytest.mark.parametrize("activations,output", CASES,
                         ids=["%s-%s-%s" % (a[0], a[1], o) for a, o in CASES])
def test_network_loss_value(rng, activations, output):
    network, params, X, Y = make_problem(rng, activations, output)
    w = rng.uniform(0.2, 2.0, size=N_ROWS)
    grads = np.empty_like(params)

    loss_plain = network.forward_backward(params, grads, X, Y)
    loss_full = network.forward_backward(params, grads, X, Y, w, 0.3)

    assert loss_plain == pytest.approx(loss_ref(network, params, X, Y), rel=1e-12)
    assert loss_full == pytest.approx(loss_ref(network, params, X, Y, w, 0.3), rel=1e-12)


@pytest.mark.parametrize("output", OUTPUTS)
def test_network_predict(rng, output):
    network, params, X, _ = make_problem(rng, ("tanh", "relu"), output)
    _, logits = forward_ref(network, params, X)
    if output == "softmax":
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        head = e / e.sum(axis=1, keepdims=True)
    elif output == "logistic":
        head = activation_ref(logits, "logistic")
    elif output == "exp":
        head = np.exp(logits)
    else:
        head = logits

    got_logits = network.predict(params, X, logits=True)
    got_head = network.predict(params, X)

    np.testing.assert_allclose(got_logits, logits, rtol=1e-12, atol=1e-14, err_msg="logits")
    np.testing.assert_allclose(got_head, head, rtol=1e-12, atol=1e-14, err_msg="%s head" % output)


def test_network_predict_many_rows(rng):
    # Prediction runs in chunks of 2048 rows: 5000 rows take two full chunks
    # and a partial one.
    network, params, _, _ = make_problem(rng, ("relu", "tanh"), "softmax")
    X = rng.uniform(-2.0, 2.0, size=(5000, SIZES[0]))
    _, logits = forward_ref(network, params, X)

    got_logits = network.predict(params, X, logits=True)

    np.testing.assert_allclose(got_logits, logits, rtol=1e-12, atol=1e-14,
                               err_msg="logits of 5000 rows")


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_l2_penalises_weights_only(rng, weighted):
    # The penalty 0.5 * alpha * sum(W**2) / sum(w) adds alpha * W / sum(w) to
    # each weight gradient and nothing to the bias gradients (sum(w) = n
    # without weights).
    network, params, X, Y = make_problem(rng, ("tanh", "tanh"), "softmax")
    w = rng.uniform(0.2, 2.0, size=N_ROWS) if weighted else None
    weight_sum = w.sum() if weighted else N_ROWS
    alpha = 0.7
    grads_plain = np.empty_like(params)
    grads_l2 = np.empty_like(params)

    network.forward_backward(params, grads_plain, X, Y, w)
    network.forward_backward(params, grads_l2, X, Y, w, alpha)

    delta = grads_l2 - grads_plain
    for l, ((W, b), (dW, db)) in enumerate(zip(layer_views(network, params),
                                               layer_views(network, delta))):
        np.testing.assert_allclose(dW, alpha * W / weight_sum, rtol=1e-12, atol=1e-15,
                                   err_msg="L2 gradient of W%d" % l)
        np.testing.assert_array_equal(db, 0.0, err_msg="L2 must not touch b%d" % l)


def test_forward_backward_fewer_rows_after_more(rng):
    # The work buffers grow to the largest batch seen, and a smaller batch
    # afterwards must give the same result as on a fresh network.
    network, params, X, Y = make_problem(rng, ("relu", "tanh"), "softmax")
    fresh = _core.Network(SIZES, ("relu", "tanh"), "softmax", np.float64)
    X_big = rng.uniform(-2.0, 2.0, size=(50, SIZES[0]))
    Y_big = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], size=50)]
    grads_after = np.empty_like(params)
    grads_fresh = np.empty_like(params)

    network.forward_backward(params, np.empty_like(params), X_big, Y_big)
    loss_after = network.forward_backward(params, grads_after, X, Y)
    loss_fresh = fresh.forward_backward(params, grads_fresh, X, Y)

    assert loss_after == loss_fresh
    np.testing.assert_array_equal(grads_after, grads_fresh)


# ---- dropout ------------------------------------------------------------------


def make_dropout_network(activations=("tanh", "logistic"), rates=(0.3, 0.5)):
    return _core.Network(SIZES, activations, "softmax", np.float64, dropout=rates,
                         dropout_seed=7)


@pytest.mark.parametrize("activations", [("tanh", "logistic"), ("elu", "identity")])
def test_gradient_fd_with_dropout(rng, activations):
    # The mask depends on (seed, dropout_step, layer, row, column) only, so
    # every evaluation at one step uses the same mask and the loss is smooth.
    _, params, X, Y = make_problem(rng, activations, "softmax")
    network = make_dropout_network(activations)
    network.dropout_step = 5
    grads = np.full_like(params, np.nan)
    network.forward_backward(params, grads, X, Y, None, 0.1)
    numeric = numeric_gradient(network, params, X, Y, None, 0.1)
    assert_gradient_matches(network, grads, numeric, "dropout %s" % (activations,))


def test_dropout_changes_loss_by_step(rng):
    _, params, X, Y = make_problem(rng, ("tanh", "logistic"), "softmax")
    network = make_dropout_network()
    grads = np.empty_like(params)
    network.dropout_step = 0
    first = network.forward_backward(params, grads, X, Y)
    again = network.forward_backward(params, grads, X, Y)
    network.dropout_step = 1
    other = network.forward_backward(params, grads, X, Y)
    assert first == again
    assert first != other


def test_dropout_zero_rates_match_plain(rng):
    plain, params, X, Y = make_problem(rng, ("tanh", "logistic"), "softmax")
    zero = make_dropout_network(rates=(0.0, 0.0))
    grads_plain, grads_zero = np.empty_like(params), np.empty_like(params)
    assert plain.forward_backward(params, grads_plain, X, Y) == zero.forward_backward(
        params, grads_zero, X, Y)
    assert np.array_equal(grads_plain, grads_zero)


def test_dropout_not_in_prediction(rng):
    plain, params, X, _ = make_problem(rng, ("tanh", "logistic"), "softmax")
    dropped = make_dropout_network()
    assert np.array_equal(plain.predict(params, X), dropped.predict(params, X))


def test_dropout_drops_expected_share():
    # One hidden layer with identity activation and weights 1: each output
    # of the network sums the kept hidden units, each scaled by 1/(1 - p).
    n_rows, width, rate = 400, 500, 0.3
    network = _core.Network((1, width, 1), ("identity",), "identity", np.float64,
                            dropout=(rate,), dropout_seed=3)
    params = np.zeros(network.n_params)
    (w0, b0), (w1, b1) = network.offsets()
    params[w0:w0 + width] = 1.0
    params[w1:w1 + width] = 1.0
    X = np.ones((n_rows, 1))
    Y = np.zeros((n_rows, 1))
    grads = np.empty_like(params)
    loss = network.forward_backward(params, grads, X, Y)
    # loss = mean over rows of 0.5 * (kept * scale)^2; recover the kept count
    kept_share = np.sqrt(2 * loss) * (1 - rate) / width
    assert abs(kept_share - (1 - rate)) < 0.01


def test_dropout_invalid_rates():
    with pytest.raises(ValueError, match=r"dropout rates must be in \[0, 1\), got 1.0"):
        _core.Network(SIZES, ("tanh", "tanh"), "softmax", np.float64, dropout=(0.2, 1.0))
    with pytest.raises(ValueError, match="expected 2 dropout rates"):
        _core.Network(SIZES, ("tanh", "tanh"), "softmax", np.float64, dropout=(0.2,))
