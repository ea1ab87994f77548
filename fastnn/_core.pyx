# cython: language_level=3
"""Cython bindings of the C kernels in csrc/.

Every function here checks dtype, shape and memory layout before it hands a
pointer to C, so a wrong argument raises instead of crashing. The public
Python API builds on these; tests also call them directly.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t, uint64_t

cnp.import_array()

cdef extern from "fastnn.h" nogil:
    ctypedef enum fnn_status:
        FNN_OK
        FNN_ENOMEM
        FNN_EINVAL
        FNN_ENONFINITE

    int FNN_FLOAT32
    int FNN_FLOAT64
    int FNN_ACT_IDENTITY, FNN_ACT_LOGISTIC, FNN_ACT_TANH, FNN_ACT_RELU, FNN_ACT_LEAKY_RELU
    int FNN_ACT_ELU, FNN_ACT_GELU
    int FNN_OUT_IDENTITY, FNN_OUT_LOGISTIC, FNN_OUT_SOFTMAX, FNN_OUT_EXP
    int FNN_OPT_SGD, FNN_OPT_ADAM

    int fnn_isa_detect()
    fnn_status fnn_isa_select(int isa)
    int fnn_isa_active()
    const char *fnn_isa_name(int isa)
    int fnn_isa_compiled(int isa)
    int fnn_has_openmp()
    void fnn_set_num_threads(int n)
    int fnn_get_num_threads()
    int fnn_fork_serial()
    unsigned long fnn_parallel_calls()
    unsigned long fnn_team_jobs()
    void fnn_team_set_window(double ns)
    double fnn_omp_spin_window_ns(const char *spincount, const char *wait_policy,
                                  const char *blocktime, int llvm_runtime)

    void fnn_gemm_f32(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                      float alpha, const float *A, ptrdiff_t lda, const float *B, ptrdiff_t ldb,
                      float beta, float *C, ptrdiff_t ldc)
    void fnn_gemm_f64(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                      double alpha, const double *A, ptrdiff_t lda, const double *B, ptrdiff_t ldb,
                      double beta, double *C, ptrdiff_t ldc)
    void fnn_gemm_ref_f32(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                          float alpha, const float *A, ptrdiff_t lda, const float *B,
                          ptrdiff_t ldb, float beta, float *C, ptrdiff_t ldc)
    void fnn_gemm_ref_f64(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                          double alpha, const double *A, ptrdiff_t lda, const double *B,
                          ptrdiff_t ldb, double beta, double *C, ptrdiff_t ldc)

    void fnn_bias_act_f32(float *Z, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ldz, const float *b, int act)
    void fnn_bias_act_f64(double *Z, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ldz, const double *b, int act)
    void fnn_act_backward_f32(float *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const float *A, int act)
    void fnn_act_backward_f64(double *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const double *A, int act)
    void fnn_output_f32(float *P, const float *Z, ptrdiff_t n, ptrdiff_t m, int out)
    void fnn_output_f64(double *P, const double *Z, ptrdiff_t n, ptrdiff_t m, int out)
    double fnn_loss_f32(float *dZ, const float *Z, const float *Y, const float *w,
                        ptrdiff_t n, ptrdiff_t m, int out)
    double fnn_loss_f64(double *dZ, const double *Z, const double *Y, const double *w,
                        ptrdiff_t n, ptrdiff_t m, int out)
    void fnn_col_sum_f32(float *db, const float *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld)
    void fnn_col_sum_f64(double *db, const double *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld)
    ptrdiff_t fnn_first_nonfinite_f32(const float *x, ptrdiff_t n)
    ptrdiff_t fnn_first_nonfinite_f64(const double *x, ptrdiff_t n)

    ctypedef struct fnn_optimizer:
        int kind
        double learning_rate
        double momentum
        int nesterov
        double beta1, beta2, epsilon
        int64_t t
        double weight_decay

    void fnn_optimizer_step_f32(fnn_optimizer *opt, float *params, float *state1,
                                float *state2, const float *grads, ptrdiff_t n)
    void fnn_optimizer_step_f64(fnn_optimizer *opt, double *params, double *state1,
                                double *state2, const double *grads, ptrdiff_t n)

    ctypedef struct fnn_net:
        int n_layers
        int dtype
        int output
        int *sizes
        int *activation
        ptrdiff_t *w_offset
        ptrdiff_t *b_offset
        ptrdiff_t n_params
        int max_width

    void fnn_gelu_backward_f32(float *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const float *Z)
    void fnn_gelu_backward_f64(double *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const double *Z)

    ctypedef struct fnn_workspace:
        ptrdiff_t rows
        uint64_t dropout_step

    fnn_status fnn_net_set_dropout(fnn_net *net, const double *rates, uint64_t seed)

    fnn_status fnn_net_init(fnn_net *net, int n_layers, const int *sizes, const int *activation,
                            int output, int dtype)
    void fnn_net_free(fnn_net *net)
    fnn_status fnn_workspace_reserve(fnn_workspace *ws, const fnn_net *net, ptrdiff_t rows)
    void fnn_workspace_free(fnn_workspace *ws)
    const void *fnn_net_logits(const fnn_net *net, const fnn_workspace *ws)
    fnn_status fnn_net_forward(const fnn_net *net, fnn_workspace *ws, const void *params,
                               const void *X, ptrdiff_t n, ptrdiff_t ldx)
    double fnn_net_backward(const fnn_net *net, fnn_workspace *ws, const void *params,
                            void *grads, const void *X, ptrdiff_t ldx, const void *Y,
                            const void *w, ptrdiff_t n, double alpha)
    fnn_status fnn_net_train_batches(const fnn_net *net, fnn_workspace *ws, fnn_optimizer *opt,
                                     void *params, void *grads, void *state1, void *state2,
                                     const void *X, const void *Y, const void *w,
                                     const int64_t *order, ptrdiff_t n, ptrdiff_t batch_size,
                                     ptrdiff_t first_batch, ptrdiff_t last_batch,
                                     double alpha, double *loss_sum)
    fnn_status fnn_net_predict_checked(const fnn_net *net, const void *params, const void *X,
                                       ptrdiff_t n, ptrdiff_t ldx, int apply_head, void *out,
                                       ptrdiff_t *bad)
    fnn_status fnn_net_predict(const fnn_net *net, const void *params, const void *X,
                               ptrdiff_t n, ptrdiff_t ldx, int apply_head, void *out)
    void fnn_net_update_shares(const fnn_net *net, int threads, ptrdiff_t *lead,
                               ptrdiff_t *shares)
    ptrdiff_t fnn_net_panels_size(const fnn_net *net)
    fnn_status fnn_net_pack_panels(const fnn_net *net, const void *params, void *panels)
    fnn_status fnn_net_predict_panels(const fnn_net *net, const void *params, const void *panels,
                                      const void *X, ptrdiff_t n, ptrdiff_t ldx, int apply_head,
                                      void *out, ptrdiff_t *bad)


ACTIVATIONS = {
    "identity": FNN_ACT_IDENTITY,
    "logistic": FNN_ACT_LOGISTIC,
    "tanh": FNN_ACT_TANH,
    "relu": FNN_ACT_RELU,
    "leaky_relu": FNN_ACT_LEAKY_RELU,
    "elu": FNN_ACT_ELU,
    "gelu": FNN_ACT_GELU,
}
OUTPUTS = {
    "identity": FNN_OUT_IDENTITY,
    "logistic": FNN_OUT_LOGISTIC,
    "softmax": FNN_OUT_SOFTMAX,
    "exp": FNN_OUT_EXP,
}
ISAS = {"scalar": 0, "avx2": 1, "avx512": 2}


class NonFiniteLossError(FloatingPointError):
    """Raised when training produces a NaN or infinite loss."""


# ---- build, dispatch and threads ------------------------------------------

def has_openmp():
    """Return True when the extension was compiled with OpenMP."""
    return bool(fnn_has_openmp())


def set_num_threads(int n):
    if n < 1:
        raise ValueError("n_threads must be >= 1, got %d" % n)
    fnn_set_num_threads(n)


def get_num_threads():
    return fnn_get_num_threads()


def fork_serial():
    """Return True in a forked child that runs every kernel serially."""
    return bool(fnn_fork_serial())


def parallel_calls():
    """Return how many kernel calls started by this thread have requested more than one thread."""
    return fnn_parallel_calls()


def team_jobs():
    """Return how many jobs this thread has run on the workers of the one-row thread pool."""
    return fnn_team_jobs()


def set_team_window(seconds):
    """Set the time after an OpenMP region within which the thread pool is not used.

    For tests and tuning. ``None`` restores the time computed from the
    OpenMP runtime's environment variables at the first pool job.
    """
    fnn_team_set_window(-1.0 if seconds is None else float(seconds) * 1e9)


def omp_spin_window(spincount=None, wait_policy=None, blocktime=None, llvm_runtime=False):
    """Seconds the OpenMP runtime's workers may spin after a region, from its settings.

    The arguments are the values of ``GOMP_SPINCOUNT``, ``OMP_WAIT_POLICY``
    and ``KMP_BLOCKTIME`` (``None`` when unset). Returns ``inf`` when they
    spin without end.
    """
    cdef bytes s = spincount.encode() if spincount is not None else None
    cdef bytes w = wait_policy.encode() if wait_policy is not None else None
    cdef bytes b = blocktime.encode() if blocktime is not None else None
    return fnn_omp_spin_window_ns(<const char *>s if s is not None else NULL,
                                  <const char *>w if w is not None else NULL,
                                  <const char *>b if b is not None else NULL,
                                  llvm_runtime) / 1e9


def isa_detected():
    """Name of the best instruction set that this CPU, its OS and this build support."""
    return fnn_isa_name(fnn_isa_detect()).decode()


def isa_active():
    """Name of the instruction set whose kernels are in use."""
    return fnn_isa_name(fnn_isa_active()).decode()


def isa_compiled(str name):
    """Return True when this build contains kernels for the named instruction set."""
    return bool(fnn_isa_compiled(_isa_code(name)))


def isa_select(str name):
    """Use the kernels of the named instruction set ("scalar", "avx2", "avx512").

    Raises ValueError when the name is unknown or the CPU, the OS or this
    build does not support it.
    """
    if fnn_isa_select(_isa_code(name)) != FNN_OK:
        raise ValueError(
            "instruction set %r is not available here: this CPU and build support %s"
            % (name, ", ".join(n for n in ISAS if ISAS[n] <= fnn_isa_detect()
                               and fnn_isa_compiled(ISAS[n]))))


cdef int _isa_code(str name) except -1:
    if name not in ISAS:
        raise ValueError("unknown instruction set %r; expected one of %s"
                         % (name, ", ".join(ISAS)))
    return ISAS[name]


# ---- argument checks --------------------------------------------------------

cdef int _dtype_code(cnp.ndarray a, str name) except -1:
    # C-level checks: comparing a.dtype in Python costs about 0.1 us each
    cdef int typenum = cnp.PyArray_TYPE(a)
    if cnp.PyArray_ISNOTSWAPPED(a):
        if typenum == cnp.NPY_FLOAT32:
            return FNN_FLOAT32
        if typenum == cnp.NPY_FLOAT64:
            return FNN_FLOAT64
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        raise TypeError("%s must be float32 or float64, got %s" % (name, a.dtype))
    raise TypeError("%s must be float32 or float64 in native byte order, got %s; convert it "
                    "with .astype('%s')" % (name, a.dtype,
                                            "float32" if typenum == cnp.NPY_FLOAT32 else "float64"))


cdef _require(cnp.ndarray a, str name, int dtype, tuple shape, bint output=True):
    """Raise unless `a` is C-contiguous with the given dtype and shape.

    Arrays the kernel writes (output=True) must also be writeable; inputs
    it only reads may be read-only, such as memory-mapped files.
    """
    cdef int code = _dtype_code(a, name)
    if code != dtype:
        raise TypeError("%s must have dtype %s, got %s"
                        % (name, "float32" if dtype == FNN_FLOAT32 else "float64", a.dtype))
    cdef int ndim = cnp.PyArray_NDIM(a)
    cdef bint same = ndim == len(shape)
    cdef int d
    for d in range(ndim if same else 0):
        if cnp.PyArray_DIMS(a)[d] != <cnp.npy_intp>shape[d]:
            same = False
            break
    if not same:
        raise ValueError("%s must have shape %s, got %s" % (name, shape, np.shape(a)))
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError("%s must be C-contiguous" % name)
    if output and not cnp.PyArray_ISWRITEABLE(a):
        raise ValueError("%s must be writeable" % name)


cdef int _activation_code(object act) except -1:
    if act not in ACTIVATIONS:
        raise ValueError("unknown activation %r; expected one of %s"
                         % (act, ", ".join(ACTIVATIONS)))
    return ACTIVATIONS[act]


cdef int _output_code(object out) except -1:
    if out not in OUTPUTS:
        raise ValueError("unknown output %r; expected one of %s" % (out, ", ".join(OUTPUTS)))
    return OUTPUTS[out]


cdef tuple _as_operand(object a, str name, int dtype):
    """Return (array, transposed, leading dimension, dtype code) for a 2-D GEMM operand.

    A C-contiguous array is used as it is; a Fortran-ordered one as the
    transpose of its C-ordered view; anything else is copied once. dtype -1
    accepts float32 or float64.
    """
    cdef cnp.ndarray arr = a if isinstance(a, np.ndarray) else np.asarray(a)
    if cnp.PyArray_NDIM(arr) != 2:
        raise ValueError("%s must be 2-D, got %d dimension(s)" % (name, cnp.PyArray_NDIM(arr)))
    cdef int code = _dtype_code(arr, name)
    if dtype >= 0 and code != dtype:
        raise TypeError("%s must have dtype %s, got %s"
                        % (name, "float32" if dtype == FNN_FLOAT32 else "float64", arr.dtype))
    cdef cnp.npy_intp rows = cnp.PyArray_DIMS(arr)[0], cols = cnp.PyArray_DIMS(arr)[1]
    if cnp.PyArray_IS_C_CONTIGUOUS(arr):
        return arr, False, max(cols, 1), code
    if cnp.PyArray_IS_F_CONTIGUOUS(arr):
        return arr.T, True, max(rows, 1), code
    arr = np.ascontiguousarray(arr)
    return arr, False, max(cols, 1), code


# ---- kernels ----------------------------------------------------------------

def gemm(A, B, C=None, double alpha=1.0, double beta=0.0, bint reference=False):
    """Return alpha * A @ B + beta * C computed by fastnn's GEMM.

    A (m x k) and B (k x n) are float32 or float64 arrays of one dtype;
    transposed (Fortran-ordered) views are read in place. C, when given,
    must be a C-contiguous m x n array and is overwritten. `reference=True`
    runs the naive reference kernel instead.
    """
    cdef cnp.ndarray a, b, c
    cdef int dt
    a, transa, lda, dt = _as_operand(A, "A", -1)
    b, transb, ldb, _ = _as_operand(B, "B", dt)
    # a and b may be transposed views: take op(A) and op(B)'s shapes
    cdef ptrdiff_t m = a.shape[1] if transa else a.shape[0]
    cdef ptrdiff_t k = a.shape[0] if transa else a.shape[1]
    cdef ptrdiff_t kb = b.shape[1] if transb else b.shape[0]
    cdef ptrdiff_t n = b.shape[0] if transb else b.shape[1]
    if kb != k:
        raise ValueError("A and B do not align: A is %s, B is %s"
                         % ((m, k), (kb, n)))
    if C is None:
        c = np.zeros((m, n), dtype=np.float32 if dt == FNN_FLOAT32 else np.float64)
        beta = 0.0
    else:
        if not isinstance(C, np.ndarray):
            raise TypeError("C must be a NumPy array, got %s" % type(C).__name__)
        c = C
        _require(c, "C", dt, (m, n))
    cdef ptrdiff_t ldc = max(n, 1)
    cdef ptrdiff_t clda = lda, cldb = ldb
    cdef int ta = transa, tb = transb
    cdef bint is32 = dt == FNN_FLOAT32
    cdef void *pa = cnp.PyArray_DATA(a)
    cdef void *pb = cnp.PyArray_DATA(b)
    cdef void *pc = cnp.PyArray_DATA(c)
    with nogil:
        if is32:
            if reference:
                fnn_gemm_ref_f32(ta, tb, m, n, k, <float>alpha, <float *>pa, clda, <float *>pb,
                                 cldb, <float>beta, <float *>pc, ldc)
            else:
                fnn_gemm_f32(ta, tb, m, n, k, <float>alpha, <float *>pa, clda, <float *>pb, cldb,
                             <float>beta, <float *>pc, ldc)
        else:
            if reference:
                fnn_gemm_ref_f64(ta, tb, m, n, k, alpha, <double *>pa, clda, <double *>pb, cldb,
                                 beta, <double *>pc, ldc)
            else:
                fnn_gemm_f64(ta, tb, m, n, k, alpha, <double *>pa, clda, <double *>pb, cldb,
                             beta, <double *>pc, ldc)
    return c


def bias_act(cnp.ndarray Z, b, str activation):
    """Apply Z := activation(Z + b) in place; b may be None."""
    cdef int dt = _dtype_code(Z, "Z")
    if Z.ndim != 2:
        raise ValueError("Z must be 2-D, got shape %s" % (np.shape(Z),))
    _require(Z, "Z", dt, np.shape(Z))
    cdef ptrdiff_t n = Z.shape[0], m = Z.shape[1]
    cdef cnp.ndarray bb
    cdef void *pb = NULL
    if b is not None:
        bb = b
        _require(bb, "b", dt, (m,))
        pb = cnp.PyArray_DATA(bb)
    cdef int act = _activation_code(activation)
    cdef void *pz = cnp.PyArray_DATA(Z)
    with nogil:
        if dt == FNN_FLOAT32:
            fnn_bias_act_f32(<float *>pz, n, m, m, <float *>pb, act)
        else:
            fnn_bias_act_f64(<double *>pz, n, m, m, <double *>pb, act)
    return Z


def act_backward(cnp.ndarray dZ, cnp.ndarray A, str activation):
    """Multiply dZ in place by the derivative of activation, given A = activation(Z)."""
    cdef int dt = _dtype_code(dZ, "dZ")
    if dZ.ndim != 2:
        raise ValueError("dZ must be 2-D, got shape %s" % (np.shape(dZ),))
    _require(dZ, "dZ", dt, np.shape(dZ))
    _require(A, "A", dt, np.shape(dZ), False)
    cdef int act = _activation_code(activation)
    if act == FNN_ACT_GELU:
        raise ValueError("gelu's derivative needs the pre-activation Z, not its output; "
                         "use gelu_backward(dZ, Z)")
    cdef ptrdiff_t n = dZ.shape[0], m = dZ.shape[1]
    cdef void *pd = cnp.PyArray_DATA(dZ)
    cdef void *pa = cnp.PyArray_DATA(A)
    with nogil:
        if dt == FNN_FLOAT32:
            fnn_act_backward_f32(<float *>pd, n, m, m, <float *>pa, act)
        else:
            fnn_act_backward_f64(<double *>pd, n, m, m, <double *>pa, act)
    return dZ


def gelu_backward(cnp.ndarray dZ, cnp.ndarray Z):
    """Multiply dZ in place by gelu'(Z) = Phi(Z) + Z phi(Z)."""
    cdef int dt = _dtype_code(dZ, "dZ")
    if dZ.ndim != 2:
        raise ValueError("dZ must be 2-D, got shape %s" % (np.shape(dZ),))
    _require(dZ, "dZ", dt, np.shape(dZ))
    _require(Z, "Z", dt, np.shape(dZ), False)
    cdef ptrdiff_t n = dZ.shape[0], m = dZ.shape[1]
    cdef void *pd = cnp.PyArray_DATA(dZ)
    cdef void *pz = cnp.PyArray_DATA(Z)
    with nogil:
        if dt == FNN_FLOAT32:
            fnn_gelu_backward_f32(<float *>pd, n, m, m, <float *>pz)
        else:
            fnn_gelu_backward_f64(<double *>pd, n, m, m, <double *>pz)
    return dZ


