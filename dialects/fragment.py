"""Fragment ops of the `wgmma` dialect: elementwise math, loads and row reductions on an
accumulator tile in wgmma's register layout, for fused epilogues (alpha/beta, bias, ReLU,
GELU, SiLU) and attention.  Emitted by `schedule` after the final wait_group, before
`wgmma.store_accumulator`; lowered by `lower-fragments` to ptx instructions per register,
in place on the accumulator's registers where the IR allows (see that pass).

Every op works on `!wgmma.accumulator<m64nN, f32>` values (f16 accumulators are rejected:
convert by accumulating in f32).  A `!wgmma.row_vector<m64, f32>` holds one value per row
of an m64 tile (a reduction over its columns); `frag_binary` broadcasts it along the row.

The register layout (PTX ISA, "wgmma .m64nNk* D fragment") is `position` below, the one
model that `store_accumulator`'s lowering, `lower-fragments` and the tests share.
"""

from __future__ import annotations

from xdsl.dialects.builtin import Float32Type, IntAttr, IntegerAttr, IntegerType, StringAttr, f32, i32
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    EqAttrConstraint,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.wgmma import AccumulatorType

# -------------------------------------------------------------------------- register layout

WARP_ROWS = 16  # rows of the m64 tile per warp of the warpgroup
QUAD = 4  # lanes sharing a row: lane l holds row l / QUAD of its warp's rows
LANE_COLUMNS = 2  # adjacent columns per lane in each n8 chunk
HALF_ROWS = 8  # the second row of a lane is 8 below its first


def register_of(chunk: int, half: int, column: int) -> int:
    """The register (element) index of n8 chunk `chunk`, row half `half` (0: the lane's first
    row, 1: eight rows below), column `column` (0, 1) of the lane's pair."""
    return 4 * chunk + 2 * half + column


