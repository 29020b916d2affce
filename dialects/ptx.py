"""The `ptx` dialect: PTX assembly, one op per instruction we emit.

Values live in PTX virtual registers whose types say whether the value has been given its
register yet, as in xDSL's riscv dialect: `!ptx.b32` is unallocated, `!ptx.b32<r7>` is `%r7`.
An accumulator tile is a range of f32 registers, `!ptx.acc<64>` before assignment and
`!ptx.acc<64 at 128>` (%acc128 ... %acc191) after, or of packed f16x2 registers for an f16
accumulator, `!ptx.acc<32, f16x2 at 0>` (%hacc0 ... %hacc31).  `assign-registers` gives every value its
register; `emit-ptx` prints the text and requires every register assigned.

Structured control flow (`ptx.if`, `ptx.loop`) is kept until printing so that loop-carried
values are visible to register assignment; the printer turns it into labels and branches.
Each op's `assembly_line` gives its PTX text for a register naming function.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import ClassVar

from xdsl.backend.register_type import RegisterType
from xdsl.dialects.builtin import ArrayAttr, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import (
    Attribute,
    Block,
    Dialect,
    ParametrizedAttribute,
    Region,
    SSAValue,
    TypeAttribute,
)
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import IsTerminator, NoTerminator, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.wgmma import WGMMA_TABLE, check_accumulator, check_shape

# --------------------------------------------------------------------------------------
# Register types
# --------------------------------------------------------------------------------------


class PtxRegisterType(RegisterType, ABC):
    """A PTX virtual register of one class; PTX has as many as we ask for."""

    PTX_CLASS: ClassVar[str]  # the .reg declaration type

    @classmethod
    def index_by_name(cls) -> dict[str, int]:
        return {}


@irdl_attr_definition
class PredType(PtxRegisterType):
    name = "ptx.pred"
    PTX_CLASS = ".pred"

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "p"


@irdl_attr_definition
class B32Type(PtxRegisterType):
    name = "ptx.b32"
    PTX_CLASS = ".b32"

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "r"


@irdl_attr_definition
class B16Type(PtxRegisterType):
    name = "ptx.b16"
    PTX_CLASS = ".b16"

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "rs"


@irdl_attr_definition
class B64Type(PtxRegisterType):
    name = "ptx.b64"
    PTX_CLASS = ".b64"

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "rd"


@irdl_attr_definition
class F32Type(PtxRegisterType):
    name = "ptx.f32"
    PTX_CLASS = ".f32"

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "f"


SCALAR_TYPES: tuple[type[PtxRegisterType], ...] = (PredType, B16Type, B32Type, B64Type, F32Type)


# Accumulator register elements: the PTX register name prefix and `.reg` type of a range.
# An f16x2 register packs two f16 accumulator elements (low half: the lower element index),
# as wgmma's .f16 D fragment wants: "N/4 .f16x2 registers" for m64nN.
ACC_ELEMENTS: dict[str, tuple[str, str]] = {"f32": ("acc", ".f32"), "f16x2": ("hacc", ".f16x2")}


@irdl_attr_definition
class AccType(ParametrizedAttribute, TypeAttribute):
    """`count` registers holding one accumulator tile per thread; `first` is the index of
    the first register once assigned, -1 before.  `element` is f32 (one accumulator element a
    register, `%acc` ranges, printed `!ptx.acc<64>`) or f16x2 (two f16 elements packed in a
    32-bit register, `%hacc` ranges, printed `!ptx.acc<32, f16x2>`)."""

    name = "ptx.acc"

    count: IntAttr
    first: IntAttr
    element: StringAttr

    def __init__(self, count: int, first: int = -1, element: str = "f32"):
        super().__init__(IntAttr(count), IntAttr(first), StringAttr(element))

    @property
    def is_allocated(self) -> bool:
        return self.first.data >= 0

    @property
    def is_f16x2(self) -> bool:
        return self.element.data == "f16x2"

    @property
    def prefix(self) -> str:
        """The register name prefix of this element's ranges (`acc`, `hacc`)."""
        return ACC_ELEMENTS[self.element.data][0]

    def register(self, element: int) -> str:
        """The register of accumulator element `element` (f32), or of packed register
        `element` (f16x2)."""
        return f"%{self.prefix}{self.first.data + element}"

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        parser.parse_punctuation("<")
        count = parser.parse_integer()
        element = "f32"
        if parser.parse_optional_punctuation(",") is not None:
            pos = parser.pos
            element = parser.parse_identifier()
            if element not in ACC_ELEMENTS:
                parser.raise_error(f"expected an accumulator element ({', '.join(ACC_ELEMENTS)})", pos, parser.pos)
        first = -1
        if parser.parse_optional_keyword("at") is not None:
            first = parser.parse_integer()
        parser.parse_punctuation(">")
        return [IntAttr(count), IntAttr(first), StringAttr(element)]

    def print_parameters(self, printer: Printer) -> None:
        element = f", {self.element.data}" if self.element.data != "f32" else ""
        suffix = f" at {self.first.data}" if self.is_allocated else ""
        printer.print_string(f"<{self.count.data}{element}{suffix}>")

    def verify(self) -> None:
        if self.element.data not in ACC_ELEMENTS:
            raise VerifyException(f"accumulator element must be one of {', '.join(ACC_ELEMENTS)}, "
                                  f"got '{self.element.data}'")


