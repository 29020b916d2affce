"""Split-K (`split_k=S`, `--split-k S`): S K ranges per output tile, walked as (tile, split)
work units by the persistent tile loop and added into C with red.global.add.f32.

The compiles are real: every kernel goes through the full pipeline and the pinned ptxas 12.3
and 13.x, and the guard reads the ptxas log and the SASS.  The GPU test at the end is skipped
where there is no Hopper GPU.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

import exo_gpu
from exo_gpu.ptxas import guard, toolchain
from exo_gpu.gpu import runtime as rt
from exo_gpu.compiler import CompileError, compile, gemm
from exo_gpu.dialects.wgmma import WGMMA_TABLE
from exo_gpu.gpu.runner import build

from test_cli import assert_one_line_error, exo_gpu as exo_gpu_cli
from hopper import needs_hopper

CUDAS = ["12.3", "13.x"]
KERNELS = {
    "bf16_n128_t2_c2_k2": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, split_k=2),
    "bf16_n128_t2_c2_k4": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, split_k=4),
    "tf32_n128_t2_c2_k2": dict(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, split_k=2),
    "bf16_n256_t1_w0_k4": dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, split_k=4),
    "tf32_n64_t1_c1_k16": dict(dtype="tf32", wgmma_n=64, tiles_per_warpgroup=1, consumers=1, split_k=16),
}
CASES = [pytest.param(k, c, id=f"{k}-cuda{c}") for k in KERNELS for c in CUDAS]
_RED_RE = re.compile(r"^\s*(@%p\d+ )?red\.relaxed\.gpu\.global\.add\.f32 \[%rd\d+(\+\d+)?\], %acc\d+;$", re.M)


@functools.lru_cache(maxsize=None)
def _compiled(kernel: str, cuda: str):
    return compile(gemm(**KERNELS[kernel]), cuda=cuda)


def _params(kernel: str) -> dict:
    return {"tiles_per_warpgroup": 2, "wait_depth": 1, "consumers": 2, **KERNELS[kernel]}


def _k_steps(dtype: str) -> int:
    kind = WGMMA_TABLE[dtype]
    return (128 // kind.bytes) // kind.k


# ---------------------------------------------------------------- the guard, on real ptxas

@pytest.mark.parametrize("kernel,cuda", CASES)
def test_split_k_kernel_is_clean(kernel, cuda):
    result = _compiled(kernel, cuda)
    assert result.ptxas.version == toolchain.resolve(cuda).version
    assert result.warnings == []
    r = result.reports[0]
    assert r.ok, r.failures
    assert not [d for d in r.codes if d.serializing or d.code in guard.SERIALIZATION_CODES]
    assert r.stack == 0 and r.spill_stores == 0 and r.spill_loads == 0
    assert r.shape.ldl == 0 and r.shape.stl == 0


@pytest.mark.parametrize("kernel,cuda", CASES)
def test_split_k_sass_keeps_the_unsplit_pipeline_shape(kernel, cuda):
    """Split-K changes the tile loop and the epilogue, not the pipeline: the peeled first K
    block and the loop body, each one commit group, as many HGMMA as an unsplit kernel,
    gsb0 only on the last of each group, and one DEPBAR per PTX wait_group."""
    p = _params(kernel)
    r = _compiled(kernel, cuda).reports[0]
    s = r.shape
    per_group = p["tiles_per_warpgroup"] * _k_steps(p["dtype"])
    assert r.commit_groups == 2 and r.wait_groups == 3
    assert s.hgmma == 2 * per_group
    assert s.hgmma_gsb0 == r.commit_groups
    assert [i for i, line in enumerate(s.hgmma_lines) if re.search(r"\bgsb0\b", line)] == [per_group - 1,
                                                                                          2 * per_group - 1]
    assert s.depbar == r.wait_groups
    assert s.arrive == r.commit_groups
    # The peeled K block 0 of every work unit: scale-d = 0 ("RZ, !UPT") on each tile's first HGMMA.
    assert sum("RZ, !UPT" in line for line in s.hgmma_lines) == p["tiles_per_warpgroup"]


# ---------------------------------------------------------------- the PTX

@pytest.mark.parametrize("kernel", list(KERNELS))
def test_split_k_epilogue_is_atomic_adds_of_accumulator_registers(kernel):
    p = _params(kernel)
    ptx = _compiled(kernel, "12.3").ptx
    n_acc = p["wgmma_n"] // 2
    reds = _RED_RE.findall(ptx)
    # Each element once unchecked (a block inside C) and once predicated (an edge block).
    assert len(reds) == 2 * p["tiles_per_warpgroup"] * n_acc
    assert sum(1 for guard_, _ in reds if guard_) == p["tiles_per_warpgroup"] * n_acc
    assert "st.global" not in ptx and "ld.global" not in ptx
    assert ".local" not in ptx
    for line in ptx.splitlines():
        if "%acc" in line and ".reg" not in line:
            assert "wgmma.mma_async" in line or _RED_RE.match(line), line


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_split_k_work_units_in_the_ptx(kernel):
    """Both roles clamp the split count to min(S, nk) and walk tiles x splits work units."""
    ptx = _compiled(kernel, "12.3").ptx
    s = KERNELS[kernel]["split_k"]
    assert len(re.findall(rf"^\s*min\.u32 %r\d+, %r\d+, {s};$", ptx, re.M)) == 2
    scale = re.findall(r"wgmma\.mma_async[^;]*, ([01]), 1, 1(, 0, 0)?;", ptx)
    assert [v for v, _ in scale].count("0") == _params(kernel)["tiles_per_warpgroup"]  # the peeled block stays


def test_split_k_1_is_todays_kernel():
    """split_k = 1 builds the same tile IR (no split_k property), name and PTX as before."""
    for config in (dict(dtype="bf16"), dict(dtype="tf32", wgmma_n=96), dict(dtype="bf16", cluster_n=2)):
        plain, one = gemm(**config), gemm(**config, split_k=1)
        assert exo_gpu.print_ir(plain) == exo_gpu.print_ir(one)
        assert "split_k" not in exo_gpu.print_ir(one)
        a, b = compile(plain, assemble=False).ptx, compile(one, assemble=False).ptx
        assert a == b
        assert "red." not in a


def test_split_k_names_the_kernel():
    assert gemm(dtype="bf16", split_k=4).ops.first.sym_name.data == "gemm_bf16_m256n128_c2_s4_w1_k4"
    assert gemm(dtype="bf16").ops.first.sym_name.data == "gemm_bf16_m256n128_c2_s4_w1"


def test_split_k_with_a_cluster_and_with_c_accumulation_is_clean():
    for config in (dict(dtype="bf16", cluster_n=2, split_k=2), dict(dtype="f16", accumulate_c=True, split_k=3)):
        r = compile(gemm(**config), cuda="12.3").reports[0]
        assert r.ok and r.shape.depbar == r.wait_groups and r.shape.ldl == r.shape.stl == 0, r.failures


# ---------------------------------------------------------------- bad S

@pytest.mark.parametrize("s", [0, -1, 17])
def test_bad_split_k_is_one_clear_error(s):
    with pytest.raises(CompileError, match=rf"split_k must be in 1\.\.16 \(K ranges per output tile\), got {s}$"):
        gemm(dtype="bf16", split_k=s)


def test_cli_bad_split_k_is_one_line():
    proc = exo_gpu_cli("gemm", "--split-k", "17", "--emit", "ptx")
    assert_one_line_error(proc, "exo-gpu", "split_k must be in 1..16", "got 17")
    proc = exo_gpu_cli("run", "--split-k", "0", "--m", "64", "--n", "64", "--k", "64")
    assert_one_line_error(proc, "exo-gpu", "split_k must be in 1..16", "got 0")


def test_cli_gemm_split_k_report():
    proc = exo_gpu_cli("gemm", "--dtype", "bf16", "--split-k", "2", "--cuda", "13.x", "--emit", "report", "--json")
    assert proc.returncode == 0, proc.stderr
    import json

    (k,) = json.loads(proc.stdout)["kernels"]
    assert k["kernel"] == "gemm_bf16_m256n128_c2_s4_w1_k2"
    assert k["ok"] is True


# ---------------------------------------------------------------- the runtime, without a GPU

def test_kernel_info_work_units_and_grid():
    info = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, split_k=4)  # 256 x 128 tiles
    assert info.tiles(1024, 1024) == 4 * 8
    assert info.work_units(1024, 1024) == 4 * 8 * 4
    assert info.grid(1024, 1024) == (128, 1, 1)  # one block per work unit
    assert info.grid(1024, 1024, 132) == (128, 1, 1)
    assert info.grid(4096, 4096, 132) == (132, 1, 1)  # persistent
    assert info.label().endswith(" k4")
    plain = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4)
    assert plain.split_k == 1 and plain.work_units(1024, 1024) == plain.tiles(1024, 1024)
    assert " k" not in plain.label()
    pair = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, cluster=2, split_k=2)
    assert pair.grid(1024, 1024) == (2 * 4 * 4 * 2, 1, 1)  # 4 x 4 cluster tiles x 2 splits, 2 blocks each


def test_kernel_info_split_k_round_trips_through_the_manifest():
    info = rt.KernelInfo.for_gemm("k", "tf32", 128, 2, 2, 4, split_k=3, registers=168)
    back = rt.KernelInfo.from_dict(info.to_dict())
    assert back == info and back.split_k == 3 and back.extra == {"registers": 168}
    assert rt.KernelInfo.from_dict({k: v for k, v in info.to_dict().items() if k != "split_k"}).split_k == 1


def test_coverage_errors_catch_an_unwritten_element_and_a_missing_split():
    """What the zeroed C of a split-K launch hides from the NaN poison: an element no work unit
    wrote reads 0; a split that did not add reads K minus its share.  On all-ones inputs every
    element must be exactly K."""
    k = 520
    out = np.full((64, 96), k, dtype=np.float32)
    assert rt.coverage_errors(out, k) == 0
    out[3, 5] = 0.0  # never written
    out[10, 7] = k - 64  # one K block's split missing
    out[11, 7] = k + 8  # a unit added twice into this element
    out[12, 0] = np.nan
    assert rt.coverage_errors(out, k) == 4


def test_runner_build_gives_the_split_k_info():
    cubin, info = build(dtype="bf16", split_k=2, cuda="12.3")
    assert cubin and info.split_k == 2 and info.name == "gemm_bf16_m256n128_c2_s4_w1_k2"
    assert info.smem_bytes == rt.KernelInfo.for_gemm("x", "bf16", 128, 2, 2, 4).smem_bytes


# ---------------------------------------------------------------- on a GPU

@needs_hopper
@pytest.mark.parametrize("config", [
    dict(dtype="bf16", split_k=2), dict(dtype="bf16", split_k=4), dict(dtype="tf32", split_k=2),
    dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, split_k=4),
    dict(dtype="tf32", accumulate_c=True, split_k=3), dict(dtype="tf32", wgmma_n=64, tiles_per_warpgroup=1,
                                                           consumers=1, split_k=16),
], ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_gpu_split_k_is_correct(config):
    rt._cuda = None
    cubin, info = build(**config)
    kernel = rt.load(cubin, info=info)
    rng = np.random.default_rng()
    try:
        # K of one block (S' = 1), K not a multiple of the split, edge tiles, a large K.
        for m, n, k in [(129, 200, 40), (777, 1001, 520), (1000, 1000, 1000), (256, 256, 8192), (64, 96, 8)]:
            k = -(-k * info.elem_bytes // 16) * 16 // info.elem_bytes
            check = rt.check_gemm(kernel, m, n, k, rng=rng)
            assert check.passed and check.uncovered == 0, check.line()
    finally:
        kernel.unload()