def output_head(cnp.ndarray Z, str output):
    """Return the output head ("softmax", "logistic", "identity") applied to logits Z."""
    cdef int dt = _dtype_code(Z, "Z")
    if Z.ndim != 2:
        raise ValueError("Z must be 2-D, got shape %s" % (np.shape(Z),))
    Z = np.ascontiguousarray(Z)
    cdef int out = _output_code(output)
    cdef cnp.ndarray P = np.empty_like(Z)
    cdef ptrdiff_t n = Z.shape[0], m = Z.shape[1]
    cdef void *pp = cnp.PyArray_DATA(P)
    cdef void *pz = cnp.PyArray_DATA(Z)
    with nogil:
        if dt == FNN_FLOAT32:
            fnn_output_f32(<float *>pp, <float *>pz, n, m, out)
        else:
            fnn_output_f64(<double *>pp, <double *>pz, n, m, out)
    return P


def loss(Z, Y, str output, sample_weight=None, bint gradient=True):
    """Return (loss, dZ) of logits Z against targets Y for an output head.

    The loss is the (weighted) mean over rows; dZ is its gradient, or None
    with ``gradient=False``.
    """
    cdef cnp.ndarray z = np.ascontiguousarray(Z)
    cdef int dt = _dtype_code(z, "Z")
    if z.ndim != 2:
        raise ValueError("Z must be 2-D, got shape %s" % (np.shape(z),))
    cdef cnp.ndarray y = np.ascontiguousarray(Y, dtype=z.dtype)
    if np.shape(y) != np.shape(z):
        raise ValueError("Y must have the shape of Z %s, got %s" % (np.shape(z), np.shape(y)))
    cdef cnp.ndarray w
    cdef void *pw = NULL
    if sample_weight is not None:
        w = np.ascontiguousarray(sample_weight, dtype=z.dtype)
        if np.shape(w) != (z.shape[0],):
            raise ValueError("sample_weight must have shape (%d,), got %s"
                             % (z.shape[0], np.shape(w)))
        pw = cnp.PyArray_DATA(w)
    cdef int out = _output_code(output)
    cdef object dZ = np.empty_like(z) if gradient else None
    cdef ptrdiff_t n = z.shape[0], m = z.shape[1]
    cdef double value
    cdef void *pd = cnp.PyArray_DATA(<cnp.ndarray>dZ) if gradient else NULL
    cdef void *pz = cnp.PyArray_DATA(z)
    cdef void *py = cnp.PyArray_DATA(y)
    with nogil:
        if dt == FNN_FLOAT32:
            value = fnn_loss_f32(<float *>pd, <float *>pz, <float *>py, <float *>pw, n, m, out)
        else:
            value = fnn_loss_f64(<double *>pd, <double *>pz, <double *>py, <double *>pw, n, m, out)
    return value, dZ


