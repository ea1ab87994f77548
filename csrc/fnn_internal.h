/* Declarations shared by the C sources of fastnn; not part of the public API. */
#ifndef FNN_INTERNAL_H
#define FNN_INTERNAL_H

#include "fastnn.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Alignment of every buffer fastnn allocates: one cache line, and the width
 * of an AVX-512 register. */
#define FNN_ALIGN 64

void *fnn_aligned_alloc(size_t bytes);
void fnn_aligned_free(void *p);

/* Per-thread scratch buffers that grow to the largest request and are
 * reused by later calls on the same thread (freed when the thread exits),
 * so steady-state kernels allocate nothing. Each slot is one buffer. */
enum {
    FNN_SCRATCH_PACK_A,
    FNN_SCRATCH_PACK_B,
    FNN_SCRATCH_ROW,
    FNN_SCRATCH_PREDICT,
    FNN_SCRATCH_PARTIAL,
    FNN_SCRATCH_FUSED,
    FNN_SCRATCH_RESUME,
    FNN_SCRATCH_INDEX,
    FNN_SCRATCH_SLOTS
};
void *fnn_scratch(int slot, size_t bytes);

/*
 * Subnormal numbers as zero, in the optimizer loops. An Adam moment that
 * decays toward the float32 minimum makes subnormal products (beta1 m,
 * step m) before it is stored as 0, and on x86 an instruction with a
 * subnormal result takes a slow microcode path. With the moments of a
 * 784-256-128-10 network after one epoch at batch size 1, the update of
 * its 235,146 values took 162 us instead of 76 (Intel Xeon, AVX-512).
 * fnn_flush_begin sets the x86 flush-to-zero and denormals-are-zero bits
 * of this thread's MXCSR and returns the old value; fnn_flush_end puts it
 * back. Only values below the smallest normal number change: the update
 * stores such a moment as 0 anyway, and such a step moves a weight by less
 * than lr * FLT_MIN / epsilon. On other architectures both are no-ops.
 */
#if defined(__x86_64__) || defined(_M_X64) || defined(__SSE2__)
#include <xmmintrin.h>
static inline unsigned fnn_flush_begin(void)
{
    const unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u); /* FTZ (bit 15), DAZ (bit 6) */
    return old;
}
static inline void fnn_flush_end(unsigned old)
{
    _mm_setcsr(old);
}
#else
static inline unsigned fnn_flush_begin(void)
{
    return 0;
}
static inline void fnn_flush_end(unsigned old)
{
    (void)old;
}
#endif

/* Returns the start of chunk t when count indices are split into nt
 * contiguous chunks whose sizes differ by at most one, the first ones
 * larger (the split of libgomp's schedule(static)). */
static inline ptrdiff_t fnn_chunk_start(ptrdiff_t count, int nt, int t)
{
    const ptrdiff_t q = count / nt, r = count % nt;
    return t * q + (t < r ? t : r);
}

/* Records that a kernel starts a parallel region of nthreads threads. A
 * region of more than one thread makes a later forked child run serially
 * and counts in fnn_parallel_calls. */
void fnn_note_parallel(int nthreads);

/* Below this many floating-point operations a kernel stays on one thread,
 * because starting a team costs a few microseconds. Two threads need twice
 * this. A blocked GEMM counts half its flops (GEMM_THREAD_WEIGHT). At full
 * weight, a 30-100-1 network's fit at batch 200, whose largest products
 * are 1.2 MFLOP, ran slower on two threads than on one, on an AMD EPYC and
 * on an Intel Xeon. */
#ifndef FNN_PARALLEL_MIN_FLOPS
#define FNN_PARALLEL_MIN_FLOPS 500000.0
#endif

/* A job for fnn_team_run: thread t of a team of `team` threads. */
typedef void (*fnn_team_fn)(void *arg, int t, int team);
/* Runs fn(arg, t, nt) for t < nt on the pool of spinning threads in
 * fnn_team.c, t = 0 on the calling thread, and returns 1 when all are
 * done. When another thread is using the pool, or a worker cannot be
 * started, it runs fn(arg, 0, 1) alone and returns 1: the job must give
 * the same result at any team size. Returns 0 without running anything
 * when nt < 2, in a forked child, in a build without the pool, and while
 * the OpenMP runtime's workers may still spin after a region of fastnn
 * (fnn_omp_begin and fnn_omp_end), or while one runs: the caller then runs
 * the job in an OpenMP region. */