Reg = Callable[[SSAValue], str]


def _i(a: IntegerAttr | None) -> int | None:
    return None if a is None else a.value.data


@lru_cache(maxsize=4096)
def _int_prop(v: int) -> IntegerAttr:
    """An i64 property (attributes are immutable values, so equal ones are shared)."""
    return IntegerAttr(v, 64)


class PtxOp(IRDLOperation, ABC):
    """An op printed as one PTX instruction line."""

    def assembly_line(self, reg: Reg) -> str:
        raise NotImplementedError


# --------------------------------------------------------------------------------------
# Integer arithmetic: `opcode.ty d, a, b` where b is a register or an immediate
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------


@irdl_op_definition
class LdParamOp(PtxOp):
    """`ld.param`: load a scalar kernel parameter."""

    name = "ptx.ld_param"
    param = prop_def(StringAttr)
    ty = prop_def(StringAttr)
    result = result_def(PtxRegisterType)

    def __init__(self, ty: str, param: str, result_type: Attribute):
        super().__init__(result_types=[result_type], properties={"ty": StringAttr(ty), "param": StringAttr(param)})

    def assembly_line(self, reg: Reg) -> str:
        return f"ld.param{self.ty.data} {reg(self.result)}, [{self.param.data}];"


def _check_f32_element(op: IRDLOperation, value: SSAValue, element: IntegerAttr | None) -> None:
    """An op that reads one f32 accumulator element: the accumulator must hold f32 elements."""
    if isinstance(value.type, AccType):
        if value.type.is_f16x2:
            raise VerifyException(f"{op.name} reads f32 accumulator elements, but {value.type} packs f16 pairs: "
                                  "unpack it with ptx.unpack_f16x2 and convert with cvt.f32.f16 first")
        if element is None:
            raise VerifyException(f"{op.name}: an accumulator operand needs an element index")


def _element(reg: Reg, value: SSAValue, element: IntegerAttr | None) -> str:
    if isinstance(value.type, AccType):
        if element is None:
            raise VerifyException("an accumulator operand needs an element index")
        return value.type.register(_i(element)) if value.type.is_allocated else f"{reg(value)}[{_i(element)}]"
    return reg(value)


class _GuardedLoadOp(PtxOp, ABC):
    """`ld.global<TYPE>`, guarded by an optional predicate.  Where the guard is false the
    result is `fallback`, whose register the result shares (assign-registers ties them):
    without one, a guarded load's register would be live-in from wherever it was last
    written."""

    TYPE: ClassVar[str]
    REGISTER: ClassVar[type[PtxRegisterType]]

    def __init__(self, addr: SSAValue, offset: int, guard: SSAValue | None, fallback: SSAValue | None = None):
        super().__init__(operands=[addr, [guard] if guard is not None else [], [fallback] if fallback is not None else []],
                         result_types=[self.REGISTER.unallocated()], properties={"offset": _int_prop(offset)})

    def assembly_line(self, reg: Reg) -> str:
        g = f"@{reg(self.guard)} " if self.guard is not None else ""  # type: ignore[attr-defined]
        return f"{g}ld.global{self.TYPE} {reg(self.result)}, {_addr(reg, self.addr, self.offset)};"  # type: ignore[attr-defined]


@irdl_op_definition
class LdGlobalF32Op(_GuardedLoadOp):
    """`ld.global.f32` of one element of C (see _GuardedLoadOp)."""

    name = "ptx.ld_global_f32"
    TYPE: ClassVar[str] = ".f32"
    REGISTER: ClassVar[type[PtxRegisterType]] = F32Type
    addr = operand_def(B64Type)
    guard = opt_operand_def(PredType)
    fallback = opt_operand_def(F32Type)
    offset = prop_def(IntegerAttr)
    result = result_def(F32Type)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)


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