def first_nonfinite(cnp.ndarray a):
    """Return the flat position of the first NaN or infinity in a, or -1.

    a must be a C-contiguous float32 or float64 array of any shape. The scan
    allocates nothing and runs without the GIL.
    """
    cdef int dt = _dtype_code(a, "a")
    if not a.flags.c_contiguous:
        raise ValueError("a must be C-contiguous")
    cdef ptrdiff_t n = a.size, at
    cdef void *p = cnp.PyArray_DATA(a)
    with nogil:
        if dt == FNN_FLOAT32:
            at = fnn_first_nonfinite_f32(<const float *>p, n)
        else:
            at = fnn_first_nonfinite_f64(<const double *>p, n)
    return at


def col_sum(dZ):
    """Return the column sums of a 2-D array, rows added in order."""
    cdef cnp.ndarray d = np.ascontiguousarray(dZ)
    cdef int dt = _dtype_code(d, "dZ")
    if d.ndim != 2:
        raise ValueError("dZ must be 2-D, got shape %s" % (np.shape(d),))
    cdef ptrdiff_t n = d.shape[0], m = d.shape[1]
    cdef cnp.ndarray db = np.empty(m, dtype=d.dtype)
    cdef void *pb = cnp.PyArray_DATA(db)
    cdef void *pd = cnp.PyArray_DATA(d)
    with nogil:
        if dt == FNN_FLOAT32:
            fnn_col_sum_f32(<float *>pb, <float *>pd, n, m, m)
        else:
            fnn_col_sum_f64(<double *>pb, <double *>pd, n, m, m)
    return db


