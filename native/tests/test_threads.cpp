// test_threads.cpp: the per-thread kernel thread count (om_set_thread_threads) applies to
// its thread only; OpenBLAS's process-wide count (om_set_blas_threads) set to 1 stays 1
// while two threads run partitioned convolutions concurrently (the engine saves and
// restores it), and the concurrent results equal the serial ones exactly.
#include <thread>

#include "test_util.h"

namespace {

void conv_run(const om_conv_shape& s, int n, const std::vector<float>& bottom,
              const std::vector<float>& w, std::vector<float>& top, int partitions) {
  int64_t ws_n = 0;
  CHECK_OK(om_conv_workspace_floats(&ws_n, &s, partitions, 2));
  std::vector<float> ws(static_cast<size_t>(ws_n));
  for (int rep = 0; rep < 20; ++rep)
    CHECK_OK(om_conv_forward(top.data(), bottom.data(), w.data(), nullptr, ws.data(), ws_n, n, &s,
                             partitions, 2));
}

}  // namespace

int main() {
  CHECK_OK(om_set_num_threads(2));
  CHECK(om_get_num_threads() == 2);
  int seen_in_worker = -1, seen_after_clear = -1;
  std::thread worker([&] {
    CHECK_OK(om_set_thread_threads(1));
    seen_in_worker = om_get_num_threads();
    CHECK_OK(om_set_thread_threads(0));
    seen_after_clear = om_get_num_threads();
  });
  worker.join();
  CHECK(seen_in_worker == 1);
  CHECK(seen_after_clear == 2);
  CHECK(om_get_num_threads() == 2);  // the main thread never saw the override
  CHECK(om_set_thread_threads(-1) == OM_INVALID_ARGUMENT);
  CHECK(om_set_blas_threads(0) == OM_INVALID_ARGUMENT);

  // Two concurrent replicas with OpenBLAS at 1 thread.
  const int saved = om_get_blas_threads();
  CHECK(saved >= 1);
  CHECK_OK(om_set_blas_threads(1));
  CHECK(om_get_blas_threads() == 1);
  const om_conv_shape s{3, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 8, 1};
  const int n = 6;
  Rng rng(7);
  const auto bottom = rng.vec(size_t(n) * 3 * 12 * 12), w = rng.vec(8 * 27);
  std::vector<float> serial(size_t(n) * 8 * 144), a(serial.size()), b(serial.size());
  conv_run(s, n, bottom, w, serial, 2);
  std::thread ta([&] { om_set_thread_threads(1); conv_run(s, n, bottom, w, a, 2); });
  std::thread tb([&] { om_set_thread_threads(1); conv_run(s, n, bottom, w, b, 3); });
  ta.join();
  tb.join();
  CHECK(om_get_blas_threads() == 1);
  CHECK(a == serial);
  bool close = true;
  for (size_t i = 0; i < b.size(); ++i) close &= std::fabs(b[i] - serial[i]) <= 1e-4f * (1 + std::fabs(serial[i]));
  CHECK(close);
  CHECK_OK(om_set_blas_threads(saved));
  CHECK(om_get_blas_threads() == saved);
  return finish("test_threads");
}