@irdl_op_definition
class StGlobalF32Op(PtxOp):
    """`st.global.f32`, guarded by an optional predicate; the value may be one element of an
    accumulator (a read of accumulator registers)."""

    name = "ptx.st_global_f32"
    addr = operand_def(B64Type)
    value = operand_def()
    guard = opt_operand_def(PredType)
    offset = prop_def(IntegerAttr)
    element = opt_prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, addr: SSAValue, offset: int, value: SSAValue, guard: SSAValue | None, element: int | None):
        props = {"offset": _int_prop(offset)}
        if element is not None:
            props["element"] = _int_prop(element)
        super().__init__(operands=[addr, value, [guard] if guard is not None else []], properties=props)

    def verify_(self) -> None:
        _check_f32_element(self, self.value, self.element)

    def assembly_line(self, reg: Reg) -> str:
        g = f"@{reg(self.guard)} " if self.guard is not None else ""
        return f"{g}st.global.f32 {_addr(reg, self.addr, self.offset)}, {_element(reg, self.value, self.element)};"


@irdl_op_definition
class RedGlobalAddF32Op(PtxOp):
    """`red.relaxed.gpu.global.add.f32 [addr+offset], value`: atomically adds `value` (one
    element of an accumulator, a read of its registers) to the f32 in global memory,
    guarded by an optional predicate.  Relaxed, GPU scope: the split-K reduction into C,
    whose adds need no order among themselves."""

    name = "ptx.red_global_add_f32"
    addr = operand_def(B64Type)
    value = operand_def()
    guard = opt_operand_def(PredType)
    offset = prop_def(IntegerAttr)
    element = opt_prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, addr: SSAValue, offset: int, value: SSAValue, guard: SSAValue | None, element: int | None):
        props = {"offset": _int_prop(offset)}
        if element is not None:
            props["element"] = _int_prop(element)
        super().__init__(operands=[addr, value, [guard] if guard is not None else []], properties=props)

    def assembly_line(self, reg: Reg) -> str:
        g = f"@{reg(self.guard)} " if self.guard is not None else ""
        return (f"{g}red.relaxed.gpu.global.add.f32 {_addr(reg, self.addr, self.offset)}, "
                f"{_element(reg, self.value, self.element)};")


@irdl_op_definition
class StGlobalV2F32Op(PtxOp):
    """`st.global.v2.f32 [addr+offset], {a, b}` of accumulator elements `element` and
    `element + 1` (8 contiguous bytes)."""

    name = "ptx.st_global_v2_f32"
    addr = operand_def(B64Type)
    acc = operand_def(AccType)
    offset = prop_def(IntegerAttr)
    element = prop_def(IntegerAttr)

    def __init__(self, addr: SSAValue, offset: int, acc: SSAValue, element: int):
        super().__init__(operands=[addr, acc], properties={"offset": _int_prop(offset), "element": _int_prop(element)})

    def verify_(self) -> None:
        _check_f32_element(self, self.acc, self.element)

    def assembly_line(self, reg: Reg) -> str:
        e = _i(self.element)
        a, b = (_element(reg, self.acc, _int_prop(i)) for i in (e, e + 1))
        return f"st.global.v2.f32 {_addr(reg, self.addr, self.offset)}, {{{a}, {b}}};"


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
class LdGlobalB16Op(_GuardedLoadOp):
    """`ld.global.b16` of one bf16/f16 element of C (see _GuardedLoadOp)."""

    name = "ptx.ld_global_b16"
    TYPE: ClassVar[str] = ".b16"
    REGISTER: ClassVar[type[PtxRegisterType]] = B16Type
    addr = operand_def(B64Type)
    guard = opt_operand_def(PredType)
    fallback = opt_operand_def(B16Type)
    offset = prop_def(IntegerAttr)
    result = result_def(B16Type)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)


