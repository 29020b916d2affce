"""Test-only: runs the lowered epilogue of one warpgroup (the ptx ops that lower-fragments
put between the final wait_group and store_accumulator) on numpy, all 128 threads at once.

Each SSA value is an array over the 128 threads (an accumulator range: 128 x registers).
Integer ops wrap like PTX's; f32 ops round to f32; ex2/tanh/rcp.approx are taken exact
(the tests' tolerance covers the hardware's approximation).  Global memory is one byte
array addressed from 0.  This checks what the instructions compute, and the fragment
layout only through `fragment.position` (which tests/test_epilogue.py checks on its own).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import UnrealizedConversionCastOp
from xdsl.ir import Operation, SSAValue

from exo_gpu.dialects import ptx
from exo_gpu.dialects import ptx_float as pf
from exo_gpu.dialects.fragment import TileOriginOp, position
from exo_gpu.dialects.wgmma import StoreAccumulatorOp, WaitGroupOp

THREADS = 128
U32, U64 = np.uint64(0xFFFFFFFF), np.uint64(0xFFFFFFFFFFFFFFFF)

FLOAT = {pf.FMovOp: lambda a: a, pf.FAddOp: np.add, pf.FSubOp: np.subtract, pf.FMulOp: np.multiply,
         pf.FDivOp: np.divide, pf.FMaxOp: np.maximum, pf.FNegOp: np.negative,
         pf.FmaOp: lambda a, b, c: a.astype(np.float64) * b + c, pf.Ex2Op: np.exp2, pf.TanhOp: np.tanh,
         pf.RcpOp: lambda a: 1.0 / a}


def to_registers(tile: np.ndarray) -> np.ndarray:
    """An m64nN tile as the (128 threads x N/2 registers) accumulator fragment."""
    regs = tile.shape[1] // 2
    out = np.zeros((THREADS, regs), np.float32)
    for t in range(THREADS):
        for r in range(regs):
            out[t, r] = tile[position(t, r)]
    return out


def to_tile(regs: np.ndarray) -> np.ndarray:
    tile = np.zeros((64, regs.shape[1] * 2), np.float32)
    for t in range(THREADS):
        for r in range(regs.shape[1]):
            tile[position(t, r)] = regs[t, r]
    return tile


class Sim:
    def __init__(self, memory: bytes, args: dict[SSAValue, int]):
        self.memory = np.frombuffer(memory, np.uint8)
        self.v: dict[SSAValue, np.ndarray] = {a: np.full(THREADS, x, np.uint64) for a, x in args.items()}

    def src(self, value: SSAValue, element: int) -> np.ndarray:
        x = self.v[value]
        return x[:, element] if element >= 0 else x

    def load(self, op, bits: int) -> np.ndarray:
        out = self.v[op.fallback].copy() if op.fallback is not None else np.zeros(THREADS, np.float32)
        addr = (self.v[op.addr] + np.uint64(op.offset.value.data)).astype(np.int64)
        ok = self.v[op.guard] if op.guard is not None else np.ones(THREADS, bool)
        for t in np.nonzero(ok)[0]:
            raw = self.memory[addr[t]:addr[t] + bits // 8]
            out[t] = raw.view(np.float32)[0] if bits == 32 else raw.view(np.uint16)[0]
        return out

    def step(self, op: Operation) -> None:
        v, r = self.v, op.results
        if isinstance(op, pf.FloatOp):
            value = FLOAT[type(op)](*[self.src(s, e) for s, e in zip(op.srcs, op.src_elements())]).astype(np.float32)
            if op.dest is None:
                v[r[0]] = value
            else:
                acc = v[op.dest].copy()
                acc[:, op.dest_element.value.data] = value
                v[r[0]] = acc
        elif isinstance(op, pf.FSetpOp):
            a, b = (self.src(v, e.data) for v, e in zip(op.srcs, op.elements.data))
            v[r[0]] = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                       "eq": np.equal, "ne": lambda p, q: ~np.equal(p, q) & ~np.isnan(p) & ~np.isnan(q)}[op.cmp.data](a, b)
        elif isinstance(op, pf.FSelpOp):
            a, b = (self.src(x, e.data) for x, e in zip(op.srcs, op.elements.data))
            value = np.where(v[op.pred], a, b).astype(np.float32)
            if op.dest is None:
                v[r[0]] = value
            else:
                acc = v[op.dest].copy()
                acc[:, op.dest_element.value.data] = value
                v[r[0]] = acc
        elif isinstance(op, pf.FConstOp):
            v[r[0]] = np.full(THREADS, op.value.value.data, np.float32)
        elif isinstance(op, pf.AccFreshOp):
            v[r[0]] = np.full((THREADS, op.result.type.count.data), np.nan, np.float32)
        elif isinstance(op, pf.ShflBflyF32Op):
            v[r[0]] = v[op.value][np.arange(THREADS) ^ op.mask.value.data]
        elif isinstance(op, ptx.LdGlobalF32Op):
            v[r[0]] = self.load(op, 32).astype(np.float32)
        elif isinstance(op, ptx.LdGlobalB16Op):
            v[r[0]] = self.load(op, 16)
        elif isinstance(op, ptx.CvtFromHalfOp):
            bits = v[op.value].astype(np.uint16)
            v[r[0]] = (bits.astype(np.uint32) << 16).view(np.float32) if op.half.data == "bf16" \
                else bits.view(np.float16).astype(np.float32)
        elif isinstance(op, ptx.MovOp):
            if op.source is not None:
                assert op.source.data == "%tid.x"
                v[r[0]] = np.arange(THREADS, dtype=np.uint64) + np.uint64(128)  # the second warpgroup
            else:
                v[r[0]] = np.full(THREADS, op.imm.value.data, np.uint64) if op.imm is not None else v[op.src]
        elif isinstance(op, ptx.SetpOp):
            b = v[op.rhs] if op.rhs is not None else np.uint64(op.imm.value.data)
            assert op.cmp.data == "lt", op.cmp.data
            ok = v[op.lhs] < b
            v[r[0]] = ok & v[op.and_pred] if op.and_pred is not None else ok
        elif isinstance(op, ptx.MadLoOp):
            b = v[op.b] if op.b is not None else np.uint64(op.imm.value.data)
            v[r[0]] = (v[op.a] * b + v[op.c]) & U32
        elif isinstance(op, ptx.BinaryOp):
            self.integer(op)
        elif isinstance(op, ptx.CvtOp):
            v[r[0]] = v[op.src].astype(np.float32) if op.to.data == ".rn.f32" else v[op.src]
        elif isinstance(op, UnrealizedConversionCastOp):
            v[r[0]] = v[op.inputs[0]]
        else:
            raise AssertionError(f"fragment_sim: no model of {op.name}")

    def integer(self, op: ptx.BinaryOp) -> None:
        a = self.v[op.lhs]
        b = self.v[op.rhs] if op.rhs is not None else np.uint64(op.imm.value.data)
        wide = op.ty.data in (".s64", ".b64") or isinstance(op, ptx.MulWideOp)
        f = {ptx.AddOp: np.add, ptx.MulLoOp: np.multiply, ptx.MulWideOp: np.multiply, ptx.AndOp: np.bitwise_and,
             ptx.ShrOp: np.right_shift, ptx.ShlOp: np.left_shift}[type(op)]
        self.v[op.result] = f(a, b) & (U64 if wide else U32)


def run_epilogue(kernel: Operation, acc: np.ndarray, memory: bytes, args: dict[int, int],
                 origin: tuple[int, int]) -> np.ndarray:
    """The tile that the (only) store_accumulator of `kernel` (after lower-fragments) stores,
    given the accumulator tile `acc`, global memory, the kernel's i32/i64 block arguments
    (by index) and the tile origin."""
    block_args = kernel.regions[0].blocks[0].args
    sim = Sim(memory, {block_args[i]: x for i, x in args.items()})
    (store,) = [op for op in kernel.walk() if isinstance(op, StoreAccumulatorOp)]
    wait = [op for op in store.parent_block().ops if isinstance(op, WaitGroupOp)][-1]
    sim.v[wait.results[0]] = to_registers(acc)
    op = wait.next_op
    while op is not store:
        if isinstance(op, TileOriginOp):
            sim.v[op.row], sim.v[op.col] = (np.full(THREADS, x, np.uint64) for x in origin)
        elif isinstance(op, arith.ConstantOp):  # an i32 index constant
            sim.v[op.result] = np.full(THREADS, op.value.value.data, np.uint64)
        elif op.dialect_name() in ("ptx", "builtin"):
            sim.step(op)
        op = op.next_op
    return to_tile(sim.v[store.acc])
