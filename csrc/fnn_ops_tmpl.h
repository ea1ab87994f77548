/*
 * Elementwise kernels, output heads and losses for one element type.
 * Expects: REAL, SFX(name), EXP, LOG1P, TANH, EXPM1 (libm functions of REAL).
 *
 * Rows are independent, so row loops may run on several threads; every sum
 * over rows (losses, bias gradients) runs in row order on one thread per
 * output, which keeps results independent of the thread count.
 */

/* Returns logistic(z) from e = exp(-|z|), which lies in [0, 1]. */
static inline REAL SFX(logistic_of_exp)(REAL z, REAL e)
{
    return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/* logistic(z) = 1 / (1 + exp(-z)), written so that exp never overflows. */
static inline REAL SFX(logistic)(REAL z)
{
    return SFX(logistic_of_exp)(z, EXP(z < 0 ? z : -z));
}

static inline REAL SFX(activate)(REAL z, int act)
{
    switch (act) {
    case FNN_ACT_LOGISTIC:
        return SFX(logistic)(z);
    case FNN_ACT_TANH:
        return TANH(z);
    case FNN_ACT_RELU:
        return z < 0 ? 0 : z; /* NaN stays NaN */
    case FNN_ACT_LEAKY_RELU:
        return z < 0 ? (REAL)0.01 * z : z;
    case FNN_ACT_ELU:
        return z < 0 ? EXPM1(z) : z;
    case FNN_ACT_GELU:
        /* Phi(z) = erfc(-z / sqrt 2) / 2 keeps its precision for z << 0;
         * double precision keeps the rounding of -z / sqrt 2 out of the tail */
        if (z < -40) /* the value is below 1e-300 there, and -inf * 0 would be NaN */
            return (REAL)-0.0;
        return (REAL)(0.5 * (double)z * erfc(-(double)z / 1.41421356237309504880));
    default:
        return z;
    }
}

/* Relative cost of one activation in flops, for the thread decision: the
 * vectorised float kernels cost a few, libm's scalar calls about 20. */
static double SFX(act_cost)(int act)
{
    if (act == FNN_ACT_ELU || act == FNN_ACT_GELU)
        return 20.0;
    if (act != FNN_ACT_LOGISTIC && act != FNN_ACT_TANH)
        return 1.0;
#ifdef OPS_VECTOR_ACT
    return 4.0;
#else
    return 20.0;
#endif
}

void SFX(fnn_bias_act)(REAL *Z, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ldz, const REAL *b, int act)
{
    const int nt = fnn_threads_for((double)n * (double)m * SFX(act_cost)(act));
    fnn_note_parallel(nt);
#ifdef OPS_VECTOR_ACT
    if (act == FNN_ACT_LOGISTIC || act == FNN_ACT_TANH) {
        const fnn_act_rows_f32 act_rows = fnn_kernels()->act_rows_f32;
        FNN_PARALLEL_FOR(for (ptrdiff_t i = 0; i < n; i++) {
            act_rows(Z + i * ldz, 1, m, ldz, b, act);
        });
        return;
    }
#endif
    FNN_PARALLEL_FOR(for (ptrdiff_t i = 0; i < n; i++) {
        REAL *z = Z + i * ldz;
        if (b)
            for (ptrdiff_t j = 0; j < m; j++)
                z[j] += b[j];
        if (act == FNN_ACT_RELU) {
            for (ptrdiff_t j = 0; j < m; j++)
                z[j] = z[j] < 0 ? 0 : z[j];
        } else if (act != FNN_ACT_IDENTITY) {
            for (ptrdiff_t j = 0; j < m; j++)
                z[j] = SFX(activate)(z[j], act);
        }
    });
}

/* Differentiates A = act(Z) using the stored output A, which has the sign
 * of Z: logistic' = A (1 - A), tanh' = 1 - A^2, relu' = [A > 0],
 * leaky_relu' = 1 or 0.01, elu' = 1 or A + 1. */
void SFX(fnn_act_backward)(REAL *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const REAL *A, int act)
{
    if (act == FNN_ACT_IDENTITY)
        return;
    const int nt = fnn_threads_for((double)n * (double)m * 2.0);
    fnn_note_parallel(nt);
    FNN_PARALLEL_FOR(for (ptrdiff_t i = 0; i < n; i++) {
        REAL *d = dZ + i * ld;
        const REAL *a = A + i * ld;
        switch (act) {
        case FNN_ACT_LOGISTIC:
            for (ptrdiff_t j = 0; j < m; j++)
                d[j] *= a[j] * (1 - a[j]);
            break;
        case FNN_ACT_TANH:
            for (ptrdiff_t j = 0; j < m; j++)
                d[j] *= 1 - a[j] * a[j];
            break;
        case FNN_ACT_RELU:
            for (ptrdiff_t j = 0; j < m; j++)
                d[j] = a[j] > 0 ? d[j] : 0;
            break;
        case FNN_ACT_LEAKY_RELU:
            for (ptrdiff_t j = 0; j < m; j++)
                d[j] = a[j] > 0 ? d[j] : (REAL)0.01 * d[j];
            break;
        case FNN_ACT_ELU:
            for (ptrdiff_t j = 0; j < m; j++)
                d[j] = a[j] > 0 ? d[j] : (a[j] + 1) * d[j];
            break;
        }
    });
}

void SFX(fnn_gelu_backward)(REAL *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const REAL *Z)
{
    const int nt = fnn_threads_for((double)n * (double)m * 20.0);
    fnn_note_parallel(nt);
    FNN_PARALLEL_FOR(for (ptrdiff_t i = 0; i < n; i++) {
        REAL *d = dZ + i * ld;
        const REAL *z = Z + i * ld;
        for (ptrdiff_t j = 0; j < m; j++) {
            const double zj = z[j];
            if (zj < -40) { /* gelu' is below 1e-300 there; -inf * 0 would be NaN */
                d[j] = 0;
                continue;
            }
            const double cdf = 0.5 * erfc(-zj / 1.41421356237309504880);
            const double pdf = 0.39894228040143267794 * exp(-0.5 * zj * zj);
            d[j] = (REAL)((double)d[j] * (cdf + zj * pdf));
        }
    });
}

/* dst[j] := exp(src[j]) for j < n (dst may be src), by the ISA's vector exp
 * for float (a few ulp) and libm's exp for double. Pass only arguments <= 0,
 * because above 88.7 the vector exp returns e^88.7, not infinity. */
typedef void (*SFX(exp_array_fn))(REAL *dst, const REAL *src, ptrdiff_t n);

#ifdef OPS_VECTOR_ACT
static SFX(exp_array_fn) SFX(exp_array)(void)
{
    return fnn_kernels()->exp_array_f32;
}
#else
static void SFX(exp_libm)(REAL *dst, const REAL *src, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++)
        dst[i] = EXP(src[i]);
}

