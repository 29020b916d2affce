"""Run the lit + FileCheck suite under tests/filecheck/ so that `pytest` covers it.

Each .mlir file there is one test: `exo-gpu-opt` runs a pass (or a pipeline) on the file's
IR and `filecheck` matches the output against the file's CHECK lines.  Run them directly
with `lit -v tests/filecheck` (lit from the same environment as exo-gpu-opt and filecheck).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parent / "filecheck"
BIN = Path(sys.executable).parent


def _lit_command() -> list[str]:
    """lit for the running interpreter: `python -m lit` where lit has a __main__ (it has
    none in some releases, e.g. 18), else the `lit` script beside this interpreter, else
    lit's entry point called through this interpreter."""
    if importlib.util.find_spec("lit.__main__") is not None:
        return [sys.executable, "-m", "lit"]
    script = BIN / ("lit.exe" if os.name == "nt" else "lit")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from lit.main import main; sys.exit(main())"]


def test_filecheck_suite() -> None:
    if importlib.util.find_spec("lit") is None:
        pytest.skip("lit is not installed (pip install -e '.[test]')")
    path = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    for tool in ("exo-gpu-opt", "filecheck"):
        if shutil.which(tool, path=path) is None:
            pytest.skip(f"{tool} is not installed next to {sys.executable} (pip install -e '.[test]')")
    env = dict(os.environ, PATH=path)
    proc = subprocess.run([*_lit_command(), "-v", str(SUITE)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, (
        f"lit -v {SUITE} exited with {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )
