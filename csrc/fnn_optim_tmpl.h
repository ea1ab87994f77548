/*
 * Optimizer updates, for one element type, compiled per ISA (included by
 * each fnn_ukernel_<isa>.c). Expects: REAL, SFX(name), SQRT.
 *
 * Every update goes through update_range, so the flat update after a full
 * backward pass and the update fused into the backward pass (update_blocks)
 * do the same arithmetic on each element. Elements are independent, so the
 * loops split over threads without changing any result.
 *
 * SGD with momentum mu and learning rate lr (scikit-learn's SGDOptimizer):
 *   v := mu v - lr g;  p += v, or p += mu v - lr g with Nesterov momentum.
 * Adam (Kingma and Ba, 2015) in scikit-learn's form, with bias correction
 * folded into the step size (fnn_optimizer_begin computes it):
 *   m := b1 m + (1 - b1) g;  v := b2 v + (1 - b2) g^2
 *   p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 * Decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019) first: p := (1 - lr wd) p, outside the gradient.
 */

#include <float.h>

/* Elements per block of the flat update, and the longest gradient row that
 * update_rows keeps on the stack. */
#define OPT_BLOCK 2048

#if defined(__AVX512F__) && UK_REAL_IS_FLOAT && !defined(FNN_ADAM_VECTOR_F32)
#define FNN_ADAM_VECTOR_F32 1
#include <immintrin.h>
/*
 * update_range's Adam loop for float32 with AVX-512. sqrt(v) comes from
 * the 14-bit reciprocal square-root estimate y and one Newton step,
 * s (1.5 - 0.5 v y^2) with s = v y: at most 1 ulp from the exact root over
 * every seventh normal float32. The exact vsqrtps and vdivps share one
 * divider. Lanes with v = +-0, +inf or NaN take v itself, their exact
 * root, and so does a subnormal v, which denormals-are-zero counts as 0.
 * A negative v, which no update produces, is stored as 0, as in the
 * portable loop.
 *
 * Its callers run it with flush-to-zero set (fnn_flush_begin), so a moment
 * that would be subnormal is already 0 and the loop needs none of the
 * compares of the portable loop below. Full vectors are loaded and stored
 * without masks and only the last partial vector takes them. Over 117,760
 * values resident in L2, one core of the Xeon in bench/README.md took
 * 48 us with the exact root, 42 us with the estimate, masks on every
 * vector and the compares, and 30 us as here. Element i gets the same bits
 * at any position in a buffer of any length.
 */
static inline __attribute__((always_inline)) void
adam_vector_avx512(const __m512 *c, float *p, float *s1, float *s2, const float *g,
                   __mmask16 k)
{
    /* c: beta1, beta2, 1 - beta1, 1 - beta2, step, epsilon, 0.5, scale */
    __m512 m, v;
    const __m512 gi = g ? _mm512_mul_ps(c[7], _mm512_maskz_loadu_ps(k, g)) : _mm512_setzero_ps();
    if (!g || (k == 0xffff &&
               _mm512_cmp_ps_mask(gi, _mm512_setzero_ps(), _CMP_EQ_OQ) == 0xffff)) {
        /* A zero gradient (g == NULL, or 0 in every lane): an input of 0
         * in a one-row step, common with sparse or one-hot inputs. The sums
         * below reduce to beta1 m and beta2 v, which round the same. Only
         * the sign of a zero moment may differ from the portable loop's. */
        m = _mm512_mul_ps(c[0], _mm512_maskz_loadu_ps(k, s1));
        v = _mm512_max_ps(_mm512_setzero_ps(), _mm512_mul_ps(c[1], _mm512_maskz_loadu_ps(k, s2)));
    } else {
        m = _mm512_fmadd_ps(c[0], _mm512_maskz_loadu_ps(k, s1), _mm512_mul_ps(c[2], gi));
        /* max(0, v) returns v when v is NaN */
        v = _mm512_max_ps(_mm512_setzero_ps(),
                          _mm512_fmadd_ps(c[1], _mm512_maskz_loadu_ps(k, s2),
                                          _mm512_mul_ps(_mm512_mul_ps(c[3], gi), gi)));
    }
    _mm512_mask_storeu_ps(s1, k, m);
    _mm512_mask_storeu_ps(s2, k, v);
    /* QNaN, +0, -0, +inf, subnormal, SNaN */
    const __mmask16 special = _mm512_fpclass_ps_mask(v, 0xaf);
    const __m512 y = _mm512_rsqrt14_ps(v);
    const __m512 s = _mm512_mul_ps(v, y);
    const __m512 r = _mm512_fnmadd_ps(_mm512_mul_ps(s, y), c[6], c[6]);
    const __m512 root = _mm512_mask_mov_ps(_mm512_fmadd_ps(s, r, s), special, v);
    const __m512 q = _mm512_div_ps(_mm512_mul_ps(c[4], m), _mm512_add_ps(root, c[5]));
    _mm512_mask_storeu_ps(p, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, p), q));
}

