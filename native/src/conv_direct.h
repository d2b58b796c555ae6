// conv_direct.h: the packed engine's direct convolution, for layers with few lowered rows
// per group (C/group * kh * kw <= kDirectMaxK: LeNet's conv1, 1 x 5 x 5), stride 1 and
// no dilation. Lowering such a layer costs about what its multiply does (each lowered row
// feeds only M/group products), so these layers skip it: the kernel reads the image rows
// in place. Defined in conv_direct.cpp; conv_packed.cpp and conv_packed_backward.cpp call
// it when direct_fits(). Compiled for AVX-512; call only when om::packed_supported().
#pragma once

#include "internal.h"

#if OM_PACKED_ENGINE
namespace om::packed {

// Lowered rows per group at most, and kernel columns (one accumulator each in the weight
// gradient).
constexpr int64_t kDirectMaxK = 32;
constexpr int64_t kDirectMaxKw = 12;

bool direct_fits(const om_conv_shape& s);

// top = conv(bottom) (+ bias), each output summed over (c, i, j) in order by one thread;
// relu as packed_forward.
void direct_forward(float* top, const float* bottom, const float* weights, const float* bias,
                    int64_t n, const om_conv_shape& s, int64_t partitions, bool relu);

// weight_diff and bias_diff (when not null) += the gradients, bottom_diff (when not null)
// = the data gradient. Each sum in a fixed order, whatever the partitions.
void direct_backward(float* bottom_diff, float* weight_diff, float* bias_diff,
                     const float* top_diff, const float* bottom, const float* weights,
                     int64_t n, const om_conv_shape& s, int64_t partitions);

}  // namespace om::packed
#endif  // OM_PACKED_ENGINE
