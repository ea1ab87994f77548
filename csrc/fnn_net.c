/* Network setup and the dtype dispatch of the network entry points. */
#include "fnn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64's output function (Steele, Lea and Flood, OOPSLA 2014): a
 * bijective mix of a 64-bit counter. */
static inline uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* Key of the dropout masks of one layer in one training step. */
static inline uint64_t dropout_key(uint64_t seed, uint64_t step, int layer)
{
    return mix64(mix64(seed ^ mix64(step)) + (uint64_t)layer);
}

/* 1 when element `index` of the layer's output block is kept: a uniform
 * number in [0, 1) from the hash, compared with the rate. */
static inline int dropout_keep(uint64_t key, uint64_t index, double rate)
{
    return (double)(mix64(key + index) >> 11) * 0x1.0p-53 >= rate;
}

/* Floating-point operations of a training step's products (2 per weight
 * and row forward, 4 backward) below which the forward and backward passes
 * of a batch of several rows run on the calling thread alone. Each kernel
 * also has its own threshold (fnn_threads_for). But a split product leaves
 * its output and the weights that it read in two cores' caches. The
 * kernels that follow on the calling thread then fetch them from the
 * other core. On the Intel Xeon guest of bench/README.md, estimator fits
 * were timed at 2 threads against 1 (median of 7 alternating runs). The
 * time ratios were 1.14 for 64-100-10 at batch 200 (8.9 MFLOP per step),
 * 1.00 at batch 500 (22 MFLOP), 0.87 for 64-256-10 at batch 500 (57 MFLOP)
 * and 0.82 for 256-256-10 at batch 200 (82 MFLOP). Workload A at batch 32
 * takes 45 MFLOP per step. One-row steps keep their own split (rows_plan). */
#define STEP_PARALLEL_MIN_FLOPS 20e6

/* Returns whether the forward and backward passes of n rows run serially. */
static int serial_batch(const fnn_net *net, ptrdiff_t n)
{
    return n > 1 && 6.0 * (double)n * (double)net->n_params < STEP_PARALLEL_MIN_FLOPS;
}

/* Batch prediction computes the first layer row by row, skipping the
 * weights of zero inputs (sparse_rows in fnn_ukernel_tmpl.h), when at most
 * SPARSE_MAX_DENSITY of the values of the first SPARSE_SAMPLE_ROWS rows
 * of a chunk are nonzero. At 30% the row path ran no faster than the
 * blocked GEMM on an Intel Xeon (csrc/README.md, Prediction). Without a
 * Predictor's panels, whose weights are known to be finite, a call checks
 * the first layer's weights first. So that the scan costs little beside
 * the rows, every call takes the path from SPARSE_MIN_ROWS rows on only. */
#define SPARSE_MAX_DENSITY 0.25
#define SPARSE_SAMPLE_ROWS 32
#define SPARSE_MIN_ROWS 64

#define REAL float
#define SFX(name) name##_f32
#define SPARSE_ROWS_T fnn_sparse_rows_f32
#define SPARSE_ROWS (fnn_kernels()->sparse_rows_f32)
#define UPDATE_BLOCKS (fnn_kernels()->update_blocks_f32)
#define UPDATE_BLOCK fnn_update_block_f32
#define OPTIMIZER_STEP (fnn_kernels()->optimizer_step_f32)
#define ROWS_PANELS (fnn_kernels()->gemm_rows_panels_f32)
#define ROWS_PLAN (fnn_kernels()->rows_plan_f32)
#define ROWS_RESUME (fnn_kernels()->rows_panels_resume_f32)
#include "fnn_net_tmpl.h"
#undef REAL
#undef SFX
#undef SPARSE_ROWS_T
#undef SPARSE_ROWS
#undef UPDATE_BLOCKS
#undef UPDATE_BLOCK
#undef OPTIMIZER_STEP
#undef ROWS_PANELS
#undef ROWS_PLAN
#undef ROWS_RESUME