/* Runs adam_vector_avx512 over n elements. Inlined once with g == NULL and
 * once with a gradient, so the zero-gradient loop has no test of g. */
static inline __attribute__((always_inline)) void
adam_loop_avx512(const __m512 *c, float *p, float *s1, float *s2, const float *g, ptrdiff_t n)
{
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16)
        adam_vector_avx512(c, p + i, s1 + i, s2 + i, g ? g + i : NULL, (__mmask16)0xffff);
    if (i < n)
        adam_vector_avx512(c, p + i, s1 + i, s2 + i, g ? g + i : NULL,
                           (__mmask16)((1u << (n - i)) - 1));
}

/* Sets the constants c[0..8) of adam_vector_avx512, with the gradient's scale. */
static inline void adam_constants_avx512(const fnn_update *u, float scale, __m512 *c)
{
    c[0] = _mm512_set1_ps((float)u->beta1);
    c[1] = _mm512_set1_ps((float)u->beta2);
    c[2] = _mm512_set1_ps((float)(1 - u->beta1));
    c[3] = _mm512_set1_ps((float)(1 - u->beta2));
    c[4] = _mm512_set1_ps((float)u->step);
    c[5] = _mm512_set1_ps((float)u->epsilon);
    c[6] = _mm512_set1_ps(0.5f);
    c[7] = _mm512_set1_ps(scale);
}

static void adam_range_avx512(const fnn_update *u, float *restrict p, float *restrict s1,
                              float *restrict s2, float scale, const float *restrict g,
                              ptrdiff_t n)
{
    __m512 c[8];
    adam_constants_avx512(u, scale, c);
    if (g)
        adam_loop_avx512(c, p, s1, s2, g, n);
    else
        adam_loop_avx512(c, p, s1, s2, NULL, n); /* without the gradient's loads and products */
}

/* Updates rows [k0, k1), columns [j0, j1) of W in the fused one-row
 * update without weight decay or L2 term, from the gradient a[k] d[j]. A
 * row with a[k] = 0 takes the zero gradient when zero_rows is set. Each
 * row gets the vectors of adam_range_avx512, but the constants are set
 * once, not once per row: a batch-1 step of workload A updates 1,168
 * rows of at most 256 values. */
static void adam_rows_avx512(const fnn_update *u, float *restrict W, float *restrict S1,
                             float *restrict S2, const float *restrict a,
                             const float *restrict d, ptrdiff_t M, ptrdiff_t k0, ptrdiff_t k1,
                             ptrdiff_t j0, ptrdiff_t j1, int zero_rows)
{
    __m512 c[8];
    adam_constants_avx512(u, 0.0f, c);
    for (ptrdiff_t k = k0; k < k1; k++) {
        const ptrdiff_t off = k * M + j0;
        if (zero_rows && a[k] == 0) {
            adam_loop_avx512(c, W + off, S1 + off, S2 + off, NULL, j1 - j0);
            continue;
        }
        c[7] = _mm512_set1_ps(a[k]);
        adam_loop_avx512(c, W + off, S1 + off, S2 + off, d + j0, j1 - j0);
    }
}
#endif

/* Whether the AVX-512 float32 Adam loop runs (Adam without weight decay).
 * update_range then takes g == NULL for a zero gradient, and update_rows
 * calls adam_rows_avx512. */
