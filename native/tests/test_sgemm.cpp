// test_sgemm.cpp: om_sgemm against a naive triple loop for all four transpose
// combinations, padded leading dimensions, alpha/beta, and the degenerate k = 0; and the
// small-batch paths for A * B^T and A * B (gemm_small_m.cpp: m <= 64, n * k >= 2^20) at
// their edges.
#include <cstring>

#include "test_util.h"

// C = alpha * op(A) * op(B) + beta * C, row-major, in double.
static void naive_gemm(bool ta, bool tb, int m, int n, int k, float alpha,
                       const std::vector<float>& a, int lda, const std::vector<float>& b,
                       int ldb, float beta, std::vector<double>& c, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int p = 0; p < k; ++p) {
        const double av = ta ? a[p * lda + i] : a[i * lda + p];
        const double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      c[i * ldc + j] = alpha * acc + beta * c[i * ldc + j];
    }
}

static void run_case(Rng& rng, int ta, int tb, int m, int n, int k, int pad, float alpha,
                     float beta) {
  const int a_rows = ta ? k : m, a_cols = ta ? m : k;
  const int b_rows = tb ? n : k, b_cols = tb ? k : n;
  const int lda = std::max(1, a_cols + pad), ldb = std::max(1, b_cols + pad), ldc = n + pad;
  std::vector<float> a = rng.vec(static_cast<size_t>(a_rows) * lda + 1);
  std::vector<float> b = rng.vec(static_cast<size_t>(b_rows) * ldb + 1);
  std::vector<float> c = rng.vec(static_cast<size_t>(m) * ldc + 1);
  std::vector<double> want(c.begin(), c.end());
  naive_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc);
  CHECK_OK(om_sgemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc));
  char what[128];
  std::snprintf(what, sizeof what, "sgemm ta=%d tb=%d m=%d n=%d k=%d pad=%d", ta, tb, m, n, k, pad);
  // Padding columns of C must be untouched: they are compared too (want keeps them).
  all_close(what, c.data(), want.data(), c.size(), 1e-4, 1e-4);
}

// A * op(B) with beta 0 over a C of NaN: C is not read (no NaN comes through), as in BLAS;
// and the same product on 1 and 2 threads gives the same bits.
static void beta0_over_nan(Rng& rng, bool tb, int m, int n, int k) {
  const int ldb = tb ? k : n;
  std::vector<float> a = rng.vec(static_cast<size_t>(m) * k), b = rng.vec(static_cast<size_t>(n) * k);
  std::vector<float> c(static_cast<size_t>(m) * n, std::nanf(""));
  std::vector<double> want(c.size(), 0.0);
  naive_gemm(false, tb, m, n, k, 1.0f, a, k, b, ldb, 0.0f, want, n);
  CHECK_OK(om_sgemm(0, tb, m, n, k, 1.0f, a.data(), k, b.data(), ldb, 0.0f, c.data(), n));
  all_close(tb ? "sgemm small-batch A * B^T, beta 0 over NaN" : "sgemm small-batch A * B, beta 0 over NaN", c.data(),
            want.data(), c.size(), 1e-4, 1e-4);
  std::vector<float> c1(c.size());
  CHECK_OK(om_set_num_threads(1));
  CHECK_OK(om_sgemm(0, tb, m, n, k, 1.0f, a.data(), k, b.data(), ldb, 0.0f, c1.data(), n));
  CHECK_OK(om_set_num_threads(2));
  CHECK(std::memcmp(c1.data(), c.data(), c.size() * sizeof(float)) == 0);
}

int main() {
  Rng rng(1234);
  CHECK_OK(om_set_num_threads(2));
  for (int ta = 0; ta <= 1; ++ta)
    for (int tb = 0; tb <= 1; ++tb) {
      run_case(rng, ta, tb, 7, 5, 9, 0, 1.0f, 0.0f);
      run_case(rng, ta, tb, 7, 5, 9, 3, 0.5f, 2.0f);
      run_case(rng, ta, tb, 1, 1, 1, 0, -1.5f, 0.25f);
      run_case(rng, ta, tb, 64, 48, 33, 2, 1.0f, 1.0f);
      run_case(rng, ta, tb, 130, 70, 200, 0, 0.75f, -0.5f);
      run_case(rng, ta, tb, 6, 4, 0, 1, 1.0f, 0.5f);  // k = 0: C = beta * C
    }
  // The small-batch path A * B^T (gemm_small_m.cpp where AVX-512 is there, else OpenBLAS):
  // rows of A below, at and past one 32-row panel, n not a multiple of 12, k not a multiple
  // of its 1024-step blocks, padded strides, beta 0, 1 and other.
  run_case(rng, 0, 1, 64, 100, 10500, 0, 1.0f, 0.0f);
  run_case(rng, 0, 1, 37, 131, 8200, 3, 0.5f, 1.0f);
  run_case(rng, 0, 1, 1, 517, 2100, 1, 1.0f, -0.5f);
  run_case(rng, 0, 1, 64, 60, 17480, 0, -1.0f, 0.0f);
  run_case(rng, 0, 1, 65, 90, 11700, 2, 1.0f, 0.0f);  // past 64 rows: OpenBLAS
  beta0_over_nan(rng, true, 33, 64, 16400);
  // The small-batch path A * B (B not transposed: an InnerProduct's data gradient): rows of
  // A below, at and past one 8-row tile and 64 (OpenBLAS), n not a multiple of the 32-column
  // panels or of the 8-panel blocks, k not a multiple of the 256-row blocks, padded
  // strides, alpha folded in, beta 0, 1 and other.
  run_case(rng, 0, 0, 64, 1061, 1000, 0, 1.0f, 0.0f);
  run_case(rng, 0, 0, 9, 300, 3600, 3, 0.5f, 1.0f);
  run_case(rng, 0, 0, 1, 4100, 260, 1, -1.0f, -0.5f);
  run_case(rng, 0, 0, 8, 520, 2050, 0, 1.0f, 2.0f);
  run_case(rng, 0, 0, 63, 2049, 513, 2, 0.25f, 0.0f);
  run_case(rng, 0, 0, 65, 1030, 1030, 0, 1.0f, 0.0f);  // past 64 rows: OpenBLAS
  beta0_over_nan(rng, false, 17, 1100, 1000);
  // m or n = 0: nothing to do, NULL matrices allowed.
  CHECK_OK(om_sgemm(0, 0, 0, 5, 3, 1.0f, nullptr, 3, nullptr, 5, 0.0f, nullptr, 5));
  return finish("test_sgemm");
}
