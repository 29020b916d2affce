"""Fragment ops that leave the accumulator layout, for attention: an accumulator's columns
packed as the A operand of an RS wgmma (P = softmax(S) fed to P @ V), and a row vector
written to memory (the row log-sum-exp).

Why packing is free of data movement: wgmma's accumulator fragment (dialects/fragment.py,
`position`) and its register A fragment (wgmma.load_fragment_a) put the same (row, column)
pairs in the same thread.  A thread holds accumulator columns 8c + 2q, 8c + 2q + 1 of its
rows g and g + 8 for every n8 chunk c; the m64k16 A fragment of K chunk j holds, in
registers 0..3, rows g, g + 8, g, g + 8 at columns 16j + 2q (+1), 16j + 2q (+1),
16j + 8 + 2q (+1), 16j + 8 + 2q (+1): accumulator chunks 2j and 2j + 1.  So register r of
the fragment is the pair of accumulator elements 4 (2j + r / 2) + 2 (r % 2) + {0, 1},
rounded to bf16 (or f16) and packed by one cvt.rn.bf16x2.f32, lower column in the low half.
"""

from __future__ import annotations

from xdsl.dialects.builtin import Float32Type, IntegerAttr, IntegerType, i32
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, prop_def, result_def
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.fragment import RowVectorType
from exo_gpu.dialects.wgmma import AccumulatorType, FragmentAType

PACK_DTYPES = ("bf16", "f16")  # A fragment types an f32 accumulator packs to


def packed_elements(chunk: int, register: int) -> tuple[int, int]:
    """The accumulator elements (lower column first) that register `register` of the m64k16
    A fragment of K chunk `chunk` packs (module docstring)."""
    first = 4 * (2 * chunk + register // 2) + 2 * (register % 2)
    return first, first + 1


@irdl_op_definition
class FragPackAOp(IRDLOperation):
    """`wgmma.frag_pack_a %acc {chunk = j}`: columns 16j .. 16j + 15 of an f32 accumulator as
    the m64k16 A fragment of an RS wgmma, each element rounded to nearest even (module
    docstring).  Reads the accumulator's registers: legal only on a retired accumulator.

        %p0 = wgmma.frag_pack_a %s {chunk = 0 : i64} : !wgmma.accumulator<m64n128, f32> -> !wgmma.fragment_a<m64k16, bf16>
    """

    name = "wgmma.frag_pack_a"

    x = operand_def(AccumulatorType)
    result = result_def(FragmentAType)
    chunk = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$x attr-dict `:` type($x) `->` type($result)"

    def __init__(self, x, chunk: int, dtype: str = "bf16"):
        super().__init__(operands=[x], result_types=[FragmentAType(dtype)],
                         properties={"chunk": IntegerAttr(chunk, 64)})

    def verify_(self) -> None:
        ty, frag = self.x.type, self.result.type
        assert isinstance(ty, AccumulatorType) and isinstance(frag, FragmentAType)
        if not isinstance(ty.element, Float32Type):
            raise VerifyException(f"wgmma.frag_pack_a: the accumulator {ty} must hold f32 elements")
        if frag.dtype.data not in PACK_DTYPES:
            raise VerifyException(f"wgmma.frag_pack_a packs to a bf16 or f16 fragment, not {frag.dtype.data}")
        chunks = ty.n.data // 16
        if not 0 <= _int(self.chunk) < chunks:
            raise VerifyException(f"wgmma.frag_pack_a: chunk {_int(self.chunk)} is outside the {chunks} "
                                  f"16-column chunks of {ty}")


@irdl_op_definition
class StoreRowsOp(IRDLOperation):
    """`wgmma.store_rows %v, %ptr, %m {row_offset = R}`: writes one f32 per row of the m64
    tile that store_accumulator with the same `row_offset` writes (its rows of C, in the same
    batch entry: element b * m + row of `ptr` for batch entry b), rows below `m` only; lane
    0 of each quad writes its two rows.

        wgmma.store_rows %lse, %ptr, %m {row_offset = 0 : i64} : !wgmma.row_vector<m64, f32>, i64, i32
    """

    name = "wgmma.store_rows"

    value = operand_def(RowVectorType)
    ptr = operand_def(IntegerType(64))
    m = operand_def(i32)
    row_offset = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$value `,` $ptr `,` $m attr-dict `:` type($value) `,` type($ptr) `,` type($m)"

    def __init__(self, value, ptr, m, row_offset: int = 0):
        super().__init__(operands=[value, ptr, m], properties={"row_offset": IntegerAttr(row_offset, 64)})

    def verify_(self) -> None:
        off = _int(self.row_offset)
        if off < 0 or off % 64:
            raise VerifyException(f"wgmma.store_rows: row_offset must be a non-negative multiple of 64 "
                                  f"(an m64 tile), got {off}")


OPS = [FragPackAOp, StoreRowsOp]