static SFX(exp_array_fn) SFX(exp_array)(void)
{
    return SFX(exp_libm);
}
#endif

/* E[i][j] := exp(Z[i][j] - max_j Z[i][j]) for n rows of m (row stride m),
 * with one exp_array call over the block; E may be Z. */
static void SFX(shifted_exp)(REAL *E, const REAL *Z, ptrdiff_t n, ptrdiff_t m,
                             SFX(exp_array_fn) exp_array)
{
    for (ptrdiff_t i = 0; i < n; i++) {
        const REAL *z = Z + i * m;
        REAL *e = E + i * m;
        REAL zmax = z[0];
        for (ptrdiff_t j = 1; j < m; j++)
            zmax = z[j] > zmax ? z[j] : zmax;
        for (ptrdiff_t j = 0; j < m; j++)
            e[j] = z[j] - zmax;
    }
    exp_array(E, E, n * m);
}

/* Rows per block of the softmax and logistic heads, one vector call each. */
#define HEAD_ROWS 64

/* P := softmax of each row of Z, exp(z - max z) / sum exp(z - max z). */
static void SFX(softmax_rows)(REAL *P, const REAL *Z, ptrdiff_t n, ptrdiff_t m,
                              SFX(exp_array_fn) exp_array)
{
    SFX(shifted_exp)(P, Z, n, m, exp_array);
    for (ptrdiff_t i = 0; i < n; i++) {
        REAL *p = P + i * m;
        REAL sum = 0;
        for (ptrdiff_t j = 0; j < m; j++)
            sum += p[j];
        for (ptrdiff_t j = 0; j < m; j++)
            p[j] /= sum;
    }
}

