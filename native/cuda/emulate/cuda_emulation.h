// cuda_emulation.h: just enough of CUDA to compile Omnivore's .cu kernel files with g++
// and run them on the CPU, so the ctest suite can check every kernel against the CPU
// library on a machine without a GPU. Include it before a .cu file (or compile the file
// with `g++ -x c++ -include cuda_emulation.h`).
//
// launch(kernel, grid, block, args...) runs every (block, thread) of the grid, one after
// another, with blockIdx/threadIdx/blockDim/gridDim set (thread_local, as on a GPU they
// are per thread). The kernels use neither shared memory nor __syncthreads nor atomics,
// so running threads one by one is a valid schedule; to expose kernels whose result
// would depend on the order in which threads run (races), blocks and threads run in a
// scrambled order (emu_order: 0 in order, 1 reversed, 2 a fixed permutation, default).
//
// With OM_EMU_NO_STD defined (and -nostdinc -nostdinc++) the header includes nothing and
// only declares the math functions, so that a .cu file which strays outside what NVRTC
// offers (standard headers, std::) fails to compile here too; launch() is then absent.
#pragma once

#ifdef OM_EMU_NO_STD
extern "C" {
float expf(float);
float logf(float);
double log(double);
float sqrtf(float);
float tanhf(float);
float powf(float, float);
float fabsf(float);
float fmaxf(float, float);
float fminf(float, float);
float floorf(float);
}
struct dim3 {
  unsigned x, y, z;
};
extern thread_local dim3 blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
inline int __float_as_int(float f) { int i; __builtin_memcpy(&i, &f, sizeof i); return i; }
inline float __int_as_float(int i) { float f; __builtin_memcpy(&f, &i, sizeof f); return f; }
#else
#include <math.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 blockIdx, threadIdx, blockDim, gridDim;
inline int emu_order = 2;
inline long long emu_launches = 0;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, sizeof i); return i; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, sizeof f); return f; }

namespace emu {
// The order in which n items run: in order, reversed, or a fixed scramble that visits
// every item once (multiplication by an odd constant modulo the next power of two).
inline std::vector<unsigned> order(unsigned n) {
  std::vector<unsigned> v;
  v.reserve(n);
  if (emu_order == 0) {
    for (unsigned i = 0; i < n; ++i) v.push_back(i);
  } else if (emu_order == 1) {
    for (unsigned i = n; i-- > 0;) v.push_back(i);
  } else {
    unsigned p = 1;
    while (p < n) p <<= 1;
    for (unsigned i = 0; i < p; ++i) {
      const unsigned j = (i * 2654435761u + 12345u) & (p - 1);
      if (j < n) v.push_back(j);
    }
  }
  return v;
}
}  // namespace emu

template <class... P, class... A>
void launch(void (*kernel)(P...), dim3 grid, dim3 block, A... args) {
  static_assert(sizeof...(P) == sizeof...(A), "argument count differs from the kernel's");
  ++emu_launches;
  gridDim = grid;
  blockDim = block;
  const unsigned blocks = grid.x * grid.y * grid.z, threads = block.x * block.y * block.z;
  for (unsigned b : emu::order(blocks)) {
    blockIdx = dim3(b % grid.x, (b / grid.x) % grid.y, b / (grid.x * grid.y));
    for (unsigned t : emu::order(threads)) {
      threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
      kernel(static_cast<P>(args)...);
    }
  }
}
#endif  // OM_EMU_NO_STD
