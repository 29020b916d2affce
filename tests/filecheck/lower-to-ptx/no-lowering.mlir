// RUN: not exo-gpu-opt %s -p lower-to-ptx 2>&1 | filecheck %s
//
// An op inside a kernel that no lower-to-ptx pattern lowers (here arith.subi: the patterns
// lower arith.constant, cmpi, addi and muli only) fails the pass with its name and location.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "subi", dtype = "tf32", threads = 128 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 0 : i64}> ({
  ^bb0(%a_map: !tma.tensor_map, %b_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      %one = arith.constant 1 : i32
      %two = arith.subi %one, %one : i32
    }) : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: lower-to-ptx: no lowering for 'arith.subi' at loc("{{.*}}no-lowering.mlir":11:7)
