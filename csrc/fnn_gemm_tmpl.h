/*
 * GEMM for one element type: the naive reference, a direct path for very
 * few rows, and the blocked driver with the five loops of BLIS.
 *
 * Expects: REAL, SFX(name). Contract of every entry point:
 *   C[m,n] := alpha * op(A)[m,k] * op(B)[k,n] + beta * C, row-major.
 */

/* Element (i, p) of op(A) and (p, j) of op(B). */
#define OPA(i, p) (transa ? A[(p) * lda + (i)] : A[(i) * lda + (p)])
#define OPB(p, j) (transb ? B[(j) * ldb + (p)] : B[(p) * ldb + (j)])

void SFX(fnn_gemm_ref)(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                       REAL alpha, const REAL *A, ptrdiff_t lda, const REAL *B, ptrdiff_t ldb,
                       REAL beta, REAL *C, ptrdiff_t ldc)
{
    for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t j = 0; j < n; j++) {
            REAL sum = 0;
            for (ptrdiff_t p = 0; p < k; p++)
                sum += OPA(i, p) * OPB(p, j);
            REAL c = alpha * sum;
            C[i * ldc + j] = beta != 0 ? c + beta * C[i * ldc + j] : c;
        }
    }
}

/* C := beta * C, never reading C when beta == 0. */
static void SFX(scale_c)(ptrdiff_t m, ptrdiff_t n, REAL beta, REAL *C, ptrdiff_t ldc)
{
    for (ptrdiff_t i = 0; i < m; i++)
        for (ptrdiff_t j = 0; j < n; j++)
            C[i * ldc + j] = beta != 0 ? beta * C[i * ldc + j] : 0;
}

/* Maximum depth KC of a block of the inner dimension, chosen so that a
 * KC x NR sliver of B stays in L1: 20 KiB for the AVX2 tile (64-byte rows),
 * 32 KiB at 256 for the AVX-512 tile (128-byte rows). A longer k is cut
 * into equal blocks: 784 runs as 3 x 262, not as 256 + 256 + 256 + 16,
 * because that last block would load and store C for only 16 steps. */
#define GEMM_KC 320
#define GEMM_KC_WIDE 256
#define GEMM_MC_TILES 24  /* MC = 24 * MR rows of A per packed block */
#define GEMM_NC_TILES 128 /* NC = 128 * NR columns of B per packed block */
/* Below these sizes packing costs more than it saves, so the direct path
 * runs: few rows (one-row prediction), or a short inner dimension (the
 * weight gradient x^T dz of a batch of one is a rank-1 product). */
#define GEMM_DIRECT_ROWS 2
/* With at least this many row tiles per thread, threads split the rows of C. */
#ifndef GEMM_SPLIT_ROWS
#define GEMM_SPLIT_ROWS 16
#endif
#define GEMM_DIRECT_DEPTH 4
/* From this many rows, A^T B with few columns takes gemm_tn. */
#define GEMM_TN_MIN_ROWS 16
/* A blocked product counts for half its flops in the thread policy, so a
 * second thread needs 2 MFLOP, not 1. Each thread writes its part of C,
 * which the next layer then reads on both cores. On an Intel Xeon with
 * AVX-512, a breast cancer fit (30-100-1, batch 200, largest products 1.2
 * MFLOP) took 9.7 ms on one thread and 11.6-13.0 ms on two. With the half
 * weight it took 9.6-9.8 ms on two. Workload A at batch 32, where the
 * second layer's 2.1 MFLOP product keeps both threads, did not change. */
#define GEMM_THREAD_WEIGHT 0.5

/* The epilogue of fnn_gemm_ep, for the paths whose kernels have none. */
static void SFX(epilogue)(ptrdiff_t m, ptrdiff_t n, REAL *C, ptrdiff_t ldc, const REAL *bias,
                          int relu, const REAL *gate, ptrdiff_t ldg)
{
    for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t j = 0; j < n; j++) {
            REAL z = C[i * ldc + j];
            if (bias)
                z += bias[j];
            if (relu)
                z = z < 0 ? 0 : z;
            if (gate)
                z = gate[i * ldg + j] > 0 ? z : 0;
            C[i * ldc + j] = z;
        }
    }
}

