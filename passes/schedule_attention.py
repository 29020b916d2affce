"""Attention's warpgroup kernel (part of `schedule`): an `AttentionPlan` -> a warp-specialized
warpgroup.kernel of tma, mbarrier, wgmma and fragment ops, with no synchronisation
(`insert-syncs` adds it all, as for GEMM).

The structure, FlashAttention-style (the plan's module gives the shapes):
- rings: "q" (the tile's block_m x D queries, advancing once per tile; two slots where
  shared memory allows, so the next tile's Q loads while this one runs), "k" and
  "v" (`stages` slots of block_n keys x D each); every tile is D / 64 swizzle atoms of
  128 bytes across the head dimension;
- one producer warpgroup: per tile, Q's atoms into ring q at the slot of the tile's ordinal,
  then per key block k its K atoms into ring k and its V atoms into ring v (operand "KV":
  rows k * block_n of the batch entry's K/V matrix, its K/V head = query head / kv_group);
- two consumer warpgroups, 64 query rows each: per tile, O = 0, m = -inf, l = 0; then per
  key block: S = Q K^T by D / 16 wgmmas (m64 n block_n; A = the warpgroup's rows of the Q
  tile, at the q slot of the tile (`a_slot`), held until the tile's last block; B = the K
  tile; both K-major); the scores masked (keys past K; with `causal`, keys after the
  query); the online softmax in
  log2 units (scale_log2 = scale * log2 e): m' = max(m, rowmax(S) scale_log2),
  P = 2^(fma(S, scale_log2, -m')), alpha = 2^(m - m'), l' = l alpha + rowsum(P), O = O alpha;
  P packed to bf16/f16 A fragments in registers (no data movement: the accumulator layout
  is the A fragment layout) and O += P V by block_n / 16 RS wgmmas (m64 n D, B = the V
  tile, N-major); after the last block O / l is stored (rounded to Q's type) and
  L = (m + log2 l) ln 2.  Only the last key block can hold keys past K, and causal only the
  last block_m / block_n blocks keys after a query (the tile's diagonal): the blocks before
  them run in one K loop without the mask, they in a second, masked (`k_loop` part and tail);
- with `causal` the tile loop walks only the key blocks at or left of the tile's last row,
  the longest tiles first;
- with `pingpong` (the schedule's kind): the two consumer warpgroups take turns to issue
  their wgmmas (`warpgroup.mma_turn`): a block's S (with `overlap`, S and the previous
  block's P V) is issued between an await and a pass of the turn, so one warpgroup's softmax
  runs while the other's groups hold the tensor cores;
- with `overlap` (the schedule's): block 0's S and softmax come first; then each K block's
  S is issued before the previous block's P V (V at `warpgroup.prev_slot`), so the softmax
  of block k runs while P V of block k - 1 is in flight, P's fragments carried by the loop;
  the last block's P V follows the loops.
"""

from __future__ import annotations

from xdsl.dialects import arith
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, StringAttr, f32, i32, i64
from xdsl.ir import Block, Region, SSAValue

from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.fragment import (
    FragBinaryOp,
    FragFmaOp,
    FragIotaOp,
    FragReduceOp,
    FragSelectOp,
    FragSplatOp,
    FragUnaryOp,
    RowVectorType,
    TileOriginOp,
)
from exo_gpu.dialects.fragment_pack import FragPackAOp, StoreRowsOp
from exo_gpu.dialects.tma import LoadOp, RingOp, TensorMapType
from exo_gpu.dialects.wgmma import AccumulatorType, MmaAsyncOp, MmaAsyncRsOp, StoreAccumulatorOp
from exo_gpu.passes.attention_plan import ATOM, LN2, SWIZZLE_BYTES, AttentionPlan
from exo_gpu.passes.gemm_plan import to_attr

K_STEP = 16  # keys or head dims per bf16/f16 wgmma (32 bytes)
MN_K_STEP = K_STEP * SWIZZLE_BYTES  # an N-major B's K step: 16 rows of 128 bytes
# A tile's K loops, (masked, k_loop part): the blocks before the last `_tail` ones unmasked, those masked.
PARTS = ((False, "but_last"), (True, "last"))


