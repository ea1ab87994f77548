/*
 * Forward pass, backward pass, training loop and prediction of a stack of
 * dense layers, for one element type. Expects: REAL, SFX(name).
 *
 * Notation: layer l maps A_{l-1}[n, K] to A_l[n, M] with
 *   Z_l = A_{l-1} W_l + b_l,  A_l = act(Z_l)   (A_{-1} = X; the last
 * layer keeps its logits Z, and the output head applies softmax/logistic).
 */

/* Output of layer l inside ws->acts: layers are stored one after another,
 * each as a rows x sizes[l+1] block. */
static REAL *SFX(layer_out)(const fnn_net *net, const fnn_workspace *ws, int l)
{
    ptrdiff_t offset = 0;
    for (int q = 0; q < l; q++)
        offset += ws->rows * net->sizes[q + 1];
    return (REAL *)ws->acts + offset;
}

static int SFX(layer_act)(const fnn_net *net, int l)
{
    return l < net->n_layers - 1 ? net->activation[l] : FNN_ACT_IDENTITY;
}

/* Training-time dropout of a hidden layer's output A[n, m]: zero the
 * dropped elements, scale the kept ones by 1 / (1 - rate). */
static void SFX(dropout_forward)(REAL *A, ptrdiff_t n, ptrdiff_t m, double rate, uint64_t key)
{
    const REAL scale = (REAL)(1.0 / (1.0 - rate));
    const int nt = fnn_threads_for((double)n * (double)m * 4.0);
    fnn_note_parallel(nt);
    FNN_PARALLEL_FOR(for (ptrdiff_t i = 0; i < n; i++) {
        for (ptrdiff_t j = 0; j < m; j++)
            A[i * m + j] = dropout_keep(key, (uint64_t)(i * m + j), rate) ? A[i * m + j] * scale : 0;
    });
}

/* Backward of dropout_forward with the same mask: dA of dropped elements
 * becomes 0, kept ones are scaled by 1 / (1 - rate), and A is scaled back
 * to the activation's own output for the derivative that follows. */
static void SFX(dropout_backward)(REAL *dA, REAL *A, ptrdiff_t n, ptrdiff_t m, double rate,
                                  uint64_t key)
{
    const REAL scale = (REAL)(1.0 / (1.0 - rate)), unscale = (REAL)(1.0 - rate);
    const int nt = fnn_threads_for((double)n * (double)m * 4.0);
    fnn_note_parallel(nt);
    FNN_PARALLEL_FOR(for (ptrdiff_t i = 0; i < n; i++) {
        for (ptrdiff_t j = 0; j < m; j++) {
            const ptrdiff_t e = i * m + j;
            if (dropout_keep(key, (uint64_t)e, rate)) {
                dA[e] *= scale;
                A[e] *= unscale;
            } else {
                dA[e] = 0;
            }
        }
    });
}

static int SFX(has_dropout)(const fnn_net *net, int l)
{
    return net->dropout && l < net->n_layers - 1 && net->dropout[l] > 0;
}

/* Runs the forward pass of n rows. lead, when not NULL, is each layer's
 * thread split of a one-row product (rows_plan), which never changes the
 * result. */
