/*
 * fastnn C core: the one public header.
 *
 * Legend (see csrc/README.md for the full contract):
 *   N   rows of a batch          K   inputs of a layer (fan_in)
 *   M   outputs of a layer       L   number of dense layers
 *   All matrices are row-major; `ld*` is the distance in elements between
 *   the starts of two consecutive rows.
 *
 * Every kernel exists for float (`_f32`) and double (`_f64`). Outputs come
 * first in each signature. Functions that can fail return an `fnn_status`;
 * none of them prints or exits.
 */
#ifndef FASTNN_H
#define FASTNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    FNN_OK = 0,
    FNN_ENOMEM = 1,     /* an allocation failed */
    FNN_EINVAL = 2,     /* an argument is out of its documented range */
    FNN_ENONFINITE = 3  /* a loss or parameter became NaN or infinite */
} fnn_status;

typedef enum { FNN_FLOAT32 = 0, FNN_FLOAT64 = 1 } fnn_dtype;

/* Activations of hidden layers; also usable as output heads where noted. */
typedef enum {
    FNN_ACT_IDENTITY = 0,
    FNN_ACT_LOGISTIC = 1,
    FNN_ACT_TANH = 2,
    FNN_ACT_RELU = 3,
    FNN_ACT_LEAKY_RELU = 4, /* z for z >= 0, else 0.01 z */
    FNN_ACT_ELU = 5,        /* z for z >= 0, else e^z - 1 */
    FNN_ACT_GELU = 6,       /* z Phi(z), Phi the standard normal CDF (exact, with erfc) */
    FNN_ACT_COUNT
} fnn_activation;

/* Output heads; each one fixes the loss it is trained with. */
typedef enum {
    FNN_OUT_IDENTITY = 0, /* squared error: 0.5 * sum_j (z_j - y_j)^2 per row */
    FNN_OUT_LOGISTIC = 1, /* binary cross-entropy from logits, per output */
    FNN_OUT_SOFTMAX = 2,  /* softmax cross-entropy from logits */
    FNN_OUT_EXP = 3,      /* Poisson deviance with a log link: prediction exp(z) */
    FNN_OUT_COUNT
} fnn_output;

/* ---- CPU features, kernel dispatch and threads ------------------------ */

typedef enum { FNN_ISA_SCALAR = 0, FNN_ISA_AVX2 = 1, FNN_ISA_AVX512 = 2 } fnn_isa;

/* Best ISA that both the CPU and the operating system support. */
fnn_isa fnn_isa_detect(void);
/* Select the kernels of `isa`; returns FNN_EINVAL when it is not supported
 * here (the current choice is kept). */
fnn_status fnn_isa_select(fnn_isa isa);
fnn_isa fnn_isa_active(void);
const char *fnn_isa_name(fnn_isa isa);
/* Whether this build compiled kernels for `isa` at all. */
int fnn_isa_compiled(fnn_isa isa);

/* 1 when the library was compiled with OpenMP. */
int fnn_has_openmp(void);
void fnn_set_num_threads(int n);
int fnn_get_num_threads(void);
/* Threads a kernel with about `flops` floating-point operations will use. */
int fnn_threads_for(double flops);
/* Between these two calls (they nest), every kernel that the calling thread
 * starts runs on that thread alone. Other threads are not affected. */
void fnn_serial_begin(void);
void fnn_serial_end(void);
/* Returns how many kernel calls started by the calling thread have
 * requested more than one thread, so that tests can see whether a call ran
 * in parallel. */
unsigned long fnn_parallel_calls(void);
/* The thread pool of the one-row forward pass (fnn_team.c), for tests and
 * tuning. fnn_team_jobs returns how many jobs the calling thread ran on
 * the pool's workers. fnn_team_set_window sets the time after an OpenMP
 * region within which the pool is not used, in ns. A negative value
 * restores the one read from the environment. fnn_omp_spin_window_ns
 * computes that time from the values of GOMP_SPINCOUNT, OMP_WAIT_POLICY
 * and KMP_BLOCKTIME (each may be NULL), for libgomp or, with llvm_runtime
 * set, for LLVM's runtime. */
