/*
 * Vectorised float32 exp, tanh and logistic, and the bias + activation row
 * kernel built on them; compiled per ISA like the GEMM micro-kernel.
 *
 * Expects: UK_VLEN (floats per vector). Defines static vexp_f32,
 * vtanh_f32, vlogistic_f32, act_rows_f32 and exp_array_f32.
 *
 * exp: Cody-Waite reduction x = n ln2 + r with |r| <= ln2/2, a degree-6
 * polynomial for e^r (the coefficients of Cephes' expf, S. Moshier), and
 * 2^n built in the exponent field. Inputs above 88.7 give e^88.7 (no
 * overflow to inf); inputs below -87.3 give 0 instead of a denormal.
 * tanh: an odd polynomial for |x| < 0.625 (Cephes' tanhf coefficients),
 * else 1 - 2 / (e^{2|x|} + 1) with the sign restored, and |x| clamped to
 * 9.1, where that rounds to +-1 as tanh does from 13 ln 2 = 9.0109 on.
 * There e^{2|x|} skips exp's range guards, and the AVX2 unit takes 2 / d
 * from the reciprocal estimate and a Newton step instead of a division,
 * and min and max as single instructions. Bias + tanh over 4096 x 256
 * floats on one core then took 777 instead of 912 us with AVX2 (Intel
 * Xeon). The error stayed within 1.4 eps of float64 over [-12, 12]. The
 * AVX-512 unit instead takes piecewise polynomials from a table for
 * |x| >= 0.625 (its own vtanh_f32 below).
 * logistic: e = exp(-|x|), then 1 / (1 + e) or e / (1 + e) by sign, so
 * neither branch overflows.
 * All three stay within a few float32 ulp of the exact function and keep
 * NaN as NaN (tests compare them with NumPy in float64).
 */
#include <stdint.h>
#include <string.h>

/* The x86 vector width whose instructions the code below may use directly:
 * 512 or 256 bits when UK_VLEN matches the unit's ISA, else 0. */
#if defined(__AVX512F__) && UK_VLEN == 16
#define VMATH_X86 512
#elif defined(__AVX__) && UK_VLEN == 8
#define VMATH_X86 256
#else
#define VMATH_X86 0
#endif
#if VMATH_X86
#include <immintrin.h>
#endif

typedef float vf32 __attribute__((vector_size(UK_VLEN * sizeof(float))));
typedef int32_t vi32 __attribute__((vector_size(UK_VLEN * sizeof(float))));

static inline vf32 vsplat_f32(float x)
{
    return x - (vf32){0};
}

/* Lanes of a where mask is set, else lanes of b. */
static inline vf32 vselect_f32(vi32 mask, vf32 a, vf32 b)
{
    return (vf32)((mask & (vi32)a) | (~mask & (vi32)b));
}

/* Returns a < b ? a : b per lane, so b where either is NaN, as minps
 * computes it. */
static inline vf32 vmin_f32(vf32 a, vf32 b)
{
#if VMATH_X86 == 512
    return (vf32)_mm512_min_ps((__m512)a, (__m512)b);
#elif VMATH_X86 == 256
    return (vf32)_mm256_min_ps((__m256)a, (__m256)b);
#else
    return vselect_f32(a < b, a, b);
#endif
}

/* Returns a > b ? a : b per lane, so b where either is NaN, as maxps
 * computes it. */
static inline vf32 vmax_f32(vf32 a, vf32 b)
{
#if VMATH_X86 == 512
    return (vf32)_mm512_max_ps((__m512)a, (__m512)b);
#elif VMATH_X86 == 256
    return (vf32)_mm256_max_ps((__m256)a, (__m256)b);
#else
    return vselect_f32(a > b, a, b);
#endif
}

static inline vf32 vabs_f32(vf32 x)
{
    return (vf32)((vi32)x & 0x7fffffff);
}

/* Returns e^x for -87.3 <= x <= 88.7, without guards for NaN, overflow or
 * underflow. */
