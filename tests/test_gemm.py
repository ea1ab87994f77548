"""GEMM (C := alpha * A @ B + beta * C) against the naive reference kernel and NumPy.

The numerical tests run for each ISA this machine supports (the `isa`
fixture) and for float32 and float64. The expected value is computed by NumPy in float64 from
the same inputs. The tolerance is a forward error bound of a length-k dot
product: a few (k + 2) * eps(dtype) times alpha * |A| @ |B| + beta * |C|, so a
wrong or missing term of the sum fails while rounding differences pass.
"""

import numpy as np
import pytest

from fastnn import _core

M_SIZES = (1, 2, 3, 5, 6, 7, 13, 47, 130)
N_SIZES = (1, 7, 8, 9, 15, 16, 17, 31, 33, 70)
# A packed block of the sum is at most 320 deep (256 for the AVX-512 tile).
# Longer sums are cut into equal blocks. 255 to 257, 320 and 321 sit at
# those limits, and 600 and 961 take two to four blocks. The row-block and
# layout tests add k = 513.
K_SIZES = (1, 2, 255, 256, 257, 320, 321, 600, 961)


@pytest.fixture(autouse=True, scope="module")
def blas_single_thread():
    """Run NumPy's BLAS on one thread while computing the small expected products.

    Its threads would compete with fastnn's OpenMP threads for the same cores
    and make these tests several times slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # installed with scikit-learn; without it BLAS keeps its threads
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def random_matrix(rng, shape, dtype):
    return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)


def expected_gemm(A, B, C=None, alpha=1.0, beta=0.0):
    """Return (value, bound scale) in float64: alpha*A@B + beta*C and alpha*|A|@|B| + |beta*C|."""
    A64 = np.asarray(A, dtype=np.float64)
    B64 = np.asarray(B, dtype=np.float64)
    value = alpha * (A64 @ B64)
    scale = abs(alpha) * (np.abs(A64) @ np.abs(B64))
    if C is not None and beta != 0:
        C64 = np.asarray(C, dtype=np.float64)
        value = value + beta * C64
        scale = scale + abs(beta) * np.abs(C64)
    return value, scale


def mismatch_report(actual, expected, tol):
    """Return None when |actual - expected| <= tol everywhere, else a description."""
    actual = np.asarray(actual, dtype=np.float64)
    if actual.shape != expected.shape:
        return "shape %s, expected %s" % (actual.shape, expected.shape)
    diff = np.abs(actual - expected)
    tol = np.broadcast_to(tol, diff.shape)
    bad = ~(diff <= tol)  # NaN compares false, so it counts as a mismatch
    if not bad.any():
        return None

    worst = np.unravel_index(np.argmax(np.where(bad, diff, -1.0)), diff.shape)
    lines = [
        "%d of %d elements differ; max |diff| = %.3e (tolerance there %.3e)"
        % (bad.sum(), diff.size, diff[worst], tol[worst])
    ]
    for i, j in np.argwhere(bad)[:5]:
        lines.append(
            "  C[%d, %d] = %.9g, expected %.9g, |diff| %.3e > tol %.3e"
            % (i, j, actual[i, j], expected[i, j], diff[i, j], tol[i, j])
        )
    return "\n".join(lines)


def tolerance(scale, dtype, k, factor=2.0):
    """Return the error bound of a length-k sum: factor * (k + 2) * eps * scale, plus a tiny floor."""
    eps = np.finfo(dtype).eps
    return factor * (k + 2) * eps * scale + np.finfo(dtype).tiny


def assert_gemm_close(actual, expected, scale, dtype, k, context):
    report = mismatch_report(actual, expected, tolerance(scale, dtype, k))
    assert report is None, "%s:\n%s" % (context, report)


# ---- edge shapes against the reference kernel and NumPy ----------------------


@pytest.mark.parametrize("k", K_SIZES)
def test_gemm_edge_shapes(isa, float_dtype, rng, k):
    fast_vs_numpy, ref_vs_numpy, fast_vs_ref = [], [], []
    for m in M_SIZES:
        for n in N_SIZES:
            A = random_matrix(rng, (m, k), float_dtype)
            B = random_matrix(rng, (k, n), float_dtype)
            expected, scale = expected_gemm(A, B)
            tol = tolerance(scale, float_dtype, k)

            fast = _core.gemm(A, B)
            ref = _core.gemm(A, B, reference=True)

            shape = "m=%d n=%d k=%d" % (m, n, k)
            report = mismatch_report(fast, expected, tol)
            if report:
                fast_vs_numpy.append("%s: %s" % (shape, report))
            report = mismatch_report(ref, expected, tol)
            if report:
                ref_vs_numpy.append("%s: %s" % (shape, report))
            report = mismatch_report(fast, ref.astype(np.float64), 2 * tol)
            if report:
                fast_vs_ref.append("%s: %s" % (shape, report))

    header = "isa=%s dtype=%s: " % (isa, np.dtype(float_dtype).name)
    assert not fast_vs_numpy, header + "gemm vs NumPy failed for %d shape(s):\n%s" % (
        len(fast_vs_numpy), "\n".join(fast_vs_numpy[:5]))
    assert not ref_vs_numpy, header + "reference vs NumPy failed for %d shape(s):\n%s" % (
        len(ref_vs_numpy), "\n".join(ref_vs_numpy[:5]))
    assert not fast_vs_ref, header + "gemm vs reference failed for %d shape(s):\n%s" % (
        len(fast_vs_ref), "\n".join(fast_vs_ref[:5]))


@pytest.mark.parametrize("transa", [False, True], ids=["A", "At"])
@pytest.mark.parametrize("transb", [False, True], ids=["B", "Bt"])
def test_gemm_rows_same_bits_for_any_row_count(isa, float_dtype, rng, transa, transb):
    # The last rows of a product go to shorter micro-tiles (4 + 4 in place
    # of 6 + 2 padded rows, for example). Each element's sum runs in the
    # same order whatever tile contains it, so the first m rows of a product
    # equal the product of the first m rows, bit for bit.
    k, n = 300, 37
    A = random_matrix(rng, (150, k), float_dtype)
    B = random_matrix(rng, (k, n), float_dtype)
    op_b = np.asfortranarray(B) if transb else B
    full = _core.gemm(np.asfortranarray(A) if transa else A, op_b)
    for m in list(range(3, 27)) + [32, 64, 128]:
        rows = np.asfortranarray(A[:m]) if transa else A[:m]
        part = _core.gemm(rows, op_b)
        np.testing.assert_array_equal(part, full[:m], err_msg="m=%d on %s" % (m, isa))
        ref = _core.gemm(rows, op_b, reference=True)
        assert_gemm_close(part, ref.astype(np.float64), np.abs(ref).max() + 1, float_dtype, k,
                          "m=%d on %s" % (m, isa))


@pytest.mark.parametrize("k", [400, 800, 1600, 3100], ids=lambda k: "k%d" % k)
@pytest.mark.parametrize("transa", [False, True], ids=["A", "At"])
def test_gemm_long_sum_any_thread_count(isa, float_dtype, rng, k, transa):
    # One or two rows with a long inner dimension are summed in 4, 8 or 16
    # parts (by k). Each thread takes whole parts and then a range of
    # columns to combine them. The bits are the same for 1, 2 and 3
    # threads, and the combining pass applies alpha and beta.
    import fastnn

    n = 200
    previous = fastnn.get_num_threads()
    try:
        for m in (1, 2):
            A = random_matrix(rng, (m, k), float_dtype)
            B = random_matrix(rng, (k, n), float_dtype)
            C0 = random_matrix(rng, (m, n), float_dtype)
            op_a = np.asfortranarray(A) if transa else A
            expected, scale = expected_gemm(A, B)
            results = []
            for threads in (1, 2, 3):
                fastnn.set_num_threads(threads)
                C = C0.copy()
                _core.gemm(op_a, B, C, alpha=0.5, beta=2.0)
                results.append(C)
            for C in results[1:]:
                np.testing.assert_array_equal(C, results[0], err_msg="m=%d on %s" % (m, isa))
            assert_gemm_close(results[0], 0.5 * expected + 2.0 * C0.astype(np.float64),
                              scale + 2 * np.abs(C0).max(), float_dtype, k,
                              "m=%d k=%d on %s" % (m, k, isa))
    finally:
        fastnn.set_num_threads(previous)


@pytest.mark.parametrize("transa", [False, True], ids=["A", "At"])
def test_gemm_narrow_columns_same_bits(isa, float_dtype, rng, transa):
    # A product of at most one vector of columns (16 floats on AVX-512)
    # multiplies and stores only those lanes, and a transposed A is read
    # through one pointer per whole tile; A^T B with few columns takes the
    # kernel that runs its vectors down the rows. Each element is still summed in
    # the same order as in a wide product, so the columns are equal, bit for
    # bit. 37 rows give whole tiles and a short last one. k = 300 takes two
    # blocks of the sum on AVX-512, so the second block adds to C.
    k = 300
    A = random_matrix(rng, (37, k), float_dtype)
    B = random_matrix(rng, (k, 40), float_dtype)
    op_a = np.asfortranarray(A) if transa else A
    wide = _core.gemm(op_a, B)
    C0 = random_matrix(rng, (37, 40), float_dtype)
    wide_scaled = _core.gemm(op_a, B, C0.copy(), alpha=0.5, beta=-2.0)
    for n in range(1, 18):
        narrow = _core.gemm(op_a, np.ascontiguousarray(B[:, :n]))
        np.testing.assert_array_equal(narrow, wide[:, :n], err_msg="n=%d on %s" % (n, isa))
        scaled = _core.gemm(op_a, np.ascontiguousarray(B[:, :n]), np.ascontiguousarray(C0[:, :n]),
                            alpha=0.5, beta=-2.0)
        np.testing.assert_array_equal(scaled, wide_scaled[:, :n],
                                      err_msg="n=%d, alpha and beta, on %s" % (n, isa))


@pytest.mark.parametrize("n", [1, 10])
def test_gemm_tn_thread_invariance(isa, float_dtype, rng, n):
    # A^T B with few columns splits its rows over threads in units of 64;
    # 1000 rows leave a short last block. The bits are the same for 1, 2
    # and 3 threads, and match the reference to rounding.
    import fastnn

    m, k = 1000, 300
    A = random_matrix(rng, (m, k), float_dtype)
    B = random_matrix(rng, (k, n), float_dtype)
    C0 = random_matrix(rng, (m, n), float_dtype)
    op_a = np.asfortranarray(A)
    previous = fastnn.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            results.append(_core.gemm(op_a, B, C0.copy(), alpha=0.5, beta=2.0))
    finally:
        fastnn.set_num_threads(previous)
    for C in results[1:]:
        np.testing.assert_array_equal(C, results[0], err_msg="n=%d on %s" % (n, isa))
    expected, scale = expected_gemm(A, B)
    assert_gemm_close(results[0], 0.5 * expected + 2.0 * C0.astype(np.float64),
                      scale + 2 * np.abs(C0).max(), float_dtype, k, "n=%d on %s" % (n, isa))


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("m", [1, 2, 3, 128])
def test_gemm_short_k_transposed_b_same_bits(isa, float_dtype, rng, k, m):
    # dA = dZ W^T of an output layer with k units: with k <= 4 a transposed
    # B is copied to row-major first, so the bits equal those of B given
    # row-major, and each sum adds the k products in order.
    A = random_matrix(rng, (m, k), float_dtype)
    B = random_matrix(rng, (k, 100), float_dtype)

    transposed = _core.gemm(A, np.asfortranarray(B))
    plain = _core.gemm(A, B)

    np.testing.assert_array_equal(transposed, plain, err_msg="k=%d m=%d on %s" % (k, m, isa))
    ref = _core.gemm(A, B, reference=True)
    assert_gemm_close(transposed, ref.astype(np.float64), np.abs(ref).max() + 1, float_dtype, k,
                      "k=%d m=%d on %s" % (k, m, isa))


@pytest.mark.parametrize("m", [97, 145, 193, 300])
def test_gemm_rows_beyond_mc(isa, float_dtype, rng, m):
    # MC is 24 micro-tile rows: 96, 144 or 192 rows depending on the ISA, so
    # these sizes take a second (partial) row block.
    n, k = 33, 513
    A = random_matrix(rng, (m, k), float_dtype)
    B = random_matrix(rng, (k, n), float_dtype)
    C0 = random_matrix(rng, (m, n), float_dtype)
    expected, scale = expected_gemm(A, B, C0, alpha=0.75, beta=-1.5)

    C = C0.copy()
    out = _core.gemm(A, B, C, alpha=0.75, beta=-1.5)

    assert out is C
    assert_gemm_close(C, expected, scale, float_dtype, k, "m=%d on %s" % (m, isa))


@pytest.mark.parametrize("m", [1, 2, 5, 13])
def test_gemm_columns_beyond_nc(isa, float_dtype, rng, m):
    # NC is 128 micro-tile columns (512 to 4096 depending on ISA and dtype),
    # so 4200 columns take more than one column block everywhere.
    n, k = 4200, 3
    A = random_matrix(rng, (m, k), float_dtype)
    B = random_matrix(rng, (k, n), float_dtype)
    expected, scale = expected_gemm(A, B)

    C = _core.gemm(A, B)

    assert_gemm_close(C, expected, scale, float_dtype, k, "n=%d m=%d on %s" % (n, m, isa))


def test_gemm_large_square(isa, float_dtype, rng):
    # Large enough for several threads and every blocking loop at once.
    m, n, k = 300, 270, 600
    A = random_matrix(rng, (m, k), float_dtype)
    B = random_matrix(rng, (k, n), float_dtype)
    expected, scale = expected_gemm(A, B)

    C = _core.gemm(A, B)

    assert_gemm_close(C, expected, scale, float_dtype, k, "300x270x600 on %s" % isa)


# ---- memory layouts -------------------------------------------------------------

# (13, 10, 300) and (25, 7, 513) have a single column panel, where A is read unpacked.
LAYOUT_SHAPES = [(1, 33, 257), (2, 17, 600), (7, 31, 300), (130, 70, 513), (13, 10, 300),
                 (25, 7, 513)]


def with_layout(M, layout):
    """Return M's values stored as C order, Fortran order, or as the .T view of a C array."""
    if layout == "c":
        return np.ascontiguousarray(M)
    if layout == "fortran":
        return np.asfortranarray(M)
    return np.ascontiguousarray(M.T).T


