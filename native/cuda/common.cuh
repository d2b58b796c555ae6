// common.cuh: what every Omnivore CUDA kernel file shares. The kernels are plain
// `extern "C" __global__` functions (no templates, no shared memory, no atomics) over a
// grid-stride loop, so that the same source compiles three ways: with NVRTC at run time
// (CudaDevice), with nvcc, and with g++ on the CPU under emulate/cuda_emulation.h, where
// the ctest suite checks every kernel against the CPU library.
//
// NVRTC has no standard headers, so this file defines the few types and constants the
// kernels need itself. Kernels are compiled with --fmad=false, so float arithmetic is not
// contracted into FMA and follows the CPU library's IEEE steps; sqrtf and division are
// IEEE-exact (NVRTC's defaults), so many kernels match the CPU bit for bit.
#ifndef OMNIVORE_CUDA_COMMON_CUH
#define OMNIVORE_CUDA_COMMON_CUH

typedef long long i64;
typedef unsigned int u32;
typedef unsigned long long u64;

#define OM_FLT_MAX 3.402823466e+38f
#define OM_FLT_MIN 1.175494351e-38f

// for (i64 i = global thread index; i < n; i += all threads of the grid)
#define OM_LOOP(i, n)                                                                    \
  for (i64 i = (i64)blockIdx.x * (i64)blockDim.x + (i64)threadIdx.x; i < (i64)(n);       \
       i += (i64)blockDim.x * (i64)gridDim.x)

// q = a / b and *r = a % b for a >= 0, b > 0: in 32-bit arithmetic when both fit, which is
// every index of a tensor under 2^31 elements. A 64-bit division is a long software
// routine on the GPU; several per element made the lowering kernels compute-bound (CaffeNet
// conv1's im2col ran at a fraction of the memory's speed on an H200).
__device__ __forceinline__ i64 om_divmod(i64 a, i64 b, i64* r) {
  if ((((u64)a | (u64)b) >> 31) == 0) {
    const u32 q = (u32)a / (u32)b;
    *r = (i64)((u32)a - q * (u32)b);
    return (i64)q;
  }
  const i64 q = a / b;
  *r = a - q * b;
  return q;
}

// Loads per group in the kernels whose threads each walk a long row (softmax over 1,000
// classes, the reductions' partial sums): a few hundred or thousand threads cannot hide
// memory latency one load at a time, so such loops load OM_ILP values into registers,
// then use them in the original order (the results are unchanged).
#define OM_ILP 8
#if defined(__CUDACC__) || defined(__CUDA_ARCH__)  // NVRTC, nvcc, clang; not the emulator's g++
#define OM_UNROLL _Pragma("unroll")
#else
#define OM_UNROLL
#endif

__device__ __forceinline__ bool om_isnan(float x) { return x != x; }
__device__ __forceinline__ i64 om_min64(i64 a, i64 b) { return a < b ? a : b; }
__device__ __forceinline__ i64 om_max64(i64 a, i64 b) { return a > b ? a : b; }
__device__ __forceinline__ float om_sign(float x) { return (float)((0.0f < x) - (x < 0.0f)); }

#endif  // OMNIVORE_CUDA_COMMON_CUH
