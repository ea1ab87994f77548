"""`_core.loss` against NumPy float64 formulas and central finite differences.

Per row i, from logits z and targets y:
  softmax:  lse(z) * sum(y) - y.z
  logistic: sum_j max(z_j, 0) - z_j y_j + log1p(exp(-|z_j|))
  identity: 0.5 * sum_j (z_j - y_j)^2
  exp:      sum_j y_j log(y_j / e^z_j) - y_j + e^z_j  (Poisson deviance, 0 log 0 = 0)
The returned loss is sum_i w_i l_i / sum_i w_i and dZ is its gradient.
"""

import numpy as np
import pytest

from fastnn import _core

# (output head, target kind) pairs: softmax with one-hot rows or probability
# distributions, logistic with 0/1 labels or independent probabilities, exp
# with counts (zeros included).
CASES = [
    ("softmax", "onehot"),
    ("softmax", "distribution"),
    ("logistic", "binary"),
    ("logistic", "probability"),
    ("identity", "real"),
    ("exp", "counts"),
]
CASE_IDS = ["%s-%s" % case for case in CASES]


def make_targets(rng, kind, n, m):
    if kind == "onehot":
        return np.eye(m)[rng.integers(0, m, size=n)]
    if kind == "distribution":
        return rng.dirichlet(np.ones(m), size=n)
    if kind == "binary":
        return rng.integers(0, 2, size=(n, m)).astype(np.float64)
    if kind == "probability":
        return rng.uniform(0.0, 1.0, size=(n, m))
    if kind == "counts":
        return rng.poisson(2.0, size=(n, m)).astype(np.float64)
    assert kind == "real"
    return rng.standard_normal((n, m))


def row_losses_ref(Z, Y, output):
    Z = np.asarray(Z, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
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


def loss_ref(Z, Y, output, w=None):
    per_row = row_losses_ref(Z, Y, output)
    w = np.ones(len(per_row)) if w is None else np.asarray(w, dtype=np.float64)
    return float((w * per_row).sum() / w.sum())


def grad_ref(Z, Y, output, w=None):
    Z = np.asarray(Z, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if output == "softmax":
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        per_row = e / e.sum(axis=1, keepdims=True) * Y.sum(axis=1, keepdims=True) - Y
    elif output == "logistic":
        per_row = 0.5 * (1.0 + np.tanh(0.5 * Z)) - Y  # logistic(z) without overflow
    elif output == "exp":
        per_row = np.exp(Z) - Y
    else:
        per_row = Z - Y
    w = np.ones(len(Z)) if w is None else np.asarray(w, dtype=np.float64)
    return per_row * (w / w.sum())[:, None]


def loss_rtol(dtype):
    return 1e-12 if dtype == np.float64 else 2e-6


def grad_rtol(dtype):
    return 1e-12 if dtype == np.float64 else 1e-5


# ---- values ----------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("output,kind", CASES, ids=CASE_IDS)
def test_loss_value(float_dtype, rng, output, kind, weighted):
    for n, m in [(1, 1), (17, 5), (200, 10)]:
        Z = (3.0 * rng.standard_normal((n, m))).astype(float_dtype)
        Y = make_targets(rng, kind, n, m).astype(float_dtype)
        w = rng.uniform(0.1, 3.0, size=n).astype(float_dtype) if weighted else None
        expected_dZ = grad_ref(Z, Y, output, w)
        # dZ = p - y cancels when p is close to y: bound that rounding absolutely.
        dZ_atol = 8 * np.finfo(float_dtype).eps * np.abs(expected_dZ).max()

        value, dZ = _core.loss(Z, Y, output, sample_weight=w)

        context = "%s loss, %s targets, shape %s" % (output, kind, (n, m))
        assert isinstance(value, float)
        assert dZ.shape == Z.shape
        assert dZ.dtype == float_dtype
        np.testing.assert_allclose(value, loss_ref(Z, Y, output, w), rtol=loss_rtol(float_dtype),
                                   atol=1e-300, err_msg=context)
        np.testing.assert_allclose(dZ, expected_dZ, rtol=grad_rtol(float_dtype), atol=dZ_atol,
                                   err_msg="gradient of the " + context)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("output,kind", CASES, ids=CASE_IDS)
def test_loss_gradient_fd(rng, output, kind, weighted):
    n, m = 7, 4
    Z = 2.0 * rng.standard_normal((n, m))
    Y = make_targets(rng, kind, n, m)
    w = rng.uniform(0.1, 3.0, size=n) if weighted else None
    eps = 1e-6

    _, dZ = _core.loss(Z, Y, output, sample_weight=w)

    numeric = np.empty_like(Z)
    for i in range(n):
        for j in range(m):
            Zp, Zm = Z.copy(), Z.copy()
            Zp[i, j] += eps
            Zm[i, j] -= eps
            loss_plus = _core.loss(Zp, Y, output, w)[0]
            loss_minus = _core.loss(Zm, Y, output, w)[0]
            numeric[i, j] = (loss_plus - loss_minus) / (2 * eps)
    np.testing.assert_allclose(dZ, numeric, rtol=1e-6, atol=1e-9,
                               err_msg="dZ vs central differences, %s loss, %s targets" % (output, kind))


def test_loss_single_row_softmax():
    # log(e^1 + e^2 + e^3) - 2 for the middle class.
    Z = np.array([[1.0, 2.0, 3.0]])
    Y = np.array([[0.0, 1.0, 0.0]])
    expected = np.log(np.exp(1.0) + np.exp(2.0) + np.exp(3.0)) - 2.0

    value, dZ = _core.loss(Z, Y, "softmax")

    assert value == pytest.approx(expected, rel=1e-15)
    p = np.exp(Z[0]) / np.exp(Z[0]).sum()
    np.testing.assert_allclose(dZ[0], p - Y[0], rtol=1e-15, atol=1e-16)


# ---- extreme logits ------------------------------------------------------------------


def test_softmax_loss_extremes(float_dtype):
    # Rows: correct class far ahead (loss 0), far behind (loss 2000 and 1000),
    # and all logits equal (loss log 3).
    Z = np.array([
        [1000.0, -1000.0, 0.0],
        [1000.0, -1000.0, 0.0],
        [1000.0, -1000.0, 0.0],
        [-1000.0, -1000.0, -1000.0],
    ], dtype=float_dtype)
    Y = np.array([
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 1.0],
    ], dtype=float_dtype)
    row_losses = [0.0, 2000.0, 1000.0, np.log(3.0)]
    row_grads = [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [1.0, 0.0, -1.0], [1 / 3, 1 / 3, -2 / 3]]

    for i in range(4):
        value, dZ = _core.loss(Z[i:i + 1], Y[i:i + 1], "softmax")

        assert np.isfinite(value), "row %d: loss %r" % (i, value)
        assert value == pytest.approx(row_losses[i], rel=1e-6, abs=1e-12), "row %d" % i
        assert np.isfinite(dZ).all(), "row %d: dZ %s" % (i, dZ)
        np.testing.assert_allclose(dZ[0], row_grads[i], rtol=1e-6, atol=1e-12,
                                   err_msg="dZ of row %d" % i)

    value, dZ = _core.loss(Z, Y, "softmax")

    assert value == pytest.approx(np.mean(row_losses), rel=1e-6)
    np.testing.assert_allclose(dZ, np.array(row_grads) / 4, rtol=1e-6, atol=1e-12,
                               err_msg="dZ of all rows")


def test_softmax_loss_nonfinite_rows(float_dtype, isa):
    # A NaN or +inf logit makes the loss and that row's gradient NaN; the
    # other row's gradient stays finite.
    Z = np.array([[np.nan, 1.0, 2.0], [1.0, 2.0, 3.0]], dtype=float_dtype)
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=float_dtype)

    for bad in (np.nan, np.inf):
        Z[0, 0] = bad
        value, dZ = _core.loss(Z, Y, "softmax")

        assert np.isnan(value), "loss with %r: %r" % (bad, value)
        assert np.isnan(dZ[0]).all(), "dZ of the row with %r: %s" % (bad, dZ[0])
        assert np.isfinite(dZ[1]).all(), "dZ of the finite row: %s" % dZ[1]


