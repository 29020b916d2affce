"""f32 arithmetic of the `ptx` dialect, for epilogues computed on accumulator registers.

`FloatOp` is one f32 instruction (`add.f32`, `fma.rn.f32`, `tanh.approx.f32`, ...) whose
sources are f32 registers or accumulator elements.  Its destination is either a fresh f32
register (the result, `!ptx.f32`) or, with a `dest` operand, one element of an accumulator
range written in place: the result is then the range after the write, in the same registers
(assign-registers ties it to `dest`, as it ties an mma's result to its accumulator).

    %f = ptx.fmul %a[3], %s : !ptx.acc<64>, !ptx.f32 -> !ptx.f32                mul.f32 %f1, %acc3, %f0;
    %b = ptx.fadd %a[3], %f into %a[3] : !ptx.acc<64>, !ptx.f32 -> !ptx.acc<64>  add.f32 %acc3, %acc3, %f1;
"""

from __future__ import annotations

import struct
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, FloatAttr, IntAttr, IntegerAttr, StringAttr, f32
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.ptx import AccType, F32Type, PredType, PtxOp, Reg
from exo_gpu.dialects.ptx.registers import RegisterTies, TiesRegisters

NO_ELEMENT = -1  # a source that is an f32 register, not an accumulator element


def _operand(reg: Reg, value: SSAValue, element: int) -> str:
    ty = value.type
    if isinstance(ty, AccType):
        return ty.register(element) if ty.is_allocated else f"{reg(value)}[{element}]"
    return reg(value)


class FloatOp(TiesRegisters, PtxOp):
    """`OPCODE d, s0[, s1[, s2]]` on f32 values (module docstring).  Written in place (`dest`),
    the result is `dest`'s range with one element overwritten: assign-registers ties them."""

    OPCODE: ClassVar[str]
    ARITY: ClassVar[int]

    dest = opt_operand_def(AccType)
    srcs = var_operand_def(F32Type | AccType)
    result = result_def(F32Type | AccType)
    elements = prop_def(ArrayAttr[IntAttr])  # per source: accumulator element, or -1
    dest_element = opt_prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, *srcs: tuple[SSAValue, int | None], dest: tuple[SSAValue, int] | None = None):
        """`srcs`: (value, element) pairs (element None for an f32 register); `dest`: (range,
        element) to write in place, or None for a fresh f32 result."""
        elements = ArrayAttr([IntAttr(NO_ELEMENT if e is None else e) for _, e in srcs])
        props: dict[str, Attribute] = {"elements": elements}
        if dest is not None:
            props["dest_element"] = IntegerAttr(dest[1], 64)
        result = dest[0].type if dest is not None else F32Type.unallocated()
        super().__init__(operands=[[dest[0]] if dest is not None else [], [v for v, _ in srcs]],
                         result_types=[result], properties=props)

    def register_ties(self) -> RegisterTies:
        return RegisterTies(inouts=[(self.dest, self.result)] if self.dest is not None else [])

    def src_elements(self) -> list[int]:
        return [e.data for e in self.elements.data]

    @classmethod
    def parse(cls, parser: Parser) -> FloatOp:
        """`%a[3], %f (into %d[3])? : types of the sources -> result type`."""
        def operand() -> tuple[object, int | None]:
            value = parser.parse_unresolved_operand()
            element = None
            if parser.parse_optional_punctuation("[") is not None:
                element = parser.parse_integer()
                parser.parse_punctuation("]")
            return value, element

        srcs = parser.parse_comma_separated_list(parser.Delimiter.NONE, operand)
        dest = operand() if parser.parse_optional_keyword("into") is not None else None
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        types = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_type)
        parser.parse_punctuation("->")
        result = parser.parse_type()
        values = [(parser.resolve_operand(v, t), e) for (v, e), t in zip(srcs, types, strict=True)]
        target = (parser.resolve_operand(dest[0], result), dest[1]) if dest is not None else None
        op = cls(*values, dest=target)  # type: ignore[arg-type]
        op.attributes.update(attrs)
        return op

    def print(self, printer: Printer) -> None:
        def operand(value: SSAValue, element: int) -> None:
            printer.print_operand(value)
            if element != NO_ELEMENT:
                printer.print_string(f"[{element}]")

        printer.print_string(" ")
        for i, (value, element) in enumerate(zip(self.srcs, self.src_elements())):
            printer.print_string(", " if i else "")
            operand(value, element)
        if self.dest is not None:
            printer.print_string(" into ")
            operand(self.dest, self.dest_element.value.data)  # type: ignore[union-attr]
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_list([v.type for v in self.srcs], printer.print_attribute)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    def verify_(self) -> None:
        if len(self.srcs) != self.ARITY:
            raise VerifyException(f"{self.name} takes {self.ARITY} sources, got {len(self.srcs)}")
        if len(self.elements.data) != len(self.srcs):
            raise VerifyException(f"{self.name}: one element index per source, got {len(self.elements.data)} "
                                  f"for {len(self.srcs)} sources")
        for value, element in zip(self.srcs, self.src_elements()):
            _check_source(self, value.type, element)
        if (self.dest is None) != (self.dest_element is None):
            raise VerifyException(f"{self.name}: an in-place destination needs both the range and its element")
        if self.dest is None:
            if not isinstance(self.result.type, F32Type):
                raise VerifyException(f"{self.name} without a destination range returns an f32 register")
            return
        _check_source(self, self.dest.type, self.dest_element.value.data)  # type: ignore[union-attr]
        if self.result.type != self.dest.type:
            raise VerifyException(f"{self.name}: the result {self.result.type} is the destination range "
                                  f"{self.dest.type} after the write and must have its type")

    def assembly_line(self, reg: Reg) -> str:
        if self.dest is not None:
            d = _operand(reg, self.dest, self.dest_element.value.data)  # type: ignore[union-attr]
        else:
            d = reg(self.result)
        srcs = ", ".join(_operand(reg, v, e) for v, e in zip(self.srcs, self.src_elements()))
        return f"{self.OPCODE} {d}, {srcs};"


