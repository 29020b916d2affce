"""The `warpgroup` dialect: warp specialization of a thread block.

A `warpgroup.kernel` is a thread block of 128-thread warpgroups split into roles
(`warpgroup.role`): a producer that feeds the shared-memory ring and consumers that run the
wgmma pipeline.  Each role sets its register budget with `setmaxnreg`; the verifier checks
that the budgets fit the register file.  `warpgroup.k_loop` walks the K blocks of the
ring: its body sees the block index k, the ring slot k mod stages and the slot's phase
(k / stages) mod 2, and carries accumulators as loop-carried values.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, StringAttr, i32
from xdsl.ir import Block, Dialect, Region
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import HasParent, IsTerminator, NoTerminator, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.attrs import kernel_name_problem
from exo_gpu.dialects.tma import RingOp, RingPlace, smem_layout

REGISTER_FILE = 65536  # 32-bit registers per SM, all a single block may use
SMEM_LIMIT = 227 * 1024  # dynamic shared memory a block may opt into on sm_90
ROLES = ("producer", "consumer")
DEFAULT_RASTER_GROUP = 8
MAX_SPLIT_K = 16  # K ranges per output tile (split-K)



@irdl_op_definition
class KernelOp(IRDLOperation):
    """A warp-specialized GEMM thread block.

    Entry block arguments: the A and B tensor maps, the C pointer, and M, N, K.  Properties
    give the block's tile (block_m x block_n, block_k per ring slot), the thread count, and
    the raster; the body declares its shared-memory rings first (`mbarrier.ring`, one per
    loaded operand stream), from which its shared memory is laid out.  The grid is 1-D, block
    i computes the tile at (m, n) where groups of `raster_group` block rows are walked
    column by column.  In a cluster of 2 (`cluster` along N or `cluster_m` along M, not
    both), the walk is over clusters and the CTA of rank r takes block r of its cluster's
    pair.

    With `batched = 1` the kernel computes a batch of GEMMs: a 7th entry argument (i32) is the
    batch count, tile loops walk batch x tiles (batch-major), and GEMM b reads rows b * M + m
    of A and b * N + n of B (their tensor maps are 2-D over the batch's operands stacked,
    K-major) and writes C + b * M * N.  Batched kernels have no cluster and no split-K.

    An attention kernel is batched with `kv_group` = G: batch entry b (a query head) reads
    the K/V matrix b / G (grouped-query attention), whose rows start at (b / G) * K in the
    stacked K and V tensor maps (tma.load of operand "KV").
    """

    name = "warpgroup.kernel"

    sym_name = prop_def(StringAttr)
    dtype = prop_def(StringAttr)
    threads = prop_def(IntegerAttr)
    block_m = prop_def(IntegerAttr)
    block_n = prop_def(IntegerAttr)
    block_k = prop_def(IntegerAttr)
    wait_depth = prop_def(IntegerAttr)  # wgmma groups left in flight after each stage
    raster_group = opt_prop_def(IntegerAttr)  # block rows walked together by the 1-D launch (8)
    cluster = opt_prop_def(IntegerAttr)  # CTAs per cluster along N (1): pairs share A by multicast
    cluster_m = opt_prop_def(IntegerAttr)  # CTAs per cluster along M (1): pairs share B by multicast
    batched = opt_prop_def(IntegerAttr)  # 1: a batch of GEMMs, the batch count after M, N, K (0)
    kv_group = opt_prop_def(IntegerAttr)  # attention: batch entries (query heads) per K/V matrix
    body = region_def("single_block")

    traits = traits_def(SymbolOpInterface(), NoTerminator())

    @property
    def raster(self) -> int:
        return DEFAULT_RASTER_GROUP if self.raster_group is None else _int(self.raster_group)

    @property
    def is_batched(self) -> bool:
        return self.batched is not None and _int(self.batched) != 0

    @property
    def group(self) -> int:
        """Query heads per K/V head of an attention kernel (0: not attention)."""
        return 0 if self.kv_group is None else _int(self.kv_group)

    @property
    def cluster_size(self) -> int:
        """CTAs of the cluster (along N times along M)."""
        return self.cluster_n_size * self.cluster_m_size

    @property
    def cluster_n_size(self) -> int:
        return 1 if self.cluster is None else _int(self.cluster)

    @property
    def cluster_m_size(self) -> int:
        return 1 if self.cluster_m is None else _int(self.cluster_m)

    def rings(self) -> list[RingOp]:
        """The kernel's ring declarations, in order."""
        return [op for op in self.body.block.ops if isinstance(op, RingOp)]

    def smem_layout(self) -> tuple[dict[str, RingPlace], int]:
        """Each ring's place in shared memory, and the dynamic shared memory of the kernel."""
        return smem_layout(r.shape for r in self.rings())

    @property
    def smem_bytes(self) -> int:
        """Dynamic shared memory: the rings' slots and barriers, and 1 KiB to align."""
        return self.smem_layout()[1]

    def roles(self) -> list[RoleOp]:
        return [op for op in self.body.block.ops if isinstance(op, RoleOp)]

    def verify_(self) -> None:
        if (why := kernel_name_problem(self.sym_name.data)) is not None:
            raise VerifyException(f"warpgroup.kernel: {why}")
        roles = self.roles()
        warpgroups = sum(_int(r.num_warpgroups) for r in roles)
        if _int(self.threads) != 128 * warpgroups:
            raise VerifyException(f"threads = {_int(self.threads)} but the roles hold {warpgroups} warpgroups")
        regs = sum(128 * _int(r.num_warpgroups) * _int(r.maxnreg) for r in roles)
        if regs > REGISTER_FILE:
            detail = " + ".join(f"{r.role.data} {_int(r.num_warpgroups)}x128x{_int(r.maxnreg)}" for r in roles)
            raise VerifyException(
                f"warpgroup.kernel @{self.sym_name.data}: setmaxnreg budgets need {regs} registers ({detail}) but a block has {REGISTER_FILE}: "
                "lower consumer_maxnreg or producer_maxnreg")
        if self.cluster_n_size not in (1, 2) or self.cluster_m_size not in (1, 2) or self.cluster_size > 2:
            raise VerifyException(
                f"warpgroup.kernel @{self.sym_name.data}: cluster {self.cluster_m_size}x{self.cluster_n_size} (M x N) "
                "is not supported: use 1x1, 1x2 or 2x1")
        self._verify_rings()
        if self.smem_bytes > SMEM_LIMIT:
            raise VerifyException(
                f"warpgroup.kernel @{self.sym_name.data}: shared memory {self.smem_bytes} bytes exceeds the {SMEM_LIMIT}-byte limit: "
                "use fewer stages or a smaller block")

    def _verify_rings(self) -> None:
        """Ring names are unique, every ring an op names is declared, and a ring read in a
        K loop at the loop's slot has the loop's stages (its slot and phase are the loop's)."""
        declared: dict[str, int] = {}
        for ring in self.rings():
            name, stages, _ = ring.shape
            if name in declared:
                raise VerifyException(f"warpgroup.kernel @{self.sym_name.data}: ring '{name}' is declared twice")
            declared[name] = stages
        for op in self.walk():
            for name in ring_names(op):
                if name not in declared:
                    raise VerifyException(
                        f"{op.name} names ring '{name}', which warpgroup.kernel @{self.sym_name.data} does not "
                        f"declare (declared: {', '.join(declared) or 'none'}): add an mbarrier.ring for it")
                loop = op.parent_op()
                while loop is not None and not isinstance(loop, (KLoopOp, KernelOp)):
                    loop = loop.parent_op()
                slots = dict(op.ring_slots()) if hasattr(op, "ring_slots") else {}
                at_loop_slot = isinstance(loop, KLoopOp) and slots.get(name, loop.slot) is loop.slot
                if at_loop_slot and _int(loop.stages) != declared[name]:  # type: ignore[union-attr]
                    raise VerifyException(
                        f"{op.name} in a k_loop of {_int(loop.stages)} stages uses ring '{name}' of "
                        f"{declared[name]} stages: a K loop's slot indexes every ring it reads, so give them the same stages")


