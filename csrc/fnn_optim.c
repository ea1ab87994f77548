/* Optimizer entry points: the update loops are compiled per ISA
 * (fnn_optim_tmpl.h) and chosen through the kernel table. */
#include "fnn_internal.h"

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
