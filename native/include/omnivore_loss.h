/*
 * omnivore_loss.h: the multinomial logistic loss of SoftmaxWithLoss on the device, so
 * no probabilities travel to the host (included by omnivore.h).
 *
 * prob is (outer, channels, inner) softmax output, labels (outer, inner) class indices
 * stored as floats. With has_ignore != 0, positions whose label equals ignore_label are
 * skipped (forward) and get a zero gradient (backward).
 */
#ifndef OMNIVORE_LOSS_H
#define OMNIVORE_LOSS_H

#include <stdint.h>

#include "omnivore.h" /* OM_API */

#ifdef __cplusplus
extern "C" {
#endif

/* loss = sum over counted positions of -ln(max(p_label, FLT_MIN)), accumulated in double
 * in (outer, inner) order; valid = number of counted positions. bad_at = the index
 * o*inner + i of the first counted position whose label is not an integer-valued class
 * in [0, channels) (then loss and valid cover the positions before it), or -1. */
OM_API int32_t om_softmax_loss_fwd(double* loss, int64_t* valid, int64_t* bad_at,
                                   const float* prob, const float* labels, int64_t outer,
                                   int64_t channels, int64_t inner, int32_t has_ignore,
                                   int32_t ignore_label);

/* bottom_diff = scale * (prob - onehot(label)), 0 at ignored positions. Labels must be
 * valid (checked by the forward pass); an invalid one gives OM_INVALID_ARGUMENT.
 * bottom_diff may alias prob. */
OM_API int32_t om_softmax_loss_bwd(float* bottom_diff, const float* prob, const float* labels,
                                   int64_t outer, int64_t channels, int64_t inner,
                                   int32_t has_ignore, int32_t ignore_label, float scale);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_LOSS_H */
