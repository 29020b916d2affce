// Written like the users' CUDA C++ (see exo-gpu issue 11): wgmma through inline asm.
// No #include: the same file compiles with nvcc and with NVRTC.
typedef unsigned long long u64;
typedef unsigned int u32;

__device__ __forceinline__ u64 smem_desc(const void* p) {
  u32 addr;
  asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(addr) : "l"(p));
  return (u64((addr & 0x3FFFF) >> 4)) | (u64(1) << 62) | (u64(64) << 32) | (u64(1) << 16);
}

__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" :: "n"(N) : "memory"); }

// Peeled and immediate scale-d, with CUTLASS-style "fence operand" asm around each stage, but
// written with "+r" on the float accumulators (reinterpreted as u32): the C++ compiler then
// migrates every accumulator between %f and %r registers around the wgmma (category A).
struct Acc {
  float d[32];
};

__device__ __forceinline__ void mma_first(Acc& acc, u64 da, u64 db) {
  asm volatile(
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "%32, %33, 0, 1, 1, 0, 0;\n"
      : "=f"(acc.d[0]), "=f"(acc.d[1]), "=f"(acc.d[2]), "=f"(acc.d[3]), "=f"(acc.d[4]), "=f"(acc.d[5]),
        "=f"(acc.d[6]), "=f"(acc.d[7]), "=f"(acc.d[8]), "=f"(acc.d[9]), "=f"(acc.d[10]), "=f"(acc.d[11]),
        "=f"(acc.d[12]), "=f"(acc.d[13]), "=f"(acc.d[14]), "=f"(acc.d[15]), "=f"(acc.d[16]), "=f"(acc.d[17]),
        "=f"(acc.d[18]), "=f"(acc.d[19]), "=f"(acc.d[20]), "=f"(acc.d[21]), "=f"(acc.d[22]), "=f"(acc.d[23]),
        "=f"(acc.d[24]), "=f"(acc.d[25]), "=f"(acc.d[26]), "=f"(acc.d[27]), "=f"(acc.d[28]), "=f"(acc.d[29]),
        "=f"(acc.d[30]), "=f"(acc.d[31])
      : "l"(da), "l"(db));
}

__device__ __forceinline__ void mma_acc(Acc& acc, u64 da, u64 db) {
  asm volatile(
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "%32, %33, 1, 1, 1, 0, 0;\n"
      : "+f"(acc.d[0]), "+f"(acc.d[1]), "+f"(acc.d[2]), "+f"(acc.d[3]), "+f"(acc.d[4]), "+f"(acc.d[5]),
        "+f"(acc.d[6]), "+f"(acc.d[7]), "+f"(acc.d[8]), "+f"(acc.d[9]), "+f"(acc.d[10]), "+f"(acc.d[11]),
        "+f"(acc.d[12]), "+f"(acc.d[13]), "+f"(acc.d[14]), "+f"(acc.d[15]), "+f"(acc.d[16]), "+f"(acc.d[17]),
        "+f"(acc.d[18]), "+f"(acc.d[19]), "+f"(acc.d[20]), "+f"(acc.d[21]), "+f"(acc.d[22]), "+f"(acc.d[23]),
        "+f"(acc.d[24]), "+f"(acc.d[25]), "+f"(acc.d[26]), "+f"(acc.d[27]), "+f"(acc.d[28]), "+f"(acc.d[29]),
        "+f"(acc.d[30]), "+f"(acc.d[31])
      : "l"(da), "l"(db));
}

__device__ __forceinline__ void fence_operand(Acc& acc) {
#pragma unroll
  for (int i = 0; i < 32; ++i) asm volatile("" : "+r"(reinterpret_cast<u32&>(acc.d[i])) :: "memory");
}

extern "C" __global__ void __launch_bounds__(128, 1) f16_array_fence_r(float* out, int num_k_blocks) {
  extern __shared__ __align__(1024) unsigned short smem[];
  Acc acc;
  fence();
  mma_first(acc, smem_desc(smem), smem_desc(smem + 16384));
#pragma unroll
  for (int kk = 1; kk < 4; ++kk) mma_acc(acc, smem_desc(smem + kk * 16), smem_desc(smem + 16384 + kk * 16));
  commit();
  fence_operand(acc);
  for (int k = 1; k < num_k_blocks; ++k) {
    fence_operand(acc);
    fence();
#pragma unroll
    for (int kk = 0; kk < 4; ++kk)
      mma_acc(acc, smem_desc(smem + (k % 4) * 4096 + kk * 16), smem_desc(smem + 16384 + kk * 16));
    commit();
    fence_operand(acc);
    wait<1>();
  }
  wait<0>();
  fence_operand(acc);
  float* o = out + threadIdx.x * 32;
#pragma unroll
  for (int i = 0; i < 32; ++i) o[i] = acc.d[i];
}
