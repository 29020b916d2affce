// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// Epilogues become wgmma fragment ops before each m64 tile's store_accumulator: splats of
// the kernel's f32 scalars (new f32 params after A, B, C, M, N, K), the C tile read at the
// tile's origin (frag_load_tile with C's pointer and sizes), a bias vector broadcast along
// the columns (frag_load_vector with its own pointer and length), elementwise ops; a cone
// of ops equal to SiLU (x / (1 + 2^(-x log2 e))) is one frag_unary "silu"; the final cast
// to bf16 is store_accumulator's c_dtype.

builtin.module {
  tile.kernel @alpha_beta(%a: !tile.tensor<?x?xf16>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>, %alpha: f32, %beta: f32) grid(%c tiles 128x128) schedule #tile.schedule<consumers = 1, stages = 3> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x128xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x128xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf16> -> !tile.tile<128x64xf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf16, contiguous = 0> -> !tile.tile<64x128xf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xf16>, !tile.tile<64x128xf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      scf.yield %r : !tile.tile<128x128xf32>
    }
    %sa = tile.splat %alpha : f32 -> !tile.tile<128x128xf32>
    %ab = tile.mul %sa, %acc : !tile.tile<128x128xf32>
    %cold = tile.load %c[%i, %j] : !tile.tensor<?x?xf32> -> !tile.tile<128x128xf32>
    %sb = tile.splat %beta : f32 -> !tile.tile<128x128xf32>
    %bc = tile.mul %sb, %cold : !tile.tile<128x128xf32>
    %out = tile.add %ab, %bc : !tile.tile<128x128xf32>
    tile.store %out, %c[%i, %j] : !tile.tile<128x128xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
  tile.kernel @bias_silu(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %bias: !tile.tensor<?xf32>, %d: !tile.tensor<?x?xbf16>) grid(%d tiles 128x128) schedule #tile.schedule<consumers = 1, stages = 3> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x128xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x128xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x128xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x128xbf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      scf.yield %r : !tile.tile<128x128xf32>
    }
    %bv = tile.load %bias[%j] : !tile.tensor<?xf32> -> !tile.tile<128xf32>
    %bb = tile.broadcast %bv {dims = [1]} : !tile.tile<128xf32> -> !tile.tile<128x128xf32>
    %v = tile.add %acc, %bb : !tile.tile<128x128xf32>
    %l2e = tile.constant -1.442695 : !tile.tile<128x128xf32>
    %t = tile.mul %v, %l2e : !tile.tile<128x128xf32>
    %e = tile.exp2 %t : !tile.tile<128x128xf32>
    %one = tile.constant 1.0 : !tile.tile<128x128xf32>
    %den = tile.add %one, %e : !tile.tile<128x128xf32>
    %s = tile.div %v, %den : !tile.tile<128x128xf32>
    %o = tile.cast %s : !tile.tile<128x128xf32> -> !tile.tile<128x128xbf16>
    tile.store %o, %d[%i, %j] : !tile.tile<128x128xbf16>, !tile.tensor<?x?xbf16>
    tile.return
  }
}

// CHECK:       "warpgroup.kernel"() <{sym_name = "alpha_beta"
// CHECK-NEXT:  ^bb0(%{{.*}}: !tma.tensor_map, %{{.*}}: !tma.tensor_map, %[[C:[0-9]+]]: i64, %[[M:[0-9]+]]: i32, %[[N:[0-9]+]]: i32, %{{.*}}: i32, %[[ALPHA:[0-9]+]]: f32, %[[BETA:[0-9]+]]: f32):
// CHECK:         %[[RES:[0-9]+]], %[[RES1:[0-9]+]] = "warpgroup.k_loop"
// Two m64 tiles per consumer: the epilogue once per tile, before its store.
// CHECK:         %[[SA:[0-9]+]] = wgmma.frag_splat %[[ALPHA]] : f32 -> !wgmma.accumulator<m64n128, f32>
// CHECK-NEXT:    %[[AB:[0-9]+]] = wgmma.frag_binary "mul" %[[SA]], %[[RES]] :
// CHECK-NEXT:    %[[R0:[0-9]+]], %[[C0:[0-9]+]] = wgmma.tile_origin {row_offset = 0 : i64} : i32, i32
// CHECK-NEXT:    %[[OLD:[0-9]+]] = wgmma.frag_load_tile %[[C]][%[[R0]], %[[C0]]], %[[N]], %[[M]], %[[N]] {dtype = "f32"}
// CHECK-NEXT:    %[[SB:[0-9]+]] = wgmma.frag_splat %[[BETA]]
// CHECK-NEXT:    %[[BC:[0-9]+]] = wgmma.frag_binary "mul" %[[SB]], %[[OLD]]
// CHECK-NEXT:    %[[OUT:[0-9]+]] = wgmma.frag_binary "add" %[[AB]], %[[BC]]
// CHECK-NEXT:    "wgmma.store_accumulator"(%[[OUT]], %[[C]], %[[M]], %[[N]]) <{row_offset = 0 : i64, accumulate_c = 0 : i64}>
// CHECK:         wgmma.tile_origin {row_offset = 64 : i64}
// CHECK:         "wgmma.store_accumulator"(%{{.*}}, %[[C]], %[[M]], %[[N]]) <{row_offset = 64 : i64, accumulate_c = 0 : i64}>
// C is read and written; alpha and beta are f32 params 6 and 7.
// CHECK:       {name = "c", kind = "tensor", element = "f32", rank = 2 : i64, contiguous = 1 : i64, access = "readwrite"}, {name = "alpha", kind = "scalar", type = "f32"}, {name = "beta", kind = "scalar", type = "f32"}]
// CHECK-SAME:  {kind = "scalar", arg = 3 : i64, type = "f32"}, {kind = "scalar", arg = 4 : i64, type = "f32"}]

// CHECK:       "warpgroup.kernel"() <{sym_name = "bias_silu"
// CHECK-NEXT:  ^bb0(%{{.*}}: !tma.tensor_map, %{{.*}}: !tma.tensor_map, %[[D:[0-9]+]]: i64, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32, %[[BIAS:[0-9]+]]: i64, %[[NB:[0-9]+]]: i32):
// CHECK:         %[[R1:[0-9]+]], %{{[0-9]+}} = "warpgroup.k_loop"
// CHECK:         %{{.*}}, %[[COL:[0-9]+]] = wgmma.tile_origin {row_offset = 0 : i64}
// CHECK-NEXT:    %[[BV:[0-9]+]] = wgmma.frag_load_vector %[[BIAS]][%[[COL]]], %[[NB]] {along = "col", dtype = "f32"}
// CHECK-NEXT:    %[[V:[0-9]+]] = wgmma.frag_binary "add" %[[R1]], %[[BV]]
// CHECK-NEXT:    %[[S:[0-9]+]] = wgmma.frag_unary "silu" %[[V]]
// CHECK-NEXT:    "wgmma.store_accumulator"(%[[S]], %[[D]], {{.*}}) <{row_offset = 0 : i64, accumulate_c = 0 : i64, c_dtype = "bf16"}>
// CHECK:       {kind = "pointer", arg = 3 : i64}, {kind = "dim", arg = 3 : i64, dim = 0 : i64}, {kind = "dim", arg = 3 : i64, dim = 1 : i64}, {kind = "dim", arg = 0 : i64, dim = 1 : i64}, {kind = "pointer", arg = 2 : i64}, {kind = "dim", arg = 2 : i64, dim = 0 : i64}]
