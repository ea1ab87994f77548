/*
 * GEMM micro-kernel, written once with GCC/Clang vector extensions and
 * compiled per ISA: each fnn_ukernel_<isa>.c defines the element type and
 * the register tile, then includes this file. The compiler maps the vector
 * type onto whatever registers the unit's flags allow (SSE2/NEON, AVX2+FMA,
 * AVX-512).
 *
 * Expects: REAL, SFX(name), UK_MR, UK_NR (a multiple of UK_VLEN), UK_VLEN,
 * and UK_MR2: the height of the short tile (0 for none), below UK_MR.
 * Contract: see fnn_internal.h; Ap is kc x UK_MR (kc x UK_MR2 for a sliver
 * of at most UK_MR2 rows), Bp is kc x UK_NR.
 *
 * The packing routines live here too, so that the register tile is a
 * compile-time constant and each sliver row is copied as whole vectors.
 */
#include <string.h>

typedef REAL SFX(vec) __attribute__((vector_size(UK_VLEN * sizeof(REAL))));
/* The integer vector of the same shape, for lane masks. */
#if UK_REAL_IS_FLOAT
typedef int32_t SFX(ivec) __attribute__((vector_size(UK_VLEN * sizeof(REAL))));
#else
typedef int64_t SFX(ivec) __attribute__((vector_size(UK_VLEN * sizeof(REAL))));
#endif
#define UK_NV (UK_NR / UK_VLEN)

#if defined(__AVX512F__) && UK_VLEN == (UK_REAL_IS_FLOAT ? 16 : 8)
#include <immintrin.h>
#define UK_PART_VECTORS 1
/* Loads the first w lanes (0 < w <= UK_VLEN) of the vector at p and sets
 * the others to 0. Nothing past the w lanes is read. */
static inline SFX(vec) SFX(load_part)(const REAL *p, int w)
{
#if UK_REAL_IS_FLOAT
    return (SFX(vec))_mm512_maskz_loadu_ps((__mmask16)((1u << w) - 1), p);
#else
    return (SFX(vec))_mm512_maskz_loadu_pd((__mmask8)((1u << w) - 1), p);
#endif
}
/* Stores the first w lanes of x at p, and nothing past them. */
static inline void SFX(store_part)(REAL *p, SFX(vec) x, int w)
{
#if UK_REAL_IS_FLOAT
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << w) - 1), (__m512)x);
#else
    _mm512_mask_storeu_pd(p, (__mmask8)((1u << w) - 1), (__m512d)x);
#endif
}
#endif
/* Whether a sliver of m rows takes the short tile; see fnn_row_tile. */
#define UK_SHORT(m) (UK_MR2 > 0 && (m) <= UK_MR2)
#define UK_SHORT_MR (UK_MR2 > 0 ? UK_MR2 : UK_MR)
/* Whether a tile of n columns takes the narrow form, which multiplies and
 * stores only its first vector of columns. With the 32-column tile of
 * AVX-512, the 10 outputs of a classifier would otherwise fill 10 of 32
 * lanes. Each element is summed in the same order either way. */
#define UK_NARROW(n) (UK_NV > 1 && (n) <= UK_VLEN)
/* Calls body(MRB, NVB, ...) with the tile height and the vectors of columns
 * (compile-time constants in each call) that m rows and n columns need. */
#define UK_DISPATCH(body, m, n, ...)                                          \
    do {                                                                      \
        if (UK_SHORT(m) && UK_NARROW(n))                                      \
            body(UK_SHORT_MR, 1, __VA_ARGS__);                                \
        else if (UK_SHORT(m))                                                 \
            body(UK_SHORT_MR, UK_NV, __VA_ARGS__);                            \
        else if (UK_NARROW(n))                                                \
            body(UK_MR, 1, __VA_ARGS__);                                      \
        else                                                                  \
            body(UK_MR, UK_NV, __VA_ARGS__);                                  \
    } while (0)

/* Applies a layer's epilogue to one element: + *bias, then ReLU, then 0
 * where *gate <= 0, each step only when its pointer or flag is set. */
static inline REAL SFX(epilogue_value)(REAL z, const REAL *bias, int relu, const REAL *gate)
{
    if (bias)
        z += *bias;
    if (relu)
        z = z < 0 ? 0 : z;
    if (gate)
        z = *gate > 0 ? z : 0;
    return z;
}

/* Returns c with the lanes below zero cleared: ReLU on a vector. NaN
 * compares false, so it stays. */
static inline SFX(vec) SFX(relu_vec)(SFX(vec) c)
{
    const SFX(ivec) negative = c < (SFX(vec)){0};
    return (SFX(vec))((SFX(ivec))c & ~negative);
}

/* Returns c with the lanes cleared where g <= 0: the gate [A > 0] of
 * ReLU's derivative on a vector. */
static inline SFX(vec) SFX(gate_vec)(SFX(vec) c, SFX(vec) g)
{
    const SFX(ivec) open = g > (SFX(vec)){0};
    return (SFX(vec))((SFX(ivec))c & open);
}

/* Stores C[i][j] := alpha acc[i][j] + beta C[i][j] for i < m, j < n, and
 * reads C only when beta != 0. The epilogue follows (see epilogue_value):
 * the bias and ReLU of the forward pass, or the gate [A > 0] of ReLU's
 * derivative in the backward pass. Full tiles are stored straight from the
 * registers. Edge tiles take masked loads and stores on AVX-512, and go
 * element by element elsewhere. */
static inline __attribute__((always_inline)) void
SFX(store_tile)(const int MRB, const int NVB, SFX(vec) acc[UK_MR][UK_NV], REAL alpha, REAL beta,
                REAL *restrict C, ptrdiff_t ldc, int m, int n, const REAL *restrict bias,
                int relu, const REAL *restrict gate, ptrdiff_t ldg)
{
    if (m == MRB && n == NVB * UK_VLEN) {
        SFX(vec) bv[UK_NV];
        for (int v = 0; v < NVB; v++) {
            bv[v] = (SFX(vec)){0};
            if (bias)
                memcpy(&bv[v], bias + v * UK_VLEN, sizeof(bv[v]));
        }
        for (int i = 0; i < MRB; i++) {
            for (int v = 0; v < NVB; v++) {
                SFX(vec) c = acc[i][v] * alpha;
                REAL *dst = C + i * ldc + v * UK_VLEN;
                if (beta != 0) {
                    SFX(vec) old;
                    memcpy(&old, dst, sizeof(old));
                    c += old * beta;
                }
                if (bias)
                    c += bv[v];
                if (relu)
                    c = SFX(relu_vec)(c);
                if (gate) {
                    SFX(vec) g;
                    memcpy(&g, gate + i * ldg + v * UK_VLEN, sizeof(g));
                    c = SFX(gate_vec)(c, g);
                }
                memcpy(dst, &c, sizeof(c));
            }
        }
        return;
    }
#ifdef UK_PART_VECTORS
    /* An edge tile with masked loads and stores. The lanes inside C get the
     * same operations as in the full-tile path above. */
    for (int i = 0; i < m; i++) {
        for (int v = 0; v < NVB && v * UK_VLEN < n; v++) {
            const int w = n - v * UK_VLEN < UK_VLEN ? n - v * UK_VLEN : UK_VLEN;
            REAL *dst = C + i * ldc + v * UK_VLEN;
            SFX(vec) c = acc[i][v] * alpha;
            if (beta != 0)
                c += SFX(load_part)(dst, w) * beta;
            if (bias)
                c += SFX(load_part)(bias + v * UK_VLEN, w);
            if (relu)
                c = SFX(relu_vec)(c);
            if (gate)
                c = SFX(gate_vec)(c, SFX(load_part)(gate + i * ldg + v * UK_VLEN, w));
            SFX(store_part)(dst, c, w);
        }
    }
    return;
#endif
    /* vector by vector, so that the full-tile path above keeps acc in registers */
    REAL tile[UK_MR][UK_NR];
    for (int i = 0; i < MRB; i++)
        for (int v = 0; v < NVB; v++)
            memcpy(&tile[i][v * UK_VLEN], &acc[i][v], sizeof(acc[i][v]));
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            REAL c = alpha * tile[i][j];
            c = beta != 0 ? c + beta * C[i * ldc + j] : c;
            C[i * ldc + j] = SFX(epilogue_value)(c, bias ? bias + j : NULL, relu,
                                                 gate ? gate + i * ldg + j : NULL);
        }
    }
}

/* The micro-kernel for a tile of MRB rows (UK_MR or UK_MR2, a constant once
 * inlined): Ap has MRB values per step of the sum. */
