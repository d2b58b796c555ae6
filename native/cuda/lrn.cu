// lrn.cu: local response normalisation across channels (Caffe's ACROSS_CHANNELS) on
// (N, C, H, W), mirroring native/src/lrn.cpp. With pre = (size-1)/2 and the window
// W(c) = [c - pre, c + pre] clipped to [0, C):
//   scale_c = k + alpha/size * sum_{c' in W(c)} x_{c'}^2,  top_c = x_c * scale_c^-beta
//   dx_j = dy_j * scale_j^-beta - (2*alpha*beta/size) * x_j * sum_{c in W(j)} dy_c*top_c/scale_c
// Forward: one thread per (image, channel, pixel) writes scale; a second kernel writes
// top, so top may be bottom. Backward: the ratios dy*top/scale go to scratch first, then
// one thread per element combines them, reading only its own element of top_diff and
// bottom, so bottom_diff may alias either.
#include "common.cuh"

// s^-beta with the CPU's exact forms for 0.75, 0.5 and 1.
__device__ __forceinline__ float om_pow_neg(float s, float beta) {
  if (beta == 0.75f) {
    const float r = sqrtf(s);
    return 1.0f / (r * sqrtf(r));
  }
  if (beta == 0.5f) return 1.0f / sqrtf(s);
  if (beta == 1.0f) return 1.0f / s;
  return powf(s, -beta);
}

extern "C" __global__ void omk_lrn_across_scale(float* scale, const float* bottom, i64 n, i64 c, i64 hw,
                                                i64 size, float alpha, float k) {
  const i64 pre = (size - 1) / 2;
  const float alpha_over_size = alpha / (float)size;
  OM_LOOP(t, n * c * hw) {
    i64 p, ch;
    const i64 img = om_divmod(om_divmod(t, hw, &p), c, &ch);
    const i64 lo = om_max64(ch - pre, 0), hi = om_min64(ch + pre, c - 1);
    const float* x = bottom + img * c * hw + p;
    float acc = 0.0f;
    for (i64 cc = lo; cc <= hi; ++cc) acc += x[cc * hw] * x[cc * hw];
    scale[t] = k + alpha_over_size * acc;
  }
}

extern "C" __global__ void omk_lrn_across_top(float* top, const float* scale, const float* bottom, i64 count,
                                              float beta) {
  OM_LOOP(t, count) top[t] = bottom[t] * om_pow_neg(scale[t], beta);
}

// ratio = dy * top / scale, elementwise (kept in scratch so bottom_diff may alias inputs).
extern "C" __global__ void omk_lrn_across_ratio(float* ratio, const float* top_diff, const float* top,
                                                const float* scale, i64 count) {
  OM_LOOP(t, count) ratio[t] = top_diff[t] * top[t] / scale[t];
}

extern "C" __global__ void omk_lrn_across_bwd(float* bottom_diff, const float* top_diff, const float* ratio,
                                              const float* scale, const float* bottom, i64 n, i64 c, i64 hw,
                                              i64 size, float alpha, float beta) {
  const i64 pre = (size - 1) / 2;
  const float cache_ratio = 2.0f * alpha * beta / (float)size;
  OM_LOOP(t, n * c * hw) {
    i64 p, ch;
    const i64 img = om_divmod(om_divmod(t, hw, &p), c, &ch);
    const i64 lo = om_max64(ch - pre, 0), hi = om_min64(ch + pre, c - 1);
    const float* r = ratio + img * c * hw + p;
    float acc = 0.0f;
    for (i64 cc = lo; cc <= hi; ++cc) acc += r[cc * hw];
    bottom_diff[t] = top_diff[t] * om_pow_neg(scale[t], beta) - cache_ratio * bottom[t] * acc;
  }
}
