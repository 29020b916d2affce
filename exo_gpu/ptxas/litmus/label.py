"""Label litmus programs with what each pinned ptxas does to them, many programs per run.

A batch is one PTX module holding many programs (each program's names are its own, see
program.py); it costs one ``ptxas -v -arch=sm_90a`` run and one ``nvdisasm -c`` run per
version, and the log and SASS are split per program: a ``(C75xx)`` line belongs to the
program whose kernel or .func it names, a SASS section ``.text.NAME`` likewise.  Programs
that call an extern .func are batched apart and assembled with ``-c`` (as atlas does).  If
ptxas rejects a batch, it is bisected down to the programs it rejects, which are labelled
``{"error": ...}``.  The log and SASS parsing is guard.py's.

An observation (one program, one ptxas version)::

    {"codes": ["C7515"], "serialized": true, "injected_waits": 0, "extra_gsb0": 1,
     "sass": {"hgmma": 2, "hgmma_gsb0": 2, "arrive": 2, "depbar": 2, "ldl": 0, "stl": 0},
     "ptx": {"wait_group": 2, "commit_group": 1}, "registers": 34, "stack": 0,
     "spill_stores": 0, "spill_loads": 0, "local": false,
     "messages": ["(C7515) ... in the function 'lt_...' in line 57"]}   (sorted)

``injected_waits`` = WARPGROUP.DEPBAR beyond the PTX's wait_group lines, ``extra_gsb0`` =
HGMMA carrying gsb0 beyond the commit_group lines, both over the kernel and its .func;
message line numbers are those of the program's own module (``Program.text``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from exo_gpu.ptxas import guard, toolchain
from exo_gpu.ptxas.atlas import is_serialized
from exo_gpu.ptxas.litmus.program import Program, batch_text

_LINE_RE = re.compile(r"\bline (\d+)")
_WAIT_RE = re.compile(r"(?m)^\s*(?:@!?%?\w+\s+)?wgmma\.wait_group\b")
_COMMIT_RE = re.compile(r"(?m)^\s*(?:@!?%?\w+\s+)?wgmma\.commit_group\b")
SASS_KEYS = ("hgmma", "hgmma_gsb0", "arrive", "depbar", "ldl", "stl")


_NAMED_RE = re.compile(r"function '(lt_[0-9a-f]{12})")


def _owner(name: str | None, names: set[str]) -> str | None:
    """The program (kernel name lt_<12 hex>) that a function name belongs to."""
    if name is None:
        return None
    key = name[:15]
    return key if key in names else None


def _diag_owner(d: guard.Diagnostic, names: set[str]) -> str | None:
    """The program a (C75xx) line is about: guard attributes "in [the] function 'X'"; C7512
    says "for the function 'X'", so the name is also looked for anywhere in the line."""
    if (o := _owner(d.kernel, names)) is not None:
        return o
    m = _NAMED_RE.search(d.message)
    return _owner(m[1], names) if m else None


def _remap(text: str, offset: int) -> str:
    """Batch line numbers -> the program's own; "line 0" (ptxas knows no line) stays 0."""
    return _LINE_RE.sub(lambda m: f"line {int(m[1]) - offset if int(m[1]) else 0}", text)


