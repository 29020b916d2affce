"""Fused GEMM epilogues on wgmma accumulator fragments (dialects/fragment.py, lower-fragments).

Without the tile front end: epilogues are put by hand into the IR of a scheduled GEMM
(tests/epilogues.py).  Checked here: the fragment layout model against the PTX ISA's
statement and against the PTX that store_accumulator and frag_load_tile emit; what the
lowered instructions compute, on numpy for all 128 threads (tests/fragment_sim.py), against
float64 references, edges masked; every epilogue through the real pinned ptxas 12.3 and
13.5 and the guard (no C75xx, no extra WARPGROUP.DEPBAR, no local memory); register
budgets; verifier messages.  Nothing is mocked.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
from xdsl.dialects.builtin import FloatAttr, f16, f32, i32, i64
from xdsl.dialects import arith, test
from xdsl.utils.exceptions import VerifyException

from epilogues import EPILOGUES, with_epilogue
from exo_gpu.compiler import CompileError, compile, gemm, parse_pipeline, run_passes
from exo_gpu.dialects.fragment import (
    FragBinaryOp,
    FragIotaOp,
    FragLoadTileOp,
    FragLoadVectorOp,
    FragReduceOp,
    FragSelectOp,
    FragSplatOp,
    FragUnaryOp,
    TileOriginOp,
    position,
    register_of,
    register_offset,
)
from exo_gpu.dialects.wgmma import AccumulatorType, UndefAccumulatorOp
from exo_gpu.ptxas import guard
from fragment_sim import run_epilogue

LOWER = "lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx"


def scheduled(epilogue: str, **kw):
    """A GEMM's IR after schedule with `epilogue` put before its stores (where the schedule
    pass of a tile program puts it), then insert-syncs (which waits before the first read)."""
    module = gemm(**kw)
    run_passes(module, parse_pipeline("schedule"))
    with_epilogue(module, epilogue)
    return run_passes(module, parse_pipeline("insert-syncs"))


# ---------------------------------------------------------------- the layout model


def isa_position(thread: int, register: int) -> tuple[int, int]:
    """The PTX ISA's wgmma D fragment (m64nNk*, f32): thread t, warp w = t / 32, lane l,
    row = 16 w + l / 4 (+ 8 for d2, d3 of each group of 4), col = 8 (i / 4) + 2 (l % 4) + i % 2."""
    w, lane = divmod(thread, 32)
    return 16 * w + lane // 4 + 8 * ((register % 4) // 2), 8 * (register // 4) + 2 * (lane % 4) + register % 2


@pytest.mark.parametrize("n", [8, 16, 24, 128, 256])
def test_layout_model_is_the_isa_layout_and_a_bijection(n):
    regs = n // 2
    seen = np.zeros((64, n), int)
    for t in range(128):
        for r in range(regs):
            assert position(t, r) == isa_position(t, r)
            seen[position(t, r)] += 1
    assert (seen == 1).all()  # every element of the tile held exactly once
    for j in range(n // 8):
        for half in range(2):
            for e in range(2):
                assert register_offset(register_of(j, half, e)) == (8 * half, 8 * j + e)


_STORE_V2 = re.compile(r"st\.global\.v2\.f32 \[%rd\d+(?:\+(\d+))?\], \{%acc(\d+), %acc(\d+)\};")
_LOAD = re.compile(r"ld\.global\.f32 %f\d+, \[%rd(\d+)(?:\+(\d+))?\];[^@]*?add\.f32 %acc(\d+),", re.S)


def test_store_and_tile_load_use_the_model():
    """The interior store_accumulator writes register pair (i, i + 1) at byte 4 * column of
    the model's column offset, first-row registers from the first row address; a C tile load
    reads each register's element at the model's offset from its row address."""
    ptx = compile(scheduled("alpha_beta", dtype="bf16", wgmma_n=24, tiles_per_warpgroup=1, consumers=1),
                  LOWER, assemble=False).ptx
    stores = _STORE_V2.findall(ptx)[:12]  # the interior path: 3 chunks x 2 rows x ... (first copy)
    assert len(stores) >= 6
    for k, (offset, a, b) in enumerate(stores[:6]):
        half = k // 3
        assert int(b) == int(a) + 1
        assert register_offset(int(a)) == (8 * half, int(offset or 0) // 4)
    loads = _LOAD.findall(ptx)
    assert len(loads) == 12
    row_address = {}
    for address, offset, register in loads:
        dr, dc = register_offset(int(register))
        assert int(offset or 0) == 4 * dc
        row_address.setdefault(dr, address)
        assert row_address[dr] == address  # one address per row of the thread


# ---------------------------------------------------------------- what the instructions compute

ROW0, COL0 = 64, 24  # the tile's origin in C
M, N = ROW0 + 50, COL0 + 21  # C is M x N (ld = N): 50 rows and 21 columns of the tile are inside


def _gelu(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


def _softmax(x):
    p = np.exp2(x - x.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _references(acc, flat):
    """float64 references of the epilogues on acc (64 x 24), given global memory as floats
    (C row-major with ld = N, and the vectors, from address 0)."""
    r, c = np.arange(64)[:, None] + ROW0, np.arange(24)[None, :] + COL0
    inside = (r < M) & (c < N)
    tile = np.where(inside, flat[np.where(inside, r * N + c, 0)], 0.0)
    cols = np.where(c < N, flat[c], 0.0)  # a bias along N: n_valid = N
    rows = np.where(r < M, flat[r], 0.0)  # along M: n_valid = M
    x = acc.astype(np.float64)
    p = np.exp2(x - x.max(axis=1, keepdims=True))
    y = np.maximum(np.tanh(np.exp2(-np.maximum((x + 1 - 2) * 3 / 4, -5))), 0)
    return {
        "chain": _gelu(y) / (1 + np.exp(-_gelu(y))), "gelu_composed": _gelu(x),
        "row_vectors": x * np.maximum(np.tanh(x.max(1) - x.sum(1) / 8), x.max(1))[:, None],
        "reduce_then_scale": x / np.exp2(x).max(1)[:, None],
        "masked_softmax": _softmax(np.where((c - COL0 <= r - ROW0) & (c < N), x, -np.inf)),
        "relu": np.maximum(x, 0), "gelu": _gelu(x), "silu": x / (1 + np.exp(-x)),
        "bias_col": x + cols, "bias_row": rows + x, "bias_col_bf16_gelu": _gelu(x + cols),
        "alpha_beta": 1.5 * x + 0.5 * tile, "alpha_beta_bf16": 1.5 * x + 0.5 * tile,
        "alpha_beta_f16": 1.5 * x + 0.5 * tile, "softmax": p / p.sum(axis=1, keepdims=True),
    }


@functools.lru_cache(maxsize=None)
def _lowered(epilogue: str):
    module = scheduled(epilogue, dtype="bf16", wgmma_n=24, tiles_per_warpgroup=1, consumers=1)
    run_passes(module, parse_pipeline("lower-fragments"))
    return module.ops.first


def _memory(dtype: str, rng) -> tuple[bytes, np.ndarray]:
    """Global memory from address 0 in `dtype` (C, and the vectors read from its start), and
    the same values as float64."""
    full = rng.uniform(-2, 2, M * N + 64).astype(np.float32)
    if dtype == "f32":
        return full.tobytes(), full.astype(np.float64)
    if dtype == "f16":
        h = full.astype(np.float16)
        return h.tobytes(), h.astype(np.float64)
    bits = (full.view(np.uint32) >> 16).astype(np.uint16)  # bf16 by truncation: exact values
    return bits.tobytes(), (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


@pytest.mark.parametrize("epilogue", list(EPILOGUES))
def test_lowered_epilogue_computes_the_reference(epilogue):
    """On the tile at (64, 24) of a 114 x 45 C: 14 rows and 3 columns past the edge read 0."""
    rng = np.random.default_rng(7)
    acc = rng.uniform(-3, 3, (64, 24)).astype(np.float32)
    dtype = "bf16" if "bf16" in epilogue else "f16" if "f16" in epilogue else "f32"
    memory, flat = _memory(dtype, rng)
    # the kernel's block arguments: %2 the C pointer (address 0), %3 M, %4 N
    out = run_epilogue(_lowered(epilogue), acc, memory, {2: 0, 3: M, 4: N}, (ROW0, COL0))
    ref = _references(acc, flat)[epilogue]
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- ptxas 12.3 and 13.5, the guard

CUDAS = ["12.3", "13.5"]
BIG = dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1)  # 128 accumulator registers a thread
TWO = dict(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2)  # two m64n128 tiles: 128 as well
KERNELS = {
    "relu": TWO, "gelu": dict(TWO, c_dtype="bf16"), "silu": BIG, "bias_col": BIG, "bias_row": TWO,
    "bias_col_bf16_gelu": dict(BIG, c_dtype="bf16"), "alpha_beta": BIG, "alpha_beta_bf16": dict(BIG, c_dtype="bf16"),
    "alpha_beta_f16": TWO, "softmax": BIG, "chain": dict(TWO, c_dtype="f16"), "gelu_composed": BIG,
    "row_vectors": BIG, "reduce_then_scale": BIG, "masked_softmax": BIG,
}


@pytest.mark.parametrize("epilogue,cuda", [pytest.param(e, c, id=f"{e}-cuda{c}") for e in KERNELS for c in CUDAS])
def test_epilogue_assembles_clean(epilogue, cuda):
    result = compile(scheduled(epilogue, **KERNELS[epilogue]), LOWER, cuda=cuda)
    assert result.warnings == []
    (r,) = result.reports
    assert r.ptxas.startswith(cuda)
    assert r.ok, r.failures
    assert not [d for d in r.codes if d.code in guard.SERIALIZATION_CODES]
    assert r.shape.depbar <= r.wait_groups
    assert r.stack == 0 and r.spill_stores == 0 and r.spill_loads == 0
    assert r.shape.ldl == 0 and r.shape.stl == 0
    assert "acc_fresh" not in result.ptx and "a fresh range" not in result.ptx  # all in place


def test_fresh_range_counts_in_the_budget():
    """An accumulator still read after an epilogue op (here a second, raw store) cannot be
    overwritten: the result's fresh range counts, and 2 x 128 + 24 is over 232."""
    module = scheduled("relu", **BIG)
    (store,) = [op for op in module.walk() if op.name == "wgmma.store_accumulator"]
    relu = store.operands[0].owner
    raw = store.clone()
    store.parent_block().insert_op_after(raw, store)
    raw.operands = [relu.operands[0], *raw.operands[1:]]  # the accumulator before the relu
    with pytest.raises(CompileError, match=r"needs 256 accumulator registers \+ 24 for addressing = 280 per thread"):
        compile(module, LOWER, assemble=False)