def register_offset(register: int) -> tuple[int, int]:
    """(row, column) of register `register` relative to its thread's origin."""
    return HALF_ROWS * ((register // 2) % 2), 8 * (register // 4) + register % 2


def thread_origin(thread: int) -> tuple[int, int]:
    """(row, column) of register 0 of warpgroup thread `thread` (0..127)."""
    warp, lane = divmod(thread, 32)
    return WARP_ROWS * warp + lane // QUAD, LANE_COLUMNS * (lane % QUAD)


def position(thread: int, register: int) -> tuple[int, int]:
    """(row, column) in the m64nN tile of accumulator register `register` of `thread`."""
    (r0, c0), (dr, dc) = thread_origin(thread), register_offset(register)
    return r0 + dr, c0 + dc


# -------------------------------------------------------------------------- types


@irdl_attr_definition
class RowVectorType(ParametrizedAttribute, TypeAttribute):
    """One value per row of an m64 accumulator tile: `!wgmma.row_vector<m64, f32>`.  Every
    thread holds the values of its two rows (two registers), the same in the 4 lanes of a
    quad."""

    name = "wgmma.row_vector"

    m: IntAttr
    element: Attribute

    def __init__(self, m: int = 64, element: Attribute = f32):
        super().__init__(IntAttr(m), element)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        parser.parse_punctuation("<")
        pos = parser.pos
        shape = parser.parse_identifier()
        if not (shape.startswith("m") and shape[1:].isdigit()):
            parser.raise_error("expected a row vector shape like m64", pos, parser.pos)
        parser.parse_punctuation(",")
        element = parser.parse_type()
        parser.parse_punctuation(">")
        return [IntAttr(int(shape[1:])), element]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<m{self.m.data}, ")
        printer.print_attribute(self.element)
        printer.print_string(">")

    def verify(self) -> None:
        if self.m.data != 64 or not isinstance(self.element, Float32Type):
            raise VerifyException(f"row vector must be m64 of f32, got m{self.m.data} of {self.element}")


def _check_f32_accumulator(op: IRDLOperation, ty: Attribute, what: str) -> None:
    if not isinstance(ty, AccumulatorType):
        raise VerifyException(f"{op.name}: {what} must be a !wgmma.accumulator, got {ty}")
    if not isinstance(ty.element, Float32Type):
        raise VerifyException(f"{op.name}: {what} {ty} holds f16 elements; fragment ops work on f32 "
                              "accumulators only: accumulate in f32 (accumulate = \"f32\")")


# -------------------------------------------------------------------------- elementwise

BINARY_KINDS = ("add", "sub", "mul", "div", "max")
UNARY_KINDS = ("neg", "exp2", "log2", "tanh", "relu", "gelu", "silu")
REDUCE_KINDS = ("max", "sum")


@irdl_op_definition
class FragBinaryOp(IRDLOperation):
    """`wgmma.frag_binary "add"|"sub"|"mul"|"div"|"max" %x, %y`: elementwise on two fragments
    of one accumulator type, or a fragment and a `!wgmma.row_vector` broadcast along its rows
    (either side), or two row vectors (a row vector: online-softmax bookkeeping).  f32
    round-to-nearest arithmetic (div: IEEE div.rn).

        %r = wgmma.frag_binary "mul" %acc, %alpha : !wgmma.accumulator<m64n128, f32>, !wgmma.accumulator<m64n128, f32>
    """

    name = "wgmma.frag_binary"

    lhs = operand_def(AccumulatorType | RowVectorType)
    rhs = operand_def(AccumulatorType | RowVectorType)
    result = result_def(AccumulatorType | RowVectorType)  # an accumulator: verify_ says why not
    kind = prop_def(StringAttr)

    def __init__(self, kind: str, lhs, rhs):
        ty = lhs.type if isinstance(lhs.type, AccumulatorType) else rhs.type
        super().__init__(operands=[lhs, rhs], result_types=[ty], properties={"kind": StringAttr(kind)})

    @classmethod
    def parse(cls, parser):  # the result type is the accumulator operand's
        kind = parser.parse_str_literal()
        lhs = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        rhs = parser.parse_unresolved_operand()
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        lt = parser.parse_type()
        parser.parse_punctuation(",")
        rt = parser.parse_type()
        lhs_v, rhs_v = parser.resolve_operand(lhs, lt), parser.resolve_operand(rhs, rt)
        op = cls(kind, lhs_v, rhs_v)
        op.attributes.update(attrs)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(f' "{self.kind.data}" ')
        printer.print_operand(self.lhs)
        printer.print_string(", ")
        printer.print_operand(self.rhs)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.lhs.type)
        printer.print_string(", ")
        printer.print_attribute(self.rhs.type)

    def verify_(self) -> None:
        if self.kind.data not in BINARY_KINDS:
            raise VerifyException(f"wgmma.frag_binary: unknown kind '{self.kind.data}' "
                                  f"(expected one of {', '.join(BINARY_KINDS)})")
        accs = [v.type for v in (self.lhs, self.rhs) if isinstance(v.type, AccumulatorType)]
        if not accs:  # two row vectors: a row vector
            if self.result.type != self.lhs.type:
                raise VerifyException(f"wgmma.frag_binary of two row vectors gives a row vector, not {self.result.type}")
            return
        for ty in accs:
            _check_f32_accumulator(self, ty, "operand")
        if len(accs) == 2 and accs[0] != accs[1]:
            raise VerifyException(f"wgmma.frag_binary: operands {accs[0]} and {accs[1]} differ: "
                                  "elementwise ops take fragments of one shape")
        if self.result.type != accs[0]:
            raise VerifyException(f"wgmma.frag_binary: result {self.result.type} must be the operand type {accs[0]}")


@irdl_op_definition
class FragFmaOp(IRDLOperation):
    """`wgmma.frag_fma %a, %b, %c`: a * b + c elementwise, rounded once (fma.rn.f32); each operand
    a fragment of the result's type or a row vector broadcast along its rows (attention's
    2^(S scale - m) is exp2 of fma(S, scale, -m)).

        %r = wgmma.frag_fma %s, %c, %nm : !wgmma.accumulator<m64n128, f32>, !wgmma.accumulator<m64n128, f32>, !wgmma.row_vector<m64, f32> -> !wgmma.accumulator<m64n128, f32>
    """

    name = "wgmma.frag_fma"

    a = operand_def(AccumulatorType | RowVectorType)
    b = operand_def(AccumulatorType | RowVectorType)
    c = operand_def(AccumulatorType | RowVectorType)
    result = result_def(AccumulatorType)

    assembly_format = "$a `,` $b `,` $c attr-dict `:` type($a) `,` type($b) `,` type($c) `->` type($result)"

    def __init__(self, a, b, c, result_type: AccumulatorType):
        super().__init__(operands=[a, b, c], result_types=[result_type])

    def verify_(self) -> None:
        _check_f32_accumulator(self, self.result.type, "result")
        for v in self.operands:
            if isinstance(v.type, AccumulatorType) and v.type != self.result.type:
                raise VerifyException(f"wgmma.frag_fma: operand {v.type} is not the result type {self.result.type}: "
                                      "elementwise ops take fragments of one shape")


@irdl_op_definition
class FragUnaryOp(IRDLOperation):
    """`wgmma.frag_unary "neg"|"exp2"|"log2"|"tanh"|"relu"|"gelu"|"silu" %x`: elementwise
    function.  exp2, log2 and tanh are the hardware approximations (ex2.approx.f32,
    lg2.approx.f32, tanh.approx.f32); relu is
    max(x, 0); gelu the tanh form 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3))); silu
    x / (1 + 2^(-x log2 e)).  On a row vector, a row vector.

        %r = wgmma.frag_unary "gelu" %acc : !wgmma.accumulator<m64n128, f32>
    """

    name = "wgmma.frag_unary"

    x = operand_def(AccumulatorType | RowVectorType)
    result = result_def(AccumulatorType | RowVectorType)
    kind = prop_def(StringAttr)

    def __init__(self, kind: str, x):
        super().__init__(operands=[x], result_types=[x.type], properties={"kind": StringAttr(kind)})

    @classmethod
    def parse(cls, parser):  # the result type is the operand's
        kind = parser.parse_str_literal()
        x = parser.parse_unresolved_operand()
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        op = cls(kind, parser.resolve_operand(x, parser.parse_type()))
        op.attributes.update(attrs)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(f' "{self.kind.data}" ')
        printer.print_operand(self.x)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.x.type)

    def verify_(self) -> None:
        if self.kind.data not in UNARY_KINDS:
            raise VerifyException(f"wgmma.frag_unary: unknown kind '{self.kind.data}' "
                                  f"(expected one of {', '.join(UNARY_KINDS)})")
        if isinstance(self.x.type, AccumulatorType):
            _check_f32_accumulator(self, self.x.type, "operand")
        if self.result.type != self.x.type:
            raise VerifyException(f"wgmma.frag_unary: result {self.result.type} must be the operand type {self.x.type}")


