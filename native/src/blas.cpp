// blas.cpp: the BLAS side of the library: single-precision GEMM through OpenBLAS's
// CBLAS (small-batch products A * B^T by gemm_small_m.cpp), the thread setting shared by OpenBLAS and the OpenMP kernels, and the
// description of the BLAS in use.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include <cblas.h>
#include <omp.h>

#include "internal.h"

namespace {
// 0 until om_set_num_threads() is called with n >= 1: use OpenMP's default.
std::atomic<int> g_threads{0};
// Per calling thread (om_set_thread_threads): > 0 overrides g_threads on that thread only,
// so scheduler replicas on their own worker threads each run their kernels with their own
// thread count.
thread_local int t_threads = 0;
}  // namespace

namespace om {

int threads() {
  if (t_threads > 0) return t_threads;
  const int n = g_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  const int d = omp_get_max_threads();
  return d > 0 ? d : 1;
}

void set_threads(int n) {
  g_threads.store(n, std::memory_order_relaxed);
  // The OpenMP loops use num_threads(threads()), which works from any calling thread;
  // omp_set_num_threads only affects the caller, but keeps it consistent there.
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

void set_thread_threads(int n) { t_threads = n > 0 ? n : 0; }

void blas_info(char* buf, int64_t len) {
  std::string info;
  if (const char* config = openblas_get_config()) info = config;
  while (!info.empty() && info.front() == ' ') info.erase(0, 1);
  while (!info.empty() && info.back() == ' ') info.pop_back();
  if (info.empty()) info = "OpenBLAS";
  const char* core = openblas_get_corename();
  if (core != nullptr && *core != '\0' && info.find(core) == std::string::npos) {
    info += " core=";
    info += core;
  }
  // Truncate to fit; always NUL-terminated.
  const size_t n = std::min(info.size(), static_cast<size_t>(len - 1));
  std::memcpy(buf, info.data(), n);
  buf[n] = '\0';
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (!trans_a && trans_b && alpha != 0.0f && small_m_sgemm_nt(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  if (!trans_a && !trans_b && alpha != 0.0f && small_m_sgemm_nn(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

}  // namespace om
