// O = softmax(Q K^T scale) V per (batch, head) and L = the rows' log-sum-exp (natural log), as a tile
// program: bf16 Q, V, O (B x H x S x D); K passed as K^T, a (B x H x D x S) view with D contiguous
// (the memory of a row-major B x H x S x D K); L f32 (B x H x S); scale_log2 = scale * log2(e).
// One program instance per 128 queries of one head; keys walked 128 at a time, online softmax;
// the schedule: ping-pong consumer warpgroups, each block's softmax under the previous P V.
// Built from examples/attention.py (prints this).
builtin.module {
  tile.kernel @attention(%q: !tile.tensor<?x?x?x?xbf16>, %kt: !tile.tensor<?x?x?x?xbf16, contiguous = 2>, %v: !tile.tensor<?x?x?x?xbf16>, %o: !tile.tensor<?x?x?x?xbf16>, %lse: !tile.tensor<?x?x?xf32>, %scale_log2: f32) grid(%o tiles 128x128) schedule #tile.schedule<kind = "pingpong", stages = 2, overlap = true> {
    %b, %h, %i, %j = tile.program_id : index, index, index, index
    %keys = tile.dim %kt, 3 : index
    %x = tile.load %q[%b, %h, %i, %j] : !tile.tensor<?x?x?x?xbf16> -> !tile.tile<128x128xbf16>
    %0 = tile.constant 0.0 : !tile.tile<128x128xf32>
    %1 = tile.constant -1.0e+30 : !tile.tile<128xf32>
    %2 = tile.constant 0.0 : !tile.tile<128xf32>
    %3 = arith.constant 128 : index
    %4 = arith.ceildivui %keys, %3 : index
    %5 = arith.constant 0 : index
    %6 = arith.constant 1 : index
    %acc, %m, %l = scf.for %kk = %5 to %4 step %6 iter_args(%acc_1 = %0, %m_1 = %1, %l_1 = %2) -> (!tile.tile<128x128xf32>, !tile.tile<128xf32>, !tile.tile<128xf32>) {
      %7 = tile.load %kt[%b, %h, %5, %kk] : !tile.tensor<?x?x?x?xbf16, contiguous = 2> -> !tile.tile<128x128xbf16>
      %8 = tile.constant 0.0 : !tile.tile<128x128xf32>
      %9 = tile.mma %x, %7, %8 : !tile.tile<128x128xbf16>, !tile.tile<128x128xbf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      %10 = tile.splat %scale_log2 : f32 -> !tile.tile<128x128xf32>
      %11 = tile.mul %9, %10 : !tile.tile<128x128xf32>
      %12 = tile.iota {dim = 1} : !tile.tile<128x128xi32>
      %13 = arith.muli %kk, %3 : index
      %14 = tile.splat %13 : index -> !tile.tile<128x128xi32>
      %key = tile.add %12, %14 : !tile.tile<128x128xi32>
      %15 = tile.splat %keys : index -> !tile.tile<128x128xi32>
      %16 = tile.cmp "lt", %key, %15 : !tile.tile<128x128xi32>
      %17 = tile.constant -1.0e+30 : !tile.tile<128x128xf32>
      %s = tile.select %16, %11, %17 : !tile.tile<128x128xf32>
      %18 = tile.reduce "max" %s {dim = 1} : !tile.tile<128x128xf32> -> !tile.tile<128xf32>
      %m_2 = tile.max %m_1, %18 : !tile.tile<128xf32>
      %19 = tile.broadcast %m_2 {dims = [0]} : !tile.tile<128xf32> -> !tile.tile<128x128xf32>
      %20 = tile.sub %s, %19 : !tile.tile<128x128xf32>
      %p = tile.exp2 %20 : !tile.tile<128x128xf32>
      %21 = tile.sub %m_1, %m_2 : !tile.tile<128xf32>
      %alpha = tile.exp2 %21 : !tile.tile<128xf32>
      %22 = tile.mul %l_1, %alpha : !tile.tile<128xf32>
      %23 = tile.reduce "sum" %p {dim = 1} : !tile.tile<128x128xf32> -> !tile.tile<128xf32>
      %l_2 = tile.add %22, %23 : !tile.tile<128xf32>
      %24 = tile.cast %p : !tile.tile<128x128xf32> -> !tile.tile<128x128xbf16>
      %25 = tile.load %v[%b, %h, %kk, %j] : !tile.tensor<?x?x?x?xbf16> -> !tile.tile<128x128xbf16>
      %26 = tile.broadcast %alpha {dims = [0]} : !tile.tile<128xf32> -> !tile.tile<128x128xf32>
      %27 = tile.mul %acc_1, %26 : !tile.tile<128x128xf32>
      %acc_2 = tile.mma %24, %25, %27 : !tile.tile<128x128xbf16>, !tile.tile<128x128xbf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      scf.yield %acc_2, %m_2, %l_2 : !tile.tile<128x128xf32>, !tile.tile<128xf32>, !tile.tile<128xf32>
    }
    %28 = tile.broadcast %l {dims = [0]} : !tile.tile<128xf32> -> !tile.tile<128x128xf32>
    %29 = tile.div %acc, %28 : !tile.tile<128x128xf32>
    %30 = tile.cast %29 : !tile.tile<128x128xf32> -> !tile.tile<128x128xbf16>
    tile.store %30, %o[%b, %h, %i, %j] : !tile.tile<128x128xbf16>, !tile.tensor<?x?x?x?xbf16>
    %31 = tile.log2 %l : !tile.tile<128xf32>
    %32 = tile.add %m, %31 : !tile.tile<128xf32>
    %33 = tile.constant 0.6931471805599453 : !tile.tile<128xf32>
    %34 = tile.mul %32, %33 : !tile.tile<128xf32>
    tile.store %34, %lse[%b, %h, %i] : !tile.tile<128xf32>, !tile.tensor<?x?x?xf32>
    tile.return
  }
}