void SFX(fnn_output)(REAL *P, const REAL *Z, ptrdiff_t n, ptrdiff_t m, int out)
{
    /* A float32 softmax takes about 1.7 ns per element on one core, the
     * time of 150 GEMM flops. The identity head is a copy. */
    const double cost = out == FNN_OUT_IDENTITY ? 1.0 : 150.0;
    const int nt = fnn_threads_for((double)n * (double)m * cost);
    fnn_note_parallel(nt);
    if (out == FNN_OUT_SOFTMAX) {
        const SFX(exp_array_fn) exp_array = SFX(exp_array)();
        const ptrdiff_t blocks = (n + HEAD_ROWS - 1) / HEAD_ROWS;
        FNN_PARALLEL_FOR(for (ptrdiff_t b = 0; b < blocks; b++) {
            const ptrdiff_t i0 = b * HEAD_ROWS;
            const ptrdiff_t rows = n - i0 < HEAD_ROWS ? n - i0 : HEAD_ROWS;
            SFX(softmax_rows)(P + i0 * m, Z + i0 * m, rows, m, exp_array);
        });
        return;
    }
#ifdef OPS_VECTOR_ACT
    if (out == FNN_OUT_LOGISTIC) {
        /* the rows are contiguous, so each block takes one vector call */
        const fnn_act_rows_f32 act_rows = fnn_kernels()->act_rows_f32;
        const ptrdiff_t blocks = (n + HEAD_ROWS - 1) / HEAD_ROWS;
        FNN_PARALLEL_FOR(for (ptrdiff_t b = 0; b < blocks; b++) {
            const ptrdiff_t i0 = b * HEAD_ROWS;
            const ptrdiff_t len = (n - i0 < HEAD_ROWS ? n - i0 : HEAD_ROWS) * m;
            if (P != Z)
                memcpy(P + i0 * m, Z + i0 * m, (size_t)len * sizeof(REAL));
            act_rows(P + i0 * m, 1, len, len, NULL, FNN_ACT_LOGISTIC);
        });
        return;
    }
#endif
    FNN_PARALLEL_FOR(for (ptrdiff_t i = 0; i < n; i++) {
        REAL *p = P + i * m;
        const REAL *z = Z + i * m;
        if (out == FNN_OUT_LOGISTIC) {
            for (ptrdiff_t j = 0; j < m; j++)
                p[j] = SFX(logistic)(z[j]);
        } else if (out == FNN_OUT_EXP) {
            for (ptrdiff_t j = 0; j < m; j++)
                p[j] = EXP(z[j]);
        } else if (p != z) {
            for (ptrdiff_t j = 0; j < m; j++)
                p[j] = z[j];
        }
    });
}
#undef HEAD_ROWS

/* Columns of exp(z - max z) per block when the gradient is not wanted. */
#define LOSS_BLOCK 256

/*
 * Loss of one row and, when dz != NULL, its gradient dz = d loss / dz:
 *   softmax:  lse(z) * sum(y) - y.z                  dz = p * sum(y) - y
 *   logistic: sum max(z,0) - z y + log1p(exp(-|z|))  dz = logistic(z) - y
 *   identity: 0.5 * sum (z - y)^2                    dz = z - y
 *   exp:      sum y log(y / e^z) - y + e^z           dz = e^z - y
 * (the last is the Poisson deviance of the prediction e^z, with 0 log 0 = 0)
 * For softmax, dz must contain exp(z - max z) on entry (fnn_loss writes it).
 */
