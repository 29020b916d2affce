// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// An RS wgmma's A fragment must be of the wgmma's input type.

builtin.module {
  %slot = arith.constant 0 : i32
  %a = "wgmma.load_fragment_a"(%slot) <{a_offset = 0 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k8, tf32>
  %t = "wgmma.mma_async_rs"(%slot, %a) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 0 : i64, b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 1>}> : (i32, !wgmma.fragment_a<m64k8, tf32>) -> !wgmma.accumulator<m64n16, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}mma-rs-fragment-dtype.mlir: invalid IR: mma_async_rs of bf16 takes a bf16 A fragment, got tf32