def _check_source(op: FloatOp, ty: Attribute, element: int) -> None:
    if isinstance(ty, AccType):
        if ty.is_f16x2:
            raise VerifyException(f"{op.name} reads f32 accumulator elements, but {ty} packs f16 pairs")
        if not 0 <= element < ty.count.data:
            raise VerifyException(f"{op.name}: element {element} is outside the accumulator's {ty.count.data} registers")
    elif element != NO_ELEMENT:
        raise VerifyException(f"{op.name}: an f32 register source takes element -1, got {element}")


def _float(cls_name: str, op_name: str, opcode: str, arity: int, doc: str):
    cls = type(cls_name, (FloatOp,), {"name": op_name, "OPCODE": opcode, "ARITY": arity, "__doc__": doc,
                                      "__annotations__": {"OPCODE": ClassVar[str], "ARITY": ClassVar[int]}})
    return irdl_op_definition(cls)


FMovOp = _float("FMovOp", "ptx.fmov", "mov.f32", 1, "`mov.f32 d, a`.")
FAddOp = _float("FAddOp", "ptx.fadd", "add.f32", 2, "`add.f32 d, a, b` (round to nearest even).")
FSubOp = _float("FSubOp", "ptx.fsub", "sub.f32", 2, "`sub.f32 d, a, b`.")
FMulOp = _float("FMulOp", "ptx.fmul", "mul.f32", 2, "`mul.f32 d, a, b`.")
FDivOp = _float("FDivOp", "ptx.fdiv", "div.rn.f32", 2, "`div.rn.f32 d, a, b`: IEEE division.")
FMaxOp = _float("FMaxOp", "ptx.fmax", "max.f32", 2, "`max.f32 d, a, b` (NaN only if both are NaN).")
FNegOp = _float("FNegOp", "ptx.fneg", "neg.f32", 1, "`neg.f32 d, a`.")
FmaOp = _float("FmaOp", "ptx.fma", "fma.rn.f32", 3, "`fma.rn.f32 d, a, b, c`: a * b + c, rounded once.")
Ex2Op = _float("Ex2Op", "ptx.ex2", "ex2.approx.f32", 1, "`ex2.approx.f32 d, a`: 2^a (2 ulp).")
TanhOp = _float("TanhOp", "ptx.tanh", "tanh.approx.f32", 1, "`tanh.approx.f32 d, a` (sm_75+, ~2^-11 relative).")
Lg2Op = _float("Lg2Op", "ptx.lg2", "lg2.approx.f32", 1, "`lg2.approx.f32 d, a`: log2(a) (2^-22 absolute).")
RcpOp = _float("RcpOp", "ptx.rcp", "rcp.approx.ftz.f32", 1, "`rcp.approx.ftz.f32 d, a`: 1 / a (1 ulp).")


@irdl_op_definition
class FSetpOp(PtxOp):
    """`setp.CMP.f32 p, a, b`: an ordered f32 comparison of two sources (f32 registers or
    accumulator elements, as FloatOp's)."""

    name = "ptx.fsetp"
    srcs = var_operand_def(F32Type | AccType)
    elements = prop_def(ArrayAttr[IntAttr])
    cmp = prop_def(StringAttr)
    result = result_def(PredType)

    def __init__(self, cmp: str, a: tuple[SSAValue, int | None], b: tuple[SSAValue, int | None]):
        super().__init__(operands=[[a[0], b[0]]], result_types=[PredType.unallocated()],
                         properties={"cmp": StringAttr(cmp), "elements": _elements((a, b))})

    def verify_(self) -> None:
        if len(self.srcs) != 2:
            raise VerifyException(f"ptx.fsetp compares 2 sources, got {len(self.srcs)}")

    def assembly_line(self, reg: Reg) -> str:
        a, b = (_operand(reg, v, e.data) for v, e in zip(self.srcs, self.elements.data))
        return f"setp.{self.cmp.data}.f32 {reg(self.result)}, {a}, {b};"


