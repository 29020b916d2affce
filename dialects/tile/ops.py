"""The `tile` dialect's structural and memory ops: kernel, program_id, dim, load, store, mma,
constant, splat, iota, return.  Element-wise and shape ops are in `elementwise.py`.

A tile program is one `tile.kernel`; the hardware runs one instance of its body per tile of
its grid tensor.  Loads and stores move whole tiles between global tensors and values;
out-of-range elements read as zero and are not written (masking at the edges).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    ArrayAttr,
    FloatAttr,
    IndexType,
    IntAttr,
    IntegerAttr,
    StringAttr,
    f64,
    i64,
)
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsolatedFromAbove, IsTerminator, Pure, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import kernel_name_problem
from exo_gpu.dialects.tile.schedule import Schedule, ScheduleAttr
from exo_gpu.dialects.tile.syntax import (
    defined_operand,
    format_number,
    index_list,
    parse_props,
    plain,
    print_index_list,
    parse_indexed,
    print_indexed,
    print_props,
)
from exo_gpu.dialects.tile.types import TensorType, TileType, element_name, is_float, shape_text
from exo_gpu.dialects.wgmma import check_accumulator

SCALAR_ARGS = ("index", "i32", "f32")
MMA_INPUTS = {"bf16": "bf16", "f16": "f16", "e4m3": "e4m3", "e5m2": "e5m2", "f32": "tf32"}


def _dims(t: TileType) -> str:
    return "x".join(map(str, t.shape)) or "scalar"


@irdl_op_definition
class KernelOp(IRDLOperation):
    """`tile.kernel @name(%a: !tile.tensor<?x?xbf16>, ..., %alpha: f32) grid(%c tiles 128x256)
    schedule #tile.schedule<...> { ... tile.return }`: a tile program.

    One block whose arguments are the kernel arguments: global tensors (`!tile.tensor`) and
    scalars (index, i32, f32).  `grid(%t tiles BMxBN)` launches one program instance per
    BM x BN tile of tensor %t's last two dimensions, times every index of its leading
    dimensions (batch); `tile.program_id` gives an instance's coordinates.  `tiles B` (one
    size) tiles the last dimension only.  The schedule says how the program maps onto a
    thread block (absent: all defaults; see `ScheduleAttr`).
    """

    name = "tile.kernel"

    sym_name = prop_def(StringAttr)
    grid_arg = prop_def(IntAttr)  # which block argument is the grid tensor
    grid_tiles = prop_def(ArrayAttr[IntAttr])  # tile sizes over the grid tensor's last dims
    schedule = opt_prop_def(ScheduleAttr)
    body = region_def("single_block")

    traits = traits_def(SymbolOpInterface(), IsolatedFromAbove())

    def __init__(self, name: str, arg_types: Sequence[Attribute], grid_arg: int, grid_tiles: Sequence[int],
                 schedule: Schedule | ScheduleAttr | None = None, arg_names: Sequence[str] | None = None):
        block = Block(arg_types=arg_types)
        for arg, hint in zip(block.args, arg_names or (), strict=False):
            arg.name_hint = hint
        if isinstance(schedule, Schedule):
            schedule = ScheduleAttr.from_schedule(schedule)
        super().__init__(regions=[Region(block)], properties={
            "sym_name": StringAttr(name), "grid_arg": IntAttr(grid_arg),
            "grid_tiles": ArrayAttr([IntAttr(t) for t in grid_tiles]),
            **({"schedule": schedule} if schedule is not None else {})})

    @property
    def args(self) -> tuple[SSAValue, ...]:
        return self.body.block.args

    @property
    def grid_tensor(self) -> SSAValue:
        return self.body.block.args[self.grid_arg.data]

    @property
    def tiles(self) -> tuple[int, ...]:
        return tuple(t.data for t in self.grid_tiles.data)

    @property
    def schedule_value(self) -> Schedule:
        """The kernel's schedule with defaults filled in."""
        return Schedule() if self.schedule is None else self.schedule.schedule

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string("(")
        printer.print_list(self.body.block.args, printer.print_block_argument)
        printer.print_string(") grid(")
        printer.print_ssa_value(self.grid_tensor)
        printer.print_string(" tiles " + "x".join(map(str, self.tiles)) + ")")
        if self.schedule is not None:
            printer.print_string(" schedule ")
            printer.print_attribute(self.schedule)
        if self.attributes:
            printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> KernelOp:
        name = parser.parse_symbol_name().data
        args = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_argument)
        parser.parse_keyword("grid")
        parser.parse_punctuation("(")
        grid = parser.parse_unresolved_operand()
        names = [a.name.text for a in args]
        if grid.span.text not in names:
            parser.raise_error(f"grid tensor {grid.span.text} is not an argument of @{name}: "
                               f"name one of {', '.join(names) or '(none)'}", grid.span)
        parser.parse_keyword("tiles")
        tiles = parser.parse_dimension_list()
        parser.parse_punctuation(")")
        schedule = None
        if parser.parse_optional_keyword("schedule") is not None:
            pos = parser.pos
            schedule = parser.parse_attribute()
            if not isinstance(schedule, ScheduleAttr):
                parser.raise_error("expected a #tile.schedule<...> after 'schedule'", pos, parser.pos)
        attrs = parser.parse_optional_attr_dict_with_keyword()
        body = parser.parse_region(args)
        op = cls.create(regions=[body], properties={
            "sym_name": StringAttr(name), "grid_arg": IntAttr(names.index(grid.span.text)),
            "grid_tiles": ArrayAttr([IntAttr(t) for t in tiles]),
            **({"schedule": schedule} if schedule is not None else {})},
            attributes=attrs.data if attrs is not None else {})
        return op

    def verify_(self) -> None:
        where = f"tile.kernel @{self.sym_name.data}"
        if (why := kernel_name_problem(self.sym_name.data)) is not None:
            raise VerifyException(f"tile.kernel: {why}")
        for i, arg in enumerate(self.args):
            if not isinstance(arg.type, TensorType) and str(arg.type) not in SCALAR_ARGS:
                raise VerifyException(f"{where}: argument {i} has type {arg.type}: kernel arguments are "
                                      f"!tile.tensor<...> or scalars ({', '.join(SCALAR_ARGS)})")
        if not 0 <= self.grid_arg.data < len(self.args) or not isinstance(self.grid_tensor.type, TensorType):
            raise VerifyException(f"{where}: the grid must tile a !tile.tensor argument")
        rank = self.grid_tensor.type.rank
        if not 1 <= len(self.tiles) <= min(2, rank) or any(t <= 0 for t in self.tiles):
            raise VerifyException(f"{where}: grid tiles {'x'.join(map(str, self.tiles))} must be one or two "
                                  f"positive sizes (at most the grid tensor's rank {rank}), e.g. tiles 128x256")
        last = self.body.block.last_op
        if not isinstance(last, ReturnOp):
            raise VerifyException(f"{where}: the body must end with tile.return")


