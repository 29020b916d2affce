"""The autotuner: its candidate space, the compile stage on local processes and on a Dask
LocalCluster (the same results), the tune cache's key and round trip, compile-only tunes and
the CLI's errors.  The GPU stage runs only where there is a Hopper GPU (skipped, saying why,
elsewhere)."""

from __future__ import annotations

import os
import json
import subprocess
import sys

import pytest

from hopper import gpu_reason, needs_hopper

# The ptxas of the GPU tests' compiles: the pinned 12.3 by default, `system` on a GPU machine
# without the pinned toolchain (EXO_GPU_TEST_CUDA=system).
CUDA = os.environ.get("EXO_GPU_TEST_CUDA", "12.3")

import exo_gpu
from exo_gpu.dialects.tma import smem_layout
from exo_gpu.dialects.warpgroup import SMEM_LIMIT
from exo_gpu.ptxas.litmus.executor import make_executor
from exo_gpu.tuner import cache, compile_stage, space
from exo_gpu.tuner.tune import TuneError, check_problem


def _problem(m, n, k, dtype="bf16", c_dtype="bf16", la="row", lb="col"):
    return space.Problem(m, n, k, dtype, c_dtype, la, lb)


# -- the space -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", space.DTYPES)
def test_candidates_fit_the_budgets_and_are_distinct(dtype):
    for p in (_problem(4096, 4096, 4096, dtype, "f32"), _problem(512, 512, 8192, dtype, "f32")):
        cands = space.candidates(p)
        assert len(cands) == len({json.dumps(c, sort_keys=True) for c in cands}) >= 20
        for c in cands:
            assert c["dtype"] == dtype and c["c_dtype"] == "f32"
            assert c["tiles_per_warpgroup"] * c["wgmma_n"] <= space.MAX_ACC_ELEMENTS
            slot = (space.block_m(c) + c["wgmma_n"]) * 128
            assert smem_layout([("ab", c["stages"], slot)])[1] <= SMEM_LIMIT  # the most stages that fit ...
            if c["stages"] < 8:  # ... and not one fewer
                assert smem_layout([("ab", c["stages"] + 1, slot)])[1] > SMEM_LIMIT


def test_space_follows_the_shape():
    big = space.candidates(_problem(8192, 8192, 8192))
    small = space.candidates(_problem(512, 512, 8192, c_dtype="f32"))
    assert any(c.get("cluster_n") == 2 for c in big) and not any(c.get("split_k", 1) > 1 for c in big)
    assert not any(c.get("cluster_n") == 2 for c in small)
    assert {c["split_k"] for c in small if "split_k" in c} == {2, 4}
    assert any(c["wgmma_n"] == 64 for c in small) and not any(c["wgmma_n"] == 64 for c in big)
    # split-K adds into C with f32 atomics: never with a bf16 C
    assert not any("split_k" in c for c in space.candidates(_problem(512, 512, 8192)))
    assert {c["schedule"] for c in big} == {"cooperative", "pingpong"}
    assert {c["wait_depth"] for c in big} == {0, 1}


def test_quick_space_and_layouts_carry_through():
    quick = space.candidates(_problem(4096, 4096, 4096, la="col", lb="row"), space="quick")
    assert 3 <= len(quick) <= 4
    assert all(c["layout_a"] == "col" and c["layout_b"] == "row" for c in quick)


def test_default_config_per_shape():
    assert space.label(space.default_config(_problem(4096, 4096, 4096))) == "n256 T1 C2 s4 w0"
    assert space.label(space.default_config(_problem(256, 256, 4096))) == "n128 T1 C2 s7 w1"


def test_shape_class_rounds_in_log_scale():
    assert space.shape_class(4096, 4096, 4096) == "4096x4096x4096"
    assert space.shape_class(1000, 1500, 1400) == "1024x2048x1024"
    assert space.shape_class(8192, 14336, 4096) == "8192x16384x4096"
    assert space.shape_class(1, 3, 5) == "1x4x4"


def test_check_shape_keeps_the_edge_tiles():
    """Shapes over 2048 are checked smaller, with the same remainders (so the same edge tiles)."""
    from exo_gpu.tuner.gpu_stage import check_shape

    assert check_shape(777, 1001, 520) == (777, 1001, 520)
    for m, n, k in ((8192, 14336, 4096), (8191, 5000, 3000), (2049, 2048, 2177)):
        cm, cn, ck = check_shape(m, n, k)
        assert max(cm, cn, ck) <= 2048 and (cm % 256, cn % 256, ck % 128) == (m % 256, n % 256, k % 128)


# -- the cache -------------------------------------------------------------------------------
KEY = cache.TuneKey("NVIDIA H200", "bf16", "bf16", "row", "col", "4096x4096x4096", "12.3.107")


def test_cache_key_slug_is_a_plain_file_name():
    assert KEY.slug() == "NVIDIA-H200__bf16-bf16-arow-bcol__4096x4096x4096__ptxas12.3.107"
    odd = cache.TuneKey("NVIDIA H100 80GB HBM3 / MIG 1g.10gb", "e4m3", "f32", "row", "col", "1x1x1", "13.5.37")
    assert "/" not in odd.slug() and " " not in odd.slug()


