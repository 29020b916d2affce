"""The main job on a machine with no network: local ptxas/nvdisasm given by path or found on
PATH (`--cuda system`), an empty exo-gpu cache and no package index.  Nothing may try to
download (a download would fail here and the command with it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from exo_gpu.ptxas import toolchain

ROOT = Path(__file__).resolve().parents[1]
EXO = Path(sys.executable).parent / "exo-gpu"


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """An environment with no index, an empty cache, and a CUDA-like bin/ on PATH that holds
    the pinned 13.5 ptxas and nvdisasm (as an offline machine's toolkit would)."""
    ptxas, nvdisasm = toolchain.ptxas("13.x"), toolchain.nvdisasm()
    root = tmp_path_factory.mktemp("offline")
    bin_dir = root / "cuda" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "ptxas").symlink_to(ptxas.path)
    (bin_dir / "nvdisasm").symlink_to(nvdisasm.path)
    env = dict(os.environ, EXO_GPU_CACHE=str(root / "empty-cache"), PIP_NO_INDEX="1",
               PIP_INDEX_URL="http://127.0.0.1:9/simple", PIP_FIND_LINKS="",
               PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return env, bin_dir, ptxas.version


def _exo(env, *args):
    return subprocess.run([str(EXO), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def test_cuda_system_uses_the_toolkit_on_path(offline):
    env, _, version = offline
    r = _exo(env, "gemm", "--cuda", "system", "--emit", "report")
    assert r.returncode == 0, r.stderr
    assert f"ptxas {version}" in r.stdout
    assert "download" not in r.stderr


def test_local_binaries_by_path_are_used_for_report_and_sass(offline):
    env, bin_dir, version = offline
    r = _exo(env, "gemm", "--ptxas", str(bin_dir / "ptxas"), "--nvdisasm", str(bin_dir / "nvdisasm"),
             "--emit", "sass")
    assert r.returncode == 0, r.stderr
    assert "HGMMA" in r.stdout
    r = _exo(env, "check", str(ROOT / "tests" / "ptxas_rules" / "base.ptx"), "--cuda", "system")
    assert r.returncode == 0, r.stderr
    assert f"ptxas {version}" in r.stdout


def test_nvdisasm_path_is_not_ignored(offline):
    """A bad --nvdisasm fails, instead of silently falling back to a download."""
    env, bin_dir, _ = offline
    r = _exo(env, "gemm", "--ptxas", str(bin_dir / "ptxas"), "--nvdisasm", "/bin/ls", "--emit", "report")
    assert r.returncode == 1
    assert r.stderr.startswith("exo-gpu: error: --nvdisasm /bin/ls: not a nvdisasm")
    assert "Traceback" not in r.stderr


def test_cuda_system_without_a_toolkit_says_how_to_fix(offline):
    env, _, _ = offline
    bare = dict(env, PATH="/usr/bin:/bin")
    r = _exo(bare, "gemm", "--cuda", "system", "--emit", "report")
    assert r.returncode == 1
    assert "no ptxas on PATH" in r.stderr and "--ptxas PATH" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("spec, says", [
    ("schedule{scale_d=runtime", "column 25"),
    (",,,", "empty pass name"),
    ("verify-wgmma-pipeline{cuda=13.x}", 'cuda="13.x"'),
])
def test_malformed_pipelines_are_one_line_errors_in_cli_and_api(spec, says):
    """xDSL's ArgSpecParseError is a BaseException: it must not leak from the CLI or the API."""
    import exo_gpu

    r = subprocess.run([str(Path(sys.executable).parent / "exo-gpu-opt"), str(ROOT / "examples" / "seed_tf32_n128.mlir"),
                        "-p", spec], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("exo-gpu-opt: error: ") and says in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    with pytest.raises(exo_gpu.ExoGpuError, match="pass"):
        exo_gpu.compile(exo_gpu.gemm(), spec, assemble=False)