static inline vf32 vexp_range_f32(vf32 x)
{
    /* n = round(x / ln2) with the 1.5 * 2^23 trick; r = x - n ln2 in two parts */
    const vf32 shifter = vsplat_f32(12582912.0f);
    vf32 t = x * 1.44269504088896341f + shifter;
    vf32 n = t - shifter;
    vf32 r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;

    vf32 p = vsplat_f32(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    vf32 y = p * r * r + r + 1.0f;

    /* scale by 2^n: add n to the exponent field */
    vi32 ni = (vi32)t - (vi32)shifter;
    vf32 scale = (vf32)((ni + 127) << 23);
    return y * scale;
}

static inline vf32 vexp_f32(vf32 in)
{
    const vi32 is_nan = in != in, underflow = in < -87.3f;
    vf32 x = vmin_f32(vmax_f32(in, vsplat_f32(-87.3f)), vsplat_f32(88.7f));
    vf32 y = vselect_f32(underflow, vsplat_f32(0), vexp_range_f32(x));
    return vselect_f32(is_nan, in, y);
}

static inline vf32 vlogistic_f32(vf32 x)
{
    vf32 e = vexp_f32(-vabs_f32(x));
    vf32 inv = 1.0f / (1.0f + e);
    return vselect_f32(x != x, x, vselect_f32(x >= 0, inv, e * inv));
}

/* Returns 2 / d for d >= 1, within about an ulp. With AVX it comes from
 * the reciprocal estimate and one Newton step for the quotient, which
 * keeps the divider (a vector per 8-10 cycles) out of the loop. The
 * AVX-512 unit's tanh needs no quotient. */
static inline vf32 vtwo_over_f32(vf32 d)
{
#if VMATH_X86 == 256
    const vf32 r = (vf32)_mm256_rcp_ps((__m256)d); /* relative error < 1.5 * 2^-12 */
    const vf32 q = r + r;
    return q + r * (2.0f - d * q); /* squares the error: < 2^-23 after rcpps */
#else
    return 2.0f / d;
#endif
}

/* tanh for |x| < 0.625: x + x^3 P(x^2). */
static inline vf32 vtanh_small_f32(vf32 x)
{
    vf32 z = x * x;
    vf32 p = vsplat_f32(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    return p * z * x + x;
}

#if VMATH_X86 == 512
#include "fnn_tanh_table.h"

/* Looks up entry idx (0-31, only the low 5 bits count) of a 32-entry table. */
static inline __m512 tanh_lookup(const float *table, __m512i idx)
{
    return _mm512_permutex2var_ps(_mm512_loadu_ps(table), idx, _mm512_loadu_ps(table + 16));
}

/* tanh with AVX-512: for |x| >= 0.625, a degree-5 polynomial per interval
 * of width 0.25 (fnn_tanh_table.h, made by tanh_table.py), whose
 * coefficients come from two-table permutes. That takes no exp and no
 * reciprocal. On one core of the Intel Xeon, bias + tanh over 4096 x 256
 * floats took 751-780 instead of 1060-1081 us (NumPy's add and tanh:
 * 890-986 us). Over 128 x 256 it took 24 instead of 32-34 us (NumPy:
 * 27-29 us). Both from alternating runs. */
static inline vf32 vtanh_f32(vf32 xv)
{
    const __m512 x = (__m512)xv;
    const __m512 ax = _mm512_abs_ps(x);
    /* min returns its second operand, ax, when ax is NaN, so NaN stays NaN */
    const __m512 clamped = _mm512_min_ps(_mm512_set1_ps(9.5f), ax);
    /* interval (|x| - 0.625) / 0.25; lanes below 0.625 take the small branch */
    __m512i idx = _mm512_cvttps_epi32(
        _mm512_fmsub_ps(clamped, _mm512_set1_ps(4.0f), _mm512_set1_ps(2.5f)));
    idx = _mm512_min_epi32(idx, _mm512_set1_epi32(31));
    const __m512 t = _mm512_sub_ps(clamped, tanh_lookup(tanh_center, idx));
    __m512 p = tanh_lookup(tanh_coef[5], idx);
    p = _mm512_fmadd_ps(p, t, tanh_lookup(tanh_coef[4], idx));
    p = _mm512_fmadd_ps(p, t, tanh_lookup(tanh_coef[3], idx));
    p = _mm512_fmadd_ps(p, t, tanh_lookup(tanh_coef[2], idx));
    p = _mm512_fmadd_ps(p, t, tanh_lookup(tanh_coef[1], idx));
    p = _mm512_fmadd_ps(p, t, tanh_lookup(tanh_coef[0], idx));
    /* From 13 ln 2 on, 1 - tanh|x| < 2^-25 and tanh rounds to 1 in float32,
     * while the polynomial gives the float below 1. The compare is false
     * for NaN. */
    p = _mm512_mask_mov_ps(p, _mm512_cmp_ps_mask(ax, _mm512_set1_ps(9.0109f), _CMP_GE_OQ),
                           _mm512_set1_ps(1.0f));
    /* the sign of x on the positive result */
    const __m512 big = _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_castps_si512(p),
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN))));
    const __mmask16 small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    return (vf32)_mm512_mask_blend_ps(small, big, (__m512)vtanh_small_f32(xv));
}
#else
static inline vf32 vtanh_f32(vf32 x)
{
    vf32 ax = vmin_f32(vabs_f32(x), vsplat_f32(9.1f));
    vf32 small = vtanh_small_f32(x);

    /* large |x|: sign(x) (1 - 2 / (e^{2|x|} + 1)). The clamp keeps NaN and
     * small lanes inside the range of vexp_range_f32. */
    const vf32 a = vmax_f32(ax, vsplat_f32(0.625f));
    vf32 big = 1.0f - vtwo_over_f32(vexp_range_f32(a + a) + 1.0f);
    big = (vf32)((vi32)big | ((vi32)x & INT32_MIN));
    return vselect_f32(x != x, x, vselect_f32(ax < 0.625f, small, big));
}
#endif