/* Arguments of one blocked product, shared by the threads that compute it. */
typedef struct {
    int transa, transb;
    ptrdiff_t m, n, k;
    REAL alpha, beta;
    const REAL *A, *B;
    ptrdiff_t lda, ldb, ldc, ldg;
    REAL *C, *Ap, *Bp;
    const REAL *bias, *gate;
    int relu, direct_a;
    int split_rows; /* each thread takes a range of rows (see gemm_blocked) */
    int split_cols; /* each thread takes a range of column slivers */
    size_t ap_bytes, bp_bytes;
    ptrdiff_t KC;   /* block of the inner dimension */
    const fnn_kernel_table *kt;
} SFX(gemm_job);

/* The five loops of BLIS, run by thread t of a team of `team`. With
 * split_rows, each thread takes its own range of rows of C and packs every
 * block of B, and its rows' blocks of A, into buffers of its own. With
 * split_cols (too few rows to split, enough columns), each thread takes
 * its own range of column slivers, and packs those slivers of B and every
 * block of A into buffers of its own. Either way no barrier runs inside
 * the loops. Packing A and B once for all threads needed a barrier after
 * each step, and each thread then read the half that the other had just
 * written from the other core's cache. On an Intel Xeon with AVX-512 at 2
 * threads, 128x256x128 ran at 141-180 GFLOP/s that way and at 252-271 with
 * private copies (alternating runs of both builds). Only products of too
 * few columns to split (a layer of 10 outputs) still share their packed
 * blocks. Each tile of C is computed by one thread, with the same sums. A
 * team of one runs the same loops with no OpenMP call at all, which
 * matters for the small products that stay on one thread. */
