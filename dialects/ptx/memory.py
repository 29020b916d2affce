"""PTX memory: kernel parameters, global loads and stores of C (guarded, vector, atomic
reductions), TMA bulk tensor copies into shared memory, and ldmatrix from it."""

from __future__ import annotations

from abc import ABC
from typing import ClassVar

from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_result_def,
)

from exo_gpu.dialects.ptx.registers import (
    AccType,
    B16Type,
    B32Type,
    B64Type,
    F32Type,
    PredType,
    PtxOp,
    PtxRegisterType,
    Reg,
    RegisterTies,
    TiesRegisters,
    _addr,
    _check_f32_element,
    _element,
    _i,
    _int_prop,
)


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


class _GuardedLoadOp(PtxOp, TiesRegisters, ABC):
    """`ld.global<TYPE>`, guarded by an optional predicate.  Where the guard is false the
    result is `fallback`, whose register the result shares (assign-registers ties them):
    without one, a guarded load's register would be live-in from wherever it was last
    written."""

    TYPE: ClassVar[str]
    REGISTER: ClassVar[type[PtxRegisterType]]

    def __init__(self, addr: SSAValue, offset: int, guard: SSAValue | None, fallback: SSAValue | None = None):
        super().__init__(operands=[addr, [guard] if guard is not None else [], [fallback] if fallback is not None else []],
                         result_types=[self.REGISTER.unallocated()], properties={"offset": _int_prop(offset)})

    def register_ties(self) -> RegisterTies:
        fallback = self.fallback  # type: ignore[attr-defined]
        return RegisterTies(inouts=[(fallback, self.result)] if fallback is not None else [])  # type: ignore[attr-defined]

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
