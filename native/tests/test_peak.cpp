// test_peak.cpp: the peak probe's kernels count what they do: for every FMA-loop
// variant this CPU supports, on one and two threads, the reported FLOPs equal twice the
// checksum (the accumulators count their own multiply-adds) and the expected
// 2 * threads * 12 accumulators * lanes * iterations; timings are positive. The sgemm
// probe reports 2*m*n*k and a positive median, and restores the thread setting. Speed
// itself is not tested. Plus argument validation.
#include <string>

#include "test_util.h"

namespace {

void check_fma(int32_t isa, int32_t lanes, int32_t threads) {
  const int64_t iters = 20000;
  double flops = 0, seconds = 0, checksum = 0;
  int32_t used = -1;
  CHECK_OK(om_peak_fma(isa, threads, iters, &flops, &seconds, &checksum, &used));
  CHECK(used == isa);
  const double want = 2.0 * threads * 12 * lanes * static_cast<double>(iters);
  if (flops != want || checksum * 2.0 != flops || !(seconds > 0.0))
    std::fprintf(stderr, "isa %d threads %d: flops %.0f want %.0f checksum %.0f seconds %g\n", isa,
                 threads, flops, want, checksum, seconds);
  CHECK(flops == want);
  CHECK(checksum * 2.0 == flops);
  CHECK(seconds > 0.0);
}

}  // namespace

int main() {
  const int32_t best = om_peak_best_isa();
  CHECK(best >= OM_ISA_SSE && best <= OM_ISA_AVX512);
  std::printf("best isa: %d\n", best);
  const int32_t lanes[] = {0, 4, 8, 16};
  for (int32_t isa = OM_ISA_SSE; isa <= best; ++isa)
    for (int32_t threads : {1, 2}) check_fma(isa, lanes[isa], threads);

  double flops = 0, seconds = 0, checksum = 0;
  int32_t used = -1;
  CHECK_OK(om_peak_fma(OM_ISA_BEST, 1, 1000, &flops, &seconds, &checksum, &used));
  CHECK(used == best);
  CHECK_OK(om_peak_fma(OM_ISA_BEST, 1, 0, &flops, &seconds, &checksum, nullptr));
  CHECK(flops == 0.0 && checksum == 0.0);
  CHECK(om_peak_fma(7, 1, 10, &flops, &seconds, &checksum, nullptr) == OM_INVALID_ARGUMENT);
  CHECK(std::string(om_last_error()).find("isa") != std::string::npos);
  CHECK(om_peak_fma(OM_ISA_BEST, 0, 10, &flops, &seconds, &checksum, nullptr) == OM_INVALID_ARGUMENT);
  CHECK(om_peak_fma(OM_ISA_BEST, 1, 10, nullptr, &seconds, &checksum, nullptr) == OM_INVALID_ARGUMENT);
  if (best < OM_ISA_AVX512)
    CHECK(om_peak_fma(OM_ISA_AVX512, 1, 10, &flops, &seconds, &checksum, nullptr) == OM_INVALID_ARGUMENT);

  CHECK_OK(om_set_num_threads(2));
  double median = 0;
  CHECK_OK(om_peak_sgemm(1, 64, 48, 32, 3, &median, &flops));
  CHECK(flops == 2.0 * 64 * 48 * 32);
  CHECK(median > 0.0);
  CHECK(om_get_num_threads() == 2);  // restored
  CHECK(om_peak_sgemm(1, 64, 48, 32, 0, &median, &flops) == OM_INVALID_ARGUMENT);
  CHECK(om_peak_sgemm(0, 64, 48, 32, 1, &median, &flops) == OM_INVALID_ARGUMENT);
  return finish("test_peak");
}