def enclosing_kernel(op: IRDLOperation) -> KernelOp | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, KernelOp):
        parent = parent.parent_op()
    return parent


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """`tile.return`: the end of a tile.kernel's body (a program instance returns nothing;
    results are stored with tile.store)."""

    name = "tile.return"
    assembly_format = "attr-dict"
    traits = traits_def(IsTerminator(), HasParent(KernelOp))


@irdl_op_definition
class ProgramIdOp(IRDLOperation):
    """`%b, %i, %j = tile.program_id : index, index, index`: this program instance's
    coordinates in the grid, one per grid tensor dimension: batch indices first, then the tile
    row and the tile column (a tile index: multiply by the tile size for elements)."""

    name = "tile.program_id"
    ids = var_result_def(IndexType)
    assembly_format = "attr-dict `:` type($ids)"
    traits = traits_def(Pure())

    def __init__(self, count: int):
        super().__init__(result_types=[[IndexType()] * count])

    def verify_(self) -> None:
        kernel = enclosing_kernel(self)
        if kernel is None:
            raise VerifyException("tile.program_id must be inside a tile.kernel")
        grid = kernel.grid_tensor.type
        if isinstance(grid, TensorType) and len(self.ids) != grid.rank:
            raise VerifyException(f"tile.program_id gives {len(self.ids)} coordinates but the grid tensor has rank "
                                  f"{grid.rank}: write {grid.rank} results (batch dims first, then tile row, column)")