# ---- optimizers ---------------------------------------------------------------

cdef class Optimizer:
    """Settings and step count of an optimizer; the state buffers live with the network.

    kind is "sgd" or "adam". The formulas are scikit-learn's SGDOptimizer and
    AdamOptimizer (Kingma and Ba, 2015, with bias correction in the step size).
    """
    cdef fnn_optimizer opt
    cdef readonly str kind

    def __init__(self, str kind="adam", double learning_rate=1e-3, double momentum=0.9,
                 bint nesterov=True, double beta1=0.9, double beta2=0.999,
                 double epsilon=1e-8, double weight_decay=0.0):
        if kind not in ("sgd", "adam"):
            raise ValueError("unknown optimizer %r; expected 'sgd' or 'adam'" % kind)
        if not weight_decay >= 0:
            raise ValueError("weight_decay must be >= 0, got %r" % weight_decay)
        self.kind = kind
        self.opt.kind = FNN_OPT_ADAM if kind == "adam" else FNN_OPT_SGD
        self.opt.learning_rate = learning_rate
        self.opt.momentum = momentum
        self.opt.nesterov = nesterov
        self.opt.beta1 = beta1
        self.opt.beta2 = beta2
        self.opt.epsilon = epsilon
        self.opt.weight_decay = weight_decay
        self.opt.t = 0

    @property
    def learning_rate(self):
        return self.opt.learning_rate

    @learning_rate.setter
    def learning_rate(self, double value):
        self.opt.learning_rate = value

    @property
    def t(self):
        """Number of Adam updates taken so far."""
        return self.opt.t

    @t.setter
    def t(self, int64_t value):
        self.opt.t = value

    def __reduce__(self):
        return (_optimizer_from_config, (self.get_config(),))

    def get_config(self):
        return {
            "kind": self.kind,
            "learning_rate": self.opt.learning_rate,
            "momentum": self.opt.momentum,
            "nesterov": bool(self.opt.nesterov),
            "beta1": self.opt.beta1,
            "beta2": self.opt.beta2,
            "epsilon": self.opt.epsilon,
            "weight_decay": self.opt.weight_decay,
            "t": self.opt.t,
        }

    def step(self, cnp.ndarray params, cnp.ndarray grads, cnp.ndarray state1,
             cnp.ndarray state2):
        """Update params in place from grads with this optimizer's rule."""
        cdef int dt = _dtype_code(params, "params")
        cdef ptrdiff_t n = params.shape[0]
        for arr, name in ((params, "params"), (grads, "grads"), (state1, "state1"),
                          (state2, "state2")):
            _require(arr, name, dt, (n,))
        _step(&self.opt, dt, cnp.PyArray_DATA(params), cnp.PyArray_DATA(grads),
              cnp.PyArray_DATA(state1), cnp.PyArray_DATA(state2), n)


