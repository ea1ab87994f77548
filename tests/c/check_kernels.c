/*
 * The C kernels on their own, without Python: built by tests/test_c_kernels.py
 * for this machine and, where a cross compiler and an emulator are installed,
 * for aarch64. It checks three things. The GEMM must match the reference
 * kernel over edge shapes and all four transpose cases. The batch-1
 * training step with its fused update must equal forward + backward + a
 * separate optimizer step, bit for bit. The checked prediction path must
 * accept finite rows and find a NaN. Prints "ISA: N passed, N failed".
 */
#include "fastnn.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64 (Marsaglia, 2003): uniform numbers in [-1, 1) */
static unsigned long long state = 88172645463325252ULL;

static double urand(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) * 0x1.0p-53 * 2 - 1;
}

static int check_gemm(int ta, int tb, int m, int n, int k)
{
    float *A = malloc(sizeof(float) * m * k), *B = malloc(sizeof(float) * k * n);
    float *C = malloc(sizeof(float) * m * n), *R = malloc(sizeof(float) * m * n);
    for (int i = 0; i < m * k; i++) A[i] = (float)urand();
    for (int i = 0; i < k * n; i++) B[i] = (float)urand();
    int lda = ta ? m : k, ldb = tb ? k : n;
    fnn_gemm_f32(ta, tb, m, n, k, 1, A, lda, B, ldb, 0, C, n);
    fnn_gemm_ref_f32(ta, tb, m, n, k, 1, A, lda, B, ldb, 0, R, n);
    double worst = 0;
    for (int i = 0; i < m * n; i++) {
        double d = fabs((double)C[i] - R[i]);
        if (d > worst)
            worst = d;
    }
    free(A); free(B); free(C); free(R);
    int ok = worst <= 1e-5 * k;
    if (!ok) printf("gemm %d%d %dx%dx%d: max diff %g\n", ta, tb, m, n, k, worst);
    return ok;
}

