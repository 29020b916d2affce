"""MN-major operands (layout_a = col, layout_b = row) for f16 and bf16.

Three kinds of test, none mocked:

1. The address math, without a GPU: a numpy model of the shared-memory ring fills it the
   way TMA does (boxes from the runtime's tensor-map geometry, at the coordinates and smem
   offsets of the `tma.load` ops that `schedule` builds, 128-byte swizzle on the smem
   address) and reads it back the way wgmma interprets a matrix descriptor (the constant
   fields from `lower_to_ptx.descriptor_bits`, the start address of each `wgmma.mma_async`'s
   tile and K slice).  Every element each wgmma reads must be the element of A or B that the
   GEMM needs there.  The mapping, in bytes, for a tile starting at `start` (1024-aligned
   swizzle pattern, base offset 0), element (i, k) with i along M (N) and k along K, e =
   element bytes, atom = 128 / e:

       K-major:  start + (i // 8) * SBO + (i % 8) * 128 + k * e,           SBO = 1024
       MN-major: start + (i // atom) * LBO + (k // 8) * SBO + (k % 8) * 128 + (i % atom) * e,
                 LBO = block_k * 128 (the next 64-element atom), SBO = 1024 (the next 8 rows of K)

   then the 128-byte swizzle, address bits [4, 7) ^= bits [7, 10).  A wgmma's K slice kk
   starts kk * 16 * e bytes in (K-major) or kk * 16 * 128 bytes in (MN-major).  The K-major
   path, proven on the H100, passes the same model; swapping LBO and SBO or using the
   K-major K step for an MN-major operand fails it.
2. Compiles with the real ptxas 12.3 and 13.x for the four layout combinations, bf16 and
   f16, N 64..256, T 1..2, C 1..2, all clean under the guard, the SASS HGMMA with .tnspA /
   .tnspB where the layout says so.
3. The runtime's host side (tensor maps and device buffers in the stated layouts) and the
   CLI spelling, without a GPU.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys

import numpy as np
import pytest

from exo_gpu.gpu import runtime
from exo_gpu.compiler import CompileError, compile, gemm, parse_pipeline, run_passes
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.tma import LoadOp
from exo_gpu.dialects.wgmma import WGMMA_TABLE, MmaAsyncOp
from exo_gpu.passes.lower_to_ptx import descriptor_bits

CUDAS = ["12.3", "13.x"]
LAYOUTS = [("row", "col"), ("col", "col"), ("row", "row"), ("col", "row")]


# ------------------------------------------------------------------ the numpy model

def _swizzle128(addr: int) -> int:
    """128-byte swizzle of a shared-memory byte address (CUTLASS Swizzle<3,4,3>)."""
    return addr ^ (((addr >> 7) & 7) << 4)


def _decode(desc: int) -> tuple[int, int, int, int]:
    """(start, LBO, SBO, layout type) of a wgmma matrix descriptor, in bytes."""
    return ((desc & 0x3FFF) << 4, ((desc >> 16) & 0x3FFF) << 4, ((desc >> 32) & 0x3FFF) << 4, desc >> 62)


def _operand_address(desc: int, i: int, k: int, mn_major: bool, elem: int) -> int:
    """The smem byte address wgmma reads element (i along M/N, k along K) from."""
    start, lbo, sbo, layout = _decode(desc)
    assert layout == 1, "128-byte swizzle"
    atom = 128 // elem
    if mn_major:
        addr = start + (i // atom) * lbo + (k // 8) * sbo + (k % 8) * 128 + (i % atom) * elem
    else:
        assert k * elem < 128  # one wgmma's K slice stays inside a 128-byte row: LBO unused
        addr = start + (i // 8) * sbo + (i % 8) * 128 + k * elem
    return _swizzle128(addr)


def _tma_box(smem: np.ndarray, dst: int, matrix: np.ndarray, c0: int, c1: int, box: list[int], elem: int) -> int:
    """A TMA load: box[1] rows of box[0] elements of `matrix` (row-major, innermost dim
    last) from (row c1, column c0), out of bounds as 0, into 128-byte rows at smem byte
    `dst`, swizzled.  Returns the bytes written."""
    assert box[0] * elem == 128 and dst % 1024 == 0
    rows, cols = matrix.shape
    for r in range(box[1]):
        for i in range(box[0]):
            gr, gc = c1 + r, c0 + i
            value = matrix[gr, gc] if gr < rows and gc < cols else 0
            smem[_swizzle128(dst + r * 128 + i * elem) // elem] = value
    return box[0] * box[1] * elem


def _schedule(**config):
    module = run_passes(gemm(**config), parse_pipeline("schedule"))
    kernel = next(op for op in module.walk() if isinstance(op, wg.KernelOp))
    producer, consumer = kernel.roles()
    loads = [op for op in producer.walk() if isinstance(op, LoadOp)]
    tile_loop = next(op for op in consumer.body.block.ops if isinstance(op, wg.TileLoopOp))
    peeled = [op for op in tile_loop.body.block.ops if isinstance(op, MmaAsyncOp)]
    return kernel, loads, peeled


def check_address_math(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, layout_a="row",
                       layout_b="col", cluster_n=1, desc_bits=descriptor_bits, k_step=None):
    """Model the ring for K blocks 0..2 of output tile (1, 1) and check every element each
    peeled-stage wgmma reads (its slot is K block k's).  Returns the number of mismatches."""
    kernel, loads, mmas = _schedule(dtype=dtype, wgmma_n=wgmma_n, tiles_per_warpgroup=tiles_per_warpgroup,
                                    consumers=consumers, layout_a=layout_a, layout_b=layout_b, cluster_n=cluster_n)
    kind = WGMMA_TABLE[dtype]
    e = kind.bytes
    block_m, block_n, block_k = (int(kernel.block_m.value.data), int(kernel.block_n.value.data),
                                 int(kernel.block_k.value.data))
    (ring,) = kernel.rings()  # the default schedule: A's and B's tiles share ring "ab"
    _, stages, slot = ring.shape
    info = runtime.KernelInfo.for_gemm("model", dtype, wgmma_n, tiles_per_warpgroup, consumers, stages,
                                       cluster=cluster_n, layout_a=layout_a, layout_b=layout_b)
    assert info.smem_bytes == kernel.smem_bytes
    m, n, k = 2 * block_m - 8, 2 * block_n * cluster_n, 3 * block_k  # a ragged last M block
    rng = np.random.default_rng(0)
    A = rng.permutation(m * k).reshape(m, k) + 1  # unique, nonzero: 0 is TMA's out-of-bounds fill
    Bt = rng.permutation(n * k).reshape(n, k) + 1 + m * k
    a_dev, b_dev = info.device_operands(A, Bt)
    maps = info.tensor_maps(m, n, k)
    smem = np.full(stages * slot // e, -1, dtype=np.int64)
    m_block, n_block = 1, 1
    rows_per_wg = block_m // consumers
    mismatches = 0
    for kb in range(3):
        position = kb % stages  # the ring slot of K block kb
        smem[:] = -1
        written = 0
        for op in loads:
            is_a = op.operand.data == "A"
            geometry = maps["A" if is_a else "B"]
            dims, strides, box = runtime.tensor_map_geometry(dtype, **geometry)
            matrix = a_dev if is_a else b_dev
            assert list(matrix.shape) == dims[::-1] and strides == [dims[0] * e]
            dst0 = position * slot + int(op.smem_offset.value.data)  # B's offsets start after A's tile
            row = (m_block * block_m if is_a else n_block * block_n) + int(op.row_offset.value.data)
            parts = 1 if op.multicast is None else int(op.multicast.value.data)
            for rank in range(parts):  # every CTA's part lands in every CTA of the cluster
                if op.mn_major:
                    part = block_k // parts
                    c0, c1, dst = row, kb * block_k + rank * part, dst0 + rank * part * 128
                    assert int(op.box_rows.value.data) == box[0]
                else:
                    part = int(op.box_rows.value.data) // parts
                    c0, c1, dst = kb * block_k, row + rank * part, dst0 + rank * part * 128
                assert box[1] == part, (box, part)
                written += _tma_box(smem, dst, matrix, c0, c1, box, e)
            assert written <= stages * slot
        assert written == sum(int(op.bytes.value.data) for op in loads)  # the expect-tx count
        for c in range(consumers):
            a_base = c * rows_per_wg * 128 + position * slot
            b_base = position * slot  # the wgmma's b_tile says where B's tile starts in the slot
            per_tile = block_k // kind.k
            for index, op in enumerate(mmas):
                tile, kk = divmod(index, per_tile)  # schedule's order: tile by tile, K slices in order
                trans_a = op.trans_a is not None and int(op.trans_a.value.data) == 1
                trans_b = op.trans_b is not None and int(op.trans_b.value.data) == 1
                a_off, b_off = int(op.a_offset.value.data), int(op.b_offset.value.data)
                b_off += 0 if op.b_tile is None else int(op.b_tile.value.data)
                if k_step is not None:  # a deliberately wrong K step, to show the model catches it
                    a_off = tile * 64 * 128 + kk * k_step
                desc_a = ((a_base + a_off) >> 4) | desc_bits(trans_a, block_k)
                desc_b = ((b_base + b_off) >> 4) | desc_bits(trans_b, block_k)
                for i in range(64):
                    gm = m_block * block_m + c * rows_per_wg + tile * 64 + i
                    for kq in range(kind.k):
                        gk = kb * block_k + kk * kind.k + kq
                        want = A[gm, gk] if gm < m else 0
                        got = smem[_operand_address(desc_a, i, kq, trans_a, e) // e]
                        mismatches += int(got != want)
                for j in range(block_n):
                    gn = n_block * block_n + j
                    for kq in range(kind.k):
                        gk = kb * block_k + kk * kind.k + kq
                        got = smem[_operand_address(desc_b, j, kq, trans_b, e) // e]
                        mismatches += int(got != Bt[gn, gk])
    return mismatches


@pytest.mark.parametrize("layout_a,layout_b", LAYOUTS)
@pytest.mark.parametrize("dtype,n,t,c", [("bf16", 64, 1, 1), ("f16", 128, 2, 2), ("bf16", 256, 1, 2),
                                         ("f16", 192, 2, 1)])
def test_address_math(dtype, n, t, c, layout_a, layout_b):
    assert check_address_math(dtype, n, t, c, layout_a, layout_b) == 0


@pytest.mark.parametrize("layout_a,layout_b", [("col", "row"), ("col", "col")])
def test_address_math_cluster_multicast_splits_a_along_k(layout_a, layout_b):
    assert check_address_math("bf16", 128, 2, 2, layout_a, layout_b, cluster_n=2) == 0


def test_address_math_k_major_n96_and_tf32():
    """The model on K-major kernels already proven on the H100 (a check of the model)."""
    assert check_address_math("bf16", 96, 2, 2) == 0
    assert check_address_math("tf32", 128, 2, 2) == 0


def test_model_catches_swapped_lbo_sbo():
    def swapped(mn_major, block_k):
        bits = descriptor_bits(mn_major, block_k)
        if not mn_major:
            return bits
        lbo, sbo = (bits >> 16) & 0x3FFF, (bits >> 32) & 0x3FFF
        return (bits & ~((0x3FFF << 16) | (0x3FFF << 32))) | (sbo << 16) | (lbo << 32)

    assert check_address_math("bf16", 128, 1, 1, "col", "row", desc_bits=swapped) > 0
    assert check_address_math("bf16", 128, 1, 1, "row", "row", desc_bits=swapped) > 0


def test_model_catches_k_major_descriptor_on_mn_major_tile():
    """B with N = 128 spans two 64-column atoms: the K-major LBO (16) misplaces the second.
    (An m64 A tile is one atom, so its LBO is never used: there the fields agree.)"""
    k_major_bits = lambda mn, bk: descriptor_bits(False, bk)  # noqa: E731
    assert check_address_math("bf16", 128, 1, 1, "row", "row", desc_bits=k_major_bits) > 0
    assert check_address_math("bf16", 128, 1, 1, "col", "col", desc_bits=k_major_bits) == 0


def test_model_catches_k_major_k_step_on_mn_major_tile():
    assert check_address_math("bf16", 64, 1, 1, "col", "col", k_step=32) > 0


def test_descriptor_fields():
    _, lbo, sbo, layout = _decode(descriptor_bits(True, 64))
    assert (lbo, sbo, layout) == (8192, 1024, 1)
    _, lbo, sbo, layout = _decode(descriptor_bits(False, 64))
    assert (lbo, sbo, layout) == (16, 1024, 1)


# ------------------------------------------------------------------ real ptxas

CONFIGS = {
    "bf16_acol_brow_n256_t1_c2": dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, consumers=2,
                                      layout_a="col", layout_b="row"),
    "bf16_acol_n128_t2_c2": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, layout_a="col"),
    "bf16_brow_n192_t2_c1": dict(dtype="bf16", wgmma_n=192, tiles_per_warpgroup=2, consumers=1, layout_b="row"),
    "bf16_acol_brow_n64_t2_c1_w0": dict(dtype="bf16", wgmma_n=64, tiles_per_warpgroup=2, consumers=1,
                                        layout_a="col", layout_b="row", wait_depth=0),
    "f16_acol_brow_n128_t2_c2": dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2,
                                     layout_a="col", layout_b="row"),
    "f16_acol_n256_t1_c1": dict(dtype="f16", wgmma_n=256, tiles_per_warpgroup=1, consumers=1, layout_a="col"),
    "f16_brow_n64_t1_c2": dict(dtype="f16", wgmma_n=64, tiles_per_warpgroup=1, consumers=2, layout_b="row"),
    "bf16_acol_brow_n128_t2_c2_x2": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2,
                                         layout_a="col", layout_b="row", cluster_n=2),
}