@irdl_op_definition
class DimOp(IRDLOperation):
    """`%n = tile.dim %a, 1 : index`: the run-time size of dimension 1 of tensor %a."""

    name = "tile.dim"
    tensor = operand_def(TensorType)
    dim = prop_def(IntAttr)
    result = result_def(IndexType)
    traits = traits_def(Pure())

    def __init__(self, tensor: SSAValue, dim: int):
        super().__init__(operands=[tensor], properties={"dim": IntAttr(dim)}, result_types=[IndexType()])

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.tensor)
        printer.print_string(f", {self.dim.data}")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : index")

    @classmethod
    def parse(cls, parser: Parser) -> DimOp:
        tensor = defined_operand(parser)
        parser.parse_punctuation(",")
        dim = parser.parse_integer(allow_boolean=False)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        parser.parse_type()
        op = cls(tensor, dim)
        op.attributes.update(attrs)
        return op

    def verify_(self) -> None:
        t = self.tensor.type
        if isinstance(t, TensorType) and not 0 <= self.dim.data < t.rank:
            raise VerifyException(f"tile.dim {self.dim.data} is not a dimension of {t}: use 0 to {t.rank - 1}")


def _check_access(what: str, tensor: TensorType, indices: int, tile: TileType) -> None:
    if indices != tensor.rank:
        raise VerifyException(
            f"{what}: {tensor} has rank {tensor.rank} but {indices} indices were given: give one index per "
            f"dimension (leading ones are element indices, the last {tile.rank} tile coordinates)")
    if tile.rank > tensor.rank:
        raise VerifyException(f"{what}: a rank-{tile.rank} tile does not fit a rank-{tensor.rank} tensor")




@irdl_op_definition
class LoadOp(IRDLOperation):
    """`%t = tile.load %a[%b, %i, %k] : !tile.tensor<?x?x?xbf16> -> !tile.tile<128x64xbf16>`.

    One index per tensor dimension: the last R (the tile's rank) are tile coordinates (element
    offset = index * tile size), the leading ones element indices (batch).  Elements outside
    the tensor read as zero.  The tile is logical (its row is tensor dim rank-2) whatever the
    tensor's contiguous dimension; its element type is the tensor's.
    """

    name = "tile.load"
    tensor = operand_def(TensorType)
    indices = var_operand_def(IndexType)
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, tensor: SSAValue, indices: Sequence[SSAValue], result_type: TileType):
        super().__init__(operands=[tensor, indices], result_types=[result_type])

    def print(self, printer: Printer) -> None:
        print_indexed(printer, self)

    @classmethod
    def parse(cls, parser: Parser) -> LoadOp:
        tensor, indices, attrs, result, _ = parse_indexed(parser)
        op = cls(tensor, indices, result)
        op.attributes.update(attrs)
        return op

    def verify_(self) -> None:
        tensor, tile = self.tensor.type, self.result.type
        assert isinstance(tensor, TensorType) and isinstance(tile, TileType)
        _check_access("tile.load", tensor, len(self.indices), tile)
        if tile.element != tensor.element:
            raise VerifyException(f"tile.load from {tensor} gives {tensor.element} elements, not {tile.element}: "
                                  f"load a !tile.tile<{_dims(tile)}x{tensor.element}> and convert it with tile.cast")


@irdl_op_definition
class StoreOp(IRDLOperation):
    """`tile.store %v, %c[%b, %i, %j] : !tile.tile<128x256xbf16>, !tile.tensor<?x?x?xbf16>`.

    Writes tile %v at tile coordinates (the last R indices) of %c, masked at the tensor's
    edges.  The tile's element type must be the tensor's (convert with tile.cast first)."""

    name = "tile.store"
    value = operand_def(TileType)
    tensor = operand_def(TensorType)
    indices = var_operand_def(IndexType)

    def __init__(self, value: SSAValue, tensor: SSAValue, indices: Sequence[SSAValue]):
        super().__init__(operands=[value, tensor, indices])

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.value)
        printer.print_string(", ")
        printer.print_operand(self.tensor)
        print_index_list(printer, self.indices)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.value.type)
        printer.print_string(", ")
        printer.print_attribute(self.tensor.type)

    @classmethod
    def parse(cls, parser: Parser) -> StoreOp:
        value = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        tensor = parser.parse_unresolved_operand()
        indices = index_list(parser)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        value_type = parser.parse_type()
        parser.parse_punctuation(",")
        tensor_type = parser.parse_type()
        op = cls(parser.resolve_operand(value, value_type), parser.resolve_operand(tensor, tensor_type), indices)
        op.attributes.update(attrs)
        return op

    def verify_(self) -> None:
        tensor, tile = self.tensor.type, self.value.type
        assert isinstance(tensor, TensorType) and isinstance(tile, TileType)
        _check_access("tile.store", tensor, len(self.indices), tile)
        if tile.element != tensor.element:
            raise VerifyException(f"tile.store of {tile.element} elements into {tensor}: cast it first with "
                                  f"tile.cast to !tile.tile<{_dims(tile)}x{tensor.element}>")


