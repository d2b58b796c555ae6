// activations.cpp: the elementwise activation ops of Caffe's neuron layers (sigmoid,
// tanh, absval, ELU, power, exp, log, threshold, sign) behind one forward and one
// backward entry point selected by om_unary_op, and PReLU over (N, C, inner) with
// per-channel or shared slopes. The formulas follow Caffe's float arithmetic step by
// step (see omnivore_activations.h). Each op is a small functor so its loop stays a
// plain vectorisable loop; large arrays are split across OpenMP threads.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "internal.h"

using namespace om;

namespace {

// ---- forward functors: y = f(x) -------------------------------------------------------
struct SigmoidF { float operator()(float x) const { return 0.5f * std::tanh(0.5f * x) + 0.5f; } };
struct TanhF { float operator()(float x) const { return std::tanh(x); } };
struct AbsF { float operator()(float x) const { return std::fabs(x); } };
struct EluF {
  float alpha;
  float operator()(float x) const { return x > 0.0f ? x : alpha * (std::exp(x) - 1.0f); }
};
struct PowerF {  // only used when power * scale != 0
  float power, scale, shift;
  float operator()(float x) const {
    const float v = scale * x + shift;
    return power == 1.0f ? v : std::pow(v, power);
  }
};
struct ExpF {
  float inner, outer;
  float operator()(float x) const { return outer * std::exp(inner * x); }
};
struct LogF {
  float scale, shift, base_scale;
  float operator()(float x) const { return std::log(scale * x + shift) * base_scale; }
};
struct ThresholdF {
  float t;
  float operator()(float x) const { return x > t ? 1.0f : 0.0f; }
};
struct SignF {
  float operator()(float x) const {
    return static_cast<float>((0.0f < x) - (x < 0.0f));
  }
};

template <class F>
void map_fwd(float* y, const float* x, int64_t count, F f) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) y[i] = f(x[i]);
}

// ---- backward functors: dx = g(dy, x, y) ----------------------------------------------
struct SigmoidB {
  float operator()(float dy, float, float y) const { return dy * y * (1.0f - y); }
};
struct TanhB {
  float operator()(float dy, float, float y) const { return dy * (1.0f - y * y); }
};
struct AbsB {
  float operator()(float dy, float x, float) const {
    return static_cast<float>((0.0f < x) - (x < 0.0f)) * dy;
  }
};
struct EluB {
  float alpha;
  float operator()(float dy, float x, float y) const {
    return dy * (static_cast<float>(x > 0.0f) + (alpha + y) * static_cast<float>(x <= 0.0f));
  }
};
// Caffe's cases for d/dx (b*x + c)^a with a*b != 0 (a == 1 is handled by the caller).
struct PowerSquareB {  // a == 2
  float k1, k0;        // (a*b*b), a*b*c
  float operator()(float dy, float x, float) const { return dy * (k1 * x + k0); }
};
struct PowerNoShiftB {  // c == 0: a * y / x
  float power;
  float operator()(float dy, float x, float y) const { return dy * ((y / x) * power); }
};
struct PowerB {  // general: a*b * y / (b*x + c)
  float scale, shift, diff_scale;
  float operator()(float dy, float x, float y) const {
    return dy * ((y / (scale * x + shift)) * diff_scale);
  }
};
struct ExpB {
  float inner;
  float operator()(float dy, float, float y) const { return (dy * y) * inner; }
};
struct LogB {
  float scale, shift, num_scale;
  float operator()(float dy, float x, float) const {
    return dy * ((1.0f / (scale * x + shift)) * num_scale);
  }
};

template <class G>
void map_bwd(float* dx, const float* dy, const float* x, const float* y, int64_t count, G g) {
  // x or y may be NULL when the op does not read it: read 0 instead.
  if (x != nullptr && y != nullptr) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
    for (int64_t i = 0; i < count; ++i) dx[i] = g(dy[i], x[i], y[i]);
  } else if (x != nullptr) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
    for (int64_t i = 0; i < count; ++i) dx[i] = g(dy[i], x[i], 0.0f);
  } else {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
    for (int64_t i = 0; i < count; ++i) dx[i] = g(dy[i], 0.0f, y[i]);
  }
}

void fill(float* y, float v, int64_t count) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) y[i] = v;
}

void scale_dy(float* dx, const float* dy, float k, int64_t count) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) dx[i] = dy[i] * k;
}

