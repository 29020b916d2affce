// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s --check-prefix=LOCS
//
// End to end, from a tile.kernel to PTX text in one run (1 consumer, 1 m64n16 tf32 tile,
// 2 stages, wait_depth 1).  Every op descends from the tile.kernel below and carries its
// location, except the TMA loads, the wgmmas and the epilogue, which carry their tile.load,
// tile.mma and tile.store lines.  Checks the overall shape of the kernel: ring
// init, producer (dec 40, spin on empty, expect 10240 bytes, 2 bulk copies), consumer
// (dec 232, spin on full, fence, 4 wgmma with scale-d 0,1,1,1, commit, wait 1), its K loop
// (fence, 4 wgmma with scale-d 1, commit, wait 1, arrive on empty), the final wait 0.

builtin.module {
// CHECK:       .file 1 "{{.*}}full-pipeline.mlir"
// CHECK:       .visible .entry small(
// CHECK:       .maxntid 256, 1, 1
// CHECK:       .reg .f32 %acc<8>;
// LOCS:        .loc 1 [[# @LINE + 6]] 3
// LOCS:        .loc 1 [[# @LINE + 14]] 7
// LOCS:        .loc 1 [[# @LINE + 14]] 7
// LOCS:        .loc 1 [[# @LINE + 14]] 7
// LOCS:        .loc 1 [[# @LINE + 16]] 5
// LOCS-NOT:    .loc 1 {{[0-9]+}} 9
  tile.kernel @small(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x16xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x16xf32>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// Ring "a", then ring "b": full[s] (1 arrival) and empty[s] (128), initialised by thread 0.
// CHECK:       mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}], 1;
// CHECK-NEXT:  mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+16], 128;
// CHECK-NEXT:  mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+8], 1;
// CHECK-NEXT:  mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+24], 128;
// CHECK:       mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}], 1;
// CHECK-NEXT:  mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+16], 128;
// CHECK-NEXT:  mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+8], 1;
// CHECK-NEXT:  mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+24], 128;
// CHECK-NEXT:  fence.mbarrier_init.release.cluster;
// CHECK:       bar.sync 0;

// Producer.
// CHECK:       setmaxnreg.dec.sync.aligned.u32 40;
// CHECK:       [[PLOOP:\$L__loop[0-9]+]]:
// CHECK:       [[PWAIT:\$L_wait_[0-9]+]]:
// CHECK-NEXT:  mbarrier.try_wait.parity.shared::cta.b64 [[PP:%p[0-9]+]], [%r{{[0-9]+}}], %r{{[0-9]+}};
// CHECK-NEXT:  @![[PP]] bra [[PWAIT]];
// CHECK:       mbarrier.arrive.expect_tx.shared::cta.b64 _, [%r{{[0-9]+}}], 8192;
// CHECK:       cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// CHECK:       mbarrier.arrive.expect_tx.shared::cta.b64 _, [%r{{[0-9]+}}], 2048;
// CHECK:       cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// CHECK:       bra [[PLOOP]];
// CHECK:       ret;

// Consumer, peeled K block 0.
// CHECK:       setmaxnreg.dec.sync.aligned.u32 232;
// CHECK:       [[CWAIT:\$L_wait_[0-9]+]]:
// CHECK-NEXT:  mbarrier.try_wait.parity.shared::cta.b64 [[CP:%p[0-9]+]], [%r{{[0-9]+}}], %r{{[0-9]+}};
// CHECK-NEXT:  @![[CP]] bra [[CWAIT]];
// CHECK-NEXT:  mad.lo.u32
// CHECK-NEXT:  [[CWAITB:\$L_wait_[0-9]+]]:
// CHECK-NEXT:  mbarrier.try_wait.parity.shared::cta.b64 [[CPB:%p[0-9]+]], [%r{{[0-9]+}}], %r{{[0-9]+}};
// CHECK-NEXT:  @![[CPB]] bra [[CWAITB]];
// CHECK-NEXT:  wgmma.fence.sync.aligned;
// CHECK:       wgmma.mma_async.sync.aligned.m64n16k8.f32.tf32.tf32 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 0, 1, 1;
// CHECK-COUNT-3: wgmma.mma_async.sync.aligned.m64n16k8.f32.tf32.tf32 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 1, 1, 1;
// CHECK-NEXT:  wgmma.commit_group.sync.aligned;
// CHECK-NEXT:  wgmma.wait_group.sync.aligned 1;

// Consumer K loop.
// CHECK:       [[CLOOP:\$L__loop[0-9]+]]:
// CHECK:       @%p{{[0-9]+}} bra [[CDONE:\$L__done[0-9]+]];
// CHECK:       wgmma.fence.sync.aligned;
// CHECK-COUNT-4: wgmma.mma_async.sync.aligned.m64n16k8.f32.tf32.tf32 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 1, 1, 1;
// CHECK-NEXT:  wgmma.commit_group.sync.aligned;
// CHECK-NEXT:  wgmma.wait_group.sync.aligned 1;
// CHECK:       mbarrier.arrive.shared::cta.b64 _, [%r{{[0-9]+}}+16];
// CHECK:       bra [[CLOOP]];
// CHECK-NEXT:  [[CDONE]]:
// CHECK-NEXT:  wgmma.wait_group.sync.aligned 0;
// CHECK-NOT:   wgmma.mma_async
// CHECK:       @%p{{[0-9]+}} st.global.f32 [%rd{{[0-9]+}}], %acc0;
// CHECK:       ret;