@pytest.mark.parametrize("layout_b", ["c", "fortran", "t_view"])
@pytest.mark.parametrize("layout_a", ["c", "fortran", "t_view"])
def test_gemm_transposed_inputs(isa, float_dtype, rng, layout_a, layout_b):
    for m, n, k in LAYOUT_SHAPES:
        A = random_matrix(rng, (m, k), float_dtype)
        B = random_matrix(rng, (k, n), float_dtype)
        expected, scale = expected_gemm(A, B)
        A_in, B_in = with_layout(A, layout_a), with_layout(B, layout_b)

        fast = _core.gemm(A_in, B_in)
        ref = _core.gemm(A_in, B_in, reference=True)

        context = "A %s, B %s, m=%d n=%d k=%d on %s" % (layout_a, layout_b, m, n, k, isa)
        assert_gemm_close(fast, expected, scale, float_dtype, k, "gemm " + context)
        assert_gemm_close(ref, expected, scale, float_dtype, k, "reference " + context)


def test_gemm_inputs_not_modified(isa, float_dtype, rng):
    A = np.asfortranarray(random_matrix(rng, (13, 257), float_dtype))
    B = random_matrix(rng, (257, 33), float_dtype)
    A_before, B_before = A.copy(), B.copy()

    _core.gemm(A, B)

    np.testing.assert_array_equal(A, A_before, err_msg="gemm changed A")
    np.testing.assert_array_equal(B, B_before, err_msg="gemm changed B")