def test_shared_bias_vector_is_read_per_reader_without_a_range():
    """One bias load read by the adds of a warpgroup's two m64n128 tiles stays virtual: each
    add reads the thread's 32 columns (N / 4 loads, 2 x 32 in all) and no range is added."""
    module = gemm(**TWO)
    run_passes(module, parse_pipeline("schedule"))
    stores = [op for op in module.walk() if op.name == "wgmma.store_accumulator"]
    first = stores[0]
    origin = TileOriginOp(0)
    bias = FragLoadVectorOp(first.c, origin.col, first.n, first.acc.type, "col")
    first.parent_block().insert_ops_before([origin, bias], first)
    for store in stores:
        add = FragBinaryOp("add", store.acc, bias.result)
        store.parent_block().insert_op_before(add, store)
        store.operands = [add.result, *store.operands[1:]]
    ptx = compile(module, "insert-syncs," + LOWER, assemble=False).ptx
    assert "a fresh range" not in ptx
    assert len(re.findall(r"ld\.global\.f32", ptx)) == 2 * 32
    assert len(re.findall(r"add\.f32 %acc\d+, %acc\d+, %f\d+;", ptx)) == 2 * 64


def test_tile_origin_is_the_stores_tile():
    """Cooperative, two consumers of 128 rows, two m64 tiles each: the origin of the tile at
    row_offset 64 is m_block * 256 + role * 128 + 64, the same arithmetic as its store's."""
    ptx = compile(scheduled("bias_row", **TWO), LOWER, assemble=False).ptx
    row = re.compile(r"mul\.lo\.u32 %r(\d+), %r(\d+), 256;\n\tmad\.lo\.u32 %r(\d+), %r(\d+), 128, %r\1;\n"
                     r"\tadd\.u32 %r\d+, %r\3, (\d+);")
    found = [(m.group(2), m.group(4), m.group(5)) for m in row.finditer(ptx)]
    assert len(found) == 4  # origin, store; origin, store
    assert [offset for _, _, offset in found] == ["0", "0", "64", "64"]
    assert len({(block, role) for block, role, _ in found}) == 1  # one block index, one role index


