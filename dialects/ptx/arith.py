"""PTX arithmetic: integer `opcode.ty d, a, b` (b a register or an immediate), moves,
conversions (integer widths, f32 <-> bf16/f16, packing and unpacking halves), compares,
selects and warp shuffles."""

from __future__ import annotations

from abc import ABC
from typing import ClassVar

from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.ptx.registers import (
    AccType,
    B16Type,
    B32Type,
    B64Type,
    F32Type,
    PredType,
    PtxOp,
    PtxRegisterType,
    Reg,
    _check_f32_element,
    _element,
    _i,
    _int_prop,
)


class BinaryOp(PtxOp, ABC):
    OPCODE: ClassVar[str]

    lhs = operand_def(PtxRegisterType)
    rhs = opt_operand_def(PtxRegisterType)
    imm = opt_prop_def(IntegerAttr)
    ty = prop_def(StringAttr)
    result = result_def(PtxRegisterType)

    def __init__(self, ty: str, lhs: SSAValue, rhs: SSAValue | int, result_type: Attribute):
        operands, props = ([lhs, []], {"imm": _int_prop(rhs)}) if isinstance(rhs, int) else ([lhs, [rhs]], {})
        super().__init__(operands=operands, result_types=[result_type], properties={"ty": StringAttr(ty), **props})

    def verify_(self) -> None:
        if (self.rhs is None) == (self.imm is None):
            raise VerifyException(f"{self.name} takes exactly one of a register or an immediate second operand")

    def assembly_line(self, reg: Reg) -> str:
        b = reg(self.rhs) if self.rhs is not None else str(_i(self.imm))
        return f"{self.OPCODE}{self.ty.data} {reg(self.result)}, {reg(self.lhs)}, {b};"


def _binary(cls_name: str, op_name: str, opcode: str, doc: str):
    cls = type(cls_name, (BinaryOp,), {"name": op_name, "OPCODE": opcode, "__doc__": doc,
                             "__annotations__": {"OPCODE": ClassVar[str]}})
    return irdl_op_definition(cls)


AddOp = _binary("AddOp", "ptx.add", "add", "`add`: d = a + b.")


SubOp = _binary("SubOp", "ptx.sub", "sub", "`sub`: d = a - b.")


MulLoOp = _binary("MulLoOp", "ptx.mul_lo", "mul.lo", "`mul.lo`: low half of a * b.")


MulWideOp = _binary("MulWideOp", "ptx.mul_wide", "mul.wide", "`mul.wide`: the full 64-bit product of two 32-bit values.")


DivOp = _binary("DivOp", "ptx.div", "div", "`div`: integer quotient.")


RemOp = _binary("RemOp", "ptx.rem", "rem", "`rem`: integer remainder.")


AndOp = _binary("AndOp", "ptx.and", "and", "`and`: bitwise and.")


OrOp = _binary("OrOp", "ptx.or", "or", "`or`: bitwise or.")


XorOp = _binary("XorOp", "ptx.xor", "xor", "`xor`: bitwise exclusive or.")


ShlOp = _binary("ShlOp", "ptx.shl", "shl", "`shl`: shift left.")


ShrOp = _binary("ShrOp", "ptx.shr", "shr", "`shr`: shift right.")


MinOp = _binary("MinOp", "ptx.min", "min", "`min`: the smaller of a and b.")


MaxOp = _binary("MaxOp", "ptx.max", "max", "`max`: the larger of a and b.")