// Which of x and y each op's backward reads.
bool bwd_reads_x(int32_t op) {
  return op == OM_UNARY_ABSVAL || op == OM_UNARY_ELU || op == OM_UNARY_POWER || op == OM_UNARY_LOG;
}
bool bwd_reads_y(int32_t op) {
  return op == OM_UNARY_SIGMOID || op == OM_UNARY_TANH || op == OM_UNARY_ELU ||
         op == OM_UNARY_POWER || op == OM_UNARY_EXP;
}

void unary_fwd(int32_t op, float* y, const float* x, int64_t n, float a, float b, float c) {
  switch (op) {
    case OM_UNARY_SIGMOID: map_fwd(y, x, n, SigmoidF{}); break;
    case OM_UNARY_TANH: map_fwd(y, x, n, TanhF{}); break;
    case OM_UNARY_ABSVAL: map_fwd(y, x, n, AbsF{}); break;
    case OM_UNARY_ELU: map_fwd(y, x, n, EluF{a}); break;
    case OM_UNARY_POWER:
      if (a * b == 0.0f) fill(y, a == 0.0f ? 1.0f : std::pow(c, a), n);
      else map_fwd(y, x, n, PowerF{a, b, c});
      break;
    case OM_UNARY_EXP: map_fwd(y, x, n, ExpF{a, b}); break;
    case OM_UNARY_LOG: map_fwd(y, x, n, LogF{a, b, 1.0f / c}); break;
    case OM_UNARY_THRESHOLD: map_fwd(y, x, n, ThresholdF{a}); break;
    case OM_UNARY_SIGN: map_fwd(y, x, n, SignF{}); break;
    default: invalid("unknown unary op %d", op);
  }
}

void unary_bwd(int32_t op, float* dx, const float* dy, const float* x, const float* y,
               int64_t n, float a, float b, float c) {
  switch (op) {
    case OM_UNARY_SIGMOID: map_bwd(dx, dy, nullptr, y, n, SigmoidB{}); break;
    case OM_UNARY_TANH: map_bwd(dx, dy, nullptr, y, n, TanhB{}); break;
    case OM_UNARY_ABSVAL: map_bwd(dx, dy, x, nullptr, n, AbsB{}); break;
    case OM_UNARY_ELU: map_bwd(dx, dy, x, y, n, EluB{a}); break;
    case OM_UNARY_POWER: {
      const float diff_scale = a * b;
      if (diff_scale == 0.0f) fill(dx, 0.0f, n);
      else if (a == 1.0f) scale_dy(dx, dy, diff_scale, n);
      else if (a == 2.0f) map_bwd(dx, dy, x, nullptr, n, PowerSquareB{diff_scale * b, c != 0.0f ? diff_scale * c : 0.0f});
      else if (c == 0.0f) map_bwd(dx, dy, x, y, n, PowerNoShiftB{a});
      else map_bwd(dx, dy, x, y, n, PowerB{b, c, diff_scale});
      break;
    }
    case OM_UNARY_EXP: map_bwd(dx, dy, nullptr, y, n, ExpB{a}); break;
    case OM_UNARY_LOG: map_bwd(dx, dy, x, nullptr, n, LogB{a, b, a / c}); break;
    case OM_UNARY_THRESHOLD:
    case OM_UNARY_SIGN: fill(dx, 0.0f, n); break;
    default: invalid("unknown unary op %d", op);
  }
}

// ---- PReLU ----------------------------------------------------------------------------
void prelu_fwd(float* top, const float* bottom, const float* slope, int64_t n, int64_t c,
               int64_t inner, bool shared) {
  const int64_t planes = n * c;
  const bool par = planes > 1 && planes * inner >= kParallelMin;
#pragma omp parallel for schedule(guided) num_threads(threads()) if (par)
  for (int64_t p = 0; p < planes; ++p) {
    const float s = slope[shared ? 0 : p % c];
    const float* x = bottom + p * inner;
    float* y = top + p * inner;
#pragma omp simd
    for (int64_t j = 0; j < inner; ++j) y[j] = std::max(x[j], 0.0f) + s * std::min(x[j], 0.0f);
  }
}