int fnn_team_run(int nt, fnn_team_fn fn, void *arg);
/* Thread t waits until all `team` threads of the running fnn_team_run job
 * arrive. */
void fnn_team_barrier(int t, int team);
/* Mark the start and the end of an OpenMP region of fastnn. Spinning
 * workers of the pool go to sleep at the start, and fnn_team_run leaves the
 * cores to the OpenMP runtime's workers while regions run and for as long
 * as those workers spin after the last one. */
void fnn_omp_begin(void);
void fnn_omp_end(void);

/* A barrier of the enclosing OpenMP team; nothing in a serial build, whose
 * compiler would otherwise warn about an unknown pragma. */
#ifdef _OPENMP
#define FNN_BARRIER() _Pragma("omp barrier")
#else
#define FNN_BARRIER()
#endif

/* A barrier of the running team: the thread pool's when `pool` is set,
 * else the enclosing OpenMP team's. */
#define FNN_TEAM_BARRIER(pool, t, team)   \
    do {                                  \
        if (pool) {                       \
            fnn_team_barrier((t), (team)); \
        } else {                          \
            FNN_BARRIER();                \
        }                                 \
    } while (0)

/* Runs the for loop passed as the argument over `nt` threads (a variable in
 * scope) when nt > 1, else as a plain loop. An OpenMP region with if(0)
 * still costs about 0.6 us in libgomp (measured on a Zen 3 guest). The loop
 * body must not contain preprocessor directives. */
#ifdef _OPENMP
#define FNN_PARALLEL_FOR(...)                                                    \
    do {                                                                         \
        if (nt > 1) {                                                            \
            fnn_omp_begin();                                                     \
            _Pragma("omp parallel for num_threads(nt) schedule(static)")         \
            __VA_ARGS__                                                          \
            fnn_omp_end();                                                       \
        } else {                                                                 \
            __VA_ARGS__                                                          \
        }                                                                        \
    } while (0)
#else
#define FNN_PARALLEL_FOR(...) \
    do {                      \
        __VA_ARGS__           \
    } while (0)
#endif

/*
 * GEMM micro-kernel contract (see csrc/README.md):
 *   C[i][j] := alpha * sum_p Ap[p*MR + i] * Bp[p*NR + j] + beta * C[i][j]
 * for i < m <= MR and j < n <= NR. Ap is an MR-row sliver of A packed
 * column by column, Bp an NR-column sliver of B packed row by row, both
 * zero-padded to full width. C is not read when beta == 0. A table with a
 * short tile (MR2 > 0) packs a sliver of m <= MR2 rows MR2 wide, and its
 * kernels then run MR2 rows; see fnn_row_tile.
 */
typedef void (*fnn_ukernel_f32)(ptrdiff_t kc, float alpha, const float *Ap, const float *Bp,
                                float beta, float *C, ptrdiff_t ldc, int m, int n);
typedef void (*fnn_ukernel_f64)(ptrdiff_t kc, double alpha, const double *Ap, const double *Bp,
                                double beta, double *C, ptrdiff_t ldc, int m, int n);
/* The same with an epilogue after the store: + bias[j], max(., 0) when relu,
 * 0 where gate[i * ldg + j] <= 0 (see fnn_gemm_ep). */
typedef void (*fnn_ukernel_ep_f32)(ptrdiff_t kc, float alpha, const float *Ap, const float *Bp,
                                   float beta, float *C, ptrdiff_t ldc, int m, int n,
                                   const float *bias, int relu, const float *gate,
                                   ptrdiff_t ldg);
typedef void (*fnn_ukernel_ep_f64)(ptrdiff_t kc, double alpha, const double *Ap,
                                   const double *Bp, double beta, double *C, ptrdiff_t ldc,
                                   int m, int n, const double *bias, int relu,
                                   const double *gate, ptrdiff_t ldg);

