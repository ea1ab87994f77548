"""Elementwise kernels against NumPy float64 formulas: bias + activation, its
derivative, the output heads and column sums, including extreme inputs."""

import math

import numpy as np
import pytest

from fastnn import _core

ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu")
# gelu's derivative needs the pre-activation; the others use the output
OUTPUT_DIFFERENTIABLE = ACTIVATIONS[:-1]
# 1 x 1, a small block, and one large enough for bias_act with logistic or tanh
# to run on several threads.
SHAPES = [(1, 1), (37, 70), (300, 80)]
EXTREMES = [-np.inf, -1e30, -1000.0, -30.0, -1.0, -0.0, 0.0, 1e-8, 1.0, 30.0, 1000.0, 1e30, np.inf]


def logistic_ref(z):
    """1 / (1 + exp(-z)) in float64, evaluated without overflow."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activation_ref(z, activation):
    z = np.asarray(z, dtype=np.float64)
    if activation == "logistic":
        return logistic_ref(z)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.where(z < 0, 0.0, z)
    if activation == "leaky_relu":
        return np.where(z < 0, 0.01 * z, z)
    if activation == "elu":
        with np.errstate(over="ignore"):
            return np.where(z < 0, np.expm1(np.minimum(z, 0.0)), z)
    if activation == "gelu":
        # the limit at -inf is 0 (the product -inf * 0 would be NaN)
        with np.errstate(invalid="ignore"):
            return np.where(z < -40, -0.0, 0.5 * z * erfc_ref(-z / np.sqrt(2.0)))
    return z.copy()


def erfc_ref(x):
    """erfc elementwise in float64 via math.erfc (NumPy has none)."""
    return np.vectorize(math.erfc, otypes=[np.float64])(x)


def derivative_from_output(a, activation):
    """act'(z) written in terms of the stored output a = act(z)."""
    a = np.asarray(a, dtype=np.float64)
    if activation == "logistic":
        return a * (1.0 - a)
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "relu":
        return (a > 0).astype(np.float64)
    if activation == "leaky_relu":
        return np.where(a > 0, 1.0, 0.01)
    if activation == "elu":
        return np.where(a > 0, 1.0, a + 1.0)
    return np.ones_like(a)


