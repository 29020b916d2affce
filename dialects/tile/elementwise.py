"""The `tile` dialect's element-wise and shape ops.

Element-wise ops take tiles of the same shape and element type (or fail naming the fix:
tile.broadcast for shapes, tile.cast for element types) and print one type:

    %z = tile.add %x, %y : !tile.tile<128x256xf32>
    %e = tile.exp2 %x : !tile.tile<128x256xf32>
    %s = tile.select %mask, %x, %y : !tile.tile<128x256xf32>
    %m = tile.cmp "lt", %x, %y : !tile.tile<128x256xf32>          (an i1 tile)
    %h = tile.cast %x : !tile.tile<128x256xf32> -> !tile.tile<128x256xbf16>
    %v2 = tile.broadcast %v {dims = [1]} : !tile.tile<256xf32> -> !tile.tile<128x256xf32>
    %r = tile.reduce "max" %x {dim = 1} : !tile.tile<128x256xf32> -> !tile.tile<128xf32>
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, IntAttr, StringAttr
from xdsl.ir import SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.tile.syntax import defined_operand, defined_operands, parse_props, plain, print_props
from exo_gpu.dialects.tile.types import TileType, element_name, element_type, is_float, shape_text

CMP_PREDICATES = ("lt", "le", "gt", "ge", "eq", "ne")
REDUCTIONS = ("max", "sum")


def _same(op_name: str, values: Sequence[SSAValue], result: TileType, what: str = "operand") -> None:
    """Every value's type must be `result`'s: name the fix (broadcast or cast) if not."""
    for v in values:
        t = v.type
        if not isinstance(t, TileType):
            raise VerifyException(f"{op_name} takes tiles, got {t}: make a tile with tile.splat")
        if t.shape != result.shape:
            raise VerifyException(f"{op_name}: {what} shape {shape_text(t)} differs from {shape_text(result)}: "
                                  f"make the shapes equal with tile.broadcast")
        if t.element != result.element:
            raise VerifyException(f"{op_name}: {what} element type {t.element} differs from {result.element}: "
                                  f"convert it with tile.cast")


def _print_operands_type(printer: Printer, op: IRDLOperation, values: Sequence[SSAValue], type_) -> None:
    printer.print_string(" ")
    printer.print_list(values, printer.print_operand)
    printer.print_op_attributes(op.attributes)
    printer.print_string(" : ")
    printer.print_attribute(type_)


class _ElementwiseOp(IRDLOperation):
    """Shared by the binary and unary element-wise ops: `tile.OP %x, ... : !tile.tile<...>`."""

    ARITY: ClassVar[int] = 2
    FLOATS_ONLY: ClassVar[bool] = False
    result = result_def(TileType)
    traits = traits_def(Pure())

    def print(self, printer: Printer) -> None:
        _print_operands_type(printer, self, self.operands, self.result.type)

    @classmethod
    def parse(cls, parser: Parser):
        operands = defined_operands(parser, cls.ARITY)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        op = cls.create(operands=operands, result_types=[parser.parse_type()], attributes=attrs)
        return op

    def verify_(self) -> None:
        t = self.result.type
        assert isinstance(t, TileType)
        _same(self.name, self.operands, t)
        if element_name(t.element) == "i1" or (self.FLOATS_ONLY and not is_float(t.element)):
            kinds = "float" if self.FLOATS_ONLY else "f32/f16/bf16/i32"
            raise VerifyException(f"{self.name} takes {kinds} tiles, got {shape_text(t)}: convert with tile.cast")


class _BinaryOp(_ElementwiseOp):
    lhs = operand_def(TileType)
    rhs = operand_def(TileType)

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[lhs.type])


class _UnaryOp(_ElementwiseOp):
    ARITY: ClassVar[int] = 1
    FLOATS_ONLY: ClassVar[bool] = True
    x = operand_def(TileType)

    def __init__(self, x: SSAValue):
        super().__init__(operands=[x], result_types=[x.type])


@irdl_op_definition
class AddOp(_BinaryOp):
    """`%z = tile.add %x, %y : T`: element-wise x + y."""

    name = "tile.add"


@irdl_op_definition
class SubOp(_BinaryOp):
    """`%z = tile.sub %x, %y : T`: element-wise x - y."""

    name = "tile.sub"


@irdl_op_definition
class MulOp(_BinaryOp):
    """`%z = tile.mul %x, %y : T`: element-wise x * y."""

    name = "tile.mul"


@irdl_op_definition
class DivOp(_BinaryOp):
    """`%z = tile.div %x, %y : T`: element-wise x / y (floats)."""

    name = "tile.div"
    FLOATS_ONLY: ClassVar[bool] = True


@irdl_op_definition
class MaxOp(_BinaryOp):
    """`%z = tile.max %x, %y : T`: element-wise maximum (ReLU is max with a zero constant)."""

    name = "tile.max"


@irdl_op_definition
class NegOp(_UnaryOp):
    """`%y = tile.neg %x : T`: element-wise -x."""

    name = "tile.neg"


@irdl_op_definition
class Exp2Op(_UnaryOp):
    """`%y = tile.exp2 %x : T`: element-wise 2^x (e^x is exp2(x * log2(e)))."""

    name = "tile.exp2"


@irdl_op_definition
class Log2Op(_UnaryOp):
    """`%y = tile.log2 %x : T`: element-wise log2(x) (ln x is log2(x) * ln 2)."""

    name = "tile.log2"


@irdl_op_definition
class TanhOp(_UnaryOp):
    """`%y = tile.tanh %x : T`: element-wise tanh(x)."""

    name = "tile.tanh"


@irdl_op_definition
class SelectOp(IRDLOperation):
    """`%z = tile.select %mask, %x, %y : T`: x where the i1 tile mask is true, else y; the mask
    has the shape of T."""

    name = "tile.select"
    mask = operand_def(TileType)
    true_value = operand_def(TileType)
    false_value = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, mask: SSAValue, x: SSAValue, y: SSAValue):
        super().__init__(operands=[mask, x, y], result_types=[x.type])

    def print(self, printer: Printer) -> None:
        _print_operands_type(printer, self, self.operands, self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> SelectOp:
        operands = defined_operands(parser, 3)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        return cls.create(operands=operands, result_types=[parser.parse_type()], attributes=attrs)

    def verify_(self) -> None:
        t = self.result.type
        assert isinstance(t, TileType)
        _same("tile.select", [self.true_value, self.false_value], t)
        _same("tile.select", [self.mask], t.with_element(element_type("i1")), what="mask")


@irdl_op_definition
class CmpOp(IRDLOperation):
    """`%m = tile.cmp "lt", %x, %y : T`: element-wise comparison ("lt", "le", "gt", "ge",
    "eq", "ne") of two tiles of type T, giving an i1 tile of T's shape."""

    name = "tile.cmp"
    predicate = prop_def(StringAttr)
    lhs = operand_def(TileType)
    rhs = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, predicate: str, lhs: SSAValue, rhs: SSAValue):
        t = lhs.type
        assert isinstance(t, TileType)
        super().__init__(operands=[lhs, rhs], properties={"predicate": StringAttr(predicate)},
                         result_types=[t.with_element(element_type("i1"))])

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_string_literal(self.predicate.data)
        printer.print_string(",")
        _print_operands_type(printer, self, [self.lhs, self.rhs], self.lhs.type)

    @classmethod
    def parse(cls, parser: Parser) -> CmpOp:
        predicate = parser.parse_str_literal()
        parser.parse_punctuation(",")
        lhs, rhs = defined_operands(parser, 2)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        pos = parser.pos
        t = parser.parse_type()
        if not isinstance(t, TileType):
            parser.raise_error(f"tile.cmp compares tiles, got {t}", pos, parser.pos)
        return cls.create(operands=[lhs, rhs], properties={"predicate": StringAttr(predicate)},
                          result_types=[t.with_element(element_type("i1"))], attributes=attrs)

    def verify_(self) -> None:
        if self.predicate.data not in CMP_PREDICATES:
            raise VerifyException(f"tile.cmp predicate \"{self.predicate.data}\" is not one of "
                                  f"{', '.join(CMP_PREDICATES)}")
        t = self.lhs.type
        assert isinstance(t, TileType)
        _same("tile.cmp", [self.rhs], t)
        if self.result.type != t.with_element(element_type("i1")):
            raise VerifyException(f"tile.cmp of {shape_text(t)} tiles gives an i1 tile of the same shape, "
                                  f"not {self.result.type}")