/* The micro-kernel reading op(A) in place: element (i, p) at A[i * rsa + p * csa]. */
typedef void (*fnn_ukernel_sa_f32)(ptrdiff_t kc, float alpha, const float *A, ptrdiff_t rsa,
                                   ptrdiff_t csa, const float *Bp, float beta, float *C,
                                   ptrdiff_t ldc, int m, int n, const float *bias, int relu,
                                   const float *gate, ptrdiff_t ldg);
typedef void (*fnn_ukernel_sa_f64)(ptrdiff_t kc, double alpha, const double *A, ptrdiff_t rsa,
                                   ptrdiff_t csa, const double *Bp, double beta, double *C,
                                   ptrdiff_t ldc, int m, int n, const double *bias, int relu,
                                   const double *gate, ptrdiff_t ldg);

/* Packing of one MR-row sliver of op(A) and one NR-column sliver of op(B);
 * see fnn_ukernel_tmpl.h. */
typedef void (*fnn_pack_a_f32)(float *Ap, int transa, const float *A, ptrdiff_t lda,
                               ptrdiff_t i0, int mr, ptrdiff_t p0, ptrdiff_t kc);
typedef void (*fnn_pack_b_f32)(float *Bp, int transb, const float *B, ptrdiff_t ldb,
                               ptrdiff_t p0, ptrdiff_t kc, ptrdiff_t j0, int nr);
typedef void (*fnn_pack_a_f64)(double *Ap, int transa, const double *A, ptrdiff_t lda,
                               ptrdiff_t i0, int mr, ptrdiff_t p0, ptrdiff_t kc);
typedef void (*fnn_pack_b_f64)(double *Bp, int transb, const double *B, ptrdiff_t ldb,
                               ptrdiff_t p0, ptrdiff_t kc, ptrdiff_t j0, int nr);

/* Direct GEMM for at most a few rows; row is scratch of n elements. */
typedef void (*fnn_gemm_rows_f32)(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                                  float alpha, const float *A, ptrdiff_t lda, const float *B,
                                  ptrdiff_t ldb, float beta, float *row, float *C, ptrdiff_t ldc,
                                  const float *bias, int relu, const float *gate, ptrdiff_t ldg,
                                  ptrdiff_t lead);
typedef void (*fnn_gemm_rows_f64)(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                                  double alpha, const double *A, ptrdiff_t lda, const double *B,
                                  ptrdiff_t ldb, double beta, double *row, double *C,
                                  ptrdiff_t ldc, const double *bias, int relu,
                                  const double *gate, ptrdiff_t ldg, ptrdiff_t lead);

/* A one-row product over column panels in two calls; see
 * rows_panels_resume in fnn_ukernel_tmpl.h. */
typedef int (*fnn_rows_panels_resume_f32)(int begin, ptrdiff_t n, ptrdiff_t k, ptrdiff_t k1,
                                          const float *a, const float *panels, float *acc,
                                          float *c, const float *bias, int relu);
typedef int (*fnn_rows_panels_resume_f64)(int begin, ptrdiff_t n, ptrdiff_t k, ptrdiff_t k1,
                                          const double *a, const double *panels, double *acc,
                                          double *c, const double *bias, int relu);

/* Chooses how the fused one-row update splits each layer; see rows_plan
 * in fnn_ukernel_tmpl.h. */
typedef void (*fnn_rows_plan_fn)(const int *sizes, int L, ptrdiff_t *lead, int threads,
                                 ptrdiff_t *shares);

/* Direct GEMM for a few rows with B as column panels, over panels [b0, b1);
 * see gemm_rows_panels in fnn_ukernel_tmpl.h. */
typedef void (*fnn_gemm_rows_panels_f32)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *A,
                                         ptrdiff_t lda, const float *panels, ptrdiff_t b0,
                                         ptrdiff_t b1, float *row, float *C, ptrdiff_t ldc,
                                         const float *bias, int relu);
