"""`tie-loop-carried`: give each loop-carried scalar a register of its own, so that
`assign-registers` can keep a carried value in one register throughout the loop.

Guarantees: for every scalar (non-accumulator) value a ptx.loop carries, a `mov` of the
initial value into a fresh register right before the loop, and before `ptx.next` a parallel
copy of the next values (all of them read into temporaries first, then moved into fresh
registers, so `next(%b, %a)` does not clobber %a).  Each fresh register is used only by the
loop (or ptx.next) that ties it to the carried argument (see `ptx.LoopOp.register_ties`).
Accumulators are never copied: their ties must hold without copies, or assign-registers
rejects the IR.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from exo_gpu.dialects import ptx
from exo_gpu.passes.levels import expect_level

MOV_TYPES = {ptx.B16Type: ".b16", ptx.B32Type: ".b32", ptx.B64Type: ".b64", ptx.F32Type: ".f32",
             ptx.PredType: ".pred"}


def copy_loop_scalars(loop: ptx.LoopOp) -> None:
    """The entry and next copies of `loop`'s carried scalars (module docstring)."""
    nxt = loop.body.block.last_op
    assert isinstance(nxt, ptx.NextOp)
    scalars = [i for i, arg in enumerate(loop.body.block.args) if not isinstance(arg.type, ptx.AccType)]
    operands, next_values = list(loop.operands), list(nxt.operands)
    temps: list[ptx.MovOp] = []
    steps: list[ptx.MovOp] = []
    for i in scalars:
        ty = loop.body.block.args[i].type
        init = ptx.MovOp(MOV_TYPES[type(ty)], loop.iter_args[i], ty)
        init.location = loop.location
        loop.parent_block().insert_op_before(init, loop)
        operands[i] = init.result
        temp = ptx.MovOp(MOV_TYPES[type(ty)], nxt.values[i], type(ty).unallocated())
        step = ptx.MovOp(MOV_TYPES[type(ty)], temp.result, ty)
        temp.location = step.location = nxt.location
        temps.append(temp)
        steps.append(step)
        next_values[i] = step.result
    loop.body.block.insert_ops_before([*temps, *steps], nxt)
    loop.operands = operands
    nxt.operands = next_values


@dataclass(frozen=True)
class TieLoopCarriedPass(ModulePass):
    """Copy every ptx.loop's carried scalars into registers of their own (module docstring)."""

    name = "tie-loop-carried"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        expect_level(op, "tie-loop-carried", "ptx")
        for loop in [o for o in op.walk() if isinstance(o, ptx.LoopOp)]:
            copy_loop_scalars(loop)
