"""`exo-gpu-opt` follows the xdsl-opt / mlir-opt conventions: stdin by default and `-`,
`-o -`, --split-input-file, --verify-diagnostics, --print-ir-before/-after(-all),
--print-ir-after-failure, --list-passes, --version; output files are written whole or not at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import exo_gpu
from exo_gpu.passes import DEFAULT_PIPELINE

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed_tf32_n128.mlir"
OPT = str(Path(sys.executable).parent / "exo-gpu-opt")


def opt(*args, stdin: str | None = None):
    return subprocess.run([OPT, *map(str, args)], input=stdin, capture_output=True, text=True, timeout=300)


def test_stdin_is_the_default_input_and_dash_means_stdin():
    text = SEED.read_text()
    a, b = opt("-p", "schedule", stdin=text), opt("-", "-p", "schedule", stdin=text)
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and '"warpgroup.kernel"' in a.stdout


def test_dash_o_dash_is_stdout(tmp_path):
    r = opt(SEED, "-p", "schedule", "-o", "-", )
    assert r.returncode == 0 and '"warpgroup.kernel"' in r.stdout
    assert not Path("-").exists() and not (tmp_path / "-").exists()


def test_a_failing_pipeline_leaves_no_output_file(tmp_path):
    out = tmp_path / "k.ptx"
    bad = tmp_path / "bad.mlir"
    bad.write_text(SEED.read_text().replace("schedule #tile.schedule<stages = 4>", "schedule #tile.schedule<stages = 4, maxnreg = [56, 40]>"))
    r = opt(bad, "-p", DEFAULT_PIPELINE, "-o", out)
    assert r.returncode == 1 and "setmaxnreg budget" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_print_ir_before_and_after_failure(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text(SEED.read_text().replace("schedule #tile.schedule<stages = 4>", "schedule #tile.schedule<stages = 4, maxnreg = [56, 40]>"))
    r = opt(bad, "-p", "schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget",
            "--print-ir-before", "insert-syncs",
            "--print-ir-after-failure")
    assert r.returncode == 1
    assert "// -----// IR Dump Before insert-syncs //----- //" in r.stderr
    assert "// -----// IR Dump After check-register-budget Failed //----- //" in r.stderr
    assert r.stderr.rstrip().splitlines()[-1].startswith("exo-gpu-opt: error: ")


def test_list_passes_shows_options_and_version_matches_the_package():
    r = opt("--list-passes")
    assert r.returncode == 0
    assert "schedule: " in r.stdout and "    scale_d='immediate'" in r.stdout
    assert "verify-wgmma-pipeline: " in r.stdout and "    cuda='12.3'" in r.stdout
    v = opt("--version")
    assert v.returncode == 0 and v.stdout.startswith(f"exo-gpu-opt {exo_gpu.__version__} (xDSL ")


def test_verify_diagnostics_prints_the_error_and_succeeds():
    bad = SEED.read_text().replace("x128x", "x100x").replace("256x128", "256x100").replace("x128xf32>", "x100xf32>")
    r = opt("-p", "schedule", "--verify-diagnostics", stdin=bad)
    assert r.returncode == 0
    assert "wgmma N must be a multiple of 8" in r.stdout
    plain = opt("-p", "schedule", stdin=bad)
    assert plain.returncode == 1 and plain.stdout == ""


def test_bad_inputs_are_one_line_errors(tmp_path):
    for args, says in [((tmp_path,), "is a directory"), ((tmp_path / "none.mlir",), "cannot read"),
                       (("/bin/ls",), "not UTF-8 text"), ((SEED, "-o", tmp_path), "is a directory"),
                       ((SEED, "--print-ir-after", "nope"), "unknown pass 'nope'")]:
        r = opt(*args)
        assert r.returncode == 1, args
        assert r.stderr.startswith("exo-gpu-opt: error: ") and says in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