def ring_names(op) -> tuple[str, ...]:
    """The rings `op` loads into, waits on, releases or reads (none for other ops)."""
    if isinstance(op, RingOp):
        return ()
    names = getattr(op, "rings", None)
    if isinstance(names, tuple):
        return names
    ring = op.properties.get("ring")
    return (ring.data,) if isinstance(ring, StringAttr) else ()


@irdl_op_definition
class RoleOp(IRDLOperation):
    """The code run by warpgroups [first_warpgroup, first_warpgroup + num_warpgroups) of the
    block, after `setmaxnreg` sets each of their threads' register budget to `maxnreg`."""

    name = "warpgroup.role"

    role = prop_def(StringAttr)
    first_warpgroup = prop_def(IntegerAttr)
    num_warpgroups = prop_def(IntegerAttr)
    maxnreg = prop_def(IntegerAttr)
    body = region_def("single_block")

    traits = traits_def(HasParent(KernelOp), NoTerminator())

    def __init__(self, role: str, first: int, count: int, maxnreg: int, body: Region):
        super().__init__(
            properties={"role": StringAttr(role), "first_warpgroup": IntegerAttr(first, 64),
                        "num_warpgroups": IntegerAttr(count, 64), "maxnreg": IntegerAttr(maxnreg, 64)},
            regions=[body])

    def verify_(self) -> None:
        if self.role.data not in ROLES:
            raise VerifyException(f"role must be one of {', '.join(ROLES)}, got '{self.role.data}'")
        n = _int(self.maxnreg)
        if not (24 <= n <= 256 and n % 8 == 0):
            raise VerifyException(f"maxnreg must be a multiple of 8 in 24..256 (setmaxnreg), got {n}")