@irdl_op_definition
class StGlobalBitsOp(PtxOp):
    """`st.global.b16` or `st.global.b32` of a register (one or two packed half-precision
    elements of C), guarded by an optional predicate."""

    name = "ptx.st_global_bits"
    addr = operand_def(B64Type)
    value = operand_def(B16Type | B32Type)
    guard = opt_operand_def(PredType)
    offset = prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, addr: SSAValue, offset: int, value: SSAValue, guard: SSAValue | None = None):
        super().__init__(operands=[addr, value, [guard] if guard is not None else []],
                         properties={"offset": _int_prop(offset)})

    def assembly_line(self, reg: Reg) -> str:
        g = f"@{reg(self.guard)} " if self.guard is not None else ""
        bits = 16 if isinstance(self.value.type, B16Type) else 32
        return f"{g}st.global.b{bits} {_addr(reg, self.addr, self.offset)}, {reg(self.value)};"


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
class StGlobalV2B32Op(PtxOp):
    """`st.global.v2.b32 [addr+offset], {a, b}`: 8 contiguous bytes (4 packed halves of C)."""

    name = "ptx.st_global_v2_b32"
    addr = operand_def(B64Type)
    lo = operand_def(B32Type)
    hi = operand_def(B32Type)
    offset = prop_def(IntegerAttr)

    def __init__(self, addr: SSAValue, offset: int, lo: SSAValue, hi: SSAValue):
        super().__init__(operands=[addr, lo, hi], properties={"offset": _int_prop(offset)})

    def assembly_line(self, reg: Reg) -> str:
        return f"st.global.v2.b32 {_addr(reg, self.addr, self.offset)}, {{{reg(self.lo)}, {reg(self.hi)}}};"


@irdl_op_definition
class StGlobalV2F32ValuesOp(PtxOp):
    """`st.global.v2.f32 [addr+offset], {a, b}` of two f32 registers (8 contiguous bytes)."""

    name = "ptx.st_global_v2_f32_values"
    addr = operand_def(B64Type)
    a = operand_def(F32Type)
    b = operand_def(F32Type)
    offset = prop_def(IntegerAttr)

    def __init__(self, addr: SSAValue, offset: int, a: SSAValue, b: SSAValue):
        super().__init__(operands=[addr, a, b], properties={"offset": _int_prop(offset)})

    def assembly_line(self, reg: Reg) -> str:
        return f"st.global.v2.f32 {_addr(reg, self.addr, self.offset)}, {{{reg(self.a)}, {reg(self.b)}}};"


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


# --------------------------------------------------------------------------------------
# Barriers, mbarriers, bulk tensor copies, register budgets
# --------------------------------------------------------------------------------------


def _addr(reg: Reg, base: SSAValue, offset: IntegerAttr | None) -> str:
    off = _i(offset) or 0
    return f"[{reg(base)}+{off}]" if off else f"[{reg(base)}]"


@irdl_op_definition
class BarSyncOp(PtxOp):
    """`bar.sync 0`: all threads of the block."""

    name = "ptx.bar_sync"

    def assembly_line(self, reg: Reg) -> str:
        return "bar.sync 0;"


@irdl_op_definition
class NamedBarrierOp(PtxOp):
    """`bar.sync id, count` (wait until `count` threads have reached barrier `id`) or
    `bar.arrive id, count` (count this thread's warp in, without waiting); `id` a register."""

    name = "ptx.named_barrier"
    barrier = operand_def(B32Type)
    mode = prop_def(StringAttr)  # sync | arrive
    count = prop_def(IntegerAttr)

    def __init__(self, mode: str, barrier: SSAValue, count: int):
        super().__init__(operands=[barrier], properties={"mode": StringAttr(mode), "count": _int_prop(count)})

    def verify_(self) -> None:
        if self.mode.data not in ("sync", "arrive"):
            raise VerifyException(f"named barrier mode must be sync or arrive, got '{self.mode.data}'")
        if _i(self.count) % 32:
            raise VerifyException(f"named barrier count must be a multiple of 32 (whole warps), got {_i(self.count)}")

    def assembly_line(self, reg: Reg) -> str:
        return f"bar.{self.mode.data} {reg(self.barrier)}, {_i(self.count)};"


@irdl_op_definition
class SetmaxnregOp(PtxOp):
    """`setmaxnreg.{inc,dec}.sync.aligned.u32 N`: this warpgroup's per-thread register budget."""

    name = "ptx.setmaxnreg"
    action = prop_def(StringAttr)
    count = prop_def(IntegerAttr)

    def assembly_line(self, reg: Reg) -> str:
        return f"setmaxnreg.{self.action.data}.sync.aligned.u32 {_i(self.count)};"