static void SFX(net_forward)(const fnn_net *net, fnn_workspace *ws, const REAL *params,
                             const REAL *X, ptrdiff_t n, ptrdiff_t ldx, const ptrdiff_t *lead)
{
    const REAL *in = X;
    ptrdiff_t ld_in = ldx;
    for (int l = 0; l < net->n_layers; l++) {
        const ptrdiff_t K = net->sizes[l], M = net->sizes[l + 1];
        REAL *out = SFX(layer_out)(net, ws, l);
        const int act = SFX(layer_act)(net, l);
        if (act == FNN_ACT_IDENTITY || act == FNN_ACT_RELU) {
            /* bias and activation in the GEMM's store */
            SFX(fnn_gemm_ep)(0, 0, n, M, K, 1, in, ld_in, params + net->w_offset[l], M, 0, out, M,
                             params + net->b_offset[l], act == FNN_ACT_RELU, NULL, 0,
                             lead ? lead[l] : -1);
        } else if (act == FNN_ACT_GELU) {
            SFX(fnn_gemm_ep)(0, 0, n, M, K, 1, in, ld_in, params + net->w_offset[l], M, 0, out, M,
                             NULL, 0, NULL, 0, lead ? lead[l] : -1);
            /* keep Z = A_{l-1} W_l + b_l for GELU's derivative */
            REAL *pre = (REAL *)ws->pre + (out - (REAL *)ws->acts);
            SFX(fnn_bias_act)(out, n, M, M, params + net->b_offset[l], FNN_ACT_IDENTITY);
            memcpy(pre, out, (size_t)(n * M) * sizeof(REAL));
            SFX(fnn_bias_act)(out, n, M, M, NULL, act);
        } else {
            SFX(fnn_gemm_ep)(0, 0, n, M, K, 1, in, ld_in, params + net->w_offset[l], M, 0, out, M,
                             NULL, 0, NULL, 0, lead ? lead[l] : -1);
            SFX(fnn_bias_act)(out, n, M, M, params + net->b_offset[l], act);
        }
        if (SFX(has_dropout)(net, l))
            SFX(dropout_forward)(out, n, M, net->dropout[l],
                                 dropout_key(net->dropout_seed, ws->dropout_step, l));
        in = out;
        ld_in = M;
    }
}

/* dW += (alpha / weight_sum) W; returns sum W^2 for the loss. */
static double SFX(add_l2)(REAL *restrict dW, const REAL *restrict W, ptrdiff_t size,
                          double alpha, double weight_sum)
{
    const REAL scale = weight_sum > 0 ? (REAL)(alpha / weight_sum) : 0;
    double sum_sq = 0;
    for (ptrdiff_t i = 0; i < size; i++) {
        dW[i] += scale * W[i];
        sum_sq += (double)W[i] * (double)W[i];
    }
    return sum_sq;
}

/*
 * Backward pass after net_forward. Without `fuse`, writes the gradient into
 * grads. With `fuse` (one row, n == 1), applies the optimizer step instead:
 * the deltas of all layers are computed first, from the weights before the
 * update, and then one update_blocks call updates every layer's weights
 * and bias, forming each gradient element where it is used instead of
 * writing the gradient out and reading it back; grads is then not touched.
 * Either way returns the loss, with the L2 term of the weights before the
 * update.
 */
