// test_softmax.cpp: softmax over the channel axis of (outer, channels, inner): forward
// against a naive double-precision reference (including large inputs that need the
// max subtraction), backward against the header's formula and finite differences.
#include "test_util.h"

static std::vector<double> naive_softmax(const std::vector<float>& x, int outer, int ch, int inner) {
  std::vector<double> y(x.size());
  for (int o = 0; o < outer; ++o)
    for (int i = 0; i < inner; ++i) {
      double mx = -1e300, sum = 0.0;
      for (int c = 0; c < ch; ++c) mx = std::max(mx, static_cast<double>(x[(o * ch + c) * inner + i]));
      for (int c = 0; c < ch; ++c) sum += std::exp(x[(o * ch + c) * inner + i] - mx);
      for (int c = 0; c < ch; ++c)
        y[(o * ch + c) * inner + i] = std::exp(x[(o * ch + c) * inner + i] - mx) / sum;
    }
  return y;
}

static void check_case(Rng& rng, int outer, int ch, int inner, bool grad) {
  char what[96];
  std::snprintf(what, sizeof what, "softmax %dx%dx%d", outer, ch, inner);
  const size_t count = static_cast<size_t>(outer) * ch * inner;
  std::vector<float> x = rng.vec(count, -3.0f, 3.0f);
  if (count > 0) x[0] = 80.0f;  // exp overflows without the max subtraction
  std::vector<float> top(count);
  CHECK_OK(om_softmax_fwd(top.data(), x.data(), outer, ch, inner));
  all_close(std::string(what) + " fwd", top.data(), naive_softmax(x, outer, ch, inner).data(), count, 1e-5, 1e-7);
  std::vector<float> inplace = x;
  CHECK_OK(om_softmax_fwd(inplace.data(), inplace.data(), outer, ch, inner));
  all_close(std::string(what) + " fwd in place", inplace, top, 0.0, 0.0);

  const std::vector<float> r = rng.vec(count);
  std::vector<float> dx(count);
  CHECK_OK(om_softmax_bwd(dx.data(), r.data(), top.data(), outer, ch, inner));
  std::vector<double> want(count);
  for (int o = 0; o < outer; ++o)
    for (int i = 0; i < inner; ++i) {
      double dot = 0.0;
      for (int c = 0; c < ch; ++c) dot += static_cast<double>(r[(o * ch + c) * inner + i]) * top[(o * ch + c) * inner + i];
      for (int c = 0; c < ch; ++c) {
        const size_t k = (static_cast<size_t>(o) * ch + c) * inner + i;
        want[k] = (r[k] - dot) * top[k];
      }
    }
  all_close(std::string(what) + " bwd", dx.data(), want.data(), count, 1e-4, 1e-6);
  if (grad) {
    for (auto& v : x) v = std::min(v, 3.0f);  // keep the objective well scaled
    CHECK_OK(om_softmax_fwd(top.data(), x.data(), outer, ch, inner));
    CHECK_OK(om_softmax_bwd(dx.data(), r.data(), top.data(), outer, ch, inner));
    check_gradient(what, x, dx, [&](const std::vector<float>& in) {
      std::vector<float> t(count);
      om_softmax_fwd(t.data(), in.data(), outer, ch, inner);
      return weighted_sum(t, r);
    }, 1e-2f);
  }
}

int main() {
  Rng rng(5);
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    check_case(rng, 3, 5, 4, threads == 1);
    check_case(rng, 2, 10, 1, threads == 1);   // classifier layout: inner = 1
    check_case(rng, 1, 1, 7, threads == 1);    // one channel: all ones, zero gradient
    check_case(rng, 4, 21, 300, false);        // several inner blocks, parallel path
    check_case(rng, 0, 5, 4, false);           // empty
  }
  return finish("test_softmax");
}