def test_softmax_loss_wide_rows(float_dtype, isa, rng):
    # 600 classes: the loss without the gradient sums exp in blocks of
    # columns, the loss with the gradient in one pass; both match float64.
    Z = (3.0 * rng.standard_normal((5, 600))).astype(float_dtype)
    Y = np.eye(600)[rng.integers(0, 600, size=5)].astype(float_dtype)
    expected = loss_ref(Z, Y, "softmax")
    rtol = 1e-5 if float_dtype == np.float32 else 1e-12

    value, dZ = _core.loss(Z, Y, "softmax")
    alone, no_grad = _core.loss(Z, Y, "softmax", gradient=False)

    assert value == pytest.approx(expected, rel=rtol)
    assert alone == pytest.approx(expected, rel=rtol)
    assert no_grad is None
    np.testing.assert_allclose(dZ, grad_ref(Z, Y, "softmax"), rtol=rtol * 10, atol=1e-9)


def test_logistic_loss_extremes(float_dtype):
    # z = +-1000 with the matching label costs 0 and with the wrong label 1000.
    Z = np.array([[1000.0, -1000.0, 1000.0, -1000.0, 0.0]], dtype=float_dtype)
    Y = np.array([[1.0, 0.0, 0.0, 1.0, 1.0]], dtype=float_dtype)
    expected = 0.0 + 0.0 + 1000.0 + 1000.0 + np.log(2.0)

    value, dZ = _core.loss(Z, Y, "logistic")

    assert np.isfinite(value), "loss %r" % value
    assert value == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(dZ[0], [0.0, 0.0, 1.0, -1.0, -0.5], rtol=1e-6, atol=1e-12,
                               err_msg="dZ of the logistic loss at +-1000")


