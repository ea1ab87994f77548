/* Elementwise kernels and losses for float and double; see fnn_ops_tmpl.h. */
#include "fnn_internal.h"

#include <math.h>
#include <string.h>

/* Blocks of the non-finite scan: a branch-free test over a block, and an
 * exact search only in a block that failed it. */
#define SCAN_BLOCK 1024

/* The exponent field is all ones (infinity or NaN) exactly when adding one
 * unit to the masked exponent carries into the sign bit. BITS is the
 * unsigned integer of the float's width, EXP its exponent mask, ONE the
 * lowest exponent bit and SIGN the sign bit's position. */
#define FIRST_NONFINITE(NAME, REAL, BITS, EXP, ONE, SIGN)                          \
    ptrdiff_t NAME(const REAL *x, ptrdiff_t n)                                      \
    {                                                                               \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += SCAN_BLOCK) {                          \
            const ptrdiff_t len = n - i0 < SCAN_BLOCK ? n - i0 : SCAN_BLOCK;        \
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
    }

FIRST_NONFINITE(fnn_first_nonfinite_f32, float, uint32_t, 0x7f800000u, 0x00800000u, 31)
FIRST_NONFINITE(fnn_first_nonfinite_f64, double, uint64_t, 0x7ff0000000000000u,
                0x0010000000000000u, 63)
#undef FIRST_NONFINITE
#undef SCAN_BLOCK

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