static inline __attribute__((always_inline)) void
SFX(ukernel_body)(const int MRB, const int NVB, ptrdiff_t kc, REAL alpha, const REAL *restrict Ap, const REAL *restrict Bp,
                  REAL beta, REAL *restrict C, ptrdiff_t ldc, int m, int n,
                  const REAL *restrict bias, int relu, const REAL *restrict gate, ptrdiff_t ldg)
{
    SFX(vec) acc[UK_MR][UK_NV];
    for (int i = 0; i < MRB; i++)
        for (int v = 0; v < NVB; v++)
            acc[i][v] = (SFX(vec)){0};
    /* C is read (beta != 0) or written at the end: start loading its lines */
    for (int i = 0; i < m; i++)
        __builtin_prefetch(C + i * ldc, 1);

    /* rank-1 updates: acc += Ap[:, p] * Bp[p, :] */
    for (ptrdiff_t p = 0; p < kc; p++) {
        SFX(vec) b[UK_NV];
        for (int v = 0; v < NVB; v++)
            memcpy(&b[v], Bp + p * UK_NR + v * UK_VLEN, sizeof(b[v]));
        for (int i = 0; i < MRB; i++) {
            SFX(vec) a = Ap[p * MRB + i] - (SFX(vec)){0}; /* x - 0 == x exactly, so this folds to a broadcast */
            for (int v = 0; v < NVB; v++)
                acc[i][v] += a * b[v];
        }
    }
    SFX(store_tile)(MRB, NVB, acc, alpha, beta, C, ldc, m, n, bias, relu, gate, ldg);
}

/* The micro-kernel of every block but the last of a sum: no epilogue. */
static void SFX(ukernel)(ptrdiff_t kc, REAL alpha, const REAL *restrict Ap,
                         const REAL *restrict Bp, REAL beta, REAL *restrict C, ptrdiff_t ldc,
                         int m, int n)
{
    UK_DISPATCH(SFX(ukernel_body), m, n, kc, alpha, Ap, Bp, beta, C, ldc, m, n, NULL, 0, NULL,
                0);
}

/* The micro-kernel with the epilogue (see store_tile), for the last block. */
static void SFX(ukernel_ep)(ptrdiff_t kc, REAL alpha, const REAL *restrict Ap,
                            const REAL *restrict Bp, REAL beta, REAL *restrict C, ptrdiff_t ldc,
                            int m, int n, const REAL *restrict bias, int relu,
                            const REAL *restrict gate, ptrdiff_t ldg)
{
    UK_DISPATCH(SFX(ukernel_body), m, n, kc, alpha, Ap, Bp, beta, C, ldc, m, n, bias, relu, gate,
                ldg);
}

/* The micro-kernel with op(A) read in place instead of packed: element
 * (i, p) of the sliver is A[i * rsa + p * csa]. For a product with a single
 * column panel, each sliver of A is used once, so packing it would cost as
 * much as the multiply. Rows i >= m read row 0, whose products are then
 * dropped, so nothing past the matrix is read. Same sums in the same order
 * as ukernel. */
static inline __attribute__((always_inline)) void
SFX(ukernel_sa_body)(const int MRB, const int NVB, ptrdiff_t kc, REAL alpha, const REAL *A, ptrdiff_t rsa,
                            ptrdiff_t csa, const REAL *restrict Bp, REAL beta,
                            REAL *restrict C, ptrdiff_t ldc, int m, int n,
                            const REAL *restrict bias, int relu, const REAL *restrict gate,
                            ptrdiff_t ldg)
{
    const REAL *rows[UK_MR];
    for (int i = 0; i < MRB; i++)
        rows[i] = A + (i < m ? i : 0) * rsa;
    SFX(vec) acc[UK_MR][UK_NV];
    for (int i = 0; i < MRB; i++)
        for (int v = 0; v < NVB; v++)
            acc[i][v] = (SFX(vec)){0};
    for (int i = 0; i < m; i++)
        __builtin_prefetch(C + i * ldc, 1);

    if (rsa == 1 && m == MRB) {
        /* op(A) = A^T and a whole tile: the MRB values of each step are
         * contiguous, so one pointer steps over them. The row pointers
         * below ran the weight gradient of a 10-unit layer, 128 x 128 x 10,
         * a third slower on AVX-512, and so did one loop with row offsets. */
        const REAL *ap = A;
        for (ptrdiff_t p = 0; p < kc; p++, ap += csa) {
            SFX(vec) b[UK_NV];
            for (int v = 0; v < NVB; v++)
                memcpy(&b[v], Bp + p * UK_NR + v * UK_VLEN, sizeof(b[v]));
            for (int i = 0; i < MRB; i++) {
                SFX(vec) a = ap[i] - (SFX(vec)){0};
                for (int v = 0; v < NVB; v++)
                    acc[i][v] += a * b[v];
            }
        }
    } else {
        for (ptrdiff_t p = 0; p < kc; p++) {
            SFX(vec) b[UK_NV];
            for (int v = 0; v < NVB; v++)
                memcpy(&b[v], Bp + p * UK_NR + v * UK_VLEN, sizeof(b[v]));
            for (int i = 0; i < MRB; i++) {
                SFX(vec) a = rows[i][p * csa] - (SFX(vec)){0};
                for (int v = 0; v < NVB; v++)
                    acc[i][v] += a * b[v];
            }
        }
    }
    SFX(store_tile)(MRB, NVB, acc, alpha, beta, C, ldc, m, n, bias, relu, gate, ldg);
}
static void SFX(ukernel_sa)(ptrdiff_t kc, REAL alpha, const REAL *A, ptrdiff_t rsa,
                            ptrdiff_t csa, const REAL *restrict Bp, REAL beta,
                            REAL *restrict C, ptrdiff_t ldc, int m, int n,
                            const REAL *restrict bias, int relu, const REAL *restrict gate,
                            ptrdiff_t ldg)
{
    UK_DISPATCH(SFX(ukernel_sa_body), m, n, kc, alpha, A, rsa, csa, Bp, beta, C, ldc, m, n, bias,
                relu, gate, ldg);
}

/*
 * C := alpha A^T B + beta C for C of at most UK_TN_COLS columns (the weight
 * gradient of a narrow layer), with op(A)[i][p] = A[p * lda + i]. The
 * micro-kernel's narrow tile puts the n columns in the lanes of one vector
 * and leaves the others idle (10 of 16 on AVX-512), and needs one
 * broadcast per row of the tile. Here the vectors run down the rows of C
 * instead: each step p loads the contiguous A[p][i..] and broadcasts the n
 * values of row p of B, so every lane works. The sums then lie column by
 * column in registers and go to row-major C through a small transposed
 * copy. Each element adds its products for p = 0, 1, ... in order within
 * the same blocks of KC steps as the blocked path, and is stored with the
 * same operations, so the bits equal those of a wide product's columns.
 * On one core of the Intel Xeon in bench/README.md, 128x128x10 went from
 * 57 to 97 GFLOP/s with AVX-512 (OpenBLAS: 82) and from 44 to 68 with AVX2.
 */
#if defined(__AVX512F__)
#define UK_TN_REGS 32
#else
#define UK_TN_REGS 16
#endif
/* The widest C that gemm_tn takes: at most the register tile's width, at
 * most as many sums as leave two registers free, and at most the 16 cases
 * of tn_block. */
#define UK_TN_COLS_REGS (UK_NR < UK_TN_REGS - 2 ? UK_NR : UK_TN_REGS - 2)
#define UK_TN_COLS (UK_TN_COLS_REGS < 16 ? UK_TN_COLS_REGS : 16)
/* UK_TN_COLS as a constant for the kernel table. */
enum { SFX(tn_cols) = UK_TN_COLS };
/* Vectors of rows per block for n columns: two when their sums, the two
 * loaded vectors and a broadcast fit in the registers, else one. */
#define UK_TN_RV(n) (2 * (n) + 3 <= UK_TN_REGS ? 2 : 1)

/* Computes NC columns of RV vectors of rows (both constants once inlined)
 * and stores the first `rows` <= RV * UK_VLEN of them. */