@irdl_op_definition
class FSelpOp(TiesRegisters, PtxOp):
    """`selp.f32 d, a, b, p`: d = p ? a : b, into a fresh f32 register or, with `dest`, into
    one accumulator element in place (tied as for FloatOp)."""

    name = "ptx.fselp"
    dest = opt_operand_def(AccType)
    srcs = var_operand_def(F32Type | AccType)
    pred = operand_def(PredType)
    result = result_def(F32Type | AccType)
    elements = prop_def(ArrayAttr[IntAttr])
    dest_element = opt_prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, a: tuple[SSAValue, int | None], b: tuple[SSAValue, int | None], pred: SSAValue,
                 dest: tuple[SSAValue, int] | None = None):
        props: dict[str, Attribute] = {"elements": _elements((a, b))}
        if dest is not None:
            props["dest_element"] = IntegerAttr(dest[1], 64)
        super().__init__(operands=[[dest[0]] if dest is not None else [], [a[0], b[0]], [pred]],
                         result_types=[dest[0].type if dest is not None else F32Type.unallocated()],
                         properties=props)

    def register_ties(self) -> RegisterTies:
        return RegisterTies(inouts=[(self.dest, self.result)] if self.dest is not None else [])

    def assembly_line(self, reg: Reg) -> str:
        d = reg(self.result) if self.dest is None else _operand(reg, self.dest, self.dest_element.value.data)  # type: ignore[union-attr]
        a, b = (_operand(reg, v, e.data) for v, e in zip(self.srcs, self.elements.data))
        return f"selp.f32 {d}, {a}, {b}, {reg(self.pred)};"


def _elements(srcs) -> ArrayAttr:
    return ArrayAttr([IntAttr(NO_ELEMENT if e is None else e) for _, e in srcs])


def f32_bits(value: float) -> str:
    """PTX's hexadecimal f32 literal of `value` (`0f3F000000` for 0.5)."""
    return "0f" + struct.pack(">f", value).hex().upper()


@irdl_op_definition
class FConstOp(PtxOp):
    """`mov.f32 d, 0fXXXXXXXX`: an f32 constant in a register."""

    name = "ptx.fconst"
    value = prop_def(FloatAttr)
    result = result_def(F32Type)

    def __init__(self, value: float):
        super().__init__(result_types=[F32Type.unallocated()], properties={"value": FloatAttr(value, f32)})

    def assembly_line(self, reg: Reg) -> str:
        return f"mov.f32 {reg(self.result)}, {f32_bits(self.value.value.data)};"


@irdl_op_definition
class ShflBflyF32Op(PtxOp):
    """`shfl.sync.bfly.b32 d, a, mask, 0x1f, 0xffffffff` of an f32 register: every lane of the
    warp reads `a` of lane (its lane xor `mask`); all 32 lanes take part."""

    name = "ptx.shfl_bfly_f32"
    value = operand_def(F32Type)
    mask = prop_def(IntegerAttr)
    result = result_def(F32Type)

    def __init__(self, value: SSAValue, mask: int):
        super().__init__(operands=[value], result_types=[F32Type.unallocated()],
                         properties={"mask": IntegerAttr(mask, 64)})

    def assembly_line(self, reg: Reg) -> str:
        return f"shfl.sync.bfly.b32 {reg(self.result)}, {reg(self.value)}, {self.mask.value.data}, 0x1f, 0xffffffff;"


@irdl_op_definition
class AccFreshOp(PtxOp):
    """Names a fresh accumulator-shaped register range for an epilogue value that no
    accumulator's registers can hold in place (prints as a comment; its elements are
    written before they are read)."""

    name = "ptx.acc_fresh"
    result = result_def(AccType)

    def __init__(self, count: int):
        super().__init__(result_types=[AccType(count)])

    def assembly_line(self, reg: Reg) -> str:
        return f"// {reg(self.result)}..: a fresh range for an epilogue value"


OPS = [FMovOp, FAddOp, FSubOp, FMulOp, FDivOp, FMaxOp, FNegOp, FmaOp, Ex2Op, Lg2Op, TanhOp, RcpOp, FConstOp,
       ShflBflyF32Op, AccFreshOp, FSetpOp, FSelpOp]