def softmax_ref(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def rtol_for(dtype):
    """Return a tolerance of a few units in the last place, for libm's exp and tanh."""
    return 8 * np.finfo(dtype).eps


# ---- bias_act -------------------------------------------------------------------


@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_bias_act_formula(float_dtype, rng, activation, with_bias):
    for shape in SHAPES:
        Z = (3.0 * rng.standard_normal(shape)).astype(float_dtype)
        b = rng.standard_normal(shape[1]).astype(float_dtype) if with_bias else None
        # The sum Z + b is rounded in the array's dtype by the kernel too.
        pre = Z + b if with_bias else Z.copy()
        expected = activation_ref(pre, activation)

        out = _core.bias_act(Z, b, activation)

        assert out is Z
        assert Z.dtype == float_dtype
        np.testing.assert_allclose(
            Z, expected, rtol=rtol_for(float_dtype), atol=np.finfo(float_dtype).tiny,
            err_msg="%s, shape %s, dtype %s" % (activation, shape, np.dtype(float_dtype).name),
        )


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_bias_act_extremes(float_dtype, activation):
    Z = np.array([EXTREMES], dtype=float_dtype)
    expected = activation_ref(Z, activation)

    _core.bias_act(Z, None, activation)

    context = "%s of %s gave %s" % (activation, EXTREMES, Z[0].tolist())
    assert not np.isnan(Z).any(), context
    np.testing.assert_allclose(Z, expected, rtol=rtol_for(float_dtype),
                               atol=np.finfo(float_dtype).tiny, err_msg=context)


def test_logistic_bounded(float_dtype, rng):
    # Magnitudes from 1e-3 to 1e30 with both signs, plus the exact extremes.
    magnitudes = 10.0 ** rng.uniform(-3, 30, size=2000)
    values = np.concatenate([magnitudes, -magnitudes, EXTREMES])
    Z = values.astype(float_dtype).reshape(1, -1)

    _core.bias_act(Z, None, "logistic")

    assert np.isfinite(Z).all(), "non-finite outputs for inputs %s" % values[~np.isfinite(Z[0])][:5]
    assert Z.min() >= 0.0, "minimum %r below 0" % Z.min()
    assert Z.max() <= 1.0, "maximum %r above 1" % Z.max()


def test_logistic_large_bias_bounded(float_dtype):
    Z = np.array([[1000.0, -1000.0, 0.0]], dtype=float_dtype)
    b = np.array([1e30, -1e30, 0.0], dtype=float_dtype)

    _core.bias_act(Z, b, "logistic")

    np.testing.assert_array_equal(Z, [[1.0, 0.0, 0.5]], err_msg="logistic(+-1e30), logistic(0)")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_bias_act_keeps_nan(float_dtype, activation):
    # NaN must propagate: an activation that turned NaN into a number would
    # hide a diverged network from the non-finite loss check.
    Z = np.array([[np.nan, 1.0, -1.0, np.nan], [-2.0, np.nan, 0.5, 3.0]], dtype=float_dtype)
    b = np.array([0.0, -0.5, 0.25, -10.0], dtype=float_dtype)
    nan_mask = np.isnan(Z)

    _core.bias_act(Z, b, activation)

    assert np.isnan(Z[nan_mask]).all(), "%s turned NaN into %s" % (activation, Z[nan_mask])
    assert not np.isnan(Z[~nan_mask]).any(), "%s produced NaN from finite inputs: %s" % (
        activation, Z)


def test_relu_keeps_nan(float_dtype):
    Z = np.array([[np.nan, -np.nan, -5.0, 5.0]], dtype=float_dtype)

    _core.bias_act(Z, None, "relu")

    assert np.isnan(Z[0, 0]), "relu(NaN) gave %r" % Z[0, 0]
    assert np.isnan(Z[0, 1]), "relu(-NaN) gave %r" % Z[0, 1]
    assert Z[0, 2] == 0.0
    assert Z[0, 3] == 5.0


def test_bias_act_bad_arguments():
    Z = np.zeros((3, 4))

    with pytest.raises(ValueError, match="activation"):
        _core.bias_act(Z, None, "softplus")
    with pytest.raises(ValueError, match="shape"):
        _core.bias_act(Z, np.zeros(3), "relu")
    with pytest.raises(TypeError):
        _core.bias_act(Z, np.zeros(4, dtype=np.float32), "relu")
    with pytest.raises(ValueError, match="2-D"):
        _core.bias_act(np.zeros(4), None, "relu")
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.bias_act(np.zeros((3, 8))[:, ::2], None, "relu")
    with pytest.raises(TypeError):
        _core.bias_act(np.zeros((3, 4), dtype=np.int64), None, "relu")


# ---- act_backward ---------------------------------------------------------------


@pytest.mark.parametrize("activation", OUTPUT_DIFFERENTIABLE)
def test_act_backward_formula(float_dtype, rng, activation):
    for shape in SHAPES:
        Z = (2.0 * rng.standard_normal(shape)).astype(float_dtype)
        A = activation_ref(Z, activation).astype(float_dtype)
        dZ = rng.standard_normal(shape).astype(float_dtype)
        expected = dZ.astype(np.float64) * derivative_from_output(A, activation)

        # 1 - A*A and A*(1 - A) cancel near saturation, so the kernel's
        # rounding is bounded in absolute terms, relative to |dZ|.
        atol = 4 * np.finfo(float_dtype).eps * np.abs(dZ).max()

        out = _core.act_backward(dZ, A, activation)

        assert out is dZ
        np.testing.assert_allclose(dZ, expected, rtol=rtol_for(float_dtype), atol=atol,
                                   err_msg="%s', shape %s" % (activation, shape))


def test_act_backward_saturated(float_dtype):
    # Outputs at the ends of the range have a zero derivative (relu at 0: the
    # kernel uses [A > 0], so the kink counts as inactive).
    dZ = np.full((3, 3), 2.0, dtype=float_dtype)
    cases = {
        "logistic": np.array([[0.0, 1.0, 0.5]] * 3, dtype=float_dtype),
        "tanh": np.array([[-1.0, 1.0, 0.0]] * 3, dtype=float_dtype),
        "relu": np.array([[0.0, 0.0, 3.0]] * 3, dtype=float_dtype),
    }
    expected = {
        "logistic": [0.0, 0.0, 0.5],
        "tanh": [0.0, 0.0, 2.0],
        "relu": [0.0, 0.0, 2.0],
    }
    for activation, A in cases.items():
        d = dZ.copy()

        _core.act_backward(d, A, activation)

        np.testing.assert_array_equal(d, np.array([expected[activation]] * 3),
                                      err_msg="%s' at saturated outputs" % activation)


def test_act_backward_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        _core.act_backward(np.zeros((3, 4)), np.zeros((4, 3)), "tanh")
    with pytest.raises(TypeError):
        _core.act_backward(np.zeros((3, 4)), np.zeros((3, 4), dtype=np.float32), "tanh")
    with pytest.raises(ValueError, match="activation"):
        _core.act_backward(np.zeros((3, 4)), np.zeros((3, 4)), "swish")
    with pytest.raises(ValueError, match="gelu's derivative needs the pre-activation Z"):
        _core.act_backward(np.zeros((3, 4)), np.zeros((3, 4)), "gelu")


def test_gelu_backward_formula(float_dtype, rng):
    Z = (3.0 * rng.standard_normal((17, 33))).astype(float_dtype)
    dZ = rng.standard_normal(Z.shape).astype(float_dtype)
    z = Z.astype(np.float64)
    derivative = 0.5 * erfc_ref(-z / np.sqrt(2.0)) + z * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    expected = dZ.astype(np.float64) * derivative
    tol = 1e-5 if float_dtype == np.float32 else 1e-13
    np.testing.assert_allclose(_core.gelu_backward(dZ, Z), expected, rtol=tol, atol=tol)


# ---- output heads ---------------------------------------------------------------


def test_softmax_head_formula(float_dtype, rng):
    for shape in [(1, 1), (5, 2), (64, 10), (300, 70)]:
        Z = (5.0 * rng.standard_normal(shape)).astype(float_dtype)
        Z_before = Z.copy()

        # exp(z - max z) inherits the rounding of z - max z, a relative
        # error of up to eps * (max z - min z).
        spread = float((Z.max(axis=1) - Z.min(axis=1)).max())
        rtol = np.finfo(float_dtype).eps * (8 + spread)

        P = _core.output_head(Z, "softmax")

        row_sums = P.astype(np.float64).sum(axis=1)
        assert P.dtype == float_dtype
        np.testing.assert_array_equal(Z, Z_before, err_msg="output_head changed its input")
        np.testing.assert_allclose(P, softmax_ref(Z), rtol=rtol, atol=np.finfo(float_dtype).tiny,
                                   err_msg="softmax of shape %s" % (shape,))
        np.testing.assert_allclose(row_sums, 1.0, rtol=shape[1] * np.finfo(float_dtype).eps,
                                   err_msg="softmax row sums, shape %s" % (shape,))


def test_softmax_head_extremes(float_dtype):
    Z = np.array([
        [1000.0, -1000.0, 0.0],
        [-1000.0, 0.0, 1000.0],
        [7.0, 7.0, 7.0],
        [1000.0, 1000.0, 1000.0],
        [-1000.0, -1000.0, -1000.0],
        [0.0, 0.0, 0.0],
        [1e30, -1e30, 0.0],
    ], dtype=float_dtype)
    expected = np.array([
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
        [1 / 3, 1 / 3, 1 / 3],
        [1 / 3, 1 / 3, 1 / 3],
        [1 / 3, 1 / 3, 1 / 3],
        [1 / 3, 1 / 3, 1 / 3],
        [1.0, 0.0, 0.0],
    ])

    P = _core.output_head(Z, "softmax")

    assert np.isfinite(P).all(), "non-finite softmax:\n%s" % P
    np.testing.assert_allclose(P, expected, rtol=rtol_for(float_dtype), atol=0,
                               err_msg="softmax of extreme logits")
    np.testing.assert_allclose(P.astype(np.float64).sum(axis=1), 1.0,
                               rtol=4 * np.finfo(float_dtype).eps, err_msg="row sums")


def test_softmax_head_nonfinite_rows(float_dtype, isa):
    # A NaN or +inf logit makes its row NaN, as in NumPy; a -inf logit gets
    # probability 0, and the other rows keep their values.
    Z = np.array([
        [np.nan, 1.0, 2.0],
        [np.inf, 1.0, 2.0],
        [np.inf, -np.inf, 0.0],
        [0.0, np.nan, 0.0],
        [-np.inf, 0.0, 0.0],
        [1.0, 2.0, 3.0],
    ], dtype=float_dtype)

    P = _core.output_head(Z, "softmax")

    assert np.isnan(P[:4]).all(), "rows with NaN or +inf:\n%s" % P[:4]
    np.testing.assert_allclose(P[4], [0.0, 0.5, 0.5], rtol=rtol_for(float_dtype), atol=0)
    np.testing.assert_allclose(P[5], softmax_ref(Z[5:]).ravel(), rtol=rtol_for(float_dtype))


def test_softmax_head_float32_ulps(isa, rng):
    # float32 softmax on every ISA matches float64 within 8 ulp plus the
    # rounding of z - max z, for logits that spread by up to 80.
    Z = rng.uniform(-40.0, 40.0, size=(257, 37)).astype(np.float32)
    expected = softmax_ref(Z)

    P = _core.output_head(Z, "softmax")

    # exp(z - max z) inherits the rounding of z - max z (eps * 80)
    rtol = np.finfo(np.float32).eps * (8 + 80)
    np.testing.assert_allclose(P, expected, rtol=rtol, atol=np.finfo(np.float32).tiny)


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_float32_activation_ulps(isa, activation):
    # float32 tanh and logistic on every ISA, over a dense grid of [-12, 12]
    # (both branches of tanh and the cut at 0.625 between them) and
    # extremes, stay within 4 float32 eps of float64, relative to the
    # result. The AVX2 units take 2 / d from a reciprocal estimate and a
    # Newton step, and the AVX-512 unit's tanh evaluates a polynomial per
    # interval of 0.25.
    x = np.concatenate([np.linspace(-12.0, 12.0, 400_001),
                        [0.625, -0.625, 9.0, 20.0, -1e4, 1e-30]])
    Z = x.astype(np.float32)[None, :].copy()
    ref = activation_ref(Z.astype(np.float64), activation)
    _core.bias_act(Z, None, activation)
    rel = np.abs(Z - ref) / np.maximum(np.abs(ref), np.finfo(np.float32).tiny)
    worst = int(rel.argmax())
    assert rel[0, worst] <= 4 * np.finfo(np.float32).eps, (
        "%s on %s: %.2g eps at x = %r"
        % (activation, isa, rel[0, worst] / np.finfo(np.float32).eps, float(x[worst])))


def test_float32_tanh_interval_edges(isa):
    # The AVX-512 tanh switches polynomials every 0.25 from 0.625 to 8.375.
    # On each side of every switch it stays within 2 float32 ulp.
    edges = (0.625 + 0.25 * np.arange(33)).astype(np.float32)
    x = np.concatenate([np.nextafter(edges, np.float32(0)), edges,
                        np.nextafter(edges, np.float32(20))])
    x = np.concatenate([x, -x])
    Z = x[None, :].copy()
    _core.bias_act(Z, None, "tanh")
    exact = np.tanh(x.astype(np.float64))
    ulps = np.abs(Z[0] - exact) / np.spacing(exact.astype(np.float32))
    worst = int(ulps.argmax())
    assert ulps[worst] <= 2, "%.2f ulp at x = %r on %s" % (ulps[worst], float(x[worst]), isa)


def test_float32_tanh_saturates(isa):
    # float32 tanh rounds to +-1 from 13 ln 2 = 9.0109 on: fastnn's does too
    x = np.array([9.02, 9.1, 9.5, 12.0, 20.0, 1e4, 1e30, np.inf], dtype=np.float32)
    Z = np.concatenate([x, -x])[None, :].copy()
    _core.bias_act(Z, None, "tanh")
    np.testing.assert_array_equal(Z[0], np.concatenate([np.ones(8), -np.ones(8)]))


def test_logistic_head(float_dtype, isa, rng):
    # 202 rows span four blocks of 64, so the float32 vector kernel runs
    # several times, and the last block ends in a partial vector
    Z = np.concatenate([5.0 * rng.standard_normal((200, 3)),
                        [[1000.0, -1000.0, 0.0], [1e30, -1e30, -0.0]]]).astype(float_dtype)

    P = _core.output_head(Z, "logistic")

    assert np.isfinite(P).all(), "non-finite logistic head:\n%s" % P
    assert P.min() >= 0.0, "minimum %r" % P.min()
    assert P.max() <= 1.0, "maximum %r" % P.max()
    np.testing.assert_array_equal(P[-2:], [[1.0, 0.0, 0.5], [1.0, 0.0, 0.5]],
                                  err_msg="logistic head at +-1000, +-1e30 and 0")
    np.testing.assert_allclose(P, logistic_ref(Z), rtol=rtol_for(float_dtype),
                               atol=np.finfo(float_dtype).tiny, err_msg="logistic head")


def test_logistic_head_keeps_nan(float_dtype, isa):
    Z = np.array([[np.nan, 0.0], [1.0, np.nan]], dtype=float_dtype)

    P = _core.output_head(Z, "logistic")

    assert np.isnan(P[0, 0]), P
    assert np.isnan(P[1, 1]), P
    np.testing.assert_allclose([P[0, 1], P[1, 0]], [0.5, logistic_ref(np.array(1.0))],
                               rtol=rtol_for(float_dtype))


def test_exp_head(float_dtype, rng):
    Z = np.concatenate([3.0 * rng.standard_normal((20, 3)), [[-1000.0, 0.0, 1.0]]])
    Z = Z.astype(float_dtype)

    P = _core.output_head(Z, "exp")

    assert P.min() >= 0.0, "minimum %r" % P.min()
    np.testing.assert_array_equal(P[-1, :2], [0.0, 1.0], err_msg="exp head at -1000 and 0")
    np.testing.assert_allclose(P, np.exp(Z.astype(np.float64)), rtol=rtol_for(float_dtype),
                               atol=np.finfo(float_dtype).tiny, err_msg="exp head")


def test_identity_head(float_dtype, rng):
    Z = rng.standard_normal((9, 4)).astype(float_dtype)

    P = _core.output_head(Z, "identity")

    assert P is not Z
    np.testing.assert_array_equal(P, Z, err_msg="identity head")


def test_output_head_fortran_input(float_dtype, rng):
    Z = np.asfortranarray(3.0 * rng.standard_normal((11, 6))).astype(float_dtype, order="F")

    spread = float((Z.max(axis=1) - Z.min(axis=1)).max())

    P = _core.output_head(Z, "softmax")

    np.testing.assert_allclose(P, softmax_ref(Z), rtol=np.finfo(float_dtype).eps * (8 + spread),
                               err_msg="softmax of a Fortran-ordered array")


def test_output_head_unknown_raises():
    with pytest.raises(ValueError, match="output"):
        _core.output_head(np.zeros((2, 3)), "tanh")


# ---- col_sum --------------------------------------------------------------------


def test_col_sum_matches_numpy(float_dtype, rng):
    # 130 columns span three 64-column chunks, and 4000 x 130 is large enough
    # for several threads.
    for shape in [(1, 1), (5, 3), (1, 130), (4000, 130), (33, 64)]:
        dZ = rng.standard_normal(shape).astype(float_dtype)
        expected = dZ.astype(np.float64).sum(axis=0)
        scale = np.abs(dZ.astype(np.float64)).sum(axis=0)

        db = _core.col_sum(dZ)

        assert db.shape == (shape[1],)
        assert db.dtype == float_dtype
        np.testing.assert_allclose(
            db, expected, rtol=0, atol=shape[0] * np.finfo(float_dtype).eps * scale.max(),
            err_msg="column sums of shape %s" % (shape,),
        )


def test_col_sum_row_order(float_dtype, rng):
    # The contract adds rows in order 0..N-1, which np.cumsum also does, in
    # the array's own dtype, so the two agree bit for bit.
    dZ = rng.standard_normal((4000, 130)).astype(float_dtype)
    expected = np.cumsum(dZ, axis=0)[-1]

    db = _core.col_sum(dZ)

    mismatch = np.flatnonzero(db != expected)
    assert mismatch.size == 0, "columns %s differ from the row-order sum; first: %r vs %r" % (
        mismatch[:5], db[mismatch[0]] if mismatch.size else None,
        expected[mismatch[0]] if mismatch.size else None)


def test_col_sum_strided_input(float_dtype, rng):
    base = rng.standard_normal((40, 30)).astype(float_dtype)
    dZ = base[::3, ::2]

    db = _core.col_sum(dZ)

    np.testing.assert_allclose(db, dZ.astype(np.float64).sum(axis=0),
                               rtol=40 * np.finfo(float_dtype).eps, atol=1e-6,
                               err_msg="column sums of a strided view")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predictor_scan_finds_first_non_finite(dtype):
    # The scan tests blocks of 1024 without branches, then searches a failing block.
    import fastnn

    net = fastnn.MLP([3, 2], dtype=np.dtype(dtype).name, random_state=0)
    predictor = net.predictor()
    X = np.ones((1500, 3), dtype=dtype)
    np.testing.assert_array_equal(predictor(X), net.predict_proba(X))
    for row, col, value in [(0, 0, np.nan), (341, 1, np.inf), (1499, 2, -np.inf),
                            (700, 2, np.nan)]:
        bad = X.copy()
        bad[row, col] = value
        bad[1499, 0] = np.nan  # a later one must not be reported first
        if (row, col) == (1499, 2):
            bad[1499, 0] = 1.0
        with pytest.raises(ValueError, match=r"\(row %d, column %d\)" % (row, col)):
            predictor(bad)
    # Subnormals and the largest finite values pass the input scan. The
    # largest may then overflow inside the network, which is its own error.
    assert predictor(np.full((1, 3), np.finfo(dtype).tiny / 4, dtype=dtype)).shape == (1, 2)
    try:
        predictor(np.full((1, 3), np.finfo(dtype).max, dtype=dtype))
    except ValueError as exc:
        assert "not finite: its values overflow inside the network" in str(exc)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_first_nonfinite(dtype):
    from fastnn import _core

    a = np.zeros((3, 700), dtype=dtype)
    assert _core.first_nonfinite(a) == -1
    assert _core.first_nonfinite(np.zeros(0, dtype=dtype)) == -1
    a[2, 699] = -np.inf
    assert _core.first_nonfinite(a) == 3 * 700 - 1
    a[1, 3] = np.nan
    assert _core.first_nonfinite(a) == 703
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.first_nonfinite(np.asfortranarray(a))
    with pytest.raises(TypeError):
        _core.first_nonfinite(np.zeros(4, dtype=np.int64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_first_nonfinite_large_array_split_over_threads(dtype, threads):
    # A scan of several MB splits into one part per thread; the first part
    # with a bad value gives the result, wherever the parts meet.
    import fastnn
    from fastnn import _core

    n = 3_000_000
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        a = np.ones(n, dtype=dtype)
        assert _core.first_nonfinite(a) == -1
        for position in (0, n // 3 - 1, n // 3, n // 2, n // 2 + 1, n - 1):
            a[position] = np.nan
            a[-1] = np.inf
            assert _core.first_nonfinite(a) == position, position
            a[position] = 1
            a[-1] = 1
    finally:
        fastnn.set_num_threads(previous)