@functools.lru_cache(maxsize=None)
def _compiled(name: str, cuda: str):
    return compile(gemm(**CONFIGS[name]), cuda=cuda)


@pytest.mark.parametrize("name,cuda", [pytest.param(k, c, id=f"{k}-cuda{c}") for k in CONFIGS for c in CUDAS])
def test_mn_major_kernel_is_clean(name, cuda):
    p = {"layout_a": "row", "layout_b": "col", "wait_depth": 1, **CONFIGS[name]}
    result = _compiled(name, cuda)
    assert result.warnings == []
    r = result.reports[0]
    assert r.ok, r.failures
    assert r.stack == 0 and r.spill_stores == 0 and r.spill_loads == 0
    assert r.shape.ldl == 0 and r.shape.stl == 0
    per_group = p["tiles_per_warpgroup"] * 4  # block_k 64 / k 16
    assert r.shape.hgmma == 2 * per_group and r.shape.hgmma_gsb0 == r.commit_groups == 2
    assert r.shape.depbar <= r.wait_groups
    ta, tb = int(p["layout_a"] == "col"), int(p["layout_b"] == "row")
    # PTX: imm-trans-a / imm-trans-b on every wgmma; SASS: HGMMA reading its descriptors transposed.
    mmas = re.findall(r"wgmma\.mma_async[^;]*, (\d), (\d);", result.ptx)
    assert mmas and set(mmas) == {(str(ta), str(tb))}
    suffix = (".tnspA" if ta else "") + (".tnspB" if tb else "")
    for line in r.shape.hgmma_lines:
        assert re.search(r"gdesc\[UR\d+\]" + re.escape(suffix) + r"[, ]", line), line
    # TMA: A boxes per consumer = T (MN-major) or 1; B boxes = N / 64 (N-major) or 1.
    boxes = (p["consumers"] * (p["tiles_per_warpgroup"] if ta else 1) + (p["wgmma_n"] // 64 if tb else 1))
    assert len(re.findall(r"^\s*cp\.async\.bulk\.tensor\.2d\.", result.ptx, re.M)) == boxes


def test_mn_major_kernel_name_and_default_unchanged():
    assert gemm(dtype="bf16", layout_a="col", layout_b="row").ops.first.sym_name.data.endswith("_acol_brow")
    assert gemm(dtype="bf16").ops.first.sym_name.data == "gemm_bf16_m256n128_c2_s4_w1"


@pytest.mark.parametrize("dtype,layout_a,layout_b", [("tf32", "col", "col"), ("tf32", "row", "row"),
                                                     ("e4m3", "col", "col"), ("e5m2", "row", "row")])
def test_no_transpose_bits_for_tf32_and_fp8(dtype, layout_a, layout_b):
    with pytest.raises(CompileError, match=f"{dtype} wgmma reads A and B K-major only"):
        gemm(dtype=dtype, layout_a=layout_a, layout_b=layout_b)


def test_row_major_b_needs_whole_swizzle_atoms():
    with pytest.raises(CompileError, match="block_n must be a multiple of 64, got 96"):
        gemm(dtype="f16", wgmma_n=96, layout_b="row")
    gemm(dtype="f16", wgmma_n=96, layout_a="col")  # an M-major A has no such limit on N


# ------------------------------------------------------------------ host side, no GPU

def test_tensor_maps_follow_the_layouts():
    info = runtime.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, layout_a="col", layout_b="row")
    maps = info.tensor_maps(m=512, n=384, k=1024)
    # A^T: K rows of M bf16, boxes of 64 M x 64 K; B: K rows of N, boxes 64 N x 64 K.
    assert runtime.tensor_map_geometry("bf16", **maps["A"]) == ([512, 1024], [1024], [64, 64])
    assert runtime.tensor_map_geometry("bf16", **maps["B"]) == ([384, 1024], [768], [64, 64])
    k_major = runtime.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4)
    maps = k_major.tensor_maps(m=512, n=384, k=1024)
    assert runtime.tensor_map_geometry("bf16", **maps["A"]) == ([1024, 512], [2048], [64, 128])
    assert runtime.tensor_map_geometry("bf16", **maps["B"]) == ([1024, 384], [2048], [64, 128])
    pair = runtime.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, cluster=2, layout_a="col")
    assert runtime.tensor_map_geometry("bf16", **pair.tensor_maps(512, 384, 1024)["A"])[2] == [64, 32]


