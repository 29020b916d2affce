// RUN: exo-gpu-opt %s | exo-gpu-opt - | filecheck %s
//
// The fragment ops' custom syntax prints as it parses (a round trip through the printer).

builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n16, f32>
  %p = arith.constant 0 : i64
  %i = arith.constant 0 : i32
  %s = arith.constant 2.0 : f32
  %row, %col = wgmma.tile_origin {row_offset = 64 : i64} : i32, i32
  %a = wgmma.frag_splat %s : f32 -> !wgmma.accumulator<m64n16, f32>
  %b = wgmma.frag_load_vector %p[%col], %i {along = "col", dtype = "bf16"} : !wgmma.accumulator<m64n16, f32>
  %c = wgmma.frag_load_tile %p[%row, %col], %i, %i, %i {dtype = "f16"} : !wgmma.accumulator<m64n16, f32>
  %d = wgmma.frag_binary "mul" %x, %a : !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32>
  %e = wgmma.frag_unary "gelu" %d : !wgmma.accumulator<m64n16, f32>
  %m = wgmma.frag_reduce "max" %e {dim = 1 : i64} : !wgmma.accumulator<m64n16, f32> -> !wgmma.row_vector<m64, f32>
  %f = wgmma.frag_binary "sub" %e, %m : !wgmma.accumulator<m64n16, f32>, !wgmma.row_vector<m64, f32>
  %g = wgmma.frag_iota %col {dim = 1 : i64} : !wgmma.accumulator<m64n16, f32>
  %h = wgmma.frag_splat %i : i32 -> !wgmma.accumulator<m64n16, f32>
  %k = wgmma.frag_select "lt" %g, %h, %f, %a : !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32> -> !wgmma.accumulator<m64n16, f32>
  %n = wgmma.frag_binary "max" %m, %m : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
  %u = wgmma.frag_unary "exp2" %n : !wgmma.row_vector<m64, f32>
}

// CHECK:      %row, %col = wgmma.tile_origin {row_offset = 64 : i64} : i32, i32
// CHECK-NEXT: %a = wgmma.frag_splat %s : f32 -> !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %b = wgmma.frag_load_vector %p[%col], %i {along = "col", dtype = "bf16"} : !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %c = wgmma.frag_load_tile %p[%row, %col], %i, %i, %i {dtype = "f16"} : !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %d = wgmma.frag_binary "mul" %x, %a : !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %e = wgmma.frag_unary "gelu" %d : !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %m = wgmma.frag_reduce "max" %e {dim = 1 : i64} : !wgmma.accumulator<m64n16, f32> -> !wgmma.row_vector<m64, f32>
// CHECK-NEXT: %f = wgmma.frag_binary "sub" %e, %m : !wgmma.accumulator<m64n16, f32>, !wgmma.row_vector<m64, f32>
// CHECK-NEXT: %g = wgmma.frag_iota %col {dim = 1 : i64} : !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %h = wgmma.frag_splat %i : i32 -> !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %k = wgmma.frag_select "lt" %g, %h, %f, %a : !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n16, f32> -> !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT: %n = wgmma.frag_binary "max" %m, %m : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
// CHECK-NEXT: %u = wgmma.frag_unary "exp2" %n : !wgmma.row_vector<m64, f32>
