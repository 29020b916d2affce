"""The sweep: every dtype (fp8 included) compiles clean with ptxas 12.3 and 13.x, and the
configurations that cannot fit are rejected by our own checks before ptxas, with a reason."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from exo_gpu import sweep
from exo_gpu.errors import ExoGpuError


@pytest.fixture(scope="module")
def smoke():
    return sweep.run(sweep.GRIDS["smoke"], ["12.3", "13.x"], jobs=2, progress=None)


def test_smoke_grid_compiles_every_dtype_clean_on_both_versions(smoke):
    compiled = [o for o in smoke if o.status != "rejected"]
    assert {o.config["dtype"] for o in compiled} == set(sweep.DTYPES)
    assert {o.cuda for o in compiled} == {"12.3.107", "13.5.37"}
    for o in compiled:
        assert o.status == "clean", (o.config, o.cuda, o.reason)
        assert o.codes == [] and o.stack == 0
        assert o.shape["hgmma"] == 2 * 2 * 4  # peeled + loop stage, 2 tiles, 4 k-steps each
        assert o.shape["hgmma_gsb0"] == 2 and o.shape["ldl"] == o.shape["stl"] == 0


def test_smoke_grid_rejects_what_cannot_fit_before_ptxas(smoke):
    rejected = [o for o in smoke if o.status == "rejected"]
    assert len(rejected) == 4  # two configurations, two versions
    reasons = sorted(sweep._reason_class(o.reason) for o in rejected)
    assert reasons == ["register budget (check-register-budget)"] * 2 + ["shared-memory budget"] * 2
    assert all(o.ptxas == "" and o.shape == {} for o in rejected)


def test_summary_counts_and_compile_time(smoke):
    text = sweep.summary(smoke, "smoke")
    assert "| 12.3.107 | e4m3 | 1 | 1 | 0 | 0 | 0 | 0 | 0 |" in text
    assert "| 13.5.37 | bf16 | 1 | 1 | 0 | 2 | 0 | 0 | 0 |" in text
    assert "Compile time per kernel (median)" in text


def test_fp8_kernel_uses_qgmma():
    import exo_gpu
    from exo_gpu.ptxas import guard, toolchain

    result = exo_gpu.compile(exo_gpu.gemm(dtype="e4m3", wgmma_n=64))
    assert "wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3" in result.ptx
    sass = guard.disassemble(result.cubin, toolchain.nvdisasm())
    assert "QGMMA.64x64x32.F32.E4M3.E4M3" in sass


def test_grid_file_errors_are_one_line(tmp_path):
    bad = tmp_path / "grid.json"
    bad.write_text("{not json")
    with pytest.raises(ExoGpuError, match="not JSON"):
        sweep.load_grid(str(bad))
    with pytest.raises(ExoGpuError, match="neither a named grid"):
        sweep.load_grid(str(tmp_path / "missing.json"))


def test_cli_sweep_from_a_grid_file(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps([{"dtype": "tf32", "wgmma_n": 96, "tiles_per_warpgroup": 1, "consumers": 1},
                                {"dtype": "tf32", "wgmma_n": 100}]))
    out = tmp_path / "out.json"
    exe = Path(sys.executable).parent / "exo-gpu"
    proc = subprocess.run([str(exe), "sweep", "--grid", str(grid), "--cuda", "12.3", "--jobs", "1", "--json", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    outcomes = json.loads(out.read_text())["outcomes"]
    assert [o["status"] for o in outcomes] == ["clean", "rejected"]
    assert "wgmma N must be a multiple of 8" in outcomes[1]["reason"]


@pytest.mark.parametrize("cuda", ["12.3", "13.x"])
def test_cluster_of_two_with_a_multicast_is_clean(cuda):
    import exo_gpu

    result = exo_gpu.compile(exo_gpu.gemm(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0,
                                          cluster_n=2), cuda=cuda)
    assert ".reqnctapercluster 2, 1, 1" in result.ptx and ".multicast::cluster" in result.ptx
    (report,) = result.reports
    assert report.ok and report.codes == [] and report.stack == 0
    assert report.shape.hgmma == 8 and report.shape.hgmma_gsb0 == 2


def test_default_grid_covers_every_option():
    """The default grid has the base kernels and every option beyond them, each labelled."""
    from exo_gpu.sweep import GRIDS, features

    labels = {features(c) for c in GRIDS["default"]}
    for option in ("ping-pong", "bf16 C", "f16 C", "split-K 2", "split-K 4", "A in registers", "MN-major A",
                   "MN-major B", "MN-major A + MN-major B", "f16 accumulators", "cluster 1x2", "cluster 2x1", "base"):
        assert option in labels, option
    assert len(GRIDS["default"]) >= 1000
    assert features(dict(dtype="bf16", schedule="pingpong", wait_depth=0)) == "ping-pong + wait depth 0"