def test_tensor_map_rejects_unaligned_mn_major_rows():
    with pytest.raises(runtime.CudaError, match="MN-major row of 100 f16 elements is 200 bytes"):
        runtime.tensor_map_geometry("f16", rows=100, k=64, box_rows=64, major="mn", box_k=64)


def test_device_operands_hold_the_stated_layouts():
    A = np.arange(6 * 4).reshape(6, 4).astype(np.float32)  # M x K
    Bt = np.arange(5 * 4).reshape(5, 4).astype(np.float32) + 100  # N x K
    info = runtime.KernelInfo.for_gemm("k", "f16", 64, 1, 1, 2, layout_a="col", layout_b="row")
    a_dev, b_dev = info.device_operands(A, Bt)
    assert a_dev.shape == (4, 6) and a_dev.flags.c_contiguous and a_dev[3, 5] == A[5, 3]
    assert b_dev.shape == (4, 5) and b_dev.flags.c_contiguous and b_dev[2, 4] == Bt[4, 2]  # B[k, n]
    # The memory image: A column-major = A.T row-major.
    assert a_dev.tobytes() == np.asfortranarray(A).tobytes(order="A")
    same = runtime.KernelInfo.for_gemm("k", "f16", 64, 1, 1, 2)
    assert all(x is y for x, y in zip(same.device_operands(A, Bt), (A, Bt)))