@irdl_op_definition
class MbarrierInitOp(PtxOp):
    """`mbarrier.init.shared::cta.b64 [addr], count`."""

    name = "ptx.mbarrier_init"
    addr = operand_def(B32Type)
    offset = prop_def(IntegerAttr)
    count = prop_def(IntegerAttr)

    def assembly_line(self, reg: Reg) -> str:
        return f"mbarrier.init.shared::cta.b64 {_addr(reg, self.addr, self.offset)}, {_i(self.count)};"


@irdl_op_definition
class FenceMbarrierInitOp(PtxOp):
    """`fence.mbarrier_init.release.cluster`: publish mbarrier initialisation."""

    name = "ptx.fence_mbarrier_init"

    def assembly_line(self, reg: Reg) -> str:
        return "fence.mbarrier_init.release.cluster;"


@irdl_op_definition
class FenceProxyAsyncOp(PtxOp):
    """`fence.proxy.async.shared::cta`."""

    name = "ptx.fence_proxy_async"

    def assembly_line(self, reg: Reg) -> str:
        return "fence.proxy.async.shared::cta;"


@irdl_op_definition
class MbarrierArriveOp(PtxOp):
    """`mbarrier.arrive.shared::cta.b64 _, [addr]`."""

    name = "ptx.mbarrier_arrive"
    addr = operand_def(B32Type)
    offset = opt_prop_def(IntegerAttr)

    def assembly_line(self, reg: Reg) -> str:
        return f"mbarrier.arrive.shared::cta.b64 _, {_addr(reg, self.addr, self.offset)};"


@irdl_op_definition
class MapaOp(PtxOp):
    """`mapa.shared::cluster.u32 d, a, rank`: the shared::cluster address of the shared
    variable at `a` in the CTA of the cluster with rank `rank`."""

    name = "ptx.mapa"
    addr = operand_def(B32Type)
    rank = operand_def(B32Type)
    result = result_def(B32Type)

    def assembly_line(self, reg: Reg) -> str:
        return f"mapa.shared::cluster.u32 {reg(self.result)}, {reg(self.addr)}, {reg(self.rank)};"


@irdl_op_definition
class MbarrierArriveClusterOp(PtxOp):
    """`mbarrier.arrive.shared::cluster.b64 _, [addr]`: arrive on an mbarrier of any CTA of
    the cluster (addr from ptx.mapa), with the default release at CTA scope.  (`.release
    .cluster` would put a GPU-wide MEMBAR before every arrival, measured 2.2x slower.)"""

    name = "ptx.mbarrier_arrive_cluster"
    addr = operand_def(B32Type)

    def assembly_line(self, reg: Reg) -> str:
        return f"mbarrier.arrive.shared::cluster.b64 _, [{reg(self.addr)}];"


@irdl_op_definition
class BarrierClusterOp(PtxOp):
    """`barrier.cluster.arrive.release; barrier.cluster.wait.acquire;`: every thread of every
    CTA of the cluster gets here before any goes on."""

    name = "ptx.barrier_cluster"

    def assembly_line(self, reg: Reg) -> str:
        return "barrier.cluster.arrive.release;\n\tbarrier.cluster.wait.acquire;"


@irdl_op_definition
class MbarrierArriveExpectTxOp(PtxOp):
    """`mbarrier.arrive.expect_tx.shared::cta.b64 _, [addr], bytes`."""

    name = "ptx.mbarrier_arrive_expect_tx"
    addr = operand_def(B32Type)
    bytes = prop_def(IntegerAttr)

    def assembly_line(self, reg: Reg) -> str:
        return f"mbarrier.arrive.expect_tx.shared::cta.b64 _, [{reg(self.addr)}], {_i(self.bytes)};"


@irdl_op_definition
class MbarrierTryWaitParityOp(PtxOp):
    """`mbarrier.try_wait.parity.shared::cta.b64 p, [addr], parity`."""

    name = "ptx.mbarrier_try_wait_parity"
    addr = operand_def(B32Type)
    parity = operand_def(B32Type)
    result = result_def(PredType)

    def assembly_line(self, reg: Reg) -> str:
        return f"mbarrier.try_wait.parity.shared::cta.b64 {reg(self.result)}, [{reg(self.addr)}], {reg(self.parity)};"


