"""Run ``ptxas -v`` on PTX and judge the SASS it makes: the serialization guard.

ptxas silently serializes a wgmma pipeline (every HGMMA waits for the one
before) when it cannot prove the PTX safe; it says so only with ``-v``, as
``(C75xx)`` lines, and sometimes not at all (it just inserts a wait).  So the
guard looks at both:

* the log: every ``(C75xx)`` line, attributed to its kernel by the name the
  line itself carries (ptxas prints it *before* "Compiling entry function");
  the serialization codes are failures, the others are notes;
* the SASS (``nvdisasm -c``): more ``WARPGROUP.DEPBAR`` than the PTX has
  ``wgmma.wait_group``, or more ``gsb0`` HGMMAs than ``wgmma.commit_group``,
  means ptxas added waits; any ``LDL``/``STL`` or stack frame means local
  memory.

The line formats, as printed by the pinned ptxas (all on stderr)::

    ptxas info    : (C7515) Potential Performance Loss: wgmma.mma_async instructions
        are serialized due to ... in the function 'NAME'            (12.0 - 13.0)
    ptxas info    : (C7511) ... in the function 'NAME' in line 18     (13.1 and later)
    ptxas info    : (C7517) wgmma.wait_group is injected in around line 22 by compiler
        to allow use of registers defined by GMMA in function 'NAME'
    ptxas info    : Compiling entry function 'NAME' for 'sm_90a'
    ptxas info    : Function properties for NAME
        0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
    ptxas info    : Used 30 registers, used 0 barriers, 1024 bytes smem
    ptxas kernel.ptx, line 14; error   : Unknown modifier '.op'
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from exo_gpu.ptxas import toolchain
from exo_gpu.errors import ExoGpuError, option
from exo_gpu.ptxas.toolchain import Tool

# "Potential Performance Loss: wgmma.mma_async instructions are serialized due to ..."
SERIALIZATION_CODES = frozenset(
    {"C7509", "C7510", "C7511", "C7512", "C7513", "C7514", "C7515", "C7516", "C7518", "C7520"})

_PTX_NAME = "kernel.ptx"


class PtxasError(ExoGpuError):
    """ptxas rejected the PTX."""

    def __init__(self, message: str, errors: list[tuple[int | None, str]], log: str,
                 version: str):
        super().__init__(message)
        self.errors = errors  # (PTX line or None, message)
        self.log = log
        self.version = version


class DisassemblyError(ExoGpuError):
    """nvdisasm failed on a cubin."""


class GuardError(ExoGpuError):
    """A kernel failed the serialization guard."""

    def __init__(self, message: str, failures: list[str]):
        super().__init__(message)
        self.failures = failures


@dataclass(frozen=True)
class Diagnostic:
    """One ``(C75xx)`` line of the ptxas log."""

    code: str  # "C7515"
    message: str  # the text after "(C7515) "
    kernel: str | None  # from "in [the] function 'NAME'"
    serializing: bool  # a serialization code, not a note

    @property
    def line(self) -> str:
        return f"({self.code}) {self.message}"


@dataclass
class KernelLog:
    """What ``ptxas -v`` says about one function."""

    name: str
    entry: bool = False  # a .entry (a "Compiling entry function" line was seen)
    registers: int | None = None
    smem: int = 0
    stack: int = 0
    spill_stores: int = 0
    spill_loads: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class Assembly:
    cubin: bytes
    log: str  # ptxas's whole output
    kernels: dict[str, KernelLog]
    diagnostics: list[Diagnostic]  # every (C75xx) line, in log order
    tool: Tool
    arch: str


@dataclass
class PipelineShape:
    """Counts of the SASS instructions that show a wgmma pipeline's health."""

    hgmma: int = 0  # HGMMA / QGMMA / IGMMA / any *GMMA
    hgmma_gsb0: int = 0  # of those, the ones carrying gsb0 (they end a group)
    arrive: int = 0  # WARPGROUP.ARRIVE
    depbar: int = 0  # WARPGROUP.DEPBAR (a wait)
    ldl: int = 0
    stl: int = 0
    hgmma_lines: list[str] = field(default_factory=list)


@dataclass
class GuardReport:
    kernel: str
    ptxas: str  # version, e.g. "12.3.107"
    arch: str
    codes: list[Diagnostic]
    registers: int | None
    smem: int
    stack: int
    spill_stores: int
    spill_loads: int
    shape: PipelineShape
    wait_groups: int  # wgmma.wait_group expected (from the PTX unless given)
    commit_groups: int
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# ---------------------------------------------------------------- ptxas

_ERROR_RE = re.compile(r"^ptxas (?:(?P<file>.+?), line (?P<line>\d+); )?"
                       r"(?P<kind>error|fatal)\s*: (?P<msg>.*)$")