@irdl_op_definition
class FragSplatOp(IRDLOperation):
    """`wgmma.frag_splat %s : f32 -> !wgmma.accumulator<m64nN, f32>`: every element is the
    scalar `%s` (a kernel parameter, an arith.constant or a `wgmma.load_scalar`), or an i32
    `%s` converted to f32 (an index or a size, to compare with frag_iota).  No registers of
    its own: its users read the scalar's register.  To a `!wgmma.row_vector`: every row's
    value (online softmax's starting max and sum)."""

    name = "wgmma.frag_splat"

    value = operand_def(EqAttrConstraint(f32) | EqAttrConstraint(i32))
    result = result_def(AccumulatorType | RowVectorType)

    assembly_format = "$value attr-dict `:` type($value) `->` type($result)"

    def __init__(self, value, result_type: AccumulatorType | RowVectorType):
        super().__init__(operands=[value], result_types=[result_type])

    def verify_(self) -> None:
        if isinstance(self.result.type, AccumulatorType):
            _check_f32_accumulator(self, self.result.type, "result")


# -------------------------------------------------------------------------- loads

LOAD_DTYPES = {"f32": 4, "bf16": 2, "f16": 2}  # element type in memory -> bytes


def _check_dtype(op: IRDLOperation) -> None:
    dtype = op.dtype.data  # type: ignore[attr-defined]
    if dtype not in LOAD_DTYPES:
        raise VerifyException(f"{op.name}: dtype must be one of {', '.join(LOAD_DTYPES)}, got '{dtype}'")