def test_kernel_info_round_trip_and_label():
    info = runtime.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, layout_a="col", layout_b="row", registers=168)
    back = runtime.KernelInfo.from_dict(info.to_dict())
    assert back == info and back.layout_a == "col" and back.layout_b == "row"
    assert info.label().endswith("A:col B:row")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exo_gpu.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_layout_options():
    out = _cli("gemm", "--dtype", "bf16", "--layout-a", "col", "--layout-b", "row", "--emit", "ptx")
    assert out.returncode == 0, out.stderr
    assert ".visible .entry gemm_bf16_m256n128_c2_s4_w1_acol_brow(" in out.stdout
    assert re.search(r"wgmma\.mma_async\.sync\.aligned\.m64n128k16\.f32\.bf16\.bf16 [^;]*, 1, 1, 1, 1;", out.stdout)
    bad = _cli("gemm", "--dtype", "tf32", "--layout-a", "col", "--emit", "ptx")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "exo-gpu: error: gemm gemm_tf32_m256n128_c2_s4_w1_acol: tf32 wgmma reads A and B K-major only: use layout_a "
        "= row and layout_b = col (got layout_a = col, layout_b = col)"]
    usage = _cli("run", "--layout-b", "diag")
    assert usage.returncode == 2 and "invalid choice: 'diag'" in usage.stderr
