/* GEMM micro-kernels, vector math and optimizer loops for AVX-512 (F, DQ,
 * BW, VL); this unit alone is compiled with the AVX-512 flags. */
#include "fnn_internal.h"

#include <math.h>

#define REAL float
#define UK_REAL_IS_FLOAT 1
#define SFX(name) name##_f32
#define UK_MR 8
#define UK_MR2 4
#define UK_NR 32
#define UK_VLEN 16
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
#define UK_MR 8
#define UK_MR2 4
#define UK_NR 16
#define UK_VLEN 8
#include "fnn_ukernel_tmpl.h"
#define SQRT sqrt
#include "fnn_optim_tmpl.h"
#undef SQRT

#undef UK_VLEN
#define UK_VLEN 16
#include "fnn_vmath_tmpl.h"

FNN_KERNEL_TABLE(fnn_kernels_avx512, 8, 32, 8, 16, 4);
