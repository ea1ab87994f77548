/* Optimizer entry points: the update loops are compiled per ISA
 * (fnn_optim_tmpl.h) and chosen through the kernel table. */
#include "fnn_internal.h"

#include <math.h>

void fnn_optimizer_begin(fnn_optimizer *opt, fnn_update *u)
{
    u->kind = opt->kind;
    u->nesterov = opt->nesterov;
    u->decay = opt->weight_decay != 0;
    u->keep = 1 - opt->learning_rate * opt->weight_decay;
    u->learning_rate = opt->learning_rate;
    u->momentum = opt->momentum;
    u->beta1 = opt->beta1;
    u->beta2 = opt->beta2;
    u->epsilon = opt->epsilon;
    u->step = 0;
    if (opt->kind == FNN_OPT_ADAM) {
        opt->t += 1;
        const double t = (double)opt->t;
        u->step = opt->learning_rate * sqrt(1 - pow(opt->beta2, t)) / (1 - pow(opt->beta1, t));
    }
}

void fnn_optimizer_step_f32(fnn_optimizer *opt, float *params, float *state1, float *state2,
                            const float *grads, ptrdiff_t n)
{
    fnn_kernels()->optimizer_step_f32(opt, params, state1, state2, grads, n);
}

void fnn_optimizer_step_f64(fnn_optimizer *opt, double *params, double *state1, double *state2,
                            const double *grads, ptrdiff_t n)
{
    fnn_kernels()->optimizer_step_f64(opt, params, state1, state2, grads, n);
}