@irdl_op_definition
class MmaOp(IRDLOperation):
    """`%r = tile.mma %x, %y, %acc : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>,
    !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>`: r = x @ y + acc (MxK @ KxN + MxN).

    x and y have the same input type (bf16, f16, f8E4M3FN/f8E5M2 in any pairing, or f32 with
    `{precision = "tf32"}`: wgmma multiplies f32 as tf32); the accumulator is f32, or f16
    for f16 and fp8 inputs."""

    name = "tile.mma"
    lhs = operand_def(TileType)
    rhs = operand_def(TileType)
    acc = operand_def(TileType)
    precision = opt_prop_def(StringAttr)
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, lhs: SSAValue, rhs: SSAValue, acc: SSAValue, precision: str | None = None):
        super().__init__(operands=[lhs, rhs, acc], result_types=[acc.type],
                         properties={"precision": StringAttr(precision)} if precision else {})

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list((self.lhs, self.rhs, self.acc), printer.print_operand)
        print_props(printer, {"precision": self.precision}, self.attributes)
        printer.print_string(" : ")
        printer.print_list((self.lhs.type, self.rhs.type, self.acc.type), printer.print_attribute)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> MmaOp:
        names = [parser.parse_unresolved_operand()]
        for _ in range(2):
            parser.parse_punctuation(",")
            names.append(parser.parse_unresolved_operand())
        props, attrs = parse_props(parser, ["precision"])
        parser.parse_punctuation(":")
        types = [parser.parse_type()]
        for _ in range(2):
            parser.parse_punctuation(",")
            types.append(parser.parse_type())
        parser.parse_punctuation("->")
        result = parser.parse_type()
        lhs, rhs, acc = (parser.resolve_operand(n, t) for n, t in zip(names, types))
        op = cls.create(operands=[lhs, rhs, acc], result_types=[result], properties=props, attributes=attrs)
        return op

    def verify_(self) -> None:
        x, y, acc, r = (v.type for v in (self.lhs, self.rhs, self.acc, self.result))
        assert all(isinstance(t, TileType) for t in (x, y, acc, r))
        if x.rank != 2 or y.rank != 2 or acc.rank != 2:
            raise VerifyException(f"tile.mma multiplies 2-D tiles (MxK @ KxN + MxN), got {_dims(x)} @ {_dims(y)} "
                                  f"+ {_dims(acc)}")
        (m, k), (k2, n) = x.shape, y.shape
        if k != k2:
            raise VerifyException(f"tile.mma: x is {m}x{k} and y is {k2}x{n}: x's columns (K = {k}) must equal "
                                  f"y's rows (K = {k2}) in MxK @ KxN")
        if acc.shape != (m, n):
            raise VerifyException(f"tile.mma: {m}x{k} @ {k}x{n} gives {m}x{n} but the accumulator is {_dims(acc)}: "
                                  f"use a !tile.tile<{m}x{n}x{acc.element}> accumulator")
        if r != acc:
            raise VerifyException(f"tile.mma result type {r} must be the accumulator's type {acc}")
        self._verify_types(element_name(x.element), element_name(y.element), element_name(acc.element))

    def _verify_types(self, xe: str | None, ye: str | None, ae: str | None) -> None:
        fp8 = ("e4m3", "e5m2")
        if xe not in MMA_INPUTS or ye not in MMA_INPUTS or (xe != ye and not (xe in fp8 and ye in fp8)):
            raise VerifyException(f"tile.mma inputs must both be bf16, f16 or f32 (tf32), or both fp8, got "
                                  f"{xe} and {ye}: convert them with tile.cast")
        precision = None if self.precision is None else self.precision.data
        if xe == "f32" and precision != "tf32":
            raise VerifyException('tile.mma of f32 tiles multiplies them as tf32: say so with {precision = "tf32"}')
        if xe != "f32" and precision is not None:
            raise VerifyException(f'tile.mma precision = "{precision}" is only for f32 inputs (as tf32); '
                                  f"{xe} inputs take no precision: remove it")
        if (why := check_accumulator(MMA_INPUTS[xe], ae or "?")) is not None:
            raise VerifyException(f"tile.mma: {why}")


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """`%z = tile.constant 0.0 : !tile.tile<128x256xf32>`: a tile with every element equal to a
    (finite) literal; integer literals for i32 tiles, 0/1 for i1."""

    name = "tile.constant"
    value = prop_def(Attribute)  # FloatAttr (f64) for float tiles, IntegerAttr (i64) for integer tiles
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, value: float | int, result_type: TileType):
        attr = FloatAttr(float(value), f64) if is_float(result_type.element) else IntegerAttr(int(value), i64)
        super().__init__(properties={"value": attr}, result_types=[result_type])

    @property
    def number(self) -> float | int:
        return self.value.value.data  # type: ignore[attr-defined]

    def print(self, printer: Printer) -> None:
        printer.print_string(" " + format_number(self.number))
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        pos = parser.pos
        value = parser.parse_number()
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        tile = parser.parse_type()
        if not isinstance(tile, TileType):
            parser.raise_error(f"tile.constant makes a !tile.tile, got {tile}", pos, parser.pos)
        op = cls(value, tile)
        op.attributes.update(attrs)
        return op

    def verify_(self) -> None:
        t = self.result.type
        assert isinstance(t, TileType)
        if is_float(t.element) != isinstance(self.value, FloatAttr):
            raise VerifyException(f"tile.constant {self.value} does not match element type {t.element}")


