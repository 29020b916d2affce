// A CUDA C++ wgmma kernel written the way the users' report describes (the doctor's example):
// each warpgroup keeps two m64n128 f32 accumulator tiles in a C++ array, the wgmma is inline
// asm with "+f" operands, and scale-d is a run-time value (k > 0) instead of a peeled first
// K block; the epilogue indexes the array at run time, which sends it to local memory.  (tests/real_ptx/make.py compiles it)


typedef unsigned long long u64;
typedef unsigned int u32;

struct RmemD {
  float d[64];
};

__device__ __forceinline__ u64 smem_desc(const void* p) {
  u32 addr = static_cast<u32>(__cvta_generic_to_shared(p));
  return (u64((addr & 0x3FFFF) >> 4)) | (u64(1) << 62) | (u64(64) << 32) | (u64(1) << 16);
}

__device__ __forceinline__ void wgmma_m64n128k8_tf32(RmemD& acc, u64 da, u64 db, int scale_d) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1;\n"
      "}\n"
      : "+f"(acc.d[0]), "+f"(acc.d[1]), "+f"(acc.d[2]), "+f"(acc.d[3]), "+f"(acc.d[4]), "+f"(acc.d[5]),
        "+f"(acc.d[6]), "+f"(acc.d[7]), "+f"(acc.d[8]), "+f"(acc.d[9]), "+f"(acc.d[10]), "+f"(acc.d[11]),
        "+f"(acc.d[12]), "+f"(acc.d[13]), "+f"(acc.d[14]), "+f"(acc.d[15]), "+f"(acc.d[16]), "+f"(acc.d[17]),
        "+f"(acc.d[18]), "+f"(acc.d[19]), "+f"(acc.d[20]), "+f"(acc.d[21]), "+f"(acc.d[22]), "+f"(acc.d[23]),
        "+f"(acc.d[24]), "+f"(acc.d[25]), "+f"(acc.d[26]), "+f"(acc.d[27]), "+f"(acc.d[28]), "+f"(acc.d[29]),
        "+f"(acc.d[30]), "+f"(acc.d[31]), "+f"(acc.d[32]), "+f"(acc.d[33]), "+f"(acc.d[34]), "+f"(acc.d[35]),
        "+f"(acc.d[36]), "+f"(acc.d[37]), "+f"(acc.d[38]), "+f"(acc.d[39]), "+f"(acc.d[40]), "+f"(acc.d[41]),
        "+f"(acc.d[42]), "+f"(acc.d[43]), "+f"(acc.d[44]), "+f"(acc.d[45]), "+f"(acc.d[46]), "+f"(acc.d[47]),
        "+f"(acc.d[48]), "+f"(acc.d[49]), "+f"(acc.d[50]), "+f"(acc.d[51]), "+f"(acc.d[52]), "+f"(acc.d[53]),
        "+f"(acc.d[54]), "+f"(acc.d[55]), "+f"(acc.d[56]), "+f"(acc.d[57]), "+f"(acc.d[58]), "+f"(acc.d[59]),
        "+f"(acc.d[60]), "+f"(acc.d[61]), "+f"(acc.d[62]), "+f"(acc.d[63])
      : "l"(da), "l"(db), "r"(scale_d));
}

extern "C" __global__ void __launch_bounds__(128, 1) tf32_array_spill(float* out, int num_k_blocks, int rotate) {
  extern __shared__ __align__(1024) float smem[];
  RmemD D_rmem[2];  // two m64n128 accumulator tiles per warpgroup, as in the report
  for (int k = 0; k < num_k_blocks; ++k) {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
    for (int t = 0; t < 2; ++t) {
      for (int kk = 0; kk < 4; ++kk) {
        u64 da = smem_desc(smem + t * 2048 + kk * 8);
        u64 db = smem_desc(smem + 8192 + kk * 8);
        wgmma_m64n128k8_tf32(D_rmem[t], da, db, k > 0 || kk > 0);
      }
    }
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
  }
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
  float* o = out + threadIdx.x * 128;
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < 64; ++i) o[t * 64 + i] = D_rmem[t].d[(i + rotate) & 63];  // a run-time index
}