static inline __attribute__((always_inline)) void
SFX(tn_body)(const int NC, const int RV, ptrdiff_t kc, REAL alpha, const REAL *A, ptrdiff_t lda,
             const REAL *B, ptrdiff_t ldb, REAL beta, REAL *restrict C, ptrdiff_t ldc, int rows)
{
    SFX(vec) acc[UK_TN_COLS][2];
    for (int j = 0; j < NC; j++)
        for (int v = 0; v < RV; v++)
            acc[j][v] = (SFX(vec)){0};
    for (ptrdiff_t p = 0; p < kc; p++) {
        SFX(vec) a[2];
        for (int v = 0; v < RV; v++)
            memcpy(&a[v], A + p * lda + v * UK_VLEN, sizeof(a[v]));
        const REAL *b = B + p * ldb;
        for (int j = 0; j < NC; j++) {
            const SFX(vec) bj = b[j] - (SFX(vec)){0}; /* a broadcast */
            for (int v = 0; v < RV; v++)
                acc[j][v] += a[v] * bj;
        }
    }
    REAL t[UK_TN_COLS][2 * UK_VLEN];
    for (int j = 0; j < NC; j++)
        for (int v = 0; v < RV; v++)
            memcpy(&t[j][v * UK_VLEN], &acc[j][v], sizeof(acc[j][v]));
    for (int r = 0; r < rows; r++) {
        REAL *c = C + r * ldc;
        for (int j = 0; j < NC; j++) {
            REAL z = t[j][r] * alpha;
            if (beta != 0)
                z += c[j] * beta;
            c[j] = z;
        }
    }
}

/* Cases wider than UK_TN_COLS are never called. Their column count is
 * clamped only so that the dead code indexes acc within bounds. */
#define UK_TN_CASE(NC_)                                                                   \
    case NC_:                                                                             \
        if ((NC_) <= UK_TN_COLS)                                                          \
            SFX(tn_body)((NC_) <= UK_TN_COLS ? (NC_) : 1, UK_TN_RV(NC_), kc, alpha, A, lda, \
                         B, ldb, beta, C, ldc, rows);                                     \
        break;

/* Returns the rows of one block of gemm_tn for n columns. */
static inline int SFX(tn_block_rows)(ptrdiff_t n)
{
    return UK_TN_RV(n) * UK_VLEN;
}

/* Computes one block of gemm_tn through the tn_body of n columns. */
static void SFX(tn_block)(ptrdiff_t n, ptrdiff_t kc, REAL alpha, const REAL *A, ptrdiff_t lda,
                          const REAL *B, ptrdiff_t ldb, REAL beta, REAL *C, ptrdiff_t ldc,
                          int rows)
{
    switch (n) {
        UK_TN_CASE(1)
        UK_TN_CASE(2)
        UK_TN_CASE(3)
        UK_TN_CASE(4)
        UK_TN_CASE(5)
        UK_TN_CASE(6)
        UK_TN_CASE(7)
        UK_TN_CASE(8)
        UK_TN_CASE(9)
        UK_TN_CASE(10)
        UK_TN_CASE(11)
        UK_TN_CASE(12)
        UK_TN_CASE(13)
        UK_TN_CASE(14)
        UK_TN_CASE(15)
        UK_TN_CASE(16)
    default:
        break;
    }
}
#undef UK_TN_CASE

/* Computes rows [r0, r1) of C := alpha A^T B + beta C (A is k x lda, B is
 * k x ldb, n <= UK_TN_COLS), summed in blocks of KC steps like the blocked
 * path. The last block of fewer rows reads A through `pad`, a zero-padded
 * copy of KC x tn_block_rows values, so nothing past A's rows is read. */
static void SFX(gemm_tn)(ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t n, ptrdiff_t k, ptrdiff_t KC,
                         REAL alpha, const REAL *A, ptrdiff_t lda, const REAL *B, ptrdiff_t ldb,
                         REAL beta, REAL *C, ptrdiff_t ldc, REAL *pad)
{
    const int R = SFX(tn_block_rows)(n);
    for (ptrdiff_t i0 = r0; i0 < r1; i0 += R) {
        const int rows = (int)(r1 - i0 < R ? r1 - i0 : R);
        for (ptrdiff_t pc = 0; pc < k; pc += KC) {
            const ptrdiff_t kc = k - pc < KC ? k - pc : KC;
            const REAL beta_pc = pc == 0 ? beta : (REAL)1;
            const REAL *a = A + pc * lda + i0;
            ptrdiff_t la = lda;
            if (rows < R) {
                for (ptrdiff_t p = 0; p < kc; p++) {
                    memcpy(pad + p * R, a + p * lda, (size_t)rows * sizeof(REAL));
                    memset(pad + p * R + rows, 0, (size_t)(R - rows) * sizeof(REAL));
                }
                a = pad;
                la = R;
            }
            SFX(tn_block)(n, kc, alpha, a, la, B + pc * ldb, ldb, beta_pc, C + i0 * ldc, ldc,
                          rows);
        }
    }
}
#undef UK_TN_REGS
#undef UK_TN_COLS_REGS
#undef UK_TN_COLS
#undef UK_TN_RV
#undef UK_NV
#undef UK_PART_VECTORS
#undef UK_NARROW
#undef UK_DISPATCH

#if defined(__AVX2__) && UK_REAL_IS_FLOAT && UK_MR == 6 && UK_MR2 == 4
#include <immintrin.h>
#define UK_PACK_TRANSPOSE 1
/* Packs rows [0, ROWS) (6 or 4) of row-major A, columns [0, kc), into Ap
 * column by column, ROWS values per column. Eight columns at a time go
 * through an 8 x 8 transpose in registers, with zeros for the missing rows,
 * where the scalar loop moves one float per load and store. */
