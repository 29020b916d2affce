"""`assign-registers`: give every ptx value its PTX register.

Guarantees:
- every accumulator element has one `%acc` register for its whole life: an mma's result
  takes its accumulator operand's registers, a wait_group's results take its operands',
  and a ptx.loop's carried accumulator, its initial value, its next value and the loop's
  result share one range (as `allocate_values_same_reg` does for xDSL's riscv loops), and
  an f32 instruction writing one accumulator element in place (a fused epilogue) keeps it.  No
  accumulator is ever copied, moved or spilled; an IR that would need a copy (an
  accumulator read after the wgmma that overwrites it) is rejected;
- loop-carried scalars get one register each, with a `mov` on entry and before `ptx.next`;
  a guarded load shares its fallback value's register;
- f32 accumulators get `%acc` ranges and f16 ones (packed f16x2) `%hacc` ranges, each kind
  laid end to end from 0;
- per role, the accumulator registers (32-bit registers: an f16x2 register holds two f16
  elements, so an m64nN f16 tile counts N/4, an f32 one N/2) plus the A fragment registers
  live at once (RS wgmma: the most any one block loads, one set per unrolled K-loop copy)
  plus `ADDRESSING_RESERVE` (plus `F16_EPILOGUE_RESERVE` with f16 accumulators) must fit the
  role's setmaxnreg budget, otherwise the pass fails instead of letting ptxas serialize or
  spill (C7511/C7512).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx, ptx_float

# Registers a consumer needs beside its accumulators: descriptors, ring state, addresses
# and epilogue indices.  A budget is rejected when accumulators + this exceed setmaxnreg.
ADDRESSING_RESERVE = 24
# A role with f16 (packed f16x2) accumulators needs more beside them: its epilogue converts
# every pair to two f32 registers before storing them.  Measured (ptxas 12.3.107 and 13.5.37,
# 2 consumers at setmaxnreg 232): 184 f16x2 accumulator registers assemble clean, 192 spill
# 16-24 bytes, where 192 f32 ones are clean.  So f16 accumulators get this much more.
F16_EPILOGUE_RESERVE = 24


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


def _tied_accumulators(entry: ptx.EntryOp) -> _UnionFind:
    """Accumulator values that must share registers, and a check that sharing is legal."""
    uf = _UnionFind()
    overwritten_by: dict[SSAValue, Operation] = {}

    def tie(old: SSAValue, new: SSAValue, op: Operation) -> None:
        if old in overwritten_by:
            raise DiagnosticException(
                f"assign-registers: accumulator at {op.location} is carried into two places "
                f"({overwritten_by[old].name} and {op.name}); keeping it in one register range would need a copy")
        overwritten_by[old] = op
        uf.union(old, new)

    for op in entry.walk():
        if isinstance(op, (ptx.WgmmaMmaAsyncOp, ptx.WgmmaMmaAsyncRsOp)):
            uf.find(op.result)
            if op.acc is not None:
                tie(op.acc, op.result, op)
        elif isinstance(op, (ptx_float.FloatOp, ptx_float.FSelpOp)) and op.dest is not None:  # in place
            tie(op.dest, op.result, op)
        elif isinstance(op, ptx.WgmmaWaitGroupOp):
            for a, r in zip(op.accumulators, op.results_):
                tie(a, r, op)
        elif isinstance(op, ptx.LoopOp):
            for init, arg, res in zip(op.iter_args, op.body.block.args, op.res):
                if isinstance(arg.type, ptx.AccType):
                    tie(init, arg, op)
                    uf.union(arg, res)
            nxt = op.body.block.last_op
            assert isinstance(nxt, ptx.NextOp)
            for value, arg in zip(nxt.values, op.body.block.args):
                if isinstance(arg.type, ptx.AccType):
                    tie(value, arg, nxt)
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
    return uf


def _copy_loop_scalars(entry: ptx.EntryOp) -> None:
    """Give each loop-carried scalar one register: mov the initial value into it before the
    loop, and the next values into it before `ptx.next` as a parallel copy (all next values
    are read into temporaries first, so `next(%b, %a)` does not clobber %a)."""
    for loop in [op for op in entry.walk() if isinstance(op, ptx.LoopOp)]:
        nxt = loop.body.block.last_op
        assert isinstance(nxt, ptx.NextOp)
        scalars = [i for i, arg in enumerate(loop.body.block.args) if not isinstance(arg.type, ptx.AccType)]
        operands, next_values = list(loop.operands), list(nxt.operands)
        temps: list[ptx.MovOp] = []
        steps: list[ptx.MovOp] = []
        for i in scalars:
            ty = loop.body.block.args[i].type
            init = ptx.MovOp(_mov_type(ty), loop.iter_args[i], ty)
            init.location = loop.location
            loop.parent_block().insert_op_before(init, loop)
            operands[i] = init.result
            temp = ptx.MovOp(_mov_type(ty), nxt.values[i], type(ty).unallocated())
            step = ptx.MovOp(_mov_type(ty), temp.result, ty)
            temp.location = step.location = nxt.location
            temps.append(temp)
            steps.append(step)
            next_values[i] = step.result
        loop.body.block.insert_ops_before([*temps, *steps], nxt)
        loop.operands = operands
        nxt.operands = next_values


def _mov_type(ty) -> str:
    return {ptx.B16Type: ".b16", ptx.B32Type: ".b32", ptx.B64Type: ".b64", ptx.F32Type: ".f32",
            ptx.PredType: ".pred"}[type(ty)]


def _check_budget(entry: ptx.EntryOp, range_of: dict[SSAValue, int]) -> None:
    for role in [op for op in entry.walk() if isinstance(op, ptx.IfOp)]:
        budget = next((op for op in role.body.block.ops if isinstance(op, ptx.SetmaxnregOp)), None)
        if budget is None:
            continue
        # 32-bit registers per range (f32 and f16x2 ranges are numbered apart).
        sizes = {(r.type.element.data, range_of[r]): r.type.count.data
                 for op in role.walk() for r in op.results if r in range_of}
        used, limit = sum(sizes.values()), budget.count.value.data
        packed = any(element == "f16x2" for element, _ in sizes)
        reserve = ADDRESSING_RESERVE + (F16_EPILOGUE_RESERVE if packed else 0)
        what = "for addressing" if not packed else "for addressing and the f16 epilogue's conversions"
        fragments = _fragment_registers(role)
        if fragments and used + fragments + reserve > limit:
            raise DiagnosticException(
                f"assign-registers: kernel {entry.sym_name.data}: the warpgroup role at {role.location} "
                f"needs {used} accumulator registers + {fragments} for A fragments "
                f"+ {reserve} {what} = {used + fragments + reserve} per thread, over its "
                f"setmaxnreg budget of {limit}: use fewer tiles per warpgroup, a smaller wgmma N, wait depth 0 "
                "or A from shared memory (ptxas would serialize the pipeline or spill, C7511/C7512)")
        if used + reserve > limit:
            raise DiagnosticException(
                f"assign-registers: kernel {entry.sym_name.data}: the warpgroup role at {role.location} "
                f"needs {used} accumulator registers "
                f"+ {reserve} {what} = {used + reserve} per thread, over its "
                f"setmaxnreg budget of {limit}: use fewer tiles per warpgroup or a smaller wgmma N "
                "(ptxas would serialize the pipeline or spill, C7511/C7512)")


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


def _tie_loop_scalars(entry: ptx.EntryOp, uf: _UnionFind) -> None:
    """After `_copy_loop_scalars`, a loop's carried scalar, its entry and next copies and
    the loop's result are one register."""
    for loop in [op for op in entry.walk() if isinstance(op, ptx.LoopOp)]:
        nxt = loop.body.block.last_op
        assert isinstance(nxt, ptx.NextOp)
        for init, arg, res, value in zip(loop.iter_args, loop.body.block.args, loop.res, nxt.values):
            if not isinstance(arg.type, ptx.AccType):
                for v in (init, res, value):
                    uf.union(arg, v)


