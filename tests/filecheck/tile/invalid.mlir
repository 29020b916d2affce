// RUN: exo-gpu-opt %s --split-input-file --verify-diagnostics | filecheck %s
//
// Each chunk breaks one rule of the tile dialect; the error names the fix.

// mma K mismatch
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.mma: x is 128x64 and y is 32x128: x's columns (K = 64) must equal y's rows (K = 32) in MxK @ KxN
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x64xbf16>
  %y = tile.constant 0.0 : !tile.tile<32x128xbf16>
  %z = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.mma %x, %y, %z : !tile.tile<128x64xbf16>, !tile.tile<32x128xbf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// mma accumulator shape
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.mma: 128x64 @ 64x128 gives 128x128 but the accumulator is 128x256: use a !tile.tile<128x128xf32> accumulator
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x64xbf16>
  %y = tile.constant 0.0 : !tile.tile<64x128xbf16>
  %z = tile.constant 0.0 : !tile.tile<128x256xf32>
  %r = tile.mma %x, %y, %z : !tile.tile<128x64xbf16>, !tile.tile<64x128xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
  tile.return
}
}
// -----
// f32 inputs need precision tf32
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.mma of f32 tiles multiplies them as tf32: say so with {{[{]}}precision = "tf32"{{[}]}}
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x32xf32>
  %y = tile.constant 0.0 : !tile.tile<32x128xf32>
  %z = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.mma %x, %y, %z : !tile.tile<128x32xf32>, !tile.tile<32x128xf32>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// precision only for f32 inputs
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.mma precision = "tf32" is only for f32 inputs (as tf32); bf16 inputs take no precision: remove it
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x64xbf16>
  %y = tile.constant 0.0 : !tile.tile<64x128xbf16>
  %z = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.mma %x, %y, %z {precision = "tf32"} : !tile.tile<128x64xbf16>, !tile.tile<64x128xbf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// bf16 has no f16 accumulator
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.mma: bf16 wgmma has no f16 accumulator: use accumulator f32, or dtype f16, e4m3 or e5m2 for f16 accumulation
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x64xbf16>
  %y = tile.constant 0.0 : !tile.tile<64x128xbf16>
  %z = tile.constant 0.0 : !tile.tile<128x128xf16>
  %r = tile.mma %x, %y, %z : !tile.tile<128x64xbf16>, !tile.tile<64x128xbf16>, !tile.tile<128x128xf16> -> !tile.tile<128x128xf16>
  tile.return
}
}
// -----
// mixed inputs
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.mma inputs must both be bf16, f16 or f32 (tf32), or both fp8, got bf16 and f16: convert them with tile.cast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x64xbf16>
  %y = tile.constant 0.0 : !tile.tile<64x128xf16>
  %z = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.mma %x, %y, %z : !tile.tile<128x64xbf16>, !tile.tile<64x128xf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// elementwise shapes differ
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.add: operand shape 128xf32 differs from 128x128xf32: make the shapes equal with tile.broadcast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xf32>
  %y = tile.constant 0.0 : !tile.tile<128xf32>
  %r = tile.add %x, %y : !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// elementwise element types differ
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.mul: operand element type bf16 differs from f32: convert it with tile.cast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xf32>
  %y = tile.constant 0.0 : !tile.tile<128x128xbf16>
  %r = tile.mul %x, %y : !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// exp2 of an integer tile
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.exp2 takes float tiles, got 128x128xi32: convert with tile.cast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.iota {dim = 0} : !tile.tile<128x128xi32>
  %r = tile.exp2 %x : !tile.tile<128x128xi32>
  tile.return
}
}
// -----
// store element type != tensor element type
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.store of bf16 elements into !tile.tensor<?x?xf32>: cast it first with tile.cast to !tile.tile<128x128xf32>
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xbf16>
  tile.store %x, %c[%i, %j] : !tile.tile<128x128xbf16>, !tile.tensor<?x?xf32>
  tile.return
}
}
// -----
// load index count != tensor rank
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.load: !tile.tensor<?x?xbf16> has rank 2 but 1 indices were given: give one index per dimension (leading ones are element indices, the last 1 tile coordinates)
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.load %a[%i] : !tile.tensor<?x?xbf16> -> !tile.tile<128xbf16>
  tile.return
}
}
// -----
// load into another element type
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.load from !tile.tensor<?x?xbf16> gives bf16 elements, not f32: load a !tile.tile<128x64xbf16> and convert it with tile.cast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.load %a[%i, %j] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xf32>
  tile.return
}
}
// -----
// tile of rank 3
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir:154:39: !tile.tile rank must be at most 2, got shape 2x128x128: split the work over more program instances
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<2x128x128xf32>
  tile.return
}
}
// -----
// broadcast dims out of range
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.broadcast 128xf32 -> 128x128xf32: dims = [2] must give each of the 1 input dims an output dim, increasing, in 0..1
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128xf32>
  %r = tile.broadcast %x {dims = [2]} : !tile.tile<128xf32> -> !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// broadcast size mismatch
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.broadcast: input dim 0 (size 64) maps to output dim 1 (size 128): the sizes must be equal
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<64xf32>
  %r = tile.broadcast %x {dims = [1]} : !tile.tile<64xf32> -> !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// reduce dim out of range
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.reduce dim = 2 is not a dimension of 128x128xf32: use 0 to 1
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.reduce "sum" %x {dim = 2} : !tile.tile<128x128xf32> -> !tile.tile<128xf32>
  tile.return
}
}
// -----
// reduce kind
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.reduce kind "min" is not one of max, sum
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.reduce "min" %x {dim = 1} : !tile.tile<128x128xf32> -> !tile.tile<128xf32>
  tile.return
}
}
// -----
// cast changing the shape
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.cast changes the element type only: 128x128xf32 -> 128xbf16 changes the shape (use tile.broadcast or tile.reduce)
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.cast %x : !tile.tile<128x128xf32> -> !tile.tile<128xbf16>
  tile.return
}
}
// -----
// unknown predicate
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.cmp predicate "less" is not one of lt, le, gt, ge, eq, ne
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xf32>
  %m = tile.cmp "less", %x, %x : !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// select mask not i1
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.select: mask element type f32 differs from i1: convert it with tile.cast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %x = tile.constant 0.0 : !tile.tile<128x128xf32>
  %r = tile.select %x, %x, %x : !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// splat f32 into a bf16 tile
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.splat of a f32 scalar makes a !tile.tile<128x128xf32>, not 128x128xbf16: splat to f32, then tile.cast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %r = tile.splat %s : f32 -> !tile.tile<128x128xbf16>
  tile.return
}
}
// -----
// iota of floats
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.iota makes i32 tiles, got 128x128xf32: convert with tile.cast
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %r = tile.iota {dim = 0} : !tile.tile<128x128xf32>
  tile.return
}
}
// -----
// tile.dim out of range
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.dim 2 is not a dimension of !tile.tensor<?x?xbf16>: use 0 to 1
builtin.module {
tile.kernel @k(%a: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>, %s: f32) grid(%c tiles 128x128) {
  %i, %j = tile.program_id : index, index
  %n = tile.dim %a, 2 : index
  tile.return
}
}
// -----
// program_id count != grid rank
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.program_id gives 2 coordinates but the grid tensor has rank 3: write 3 results (batch dims first, then tile row, column)
builtin.module {
tile.kernel @k(%c: !tile.tensor<?x?x?xf32>) grid(%c tiles 64x64) {
  %i, %j = tile.program_id : index, index
  tile.return
}
}
// -----
// no tile.return
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: Operation tile.program_id terminates block in single-block region but is not a terminator
builtin.module {
tile.kernel @k(%c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) {
  %i, %j = tile.program_id : index, index
}
}
// -----
// schedule field out of range
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir:286:87: schedule consumers must be 1 or 2, got 3
builtin.module {
tile.kernel @k(%c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) schedule #tile.schedule<consumers = 3> {
  tile.return
}
}
// -----
// schedule field unknown
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir:294:88: unknown schedule field 'block_m': the fields are consumers, kind, stages, wait_depth, cluster, split_k, a_in_registers, raster_group, maxnreg, scale_d, accumulate
builtin.module {
tile.kernel @k(%c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) schedule #tile.schedule<block_m = 128> {
  tile.return
}
}
// -----
// grid over a non-argument
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir:302:48: grid tensor %d is not an argument of @k: name one of %c
builtin.module {
tile.kernel @k(%c: !tile.tensor<?x?xf32>) grid(%d tiles 64x64) {
  tile.return
}
}
// -----
// static tensor sizes
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir:310:33: tensor sizes are run-time values: write each dimension as '?', e.g. !tile.tensor<?x?xbf16>
builtin.module {
tile.kernel @k(%c: !tile.tensor<128x?xf32>) grid(%c tiles 64x64) {
  tile.return
}
}
// -----
// kernel argument of another type
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: tile.kernel @k: argument 1 has type !tile.tile<4xf32>: kernel arguments are !tile.tensor<...> or scalars (index, i32, f32)
builtin.module {
tile.kernel @k(%c: !tile.tensor<?x?xf32>, %t: !tile.tile<4xf32>) grid(%c tiles 64x64) {
  tile.return
}
}
