// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s
//
// C stored as bf16 (c_dtype): the f32 accumulators are rounded once, when stored.  An interior
// block packs each pair of adjacent columns with cvt.rn.bf16x2.f32 (the higher column in the
// upper half) and stores 4 bytes; an edge block rounds and stores each element on its own
// (2 bytes, predicated).  Rows are 2 bytes an element apart (shl 1).  With C += (the second
// kernel, f16 C), the old element is loaded as 16 bits, widened exactly, added in f32 and
// rounded back.  With an even number of n8 chunks (the third kernel, N = 16), lanes 2i and
// 2i + 1 swap packed pairs (one shfl.bfly of what the partner needs, chosen by selp on the
// lane's parity) so each stores 4 contiguous halves with st.global.v2.b32; an odd lane's
// columns start 6 further (8j + 2q + 6), and the interior test needs N % 4 == 0.

builtin.module {
  "tile.gemm"() <{sym_name = "half_c", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 8 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, c_dtype = "bf16"}> : () -> ()
  "tile.gemm"() <{sym_name = "half_c_acc", dtype = "f16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 8 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 1 : i64, c_dtype = "f16"}> : () -> ()
  "tile.gemm"() <{sym_name = "half_c_swap", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, c_dtype = "bf16"}> : () -> ()
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

// CHECK-LABEL: .entry half_c_swap(
// CHECK:         and.b32 %r{{[0-9]+}}, %r{{[0-9]+}}, 3;
// CHECK:         and.b32 %r[[PAR:[0-9]+]], %r[[LANE:[0-9]+]], 1;
// CHECK-NEXT:    setp.ne.u32 %p[[ODD:[0-9]+]], %r[[PAR]], 0;
// CHECK:         mov.u32 %r[[SIX:[0-9]+]], 6;
// CHECK-NEXT:    mov.u32 %r[[ZERO:[0-9]+]], 0;
// CHECK-NEXT:    selp.b32 %r[[EXTRA:[0-9]+]], %r[[SIX]], %r[[ZERO]], %p[[ODD]];
// CHECK:         cvt.rn.bf16x2.f32 %r[[MINE:[0-9]+]], %acc1, %acc0;
// CHECK-NEXT:    cvt.rn.bf16x2.f32 %r[[NEXT:[0-9]+]], %acc5, %acc4;
// CHECK-NEXT:    selp.b32 %r[[SEND:[0-9]+]], %r[[MINE]], %r[[NEXT]], %p[[ODD]];
// CHECK-NEXT:    shfl.sync.bfly.b32 %r[[GOT:[0-9]+]], %r[[SEND]], 1, 0x1f, 0xffffffff;
// CHECK-NEXT:    selp.b32 %r[[LO:[0-9]+]], %r[[GOT]], %r[[MINE]], %p[[ODD]];
// CHECK-NEXT:    selp.b32 %r[[HI:[0-9]+]], %r[[NEXT]], %r[[GOT]], %p[[ODD]];
// CHECK-NEXT:    st.global.v2.b32 [%rd{{[0-9]+}}], {%r[[LO]], %r[[HI]]};
