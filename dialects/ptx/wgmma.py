"""PTX wgmma: fence, the SS and RS forms of `wgmma.mma_async` on accumulator register
ranges, commit and wait groups, and an accumulator left undefined (scale-d = 0)."""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.irdl import (
    AttrSizedOperandSegments,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.ptx.registers import (
    AccType,
    B32Type,
    B64Type,
    PredType,
    PtxOp,
    Reg,
    RegisterTies,
    TiesRegisters,
    _acc_list,
    _i,
)
from exo_gpu.dialects.wgmma import WGMMA_TABLE, check_accumulator, check_shape


@irdl_op_definition
class WgmmaFenceOp(PtxOp):
    """`wgmma.fence.sync.aligned`."""

    name = "ptx.wgmma_fence"

    def assembly_line(self, reg: Reg) -> str:
        return "wgmma.fence.sync.aligned;"


@irdl_op_definition
class WgmmaMmaAsyncOp(PtxOp, TiesRegisters):
    """`wgmma.mma_async.sync.aligned.m64nNkK.D.T.T {d}, adesc, bdesc, scale-d, 1, 1[, ta, tb]`
    (ta, tb: imm-trans-a/b, printed for f16/bf16 only).

    D is f32 (N/2 `%acc` registers) or, for an f16x2 accumulator, f16 (N/4 packed `%hacc`
    registers; f16, e4m3 and e5m2 inputs only).  The result occupies the registers of `acc`
    (assign-registers ties them); without `acc` (scale-d = 0) it gets fresh registers.
    scale-d is the immediate `scale_d` unless the `scale_d_pred` operand gives it at run time."""

    name = "ptx.wgmma_mma_async"
    acc = opt_operand_def(AccType)
    desc_a = operand_def(B64Type)
    desc_b = operand_def(B64Type)
    scale_d_pred = opt_operand_def(PredType)
    result = result_def(AccType)
    dtype = prop_def(StringAttr)
    n = prop_def(IntegerAttr)
    scale_d = prop_def(IntegerAttr)
    trans_a = opt_prop_def(IntegerAttr)  # imm-trans-a (0 when absent): 1 = A M-major
    trans_b = opt_prop_def(IntegerAttr)  # imm-trans-b (0 when absent): 1 = B N-major
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def trans(self) -> tuple[int, int]:
        return (0 if self.trans_a is None else _i(self.trans_a), 0 if self.trans_b is None else _i(self.trans_b))

    def register_ties(self) -> RegisterTies:
        """The result is written into the accumulator operand's registers."""
        return RegisterTies(inouts=[(self.acc, self.result)] if self.acc is not None else [])

    def verify_(self) -> None:
        if (why := check_shape(self.dtype.data, 64, _i(self.n))) is not None:
            raise VerifyException(why)
        if any(t not in (0, 1) for t in self.trans()):
            raise VerifyException(f"trans_a and trans_b must be 0 or 1, got {self.trans()}")
        if any(self.trans()) and not WGMMA_TABLE[self.dtype.data].transpose:
            raise VerifyException(f"{self.dtype.data} wgmma has no imm-trans-a/imm-trans-b operands: "
                                  "trans_a and trans_b must be 0")
        ty = self.result.type
        assert isinstance(ty, AccType)
        d = "f16" if ty.is_f16x2 else "f32"
        if (why := check_accumulator(self.dtype.data, d)) is not None:
            raise VerifyException(why)
        per_thread = _i(self.n) // 4 if ty.is_f16x2 else _i(self.n) // 2
        if ty.count.data != per_thread:
            raise VerifyException(f"m64n{_i(self.n)} {d} accumulator has {per_thread} registers, got {ty.count.data}")
        if self.acc is not None and self.acc.type.element != ty.element:  # type: ignore[union-attr]
            raise VerifyException(f"accumulator operand {self.acc.type} and result {ty} hold different elements")

    def assembly_line(self, reg: Reg) -> str:
        kind = WGMMA_TABLE[self.dtype.data]
        scale_d = reg(self.scale_d_pred) if self.scale_d_pred is not None else str(_i(self.scale_d))
        tail = "" if not kind.transpose else ", {}, {}".format(*self.trans())
        d = "f16" if self.result.type.is_f16x2 else "f32"  # type: ignore[union-attr]
        return (f"wgmma.mma_async.sync.aligned.m64n{_i(self.n)}k{kind.k}.{d}.{kind.ptx}.{kind.ptx} "
                f"{_acc_list(self.result)}, {reg(self.desc_a)}, {reg(self.desc_b)}, {scale_d}, 1, 1{tail};")


@irdl_op_definition
class WgmmaMmaAsyncRsOp(PtxOp, TiesRegisters):
    """`wgmma.mma_async.sync.aligned.m64nNkK.f32.T.T {d}, {a0, a1, a2, a3}, bdesc, scale-d, 1, 1[, 0]`:
    the RS form, A from the four 32-bit registers `a` (see wgmma.load_fragment_a for their
    layout), B from a shared-memory descriptor, scale-d an immediate.  The result occupies
    the registers of `acc` as for ptx.wgmma_mma_async."""

    name = "ptx.wgmma_mma_async_rs"
    acc = opt_operand_def(AccType)
    a = var_operand_def(B32Type)
    desc_b = operand_def(B64Type)
    result = result_def(AccType)
    dtype = prop_def(StringAttr)
    n = prop_def(IntegerAttr)
    scale_d = prop_def(IntegerAttr)
    trans_b = opt_prop_def(IntegerAttr)  # imm-trans-b (0 when absent): 1 = B N-major
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def register_ties(self) -> RegisterTies:
        """The result is written into the accumulator operand's registers."""
        return RegisterTies(inouts=[(self.acc, self.result)] if self.acc is not None else [])

    def verify_(self) -> None:
        if (why := check_shape(self.dtype.data, 64, _i(self.n))) is not None:
            raise VerifyException(why)
        ty = self.result.type
        assert isinstance(ty, AccType)
        if ty.count.data != _i(self.n) // 2:
            raise VerifyException(f"m64n{_i(self.n)} f32 accumulator has {_i(self.n) // 2} registers, got {ty.count.data}")
        if len(self.a) != 4:
            raise VerifyException(f"an RS wgmma takes 4 A registers per thread, got {len(self.a)}")
        trans_b = 0 if self.trans_b is None else _i(self.trans_b)
        if trans_b not in (0, 1) or (trans_b and not WGMMA_TABLE[self.dtype.data].transpose):
            raise VerifyException(f"trans_b must be 0 or 1, and 0 for {self.dtype.data}, got {trans_b}")

    def assembly_line(self, reg: Reg) -> str:
        kind = WGMMA_TABLE[self.dtype.data]
        trans_b = 0 if self.trans_b is None else _i(self.trans_b)
        tail = "" if not kind.transpose else f", {trans_b}"  # imm-trans-b only: A in registers is K-major
        a = ", ".join(reg(v) for v in self.a)
        return (f"wgmma.mma_async.sync.aligned.m64n{_i(self.n)}k{kind.k}.f32.{kind.ptx}.{kind.ptx} "
                f"{_acc_list(self.result)}, {{{a}}}, {reg(self.desc_b)}, {_i(self.scale_d)}, 1, 1{tail};")


@irdl_op_definition
class AccUndefOp(PtxOp):
    """Names an accumulator register range without writing it (prints as a comment)."""

    name = "ptx.acc_undef"
    result = result_def(AccType)

    def assembly_line(self, reg: Reg) -> str:
        return f"// {reg(self.result)}.. left undefined: the first wgmma has scale-d = 0"


@irdl_op_definition
class WgmmaCommitGroupOp(PtxOp):
    """`wgmma.commit_group.sync.aligned`."""

    name = "ptx.wgmma_commit_group"

    def assembly_line(self, reg: Reg) -> str:
        return "wgmma.commit_group.sync.aligned;"


@irdl_op_definition
class WgmmaWaitGroupOp(PtxOp, TiesRegisters):
    """`wgmma.wait_group.sync.aligned N`; its results are its accumulator operands, in the
    same registers, now safe to read once N is 0."""

    name = "ptx.wgmma_wait_group"
    accumulators = var_operand_def(AccType)
    results_ = var_result_def(AccType)
    pending = prop_def(IntegerAttr)

    def register_ties(self) -> RegisterTies:
        """Each result is its accumulator operand, in the same registers."""
        return RegisterTies(inouts=list(zip(self.accumulators, self.results_)))

    def assembly_line(self, reg: Reg) -> str:
        return f"wgmma.wait_group.sync.aligned {_i(self.pending)};"
