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

// Peeled and immediate scale-d, but the loop reads an accumulator after wait_group 1 (a check
// for overflow) while the newest group is still in flight.
struct Acc {
  float d00, d01, d02, d03, d04, d05, d06, d07, d08, d09, d10, d11, d12, d13, d14, d15;
  float d16, d17, d18, d19, d20, d21, d22, d23, d24, d25, d26, d27, d28, d29, d30, d31;
};

__device__ __forceinline__ void mma_first(Acc& acc, u64 da, u64 db) {
  asm volatile(
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "%32, %33, 0, 1, 1, 0, 0;\n"
      : "=f"(acc.d00), "=f"(acc.d01), "=f"(acc.d02), "=f"(acc.d03), "=f"(acc.d04), "=f"(acc.d05),
        "=f"(acc.d06), "=f"(acc.d07), "=f"(acc.d08), "=f"(acc.d09), "=f"(acc.d10), "=f"(acc.d11),
        "=f"(acc.d12), "=f"(acc.d13), "=f"(acc.d14), "=f"(acc.d15), "=f"(acc.d16), "=f"(acc.d17),
        "=f"(acc.d18), "=f"(acc.d19), "=f"(acc.d20), "=f"(acc.d21), "=f"(acc.d22), "=f"(acc.d23),
        "=f"(acc.d24), "=f"(acc.d25), "=f"(acc.d26), "=f"(acc.d27), "=f"(acc.d28), "=f"(acc.d29),
        "=f"(acc.d30), "=f"(acc.d31)
      : "l"(da), "l"(db));
}

__device__ __forceinline__ void mma_acc(Acc& acc, u64 da, u64 db) {
  asm volatile(
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "%32, %33, 1, 1, 1, 0, 0;\n"
      : "+f"(acc.d00), "+f"(acc.d01), "+f"(acc.d02), "+f"(acc.d03), "+f"(acc.d04), "+f"(acc.d05),
        "+f"(acc.d06), "+f"(acc.d07), "+f"(acc.d08), "+f"(acc.d09), "+f"(acc.d10), "+f"(acc.d11),
        "+f"(acc.d12), "+f"(acc.d13), "+f"(acc.d14), "+f"(acc.d15), "+f"(acc.d16), "+f"(acc.d17),
        "+f"(acc.d18), "+f"(acc.d19), "+f"(acc.d20), "+f"(acc.d21), "+f"(acc.d22), "+f"(acc.d23),
        "+f"(acc.d24), "+f"(acc.d25), "+f"(acc.d26), "+f"(acc.d27), "+f"(acc.d28), "+f"(acc.d29),
        "+f"(acc.d30), "+f"(acc.d31)
      : "l"(da), "l"(db));
}

extern "C" __global__ void __launch_bounds__(128, 1) f16_struct_read_in_loop(float* out, int* flag, int num_k_blocks) {
  extern __shared__ __align__(1024) unsigned short smem[];
  Acc acc;
  fence();
  mma_first(acc, smem_desc(smem), smem_desc(smem + 16384));
  for (int kk = 1; kk < 4; ++kk) mma_acc(acc, smem_desc(smem + kk * 16), smem_desc(smem + 16384 + kk * 16));
  commit();
  for (int k = 1; k < num_k_blocks; ++k) {
    fence();
    for (int kk = 0; kk < 4; ++kk)
      mma_acc(acc, smem_desc(smem + (k % 4) * 4096 + kk * 16), smem_desc(smem + 16384 + kk * 16));
    commit();
    wait<1>();
    if (acc.d00 > 1e30f) *flag = k;
  }
  wait<0>();
  float* o = out + threadIdx.x * 32;
  o[0] = acc.d00;
  o[1] = acc.d01;
  o[2] = acc.d02;
  o[3] = acc.d03;
  o[4] = acc.d04;
  o[5] = acc.d05;
  o[6] = acc.d06;
  o[7] = acc.d07;
  o[8] = acc.d08;
  o[9] = acc.d09;
  o[10] = acc.d10;
  o[11] = acc.d11;
  o[12] = acc.d12;
  o[13] = acc.d13;
  o[14] = acc.d14;
  o[15] = acc.d15;
  o[16] = acc.d16;
  o[17] = acc.d17;
  o[18] = acc.d18;
  o[19] = acc.d19;
  o[20] = acc.d20;
  o[21] = acc.d21;
  o[22] = acc.d22;
  o[23] = acc.d23;
  o[24] = acc.d24;
  o[25] = acc.d25;
  o[26] = acc.d26;
  o[27] = acc.d27;
  o[28] = acc.d28;
  o[29] = acc.d29;
  o[30] = acc.d30;
  o[31] = acc.d31;
}