#define REAL double
#define SFX(name) name##_f64
#define SPARSE_ROWS_T fnn_sparse_rows_f64
#define SPARSE_ROWS (fnn_kernels()->sparse_rows_f64)
#define UPDATE_BLOCKS (fnn_kernels()->update_blocks_f64)
#define UPDATE_BLOCK fnn_update_block_f64
#define OPTIMIZER_STEP (fnn_kernels()->optimizer_step_f64)
#define ROWS_PANELS (fnn_kernels()->gemm_rows_panels_f64)
#define ROWS_PLAN (fnn_kernels()->rows_plan_f64)
#define ROWS_RESUME (fnn_kernels()->rows_panels_resume_f64)
#include "fnn_net_tmpl.h"
#undef REAL
#undef SFX
#undef SPARSE_ROWS_T
#undef SPARSE_ROWS
#undef UPDATE_BLOCKS
#undef UPDATE_BLOCK
#undef OPTIMIZER_STEP
#undef ROWS_PANELS
#undef ROWS_PLAN
#undef ROWS_RESUME

fnn_status fnn_net_init(fnn_net *net, int n_layers, const int *sizes, const int *activation,
                        int output, int dtype)
{
    memset(net, 0, sizeof(*net));
    if (n_layers < 1 || (dtype != FNN_FLOAT32 && dtype != FNN_FLOAT64) || output < 0 ||
        output >= FNN_OUT_COUNT)
        return FNN_EINVAL;
    for (int l = 0; l <= n_layers; l++)
        if (sizes[l] < 1)
            return FNN_EINVAL;
    for (int l = 0; l < n_layers - 1; l++)
        if (activation[l] < 0 || activation[l] >= FNN_ACT_COUNT)
            return FNN_EINVAL;

    net->sizes = malloc((size_t)(n_layers + 1) * sizeof(int));
    net->activation = malloc((size_t)(n_layers > 1 ? n_layers - 1 : 1) * sizeof(int));
    net->w_offset = malloc((size_t)n_layers * sizeof(ptrdiff_t));
    net->b_offset = malloc((size_t)n_layers * sizeof(ptrdiff_t));
    if (!net->sizes || !net->activation || !net->w_offset || !net->b_offset) {
        fnn_net_free(net);
        return FNN_ENOMEM;
    }
    net->n_layers = n_layers;
    net->dtype = dtype;
    net->output = output;
    memcpy(net->sizes, sizes, (size_t)(n_layers + 1) * sizeof(int));
    if (n_layers > 1)
        memcpy(net->activation, activation, (size_t)(n_layers - 1) * sizeof(int));

    /* flat layout: W_0, b_0, W_1, b_1, ... */
    ptrdiff_t offset = 0;
    for (int l = 0; l < n_layers; l++) {
        net->w_offset[l] = offset;
        offset += (ptrdiff_t)sizes[l] * sizes[l + 1];
        net->b_offset[l] = offset;
        offset += sizes[l + 1];
        if (sizes[l + 1] > net->max_width)
            net->max_width = sizes[l + 1];
    }
    net->n_params = offset;
    return FNN_OK;
}

fnn_status fnn_net_set_dropout(fnn_net *net, const double *rates, uint64_t seed)
{
    const int n_hidden = net->n_layers - 1;
    if (rates) {
        for (int l = 0; l < n_hidden; l++)
            if (!(rates[l] >= 0 && rates[l] < 1))
                return FNN_EINVAL;
    }
    free(net->dropout);
    net->dropout = NULL;
    net->dropout_seed = seed;
    if (!rates || n_hidden < 1)
        return FNN_OK;
    net->dropout = malloc((size_t)n_hidden * sizeof(double));
    if (!net->dropout)
        return FNN_ENOMEM;
    memcpy(net->dropout, rates, (size_t)n_hidden * sizeof(double));
    return FNN_OK;
}

void fnn_net_free(fnn_net *net)
{
    free(net->dropout);
    free(net->sizes);
    free(net->activation);
    free(net->w_offset);
    free(net->b_offset);
    memset(net, 0, sizeof(*net));
}

