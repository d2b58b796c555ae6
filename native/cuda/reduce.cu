// reduce.cu: the GPU's reductions, in two passes and without atomics or shared memory,
// so every result is deterministic for a given launch shape.
//
// Pass 1, omk_channel_partials: a view (outer, channels, inner) of x (and optionally y);
// for channel c, `slots` threads each sum, in double, the terms of positions
// j = s, s + slots, ... of the channel's outer*inner positions, into partial[c*slots + s].
// The term is picked by mode: 0 x, 1 x*y, 2 |x|, 3 PReLU's slope gradient (y = top diff,
// x = bottom): x <= 0 ? y*x : 0.
// Pass 2, omk_channel_finish: per channel, the slots in order; then by `finish`:
// 0 sums[c] = (float)(alpha*acc) (+ beta*sums[c] when beta != 0)   (ChannelSums)
// 1 sums[c] += (float)acc                                           (row sums, PReLU)
// 2 sums[0] += (float)(sum over channels of acc)                    (shared PReLU slope)
// omk_sum_doubles folds n doubles into `slots` partial sums (dot and asum finish on the
// host from a few hundred doubles). A padding term past the end of a slot's positions
// adds 0.0, which leaves a double sum unchanged. Each thread loads OM_ILP terms before
// adding them (see common.cuh).
#include "common.cuh"

__device__ __forceinline__ double om_term(int mode, const float* x, const float* y, i64 at) {
  const double a = (double)x[at];
  if (mode == 0) return a;
  if (mode == 1) return a * (double)y[at];
  if (mode == 2) return a < 0.0 ? -a : a;
  return x[at] <= 0.0f ? (double)y[at] * a : 0.0;
}

extern "C" __global__ void omk_channel_partials(double* partial, const float* x, const float* y, i64 outer,
                                                i64 channels, i64 inner, i64 slots, int mode) {
  const i64 positions = outer * inner;
  OM_LOOP(t, channels * slots) {
    i64 s, i = 0, step_i = 0, o = 0, step_o = 0;
    const i64 c = om_divmod(t, slots, &s);
    if (s < positions) {  // (inner is 0 when there are no positions)
      o = om_divmod(s, inner, &i);
      step_o = om_divmod(slots, inner, &step_i);
    }
    double acc = 0.0;
    for (i64 j = s; j < positions;) {  // (o, i) = divmod(j, inner), stepped without dividing
      // OM_ILP terms loaded, then added in order
      double v[OM_ILP];
      OM_UNROLL
      for (int k = 0; k < OM_ILP; ++k) {
        v[k] = j < positions ? om_term(mode, x, y, (o * channels + c) * inner + i) : 0.0;
        j += slots;
        o += step_o;
        i += step_i;
        if (i >= inner) {
          i -= inner;
          ++o;
        }
      }
      OM_UNROLL
      for (int k = 0; k < OM_ILP; ++k) acc += v[k];
    }
    partial[t] = acc;
  }
}

// The sum of slots partials in order, OM_ILP loads at a time.
__device__ __forceinline__ double om_sum_in_order(const double* p, i64 n) {
  double acc = 0.0;
  i64 s = 0;
  for (; s + OM_ILP <= n; s += OM_ILP) {
    double v[OM_ILP];
    OM_UNROLL
    for (int k = 0; k < OM_ILP; ++k) v[k] = p[s + k];
    OM_UNROLL
    for (int k = 0; k < OM_ILP; ++k) acc += v[k];
  }
  for (; s < n; ++s) acc += p[s];
  return acc;
}

extern "C" __global__ void omk_channel_finish(float* sums, const double* partial, i64 channels, i64 slots,
                                              float alpha, float beta, int finish) {
  if (finish == 2) {
    OM_LOOP(t, 1) {
      double total = 0.0;
      for (i64 c = 0; c < channels; ++c) total += om_sum_in_order(partial + c * slots, slots);
      sums[0] += (float)total;
    }
    return;
  }
  OM_LOOP(c, channels) {
    const double acc = om_sum_in_order(partial + c * slots, slots);
    if (finish == 1) {
      sums[c] += (float)acc;
    } else {
      const float v = (float)((double)alpha * acc);
      sums[c] = beta == 0.0f ? v : v + beta * sums[c];
    }
  }
}

extern "C" __global__ void omk_sum_doubles(double* out, const double* in, i64 n, i64 slots) {
  OM_LOOP(s, slots) {
    double acc = 0.0;
    for (i64 j = s; j < n; j += slots) acc += in[j];
    out[s] = acc;
  }
}
