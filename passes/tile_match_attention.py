"""Recognise an attention-shaped `tile.kernel` and read it as an `AttentionPlan`.

The shape (examples/attention.mlir; anything else with two tile.mma in its K loop is a
located error that says what is supported):

    tile.kernel @k(%q, %kt, %v, %o, %lse, %scale_log2: f32) grid(%o tiles BMxD) schedule ... {
      %b, %h, %i, %j = tile.program_id
      %x = tile.load %q[%b, %h, %i, %j]                       (BM x D, before the loop)
      %acc, %m, %l = scf.for %kk = 0 to ceildiv(dim(%kt, 3), BN) iter_args(O, m, l) {
        %s = tile.mma %x, (tile.load %kt[%b, %hk, 0, %kk]), 0  (D x BN: K^T, D contiguous)
        ... elementwise, reduce, broadcast, select: the online softmax ...
        %o2 = tile.mma (tile.cast %p), (tile.load %v[%b, %hk, %kk, %j]), ...   (BN x D)
      }
      ... tile.store (BM x D) into %o[%b, %h, %i, %j]; tile.store (BM) into %lse[%b, %h, %i]
    }

%hk is %h or arith.divui %h, G (grouped-query attention: G query heads per K/V head).  The
structure gives the tensors, the block shape and G; what the ops between the two mmas and
after the loop compute is checked by value: the program is run by the float64 interpreter
(exo_gpu.lang.interpreter) on random inputs spanning several key blocks, one partial, and
must equal softmax(Q K^T scale) V and its log-sum-exp (natural log) without and then with a
causal mask, at scale = scale_log2 / log2(e).  Which one it equals decides `causal`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from xdsl.dialects import arith, scf
from xdsl.ir import Operation, SSAValue

from exo_gpu.dialects import tile
from exo_gpu.dialects.tile.types import TensorType, TileType, element_name
from exo_gpu.passes.attention_plan import AttentionPlan
from exo_gpu.passes.tile_match import ShapeError, where

SUPPORTED = ("supported attention: Q (B x H x S x D) loaded once, a K loop over ceildiv(dim(K^T, 3), BN) "
             "carrying (O, m, l), S = tile.mma(Q, K^T block) from zero, the online softmax, "
             "O = tile.mma(cast(P), V block, rescaled O); O / l stored to O, the log-sum-exp to L")
TEST_SCALE_LOG2 = 0.3


def _fail(op: Operation, what: str) -> ShapeError:
    return ShapeError(f"{where(op)}{what} ({SUPPORTED})")


def attention_shaped(kernel: tile.KernelOp) -> bool:
    """Whether `kernel`'s K loop holds two tile.mma (the attention shape, not GEMM's)."""
    loops = [op for op in kernel.body.block.ops if isinstance(op, scf.ForOp)]
    return len(loops) == 1 and sum(isinstance(op, tile.MmaOp) for op in loops[0].body.block.ops) == 2


def _load_of(value: SSAValue, op: Operation, what: str) -> tile.LoadOp:
    owner = value.owner
    if not isinstance(owner, tile.LoadOp):
        raise _fail(op, f"{what} must be a tile.load")
    return owner


def _const(value: SSAValue) -> int | None:
    op = value.owner
    return op.value.value.data if isinstance(op, arith.ConstantOp) else None  # type: ignore[union-attr]


def _kv_group(kernel: tile.KernelOp, head: SSAValue, h: SSAValue, load: tile.LoadOp) -> int:
    if head is h:
        return 1
    op = head.owner
    if isinstance(op, arith.DivUIOp) and op.lhs is h and (g := _const(op.rhs)) is not None and g >= 1:
        return g
    raise _fail(load, "a K/V load must index its head by the query head %h, or %h / G (arith.divui by a "
                      "constant: grouped-query attention)")


def _tensor(kernel: tile.KernelOp, load: tile.LoadOp, what: str, contiguous: int) -> int:
    if load.tensor not in kernel.args:
        raise _fail(load, f"{what} must be a kernel argument")
    t = load.tensor.type
    assert isinstance(t, TensorType)
    if t.rank != 4 or t.contiguous != contiguous:
        raise _fail(load, f"{what} must be a rank-4 tensor contiguous along dimension {contiguous}")
    return kernel.args.index(load.tensor)


def match_attention(kernel: tile.KernelOp) -> AttentionPlan:
    """The attention plan of `kernel` (module docstring) or a ShapeError."""
    loop = next(op for op in kernel.body.block.ops if isinstance(op, scf.ForOp))
    pids = [op for op in kernel.body.block.ops if isinstance(op, tile.ProgramIdOp)]
    if len(pids) != 1 or len(pids[0].ids) != 4:
        raise _fail(kernel, "an attention program reads (batch, head, query block, 0) with one tile.program_id")
    b, h, i, j = pids[0].ids
    mmas = [op for op in loop.body.block.ops if isinstance(op, tile.MmaOp)]
    s_mma, o_mma = mmas
    q = _load_of(s_mma.lhs, s_mma, "S = Q K^T's Q")
    kt = _load_of(s_mma.rhs, s_mma, "S = Q K^T's K^T")
    v = _load_of(o_mma.rhs, o_mma, "O += P V's V")
    if q.parent_block() is loop.body.block or kt.parent_block() is not loop.body.block \
            or v.parent_block() is not loop.body.block:
        raise _fail(loop, "Q must be loaded before the K loop, K^T and V blocks inside it")
    if not isinstance(o_mma.lhs.owner, tile.CastOp):
        raise _fail(o_mma, "O += P V's P must be the softmax cast to the inputs' type (tile.cast)")
    roles = {"q": _tensor(kernel, q, "Q", 3), "kt": _tensor(kernel, kt, "K^T (K viewed B x H x D x S)", 2),
             "v": _tensor(kernel, v, "V", 3)}
    kk = loop.body.block.args[0]
    group = _kv_group(kernel, kt.indices[1], h, kt)
    if list(q.indices) != [b, h, i, j] or list(kt.indices)[::3] != [b, kk] or _const(kt.indices[2]) != 0 \
            or list(v.indices) != [b, v.indices[1], kk, j] or _kv_group(kernel, v.indices[1], h, v) != group:
        raise _fail(loop, "loads must be q[b, h, i, j], kt[b, hk, 0, kk] and v[b, hk, kk, j]")
    (bm, d), (d2, bn), (bn2, d3) = (t.result.type.shape for t in (q, kt, v))  # type: ignore[union-attr]
    if d2 != d or bn2 != bn or d3 != d:
        raise _fail(loop, f"tile shapes {bm}x{d}, {d2}x{bn} and {bn2}x{d3} do not chain as Q, K^T and V")
    dtype = element_name(q.result.type.element)  # type: ignore[union-attr]
    plan = _plan(kernel, dtype, bm, d, bn, group, roles, loop)
    plan = _with_causal(kernel, plan)
    if (why := plan.check()) is not None:
        raise ShapeError(f"{where(kernel)}tile.kernel @{kernel.sym_name.data}: {why}")
    return plan


def _plan(kernel: tile.KernelOp, dtype, bm: int, d: int, bn: int, group: int, roles: dict, loop) -> AttentionPlan:
    stores = [op for op in kernel.body.block.ops if isinstance(op, tile.StoreOp)]
    by_rank = {op.tensor.type.rank: op for op in stores}  # type: ignore[union-attr]
    if len(stores) != 2 or set(by_rank) != {3, 4}:
        raise _fail(kernel, "an attention program stores O (rank 4) and the log-sum-exp (rank 3), once each")
    roles["o"] = kernel.args.index(by_rank[4].tensor)
    roles["lse"] = kernel.args.index(by_rank[3].tensor)
    scalars = [n for n, a in enumerate(kernel.args) if not isinstance(a.type, TensorType)]
    if len(scalars) != 1 or str(kernel.args[scalars[0]].type) != "f32":
        raise _fail(kernel, "an attention program takes one f32 scalar: scale_log2 = scale * log2(e)")
    roles["scale_log2"] = scalars[0]
    if kernel.grid_tensor is not by_rank[4].tensor or kernel.tiles != (bm, d):
        raise _fail(kernel, f"the grid must be grid(%o tiles {bm}x{d}): O tiled by Q's block")
    s = kernel.schedule_value
    regs = (240, 24) if s.maxnreg == (232, 40) else s.maxnreg  # the GEMM default: attention's own
    return AttentionPlan(kernel.sym_name.data, dtype=dtype or "?", head_dim=d, kv_group=group, block_m=bm,
                         block_n=bn, stages=s.stages or 2, wait_depth=s.wait_depth, overlap=s.overlap,
                         pingpong=s.kind == "pingpong",
                         consumer_maxnreg=regs[0],
                         producer_maxnreg=regs[1], what=f"tile.kernel @{kernel.sym_name.data}",
                         location=kernel.location, roles=tuple(sorted(roles.items(), key=lambda r: r[1])),
                         arg_names=tuple(a.name_hint or f"arg{n}" for n, a in enumerate(kernel.args)))


def _with_causal(kernel: tile.KernelOp, plan: AttentionPlan) -> AttentionPlan:
    """The plan with `causal` decided by value (module docstring)."""
    from exo_gpu.attention_reference import reference
    from exo_gpu.lang.interpreter import interpret, round_to

    roles = dict(plan.roles)
    names = dict(zip(roles.values(), plan.arg_names))
    group, d, seq = plan.kv_group, plan.head_dim, 2 * plan.block_n + 17
    rng = np.random.default_rng(0)
    draw = lambda heads: round_to(rng.standard_normal((1, heads, seq, d)), plan.dtype)  # noqa: E731
    q, k, v = draw(2 * group), draw(2), draw(2)
    inputs = {names[roles["q"]]: q, names[roles["kt"]]: k.transpose(0, 1, 3, 2), names[roles["v"]]: v,
              names[roles["o"]]: np.zeros(q.shape), names[roles["lse"]]: np.zeros(q.shape[:3])}
    out = interpret(kernel, inputs, {names[roles["scale_log2"]]: TEST_SCALE_LOG2})
    o, lse = out[names[roles["o"]]], out[names[roles["lse"]]]
    scale = TEST_SCALE_LOG2 / math.log2(math.e)
    for causal in (False, True):
        o_ref, lse_ref = reference(q, k, v, scale, causal)
        if np.linalg.norm(o - o_ref) <= 1e-2 * np.linalg.norm(o_ref) and np.abs(lse - lse_ref).max() <= 1e-3:
            return replace(plan, causal=causal)
    raise _fail(kernel, "the program does not compute softmax(Q K^T scale) V and its log-sum-exp, with or without "
                        "a causal mask (checked on random inputs by the interpreter)")
