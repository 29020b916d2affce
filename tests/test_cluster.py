"""Thread-block clusters of two along M (--cluster 2x1, cluster_m = 2): B shared by TMA multicast.

Compiles go through the whole pipeline and the real pinned ptxas 12.3 and 13.x, read back
with nvdisasm; nothing is mocked.  Each 2x1 kernel is compared with the same configuration
without a cluster: the same HGMMAs and WARPGROUP.DEPBARs (no extra wait), no local memory,
no C75xx code, and no GPU-scope MEMBAR except the two of the cluster barriers at barrier
init and at exit (a `.release.cluster` arrive would put one in the main loop: 2.2x slower
on the H100).  The runtime's geometry (tiles, grid, boxes) is checked without a GPU; one
test runs the kernels on a GPU and is skipped where there is none.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

import exo_gpu
from exo_gpu.ptxas import guard
from exo_gpu.gpu import runtime as rt
from exo_gpu.compiler import CompileError, compile, gemm
from exo_gpu.gpu.runner import build
from hopper import needs_hopper

CUDAS = ["12.3", "13.x"]
# (dtype, wgmma_n, tiles_per_warpgroup, consumers): tf32 and bf16, T 1..2, C 1..2.
CONFIGS = [(d, n, t, c) for d, n in (("tf32", 128), ("bf16", 128)) for t in (1, 2) for c in (1, 2)]
_MULTICAST = "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster "


@functools.lru_cache(maxsize=None)
def _compiled(dtype: str, n: int, tiles: int, consumers: int, cuda: str, cluster: tuple[int, int]):
    result = compile(gemm(dtype=dtype, wgmma_n=n, tiles_per_warpgroup=tiles, consumers=consumers,
                          cluster_m=cluster[0], cluster_n=cluster[1]), cuda=cuda)
    return result, guard.disassemble(result.cubin)


def _membars_outside_cluster_barriers(sass: str) -> list[str]:
    """GPU-scope MEMBARs that are not the release of a barrier.cluster.arrive (UCGABAR_ARV
    a few instructions later)."""
    lines = [line for line in sass.splitlines() if re.search(r"/\*[0-9a-f]{4,}\*/", line)]
    bad = []
    for i, line in enumerate(lines):
        if "MEMBAR" in line and ".GPU" in line and not any("UCGABAR_ARV" in x for x in lines[i + 1:i + 5]):
            bad.append(line.strip())
    return bad


# -- compiled with the real ptxas --------------------------------------------------------------------------
@pytest.mark.parametrize("cuda", CUDAS)
@pytest.mark.parametrize("dtype,n,tiles,consumers", CONFIGS)
def test_cluster_2x1_is_clean_and_shaped_like_one_block(dtype, n, tiles, consumers, cuda):
    result, sass = _compiled(dtype, n, tiles, consumers, cuda, (2, 1))
    base, base_sass = _compiled(dtype, n, tiles, consumers, cuda, (1, 1))
    (report,) = result.reports
    (one,) = base.reports
    assert report.ok and report.codes == [], report.failures
    assert report.stack == 0 and report.spill_stores == 0 and report.spill_loads == 0
    assert report.shape.ldl == 0 and report.shape.stl == 0
    # The same wgmma pipeline as one block: no extra HGMMA wait, nothing serialized.
    assert (report.shape.hgmma, report.shape.hgmma_gsb0, report.shape.depbar) == \
           (one.shape.hgmma, one.shape.hgmma_gsb0, one.shape.depbar)
    # Only the cluster barriers' releases are GPU-scope: 2, none in the main loop.
    assert len(re.findall(r"MEMBAR\.\w+\.GPU", sass)) == 2
    assert _membars_outside_cluster_barriers(sass) == []
    assert "MEMBAR" not in base_sass
    # B is multicast (one load per K block), A is each block's own (one box per consumer).
    assert ".reqnctapercluster 2, 1, 1" in result.ptx
    assert result.ptx.count(_MULTICAST) == 1
    assert len(re.findall(r"UTMALDG\.2D\.MULTICAST", sass)) == 1
    assert len(re.findall(r"UTMALDG\.2D ", sass)) == consumers
    assert ".release.cluster.shared::cluster" not in result.ptx


@pytest.mark.parametrize("cuda", CUDAS)
def test_cluster_1x2_and_2x1_have_the_same_barriers(cuda):
    """1x2 (A multicast) and 2x1 (B multicast) differ only in which operand is shared: the
    same remote arrivals, cluster barriers and registers."""
    pair_n, sass_n = _compiled("bf16", 128, 2, 2, cuda, (1, 2))
    pair_m, sass_m = _compiled("bf16", 128, 2, 2, cuda, (2, 1))
    for ptx_text in (pair_n.ptx, pair_m.ptx):
        # Only the shared ring's slots are released in both blocks: 2 ranks x (loop + end of tile).
        assert ptx_text.count("mbarrier.arrive.shared::cluster.b64") == 4
        assert ptx_text.count("barrier.cluster.arrive.release;") == 2
    assert pair_n.reports[0].registers == pair_m.reports[0].registers
    assert len(re.findall(r"MEMBAR\.\w+\.GPU", sass_n)) == len(re.findall(r"MEMBAR\.\w+\.GPU", sass_m)) == 2


@pytest.mark.parametrize("cuda", CUDAS)
@pytest.mark.parametrize("extra", [dict(schedule="pingpong"), dict(c_dtype="bf16")])
def test_cluster_2x1_combines_with_pingpong_and_a_bf16_c(extra, cuda):
    result = compile(gemm(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, cluster_m=2, **extra), cuda=cuda)
    base = compile(gemm(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, **extra), cuda=cuda)
    (report,), (one,) = result.reports, base.reports
    assert report.ok and report.codes == [] and report.stack == 0
    assert (report.shape.hgmma, report.shape.hgmma_gsb0, report.shape.depbar) == \
           (one.shape.hgmma, one.shape.hgmma_gsb0, one.shape.depbar)
    assert ".reqnctapercluster 2, 1, 1" in result.ptx and result.ptx.count(_MULTICAST) == 1
    assert _membars_outside_cluster_barriers(guard.disassemble(result.cubin)) == []


def test_bf16_n256_cluster_2x1_with_wait_depth_0_is_clean():
    result = compile(gemm(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, cluster_m=2), cuda="13.x")
    (report,) = result.reports
    assert report.ok and report.codes == [] and report.stack == 0
    assert report.shape.hgmma == 8 and report.shape.hgmma_gsb0 == 2


# -- verifier: shapes that cannot be clusters ---------------------------------------------------------------
def test_2x2_is_rejected_with_what_to_use():
    with pytest.raises(CompileError, match=r"a 2x2 cluster \(cluster_m = 2 and cluster_n = 2\) is not supported: "
                                           r"use cluster_m = 2 \(B multicast\) or cluster_n = 2"):
        gemm(dtype="bf16", cluster_m=2, cluster_n=2)


@pytest.mark.parametrize("cluster_m", [0, 3, 4])
def test_cluster_m_is_1_or_2(cluster_m):
    with pytest.raises(CompileError, match=f"cluster_m must be 1 or 2, got {cluster_m}"):
        gemm(dtype="bf16", cluster_m=cluster_m)


@pytest.mark.parametrize("n", [8, 24, 40, 120, 248])
def test_b_halves_must_be_8_row_multiples(n):
    with pytest.raises(CompileError, match=f"cluster_m = 2 splits B's block_n = {n} rows in two halves"):
        gemm(dtype="tf32", wgmma_n=n, cluster_m=2)
    gemm(dtype="tf32", wgmma_n=n)  # fine without the cluster


@pytest.mark.parametrize("n", [16, 32, 48, 96, 112, 256])
def test_b_halves_of_8_row_multiples_pass(n):
    gemm(dtype="bf16", wgmma_n=n, tiles_per_warpgroup=1, cluster_m=2)


def test_multicast_load_verifier_rejects_unaligned_parts():
    from xdsl.dialects.builtin import i32
    from xdsl.ir import Block
    from xdsl.utils.exceptions import VerifyException

    from exo_gpu.dialects.tma import LoadOp, TensorMapType

    block = Block(arg_types=[TensorMapType(), i32, i32])
    tmap, slot, k = block.args
    LoadOp(tmap, slot, k, "b", "B", 0, 0, 32, 4096, multicast=2).verify()
    with pytest.raises(VerifyException, match="a box of 24 rows multicast by 2 CTAs must split into parts of a multiple of 8 rows"):
        LoadOp(tmap, slot, k, "b", "B", 0, 0, 24, 3072, multicast=2).verify()


# -- command line ---------------------------------------------------------------------------------------------
def _exo_gpu(*args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "exo-gpu"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300)


def test_cli_cluster_2x1_emits_a_cluster_kernel():
    proc = _exo_gpu("gemm", "--dtype", "bf16", "--wgmma-n", "128", "--cluster", "2x1", "--emit", "ptx")
    assert proc.returncode == 0, proc.stderr
    assert ".reqnctapercluster 2, 1, 1" in proc.stdout and proc.stdout.count(_MULTICAST) == 1


@pytest.mark.parametrize("cluster,needle", [
    ("2x2", "a 2x2 cluster (cluster_m = 2 and cluster_n = 2) is not supported"),
    ("4x1", "cluster_m must be 1 or 2, got 4"),
    ("two", "--cluster: 'two' is not MxN (1x1, 1x2 or 2x1)"),
])
@pytest.mark.parametrize("command", ["gemm", "run"])
def test_cli_bad_cluster_is_one_line_error(command, cluster, needle):
    proc = _exo_gpu(command, "--dtype", "bf16", "--cluster", cluster)
    assert proc.returncode != 0 and "Traceback" not in proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and needle in errors[0], proc.stderr


# -- runtime geometry (no GPU) ------------------------------------------------------------------------------
def test_kernel_info_2x1_boxes_and_cluster():
    info = rt.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4, cluster_m=2)  # 128 x 256 blocks
    assert (info.block_m, info.block_n, info.cluster, info.cluster_m, info.cluster_blocks) == (128, 256, 1, 2, 2)
    assert info.a_box_rows == 64 and info.b_box_rows == 128  # A whole per block, B halved
    pair_n = rt.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4, cluster=2)
    assert pair_n.a_box_rows == 32 and pair_n.b_box_rows == 256 and pair_n.cluster_blocks == 2
    assert info.label() == "bf16 n256 T1 C2 s4 w1 2x1" and pair_n.label() == "bf16 n256 T1 C2 s4 w1 x2"


@pytest.mark.parametrize("m,n,tiles", [
    (4096, 4096, 16 * 16),  # 16 cluster rows (256 rows each) x 16 columns
    (128, 256, 1),  # one block's worth of M: the cluster's second block is all out of bounds
    (257, 256, 2),  # a row past one cluster: a second cluster row
    (1, 1, 1),
    (8192, 14336, 32 * 56),
])
def test_2x1_tiles_are_cluster_pairs_along_m(m, n, tiles):
    info = rt.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4, cluster_m=2)
    assert info.tiles(m, n) == tiles
    assert info.grid(m, n) == (2 * tiles, 1, 1)  # two blocks per tile (cluster)


def test_2x1_persistent_grid_is_whole_clusters():
    info = rt.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4, cluster_m=2)
    assert info.grid(4096, 4096, 132) == (132, 1, 1)  # 66 clusters of 2
    assert info.grid(4096, 4096, 131) == (130, 1, 1)  # an odd count leaves one SM idle
    assert info.grid(4096, 4096, 1) == (2, 1, 1)  # never less than one cluster
    assert info.grid(100, 100, 132) == (2, 1, 1)  # never more clusters than tiles


def test_2x1_kernel_info_round_trips_and_matches_the_compiler():
    info = rt.KernelInfo.for_gemm("k", "tf32", 128, 2, 2, 4, cluster_m=2, registers=168)
    back = rt.KernelInfo.from_dict(info.to_dict())
    assert back == info and back.cluster_m == 2 and back.extra == {"registers": 168}
    module = gemm("tf32", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, stages=4, name="k", cluster_m=2)
    result = compile(module, assemble=False)  # compile() leaves `module` as it was: read its result
    assert info.smem_bytes == result.smem_bytes
    assert f".reqnctapercluster {info.cluster_blocks}, 1, 1" in result.ptx


def test_runner_build_describes_the_2x1_kernel():
    cubin, info = build(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, cluster_m=2)
    assert cubin and (info.cluster, info.cluster_m, info.b_box_rows, info.a_box_rows) == (1, 2, 64, 128)
    assert info.tiles(1024, 1024) == 2 * 8 and info.grid(1024, 1024) == (32, 1, 1)


# -- on a GPU -----------------------------------------------------------------------------------------------


@needs_hopper
@pytest.mark.parametrize("config", [
    dict(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2, consumers=2),
    dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, consumers=2, wait_depth=0),
    dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=1, consumers=1),
    dict(dtype="tf32", wgmma_n=16, tiles_per_warpgroup=1, consumers=1, stages=2),
    dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, schedule="pingpong"),
    dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, consumers=2, wait_depth=0, c_dtype="bf16"),
])
def test_gpu_cluster_2x1_is_correct(config):
    rt._cuda = None
    cubin, info = build(**config, cluster_m=2)
    kernel = rt.load(cubin, info=info)
    try:
        # M edges that leave a cluster's second block partly or wholly out of bounds, N edges,
        # K tails, and a problem with more tiles than resident clusters (persistent walk).
        for m, n, k in [(1000, 1000, 1000), (129, 200, 40), (777, 1001, 520), (64, 64, 64), (4096, 2048, 512)]:
            check = rt.check_gemm(kernel, m, n, k)
            assert check.passed, check.line()
    finally:
        kernel.unload()
    assert exo_gpu.run(300, 260, 200, **config, cluster_m=2).passed


def test_benchmark_names_and_labels_tell_2x1_from_1x2():
    import importlib.util

    root = Path(__file__).resolve().parents[1] / "benchmarks"
    mods = {}
    for name in ("build_cubins", "gemm_bench"):
        spec = importlib.util.spec_from_file_location(name, root / f"{name}.py")
        mods[name] = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(name, mods[name])  # dataclasses look their module up there
        spec.loader.exec_module(mods[name])
    cfg = mods["build_cubins"].C("bf16", 128, 2, 2, 4, cluster_m=2)
    assert cfg.name(4, "12.3", "12.3") == "gemm_bf16_m256n128_c2_s4_w1_xm2"
    d = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, cluster_m=2).to_dict()
    assert mods["gemm_bench"].kernel_label(d) == "bf16 n128 T2 C2 s4 w1 2x1"
    d = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, cluster=2).to_dict()
    assert mods["gemm_bench"].kernel_label(d) == "bf16 n128 T2 C2 s4 w1 x2"
