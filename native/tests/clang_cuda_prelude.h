// clang_cuda_prelude.h: what NVRTC provides built in and clang's CUDA mode without the
// CUDA toolkit (-nocudainc) does not: the qualifiers, the thread index variables and the
// device math functions the kernels call. Used only by the native.cuda_kernels_clang
// test, which compiles native/cuda/*.cu for a GPU on a machine without CUDA, so that a
// kernel that NVRTC would reject fails here rather than on the first GPU machine.
#pragma once
#define __device__ __attribute__((device))
#define __global__ __attribute__((global))
#define __forceinline__ __attribute__((always_inline)) inline
#include "__clang_cuda_builtin_vars.h"
extern "C" {
__device__ float expf(float);
__device__ float logf(float);
__device__ float powf(float, float);
__device__ float sqrtf(float);
__device__ float rsqrtf(float);
__device__ float fabsf(float);
__device__ float fmaxf(float, float);
__device__ float fminf(float, float);
__device__ float tanhf(float);
__device__ float expm1f(float);
__device__ float log1pf(float);
__device__ float floorf(float);
__device__ float ceilf(float);
__device__ float erff(float);
__device__ float sinf(float);
__device__ float cosf(float);
__device__ double exp(double);
__device__ double log(double);
__device__ double sqrt(double);
__device__ double fabs(double);
__device__ int __float_as_int(float);
__device__ float __int_as_float(int);
}
