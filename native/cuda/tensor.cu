// tensor.cu: shape-level kernels mirroring native/src/tensor.cpp: strided block copies
// (Concat, Slice), the per-channel broadcast y = x*scale[c] + bias[c] over (outer,
// channels, inner) (null scale: 1, null bias: 0; y may be x), and Caffe's top-k ArgMax.
// The per-channel reduction (ChannelSums) is in reduce.cu.
#include "common.cuh"

extern "C" __global__ void omk_copy_blocks(float* dst, i64 dst_stride, const float* src, i64 src_stride,
                                           i64 blocks, i64 block_len) {
  OM_LOOP(t, blocks * block_len) {
    const i64 b = t / block_len, j = t % block_len;
    dst[b * dst_stride + j] = src[b * src_stride + j];
  }
}

extern "C" __global__ void omk_channel_affine(float* y, const float* x, const float* scale, const float* bias,
                                              i64 outer, i64 channels, i64 inner) {
  OM_LOOP(t, outer * channels * inner) {
    const i64 c = (t / inner) % channels;
    if (bias == 0) y[t] = x[t] * scale[c];
    else if (scale == 0) y[t] = x[t] + bias[c];
    else y[t] = x[t] * scale[c] + bias[c];
  }
}

// Whether (va, a) comes before (vb, b) in Caffe's order: larger value first, ties to the
// larger index, NaN above every number.
__device__ __forceinline__ bool om_before(float va, i64 a, float vb, i64 b) {
  const bool an = om_isnan(va), bn = om_isnan(vb);
  if (an != bn) return an;
  if (!an && va != vb) return va > vb;
  return a > b;
}

// One thread per (outer, inner) position: k rounds, each picking the first element in
// the order among those after the previous pick (the order is total, so no marks).
extern "C" __global__ void omk_argmax_fwd(float* top, const float* bottom, i64 outer, i64 dim, i64 inner,
                                          i64 top_k, int mode) {
  OM_LOOP(t, outer * inner) {
    const i64 o = t / inner, i = t % inner;
    const float* x = bottom + o * dim * inner + i;
    i64 prev = -1;
    float prev_v = 0.0f;
    for (i64 k = 0; k < top_k; ++k) {
      i64 best = -1;
      float best_v = 0.0f;
      for (i64 j = 0; j < dim; ++j) {
        const float v = x[j * inner];
        if (prev >= 0 && !om_before(prev_v, prev, v, j)) continue;
        if (best < 0 || om_before(v, j, best_v, best)) {
          best = j;
          best_v = v;
        }
      }
      prev = best;
      prev_v = best_v;
      if (mode == 2) {
        top[2 * o * top_k + k] = (float)best;
        top[2 * o * top_k + top_k + k] = best_v;
      } else {
        top[(o * top_k + k) * inner + i] = mode == 1 ? best_v : (float)best;
      }
    }
  }
}
