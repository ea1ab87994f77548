/* GEMM entry points for float and double; see fnn_gemm_tmpl.h. */
#include "fnn_internal.h"

#define REAL float
#define SFX(name) name##_f32
#define KT_MR(kt) ((kt)->mr_f32)
#define KT_MR2(kt) ((kt)->mr2_f32)
#define KT_NR(kt) ((kt)->nr_f32)
#define KT_UKERNEL(kt) ((kt)->gemm_f32)
#define KT_UKERNEL_SA(kt) ((kt)->gemm_sa_f32)
#define KT_UKERNEL_EP(kt) ((kt)->gemm_ep_f32)
#define KT_UKERNEL_T fnn_ukernel_f32
#define KT_PACK_A(kt) ((kt)->pack_a_f32)
#define KT_ROWS(kt) ((kt)->gemm_rows_f32)
#define KT_TN(kt) ((kt)->gemm_tn_f32)
#define KT_TN_COLS(kt) ((kt)->tn_cols_f32)
#define KT_PACK_B(kt) ((kt)->pack_b_f32)
#define KT_PACK_A_T fnn_pack_a_f32
#define KT_PACK_B_T fnn_pack_b_f32
#include "fnn_gemm_tmpl.h"
#undef REAL
#undef SFX
#undef KT_MR
#undef KT_MR2
#undef KT_NR
#undef KT_UKERNEL
#undef KT_UKERNEL_SA
#undef KT_UKERNEL_EP
#undef KT_UKERNEL_T
#undef KT_PACK_A
#undef KT_ROWS
#undef KT_TN
#undef KT_TN_COLS
#undef KT_PACK_B
#undef KT_PACK_A_T
#undef KT_PACK_B_T

#define REAL double
#define SFX(name) name##_f64
#define KT_MR(kt) ((kt)->mr_f64)
#define KT_MR2(kt) ((kt)->mr2_f64)
#define KT_NR(kt) ((kt)->nr_f64)
#define KT_UKERNEL(kt) ((kt)->gemm_f64)
#define KT_UKERNEL_SA(kt) ((kt)->gemm_sa_f64)
#define KT_UKERNEL_EP(kt) ((kt)->gemm_ep_f64)
#define KT_UKERNEL_T fnn_ukernel_f64
#define KT_PACK_A(kt) ((kt)->pack_a_f64)
#define KT_ROWS(kt) ((kt)->gemm_rows_f64)
#define KT_TN(kt) ((kt)->gemm_tn_f64)
#define KT_TN_COLS(kt) ((kt)->tn_cols_f64)
#define KT_PACK_B(kt) ((kt)->pack_b_f64)
#define KT_PACK_A_T fnn_pack_a_f64
#define KT_PACK_B_T fnn_pack_b_f64
#include "fnn_gemm_tmpl.h"