static double SFX(net_backward)(const fnn_net *net, fnn_workspace *ws, REAL *params,
                                REAL *grads, const REAL *X, ptrdiff_t ldx, const REAL *Y,
                                const REAL *w, ptrdiff_t n, double alpha,
                                const fnn_update *fuse, const ptrdiff_t *lead, REAL *state1,
                                REAL *state2)
{
    const int L = net->n_layers;
    REAL *delta[2] = {(REAL *)ws->delta, (REAL *)ws->delta + ws->rows * net->max_width};
    UPDATE_BLOCK *blocks = NULL;
    REAL *fused_delta = NULL, *fused_input = NULL;
    double *row_sq = NULL;
    if (fuse) {
        /* blocks, the deltas of all layers, copies of the inputs that
         * dropout_backward rescales, and a row sum per weight row */
        ptrdiff_t widths = 0, rows = 0;
        for (int l = 0; l < L; l++) {
            widths += net->sizes[l + 1];
            rows += net->sizes[l];
        }
        const size_t blocks_bytes = ((size_t)(2 * L) * sizeof(UPDATE_BLOCK) + 63) & ~(size_t)63;
        const size_t delta_bytes = ((size_t)widths * sizeof(REAL) + 63) & ~(size_t)63;
        const size_t input_bytes = ((size_t)rows * sizeof(REAL) + 63) & ~(size_t)63;
        char *mem = fnn_scratch(FNN_SCRATCH_FUSED, blocks_bytes + delta_bytes + input_bytes +
                                                       (size_t)rows * sizeof(double));
        if (!mem)
            return NAN;
        blocks = (UPDATE_BLOCK *)mem;
        fused_delta = (REAL *)(mem + blocks_bytes);
        fused_input = (REAL *)(mem + blocks_bytes + delta_bytes);
        if (alpha != 0)
            row_sq = (double *)(mem + blocks_bytes + delta_bytes + input_bytes);
    }
    /* offset of layer l's delta in fused_delta, and of its input rows in
     * fused_input and row_sq */
    ptrdiff_t delta_at = 0, rows_at = 0;
    for (int l = 0; l < L - 1; l++) {
        delta_at += net->sizes[l + 1];
        rows_at += net->sizes[l];
    }
    REAL *dcur = fuse ? fused_delta + delta_at : delta[0];

    /* loss: dcur = dLoss/dZ_L from the logits */
    double loss = SFX(fnn_loss)(dcur, SFX(layer_out)(net, ws, L - 1), Y, w, n, net->sizes[L],
                                net->output);
    /* a fused step must not move the weights after a non-finite loss */
    if (fuse && !isfinite(loss))
        return loss;
    double sum_sq = 0;

    /* the L2 term is scaled by the total sample weight (n without weights) */
    double weight_sum = (double)n;
    if (w) {
        weight_sum = 0;
        for (ptrdiff_t i = 0; i < n; i++)
            weight_sum += w[i];
    }
    const REAL bias_input = 1; /* db = 1 * dZ, the rank-1 form of the bias */
    int nb = 0;

    for (int l = L - 1; l >= 0; l--) {
        const ptrdiff_t K = net->sizes[l], M = net->sizes[l + 1];
        const REAL *A_in = l == 0 ? X : SFX(layer_out)(net, ws, l - 1);
        const ptrdiff_t ld_in = l == 0 ? ldx : K;
        REAL *W = params + net->w_offset[l];
        /* where dA_in goes: layer l-1's own buffer when fused, else the other
         * ping-pong buffer */
        REAL *dnext = NULL;
        if (l > 0 && fuse)
            dnext = fused_delta + delta_at - net->sizes[l];
        else if (l > 0)
            dnext = dcur == delta[0] ? delta[1] : delta[0];
        /* ReLU's derivative [A_in > 0] as the epilogue of the dA_in GEMM,
         * unless dropout must rescale dA_in first */
        const int relu_gate = l > 0 && net->activation[l - 1] == FNN_ACT_RELU &&
                              !SFX(has_dropout)(net, l - 1);
        const REAL *gate = relu_gate ? A_in : NULL;

        if (fuse) {
            /* dA_in = dZ W^T with the weights before the update; the update
             * from g = A_in^T dZ (+ L2 term) and db = dZ runs after the loop */
            if (l > 0)
                SFX(fnn_gemm_ep)(0, 1, n, K, M, 1, dcur, M, W, M, 0, dnext, K, NULL, 0, gate, K,
                                 -1);
            const REAL l2 = alpha != 0 && weight_sum > 0 ? (REAL)(alpha / weight_sum) : 0;
            const ptrdiff_t bo = net->b_offset[l];
            const REAL *a = A_in;
            if (l > 0 && SFX(has_dropout)(net, l - 1)) {
                /* dropout_backward below scales A_in back; keep the input as used */
                memcpy(fused_input + rows_at, A_in, (size_t)K * sizeof(REAL));
                a = fused_input + rows_at;
            }
            blocks[nb++] = (UPDATE_BLOCK){
                W, state1 ? state1 + net->w_offset[l] : NULL,
                state2 ? state2 + net->w_offset[l] : NULL, a, dcur, K, M, l2,
                row_sq ? row_sq + rows_at : NULL, lead ? lead[l] : -1};
            blocks[nb++] = (UPDATE_BLOCK){params + bo, state1 ? state1 + bo : NULL,
                                          state2 ? state2 + bo : NULL, &bias_input, dcur, 1, M,
                                          0, NULL, -1};
        } else {
            /* dW = A_in^T dZ (+ L2 term), db = column sums of dZ */
            REAL *dW = grads + net->w_offset[l];
            SFX(fnn_gemm)(1, 0, K, M, n, 1, A_in, ld_in, dcur, M, 0, dW, M);
            if (alpha != 0)
                sum_sq += SFX(add_l2)(dW, W, K * M, alpha, weight_sum);
            SFX(fnn_col_sum)(grads + net->b_offset[l], dcur, n, M, M);
            /* dA_in = dZ W^T */
            if (l > 0)
                SFX(fnn_gemm_ep)(0, 1, n, K, M, 1, dcur, M, W, M, 0, dnext, K, NULL, 0, gate, K,
                                 -1);
        }

        /* dZ_in = dA_in * act'(Z_in), where the GEMM's store did not already */
        if (l > 0) {
            if (SFX(has_dropout)(net, l - 1))
                SFX(dropout_backward)(dnext, (REAL *)A_in, n, K, net->dropout[l - 1],
                                      dropout_key(net->dropout_seed, ws->dropout_step, l - 1));
            if (net->activation[l - 1] == FNN_ACT_GELU) {
                const REAL *pre = (const REAL *)ws->pre + (A_in - (const REAL *)ws->acts);
                SFX(fnn_gelu_backward)(dnext, n, K, K, pre);
            } else if (!relu_gate) {
                SFX(fnn_act_backward)(dnext, n, K, K, A_in, net->activation[l - 1]);
            }
            dcur = dnext;
            delta_at -= net->sizes[l];
            rows_at -= net->sizes[l - 1];
        }
    }

    if (fuse) {
        UPDATE_BLOCKS(fuse, blocks, nb);
        /* the row sums in block order, from the last layer, as the unfused
         * pass adds them */
        for (int i = 0; row_sq && i < nb; i++)
            for (ptrdiff_t k = 0; blocks[i].row_sq && k < blocks[i].K; k++)
                sum_sq += blocks[i].row_sq[k];
    }
    return weight_sum > 0 ? loss + 0.5 * alpha * sum_sq / weight_sum : loss;
}