def _assemble(text: str, tool: toolchain.Tool, extern: bool) -> tuple[str, bytes] | str:
    """(log, cubin) of one module, or the error log."""
    with tempfile.TemporaryDirectory(prefix="exo-gpu-litmus-") as tmp:
        src, out = Path(tmp) / "batch.ptx", Path(tmp) / "batch.cubin"
        src.write_text(text)
        cmd = [tool.path, "-v", "-arch=sm_90a", *(["-c"] if extern else []), "-o", str(out), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        log = proc.stderr + proc.stdout
        if proc.returncode != 0 or not out.is_file():
            return log
        return log, out.read_bytes()


def _observe(programs: list[Program], log: str, sass: str, offsets: dict[str, int]) -> dict[str, dict]:
    names = {p.name for p in programs}
    kernels, diagnostics = guard.parse_log(log)
    shapes = guard.sass_shape(sass)
    diags: dict[str, list] = {n: [] for n in names}
    stray = [d for d in diagnostics if _diag_owner(d, names) is None]
    for d in diagnostics:
        if (o := _diag_owner(d, names)) is not None:
            diags[o].append(d)
    sums: dict[str, dict] = {n: dict.fromkeys(SASS_KEYS, 0) for n in names}
    for fname, s in shapes.items():
        if (o := _owner(fname, names)) is not None:
            for k in SASS_KEYS:
                sums[o][k] += getattr(s, k)
    out = {}
    for p in programs:
        k = kernels.get(p.name, guard.KernelLog(p.name))
        sa = sums[p.name]
        codes = sorted({d.code for d in diags[p.name]})
        waits, commits = len(_WAIT_RE.findall(p.body)), len(_COMMIT_RE.findall(p.body))
        off = offsets[p.name]
        obs = {
            "codes": codes,
            "serialized": is_serialized(codes, sa["hgmma"], sa["hgmma_gsb0"], commits),
            "injected_waits": max(0, sa["depbar"] - waits),
            "extra_gsb0": max(0, sa["hgmma_gsb0"] - commits),
            "sass": sa, "ptx": {"wait_group": waits, "commit_group": commits},
            "registers": k.registers, "stack": k.stack, "spill_stores": k.spill_stores,
            "spill_loads": k.spill_loads,
            "local": bool(sa["ldl"] or sa["stl"] or k.stack or k.spill_stores or k.spill_loads),
            "messages": sorted(_remap(d.line, off) for d in diags[p.name]),
        }
        if stray:  # a (C75xx) line naming no program of the batch (none seen so far)
            obs["stray"] = [_remap(d.line, off) for d in stray]
        out[p.sha] = obs
    return out


def _rejected(programs: list[Program], tool: toolchain.Tool, extern: bool) -> dict[str, str]:
    """{sha: error} of the programs that ptxas rejects: by the error's line when it names
    one, else by bisection (ptxas only; no disassembly)."""
    text, offsets = batch_text(programs)
    got = _assemble(text, tool, extern)
    if not isinstance(got, str):
        return {}
    msg = " | ".join(ln.strip() for ln in got.splitlines() if "error" in ln or "fatal" in ln)
    if len(programs) == 1:
        return {programs[0].sha: _remap(msg or got.strip()[-300:], offsets[programs[0].name])}
    starts = sorted((off + render_header_lines(), p) for p, off in
                    ((p, offsets[p.name]) for p in programs))
    blamed = set()
    for m in re.finditer(r"line (\d+); (?:error|fatal)", got):
        line = int(m[1])
        owner = [p for start, p in starts if start <= line]
        if owner:
            blamed.add(owner[-1].sha)
    if blamed:
        bad = {p.sha: e for p in programs if p.sha in blamed
               for e in _rejected([p], tool, extern).values()}
        rest = [p for p in programs if p.sha not in blamed]
        return {**bad, **(_rejected(rest, tool, extern) if rest else {})}
    half = len(programs) // 2
    return {**_rejected(programs[:half], tool, extern), **_rejected(programs[half:], tool, extern)}


def render_header_lines() -> int:
    from exo_gpu.ptxas.litmus.render import HEADER
    return HEADER.count("\n") + 2


def label_batch(programs: list[Program], version: str) -> dict[str, dict]:
    """Observations {program sha: obs} of one batch on one ptxas version; a program that
    ptxas rejects gets {"error": ...}."""
    if not programs:
        return {}
    extern = {p.extern for p in programs}
    if len(extern) > 1:
        return {**label_batch([p for p in programs if p.extern], version),
                **label_batch([p for p in programs if not p.extern], version)}
    extern = extern.pop()
    tool = toolchain.ptxas(version)
    text, offsets = batch_text(programs)
    got = _assemble(text, tool, extern)
    out: dict[str, dict] = {}
    if isinstance(got, str):
        bad = _rejected(programs, tool, extern)
        out = {sha: {"error": e} for sha, e in bad.items()}
        programs = [p for p in programs if p.sha not in bad]
        if not programs:
            return out
        text, offsets = batch_text(programs)
        got = _assemble(text, tool, extern)
        if isinstance(got, str):
            raise RuntimeError(f"ptxas {tool.version} rejects a batch whose programs it accepts "
                               f"one by one: {got.strip()[-300:]}")
    log, cubin = got
    out.update(_observe(programs, log, _disassemble(cubin), offsets))
    return out


def _disassemble(cubin: bytes) -> str:
    """``nvdisasm -c -ndf``: guard.disassemble's SASS without the register dataflow
    comments, which guard.sass_shape does not read (same counts, measured; ~30% faster)."""
    tool = toolchain.nvdisasm()
    with tempfile.TemporaryDirectory(prefix="exo-gpu-litmus-") as tmp:
        path = Path(tmp) / "batch.cubin"
        path.write_bytes(cubin)
        proc = subprocess.run([tool.path, "-c", "-ndf", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise guard.DisassemblyError(f"nvdisasm {tool.version} failed on a litmus batch: "
                                     f"{proc.stderr.strip()[-300:]}")
    return proc.stdout


def task(version: str, factor_list: list[dict]) -> tuple[str, dict[str, dict]]:
    """One unit of work for an executor: (version, {sha: obs}); picklable, regenerates the
    programs from their factors."""
    return version, label_batch([Program(f) for f in factor_list], version)


# ------------------------------------------------------------------------------ the cache

def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """``--cache`` / $EXO_GPU_LITMUS_CACHE / ~/.cache/exo-gpu/litmus."""
    if path:
        return Path(path)
    if env := os.environ.get("EXO_GPU_LITMUS_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "exo-gpu" / "litmus"


class Cache:
    """Observations keyed by (program sha256, ptxas minor), one JSON-lines file per minor.

    Only the process that gathers results writes it (workers return their results), so
    appends need no locking."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.dir = cache_dir(path)
        self.data: dict[str, dict[str, dict]] = {}

    def _file(self, version: str) -> Path:
        return self.dir / f"ptxas-{version}.jsonl"

    def load(self, version: str) -> dict[str, dict]:
        if version not in self.data:
            d: dict[str, dict] = {}
            f = self._file(version)
            if f.is_file():
                for line in f.read_text().splitlines():
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut short by a killed run
                    d[row["sha"]] = row["obs"]
            self.data[version] = d
        return self.data[version]

    def add(self, version: str, results: dict[str, dict]) -> None:
        d = self.load(version)
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self._file(version), "a") as f:
            for sha, obs in results.items():
                if sha not in d:
                    f.write(json.dumps({"sha": sha, "obs": obs}, separators=(",", ":")) + "\n")
                d[sha] = obs