void prelu_bwd(float* bottom_diff, float* slope_diff, const float* top_diff,
               const float* bottom, const float* slope, int64_t n, int64_t c, int64_t inner,
               bool shared) {
  const bool par = n * c * inner >= kParallelMin;
  if (slope_diff != nullptr) {
    // Per-channel sums (double accumulation), parallel over channels; shared slopes add
    // every channel's sum into slope_diff[0].
    std::vector<double> sums(static_cast<size_t>(c), 0.0);
#pragma omp parallel for schedule(guided) num_threads(threads()) if (par && c > 1)
    for (int64_t ch = 0; ch < c; ++ch) {
      double acc = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const float* x = bottom + (i * c + ch) * inner;
        const float* dy = top_diff + (i * c + ch) * inner;
        for (int64_t j = 0; j < inner; ++j)
          acc += x[j] <= 0.0f ? static_cast<double>(dy[j]) * x[j] : 0.0;
      }
      sums[static_cast<size_t>(ch)] = acc;
    }
    if (shared) {
      double total = 0.0;
      for (double s : sums) total += s;
      slope_diff[0] += static_cast<float>(total);
    } else {
      for (int64_t ch = 0; ch < c; ++ch) slope_diff[ch] += static_cast<float>(sums[static_cast<size_t>(ch)]);
    }
  }
  if (bottom_diff != nullptr) {
    const int64_t planes = n * c;
#pragma omp parallel for schedule(guided) num_threads(threads()) if (par && planes > 1)
    for (int64_t p = 0; p < planes; ++p) {
      const float s = slope[shared ? 0 : p % c];
      const float* x = bottom + p * inner;
      const float* dy = top_diff + p * inner;
      float* dx = bottom_diff + p * inner;
#pragma omp simd
      for (int64_t j = 0; j < inner; ++j)
        dx[j] = dy[j] * (static_cast<float>(x[j] > 0.0f) + s * static_cast<float>(x[j] <= 0.0f));
    }
  }
}

}  // namespace

OM_API int32_t om_unary_fwd(int32_t op, float* y, const float* x, int64_t count, float a,
                            float b, float c) {
  return guard("om_unary_fwd", [&] {
    if (op < OM_UNARY_SIGMOID || op > OM_UNARY_SIGN) invalid("unknown unary op %d", op);
    check_nonneg("count", count);
    check_ptr("y", y, count);
    // POWER with power*scale == 0 is a constant and does not read x.
    if (!(op == OM_UNARY_POWER && a * b == 0.0f)) check_ptr("x", x, count);
    if (op == OM_UNARY_LOG && c == 0.0f) invalid("LOG needs ln(base) != 0 (parameter c)");
    unary_fwd(op, y, x, count, a, b, c);
  });
}

OM_API int32_t om_unary_bwd(int32_t op, float* dx, const float* dy, const float* x,
                            const float* y, int64_t count, float a, float b, float c) {
  return guard("om_unary_bwd", [&] {
    if (op < OM_UNARY_SIGMOID || op > OM_UNARY_SIGN) invalid("unknown unary op %d", op);
    check_nonneg("count", count);
    check_ptr("dx", dx, count);
    const bool constant = op == OM_UNARY_THRESHOLD || op == OM_UNARY_SIGN ||
                          (op == OM_UNARY_POWER && a * b == 0.0f);
    if (!constant) check_ptr("dy", dy, count);
    if (!constant && bwd_reads_x(op)) check_ptr("x", x, count);
    if (!constant && bwd_reads_y(op)) check_ptr("y", y, count);
    if (op == OM_UNARY_LOG && c == 0.0f) invalid("LOG needs ln(base) != 0 (parameter c)");
    unary_bwd(op, dx, dy, x, y, count, a, b, c);
  });
}

OM_API int32_t om_prelu_fwd(float* top, const float* bottom, const float* slope, int32_t n,
                            int32_t c, int64_t inner, int32_t channel_shared) {
  return guard("om_prelu_fwd", [&] {
    check_nonneg("n", n);
    check_nonneg("c", c);
    check_nonneg("inner", inner);
    const int64_t count = checked_mul(n, c, inner);
    check_ptr("top", top, count);
    check_ptr("bottom", bottom, count);
    if (count > 0) check_ptr("slope", slope, channel_shared ? 1 : c);
    prelu_fwd(top, bottom, slope, n, c, inner, channel_shared != 0);
  });
}

OM_API int32_t om_prelu_bwd(float* bottom_diff, float* slope_diff, const float* top_diff,
                            const float* bottom, const float* slope, int32_t n, int32_t c,
                            int64_t inner, int32_t channel_shared) {
  return guard("om_prelu_bwd", [&] {
    check_nonneg("n", n);
    check_nonneg("c", c);
    check_nonneg("inner", inner);
    const int64_t count = checked_mul(n, c, inner);
    check_ptr("top_diff", top_diff, count);
    check_ptr("bottom", bottom, count);
    if (bottom_diff != nullptr && count > 0) check_ptr("slope", slope, channel_shared ? 1 : c);
    prelu_bwd(bottom_diff, slope_diff, top_diff, bottom, slope, n, c, inner, channel_shared != 0);
  });
}
