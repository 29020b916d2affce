"""Part of `lower-fragments`: values a k_loop carries that are not accumulators become scalars.

A row vector (online softmax's max and sum) is two f32 registers once lowered, an A fragment
(attention's P, packed by frag_pack_a and read by the next K block's P V) four 32-bit ones.
lower-to-ptx carries scalars through a loop (tie-loop-carried gives each its register), so a
k_loop carrying such a value carries its registers instead: the starting value and each
yielded value are split by a 1-to-N cast (folded once their producers are lowered,
`fold_split_casts`), and the body and the loop's result see the registers joined by an N-to-1
cast, as lowered row vectors and fragments are.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp, UnrealizedConversionCastOp
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.dialects.fragment import RowVectorType
from exo_gpu.dialects.warpgroup import KLoopOp, YieldOp
from exo_gpu.dialects.wgmma import FragmentAType


def _registers(ty) -> list | None:
    """The scalar registers a lowered value of type `ty` is, or None (an accumulator)."""
    if isinstance(ty, RowVectorType):
        return [ptx.F32Type.unallocated() for _ in range(2)]
    if isinstance(ty, FragmentAType):
        return [ptx.B32Type.unallocated() for _ in range(ty.registers_per_thread)]
    return None


def carry_as_scalars(loop: KLoopOp) -> None:
    """Rewrite `loop` to carry its row vectors and A fragments as their registers (module docstring)."""
    split = [i for i, v in enumerate(loop.iter_args) if _registers(v.type) is not None]
    if not split:
        return
    block, yield_op = loop.body.block, loop.body.block.last_op
    assert isinstance(yield_op, YieldOp)
    inits, nexts = list(loop.iter_args), list(yield_op.values)
    for i in reversed(split):
        ty = inits[i].type
        regs = _registers(ty)
        before = UnrealizedConversionCastOp.get([inits[i]], regs)
        loop.parent_block().insert_op_before(before, loop)
        inits[i:i + 1] = list(before.results)
        out = UnrealizedConversionCastOp.get([nexts[i]], [r for r in _registers(ty)])
        block.insert_op_before(out, yield_op)
        nexts[i:i + 1] = list(out.results)
        old = block.args[3 + i]
        args = [block.insert_arg(r, 3 + i + n) for n, r in enumerate(_registers(ty))]
        join = UnrealizedConversionCastOp.get(args, [ty])
        block.insert_op_before(join, block.first_op)
        old.replace_all_uses_with(join.results[0])
        block.erase_arg(old)
    block.insert_op_before(YieldOp(*nexts), yield_op)
    block.erase_op(yield_op)
    new = KLoopOp.create(operands=[loop.k_size, *inits], result_types=[v.type for v in inits],
                         properties=dict(loop.properties), regions=[loop.detach_region(loop.body)])
    new.location = loop.location
    loop.parent_block().insert_op_before(new, loop)
    position = 0
    for i, old in enumerate(loop.res):
        width = len(_registers(old.type) or [None]) if i in split else 1
        values = list(new.res[position:position + width])
        position += width
        if i in split:
            join = UnrealizedConversionCastOp.get(values, [old.type])
            loop.parent_block().insert_op_after(join, loop)
            values = [join.results[0]]
        old.replace_all_uses_with(values[0])
    loop.parent_block().erase_op(loop)


def fold_split_casts(module: ModuleOp) -> None:
    """A 1-to-N cast of a lowered row vector or fragment (an N-to-1 cast of its registers)
    reads those registers."""
    for op in list(module.walk()):
        if isinstance(op, UnrealizedConversionCastOp) and len(op.inputs) == 1 and len(op.outputs) > 1:
            inner = op.inputs[0].owner
            if not (isinstance(inner, UnrealizedConversionCastOp) and len(inner.inputs) == len(op.outputs)):
                raise DiagnosticException(f"lower-fragments: the value carried at {op.location} was not lowered")
            for out, value in zip(op.outputs, inner.inputs):
                out.replace_all_uses_with(value)
            Rewriter.erase_op(op)