def non_contiguous_operands(case, rng, m, n, k, dtype):
    """Return A (m x k) and B (k x n) as strided views that are neither C- nor Fortran-ordered."""
    if case == "A[:, ::2]":
        return random_matrix(rng, (m, 2 * k), dtype)[:, ::2], random_matrix(rng, (k, n), dtype)
    if case == "B[::2, :]":
        return random_matrix(rng, (m, k), dtype), random_matrix(rng, (2 * k, n), dtype)[::2]
    if case == "A[::-1], B[:, ::-3]":
        return random_matrix(rng, (m, k), dtype)[::-1], random_matrix(rng, (k, 3 * n), dtype)[:, ::-3]
    assert case == "A[::2, 1:].T"
    return random_matrix(rng, (2 * k, m + 1), dtype)[::2, 1:].T, random_matrix(rng, (k, n), dtype)


@pytest.mark.parametrize(
    "case", ["A[:, ::2]", "B[::2, :]", "A[::-1], B[:, ::-3]", "A[::2, 1:].T"]
)
def test_gemm_non_contiguous(isa, float_dtype, rng, case):
    for m, n, k in [(2, 40, 60), (13, 70, 600), (130, 33, 257)]:
        A, B = non_contiguous_operands(case, rng, m, n, k, float_dtype)
        assert A.shape == (m, k)
        assert B.shape == (k, n)
        expected, scale = expected_gemm(A, B)

        fast = _core.gemm(A, B)
        ref = _core.gemm(A, B, reference=True)

        context = "%s, m=%d n=%d k=%d on %s" % (case, m, n, k, isa)
        assert_gemm_close(fast, expected, scale, float_dtype, k, "gemm " + context)
        assert_gemm_close(ref, expected, scale, float_dtype, k, "reference " + context)