def _optimizer_from_config(config):
    """Rebuild an Optimizer from get_config() (used by pickle)."""
    config = dict(config)
    t = config.pop("t")
    opt = Optimizer(**config)
    opt.t = t
    return opt


cdef void _step(fnn_optimizer *opt, int dt, void *params, void *grads, void *s1, void *s2,
                ptrdiff_t n) noexcept:
    with nogil:
        if dt == FNN_FLOAT32:
            fnn_optimizer_step_f32(opt, <float *>params, <float *>s1, <float *>s2,
                                   <float *>grads, n)
        else:
            fnn_optimizer_step_f64(opt, <double *>params, <double *>s1, <double *>s2,
                                   <double *>grads, n)


# ---- network ------------------------------------------------------------------

cdef class Network:
    """Layout and C entry points of a stack of dense layers.

    The object holds no parameters: callers pass the flat buffers (params,
    grads, optimizer state) as 1-D arrays of length n_params, so the same
    layout serves training, gradient checks, an allreduce of the gradient
    between backward and the optimizer step, and model files.
    """
    cdef fnn_net net
    cdef fnn_workspace ws
    cdef readonly tuple sizes
    cdef readonly tuple activations
    cdef readonly str output
    cdef readonly object dtype
    cdef readonly object dropout
    cdef readonly uint64_t dropout_seed

    def __cinit__(self):
        pass

    def __init__(self, sizes, activations, str output, dtype, dropout=None,
                 dropout_seed=0):
        sizes = tuple(int(s) for s in sizes)
        activations = tuple(activations)
        if len(sizes) < 2:
            raise ValueError("sizes needs at least an input and an output size, got %s"
                             % (sizes,))
        if any(s < 1 for s in sizes):
            raise ValueError("every layer size must be >= 1, got %s" % (sizes,))
        if len(activations) != len(sizes) - 2:
            raise ValueError("expected %d hidden activations, got %d"
                             % (len(sizes) - 2, len(activations)))
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError("dtype must be float32 or float64, got %s" % dtype)
        cdef int[:] c_sizes = np.array(sizes, dtype=np.intc)
        cdef int[:] c_acts = np.array([_activation_code(a) for a in activations] or [0],
                                      dtype=np.intc)
        cdef int out = _output_code(output)
        cdef int dt = FNN_FLOAT32 if dtype == np.float32 else FNN_FLOAT64
        fnn_workspace_free(&self.ws)
        fnn_net_free(&self.net)
        status = fnn_net_init(&self.net, len(sizes) - 1, &c_sizes[0], &c_acts[0], out, dt)
        if status == FNN_ENOMEM:
            raise MemoryError("could not allocate the network description")
        if status != FNN_OK:
            raise ValueError("invalid network description %s" % (sizes,))
        self.sizes = sizes
        self.activations = activations
        self.output = output
        self.dtype = dtype
        self._set_dropout(dropout, int(dropout_seed))

    cdef _set_dropout(self, dropout, uint64_t seed):
        """Store the hidden layers' dropout rates (None: no dropout)."""
        cdef double[:] rates
        n_hidden = len(self.sizes) - 2
        if dropout is None or n_hidden == 0:
            self.dropout = None
            fnn_net_set_dropout(&self.net, NULL, seed)
            return
        values = tuple(float(r) for r in dropout)
        if len(values) != n_hidden:
            raise ValueError("expected %d dropout rates (one per hidden layer), got %d"
                             % (n_hidden, len(values)))
        for r in values:
            if not 0 <= r < 1:
                raise ValueError("dropout rates must be in [0, 1), got %r" % (r,))
        rates = np.array(values, dtype=np.float64)
        if fnn_net_set_dropout(&self.net, &rates[0], seed) != FNN_OK:
            raise MemoryError("could not store the dropout rates")
        self.dropout = values
        self.dropout_seed = seed

    @property
    def dropout_step(self):
        """Counter that selects the dropout masks; each trained batch adds 1."""
        return self.ws.dropout_step

    @dropout_step.setter
    def dropout_step(self, uint64_t value):
        self.ws.dropout_step = value

    def __dealloc__(self):
        fnn_workspace_free(&self.ws)
        fnn_net_free(&self.net)

    def __reduce__(self):
        return (Network, (self.sizes, self.activations, self.output, self.dtype, self.dropout,
                          self.dropout_seed))

    @property
    def n_params(self):
        return self.net.n_params

    @property
    def n_layers(self):
        return self.net.n_layers

    def offsets(self):
        """Return [(w_offset, b_offset), ...] of each layer in the flat buffer."""
        return [(self.net.w_offset[l], self.net.b_offset[l]) for l in range(self.net.n_layers)]

    def update_shares(self):
        """Return how a one-row training step splits each layer over threads.

        For tests and tuning, at the current thread count: ``(lead,
        shares)``. ``lead[l]`` is the number of parts of layer l's one-row
        product that the calling thread sums, or -1 for the even split.
        ``shares[l, b, t]`` contains the rows ``k0, k1`` and columns ``j0, j1``
        of layer l's weights (b = 0) or bias (b = 1) that thread t updates.
        """
        cdef int threads = fnn_get_num_threads()
        cdef cnp.ndarray lead = np.empty(self.net.n_layers, dtype=np.intp)
        cdef cnp.ndarray shares = np.empty((self.net.n_layers, 2, threads, 4), dtype=np.intp)
        fnn_net_update_shares(&self.net, threads, <ptrdiff_t *>cnp.PyArray_DATA(lead),
                              <ptrdiff_t *>cnp.PyArray_DATA(shares))
        return lead, shares

    cdef int _dt(self):
        return self.net.dtype

    cdef _check_flat(self, cnp.ndarray a, str name, bint output=True):
        _require(a, name, self.net.dtype, (self.net.n_params,), output)

    cdef cnp.ndarray _check_rows(self, object X, str name, int width):
        """Return X as a C-contiguous 2-D array of the network dtype."""
        cdef cnp.ndarray a = np.ascontiguousarray(X, dtype=self.dtype)
        if a.ndim != 2 or a.shape[1] != width:
            raise ValueError("%s must have shape (n, %d), got %s"
                             % (name, width, tuple(np.shape(X))))
        return a

    cdef _reserve(self, ptrdiff_t rows):
        if fnn_workspace_reserve(&self.ws, &self.net, rows) != FNN_OK:
            raise MemoryError("could not allocate work buffers for %d rows" % rows)

    def predict(self, cnp.ndarray params, X, out=None, bint logits=False):
        """Return the output head applied to the network's logits for rows X.

        With logits=True, return the logits themselves.

        Safe to call from several threads at once: each thread has its own
        scratch memory, and the GIL is released while the kernels run.
        """
        self._check_flat(params, "params", False)
        cdef cnp.ndarray x = self._check_rows(X, "X", self.sizes[0])
        cdef ptrdiff_t n = x.shape[0]
        cdef cnp.ndarray o
        if out is None:
            o = np.empty((n, self.sizes[self.net.n_layers]), dtype=self.dtype)
        else:
            o = out
            _require(o, "out", self.net.dtype, (n, self.sizes[self.net.n_layers]))
        cdef void *pp = cnp.PyArray_DATA(params)
        cdef void *px = cnp.PyArray_DATA(x)
        cdef void *po = cnp.PyArray_DATA(o)
        cdef fnn_status status
        with nogil:
            status = fnn_net_predict(&self.net, pp, px, n, self.net.sizes[0], not logits, po)
        if status == FNN_ENOMEM:
            raise MemoryError("could not allocate scratch memory for %d rows" % n)
        return o

    def forward_backward(self, cnp.ndarray params, cnp.ndarray grads, X, Y,
                         sample_weight=None, double alpha=0.0):
        """Write the gradient of the batch loss into grads and return the loss.

        The loss is the (weighted) mean data loss over the rows of X plus
        0.5 * alpha * sum(W**2) / sum(sample_weight) (n without weights).
        No parameter changes: call an optimizer's `step` afterwards (an
        allreduce of grads fits in between).
        """
        self._check_flat(params, "params", False)
        self._check_flat(grads, "grads")
        cdef cnp.ndarray x = self._check_rows(X, "X", self.sizes[0])
        cdef cnp.ndarray y = self._check_rows(Y, "Y", self.sizes[self.net.n_layers])
        cdef ptrdiff_t n = x.shape[0]
        if y.shape[0] != n:
            raise ValueError("X and Y have different row counts: %d and %d" % (n, y.shape[0]))
        if n == 0:
            raise ValueError("X has no rows")
        cdef cnp.ndarray w
        cdef void *pw = NULL
        if sample_weight is not None:
            w = np.ascontiguousarray(sample_weight, dtype=self.dtype)
            if np.shape(w) != (n,):
                raise ValueError("sample_weight must have shape (%d,), got %s" % (n, np.shape(w)))
            pw = cnp.PyArray_DATA(w)
        self._reserve(n)
        cdef void *pp = cnp.PyArray_DATA(params)
        cdef void *pg = cnp.PyArray_DATA(grads)
        cdef void *px = cnp.PyArray_DATA(x)
        cdef void *py = cnp.PyArray_DATA(y)
        cdef double value
        with nogil:
            fnn_net_forward(&self.net, &self.ws, pp, px, n, self.net.sizes[0])
            value = fnn_net_backward(&self.net, &self.ws, pp, pg, px, self.net.sizes[0], py, pw,
                                     n, alpha)
        return value

    def train_batches(self, Optimizer optimizer, cnp.ndarray params, cnp.ndarray grads,
                      cnp.ndarray state1, cnp.ndarray state2, cnp.ndarray X, cnp.ndarray Y,
                      sample_weight, order, ptrdiff_t batch_size, ptrdiff_t first_batch,
                      ptrdiff_t last_batch, double alpha=0.0):
        """Run forward, backward and optimizer step on batches [first_batch, last_batch).

        Batch b holds rows order[b * batch_size:(b + 1) * batch_size] of X and
        Y (order None means 0..n-1). X and Y must already be C-contiguous in
        the network dtype. Returns the sum over batches of loss * rows.
        Raises NonFiniteLossError when a loss is NaN or infinite.
        """
        for arr, name in ((params, "params"), (grads, "grads"), (state1, "state1"),
                          (state2, "state2")):
            self._check_flat(arr, name)
        cdef ptrdiff_t n = X.shape[0]
        _require(X, "X", self.net.dtype, (n, self.sizes[0]), False)
        _require(Y, "Y", self.net.dtype, (n, self.sizes[self.net.n_layers]), False)
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1, got %d" % batch_size)
        cdef ptrdiff_t n_batches = (n + batch_size - 1) // batch_size
        if not 0 <= first_batch <= last_batch <= n_batches:
            raise ValueError("batch range [%d, %d) is outside [0, %d)"
                             % (first_batch, last_batch, n_batches))
        cdef cnp.ndarray w, o
        cdef void *pw = NULL
        cdef const int64_t *po = NULL
        if sample_weight is not None:
            w = sample_weight
            _require(w, "sample_weight", self.net.dtype, (n,), False)
            pw = cnp.PyArray_DATA(w)
        if order is not None:
            o = order
            if o.dtype != np.int64 or np.shape(o) != (n,) or not o.flags.c_contiguous:
                raise ValueError("order must be a C-contiguous int64 array of shape (%d,)" % n)
            if n and (o.min() < 0 or o.max() >= n):
                raise ValueError("order holds row indices outside [0, %d)" % n)
            po = <const int64_t *>cnp.PyArray_DATA(o)
        self._reserve(min(batch_size, n))
        cdef double loss_sum = 0.0
        cdef fnn_status status
        cdef void *pp = cnp.PyArray_DATA(params)
        cdef void *pg = cnp.PyArray_DATA(grads)
        cdef void *p1 = cnp.PyArray_DATA(state1)
        cdef void *p2 = cnp.PyArray_DATA(state2)
        cdef void *px = cnp.PyArray_DATA(X)
        cdef void *py = cnp.PyArray_DATA(Y)
        cdef ptrdiff_t bs = min(batch_size, n)
        with nogil:
            status = fnn_net_train_batches(&self.net, &self.ws, &optimizer.opt, pp, pg, p1, p2,
                                           px, py, pw, po, n, bs, first_batch, last_batch,
                                           alpha, &loss_sum)
        if status == FNN_ENONFINITE:
            raise NonFiniteLossError("the training loss became NaN or infinite")
        if status != FNN_OK:
            raise RuntimeError("training failed with status %d" % status)
        return loss_sum


