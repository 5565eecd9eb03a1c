/* The matrix products of the small workload (bench/WORKLOAD.md: 2-layer LSTM of 64, batch 64,
 * window 60) timed through the MKL inside libtorch_cpu, on the calling thread, five ways:
 *   loop    K products one after another (sgemm_, as the hand-written steps call it)
 *   packed  the same with the weight packed once (cblas_sgemm_compute, as the steps' recurrent
 *           products are)
 *   batch   the K products in one call (cblas_sgemm_batch): how a fleet of K networks would
 *           step together on the CPU
 *   bf16    the loop with both operands in bfloat16 and float accumulation
 *           (cblas_gemm_bf16bf16f32; AMX or AVX512-BF16 where the CPU has them): the rate an
 *           opt-in lower precision could reach, operands converted beforehand (not timed)
 *   bf16+cvt the same, each call first converting the operands a training step would convert
 *           there: the activations (h, the gates' gradients, a layer's inputs) at every call,
 *           a weight only once per pass of a layer, so not here (both operands of a weight
 *           gradient are activations; both of the peak's are converted too)
 * and a 2048 x 2048 product, the peak the floor in docs/performance.md is taken at. MKL's
 * compact products (mkl_sgemm_compact) are not exported by libtorch_cpu, so they are not here.
 *
 * Run by `scripts/bench --gemm` (one MKL thread: a fleet runs one network per thread).
 * Prints which conversion was compiled, then one line per shape: GFLOP/s of each way, the best
 * of 5 repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__AVX512BF16__)
#include <immintrin.h>
#endif

typedef int mkl_int;
extern void sgemm_(const char *, const char *, const mkl_int *, const mkl_int *, const mkl_int *,
                   const float *, const float *, const mkl_int *, const float *, const mkl_int *,
                   const float *, float *, const mkl_int *);
extern void cblas_sgemm_batch(int, const int *, const int *, const mkl_int *, const mkl_int *,
                              const mkl_int *, const float *, const float **, const mkl_int *,
                              const float **, const mkl_int *, const float *, float **,
                              const mkl_int *, mkl_int, const mkl_int *);
extern void cblas_gemm_bf16bf16f32(int, int, int, mkl_int, mkl_int, mkl_int, float,
                                   const unsigned short *, mkl_int, const unsigned short *,
                                   mkl_int, float, float *, mkl_int);
extern size_t cblas_sgemm_pack_get_size(int, mkl_int, mkl_int, mkl_int);
extern void cblas_sgemm_pack(int, int, int, mkl_int, mkl_int, mkl_int, float, const float *,
                             mkl_int, float *);
extern void cblas_sgemm_compute(int, int, int, mkl_int, mkl_int, mkl_int, const float *, mkl_int,
                                const float *, mkl_int, float, float *, mkl_int);

enum { ROW_MAJOR = 101, NO_TRANS = 111, PACKED = 151, B_MATRIX = 162 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* bfloat16 by rounding to nearest even (the operands are finite and normal: the instruction
 * flushes subnormals to zero, the scalar loop does not); with the CPU's own conversion
 * instruction where the compiler targets it (scripts/bench builds with -march=native) */
static void into_bf16(unsigned short *p, const float *x, size_t n) {
    size_t i = 0;
#if defined(__AVX512BF16__)
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
        _mm512_storeu_si512((void *)(p + i), (__m512i)v);
    }
#endif
    for (; i < n; i++) {
        unsigned int u;
        memcpy(&u, &x[i], sizeof u);
        p[i] = (unsigned short)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
    }
}

static unsigned short *to_bf16(const float *x, size_t n) {
    unsigned short *p = malloc(n * sizeof(unsigned short));
    into_bf16(p, x, n);
    return p;
}

static float *random_matrix(size_t n) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)(rand() % 1000) / 1000.0f - 0.5f;
    return p;
}

/* row-major c[m, n] = a[m, k] b[k, n]; column-major BLAS sees c^T = b^T a^T */
static void product(int m, int n, int k, const float *a, const float *b, float *c) {
    const float one = 1.0f, zero = 0.0f;
    sgemm_("N", "N", &n, &m, &k, &one, b, &n, a, &k, &zero, c, &n);
}

/* b_is_activation: the second operand changes at every call (a weight gradient's; the peak's
 * too, for want of a step to stand for), so it is converted in the bf16+cvt timing as well */