def test_exp_loss_extremes(float_dtype):
    # e^-1000 underflows to 0: with y = 0 the deviance is 0, and with y = 2 it
    # is 2 * (log 2 + 1000) - 2. At z = 0, y = 1 it is 1 * log(1) - 1 + 1 = 0.
    Z = np.array([[-1000.0, -1000.0, 0.0]], dtype=float_dtype)
    Y = np.array([[0.0, 2.0, 1.0]], dtype=float_dtype)
    expected = 0.0 + (2.0 * (np.log(2.0) + 1000.0) - 2.0) + 0.0

    value, dZ = _core.loss(Z, Y, "exp")

    assert np.isfinite(value), "loss %r" % value
    assert value == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(dZ[0], [0.0, -2.0, 0.0], rtol=1e-6, atol=1e-12,
                               err_msg="dZ of the Poisson deviance at z = -1000 and 0")


def test_identity_loss_large(float_dtype):
    Z = np.array([[1000.0, -1000.0], [1e10, 0.0]], dtype=float_dtype)
    Y = np.array([[0.0, 0.0], [0.0, 1.0]], dtype=float_dtype)
    expected = (0.5 * (1e6 + 1e6) + 0.5 * (1e20 + 1.0)) / 2

    value, dZ = _core.loss(Z, Y, "identity")

    assert value == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(dZ, (Z.astype(np.float64) - Y) / 2, rtol=1e-6,
                               err_msg="dZ of the squared error")


# ---- sample weights --------------------------------------------------------------------


@pytest.mark.parametrize("output,kind", CASES, ids=CASE_IDS)
def test_loss_weights_as_duplicates(rng, output, kind):
    # Integer weights give the same loss and per-row gradient as repeating rows.
    Z = rng.standard_normal((5, 3))
    Y = make_targets(rng, kind, 5, 3)
    counts = np.array([1, 3, 0, 2, 1])
    Z_rep, Y_rep = np.repeat(Z, counts, axis=0), np.repeat(Y, counts, axis=0)

    value_w, dZ_w = _core.loss(Z, Y, output, sample_weight=counts.astype(np.float64))
    value_rep, dZ_rep = _core.loss(Z_rep, Y_rep, output)

    assert value_w == pytest.approx(value_rep, rel=1e-13)
    summed = np.zeros_like(dZ_w)
    np.add.at(summed, np.repeat(np.arange(5), counts), dZ_rep)
    np.testing.assert_allclose(dZ_w, summed, rtol=1e-13, atol=1e-16,
                               err_msg="weighted dZ vs summed dZ of repeated rows")
    np.testing.assert_array_equal(dZ_w[2], 0.0, err_msg="a zero-weight row must get zero gradient")


def test_loss_weight_scale_invariant(rng):
    Z = rng.standard_normal((6, 4))
    Y = make_targets(rng, "onehot", 6, 4)
    w = rng.uniform(0.5, 2.0, size=6)

    value, dZ = _core.loss(Z, Y, "softmax", sample_weight=w)
    value_scaled, dZ_scaled = _core.loss(Z, Y, "softmax", sample_weight=1000.0 * w)

    assert value_scaled == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(dZ_scaled, dZ, rtol=1e-13, err_msg="dZ with weights scaled by 1000")


@pytest.mark.parametrize("output,kind", CASES, ids=CASE_IDS)
def test_loss_zero_total_weight(rng, output, kind):
    # A mini-batch can hold only zero-weight rows. Its loss is then 0, and
    # dZ, the gradient of that constant, must be 0 too: otherwise training
    # steps on rows the caller weighted out.
    Z = rng.standard_normal((3, 4))
    Y = make_targets(rng, kind, 3, 4)

    value, dZ = _core.loss(Z, Y, output, sample_weight=np.zeros(3))

    assert value == 0.0
    np.testing.assert_array_equal(dZ, 0.0, err_msg="dZ with all sample weights 0")


def test_loss_unit_weights_equal_none(float_dtype, rng):
    Z = rng.standard_normal((9, 3)).astype(float_dtype)
    Y = make_targets(rng, "onehot", 9, 3).astype(float_dtype)

    value_none, dZ_none = _core.loss(Z, Y, "softmax")
    value_ones, dZ_ones = _core.loss(Z, Y, "softmax", sample_weight=np.ones(9))

    assert value_ones == value_none
    np.testing.assert_array_equal(dZ_ones, dZ_none)


# ---- argument errors --------------------------------------------------------------------


def test_loss_bad_arguments():
    Z = np.zeros((4, 3))

    with pytest.raises(ValueError, match="shape"):
        _core.loss(Z, np.zeros((4, 2)), "softmax")
    with pytest.raises(ValueError, match="sample_weight"):
        _core.loss(Z, np.zeros((4, 3)), "softmax", sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="output"):
        _core.loss(Z, np.zeros((4, 3)), "hinge")
    with pytest.raises(ValueError, match="output"):
        _core.loss(Z, np.zeros((4, 3)), "poisson")
    with pytest.raises(ValueError, match="2-D"):
        _core.loss(np.zeros(4), np.zeros(4), "identity")
    with pytest.raises(TypeError):
        _core.loss(np.zeros((4, 3), dtype=np.int64), np.zeros((4, 3)), "identity")
