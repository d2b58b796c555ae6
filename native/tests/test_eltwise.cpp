// test_eltwise.cpp: om_eltwise_max_fwd/bwd (running maximum over several inputs with
// Caffe's tie rule, and gradient routing) and om_eltwise_div against naive loops, small
// and large enough for the OpenMP path.
#include "test_util.h"

static void check_count(Rng& rng, int64_t count) {
  const size_t n = static_cast<size_t>(count);
  const std::string tag = " count=" + std::to_string(count);
  std::vector<std::vector<float>> in;
  for (int k = 0; k < 4; ++k) {
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(static_cast<int>(rng.uniform(0.0f, 4.0f)));  // ties
    in.push_back(v);
  }
  std::vector<float> top(n), want(n);
  std::vector<int32_t> mask(n, -5), want_mask(n);
  for (size_t i = 0; i < n; ++i) {
    // Caffe: first pair to input 0 only when strictly greater; later inputs when strictly greater.
    if (in[0][i] > in[1][i]) { want[i] = in[0][i]; want_mask[i] = 0; }
    else { want[i] = in[1][i]; want_mask[i] = 1; }
    for (int k = 2; k < 4; ++k)
      if (in[k][i] > want[i]) { want[i] = in[k][i]; want_mask[i] = k; }
  }
  for (int k = 0; k < 4; ++k) CHECK_OK(om_eltwise_max_fwd(top.data(), mask.data(), in[k].data(), count, k));
  all_close("max fwd" + tag, top, want, 0.0, 0.0);
  all_close("max mask" + tag, mask, want_mask, 0.0, 0.0);

  const std::vector<float> dy = rng.vec(n);
  std::vector<float> dx(n, 9.0f);
  for (int k = 0; k < 4; ++k) {
    CHECK_OK(om_eltwise_max_bwd(dx.data(), dy.data(), mask.data(), count, k));
    for (size_t i = 0; i < n; ++i) want[i] = want_mask[i] == k ? dy[i] : 0.0f;
    all_close("max bwd " + std::to_string(k) + tag, dx, want, 0.0, 0.0);
  }

  std::vector<float> a = rng.vec(n), b = rng.vec(n, 0.5f, 2.0f), y(n);
  CHECK_OK(om_eltwise_div(y.data(), a.data(), b.data(), count));
  for (size_t i = 0; i < n; ++i) want[i] = a[i] / b[i];
  all_close("div" + tag, y, want, 0.0, 0.0);
  CHECK_OK(om_eltwise_div(a.data(), a.data(), b.data(), count));
  all_close("div in place" + tag, a, want, 0.0, 0.0);
}

int main() {
  Rng rng(77);
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{33}, int64_t{70001}}) check_count(rng, count);
  }
  float t[4] = {}, x[4] = {};
  int32_t m[4] = {};
  CHECK(om_eltwise_max_fwd(t, m, t, 4, 0) == OM_INVALID_ARGUMENT);   // x overlaps top
  CHECK(om_eltwise_max_fwd(t, m, x, 4, -1) == OM_INVALID_ARGUMENT);
  CHECK(om_eltwise_max_fwd(t, nullptr, x, 4, 0) == OM_INVALID_ARGUMENT);
  CHECK(om_eltwise_div(t, x, nullptr, 4) == OM_INVALID_ARGUMENT);
  return finish("test_eltwise");
}