static void shape(const char *name, int count, int m, int n, int k, int b_is_activation,
                  int reps) {
    float **a = malloc(count * sizeof(float *)), **b = malloc(count * sizeof(float *));
    float **c = malloc(count * sizeof(float *)), **packed = malloc(count * sizeof(float *));
    unsigned short **a16 = malloc(count * sizeof(unsigned short *));
    unsigned short **b16 = malloc(count * sizeof(unsigned short *));
    size_t size = cblas_sgemm_pack_get_size(B_MATRIX, m, n, k);
    for (int i = 0; i < count; i++) {
        a[i] = random_matrix((size_t)m * k);
        b[i] = random_matrix((size_t)k * n);
        c[i] = random_matrix((size_t)m * n);
        packed[i] = malloc(size);
        cblas_sgemm_pack(ROW_MAJOR, B_MATRIX, NO_TRANS, m, n, k, 1.0f, b[i], n, packed[i]);
        a16[i] = to_bf16(a[i], (size_t)m * k);
        b16[i] = to_bf16(b[i], (size_t)k * n);
    }
    const double flops = 2.0 * m * n * k * count * reps;
    double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
    const int no = NO_TRANS;
    const mkl_int lda = k, ldb = n, ldc = n, group = count;
    const float alpha = 1.0f, beta = 0.0f;
    for (int round = 0; round < 5; round++) {
        double t = now();
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < count; i++) product(m, n, k, a[i], b[i], c[i]);
        t = now() - t;
        if (t < best[0]) best[0] = t;
        t = now();
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < count; i++)
                cblas_sgemm_compute(ROW_MAJOR, NO_TRANS, PACKED, m, n, k, a[i], k, packed[i], n,
                                    0.0f, c[i], n);
        t = now() - t;
        if (t < best[1]) best[1] = t;
        t = now();
        for (int r = 0; r < reps; r++)
            cblas_sgemm_batch(ROW_MAJOR, &no, &no, &m, &n, &k, &alpha, (const float **)a, &lda,
                              (const float **)b, &ldb, &beta, c, &ldc, 1, &group);
        t = now() - t;
        if (t < best[2]) best[2] = t;
        t = now();
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < count; i++)
                cblas_gemm_bf16bf16f32(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1.0f, a16[i], k,
                                       b16[i], n, 0.0f, c[i], n);
        t = now() - t;
        if (t < best[3]) best[3] = t;
        t = now();
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < count; i++) {
                into_bf16(a16[i], a[i], (size_t)m * k);
                if (b_is_activation) into_bf16(b16[i], b[i], (size_t)k * n);
                cblas_gemm_bf16bf16f32(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1.0f, a16[i], k,
                                       b16[i], n, 0.0f, c[i], n);
            }
        t = now() - t;
        if (t < best[4]) best[4] = t;
    }
    printf("%-34s %3d x [%4d, %4d] x [%4d, %4d]  loop %6.1f  packed %6.1f  batch %6.1f  bf16 %7.1f "
           " bf16+cvt %7.1f GFLOP/s\n",
           name, count, m, k, k, n, flops / best[0] / 1e9, flops / best[1] / 1e9,
           flops / best[2] / 1e9, flops / best[3] / 1e9, flops / best[4] / 1e9);
    for (int i = 0; i < count; i++) {
        free(a[i]);
        free(b[i]);
        free(c[i]);
        free(packed[i]);
        free(a16[i]);
        free(b16[i]);
    }
    free(a);
    free(b);
    free(c);
    free(packed);
    free(a16);
    free(b16);
}

int main(void) {
#if defined(__AVX512BF16__)
    printf("bf16+cvt converts with the CPU's instruction (AVX512-BF16)\n");
#else
    printf("bf16+cvt converts with a scalar loop (the compiler does not target AVX512-BF16)\n");
#endif
    /* the recurrent product of a step, forward (h W_hh^T) and backward (da W_hh), for 16
     * networks; a weight gradient over a batch's 64 x 60 rows; the input product of layer 2 */
    shape("step, forward", 16, 64, 256, 64, 0, 200);
    shape("step, backward", 16, 64, 64, 256, 0, 200);
    shape("weight gradient (da^T x)", 4, 256, 64, 3840, 1, 20);
    shape("input product (x W_ih^T)", 4, 3840, 256, 64, 0, 20);
    shape("peak (2048 square)", 1, 2048, 2048, 2048, 1, 2);
    return 0;
}