@irdl_op_definition
class CpAsyncBulkTensor2dOp(PtxOp):
    """`cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes`:
    a TMA load of the box at coordinates (c0, c1) into shared memory, completing on mbar;
    with `cta_mask`, `.multicast::cluster`: the box lands at the same offset, and completes
    the barrier at the same offset, in every CTA of the cluster named by the mask."""

    name = "ptx.cp_async_bulk_tensor_2d"
    dst = operand_def(B32Type)
    tensor_map = operand_def(B64Type)
    c0 = operand_def(B32Type)
    c1 = operand_def(B32Type)
    mbar = operand_def(B32Type)
    cta_mask = opt_operand_def(B16Type)
    dst_offset = prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def assembly_line(self, reg: Reg) -> str:
        multicast = ".multicast::cluster" if self.cta_mask is not None else ""
        mask = f", {reg(self.cta_mask)}" if self.cta_mask is not None else ""
        return ("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
                f"{multicast} {_addr(reg, self.dst, self.dst_offset)}, [{reg(self.tensor_map)}, "
                f"{{{reg(self.c0)}, {reg(self.c1)}}}], [{reg(self.mbar)}]{mask};")


# --------------------------------------------------------------------------------------
# wgmma
# --------------------------------------------------------------------------------------


def _acc_list(value: SSAValue) -> str:
    ty = value.type
    assert isinstance(ty, AccType)
    if not ty.is_allocated:
        raise VerifyException("accumulator registers are not assigned: run assign-registers first")
    return "{" + ", ".join(ty.register(i) for i in range(ty.count.data)) + "}"


@irdl_op_definition
class WgmmaFenceOp(PtxOp):
    """`wgmma.fence.sync.aligned`."""

    name = "ptx.wgmma_fence"

    def assembly_line(self, reg: Reg) -> str:
        return "wgmma.fence.sync.aligned;"


@irdl_op_definition
class WgmmaMmaAsyncOp(PtxOp):
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
class WgmmaMmaAsyncRsOp(PtxOp):
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
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def verify_(self) -> None:
        if (why := check_shape(self.dtype.data, 64, _i(self.n))) is not None:
            raise VerifyException(why)
        ty = self.result.type
        assert isinstance(ty, AccType)
        if ty.count.data != _i(self.n) // 2:
            raise VerifyException(f"m64n{_i(self.n)} f32 accumulator has {_i(self.n) // 2} registers, got {ty.count.data}")
        if len(self.a) != 4:
            raise VerifyException(f"an RS wgmma takes 4 A registers per thread, got {len(self.a)}")

    def assembly_line(self, reg: Reg) -> str:
        kind = WGMMA_TABLE[self.dtype.data]
        tail = "" if not kind.transpose else ", 0"  # imm-trans-b only: A in registers is K-major
        a = ", ".join(reg(v) for v in self.a)
        return (f"wgmma.mma_async.sync.aligned.m64n{_i(self.n)}k{kind.k}.f32.{kind.ptx}.{kind.ptx} "
                f"{_acc_list(self.result)}, {{{a}}}, {reg(self.desc_b)}, {_i(self.scale_d)}, 1, 1{tail};")


@irdl_op_definition
class LdmatrixX4Op(PtxOp):
    """`ldmatrix.sync.aligned.m8n8.x4.shared.b16 {d0, d1, d2, d3}, [addr+offset]`: four 8x8
    matrices of 16-bit elements (8 rows of 16 bytes each); lane l gives the shared address of
    row l % 8 of matrix l / 8, and register j of lane l receives bytes 4 (l % 4) .. + 3 of row
    l / 4 of matrix j."""

    name = "ptx.ldmatrix_x4"
    addr = operand_def(B32Type)
    offset = prop_def(IntegerAttr)
    d = var_result_def(B32Type)

    def __init__(self, addr: SSAValue, offset: int):
        super().__init__(operands=[addr], result_types=[[B32Type.unallocated() for _ in range(4)]],
                         properties={"offset": _int_prop(offset)})

    def assembly_line(self, reg: Reg) -> str:
        d = ", ".join(reg(v) for v in self.d)
        return f"ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{d}}}, {_addr(reg, self.addr, self.offset)};"


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
class WgmmaWaitGroupOp(PtxOp):
    """`wgmma.wait_group.sync.aligned N`; its results are its accumulator operands, in the
    same registers, now safe to read once N is 0."""

    name = "ptx.wgmma_wait_group"
    accumulators = var_operand_def(AccType)
    results_ = var_result_def(AccType)
    pending = prop_def(IntegerAttr)

    def assembly_line(self, reg: Reg) -> str:
        return f"wgmma.wait_group.sync.aligned {_i(self.pending)};"