@irdl_op_definition
class FragLoadVectorOp(IRDLOperation):
    """`wgmma.frag_load_vector %ptr[%base], %n_valid {along = "col"|"row", dtype = "f32"|"bf16"|"f16"}`:
    a vector from global memory broadcast over the fragment (a bias).  along = "col": element
    (r, c) of the fragment is ptr[base + c] (one value per column, the same in every row);
    along = "row": ptr[base + r].  Indices at or past `n_valid` read 0 (the tile's edge).
    `%ptr` is a global address (i64), `%base` and `%n_valid` are i32 element counts (for
    a bias along N: base = the tile's first column, n_valid = N).  bf16/f16 are widened.

        %b = wgmma.frag_load_vector %bias[%col0], %n {along = "col", dtype = "f32"} : !wgmma.accumulator<m64n128, f32>
    """

    name = "wgmma.frag_load_vector"

    ptr = operand_def(IntegerType(64))
    base = operand_def(i32)
    n_valid = operand_def(i32)
    result = result_def(AccumulatorType)
    along = prop_def(StringAttr)
    dtype = prop_def(StringAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$ptr `[` $base `]` `,` $n_valid attr-dict `:` type($result)"

    def __init__(self, ptr, base, n_valid, result_type: AccumulatorType, along: str, dtype: str = "f32"):
        super().__init__(operands=[ptr, base, n_valid], result_types=[result_type],
                         properties={"along": StringAttr(along), "dtype": StringAttr(dtype)})

    def verify_(self) -> None:
        if self.along.data not in ("row", "col"):
            raise VerifyException(f"wgmma.frag_load_vector: along must be \"row\" (one value per row) or "
                                  f"\"col\" (one value per column), got '{self.along.data}'")
        _check_dtype(self)
        _check_f32_accumulator(self, self.result.type, "result")


@irdl_op_definition
class LoadScalarOp(IRDLOperation):
    """`%s = wgmma.load_scalar %ptr {offset = 0} : f32`: the f32 at global address
    `%ptr + offset` (bytes, a multiple of 4), the same value in every thread: a per-tensor
    scale that stays in device memory (no host read-back), typically splatted over a
    fragment (`frag_splat`).  Not masked: the element must exist.  lower-fragments makes it
    one `ld.global.f32`.

        %sa = wgmma.load_scalar %scale_a {offset = 0} : f32
    """

    name = "wgmma.load_scalar"

    ptr = operand_def(IntegerType(64))
    result = result_def(f32)
    offset = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$ptr attr-dict `:` type($result)"

    def __init__(self, ptr, offset: int = 0):
        super().__init__(operands=[ptr], result_types=[f32], properties={"offset": IntegerAttr(offset, 64)})

    def verify_(self) -> None:
        off = _int(self.offset)
        if off < 0 or off % 4:
            raise VerifyException(f"wgmma.load_scalar: offset must be a non-negative multiple of 4 bytes (an f32 "
                                  f"element), got {off}")


@irdl_op_definition
class FragLoadTileOp(IRDLOperation):
    """`wgmma.frag_load_tile %ptr[%row0, %col0], %ld, %m, %n {dtype = "f32"|"bf16"|"f16"}`: a
    row-major matrix tile in the fragment layout (C for beta * C): element (r, c) is
    ptr[(row0 + r) * ld + col0 + c], or 0 where row0 + r >= m or col0 + c >= n.  i32 operands
    count elements; bf16/f16 are widened exactly.

        %c = wgmma.frag_load_tile %p[%r0, %c0], %n, %m, %n {dtype = "bf16"} : !wgmma.accumulator<m64n128, f32>
    """

    name = "wgmma.frag_load_tile"

    ptr = operand_def(IntegerType(64))
    row0 = operand_def(i32)
    col0 = operand_def(i32)
    ld = operand_def(i32)
    m = operand_def(i32)
    n = operand_def(i32)
    result = result_def(AccumulatorType)
    dtype = prop_def(StringAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$ptr `[` $row0 `,` $col0 `]` `,` $ld `,` $m `,` $n attr-dict `:` type($result)"

    def __init__(self, ptr, row0, col0, ld, m, n, result_type: AccumulatorType, dtype: str = "f32"):
        super().__init__(operands=[ptr, row0, col0, ld, m, n], result_types=[result_type],
                         properties={"dtype": StringAttr(dtype)})

    def verify_(self) -> None:
        _check_dtype(self)
        _check_f32_accumulator(self, self.result.type, "result")


# -------------------------------------------------------------------------- reductions


@irdl_op_definition
class FragReduceOp(IRDLOperation):
    """`wgmma.frag_reduce "max"|"sum" %x {dim = 1}`: the max or sum of each row of the
    fragment: each thread combines its own elements of its two rows, then the 4 lanes of a
    quad (which share the rows) exchange partial results by two butterfly shuffles; every
    lane ends with its rows' totals.

        %m = wgmma.frag_reduce "max" %s {dim = 1} : !wgmma.accumulator<m64n128, f32> -> !wgmma.row_vector<m64, f32>
    """

    name = "wgmma.frag_reduce"

    x = operand_def(AccumulatorType)
    result = result_def(RowVectorType)
    kind = prop_def(StringAttr)
    dim = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$kind $x attr-dict `:` type($x) `->` type($result)"

    def __init__(self, kind: str, x, dim: int = 1):
        super().__init__(operands=[x], result_types=[RowVectorType()],
                         properties={"kind": StringAttr(kind), "dim": IntegerAttr(dim, 64)})

    def verify_(self) -> None:
        if self.kind.data not in REDUCE_KINDS:
            raise VerifyException(f"wgmma.frag_reduce: unknown kind '{self.kind.data}' "
                                  f"(expected one of {', '.join(REDUCE_KINDS)})")
        if _int(self.dim) != 1:
            raise VerifyException(f"wgmma.frag_reduce: only dim = 1 (along a row, across columns) is supported, "
                                  f"got dim = {_int(self.dim)}: a column reduction crosses warps")
        _check_f32_accumulator(self, self.x.type, "operand")


# -------------------------------------------------------------------------- masks

COMPARE_KINDS = ("lt", "le", "gt", "ge", "eq", "ne")


@irdl_op_definition
class FragIotaOp(IRDLOperation):
    """`wgmma.frag_iota %base {dim = 0|1}`: element (r, c) is base + r (dim 0) or base + c
    (dim 1), as f32 (exact below 2^24): row or column indices for masks (a causal mask, the
    columns past N before a row max).  `%base` is i32 (the tile's origin, or 0).

        %cols = wgmma.frag_iota %col0 {dim = 1 : i64} : !wgmma.accumulator<m64n128, f32>
    """

    name = "wgmma.frag_iota"

    base = operand_def(i32)
    result = result_def(AccumulatorType)
    dim = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$base attr-dict `:` type($result)"

    def __init__(self, base, result_type: AccumulatorType, dim: int):
        super().__init__(operands=[base], result_types=[result_type], properties={"dim": IntegerAttr(dim, 64)})

    def verify_(self) -> None:
        if _int(self.dim) not in (0, 1):
            raise VerifyException(f"wgmma.frag_iota: dim must be 0 (row indices) or 1 (column indices), "
                                  f"got {_int(self.dim)}")
        _check_f32_accumulator(self, self.result.type, "result")


@irdl_op_definition
class FragSelectOp(IRDLOperation):
    """`wgmma.frag_select "lt"|"le"|"gt"|"ge"|"eq"|"ne" %a, %b, %x, %y`: element-wise
    (a cmp b) ? x : y, an ordered f32 comparison (false on NaN).  A tile program's tile.cmp
    read only by a tile.select.  Operands are fragments of the result's type or row vectors.

        %m = wgmma.frag_select "lt" %cols, %n, %s, %ninf : !wgmma.accumulator<m64n128, f32>, ... -> !wgmma.accumulator<m64n128, f32>
    """

    name = "wgmma.frag_select"

    a = operand_def(AccumulatorType | RowVectorType)
    b = operand_def(AccumulatorType | RowVectorType)
    x = operand_def(AccumulatorType | RowVectorType)
    y = operand_def(AccumulatorType | RowVectorType)
    result = result_def(AccumulatorType)
    kind = prop_def(StringAttr)

    assembly_format = ("$kind $a `,` $b `,` $x `,` $y attr-dict `:` type($a) `,` type($b) `,` type($x) `,` "
                       "type($y) `->` type($result)")

    def __init__(self, kind: str, a, b, x, y, result_type: AccumulatorType):
        super().__init__(operands=[a, b, x, y], result_types=[result_type], properties={"kind": StringAttr(kind)})

    def verify_(self) -> None:
        if self.kind.data not in COMPARE_KINDS:
            raise VerifyException(f"wgmma.frag_select: unknown comparison '{self.kind.data}' "
                                  f"(expected one of {', '.join(COMPARE_KINDS)})")
        _check_f32_accumulator(self, self.result.type, "result")
        for v in self.operands:
            if isinstance(v.type, AccumulatorType) and v.type != self.result.type:
                raise VerifyException(f"wgmma.frag_select: operand {v.type} is not the result type "
                                      f"{self.result.type}: elementwise ops take fragments of one shape")


# -------------------------------------------------------------------------- tile origin


@irdl_op_definition
class TileOriginOp(IRDLOperation):
    """`%row0, %col0 = wgmma.tile_origin {row_offset = R}`: the C coordinates (row, column) of
    element (0, 0) of the accumulator tile that this warpgroup stores with
    `store_accumulator` of the same `row_offset` in the current tile: the bases that
    frag_load_vector and frag_load_tile take.  Lowered by lower-to-ptx (it knows the
    block's position)."""

    name = "wgmma.tile_origin"

    row = result_def(i32)
    col = result_def(i32)
    row_offset = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict `:` type($row) `,` type($col)"

    def __init__(self, row_offset: int = 0):
        super().__init__(result_types=[i32, i32], properties={"row_offset": IntegerAttr(row_offset, 64)})

    def verify_(self) -> None:
        off = _int(self.row_offset)
        if off < 0 or off % 64:
            raise VerifyException(f"wgmma.tile_origin: row_offset must be a non-negative multiple of 64 "
                                  f"(an m64 tile), got {off}")


OPS = [FragBinaryOp, FragFmaOp, FragUnaryOp, FragSplatOp, FragLoadVectorOp, FragLoadTileOp, FragReduceOp, FragIotaOp,
       FragSelectOp, TileOriginOp, LoadScalarOp]
TYPES = [RowVectorType]
ELEMENTWISE = (FragBinaryOp, FragFmaOp, FragUnaryOp, FragSelectOp)