static inline __attribute__((always_inline)) void
pack_rows_avx2(const int ROWS, float *restrict Ap, const float *restrict A, ptrdiff_t lda,
               ptrdiff_t kc)
{
    const __m256 zero = _mm256_setzero_ps();
    ptrdiff_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        const float *a = A + p;
        const __m256 a0 = _mm256_loadu_ps(a), a1 = _mm256_loadu_ps(a + lda);
        const __m256 a2 = _mm256_loadu_ps(a + 2 * lda), a3 = _mm256_loadu_ps(a + 3 * lda);
        const __m256 a4 = ROWS > 4 ? _mm256_loadu_ps(a + 4 * lda) : zero;
        const __m256 a5 = ROWS > 4 ? _mm256_loadu_ps(a + 5 * lda) : zero;
        /* interleave pairs of rows, then gather four rows per column: the
         * low 128-bit half is column j and the high half column j + 4 */
        const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
        const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
        const __m256 t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
        __m256 top[4], low[4];
        top[0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
        top[1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
        top[2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
        top[3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
        low[0] = _mm256_shuffle_ps(t4, zero, _MM_SHUFFLE(1, 0, 1, 0));
        low[1] = _mm256_shuffle_ps(t4, zero, _MM_SHUFFLE(3, 2, 3, 2));
        low[2] = _mm256_shuffle_ps(t5, zero, _MM_SHUFFLE(1, 0, 1, 0));
        low[3] = _mm256_shuffle_ps(t5, zero, _MM_SHUFFLE(3, 2, 3, 2));
        for (int j = 0; j < 4; j++) {
            float *lo = Ap + (p + j) * ROWS, *hi = Ap + (p + j + 4) * ROWS;
            _mm_storeu_ps(lo, _mm256_castps256_ps128(top[j]));
            _mm_storeu_ps(hi, _mm256_extractf128_ps(top[j], 1));
            if (ROWS > 4) {
                _mm_storel_pi((__m64 *)(lo + 4), _mm256_castps256_ps128(low[j]));
                _mm_storel_pi((__m64 *)(hi + 4), _mm256_extractf128_ps(low[j], 1));
            }
        }
    }
    for (; p < kc; p++)
        for (int i = 0; i < ROWS; i++)
            Ap[p * ROWS + i] = A[i * lda + p];
}
#endif

/* Pack op(A)[i0:i0+mr, p0:p0+kc] column by column into Ap, kc x UK_MR, or
 * kc x UK_MR2 when mr <= UK_MR2 (the short tile), padding rows past mr with
 * zeros. transa: A is stored k x m. */
static void SFX(pack_a)(REAL *restrict Ap, int transa, const REAL *restrict A, ptrdiff_t lda,
                        ptrdiff_t i0, int mr, ptrdiff_t p0, ptrdiff_t kc)
{
    const int w = UK_SHORT(mr) ? UK_SHORT_MR : UK_MR;
    /* constant sizes, so that each memcpy compiles to a few moves */
    if (mr == UK_MR && transa) {
        for (ptrdiff_t p = 0; p < kc; p++)
            memcpy(Ap + p * UK_MR, A + (p0 + p) * lda + i0, UK_MR * sizeof(REAL));
        return;
    }
    if (mr == UK_SHORT_MR && transa) {
        for (ptrdiff_t p = 0; p < kc; p++)
            memcpy(Ap + p * UK_SHORT_MR, A + (p0 + p) * lda + i0, UK_SHORT_MR * sizeof(REAL));
        return;
    }
#ifdef UK_PACK_TRANSPOSE
    if (mr == UK_MR) {
        pack_rows_avx2(UK_MR, Ap, A + i0 * lda + p0, lda, kc);
        return;
    }
    if (mr == UK_MR2) {
        pack_rows_avx2(UK_MR2, Ap, A + i0 * lda + p0, lda, kc);
        return;
    }
#endif
    if (mr == UK_MR) {
        const REAL *rows[UK_MR];
        for (int i = 0; i < UK_MR; i++)
            rows[i] = A + (i0 + i) * lda + p0;
        for (ptrdiff_t p = 0; p < kc; p++)
            for (int i = 0; i < UK_MR; i++)
                Ap[p * UK_MR + i] = rows[i][p];
        return;
    }
    for (ptrdiff_t p = 0; p < kc; p++) {
        for (int i = 0; i < w; i++) {
            REAL v = 0;
            if (i < mr)
                v = transa ? A[(p0 + p) * lda + i0 + i] : A[(i0 + i) * lda + p0 + p];
            Ap[p * w + i] = v;
        }
    }
}

/* Pack op(B)[p0:p0+kc, j0:j0+nr] row by row into Bp (kc x UK_NR), padding
 * columns past nr with zeros. transb: B is stored n x k. */
static void SFX(pack_b)(REAL *restrict Bp, int transb, const REAL *restrict B, ptrdiff_t ldb,
                        ptrdiff_t p0, ptrdiff_t kc, ptrdiff_t j0, int nr)
{
    if (nr == UK_NR && !transb) {
        for (ptrdiff_t p = 0; p < kc; p++)
            memcpy(Bp + p * UK_NR, B + (p0 + p) * ldb + j0, UK_NR * sizeof(REAL));
        return;
    }
    if (transb) {
        /* read each column of op(B) (a row of B) contiguously */
        for (int j = 0; j < UK_NR; j++) {
            if (j >= nr) {
                for (ptrdiff_t p = 0; p < kc; p++)
                    Bp[p * UK_NR + j] = 0;
                continue;
            }
            const REAL *col = B + (j0 + j) * ldb + p0;
            for (ptrdiff_t p = 0; p < kc; p++)
                Bp[p * UK_NR + j] = col[p];
        }
        return;
    }
    for (ptrdiff_t p = 0; p < kc; p++)
        for (int j = 0; j < UK_NR; j++)
            Bp[p * UK_NR + j] = j < nr ? B[(p0 + p) * ldb + j0 + j] : 0;
}

/* sum_p op(A)[i, p] * b[p], in UK_VLEN partial sums added at the end. */
static REAL SFX(dot_row)(int transa, const REAL *A, ptrdiff_t lda, ptrdiff_t i,
                         const REAL *restrict b, ptrdiff_t k)
{
    if (transa) {
        REAL sum = 0;
        for (ptrdiff_t p = 0; p < k; p++)
            sum += A[p * lda + i] * b[p];
        return sum;
    }
    const REAL *restrict a = A + i * lda;
    SFX(vec) acc = {0};
    ptrdiff_t p = 0;
    for (; p + UK_VLEN <= k; p += UK_VLEN) {
        SFX(vec) va, vb;
        memcpy(&va, a + p, sizeof(va));
        memcpy(&vb, b + p, sizeof(vb));
        acc += va * vb;
    }
    REAL sum = 0;
    for (int l = 0; l < UK_VLEN; l++)
        sum += acc[l];
    for (; p < k; p++)
        sum += a[p] * b[p];
    return sum;
}

/* Element (i, p) of op(A). */
#define UK_OPA(i, p) (transa ? A[(p) * lda + (i)] : A[(i) * lda + (p)])

/* Columns of C per block that the direct path hands to one thread. */
#define UK_ROWS_BLOCK (8 * UK_VLEN)

/* Columns [j0, j0 + w) of row i of C := alpha op(A) B + beta C, B not
 * transposed: B is streamed row by row (four rows at a time) into the
 * accumulators acc[0 .. w). Each element is sum_p A[i, p] B[p, j] added in
 * order p = 0, 1, ..., so grouping the columns differently (another thread
 * count) gives the same bits. */
static void SFX(rows_range)(int transa, ptrdiff_t i, ptrdiff_t k, REAL alpha, const REAL *A,
                            ptrdiff_t lda, const REAL *B, ptrdiff_t ldb, REAL beta,
                            REAL *restrict acc, REAL *restrict c, ptrdiff_t j0, ptrdiff_t w,
                            const REAL *restrict bias, int relu, const REAL *restrict gate)
{
    for (ptrdiff_t j = 0; j < w; j++)
        acc[j] = 0;
    ptrdiff_t p = 0;
    for (; p + 4 <= k; p += 4) {
        const REAL a0 = UK_OPA(i, p), a1 = UK_OPA(i, p + 1);
        const REAL a2 = UK_OPA(i, p + 2), a3 = UK_OPA(i, p + 3);
        const REAL *restrict b0 = B + p * ldb + j0;
        const REAL *restrict b1 = b0 + ldb, *restrict b2 = b1 + ldb, *restrict b3 = b2 + ldb;
        for (ptrdiff_t j = 0; j < w; j++) {
            REAL t = acc[j];
            t += a0 * b0[j];
            t += a1 * b1[j];
            t += a2 * b2[j];
            t += a3 * b3[j];
            acc[j] = t;
        }
    }
    for (; p < k; p++) {
        const REAL a = UK_OPA(i, p);
        const REAL *restrict bp = B + p * ldb + j0;
        for (ptrdiff_t j = 0; j < w; j++)
            acc[j] += a * bp[j];
    }
    for (ptrdiff_t j = 0; j < w; j++) {
        REAL z = beta != 0 ? alpha * acc[j] + beta * c[j0 + j] : alpha * acc[j];
        c[j0 + j] = SFX(epilogue_value)(z, bias ? bias + j0 + j : NULL, relu,
                                        gate ? gate + j0 + j : NULL);
    }
}

/* Columns per pass of panel_row: eight vectors, at most a panel. */
#define UK_PANEL_GROUP (8 * UK_VLEN < FNN_PANEL_COLS ? 8 * UK_VLEN : FNN_PANEL_COLS)
/* Vectors of columns per pass of sparse_rows, which reads a row-major B
 * rather than panels: as many sums as the registers hold beside an input
 * and a row of B. With the four sums of a 64-column AVX-512 pass, each
 * input's four fused multiply-adds wait on the previous input's; sixteen
 * keep both FMA units busy. This is an estimate from the latency (4
 * cycles, 2 units), not measured apart from the other changes. */
#if defined(__AVX512F__)
#define UK_SPARSE_NV 16
#else
#define UK_SPARSE_NV 8
#endif
/* The maximum number of vectors of sums in panel_row_body */
#define UK_ROW_NV_MAX (UK_SPARSE_NV > UK_PANEL_GROUP / UK_VLEN ? UK_SPARSE_NV \
                                                                : UK_PANEL_GROUP / UK_VLEN)

/* Sets the NV sums to init[0 .. NV * UK_VLEN), or to +0 when init is NULL. */
static inline __attribute__((always_inline)) void
SFX(panel_row_start)(const int NV, SFX(vec) *acc, const REAL *init)
{
    for (int v = 0; v < NV; v++) {
        acc[v] = (SFX(vec)){0};
        if (init)
            memcpy(&acc[v], init + v * UK_VLEN, sizeof(acc[v]));
    }
}

/* Returns whether any lane of the NV sums is +0 or -0. */
static inline __attribute__((always_inline)) int
SFX(panel_row_has_zero)(const int NV, const SFX(vec) *acc)
{
    SFX(ivec) zero = (SFX(ivec)){0};
    for (int v = 0; v < NV; v++)
        zero |= (SFX(ivec))(acc[v] == (SFX(vec)){0});
    for (int l = 0; l < UK_VLEN; l++)
        if (zero[l])
            return 1;
    return 0;
}

/* Adds x times one row of B to the NV sums: acc[v] += x * row[v * UK_VLEN ...]. */
static inline __attribute__((always_inline)) void
SFX(panel_row_add)(const int NV, SFX(vec) *acc, REAL x, const REAL *row)
{
    const SFX(vec) ax = x - (SFX(vec)){0}; /* x - 0 == x exactly: a broadcast */
    for (int v = 0; v < NV; v++) {
        SFX(vec) b;
        memcpy(&b, row + v * UK_VLEN, sizeof(b));
        acc[v] += ax * b;
    }
}

/* c[j] := sum_p a[p * inca] B[p][j] + bias[j] (then ReLU when relu) for j <
 * cols, a multiple of NV vectors, where B has row stride ldp: a full
 * panel, or a block of a row-major matrix. The sums of NV vectors of
 * columns stay in registers over all k rows. Each sum adds a[p] B[p][j]
 * for p = 0, 1, ... in order, as rows_range does, so the bits are the
 * same. rows_range loads and stores its sums every four rows, and a
 * one-row prediction through it took about 20% longer.
 *
 * Without idx, p runs over [k0, k1). With idx, p runs over idx[0..count),
 * the positions of the nonzero inputs among rows [k0, k1), and a group
 * whose sums include a zero is summed again over all of [k0, k1) (see
 * nonzero_index). */
static inline __attribute__((always_inline)) void
SFX(panel_row_body)(const int NV, ptrdiff_t k0, ptrdiff_t k1, const int32_t *restrict idx,
                    ptrdiff_t count, const REAL *restrict a, ptrdiff_t inca,
                    const REAL *restrict panel, ptrdiff_t ldp, ptrdiff_t cols, const REAL *init,
                    REAL *c, const REAL *restrict bias, int relu)
{
    for (ptrdiff_t j0 = 0; j0 < cols; j0 += NV * UK_VLEN) {
        const REAL *start = init ? init + j0 : NULL;
        SFX(vec) acc[UK_ROW_NV_MAX];
        SFX(panel_row_start)(NV, acc, start);
        int dense = idx == NULL;
        if (idx) {
            for (ptrdiff_t q = 0; q < count; q++)
                SFX(panel_row_add)(NV, acc, a[idx[q] * inca], panel + idx[q] * ldp + j0);
            /* A zero sum may have the other sign in the full sum, so the
             * group is summed again. A start of +0 with no term stays +0. */
            if ((count > 0 || init) && SFX(panel_row_has_zero)(NV, acc)) {
                dense = 1;
                SFX(panel_row_start)(NV, acc, start);
            }
        }
        for (ptrdiff_t p = k0; dense && p < k1; p++)
            SFX(panel_row_add)(NV, acc, a[p * inca], panel + p * ldp + j0);
        for (int v = 0; v < NV; v++) {
            SFX(vec) z = acc[v];
            if (bias) {
                SFX(vec) bv;
                memcpy(&bv, bias + j0 + v * UK_VLEN, sizeof(bv));
                z += bv;
            }
            if (relu)
                z = SFX(relu_vec)(z);
            memcpy(c + j0 + v * UK_VLEN, &z, sizeof(z));
        }
    }
}

static void SFX(panel_row_from)(ptrdiff_t k, const REAL *restrict a, ptrdiff_t inca,
                                const REAL *restrict panel, ptrdiff_t ldp, ptrdiff_t cols,
                                const REAL *init, REAL *c, const REAL *restrict bias,
                                int relu)
{
    SFX(panel_row_body)(UK_PANEL_GROUP / UK_VLEN, 0, k, NULL, 0, a, inca, panel, ldp, cols,
                        init, c, bias, relu);
}

/* panel_row_from over rows [k0, k1) of a contiguous a and of B (row 0 at a
 * and panel), reading only the rows idx[0..count) where it can. */
static void SFX(panel_row_sparse)(ptrdiff_t k0, ptrdiff_t k1, const int32_t *restrict idx,
                                  ptrdiff_t count, const REAL *restrict a,
                                  const REAL *restrict panel, ptrdiff_t ldp, ptrdiff_t cols,
                                  const REAL *init, REAL *c, const REAL *restrict bias,
                                  int relu)
{
    SFX(panel_row_body)(UK_PANEL_GROUP / UK_VLEN, k0, k1, idx, count, a, 1, panel, ldp, cols,
                        init, c, bias, relu);
}

/*
 * Sparse one-row products. An input a[p] = 0 adds the product 0 * B[p][j]
 * to each sum, +0 or -0 for a finite B[p][j]. Adding +-0 leaves a nonzero
 * sum as it is. A sum of zero, though, may change sign: with fused
 * multiply-adds, a tiny negative product that underflows turns +0 into -0,
 * and a later 0 * B[p][j] > 0 turns it back into +0. Leaving out the zero
 * inputs therefore gives every sum the value of the full sum, and its bits
 * wherever the sum is not zero: at each step both are equal, or both are
 * zero. A group of columns with a sum of zero is summed again over all
 * rows (panel_row_body). Sums of exactly zero are rare, unless a column's
 * weights are zero at every nonzero input (a pruned network), whose group
 * then reads every row as before. MNIST-like
 * pixels are about 80% zeros, one-hot columns of a table mostly zeros,
 * and ReLU outputs about half. A one-row product reads all of B for about
 * two flops per value, so its time is that of reading B, and the rows left
 * out are rows never read.
 *
 * Only for finite B: 0 * inf is NaN. The Predictor's panels hold finite
 * weights only (fnn_net_pack_panels), so gemm_rows_panels and
 * rows_panels_resume take this path; gemm_rows, which serves training,
 * does not. The list of positions lives in per-thread scratch memory, not
 * on the stack, which may be as small as 32 KiB in a Python thread.
 */

/* Sets idx[0..count) to the positions p < k of the values a[p] != 0 (NaN
 * included), in increasing order, and returns count. idx has room for k
 * values. The AVX-512 loop stores all 16 lanes at idx + count, and the
 * next store overwrites those past the count. Since count <= p and p + 16
 * <= k, no store passes idx[k - 1]. */
static ptrdiff_t SFX(nonzero_index)(const REAL *restrict a, ptrdiff_t k, int32_t *restrict idx)
{
    ptrdiff_t count = 0, p = 0;
#if defined(__AVX512F__) && UK_REAL_IS_FLOAT
    const __m512i step = _mm512_set1_epi32(16);
    __m512i at = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; p + 16 <= k; p += 16) {
        const __mmask16 nz = _mm512_cmp_ps_mask(_mm512_loadu_ps(a + p), _mm512_setzero_ps(),
                                                _CMP_NEQ_UQ);
        /* the nonzero lanes' positions, packed at the front of the store */
        _mm512_storeu_si512(idx + count, _mm512_maskz_compress_epi32(nz, at));
        count += __builtin_popcount(nz);
        at = _mm512_add_epi32(at, step);
    }
#endif
    for (; p < k; p++) {
        idx[count] = (int32_t)p;
        count += !(a[p] == 0);
    }
    return count;
}

/* Returns the positions of the nonzero values of a[0..k) in per-thread
 * scratch memory and sets *count. Returns NULL when fewer than a quarter
 * of the values are zero (the sums then read every row) or when no memory
 * is left. */
static const int32_t *SFX(sparse_inputs)(const REAL *a, ptrdiff_t k, ptrdiff_t *count)
{
    if (k <= 0 || k > INT32_MAX)
        return NULL;
    int32_t *idx = fnn_scratch(FNN_SCRATCH_INDEX, (size_t)k * sizeof(int32_t));
    if (!idx)
        return NULL;
    *count = SFX(nonzero_index)(a, k, idx);
    return *count <= k - k / 4 ? idx : NULL;
}

/* Runs panel_row_from with sums that start at zero. Starting instead from
 * the sums of the first rows gives the bits of one pass over all rows. */
static inline void SFX(panel_row)(ptrdiff_t k, const REAL *restrict a, ptrdiff_t inca,
                                  const REAL *restrict panel, ptrdiff_t ldp, ptrdiff_t cols,
                                  REAL *restrict c, const REAL *restrict bias, int relu)
{
    SFX(panel_row_from)(k, a, inca, panel, ldp, cols, NULL, c, bias, relu);
}

/* rows_range, with whole blocks of UK_ROWS_BLOCK columns through
 * panel_row when the product is plain (alpha 1, beta 0, no gate): the same
 * bits either way. */
static void SFX(rows_cols)(int transa, ptrdiff_t i, ptrdiff_t k, REAL alpha, const REAL *A,
                           ptrdiff_t lda, const REAL *B, ptrdiff_t ldb, REAL beta,
                           REAL *restrict acc, REAL *restrict c, ptrdiff_t j0, ptrdiff_t w,
                           const REAL *restrict bias, int relu, const REAL *restrict gate)
{
    ptrdiff_t whole = 0;
    if (alpha == 1 && beta == 0 && !gate) {
        whole = w / UK_ROWS_BLOCK * UK_ROWS_BLOCK;
        if (whole > 0)
            SFX(panel_row)(k, transa ? A + i : A + i * lda, transa ? lda : 1, B + j0, ldb, whole,
                           c + j0, bias ? bias + j0 : NULL, relu);
    }
    if (whole < w)
        SFX(rows_range)(transa, i, k, alpha, A, lda, B, ldb, beta, acc + whole, c, j0 + whole,
                        w - whole, bias, relu, gate);
}

/* Computes C[i][j] := sum_p A[i][p] B[p][j] + bias[j] (then ReLU when
 * relu) for i < m and j < n, row by row, for row-major A and B: the first
 * layer of a batch prediction from rows with many zeros. Where a quarter
 * or more of row i's inputs are zero, the sums read only the rows of B at
 * its nonzero inputs (panel_row_body). The columns go in passes of 16, 8,
 * 4, 2 and 1 vectors (at most UK_SPARSE_NV), the widest that fit, and the
 * last partial vector through rows_range, which reads every input. A
 * row's bits are those of one sum over all of its inputs in order, and
 * depend on no other row. B must be finite. */
static void SFX(sparse_rows)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const REAL *A,
                             ptrdiff_t lda, const REAL *B, ptrdiff_t ldb, REAL *C,
                             ptrdiff_t ldc, const REAL *bias, int relu)
{
    const ptrdiff_t whole = n / UK_VLEN * UK_VLEN;
    REAL tail[UK_VLEN];
    for (ptrdiff_t i = 0; i < m; i++) {
        const REAL *a = A + i * lda;
        REAL *c = C + i * ldc;
        ptrdiff_t count = 0, j0 = 0;
        const int32_t *idx = whole > 0 ? SFX(sparse_inputs)(a, k, &count) : NULL;
#define UK_SPARSE_PASS(NVP)                                                                 \
    if ((NVP) <= UK_SPARSE_NV && (whole - j0) / ((NVP) * UK_VLEN) > 0) {                   \
        const ptrdiff_t w = (whole - j0) / ((NVP) * UK_VLEN) * ((NVP) * UK_VLEN);          \
        SFX(panel_row_body)((NVP), 0, k, idx, idx ? count : 0, a, 1, B + j0, ldb, w, NULL, \
                            c + j0, bias ? bias + j0 : NULL, relu);                        \
        j0 += w;                                                                           \
    }
        UK_SPARSE_PASS(16)
        UK_SPARSE_PASS(8)
        UK_SPARSE_PASS(4)
        UK_SPARSE_PASS(2)
        UK_SPARSE_PASS(1)
#undef UK_SPARSE_PASS
        if (whole < n)
            SFX(rows_range)(0, i, k, 1, A, lda, B, ldb, 0, tail, c, whole, n - whole, bias,
                            relu, NULL);
    }
}