@irdl_op_definition
class MadLoOp(PtxOp):
    """`mad.lo`: d = a * b + c (low half), b a register or an immediate."""

    name = "ptx.mad_lo"
    a = operand_def(PtxRegisterType)
    b = opt_operand_def(PtxRegisterType)
    c = operand_def(PtxRegisterType)
    imm = opt_prop_def(IntegerAttr)
    ty = prop_def(StringAttr)
    result = result_def(PtxRegisterType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, ty: str, a: SSAValue, b: SSAValue | int, c: SSAValue, result_type: Attribute):
        operands, props = ([a, [], c], {"imm": _int_prop(b)}) if isinstance(b, int) else ([a, [b], c], {})
        super().__init__(operands=operands, result_types=[result_type], properties={"ty": StringAttr(ty), **props})

    def assembly_line(self, reg: Reg) -> str:
        b = reg(self.b) if self.b is not None else str(_i(self.imm))
        return f"mad.lo{self.ty.data} {reg(self.result)}, {reg(self.a)}, {b}, {reg(self.c)};"


@irdl_op_definition
class MovOp(PtxOp):
    """`mov`: d = a register, an immediate, a special register (`%tid.x`) or a symbol."""

    name = "ptx.mov"
    src = opt_operand_def(PtxRegisterType)
    imm = opt_prop_def(IntegerAttr)
    source = opt_prop_def(StringAttr)
    ty = prop_def(StringAttr)
    result = result_def(PtxRegisterType)

    def __init__(self, ty: str, value: int | str | SSAValue, result_type: Attribute):
        operands: list = [[]]
        if isinstance(value, SSAValue):
            operands, props = [[value]], {}
        elif isinstance(value, int):
            props = {"imm": _int_prop(value)}
        else:
            props = {"source": StringAttr(value)}
        super().__init__(operands=operands, result_types=[result_type], properties={"ty": StringAttr(ty), **props})

    def verify_(self) -> None:
        if sum(x is not None for x in (self.src, self.imm, self.source)) != 1:
            raise VerifyException("ptx.mov takes exactly one of a register, imm or source")

    def assembly_line(self, reg: Reg) -> str:
        if self.src is not None:
            src = reg(self.src)
        else:
            src = str(_i(self.imm)) if self.imm is not None else self.source.data  # type: ignore[union-attr]
        return f"mov{self.ty.data} {reg(self.result)}, {src};"


@irdl_op_definition
class CvtOp(PtxOp):
    """`cvt.to.from`: integer width conversion, or `cvt.f32.f16` of an f16 held in a .b16 register."""

    name = "ptx.cvt"
    src = operand_def(PtxRegisterType)
    to = prop_def(StringAttr)
    from_ = prop_def(StringAttr, prop_name="from")
    result = result_def(PtxRegisterType)

    def __init__(self, to: str, from_: str, src: SSAValue, result_type: Attribute):
        super().__init__(operands=[src], result_types=[result_type],
                         properties={"to": StringAttr(to), "from": StringAttr(from_)})

    def assembly_line(self, reg: Reg) -> str:
        return f"cvt{self.to.data}{self.from_.data} {reg(self.result)}, {reg(self.src)};"


@irdl_op_definition
class CvtaToGlobalOp(PtxOp):
    """`cvta.to.global.u64`: a generic pointer as a global-space address."""

    name = "ptx.cvta_to_global"
    src = operand_def(B64Type)
    result = result_def(B64Type)

    def assembly_line(self, reg: Reg) -> str:
        return f"cvta.to.global.u64 {reg(self.result)}, {reg(self.src)};"


@irdl_op_definition
class CvtaParamOp(PtxOp):
    """`cvta.param.u64`: the generic address of a kernel parameter (a tensor map)."""

    name = "ptx.cvta_param"
    src = operand_def(B64Type)
    result = result_def(B64Type)

    def assembly_line(self, reg: Reg) -> str:
        return f"cvta.param.u64 {reg(self.result)}, {reg(self.src)};"


