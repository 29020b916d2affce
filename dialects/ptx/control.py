"""PTX structure: the kernel entry, the warpgroup register budget, structured control flow
(`ptx.if`, `ptx.loop` with `ptx.break_if` / `ptx.next`, kept until printing so that
register assignment sees loop-carried values), labels, branches and `ret`."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, StringAttr
from xdsl.ir import Block, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import IsTerminator, NoTerminator, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import kernel_name_problem

from exo_gpu.dialects.ptx.registers import PredType, PtxOp, Reg, RegisterTies, TiesRegisters, _i, _int_prop


@irdl_op_definition
class SetmaxnregOp(PtxOp):
    """`setmaxnreg.{inc,dec}.sync.aligned.u32 N`: this warpgroup's per-thread register budget."""

    name = "ptx.setmaxnreg"
    action = prop_def(StringAttr)
    count = prop_def(IntegerAttr)

    def assembly_line(self, reg: Reg) -> str:
        return f"setmaxnreg.{self.action.data}.sync.aligned.u32 {_i(self.count)};"


@irdl_op_definition
class EntryOp(IRDLOperation):
    """A `.visible .entry` kernel: its parameters (`params`, PTX declarations), launch bounds
    and dynamic shared memory, and a body of ptx ops."""

    name = "ptx.entry"
    sym_name = prop_def(StringAttr)
    params = prop_def(ArrayAttr)
    maxntid = prop_def(IntegerAttr)
    smem_bytes = prop_def(IntegerAttr)
    cluster = opt_prop_def(IntegerAttr)  # CTAs per cluster (.reqnctapercluster), 1 when absent
    body = region_def("single_block")
    traits = traits_def(SymbolOpInterface(), NoTerminator())

    def verify_(self) -> None:
        if (why := kernel_name_problem(self.sym_name.data)) is not None:
            raise VerifyException(f"ptx.entry: {why}")


@irdl_op_definition
class IfOp(IRDLOperation):
    """Runs the body when `cond` holds (`negate`: when it does not).  Printed as a branch
    around the body."""

    name = "ptx.if"
    cond = operand_def(PredType)
    negate = prop_def(IntegerAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(self, cond: SSAValue, body: Region, negate: bool = False):
        super().__init__(operands=[cond], regions=[body], properties={"negate": _int_prop(int(negate))})


@irdl_op_definition
class LoopOp(IRDLOperation, TiesRegisters):
    """A loop whose body block takes the loop-carried values; `ptx.break_if` leaves it and
    `ptx.next` starts the next iteration with new values.  Results are the carried values at
    the exit.  assign-registers keeps each carried value in one register throughout."""

    name = "ptx.loop"
    iter_args = var_operand_def()
    res = var_result_def()
    body = region_def("single_block")

    def __init__(self, iter_args: Sequence[SSAValue], body: Region | None = None):
        types = [a.type for a in iter_args]
        super().__init__(operands=[iter_args], result_types=[types],
                         regions=[body if body is not None else Region(Block(arg_types=types))])

    def register_ties(self) -> RegisterTies:
        """A carried value's register: the loop writes each initial value into it (the body's
        argument), and the result at the exit is that argument."""
        args = self.body.block.args
        return RegisterTies(inouts=list(zip(self.iter_args, args)), aliases=list(zip(args, self.res)))


@irdl_op_definition
class BreakIfOp(IRDLOperation):
    """Leaves the enclosing ptx.loop when `cond` holds, with the current carried values."""

    name = "ptx.break_if"
    cond = operand_def(PredType)


@irdl_op_definition
class NextOp(IRDLOperation, TiesRegisters):
    """Ends a ptx.loop iteration, giving the carried values of the next one."""

    name = "ptx.next"
    values = var_operand_def()
    traits = traits_def(IsTerminator())

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[values])

    def register_ties(self) -> RegisterTies:
        """Each next value is written into the register of the loop's carried argument."""
        loop = self.parent_op()
        assert isinstance(loop, LoopOp)
        return RegisterTies(inouts=list(zip(self.values, loop.body.block.args)))


@irdl_op_definition
class LabelOp(PtxOp):
    """A label in the instruction stream."""

    name = "ptx.label"
    label = prop_def(StringAttr)

    def assembly_line(self, reg: Reg) -> str:
        return f"{self.label.data}:"


@irdl_op_definition
class BraOp(PtxOp):
    """`[@[!]p] bra[.uni] label`."""

    name = "ptx.bra"
    cond = opt_operand_def(PredType)
    target = prop_def(StringAttr)
    negate = prop_def(IntegerAttr)
    uniform = prop_def(IntegerAttr)

    def assembly_line(self, reg: Reg) -> str:
        guard = ""
        if self.cond is not None:
            guard = f"@{'!' if _i(self.negate) else ''}{reg(self.cond)} "
        return f"{guard}bra{'.uni' if _i(self.uniform) else ''} {self.target.data};"


@irdl_op_definition
class RetOp(PtxOp):
    """`ret`: this thread is done."""

    name = "ptx.ret"

    def assembly_line(self, reg: Reg) -> str:
        return "ret;"