unsigned long fnn_team_jobs(void);
void fnn_team_set_window(double ns);
double fnn_omp_spin_window_ns(const char *spincount, const char *wait_policy,
                              const char *blocktime, int llvm_runtime);
/* 1 in a child process forked after the parent ran a parallel region: such
 * a child runs every kernel on the calling thread (GNU libgomp would hang). */
int fnn_fork_serial(void);

/* ---- matrix multiply -------------------------------------------------- */
/*
 * C := alpha * op(A) * op(B) + beta * C, row-major, op(A) is m x k and
 * op(B) is k x n. transa != 0 means A is stored k x m (likewise B). When
 * beta == 0, C is not read, so it may hold NaN.
 */
void fnn_gemm_f32(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  float alpha, const float *A, ptrdiff_t lda,
                  const float *B, ptrdiff_t ldb, float beta, float *C, ptrdiff_t ldc);
void fnn_gemm_f64(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  double alpha, const double *A, ptrdiff_t lda,
                  const double *B, ptrdiff_t ldb, double beta, double *C, ptrdiff_t ldc);
/* Naive triple loop with the same contract: the test oracle. */
void fnn_gemm_ref_f32(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                      float alpha, const float *A, ptrdiff_t lda,
                      const float *B, ptrdiff_t ldb, float beta, float *C, ptrdiff_t ldc);
void fnn_gemm_ref_f64(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                      double alpha, const double *A, ptrdiff_t lda,
                      const double *B, ptrdiff_t ldb, double beta, double *C, ptrdiff_t ldc);

/* ---- elementwise kernels and losses ----------------------------------- */

/* Z[N,M] := act(Z + b) row by row; b may be NULL (no bias). */
void fnn_bias_act_f32(float *Z, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ldz, const float *b, int act);
void fnn_bias_act_f64(double *Z, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ldz, const double *b, int act);
/* dZ[N,M] *= act'(.) where A = act(Z) is the stored activation output. */
void fnn_act_backward_f32(float *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const float *A, int act);
void fnn_act_backward_f64(double *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const double *A, int act);
/* dZ[N,M] *= gelu'(Z) = Phi(Z) + Z phi(Z): GELU's derivative needs the
 * pre-activation Z itself, which the network keeps for GELU layers. */
void fnn_gelu_backward_f32(float *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const float *Z);
void fnn_gelu_backward_f64(double *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld, const double *Z);
/* P[N,M] := head(Z) (softmax per row, logistic or identity per element). */
void fnn_output_f32(float *P, const float *Z, ptrdiff_t n, ptrdiff_t m, int out);
void fnn_output_f64(double *P, const double *Z, ptrdiff_t n, ptrdiff_t m, int out);
/*
 * Loss of logits Z[N,M] against targets Y[N,M] and its gradient.
 * Returns sum_i w_i * loss_i / sum_i w_i, where w (length N) may be NULL for
 * equal weights; dZ (may be NULL, must not overlap Z) receives
 * d(returned value)/dZ.
 */
double fnn_loss_f32(float *dZ, const float *Z, const float *Y, const float *w,
                    ptrdiff_t n, ptrdiff_t m, int out);
double fnn_loss_f64(double *dZ, const double *Z, const double *Y, const double *w,
                    ptrdiff_t n, ptrdiff_t m, int out);
/* db[M] := sum over the N rows of dZ; rows are added in order 0..N-1. */
void fnn_col_sum_f32(float *db, const float *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld);
void fnn_col_sum_f64(double *db, const double *dZ, ptrdiff_t n, ptrdiff_t m, ptrdiff_t ld);
/* Position of the first infinity or NaN in x[n], or -1 when all are finite. */
ptrdiff_t fnn_first_nonfinite_f32(const float *x, ptrdiff_t n);
ptrdiff_t fnn_first_nonfinite_f64(const double *x, ptrdiff_t n);

/* ---- optimizers over one flat parameter buffer ------------------------ */

typedef enum { FNN_OPT_SGD = 0, FNN_OPT_ADAM = 1 } fnn_optimizer_kind;