static double SFX(row_loss)(REAL *dz, const REAL *z, const REAL *y, ptrdiff_t m, int out,
                            SFX(exp_array_fn) exp_array)
{
    double loss = 0;
    if (out == FNN_OUT_SOFTMAX) {
        REAL zmax = z[0];
        for (ptrdiff_t j = 1; j < m; j++)
            zmax = z[j] > zmax ? z[j] : zmax;
        double sum_exp = 0, sum_y = 0, yz = 0;
        for (ptrdiff_t j = 0; j < m; j++) {
            sum_y += y[j];
            yz += (double)y[j] * (double)(z[j] - zmax);
        }
        /* e_j = exp(z_j - max z): already in dz when the gradient is
         * wanted (fnn_loss), else computed here in blocks */
        if (dz) {
            for (ptrdiff_t j = 0; j < m; j++)
                sum_exp += dz[j];
        } else {
            REAL block[LOSS_BLOCK];
            for (ptrdiff_t j0 = 0; j0 < m; j0 += LOSS_BLOCK) {
                const ptrdiff_t len = m - j0 < LOSS_BLOCK ? m - j0 : LOSS_BLOCK;
                for (ptrdiff_t j = 0; j < len; j++)
                    block[j] = z[j0 + j] - zmax;
                exp_array(block, block, len);
                for (ptrdiff_t j = 0; j < len; j++)
                    sum_exp += block[j];
            }
        }
        loss = log(sum_exp) * sum_y - yz;
        if (dz)
            for (ptrdiff_t j = 0; j < m; j++)
                dz[j] = (REAL)(dz[j] / sum_exp * sum_y) - y[j];
    } else if (out == FNN_OUT_LOGISTIC) {
        for (ptrdiff_t j = 0; j < m; j++) {
            REAL zj = z[j];
            /* exp(-|z|) serves both the loss and logistic(z) */
            const REAL e = EXP(zj < 0 ? zj : -zj);
            loss += (zj > 0 ? zj : 0) - zj * y[j] + LOG1P(e);
            if (dz)
                dz[j] = SFX(logistic_of_exp)(zj, e) - y[j];
        }
    } else if (out == FNN_OUT_EXP) {
        for (ptrdiff_t j = 0; j < m; j++) {
            const double e = exp((double)z[j]), yj = y[j];
            loss += (yj > 0 ? yj * (log(yj) - (double)z[j]) : 0) - yj + e;
            if (dz)
                dz[j] = (REAL)(e - yj);
        }
    } else {
        for (ptrdiff_t j = 0; j < m; j++) {
            REAL r = z[j] - y[j];
            loss += 0.5 * (double)r * (double)r;
            if (dz)
                dz[j] = r;
        }
    }
    return loss;
}

double SFX(fnn_loss)(REAL *dZ, const REAL *Z, const REAL *Y, const REAL *w, ptrdiff_t n,
                     ptrdiff_t m, int out)
{
    double total = 0, weight_sum = 0;
    const SFX(exp_array_fn) exp_array = SFX(exp_array)();
    if (dZ && out == FNN_OUT_SOFTMAX)
        SFX(shifted_exp)(dZ, Z, n, m, exp_array); /* read by row_loss */
    for (ptrdiff_t i = 0; i < n; i++) {
        double wi = w ? (double)w[i] : 1.0;
        total += wi * SFX(row_loss)(dZ ? dZ + i * m : NULL, Z + i * m, Y + i * m, m, out,
                                    exp_array);
        weight_sum += wi;
    }
    if (weight_sum <= 0) {
        /* no row counts, so neither the loss nor its gradient has a term */
        if (dZ)
            for (ptrdiff_t i = 0; i < n * m; i++)
                dZ[i] = 0;
        return 0;
    }

    /* dZ so far contains per-row gradients: scale row i by w_i / sum(w) */
    if (dZ) {
        for (ptrdiff_t i = 0; i < n; i++) {
            const REAL scale = (REAL)((w ? (double)w[i] : 1.0) / weight_sum);
            for (ptrdiff_t j = 0; j < m; j++)
                dZ[i * m + j] *= scale;
        }
    }
    return total / weight_sum;
}

#undef LOSS_BLOCK

#define COL_CHUNK 64

void SFX(fnn_col_sum)(REAL *db, const REAL *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld)
{
    const ptrdiff_t n_chunks = (m + COL_CHUNK - 1) / COL_CHUNK;
    int nt = fnn_threads_for((double)n * (double)m);
    if (nt > n_chunks)
        nt = (int)n_chunks;
    fnn_note_parallel(nt);

    /* each chunk of columns is summed by one thread, rows in order */
    FNN_PARALLEL_FOR(for (ptrdiff_t c = 0; c < n_chunks; c++) {
        const ptrdiff_t j0 = c * COL_CHUNK;
        const ptrdiff_t j1 = j0 + COL_CHUNK < m ? j0 + COL_CHUNK : m;
        for (ptrdiff_t j = j0; j < j1; j++)
            db[j] = 0;
        for (ptrdiff_t i = 0; i < n; i++)
            for (ptrdiff_t j = j0; j < j1; j++)
                db[j] += dZ[i * ld + j];
    });
}
#undef COL_CHUNK