typedef void (*fnn_gemm_rows_panels_f64)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *A,
                                         ptrdiff_t lda, const double *panels, ptrdiff_t b0,
                                         ptrdiff_t b1, double *row, double *C, ptrdiff_t ldc,
                                         const double *bias, int relu);

/* Rows [r0, r1) of C := alpha A^T B + beta C for a narrow C (n at most the
 * table's tn_cols), in blocks of KC steps of the sum; pad holds KC x 2
 * vectors. See gemm_tn in fnn_ukernel_tmpl.h. */
typedef void (*fnn_gemm_tn_f32)(ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t n, ptrdiff_t k,
                                ptrdiff_t KC, float alpha, const float *A, ptrdiff_t lda,
                                const float *B, ptrdiff_t ldb, float beta, float *C,
                                ptrdiff_t ldc, float *pad);
typedef void (*fnn_gemm_tn_f64)(ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t n, ptrdiff_t k,
                                ptrdiff_t KC, double alpha, const double *A, ptrdiff_t lda,
                                const double *B, ptrdiff_t ldb, double beta, double *C,
                                ptrdiff_t ldc, double *pad);

/* Z := act(Z + b) over n rows for the activations with a vectorised form
 * (logistic, tanh); see fnn_vmath_tmpl.h. */
typedef void (*fnn_act_rows_f32)(float *Z, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ldz,
                                 const float *b, int act);

/* dst[i] := exp(src[i]) for i < n, vectorised (dst may be src); see
 * fnn_vmath_tmpl.h. */
typedef void (*fnn_exp_array_f32)(float *dst, const float *src, ptrdiff_t n);

/* The constants of one optimizer step, shared by every block it updates. */
typedef struct {
    int kind;
    int nesterov;
    int decay;            /* apply p *= keep first */
    double keep;          /* 1 - lr * weight_decay */
    double learning_rate, momentum;
    double step;          /* Adam: lr sqrt(1 - b2^t) / (1 - b1^t) */
    double beta1, beta2, epsilon;
} fnn_update;

/* Starts one optimizer step: advances Adam's t and fills u. */
void fnn_optimizer_begin(fnn_optimizer *opt, fnn_update *u);

/* One optimizer update over a flat buffer; see fnn_optim_tmpl.h. */
typedef void (*fnn_optimizer_step_f32_fn)(fnn_optimizer *opt, float *params, float *state1,
                                          float *state2, const float *grads, ptrdiff_t n);
typedef void (*fnn_optimizer_step_f64_fn)(fnn_optimizer *opt, double *params, double *state1,
                                          double *state2, const double *grads, ptrdiff_t n);
/*
 * One block of the fused update from one row: the K x M matrix W (with its
 * optimizer states S1, S2, NULL when unused) takes the gradient
 * g[k][j] = a[k] d[j], plus l2 W[k][j] when l2 != 0. With l2 != 0, row_sq
 * receives the K sums of W[k][.]^2 before the update. A bias is the block
 * K = 1, a = {1}. lead is the split of W's one-row forward product (see
 * rows_plan in fnn_ukernel_tmpl.h), -1 for the default.
 */
typedef struct {
    float *W, *S1, *S2;
    const float *a, *d;
    ptrdiff_t K, M;
    float l2;
    double *row_sq;
    ptrdiff_t lead;
} fnn_update_block_f32;
typedef struct {
    double *W, *S1, *S2;
    const double *a, *d;
    ptrdiff_t K, M;
    double l2;
    double *row_sq;
    ptrdiff_t lead;
} fnn_update_block_f64;
/* The fused gradient-and-update of several blocks in one parallel region;
 * see update_blocks in fnn_optim_tmpl.h. */
typedef void (*fnn_update_blocks_f32_fn)(const fnn_update *u, const fnn_update_block_f32 *b,
                                         int nb);
typedef void (*fnn_update_blocks_f64_fn)(const fnn_update *u, const fnn_update_block_f64 *b,
                                         int nb);

/* The row-by-row product C := A B + bias (then ReLU when relu) for m rows
 * of row-major A (m x k) and B (k x n). It reads only the rows of B at
 * nonzero inputs where a row has many zeros (see sparse_rows in
 * fnn_ukernel_tmpl.h), so B must be finite. */