/* The number of parts in which a one- or two-row product sums its inner
 * dimension (see rows_parts). Part c covers k * c / parts <= p < k * (c + 1)
 * / parts. The count depends on k alone, never on the threads: a power of
 * two of at most UK_KPARTS_MAX, with at least 96 rows of B per part, and a
 * sum of fewer than 384 rows stays whole. Each part costs a combining pass
 * and shorter sums in registers, and buys a finer split of the rows for
 * the fused one-row update (rows_plan). On an Intel Xeon at 2 threads, a
 * one-row prediction of workload A through gemm_rows took 5.9 us whole,
 * 6.4 us in 4 parts and 7.4 us in 16. Through the Predictor's panels it
 * took 5.71 us in 4 parts and 5.75 in 8, which give rows_plan a finer
 * cut. */
#define UK_KPARTS_MAX 16
#define UK_KPARTS(k)                                                            \
    ((k) < 384 ? 1 : (k) < 768 ? 4 : (k) < 1536 ? 8 : UK_KPARTS_MAX)

/* Sets C[i, j] := alpha s + beta C[i, j], then the epilogue, for i < m and
 * j0 <= j < j1. Here s = ((P_0 + P_1) + P_2) + ... over the parts' sums
 * P_c = part[(c * m + i) * n + j], added in this order for any thread
 * count. */