@irdl_op_definition
class KLoopOp(IRDLOperation):
    """for k in [start, ceil(K / block_k)): the body runs with block arguments
    (k, slot = (base + k) mod stages, phase = ((base + k) / stages) mod 2, iter_args...) and
    yields the next iter_args.  `base` is the enclosing tile_loop's base, the number of K
    blocks this thread block has already passed through the ring (0 outside a tile_loop).
    In a split-K tile_loop, k counts the K blocks of the work unit's range instead:
    k in [start, k_end - k_begin), and a tma.load of k reads K block k_begin + k.
    The results are the
    iter_args after the last iteration."""

    name = "warpgroup.k_loop"

    k_size = operand_def(i32)
    iter_args = var_operand_def()
    res = var_result_def()
    start = prop_def(IntegerAttr)
    block_k = prop_def(IntegerAttr)
    stages = prop_def(IntegerAttr)
    # Copies of the body per iteration of the lowered loop (1 when absent): with U copies the
    # registers a body defines are U distinct sets, so a value of iteration k survives while
    # iterations k+1 .. k+U-1 run (A fragments still read by in-flight wgmmas).
    unroll = opt_prop_def(IntegerAttr)
    # Which K blocks (all when absent): "but_last" runs k in [start, nk - T), "last" runs k in
    # [max(start, nk - T), nk), T = `tail` (1 when absent; both clamped at 0): a loop whose last
    # T blocks differ (attention masks only them).
    part = opt_prop_def(StringAttr)
    tail = opt_prop_def(IntegerAttr)
    body = region_def("single_block")

    def __init__(self, k_size, iter_args, start: int, block_k: int, stages: int, body: Region | None = None,
                 part: str | None = None, tail: int = 1):
        types = [a.type for a in iter_args]
        if body is None:
            body = Region(Block(arg_types=[i32, i32, i32, *types]))
        super().__init__(
            operands=[k_size, iter_args], result_types=[types], regions=[body],
            properties={"start": IntegerAttr(start, 64), "block_k": IntegerAttr(block_k, 64),
                        "stages": IntegerAttr(stages, 64), **({"part": StringAttr(part)} if part else {}),
                        **({"tail": IntegerAttr(tail, 64)} if tail != 1 else {})})

    @property
    def k(self):
        return self.body.block.args[0]

    @property
    def slot(self):
        return self.body.block.args[1]

    @property
    def phase(self):
        return self.body.block.args[2]

    @property
    def carried(self):
        return self.body.block.args[3:]

    @property
    def unroll_factor(self) -> int:
        return 1 if self.unroll is None else _int(self.unroll)

    @property
    def range_part(self) -> str:
        return "all" if self.part is None else self.part.data

    @property
    def tail_blocks(self) -> int:
        return 1 if self.tail is None else _int(self.tail)

    def verify_(self) -> None:
        args = self.body.block.args
        if self.range_part not in ("all", "but_last", "last"):
            raise VerifyException(f"k_loop part must be but_last or last (absent: all), got '{self.range_part}'")
        if self.range_part == "last" and self.unroll_factor != 1:
            raise VerifyException("a k_loop over the last K blocks only has no unroll")
        if not 1 <= self.tail_blocks <= 8 or (self.tail is not None and self.part is None):
            raise VerifyException(f"k_loop tail (the blocks of part \"last\") must be in 1..8 and set only with a "
                                  f"part, got {self.tail_blocks}")
        if not 1 <= self.unroll_factor <= 8:
            raise VerifyException(f"k_loop unroll must be in 1..8, got {self.unroll_factor}")
        if len(args) != 3 + len(self.iter_args):
            raise VerifyException("k_loop body takes (k, slot, phase) and one argument per iter_arg")
        if any(a.type != i32 for a in args[:3]):
            raise VerifyException("k_loop's k, slot and phase arguments are i32")
        if [a.type for a in args[3:]] != [v.type for v in self.iter_args]:
            raise VerifyException("k_loop body arguments must match the iter_args' types")
        last = self.body.block.last_op
        if not isinstance(last, YieldOp) or [v.type for v in last.values] != [v.type for v in self.iter_args]:
            raise VerifyException("k_loop body must end in warpgroup.yield of the iter_args' types")


