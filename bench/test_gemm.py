"""SGEMM on the shapes of workload A: fastnn's ``_core.gemm`` against NumPy's matmul.

Shapes are written m x k x n for C (m x n) = op(A) (m x k) @ op(B) (k x n).
"NN" is the forward pass Z = X W. "NT" is the input gradient dX = dZ W^T,
with B a transposed view of a row-major W. "TN" is the weight gradient
dW = X^T dZ, with A a transposed view of a row-major X. Both libraries
read the transposed views in place and write into a preallocated C, so
neither allocates per call.
"""

import functools

import numpy as np
import pytest

from fastnn import _core

# (op, m, k, n). Forward shapes of workload A at batch 128, a wider layer at
# batch 512, batch 32, then the backward shapes at batch 128.
SHAPES = [
    ("NN", 128, 784, 256),
    ("NN", 128, 256, 128),
    ("NN", 128, 128, 10),
    ("NN", 512, 784, 1024),
    ("NN", 32, 784, 256),
    ("NT", 128, 256, 784),   # dX1 = dZ1 (128x256) . W1^T, W1 is 784x256
    ("NT", 128, 128, 256),   # dX2 = dZ2 (128x128) . W2^T, W2 is 256x128
    ("NT", 128, 10, 128),    # dX3 = dZ3 (128x10) . W3^T, W3 is 128x10
    ("TN", 784, 128, 256),   # dW1 = X^T (784x128) . dZ1 (128x256)
    ("TN", 256, 128, 128),   # dW2 = A1^T (256x128) . dZ2 (128x128)
    ("TN", 128, 128, 10),    # dW3 = A2^T (128x128) . dZ3 (128x10)
]
SHAPE_IDS = ["%s-%dx%dx%d" % shape for shape in SHAPES]


@functools.lru_cache(maxsize=None)
def operands(op, m, k, n):
    """Return float32 operands (A, B) of one shape, as transposed views where op has a "T"."""
    rng = np.random.default_rng(m * 1000003 + k * 1009 + n)
    if op[0] == "T":
        A = rng.uniform(-1, 1, (k, m)).astype(np.float32).T
    else:
        A = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    if op[1] == "T":
        B = rng.uniform(-1, 1, (n, k)).astype(np.float32).T
    else:
        B = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    return A, B


def check_product(name, C, A, B):
    """Raise AssertionError unless C is A @ B within the float32 rounding bound.

    The bound is the standard one for a sum of k products,
    |C - AB| <= k * eps * (|A| |B|), doubled for slack. It is computed in
    float64.
    """
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    exact = A64 @ B64
    bound = 2 * A.shape[1] * np.finfo(np.float32).eps * (np.abs(A64) @ np.abs(B64))
    excess = np.abs(C - exact) - bound
    assert excess.max() <= 0, (
        "%s: %d of %d entries of C exceed the rounding bound, the worst by %.3g"
        % (name, int((excess > 0).sum()), excess.size, excess.max())
    )


def describe(record, library, threads, op, m, k, n):
    shape = "%dx%dx%d" % (m, k, n)
    record.describe("gemm %s %s t%d" % (op, shape, threads), library, threads,
                    suite="gemm", op=op, shape=shape)


@pytest.mark.parametrize("op,m,k,n", SHAPES, ids=SHAPE_IDS)
def test_gemm_fastnn(benchmark, record, threads, op, m, k, n):
    A, B = operands(op, m, k, n)
    C = np.empty((m, n), dtype=np.float32)
    expected = np.matmul(A, B)
    _core.gemm(A, B, C)
    check_product("fastnn gemm", C, A, B)
    check_product("numpy matmul", expected, A, B)

    describe(record, "fastnn", threads, op, m, k, n)
    benchmark(_core.gemm, A, B, C)
    record.rates(flop=2 * m * k * n)


@pytest.mark.parametrize("op,m,k,n", SHAPES, ids=SHAPE_IDS)
def test_gemm_numpy(benchmark, record, threads, op, m, k, n):
    A, B = operands(op, m, k, n)
    C = np.empty((m, n), dtype=np.float32)
    np.matmul(A, B, out=C)
    check_product("numpy matmul", C, A, B)

    describe(record, "numpy", threads, op, m, k, n)
    benchmark(np.matmul, A, B, out=C)
    record.rates(flop=2 * m * k * n)