static int SFX(vector_adam_ok)(const fnn_update *u)
{
#if defined(FNN_ADAM_VECTOR_F32) && UK_REAL_IS_FLOAT
    return u->kind == FNN_OPT_ADAM && !u->decay;
#else
    (void)u;
    return 0;
#endif
}

/* Updates n elements from the gradient scale * g. The flat update passes
 * scale = 1; update_rows passes one input a[k] and the row of deltas, and
 * the product rounds as it would when written to a gradient buffer. g may
 * be NULL for a zero gradient where vector_adam_ok returns 1. */
static void SFX(update_range)(const fnn_update *u, REAL *restrict p, REAL *restrict s1,
                              REAL *restrict s2, REAL scale, const REAL *restrict g,
                              ptrdiff_t n)
{
    if (u->decay) {
        const REAL keep = (REAL)u->keep;
        for (ptrdiff_t i = 0; i < n; i++)
            p[i] *= keep;
    }
    /* NOTE: moments and velocities below the smallest normal number are
     * stored as 0. A weight whose gradient stays 0 (a dead ReLU unit, an
     * input that is always 0) has a moment that decays geometrically and
     * turns subnormal within a few hundred steps. Arithmetic on subnormals
     * is slow on x86: with subnormal moments, Adam over 235,146 float32
     * values took about 1.7 times as long on the development machine.
     * Dropping them changes a weight by less than lr * 1e-38 / epsilon
     * (float32), which no result shows. */
    const REAL tiny = sizeof(REAL) == sizeof(float) ? (REAL)FLT_MIN : (REAL)DBL_MIN;
#if defined(FNN_ADAM_VECTOR_F32) && UK_REAL_IS_FLOAT
    if (u->kind == FNN_OPT_ADAM) {
        adam_range_avx512(u, p, s1, s2, scale, g, n);
        return;
    }
#endif
    if (u->kind == FNN_OPT_ADAM) {
        const REAL step = (REAL)u->step, eps = (REAL)u->epsilon;
        /* 1 - beta in double first: 1 - (float)0.999 is off by 1.3e-5 relative */
        const REAL b1 = (REAL)u->beta1, b2 = (REAL)u->beta2;
        const REAL c1 = (REAL)(1 - u->beta1), c2 = (REAL)(1 - u->beta2);
        for (ptrdiff_t i = 0; i < n; i++) {
            REAL gi = scale * g[i];
            REAL mi = b1 * s1[i] + c1 * gi;
            REAL vi = b2 * s2[i] + c2 * gi * gi;
            mi = mi < tiny && mi > -tiny ? 0 : mi;
            vi = vi < tiny ? 0 : vi;
            s1[i] = mi;
            s2[i] = vi;
            p[i] -= step * mi / (SQRT(vi) + eps);
        }
        return;
    }
    const REAL lr = (REAL)u->learning_rate, mu = (REAL)u->momentum;
    if (mu == 0) {
        for (ptrdiff_t i = 0; i < n; i++)
            p[i] -= lr * (scale * g[i]);
    } else if (u->nesterov) {
        for (ptrdiff_t i = 0; i < n; i++) {
            const REAL gi = scale * g[i];
            REAL vi = mu * s1[i] - lr * gi;
            vi = vi < tiny && vi > -tiny ? 0 : vi;
            s1[i] = vi;
            p[i] += mu * vi - lr * gi;
        }
    } else {
        for (ptrdiff_t i = 0; i < n; i++) {
            REAL vi = mu * s1[i] - lr * (scale * g[i]);
            vi = vi < tiny && vi > -tiny ? 0 : vi;
            s1[i] = vi;
            p[i] += vi;
        }
    }
}

/* Time of one element's update in GEMM flops, the unit of fnn_threads_for.
 * Measured on one core: Adam 0.42 ns, SGD with momentum 0.24 ns, plain SGD
 * 0.15 ns, against 0.011 ns for a GEMM flop. */
static double SFX(update_cost)(const fnn_update *u)
{
    if (u->kind == FNN_OPT_ADAM)
        return 40.0;
    return u->momentum != 0 ? 20.0 : 12.0;
}

