"""Recognise a GEMM-shaped `tile.kernel` and read it as a `GemmPlan` plus its epilogue.

The supported shape (anything else is a located error that says so):

    tile.kernel @k(%a, %b, %c, scalars...) grid(%c tiles BMxBN) schedule #tile.schedule<...> {
      [%bt,] %i, %j = tile.program_id
      (index math: tile.dim, arith constants and ceildivui)
      %zero = tile.constant 0.0 : !tile.tile<BMxBNxf32>
      %acc = scf.for %kk = 0 to ceildiv(dim(%a, K), BK) step 1 iter_args(%acc0 = %zero) {
        %x = tile.load %a[[%bt,] %i, %kk] : ... -> !tile.tile<BMxBKx..>
        %y = tile.load %b[[%bt,] %kk, %j] : ... -> !tile.tile<BKxBNx..>
        %r = tile.mma %x, %y, %acc0
        scf.yield %r
      }
      (epilogue: tile ops on %acc)
      tile.store %v, %c[[%bt,] %i, %j]
      tile.return
    }

The block shape comes from the tile types (BM x BN from the accumulator, BK from the A
tile), the operand layouts from the tensors' contiguous dimensions (A contiguous along K:
K-major, along M: M-major; B likewise), the element types from the loads (f32 with
precision tf32: tf32), C's from the stored tensor, and the rest from `#tile.schedule`.
Epilogues the plan says directly: none, a `tile.cast` to C's type (c_dtype), and C + acc
(`tile.load %c` at the stored tile, `tile.add`: accumulate_c).  Any other epilogue is
returned as its ops, for `exo_gpu.passes.epilogue` to translate to fragment ops.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import FileLineColLoc
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import tile
from exo_gpu.dialects.tile.types import TensorType, TileType, element_name
from exo_gpu.passes.gemm_plan import GemmPlan, TensorArg

SUPPORTED = ("supported: a K loop (scf.for from 0 to ceildiv(dim(A, K), BK) step 1) carrying one accumulator "
             "tile, loading an A and a B tile and feeding tile.mma; an epilogue on its result; one tile.store")


class ShapeError(DiagnosticException):
    """The program is not of the supported GEMM shape."""


def where(op: Operation) -> str:
    """`file:line:col: ` of an op located in a file, else ``."""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}: "
    return ""


def _fail(op: Operation, what: str) -> ShapeError:
    return ShapeError(f"{where(op)}{what} ({SUPPORTED})")


@dataclass
class GemmMatch:
    """A recognised GEMM program: the plan, the loop, and the epilogue ops between the loop and
    the store (empty when the plan says it all), the stored value and the C argument."""

    plan: GemmPlan
    loop: scf.ForOp
    epilogue: list[Operation]
    stored: SSAValue
    store: tile.StoreOp


def _const_index(value: SSAValue) -> int | None:
    op = value.owner
    if isinstance(op, arith.ConstantOp) and hasattr(op.value, "value"):
        return op.value.value.data  # type: ignore[union-attr]
    return None


def _arg_index(kernel: tile.KernelOp, value: SSAValue, op: Operation, what: str) -> int:
    if value not in kernel.args:
        raise _fail(op, f"{what} must be a kernel argument")
    return kernel.args.index(value)


def _loop(kernel: tile.KernelOp) -> scf.ForOp:
    loops = [op for op in kernel.body.block.ops if isinstance(op, scf.ForOp)]
    if len(loops) != 1:
        raise _fail(kernel, f"tile.kernel @{kernel.sym_name.data} has {len(loops)} top-level K loops, expected 1")
    loop = loops[0]
    if len(loop.iter_args) != 1 or not isinstance(loop.iter_args[0].type, TileType):
        raise _fail(loop, "the K loop must carry exactly one accumulator tile")
    if _const_index(loop.lb) != 0 or _const_index(loop.step) != 1:
        raise _fail(loop, "the K loop must start at 0 with step 1")
    init = loop.iter_args[0].owner
    if not isinstance(init, tile.ConstantOp) or init.number != 0:
        raise _fail(loop, "the K loop's accumulator must start as tile.constant 0.0")
    return loop


def _loop_body(loop: scf.ForOp) -> tuple[tile.LoadOp, tile.LoadOp, tile.MmaOp]:
    ops = list(loop.body.block.ops)
    mmas = [op for op in ops if isinstance(op, tile.MmaOp)]
    if len(mmas) != 1:
        raise _fail(loop, f"the K loop's body must hold one tile.mma, found {len(mmas)}")
    mma = mmas[0]
    carried = loop.body.block.args[1]
    yielded = ops[-1]
    if not isinstance(yielded, scf.YieldOp) or list(yielded.operands) != [mma.result] or mma.acc is not carried:
        raise _fail(mma, "the tile.mma must accumulate into the loop's iter_arg and be yielded")
    loads = []
    for operand, what in ((mma.lhs, "A"), (mma.rhs, "B")):
        op = operand.owner
        if not isinstance(op, tile.LoadOp) or op.parent_block() is not loop.body.block:
            raise _fail(mma, f"the tile.mma's {what} operand must be a tile.load in the K loop")
        loads.append(op)
    extra = [op for op in ops if op not in (*loads, mma, yielded) and not isinstance(op, arith.ConstantOp)]
    if extra:
        raise _fail(extra[0], f"'{extra[0].name}' in the K loop is not supported yet")
    return loads[0], loads[1], mma


def _dtype(mma: tile.MmaOp, x: TileType, y: TileType) -> str:
    ex, ey = element_name(x.element), element_name(y.element)
    if ex != ey:
        raise _fail(mma, f"A and B tiles must have one element type, got {ex} and {ey}")
    if ex == "f32":
        if mma.precision is None or mma.precision.data != "tf32":
            raise _fail(mma, "f32 tiles are multiplied as tf32: add {precision = \"tf32\"} to the tile.mma")
        return "tf32"
    return ex  # type: ignore[return-value]


def _check_indices(op: Operation, indices, expected, what: str) -> None:
    if list(indices) != list(expected):
        raise _fail(op, f"{what} must be indexed [{', '.join(e.name_hint or '?' for e in expected)}] "
                        "(batch ids, then tile coordinates from tile.program_id and the K loop)")


def match(kernel: tile.KernelOp) -> GemmMatch:
    """The GEMM plan of `kernel` (see the module docstring) or a ShapeError."""
    name = kernel.sym_name.data
    pids = [op for op in kernel.body.block.ops if isinstance(op, tile.ProgramIdOp)]
    if len(pids) != 1:
        raise _fail(kernel, f"tile.kernel @{name} must read its coordinates once with tile.program_id")
    ids = list(pids[0].ids)
    loop = _loop(kernel)
    load_a, load_b, mma = _loop_body(loop)
    ia = _arg_index(kernel, load_a.tensor, load_a, "A")
    ib = _arg_index(kernel, load_b.tensor, load_b, "B")
    ta, tb = load_a.tensor.type, load_b.tensor.type
    assert isinstance(ta, TensorType) and isinstance(tb, TensorType)
    rank = ta.rank
    if rank not in (2, 3) or tb.rank != rank or len(ids) != rank:
        raise _fail(kernel, f"A, B and the grid must all be rank 2 (or 3 with a batch dim), got {ta.rank}, "
                            f"{tb.rank} and {len(ids)}")
    batch, i, j = ids[:-2], ids[-2], ids[-1]
    kk = loop.body.block.args[0]
    _check_indices(load_a, load_a.indices, [*batch, i, kk], "A's tile.load")
    _check_indices(load_b, load_b.indices, [*batch, kk, j], "B's tile.load")
    x, y, acc = load_a.result.type, load_b.result.type, loop.res[0].type
    assert isinstance(x, TileType) and isinstance(y, TileType) and isinstance(acc, TileType)
    (bm, bk), (bk2, bn) = x.shape, y.shape
    if bk2 != bk or acc.shape != (bm, bn):
        raise _fail(mma, f"tile shapes {x.shape} @ {y.shape} -> {acc.shape} do not chain")
    _check_bound(kernel, loop, load_a.tensor, rank - 1, bk)
    store, stored, epilogue = _tail(kernel, loop)
    ic = _arg_index(kernel, store.tensor, store, "the stored tensor")
    _check_indices(store, store.indices, [*batch, i, j], "the tile.store")
    if kernel.grid_tensor is not store.tensor or kernel.tiles != (bm, bn):
        raise _fail(kernel, f"the grid must be grid(%{store.tensor.name_hint or 'c'} tiles {bm}x{bn}): the "
                            "stored tensor tiled by the accumulator's shape")
    tc = store.tensor.type
    assert isinstance(tc, TensorType)
    if tc.contiguous != rank - 1:
        raise _fail(store, "the stored tensor must be row-major (contiguous along its last dimension)")
    accumulate_c, c_dtype, epilogue = _simple_epilogue(epilogue, stored, loop.res[0], store)
    s = kernel.schedule_value
    dtype = _dtype(mma, x, y)
    accumulator = element_name(acc.element)
    if accumulator != s.accumulate:
        raise _fail(mma, f"the accumulator tile is {accumulator} but the schedule says accumulate = "
                         f"\"{s.accumulate}\": make them agree")
    access = "readwrite" if accumulate_c or s.split_k > 1 else "write"
    args = tuple(_tensor_arg(v, access if n == ic else "read") for n, v in enumerate(kernel.args))
    plan = GemmPlan(
        name=name, dtype=dtype, block_m=bm, block_n=bn, block_k=bk, consumers=s.consumers,
        stages=s.stages or 2, wait_depth=s.wait_depth,
        layout_a="row" if ta.contiguous == rank - 1 else "col",
        layout_b="col" if tb.contiguous == rank - 2 else "row",
        consumer_maxnreg=s.maxnreg[0], producer_maxnreg=s.maxnreg[1], accumulate_c=accumulate_c,
        raster_group=s.raster_group, cluster_m=s.cluster[0], cluster_n=s.cluster[1], schedule=s.kind,
        c_dtype=c_dtype, split_k=s.split_k, a_in_registers=s.a_in_registers, accumulator=accumulator or "f32",
        runtime_scale_d=s.scale_d == "runtime", batched=rank == 3, rings=s.rings, what=f"tile.kernel @{name}",
        location=kernel.location,
        op_locations=(("A", load_a.location), ("B", load_b.location), ("mma", mma.location), ("store", store.location)),
        args=args, arg_index=(ia, ib, ic))
    _check_contiguous(kernel, ta, tb, rank)
    return GemmMatch(plan, loop, epilogue, stored, store)


def _check_contiguous(kernel, ta: TensorType, tb: TensorType, rank: int) -> None:
    for t, what in ((ta, "A"), (tb, "B")):
        if t.contiguous < rank - 2:
            raise _fail(kernel, f"{what}'s contiguous dimension must be one of its last two (not the batch)")


def _tensor_arg(value: SSAValue, access: str) -> TensorArg:
    t = value.type
    if not isinstance(t, TensorType):
        return TensorArg(value.name_hint or "", str(t), 0, kind="scalar")
    return TensorArg(value.name_hint or "", element_name(t.element) or "?", t.rank, t.contiguous, access)


def _check_bound(kernel: tile.KernelOp, loop: scf.ForOp, a: SSAValue, k_dim: int, bk: int) -> None:
    ub = loop.ub.owner
    ok = isinstance(ub, arith.CeilDivUIOp) and _const_index(ub.rhs) == bk
    if ok:
        dim = ub.lhs.owner
        ok = isinstance(dim, tile.DimOp) and dim.tensor is a and dim.dim.data == k_dim
    if not ok:
        raise _fail(loop, f"the K loop must run to ceildiv(tile.dim A, {k_dim}, {bk}) (arith.ceildivui)")


def _tail(kernel: tile.KernelOp, loop: scf.ForOp) -> tuple[tile.StoreOp, SSAValue, list[Operation]]:
    """The tile.store after the loop, the value it stores, and the tile ops in between."""
    ops = list(kernel.body.block.ops)
    after = ops[ops.index(loop) + 1:]
    stores = [op for op in after if isinstance(op, tile.StoreOp)]
    if len(stores) != 1 or not isinstance(after[-1], tile.ReturnOp) or after[-2] is not stores[0]:
        raise _fail(kernel, "the program must end in one tile.store of the result, then tile.return")
    before = [op for op in ops[:ops.index(loop)] if isinstance(op, tile.StoreOp)]
    if before:
        raise _fail(before[0], "a tile.store before the K loop is not supported")
    return stores[0], stores[0].value, [op for op in after[:-2] if not isinstance(op, arith.ConstantOp)]


def _simple_epilogue(ops: list[Operation], stored: SSAValue, acc: SSAValue,
                     store: tile.StoreOp) -> tuple[bool, str, list[Operation]]:
    """(accumulate_c, c_dtype, the ops left to translate) for the epilogues the plan says."""
    tc = store.tensor.type
    assert isinstance(tc, TensorType)
    c_dtype = element_name(tc.element) or "?"
    value, rest = stored, list(ops)
    if isinstance(value.owner, tile.CastOp) and rest and rest[-1] is value.owner:
        value, rest = value.owner.operands[0], rest[:-1]
    if value is acc and not rest:
        return False, c_dtype, []
    add = value.owner
    if isinstance(add, tile.AddOp) and rest and rest[-1] is add and acc in add.operands:
        other = [v for v in add.operands if v is not acc]
        loads = _c_load(other[0], store) if len(other) == 1 else None
        if loads is not None and rest[:-1] == loads:
            return True, c_dtype, []
    return False, c_dtype, ops


def _c_load(value: SSAValue, store: tile.StoreOp) -> list[Operation] | None:
    """The ops that read C's stored tile (a tile.load of it, perhaps widened by tile.cast), or None."""
    ops: list[Operation] = []
    if isinstance(value.owner, tile.CastOp):
        ops.append(value.owner)
        value = value.owner.operands[0]
    load = value.owner
    if isinstance(load, tile.LoadOp) and load.tensor is store.tensor and list(load.indices) == list(store.indices):
        return [load, *ops]
    return None