def _tie_guarded_loads(entry: ptx.EntryOp, uf: _UnionFind) -> None:
    """A guarded load's result is its fallback where the guard is false: one register."""
    for op in entry.walk():
        if isinstance(op, ptx._GuardedLoadOp) and op.fallback is not None:
            if len(list(op.fallback.uses)) != 1:
                raise DiagnosticException(f"assign-registers: the fallback of {op.name} at {op.location} "
                                          "is used elsewhere; the load overwrites its register")
            uf.union(op.fallback, op.result)


def _all_values(entry: ptx.EntryOp) -> list[SSAValue]:
    values: list[SSAValue] = []
    for op in entry.walk():
        values.extend(op.results)
        for region in op.regions:
            for block in region.blocks:
                values.extend(block.args)
    return values


def assign_registers(entry: ptx.EntryOp) -> None:
    uf = _tied_accumulators(entry)
    _copy_loop_scalars(entry)
    _tie_loop_scalars(entry, uf)
    _tie_guarded_loads(entry, uf)
    values = _all_values(entry)
    # Accumulator ranges: one per tie group, laid end to end (f32 and f16x2 ranges apart).
    range_of: dict[SSAValue, int] = {}
    first_of_root: dict[SSAValue, int] = {}
    next_acc: dict[str, int] = defaultdict(int)
    for v in values:
        if isinstance(v.type, ptx.AccType) and not v.type.is_allocated:
            root = uf.find(v)
            if root not in first_of_root:
                element = v.type.element.data
                first_of_root[root] = next_acc[element]
                next_acc[element] += v.type.count.data
            range_of[v] = first_of_root[root]
    _check_budget(entry, range_of)
    # Scalars: one virtual register per tie group (ptxas does the physical allocation).
    name_of_root: dict[SSAValue, ptx.PtxRegisterType] = {}
    counters: dict[type, int] = defaultdict(int)
    for v in values:
        ty = v.type
        if isinstance(ty, ptx.AccType):
            if not ty.is_allocated:
                Rewriter.replace_value_with_new_type(v, ptx.AccType(ty.count.data, range_of[v], ty.element.data))
        elif isinstance(ty, ptx.PtxRegisterType) and not ty.is_allocated:
            root = uf.find(v)
            if root not in name_of_root:
                cls = type(ty)
                name_of_root[root] = cls.infinite_register(counters[cls])
                counters[cls] += 1
            Rewriter.replace_value_with_new_type(v, name_of_root[root])


@dataclass(frozen=True)
class AssignRegistersPass(ModulePass):
    """Give every value of every ptx.entry its PTX register (module docstring)."""

    name = "assign-registers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for entry in [e for e in op.walk() if isinstance(e, ptx.EntryOp)]:
            assign_registers(entry)
