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

FNN_KERNEL_TABLE(fnn_kernels_scalar, 4, 8, 4, 4, 0);