/* Copy rows order[r0 .. r0+rows) of src[., width] into dst. */
static void SFX(gather_rows)(REAL *restrict dst, const REAL *restrict src, ptrdiff_t width,
                             const int64_t *order, ptrdiff_t r0, ptrdiff_t rows)
{
    for (ptrdiff_t i = 0; i < rows; i++)
        memcpy(dst + i * width, src + order[r0 + i] * width, (size_t)width * sizeof(REAL));
}

static fnn_status SFX(net_train_batches)(const fnn_net *net, fnn_workspace *ws, fnn_optimizer *opt,
                                         REAL *params, REAL *grads, REAL *state1, REAL *state2,
                                         const REAL *X, const REAL *Y, const REAL *w,
                                         const int64_t *order, ptrdiff_t n, ptrdiff_t batch_size,
                                         ptrdiff_t first_batch, ptrdiff_t last_batch,
                                         double alpha, double *loss_sum)
{
    const ptrdiff_t n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    /* The thread split of one-row steps, planned at the first one because
     * the thread count and the kernels may have changed since the last
     * call. */
    int planned = 0;
    for (ptrdiff_t b = first_batch; b < last_batch; b++) {
        const ptrdiff_t r0 = b * batch_size;
        const ptrdiff_t rows = n - r0 < batch_size ? n - r0 : batch_size;
        if (rows <= 0)
            break;

        /* the batch: rows in `order`, gathered into ws; else a slice of X */
        const REAL *xb = X + r0 * n_in, *yb = Y + r0 * n_out, *wb = w ? w + r0 : NULL;
        if (order) {
            SFX(gather_rows)(ws->xbatch, X, n_in, order, r0, rows);
            SFX(gather_rows)(ws->ybatch, Y, n_out, order, r0, rows);
            xb = ws->xbatch;
            yb = ws->ybatch;
            if (w) {
                SFX(gather_rows)(ws->wbatch, w, 1, order, r0, rows);
                wb = ws->wbatch;
            }
        }

        if (rows == 1 && !planned) {
            ROWS_PLAN(net->sizes, net->n_layers, ws->lead, 0, NULL);
            planned = 1;
        }
        /* forward and backward only: the optimizer step keeps its own thread count */
        const int serial = serial_batch(net, rows);
        if (serial)
            fnn_serial_begin();
        SFX(net_forward)(net, ws, params, xb, rows, n_in, rows == 1 ? ws->lead : NULL);
        double loss;
        if (rows == 1) {
            /* One row: the gradient is an outer product, as cheap to form
             * where the update reads it as to store, so the step is fused
             * into the backward pass and saves a pass over the gradient. */
            fnn_update u;
            fnn_optimizer_begin(opt, &u);
            loss = SFX(net_backward)(net, ws, params, grads, xb, n_in, yb, wb, rows, alpha, &u,
                                     ws->lead, state1, state2);
            if (!isfinite(loss)) {
                if (opt->kind == FNN_OPT_ADAM)
                    opt->t -= 1; /* no step was taken, as in the unfused path */
                return FNN_ENONFINITE;
            }
        } else {
            loss = SFX(net_backward)(net, ws, params, grads, xb, n_in, yb, wb, rows, alpha, NULL,
                                     NULL, NULL, NULL);
            if (serial)
                fnn_serial_end();
            if (!isfinite(loss))
                return FNN_ENONFINITE;
            OPTIMIZER_STEP(opt, params, state1, state2, grads, net->n_params);
        }
        ws->dropout_step++;
        *loss_sum += loss * (double)rows;
    }
    return FNN_OK;
}

