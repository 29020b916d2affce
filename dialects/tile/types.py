"""Types of the `tile` dialect: global tensors (`!tile.tensor`) and tile values (`!tile.tile`).

`!tile.tensor<?x?xbf16>` is a kernel argument in global memory: its rank and element type
are static, its sizes and strides are given at run time.  `, contiguous = D` names the
dimension whose elements are adjacent in memory (default: the last).

`!tile.tile<128x256xf32>` is a value of a program instance: a static shape of rank 0, 1 or 2
and an element type (a float type of the tensors, or i1/i32 for masks and indices).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    BFloat16Type,
    Float8E4M3FNType,
    Float8E5M2Type,
    Float16Type,
    Float32Type,
    IntAttr,
    IntegerType,
    bf16,
    f8E4M3FN,
    f8E5M2,
    f16,
    f32,
    i1,
    i32,
)
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

MAX_TILE_RANK = 2
MAX_TENSOR_RANK = 4

# Element types by the short names the Python builder and the interpreter use.
ELEMENT_TYPES: dict[str, Attribute] = {
    "f32": f32, "f16": f16, "bf16": bf16, "e4m3": f8E4M3FN, "e5m2": f8E5M2, "i1": i1, "i32": i32,
}
TENSOR_ELEMENTS = ("f32", "f16", "bf16", "e4m3", "e5m2")
FLOAT_ELEMENTS = TENSOR_ELEMENTS


def element_name(element: Attribute) -> str | None:
    """The short name ('f32', 'bf16', 'e4m3', 'i1', ...) of an element type, None if not one of ours."""
    for name, attr in ELEMENT_TYPES.items():
        if attr == element:
            return name
    return None


def element_type(name: str) -> Attribute:
    """The element type of a short name; a ValueError names the legal ones."""
    try:
        return ELEMENT_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown element type '{name}': use one of {', '.join(ELEMENT_TYPES)}") from None


def is_float(element: Attribute) -> bool:
    return isinstance(element, (Float32Type, Float16Type, BFloat16Type, Float8E4M3FNType, Float8E5M2Type))


def is_integer(element: Attribute) -> bool:
    return isinstance(element, IntegerType)


@irdl_attr_definition
class TensorType(ParametrizedAttribute, TypeAttribute):
    """A global tensor argument: `!tile.tensor<?x?xbf16>` or `!tile.tensor<?x?xbf16, contiguous = 0>`.

    Rank (number of `?`) and element type are static; sizes and strides are run-time values.
    `contiguous` is the dimension whose elements are adjacent in memory (default: rank - 1).
    Elements: f32, f16, bf16, f8E4M3FN (e4m3) or f8E5M2 (e5m2).
    """

    name = "tile.tensor"

    rank_attr: IntAttr
    element: Attribute
    contiguous_attr: IntAttr

    def __init__(self, element: Attribute | str, rank: int, contiguous: int | None = None):
        if isinstance(element, str):
            element = element_type(element)
        super().__init__(IntAttr(rank), element, IntAttr(rank - 1 if contiguous is None else contiguous))

    @property
    def rank(self) -> int:
        return self.rank_attr.data

    @property
    def contiguous(self) -> int:
        return self.contiguous_attr.data

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        parser.parse_punctuation("<")
        pos = parser.pos
        dims, element = parser.parse_ranked_shape()
        if any(d != DYNAMIC_INDEX for d in dims):
            parser.raise_error("tensor sizes are run-time values: write each dimension as '?', "
                               "e.g. !tile.tensor<?x?xbf16>", pos, parser.pos)
        contiguous = len(dims) - 1
        if parser.parse_optional_punctuation(",") is not None:
            parser.parse_keyword("contiguous")
            parser.parse_punctuation("=")
            contiguous = parser.parse_integer(allow_negative=False, allow_boolean=False)
        parser.parse_punctuation(">")
        if (why := _tensor_problem(len(dims), element, contiguous)) is not None:
            parser.raise_error(why, pos, parser.pos)
        return [IntAttr(len(dims)), element, IntAttr(contiguous)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string("<" + "?x" * self.rank)
        printer.print_attribute(self.element)
        if self.contiguous != self.rank - 1:
            printer.print_string(f", contiguous = {self.contiguous}")
        printer.print_string(">")

    def verify(self) -> None:
        if (why := _tensor_problem(self.rank, self.element, self.contiguous)) is not None:
            raise VerifyException(why)


def _tensor_problem(rank: int, element: Attribute, contiguous: int) -> str | None:
    if not 1 <= rank <= MAX_TENSOR_RANK:
        return f"!tile.tensor rank must be 1 to {MAX_TENSOR_RANK}, got {rank}"
    if element_name(element) not in TENSOR_ELEMENTS:
        return f"!tile.tensor element type must be one of f32, f16, bf16, f8E4M3FN, f8E5M2, got {element}"
    if not 0 <= contiguous < rank:
        return (f"!tile.tensor contiguous = {contiguous} is not a dimension of a rank-{rank} tensor: "
                f"use 0 to {rank - 1}")
    return None


@irdl_attr_definition
class TileType(ParametrizedAttribute, TypeAttribute):
    """A tile value: `!tile.tile<128x256xf32>`, a static shape of rank 0 to 2 and an element type.

    Element types: the tensor element types, and i1 (masks from tile.cmp) or i32 (tile.iota).
    """

    name = "tile.tile"

    dims: ArrayAttr[IntAttr]
    element: Attribute

    def __init__(self, shape: Sequence[int], element: Attribute | str):
        if isinstance(element, str):
            element = element_type(element)
        super().__init__(ArrayAttr([IntAttr(d) for d in shape]), element)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.data for d in self.dims)  # type: ignore[union-attr]

    @property
    def rank(self) -> int:
        return len(self.shape)

    def with_element(self, element: Attribute) -> TileType:
        return TileType(self.shape, element)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        parser.parse_punctuation("<")
        pos = parser.pos
        dims, element = parser.parse_ranked_shape()
        if any(d < 0 for d in dims):
            parser.raise_error("tile shapes are static: write sizes, e.g. !tile.tile<128x64xbf16>", pos, parser.pos)
        parser.parse_punctuation(">")
        if (why := _tile_problem(tuple(dims), element)) is not None:
            parser.raise_error(why, pos, parser.pos)
        return [ArrayAttr([IntAttr(d) for d in dims]), element]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string("<" + "".join(f"{d}x" for d in self.shape))
        printer.print_attribute(self.element)
        printer.print_string(">")

    def verify(self) -> None:
        if (why := _tile_problem(self.shape, self.element)) is not None:
            raise VerifyException(why)


def _tile_problem(shape: tuple[int, ...], element: Attribute) -> str | None:
    if len(shape) > MAX_TILE_RANK:
        return (f"!tile.tile rank must be at most {MAX_TILE_RANK}, got shape {'x'.join(map(str, shape))}: "
                "split the work over more program instances")
    if any(d <= 0 for d in shape):
        return f"!tile.tile sizes must be positive, got {'x'.join(map(str, shape))}"
    if element_name(element) is None:
        return f"!tile.tile element type must be one of {', '.join(ELEMENT_TYPES)}, got {element}"
    return None


def shape_text(t: TileType) -> str:
    """`128x256xf32` (the type's body), for messages."""
    return "".join(f"{d}x" for d in t.shape) + str(t.element)