@irdl_op_definition
class TileLoopOp(IRDLOperation):
    """The output tiles of this thread block: tile t = block index, then t + grid size, ...,
    while t < ceil(M / block_m) * ceil(N / block_n) (a persistent block runs several; a grid
    of one block per tile runs one each).  The tile's (m, n) block comes from the kernel's
    raster; ops inside that address A, B or C use the current tile.  The body's block
    arguments (base, end) are the ring positions of the tile's first K block and of the
    next tile's: the ring carries on from tile to tile.

    With `turns` = T > 1 (the ping-pong schedule), the T warpgroups of the enclosing role take
    the block's tiles in turn: warpgroup r runs the block's tiles r, r + T, ..., each one whole
    (no split of its rows), and `base` still counts every K block of the block's earlier tiles,
    whoever ran them.

    With `causal` = 1 (attention with a causal mask, K = M) tile (m, n) has
    min(nk, ceil((m + 1) * block_m / block_k)) K blocks: those at or left of its last row;
    the tile rows are walked from the last (the longest) to the first, so that a persistent
    block's short tiles come last.

    With `split_k` = S > 1 the loop walks work units (tile, split) instead, unit u being
    split u / T of tile u mod T (T tiles), while u < T * S', where S' = min(S, nk) and
    nk = ceil(K / block_k): split s covers K blocks [k_begin, k_end) = [s*nk/S', (s+1)*nk/S'),
    never empty (with S <= nk these are exactly the ranges [s*nk/S, (s+1)*nk/S); with S > nk
    the same one-block ranges without the empty ones: no work unit has an empty range, so
    none waits for loads that never come).  (base, end) are then the ring positions of the unit's first K block
    and of the next unit's, end = base + k_end - k_begin, the same in every role.  Turns and
    split_k do not combine."""

    name = "warpgroup.tile_loop"
    m_size = operand_def(i32)
    n_size = operand_def(i32)
    k_size = operand_def(i32)
    split_k = opt_prop_def(IntegerAttr)  # K ranges per tile (1 when absent)
    turns = opt_prop_def(IntegerAttr)  # warpgroups of the role taking tiles in turn (1)
    causal = opt_prop_def(IntegerAttr)  # 1: a tile's K blocks stop at its last row (0 when absent)
    body = region_def("single_block")

    def __init__(self, m_size, n_size, k_size, turns: int = 1, split_k: int = 1, causal: bool = False):
        props = {"turns": IntegerAttr(turns, 64)} if turns > 1 else {}
        if split_k != 1:
            props["split_k"] = IntegerAttr(split_k, 64)
        if causal:
            props["causal"] = IntegerAttr(1, 64)
        super().__init__(operands=[m_size, n_size, k_size], regions=[Region(Block(arg_types=[i32, i32]))],
                         properties=props)

    @property
    def turn_count(self) -> int:
        return 1 if self.turns is None else _int(self.turns)

    @property
    def is_causal(self) -> bool:
        return self.causal is not None and _int(self.causal) != 0

    @property
    def split(self) -> int:
        return 1 if self.split_k is None else _int(self.split_k)

    @property
    def base(self):
        return self.body.block.args[0]

    @property
    def end(self):
        return self.body.block.args[1]

    def verify_(self) -> None:
        if [a.type for a in self.body.block.args] != [i32, i32]:
            raise VerifyException("tile_loop's body takes (base, end), both i32")
        if not 1 <= self.split <= MAX_SPLIT_K:
            raise VerifyException(f"tile_loop's split_k must be in 1..{MAX_SPLIT_K}, got {self.split}")
        role = self.parent_op()
        if self.turn_count > 1 and (not isinstance(role, RoleOp) or _int(role.num_warpgroups) != self.turn_count):
            raise VerifyException(f"tile_loop with turns = {self.turn_count} must be directly in a role of "
                                  f"{self.turn_count} warpgroups (one turn each)")
        if self.turn_count > 1 and self.split > 1:
            raise VerifyException("a tile_loop cannot both take turns and split K")
        if self.is_causal and self.split > 1:
            raise VerifyException("a causal tile_loop cannot split K")


@irdl_op_definition
class TileOrdinalOp(IRDLOperation):
    """The number of tiles this warpgroup ran before the current one in its tile_loop (0, 1,
    ...): the ring position of a ring that advances once per tile (attention's Q)."""

    name = "warpgroup.tile_ordinal"
    result = result_def(i32)
    assembly_format = "attr-dict `:` type($result)"
    traits = traits_def(HasParent(TileLoopOp))

    def __init__(self):
        super().__init__(result_types=[i32])


