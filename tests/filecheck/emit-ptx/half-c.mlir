// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,assign-registers,emit-ptx | filecheck %s
//
// C stored as bf16 (c_dtype): the f32 accumulators are rounded once, when stored.  An interior
// block packs each pair of adjacent columns with cvt.rn.bf16x2.f32 (the higher column in the
// upper half) and stores 4 bytes; an edge block rounds and stores each element on its own
// (2 bytes, predicated).  Rows are 2 bytes an element apart (shl 1).  With C += (the second
// kernel, f16 C), the old element is loaded as 16 bits, widened exactly, added in f32 and
// rounded back.

builtin.module {
  "tile.gemm"() <{sym_name = "half_c", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 8 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, c_dtype = "bf16"}> : () -> ()
  "tile.gemm"() <{sym_name = "half_c_acc", dtype = "f16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 8 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 1 : i64, c_dtype = "f16"}> : () -> ()
}

// CHECK-LABEL: .entry half_c(
// CHECK:         wgmma.wait_group.sync.aligned 0;
// CHECK:         shl.b64 %rd{{[0-9]+}}, %rd{{[0-9]+}}, 1;
// CHECK:         cvt.rn.bf16x2.f32 %r[[P:[0-9]+]], %acc1, %acc0;
// CHECK-NEXT:    st.global.b32 [%rd{{[0-9]+}}], %r[[P]];
// CHECK:         cvt.rn.bf16x2.f32 %r[[Q:[0-9]+]], %acc3, %acc2;
// CHECK-NEXT:    st.global.b32 [%rd{{[0-9]+}}], %r[[Q]];
// CHECK-NOT:     st.global.v2.f32
// CHECK:         cvt.rn.bf16.f32 %rs[[H:[0-9]+]], %acc0;
// CHECK-NEXT:    @%p{{[0-9]+}} st.global.b16 [%rd{{[0-9]+}}], %rs[[H]];
// CHECK:         cvt.rn.bf16.f32 %rs[[H1:[0-9]+]], %acc1;
// CHECK-NEXT:    @%p{{[0-9]+}} st.global.b16 [%rd{{[0-9]+}}+2], %rs[[H1]];
// CHECK-NOT:     st.global.f32

// CHECK-LABEL: .entry half_c_acc(
// CHECK:         mov.b16 %rs[[OLD:[0-9]+]], 0;
// CHECK-NEXT:    @%p[[OK:[0-9]+]] ld.global.b16 %rs[[OLD]], [%rd{{[0-9]+}}];
// CHECK-NEXT:    cvt.f32.f16 %f[[W:[0-9]+]], %rs[[OLD]];
// CHECK-NEXT:    add.f32 %f[[S:[0-9]+]], %f[[W]], %acc0;
// CHECK-NEXT:    cvt.rn.f16.f32 %rs[[R:[0-9]+]], %f[[S]];
// CHECK-NEXT:    @%p[[OK]] st.global.b16 [%rd{{[0-9]+}}], %rs[[R]];