_CODE_RE = re.compile(r"^ptxas info\s*: \((?P<code>C\d{4})\) (?P<msg>.*)$")
_FUNC_IN_RE = re.compile(r"(?:in|for) (?:the )?function '(?P<name>[^']+)'")
_ENTRY_RE = re.compile(r"^ptxas info\s*: Compiling entry function '(?P<name>[^']+)'")
_PROPS_RE = re.compile(r"^ptxas info\s*: Function properties for (?P<name>\S+)")
_FRAME_RE = re.compile(r"^\s*(\d+) bytes stack frame, (\d+) bytes spill stores, "
                       r"(\d+) bytes spill loads")
_USED_RE = re.compile(r"^ptxas info\s*: Used (\d+) registers")
_SMEM_RE = re.compile(r"(\d+) bytes smem")


def parse_log(log: str) -> tuple[dict[str, KernelLog], list[Diagnostic]]:
    """Split a ``ptxas -v`` log into per-function facts and the (C75xx) lines."""
    kernels: dict[str, KernelLog] = {}
    diagnostics: list[Diagnostic] = []
    current: KernelLog | None = None

    def get(name: str) -> KernelLog:
        return kernels.setdefault(name, KernelLog(name))

    for line in log.splitlines():
        if m := _CODE_RE.match(line):
            fm = None
            for fm in _FUNC_IN_RE.finditer(m["msg"]):
                pass  # the last "in function 'X'" names the kernel
            d = Diagnostic(m["code"], m["msg"].strip(), fm["name"] if fm else None,
                           m["code"] in SERIALIZATION_CODES)
            diagnostics.append(d)
            if d.kernel:
                get(d.kernel).diagnostics.append(d)
        elif m := _ENTRY_RE.match(line):
            current = get(m["name"])
            current.entry = True
        elif m := _PROPS_RE.match(line):
            current = get(m["name"])
        elif (m := _FRAME_RE.match(line)) and current is not None:
            current.stack, current.spill_stores, current.spill_loads = map(int, m.groups())
        elif (m := _USED_RE.match(line)) and current is not None:
            current.registers = int(m[1])
            if s := _SMEM_RE.search(line):
                current.smem = int(s[1])
    return kernels, diagnostics


_TEMP_PATH_RE = re.compile(r"'?\S*exo-gpu-(?:ptxas|nvdisasm)-[^/\s']+/[^\s',]+'?")


def _no_temp_path(message: str) -> str:
    """ptxas and nvdisasm name the temporary file we gave them; the user never saw it."""
    return _TEMP_PATH_RE.sub("the input", message)


def _ptxas_error(log: str, ptx: str, tool: Tool) -> PtxasError:
    errors: list[tuple[int | None, str]] = []
    for line in log.splitlines():
        if m := _ERROR_RE.match(line.strip()):
            if m["line"] is None and "aborted due to errors" in m["msg"]:
                continue
            errors.append((int(m["line"]) if m["line"] else None, _no_temp_path(m["msg"].strip())))
    if not errors:
        tail = [ln for ln in log.splitlines() if ln.strip()]
        errors.append((None, _no_temp_path(tail[-1].strip()) if tail else "no output"))
    shown = "; ".join(f"line {n}: {msg}" if n else msg for n, msg in errors[:3])
    if len(errors) > 3:
        shown += f"; and {len(errors) - 3} more"
    first_line = next((n for n, _ in errors if n), None)
    src = ptx.splitlines()
    if first_line and 0 < first_line <= len(src):
        shown += f" (PTX line {first_line}: `{src[first_line - 1].strip()}`)"
    return PtxasError(f"ptxas {tool.version} rejected the PTX: {shown}", errors, log,
                      tool.version)