def test_cache_round_trip(tmp_path):
    cubin = bytes(range(256)) * 3
    entry = {"config": {"dtype": "bf16", "wgmma_n": 256}, "median_ms": 0.5, "cubin": cubin, "info": {"name": "k"}}
    file = cache.store(KEY, entry, tmp_path / "sub")
    assert file.parent == tmp_path / "sub" and file.name == KEY.slug() + ".json"
    got = cache.load(KEY, tmp_path / "sub")
    assert got["config"] == entry["config"] and got["median_ms"] == 0.5
    assert cache.cubin_of(got) == cubin
    assert [f.name for f in (tmp_path / "sub").iterdir()] == [file.name]  # no temporary file left
    other = cache.TuneKey(*(list(KEY.__dict__.values())[:-1] + ["13.5.37"]))
    assert cache.load(other, tmp_path / "sub") is None  # another ptxas: not tuned
    file.write_text("{ torn")
    assert cache.load(KEY, tmp_path / "sub") is None  # a bad file is "not tuned", not a crash


def test_cache_folder_errors(tmp_path):
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(cache.CacheError, match="a file, not a folder"):
        cache.check_folder(afile)
    with pytest.raises(cache.CacheError, match="is a file, not a folder"):
        cache.check_folder(afile / "sub", create=False)
    assert cache.check_folder(tmp_path / "a" / "b", create=False) == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # checked, not created


# -- the compile stage -----------------------------------------------------------------------
TINY = [
    dict(dtype="bf16", wgmma_n=64, tiles_per_warpgroup=1, consumers=1, stages=2, wait_depth=0, c_dtype="bf16"),
    dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=2, consumers=2, stages=8, wait_depth=1),  # too much smem
]


def test_compile_stage_statuses():
    got = compile_stage.compile_all(TINY, "12.3", make_executor(1))
    assert [r["status"] for r in got] == ["ok", "rejected"]
    assert got[0]["cubin"].startswith(b"\x7fELF") and got[0]["info"]["smem_bytes"] > 0
    assert got[0]["ptxas"] == "12.3.107" and got[0]["registers"] > 0
    assert "shared memory" in got[1]["reason"] and got[1]["cubin"] is None


def test_compile_stage_dask_equals_local_processes():
    """The same candidates through local processes and a Dask LocalCluster: same statuses,
    reasons, registers and byte-identical cubins, in candidate order."""
    pytest.importorskip("distributed", reason="Dask is not installed (pip install 'exo-gpu[cluster]')")
    local = make_executor(2)
    dask = make_executor(1, "local:2")
    try:
        a = compile_stage.compile_all(TINY, "12.3", local)
        b = compile_stage.compile_all(TINY, "12.3", dask)
    finally:
        local.close()
        dask.close()
    assert [compile_stage.fingerprint(r) for r in a] == [compile_stage.fingerprint(r) for r in b]
    assert [r["index"] for r in b] == [0, 1]


def test_tune_compile_only_reports_every_candidate():
    result = exo_gpu.tune(256, 128, 512, "bf16", candidates=TINY, jobs=1, compile_only=True, progress=False)
    assert [r["status"] for r in result.rows] == ["ok", "rejected"]
    assert result.best is None and result.cache_file is None and result.key is None
    table = result.table()
    assert "n64 T1 C1 s2 w0" in table and "rejected" in table and "2 candidates, 1 compiled clean" in table
    assert all("_cubin" not in r for r in result.rows)
    json.dumps(result.to_json())  # serialisable


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("args,needle", [
    ((0, 8, 8, "bf16"), "m must be in 1.."),
    ((8, -1, 8, "bf16"), "n must be in 1.."),
    ((8, 8, 8.0, "bf16"), "k must be an integer"),
    ((64, 64, 64, "fp64"), "unknown dtype 'fp64'"),
    ((64, 64, 100, "bf16"), "k=100 gives 200-byte rows"),
])
def test_tune_bad_arguments(args, needle):
    with pytest.raises(TuneError, match=needle.replace("(", r"\(").replace(".", r"\.")):
        exo_gpu.tune(*args, compile_only=True)


def test_check_problem_layouts():
    with pytest.raises(TuneError, match="tf32 wgmma reads A and B K-major only"):
        check_problem(64, 64, 64, "tf32", "f32", "row", "row")
    assert check_problem(64, 64, 64, "f16", "f16", "col", "row").layout_a == "col"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "exo_gpu.cli", "tune", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(gpu_reason() is None, reason="a GPU is present: the no-GPU message cannot be seen here")
def test_cli_without_gpu_says_so_before_compiling(tmp_path):
    proc = _cli("--m", "64", "--n", "64", "--k", "64", "--cache", str(tmp_path / "c"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "no GPU for the timing stage" in proc.stderr
    assert "--compile-only" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "c").exists()


def test_cli_compile_only_json(tmp_path):
    proc = _cli("--m", "256", "--n", "256", "--k", "256", "--dtype", "f16", "--space", "quick", "--jobs", "2",
                "--compile-only", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["problem"]["c_dtype"] == "f16" and len(doc["rows"]) == 3
    assert all(r["status"] == "ok" and r["config"]["dtype"] == "f16" for r in doc["rows"])
    assert proc.stderr == ""  # no progress bar off a TTY


# -- on the GPU ------------------------------------------------------------------------------
@needs_hopper
def test_gpu_tune_checks_times_and_caches(tmp_path):
    cands = [dict(c, dtype="bf16", c_dtype="bf16") for c in (TINY[0], space.default_config(_problem(512, 512, 512)))]
    result = exo_gpu.tune(512, 512, 512, "bf16", candidates=cands, cache=str(tmp_path), runs=5, progress=False,
                          cuda=CUDA)
    assert all(r["check"] == "ok" and r["median_ms"] > 0 for r in result.rows), result.table()
    assert result.best is not None and result.cache_file is not None
    entry = cache.load(result.key, tmp_path)
    assert entry["config"] == result.best["config"] and cache.cubin_of(entry).startswith(b"\x7fELF")
