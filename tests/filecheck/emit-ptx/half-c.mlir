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
  tile.kernel @half_c(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xbf16>) grid(%c tiles 64x8) schedule #tile.schedule<consumers = 1, stages = 4> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x8xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x8xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<64x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x8xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xbf16>, !tile.tile<64x8xbf16>, !tile.tile<64x8xf32> -> !tile.tile<64x8xf32>
      scf.yield %r : !tile.tile<64x8xf32>
    }
    %0 = tile.cast %acc : !tile.tile<64x8xf32> -> !tile.tile<64x8xbf16>
    tile.store %0, %c[%i, %j] : !tile.tile<64x8xbf16>, !tile.tensor<?x?xbf16>
    tile.return
  }
  tile.kernel @half_c_acc(%a: !tile.tensor<?x?xf16>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %c: !tile.tensor<?x?xf16>) grid(%c tiles 64x8) schedule #tile.schedule<consumers = 1, stages = 4> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x8xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x8xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf16> -> !tile.tile<64x64xf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf16, contiguous = 0> -> !tile.tile<64x8xf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xf16>, !tile.tile<64x8xf16>, !tile.tile<64x8xf32> -> !tile.tile<64x8xf32>
      scf.yield %r : !tile.tile<64x8xf32>
    }
    %0 = tile.load %c[%i, %j] : !tile.tensor<?x?xf16> -> !tile.tile<64x8xf16>
    %1 = tile.cast %0 : !tile.tile<64x8xf16> -> !tile.tile<64x8xf32>
    %2 = tile.add %acc, %1 : !tile.tile<64x8xf32>
    %3 = tile.cast %2 : !tile.tile<64x8xf32> -> !tile.tile<64x8xf16>
    tile.store %3, %c[%i, %j] : !tile.tile<64x8xf16>, !tile.tensor<?x?xf16>
    tile.return
  }
  tile.kernel @half_c_swap(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xbf16>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 4> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<64x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x16xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xbf16>, !tile.tile<64x16xbf16>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    %0 = tile.cast %acc : !tile.tile<64x16xf32> -> !tile.tile<64x16xbf16>
    tile.store %0, %c[%i, %j] : !tile.tile<64x16xbf16>, !tile.tensor<?x?xbf16>
    tile.return
  }
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
