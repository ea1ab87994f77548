/*
 * Optimizer updates over one flat parameter buffer, for one element type,
 * compiled per ISA (included by each fnn_ukernel_<isa>.c). Expects: REAL,
 * SFX(name), SQRT. Elements are independent, so the loops split over
 * threads without changing any result.
 */

/* SGD with momentum mu and learning rate lr (scikit-learn's SGDOptimizer):
 *   v := mu v - lr g;  p += v, or p += mu v - lr g with Nesterov momentum. */
static void SFX(sgd_step)(const fnn_optimizer *opt, REAL *restrict p, REAL *restrict v,
                          const REAL *restrict g, ptrdiff_t n)
{
    const REAL lr = (REAL)opt->learning_rate, mu = (REAL)opt->momentum;
    const int nt = fnn_threads_for((double)n * 4.0);
    fnn_note_parallel(nt);
    if (mu == 0) {
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
        for (ptrdiff_t i = 0; i < n; i++)
            p[i] -= lr * g[i];
        return;
    }
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (ptrdiff_t i = 0; i < n; i++) {
        REAL vi = mu * v[i] - lr * g[i];
        v[i] = vi;
        p[i] += opt->nesterov ? mu * vi - lr * g[i] : vi;
    }
}

/* Adam (Kingma and Ba, 2015) in scikit-learn's form, with bias correction
 * folded into the step size:
 *   m := b1 m + (1 - b1) g;  v := b2 v + (1 - b2) g^2
 *   p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps) */
static void SFX(adam_step)(fnn_optimizer *opt, REAL *restrict p, REAL *restrict m,
                           REAL *restrict v, const REAL *restrict g, ptrdiff_t n)
{
    opt->t += 1;
    const double t = (double)opt->t;
    const REAL step = (REAL)(opt->learning_rate * sqrt(1 - pow(opt->beta2, t)) /
                             (1 - pow(opt->beta1, t)));
    /* 1 - beta in double first: 1 - (float)0.999 is off by 1.3e-5 relative */
    const REAL b1 = (REAL)opt->beta1, b2 = (REAL)opt->beta2, eps = (REAL)opt->epsilon;
    const REAL c1 = (REAL)(1 - opt->beta1), c2 = (REAL)(1 - opt->beta2);
    const int nt = fnn_threads_for((double)n * 8.0);
    fnn_note_parallel(nt);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (ptrdiff_t i = 0; i < n; i++) {
        REAL gi = g[i];
        REAL mi = b1 * m[i] + c1 * gi;
        REAL vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step * mi / (SQRT(vi) + eps);
    }
}

/* Decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019): p := (1 - lr wd) p, outside the gradient. */
static void SFX(decay_step)(const fnn_optimizer *opt, REAL *restrict p, ptrdiff_t n)
{
    const REAL keep = (REAL)(1 - opt->learning_rate * opt->weight_decay);
    const int nt = fnn_threads_for((double)n);
    fnn_note_parallel(nt);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (ptrdiff_t i = 0; i < n; i++)
        p[i] *= keep;
}

static void SFX(optimizer_step)(fnn_optimizer *opt, REAL *params, REAL *state1, REAL *state2,
                                const REAL *grads, ptrdiff_t n)
{
    if (opt->weight_decay != 0)
        SFX(decay_step)(opt, params, n);
    if (opt->kind == FNN_OPT_ADAM)
        SFX(adam_step)(opt, params, state1, state2, grads, n);
    else
        SFX(sgd_step)(opt, params, state1, grads, n);
}
