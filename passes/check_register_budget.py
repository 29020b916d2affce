"""`check-register-budget`: each warpgroup role's registers must fit its setmaxnreg budget.

Guarantees: per role (a ptx.if whose body sets setmaxnreg), the accumulator registers of
its ranges live at once (32-bit registers: an f16x2 register holds two f16 elements, so an
m64nN f16 tile counts N/4, an f32 one N/2; a range lives from its first to its last mention,
through any loop it crosses: attention's score tiles of different loops are never live
together) plus the A fragment registers live at once (RS
wgmma: the most any one block loads, one set per unrolled K-loop copy) plus
`ADDRESSING_RESERVE` (plus `F16_EPILOGUE_RESERVE` with f16 accumulators) fit the role's
setmaxnreg budget; otherwise the pass fails instead of letting ptxas serialize or spill
(C7511/C7512).  Runs after assign-registers, which lays out the accumulator ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.passes.levels import expect_level

# Registers a consumer needs beside its accumulators: descriptors, ring state, addresses
# and epilogue indices.  A budget is rejected when accumulators + this exceed setmaxnreg.
ADDRESSING_RESERVE = 24
# A role with f16 (packed f16x2) accumulators needs more beside them: its epilogue converts
# every pair to two f32 registers before storing them.  Measured (ptxas 12.3.107 and 13.5.37,
# 2 consumers at setmaxnreg 232): 184 f16x2 accumulator registers assemble clean, 192 spill
# 16-24 bytes, where 192 f32 ones are clean.  So f16 accumulators get this much more.
F16_EPILOGUE_RESERVE = 24


def _fragment_registers(role: ptx.IfOp) -> int:
    """A fragment registers live at once: the most that one block (a loop body holds one
    set per unrolled copy, and a copy's set stays live until its wgmmas retire) defines."""
    most = 0
    for op in role.walk():
        for region in op.regions:
            for block in region.blocks:
                n = sum(len(inner.results) for inner in block.ops if isinstance(inner, ptx.LdmatrixX4Op))
                most = max(most, n)
    return most


def _accumulator_ranges(entry: ptx.EntryOp, role: ptx.IfOp) -> dict[tuple[str, int], int]:
    """(element, first register) -> 32-bit registers of each accumulator range the role defines."""
    sizes: dict[tuple[str, int], int] = {}
    for op in role.walk():
        for r in op.results:
            if isinstance(r.type, ptx.AccType):
                if not r.type.is_allocated:
                    raise DiagnosticException(f"check-register-budget: kernel {entry.sym_name.data}: accumulator "
                                              "registers are not assigned: run assign-registers first")
                sizes[(r.type.element.data, r.type.first.data)] = r.type.count.data
    return sizes


def _live_at_once(role: ptx.IfOp, sizes: dict[tuple[str, int], int]) -> int:
    """The most accumulator registers live at one point of the role: each range lives from the
    first op that names it to the last (in program order), through the whole of any loop it is
    named both inside and outside of (carried, or used across the back edge)."""
    order = list(role.walk())
    spans: dict[tuple[str, int], list[int]] = {}
    for i, op in enumerate(order):
        values = [*op.operands, *op.results, *(a for r in op.regions for b in r.blocks for a in b.args)]
        for v in values:
            if isinstance(v.type, ptx.AccType) and v.type.is_allocated:
                key = (v.type.element.data, v.type.first.data)
                lo, hi = spans.get(key, [i, i])
                spans[key] = [min(lo, i), max(hi, i)]
    for loop in (op for op in order if isinstance(op, ptx.LoopOp)):
        start = order.index(loop)
        end = start + sum(1 for _ in loop.walk()) - 1
        for span in spans.values():
            if span[0] < start <= span[1] or start <= span[0] <= end < span[1]:
                span[0], span[1] = min(span[0], start), max(span[1], end)
    points = sorted({p for span in spans.values() for p in span})
    return max((sum(sizes[k] for k, (lo, hi) in spans.items() if lo <= p <= hi) for p in points), default=0)


def check_budget(entry: ptx.EntryOp) -> None:
    for role in [op for op in entry.walk() if isinstance(op, ptx.IfOp)]:
        budget = next((op for op in role.body.block.ops if isinstance(op, ptx.SetmaxnregOp)), None)
        if budget is None:
            continue
        sizes = _accumulator_ranges(entry, role)
        used, limit = _live_at_once(role, sizes), budget.count.value.data
        packed = any(element == "f16x2" for element, _ in sizes)
        reserve = ADDRESSING_RESERVE + (F16_EPILOGUE_RESERVE if packed else 0)
        what = "for addressing" if not packed else "for addressing and the f16 epilogue's conversions"
        where = f"check-register-budget: kernel {entry.sym_name.data}: the warpgroup role at {role.location}"
        fragments = _fragment_registers(role)
        if fragments and used + fragments + reserve > limit:
            raise DiagnosticException(
                f"{where} needs {used} accumulator registers + {fragments} for A fragments "
                f"+ {reserve} {what} = {used + fragments + reserve} per thread, over its "
                f"setmaxnreg budget of {limit}: use fewer tiles per warpgroup, a smaller wgmma N, wait depth 0 "
                "or A from shared memory (ptxas would serialize the pipeline or spill, C7511/C7512)")
        if used + reserve > limit:
            raise DiagnosticException(
                f"{where} needs {used} accumulator registers "
                f"+ {reserve} {what} = {used + reserve} per thread, over its "
                f"setmaxnreg budget of {limit}: use fewer tiles per warpgroup or a smaller wgmma N "
                "(ptxas would serialize the pipeline or spill, C7511/C7512)")


@dataclass(frozen=True)
class CheckRegisterBudgetPass(ModulePass):
    """Reject a role whose registers exceed its setmaxnreg budget (module docstring)."""

    name = "check-register-budget"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        expect_level(op, "check-register-budget", "assigned", "ptx")
        for entry in [e for e in op.walk() if isinstance(e, ptx.EntryOp)]:
            check_budget(entry)