static void SFX(combine_parts)(int parts, ptrdiff_t m, ptrdiff_t n, const REAL *restrict part,
                               REAL alpha, REAL beta, REAL *C, ptrdiff_t ldc, ptrdiff_t j0,
                               ptrdiff_t j1, const REAL *restrict bias, int relu,
                               const REAL *restrict gate, ptrdiff_t ldg)
{
    enum { BLOCK = 256 };
    REAL sum[BLOCK] __attribute__((aligned(FNN_ALIGN)));
    for (ptrdiff_t i = 0; i < m; i++) {
        REAL *restrict c = C + i * ldc;
        /* part by part over a block of columns, so that the adds are vectorized */
        for (ptrdiff_t b0 = j0; b0 < j1; b0 += BLOCK) {
            const ptrdiff_t w = j1 - b0 < BLOCK ? j1 - b0 : BLOCK;
            const REAL *restrict p0 = part + i * n + b0;
            for (ptrdiff_t j = 0; j < w; j++)
                sum[j] = p0[j];
            for (int q = 1; q < parts; q++) {
                const REAL *restrict pq = part + (q * m + i) * n + b0;
                for (ptrdiff_t j = 0; j < w; j++)
                    sum[j] += pq[j];
            }
            for (ptrdiff_t j = 0; j < w; j++) {
                REAL z = beta != 0 ? alpha * sum[j] + beta * c[b0 + j] : alpha * sum[j];
                c[b0 + j] = SFX(epilogue_value)(z, bias ? bias + b0 + j : NULL, relu,
                                                gate ? gate + i * ldg + b0 + j : NULL);
            }
        }
    }
}

/* Returns the first part that thread t of a team sums in rows_parts (the
 * part count for t = team). By default (lead < 0) each thread takes whole
 * parts in equal numbers. With lead >= 0, thread 0 takes the first lead
 * parts and the others share the rest equally: the fused one-row update
 * gives the calling thread the small layers as well, and rows_plan evens
 * out the shares here. Each part is summed alike on any thread, so the cut
 * never changes the bits. */
static int SFX(part_cut)(int parts, int team, ptrdiff_t lead, int t)
{
    if (t >= team)
        return parts;
    if (lead < 0 || team < 2)
        return parts * t / team;
    if (t == 0)
        return 0;
    return (int)lead + (parts - (int)lead) * (t - 1) / (team - 1);
}

/* Computes gemm_rows for a long inner dimension (UK_KPARTS(k) > 1) and B
 * not transposed. Thread t of `team` sums its parts (part_cut) of the
 * inner dimension for all n columns into `part` (parts x m x n). After a
 * barrier (the pool's when `pool` is set, else the OpenMP team's), each
 * thread combines the parts over its own range of columns.
 * Each thread reads contiguous rows of B, the rows whose weights and
 * optimizer states the fused one-row update (update_blocks, rows_share)
 * gives to the same thread. Summed by columns instead, half of each weight
 * matrix moved between the cores at every step of online training. A part
 * cut between its columns puts pieces of each row on two threads: a
 * batch-1 step of workload A then took 83-100 us instead of 51 (Intel
 * Xeon, 2 threads). Each core's prefetcher pulled in the other's lines. */
static void SFX(rows_parts)(int transa, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, REAL alpha,
                            const REAL *A, ptrdiff_t lda, const REAL *B, ptrdiff_t ldb,
                            REAL beta, REAL *part, REAL *C, ptrdiff_t ldc,
                            const REAL *restrict bias, int relu, const REAL *restrict gate,
                            ptrdiff_t ldg, int t, int team, ptrdiff_t lead, int pool)
{
    const int parts = UK_KPARTS(k);
    /* Whole blocks of columns keep their sums in registers (panel_row). The
     * other columns go through rows_range, as in rows_cols, with their sums
     * in `tail`. */
    const ptrdiff_t whole = n / UK_ROWS_BLOCK * UK_ROWS_BLOCK;
    REAL tail[UK_ROWS_BLOCK];
    const int q1 = SFX(part_cut)(parts, team, lead, t + 1);
    for (int q = SFX(part_cut)(parts, team, lead, t); q < q1; q++) {
        const ptrdiff_t k0 = k * q / parts, k1 = k * (q + 1) / parts;
        const REAL *Aq = transa ? A + k0 * lda : A + k0;
        for (ptrdiff_t i = 0; i < m; i++) {
            REAL *dst = part + (q * m + i) * n;
            if (whole > 0)
                SFX(panel_row)(k1 - k0, transa ? Aq + i : Aq + i * lda, transa ? lda : 1,
                               B + k0 * ldb, ldb, whole, dst, NULL, 0);
            if (whole < n)
                SFX(rows_range)(transa, i, k1 - k0, 1, Aq, lda, B + k0 * ldb, ldb, 0, tail, dst,
                                whole, n - whole, NULL, 0, NULL);
        }
    }
    if (team > 1)
        FNN_TEAM_BARRIER(pool, t, team);
    SFX(combine_parts)(parts, m, n, part, alpha, beta, C, ldc, n * t / team, n * (t + 1) / team,
                       bias, relu, gate, ldg);
}

/* The arguments of rows_parts, for a job of the thread pool. */
typedef struct {
    int transa;
    ptrdiff_t m, n, k;
    REAL alpha, beta;
    const REAL *A, *B;
    ptrdiff_t lda, ldb, ldc, ldg;
    REAL *part, *C;
    const REAL *bias, *gate;
    int relu;
    ptrdiff_t lead;
} SFX(parts_job);