# Weights up to this size get the Predictor's column-panel copy.
PANEL_COPY_MAX_BYTES = 16 * 1024 * 1024

# Start of the buffers made by aligned_zeros: one cache line, the width of
# an AVX-512 vector.
BUFFER_ALIGN = 64


def aligned_zeros(ptrdiff_t n, dtype):
    """Return a zeroed 1-D array of n elements whose data starts on a 64-byte boundary.

    NumPy aligns large arrays to 16 bytes only. The kernels read weights,
    gradients and optimizer states in whole vectors, and with AVX-512 every
    64-byte load from a buffer that starts elsewhere spans two cache lines:
    on an Intel Xeon a one-row prediction of a 784-256-128-10 network took
    13.8 us from such a buffer and 7.1 us from an aligned copy.
    """
    if n < 0:
        raise ValueError("n must be >= 0, got %d" % n)
    dtype = np.dtype(dtype)
    cdef ptrdiff_t nbytes = n * dtype.itemsize
    raw = np.zeros(nbytes + BUFFER_ALIGN, dtype=np.uint8)
    cdef ptrdiff_t offset = (-<ptrdiff_t>cnp.PyArray_DATA(raw)) % BUFFER_ALIGN
    return raw[offset:offset + nbytes].view(dtype)


def aligned_copy(a):
    """Return a writable, contiguous 1-D copy of the array a in an aligned_zeros buffer."""
    a = np.asarray(a)
    out = aligned_zeros(a.size, a.dtype)
    out[...] = a.reshape(-1)
    return out


