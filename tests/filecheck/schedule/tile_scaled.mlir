// RUN: exo-gpu-opt %s -p schedule | filecheck %s
// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s --check-prefix=PTX
//
// torch._scaled_mm's per-tensor scales (exo_gpu.gemm(scaled=True)): two one-element f32
// tensors read with tile.load_scalar become two i64 parameters after A, B, C, M, N, K (their
// pointers: the scales stay in device memory), a wgmma.load_scalar of each before the tile's
// store, splatted; their product is the same in every element, so lower-fragments computes it
// once (one mul.f32 of the two loaded registers), then one mul.f32 per accumulator register,
// in place, before the rounding store to bf16.

builtin.module {
    tile.kernel @scaled(%a: !tile.tensor<?x?xf8E4M3FN>, %b: !tile.tensor<?x?xf8E4M3FN, contiguous = 0>, %c: !tile.tensor<?x?xbf16>, %scale_a: !tile.tensor<?xf32>, %scale_b: !tile.tensor<?xf32>) grid(%c tiles 64x64) schedule #tile.schedule<consumers = 1, stages = 2, wait_depth = 0> {
      %i, %j = tile.program_id : index, index
      %k = tile.dim %a, 1 : index
      %c128 = arith.constant 128 : index
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %nk = arith.ceildivui %k, %c128 : index
      %zero = tile.constant 0.0 : !tile.tile<64x64xf32>
      %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x64xf32>) {
        %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf8E4M3FN> -> !tile.tile<64x128xf8E4M3FN>
        %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf8E4M3FN, contiguous = 0> -> !tile.tile<128x64xf8E4M3FN>
        %r = tile.mma %x, %y, %acc0 : !tile.tile<64x128xf8E4M3FN>, !tile.tile<128x64xf8E4M3FN>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
        scf.yield %r : !tile.tile<64x64xf32>
      }
      %sa = tile.load_scalar %scale_a[%c0] : !tile.tensor<?xf32> -> f32
      %sb = tile.load_scalar %scale_b[%c0] : !tile.tensor<?xf32> -> f32
      %0 = tile.splat %sa : f32 -> !tile.tile<64x64xf32>
      %1 = tile.splat %sb : f32 -> !tile.tile<64x64xf32>
      %scale = tile.mul %0, %1 : !tile.tile<64x64xf32>
      %v = tile.mul %scale, %acc : !tile.tile<64x64xf32>
      %2 = tile.cast %v : !tile.tile<64x64xf32> -> !tile.tile<64x64xbf16>
      tile.store %2, %c[%i, %j] : !tile.tile<64x64xbf16>, !tile.tensor<?x?xbf16>
      tile.return
    }
}

// CHECK:      ^bb0(%0: !tma.tensor_map, %1: !tma.tensor_map, %2: i64, %3: i32, %4: i32, %5: i32, %6: i64, %7: i64):
// CHECK:      %[[SA:.*]] = wgmma.load_scalar %6 {offset = 0 : i64} : f32
// CHECK-NEXT: %[[SB:.*]] = wgmma.load_scalar %7 {offset = 0 : i64} : f32
// CHECK-NEXT: %[[TA:.*]] = wgmma.frag_splat %[[SA]] : f32 -> !wgmma.accumulator<m64n64, f32>
// CHECK-NEXT: %[[TB:.*]] = wgmma.frag_splat %[[SB]] : f32 -> !wgmma.accumulator<m64n64, f32>
// CHECK-NEXT: %[[S:.*]] = wgmma.frag_binary "mul" %[[TA]], %[[TB]]
// CHECK-NEXT: %[[V:.*]] = wgmma.frag_binary "mul" %[[S]], %{{.*}}
// CHECK-NEXT: "wgmma.store_accumulator"(%[[V]], %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64, c_dtype = "bf16"}>
// CHECK:      abi = {{.*}}, {kind = "pointer", arg = 3 : i64}, {kind = "pointer", arg = 4 : i64}], smem_bytes

// PTX:      .param .u64 scaled_param_6,
// PTX-NEXT: .param .u64 scaled_param_7
// PTX-NOT:  .param .f32
// PTX:      ld.param.u64 %[[P6:rd[0-9]+]], [scaled_param_6];
// PTX-NEXT: cvta.to.global.u64 %[[G6:rd[0-9]+]], %[[P6]];
// PTX-NEXT: ld.param.u64 %[[P7:rd[0-9]+]], [scaled_param_7];
// PTX-NEXT: cvta.to.global.u64 %[[G7:rd[0-9]+]], %[[P7]];
// PTX:      wgmma.wait_group.sync.aligned 0;
// PTX:      ld.global.f32 %[[A:f[0-9]+]], [%[[G6]]];
// PTX:      ld.global.f32 %[[B:f[0-9]+]], [%[[G7]]];
// PTX:      mul.f32 %[[S:f[0-9]+]], %[[A]], %[[B]];
// PTX-NEXT: mul.f32 %acc0, %[[S]], %acc0;
// PTX-NEXT: mul.f32 %acc1, %[[S]], %acc1;
// PTX:      mul.f32 %acc31, %[[S]], %acc31;
// PTX-NOT:  mul.f32 %f
// PTX:      cvt.rn.bf16x2.f32
