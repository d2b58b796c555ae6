// softmax.cu: softmax over the channel axis of (outer, channels, inner), forward and
// backward, mirroring native/src/softmax.cpp: one thread per (outer, inner) position
// runs over the channels (max, exponentials and their float sum in channel order, then
// the division), so top may alias bottom and bottom_diff may alias top_diff. Each pass
// loads OM_ILP channels at a time before using them (CaffeNet's loss runs 256 threads
// over 1,000 classes: one load at a time took 0.66 ms on an H200).
#include "common.cuh"

// v[k] = p[k * stride] for the OM_ILP values of a group, all loaded before any is used.
__device__ __forceinline__ void om_load_group(float* v, const float* p, i64 stride) {
  OM_UNROLL
  for (int k = 0; k < OM_ILP; ++k) v[k] = p[k * stride];
}

extern "C" __global__ void omk_softmax_fwd(float* top, const float* bottom, i64 outer, i64 channels,
                                           i64 inner) {
  OM_LOOP(t, outer * inner) {
    i64 i;
    const i64 o = om_divmod(t, inner, &i);
    const float* x = bottom + o * channels * inner + i;
    float* y = top + o * channels * inner + i;
    const i64 whole = channels / OM_ILP * OM_ILP;  // channels in full groups of OM_ILP
    float v[OM_ILP];
    float mx = x[0];
    for (i64 c0 = 0; c0 < whole; c0 += OM_ILP) {
      om_load_group(v, x + c0 * inner, inner);
      OM_UNROLL
      for (int k = 0; k < OM_ILP; ++k) mx = fmaxf(mx, v[k]);
    }
    for (i64 ch = whole; ch < channels; ++ch) mx = fmaxf(mx, x[ch * inner]);
    float sum = 0.0f;
    for (i64 c0 = 0; c0 < whole; c0 += OM_ILP) {
      om_load_group(v, x + c0 * inner, inner);  // all loaded before y (which may be x) is written
      OM_UNROLL
      for (int k = 0; k < OM_ILP; ++k) {
        const float e = expf(v[k] - mx);
        y[(c0 + k) * inner] = e;
        sum += e;
      }
    }
    for (i64 ch = whole; ch < channels; ++ch) {
      const float e = expf(x[ch * inner] - mx);
      y[ch * inner] = e;
      sum += e;
    }
    for (i64 c0 = 0; c0 < whole; c0 += OM_ILP) {
      om_load_group(v, y + c0 * inner, inner);
      OM_UNROLL
      for (int k = 0; k < OM_ILP; ++k) y[(c0 + k) * inner] = v[k] / sum;
    }
    for (i64 ch = whole; ch < channels; ++ch) y[ch * inner] /= sum;
  }
}

extern "C" __global__ void omk_softmax_bwd(float* bottom_diff, const float* top_diff, const float* top,
                                           i64 outer, i64 channels, i64 inner) {
  OM_LOOP(t, outer * inner) {
    i64 i;
    const i64 o = om_divmod(t, inner, &i);
    const i64 base = o * channels * inner + i, whole = channels / OM_ILP * OM_ILP;
    float a[OM_ILP], b[OM_ILP];
    float dot = 0.0f;
    for (i64 c0 = 0; c0 < whole; c0 += OM_ILP) {
      om_load_group(a, top_diff + base + c0 * inner, inner);
      om_load_group(b, top + base + c0 * inner, inner);
      OM_UNROLL
      for (int k = 0; k < OM_ILP; ++k) dot += a[k] * b[k];
    }
    for (i64 ch = whole; ch < channels; ++ch) dot += top_diff[base + ch * inner] * top[base + ch * inner];
    for (i64 c0 = 0; c0 < whole; c0 += OM_ILP) {
      om_load_group(a, top_diff + base + c0 * inner, inner);
      om_load_group(b, top + base + c0 * inner, inner);
      OM_UNROLL
      for (int k = 0; k < OM_ILP; ++k) bottom_diff[base + (c0 + k) * inner] = (a[k] - dot) * b[k];
    }
    for (i64 ch = whole; ch < channels; ++ch) {
      const i64 at = base + ch * inner;
      bottom_diff[at] = (top_diff[at] - dot) * top[at];
    }
  }
}
