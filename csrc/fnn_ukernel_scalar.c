/* Portable GEMM micro-kernels, vector math and optimizer loops, compiled
 * with the target's baseline flags (SSE2 on x86-64, NEON on aarch64). */
#include "fnn_internal.h"

#include <math.h>

#define REAL float
#define UK_REAL_IS_FLOAT 1
#define SFX(name) name##_f32
#define UK_MR 4
#define UK_MR2 0
#define UK_NR 8
#define UK_VLEN 4
#include "fnn_ukernel_tmpl.h"
#define SQRT sqrtf
#include "fnn_optim_tmpl.h"
#undef SQRT
#undef REAL
#undef SFX
#undef UK_MR
#undef UK_MR2
#undef UK_NR
#undef UK_VLEN

#undef UK_REAL_IS_FLOAT
#define UK_REAL_IS_FLOAT 0
#define REAL double
#define SFX(name) name##_f64
#define UK_MR 4
#define UK_MR2 0
#define UK_NR 4
#define UK_VLEN 2
#include "fnn_ukernel_tmpl.h"
#define SQRT sqrt
#include "fnn_optim_tmpl.h"
#undef SQRT

#undef UK_VLEN
#define UK_VLEN 4
#include "fnn_vmath_tmpl.h"

const fnn_kernel_table fnn_kernels_scalar = {
    ukernel_f32, pack_a_f32, pack_b_f32, gemm_rows_f32, 4, 8,
    ukernel_f64, pack_a_f64, pack_b_f64, gemm_rows_f64, 4, 4,
    act_rows_f32,
    optimizer_step_f32,
    optimizer_step_f64,
    layer_update_f32,
    layer_update_f64,
    ukernel_sa_f32,
    ukernel_sa_f64,
    ukernel_ep_f32,
    ukernel_ep_f64,
    0, 0,
    gemm_rows_panels_f32,
    gemm_rows_panels_f64,
};
