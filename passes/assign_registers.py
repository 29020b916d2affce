"""`assign-registers`: give every ptx value its PTX register.

Which values share a register is declared by the ops (`ptx.TiesRegisters.register_ties`, as
xDSL's register-allocatable ops declare their inout registers): an mma's result takes its
accumulator operand's registers, a wait_group's results take its operands', a guarded load's
result its fallback's, and a ptx.loop's carried value, its initial value, its next value and
the loop's result share one.  This pass applies the ties and names the registers.

Guarantees:
- every accumulator element has one `%acc` register for its whole life: no accumulator is
  ever copied, moved or spilled; an IR that would need a copy (an accumulator read after the
  op that overwrites it, carried into two places, or two accumulators of one op tied
  together) is rejected;
- a loop-carried scalar keeps one register: its copies (`tie-loop-carried`, which must run
  first) are tied to it; a guarded load shares its fallback value's register;
- f32 accumulators get `%acc` ranges and f16 ones (packed f16x2) `%hacc` ranges, each kind
  laid end to end from 0, in program order; scalars one virtual register per tied group, in
  program order (ptxas does the physical allocation).
The role budgets are checked by `check-register-budget`, after this pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.passes.levels import expect_level


class _UnionFind:
    def __init__(self):
        self.parent: dict[SSAValue, SSAValue] = {}

    def find(self, v: SSAValue) -> SSAValue:
        self.parent.setdefault(v, v)
        while self.parent[v] is not v:
            self.parent[v] = self.parent[self.parent[v]]
            v = self.parent[v]
        return v

    def union(self, a: SSAValue, b: SSAValue) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[rb] = ra


def _is_copy(value: SSAValue, user: Operation) -> bool:
    """Whether `value` is a register of its own for `user` alone: a mov used only there."""
    return isinstance(value, OpResult) and isinstance(value.op, ptx.MovOp) and value.has_one_use() \
        and next(iter(value.uses)).operation is user


def _check_scalar_tie(old: SSAValue, op: Operation) -> None:
    """A scalar overwritten in place must be a register of its own (no copies are made here)."""
    if isinstance(op, (ptx.LoopOp, ptx.NextOp)):
        if not _is_copy(old, op):
            raise DiagnosticException(f"assign-registers: {op.name} at {op.location} carries a scalar without a "
                                      "register of its own: run tie-loop-carried first")
    elif len(list(old.uses)) != 1:
        raise DiagnosticException(f"assign-registers: the operand of {op.name} at {op.location} that it overwrites "
                                  "is used elsewhere")


def _tie_all(entry: ptx.EntryOp) -> tuple[_UnionFind, dict[SSAValue, Operation]]:
    """Apply every op's declared ties; `overwritten_by`: accumulators written over in place."""
    uf = _UnionFind()
    overwritten_by: dict[SSAValue, Operation] = {}
    for op in entry.walk():
        if isinstance(op, (ptx.WgmmaMmaAsyncOp, ptx.WgmmaMmaAsyncRsOp)):
            uf.find(op.result)
        if not isinstance(op, ptx.TiesRegisters):
            continue
        ties = op.register_ties()
        for old, new in ties.inouts:
            if not isinstance(old.type, ptx.AccType):
                _check_scalar_tie(old, op)
            elif old in overwritten_by:
                raise DiagnosticException(
                    f"assign-registers: accumulator at {op.location} is carried into two places "
                    f"({overwritten_by[old].name} and {op.name}); keeping it in one register range would need a copy")
            else:
                overwritten_by[old] = op
            uf.union(old, new)
        for a, b in ties.aliases:
            uf.union(a, b)
    return uf, overwritten_by


def _check_accumulators(entry: ptx.EntryOp, uf: _UnionFind, overwritten_by: dict[SSAValue, Operation]) -> None:
    # Accumulators used or defined together by one op are live together: distinct ranges.
    for op in entry.walk():
        for group in (op.operands, op.results, *(b.args for r in op.regions for b in r.blocks)):
            roots = [uf.find(v) for v in dict.fromkeys(group) if isinstance(v.type, ptx.AccType)]
            if len(set(roots)) != len(roots):
                raise DiagnosticException(
                    f"assign-registers: {op.name} at {op.location} holds two accumulators that the ties "
                    "(mma, wait_group, loop) force into one register range; they would need a copy")
    # A value overwritten in place must not be read after the op that overwrites it.
    for value, op in overwritten_by.items():
        for use in value.uses:
            user = use.operation
            if user is op or user.parent_block() is not op.parent_block():
                continue
            if op.is_before_in_block(user):
                raise DiagnosticException(
                    f"assign-registers: {user.name} at {user.location} reads an accumulator after "
                    f"{op.name} at {op.location} overwrote its registers")


def _all_values(entry: ptx.EntryOp) -> list[SSAValue]:
    values: list[SSAValue] = []
    for op in entry.walk():
        values.extend(op.results)
        for region in op.regions:
            for block in region.blocks:
                values.extend(block.args)
    return values


def _name_registers(values: list[SSAValue], uf: _UnionFind) -> None:
    """Accumulator ranges laid end to end (f32 and f16x2 apart) and one virtual register per
    scalar group, both in program order."""
    range_of: dict[SSAValue, int] = {}
    next_acc: dict[str, int] = defaultdict(int)
    name_of_root: dict[SSAValue, ptx.PtxRegisterType] = {}
    counters: dict[type, int] = defaultdict(int)
    for v in values:
        ty = v.type
        if isinstance(ty, ptx.AccType) and not ty.is_allocated:
            root = uf.find(v)
            if root not in range_of:
                range_of[root] = next_acc[ty.element.data]
                next_acc[ty.element.data] += ty.count.data
            Rewriter.replace_value_with_new_type(v, ptx.AccType(ty.count.data, range_of[root], ty.element.data))
        elif isinstance(ty, ptx.PtxRegisterType) and not ty.is_allocated:
            root = uf.find(v)
            if root not in name_of_root:
                cls = type(ty)
                name_of_root[root] = cls.infinite_register(counters[cls])
                counters[cls] += 1
            Rewriter.replace_value_with_new_type(v, name_of_root[root])


def assign_registers(entry: ptx.EntryOp) -> None:
    uf, overwritten_by = _tie_all(entry)
    _check_accumulators(entry, uf, overwritten_by)
    _name_registers(_all_values(entry), uf)


@dataclass(frozen=True)
class AssignRegistersPass(ModulePass):
    """Give every value of every ptx.entry its PTX register (module docstring)."""

    name = "assign-registers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        expect_level(op, "assign-registers", "ptx")
        for entry in [e for e in op.walk() if isinstance(e, ptx.EntryOp)]:
            assign_registers(entry)
