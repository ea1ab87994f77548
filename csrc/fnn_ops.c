/* Elementwise kernels and losses for float and double; see fnn_ops_tmpl.h. */
#include "fnn_internal.h"

#include <math.h>

#define REAL float
#define SFX(name) name##_f32
#define EXP expf
#define LOG1P log1pf
#define TANH tanhf
#define EXPM1 expm1f
#define OPS_VECTOR_ACT 1 /* bias + logistic/tanh through the ISA's vector kernel */
#include "fnn_ops_tmpl.h"
#undef OPS_VECTOR_ACT
#undef REAL
#undef SFX
#undef EXP
#undef LOG1P
#undef TANH
#undef EXPM1

#define REAL double
#define SFX(name) name##_f64
#define EXP exp
#define LOG1P log1p
#define TANH tanh
#define EXPM1 expm1
#include "fnn_ops_tmpl.h"