cdef class Predictor:
    """A frozen copy of a network's weights with a low-overhead predict call.

    Built once (``MLP.predictor()`` or an estimator's ``predictor()``), it
    validates the weights then, so each call only checks the rows: dtype,
    shape, layout and finiteness, in C. The kernels run with the GIL
    released on per-thread scratch memory, so one Predictor can serve many
    Python threads at once. Training the original model afterwards does not
    change it.

    Parameters
    ----------
    network : Network
    params : ndarray
        Flat parameters of ``network``; the Predictor keeps a read-only copy.
    logits : bool
        Return the last layer's logits instead of the output head's values.
    two_columns : bool
        For a network with one logistic output: return the probabilities of
        both classes, ``[1 - p, p]``, as a binary classifier's
        ``predict_proba`` does.
    squeeze : bool
        For a network with one output: return shape (n,) instead of (n, 1),
        as a single-target regressor's ``predict`` does.
    """
    cdef Network network
    cdef readonly cnp.ndarray params
    # the weights again, as column panels for one- and two-row calls (None
    # above PANEL_COPY_MAX_BYTES)
    cdef object panels
    cdef readonly int n_features
    cdef readonly int n_outputs
    cdef readonly object dtype
    cdef int code
    cdef int type_num
    cdef bint logits
    cdef bint two_columns
    cdef bint squeeze

    def __init__(self, Network network, cnp.ndarray params, bint logits=False,
                 bint two_columns=False, bint squeeze=False):
        network._check_flat(params, "params", False)
        n_out = network.sizes[network.net.n_layers]
        if two_columns and (n_out != 1 or logits):
            raise ValueError("two_columns needs a network with one output and logits=False, "
                             "got %d outputs" % n_out)
        if squeeze and (n_out != 1 or two_columns):
            raise ValueError("squeeze needs a network with one output and two_columns=False")
        self.network = network
        self.params = aligned_copy(params)
        self.params.flags.writeable = False
        cdef cnp.ndarray panels
        cdef ptrdiff_t size = fnn_net_panels_size(&network.net)
        self.panels = None
        if size * self.params.itemsize <= PANEL_COPY_MAX_BYTES:
            panels = aligned_zeros(size, network.dtype)
            # rejected for NaN or infinite weights, whose predictions then
            # take the plain path, as predict_proba's do
            if fnn_net_pack_panels(&network.net, cnp.PyArray_DATA(self.params),
                                   cnp.PyArray_DATA(panels)) == FNN_OK:
                self.panels = panels
        self.n_features = network.sizes[0]
        self.n_outputs = 2 if two_columns else n_out
        self.dtype = network.dtype
        self.code = network.net.dtype
        self.type_num = cnp.NPY_FLOAT32 if self.code == FNN_FLOAT32 else cnp.NPY_FLOAT64
        self.logits = logits
        self.two_columns = two_columns
        self.squeeze = squeeze

    def __reduce__(self):
        return (Predictor, (self.network, self.params, self.logits, self.two_columns,
                            self.squeeze))

    @property
    def panel_copy(self):
        """Whether one- and two-row calls read a second copy of the weights in panels.

        The copy is made when the weights take at most 16 MiB and are all
        finite. Each thread of such a call then reads one contiguous block
        of it, which can stay in its core's cache between calls, and a
        one-row call skips the weights of inputs that are 0. Larger weights
        stream from memory either way, so they are not copied.
        """
        return self.panels is not None

    def __call__(self, X, *, out=None):
        """Return the predictions for rows X.

        Parameters
        ----------
        X : array-like of shape (n, n_features) or (n_features,)
            A C-contiguous array of the network's dtype is used as it is;
            anything else is converted first, with the checks of
            ``predict_proba``. One row may be given as a 1-D array: the
            result is then that row's, of shape (n_outputs,), or a scalar
            for a network built with ``squeeze``.
        out : ndarray, optional, keyword-only
            Where to write the result: C-contiguous, writeable, of the
            network's dtype and of the result's shape ((1,) for a scalar
            result). Passing the same array from several threads at once
            races; give each its own.

        Returns
        -------
        ndarray or scalar
            ``out`` when given.

        Raises
        ------
        TypeError
            For non-numeric X, or an ``out`` of the wrong type or dtype.
        ValueError
            For a wrong shape, no rows, NaN or infinity in X (naming the
            row and column), or a prediction that overflowed to NaN or
            infinity inside the network.
        """
        cdef cnp.ndarray x
        if (cnp.PyArray_Check(X) and cnp.PyArray_TYPE(<cnp.ndarray>X) == self.type_num
                and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>X)):
            x = <cnp.ndarray>X
        else:
            from ._validation import check_array

            if X is None or np.ndim(X) == 0:
                raise TypeError("X must be rows of numbers, shape (n, %d) or (%d,), got %r"
                                % (self.n_features, self.n_features, X))
            # the same conversions and messages as predict_proba; NaN and
            # infinity are found below, with their row and column
            x = check_array(X, name="X", dtype=self.dtype, ensure_2d=False, finite=False)
        cdef int ndim = cnp.PyArray_NDIM(x)
        cdef ptrdiff_t n
        if ndim == 2 and cnp.PyArray_DIMS(x)[1] == self.n_features:
            n = cnp.PyArray_DIMS(x)[0]
        elif ndim == 1 and cnp.PyArray_DIMS(x)[0] == self.n_features:
            n = 1
        else:
            raise ValueError("X must have shape (n, %d) or (%d,), got %s"
                             % (self.n_features, self.n_features, np.shape(x)))
        if n == 0:
            raise ValueError("X has 0 sample(s) (shape=%s) while a minimum of 1 is required; "
                             "pass at least one row" % (np.shape(x),))

        cdef tuple shape
        if ndim == 1:
            shape = () if self.squeeze else (self.n_outputs,)
        elif self.squeeze:
            shape = (n,)
        else:
            shape = (n, self.n_outputs)
        cdef cnp.ndarray o
        cdef cnp.npy_intp dims[2]
        cdef Py_ssize_t d
        if out is None:
            # The C API saves np.empty's attribute lookups and argument
            # parsing, about 0.1 us per call. A scalar result takes shape (1,).
            dims[0] = 1
            for d in range(len(shape)):
                dims[d] = shape[d]
            o = cnp.PyArray_EMPTY(max(len(shape), 1), dims, self.type_num, 0)
        elif not (cnp.PyArray_Check(out) and _ready_output(<cnp.ndarray>out, self.type_num,
                                                           ndim, n, self.n_outputs,
                                                           self.squeeze)):
            # the slow path, to name what is wrong
            if not cnp.PyArray_Check(out):
                raise TypeError("out must be a NumPy array, got %s" % type(out).__name__)
            o = <cnp.ndarray>out
            if o.dtype != self.dtype:
                raise TypeError("out must have dtype %s, the network's, got %s"
                                % (self.dtype, o.dtype))
            _require(o, "out", self.code, shape if shape else (1,))
        else:
            o = <cnp.ndarray>out

        cdef ptrdiff_t bad = -1
        cdef void *pp = cnp.PyArray_DATA(self.params)
        cdef void *pw = NULL
        if self.panels is not None:
            pw = cnp.PyArray_DATA(<cnp.ndarray>self.panels)
        cdef void *px = cnp.PyArray_DATA(x)
        cdef void *po = cnp.PyArray_DATA(o)
        cdef fnn_status status = FNN_OK
        cdef bint head = not self.logits
        with nogil:
            # each chunk of rows is checked just before its forward pass
            status = fnn_net_predict_panels(&self.network.net, pp, pw, px, n, self.n_features,
                                            head, po, &bad)
            if status == FNN_OK and self.two_columns:
                _expand_two_columns(po, n, self.code)
        if bad >= 0:
            raise ValueError("X contains NaN or infinity (row %d, column %d); impute or drop "
                             "such values first" % (bad // self.n_features,
                                                    bad % self.n_features))
        if status == FNN_ENOMEM:
            raise MemoryError("could not allocate scratch memory for %d rows" % n)
        if fnn_first_nonfinite_f32(<const float *>po, o.size) >= 0 if self.code == FNN_FLOAT32 \
                else fnn_first_nonfinite_f64(<const double *>po, o.size) >= 0:
            from ._validation import check_finite_output

            check_finite_output(o.reshape(n, -1))
        if out is not None:
            return o
        if not shape:
            return o[0]
        return o


