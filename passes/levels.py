"""The level of IR each pass takes, checked at the top of its `apply`.

A module's kernels go through five levels, in pipeline order:

- `tile`: `tile.kernel` (a tile program, before `schedule`);
- `warpgroup`: `warpgroup.kernel` without synchronisation (after `schedule`);
- `synced`: `warpgroup.kernel` with its fences, commit/wait groups and ring waits (after
  `insert-syncs`; `lower-fragments` keeps the level);
- `ptx`: `ptx.entry` with virtual registers (after `lower-to-ptx`; `tie-loop-carried` keeps it);
- `assigned`: `ptx.entry` whose values all have their PTX registers (after `assign-registers`).

A pass given IR of another level would do nothing (and exit 0) or emit wrong code (PTX with
no fence or wait); `expect_level` fails instead, naming the first kernel that is not at the
pass's level, its location, and what to run (or drop) to get there.  The level is read from
the IR itself, so a dumped stage fed back to `exo-gpu-opt` is judged the same way.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.utils.exceptions import DiagnosticException

LEVELS = ("tile", "warpgroup", "synced", "ptx", "assigned")

# The pass that takes a kernel from each level to the next.
_NEXT_PASS = {"tile": "schedule", "warpgroup": "insert-syncs", "synced": "lower-fragments, lower-to-ptx",
              "ptx": "tie-loop-carried, assign-registers"}

_WHAT = {
    "tile": "tile-level IR (tile.kernel)",
    "warpgroup": "warpgroup-level IR before insert-syncs (warpgroup.kernel without fences or waits)",
    "synced": "warpgroup-level IR after insert-syncs (warpgroup.kernel with its fences and waits)",
    "ptx": "PTX-level IR before assign-registers (ptx.entry with virtual registers)",
    "assigned": "PTX-level IR after assign-registers (ptx.entry with PTX registers)",
}


def _sync_ops() -> tuple[tuple[type[Operation], ...], tuple[type[Operation], ...]]:
    """(the ops insert-syncs adds, the ops that need them)."""
    from exo_gpu.dialects.tma import ArriveExpectTxOp, LoadOp, WaitOp
    from exo_gpu.dialects.wgmma import CommitGroupOp, FenceOp, MmaAsyncOp, MmaAsyncRsOp, WaitGroupOp

    return (FenceOp, CommitGroupOp, WaitGroupOp, WaitOp, ArriveExpectTxOp), (MmaAsyncOp, MmaAsyncRsOp, LoadOp)


def _entry_level(entry: Operation) -> str:
    """`assigned` when every scalar register value of the entry has its PTX register."""
    from exo_gpu.dialects import ptx

    allocated = unallocated = 0
    for op in entry.walk():
        values = [*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)]
        for v in values:
            ty = v.type
            if isinstance(ty, ptx.PtxRegisterType) and not isinstance(ty, ptx.AccType):
                if ty.is_allocated:
                    allocated += 1
                else:
                    unallocated += 1
    return "assigned" if allocated and not unallocated else "ptx"


def kernel_level(op: Operation) -> str | None:
    """The level of a kernel op (None: `op` is not a kernel)."""
    from exo_gpu.dialects import ptx, tile
    from exo_gpu.dialects import warpgroup as wg

    if isinstance(op, tile.KernelOp):
        return "tile"
    if isinstance(op, wg.KernelOp):
        syncs, needs = _sync_ops()
        ops = list(op.walk())
        if any(isinstance(o, syncs) for o in ops):
            return "synced"
        # A kernel with no wgmma and no load has nothing to synchronise: either level.
        return "warpgroup" if any(isinstance(o, needs) for o in ops) else "warpgroup/synced"
    if isinstance(op, ptx.EntryOp):
        return _entry_level(op)
    return None


def _name(op: Operation) -> str:
    sym = op.properties.get("sym_name")
    return f"{op.name} @{sym.data}" if sym is not None else op.name  # type: ignore[union-attr]


def _fix(pass_name: str, have: str, want: tuple[str, ...]) -> str:
    """What to run or drop so that a kernel at level `have` reaches one of `want`."""
    if LEVELS.index(have) < LEVELS.index(want[0]):
        needed = [_NEXT_PASS[lv] for lv in LEVELS[LEVELS.index(have):LEVELS.index(want[0])]]
        return f"run {', '.join(needed)} before {pass_name}"
    return f"it is already past {pass_name}: drop {pass_name} from the pipeline (run each pass once, in order)"


def expect_level(module: ModuleOp, pass_name: str, *want: str, require_kernel: bool = True) -> None:
    """Fail with a located one-line diagnostic unless every kernel of `module` is at one of the
    levels `want` and (`require_kernel`) there is at least one kernel."""
    found = False
    for op in module.walk():
        have = kernel_level(op)
        if have is None:
            continue
        if not any(level in want for level in have.split("/")):
            have = have.split("/")[0]
            raise DiagnosticException(
                f"{pass_name}: {_name(op)} at {op.location} is {_WHAT[have]}, but {pass_name} takes "
                f"{_WHAT[want[0]]}: {_fix(pass_name, have, want)}")
        found = True
    if not found and require_kernel:
        raise DiagnosticException(
            f"{pass_name}: the module has no kernel: {pass_name} takes {_WHAT[want[0]]}; give it a "
            "module with one (e.g. exo-gpu gemm --emit tile, then the passes before this one)")