typedef void (*fnn_sparse_rows_f32)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *A,
                                    ptrdiff_t lda, const float *B, ptrdiff_t ldb, float *C,
                                    ptrdiff_t ldc, const float *bias, int relu);
typedef void (*fnn_sparse_rows_f64)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *A,
                                    ptrdiff_t lda, const double *B, ptrdiff_t ldb, double *C,
                                    ptrdiff_t ldc, const double *bias, int relu);

/* Kernels and blocksizes of one ISA. */
typedef struct {
    fnn_ukernel_f32 gemm_f32;
    fnn_pack_a_f32 pack_a_f32;
    fnn_pack_b_f32 pack_b_f32;
    fnn_gemm_rows_f32 gemm_rows_f32;
    int mr_f32, nr_f32;
    fnn_ukernel_f64 gemm_f64;
    fnn_pack_a_f64 pack_a_f64;
    fnn_pack_b_f64 pack_b_f64;
    fnn_gemm_rows_f64 gemm_rows_f64;
    int mr_f64, nr_f64;
    fnn_act_rows_f32 act_rows_f32;
    fnn_optimizer_step_f32_fn optimizer_step_f32;
    fnn_optimizer_step_f64_fn optimizer_step_f64;
    fnn_update_blocks_f32_fn update_blocks_f32;
    fnn_update_blocks_f64_fn update_blocks_f64;
    fnn_ukernel_sa_f32 gemm_sa_f32;
    fnn_ukernel_sa_f64 gemm_sa_f64;
    fnn_ukernel_ep_f32 gemm_ep_f32;
    fnn_ukernel_ep_f64 gemm_ep_f64;
    int mr2_f32, mr2_f64; /* height of the short tile, 0 for none */
    fnn_gemm_rows_panels_f32 gemm_rows_panels_f32;
    fnn_gemm_rows_panels_f64 gemm_rows_panels_f64;
    fnn_exp_array_f32 exp_array_f32;
    fnn_gemm_tn_f32 gemm_tn_f32;
    fnn_gemm_tn_f64 gemm_tn_f64;
    int tn_cols_f32, tn_cols_f64; /* widest C that gemm_tn takes */
    fnn_rows_plan_fn rows_plan_f32, rows_plan_f64;
    fnn_rows_panels_resume_f32 rows_panels_resume_f32;
    fnn_rows_panels_resume_f64 rows_panels_resume_f64;
    fnn_sparse_rows_f32 sparse_rows_f32;
    fnn_sparse_rows_f64 sparse_rows_f64;
} fnn_kernel_table;

/* Row tiles of a block of mc rows: full tiles of mr rows, except at the
 * end. A remainder of at most mr2 rows takes one short tile (mr2 rows of
 * work instead of mr), and when mr + remainder fits in two short tiles
 * the last full tile and the remainder become those two. With mr = 6 and
 * mr2 = 4, 32 rows are 6+6+6+6+4+4 instead of 6+6+6+6+6+2 padded to 6. */
static inline ptrdiff_t fnn_row_tiles(ptrdiff_t mc, int mr)
{
    return (mc + mr - 1) / mr;
}

/* Sets *off (from the block's first row) and *rows of row tile ir of a
 * block of mc rows; see fnn_row_tiles. */
static inline void fnn_row_tile(ptrdiff_t mc, int mr, int mr2, ptrdiff_t ir, ptrdiff_t *off,
                                int *rows)
{
    const ptrdiff_t full = mc / mr, rem = mc % mr;
    if (mr2 > 0 && rem > 0 && full >= 1 && mr + rem <= 2 * mr2 && ir >= full - 1) {
        *off = (full - 1) * mr + (ir - (full - 1)) * mr2;
        *rows = ir == full - 1 ? mr2 : (int)(mr + rem - mr2);
        return;
    }
    *off = ir * mr;
    *rows = (int)(mc - *off < mr ? mc - *off : mr);
}