@irdl_op_definition
class SetpOp(PtxOp):
    """`setp.cmp.ty p, a, b[, q]`: p = (a cmp b) [and q]."""

    name = "ptx.setp"
    lhs = operand_def(PtxRegisterType)
    rhs = opt_operand_def(PtxRegisterType)
    and_pred = opt_operand_def(PredType)
    imm = opt_prop_def(IntegerAttr)
    cmp = prop_def(StringAttr)
    ty = prop_def(StringAttr)
    result = result_def(PredType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, cmp: str, ty: str, lhs: SSAValue, rhs: SSAValue | int, and_pred: SSAValue | None = None):
        operands, props = ([lhs, [], []], {"imm": _int_prop(rhs)}) if isinstance(rhs, int) else ([lhs, [rhs], []], {})
        if and_pred is not None:
            operands[2] = [and_pred]
        super().__init__(operands=operands, result_types=[PredType.unallocated()],
                         properties={"cmp": StringAttr(cmp), "ty": StringAttr(ty), **props})

    def assembly_line(self, reg: Reg) -> str:
        b = reg(self.rhs) if self.rhs is not None else str(_i(self.imm))
        if self.and_pred is not None:
            return f"setp.{self.cmp.data}.and{self.ty.data} {reg(self.result)}, {reg(self.lhs)}, {b}, {reg(self.and_pred)};"
        return f"setp.{self.cmp.data}{self.ty.data} {reg(self.result)}, {reg(self.lhs)}, {b};"


@irdl_op_definition
class SelpOp(PtxOp):
    """`selp.b32 d, a, b, p`: d = p ? a : b."""

    name = "ptx.selp"
    a = operand_def(B32Type)
    b = operand_def(B32Type)
    pred = operand_def(PredType)
    result = result_def(B32Type)

    def __init__(self, a: SSAValue, b: SSAValue, pred: SSAValue):
        super().__init__(operands=[a, b, pred], result_types=[B32Type.unallocated()])

    def assembly_line(self, reg: Reg) -> str:
        return f"selp.b32 {reg(self.result)}, {reg(self.a)}, {reg(self.b)}, {reg(self.pred)};"


@irdl_op_definition
class ShflBflyOp(PtxOp):
    """`shfl.sync.bfly.b32 d, a, mask, 0x1f, 0xffffffff`: every lane of the warp reads `a` of
    lane (its lane xor `mask`)."""

    name = "ptx.shfl_bfly"
    value = operand_def(B32Type)
    mask = prop_def(IntegerAttr)
    result = result_def(B32Type)

    def __init__(self, value: SSAValue, mask: int):
        super().__init__(operands=[value], result_types=[B32Type.unallocated()], properties={"mask": _int_prop(mask)})

    def assembly_line(self, reg: Reg) -> str:
        return f"shfl.sync.bfly.b32 {reg(self.result)}, {reg(self.value)}, {_i(self.mask)}, 0x1f, 0xffffffff;"


@irdl_op_definition
class AddF32Op(PtxOp):
    """`add.f32 d, a, b`; `b` may be one element of an accumulator."""

    name = "ptx.add_f32"
    lhs = operand_def(F32Type)
    rhs = operand_def()
    element = opt_prop_def(IntegerAttr)
    result = result_def(F32Type)

    def __init__(self, lhs: SSAValue, rhs: SSAValue, element: int | None):
        props = {"element": _int_prop(element)} if element is not None else {}
        super().__init__(operands=[lhs, rhs], result_types=[F32Type.unallocated()], properties=props)

    def verify_(self) -> None:
        _check_f32_element(self, self.rhs, self.element)

    def assembly_line(self, reg: Reg) -> str:
        return f"add.f32 {reg(self.result)}, {reg(self.lhs)}, {_element(reg, self.rhs, self.element)};"


HALF_TYPES = ("bf16", "f16")


def _half(op: IRDLOperation) -> str:
    half = op.half.data  # type: ignore[attr-defined]
    if half not in HALF_TYPES:
        raise VerifyException(f"{op.name}: half type must be bf16 or f16, got '{half}'")
    return half