@irdl_op_definition
class CastOp(IRDLOperation):
    """`%h = tile.cast %x : !tile.tile<..xf32> -> !tile.tile<..xbf16>`: element type conversion
    (round to nearest even; floats to i32 truncate toward zero), shape unchanged."""

    name = "tile.cast"
    x = operand_def(TileType)
    result = result_def(TileType)
    assembly_format = "$x attr-dict `:` type($x) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, x: SSAValue, result_type: TileType):
        super().__init__(operands=[x], result_types=[result_type])

    def verify_(self) -> None:
        a, b = self.x.type, self.result.type
        assert isinstance(a, TileType) and isinstance(b, TileType)
        if a.shape != b.shape:
            raise VerifyException(f"tile.cast changes the element type only: {shape_text(a)} -> {shape_text(b)} "
                                  f"changes the shape (use tile.broadcast or tile.reduce)")


@irdl_op_definition
class BroadcastOp(IRDLOperation):
    """`%v2 = tile.broadcast %v {dims = [1]} : !tile.tile<256xf32> -> !tile.tile<128x256xf32>`:
    input dim k becomes output dim dims[k] (same size; dims increasing), every other output
    dim repeats the input."""

    name = "tile.broadcast"
    x = operand_def(TileType)
    dims = prop_def(ArrayAttr[IntAttr])
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, x: SSAValue, dims: Sequence[int], result_type: TileType):
        super().__init__(operands=[x], properties={"dims": ArrayAttr([IntAttr(d) for d in dims])},
                         result_types=[result_type])

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.x)
        print_props(printer, {"dims": self.dims}, self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.x.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> BroadcastOp:
        x = parser.parse_unresolved_operand()
        props, attrs = parse_props(parser, ["dims"])
        if "dims" not in props:
            parser.raise_error("tile.broadcast needs {dims = [...]}: output dim of each input dim")
        parser.parse_punctuation(":")
        x_type = parser.parse_type()
        parser.parse_punctuation("->")
        return cls.create(operands=[parser.resolve_operand(x, x_type)], properties=props, attributes=attrs,
                          result_types=[parser.parse_type()])

    def verify_(self) -> None:
        a, b = self.x.type, self.result.type
        assert isinstance(a, TileType) and isinstance(b, TileType)
        dims = plain(self.dims)
        if len(dims) != a.rank or sorted(set(dims)) != dims or any(not 0 <= d < b.rank for d in dims):
            raise VerifyException(
                f"tile.broadcast {shape_text(a)} -> {shape_text(b)}: dims = {dims} must give each of the "
                f"{a.rank} input dims an output dim, increasing, in 0..{b.rank - 1}")
        for k, d in enumerate(dims):
            if a.shape[k] != b.shape[d]:
                raise VerifyException(f"tile.broadcast: input dim {k} (size {a.shape[k]}) maps to output dim {d} "
                                      f"(size {b.shape[d]}): the sizes must be equal")
        if a.element != b.element:
            raise VerifyException(f"tile.broadcast keeps the element type ({a.element}, not {b.element}): "
                                  f"convert with tile.cast")


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """`%m = tile.reduce "max" %x {dim = 1} : !tile.tile<128x256xf32> -> !tile.tile<128xf32>`:
    the maximum or sum ("max" | "sum") along `dim`, which the result drops."""

    name = "tile.reduce"
    kind = prop_def(StringAttr)
    dim = prop_def(IntAttr)
    x = operand_def(TileType)
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, kind: str, x: SSAValue, dim: int):
        t = x.type
        assert isinstance(t, TileType)
        shape = t.shape[:dim] + t.shape[dim + 1:] if 0 <= dim < t.rank else t.shape
        super().__init__(operands=[x], properties={"kind": StringAttr(kind), "dim": IntAttr(dim)},
                         result_types=[TileType(shape, t.element)])

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_string_literal(self.kind.data)
        printer.print_string(" ")
        printer.print_operand(self.x)
        print_props(printer, {"dim": self.dim}, self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.x.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> ReduceOp:
        kind = parser.parse_str_literal()
        x = parser.parse_unresolved_operand()
        props, attrs = parse_props(parser, ["dim"])
        if "dim" not in props:
            parser.raise_error("tile.reduce needs {dim = D}: the dimension to reduce")
        parser.parse_punctuation(":")
        x_type = parser.parse_type()
        parser.parse_punctuation("->")
        return cls.create(operands=[parser.resolve_operand(x, x_type)], attributes=attrs,
                          properties={"kind": StringAttr(kind), **props}, result_types=[parser.parse_type()])

    def verify_(self) -> None:
        a, b = self.x.type, self.result.type
        assert isinstance(a, TileType) and isinstance(b, TileType)
        if self.kind.data not in REDUCTIONS:
            raise VerifyException(f"tile.reduce kind \"{self.kind.data}\" is not one of {', '.join(REDUCTIONS)}")
        dim = plain(self.dim)
        if not 0 <= dim < a.rank:
            raise VerifyException(f"tile.reduce dim = {dim} is not a dimension of {shape_text(a)}: "
                                  f"use 0 to {a.rank - 1}" if a.rank else "tile.reduce needs a tile of rank 1 or 2")
        want = TileType(a.shape[:dim] + a.shape[dim + 1:], a.element)
        if b != want:
            raise VerifyException(f"tile.reduce of {shape_text(a)} along dim {dim} gives {want}, not {b}")


ELEMENTWISE_OPS = [AddOp, SubOp, MulOp, DivOp, MaxOp, NegOp, Exp2Op, Log2Op, TanhOp, SelectOp, CmpOp, CastOp,
                   BroadcastOp, ReduceOp]