# --------------------------------------------------------------------------------------
# Structure: entry, structured control flow, labels
# --------------------------------------------------------------------------------------


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
class LoopOp(IRDLOperation):
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


@irdl_op_definition
class BreakIfOp(IRDLOperation):
    """Leaves the enclosing ptx.loop when `cond` holds, with the current carried values."""

    name = "ptx.break_if"
    cond = operand_def(PredType)


@irdl_op_definition
class NextOp(IRDLOperation):
    """Ends a ptx.loop iteration, giving the carried values of the next one."""

    name = "ptx.next"
    values = var_operand_def()
    traits = traits_def(IsTerminator())

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[values])


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


# --------------------------------------------------------------------------------------
# Foreign PTX: a flat form for PTX we did not emit (nvcc, NVRTC, Triton), read by
# `exo_gpu.ptxas.reader`.  Registers are kept by name (strings), not as SSA values, because
# foreign code redefines them freely; every op keeps its PTX line, its source location from
# `.loc` (when present) and its original text, so that diagnostics can point back at it.
# --------------------------------------------------------------------------------------


def _strs(values: Sequence[str]) -> ArrayAttr:
    return ArrayAttr([StringAttr(v) for v in values])


class FlatOp(IRDLOperation, ABC):
    """An instruction of foreign PTX: its PTX line, source location, text and guard."""

    line = prop_def(IntegerAttr)
    src = opt_prop_def(StringAttr)  # "file.cu:12" from the last `.loc`, if any
    text = prop_def(StringAttr)
    guard = opt_prop_def(StringAttr)  # "%p" or "!%p"

    @property
    def ptx_line(self) -> int:
        return self.line.value.data

    @property
    def source(self) -> str | None:
        return None if self.src is None else self.src.data