@irdl_op_definition
class CvtPackHalf2Op(PtxOp):
    """`cvt.rn.{bf16x2,f16x2}.f32 d, a, b` of accumulator elements `element + 1` (a, the upper
    half of d) and `element` (b, the lower half): two adjacent columns of C, packed."""

    name = "ptx.cvt_pack_half2"
    acc = operand_def(AccType)
    element = prop_def(IntegerAttr)
    half = prop_def(StringAttr)
    result = result_def(B32Type)

    def __init__(self, half: str, acc: SSAValue, element: int):
        super().__init__(operands=[acc], result_types=[B32Type.unallocated()],
                         properties={"half": StringAttr(half), "element": _int_prop(element)})

    def verify_(self) -> None:
        _half(self)

    def assembly_line(self, reg: Reg) -> str:
        e = _i(self.element)
        hi, lo = (_element(reg, self.acc, _int_prop(i)) for i in (e + 1, e))
        return f"cvt.rn.{self.half.data}x2.f32 {reg(self.result)}, {hi}, {lo};"


@irdl_op_definition
class CvtToHalfOp(PtxOp):
    """`cvt.rn.{bf16,f16}.f32 h, a`: round one f32 (a register, or an accumulator element)."""

    name = "ptx.cvt_to_half"
    value = operand_def()
    element = opt_prop_def(IntegerAttr)
    half = prop_def(StringAttr)
    result = result_def(B16Type)

    def __init__(self, half: str, value: SSAValue, element: int | None = None):
        props = {"half": StringAttr(half), **({"element": _int_prop(element)} if element is not None else {})}
        super().__init__(operands=[value], result_types=[B16Type.unallocated()], properties=props)

    def verify_(self) -> None:
        _half(self)

    def assembly_line(self, reg: Reg) -> str:
        return f"cvt.rn.{self.half.data}.f32 {reg(self.result)}, {_element(reg, self.value, self.element)};"


@irdl_op_definition
class CvtFromHalfOp(PtxOp):
    """`cvt.f32.{bf16,f16} f, h`: widen one half-precision value (exact)."""

    name = "ptx.cvt_from_half"
    value = operand_def(B16Type)
    half = prop_def(StringAttr)
    result = result_def(F32Type)

    def __init__(self, half: str, value: SSAValue):
        super().__init__(operands=[value], result_types=[F32Type.unallocated()], properties={"half": StringAttr(half)})

    def verify_(self) -> None:
        _half(self)

    def assembly_line(self, reg: Reg) -> str:
        return f"cvt.f32.{self.half.data} {reg(self.result)}, {reg(self.value)};"


@irdl_op_definition
class UnpackF16x2Op(PtxOp):
    """`mov.b32 {lo, hi}, %haccR`: the two f16 halves of packed accumulator register
    `register` of an f16x2 accumulator (lo: accumulator element 2R, hi: 2R + 1), as .b16
    registers for `cvt.f32.f16`.  A read of the accumulator registers."""

    name = "ptx.unpack_f16x2"
    acc = operand_def(AccType)
    register = prop_def(IntegerAttr)
    lo = result_def(B16Type)
    hi = result_def(B16Type)

    def __init__(self, acc: SSAValue, register: int):
        super().__init__(operands=[acc], result_types=[B16Type.unallocated(), B16Type.unallocated()],
                         properties={"register": _int_prop(register)})

    def verify_(self) -> None:
        ty = self.acc.type
        assert isinstance(ty, AccType)
        if not ty.is_f16x2:
            raise VerifyException(f"ptx.unpack_f16x2 unpacks packed f16 pairs, but {ty} holds f32 elements: "
                                  "read them directly")
        if not 0 <= _i(self.register) < ty.count.data:
            raise VerifyException(f"ptx.unpack_f16x2: register {_i(self.register)} is outside the accumulator's "
                                  f"{ty.count.data} registers")

    def assembly_line(self, reg: Reg) -> str:
        ty = self.acc.type
        assert isinstance(ty, AccType)
        r = _i(self.register)
        src = ty.register(r) if ty.is_allocated else f"{reg(self.acc)}[{r}]"
        return f"mov.b32 {{{reg(self.lo)}, {reg(self.hi)}}}, {src};"