def assemble(ptx: str, tool: Tool, arch: str = "sm_90a", extra_args=()) -> Assembly:
    """Assemble PTX with ``ptxas -v``; raise PtxasError if ptxas fails."""
    with tempfile.TemporaryDirectory(prefix="exo-gpu-ptxas-") as tmp:
        src, out = Path(tmp) / _PTX_NAME, Path(tmp) / "out.cubin"
        src.write_text(ptx)
        cmd = [tool.path, "-v", f"-arch={arch}", *extra_args, "-o", str(out), str(src)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        except OSError as e:
            raise PtxasError(f"ptxas {tool.version} at {tool.path} could not be run "
                             f"({e.strerror}); pass {option('ptxas', 'PATH')} to a working ptxas",
                             [], "", tool.version) from None
        log = proc.stderr + proc.stdout
        if proc.returncode != 0 or not out.is_file():
            raise _ptxas_error(log, ptx, tool)
        cubin = out.read_bytes()
    kernels, diagnostics = parse_log(log)
    return Assembly(cubin, log, kernels, diagnostics, tool, arch)


# ---------------------------------------------------------------- SASS

_SECTION_RE = re.compile(r"^\s*\.section\s+\.text\.(?P<name>[^,\s]+)\s*,")
_INSTR_RE = re.compile(r"^\s*/\*[0-9a-fA-F]+\*/\s*(?P<text>(?:@!?U?P\w+\s+)?"
                       r"(?P<op>[A-Z][A-Z0-9_.]*)[^;]*;?)")


def disassemble(cubin: bytes, tool: Tool | None = None) -> str:
    """The SASS of a cubin, one ``.section .text.NAME`` per function (``nvdisasm -c``)."""
    tool = tool or toolchain.nvdisasm()
    with tempfile.TemporaryDirectory(prefix="exo-gpu-nvdisasm-") as tmp:
        path = Path(tmp) / "kernel.cubin"
        path.write_bytes(cubin)
        try:
            proc = subprocess.run([tool.path, "-c", str(path)], capture_output=True,
                                  text=True)
        except OSError as e:
            raise DisassemblyError(f"nvdisasm {tool.version} at {tool.path} could not be "
                                   f"run ({e.strerror}); pass {option('nvdisasm', 'PATH')}") from None
    if proc.returncode != 0:
        last = ([ln for ln in proc.stderr.splitlines() if ln.strip()] or ["no output"])[-1]
        raise DisassemblyError(f"nvdisasm {tool.version} failed on the cubin: {_no_temp_path(last)}")
    return proc.stdout


def sass_shape(sass: str) -> dict[str, PipelineShape]:
    """Count the pipeline-relevant SASS instructions of each function."""
    shapes: dict[str, PipelineShape] = {}
    shape: PipelineShape | None = None
    for line in sass.splitlines():
        if m := _SECTION_RE.match(line):
            shape = shapes.setdefault(m["name"], PipelineShape())
            continue
        m = _INSTR_RE.match(line)
        if shape is None or m is None:
            continue
        op, text = m["op"], m["text"].strip()
        base = op.split(".")[0]
        if base.endswith("GMMA"):
            shape.hgmma += 1
            shape.hgmma_lines.append(text)
            if re.search(r"\bgsb0\b", text):
                shape.hgmma_gsb0 += 1
        elif op.startswith("WARPGROUP.ARRIVE"):
            shape.arrive += 1
        elif op.startswith("WARPGROUP.DEPBAR"):
            shape.depbar += 1
        elif base == "LDL":
            shape.ldl += 1
        elif base == "STL":
            shape.stl += 1
    return shapes


# ---------------------------------------------------------------- PTX

_ENTRY_DECL_RE = re.compile(r"\.entry\s+([A-Za-z_$%][\w$]*)")


def _strip_comments(ptx: str) -> str:
    ptx = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), ptx, flags=re.S)
    return re.sub(r"//[^\n]*", "", ptx)


def ptx_group_counts(ptx: str) -> dict[str, tuple[int, int]]:
    """(wgmma.wait_group, wgmma.commit_group) instruction counts of each .entry."""
    text = _strip_comments(ptx)
    counts: dict[str, tuple[int, int]] = {}
    for m in _ENTRY_DECL_RE.finditer(text):
        start = text.find("{", m.end())
        if start < 0:
            continue  # a declaration without a body
        depth, i = 0, start
        while i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        body = text[start:i]
        waits = len(re.findall(r"(?m)^\s*(?:@!?%?\w+\s+)?wgmma\.wait_group\b", body))
        commits = len(re.findall(r"(?m)^\s*(?:@!?%?\w+\s+)?wgmma\.commit_group\b", body))
        counts[m[1]] = (waits, commits)
    return counts


# ---------------------------------------------------------------- the guard

