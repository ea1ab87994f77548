/* Optimizer updates for float and double; see fnn_optim_tmpl.h. */
#include "fnn_internal.h"

#include <math.h>

#define REAL float
#define SFX(name) name##_f32
#define SQRT sqrtf
#include "fnn_optim_tmpl.h"
#undef REAL
#undef SFX
#undef SQRT

#define REAL double
#define SFX(name) name##_f64
#define SQRT sqrt
#include "fnn_optim_tmpl.h"