@irdl_op_definition
class SplatOp(IRDLOperation):
    """`%s = tile.splat %alpha : f32 -> !tile.tile<128x256xf32>`: a tile of one scalar (a kernel
    argument or index math).  f32 scalars make f32 tiles; index and i32 scalars i32 tiles."""

    name = "tile.splat"
    scalar = operand_def(Attribute)
    result = result_def(TileType)
    assembly_format = "$scalar attr-dict `:` type($scalar) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, scalar: SSAValue, result_type: TileType):
        super().__init__(operands=[scalar], result_types=[result_type])

    def verify_(self) -> None:
        s, t = str(self.scalar.type), self.result.type
        assert isinstance(t, TileType)
        want = {"f32": "f32", "index": "i32", "i32": "i32"}.get(s)
        if want is None:
            raise VerifyException(f"tile.splat takes an f32, i32 or index scalar, got {s}")
        if element_name(t.element) != want:
            raise VerifyException(f"tile.splat of a {s} scalar makes a !tile.tile<{_dims(t)}x{want}>, not "
                                  f"{shape_text(t)}: splat to {want}, then tile.cast")


@irdl_op_definition
class IotaOp(IRDLOperation):
    """`%r = tile.iota {dim = 0} : !tile.tile<128x256xi32>`: each element's index along `dim`
    (within the tile; add program_id * tile size for a global index)."""

    name = "tile.iota"
    dim = prop_def(IntAttr)
    result = result_def(TileType)
    traits = traits_def(Pure())

    def __init__(self, dim: int, result_type: TileType):
        super().__init__(properties={"dim": IntAttr(dim)}, result_types=[result_type])

    def print(self, printer: Printer) -> None:
        print_props(printer, {"dim": self.dim}, self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> IotaOp:
        props, attrs = parse_props(parser, ["dim"])
        if "dim" not in props:
            parser.raise_error("tile.iota needs {dim = D}")
        parser.parse_punctuation(":")
        op = cls.create(properties=props, attributes=attrs, result_types=[parser.parse_type()])
        return op

    def verify_(self) -> None:
        t = self.result.type
        assert isinstance(t, TileType)
        if element_name(t.element) != "i32":
            raise VerifyException(f"tile.iota makes i32 tiles, got {shape_text(t)}: convert with tile.cast")
        if not 0 <= plain(self.dim) < max(t.rank, 1) or t.rank == 0:
            raise VerifyException(f"tile.iota dim = {plain(self.dim)} is not a dimension of {shape_text(t)}")