static void SFX(gemm_blocked)(const SFX(gemm_job) *g, int t, int team)
{
    const fnn_kernel_table *kt = g->kt;
    const int MR = KT_MR(kt), MR2 = KT_MR2(kt), NR = KT_NR(kt);
    const KT_UKERNEL_T ukernel = KT_UKERNEL(kt);
    const KT_PACK_A_T pack_a = KT_PACK_A(kt);
    const KT_PACK_B_T pack_b = KT_PACK_B(kt);
    const int transa = g->transa, transb = g->transb;
    const ptrdiff_t m = g->m, n = g->n, k = g->k;
    const ptrdiff_t lda = g->lda, ldb = g->ldb, ldc = g->ldc, ldg = g->ldg;
    const REAL alpha = g->alpha;
    const REAL *A = g->A, *B = g->B, *bias = g->bias, *gate = g->gate;
    REAL *C = g->C, *Ap = g->Ap, *Bp = g->Bp;
    const ptrdiff_t rsa = transa ? 1 : lda, csa = transa ? lda : 1;
    const ptrdiff_t KC = g->KC, NC = (ptrdiff_t)GEMM_NC_TILES * NR;
    ptrdiff_t MC = (ptrdiff_t)GEMM_MC_TILES * MR;

    /* rows [r0, r1) of this thread; `share` threads work on each block of A */
    ptrdiff_t r0 = 0, r1 = m;
    int share = team, me = t;
    /* with split rows, each thread packs all of B in a buffer of its own */
    const int private_b = g->split_rows && team > 1;
    if (g->split_rows) {
        r0 = m * t / team;
        r1 = m * (t + 1) / team;
        share = 1;
        me = 0;
        /* equal blocks, the last not a sliver of a few rows */
        const ptrdiff_t blocks = (r1 - r0 + MC - 1) / MC;
        if (blocks > 0)
            MC = ((r1 - r0 + blocks - 1) / blocks + MR - 1) / MR * MR;
        if (!g->direct_a && t > 0)
            Ap = fnn_scratch(FNN_SCRATCH_PACK_A,
                             (size_t)(MC * (k < KC ? k : KC)) * sizeof(REAL));
        if (private_b && t > 0)
            Bp = fnn_scratch(FNN_SCRATCH_PACK_B, g->bp_bytes);
    }
    const int split_cols = g->split_cols && team > 1;
    if (split_cols) {
        share = 1;
        me = 0;
        if (t > 0) {
            if (!g->direct_a)
                Ap = fnn_scratch(FNN_SCRATCH_PACK_A, g->ap_bytes);
            Bp = fnn_scratch(FNN_SCRATCH_PACK_B, g->bp_bytes);
        }
    }
    const int own_b = private_b || split_cols;
    /* NOTE: a thread that finds no memory for its A or B buffer computes its
     * rows (its columns with split_cols) with the reference loop after the
     * blocked ones, rounded differently. */
    const int fallback = (Ap == NULL && !g->direct_a) || Bp == NULL;
    if (fallback)
        r1 = r0;

    for (ptrdiff_t jc = 0; jc < n; jc += NC) {                 /* loop 5: jc */
        const ptrdiff_t nc = n - jc < NC ? n - jc : NC;
        const ptrdiff_t n_jr = (nc + NR - 1) / NR;
        for (ptrdiff_t pc = 0; pc < k; pc += KC) {             /* loop 4: pc */
            const ptrdiff_t kc = k - pc < KC ? k - pc : KC;
            const REAL beta_pc = pc == 0 ? g->beta : (REAL)1;
            /* the epilogue runs once, when the last block of the sum is stored */
            const int last_pc = pc + kc >= k;
            const int relu_pc = last_pc && g->relu;

            /* the column slivers that this thread packs: all of them with private_b */
            const int bt = private_b ? 0 : t, bteam = private_b ? 1 : team;
            const ptrdiff_t jb0 = n_jr * bt / bteam, jb1 = n_jr * (bt + 1) / bteam;
            for (ptrdiff_t jr = jb0; (!own_b || r1 > r0) && jr < jb1; jr++) {
                const ptrdiff_t j0 = jc + jr * NR;
                const int nr = (int)(n - j0 < NR ? n - j0 : NR);
                pack_b(Bp + jr * NR * kc, transb, B, ldb, pc, kc, j0, nr);
            }
            if (team > 1 && !own_b) {
                FNN_BARRIER();
            }

            for (ptrdiff_t ic = r0; ic < r1; ic += MC) {       /* loop 3: ic */
                const ptrdiff_t mc = r1 - ic < MC ? r1 - ic : MC;
                const ptrdiff_t n_ir = fnn_row_tiles(mc, MR);

                if (!g->direct_a) {
                    for (ptrdiff_t ir = n_ir * me / share; ir < n_ir * (me + 1) / share; ir++) {
                        ptrdiff_t off;
                        int mr;
                        fnn_row_tile(mc, MR, MR2, ir, &off, &mr);
                        pack_a(Ap + off * kc, transa, A, lda, ic + off, mr, pc, kc);
                    }
                    if (share > 1) {
                        FNN_BARRIER();
                    }
                }

                /* loops 2 and 1 (jr, ir) as one range of micro-tiles. Each
                 * tile of C belongs to one thread, so the sum over p runs
                 * in the same order for any thread count. */
                const ptrdiff_t jlo = split_cols ? jb0 : 0, jhi = split_cols ? jb1 : n_jr;
                const ptrdiff_t tiles = (jhi - jlo) * n_ir;
                for (ptrdiff_t u = tiles * me / share; u < tiles * (me + 1) / share; u++) {
                    const ptrdiff_t jr = jlo + u / n_ir, ir = u % n_ir;
                    ptrdiff_t off;
                    int mr;
                    fnn_row_tile(mc, MR, MR2, ir, &off, &mr);
                    const ptrdiff_t i0 = ic + off, j0 = jc + jr * NR;
                    const int nr = (int)(n - j0 < NR ? n - j0 : NR);
                    const REAL *bias_t = last_pc && bias ? bias + j0 : NULL;
                    const REAL *gate_t = last_pc && gate ? gate + i0 * ldg + j0 : NULL;
                    if (g->direct_a)
                        KT_UKERNEL_SA(kt)(kc, alpha, A + i0 * rsa + pc * csa, rsa, csa,
                                          Bp + jr * NR * kc, beta_pc, C + i0 * ldc + j0, ldc,
                                          mr, nr, bias_t, relu_pc, gate_t, ldg);
                    else if (bias_t || relu_pc || gate_t)
                        KT_UKERNEL_EP(kt)(kc, alpha, Ap + off * kc, Bp + jr * NR * kc,
                                          beta_pc, C + i0 * ldc + j0, ldc, mr, nr, bias_t,
                                          relu_pc, gate_t, ldg);
                    else
                        ukernel(kc, alpha, Ap + off * kc, Bp + jr * NR * kc, beta_pc,
                                C + i0 * ldc + j0, ldc, mr, nr);
                }
                /* the shared packed block of A is overwritten next */
                if (share > 1) {
                    FNN_BARRIER();
                }
            }
        }
    }
    if (fallback && split_cols) {
        /* this thread's slivers of the single column block (see fnn_gemm_ep) */
        const ptrdiff_t n_jr = (n + NR - 1) / NR;
        const ptrdiff_t j0 = n_jr * t / team * NR;
        ptrdiff_t j1 = n_jr * (t + 1) / team * NR;
        j1 = j1 < n ? j1 : n;
        if (j1 > j0) {
            SFX(fnn_gemm_ref)(transa, transb, m, j1 - j0, k, alpha, A, lda,
                              transb ? B + j0 * ldb : B + j0, ldb, g->beta, C + j0, ldc);
            if (bias || g->relu || gate)
                SFX(epilogue)(m, j1 - j0, C + j0, ldc, bias ? bias + j0 : NULL, g->relu,
                              gate ? gate + j0 : NULL, ldg);
        }
    } else if (fallback) {
        r1 = m * (t + 1) / team;
        REAL *Cr = C + r0 * ldc;
        const REAL *Ar = A + r0 * rsa;
        SFX(fnn_gemm_ref)(transa, transb, r1 - r0, n, k, alpha, Ar, lda, B, ldb, g->beta, Cr, ldc);
        if (bias || g->relu || gate)
            SFX(epilogue)(r1 - r0, n, Cr, ldc, bias, g->relu, gate ? gate + r0 * ldg : NULL, ldg);
    }
}