# ---- alpha, beta and C ------------------------------------------------------------

ALPHA_BETA = [(1.0, 0.0), (2.5, 0.0), (1.0, 1.0), (-1.0, 1.0), (0.5, -2.0), (0.0, 1.0),
              (0.0, 3.0), (-0.25, 0.5)]
# Full tiles for every micro-kernel (MR divides 24, NR divides 64) and edge tiles.
SCALED_SHAPES = [(1, 9, 5), (2, 16, 300), (24, 64, 257), (13, 33, 257), (130, 70, 600)]


@pytest.mark.parametrize("alpha,beta", ALPHA_BETA)
def test_gemm_alpha_beta(isa, float_dtype, rng, alpha, beta):
    for m, n, k in SCALED_SHAPES:
        A = random_matrix(rng, (m, k), float_dtype)
        B = random_matrix(rng, (k, n), float_dtype)
        C0 = random_matrix(rng, (m, n), float_dtype)
        expected, scale = expected_gemm(A, B, C0, alpha, beta)

        C_fast, C_ref = C0.copy(), C0.copy()
        _core.gemm(A, B, C_fast, alpha=alpha, beta=beta)
        _core.gemm(A, B, C_ref, alpha=alpha, beta=beta, reference=True)

        context = "alpha=%g beta=%g m=%d n=%d k=%d on %s" % (alpha, beta, m, n, k, isa)
        assert_gemm_close(C_fast, expected, scale, float_dtype, k, "gemm " + context)
        assert_gemm_close(C_ref, expected, scale, float_dtype, k, "reference " + context)


