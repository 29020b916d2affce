"""PTX register types (`!ptx.b32`, `!ptx.acc<64>`, ...), the base of every op printed as one
PTX line (`PtxOp`), and the helpers the op families share (register, accumulator element
and address operands)."""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable, Sequence
from typing import ClassVar, NamedTuple

from xdsl.backend.register_type import RegisterType
from xdsl.dialects.builtin import IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import IRDLOperation, irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException


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


def _int_prop(v: int) -> IntegerAttr:
    return IntegerAttr(v, 64)


class RegisterTies(NamedTuple):
    """Values an op says must share one register (or accumulator register range), as xDSL's
    register-allocatable ops declare `inouts`: `inouts` are (operand, value) pairs where the op
    writes `value` into the registers of `operand`, overwriting it in place (an accumulator
    operand and the wgmma result); `aliases` are (a, b) pairs that are one value seen in two
    places (a loop's carried block argument and its result)."""

    inouts: Sequence[tuple[SSAValue, SSAValue]] = ()
    aliases: Sequence[tuple[SSAValue, SSAValue]] = ()


class TiesRegisters:
    """Interface of ops whose values must share registers with others: `assign-registers`
    gives each tied group one register (range), and rejects IR where that would need a copy."""

    def register_ties(self) -> RegisterTies:
        raise NotImplementedError


class PtxOp(IRDLOperation, ABC):
    """An op printed as one PTX instruction line."""

    def assembly_line(self, reg: Reg) -> str:
        raise NotImplementedError


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


def _addr(reg: Reg, base: SSAValue, offset: IntegerAttr | None) -> str:
    off = _i(offset) or 0
    return f"[{reg(base)}+{off}]" if off else f"[{reg(base)}]"


def _acc_list(value: SSAValue) -> str:
    ty = value.type
    assert isinstance(ty, AccType)
    if not ty.is_allocated:
        raise VerifyException("accumulator registers are not assigned: run assign-registers first")
    return "{" + ", ".join(ty.register(i) for i in range(ty.count.data)) + "}"