/* Z[i, :] := act(Z[i, :] + b) for n rows of m columns, row stride ldz;
 * b may be NULL. act is FNN_ACT_LOGISTIC or FNN_ACT_TANH. */
static void act_rows_f32(float *Z, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ldz, const float *b,
                         int act)
{
    const int logistic = act == FNN_ACT_LOGISTIC;
    for (ptrdiff_t i = 0; i < n; i++) {
        float *z = Z + i * ldz;
        ptrdiff_t j = 0;
        for (; j + UK_VLEN <= m; j += UK_VLEN) {
            vf32 v, bias = {0};
            memcpy(&v, z + j, sizeof(v));
            if (b)
                memcpy(&bias, b + j, sizeof(bias));
            v += bias;
            v = logistic ? vlogistic_f32(v) : vtanh_f32(v);
            memcpy(z + j, &v, sizeof(v));
        }

        /* the last m % UK_VLEN columns, through a zero-padded vector */
        if (j < m) {
            const size_t tail = (size_t)(m - j) * sizeof(float);
            vf32 v = {0}, bias = {0};
            memcpy(&v, z + j, tail);
            if (b)
                memcpy(&bias, b + j, tail);
            v += bias;
            v = logistic ? vlogistic_f32(v) : vtanh_f32(v);
            memcpy(z + j, &v, tail);
        }
    }
}

/* dst[i] := exp(src[i]) for i < n; dst may be src. */
static void exp_array_f32(float *dst, const float *src, ptrdiff_t n)
{
    ptrdiff_t i = 0;
    for (; i + UK_VLEN <= n; i += UK_VLEN) {
        vf32 v;
        memcpy(&v, src + i, sizeof(v));
        v = vexp_f32(v);
        memcpy(dst + i, &v, sizeof(v));
    }
    if (i < n) {
        const size_t tail = (size_t)(n - i) * sizeof(float);
        vf32 v = {0};
        memcpy(&v, src + i, tail);
        v = vexp_f32(v);
        memcpy(dst + i, &v, tail);
    }
}
#undef VMATH_X86