def tensor_shapes(kernel: tile.KernelOp, sizes: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor argument of a GEMM-shaped program for problem sizes M, N, K
    (and B, the batch, for rank-3 programs): A is [B x] M x K, B [B x] K x N, the stored
    tensor and every tile loaded at its indices [B x] M x N, a vector loaded at the tile's
    row index M and at its column index N, a scale read by tile.load_scalar at index c: c + 1.
    A ShapeError names what is missing."""
    found = match(kernel)
    ia, ib, ic = found.plan.arg_index
    batched = found.plan.batched
    need = ["M", "N", "K"] + (["B"] if batched else [])
    missing = [s for s in need if s not in sizes]
    if missing:
        raise ShapeError(f"tile.kernel @{kernel.sym_name.data}: give sizes {', '.join(need)} "
                         f"(missing {', '.join(missing)})")
    lead = (sizes["B"],) if batched else ()
    m, n, k = sizes["M"], sizes["N"], sizes["K"]
    shapes = {ia: lead + (m, k), ib: lead + (k, n), ic: lead + (m, n)}
    i, j = list(found.store.indices)[-2:]
    for op in found.epilogue:
        if isinstance(op, tile.LoadOp) and op.tensor in kernel.args:
            index = kernel.args.index(op.tensor)
            last = op.indices[-1] if op.indices else None
            rank = op.tensor.type.rank  # type: ignore[union-attr]
            shapes.setdefault(index, lead + (m, n) if rank >= 2 else ((n,) if last is j else (m,)))
        if isinstance(op, tile.LoadScalarOp) and op.tensor in kernel.args and len(op.indices) == 1 \
                and isinstance(op.indices[0].owner, arith.ConstantOp):  # a scale: up to its element
            shapes.setdefault(kernel.args.index(op.tensor), (op.indices[0].owner.value.value.data + 1,))
    return {(kernel.args[index].name_hint or f"arg{index}"): shape for index, shape in shapes.items()}