typedef struct {
    int kind;
    double learning_rate;
    double momentum;      /* SGD */
    int nesterov;         /* SGD */
    double beta1, beta2, epsilon; /* Adam */
    int64_t t;            /* Adam steps taken so far; the update increments it */
    double weight_decay;  /* decoupled decay (AdamW): p -= lr * weight_decay * p first */
} fnn_optimizer;

/*
 * One update of params[n] from grads[n]. SGD uses state1 as the velocity;
 * Adam uses state1/state2 as the first and second moments. The formulas
 * are those of scikit-learn's SGDOptimizer and AdamOptimizer (see README).
 */
void fnn_optimizer_step_f32(fnn_optimizer *opt, float *params, float *state1, float *state2,
                            const float *grads, ptrdiff_t n);
void fnn_optimizer_step_f64(fnn_optimizer *opt, double *params, double *state1, double *state2,
                            const double *grads, ptrdiff_t n);

/* ---- network ---------------------------------------------------------- */
/*
 * A stack of L dense layers, sizes[0] -> sizes[1] -> ... -> sizes[L].
 * Layer l (0-based) owns W_l (sizes[l] x sizes[l+1], row-major) at
 * w_offset[l] and b_l (sizes[l+1]) at b_offset[l] inside one flat buffer of
 * n_params elements; gradients use the same layout in their own buffer.
 */
typedef struct {
    int n_layers;
    int dtype;
    int output;
    int *sizes;             /* L + 1 */
    int *activation;        /* L - 1 hidden activations */
    ptrdiff_t *w_offset;    /* L */
    ptrdiff_t *b_offset;    /* L */
    ptrdiff_t n_params;
    int max_width;          /* max over sizes[1..L] */
    double *dropout;        /* L - 1 dropout rates of the hidden layers, or NULL */
    uint64_t dropout_seed;
} fnn_net;

/* Work buffers of one training loop, allocated for a number of rows. */
typedef struct {
    ptrdiff_t rows;
    void *acts;     /* layer outputs: hidden activations, then logits */
    void *pre;      /* pre-activations Z of the hidden layers, as acts; only with GELU */
    void *delta;    /* 2 x rows x max_width: dLoss/dZ, ping-pong */
    void *xbatch;   /* rows x sizes[0]: gathered inputs */
    void *ybatch;   /* rows x sizes[L]: gathered targets */
    void *wbatch;   /* rows: gathered sample weights */
    ptrdiff_t *lead; /* n_layers: thread split of one-row steps, set by each training call */
    uint64_t dropout_step; /* selects the dropout masks; +1 per trained batch */
} fnn_workspace;

fnn_status fnn_net_init(fnn_net *net, int n_layers, const int *sizes, const int *activation,
                        int output, int dtype);
void fnn_net_free(fnn_net *net);
/*
 * Inverted dropout on the hidden layers during training: rates[l] in
 * [0, 1) is the share of layer l's outputs zeroed, the rest scaled by
 * 1 / (1 - rate). The mask of (step, layer, row, column) comes from a hash
 * of those numbers and seed, so it needs no storage, is the same for any
 * thread count, and the backward pass recomputes it. Prediction never
 * drops. rates == NULL turns dropout off.
 */
fnn_status fnn_net_set_dropout(fnn_net *net, const double *rates, uint64_t seed);
fnn_status fnn_workspace_reserve(fnn_workspace *ws, const fnn_net *net, ptrdiff_t rows);
void fnn_workspace_free(fnn_workspace *ws);

/* Logits of the last layer for the first n rows after fnn_net_forward. */
const void *fnn_net_logits(const fnn_net *net, const fnn_workspace *ws);
/* Forward pass over X[n, sizes[0]] (row stride ldx), keeping every layer's output in ws. */
fnn_status fnn_net_forward(const fnn_net *net, fnn_workspace *ws, const void *params,
                           const void *X, ptrdiff_t n, ptrdiff_t ldx);
/*
 * Backward pass after fnn_net_forward on the same X: writes the full
 * gradient of (data loss + 0.5 * alpha * sum W^2 / sum w) into grads and
 * returns that loss. Y is n x sizes[L]; w may be NULL (then sum w = n).
 * Biases are not penalized.
 */
