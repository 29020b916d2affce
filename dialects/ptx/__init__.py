"""The `ptx` dialect: PTX assembly, one op per instruction we emit.

Values live in PTX virtual registers whose types say whether the value has been given its
register yet, as in xDSL's riscv dialect: `!ptx.b32` is unallocated, `!ptx.b32<r7>` is `%r7`.
An accumulator tile is a range of f32 registers, `!ptx.acc<64>` before assignment and
`!ptx.acc<64 at 128>` (%acc128 ... %acc191) after, or of packed f16x2 registers for an f16
accumulator, `!ptx.acc<32, f16x2 at 0>` (%hacc0 ... %hacc31).  `assign-registers` gives every value its
register; `emit-ptx` prints the text and requires every register assigned.

Structured control flow (`ptx.if`, `ptx.loop`) is kept until printing so that loop-carried
values are visible to register assignment; the printer turns it into labels and branches.
Each op's `assembly_line` gives its PTX text for a register naming function.

The package is split the way xDSL splits its riscv dialect: `registers` (register types, the
`PtxOp` base and shared operand helpers), one module per op family (`arith`, `memory`,
`sync`: barriers, mbarriers and fences, `wgmma`, `control`: entry, budget, structured
control flow and branches) and `flat` (ptx.func / ptx.instr / ptx.mma for foreign PTX read by
`exo_gpu.ptxas.reader`).  Everything is re-exported here: `from exo_gpu.dialects import ptx;
ptx.MovOp`.
"""

from xdsl.ir import Dialect

from exo_gpu.dialects.ptx.registers import (  # noqa: F401
    PtxRegisterType,
    PredType,
    B32Type,
    B16Type,
    B64Type,
    F32Type,
    SCALAR_TYPES,
    ACC_ELEMENTS,
    AccType,
    Reg,
    RegisterTies,
    TiesRegisters,
    _i,
    _int_prop,
    PtxOp,
    _check_f32_element,
    _element,
    _addr,
    _acc_list,
)

from exo_gpu.dialects.ptx.arith import (  # noqa: F401
    BinaryOp,
    _binary,
    AddOp,
    SubOp,
    MulLoOp,
    MulWideOp,
    DivOp,
    RemOp,
    AndOp,
    OrOp,
    XorOp,
    ShlOp,
    ShrOp,
    MaxOp,
    MinOp,
    MadLoOp,
    MovOp,
    CvtOp,
    CvtaToGlobalOp,
    CvtaParamOp,
    SetpOp,
    SelpOp,
    ShflBflyOp,
    AddF32Op,
    HALF_TYPES,
    _half,
    CvtPackHalf2Op,
    CvtToHalfOp,
    CvtFromHalfOp,
    UnpackF16x2Op,
)

from exo_gpu.dialects.ptx.memory import (  # noqa: F401
    LdParamOp,
    _GuardedLoadOp,
    LdGlobalF32Op,
    LdGlobalB16Op,
    StGlobalF32Op,
    RedGlobalAddF32Op,
    StGlobalV2F32Op,
    StGlobalBitsOp,
    StGlobalV2B32Op,
    StGlobalV2F32ValuesOp,
    CpAsyncBulkTensor2dOp,
    LdmatrixX4Op,
)

from exo_gpu.dialects.ptx.sync import (  # noqa: F401
    BarSyncOp,
    NamedBarrierOp,
    MbarrierInitOp,
    FenceMbarrierInitOp,
    FenceProxyAsyncOp,
    MbarrierArriveOp,
    MapaOp,
    MbarrierArriveClusterOp,
    BarrierClusterOp,
    MbarrierArriveExpectTxOp,
    MbarrierTryWaitParityOp,
)

from exo_gpu.dialects.ptx.wgmma import (  # noqa: F401
    WgmmaFenceOp,
    WgmmaMmaAsyncOp,
    WgmmaMmaAsyncRsOp,
    AccUndefOp,
    WgmmaCommitGroupOp,
    WgmmaWaitGroupOp,
)

from exo_gpu.dialects.ptx.control import (  # noqa: F401
    SetmaxnregOp,
    EntryOp,
    IfOp,
    LoopOp,
    BreakIfOp,
    NextOp,
    LabelOp,
    BraOp,
    RetOp,
)

from exo_gpu.dialects.ptx.flat import (  # noqa: F401
    _strs,
    FlatOp,
    FlatFuncOp,
    OpaqueInstrOp,
    ForeignMmaOp,
    FlatLabelOp,
    FlatBranchOp,
)


Ptx = Dialect(
    "ptx",
    [AddOp, SubOp, MulLoOp, MulWideOp, DivOp, RemOp, AndOp, OrOp, XorOp, ShlOp, ShrOp, MinOp, MaxOp, MadLoOp, MovOp,
     CvtOp, CvtaToGlobalOp, CvtaParamOp, SetpOp, LdParamOp, LdGlobalF32Op, AddF32Op, StGlobalF32Op, StGlobalV2F32Op,
     RedGlobalAddF32Op, StGlobalV2F32ValuesOp, UnpackF16x2Op, BarSyncOp,
     SelpOp, ShflBflyOp, StGlobalV2B32Op, CvtPackHalf2Op, CvtToHalfOp, CvtFromHalfOp, LdGlobalB16Op, StGlobalBitsOp,
     NamedBarrierOp,
     SetmaxnregOp, MbarrierInitOp, FenceMbarrierInitOp, FenceProxyAsyncOp, MbarrierArriveOp,
     MbarrierArriveExpectTxOp, MbarrierTryWaitParityOp, CpAsyncBulkTensor2dOp, MapaOp,
     MbarrierArriveClusterOp, BarrierClusterOp, WgmmaFenceOp,
     WgmmaMmaAsyncOp, WgmmaMmaAsyncRsOp, LdmatrixX4Op, AccUndefOp, WgmmaCommitGroupOp, WgmmaWaitGroupOp, EntryOp, IfOp, LoopOp, BreakIfOp,
     NextOp, LabelOp, BraOp, RetOp, FlatFuncOp, OpaqueInstrOp, ForeignMmaOp, FlatLabelOp, FlatBranchOp],
    [PredType, B16Type, B32Type, B64Type, F32Type, AccType],
)
