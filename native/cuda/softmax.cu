// softmax.cu: softmax over the channel axis of (outer, channels, inner), forward and
// backward, mirroring native/src/softmax.cpp: one thread per (outer, inner) position
// runs over the channels (max, exponentials and their float sum in channel order, then
// the division), so top may alias bottom and bottom_diff may alias top_diff.
#include "common.cuh"

extern "C" __global__ void omk_softmax_fwd(float* top, const float* bottom, i64 outer, i64 channels,
                                           i64 inner) {
  OM_LOOP(t, outer * inner) {
    const i64 o = t / inner, i = t % inner;
    const float* x = bottom + o * channels * inner + i;
    float* y = top + o * channels * inner + i;
    float mx = x[0];
    for (i64 ch = 1; ch < channels; ++ch) mx = fmaxf(mx, x[ch * inner]);
    float sum = 0.0f;
    for (i64 ch = 0; ch < channels; ++ch) {
      const float e = expf(x[ch * inner] - mx);
      y[ch * inner] = e;
      sum += e;
    }
    for (i64 ch = 0; ch < channels; ++ch) y[ch * inner] /= sum;
  }
}

extern "C" __global__ void omk_softmax_bwd(float* bottom_diff, const float* top_diff, const float* top,
                                           i64 outer, i64 channels, i64 inner) {
  OM_LOOP(t, outer * inner) {
    const i64 o = t / inner, i = t % inner;
    const i64 base = o * channels * inner + i;
    float dot = 0.0f;
    for (i64 ch = 0; ch < channels; ++ch) dot += top_diff[base + ch * inner] * top[base + ch * inner];
    for (i64 ch = 0; ch < channels; ++ch) {
      const i64 at = base + ch * inner;
      bottom_diff[at] = (top_diff[at] - dot) * top[at];
    }
  }
}