/* One update of params[n] from grads[n], after fnn_optimizer_begin. */
static void SFX(optimizer_apply)(const fnn_update *u, REAL *params, REAL *state1,
                                 REAL *state2, const REAL *grads, ptrdiff_t n)
{
    const ptrdiff_t blocks = (n + OPT_BLOCK - 1) / OPT_BLOCK;
    const int nt = fnn_threads_for((double)n * SFX(update_cost)(u));
    fnn_note_parallel(nt);
    /* One chunk of blocks per thread, so that each thread sets the
     * floating-point mode once: reading MXCSR stalls the pipeline, and once
     * per 256-element row it cost 7% of a batch-1 step. */
    FNN_PARALLEL_FOR(for (int t = 0; t < nt; t++) {
        const unsigned fp = fnn_flush_begin();
        const ptrdiff_t end = fnn_chunk_start(blocks, nt, t + 1);
        for (ptrdiff_t blk = fnn_chunk_start(blocks, nt, t); blk < end; blk++) {
            const ptrdiff_t i0 = blk * OPT_BLOCK;
            const ptrdiff_t len = n - i0 < OPT_BLOCK ? n - i0 : OPT_BLOCK;
            SFX(update_range)(u, params + i0, state1 ? state1 + i0 : NULL,
                              state2 ? state2 + i0 : NULL, 1, grads + i0, len);
        }
        fnn_flush_end(fp);
    });
}

static void SFX(optimizer_step)(fnn_optimizer *opt, REAL *params, REAL *state1, REAL *state2,
                                const REAL *grads, ptrdiff_t n)
{
    fnn_update u;
    fnn_optimizer_begin(opt, &u);
    SFX(optimizer_apply)(&u, params, state1, state2, grads, n);
}

/* Updates columns [j0, j1) of rows [k0, k1) of block b. The gradient of a
 * row is never written to memory: update_range takes a[k] as its scale and
 * d as its row, or, with an L2 term, the row formed in the buffer g. With
 * an L2 term the columns are whole rows, for row_sq. */
static void SFX(update_rows)(const fnn_update *u, const SFX(fnn_update_block) *b, ptrdiff_t k0,
                             ptrdiff_t k1, ptrdiff_t j0, ptrdiff_t j1, REAL *g)
{
    const ptrdiff_t M = b->M;
    /* A row whose input is 0 has a zero gradient when the deltas are
     * finite (0 times infinity is NaN). The AVX-512 Adam loop then skips
     * the gradient, for about 80% of the first layer's rows at each
     * one-row step of workload A, whose inputs are 80% zeros. That epoch
     * ran 10-14% faster (Intel Xeon, 2 threads, alternating runs). The
     * flat update takes the same path for vectors of zeros, so both give
     * the same bits. */
    const int vector_adam = b->l2 == 0 && SFX(vector_adam_ok)(u);
    int zero_rows = vector_adam;
    for (ptrdiff_t j = j0; zero_rows && j < j1; j++)
        zero_rows = isfinite(b->d[j]);
#if defined(FNN_ADAM_VECTOR_F32) && UK_REAL_IS_FLOAT
    if (vector_adam) {
        adam_rows_avx512(u, b->W, b->S1, b->S2, b->a, b->d, M, k0, k1, j0, j1, zero_rows);
        return;
    }
#endif
    for (ptrdiff_t k = k0; k < k1; k++) {
        const REAL ak = b->a[k];
        double sq = 0;
        for (ptrdiff_t c0 = j0; c0 < j1; c0 += OPT_BLOCK) {
            const ptrdiff_t len = j1 - c0 < OPT_BLOCK ? j1 - c0 : OPT_BLOCK;
            const ptrdiff_t off = k * M + c0;
            REAL *s1 = b->S1 ? b->S1 + off : NULL, *s2 = b->S2 ? b->S2 + off : NULL;
            if (b->l2 == 0) {
                SFX(update_range)(u, b->W + off, s1, s2, ak,
                                  zero_rows && ak == 0 ? NULL : b->d + c0, len);
                continue;
            }
            const REAL *restrict w = b->W + off;
            for (ptrdiff_t j = 0; j < len; j++)
                g[j] = ak * b->d[c0 + j];
            for (ptrdiff_t j = 0; j < len; j++) {
                sq += (double)w[j] * (double)w[j];
                g[j] += b->l2 * w[j];
            }
            SFX(update_range)(u, b->W + off, s1, s2, 1, g, len);
        }
        if (b->row_sq)
            b->row_sq[k] = sq;
    }
}

