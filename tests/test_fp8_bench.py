"""benchmarks/fp8_bench.py's parts that need no GPU: its command line, the shapes it parses,
the candidate schedules it tries (each a valid exo_gpu.matmul config=), its table and its
verdict.  The bench itself runs on the GPU machine (benchmarks/fp8_gpu.sh)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from exo_gpu.gpu.matmul import _check_config
from exo_gpu.tuner import space

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("fp8_bench", ROOT / "benchmarks" / "fp8_bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_help_and_bad_shapes(capsys):
    bench = _bench()
    with pytest.raises(SystemExit) as e:
        bench.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--shapes" in out and "--rounds" in out and "--json" in out and "torch._scaled_mm" in out
    with pytest.raises(SystemExit) as e:
        bench.main(["--shapes", "4096x4096x100"])
    assert e.value.code == 2
    assert "K = 100 must be a multiple of 16" in capsys.readouterr().err


def test_parse_shapes():
    bench = _bench()
    assert bench.parse_shapes(bench.DEFAULT_SHAPES) == [(4096,) * 3, (8192,) * 3, (2048,) * 3, (8192, 8192, 1024)]
    assert bench.parse_shapes("1024, 777x1000x528") == [(1024,) * 3, (777, 1000, 528)]
    for bad in ("", "4096x4096", "0", "axbxc", "64x64x-16"):
        with pytest.raises(ValueError):
            bench.parse_shapes(bad)


def test_candidates_are_matmul_configs():
    """Schedule arguments only (the problem's types and layouts are matmul's), no split-K, no
    duplicates; the big shapes include exo_gpu.matmul's default and a 2-CTA cluster."""
    bench = _bench()
    big = bench.candidate_configs(8192, 8192, 8192, "e4m3", 132, "quick")
    labels = [space.label(c) for c in big]
    assert len(set(labels)) == len(labels) >= 5
    assert "n256 T1 C2 s4 w0" in labels and "n256 T1 C2 s4 w1" in labels and "n128 T2 C2 s4 w0" in labels
    assert any(c.get("cluster_n") == 2 for c in big)
    for c in big + bench.candidate_configs(*bench.ODD_SHAPE, "e4m3", 132, "quick"):
        _check_config(c)
        assert c.get("split_k", 1) == 1
    default = space.default_config(space.Problem(8192, 8192, 8192, "e4m3", "bf16"), 132)
    assert {k: v for k, v in default.items() if k not in ("dtype", "c_dtype", "layout_a", "layout_b")} in big
    assert bench.candidate_configs(4096, 4096, 4096, "e4m3", 132, "none") == []
    whole = bench.candidate_configs(2048, 2048, 2048, "e4m3", 132, "default")
    assert len(whole) > len(bench.candidate_configs(2048, 2048, 2048, "e4m3", 132, "quick"))
    assert all("split_k" not in c or c["split_k"] == 1 for c in whole)


def _row(default_tf=900.0, best_tf=1100.0):
    ms = lambda tf: 2 * 4096 ** 3 / (tf * 1e12) * 1e3  # noqa: E731
    kernels = {"exo default [n256]": {"tflops": default_tf, "median_ms": ms(default_tf)},
               "exo n128 T2 C2 s4 w0": {"tflops": best_tf, "median_ms": ms(best_tf)},
               "cuBLASLt": {"tflops": 800.0}, "cuBLASLt fast-accum": {"tflops": 1000.0}}
    for name in ("exo default [n256]", "exo n128 T2 C2 s4 w0"):
        kernels[name]["pct_of_cublaslt_fast_accum"] = 100 * kernels[name]["tflops"] / 1000.0
        kernels[name]["pct_of_cublaslt"] = 100 * kernels[name]["tflops"] / 800.0
    return {"m": 4096, "n": 4096, "k": 4096, "default": "exo default [n256]", "best": "exo n128 T2 C2 s4 w0",
            "kernels": kernels, "checks": {"exo default [n256]": {"ok": True, "rel_err": 1e-3},
                                           "cuBLASLt": {"ok": False, "rel_err": float("inf"), "error": "no e5m2"}}}


def test_table_and_failures():
    bench = _bench()
    text = bench.table([_row()])
    line = text.splitlines()[2]
    assert line.split()[:5] == ["4096x4096x4096", "900.0", "1100.0", "n128", "T2"]
    assert "90.0%" in line and "110.0%" in line and "137.5%" in line
    odd = {"shape": [777, 1000, 528], "checks": {"exo default [n128]": {"ok": False, "rel_err": 0.5}}}
    # exo-gpu's failed checks count; the peer's (cuBLASLt refusing a type) do not
    assert bench.failures(odd, [_row()]) == ["odd [777, 1000, 528]: exo default [n128] rel err 5.00e-01"]


def test_check_verdict():
    """The correctness rule: relative Frobenius error, no NaN, no outlier element."""
    torch = pytest.importorskip("torch", reason="torch is not installed here (the GPU machine has it)")
    bench = _bench()
    ref = torch.ones(64, 64, dtype=torch.float64)
    assert bench.check(ref.float() * (1 + 1e-3), ref)["ok"]
    bad = ref.clone()
    bad[3, 4] = 40.0
    assert not bench.check(bad, ref)["ok"]
    assert not bench.check(ref.float() * float("nan"), ref)["ok"]
