/* Elementwise kernels and losses for float and double; see fnn_ops_tmpl.h. */
#include "fnn_internal.h"

#include <math.h>
#include <string.h>

/* Blocks of the non-finite scan: a branch-free test over a block, and an
 * exact search only in a block that failed it. */
#define SCAN_BLOCK 1024
/* At most this many threads share one scan. */
#define SCAN_MAX_PARTS 64

/* The exponent field is all ones (infinity or NaN) exactly when adding one
 * unit to the masked exponent carries into the sign bit. BITS is the
 * unsigned integer of the float's width, EXP its exponent mask, ONE the
 * lowest exponent bit and SIGN the sign bit's position. The scan of a
 * large array (a chunk of rows to predict) splits into one contiguous part
 * per thread, and the first part that finds a value gives the position. */
#define FIRST_NONFINITE(NAME, SCAN, REAL, BITS, EXP, ONE, SIGN)                    \
    static ptrdiff_t SCAN(const REAL *x, ptrdiff_t begin, ptrdiff_t end)            \
    {                                                                               \
        for (ptrdiff_t i0 = begin; i0 < end; i0 += SCAN_BLOCK) {                    \
            const ptrdiff_t len = end - i0 < SCAN_BLOCK ? end - i0 : SCAN_BLOCK;    \
            BITS bad = 0;                                                           \
            for (ptrdiff_t i = 0; i < len; i++) {                                   \
                BITS u;                                                             \
                memcpy(&u, x + i0 + i, sizeof(u));                                  \
                bad |= ((u & (EXP)) + (ONE)) >> (SIGN);                             \
            }                                                                       \
            if (bad)                                                                \
                for (ptrdiff_t i = 0; i < len; i++)                                 \
                    if (!isfinite(x[i0 + i]))                                       \
                        return i0 + i;                                              \
        }                                                                           \
        return -1;                                                                  \
    }                                                                               \
                                                                                    \
    ptrdiff_t NAME(const REAL *x, ptrdiff_t n)                                      \
    {                                                                               \
        /* memory-bound: weigh the bytes read */                                    \
        int nt = fnn_threads_for((double)n * (double)sizeof(REAL));                 \
        if (nt > SCAN_MAX_PARTS)                                                    \
            nt = SCAN_MAX_PARTS;                                                    \
        if (nt <= 1)                                                                \
            return SCAN(x, 0, n);                                                   \
        fnn_note_parallel(nt);                                                      \
        ptrdiff_t found[SCAN_MAX_PARTS];                                            \
        FNN_PARALLEL_FOR(for (int t = 0; t < nt; t++) {                             \
            found[t] = SCAN(x, n * t / nt, n * (t + 1) / nt);                       \
        });                                                                         \
        for (int t = 0; t < nt; t++)                                                \
            if (found[t] >= 0)                                                      \
                return found[t];                                                    \
        return -1;                                                                  \
    }

FIRST_NONFINITE(fnn_first_nonfinite_f32, scan_nonfinite_f32, float, uint32_t, 0x7f800000u,
                0x00800000u, 31)
FIRST_NONFINITE(fnn_first_nonfinite_f64, scan_nonfinite_f64, double, uint64_t,
                0x7ff0000000000000u, 0x0010000000000000u, 63)
#undef FIRST_NONFINITE
#undef SCAN_BLOCK
#undef SCAN_MAX_PARTS

#define REAL float
#define SFX(name) name##_f32
#define EXP expf
#define LOG1P log1pf
#define TANH tanhf
#define EXPM1 expm1f
#define OPS_VECTOR_ACT 1 /* bias + logistic/tanh through the ISA's vector kernel */
#include "fnn_ops_tmpl.h"
#undef OPS_VECTOR_ACT
#undef REAL
#undef SFX
#undef EXP
#undef LOG1P
#undef TANH
#undef EXPM1

#define REAL double
#define SFX(name) name##_f64
#define EXP exp
#define LOG1P log1p
#define TANH tanh
#define EXPM1 expm1
#include "fnn_ops_tmpl.h"