/* Defines the kernel table NAME of a compile unit from the unit's static
 * kernels, which every fnn_ukernel_<isa>.c names alike, and its tile sizes
 * (MR2: the short tile's height, 0 for none). */
#define FNN_KERNEL_TABLE(NAME, MR32, NR32, MR64, NR64, MR2)                             \
    const fnn_kernel_table NAME = {                                                   \
        .gemm_f32 = ukernel_f32, .pack_a_f32 = pack_a_f32, .pack_b_f32 = pack_b_f32,   \
        .gemm_rows_f32 = gemm_rows_f32, .mr_f32 = (MR32), .nr_f32 = (NR32),            \
        .gemm_f64 = ukernel_f64, .pack_a_f64 = pack_a_f64, .pack_b_f64 = pack_b_f64,   \
        .gemm_rows_f64 = gemm_rows_f64, .mr_f64 = (MR64), .nr_f64 = (NR64),            \
        .act_rows_f32 = act_rows_f32,                                                 \
        .optimizer_step_f32 = optimizer_step_f32,                                     \
        .optimizer_step_f64 = optimizer_step_f64,                                     \
        .update_blocks_f32 = update_blocks_f32, .update_blocks_f64 = update_blocks_f64, \
        .gemm_sa_f32 = ukernel_sa_f32, .gemm_sa_f64 = ukernel_sa_f64,                  \
        .gemm_ep_f32 = ukernel_ep_f32, .gemm_ep_f64 = ukernel_ep_f64,                  \
        .mr2_f32 = (MR2), .mr2_f64 = (MR2),                                           \
        .gemm_rows_panels_f32 = gemm_rows_panels_f32,                                 \
        .gemm_rows_panels_f64 = gemm_rows_panels_f64,                                 \
        .exp_array_f32 = exp_array_f32,                                               \
        .gemm_tn_f32 = gemm_tn_f32, .gemm_tn_f64 = gemm_tn_f64,                        \
        .tn_cols_f32 = tn_cols_f32, .tn_cols_f64 = tn_cols_f64,                        \
        .rows_plan_f32 = rows_plan_f32, .rows_plan_f64 = rows_plan_f64,                \
        .rows_panels_resume_f32 = rows_panels_resume_f32,                             \
        .rows_panels_resume_f64 = rows_panels_resume_f64,                             \
        .sparse_rows_f32 = sparse_rows_f32, .sparse_rows_f64 = sparse_rows_f64,        \
    }

extern const fnn_kernel_table fnn_kernels_scalar;
#if defined(FNN_HAVE_AVX2)
extern const fnn_kernel_table fnn_kernels_avx2;
#endif
#if defined(FNN_HAVE_AVX512)
extern const fnn_kernel_table fnn_kernels_avx512;
#endif

/* fnn_gemm with a layer's epilogue applied to each tile of C as it is
 * stored: C := op(A) op(B) (alpha, beta as in fnn_gemm), then + bias[j]
 * (bias may be NULL), then max(C, 0) when relu is set; then C[i][j] := 0
 * where gate[i * ldg + j] <= 0 (gate may be NULL). The same values as
 * fnn_gemm followed by fnn_bias_act (identity or relu), or by
 * fnn_act_backward with relu and gate as A. lead sets the thread split of a
 * one-row product summed in parts (see part_cut in fnn_ukernel_tmpl.h),
 * -1 for the default; it never changes the result. */
void fnn_gemm_ep_f32(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                     const float *A, ptrdiff_t lda, const float *B, ptrdiff_t ldb, float beta,
                     float *C, ptrdiff_t ldc, const float *bias, int relu, const float *gate,
                     ptrdiff_t ldg, ptrdiff_t lead);
void fnn_gemm_ep_f64(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                     double alpha, const double *A, ptrdiff_t lda, const double *B,
                     ptrdiff_t ldb, double beta, double *C, ptrdiff_t ldc, const double *bias,
                     int relu, const double *gate, ptrdiff_t ldg, ptrdiff_t lead);

/* The table chosen by fnn_isa_select (or detection at first use). */
const fnn_kernel_table *fnn_kernels(void);

#endif /* FNN_INTERNAL_H */