/*
 * The fused update of nb blocks (fnn_update_block_f32/_f64 in
 * fnn_internal.h) in one parallel region, one team for all layers instead
 * of one per layer. Each thread updates the part of each block that it
 * read in the one-row forward pass (rows_share). That is its rows of B for
 * a sum in parts, its blocks of columns for a column split, and all of a
 * block that the forward pass computed on the calling thread. A weight
 * then stays in the cache of one core. When the update split a layer's rows evenly instead,
 * 66 rows of workload A's first layer went to the other core than in the
 * forward pass, and that core's update took 42-67 us instead of 31 (Intel
 * Xeon, 2 threads). The calling thread also takes the small layers, and
 * each block's lead (rows_plan) gives it fewer parts of the largest one to
 * even out the shares. Each element's update depends on its own values
 * only, so any split gives the same bits.
 */
/* Updates the shares of thread t of nb blocks, as rows_share splits block
 * i among teams[i] threads. */
static void SFX(update_share)(const fnn_update *u, const SFX(fnn_update_block) *b, int nb,
                              const int *teams, int t)
{
    REAL g[OPT_BLOCK] __attribute__((aligned(FNN_ALIGN)));
    for (int i = 0; i < nb; i++) {
        ptrdiff_t k0, k1, j0, j1;
        const int team = teams[i];
        SFX(rows_share_in)(b[i].M, b[i].K, b[i].lead, team, t, &k0, &k1, &j0, &j1);
        if (b[i].row_sq && (j0 > 0 || j1 < b[i].M)) {
            /* whole rows for row_sq: an even split of the rows */
            k0 = t < team ? b[i].K * t / team : 0;
            k1 = t < team ? b[i].K * (t + 1) / team : 0;
            j0 = 0;
            j1 = b[i].M;
        }
        SFX(update_rows)(u, &b[i], k0, k1, j0, j1, g);
    }
}

typedef struct {
    const fnn_update *u;
    const SFX(fnn_update_block) *b;
    const int *teams;
    int nb, nt;
} SFX(blocks_job);

/* Thread t of a pool team of `team` updates the shares t, t + team, ...
 * of the nt that rows_share counts: its own, or all of them when the job
 * runs alone. */
static void SFX(run_blocks_job)(void *arg, int t, int team)
{
    const SFX(blocks_job) *j = arg;
    const unsigned fp = fnn_flush_begin();
    for (int s = t; s < j->nt; s += team)
        SFX(update_share)(j->u, j->b, j->nb, j->teams, s);
    fnn_flush_end(fp);
}

static void SFX(update_blocks)(const fnn_update *u, const SFX(fnn_update_block) *b, int nb)
{
    /* each block's team size, read once for all threads */
    int teams[nb > 0 ? nb : 1];
    int nt = 1;
    for (int i = 0; i < nb; i++) {
        ptrdiff_t k0, k1, j0, j1;
        teams[i] = SFX(rows_share)(b[i].M, b[i].K, b[i].lead, 0, &k0, &k1, &j0, &j1);
        nt = teams[i] > nt ? teams[i] : nt;
    }
    fnn_note_parallel(nt);
    /* on the thread pool, whose workers also ran the forward pass's
     * product (gemm_rows), unless an OpenMP region runs or ran just before */
    SFX(blocks_job) job = {u, b, teams, nb, nt};
    if (nt > 1 && fnn_team_run(nt, SFX(run_blocks_job), &job))
        return;
    FNN_PARALLEL_FOR(for (int t = 0; t < nt; t++) {
        const unsigned fp = fnn_flush_begin();
        SFX(update_share)(u, b, nb, teams, t);
        fnn_flush_end(fp);
    });
}
#undef OPT_BLOCK
