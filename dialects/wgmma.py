"""The `wgmma` dialect: Hopper's asynchronous warpgroup matrix multiply-accumulate.

The accumulator of `wgmma.mma_async` is a typed SSA value (`!wgmma.accumulator<m64nN, f32>`)
so that every read and write of it is visible in the IR.  Shapes and element types are checked
by the verifiers against the PTX ISA's table (`WGMMA_TABLE`), so an illegal instruction is
rejected when it is built, not when ptxas sees it.

Accumulators flow through `wgmma.wait_group` as operands and results (the wait *returns* the
retired accumulators), so no pass can move a read of an accumulator above the wait that makes
it safe to read.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    IntAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    f16,
    f32,
    i1,
    i32,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import int_value as _int


@dataclass(frozen=True)
class WgmmaKind:
    """One input element type of wgmma: its k per instruction and what it allows."""

    ptx: str  # the PTX spelling of the A/B type
    bytes: int  # bytes per element in shared memory
    k: int  # k of one instruction (32 bytes of K)
    accumulators: tuple[str, ...]  # legal accumulator types
    transpose: bool  # whether wgmma's transpose bits (MN-major operands) are allowed


WGMMA_TABLE: dict[str, WgmmaKind] = {
    "tf32": WgmmaKind("tf32", 4, 8, ("f32",), False),
    "f16": WgmmaKind("f16", 2, 16, ("f32", "f16"), True),
    "bf16": WgmmaKind("bf16", 2, 16, ("f32",), True),
    "e4m3": WgmmaKind("e4m3", 1, 32, ("f32", "f16"), False),
    "e5m2": WgmmaKind("e5m2", 1, 32, ("f32", "f16"), False),
}

LEGAL_N = tuple(range(8, 257, 8))
ACCUMULATORS = {"f32": f32, "f16": f16}  # accumulator spelling -> element type


def accumulator_name(element: Attribute) -> str | None:
    """'f32' or 'f16' for an accumulator element type, None for any other type."""
    return "f32" if isinstance(element, Float32Type) else "f16" if isinstance(element, Float16Type) else None


def check_accumulator(dtype: str, accumulator: str) -> str | None:
    """Return why wgmma cannot accumulate `dtype` inputs in `accumulator`, or None if it can."""
    if accumulator not in ACCUMULATORS:
        return f"accumulator must be f32 or f16, got '{accumulator}'"
    kind = WGMMA_TABLE.get(dtype)
    if kind is not None and accumulator not in kind.accumulators:
        legal = [d for d, k in WGMMA_TABLE.items() if accumulator in k.accumulators]
        return (f"{dtype} wgmma has no {accumulator} accumulator: use accumulator f32, "
                f"or dtype {', '.join(legal[:-1])} or {legal[-1]} for {accumulator} accumulation")
    return None


def check_shape(dtype: str, m: int, n: int, k: int | None = None) -> str | None:
    """Return why (dtype, m64nNkK) is not a legal wgmma shape, or None if it is."""
    if dtype not in WGMMA_TABLE:
        return f"unknown wgmma input type '{dtype}' (expected one of {', '.join(WGMMA_TABLE)})"
    kind = WGMMA_TABLE[dtype]
    if m != 64:
        return f"wgmma M must be 64, got {m}"
    if n not in LEGAL_N:
        return f"wgmma N must be a multiple of 8 from 8 to 256, got {n}"
    if k is not None and k != kind.k:
        return f"wgmma with {dtype} inputs has k={kind.k}, got k={k}"
    return None


@irdl_attr_definition
class AccumulatorType(ParametrizedAttribute, TypeAttribute):
    """The registers of one m64nN accumulator tile, spread over a warpgroup's 128 threads.

    Printed `!wgmma.accumulator<m64n128, f32>` (or `f16`).  Each thread holds `m*n/128`
    elements: one a 32-bit register for f32, two (packed f16x2) a register for f16.
    """

    name = "wgmma.accumulator"

    m: IntAttr
    n: IntAttr
    element: Attribute

    def __init__(self, m: int, n: int, element: Attribute = f32):
        super().__init__(IntAttr(m), IntAttr(n), element)

    @property
    def elements_per_thread(self) -> int:
        return self.m.data * self.n.data // 128

    @property
    def registers_per_thread(self) -> int:
        """32-bit registers per thread (f16 accumulators pack two elements a register)."""
        return self.elements_per_thread if isinstance(self.element, Float32Type) else self.elements_per_thread // 2

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        parser.parse_punctuation("<")
        pos = parser.pos
        shape = parser.parse_identifier()
        if not (shape.startswith("m") and "n" in shape):
            parser.raise_error("expected an accumulator shape like m64n128", pos, parser.pos)
        try:
            m_text, n_text = shape[1:].split("n", 1)
            m, n = int(m_text), int(n_text)
        except ValueError:
            parser.raise_error("expected an accumulator shape like m64n128", pos, parser.pos)
        parser.parse_punctuation(",")
        element = parser.parse_type()
        parser.parse_punctuation(">")
        return [IntAttr(m), IntAttr(n), element]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<m{self.m.data}n{self.n.data}, ")
        printer.print_attribute(self.element)
        printer.print_string(">")

    def verify(self) -> None:
        if self.m.data != 64 or self.n.data not in LEGAL_N:
            raise VerifyException(
                f"accumulator m{self.m.data}n{self.n.data} is not a wgmma shape "
                "(M must be 64, N a multiple of 8 from 8 to 256)"
            )
        if accumulator_name(self.element) is None:
            raise VerifyException(f"accumulator element must be f32 or f16, got {self.element}")



@irdl_op_definition
class FenceOp(IRDLOperation):
    """`wgmma.fence`: orders earlier register and shared-memory accesses before the next
    wgmma.mma_async of this warpgroup.  Required before the first mma of every stage."""

    name = "wgmma.fence"
    assembly_format = "attr-dict"


@irdl_op_definition
class MmaAsyncOp(IRDLOperation):
    """`wgmma.mma_async`: D = A * B (+ D) on one m64nNk accumulator tile, A and B in shared
    memory at slot `slot` of rings `a_ring` and `b_ring`.

    `scale_d` is an immediate (0: D is not read, 1: D accumulates) unless the optional
    `scale_d_value` operand gives it at run time, a form ptxas may serialize.  The result
    is the same accumulator (same registers) as `acc` when D accumulates.

    `trans_a` / `trans_b` (absent: 0) are wgmma's imm-trans-a / imm-trans-b: 1 reads A
    M-major / B N-major (MN-major 128-byte-swizzled tiles), legal for f16 and bf16 only.

    With `a_slot`, A is at that slot of its ring instead: a ring advancing once per tile
    (attention's Q) read by every K block's wgmmas, whose slots walk B's ring.
    """

    name = "wgmma.mma_async"

    acc = opt_operand_def(AccumulatorType)
    slot = operand_def(i32)
    scale_d_value = opt_operand_def(i1)
    a_slot = opt_operand_def(i32)  # A's slot when its ring advances once per tile (absent: slot)
    result = result_def(AccumulatorType)

    dtype = prop_def(StringAttr)
    k = prop_def(IntegerAttr)
    a_offset = prop_def(IntegerAttr)  # bytes into the slot's A tile
    b_offset = prop_def(IntegerAttr)  # bytes into the slot's B tile
    scale_d = prop_def(IntegerAttr)
    trans_a = opt_prop_def(IntegerAttr)  # imm-trans-a: 1 = A is M-major (0 when absent)
    trans_b = opt_prop_def(IntegerAttr)  # imm-trans-b: 1 = B is N-major (0 when absent)
    a_ring = prop_def(StringAttr)  # the ring holding A's tiles
    b_ring = prop_def(StringAttr)  # the ring holding B's tiles
    b_tile = opt_prop_def(IntegerAttr)  # where B's tile starts in its ring's slot (0 when absent)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, acc, slot, result_type: AccumulatorType, dtype: str, a_offset: int,
                 b_offset: int, scale_d: int, scale_d_value=None, trans_a: int = 0, trans_b: int = 0,
                 rings: tuple[str, str] = ("a", "b"), b_tile: int = 0, a_slot=None):
        trans = {name: IntegerAttr(v, 64) for name, v in (("trans_a", trans_a), ("trans_b", trans_b)) if v}
        super().__init__(
            operands=[[acc] if acc is not None else [], [slot],
                      [scale_d_value] if scale_d_value is not None else [],
                      [a_slot] if a_slot is not None else []],
            result_types=[result_type],
            properties={
                "dtype": StringAttr(dtype),
                "k": IntegerAttr(WGMMA_TABLE[dtype].k, 64),
                "a_offset": IntegerAttr(a_offset, 64),
                "b_offset": IntegerAttr(b_offset, 64),
                "scale_d": IntegerAttr(scale_d, 64),
                **trans,
                "a_ring": StringAttr(rings[0]),
                "b_ring": StringAttr(rings[1]),
                **({"b_tile": IntegerAttr(b_tile, 64)} if b_tile else {}),
            },
        )

    @property
    def rings(self) -> tuple[str, ...]:
        """The rings this wgmma reads, A's first."""
        return self.a_ring.data, self.b_ring.data

    def ring_slots(self) -> list[tuple[str, SSAValue]]:
        """(ring, slot) of each ring this wgmma reads, A's first."""
        return [(self.a_ring.data, self.slot if self.a_slot is None else self.a_slot), (self.b_ring.data, self.slot)]

    def verify_(self) -> None:
        ty = self.result.type
        assert isinstance(ty, AccumulatorType)
        if (why := check_shape(self.dtype.data, ty.m.data, ty.n.data, _int(self.k))) is not None:
            raise VerifyException(why)
        if self.acc is not None and self.acc.type != ty:
            raise VerifyException(f"accumulator operand {self.acc.type} does not match result {ty}")
        if (why := check_accumulator(self.dtype.data, accumulator_name(ty.element) or "")) is not None:
            raise VerifyException(why)
        scale_d = _int(self.scale_d)
        if scale_d not in (0, 1):
            raise VerifyException(f"scale_d must be 0 or 1, got {scale_d}")
        if self.scale_d_value is None and scale_d == 1 and self.acc is None:
            raise VerifyException("scale_d = 1 accumulates into D, so an accumulator operand is required")
        if self.scale_d_value is None and scale_d == 0 and self.acc is not None:
            raise VerifyException("scale_d = 0 does not read D: drop the accumulator operand")
        if self.scale_d_value is not None and self.acc is None:
            raise VerifyException("a run-time scale_d may read D, so an accumulator operand is required")
        for what in ("trans_a", "trans_b"):
            attr = getattr(self, what)
            value = 0 if attr is None else _int(attr)
            if value not in (0, 1):
                raise VerifyException(f"{what} must be 0 or 1, got {value}")
            if value and not WGMMA_TABLE[self.dtype.data].transpose:
                raise VerifyException(f"{self.dtype.data} wgmma has no transpose bits: {what} must be 0 "
                                      "(MN-major operands are f16 and bf16 only)")
        for what, off in (("a_offset", _int(self.a_offset)), ("b_offset", _int(self.b_offset))):
            if off < 0 or off % 16:
                raise VerifyException(f"{what} must be a non-negative multiple of 16 bytes, got {off}")


@irdl_attr_definition
class FragmentAType(ParametrizedAttribute, TypeAttribute):
    """The A operand of one RS wgmma (A from registers): an m64 x k slice of A spread over a
    warpgroup's 128 threads, 4 32-bit registers per thread for every input type.

    Printed `!wgmma.fragment_a<m64k16, bf16>`; k is the dtype's wgmma k (32 bytes of K).
    """

    name = "wgmma.fragment_a"

    k: IntAttr
    dtype: StringAttr

    def __init__(self, dtype: str):
        super().__init__(IntAttr(WGMMA_TABLE[dtype].k if dtype in WGMMA_TABLE else 0), StringAttr(dtype))

    @property
    def registers_per_thread(self) -> int:
        return 4

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        parser.parse_punctuation("<")
        pos = parser.pos
        shape = parser.parse_identifier()
        if not (shape.startswith("m64k") and shape[4:].isdigit()):
            parser.raise_error("expected an A fragment shape like m64k16", pos, parser.pos)
        parser.parse_punctuation(",")
        dtype = parser.parse_identifier()
        parser.parse_punctuation(">")
        return [IntAttr(int(shape[4:])), StringAttr(dtype)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<m64k{self.k.data}, {self.dtype.data}>")

    def verify(self) -> None:
        dtype = self.dtype.data
        if dtype not in WGMMA_TABLE:
            raise VerifyException(f"A fragment of unknown wgmma input type '{dtype}' "
                                  f"(expected one of {', '.join(WGMMA_TABLE)})")
        if self.k.data != WGMMA_TABLE[dtype].k:
            raise VerifyException(f"A fragment of {dtype} is m64k{WGMMA_TABLE[dtype].k}, got m64k{self.k.data}")


@irdl_op_definition
class LoadFragmentAOp(IRDLOperation):
    """Loads the A fragment of one RS wgmma from this warpgroup's A tile in ring slot `slot`
    (128-byte swizzled, K-major, as TMA wrote it) into registers: rows a_offset / 128 ..
    + 63 of the tile, the 32 bytes of K at byte a_offset % 128 of each row.

    Thread->element mapping (the PTX ISA's register fragment of wgmma matrix A, the same for
    every input type once K is counted in bytes): thread t of the warpgroup, warp w = t / 32,
    lane l = t % 32, group g = l / 4, q = l % 4, holds 4 32-bit registers; with
    e = 4 / bytes-per-element elements per register (2 for f16/bf16, 1 for tf32, 4 for fp8),
    register j holds row 16w + g + 8 (j % 2) and elements e*q .. e*q + e-1 of K chunk j / 2,
    a chunk being 16 bytes of K (f16/bf16: a0..a7 = rows g, g+8, g, g+8 by pairs, columns
    2q, 2q+1 and 8 + 2q, 8 + 2q + 1; tf32: a0..a3 = (g, q), (g+8, q), (g, q+4), (g+8, q+4);
    fp8: bytes 4q..4q+3 of columns 0..15, then 16..31).  That is exactly what
    `ldmatrix.m8n8.x4.b16` returns when lane l gives the address of row
    16w + l % 8 + 8 ((l / 8) % 2), chunk l / 16: register j is 8x8 b16 matrix j.  In the
    swizzled tile, 16-byte chunk c of row r sits at chunk c ^ (r % 8)."""

    name = "wgmma.load_fragment_a"

    slot = operand_def(i32)
    result = result_def(FragmentAType)
    a_offset = prop_def(IntegerAttr)  # bytes into the slot's A tile of this warpgroup
    ring = prop_def(StringAttr)  # the ring holding A's tiles

    def __init__(self, slot, dtype: str, a_offset: int, ring: str = "a"):
        super().__init__(operands=[slot], result_types=[FragmentAType(dtype)],
                         properties={"a_offset": IntegerAttr(a_offset, 64), "ring": StringAttr(ring)})

    @property
    def rings(self) -> tuple[str, ...]:
        return (self.ring.data,)

    def verify_(self) -> None:
        off = _int(self.a_offset)
        if off < 0 or off % 32:
            raise VerifyException(f"load_fragment_a: a_offset must be a non-negative multiple of 32 bytes "
                                  f"(one wgmma's K), got {off}")
        if (off // 128) % 64:
            raise VerifyException(f"load_fragment_a: a_offset {off} must start an m64 row block "
                                  "(a multiple of 64 rows of 128 bytes) plus 0, 32, 64 or 96 bytes of K")


@irdl_op_definition
class MmaAsyncRsOp(IRDLOperation):
    """`wgmma.mma_async` with A from registers (the RS form): D = A * B (+ D) on one m64nNk
    accumulator tile, A the fragment `a` (from wgmma.load_fragment_a), B in shared memory at
    ring slot `slot`.  scale_d is an immediate.  The wgmma reads `a`'s registers
    asynchronously: nothing may write them until a wait_group retires it (insert-syncs)."""

    name = "wgmma.mma_async_rs"

    acc = opt_operand_def(AccumulatorType)
    slot = operand_def(i32)
    a = operand_def(FragmentAType)
    result = result_def(AccumulatorType)

    dtype = prop_def(StringAttr)
    k = prop_def(IntegerAttr)
    b_offset = prop_def(IntegerAttr)  # bytes into the slot's B tile
    scale_d = prop_def(IntegerAttr)
    b_ring = prop_def(StringAttr)  # the ring holding B's tiles
    b_tile = opt_prop_def(IntegerAttr)  # where B's tile starts in its ring's slot (0 when absent)
    trans_b = opt_prop_def(IntegerAttr)  # imm-trans-b: 1 = B is N-major (0 when absent)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, acc, slot, a, result_type: AccumulatorType, dtype: str, b_offset: int, scale_d: int,
                 b_ring: str = "b", b_tile: int = 0, trans_b: int = 0):
        super().__init__(
            operands=[[acc] if acc is not None else [], [slot], [a]],
            result_types=[result_type],
            properties={"dtype": StringAttr(dtype), "k": IntegerAttr(WGMMA_TABLE[dtype].k, 64),
                        "b_offset": IntegerAttr(b_offset, 64), "scale_d": IntegerAttr(scale_d, 64),
                        "b_ring": StringAttr(b_ring),
                        **({"b_tile": IntegerAttr(b_tile, 64)} if b_tile else {}),
                        **({"trans_b": IntegerAttr(trans_b, 64)} if trans_b else {})})

    @property
    def transposed_b(self) -> int:
        return 0 if self.trans_b is None else _int(self.trans_b)

    @property
    def rings(self) -> tuple[str, ...]:
        """The rings this wgmma reads (B's; A is in registers)."""
        return (self.b_ring.data,)

    def verify_(self) -> None:
        ty = self.result.type
        assert isinstance(ty, AccumulatorType)
        if (why := check_shape(self.dtype.data, ty.m.data, ty.n.data, _int(self.k))) is not None:
            raise VerifyException(why)
        frag = self.a.type
        assert isinstance(frag, FragmentAType)
        if frag.dtype.data != self.dtype.data:
            raise VerifyException(f"mma_async_rs of {self.dtype.data} takes a {self.dtype.data} A fragment, "
                                  f"got {frag.dtype.data}")
        if self.acc is not None and self.acc.type != ty:
            raise VerifyException(f"accumulator operand {self.acc.type} does not match result {ty}")
        scale_d = _int(self.scale_d)
        if scale_d not in (0, 1):
            raise VerifyException(f"scale_d must be 0 or 1, got {scale_d}")
        if scale_d == 1 and self.acc is None:
            raise VerifyException("scale_d = 1 accumulates into D, so an accumulator operand is required")
        if scale_d == 0 and self.acc is not None:
            raise VerifyException("scale_d = 0 does not read D: drop the accumulator operand")
        off = _int(self.b_offset)
        if off < 0 or off % 16:
            raise VerifyException(f"b_offset must be a non-negative multiple of 16 bytes, got {off}")
        if self.transposed_b not in (0, 1):
            raise VerifyException(f"trans_b must be 0 or 1, got {self.transposed_b}")
        if self.transposed_b and not WGMMA_TABLE[self.dtype.data].transpose:
            raise VerifyException(f"{self.dtype.data} wgmma has no transpose bits: trans_b must be 0 "
                                  "(N-major B is f16 and bf16 only)")


@irdl_op_definition
class UndefAccumulatorOp(IRDLOperation):
    """An accumulator whose registers hold no defined value yet, to be passed only to an
    mma_async whose scale-d is 0 at run time (it does not read D).  No instruction."""

    name = "wgmma.undef_accumulator"
    result = result_def(AccumulatorType)

    def __init__(self, result_type: AccumulatorType):
        super().__init__(result_types=[result_type])


@irdl_op_definition
class CommitGroupOp(IRDLOperation):
    """`wgmma.commit_group`: closes the group of mma_async issued since the last commit."""

    name = "wgmma.commit_group"
    assembly_format = "attr-dict"


@irdl_op_definition
class WaitGroupOp(IRDLOperation):
    """`wgmma.wait_group N`: waits until at most N committed groups are pending, and returns
    the accumulators it covers, which may be read only through these results."""

    name = "wgmma.wait_group"

    accumulators = var_operand_def(AccumulatorType)
    results_ = var_result_def(AccumulatorType)
    pending = prop_def(IntegerAttr)

    def __init__(self, pending: int, accumulators):
        super().__init__(
            operands=[accumulators],
            result_types=[[a.type for a in accumulators]],
            properties={"pending": IntegerAttr(pending, 64)},
        )

    def verify_(self) -> None:
        if [a.type for a in self.accumulators] != [r.type for r in self.results_]:
            raise VerifyException("wait_group results must have the types of its accumulators")
        if not 0 <= _int(self.pending) <= 7:
            raise VerifyException(f"wait_group N must be in 0..7, got {_int(self.pending)}")


@irdl_op_definition
class StoreAccumulatorOp(IRDLOperation):
    """Epilogue: writes one accumulator tile to row-major C (optionally adding C's old
    value), rows `row_offset` below the warpgroup's first row, with bounds checks against
    M and N; an f16 accumulator is converted to f32 first.  C's elements are f32, or with
    `c_dtype` bf16 or f16 (each sum rounded to nearest-even once, after any addition of C's
    old value).  Reads the accumulator registers: legal only on a retired accumulator.
    With `atomic_add` = 1 (split-K partial sums) every element is added into C by a relaxed,
    GPU-scope atomic reduction instead, whatever `accumulate_c` says: C must hold its
    starting value (zero, or C's old value for C +=) before the launch; C must be f32."""

    name = "wgmma.store_accumulator"

    acc = operand_def(AccumulatorType)
    c = operand_def(IntegerType(64))
    m = operand_def(i32)
    n = operand_def(i32)
    row_offset = prop_def(IntegerAttr)
    accumulate_c = prop_def(IntegerAttr)
    c_dtype = opt_prop_def(StringAttr)  # f32 (default) | bf16 | f16
    atomic_add = opt_prop_def(IntegerAttr)  # 1: red.global.add into C (0 when absent)

    def __init__(self, acc, c, m, n, row_offset: int, accumulate_c: bool, c_dtype: str = "f32",
                 atomic_add: bool = False):
        super().__init__(
            operands=[acc, c, m, n],
            properties={"row_offset": IntegerAttr(row_offset, 64),
                        "accumulate_c": IntegerAttr(int(accumulate_c), 64),
                        **({"c_dtype": StringAttr(c_dtype)} if c_dtype != "f32" else {}),
                        **({"atomic_add": IntegerAttr(1, 64)} if atomic_add else {})},
        )

    @property
    def c_element(self) -> str:
        return "f32" if self.c_dtype is None else self.c_dtype.data

    @property
    def atomic(self) -> bool:
        return self.atomic_add is not None and _int(self.atomic_add) != 0

    def verify_(self) -> None:
        if self.c_element not in ("f32", "bf16", "f16"):
            raise VerifyException(f"c_dtype must be f32, bf16 or f16, got '{self.c_element}'")
        if self.atomic_add is not None and _int(self.atomic_add) not in (0, 1):
            raise VerifyException(f"atomic_add must be 0 or 1, got {_int(self.atomic_add)}")
        if self.atomic and self.c_element != "f32":
            raise VerifyException(f"atomic adds (split-K) write an f32 C, not {self.c_element}")


Wgmma = Dialect(
    "wgmma",
    [FenceOp, MmaAsyncOp, UndefAccumulatorOp, CommitGroupOp, WaitGroupOp, StoreAccumulatorOp,
     LoadFragmentAOp, MmaAsyncRsOp],
    [AccumulatorType, FragmentAType],
)