static void SFX(run_parts_job)(void *arg, int t, int team)
{
    const SFX(parts_job) *j = arg;
    SFX(rows_parts)(j->transa, j->m, j->n, j->k, j->alpha, j->A, j->lda, j->B, j->ldb, j->beta,
                    j->part, j->C, j->ldc, j->bias, j->relu, j->gate, j->ldg, t, team, j->lead,
                    1);
}

/* Returns the team size of gemm_rows for m rows of C. The product is
 * memory-bound, so the bytes of B, read once per row of C, weigh in the
 * thread policy. Without parts, a single block of columns stays on one
 * thread. */
static int SFX(rows_team)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, int parts)
{
    const ptrdiff_t blocks = (n + UK_ROWS_BLOCK - 1) / UK_ROWS_BLOCK;
    if (parts == 1 && blocks < 2)
        return 1;
    return fnn_threads_for(2.0 * (double)m * (double)n * (double)k * (double)sizeof(REAL));
}

/* Direct GEMM for a few rows (one-row prediction, for example), where
 * packing B would cost more than the multiply. One or two rows with a long
 * inner dimension go to rows_parts. Otherwise, without transposed B, large
 * matrices split their columns over threads in blocks, so each thread
 * streams its own slice of B, which then stays in its core's cache across
 * calls. With B transposed, each entry is a dot product accumulated in
 * UK_VLEN lanes. row is scratch of n elements. */
static void SFX(gemm_rows)(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                           REAL alpha, const REAL *A, ptrdiff_t lda, const REAL *B,
                           ptrdiff_t ldb, REAL beta, REAL *restrict row, REAL *C, ptrdiff_t ldc,
                           const REAL *restrict bias, int relu, const REAL *restrict gate,
                           ptrdiff_t ldg, ptrdiff_t lead)
{
    REAL *part = !transb && UK_KPARTS(k) > 1 && m <= 2
                     ? fnn_scratch(FNN_SCRATCH_PARTIAL,
                                   (size_t)(UK_KPARTS(k) * m * n) * sizeof(REAL))
                     : NULL;
    if (part) {
        const int nt = SFX(rows_team)(m, n, k, UK_KPARTS(k));
        fnn_note_parallel(nt);
#ifdef _OPENMP
        if (nt > 1) {
            /* on the thread pool when no OpenMP region runs or ran just
             * before, because its fork, join and barrier cost less (see
             * fnn_team.c) */
            SFX(parts_job) job = {transa, m,   n,    k, alpha, beta, A,    B,    lda,
                                  ldb,    ldc, ldg,  part, C,  bias, gate, relu, lead};
            if (fnn_team_run(nt, SFX(run_parts_job), &job))
                return;
            fnn_omp_begin();
#pragma omp parallel num_threads(nt)
            SFX(rows_parts)(transa, m, n, k, alpha, A, lda, B, ldb, beta, part, C, ldc, bias,
                            relu, gate, ldg, omp_get_thread_num(), omp_get_num_threads(), lead,
                            0);
            fnn_omp_end();
            return;
        }
#endif
        SFX(rows_parts)(transa, m, n, k, alpha, A, lda, B, ldb, beta, part, C, ldc, bias, relu,
                        gate, ldg, 0, 1, lead, 0);
        return;
    }
    /* NOTE: with no memory for the parts, a long sum is taken whole below,
     * rounded differently from the parts. */
    if (!transb) {
        const int nt = SFX(rows_team)(m, n, k, 1);
        fnn_note_parallel(nt);
        if (nt <= 1) {
            for (ptrdiff_t i = 0; i < m; i++)
                SFX(rows_cols)(transa, i, k, alpha, A, lda, B, ldb, beta, row, C + i * ldc, 0, n,
                               bias, relu, gate ? gate + i * ldg : NULL);
            return;
        }
#ifdef _OPENMP
        fnn_omp_begin();
#pragma omp parallel num_threads(nt)
        {
            /* a contiguous range of whole blocks per thread */
            const ptrdiff_t blocks = (n + UK_ROWS_BLOCK - 1) / UK_ROWS_BLOCK;
            const int t = omp_get_thread_num(), team = omp_get_num_threads();
            const ptrdiff_t b0 = blocks * t / team, b1 = blocks * (t + 1) / team;
            const ptrdiff_t j0 = b0 * UK_ROWS_BLOCK;
            const ptrdiff_t j1 = b1 * UK_ROWS_BLOCK < n ? b1 * UK_ROWS_BLOCK : n;
            for (ptrdiff_t i = 0; j1 > j0 && i < m; i++)
                SFX(rows_cols)(transa, i, k, alpha, A, lda, B, ldb, beta, row + j0,
                               C + i * ldc, j0, j1 - j0, bias, relu,
                               gate ? gate + i * ldg : NULL);
        }
        fnn_omp_end();
#endif
        return;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        REAL *c = C + i * ldc;
        for (ptrdiff_t j = 0; j < n; j++)
            row[j] = SFX(dot_row)(transa, A, lda, i, B + j * ldb, k);
        for (ptrdiff_t j = 0; j < n; j++) {
            REAL z = beta != 0 ? alpha * row[j] + beta * c[j] : alpha * row[j];
            c[j] = SFX(epilogue_value)(z, bias ? bias + j : NULL, relu,
                                       gate ? gate + i * ldg + j : NULL);
        }
    }
}

/* Sets the part of B (k x n, not transposed) that thread t reads when
 * gemm_rows computes one row with this lead (part_cut): rows [*k0, *k1)
 * and columns [*j0, *j1), both empty when t is outside the team. Returns
 * the team size, 1 when gemm_rows runs on the calling thread alone. The
 * fused one-row update (update_blocks) gives each thread the weights that
 * it read in the forward pass, so this must follow the splits of gemm_rows
 * and rows_parts above. rows_share_in takes the team size that rows_share
 * returns, so that the threads of one update split with the same size even
 * when another thread changes the thread count meanwhile. */
static void SFX(rows_share_in)(ptrdiff_t n, ptrdiff_t k, ptrdiff_t lead, int team, int t,
                               ptrdiff_t *k0, ptrdiff_t *k1, ptrdiff_t *j0, ptrdiff_t *j1)
{
    const int parts = UK_KPARTS(k);
    const ptrdiff_t blocks = (n + UK_ROWS_BLOCK - 1) / UK_ROWS_BLOCK;
    *k0 = 0;
    *k1 = k;
    *j0 = 0;
    *j1 = n;
    if (t >= team) {
        *k1 = 0;
        *j1 = 0;
    } else if (team > 1 && parts > 1) {
        *k0 = k * SFX(part_cut)(parts, team, lead, t) / parts;
        *k1 = k * SFX(part_cut)(parts, team, lead, t + 1) / parts;
    } else if (team > 1) {
        *j0 = blocks * t / team * UK_ROWS_BLOCK;
        *j1 = blocks * (t + 1) / team * UK_ROWS_BLOCK;
        *j1 = *j1 < n ? *j1 : n;
    }
}

static int SFX(rows_share)(ptrdiff_t n, ptrdiff_t k, ptrdiff_t lead, int t, ptrdiff_t *k0,
                           ptrdiff_t *k1, ptrdiff_t *j0, ptrdiff_t *j1)
{
    const int team = SFX(rows_team)(1, n, k, UK_KPARTS(k));
    SFX(rows_share_in)(n, k, lead, team, t, k0, k1, j0, j1);
    return team;
}

/* Returns the largest number of values that one thread of a team updates
 * in a fused one-row step when the largest layer summed in parts (K x M, in
 * `parts` parts) is cut with this lead. other[t] is thread t's count in the
 * other blocks. */
static double SFX(plan_load)(const double *other, int team, ptrdiff_t K, ptrdiff_t M, int parts,
                             ptrdiff_t lead)
{
    double max_load = 0;
    for (int t = 0; t < team; t++) {
        const ptrdiff_t k0 = K * SFX(part_cut)(parts, team, lead, t) / parts;
        const ptrdiff_t k1 = K * SFX(part_cut)(parts, team, lead, t + 1) / parts;
        const double load = other[t] + (double)(k1 - k0) * (double)M;
        max_load = load > max_load ? load : max_load;
    }
    return max_load;
}

