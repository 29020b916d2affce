// RUN: exo-gpu-opt %s | exo-gpu-opt - | filecheck %s
//
// Every tile op and the schedule attribute print in their custom formats and parse back
// (printed, parsed, printed again: the checks see the second print).

builtin.module {
  tile.kernel @every_op(%a: !tile.tensor<?x?x?xbf16>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %v: !tile.tensor<?xf32>, %q: !tile.tensor<?x?xf8E4M3FN>, %alpha: f32, %n: index, %s: i32) grid(%a tiles 64x128) schedule #tile.schedule<consumers = 1, kind = "cooperative", stages = 3, wait_depth = 0, cluster = [2, 1], split_k = 4, a_in_registers = true, raster_group = 16, maxnreg = [240, 24], scale_d = "runtime", accumulate = "f16"> {
    %bt, %i, %j = tile.program_id : index, index, index
    %d0 = tile.dim %a, 0 : index
    %x = tile.load %a[%bt, %i, %j] : !tile.tensor<?x?x?xbf16> -> !tile.tile<64x128xbf16>
    %y = tile.load %a[%bt, %j, %i] : !tile.tensor<?x?x?xbf16> -> !tile.tile<128x64xbf16>
    %acc = tile.constant 0.0 : !tile.tile<64x64xf32>
    %m = tile.mma %x, %y, %acc : !tile.tile<64x128xbf16>, !tile.tile<128x64xbf16>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
    %f = tile.cast %x : !tile.tile<64x128xbf16> -> !tile.tile<64x128xf32>
    %ft = tile.cast %y : !tile.tile<128x64xbf16> -> !tile.tile<128x64xf32>
    %m32 = tile.mma %f, %ft, %m {precision = "tf32"} : !tile.tile<64x128xf32>, !tile.tile<128x64xf32>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
    %q8 = tile.load %q[%i, %j] : !tile.tensor<?x?xf8E4M3FN> -> !tile.tile<64x128xf8E4M3FN>
    %h16 = tile.constant 0.0 : !tile.tile<64x64xf16>
    %hq = tile.cast %y : !tile.tile<128x64xbf16> -> !tile.tile<128x64xf8E4M3FN>
    %mh = tile.mma %q8, %hq, %h16 : !tile.tile<64x128xf8E4M3FN>, !tile.tile<128x64xf8E4M3FN>, !tile.tile<64x64xf16> -> !tile.tile<64x64xf16>
    %sa = tile.splat %alpha : f32 -> !tile.tile<64x64xf32>
    %sn = tile.splat %n : index -> !tile.tile<64x64xi32>
    %si = tile.splat %s : i32 -> !tile.tile<64x64xi32>
    %e1 = tile.add %m32, %sa : !tile.tile<64x64xf32>
    %e2 = tile.sub %e1, %sa : !tile.tile<64x64xf32>
    %e3 = tile.mul %e2, %sa : !tile.tile<64x64xf32>
    %e4 = tile.div %e3, %sa : !tile.tile<64x64xf32>
    %e5 = tile.max %e4, %acc : !tile.tile<64x64xf32>
    %e6 = tile.neg %e5 : !tile.tile<64x64xf32>
    %e7 = tile.exp2 %e6 : !tile.tile<64x64xf32>
    %e8 = tile.tanh %e7 : !tile.tile<64x64xf32>
    %small = tile.constant 1.0e-05 : !tile.tile<64x64xf32>
    %big = tile.constant -3 : !tile.tile<64x64xi32>
    %io = tile.iota {dim = 1} : !tile.tile<64x64xi32>
    %ib = tile.add %io, %sn : !tile.tile<64x64xi32>
    %lt = tile.cmp "lt", %ib, %si : !tile.tile<64x64xi32>
    %ge = tile.cmp "ge", %e8, %small : !tile.tile<64x64xf32>
    %sel = tile.select %lt, %e8, %small : !tile.tile<64x64xf32>
    %rmax = tile.reduce "max" %sel {dim = 1} : !tile.tile<64x64xf32> -> !tile.tile<64xf32>
    %rsum = tile.reduce "sum" %rmax {dim = 0} : !tile.tile<64xf32> -> !tile.tile<f32>
    %vb = tile.load %v[%j] : !tile.tensor<?xf32> -> !tile.tile<64xf32>
    %col = tile.broadcast %vb {dims = [0]} : !tile.tile<64xf32> -> !tile.tile<64x64xf32>
    %row = tile.broadcast %rmax {dims = [1]} : !tile.tile<64xf32> -> !tile.tile<64x64xf32>
    %o = tile.add %col, %row : !tile.tile<64x64xf32>
    %oh = tile.cast %o : !tile.tile<64x64xf32> -> !tile.tile<64x64xf16>
    tile.store %oh, %b[%i, %j] : !tile.tile<64x64xf16>, !tile.tensor<?x?xf16, contiguous = 0>
    tile.return
  }
  tile.kernel @no_schedule(%c: !tile.tensor<?x?xf32>) grid(%c tiles 128) {
    %i, %j = tile.program_id : index, index
    tile.return
  }
}