/* Returns the weights of layer l in the panel copy of fnn_net_pack_panels. */
static const REAL *SFX(layer_panels)(const fnn_net *net, const REAL *panels, int l)
{
    for (int q = 0; q < l; q++)
        panels += (ptrdiff_t)net->sizes[q] * net->sizes[q + 1];
    return panels;
}

/* Returns where layer l of a forward pass over the panels writes its
 * rows: the logits for the last layer, else one half of scratch. */
static REAL *SFX(panels_out)(const fnn_net *net, REAL *scratch, REAL *logits, ptrdiff_t rows,
                             int l)
{
    return l == net->n_layers - 1 ? logits : scratch + (l % 2) * rows * net->max_width;
}

/* Runs layers [l0, l1) of a forward pass of at most FNN_PANEL_MAX_ROWS
 * rows as thread t of a team of `team`, reading the weights from panels.
 * Each thread computes a contiguous range of each layer's panels, and a
 * barrier separates the layers: the pool's (fnn_team_barrier) when `pool`
 * is set, else the OpenMP team's. The output activations other than identity
 * and ReLU run on thread 0 over the whole layer, as fnn_net_predict runs
 * them. Layer l reads X when l = 0, else the scratch half that layer l - 1
 * wrote. */
static void SFX(forward_panels_part)(const fnn_net *net, const REAL *params, const REAL *panels,
                                     const REAL *X, ptrdiff_t rows, REAL *scratch, REAL *row,
                                     REAL *logits, int l0, int l1, int t, int team,
                                     REAL *resume, ptrdiff_t *resumed, int pool)
{
    const REAL *in = l0 == 0 ? X : SFX(panels_out)(net, scratch, logits, rows, l0 - 1);
    ptrdiff_t ld_in = net->sizes[l0];
    panels = SFX(layer_panels)(net, panels, l0);
    for (int l = l0; l < l1; l++) {
        const ptrdiff_t K = net->sizes[l], M = net->sizes[l + 1];
        REAL *dst = SFX(panels_out)(net, scratch, logits, rows, l);
        const int act = SFX(layer_act)(net, l);
        const int fused = act == FNN_ACT_IDENTITY || act == FNN_ACT_RELU;
        const REAL *b = params + net->b_offset[l];
        const ptrdiff_t count = (M + FNN_PANEL_COLS - 1) / FNN_PANEL_COLS;
        /* Panels [ceil(count t / team), ceil(count (t + 1) / team)): thread
         * 0, which starts first, takes the odd one. */
        ROWS_PANELS(rows, M, K, in, ld_in, panels, (count * t + team - 1) / team,
                    (count * (t + 1) + team - 1) / team, row, dst, M, fused ? b : NULL,
                    act == FNN_ACT_RELU);
        if (resume && t == 0 && l == l1 - 1) {
            /* Begin the next layer over the inputs that this thread
             * computed, while the others finish theirs. */
            ptrdiff_t c0 = FNN_PANEL_COLS * ((count + team - 1) / team);
            c0 = c0 < M ? c0 : M;
            if (ROWS_RESUME(1, net->sizes[l + 2], M, c0, dst, panels + K * M, resume, NULL,
                            NULL, 0))
                *resumed = c0;
        }
        /* the end of the parallel region waits for its last layer */
        if (team > 1 && (l < l1 - 1 || !fused))
            FNN_TEAM_BARRIER(pool, t, team);
        if (!fused) {
            if (t == 0)
                SFX(fnn_bias_act)(dst, rows, M, M, b, act);
            if (team > 1 && l < l1 - 1)
                FNN_TEAM_BARRIER(pool, t, team);
        }
        panels += K * M;
        in = dst;
        ld_in = M;
    }
}