@irdl_op_definition
class AwaitTurnOp(IRDLOperation):
    """In a tile_loop with turns: wait until the warpgroup that ran the block's previous tile
    has issued all its K blocks' wgmma (passed the turn), so one warpgroup at a time waits on
    and reads the ring, in tile order.  The block's first tile waits for nobody."""

    name = "warpgroup.await_turn"
    assembly_format = "attr-dict"
    traits = traits_def(HasParent(TileLoopOp))


@irdl_op_definition
class PassTurnOp(IRDLOperation):
    """In a tile_loop with turns: let the warpgroup running the block's next tile start its K
    loop (no signal after the block's last tile, so every signal is awaited)."""

    name = "warpgroup.pass_turn"
    assembly_format = "attr-dict"
    traits = traits_def(HasParent(TileLoopOp))


MMA_TURN_ACTIONS = ("start", "await", "pass")


@irdl_op_definition
class MmaTurnOp(IRDLOperation):
    """Ping-pong of the consumer warpgroups of a tile (attention): they take turns to issue
    their wgmmas, so that one's softmax runs while the other's groups hold the tensor cores.
    "await": wait until the previous warpgroup has passed the turn to this one; "pass": hand
    it to the next (warpgroup r + 1 mod count); "start" (once, before the tile loop): the last
    warpgroup hands the first turn to warpgroup 0.  Every warpgroup must await and pass equally
    often, in pairs, so the turns alternate."""

    name = "warpgroup.mma_turn"
    action = prop_def(StringAttr)
    assembly_format = "$action attr-dict"

    def __init__(self, action: str):
        super().__init__(properties={"action": StringAttr(action)})

    def verify_(self) -> None:
        if self.action.data not in MMA_TURN_ACTIONS:
            raise VerifyException(f"mma_turn action must be one of {', '.join(MMA_TURN_ACTIONS)}, "
                                  f"got '{self.action.data}'")
        role = self.parent_op()
        while role is not None and not isinstance(role, RoleOp):
            role = role.parent_op()
        if role is None or role.role.data != "consumer" or _int(role.num_warpgroups) != 2:
            raise VerifyException("mma_turn alternates the two warpgroups of a consumer role: use it inside "
                                  "a warpgroup.role \"consumer\" of 2 warpgroups")


@irdl_op_definition
class RingSlotOp(IRDLOperation):
    """The ring slot of K block `position` - `back` (a ring position, e.g. a tile_loop's base;
    `back` absent: 0) and the phase of that slot's barriers: (p mod stages, (p / stages) mod 2)."""

    name = "warpgroup.ring_slot"
    position = operand_def(i32)
    stages = prop_def(IntegerAttr)
    back = opt_prop_def(IntegerAttr)
    slot = result_def(i32)
    phase = result_def(i32)

    def __init__(self, position, stages: int, back: int = 0):
        super().__init__(operands=[position], result_types=[i32, i32],
                         properties={"stages": IntegerAttr(stages, 64), **({"back": IntegerAttr(back, 64)} if back else {})})

    @property
    def steps_back(self) -> int:
        return 0 if self.back is None else _int(self.back)


@irdl_op_definition
class PrevSlotOp(IRDLOperation):
    """The slot and phase of the ring position one before (`slot`, `phase`) of a ring of
    `stages` slots: in a k_loop, K block k - 1's, for a stage that reads the previous block's
    tile (attention's P V overlapped with the next block's S)."""

    name = "warpgroup.prev_slot"
    slot = operand_def(i32)
    phase = operand_def(i32)
    stages = prop_def(IntegerAttr)
    prev_slot = result_def(i32)
    prev_phase = result_def(i32)

    def __init__(self, slot, phase, stages: int):
        super().__init__(operands=[slot, phase], result_types=[i32, i32], properties={"stages": IntegerAttr(stages, 64)})


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends a k_loop or tile_loop iteration, passing the next values of the loop-carried
    arguments (none for a tile_loop)."""

    name = "warpgroup.yield"
    values = var_operand_def()
    traits = traits_def(IsTerminator(), HasParent(KLoopOp, TileLoopOp))

    def __init__(self, *values):
        super().__init__(operands=[values])


Warpgroup = Dialect("warpgroup", [KernelOp, RoleOp, TileLoopOp, TileOrdinalOp, AwaitTurnOp, PassTurnOp, MmaTurnOp,
                                  RingSlotOp, PrevSlotOp, KLoopOp, YieldOp], [])
