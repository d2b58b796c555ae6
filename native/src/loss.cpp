// loss.cpp: SoftmaxWithLoss's loss and gradient from the softmax probabilities, and
// their exports (declared in omnivore_loss.h). The forward sum runs serially in (outer,
// inner) order in double, so it is the same for any thread count (it reads only
// outer*inner values); the backward pass is elementwise and split over outer rows.
#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>

#include "internal.h"

namespace om {
namespace {

// A label's integer value by truncation (as the (int) cast of Caffe's static_cast), or
// kBad when it is NaN, infinite or outside int32.
constexpr int64_t kBad = INT64_MIN;
inline int64_t trunc_label(float v) {
  if (!(v > -2147483648.0f && v < 2147483648.0f)) return kBad;
  return static_cast<int64_t>(v);
}

int64_t softmax_loss_fwd(double& loss, int64_t& valid, const float* prob, const float* labels,
                         int64_t outer, int64_t channels, int64_t inner, bool has_ignore,
                         int32_t ignore) {
  loss = 0.0;
  valid = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t c = trunc_label(labels[o * inner + i]);
      if (has_ignore && c == ignore) continue;
      if (c < 0 || c >= channels) return o * inner + i;
      const float p = prob[(o * channels + c) * inner + i];
      loss -= std::log(static_cast<double>(std::max(p, FLT_MIN)));
      ++valid;
    }
  }
  return -1;
}

// Returns the number of invalid labels met (their gradient is left 0).
int64_t softmax_loss_bwd(float* dx, const float* prob, const float* labels, int64_t outer,
                         int64_t channels, int64_t inner, bool has_ignore, int32_t ignore,
                         float scale) {
  int64_t bad = 0;
  const bool par = outer > 1 && outer * channels * inner >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par) reduction(+ : bad)
  for (int64_t o = 0; o < outer; ++o) {
    const float* lab = labels + o * inner;
    for (int64_t c = 0; c < channels; ++c) {
      const float* p = prob + (o * channels + c) * inner;
      float* d = dx + (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t t = trunc_label(lab[i]);
        const bool ignored = has_ignore && t == ignore;
        const float hit = t == c ? 1.0f : 0.0f;
        d[i] = ignored ? 0.0f : (p[i] - hit) * scale;
      }
    }
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t t = trunc_label(lab[i]);
      if (!(has_ignore && t == ignore) && (t < 0 || t >= channels)) ++bad;
    }
  }
  return bad;
}

}  // namespace
}  // namespace om

using namespace om;

extern "C" {

OM_API int32_t om_softmax_loss_fwd(double* loss, int64_t* valid, int64_t* bad_at,
                                   const float* prob, const float* labels, int64_t outer,
                                   int64_t channels, int64_t inner, int32_t has_ignore,
                                   int32_t ignore_label) {
  return guard("om_softmax_loss_fwd", [&] {
    check_ptr("loss", loss, 1);
    check_ptr("valid", valid, 1);
    check_ptr("bad_at", bad_at, 1);
    check_nonneg("outer", outer);
    check_positive("channels", channels);
    check_nonneg("inner", inner);
    check_ptr("prob", prob, checked_mul(outer, channels, inner));
    check_ptr("labels", labels, checked_mul(outer, inner));
    *bad_at = softmax_loss_fwd(*loss, *valid, prob, labels, outer, channels, inner,
                               has_ignore != 0, ignore_label);
  });
}

OM_API int32_t om_softmax_loss_bwd(float* bottom_diff, const float* prob, const float* labels,
                                   int64_t outer, int64_t channels, int64_t inner,
                                   int32_t has_ignore, int32_t ignore_label, float scale) {
  return guard("om_softmax_loss_bwd", [&] {
    check_nonneg("outer", outer);
    check_positive("channels", channels);
    check_nonneg("inner", inner);
    const int64_t count = checked_mul(outer, channels, inner);
    check_ptr("bottom_diff", bottom_diff, count);
    check_ptr("prob", prob, count);
    check_ptr("labels", labels, checked_mul(outer, inner));
    const int64_t bad = softmax_loss_bwd(bottom_diff, prob, labels, outer, channels, inner,
                                         has_ignore != 0, ignore_label, scale);
    if (bad != 0)
      invalid("%lld labels are not classes in [0, %lld)", static_cast<long long>(bad),
              static_cast<long long>(channels));
  });
}

}  // extern "C"