/* Layers [0, split) of forward_panels as a job of the thread pool. */
typedef struct {
    const fnn_net *net;
    const REAL *params, *panels, *X;
    ptrdiff_t rows;
    REAL *scratch, *row, *logits, *resume;
    ptrdiff_t *resumed;
    int split;
} SFX(panels_job);

static void SFX(run_panels_job)(void *arg, int t, int team)
{
    const SFX(panels_job) *j = arg;
    SFX(forward_panels_part)(j->net, j->params, j->panels, j->X, j->rows, j->scratch, j->row,
                             j->logits, 0, j->split, t, team, j->resume, j->resumed, 1);
}

/* Weights of a layer, in bytes, below which the layers from it to the
 * output run on the calling thread after the parallel region. On workload
 * A (second layer 128 KiB) the region's end then replaces the first
 * barrier, so two barriers and a join became one join. A one-row
 * prediction took 5.28-5.42 instead of 5.57-5.79 us (Intel Xeon, 2
 * threads, alternating runs). */
#define PANELS_TAIL_BYTES (256 * 1024)

/* Computes the logits of at most FNN_PANEL_MAX_ROWS rows from the panels.
 * When the weights are large enough, the layers up to the last one of
 * PANELS_TAIL_BYTES or more run in one parallel region, and the smaller
 * layers after it on the calling thread. For one row, the calling thread
 * begins the first of those inside the region, over its own part of the
 * region's output (rows_panels_resume), and finishes it after the region
 * with the same bits. With both changes a one-row prediction of workload A
 * took 5.08-5.18 instead of 5.58-5.69 us (Intel Xeon, 2 threads,
 * alternating runs).
 * The region is a job of fastnn's thread pool (fnn_team.c) unless an
 * OpenMP region runs or ran shortly before. libgomp's fork and join cost
 * about 1.4 us of a one-row prediction, the pool's 0.6 us. */
