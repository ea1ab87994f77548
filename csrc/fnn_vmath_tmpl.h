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
 * else 1 - 2 / (e^{2|x|} + 1) with the sign restored; |x| >= 9 gives +-1.
 * logistic: e = exp(-|x|), then 1 / (1 + e) or e / (1 + e) by sign, so
 * neither branch overflows.
 * All three stay within a few float32 ulp of the exact function and keep
 * NaN as NaN (tests compare them with NumPy in float64).
 */
#include <stdint.h>
#include <string.h>

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

static inline vf32 vmin_f32(vf32 a, vf32 b)
{
    return vselect_f32(a < b, a, b);
}

static inline vf32 vmax_f32(vf32 a, vf32 b)
{
    return vselect_f32(a > b, a, b);
}

static inline vf32 vabs_f32(vf32 x)
{
    return (vf32)((vi32)x & 0x7fffffff);
}

static inline vf32 vexp_f32(vf32 in)
{
    const vi32 is_nan = in != in, underflow = in < -87.3f;
    vf32 x = vmin_f32(vmax_f32(in, vsplat_f32(-87.3f)), vsplat_f32(88.7f));

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
    y = vselect_f32(underflow, vsplat_f32(0), y * scale);
    return vselect_f32(is_nan, in, y);
}

static inline vf32 vlogistic_f32(vf32 x)
{
    vf32 e = vexp_f32(-vabs_f32(x));
    vf32 inv = 1.0f / (1.0f + e);
    return vselect_f32(x != x, x, vselect_f32(x >= 0, inv, e * inv));
}

static inline vf32 vtanh_f32(vf32 x)
{
    vf32 ax = vmin_f32(vabs_f32(x), vsplat_f32(9.0f));

    /* small |x|: x + x^3 P(x^2) */
    vf32 z = x * x;
    vf32 p = vsplat_f32(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    vf32 small = p * z * x + x;

    /* large |x|: sign(x) (1 - 2 / (e^{2|x|} + 1)) */
    vf32 big = 1.0f - 2.0f / (vexp_f32(ax + ax) + 1.0f);
    big = (vf32)((vi32)big | ((vi32)x & INT32_MIN));
    return vselect_f32(x != x, x, vselect_f32(ax < 0.625f, small, big));
}

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