def judge(assembly: Assembly, shapes: dict[str, PipelineShape], ptx: str,
          expected_wait_groups: int | None = None,
          expected_commit_groups: int | None = None) -> list[GuardReport]:
    """One GuardReport per kernel (.entry) of an assembly."""
    counts = ptx_group_counts(ptx)
    names = list(counts) + [n for n, k in assembly.kernels.items()
                            if k.entry and n not in counts]
    reports = []
    for name in names:
        klog = assembly.kernels.get(name, KernelLog(name))
        shape = shapes.get(name, PipelineShape())
        waits, commits = counts.get(name, (0, 0))
        if expected_wait_groups is not None:
            waits = expected_wait_groups
        if expected_commit_groups is not None:
            commits = expected_commit_groups
        r = GuardReport(name, assembly.tool.version, assembly.arch,
                        list(klog.diagnostics), klog.registers, klog.smem, klog.stack,
                        klog.spill_stores, klog.spill_loads, shape, waits, commits)
        for d in klog.diagnostics:
            if d.serializing:
                r.failures.append(f"{d.code} serialization: {d.message}")
        if shape.depbar > waits:
            r.failures.append(
                f"extra WARPGROUP.DEPBAR: SASS has {shape.depbar}, PTX has {waits} "
                f"wgmma.wait_group — ptxas inserted waits")
        if shape.hgmma_gsb0 > commits:
            r.failures.append(
                f"extra gsb0 HGMMA: SASS has {shape.hgmma_gsb0} HGMMA carrying gsb0, PTX "
                f"has {commits} wgmma.commit_group — ptxas split the wgmma groups")
        if shape.ldl or shape.stl or klog.stack or klog.spill_stores or klog.spill_loads:
            spill = (f", {klog.spill_stores} bytes spill stores, {klog.spill_loads} bytes "
                     f"spill loads" if klog.spill_stores or klog.spill_loads else "")
            r.failures.append(f"local memory: {klog.stack} bytes stack{spill}, "
                              f"{shape.ldl} LDL, {shape.stl} STL")
        reports.append(r)
    return reports


def check(ptx: str, tool: Tool, expected_wait_groups: int | None = None,
          expected_commit_groups: int | None = None, *, disasm: Tool | None = None,
          arch: str = "sm_90a") -> tuple[bytes, list[GuardReport]]:
    """Assemble, disassemble and judge PTX; return the cubin and one report per kernel.

    The expected wait/commit group counts default to each .entry's own counts of
    ``wgmma.wait_group`` / ``wgmma.commit_group`` instruction lines in the PTX.
    """
    assembly = assemble(ptx, tool, arch)
    shapes = sass_shape(disassemble(assembly.cubin, disasm))
    return assembly.cubin, judge(assembly, shapes, ptx, expected_wait_groups,
                                 expected_commit_groups)


def enforce(reports: list[GuardReport], downgrade: bool = False) -> list[str]:
    """Raise GuardError if any report failed; with downgrade, return them as warnings."""
    failures = [f"kernel '{r.kernel}' (ptxas {r.ptxas}): {f}"
                for r in reports for f in r.failures]
    if failures and not downgrade:
        raise GuardError(
            "the serialization guard failed:\n  " + "\n  ".join(failures)
            + "\nfix the PTX, or pass --allow-serialization (downgrade=True in the API) "
              "to turn these into warnings", failures)
    return failures


# ---------------------------------------------------------------- rendering

def format_report(report: GuardReport) -> str:
    r, s = report, report.shape
    status = "OK" if r.ok else f"FAILED ({len(r.failures)})"
    lines = [
        f"kernel {r.kernel} (ptxas {r.ptxas}, {r.arch}): {status}",
        f"  registers {r.registers if r.registers is not None else '?'}, static smem {r.smem} B (ptxas; dynamic smem is set at launch), "
        f"stack {r.stack} B, spill stores {r.spill_stores} B, spill loads {r.spill_loads} B",
        f"  SASS: {s.hgmma} HGMMA ({s.hgmma_gsb0} with gsb0), {s.arrive} WARPGROUP.ARRIVE, "
        f"{s.depbar} WARPGROUP.DEPBAR, {s.ldl} LDL, {s.stl} STL",
        f"  PTX:  {r.commit_groups} wgmma.commit_group, {r.wait_groups} wgmma.wait_group",
    ]
    for d in r.codes:
        lines.append(f"  ptxas {'serialization' if d.serializing else 'note'}: {d.line}")
    if s.hgmma_lines:
        lines.append("  HGMMA:")
        lines += [f"    {t}" for t in s.hgmma_lines]
    lines += [f"  FAIL {f}" for f in r.failures]
    return "\n".join(lines)


def report_to_json(report: GuardReport) -> dict:
    r, s = report, report.shape
    return {
        "kernel": r.kernel,
        "ptxas": r.ptxas,
        "arch": r.arch,
        "ok": r.ok,
        "failures": list(r.failures),
        "codes": [{"code": d.code, "message": d.message, "serializing": d.serializing}
                  for d in r.codes],
        "registers": r.registers,
        "smem": r.smem,
        "stack": r.stack,
        "spill_stores": r.spill_stores,
        "spill_loads": r.spill_loads,
        "ptx": {"wait_group": r.wait_groups, "commit_group": r.commit_groups},
        "sass": {"hgmma": s.hgmma, "hgmma_gsb0": s.hgmma_gsb0, "arrive": s.arrive,
                 "depbar": s.depbar, "ldl": s.ldl, "stl": s.stl,
                 "hgmma_lines": list(s.hgmma_lines)},
    }