def test_split_k_partial_sums_take_no_epilogue():
    with pytest.raises(CompileError, match="an epilogue on a partial sum is not the epilogue of the sum: use split_k = 1"):
        compile(scheduled("relu", split_k=2), LOWER, assemble=False)


# ---------------------------------------------------------------- verifiers


def _acc(n=16, element=f32):
    return UndefAccumulatorOp(AccumulatorType(64, n, element)).result


def _scalar(ty):
    return test.TestOp(result_types=[ty]).results[0]


BAD = {
    "binary shapes": (lambda: FragBinaryOp("add", _acc(16), _acc(32)), "elementwise ops take fragments of one shape"),
    "binary kind": (lambda: FragBinaryOp("pow", _acc(), _acc()), "unknown kind 'pow'"),
    "unary f16": (lambda: FragUnaryOp("tanh", _acc(16, f16)), "accumulate in f32"),
    "splat f16": (lambda: FragSplatOp(_scalar(f32), AccumulatorType(64, 16, f16)), "f32 accumulators only"),
    "vector dtype": (lambda: FragLoadVectorOp(_scalar(i64), _scalar(i32), _scalar(i32), AccumulatorType(64, 16),
                                              "col", "f64"), "dtype must be one of f32, bf16, f16, got 'f64'"),
    "tile dtype": (lambda: FragLoadTileOp(*[_scalar(i64)] + [_scalar(i32)] * 5, AccumulatorType(64, 16), "i8"),
                   "dtype must be one of f32, bf16, f16"),
    "reduce kind": (lambda: FragReduceOp("min", _acc()), "unknown kind 'min' (expected one of max, sum)"),
    "origin offset": (lambda: TileOriginOp(32), "row_offset must be a non-negative multiple of 64"),
    "iota dim": (lambda: FragIotaOp(_scalar(i32), AccumulatorType(64, 16), 2), "dim must be 0 (row indices) or 1"),
    "select kind": (lambda: FragSelectOp("lz", *[_acc()] * 4, AccumulatorType(64, 16)), "unknown comparison 'lz'"),
    "select shapes": (lambda: FragSelectOp("lt", _acc(32), *[_acc()] * 3, AccumulatorType(64, 16)),
                      "is not the result type !wgmma.accumulator<m64n16, f32>"),
}


@pytest.mark.parametrize("case", BAD)
def test_verifier_rejects_with_the_fix(case):
    build, message = BAD[case]
    with pytest.raises(VerifyException, match=re.escape(message)):
        build().verify()


def test_f32_constant_becomes_an_immediate_register():
    op = arith.ConstantOp(FloatAttr(0.5, f32))
    assert op.result.type == f32
    from exo_gpu.dialects.ptx_float import f32_bits
    assert f32_bits(0.5) == "0f3F000000" and f32_bits(-1.4426950408889634) == "0fBFB8AA3B"