fnn_status fnn_workspace_reserve(fnn_workspace *ws, const fnn_net *net, ptrdiff_t rows)
{
    if (rows <= ws->rows)
        return FNN_OK;
    const uint64_t step = ws->dropout_step;
    fnn_workspace_free(ws);
    ws->dropout_step = step;

    const size_t elem = net->dtype == FNN_FLOAT32 ? sizeof(float) : sizeof(double);
    ptrdiff_t act_width = 0;
    for (int l = 1; l <= net->n_layers; l++)
        act_width += net->sizes[l];
    ws->acts = fnn_aligned_alloc((size_t)(rows * act_width) * elem);
    for (int l = 0; l < net->n_layers - 1; l++) {
        if (net->activation[l] == FNN_ACT_GELU) {
            ws->pre = fnn_aligned_alloc((size_t)(rows * act_width) * elem);
            if (!ws->pre) {
                fnn_workspace_free(ws);
                return FNN_ENOMEM;
            }
            break;
        }
    }
    ws->delta = fnn_aligned_alloc((size_t)(2 * rows * net->max_width) * elem);
    ws->xbatch = fnn_aligned_alloc((size_t)(rows * net->sizes[0]) * elem);
    ws->ybatch = fnn_aligned_alloc((size_t)(rows * net->sizes[net->n_layers]) * elem);
    ws->wbatch = fnn_aligned_alloc((size_t)rows * elem);
    ws->lead = malloc((size_t)net->n_layers * sizeof(*ws->lead));
    if (!ws->acts || !ws->delta || !ws->xbatch || !ws->ybatch || !ws->wbatch || !ws->lead) {
        fnn_workspace_free(ws);
        return FNN_ENOMEM;
    }
    ws->rows = rows;
    return FNN_OK;
}

void fnn_workspace_free(fnn_workspace *ws)
{
    /* NOTE: this also resets dropout_step; reserve keeps it across a resize */
    fnn_aligned_free(ws->acts);
    fnn_aligned_free(ws->pre);
    fnn_aligned_free(ws->delta);
    fnn_aligned_free(ws->xbatch);
    fnn_aligned_free(ws->ybatch);
    fnn_aligned_free(ws->wbatch);
    free(ws->lead);
    memset(ws, 0, sizeof(*ws));
}

const void *fnn_net_logits(const fnn_net *net, const fnn_workspace *ws)
{
    if (net->dtype == FNN_FLOAT32)
        return layer_out_f32(net, ws, net->n_layers - 1);
    return layer_out_f64(net, ws, net->n_layers - 1);
}

fnn_status fnn_net_forward(const fnn_net *net, fnn_workspace *ws, const void *params,
                           const void *X, ptrdiff_t n, ptrdiff_t ldx)
{
    if (n > ws->rows)
        return FNN_EINVAL;
    const int serial = serial_batch(net, n);
    if (serial)
        fnn_serial_begin();
    if (net->dtype == FNN_FLOAT32)
        net_forward_f32(net, ws, params, X, n, ldx, NULL);
    else
        net_forward_f64(net, ws, params, X, n, ldx, NULL);
    if (serial)
        fnn_serial_end();
    return FNN_OK;
}

double fnn_net_backward(const fnn_net *net, fnn_workspace *ws, const void *params, void *grads,
                        const void *X, ptrdiff_t ldx, const void *Y, const void *w,
                        ptrdiff_t n, double alpha)
{
    if (n > ws->rows || n <= 0)
        return NAN;
    const int serial = serial_batch(net, n);
    if (serial)
        fnn_serial_begin();
    const double loss =
        net->dtype == FNN_FLOAT32
            ? net_backward_f32(net, ws, (float *)params, grads, X, ldx, Y, w, n, alpha, NULL,
                               NULL, NULL, NULL)
            : net_backward_f64(net, ws, (double *)params, grads, X, ldx, Y, w, n, alpha, NULL,
                               NULL, NULL, NULL);
    if (serial)
        fnn_serial_end();
    return loss;
}

