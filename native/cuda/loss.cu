// loss.cu: SoftmaxWithLoss's loss and gradient from the softmax probabilities,
// mirroring native/src/loss.cpp. Labels are floats truncated to int (NaN, infinities and
// values outside int32 are invalid).
// omk_softmax_loss_partials: `slots` threads each run over positions p = s, s + slots,
// ... of the outer*inner positions and write three doubles: the sum of
// -ln(max(p_label, FLT_MIN)) over counted positions (out[s]), their count
// (out[slots + s]) and the smallest invalid position (out[2*slots + s], or -1); the
// device adds the slots on the host.
// omk_softmax_loss_bwd: dx = scale * (prob - onehot(label)), 0 at ignored positions (an
// invalid label gets no one-hot, as on the CPU, which reports it; the GPU's forward does).
#include "common.cuh"

// The truncated label, or a value no class or ignore label can have when invalid.
__device__ __forceinline__ i64 om_trunc_label(float v) {
  if (!(v > -2147483648.0f && v < 2147483648.0f)) return -(1ll << 62);
  return (i64)v;
}

extern "C" __global__ void omk_softmax_loss_partials(double* out, const float* prob, const float* labels,
                                                     i64 outer, i64 channels, i64 inner, int has_ignore,
                                                     int ignore, i64 slots) {
  OM_LOOP(s, slots) {
    double loss = 0.0, valid = 0.0, bad = -1.0;
    for (i64 p = s; p < outer * inner; p += slots) {
      const i64 o = p / inner, i = p % inner;
      const i64 c = om_trunc_label(labels[p]);
      if (has_ignore && c == (i64)ignore) continue;
      if (c < 0 || c >= channels) {
        if (bad < 0.0) bad = (double)p;
        continue;
      }
      const float pr = prob[(o * channels + c) * inner + i];
      loss -= log((double)fmaxf(pr, OM_FLT_MIN));
      valid += 1.0;
    }
    out[s] = loss;
    out[slots + s] = valid;
    out[2 * slots + s] = bad;
  }
}

extern "C" __global__ void omk_softmax_loss_bwd(float* dx, const float* prob, const float* labels, i64 outer,
                                                i64 channels, i64 inner, int has_ignore, int ignore,
                                                float scale) {
  OM_LOOP(t, outer * channels * inner) {
    const i64 i = t % inner, c = (t / inner) % channels, o = t / (inner * channels);
    const i64 label = om_trunc_label(labels[o * inner + i]);
    const bool ignored = has_ignore && label == (i64)ignore;
    const float hit = label == c ? 1.0f : 0.0f;
    dx[t] = ignored ? 0.0f : (prob[t] - hit) * scale;
  }
}