int main(void)
{
    int failures = 0, checks = 0;
    fnn_set_num_threads(2);
    int shapes[][3] = {{1, 256, 784}, {2, 17, 600}, {7, 31, 300}, {130, 70, 513}, {13, 10, 300},
                       {128, 10, 128}, {128, 256, 128}, {5, 3, 1}, {64, 64, 257}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                checks++;
                failures += !check_gemm(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2]);
            }

    /* network 20-64-3, ReLU, softmax: batch-1 training twice, fused
     * (fnn_net_train_batches) against forward + backward + optimizer step */
    int sizes[] = {20, 64, 3}, acts[] = {FNN_ACT_RELU};
    fnn_net net;
    if (fnn_net_init(&net, 2, sizes, acts, FNN_OUT_SOFTMAX, FNN_FLOAT32) != FNN_OK)
        return 2;
    ptrdiff_t np = net.n_params;
    float *p1 = malloc(sizeof(float) * np), *p2 = malloc(sizeof(float) * np);
    float *g = calloc(np, sizeof(float));
    float *m1 = calloc(np, sizeof(float)), *v1 = calloc(np, sizeof(float));
    float *m2 = calloc(np, sizeof(float)), *v2 = calloc(np, sizeof(float));
    for (ptrdiff_t i = 0; i < np; i++) p1[i] = p2[i] = (float)(0.3 * urand());
    enum { N = 40 };
    float X[N * 20], Y[N * 3];
    for (int i = 0; i < N * 20; i++) X[i] = (float)urand();
    for (int i = 0; i < N; i++)
        for (int c = 0; c < 3; c++)
            Y[i * 3 + c] = (float)(c == i % 3);
    fnn_optimizer o1 = {FNN_OPT_ADAM, 0.01, 0.9, 1, 0.9, 0.999, 1e-8, 0, 0.0};
    fnn_optimizer o2 = o1;
    fnn_workspace ws1, ws2;
    memset(&ws1, 0, sizeof(ws1));
    memset(&ws2, 0, sizeof(ws2));
    if (fnn_workspace_reserve(&ws1, &net, 1) != FNN_OK || fnn_workspace_reserve(&ws2, &net, 1) != FNN_OK)
        return 2;
    double loss_sum = 0;
    if (fnn_net_train_batches(&net, &ws1, &o1, p1, g, m1, v1, X, Y, NULL, NULL, N, 1, 0, N, 0.0,
                              &loss_sum) != FNN_OK)
        return 3;
    for (int i = 0; i < N; i++) {
        fnn_net_forward(&net, &ws2, p2, X + i * 20, 1, 20);
        fnn_net_backward(&net, &ws2, p2, g, X + i * 20, 20, Y + i * 3, NULL, 1, 0.0);
        fnn_optimizer_step_f32(&o2, p2, m2, v2, g, np);
    }
    checks++;
    if (memcmp(p1, p2, sizeof(float) * np) != 0) {
        printf("fused batch-1 step differs from the separate one\n");
        failures++;
    }

    /* the checked prediction path accepts finite rows and finds a NaN */
    float out[N * 3];
    ptrdiff_t bad;
    checks++;
    if (fnn_net_predict_checked(&net, p1, X, N, 20, 1, out, &bad) != FNN_OK || bad != -1) {
        printf("predict_checked rejected finite rows\n");
        failures++;
    }

    /* one and two rows from the weights in column panels (64 hidden units
     * and 3 outputs: one full panel and one partial) give the same bits */
    float *panels = malloc(sizeof(float) * fnn_net_panels_size(&net));
    checks++;
    if (fnn_net_pack_panels(&net, p1, panels) != FNN_OK) {
        printf("pack_panels rejected finite weights\n");
        failures++;
    }
    for (int rows = 1; rows <= FNN_PANEL_MAX_ROWS; rows++) {
        float plain[2 * 3], paneled[2 * 3];
        fnn_net_predict_checked(&net, p1, X + 20, rows, 20, 1, plain, &bad);
        checks++;
        if (fnn_net_predict_panels(&net, p1, panels, X + 20, rows, 20, 1, paneled, &bad) !=
                FNN_OK ||
            memcmp(plain, paneled, sizeof(float) * 3 * rows) != 0) {
            printf("predict_panels differs from predict_checked for %d row(s)\n", rows);
            failures++;
        }
    }
    /* a row of mostly zeros takes the sparse panel path: still the same bits */
    for (int j = 0; j < 20; j++)
        if (j % 4 != 1)
            X[20 + j] = j % 8 == 0 ? -0.0f : 0.0f;
    {
        float plain[3], paneled[3];
        fnn_net_predict_checked(&net, p1, X + 20, 1, 20, 1, plain, &bad);
        checks++;
        if (fnn_net_predict_panels(&net, p1, panels, X + 20, 1, 20, 1, paneled, &bad) !=
                FNN_OK ||
            memcmp(plain, paneled, sizeof(plain)) != 0) {
            printf("predict_panels differs from predict_checked for a sparse row\n");
            failures++;
        }
    }
    /* pack_panels rejects a weight that is not finite */
    const float saved = p1[5];
    p1[5] = INFINITY;
    checks++;
    if (fnn_net_pack_panels(&net, p1, panels) != FNN_ENONFINITE) {
        printf("pack_panels accepted an infinite weight\n");
        failures++;
    }
    p1[5] = saved;
    free(panels);

    /* a batch of rows that are mostly zeros takes the sparse first layer:
     * its logits against a reference in double precision */
    {
        enum { R = 100 };
        float *S = calloc(R * 20, sizeof(float)), *logits = malloc(sizeof(float) * R * 3);
        for (int i = 0; i < R; i++)
            for (int j = 0; j < 20; j++)
                if ((i + j) % 6 == 0)
                    S[i * 20 + j] = (float)urand();
        checks++;
        double worst = 0;
        if (fnn_net_predict(&net, p1, S, R, 20, 0, logits) != FNN_OK) {
            worst = INFINITY;
        }
        const float *W1 = p1 + net.w_offset[0], *b1 = p1 + net.b_offset[0];
        const float *W2 = p1 + net.w_offset[1], *b2 = p1 + net.b_offset[1];
        for (int i = 0; i < R && isfinite(worst); i++) {
            double hidden[64];
            for (int h = 0; h < 64; h++) {
                double z = b1[h];
                for (int j = 0; j < 20; j++)
                    z += (double)S[i * 20 + j] * W1[j * 64 + h];
                hidden[h] = z > 0 ? z : 0;
            }
            for (int c = 0; c < 3; c++) {
                double z = b2[c];
                for (int h = 0; h < 64; h++)
                    z += hidden[h] * W2[h * 3 + c];
                const double error = fabs(z - logits[i * 3 + c]);
                worst = error > worst ? error : worst;
            }
        }
        if (!(worst < 1e-4)) {
            printf("predict of sparse rows is off by %g\n", worst);
            failures++;
        }
        free(S);
        free(logits);
    }

    X[7 * 20 + 4] = NAN;
    checks++;
    if (fnn_net_predict_checked(&net, p1, X, N, 20, 1, out, &bad) != FNN_ENONFINITE ||
        bad != 7 * 20 + 4) {
        printf("predict_checked missed the NaN at row 7, column 4\n");
        failures++;
    }
    printf("%s: %d passed, %d failed\n", fnn_isa_name(fnn_isa_active()), checks - failures, failures);
    return failures != 0;
}
