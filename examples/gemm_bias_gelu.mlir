// D = gelu(A @ B + bias) as bf16: bf16 A (M x K), B (K x N, K contiguous), f32 bias (N).
// GELU in its tanh form: 0.5 * x * (1 + tanh(0.79788456 * (x + 0.044715 * x^3))).
builtin.module {
  tile.kernel @gemm_bias_gelu(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %bias: !tile.tensor<?xf32>, %d: !tile.tensor<?x?xbf16>) grid(%d tiles 128x256) schedule #tile.schedule<consumers = 2, wait_depth = 0> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    %bv = tile.load %bias[%j] : !tile.tensor<?xf32> -> !tile.tile<256xf32>
    %bb = tile.broadcast %bv {dims = [1]} : !tile.tile<256xf32> -> !tile.tile<128x256xf32>
    %v = tile.add %acc, %bb : !tile.tile<128x256xf32>
    %v2 = tile.mul %v, %v : !tile.tile<128x256xf32>
    %v3 = tile.mul %v2, %v : !tile.tile<128x256xf32>
    %c3 = tile.constant 0.044715 : !tile.tile<128x256xf32>
    %t0 = tile.mul %c3, %v3 : !tile.tile<128x256xf32>
    %t1 = tile.add %v, %t0 : !tile.tile<128x256xf32>
    %cs = tile.constant 0.79788456 : !tile.tile<128x256xf32>
    %t2 = tile.mul %cs, %t1 : !tile.tile<128x256xf32>
    %half = tile.constant 0.5 : !tile.tile<128x256xf32>
    %t4 = tile.mul %half, %v : !tile.tile<128x256xf32>
    %th = tile.tanh %t2 : !tile.tile<128x256xf32>
    %one = tile.constant 1.0 : !tile.tile<128x256xf32>
    %t3 = tile.add %one, %th : !tile.tile<128x256xf32>
    %g = tile.mul %t4, %t3 : !tile.tile<128x256xf32>
    %out = tile.cast %g : !tile.tile<128x256xf32> -> !tile.tile<128x256xbf16>
    tile.store %out, %d[%i, %j] : !tile.tile<128x256xbf16>, !tile.tensor<?x?xbf16>
    tile.return
  }
}