@irdl_op_definition
class FlatFuncOp(IRDLOperation):
    """A `.entry` or `.func` of foreign PTX as a flat list of ptx.instr / ptx.mma / ptx.label /
    ptx.branch ops (no structured control flow).  `extern` marks a declaration without a body;
    `directives` keeps `.maxntid`, `.maxnreg`, ... as text."""

    name = "ptx.func"
    sym_name = prop_def(StringAttr)
    kind = prop_def(StringAttr)  # "entry" or "func"
    extern = prop_def(IntegerAttr)
    line = prop_def(IntegerAttr)
    directives = prop_def(ArrayAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(self, name: str, kind: str, line: int, directives: Sequence[str] = (), extern: bool = False):
        super().__init__(regions=[Region(Block())], properties={
            "sym_name": StringAttr(name), "kind": StringAttr(kind), "line": _int_prop(line),
            "directives": _strs(directives), "extern": _int_prop(int(extern))})


@irdl_op_definition
class OpaqueInstrOp(FlatOp):
    """Any foreign instruction we do not model: its opcode, operands (as text), and which
    registers it reads and writes.  Calls keep their callee, labels' users their target."""

    name = "ptx.instr"
    opcode = prop_def(StringAttr)
    operands_ = prop_def(ArrayAttr, prop_name="args")
    reads = prop_def(ArrayAttr)
    writes = prop_def(ArrayAttr)
    callee = opt_prop_def(StringAttr)

    def __init__(self, opcode: str, args: Sequence[str], reads: Sequence[str], writes: Sequence[str], *, line: int,
                 text: str, src: str | None = None, guard: str | None = None, callee: str | None = None):
        props = {"opcode": StringAttr(opcode), "args": _strs(args), "reads": _strs(reads), "writes": _strs(writes),
                 "line": _int_prop(line), "text": StringAttr(text)}
        for k, v in (("src", src), ("guard", guard), ("callee", callee)):
            if v is not None:
                props[k] = StringAttr(v)
        super().__init__(properties=props)

    @property
    def read_regs(self) -> list[str]:
        return [a.data for a in self.reads.data]  # type: ignore[attr-defined]

    @property
    def write_regs(self) -> list[str]:
        return [a.data for a in self.writes.data]  # type: ignore[attr-defined]

    @property
    def args(self) -> list[str]:
        return [a.data for a in self.operands_.data]  # type: ignore[attr-defined]


@irdl_op_definition
class ForeignMmaOp(FlatOp):
    """A parsed `wgmma.mma_async` of foreign PTX: its shape and types, the accumulator
    registers it reads (unless scale-d is the immediate 0) and writes asynchronously, its A
    operand (a descriptor register, or the A fragment registers of an RS wgmma), the B
    descriptor, and scale-d (`"0"`, `"1"` or a predicate register)."""

    name = "ptx.mma"
    shape = prop_def(StringAttr)  # "m64n128k8"
    types = prop_def(StringAttr)  # "f32.tf32.tf32"
    acc = prop_def(ArrayAttr)
    a_regs = prop_def(ArrayAttr)  # RS: the A fragment registers; SS: empty
    a_desc = prop_def(StringAttr)  # SS: the A descriptor register (or an immediate); RS: ""
    b_desc = prop_def(StringAttr)
    scale_d = prop_def(StringAttr)

    def __init__(self, shape: str, types: str, acc: Sequence[str], a_regs: Sequence[str], a_desc: str, b_desc: str,
                 scale_d: str, *, line: int, text: str, src: str | None = None, guard: str | None = None):
        props = {"shape": StringAttr(shape), "types": StringAttr(types), "acc": _strs(acc), "a_regs": _strs(a_regs),
                 "a_desc": StringAttr(a_desc), "b_desc": StringAttr(b_desc), "scale_d": StringAttr(scale_d),
                 "line": _int_prop(line), "text": StringAttr(text)}
        for k, v in (("src", src), ("guard", guard)):
            if v is not None:
                props[k] = StringAttr(v)
        super().__init__(properties=props)

    @property
    def acc_regs(self) -> list[str]:
        return [a.data for a in self.acc.data]  # type: ignore[attr-defined]

    @property
    def a_fragment(self) -> list[str]:
        return [a.data for a in self.a_regs.data]  # type: ignore[attr-defined]


@irdl_op_definition
class FlatLabelOp(FlatOp):
    """A label of foreign PTX (a branch target)."""

    name = "ptx.flat_label"
    label = prop_def(StringAttr)

    def __init__(self, label: str, *, line: int, src: str | None = None):
        props = {"label": StringAttr(label), "line": _int_prop(line), "text": StringAttr(f"{label}:")}
        if src is not None:
            props["src"] = StringAttr(src)
        super().__init__(properties=props)


@irdl_op_definition
class FlatBranchOp(FlatOp):
    """`[@[!]p] bra[.uni] target` of foreign PTX; `guard` unset means unconditional."""

    name = "ptx.branch"
    target = prop_def(StringAttr)
    reads = prop_def(ArrayAttr)

    def __init__(self, target: str, reads: Sequence[str], *, line: int, text: str, src: str | None = None,
                 guard: str | None = None):
        props = {"target": StringAttr(target), "reads": _strs(reads), "line": _int_prop(line), "text": StringAttr(text)}
        for k, v in (("src", src), ("guard", guard)):
            if v is not None:
                props[k] = StringAttr(v)
        super().__init__(properties=props)


Ptx = Dialect(
    "ptx",
    [AddOp, SubOp, MulLoOp, MulWideOp, DivOp, RemOp, AndOp, OrOp, XorOp, ShlOp, ShrOp, MinOp, MadLoOp, MovOp,
     CvtOp, CvtaToGlobalOp, CvtaParamOp, SetpOp, LdParamOp, LdGlobalF32Op, AddF32Op, StGlobalF32Op, StGlobalV2F32Op,
     RedGlobalAddF32Op, StGlobalV2F32ValuesOp, UnpackF16x2Op, BarSyncOp,
     SelpOp, ShflBflyOp, StGlobalV2B32Op, CvtPackHalf2Op, CvtToHalfOp, CvtFromHalfOp, LdGlobalB16Op, StGlobalBitsOp,
     NamedBarrierOp,
     SetmaxnregOp, MbarrierInitOp, FenceMbarrierInitOp, FenceProxyAsyncOp, MbarrierArriveOp,
     MbarrierArriveExpectTxOp, MbarrierTryWaitParityOp, CpAsyncBulkTensor2dOp, MapaOp,
     MbarrierArriveClusterOp, BarrierClusterOp, WgmmaFenceOp,
     WgmmaMmaAsyncOp, WgmmaMmaAsyncRsOp, LdmatrixX4Op, AccUndefOp, WgmmaCommitGroupOp, WgmmaWaitGroupOp, EntryOp, IfOp, LoopOp, BreakIfOp,
     NextOp, LabelOp, BraOp, RetOp, FlatFuncOp, OpaqueInstrOp, ForeignMmaOp, FlatLabelOp, FlatBranchOp],
    [PredType, B16Type, B32Type, B64Type, F32Type, AccType],
)