static void SFX(forward_panels)(const fnn_net *net, const REAL *params, const REAL *panels,
                                const REAL *X, ptrdiff_t rows, REAL *scratch, REAL *row,
                                REAL *logits)
{
    const int L = net->n_layers;
    const ptrdiff_t weights = fnn_net_panels_size(net);
    /* memory-bound: weigh the bytes of the weights, as gemm_rows does */
    const int nt = fnn_threads_for(2.0 * (double)rows * (double)weights * (double)sizeof(REAL));
    fnn_note_parallel(nt);
#ifdef _OPENMP
    if (nt > 1) {
        int split = L;
        while (split > 1 && (double)net->sizes[split - 1] * (double)net->sizes[split] *
                                    (double)sizeof(REAL) < PANELS_TAIL_BYTES)
            split--;
        /* For one row, the calling thread begins the first layer after the
         * region (ROWS_RESUME) when both layers apply their activation in
         * the product. */
        REAL *resume = NULL;
        ptrdiff_t resumed = 0;
        const int act0 = split < L ? SFX(layer_act)(net, split - 1) : -1;
        const int act1 = split < L ? SFX(layer_act)(net, split) : -1;
        if (rows == 1 && (act0 == FNN_ACT_IDENTITY || act0 == FNN_ACT_RELU) &&
            (act1 == FNN_ACT_IDENTITY || act1 == FNN_ACT_RELU))
            resume = fnn_scratch(FNN_SCRATCH_RESUME, (size_t)net->sizes[split + 1] * sizeof(REAL));
        SFX(panels_job) job = {net,    params, panels,   X,    rows, scratch,
                               row,    logits, resume,   &resumed, split};
        if (!fnn_team_run(nt, SFX(run_panels_job), &job)) {
            fnn_omp_begin();
#pragma omp parallel num_threads(nt)
            SFX(forward_panels_part)(net, params, panels, X, rows, scratch, row, logits, 0,
                                     split, omp_get_thread_num(), omp_get_num_threads(), resume,
                                     &resumed, 0);
            fnn_omp_end();
        }
        int tail = split;
        if (resumed > 0) {
            /* the rest of that layer's sums, then its bias and activation */
            ROWS_RESUME(0, net->sizes[split + 1], net->sizes[split], resumed,
                        SFX(panels_out)(net, scratch, logits, rows, split - 1),
                        SFX(layer_panels)(net, panels, split), resume,
                        SFX(panels_out)(net, scratch, logits, rows, split),
                        params + net->b_offset[split], act1 == FNN_ACT_RELU);
            tail = split + 1;
        }
        if (tail < L)
            SFX(forward_panels_part)(net, params, panels, X, rows, scratch, row, logits, tail,
                                     L, 0, 1, NULL, NULL, 0);
        return;
    }
#endif
    SFX(forward_panels_part)(net, params, panels, X, rows, scratch, row, logits, 0, L, 0, 1,
                             NULL, NULL, 0);
}

/* Returns the share of zeros among the first SPARSE_SAMPLE_ROWS rows of
 * X (all of them when fewer): the guess at the sparsity of a chunk. */
static double SFX(zero_share)(const REAL *X, ptrdiff_t rows, ptrdiff_t ldx, ptrdiff_t width)
{
    const ptrdiff_t sample = rows < SPARSE_SAMPLE_ROWS ? rows : SPARSE_SAMPLE_ROWS;
    ptrdiff_t zeros = 0;
    for (ptrdiff_t i = 0; i < sample; i++) {
        const REAL *x = X + i * ldx;
        for (ptrdiff_t j = 0; j < width; j++)
            zeros += x[j] == 0;
    }
    return sample > 0 ? (double)zeros / (double)(sample * width) : 0;
}

/* Computes the first layer of a chunk, dst := act(in W + b), through
 * sparse_rows with its rows split over threads. Each row is computed alike
 * on any thread. */
static void SFX(sparse_first_layer)(const fnn_net *net, const REAL *params, const REAL *in,
                                    ptrdiff_t rows, ptrdiff_t ldx, double density, REAL *dst)
{
    const ptrdiff_t K = net->sizes[0], M = net->sizes[1];
    const int act = SFX(layer_act)(net, 0);
    const REAL *W = params + net->w_offset[0], *b = params + net->b_offset[0];
    const int fused = act == FNN_ACT_IDENTITY || act == FNN_ACT_RELU;
    const SPARSE_ROWS_T sparse_rows = SPARSE_ROWS;
    /* the products that the rows' nonzero inputs take */
    int nt = fnn_threads_for(2.0 * (double)rows * (double)K * (double)M * density);
    if (nt > rows)
        nt = (int)rows;
    fnn_note_parallel(nt);
    FNN_PARALLEL_FOR(for (int t = 0; t < nt; t++) {
        const ptrdiff_t i0 = rows * t / nt, i1 = rows * (t + 1) / nt;
        sparse_rows(i1 - i0, M, K, in + i0 * ldx, ldx, W, M, dst + i0 * M, M,
                    fused ? b : NULL, act == FNN_ACT_RELU);
    });
    if (!fused)
        SFX(fnn_bias_act)(dst, rows, M, M, b, act);
}

/* Rows per chunk of fnn_net_predict: bounds the per-thread scratch memory. */
#define PREDICT_CHUNK 2048

