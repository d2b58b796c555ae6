/*
 * omnivore_solvers.h: fused update kernels of Caffe's SGD-family solvers, one
 * parameter slice per call (included by omnivore.h).
 *
 * Every update kernel takes the weights w, the regularised, iter_size-normalised
 * gradient g and the solver's history slice(s), all of `count` floats. It updates the
 * history in place, leaves the update value in g (as Caffe leaves it in the diff) and
 * applies it: w -= g. `lr` is Caffe's local rate (rate * lr_mult).
 */
#ifndef OMNIVORE_SOLVERS_H
#define OMNIVORE_SOLVERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* y += alpha * sign(x), sign(0) = 0: Caffe's L1 regularisation (y may alias x). */
OM_API int32_t om_sign_axpy(float* y, float alpha, const float* x, int64_t count);

/* SGD with L2 weight decay fused: g += decay*w; h = momentum*h + lr*g; g = h; w -= g,
 * in the same float steps as om_axpby(g, decay, w, 1) followed by om_sgd_update. */
OM_API int32_t om_sgd_update_l2(float* w, float* g, float* h, float decay, float momentum,
                                float lr, int64_t count);
/* The same, with g = 0 afterwards instead of the step: the update and the clear of the
 * gradient for the next iteration in one pass (w and h bit for bit as above). */
OM_API int32_t om_sgd_update_l2_clear(float* w, float* g, float* h, float decay, float momentum,
                                      float lr, int64_t count);

/* Nesterov: h_new = momentum*h + lr*g; g = (1+momentum)*h_new - momentum*h; h = h_new;
 * w -= g. */
OM_API int32_t om_nesterov_update(float* w, float* g, float* h, float momentum, float lr,
                                  int64_t count);

/* AdaGrad: h += g*g; g = lr * g / (sqrt(h) + delta); w -= g. */
OM_API int32_t om_adagrad_update(float* w, float* g, float* h, float delta, float lr,
                                 int64_t count);

/* RMSProp: h = rms_decay*h + (1-rms_decay)*g*g; g = lr * g / (sqrt(h) + delta); w -= g. */
OM_API int32_t om_rmsprop_update(float* w, float* g, float* h, float rms_decay, float delta,
                                 float lr, int64_t count);

/* AdaDelta with h the squared-gradient and u the squared-update history:
 * h = momentum*h + (1-momentum)*g*g; d = g * sqrt((u + delta) / (h + delta));
 * u = momentum*u + (1-momentum)*d*d; g = lr * d; w -= g. */
OM_API int32_t om_adadelta_update(float* w, float* g, float* h, float* u, float momentum,
                                  float delta, float lr, int64_t count);

/* Adam with m the first and v the second moment:
 * m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g*g;
 * g = step * m / (sqrt(v) + delta); w -= g, where the caller folds the bias
 * correction into step = lr * sqrt(1 - beta2^t) / (1 - beta1^t). */
OM_API int32_t om_adam_update(float* w, float* g, float* m, float* v, float beta1,
                              float beta2, float delta, float step, int64_t count);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_SOLVERS_H */