/* Sets lead[l] for layer l (K = sizes[l] rows, M = sizes[l + 1] columns)
 * of a network of L layers for the fused one-row update: -1 for the
 * default split, else the parts of the layer that the calling thread takes
 * (part_cut). shares, when not NULL, receives what thread t < threads
 * updates of layer l's weights (b = 0) and bias (b = 1): the rectangle
 * k0, k1, j0, j1 of rows_share at shares[((2 l + b) threads + t) 4].
 *
 * The calling thread also updates the layers and biases that the forward
 * pass computes on it alone. With an even split of the largest layer
 * summed in parts, its share was the longest: on workload A at 2 threads,
 * 134,794 values against 100,352 (4 parts). The plan takes the lead whose
 * longest share is shortest, when that beats the default split. On
 * workload A that is 3 of 8 parts, 109,706 values against 125,440, and a
 * step took 46-48 instead of 48-52 us (Intel Xeon). */
static void SFX(rows_plan)(const int *sizes, int L, ptrdiff_t *lead, int threads,
                           ptrdiff_t *shares)
{
    int big = -1;
    for (int l = 0; l < L; l++) {
        lead[l] = -1;
        const ptrdiff_t K = sizes[l], M = sizes[l + 1];
        const int parts = UK_KPARTS(K);
        if (parts > 1 && SFX(rows_team)(1, M, K, parts) > 1 &&
            (big < 0 || K * M > (ptrdiff_t)sizes[big] * sizes[big + 1]))
            big = l;
    }
    const ptrdiff_t Kb = big < 0 ? 0 : sizes[big], Mb = big < 0 ? 0 : sizes[big + 1];
    const int parts = UK_KPARTS(Kb);
    const int team = big < 0 ? 0 : SFX(rows_team)(1, Mb, Kb, parts);
    double *other = team > 0 ? calloc((size_t)team, sizeof(double)) : NULL;
    if (other) {
        for (int l = 0; l < L; l++) {
            for (int b = 0; b < 2; b++) {
                if (l == big && b == 0)
                    continue; /* the layer being planned */
                for (int t = 0; t < team; t++) {
                    ptrdiff_t k0, k1, j0, j1;
                    SFX(rows_share)(sizes[l + 1], b ? 1 : sizes[l], -1, t, &k0, &k1, &j0, &j1);
                    other[t] += (double)(k1 - k0) * (double)(j1 - j0);
                }
            }
        }
        double best = SFX(plan_load)(other, team, Kb, Mb, parts, -1);
        for (int cut = 0; cut <= parts; cut++) {
            const double load = SFX(plan_load)(other, team, Kb, Mb, parts, cut);
            if (load < best) {
                best = load;
                lead[big] = cut;
            }
        }
        free(other);
    }
    for (int l = 0; shares && l < L; l++)
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < threads; t++) {
                ptrdiff_t *r = shares + ((2 * l + b) * threads + t) * 4;
                SFX(rows_share)(sizes[l + 1], b ? 1 : sizes[l], b ? -1 : lead[l], t, &r[0],
                                &r[1], &r[2], &r[3]);
            }
}

/* gemm_rows for B stored as column panels (fnn_net_pack_panels), serial,
 * over panels [b0, b1): C[m, n] := A B + bias, then ReLU when relu, in
 * those panels' columns. The caller splits the panels over threads. Each
 * element is summed as in rows_range, so the bits equal gemm_rows'. One
 * row with enough zeros reads only the rows of B of its nonzero inputs
 * (see nonzero_index), in full panels. */
static void SFX(gemm_rows_panels)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const REAL *A,
                                  ptrdiff_t lda, const REAL *panels, ptrdiff_t b0, ptrdiff_t b1,
                                  REAL *restrict row, REAL *C, ptrdiff_t ldc, const REAL *bias,
                                  int relu)
{
    const int parts = UK_KPARTS(k);
    ptrdiff_t count = 0; /* nonzero inputs; idx NULL for the dense loops */
    const int32_t *idx = m == 1 && b1 > b0 ? SFX(sparse_inputs)(A, k, &count) : NULL;
    for (ptrdiff_t b = b0; b < b1; b++) {
        const ptrdiff_t j0 = b * FNN_PANEL_COLS;
        const ptrdiff_t w = n - j0 < FNN_PANEL_COLS ? n - j0 : FNN_PANEL_COLS;
        const REAL *panel = panels + j0 * k;
        if (parts > 1) {
            /* the sum in the parts of gemm_rows, combined the same way */
            REAL part[UK_KPARTS_MAX * FNN_PANEL_MAX_ROWS * FNN_PANEL_COLS]
                __attribute__((aligned(FNN_ALIGN)));
            ptrdiff_t q0 = 0; /* the first nonzero input of part q */
            for (int q = 0; q < parts; q++) {
                const ptrdiff_t k0 = k * q / parts, k1 = k * (q + 1) / parts;
                if (idx && w == FNN_PANEL_COLS) {
                    ptrdiff_t q1 = q0;
                    while (q1 < count && idx[q1] < k1)
                        q1++;
                    SFX(panel_row_sparse)(k0, k1, idx + q0, q1 - q0, A, panel, w, w, NULL,
                                          part + q * w, NULL, 0);
                    q0 = q1;
                    continue;
                }
                for (ptrdiff_t i = 0; i < m; i++) {
                    REAL *dst = part + (q * m + i) * w;
                    if (w == FNN_PANEL_COLS)
                        SFX(panel_row)(k1 - k0, A + i * lda + k0, 1, panel + k0 * w, w, w, dst,
                                       NULL, 0);
                    else
                        SFX(rows_range)(0, i, k1 - k0, 1, A + k0, lda, panel + k0 * w, w, 0,
                                        row + j0, dst, 0, w, NULL, 0, NULL);
                }
            }
            SFX(combine_parts)(parts, m, w, part, 1, 0, C + j0, ldc, 0, w,
                               bias ? bias + j0 : NULL, relu, NULL, 0);
            continue;
        }
        for (ptrdiff_t i = 0; i < m; i++) {
            if (w == FNN_PANEL_COLS && idx)
                SFX(panel_row_sparse)(0, k, idx, count, A, panel, FNN_PANEL_COLS,
                                      FNN_PANEL_COLS, NULL, C + j0, bias ? bias + j0 : NULL,
                                      relu);
            else if (w == FNN_PANEL_COLS)
                SFX(panel_row)(k, A + i * lda, 1, panel, FNN_PANEL_COLS, FNN_PANEL_COLS,
                               C + i * ldc + j0, bias ? bias + j0 : NULL, relu);
            else
                SFX(rows_range)(0, i, k, 1, A, lda, panel, w, 0, row + j0, C + i * ldc + j0, 0,
                                w, bias ? bias + j0 : NULL, relu, NULL);
        }
    }
}

/* Computes the one-row gemm_rows_panels of an n-column layer with k
 * inputs in two calls, with its bits. With begin set, acc[j] := sum over p <
 * k1 of a[p] B[p][j]. With begin 0, the sums go on from acc over k1 <= p <
 * k, and c[j] := sum + bias[j], then ReLU when relu. The Predictor's
 * calling thread begins a small layer over the inputs it computed itself
 * while the other threads finish theirs. Returns 0 and does nothing where
 * gemm_rows_panels would sum in parts, or n leaves a narrow panel. */
static int SFX(rows_panels_resume)(int begin, ptrdiff_t n, ptrdiff_t k, ptrdiff_t k1,
                                   const REAL *a, const REAL *panels, REAL *acc, REAL *c,
                                   const REAL *bias, int relu)
{
    if (UK_KPARTS(k) > 1 || n % FNN_PANEL_COLS != 0 || k1 < 0 || k1 > k)
        return 0;
    /* the inputs of this call, [0, k1) or [k1, k), sparse as in gemm_rows_panels */
    const ptrdiff_t p0 = begin ? 0 : k1, len = begin ? k1 : k - k1;
    ptrdiff_t count = 0;
    const int32_t *idx = SFX(sparse_inputs)(a + p0, len, &count);
    for (ptrdiff_t j0 = 0; j0 < n; j0 += FNN_PANEL_COLS) {
        const REAL *panel = panels + j0 * k + p0 * FNN_PANEL_COLS;
        const REAL *init = begin ? NULL : acc + j0;
        REAL *dst = begin ? acc + j0 : c + j0;
        const REAL *b = begin || !bias ? NULL : bias + j0;
        const int r = !begin && relu;
        if (idx)
            SFX(panel_row_sparse)(0, len, idx, count, a + p0, panel, FNN_PANEL_COLS,
                                  FNN_PANEL_COLS, init, dst, b, r);
        else
            SFX(panel_row_from)(len, a + p0, 1, panel, FNN_PANEL_COLS, FNN_PANEL_COLS, init,
                                dst, b, r);
    }
    return 1;
}

#undef UK_ROWS_BLOCK
#undef UK_KPARTS
#undef UK_KPARTS_MAX
#undef UK_OPA
#undef UK_SHORT
#undef UK_SHORT_MR
#undef UK_PANEL_GROUP
#undef UK_PACK_TRANSPOSE
