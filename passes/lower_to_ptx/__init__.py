"""`lower-to-ptx`: warpgroup/tma/mbarrier/wgmma IR -> the `ptx` dialect.

Every op becomes the PTX instructions that implement it, with values in unassigned PTX
registers (`assign-registers` names them).  Guarantees:
- each warpgroup.kernel becomes one ptx.entry with parameters (A and B tensor maps by value,
  the C pointer, M, N, K), `.maxntid` = threads and dynamic shared memory for the ring,
  launched on a 1-D grid of ceil(M / block_m) * ceil(N / block_n) blocks (see `raster`);
  in a cluster of two (along N or M), `.reqnctapercluster 2, 1, 1`, tiles walked per
  cluster and the CTA of rank r taking block r of its cluster's pair;
- a split-K tile loop walks work units u (split u / T of tile u mod T, T tiles) while
  u < T * min(S, nk), computes the unit's K range [s*nk/S', (s+1)*nk/S') (S' = min(S, nk),
  never empty), runs its K loops over that range (tma loads add k_begin to k) and advances
  the ring by the range's length; its epilogue adds into C with red.relaxed.gpu.global.add.f32;
- each role becomes a branch on the warpgroup index that first sets the role's register
  budget with setmaxnreg, then runs the role's code (a producer's on one elected thread);
- a tile loop becomes a ptx.loop over tiles (block index, then + grid size) carrying the
  ring position; a K loop becomes a ptx.loop carrying (k, slot, phase) and its accumulators;
- wgmma ops keep their accumulator operands and results, and scale-d stays an immediate
  unless the IR gave a run-time one; an f32 accumulator becomes N/2 f32 registers
  (`!ptx.acc<N/2>`), an f16 one N/4 packed f16x2 registers (`!ptx.acc<N/4, f16x2>`);
- the epilogue writes C; an f16 accumulator's registers are unpacked (mov.b32 {lo, hi})
  and converted (cvt.f32.f16) first, on the unchecked, checked and C += paths alike;
- shared-memory descriptors (128-byte swizzle, K-major or MN-major) are derived from the
  ring slot, once per block and slot; an MN-major operand's wgmma prints imm-trans-a/b = 1;
- an A fragment load becomes one ldmatrix.x4 from the swizzled A tile, an RS wgmma takes its
  four registers; a K loop with `unroll = U` becomes a ptx.loop with U copies of the body,
  each copy's values in their own registers, with a break before each copy;
- every PTX op carries the location of the IR op it came from (for `.loc`).

How: one RewritePattern per op family (modules `kernel`, `loops`, `ring`, `wgmma`,
`epilogue`), applied by xDSL's PatternRewriteWalker in three walks:
1. `LOWERING_PATTERNS`: each op in place, top down.  What a nested op needs from the
   lowering of an enclosing one (the kernel's thread values and shape, the role's, the
   current tile's block, ring base and K range, the turn barriers) lives in the IR as
   `lower_to_ptx.*` context ops (`state`), found by looking up the enclosing blocks; a
   pattern whose context or operands are not lowered yet waits for a later walk.  Values
   shared by several ops of a block (smem descriptors, ldmatrix addresses) are requested
   with `lower_to_ptx.smem_descriptors` / `fragment_address`;
2. `EXPANSION_PATTERNS`: each request becomes PTX once per block, where first asked;
3. `CLEANUP_PATTERNS`: the context ops and the fragments' casts go; then the wait labels
   are numbered in program order.
A new op family is one module with its pattern(s) and one line in LOWERING_PATTERNS: its
pattern returns without rewriting until `state.enclosing(op, KernelEnvOp / RoleEnvOp /
TileEnvOp)` finds the context it needs and `state.operands_lowered(op)` holds (accumulators
are then `!ptx.acc` values), builds PTX with a `state.Emitter` at the op's location and
calls `state.replace`.  A PTX op that writes an accumulator in place declares it with
`ptx.TiesRegisters.register_ties` (inouts), and assign-registers keeps one range.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr, UnrealizedConversionCastOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import GreedyRewritePatternApplier, PatternRewriter, PatternRewriteWalker, RewritePattern
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.passes.lower_to_ptx.epilogue import FoldFragmentCasts, LowerStoreAccumulator, LowerStoreRows, LowerTileOrigin
from exo_gpu.passes.lower_to_ptx.kernel import SMEM_SYMBOL, LowerKernel, LowerRing, LowerRole, params_of
from exo_gpu.passes.lower_to_ptx.loops import (
    LowerKLoop,
    LowerMmaTurns,
    LowerPrevSlot,
    LowerRingSlot,
    LowerScalars,
    LowerTileLoop,
    LowerTileOrdinal,
    LowerTurns,
)
from exo_gpu.passes.lower_to_ptx.ring import (
    WAIT_LABEL,
    LowerArrive,
    LowerArriveExpectTx,
    LowerFenceProxyAsync,
    LowerTmaLoad,
    LowerWait,
)
from exo_gpu.passes.lower_to_ptx.state import EnvOp, LowerToPtxState
from exo_gpu.passes.lower_to_ptx.wgmma import (
    ExpandFragmentAddress,
    ExpandSmemDescriptors,
    LowerLoadFragmentA,
    LowerMma,
    LowerMmaRs,
    LowerWaitGroup,
    LowerWgmmaOneToOne,
    acc_type,
    descriptor_bits,
)
from exo_gpu.passes.levels import expect_level

__all__ = ["SMEM_SYMBOL", "LowerToPtxPass", "acc_type", "descriptor_bits", "params_of", "LOWERING_PATTERNS",
           "lower_module"]

LOWERING_PATTERNS: tuple[RewritePattern, ...] = (
    LowerKernel(),  # warpgroup.kernel
    LowerRing(),  # mbarrier.ring
    LowerRole(),  # warpgroup.role
    LowerTileLoop(),  # warpgroup.tile_loop
    LowerKLoop(),  # warpgroup.k_loop
    LowerTileOrdinal(),  # warpgroup.tile_ordinal
    LowerRingSlot(),  # warpgroup.ring_slot
    LowerPrevSlot(),  # warpgroup.prev_slot
    LowerTurns(),  # warpgroup.await_turn, pass_turn
    LowerMmaTurns(),  # warpgroup.mma_turn
    LowerScalars(),  # arith.constant, arith.cmpi
    LowerWait(),  # mbarrier.wait
    LowerArrive(),  # mbarrier.arrive
    LowerArriveExpectTx(),  # mbarrier.arrive_expect_tx
    LowerFenceProxyAsync(),  # mbarrier.fence_proxy_async
    LowerTmaLoad(),  # tma.load
    LowerMma(),  # wgmma.mma_async
    LowerMmaRs(),  # wgmma.mma_async_rs
    LowerLoadFragmentA(),  # wgmma.load_fragment_a
    LowerWaitGroup(),  # wgmma.wait_group
    LowerWgmmaOneToOne(),  # wgmma.fence, commit_group, undef_accumulator
    LowerStoreAccumulator(),  # wgmma.store_accumulator
    LowerStoreRows(),  # wgmma.store_rows (attention's log-sum-exp)
    LowerTileOrigin(),  # wgmma.tile_origin (lower-fragments' loads)
    FoldFragmentCasts(),  # lower-fragments' casts, once their input is PTX
)

EXPANSION_PATTERNS: tuple[RewritePattern, ...] = (ExpandSmemDescriptors(), ExpandFragmentAddress())


class EraseLoweringState(RewritePattern):
    """The context ops, and the casts that stood for A fragments, once nothing needs them."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        unused_cast = isinstance(op, UnrealizedConversionCastOp) and not any(r.uses for r in op.results)
        if isinstance(op, EnvOp) or unused_cast:
            rewriter.erase(op)


