/*
 * GEMM micro-kernel, written once with GCC/Clang vector extensions and
 * compiled per ISA: each fnn_ukernel_<isa>.c defines the element type and
 * the register tile, then includes this file. The compiler maps the vector
 * type onto whatever registers the unit's flags allow (SSE2/NEON, AVX2+FMA,
 * AVX-512).
 *
 * Expects: REAL, SFX(name), UK_MR, UK_NR (a multiple of UK_VLEN), UK_VLEN.
 * Contract: see fnn_internal.h; Ap is kc x UK_MR, Bp is kc x UK_NR.
 */
#include <string.h>

typedef REAL SFX(vec) __attribute__((vector_size(UK_VLEN * sizeof(REAL))));
#define UK_NV (UK_NR / UK_VLEN)

static void SFX(ukernel)(ptrdiff_t kc, REAL alpha, const REAL *restrict Ap,
                         const REAL *restrict Bp, REAL beta, REAL *restrict C, ptrdiff_t ldc,
                         int m, int n)
{
    SFX(vec) acc[UK_MR][UK_NV];
    for (int i = 0; i < UK_MR; i++)
        for (int v = 0; v < UK_NV; v++)
            acc[i][v] = (SFX(vec)){0};

    /* rank-1 updates: acc += Ap[:, p] * Bp[p, :] */
    for (ptrdiff_t p = 0; p < kc; p++) {
        SFX(vec) b[UK_NV];
        for (int v = 0; v < UK_NV; v++)
            memcpy(&b[v], Bp + p * UK_NR + v * UK_VLEN, sizeof(b[v]));
        for (int i = 0; i < UK_MR; i++) {
            SFX(vec) a = (SFX(vec)){0} + Ap[p * UK_MR + i];
            for (int v = 0; v < UK_NV; v++)
                acc[i][v] += a * b[v];
        }
    }

    /* store: full tiles straight to C, edge tiles element by element */
    if (m == UK_MR && n == UK_NR) {
        for (int i = 0; i < UK_MR; i++) {
            for (int v = 0; v < UK_NV; v++) {
                SFX(vec) c = acc[i][v] * alpha;
                REAL *dst = C + i * ldc + v * UK_VLEN;
                if (beta != 0) {
                    SFX(vec) old;
                    memcpy(&old, dst, sizeof(old));
                    c += old * beta;
                }
                memcpy(dst, &c, sizeof(c));
            }
        }
        return;
    }
    REAL tile[UK_MR][UK_NR];
    memcpy(tile, acc, sizeof(tile));
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            REAL c = alpha * tile[i][j];
            C[i * ldc + j] = beta != 0 ? c + beta * C[i * ldc + j] : c;
        }
    }
}
#undef UK_NV
