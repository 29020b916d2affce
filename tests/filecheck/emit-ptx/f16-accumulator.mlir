// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s
//
// End to end with f16 accumulators: an f16 kernel (C = A @ B) and an e4m3 kernel with C +=,
// each 1 consumer, 1 m64n16 tile, 2 stages.  Checks: the tile lives in N/4 = 4 packed
// `.f16x2` registers %hacc0..3 (no f32 %acc range); every wgmma prints `.f16` as its D type
// (`.f16.f16.f16` with the transpose immediates of 16-bit inputs, `.f16.e4m3.e4m3` without);
// the epilogue unpacks each register with `mov.b32 {lo, hi}` and converts both halves with
// `cvt.f32.f16` before storing f32 C, on the interior (st.global.v2.f32), edge (checked
// st.global.f32) and C += (ld, add.f32, st) paths.

builtin.module {
  tile.kernel @acc16(%a: !tile.tensor<?x?xf16>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, accumulate = "f16"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf16>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf16>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf16> -> !tile.tile<64x64xf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf16, contiguous = 0> -> !tile.tile<64x16xf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xf16>, !tile.tile<64x16xf16>, !tile.tile<64x16xf16> -> !tile.tile<64x16xf16>
      scf.yield %r : !tile.tile<64x16xf16>
    }
    %0 = tile.cast %acc : !tile.tile<64x16xf16> -> !tile.tile<64x16xf32>
    tile.store %0, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
  tile.kernel @acc16_c(%a: !tile.tensor<?x?xf8E4M3FN>, %b: !tile.tensor<?x?xf8E4M3FN, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, accumulate = "f16"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c128 = arith.constant 128 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c128 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf16>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf16>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf8E4M3FN> -> !tile.tile<64x128xf8E4M3FN>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf8E4M3FN, contiguous = 0> -> !tile.tile<128x16xf8E4M3FN>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x128xf8E4M3FN>, !tile.tile<128x16xf8E4M3FN>, !tile.tile<64x16xf16> -> !tile.tile<64x16xf16>
      scf.yield %r : !tile.tile<64x16xf16>
    }
    %0 = tile.load %c[%i, %j] : !tile.tensor<?x?xf32> -> !tile.tile<64x16xf32>
    %1 = tile.cast %0 : !tile.tile<64x16xf32> -> !tile.tile<64x16xf16>
    %2 = tile.add %acc, %1 : !tile.tile<64x16xf16>
    %3 = tile.cast %2 : !tile.tile<64x16xf16> -> !tile.tile<64x16xf32>
    tile.store %3, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:       .visible .entry acc16(
// CHECK-NOT:   %acc<
// CHECK:       .reg .b16 %rs<{{[0-9]+}}>;
// CHECK-NEXT:  .reg .f16x2 %hacc<4>;
// CHECK-NOT:   .reg .f32 %acc
// CHECK:       wgmma.mma_async.sync.aligned.m64n16k16.f16.f16.f16 {%hacc0, %hacc1, %hacc2, %hacc3}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 0, 1, 1, 0, 0;
// CHECK-COUNT-3: wgmma.mma_async.sync.aligned.m64n16k16.f16.f16.f16 {%hacc0, %hacc1, %hacc2, %hacc3}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 1, 1, 1, 0, 0;
// CHECK-NEXT:  wgmma.commit_group.sync.aligned;
// CHECK-COUNT-4: wgmma.mma_async.sync.aligned.m64n16k16.f16.f16.f16 {%hacc0, %hacc1, %hacc2, %hacc3}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 1, 1, 1, 0, 0;
// CHECK:       wgmma.wait_group.sync.aligned 0;

// Interior: unpack, convert, store the pair.
// CHECK:       mov.b32 {[[L0:%rs[0-9]+]], [[H0:%rs[0-9]+]]}, %hacc0;
// CHECK-NEXT:  cvt.f32.f16 [[FL0:%f[0-9]+]], [[L0]];
// CHECK-NEXT:  cvt.f32.f16 [[FH0:%f[0-9]+]], [[H0]];
// CHECK-NEXT:  st.global.v2.f32 [[[ROW0:%rd[0-9]+]]], {[[FL0]], [[FH0]]};
// CHECK-NEXT:  mov.b32 {[[L2:%rs[0-9]+]], [[H2:%rs[0-9]+]]}, %hacc2;
// CHECK-NEXT:  cvt.f32.f16 [[FL2:%f[0-9]+]], [[L2]];
// CHECK-NEXT:  cvt.f32.f16 [[FH2:%f[0-9]+]], [[H2]];
// CHECK-NEXT:  st.global.v2.f32 [[[ROW0]]+32], {[[FL2]], [[FH2]]};
// CHECK:       mov.b32 {{{.*}}}, %hacc1;
// CHECK:       st.global.v2.f32 [[[ROW1:%rd[0-9]+]]], {{{.*}}};
// CHECK:       mov.b32 {{{.*}}}, %hacc3;
// CHECK:       st.global.v2.f32 [[[ROW1]]+32], {{{.*}}};

// Edge: one unpack per pair, each half under its own predicate.
// CHECK:       mov.b32 {[[EL0:%rs[0-9]+]], [[EH0:%rs[0-9]+]]}, %hacc0;
// CHECK-NEXT:  cvt.f32.f16 [[EFL0:%f[0-9]+]], [[EL0]];
// CHECK-NEXT:  cvt.f32.f16 [[EFH0:%f[0-9]+]], [[EH0]];
// CHECK:       @%p{{[0-9]+}} st.global.f32 [[[EROW:%rd[0-9]+]]], [[EFL0]];
// CHECK:       @%p{{[0-9]+}} st.global.f32 [[[EROW]]+4], [[EFH0]];
// CHECK:       mov.b32 {{{.*}}}, %hacc2;
// CHECK:       mov.b32 {{{.*}}}, %hacc1;
// CHECK:       mov.b32 {{{.*}}}, %hacc3;
// CHECK:       @%p{{[0-9]+}} st.global.f32 [%rd{{[0-9]+}}+36], %f{{[0-9]+}};
// CHECK:       ret;
// CHECK:       }

// fp8 inputs, f16 accumulator, C +=: no transpose immediates; old C loaded, f32 add, store.
// CHECK:       .visible .entry acc16_c(
// CHECK:       .reg .f16x2 %hacc<4>;
// CHECK:       wgmma.mma_async.sync.aligned.m64n16k32.f16.e4m3.e4m3 {%hacc0, %hacc1, %hacc2, %hacc3}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 0, 1, 1;
// CHECK:       wgmma.wait_group.sync.aligned 0;
// CHECK:       mov.b32 {[[CL0:%rs[0-9]+]], [[CH0:%rs[0-9]+]]}, %hacc0;
// CHECK-NEXT:  cvt.f32.f16 [[CFL0:%f[0-9]+]], [[CL0]];
// CHECK-NEXT:  cvt.f32.f16 [[CFH0:%f[0-9]+]], [[CH0]];
// CHECK:       @[[P0:%p[0-9]+]] ld.global.f32 [[OLD0:%f[0-9]+]], [[[CROW:%rd[0-9]+]]];
// CHECK-NEXT:  add.f32 [[SUM0:%f[0-9]+]], [[OLD0]], [[CFL0]];
// CHECK-NEXT:  @[[P0]] st.global.f32 [[[CROW]]], [[SUM0]];
// CHECK:       @[[P1:%p[0-9]+]] ld.global.f32 [[OLD1:%f[0-9]+]], [[[CROW]]+4];
// CHECK-NEXT:  add.f32 [[SUM1:%f[0-9]+]], [[OLD1]], [[CFH0]];
// CHECK-NEXT:  @[[P1]] st.global.f32 [[[CROW]]+4], [[SUM1]];
// CHECK-NOT:   st.global.v2.f32
// CHECK:       mov.b32 {{{.*}}}, %hacc3;
