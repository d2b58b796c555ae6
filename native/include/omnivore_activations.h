/*
 * omnivore_activations.h: elementwise activation kernels (Caffe's neuron layers) and
 * PReLU. Included by omnivore.h; same conventions: every function returns 0 (OM_OK) or
 * a status, with the message in om_last_error().
 *
 * om_unary_fwd / om_unary_bwd apply one of the ops below to `count` floats. Each op
 * takes up to three float parameters a, b, c (unused ones are ignored). The integer
 * values are part of the ABI and are mirrored by the C# enum Omnivore.Core.UnaryOp.
 *
 *   value op          forward y(x)                          backward dx = dy * ...      reads
 *   0  SIGMOID        0.5*tanh(0.5*x) + 0.5                 y*(1-y)                     y
 *   1  TANH           tanh(x)                               1 - y*y                     y
 *   2  ABSVAL         |x|                                   sign(x) (0 at 0)            x
 *   3  ELU   a=alpha  x > 0 ? x : a*(exp(x)-1)              (x>0) + (a+y)*(x<=0)        x, y
 *   4  POWER a=power b=scale c=shift
 *                     (b*x + c)^a; 1 when a == 0, c^a when b == 0
 *                                                           a*b*(b*x+c)^(a-1), as Caffe
 *                                                           computes it (see below)     x, y
 *   5  EXP   a=inner b=outer
 *                     b * exp(a*x)                          a*y                         y
 *   6  LOG   a=scale b=shift c=ln(base) (1 for base e)
 *                     log(a*x + b) / c                      (a/c) / (a*x + b)           x
 *   7  THRESHOLD a=threshold
 *                     x > a ? 1 : 0                         0 (Caffe has no backward)   -
 *   8  SIGN           (x > 0) - (x < 0)                     0                           -
 *
 * POWER backward follows Caffe's cases: a*b == 0 gives 0; a == 1 gives a*b; a == 2 gives
 * (a*b*b)*x + a*b*c; c == 0 gives a*y/x; otherwise a*b*y/(b*x + c).
 * Pointers an op does not read may be NULL. y may alias x and dx may alias dy (in-place
 * layers); elementwise, so aliasing is safe.
 */
#ifndef OMNIVORE_ACTIVATIONS_H
#define OMNIVORE_ACTIVATIONS_H

#ifdef __cplusplus
extern "C" {
#endif

enum om_unary_op {
  OM_UNARY_SIGMOID = 0,
  OM_UNARY_TANH = 1,
  OM_UNARY_ABSVAL = 2,
  OM_UNARY_ELU = 3,
  OM_UNARY_POWER = 4,
  OM_UNARY_EXP = 5,
  OM_UNARY_LOG = 6,
  OM_UNARY_THRESHOLD = 7,
  OM_UNARY_SIGN = 8
};

/* y = op(x) over count floats. */
OM_API int32_t om_unary_fwd(int32_t op, float* y, const float* x, int64_t count,
                            float a, float b, float c);
/* dx = dy * op'(x) over count floats; x and y are the forward input and output. */
OM_API int32_t om_unary_bwd(int32_t op, float* dx, const float* dy, const float* x,
                            const float* y, int64_t count, float a, float b, float c);

/* PReLU over (N, C, inner): top = max(x, 0) + slope[c] * min(x, 0), with one slope per
 * channel, or slope[0] for every channel when channel_shared != 0. top may alias bottom. */
OM_API int32_t om_prelu_fwd(float* top, const float* bottom, const float* slope,
                            int32_t n, int32_t c, int64_t inner, int32_t channel_shared);
/* PReLU backward. slope_diff (C floats, or 1 when shared; may be NULL to skip) is
 * ACCUMULATED: slope_diff[c] += sum of top_diff * x over x <= 0 in channel c.
 * bottom_diff (may be NULL to skip) is overwritten: top_diff * (x > 0 ? 1 : slope[c]).
 * bottom is the forward input; bottom_diff may alias top_diff (the slope diff is read
 * first). */
OM_API int32_t om_prelu_bwd(float* bottom_diff, float* slope_diff, const float* top_diff,
                            const float* bottom, const float* slope, int32_t n, int32_t c,
                            int64_t inner, int32_t channel_shared);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_ACTIVATIONS_H */
