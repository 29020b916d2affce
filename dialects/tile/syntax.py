"""Parsing and printing helpers shared by the `tile` ops' custom assembly formats."""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.parser import Parser
from xdsl.printer import Printer


def defined_operand(parser: Parser) -> SSAValue:
    """`%x`, a value already defined (its type is the one it was defined with, so a type
    mismatch reaches the op's verifier and its message)."""
    unresolved = parser.parse_unresolved_operand()
    values = parser.ssa_values.get(unresolved.operand_name)
    if values is None or unresolved.index >= len(values):
        parser.raise_error(f"%{unresolved.operand_name} is used before it is defined", unresolved.span)
    return values[unresolved.index]


def defined_operands(parser: Parser, count: int) -> list[SSAValue]:
    values = [defined_operand(parser)]
    for _ in range(count - 1):
        parser.parse_punctuation(",")
        values.append(defined_operand(parser))
    return values


def index_list(parser: Parser) -> list[SSAValue]:
    """`[%i, %j]`: index operands."""
    from xdsl.dialects.builtin import IndexType

    return parser.parse_comma_separated_list(
        parser.Delimiter.SQUARE, lambda: parser.resolve_operand(parser.parse_unresolved_operand(), IndexType()))


def print_index_list(printer: Printer, values: Sequence[SSAValue]) -> None:
    printer.print_string("[")
    printer.print_list(values, printer.print_operand)
    printer.print_string("]")


def plain(attr: Attribute):
    """The Python value of a property: int, str, list of ints."""
    if isinstance(attr, IntAttr):
        return attr.data
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, ArrayAttr):
        return [plain(a) for a in attr.data]
    return attr


def parse_props(parser: Parser, names: Sequence[str]) -> tuple[dict[str, Attribute], dict[str, Attribute]]:
    """An optional `{name = value, ...}`: the properties among `names` (ints as IntAttr, lists
    of ints as ArrayAttr of IntAttr) and the remaining discardable attributes."""
    attrs = parser.parse_optional_attr_dict()
    props = {}
    for name in names:
        if name in attrs:
            props[name] = _as_prop(attrs.pop(name))
    return props, attrs


def _as_prop(attr: Attribute) -> Attribute:
    if isinstance(attr, IntegerAttr) and attr.type.width.data != 1:
        return IntAttr(attr.value.data)
    if isinstance(attr, ArrayAttr):
        return ArrayAttr([_as_prop(a) for a in attr.data])
    return attr


def print_props(printer: Printer, props: dict[str, Attribute | None], attributes: dict[str, Attribute]) -> None:
    """` {dim = 1, kind = "sum"}` (ints and lists plain), then the discardable attributes; nothing if empty."""
    items = [(k, v) for k, v in props.items() if v is not None]
    items += list(attributes.items())
    if not items:
        return

    def item(kv: tuple[str, Attribute]) -> None:
        key, value = kv
        printer.print_string(f"{key} = ")
        if isinstance(value, (IntAttr, ArrayAttr)) and _all_ints(value):
            printer.print_string(str(plain(value)).replace("'", ""))
        else:
            printer.print_attribute(value)

    printer.print_string(" {")
    printer.print_list(items, item)
    printer.print_string("}")


def _all_ints(value: Attribute) -> bool:
    if isinstance(value, IntAttr):
        return True
    return isinstance(value, ArrayAttr) and all(isinstance(a, IntAttr) for a in value.data)


def format_number(value: float | int) -> str:
    """A literal the MLIR lexer reads back exactly: `0.5`, `1.0e-05`, `3`."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"tile.constant takes finite values, got {value}: use a large finite one (e.g. -1.0e30)")
    text = repr(float(value))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def print_indexed(printer: Printer, op) -> None:
    """` %tensor[%i, ...] {attrs} : tensor type -> result type`: how an op reading one place of
    a tensor prints (tile.load, tile.load_scalar)."""
    printer.print_string(" ")
    printer.print_operand(op.tensor)
    print_index_list(printer, op.indices)
    printer.print_op_attributes(op.attributes)
    printer.print_string(" : ")
    printer.print_attribute(op.tensor.type)
    printer.print_string(" -> ")
    printer.print_attribute(op.result.type)


def parse_indexed(parser: Parser) -> tuple[SSAValue, list[SSAValue], dict[str, Attribute], Attribute, int]:
    """What `print_indexed` printed: (the tensor, its indices, the attributes, the result type,
    where the result type starts in the input)."""
    tensor = parser.parse_unresolved_operand()
    indices = index_list(parser)
    attrs = parser.parse_optional_attr_dict()
    parser.parse_punctuation(":")
    tensor_type = parser.parse_type()
    parser.parse_punctuation("->")
    pos = parser.pos
    return parser.resolve_operand(tensor, tensor_type), indices, attrs, parser.parse_type(), pos
