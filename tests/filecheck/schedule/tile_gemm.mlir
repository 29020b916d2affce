// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// schedule on a GEMM-shaped tile.kernel: the block shape comes from the tile types (BM x BN
// = 128x256 from the accumulator, BK = 64 from the A tile), the layouts from the tensors'
// contiguous dims (A along K: K-major; B contiguous = 0, along K: K-major), the element type
// from the loads, the rest from #tile.schedule.  The result is the warp-specialized kernel
// that the former tile.gemm op gave: a producer loading one A box per consumer and one B box, consumers
// with the K loop's block 0 peeled (scale-d = 0), the epilogue storing the accumulator.
// `stages` is absent: the most that fit in shared memory (4 x 48 KiB), written back.

builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 2, wait_depth = 0, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK-NOT:   tile.kernel
// CHECK:       "warpgroup.kernel"() <{sym_name = "gemm", dtype = "bf16", threads = 384 : i64, block_m = 128 : i64, block_n = 256 : i64, block_k = 64 : i64, wait_depth = 0 : i64, raster_group = 8 : i64}> ({
// CHECK-NEXT:  ^bb0(%[[A:[0-9]+]]: !tma.tensor_map, %[[B:[0-9]+]]: !tma.tensor_map, %[[C:[0-9]+]]: i64, %[[M:[0-9]+]]: i32, %[[N:[0-9]+]]: i32, %[[K:[0-9]+]]: i32):
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "a", stages = 4 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 256 : i64}> : () -> ()
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "b", stages = 4 : i64, slot_bytes = 32768 : i64, full_count = 1 : i64, empty_count = 256 : i64}> : () -> ()
// CHECK-NEXT:    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
// CHECK:           "tma.load"(%[[A]], %{{.*}}, %{{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}>
// CHECK-NEXT:      "tma.load"(%[[A]], %{{.*}}, %{{.*}}) <{operand = "A", row_offset = 64 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}>
// CHECK-NEXT:      "tma.load"(%[[B]], %{{.*}}, %{{.*}}) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 256 : i64, bytes = 32768 : i64, ring = "b"}>
// CHECK:         "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64, maxnreg = 232 : i64}> ({
// The peeled K block 0: k16 wgmmas, the first with scale-d = 0.
// CHECK:           "wgmma.mma_async"(%{{.*}}) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64
// CHECK:           "warpgroup.k_loop"(%[[K]], %{{.*}}) <{start = 1 : i64, block_k = 64 : i64, stages = 4 : i64}>
// CHECK:           "wgmma.store_accumulator"(%{{.*}}, %[[C]], %[[M]], %[[N]]) <{row_offset = 0 : i64, accumulate_c = 0 : i64}>
// The resolved schedule and the ABI: A's box is 64 K x 64 rows (one per consumer), B's 64 K x
// 256 columns; C's dims give M and N, A's K; one block per SM over C's 128x256 tiles.
// CHECK:       }) {abi = {kernel = "gemm", args = [{name = "a", kind = "tensor", element = "bf16", rank = 2 : i64, contiguous = 1 : i64, access = "read"}, {name = "b", kind = "tensor", element = "bf16", rank = 2 : i64, contiguous = 0 : i64, access = "read"}, {name = "c", kind = "tensor", element = "f32", rank = 2 : i64, contiguous = 1 : i64, access = "write"}], params = [{kind = "tensor_map", arg = 0 : i64, dtype = "bf16", box = [64 : i64, 64 : i64], swizzle = 128 : i64}, {kind = "tensor_map", arg = 1 : i64, dtype = "bf16", box = [64 : i64, 256 : i64], swizzle = 128 : i64}, {kind = "pointer", arg = 2 : i64}, {kind = "dim", arg = 2 : i64, dim = 0 : i64}, {kind = "dim", arg = 2 : i64, dim = 1 : i64}, {kind = "dim", arg = 0 : i64, dim = 1 : i64}], smem_bytes = 197760 : i64, threads = 384 : i64, cluster = [1 : i64, 1 : i64, 1 : i64], grid = {rule = "persistent", tensor = 2 : i64, block = [128 : i64, 256 : i64], cluster_tiles = [1 : i64, 1 : i64], split_k = 1 : i64, batch_dims = 0 : i64}, zero_before_launch = [], schedule = {kind = "cooperative", consumers = 2 : i64, stages = 4 : i64, wait_depth = 0 : i64, a_in_registers = 0 : i64, accumulator = "f32", rings = "per_operand"}}, schedule = #tile.schedule<consumers = 2, kind = "cooperative", stages = 4, wait_depth = 0, cluster = [1, 1], split_k = 1, a_in_registers = false, raster_group = 8, maxnreg = [232, 40], scale_d = "immediate", accumulate = "f32", rings = "per_operand", overlap = false>} : () -> ()