class _Body:
    """Appends ops to a block and returns their first result."""

    def __init__(self, block: Block):
        self.block = block

    def __call__(self, op) -> SSAValue:
        self.block.add_op(op)
        return op.results[0] if op.results else None

    def f32(self, value: float) -> SSAValue:
        return self(arith.ConstantOp(FloatAttr(value, f32)))

    def i32(self, value: int) -> SSAValue:
        return self(arith.ConstantOp(IntegerAttr(value, i32)))


def _producer(plan: AttentionPlan, q_map, k_map, v_map, sizes) -> wg.RoleOp:
    """Q once per tile, then K and V per key block."""
    m_size, n_size, k_size = sizes
    tiles = wg.TileLoopOp(m_size, n_size, k_size, causal=plan.causal)
    body = _Body(tiles.body.block)
    q_slot = wg.RingSlotOp(body(wg.TileOrdinalOp()), plan.q_stages)
    body(q_slot)
    zero = body.i32(0)
    bm, bn = plan.block_m, plan.block_n
    for a in range(plan.atoms):
        body(LoadOp(q_map, q_slot.slot, zero, "q", "A", 0, a * bm * SWIZZLE_BYTES, bm, bm * SWIZZLE_BYTES,
                    col_offset=a * ATOM))
    loads = wg.KLoopOp(k_size, [], start=0, block_k=bn, stages=plan.stages)
    inner = _Body(loads.body.block)
    for tensor_map, ring in ((k_map, "k"), (v_map, "v")):
        for a in range(plan.atoms):
            inner(LoadOp(tensor_map, loads.slot, loads.k, ring, "KV", 0, a * bn * SWIZZLE_BYTES, bn,
                         bn * SWIZZLE_BYTES, col_offset=a * ATOM))
    inner(wg.YieldOp())
    body(loads)
    body(wg.YieldOp())
    return wg.RoleOp("producer", 0, 1, plan.producer_maxnreg, Region(Block([tiles])))


