// RUN: not exo-gpu-opt %s -p lower-to-ptx 2>&1 | filecheck %s
//
// Fragment ops reaching lower-to-ptx say which pass lowers them.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "k", dtype = "bf16", threads = 128 : i64, block_m = 64 : i64, block_n = 8 : i64, block_k = 64 : i64, wait_depth = 0 : i64, raster_group = 8 : i64}> ({
  ^bb0(%0: !tma.tensor_map, %1: !tma.tensor_map, %2: i64, %3: i32, %4: i32, %5: i32):
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      %6 = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n8, f32>
      %7 = wgmma.frag_unary "relu" %6 : !wgmma.accumulator<m64n8, f32>
    }) : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: lower-to-ptx: wgmma.frag_unary at loc("{{.*}}frag-not-lowered.mlir":10:7) is a fragment op: run lower-fragments before lower-to-ptx