void SFX(fnn_gemm)(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, REAL alpha,
                   const REAL *A, ptrdiff_t lda, const REAL *B, ptrdiff_t ldb, REAL beta,
                   REAL *C, ptrdiff_t ldc)
{
    SFX(fnn_gemm_ep)(transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, NULL, 0,
                     NULL, 0, -1);
}

void SFX(fnn_gemm_ep)(int transa, int transb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, REAL alpha,
                      const REAL *A, ptrdiff_t lda, const REAL *B, ptrdiff_t ldb, REAL beta,
                      REAL *C, ptrdiff_t ldc, const REAL *bias, int relu, const REAL *gate,
                      ptrdiff_t ldg, ptrdiff_t lead)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0 || alpha == 0) {
        SFX(scale_c)(m, n, beta, C, ldc);
        if (bias || relu || gate)
            SFX(epilogue)(m, n, C, ldc, bias, relu, gate, ldg);
        return;
    }

    const fnn_kernel_table *kt = fnn_kernels();
    const int MR = KT_MR(kt), NR = KT_NR(kt);
    /* With a single column panel each sliver of A is used once: read it in
     * place rather than pack it. */
    const int direct_a = n <= NR;
    const ptrdiff_t kc_limit = NR * sizeof(REAL) <= 64 ? GEMM_KC : GEMM_KC_WIDE;
    const ptrdiff_t blocks = (k + kc_limit - 1) / kc_limit;
    const ptrdiff_t KC = (k + blocks - 1) / blocks, MC = (ptrdiff_t)GEMM_MC_TILES * MR;
    const ptrdiff_t NC = (ptrdiff_t)GEMM_NC_TILES * NR;
    const int nt = fnn_threads_for(GEMM_THREAD_WEIGHT * 2.0 * (double)m * (double)n * (double)k);

    /* buffers: packed blocks of A (MC x KC) and B (KC x NC), sized to the problem */
    ptrdiff_t mc_max = m < MC ? ((m + MR - 1) / MR) * MR : MC;
    ptrdiff_t nc_max = n < NC ? ((n + NR - 1) / NR) * NR : NC;
    ptrdiff_t kc_max = k < KC ? k : KC;
    if (m <= GEMM_DIRECT_ROWS || k <= GEMM_DIRECT_DEPTH) {
        REAL *row = fnn_scratch(FNN_SCRATCH_ROW, (size_t)n * sizeof(REAL));
        /* With a short inner dimension, a transposed B is copied to k rows
         * of n first: the direct path then streams rows of B instead of
         * taking one dot product of length k per element of C. */
        REAL *Bt = transb && k <= GEMM_DIRECT_DEPTH
                       ? fnn_scratch(FNN_SCRATCH_PACK_B, (size_t)(k * n) * sizeof(REAL))
                       : NULL;
        if (row && Bt) {
            for (ptrdiff_t p = 0; p < k; p++)
                for (ptrdiff_t j = 0; j < n; j++)
                    Bt[p * n + j] = B[j * ldb + p];
            KT_ROWS(kt)(transa, 0, m, n, k, alpha, A, lda, Bt, n, beta, row, C, ldc, bias, relu,
                        gate, ldg, lead);
            return;
        }
        if (row) {
            KT_ROWS(kt)(transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, row, C, ldc, bias,
                        relu, gate, ldg, lead);
            return;
        }
    }
    if (transa && !transb && n <= KT_TN_COLS(kt) && m >= GEMM_TN_MIN_ROWS && !bias && !relu &&
        !gate) {
        /* a narrow weight gradient: gemm_tn, with rows split over threads in
         * units of 64, a whole number of its row blocks on every ISA */
        const ptrdiff_t units = (m + 63) / 64;
        const int team = nt < units ? nt : (int)units;
        fnn_note_parallel(team);
        FNN_PARALLEL_FOR(for (int t = 0; t < team; t++) {
            const ptrdiff_t r0 = fnn_chunk_start(units, team, t) * 64;
            ptrdiff_t r1 = fnn_chunk_start(units, team, t + 1) * 64;
            r1 = r1 < m ? r1 : m;
            /* the last block of rows: KC steps of at most two 64-byte vectors */
            REAL *pad = fnn_scratch(FNN_SCRATCH_PACK_A, (size_t)KC * 128);
            if (pad) {
                KT_TN(kt)(r0, r1, n, k, KC, alpha, A, lda, B, ldb, beta, C, ldc, pad);
            } else {
                /* NOTE: no memory for the pad: the reference loop, rounded
                 * differently */
                SFX(fnn_gemm_ref)(1, 0, r1 - r0, n, k, alpha, A + r0, lda, B, ldb, beta,
                                  C + r0 * ldc, ldc);
            }
        });
        return;
    }
    REAL *Ap = fnn_scratch(FNN_SCRATCH_PACK_A, (size_t)(mc_max * kc_max) * sizeof(REAL));
    REAL *Bp = fnn_scratch(FNN_SCRATCH_PACK_B, (size_t)(kc_max * nc_max) * sizeof(REAL));
    if (!Ap || !Bp) {
        /* NOTE: no memory for the packed blocks; the reference loop needs
         * none and gives the same result up to rounding. */
        SFX(fnn_gemm_ref)(transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        if (bias || relu || gate)
            SFX(epilogue)(m, n, C, ldc, bias, relu, gate, ldg);
        return;
    }
    fnn_note_parallel(nt);
    const int split_rows = m >= (ptrdiff_t)GEMM_SPLIT_ROWS * MR * nt;
    /* too few rows to split: split the column slivers, at least two per
     * thread, within one column block */
    const int split_cols = !split_rows && n <= NC && (n + NR - 1) / NR >= 2 * (ptrdiff_t)nt;
    const SFX(gemm_job) job = {
        .transa = transa, .transb = transb, .m = m, .n = n, .k = k, .alpha = alpha,
        .beta = beta, .A = A, .B = B, .lda = lda, .ldb = ldb, .ldc = ldc, .ldg = ldg, .C = C,
        .Ap = Ap, .Bp = Bp, .bias = bias, .gate = gate, .relu = relu, .direct_a = direct_a,
        .split_rows = split_rows, .split_cols = split_cols, .KC = KC, .kt = kt,
        .ap_bytes = (size_t)(mc_max * kc_max) * sizeof(REAL),
        .bp_bytes = (size_t)(kc_max * nc_max) * sizeof(REAL)};
#ifdef _OPENMP
    if (nt > 1) {
        fnn_omp_begin();
#pragma omp parallel num_threads(nt)
        SFX(gemm_blocked)(&job, omp_get_thread_num(), omp_get_num_threads());
        fnn_omp_end();
        return;
    }
#endif
    SFX(gemm_blocked)(&job, 0, 1);
}

#undef OPA
#undef OPB
#undef GEMM_KC
#undef GEMM_KC_WIDE
#undef GEMM_MC_TILES
#undef GEMM_NC_TILES
#undef GEMM_DIRECT_ROWS
#undef GEMM_SPLIT_ROWS
#undef GEMM_DIRECT_DEPTH
#undef GEMM_TN_MIN_ROWS
#undef GEMM_THREAD_WEIGHT
