// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// A batched tile program (rank-3 tensors, the batch index from tile.program_id): the kernel
// is `batched`, its 7th argument the batch count (C's dim 0), its tile loops walk batch x
// tiles; A's and B's tensor maps stay 2-D over the batch's matrices stacked (`flatten`), and
// C += alpha/beta reads C's tile of the current GEMM.  tf32: f32 tiles, precision = "tf32".

builtin.module {
  tile.kernel @batched_gemm(%a: !tile.tensor<?x?x?xf32>, %b: !tile.tensor<?x?x?xf32, contiguous = 1>, %c: !tile.tensor<?x?x?xf32>, %alpha: f32, %beta: f32) grid(%c tiles 128x128) schedule #tile.schedule<consumers = 2, wait_depth = 1> {
    %bt, %i, %j = tile.program_id : index, index, index
    %k = tile.dim %a, 2 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<128x128xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x128xf32>) {
      %x = tile.load %a[%bt, %i, %kk] : !tile.tensor<?x?x?xf32> -> !tile.tile<128x32xf32>
      %y = tile.load %b[%bt, %kk, %j] : !tile.tensor<?x?x?xf32, contiguous = 1> -> !tile.tile<32x128xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<128x32xf32>, !tile.tile<32x128xf32>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      scf.yield %r : !tile.tile<128x128xf32>
    }
    %sa = tile.splat %alpha : f32 -> !tile.tile<128x128xf32>
    %ab = tile.mul %sa, %acc : !tile.tile<128x128xf32>
    %cold = tile.load %c[%bt, %i, %j] : !tile.tensor<?x?x?xf32> -> !tile.tile<128x128xf32>
    %sb = tile.splat %beta : f32 -> !tile.tile<128x128xf32>
    %bc = tile.mul %sb, %cold : !tile.tile<128x128xf32>
    %out = tile.add %ab, %bc : !tile.tile<128x128xf32>
    tile.store %out, %c[%bt, %i, %j] : !tile.tile<128x128xf32>, !tile.tensor<?x?x?xf32>
    tile.return
  }
}

// Stages absent: 7 slots of 32 KiB fit (227 KiB).
// CHECK:       "warpgroup.kernel"() <{sym_name = "batched_gemm", dtype = "tf32", threads = 384 : i64, block_m = 128 : i64, block_n = 128 : i64, block_k = 32 : i64, wait_depth = 1 : i64, raster_group = 8 : i64, batched = 1 : i64}>
// CHECK-NEXT:  ^bb0(%{{.*}}: !tma.tensor_map, %{{.*}}: !tma.tensor_map, %[[C:[0-9]+]]: i64, %[[M:[0-9]+]]: i32, %[[N:[0-9]+]]: i32, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         wgmma.frag_load_tile %[[C]][%{{.*}}, %{{.*}}], %[[N]], %[[M]], %[[N]] {dtype = "f32"}
// CHECK:       params = [{kind = "tensor_map", arg = 0 : i64, dtype = "tf32", box = [32 : i64, 64 : i64], swizzle = 128 : i64, flatten = 1 : i64}, {kind = "tensor_map", arg = 1 : i64, dtype = "tf32", box = [32 : i64, 128 : i64], swizzle = 128 : i64, flatten = 1 : i64}, {kind = "pointer", arg = 2 : i64}, {kind = "dim", arg = 2 : i64, dim = 1 : i64}, {kind = "dim", arg = 2 : i64, dim = 2 : i64}, {kind = "dim", arg = 0 : i64, dim = 2 : i64}, {kind = "dim", arg = 2 : i64, dim = 0 : i64}, {kind = "scalar", arg = 3 : i64, type = "f32"}, {kind = "scalar", arg = 4 : i64, type = "f32"}]
// CHECK-SAME:  batch_dims = 1 : i64
