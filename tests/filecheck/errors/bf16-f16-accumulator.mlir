// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// wgmma accumulates bf16 (and tf32) inputs in f32 only; f16 accumulation exists for f16,
// e4m3 and e5m2 inputs.  The tile.gemm verifier rejects the combination before any pass
// runs, in one line that says what to change.

builtin.module {
  "tile.gemm"() <{sym_name = "bf16_acc16", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, accumulator = "f16"}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}bf16-f16-accumulator.mlir: invalid IR: bf16 wgmma has no f16 accumulator: use accumulator f32, or dtype f16, e4m3 or e5m2 for f16 accumulation
// CHECK-NOT: Traceback