// CHECK:      tile.kernel @every_op(%a: !tile.tensor<?x?x?xbf16>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %v: !tile.tensor<?xf32>, %q: !tile.tensor<?x?xf8E4M3FN>, %alpha: f32, %n: index, %s: i32) grid(%a tiles 64x128) schedule #tile.schedule<consumers = 1, kind = "cooperative", stages = 3, wait_depth = 0, cluster = [2, 1], split_k = 4, a_in_registers = true, raster_group = 16, maxnreg = [240, 24], scale_d = "runtime", accumulate = "f16"> {
// CHECK-NEXT:   %bt, %i, %j = tile.program_id : index, index, index
// CHECK-NEXT:   %d0 = tile.dim %a, 0 : index
// CHECK-NEXT:   %x = tile.load %a[%bt, %i, %j] : !tile.tensor<?x?x?xbf16> -> !tile.tile<64x128xbf16>
// CHECK-NEXT:   %y = tile.load %a[%bt, %j, %i] : !tile.tensor<?x?x?xbf16> -> !tile.tile<128x64xbf16>
// CHECK-NEXT:   %acc = tile.constant 0.0 : !tile.tile<64x64xf32>
// CHECK-NEXT:   %m = tile.mma %x, %y, %acc : !tile.tile<64x128xbf16>, !tile.tile<128x64xbf16>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
// CHECK-NEXT:   %f = tile.cast %x : !tile.tile<64x128xbf16> -> !tile.tile<64x128xf32>
// CHECK-NEXT:   %ft = tile.cast %y : !tile.tile<128x64xbf16> -> !tile.tile<128x64xf32>
// CHECK-NEXT:   %m32 = tile.mma %f, %ft, %m {precision = "tf32"} : !tile.tile<64x128xf32>, !tile.tile<128x64xf32>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
// CHECK-NEXT:   %q8 = tile.load %q[%i, %j] : !tile.tensor<?x?xf8E4M3FN> -> !tile.tile<64x128xf8E4M3FN>
// CHECK-NEXT:   %h16 = tile.constant 0.0 : !tile.tile<64x64xf16>
// CHECK-NEXT:   %hq = tile.cast %y : !tile.tile<128x64xbf16> -> !tile.tile<128x64xf8E4M3FN>
// CHECK-NEXT:   %mh = tile.mma %q8, %hq, %h16 : !tile.tile<64x128xf8E4M3FN>, !tile.tile<128x64xf8E4M3FN>, !tile.tile<64x64xf16> -> !tile.tile<64x64xf16>
// CHECK-NEXT:   %sa = tile.splat %alpha : f32 -> !tile.tile<64x64xf32>
// CHECK-NEXT:   %sn = tile.splat %n : index -> !tile.tile<64x64xi32>
// CHECK-NEXT:   %si = tile.splat %s : i32 -> !tile.tile<64x64xi32>
// CHECK-NEXT:   %e1 = tile.add %m32, %sa : !tile.tile<64x64xf32>
// CHECK-NEXT:   %e2 = tile.sub %e1, %sa : !tile.tile<64x64xf32>
// CHECK-NEXT:   %e3 = tile.mul %e2, %sa : !tile.tile<64x64xf32>
// CHECK-NEXT:   %e4 = tile.div %e3, %sa : !tile.tile<64x64xf32>
// CHECK-NEXT:   %e5 = tile.max %e4, %acc : !tile.tile<64x64xf32>
// CHECK-NEXT:   %e6 = tile.neg %e5 : !tile.tile<64x64xf32>
// CHECK-NEXT:   %e7 = tile.exp2 %e6 : !tile.tile<64x64xf32>
// CHECK-NEXT:   %e8 = tile.tanh %e7 : !tile.tile<64x64xf32>
// CHECK-NEXT:   %small = tile.constant 1.0e-05 : !tile.tile<64x64xf32>
// CHECK-NEXT:   %big = tile.constant -3 : !tile.tile<64x64xi32>
// CHECK-NEXT:   %io = tile.iota {dim = 1} : !tile.tile<64x64xi32>
// CHECK-NEXT:   %ib = tile.add %io, %sn : !tile.tile<64x64xi32>
// CHECK-NEXT:   %lt = tile.cmp "lt", %ib, %si : !tile.tile<64x64xi32>
// CHECK-NEXT:   %ge = tile.cmp "ge", %e8, %small : !tile.tile<64x64xf32>
// CHECK-NEXT:   %sel = tile.select %lt, %e8, %small : !tile.tile<64x64xf32>
// CHECK-NEXT:   %rmax = tile.reduce "max" %sel {dim = 1} : !tile.tile<64x64xf32> -> !tile.tile<64xf32>
// CHECK-NEXT:   %rsum = tile.reduce "sum" %rmax {dim = 0} : !tile.tile<64xf32> -> !tile.tile<f32>
// CHECK-NEXT:   %vb = tile.load %v[%j] : !tile.tensor<?xf32> -> !tile.tile<64xf32>
// CHECK-NEXT:   %col = tile.broadcast %vb {dims = [0]} : !tile.tile<64xf32> -> !tile.tile<64x64xf32>
// CHECK-NEXT:   %row = tile.broadcast %rmax {dims = [1]} : !tile.tile<64xf32> -> !tile.tile<64x64xf32>
// CHECK-NEXT:   %o = tile.add %col, %row : !tile.tile<64x64xf32>
// CHECK-NEXT:   %oh = tile.cast %o : !tile.tile<64x64xf32> -> !tile.tile<64x64xf16>
// CHECK-NEXT:   tile.store %oh, %b[%i, %j] : !tile.tile<64x64xf16>, !tile.tensor<?x?xf16, contiguous = 0>
// CHECK-NEXT:   tile.return
// CHECK-NEXT: }
// CHECK-NEXT: tile.kernel @no_schedule(%c: !tile.tensor<?x?xf32>) grid(%c tiles 128) {
// CHECK-NEXT:   %i, %j = tile.program_id : index, index
// CHECK-NEXT:   tile.return
// CHECK-NEXT: }