fnn_status fnn_net_train_batches(const fnn_net *net, fnn_workspace *ws, fnn_optimizer *opt,
                                 void *params, void *grads, void *state1, void *state2,
                                 const void *X, const void *Y, const void *w,
                                 const int64_t *order, ptrdiff_t n, ptrdiff_t batch_size,
                                 ptrdiff_t first_batch, ptrdiff_t last_batch,
                                 double alpha, double *loss_sum)
{
    if (batch_size <= 0 || batch_size > ws->rows)
        return FNN_EINVAL;
    if (net->dtype == FNN_FLOAT32)
        return net_train_batches_f32(net, ws, opt, params, grads, state1, state2, X, Y, w, order,
                                     n, batch_size, first_batch, last_batch, alpha, loss_sum);
    return net_train_batches_f64(net, ws, opt, params, grads, state1, state2, X, Y, w, order, n,
                                 batch_size, first_batch, last_batch, alpha, loss_sum);
}

fnn_status fnn_net_predict(const fnn_net *net, const void *params, const void *X, ptrdiff_t n,
                           ptrdiff_t ldx, int apply_head, void *out)
{
    if (n <= 0)
        return FNN_OK;
    if (net->dtype == FNN_FLOAT32)
        return net_predict_f32(net, params, NULL, X, n, ldx, apply_head, out, NULL);
    return net_predict_f64(net, params, NULL, X, n, ldx, apply_head, out, NULL);
}

fnn_status fnn_net_predict_checked(const fnn_net *net, const void *params, const void *X,
                                   ptrdiff_t n, ptrdiff_t ldx, int apply_head, void *out,
                                   ptrdiff_t *bad)
{
    return fnn_net_predict_panels(net, params, NULL, X, n, ldx, apply_head, out, bad);
}

fnn_status fnn_net_predict_panels(const fnn_net *net, const void *params, const void *panels,
                                  const void *X, ptrdiff_t n, ptrdiff_t ldx, int apply_head,
                                  void *out, ptrdiff_t *bad)
{
    *bad = -1;
    if (n <= 0)
        return FNN_OK;
    if (ldx != net->sizes[0])
        return FNN_EINVAL;
    if (net->dtype == FNN_FLOAT32)
        return net_predict_f32(net, params, panels, X, n, ldx, apply_head, out, bad);
    return net_predict_f64(net, params, panels, X, n, ldx, apply_head, out, bad);
}

void fnn_net_update_shares(const fnn_net *net, int threads, ptrdiff_t *lead, ptrdiff_t *shares)
{
    const fnn_kernel_table *kt = fnn_kernels();
    if (net->dtype == FNN_FLOAT32)
        kt->rows_plan_f32(net->sizes, net->n_layers, lead, threads, shares);
    else
        kt->rows_plan_f64(net->sizes, net->n_layers, lead, threads, shares);
}

ptrdiff_t fnn_net_panels_size(const fnn_net *net)
{
    ptrdiff_t size = 0;
    for (int l = 0; l < net->n_layers; l++)
        size += (ptrdiff_t)net->sizes[l] * net->sizes[l + 1];
    return size;
}

fnn_status fnn_net_pack_panels(const fnn_net *net, const void *params, void *panels)
{
    const size_t elem = net->dtype == FNN_FLOAT32 ? sizeof(float) : sizeof(double);
    const char *src = params;
    char *dst = panels;
    for (int l = 0; l < net->n_layers; l++) {
        const ptrdiff_t K = net->sizes[l], M = net->sizes[l + 1];
        const char *W = src + (size_t)net->w_offset[l] * elem;
        const ptrdiff_t bad = net->dtype == FNN_FLOAT32
                                  ? fnn_first_nonfinite_f32((const float *)W, K * M)
                                  : fnn_first_nonfinite_f64((const double *)W, K * M);
        if (bad >= 0)
            return FNN_ENONFINITE;
        for (ptrdiff_t j0 = 0; j0 < M; j0 += FNN_PANEL_COLS) {
            const ptrdiff_t w = M - j0 < FNN_PANEL_COLS ? M - j0 : FNN_PANEL_COLS;
            for (ptrdiff_t p = 0; p < K; p++) {
                memcpy(dst, W + (size_t)(p * M + j0) * elem, (size_t)w * elem);
                dst += (size_t)w * elem;
            }
        }
    }
    return FNN_OK;
}