static fnn_status SFX(net_predict)(const fnn_net *net, const REAL *params, const REAL *panels,
                                   const REAL *X, ptrdiff_t n, ptrdiff_t ldx, int apply_head,
                                   REAL *out, ptrdiff_t *bad)
{
    if (bad)
        *bad = -1;
    const int L = net->n_layers;
    const ptrdiff_t n_out = net->sizes[L];
    const ptrdiff_t chunk = n < PREDICT_CHUNK ? n : PREDICT_CHUNK;
    REAL *scratch = NULL;
    if (L > 1) {
        scratch = fnn_scratch(FNN_SCRATCH_PREDICT, (size_t)(2 * chunk * net->max_width) * sizeof(REAL));
        if (!scratch)
            return FNN_ENOMEM;
    }
    /* the panels serve the few-row GEMM path only (see fnn_net_pack_panels) */
    REAL *row = NULL;
    if (panels && n <= FNN_PANEL_MAX_ROWS) {
        row = fnn_scratch(FNN_SCRATCH_ROW, (size_t)net->max_width * sizeof(REAL));
        if (!row)
            return FNN_ENOMEM;
    }

    /* The first layer skips zero inputs only with finite weights (0 * inf
     * is NaN). A Predictor's panels exist only for finite weights; without
     * them the weights are checked once, when a chunk first takes the path.
     * The choice must not depend on the panels, so that the Predictor and
     * predict_proba give the same bits. */
    const ptrdiff_t K0 = net->sizes[0], M0 = net->sizes[1];
    int sparse_ok = M0 >= FNN_PANEL_COLS && n >= SPARSE_MIN_ROWS;
    int weights_checked = panels != NULL;

    for (ptrdiff_t r0 = 0; r0 < n; r0 += chunk) {
        const ptrdiff_t rows = n - r0 < chunk ? n - r0 : chunk;
        const REAL *in = X + r0 * ldx;
        ptrdiff_t ld_in = ldx;
        if (bad) {
            /* rows are contiguous when ldx is the input width */
            const ptrdiff_t at = SFX(fnn_first_nonfinite)(in, (rows - 1) * ldx + net->sizes[0]);
            if (at >= 0) {
                *bad = r0 * ldx + at;
                return FNN_ENONFINITE;
            }
        }
        if (row) {
            SFX(forward_panels)(net, params, panels, in, rows, scratch, row, out + r0 * n_out);
            if (apply_head)
                SFX(fnn_output)(out + r0 * n_out, out + r0 * n_out, rows, n_out, net->output);
            continue;
        }
        /* the share of nonzero inputs, and whether this chunk takes the path */
        double density = 1;
        int sparse = 0;
        if (sparse_ok) {
            density = 1 - SFX(zero_share)(in, rows, ldx, K0);
            if (density <= SPARSE_MAX_DENSITY && !weights_checked) {
                sparse_ok = SFX(fnn_first_nonfinite)(params + net->w_offset[0], K0 * M0) < 0;
                weights_checked = 1;
            }
            sparse = sparse_ok && density <= SPARSE_MAX_DENSITY;
        }
        for (int l = 0; l < L; l++) {
            const ptrdiff_t K = net->sizes[l], M = net->sizes[l + 1];
            REAL *dst = l == L - 1 ? out + r0 * n_out : scratch + (l % 2) * chunk * net->max_width;
            const int act = SFX(layer_act)(net, l);
            const REAL *W = params + net->w_offset[l], *b = params + net->b_offset[l];
            if (l == 0 && sparse) {
                SFX(sparse_first_layer)(net, params, in, rows, ld_in, density, dst);
            } else if (act == FNN_ACT_IDENTITY || act == FNN_ACT_RELU) {
                SFX(fnn_gemm_ep)(0, 0, rows, M, K, 1, in, ld_in, W, M, 0, dst, M, b,
                                 act == FNN_ACT_RELU, NULL, 0, -1);
            } else {
                SFX(fnn_gemm)(0, 0, rows, M, K, 1, in, ld_in, W, M, 0, dst, M);
                SFX(fnn_bias_act)(dst, rows, M, M, b, act);
            }
            in = dst;
            ld_in = M;
        }
        if (apply_head)
            SFX(fnn_output)(out + r0 * n_out, out + r0 * n_out, rows, n_out, net->output);
    }
    return FNN_OK;
}
#undef PREDICT_CHUNK