@pytest.mark.parametrize("fill", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("reference", [False, True], ids=["gemm", "reference"])
def test_gemm_beta_zero_ignores_c(isa, float_dtype, rng, fill, reference):
    # With beta == 0 the GEMM contract does not read C, so NaN or inf there
    # must not reach the result (0 * NaN would be NaN).
    for m, n, k in SCALED_SHAPES:
        A = random_matrix(rng, (m, k), float_dtype)
        B = random_matrix(rng, (k, n), float_dtype)
        expected, scale = expected_gemm(A, B, alpha=1.5)
        C = np.full((m, n), fill, dtype=float_dtype)

        _core.gemm(A, B, C, alpha=1.5, beta=0.0, reference=reference)

        context = "C filled with %r, m=%d n=%d k=%d on %s" % (fill, m, n, k, isa)
        assert np.isfinite(C).all(), "%s: %d non-finite elements" % (context, (~np.isfinite(C)).sum())
        assert_gemm_close(C, expected, scale, float_dtype, k, context)


def test_gemm_alpha_zero_beta_zero_nan_c(isa, float_dtype, rng):
    A = random_matrix(rng, (13, 33), float_dtype)
    B = random_matrix(rng, (33, 17), float_dtype)
    C = np.full((13, 17), np.nan, dtype=float_dtype)

    _core.gemm(A, B, C, alpha=0.0, beta=0.0)

    np.testing.assert_array_equal(C, np.zeros((13, 17)), err_msg="alpha=0, beta=0 must give zeros")


@pytest.mark.parametrize("reference", [False, True], ids=["gemm", "reference"])
def test_gemm_k_zero(isa, float_dtype, rng, reference):
    A = np.empty((5, 0), dtype=float_dtype)
    B = np.empty((0, 7), dtype=float_dtype)

    C_new = _core.gemm(A, B, reference=reference)
    C_nan = np.full((5, 7), np.nan, dtype=float_dtype)
    _core.gemm(A, B, C_nan, alpha=2.0, beta=0.0, reference=reference)
    C0 = random_matrix(rng, (5, 7), float_dtype)
    C_scaled = C0.copy()
    _core.gemm(A, B, C_scaled, alpha=2.0, beta=-3.0, reference=reference)

    assert C_new.shape == (5, 7)
    assert C_new.dtype == float_dtype
    np.testing.assert_array_equal(C_new, np.zeros((5, 7)), err_msg="k=0 without C")
    np.testing.assert_array_equal(C_nan, np.zeros((5, 7)), err_msg="k=0, beta=0, NaN in C")
    np.testing.assert_allclose(C_scaled, -3.0 * C0, rtol=np.finfo(float_dtype).eps,
                               err_msg="k=0 must leave beta * C")


def test_gemm_empty_result(float_dtype):
    A = np.ones((0, 4), dtype=float_dtype)
    B = np.ones((4, 3), dtype=float_dtype)

    C_rows = _core.gemm(A, B)
    C_cols = _core.gemm(B.T.copy(), np.ones((4, 0), dtype=float_dtype))

    assert C_rows.shape == (0, 3)
    assert C_cols.shape == (3, 0)


def test_gemm_result_dtype(float_dtype, rng):
    A = random_matrix(rng, (3, 4), float_dtype)
    B = random_matrix(rng, (4, 5), float_dtype)

    C = _core.gemm(A, B)

    assert C.dtype == float_dtype
    assert C.flags.c_contiguous


# ---- argument errors ----------------------------------------------------------------


def test_gemm_mixed_dtypes_raise():
    A32 = np.ones((3, 4), dtype=np.float32)
    B64 = np.ones((4, 5), dtype=np.float64)

    with pytest.raises(TypeError):
        _core.gemm(A32, B64)
    with pytest.raises(TypeError):
        _core.gemm(A32.astype(np.float64), B64.astype(np.float32))


def test_gemm_integer_input_raises():
    with pytest.raises(TypeError):
        _core.gemm(np.ones((3, 4), dtype=np.int64), np.ones((4, 5), dtype=np.int64))
    with pytest.raises(TypeError):
        _core.gemm(np.ones((3, 4)), np.ones((4, 5), dtype=np.int32))


def test_gemm_wrong_c_dtype_raises():
    A = np.ones((3, 4))
    B = np.ones((4, 5))

    with pytest.raises(TypeError):
        _core.gemm(A, B, np.zeros((3, 5), dtype=np.float32), beta=1.0)


def test_gemm_inner_mismatch_raises():
    with pytest.raises(ValueError, match="align"):
        _core.gemm(np.ones((3, 4)), np.ones((5, 6)))


def test_gemm_one_dimensional_raises():
    with pytest.raises(ValueError, match="2-D"):
        _core.gemm(np.ones(4), np.ones((4, 5)))
    with pytest.raises(ValueError, match="2-D"):
        _core.gemm(np.ones((3, 4)), np.ones(4))
    with pytest.raises(ValueError, match="2-D"):
        _core.gemm(np.ones((2, 3, 4)), np.ones((4, 5)))


def test_gemm_c_wrong_shape_raises():
    A = np.ones((3, 4))
    B = np.ones((4, 5))

    with pytest.raises(ValueError, match="shape"):
        _core.gemm(A, B, np.zeros((5, 3)), beta=1.0)
    with pytest.raises(ValueError, match="shape"):
        _core.gemm(A, B, np.zeros((3, 6)), beta=1.0)
    with pytest.raises(ValueError, match="shape"):
        _core.gemm(A, B, np.zeros(15), beta=1.0)


def test_gemm_c_not_contiguous_raises():
    A = np.ones((3, 4))
    B = np.ones((4, 5))

    with pytest.raises(ValueError, match="C-contiguous"):
        _core.gemm(A, B, np.zeros((3, 10))[:, ::2], beta=1.0)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.gemm(A, B, np.asfortranarray(np.zeros((3, 5))), beta=1.0)


def test_gemm_byte_swapped_operand_raises():
    A = np.ones((3, 4), dtype=">f4" if np.little_endian else "<f4")
    B = np.ones((4, 5), dtype=np.float32)

    with pytest.raises(TypeError, match="native byte order"):
        _core.gemm(A, B)
    with pytest.raises(TypeError, match="native byte order"):
        _core.gemm(B.T, A.T)
    with pytest.raises(TypeError, match=r"convert it with \.astype\('float32'\)"):
        _core.gemm(A, B)


def test_gemm_integer_operand_message():
    with pytest.raises(TypeError, match="A must be float32 or float64, got int64$"):
        _core.gemm(np.ones((3, 4), dtype=np.int64), np.ones((4, 5)))


def test_gemm_c_not_an_array_raises():
    A = np.ones((3, 4))
    B = np.ones((4, 5))

    with pytest.raises(TypeError, match="C must be a NumPy array"):
        _core.gemm(A, B, [[0.0] * 5] * 3)


def test_gemm_accepts_lists_and_read_only_operands():
    A = np.arange(12, dtype=np.float64).reshape(3, 4)
    B = np.arange(20, dtype=np.float64).reshape(4, 5)
    A.flags.writeable = False

    C = _core.gemm(A, B.tolist())

    np.testing.assert_allclose(C, A @ B)


# ---- the forward epilogue: bias and activation in the GEMM's store ---------------------


@pytest.mark.parametrize("rows", [1, 2, 7, 130, 400])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_forward_epilogue_matches_separate_pass(isa, float_dtype, rows, activation):
    # A 600-wide input takes more than one block of the sum (the epilogue
    # runs on the last), 40 and 9 outputs take the packed and the unpacked-A paths,
    # and one or two rows take the direct path. With 400 rows, two threads
    # split the rows of C between them.
    import fastnn

    dtype = np.dtype(float_dtype).name
    net = fastnn.MLP([600, 40, 9], activation=activation, dtype=dtype, random_state=0)
    rng = np.random.default_rng(rows)
    X = rng.normal(size=(rows, 600)).astype(float_dtype)
    X[0, :5] = np.nan if rows > 3 else X[0, :5]  # NaN passes through relu unchanged

    A = X
    for layer, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        Z = _core.gemm(A, np.ascontiguousarray(W))
        _core.bias_act(Z, np.ascontiguousarray(b), activation if layer == 0 else "identity")
        A = Z
    logits = net.network.predict(net.params, X, logits=True)
    np.testing.assert_array_equal(logits, A)
    if rows > 3:
        assert np.isnan(logits[0]).all()
        assert np.isfinite(logits[1:]).all()


@pytest.mark.parametrize("rows", [1, 2, 7, 130, 400])
def test_backward_relu_epilogue_matches_separate_pass(isa, float_dtype, rows):
    # The input gradient of a ReLU layer is gated by [A > 0] in the GEMM's
    # store; the same steps done one by one with the kernels give the same bits.
    import fastnn

    dtype = np.dtype(float_dtype).name
    net = fastnn.MLP([600, 40, 9], dtype=dtype, random_state=0)
    rng = np.random.default_rng(rows)
    X = rng.normal(size=(rows, 600)).astype(float_dtype)
    Y = net.encode_targets(rng.integers(0, 9, size=rows))
    grads = np.zeros_like(net.params)
    loss = net.network.forward_backward(net.params, grads, X, Y)

    (W0, W1), (b0, b1) = [np.ascontiguousarray(W) for W in net.coefs], net.intercepts
    A0 = _core.gemm(X, W0)
    _core.bias_act(A0, np.ascontiguousarray(b0), "relu")
    Z1 = _core.gemm(A0, W1)
    _core.bias_act(Z1, np.ascontiguousarray(b1), "identity")
    expected_loss, dZ1 = _core.loss(Z1, Y, "softmax")
    dW1 = _core.gemm(A0.T, dZ1)
    dA0 = _core.gemm(dZ1, W1.T)
    _core.act_backward(dA0, A0, "relu")
    dW0 = _core.gemm(X.T, dA0)

    (w0, c0), (w1, c1) = net.network.offsets()
    assert loss == expected_loss
    np.testing.assert_array_equal(grads[w1:c1].reshape(40, 9), dW1)
    np.testing.assert_array_equal(grads[c1:], _core.col_sum(dZ1))
    np.testing.assert_array_equal(grads[w0:c0].reshape(600, 40), dW0)
    np.testing.assert_array_equal(grads[c0:w1], _core.col_sum(dA0))


@pytest.mark.parametrize("n", [70, 300])
@pytest.mark.parametrize("m", [100, 200, 577])
def test_gemm_same_bits_for_any_thread_count(isa, float_dtype, rng, m, n):
    # From 16 row tiles per thread, threads take whole ranges of rows, each
    # packing its own blocks of A and B. Below that, with at least two
    # column slivers per thread, each takes a range of slivers. Otherwise
    # they share the tiles of each block. Either way the bits do not depend
    # on the thread count.
    import fastnn

    k = 300
    A = random_matrix(rng, (m, k), float_dtype)
    B = random_matrix(rng, (k, n), float_dtype)
    C0 = random_matrix(rng, (m, n), float_dtype)
    previous = fastnn.get_num_threads()
    results = {}
    try:
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            for layout in ("NN", "TT"):
                a = np.asfortranarray(A) if layout[0] == "T" else A
                b = np.asfortranarray(B) if layout[1] == "T" else B
                C = C0.copy()
                _core.gemm(a, b, C, alpha=0.5, beta=2.0)
                results[threads, layout] = C
    finally:
        fastnn.set_num_threads(previous)

    expected, scale = expected_gemm(A, B, C0, alpha=0.5, beta=2.0)
    for layout in ("NN", "TT"):
        assert_gemm_close(results[1, layout], expected, scale, float_dtype, k,
                          "%s m=%d on %s" % (layout, m, isa))
        for threads in (2, 3):
            np.testing.assert_array_equal(results[threads, layout], results[1, layout],
                                          err_msg="%s m=%d, %d threads" % (layout, m, threads))


@pytest.mark.parametrize("rows", [1, 2])
@pytest.mark.parametrize("transa", [False, True], ids=["A", "At"])
def test_few_rows_register_sums_same_bits(isa, float_dtype, rng, rows, transa):
    # With alpha 1 and beta 0, whole blocks of columns of a one- or two-row
    # product keep their sums in registers. With alpha 2 every column takes
    # the loop that stores its sums every four rows. Both add the products
    # in the same order, and doubling is exact, so C(alpha=2) == 2 C.
    k, n = 300, 200
    A = random_matrix(rng, (rows, k), float_dtype)
    B = random_matrix(rng, (k, n), float_dtype)
    a = np.asfortranarray(A) if transa else A

    plain = _core.gemm(a, B)
    doubled = _core.gemm(a, B, alpha=2.0)

    np.testing.assert_array_equal(doubled, 2 * plain, err_msg="%d row(s) on %s" % (rows, isa))
    expected, scale = expected_gemm(A, B)
    assert_gemm_close(plain, expected, scale, float_dtype, k, "%d row(s) on %s" % (rows, isa))
