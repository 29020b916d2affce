"""The files the bad-input matrix (test_bad_input.py, test_bad_input_api.py) feeds the tools:
one small tile program at every IR level, its PTX and cubin, and their broken variants.

`make_inputs(folder)` writes them and returns {name: path}; a matrix row names its inputs as
`{name}` in its arguments.  `assert_clear_error` is the one judgement every CLI row makes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

TILE = """builtin.module {
  tile.kernel @g(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x16xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x16xf32>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}
"""

# The IR after each pass prefix: the levels a pass may be given by mistake.
LEVELS = {
    "wg": "schedule",
    "synced": "schedule,insert-syncs",
    "ptxir": "schedule,insert-syncs,lower-fragments,lower-to-ptx",
    "assigned": "schedule,insert-syncs,lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers",
}

PREVIOUS = "previous content, to be kept\n"

# Words by which a message says what to do (a fix), not only what went wrong.
FIX_WORDS = ("fix", "give", "use ", "use:", "run ", "drop", "choose", "pass ", "write", "create", "see ", "leave",
             "name ", "must be", "install", "chmod", "list ", "expected", "decode", "e.g.", "add ", "lower ",
             "ensure", "only", "need", "not supported", "must ", "close", "decorate")


def script(name: str) -> str:
    """The console script next to this interpreter (the venv's bin/)."""
    here = Path(sys.executable).parent / name
    return str(here) if here.is_file() else (shutil.which(name) or name)


def _write_levels(folder: Path, files: dict[str, Path]) -> None:
    from exo_gpu.compiler import compile, parse, parse_pipeline, print_ir, run_passes

    for name, pipeline in LEVELS.items():
        module = run_passes(parse(TILE, "tile.mlir"), parse_pipeline(pipeline))
        files[name] = folder / f"{name}.mlir"
        files[name].write_text(print_ir(module))
    result = compile(parse(TILE, "tile.mlir"), downgrade=True)
    files["ptx"] = folder / "k.ptx"
    files["ptx"].write_text(result.ptx)
    files["cubin"] = folder / "k.cubin"
    files["cubin"].write_bytes(result.cubin or b"")


def make_inputs(folder: Path) -> dict[str, str]:
    """Write every input of the matrix into `folder`; {name: path as str}."""
    files: dict[str, Path] = {"tile": folder / "tile.mlir"}
    files["tile"].write_text(TILE)
    _write_levels(folder, files)
    ptx = files["ptx"].read_text()
    cubin = files["cubin"].read_bytes()
    texts = {
        "eof.mlir": TILE.rsplit("}", 2)[0],  # the last two closing braces missing
        "space.mlir": TILE.replace("@g(", '@"my kernel"('),
        "emptyname.mlir": TILE.replace("@g(", '@""('),
        "digitname.mlir": TILE.replace("@g(", '@"1st"('),
        "badk.mlir": TILE.replace("tile.mma %x, %y, %acc0 {precision = \"tf32\"} : !tile.tile<64x32xf32>, "
                                  "!tile.tile<32x16xf32>", "tile.mma %x, %x, %acc0 {precision = \"tf32\"} : "
                                  "!tile.tile<64x32xf32>, !tile.tile<64x32xf32>"),
        "unregistered.mlir": 'builtin.module {\n  "foo.bar"() : () -> ()\n}\n',
        "midsyntax.mlir": TILE.replace("%a: !tile.tensor<?x?xf32>, %b", "%a: !tile.tensor<?x?xf32> %b"),
        "emptymod.mlir": "builtin.module {\n}\n",
        "ptxasmlir.mlir": ptx,
        "empty.ptx": "",
        "garbage.ptx": "hello world\nthis is not PTX\n",
        "mlir.ptx": TILE,
        "sm80.ptx": ptx.replace("sm_90a", "sm_80"),
        "noentry.ptx": re.sub(r"\.visible \.entry.*", "", ptx, flags=re.S),
        "badsyntax.ptx": ptx.replace("wgmma.fence.sync.aligned;", "wgmma.fence.sync.bogus;", 1),
        "v90.ptx": ptx.replace(".version 8.0", ".version 9.0", 1),
        "bad.py": "import exo_gpu.lang as tl\nx = 1 +\n",
        "import.py": "import exo_gpu_no_such_module\n",
        "nokernel.py": "x = 1\n",
        "raises.py": "raise RuntimeError('boom at import')\n",
        "grid_object.json": '{"dtype": "tf32"}',
        "grid_ints.json": "[1, 2]",
        "grid_key.json": '[{"dtype": "tf32", "wgmma_nn": 128}]',
        "grid_invalid.json": '[{"dtype": "tf32", "wgmma_n": 7}, {"dtype": "bf16", "stages": 1}]',
        "grid_empty.json": "[]",
        "grid_trunc.json": '[{"dtype": "tf32",',
        "inputs.npz": "not an npz\n",
        "existing.ptx": PREVIOUS,
        "existing.mlir": PREVIOUS,
        "existing.json": PREVIOUS,
        "existing.html": PREVIOUS,
    }
    for name, text in texts.items():
        files[name] = folder / name
        files[name].write_text(text)
    binaries = {"binary.mlir": b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00" * 8, "truncated.cubin": cubin[:200],
                "cubin.ptx": cubin, "notelf.cubin": b"PK\x03\x04 a zip, not a cubin"}
    for name, data in binaries.items():
        files[name] = folder / name
        files[name].write_bytes(data)
    files["dir"] = folder / "adir"
    files["dir"].mkdir()
    import numpy as np  # a valid A (100 x 64) and Bt (80 x 64), for options that disagree with it

    files["ab.npz"] = folder / "ab.npz"
    np.savez(files["ab.npz"], A=np.ones((100, 64), np.float32), Bt=np.ones((80, 64), np.float32))
    files["noexec"] = folder / "ptxas-not-executable"
    files["noexec"].write_text("#!/bin/sh\n")
    files["missing"] = folder / "no-such-file.mlir"
    files["nofolder"] = folder / "no-such-folder" / "out.ptx"
    files["tmp"] = folder
    return {k: str(v) for k, v in files.items()}


def fill(args: list[str], files: dict[str, str]) -> list[str]:
    """Replace `{name}` in each argument by the input's path."""
    return [re.sub(r"\{(\w[\w.]*)\}", lambda m: files[m[1]], a) for a in args]


def run_tool(prog: str, args: list[str], cwd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, EXO_GPU_TRACEBACK="")
    return subprocess.run([script(prog), *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=env,
                          stdin=subprocess.DEVNULL)


def assert_clear_error(proc: subprocess.CompletedProcess, needles: tuple[str, ...]) -> str:
    """Non-zero exit; stderr exactly one line `PROG: error: ...` naming every needle and a fix; no
    traceback, no "internal error"."""
    assert proc.returncode != 0, f"exit 0; stdout: {proc.stdout[:300]!r}"
    assert proc.returncode != 70, proc.stderr
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both and "internal error" not in both, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"stderr is {len(lines)} lines:\n{proc.stderr}"
    line = lines[0]
    assert re.match(r"^exo-gpu(-opt)?( [a-z]+){0,2}: error: ", line), line
    assert not re.search(r"exo-gpu-(ptxas|nvdisasm)-\w+", line), f"names a temporary file: {line}"
    for needle in needles:
        assert needle in line, f"{needle!r} not in: {line}"
    assert any(w in line for w in FIX_WORDS), f"no fix in: {line}"
    return line


def assert_output_untouched(path: str | None) -> None:
    """No half-written output: a new path does not exist; an existing file keeps its content."""
    if path is None:
        return
    p = Path(path)
    if p.name.startswith("existing."):
        assert p.read_text() == PREVIOUS, f"{path} was overwritten"
    elif not p.is_dir():
        assert not p.exists(), f"{path} was written"
    leftovers = [f.name for f in p.parent.glob(".exo-gpu-*")] if p.parent.is_dir() else []
    assert not leftovers, f"temporary files left: {leftovers}"
