"""The installed console scripts, `exo-gpu` and `exo-gpu-opt`, run as a user runs them.

Each test starts the real entry point in a subprocess (with the real pinned ptxas and
nvdisasm), and checks exit codes, stdout and stderr: a user error is one line on stderr
that starts with "<prog>: error:", never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed_tf32_n128.mlir"
PIPELINE = ["schedule", "insert-syncs", "lower-to-ptx", "tie-loop-carried", "assign-registers", "check-register-budget",
            "emit-ptx"]


def _script(name: str) -> str:
    """The console script next to this interpreter (a venv's bin/), else the one on PATH."""
    here = Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"console script {name} not found: pip install -e . into this interpreter's venv")
    return found


def run(prog: str, *args, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([_script(prog), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def exo_gpu(*args, **kw):
    return run("exo-gpu", *args, **kw)


def exo_gpu_opt(*args, **kw):
    return run("exo-gpu-opt", *args, **kw)


def assert_one_line_error(proc: subprocess.CompletedProcess, prog: str, *needles: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def ptx_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ptx") / "seed.ptx"
    proc = exo_gpu("gemm", "--emit", "ptx", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    return out


@pytest.fixture(scope="module")
def runtime_ptx_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ptx") / "runtime.ptx"
    proc = exo_gpu("gemm", "--scale-d", "runtime", "--emit", "ptx", "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out


# ---------------------------------------------------------------- exo-gpu gemm

def test_gemm_report_default():
    proc = exo_gpu("gemm", "--emit", "report")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    first = proc.stdout.splitlines()[0]
    assert first == "kernel gemm_tf32_m256n128_c2_s4_w1 (ptxas 12.3.107, sm_90a): OK"
    assert "16 HGMMA (2 with gsb0)" in proc.stdout
    assert "FAIL" not in proc.stdout


def test_gemm_report_json_cuda_13():
    proc = exo_gpu("gemm", "--emit", "report", "--json", "--cuda", "13.x", "--dtype", "bf16")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    [k] = data["kernels"]
    assert k["kernel"] == "gemm_bf16_m256n128_c2_s4_w1"
    assert k["ptxas"].startswith("13.")
    assert k["ok"] is True and k["failures"] == []
    assert k["stack"] == 0
    assert k["sass"]["hgmma"] == 16 and k["sass"]["hgmma_gsb0"] == k["ptx"]["commit_group"] == 2


def test_gemm_emit_ptx_to_file(ptx_file):
    ptx = ptx_file.read_text()
    assert ptx.startswith(".version 8.0\n.target sm_90a\n")
    assert ".visible .entry gemm_tf32_m256n128_c2_s4_w1(" in ptx
    assert '.file 1 "gemm_tf32_m256n128_c2_s4_w1.mlir"' in ptx


def test_gemm_emit_ptx_to_stdout_matches_file(ptx_file):
    proc = exo_gpu("gemm", "--emit", "ptx")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ptx_file.read_text()


def test_gemm_emit_sass():
    proc = exo_gpu("gemm", "--emit", "sass", "--wgmma-n", "96")
    assert proc.returncode == 0, proc.stderr
    assert "HGMMA.64x96x8.F32.TF32" in proc.stdout
    assert "WARPGROUP.ARRIVE" in proc.stdout


def test_gemm_emit_tile_round_trips_through_opt(tmp_path):
    tile = tmp_path / "k.mlir"
    assert exo_gpu("gemm", "--emit", "tile", "-o", tile).returncode == 0
    assert tile.read_text() == SEED.read_text()


def test_gemm_emit_cubin_needs_output(tmp_path):
    assert_one_line_error(exo_gpu("gemm", "--emit", "cubin"), "exo-gpu", "-o FILE")
    out = tmp_path / "k.cubin"
    proc = exo_gpu("gemm", "--emit", "cubin", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:4] == b"\x7fELF"
    check = exo_gpu("check", out, "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["kernels"][0]["sass"]["hgmma_gsb0"] == 2


def test_gemm_runtime_scale_d_fails_on_12_3_before_ptxas():
    """The pipeline model predicts the serialization and fails the compile, naming the culprit."""
    proc = exo_gpu("gemm", "--scale-d", "runtime", "--emit", "report")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("exo-gpu: error: predicted for ptxas 12.3: [B] acc-undefined-input at line ")
    assert "C7515, serialized" in proc.stderr and "fix: peel the first K block" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_check_runtime_scale_d_ptx_guard_fails_on_12_3(tmp_path):
    """The guard alone (after ptxas) bites too: code, check and the flag that downgrades it."""
    ptx = tmp_path / "rt.ptx"
    assert exo_gpu("gemm", "--scale-d", "runtime", "--emit", "ptx", "-o", ptx).returncode == 0
    proc = exo_gpu("check", ptx, "--cuda", "12.3")
    assert proc.returncode == 1
    assert "C7515" in proc.stdout and "extra WARPGROUP.DEPBAR" in proc.stdout


def test_gemm_runtime_scale_d_allowed_gives_warnings():
    proc = exo_gpu("gemm", "--scale-d", "runtime", "--allow-serialization", "--emit", "report")
    assert proc.returncode == 0
    assert "exo-gpu: warning:" in proc.stderr and "C7515" in proc.stderr
    assert "FAILED" in proc.stdout
    assert "8 HGMMA (8 with gsb0)" in proc.stdout


def test_gemm_runtime_scale_d_is_clean_on_13_x():
    proc = exo_gpu("gemm", "--scale-d", "runtime", "--cuda", "13.x", "--emit", "report")
    assert proc.returncode == 0, proc.stderr
    assert ": OK" in proc.stdout.splitlines()[0]


# ---------------------------------------------------------------- exo-gpu check

def test_check_json_on_emitted_ptx(ptx_file):
    proc = exo_gpu("check", ptx_file, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data) == ["kernels"]
    [k] = data["kernels"]
    assert k["ok"] is True and k["kernel"] == "gemm_tf32_m256n128_c2_s4_w1"
    assert k["ptxas"] == "12.3.107"


def test_check_runtime_scale_d_ptx_fails_on_12_3(runtime_ptx_file):
    proc = exo_gpu("check", runtime_ptx_file)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "C7515" in proc.stdout
    assert "FAILED" in proc.stdout and "extra WARPGROUP.DEPBAR" in proc.stdout


def test_check_runtime_scale_d_ptx_passes_on_13_x(runtime_ptx_file):
    proc = exo_gpu("check", runtime_ptx_file, "--cuda", "13.x", "--json")
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["kernels"][0]["ok"] is True


# ---------------------------------------------------------------- user errors

def test_unknown_dtype_is_an_argparse_error():
    """A bad command line is argparse's exit 2, on one line that points at --help (no usage block)."""
    proc = exo_gpu("gemm", "--dtype", "fp64")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("exo-gpu gemm: error: argument --dtype: invalid choice: 'fp64'")
    assert line.endswith("see exo-gpu gemm --help")


def test_illegal_wgmma_n():
    assert_one_line_error(exo_gpu("gemm", "--wgmma-n", "100"), "exo-gpu",
                          "wgmma N must be a multiple of 8 from 8 to 256, got 100")


def test_register_budget():
    assert_one_line_error(exo_gpu("gemm", "--dtype", "bf16", "--wgmma-n", "256", "--stages", "3"),
                          "exo-gpu", "setmaxnreg budget of 232")


def test_unknown_cuda():
    assert_one_line_error(exo_gpu("gemm", "--cuda", "11.8"), "exo-gpu", "CUDA 11.8 is not supported")


def test_missing_ptxas():
    assert_one_line_error(exo_gpu("gemm", "--ptxas", "/nonexistent/ptxas"), "exo-gpu",
                          "--ptxas /nonexistent/ptxas: no such file")


def test_check_missing_file(tmp_path):
    assert_one_line_error(exo_gpu("check", tmp_path / "nope.ptx"), "exo-gpu", "cannot read", "nope.ptx")


def test_check_rejected_ptx(tmp_path):
    bad = tmp_path / "bad.ptx"
    bad.write_text(".version 8.0\n.target sm_90a\n.address_size 64\n.visible .entry k() { frob; }\n")
    assert_one_line_error(exo_gpu("check", bad), "exo-gpu", "ptxas 12.3.107 rejected the PTX")


def test_opt_missing_file(tmp_path):
    assert_one_line_error(exo_gpu_opt(tmp_path / "nope.mlir", "-p", "schedule"), "exo-gpu-opt",
                          "cannot read", "nope.mlir")


def test_opt_malformed_mlir(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text('builtin.module {\n  tile.kernel @k(%a: ) grid(%a tiles 64x64) {\n  }\n}\n')
    line = assert_one_line_error(exo_gpu_opt(bad, "-p", "schedule"), "exo-gpu-opt")
    assert f"{bad}:2:" in line


def test_opt_unknown_pass():
    assert_one_line_error(exo_gpu_opt(SEED, "-p", "schedule,bogus"), "exo-gpu-opt", "unknown pass 'bogus'",
                          "schedule, insert-syncs, lower-fragments, lower-to-ptx, tie-loop-carried, assign-registers, check-register-budget, emit-ptx")


def test_opt_unknown_print_ir_after_pass():
    assert_one_line_error(exo_gpu_opt(SEED, "-p", "schedule", "--print-ir-after", "bogus"), "exo-gpu-opt",
                          "unknown pass 'bogus'")


def test_opt_pass_out_of_order():
    """emit-ptx straight after schedule: the kernel is not at emit-ptx's level; the passes to run are named."""
    assert_one_line_error(exo_gpu_opt(SEED, "-p", "schedule,emit-ptx"), "exo-gpu-opt",
                          "emit-ptx: warpgroup.kernel", "run insert-syncs, lower-fragments, lower-to-ptx")


# ---------------------------------------------------------------- exo-gpu-opt

def test_opt_full_pipeline_gives_ptx_that_check_accepts(tmp_path):
    out = tmp_path / "seed.ptx"
    proc = exo_gpu_opt(SEED, "-p", ",".join(PIPELINE), "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    ptx = out.read_text()
    assert ptx.startswith(".version 8.0\n")
    assert f'.file 1 "{SEED}"' in ptx
    check = exo_gpu("check", out, "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["kernels"][0]["ok"] is True


def test_opt_print_ir_after_all():
    proc = exo_gpu_opt(SEED, "-p", ",".join(PIPELINE), "--print-ir-after-all")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(".version 8.0\n")
    headers = [line for line in proc.stderr.splitlines() if "IR Dump After" in line]
    assert headers == [f"// -----// IR Dump After {p} //----- //" for p in PIPELINE[:-1]]
    assert '"warpgroup.kernel"' in proc.stderr
    assert "wgmma.commit_group" in proc.stderr
    assert '"ptx.entry"' in proc.stderr


def test_opt_without_emit_prints_ir():
    proc = exo_gpu_opt(SEED, "-p", "schedule")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("builtin.module {")
    assert '"warpgroup.kernel"' in proc.stdout and '"wgmma.mma_async"' in proc.stdout


def _strip_locs(ptx: str) -> str:
    return "".join(line for line in ptx.splitlines(True)
                   if not line.lstrip().startswith((".loc ", ".file ")))


@pytest.fixture(scope="module")
def full_pipeline_ptx() -> str:
    full = exo_gpu_opt(SEED, "-p", ",".join(PIPELINE))
    assert full.returncode == 0, full.stderr
    return full.stdout


@pytest.mark.parametrize("stage", PIPELINE[:-1])
def test_opt_round_trip_through_a_dumped_stage(stage, tmp_path, full_pipeline_ptx):
    """The IR printed after a pass, saved and fed back with the remaining passes, gives the
    PTX of the full pipeline; only the .file/.loc lines differ (they point at the dump)."""
    i = PIPELINE.index(stage) + 1
    dump = exo_gpu_opt(SEED, "-p", ",".join(PIPELINE[:i]), "--print-ir-after", stage)
    assert dump.returncode == 0, dump.stderr
    assert dump.stderr.startswith(f"// -----// IR Dump After {stage} //----- //\n")
    # stdout is the same IR as the dump (the pipeline ended with that pass)
    assert dump.stderr.split("\n", 1)[1].rstrip() == dump.stdout.rstrip()
    ir = tmp_path / f"after-{stage}.mlir"
    ir.write_text(dump.stderr)
    rest = exo_gpu_opt(ir, "-p", ",".join(PIPELINE[i:]))
    assert rest.returncode == 0, rest.stderr
    assert f'.file 1 "{ir}"' in rest.stdout
    assert _strip_locs(rest.stdout) == _strip_locs(full_pipeline_ptx)


def test_opt_reads_stdin():
    proc = subprocess.run([_script("exo-gpu-opt"), "-", "-p", ",".join(PIPELINE)], input=SEED.read_text(),
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert '.file 1 "<stdin>"' in proc.stdout


# ---------------------------------------------------------------- exo-gpu toolchain

def test_toolchain_list():
    proc = exo_gpu("toolchain", "list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "12.3  nvidia-cuda-nvcc-cu12==12.3.107  (default)" in lines
    assert any(line.startswith("13.") for line in lines)