def _scores(body: _Body, plan: AttentionPlan, slot: SSAValue, q_slot: SSAValue) -> SSAValue:
    """S = Q K^T of the key block at `slot`: D / 16 wgmmas, Q's tile (at its own slot) and the
    K tile both K-major, atom after atom along the head dimension."""
    s_type = AccumulatorType(64, plan.block_n)
    s = None
    for kk in range(plan.head_dim // K_STEP):
        atom, within = divmod(kk * K_STEP, ATOM)
        s = body(MmaAsyncOp(s, slot, s_type, plan.dtype, a_offset=atom * plan.block_m * SWIZZLE_BYTES + within * 2,
                            b_offset=atom * plan.block_n * SWIZZLE_BYTES + within * 2, scale_d=int(kk > 0),
                            rings=("q", "k"), a_slot=q_slot))
    return s


def _masked(body: _Body, plan: AttentionPlan, k: SSAValue, s: SSAValue, k_size, row0) -> SSAValue:
    """S of key block `k` with -inf at keys past K and, causal, at keys after the query."""
    s_type = s.type
    first_key = body(arith.MuliOp(k, body.i32(plan.block_n)))
    keys = body(FragIotaOp(first_key, s_type, 1))
    ninf = body(FragSplatOp(body.f32(float("-inf")), s_type))
    s = body(FragSelectOp("lt", keys, body(FragSplatOp(k_size, s_type)), s, ninf, s_type))
    if plan.causal:
        rows = body(FragIotaOp(row0, s_type, 0))
        s = body(FragSelectOp("le", keys, rows, s, ninf, s_type))
    return s


def _softmax_step(body: _Body, s: SSAValue, m: SSAValue, l: SSAValue, o: SSAValue, scale: SSAValue):
    """The online softmax of one key block: (P, the rescaled O, m', l')."""
    s_type = s.type
    row_scale = body(FragSplatOp(scale, RowVectorType()))
    m_new = body(FragBinaryOp("max", m, body(FragBinaryOp("mul", body(FragReduceOp("max", s)), row_scale))))
    neg_m = body(FragUnaryOp("neg", m_new))
    p = body(FragUnaryOp("exp2", body(FragFmaOp(s, body(FragSplatOp(scale, s_type)), neg_m, s_type))))
    alpha = body(FragUnaryOp("exp2", body(FragBinaryOp("sub", m, m_new))))
    l_new = body(FragBinaryOp("add", body(FragBinaryOp("mul", l, alpha)), body(FragReduceOp("sum", p))))
    if o is not None:  # (none before the first P V)
        o = body(FragBinaryOp("mul", o, alpha))
    return p, o, m_new, l_new


def _key_blocks(plan: AttentionPlan, carried: list[SSAValue], q_slot: SSAValue, scale, k_size, row0,
                masked: bool, part: str) -> wg.KLoopOp:
    """A K loop over key blocks carrying (O, m, l): S, its mask when `masked`, the online
    softmax, P V (module docstring)."""
    loop = wg.KLoopOp(k_size, carried, start=0, block_k=plan.block_n, stages=plan.stages, part=part,
                      tail=_tail(plan))
    inner = _Body(loop.body.block)
    o, m, l = loop.carried
    s = _turn(inner, plan, lambda: _scores(inner, plan, loop.slot, q_slot))
    if masked:
        s = _masked(inner, plan, loop.k, s, k_size, row0)
    p, o, m, l = _softmax_step(inner, s, m, l, o, scale)
    o = _p_v(inner, plan, o, _packed(inner, plan, p), loop.slot)
    inner(wg.YieldOp(o, m, l))
    return loop


def _turn(body: _Body, plan: AttentionPlan, issue):
    """`issue()` (appending wgmmas), between an await and a pass of the warpgroup's turn when
    the plan ping-pongs; its result."""
    if plan.pingpong:
        body(wg.MmaTurnOp("await"))
    result = issue()
    if plan.pingpong:
        body(wg.MmaTurnOp("pass"))
    return result


def _packed(body: _Body, plan: AttentionPlan, p: SSAValue) -> list[SSAValue]:
    """P as the A fragments of the P V wgmmas, one per 16 keys.  Every fragment is packed
    before the wgmmas that read them: no register is written inside a running stage (ptxas
    would serialize it)."""
    return [body(FragPackAOp(p, c, plan.dtype)) for c in range(plan.block_n // K_STEP)]


def _p_v(body: _Body, plan: AttentionPlan, o: SSAValue, frags: list[SSAValue], slot: SSAValue) -> SSAValue:
    """O += P V for the V tile at `slot`: block_n / 16 RS wgmmas, V N-major."""
    for c, frag in enumerate(frags):
        o = body(MmaAsyncRsOp(o, slot, frag, o.type, plan.dtype, b_offset=c * MN_K_STEP, scale_d=1,
                              b_ring="v", trans_b=1))
    return o


def _overlapped_blocks(plan: AttentionPlan, carried: list[SSAValue], q_slot: SSAValue, scale, k_size, row0,
                       masked: bool, part: str) -> wg.KLoopOp:
    """A K loop over key blocks 1.. carrying (O, m, l, P's fragments): block k's S is issued,
    then block k - 1's P V (its V at the previous slot), and block k's softmax runs while P V
    is in flight; O is rescaled once P V retires (overlap = 1)."""
    loop = wg.KLoopOp(k_size, carried, start=1, block_k=plan.block_n, stages=plan.stages, part=part,
                      tail=_tail(plan))
    inner = _Body(loop.body.block)
    o, m, l, *frags = loop.carried
    prev = wg.PrevSlotOp(loop.slot, loop.phase, plan.stages)
    inner(prev)
    s, o = _turn(inner, plan, lambda: (_scores(inner, plan, loop.slot, q_slot),
                                       _p_v(inner, plan, o, frags, prev.prev_slot)))
    if masked:
        s = _masked(inner, plan, loop.k, s, k_size, row0)
    p, o, m, l = _softmax_step(inner, s, m, l, o, scale)
    inner(wg.YieldOp(o, m, l, *_packed(inner, plan, p)))
    return loop


def _overlapped(plan: AttentionPlan, body: _Body, tiles: wg.TileLoopOp, q_slot: SSAValue, scale, k_size, row0,
                start: list[SSAValue]) -> list[SSAValue]:
    """(O, m, l) of a tile with the softmax of each key block overlapping the previous block's
    P V: block 0's S and softmax first (masked), then the loops over blocks 1.., then the last
    block's P V."""
    first = wg.RingSlotOp(tiles.base, plan.stages)
    body(first)
    s = _turn(body, plan, lambda: _scores(body, plan, first.slot, q_slot))
    s = _masked(body, plan, body.i32(0), s, k_size, row0)
    p, o, m, l = _softmax_step(body, s, start[1], start[2], None, scale)
    carried = [start[0], m, l, *_packed(body, plan, p)]
    for masked, part in PARTS:
        loop = _overlapped_blocks(plan, carried, q_slot, scale, k_size, row0, masked, part)
        body(loop)
        carried = list(loop.res)
    last = wg.RingSlotOp(tiles.end, plan.stages, back=1)
    body(last)
    o, m, l, *frags = carried
    return [_turn(body, plan, lambda: _p_v(body, plan, o, frags, last.slot)), m, l]


def _tail(plan: AttentionPlan) -> int:
    """Key blocks that may need the mask: the last (keys past K); causal, the block_m / block_n
    blocks the diagonal of the tile's queries spans."""
    return plan.block_m // plan.block_n if plan.causal else 1


def _consumer(plan: AttentionPlan, o_ptr, lse_ptr, scale, sizes) -> wg.RoleOp:
    """Per tile: the key-block loops (unmasked, then the masked tail), the epilogue (module
    docstring)."""
    m_size, n_size, k_size = sizes
    tiles = wg.TileLoopOp(m_size, n_size, k_size, causal=plan.causal)
    body = _Body(tiles.body.block)
    q_slot = wg.RingSlotOp(body(wg.TileOrdinalOp()), plan.q_stages)
    body(q_slot)
    o_type = AccumulatorType(64, plan.head_dim)
    row0 = body(TileOriginOp(0)) if plan.causal else None  # the tile row of its first query
    carried = [body(FragSplatOp(body.f32(0.0), o_type)),
               body(FragSplatOp(body.f32(float("-inf")), RowVectorType())),
               body(FragSplatOp(body.f32(0.0), RowVectorType()))]
    if plan.overlap:
        carried = _overlapped(plan, body, tiles, q_slot.slot, scale, k_size, row0, carried)
    else:
        for masked, part in PARTS:
            loop = _key_blocks(plan, carried, q_slot.slot, scale, k_size, row0, masked, part)
            body(loop)
            carried = list(loop.res)
    o, m, l = carried
    out = body(FragBinaryOp("div", o, l))
    body(StoreAccumulatorOp(out, o_ptr, m_size, n_size, 0, False, plan.dtype))
    log_sum = body(FragBinaryOp("add", m, body(FragUnaryOp("log2", l))))
    lse = body(FragBinaryOp("mul", log_sum, body(FragSplatOp(body.f32(LN2), RowVectorType()))))
    body(StoreRowsOp(lse, lse_ptr, m_size, 0))
    body(wg.YieldOp())
    start = [wg.MmaTurnOp("start")] if plan.pingpong else []
    return wg.RoleOp("consumer", 1, plan.consumers, plan.consumer_maxnreg, Region(Block([*start, tiles])))


def build_attention_kernel(plan: AttentionPlan) -> wg.KernelOp:
    """The warp-specialized warpgroup.kernel of `plan` (module docstring)."""
    entry = Block(arg_types=[TensorMapType(), TensorMapType(), i64, i32, i32, i32, i32, TensorMapType(), i64, f32])
    q_map, k_map, o_ptr, m_size, n_size, k_size, _batch, v_map, lse_ptr, scale = entry.args
    sizes = (m_size, n_size, k_size)
    empty = 128 * plan.consumers  # every consumer thread releases a slot
    rings = [RingOp(name, stages, slot, 1, empty) for name, stages, slot in plan.ring_slots()]
    entry.add_ops([*rings, _producer(plan, q_map, k_map, v_map, sizes),
                   _consumer(plan, o_ptr, lse_ptr, scale, sizes)])
    kernel = wg.KernelOp.create(
        properties={
            "sym_name": StringAttr(plan.name), "dtype": StringAttr(plan.dtype),
            "threads": IntegerAttr(128 * (plan.consumers + 1), 64), "block_m": IntegerAttr(plan.block_m, 64),
            "block_n": IntegerAttr(plan.head_dim, 64), "block_k": IntegerAttr(plan.block_n, 64),
            "wait_depth": IntegerAttr(plan.wait_depth, 64), "raster_group": IntegerAttr(1, 64),
            "batched": IntegerAttr(1, 64), "kv_group": IntegerAttr(plan.kv_group, 64),
        },
        regions=[Region(entry)])
    kernel.attributes["abi"] = to_attr(plan.abi())
    if plan.location is not None:
        for op in kernel.walk():
            op.location = plan.location
    return kernel