cdef inline bint _ready_output(cnp.ndarray o, int type_num, int ndim, ptrdiff_t n,
                              int n_outputs, bint squeeze) noexcept:
    """Whether o is a writeable C-contiguous array of type_num and of the
    shape that Predictor.__call__ returns for X of ndim dimensions and n
    rows: the checks of _require, without building their messages."""
    if (cnp.PyArray_TYPE(o) != type_num or not cnp.PyArray_IS_C_CONTIGUOUS(o)
            or not cnp.PyArray_ISWRITEABLE(o)):
        return False
    cdef cnp.npy_intp *dims = cnp.PyArray_DIMS(o)
    if ndim == 1:
        return cnp.PyArray_NDIM(o) == 1 and dims[0] == (1 if squeeze else n_outputs)
    if squeeze:
        return cnp.PyArray_NDIM(o) == 1 and dims[0] == n
    return cnp.PyArray_NDIM(o) == 2 and dims[0] == n and dims[1] == n_outputs


cdef void _expand_two_columns(void *p, ptrdiff_t n, int code) noexcept nogil:
    """Turn n probabilities p into n rows [1 - p, p], in place (backwards)."""
    cdef ptrdiff_t i
    cdef float *f
    cdef double *d
    if code == FNN_FLOAT32:
        f = <float *>p
        for i in range(n - 1, -1, -1):
            f[2 * i + 1] = f[i]
            f[2 * i] = 1 - f[2 * i + 1]
    else:
        d = <double *>p
        for i in range(n - 1, -1, -1):
            d[2 * i + 1] = d[i]
            d[2 * i] = 1 - d[2 * i + 1]