double fnn_net_backward(const fnn_net *net, fnn_workspace *ws, const void *params, void *grads,
                        const void *X, ptrdiff_t ldx, const void *Y, const void *w,
                        ptrdiff_t n, double alpha);
/*
 * Train on the batches [first_batch, last_batch) of an epoch: batch b contains
 * rows order[b*batch_size ...] (order may be NULL for 0..n-1). Each batch
 * runs forward, backward and the optimizer step. Adds sum over batches of
 * loss * rows to *loss_sum. Stops with FNN_ENONFINITE at a non-finite loss.
 */
fnn_status fnn_net_train_batches(const fnn_net *net, fnn_workspace *ws, fnn_optimizer *opt,
                                 void *params, void *grads, void *state1, void *state2,
                                 const void *X, const void *Y, const void *w,
                                 const int64_t *order, ptrdiff_t n, ptrdiff_t batch_size,
                                 ptrdiff_t first_batch, ptrdiff_t last_batch,
                                 double alpha, double *loss_sum);
/* out[n, sizes[L]] := head(network(X)), or the logits when apply_head is 0.
 * Uses per-thread scratch, so calls from several threads at once are safe. */
fnn_status fnn_net_predict(const fnn_net *net, const void *params, const void *X, ptrdiff_t n,
                           ptrdiff_t ldx, int apply_head, void *out);
/* fnn_net_predict that first checks each chunk of rows for infinities and
 * NaN, just before the chunk's forward pass, while its rows are in cache.
 * At the first non-finite input it stops with FNN_ENONFINITE and sets
 * *bad to its position in X (row * ldx + column); out is then partly
 * written. Otherwise *bad is -1. */
fnn_status fnn_net_predict_checked(const fnn_net *net, const void *params, const void *X,
                                   ptrdiff_t n, ptrdiff_t ldx, int apply_head, void *out,
                                   ptrdiff_t *bad);

/* How a one-row training step (batch size 1) shares the work among the
 * threads, at the current thread count, for tests and tuning. lead[l]
 * (n_layers entries) receives the number of parts of layer l's one-row
 * product that the calling thread sums, -1 where the split is the default
 * one. shares receives, for each layer l, its weights (b = 0) and its bias
 * (b = 1), and each thread t < threads, the rows k0, k1 and columns j0, j1
 * that the thread updates, at shares[((2 l + b) threads + t) 4]; empty
 * ranges for a thread outside the layer's team. */
void fnn_net_update_shares(const fnn_net *net, int threads, ptrdiff_t *lead, ptrdiff_t *shares);

/* Columns per panel of fnn_net_pack_panels. */
#define FNN_PANEL_COLS 64
/* Predictions of at most this many rows read the panels, when given. */
#define FNN_PANEL_MAX_ROWS 2
/* Elements of the panel copy of a network's weights. */
ptrdiff_t fnn_net_panels_size(const fnn_net *net);
/* Copies each weight matrix W_l (K x M) of params into panels, layer after
 * layer: column panels of FNN_PANEL_COLS columns (the last may be
 * narrower), panel after panel, each K x width row-major. A thread that
 * computes a range of columns of a one-row prediction then reads one
 * contiguous block, which stays in its core's L2 cache between calls.
 * Returns FNN_ENONFINITE when a weight is NaN or infinite, and panels must
 * not be used then. A one-row prediction from the panels skips the weights
 * of zero inputs, which gives the bits of the full sum only for finite
 * weights, because 0 * inf is NaN. */
fnn_status fnn_net_pack_panels(const fnn_net *net, const void *params, void *panels);
/* fnn_net_predict_checked that, for at most FNN_PANEL_MAX_ROWS rows, reads
 * the weights from panels (made by fnn_net_pack_panels from the same
 * params) instead of params. The results are the same, bit for bit. */
fnn_status fnn_net_predict_panels(const fnn_net *net, const void *params, const void *panels,
                                  const void *X, ptrdiff_t n, ptrdiff_t ldx, int apply_head,
                                  void *out, ptrdiff_t *bad);

#ifdef __cplusplus
}
#endif
#endif /* FASTNN_H */