CLEANUP_PATTERNS: tuple[RewritePattern, ...] = (EraseLoweringState(),)


def _walk(module: ModuleOp, patterns: tuple[RewritePattern, ...], reverse: bool) -> None:
    # No dead code elimination: every op is lowered, used or not, as the IR says.
    applier = GreedyRewritePatternApplier(list(reversed(patterns) if reverse else patterns), dce_enabled=False)
    PatternRewriteWalker(applier, apply_recursively=True, walk_reverse=reverse).rewrite_module(module)


def check_lowered(entry: ptx.EntryOp) -> None:
    """Every op of `entry` is PTX (or lowering state): otherwise no pattern lowers it."""
    for op in entry.walk():
        if op is entry or isinstance(op, UnrealizedConversionCastOp):
            continue
        if op.dialect_name() in ("ptx", LowerToPtxState.name):
            continue
        if op.name.startswith("wgmma.frag_"):
            raise DiagnosticException(f"lower-to-ptx: {op.name} at {op.location} is a fragment op: run "
                                      "lower-fragments before lower-to-ptx")
        raise DiagnosticException(f"lower-to-ptx: no lowering for '{op.name}' at {op.location}")


def number_wait_labels(entry: ptx.EntryOp) -> None:
    """Name the spin loops' labels $L_wait_1, $L_wait_2, ... in program order."""
    names: dict[str, str] = {}
    for op in entry.walk():
        if isinstance(op, ptx.LabelOp) and op.label.data.startswith(WAIT_LABEL):
            names[op.label.data] = f"{WAIT_LABEL}{len(names) + 1}"
            op.properties["label"] = StringAttr(names[op.label.data])
    for op in entry.walk():
        if isinstance(op, ptx.BraOp) and op.target.data in names:
            op.properties["target"] = StringAttr(names[op.target.data])


def lower_module(module: ModuleOp, reverse: bool = False) -> None:
    """Lower every warpgroup.kernel of `module` (module docstring).  `reverse` walks the IR
    and tries the patterns in reverse order: the result is the same (state lives in the IR,
    not in the order the patterns run), which tests check."""
    _walk(module, LOWERING_PATTERNS, reverse)
    entries = [e for e in module.walk() if isinstance(e, ptx.EntryOp)]
    for entry in entries:
        check_lowered(entry)
    _walk(module, EXPANSION_PATTERNS, reverse)
    _walk(module, CLEANUP_PATTERNS, reverse)
    for entry in entries:
        number_wait_labels(entry)


@dataclass(frozen=True)
class LowerToPtxPass(ModulePass):
    """Replace every warpgroup.kernel by a ptx.entry (module docstring)."""

    name = "lower-to-ptx"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        expect_level(op, "lower-to-ptx", "synced")
        lower_module(op)
