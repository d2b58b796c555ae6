// test_loss.cpp: SoftmaxWithLoss's device loss and gradient against a naive reference:
// loss and valid count (with and without ignore_label, truncated fractional labels),
// the first invalid label's position, and the gradient scale * (p - onehot) with zeros
// at ignored positions, on 1 and 2 threads.
#include <cfloat>
#include <cmath>

#include "test_util.h"

namespace {

struct Case {
  int64_t outer, channels, inner;
  bool has_ignore;
  int32_t ignore;
};

void check_case(Rng& rng, const Case& g) {
  const int64_t count = g.outer * g.channels * g.inner;
  std::vector<float> prob = rng.vec(count, 0.0f, 1.0f);
  prob[0] = 0.0f;  // exercises the FLT_MIN floor
  std::vector<float> labels(g.outer * g.inner);
  for (auto& l : labels) {
    const int64_t c = static_cast<int64_t>(rng.uniform(0.0f, static_cast<float>(g.channels) - 0.001f));
    l = static_cast<float>(c) + (rng.uniform(0, 1) < 0.2f ? 0.25f : 0.0f);  // fractions truncate
    if (g.has_ignore && rng.uniform(0, 1) < 0.3f) l = static_cast<float>(g.ignore);
  }
  labels[0] = 0.0f;
  // Naive reference.
  double want_loss = 0;
  int64_t want_valid = 0;
  std::vector<double> want_dx(count, 0.0);
  const float scale = 0.37f;
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t label = static_cast<int64_t>(labels[o * g.inner + i]);
      if (g.has_ignore && label == g.ignore) continue;
      want_loss -= std::log(std::max<double>(prob[(o * g.channels + label) * g.inner + i], FLT_MIN));
      ++want_valid;
      for (int64_t c = 0; c < g.channels; ++c) {
        const int64_t at = (o * g.channels + c) * g.inner + i;
        want_dx[at] = (prob[at] - (c == label ? 1.0 : 0.0)) * scale;
      }
    }
  double loss = -1;
  int64_t valid = -1, bad = 7;
  CHECK_OK(om_softmax_loss_fwd(&loss, &valid, &bad, prob.data(), labels.data(), g.outer,
                               g.channels, g.inner, g.has_ignore, g.ignore));
  CHECK(bad == -1);
  CHECK(valid == want_valid);
  CHECK(near(loss, want_loss, 1e-12, 1e-12));
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    std::vector<float> dx(count, 123.0f);
    CHECK_OK(om_softmax_loss_bwd(dx.data(), prob.data(), labels.data(), g.outer, g.channels,
                                 g.inner, g.has_ignore, g.ignore, scale));
    all_close("softmax loss gradient", dx.data(), want_dx.data(), count, 1e-6, 1e-7);
    // In place over prob.
    std::vector<float> inplace = prob;
    CHECK_OK(om_softmax_loss_bwd(inplace.data(), inplace.data(), labels.data(), g.outer,
                                 g.channels, g.inner, g.has_ignore, g.ignore, scale));
    all_close("softmax loss gradient in place", inplace, dx, 0.0, 0.0);
  }
}

void check_bad_labels() {
  const std::vector<float> prob(2 * 3 * 2, 0.5f);
  for (float badv : {3.0f, -1.0f, NAN, INFINITY, -0.0f}) {
    std::vector<float> labels = {1.0f, 2.0f, badv, 0.0f};
    double loss = 0;
    int64_t valid = 0, bad = 0;
    CHECK_OK(om_softmax_loss_fwd(&loss, &valid, &bad, prob.data(), labels.data(), 2, 3, 2, 0, 0));
    const bool is_bad = !(badv == 0.0f);  // -0 truncates to class 0
    CHECK(bad == (is_bad ? 2 : -1));
    CHECK(valid == (is_bad ? 2 : 4));
    std::vector<float> dx(prob.size());
    const int32_t st = om_softmax_loss_bwd(dx.data(), prob.data(), labels.data(), 2, 3, 2, 0, 0, 1.0f);
    CHECK(st == (is_bad ? OM_INVALID_ARGUMENT : OM_OK));
  }
  // -1 ignored: not an error, not counted.
  std::vector<float> labels = {1.0f, -1.0f, -1.0f, 0.0f};
  double loss = 0;
  int64_t valid = 0, bad = 0;
  CHECK_OK(om_softmax_loss_fwd(&loss, &valid, &bad, prob.data(), labels.data(), 2, 3, 2, 1, -1));
  CHECK(bad == -1 && valid == 2);
  CHECK(near(loss, -2.0 * std::log(0.5), 1e-12, 1e-12));
}

}  // namespace

int main() {
  Rng rng(11);
  check_bad_labels();
  check_case(rng, {5, 10, 1, false, 0});
  check_case(rng, {3, 4, 7, true, 2});
  check_case(rng, {4, 5, 6, true, -1});
  check_case(rng, {64, 1000, 1, false, 0});  // parallel backward
  check_case(rng, {8, 21, 300, true, 255});  // segmentation-style inner
  return finish("test_loss");
}
