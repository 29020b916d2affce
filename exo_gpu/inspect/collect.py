"""Gather what the inspector page shows: the IR after each pass, the PTX with the IR op of
each line, the SASS with the PTX line of each instruction, the guard's and the doctor's
findings, and the register and shared-memory budgets.

Two maps do the linking, both computed from real tool output:

* PTX line -> IR op, per stage: each stage's dump is parsed back with the stage's name as its
  file name and the remaining passes are run on it; the PTX it prints is the compiled PTX with
  other `.loc` lines, which now name the dump's lines (the instruction lines must match the
  compiled PTX exactly, or that stage gets no map);
* SASS instruction -> PTX line: the PTX is assembled once more with `-lineinfo` after every
  `.loc` is replaced by one naming the PTX's own line, and disassembled with `nvdisasm -g`;
  the instructions must equal the guard's SASS, or the SASS gets no map.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from exo_gpu.compiler import Compiled, compile, parse, parse_pipeline, run_passes
from exo_gpu.errors import ExoGpuError
from exo_gpu.passes import DEFAULT_PIPELINE
from exo_gpu.passes.emit_ptx import print_ptx
from exo_gpu.passes.verify_wgmma_pipeline import verify_text
from exo_gpu.ptxas import doctor, guard, toolchain

_LOC_RE = re.compile(r"^\s*\.loc\s+(\d+)\s+(\d+)\s+(\d+)")
_FILE_RE = re.compile(r'^\s*\.file\s+(\d+)\s+"([^"]*)"')
_DIRECTIVE_RE = re.compile(r"^\s*\.(loc|file)\s")
_SASS_INSTR_RE = re.compile(r"^\s*/\*([0-9a-fA-F]{4,})\*/\s*(.*?)\s*$")
_SASS_LINE_RE = re.compile(r'^\s*//## File "([^"]*)", line (\d+)')
_SETMAXNREG_RE = re.compile(r"setmaxnreg\.(inc|dec)\.sync\.aligned\.u32\s+(\d+)")
_MAXNTID_RE = re.compile(r"^\s*\.maxntid\s+(\d+)")
_ROLE_RE = re.compile(r'"warpgroup\.role"\(\) <\{role = "(\w+)", first_warpgroup = (\d+) : i64, '
                      r'num_warpgroups = (\d+) : i64, maxnreg = (\d+) : i64')
_SELF = "kernel.ptx"

REGISTERS_PER_SM = 65536
MAX_SMEM_PER_BLOCK = 232448  # 227 KiB: the opt-in dynamic shared memory limit of sm_90


class InspectError(ExoGpuError):
    """The inspector cannot read its input or write its page."""


@dataclass
class Stage:
    """One IR text shown on the page: the input, or the IR after one pass."""

    key: str  # "input", "schedule", ...: the anchor prefix
    title: str
    text: str
    filename: str  # the file name the PTX's .loc lines use for it


@dataclass
class SassLine:
    text: str
    kernel: str | None
    address: str | None  # the /*0040*/ offset of an instruction, None for other lines
    ptx_line: int | None  # the PTX line it came from (line info)


@dataclass
class Budget:
    kernel: str
    registers: int | None  # ptxas -v
    maxntid: int | None
    setmaxnreg: list[tuple[int, str, int]]  # (PTX line, inc/dec, count)
    roles: list[tuple[str, int, int, int]]  # (role, first warpgroup, warpgroups, maxnreg) from the IR
    smem_dynamic: int | None
    smem_static: int
    stack: int
    spill_stores: int
    spill_loads: int


@dataclass
class Inspection:
    """Everything the page shows."""

    title: str
    mode: str  # "gemm", "mlir" or "ptx"
    ptx_name: str
    ptx: str
    ptxas: str
    stages: list[Stage] = field(default_factory=list)
    ptx_ops: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # PTX line -> (stage key, IR line)
    loc_targets: dict[int, tuple[str | None, int, str]] = field(default_factory=dict)  # .loc line -> (stage, line, file)
    sources: dict[int, str] = field(default_factory=dict)  # PTX line -> "file:line" of the .loc in force
    sass: list[SassLine] = field(default_factory=list)
    reports: list[guard.GuardReport] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)  # the doctor's, Finding.to_json() + kernel
    predicted: dict[str, tuple[list[str], bool]] = field(default_factory=dict)  # kernel -> (codes, serialized)
    budgets: list[Budget] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- our compiler: IR -> PTX


def inspect_module(module, input_text: str, filename: str, *, title: str, mode: str,
                   pipeline: str = DEFAULT_PIPELINE, cuda: str = toolchain.DEFAULT_CUDA,
                   ptxas: str | None = None, nvdisasm: str | None = None) -> Inspection:
    """Compile `module` (its ops located in `filename`, whose text is `input_text`) with the
    guard downgraded to warnings, and collect the page's contents."""
    result = compile(module, pipeline, cuda=cuda, ptxas=ptxas, nvdisasm=nvdisasm, downgrade=True,
                     keep_ir=True)
    tool_cuda = result.ptxas.cuda if result.ptxas else cuda
    ins = Inspection(title, mode, f"{Path(filename).stem}.ptx", result.ptx,
                     result.ptxas.version if result.ptxas else "?")
    ins.stages = [Stage("input", f"input ({filename})", input_text, filename)]
    ins.stages += [Stage(_key(name), f"after {name}", text, f"{name}.mlir") for name, text in result.ir_after.items()]
    ins.loc_targets = _loc_targets(result.ptx, {s.filename: s.key for s in ins.stages})
    ins.ptx_ops = _stage_maps(result, pipeline, ins)
    ins.reports = result.reports
    _attach_sass(ins, result.cubin or b"", result.ptx, ptxas, nvdisasm, cuda)
    ins.findings, ins.predicted = _findings(result.ptx, tool_cuda, ins.ptx_name)
    roles = _roles(ins.stages)
    ins.budgets = [_budget(r, result.ptx, roles, result.smem_bytes) for r in result.reports]
    return ins


def _key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _loc_targets(ptx: str, files_to_stage: dict[str, str]) -> dict[int, tuple[str | None, int, str]]:
    """Each `.loc` line of the PTX -> (the stage shown for its file or None, line, file name)."""
    files = {int(m[1]): m[2] for line in ptx.splitlines() if (m := _FILE_RE.match(line))}
    out = {}
    for n, line in enumerate(ptx.splitlines(), 1):
        if m := _LOC_RE.match(line):
            name = files.get(int(m[1]), f"file {m[1]}")
            out[n] = (files_to_stage.get(name), int(m[2]), name)
    return out


def _sources(ptx: str) -> dict[int, str]:
    """Each PTX line inside a function -> "file:line" of the `.loc` in force there (foreign PTX:
    the C++ source line nvcc names)."""
    files = {int(m[1]): m[2] for line in ptx.splitlines() if (m := _FILE_RE.match(line))}
    out, current = {}, None
    for n, line in enumerate(ptx.splitlines(), 1):
        if m := _LOC_RE.match(line):
            current = f"{files.get(int(m[1]), 'file ' + m[1])}:{m[2]}"
        elif current and line.strip() and not line.lstrip().startswith("//"):
            out[n] = current
        if line.strip() == "}" and not line.startswith((" ", "\t")):
            current = None
    return out


def _instruction_lines(ptx: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(ptx.splitlines(), 1) if not _DIRECTIVE_RE.match(line)]


def _line_sources(ptx: str) -> dict[int, int]:
    """Index among the non-.loc/.file lines -> the IR line of the .loc in force there."""
    out, current, i = {}, None, 0
    for line in ptx.splitlines():
        if m := _LOC_RE.match(line):
            current = int(m[2])
        elif not _DIRECTIVE_RE.match(line):
            if current is not None and line.strip() and line.strip() not in ("{", "}"):
                out[i] = current
            i += 1
        if line.strip() == "}":
            current = None  # emit-ptx starts every .entry afresh
    return out


def _stage_maps(result: Compiled, pipeline: str, ins: Inspection) -> dict[int, list[tuple[str, int]]]:
    """PTX line -> (stage key, IR line) for the input and each stage whose re-run gives the same PTX."""
    lines = _instruction_lines(result.ptx)
    texts = [line for _, line in lines]
    maps: dict[int, list[tuple[str, int]]] = {}
    passes = parse_pipeline(pipeline)
    sources = [(ins.stages[0].key, _line_sources(result.ptx))]
    for i, stage in enumerate(ins.stages[1:]):
        try:
            module = parse(stage.text, stage.filename)
            run_passes(module, passes[i + 1:-1])
            again = print_ptx(module)
        except ExoGpuError as e:
            ins.notes.append(f"{stage.title}: the remaining passes did not rerun ({e}); no PTX links to it")
            continue
        if [line for _, line in _instruction_lines(again)] != texts:
            ins.notes.append(f"{stage.title}: rerunning the remaining passes gave other PTX; no PTX links to it")
            continue
        sources.append((stage.key, _line_sources(again)))
    for key, by_index in sources:
        for index, ir_line in by_index.items():
            maps.setdefault(lines[index][0], []).append((key, ir_line))
    return maps


def _roles(stages: list[Stage]) -> list[tuple[str, int, int, int]]:
    for s in stages:
        roles = [(m[1], int(m[2]), int(m[3]), int(m[4])) for m in _ROLE_RE.finditer(s.text)]
        if roles:
            return roles
    return []


# ---------------------------------------------------------------- foreign PTX


def inspect_ptx(text: str, filename: str, *, cuda: str = toolchain.DEFAULT_CUDA, ptxas: str | None = None,
                nvdisasm: str | None = None) -> Inspection:
    """The doctor's view of any PTX: guard, findings, SASS; no IR."""
    tool = toolchain.ptxas(cuda, ptxas)
    try:
        asm, text2, note = doctor._assemble(text, tool)  # retries with a lower .version when needed
    except guard.PtxasError as e:
        raise InspectError(f"{filename}: {e}") from None
    ins = Inspection(Path(filename).name, "ptx", Path(filename).name, text, tool.version)
    if note:
        ins.notes.append(note)
    disasm = toolchain.nvdisasm(nvdisasm, cuda)
    plain = guard.disassemble(asm.cubin, disasm)
    ins.reports = guard.judge(asm, guard.sass_shape(plain), text2)
    ins.loc_targets = _loc_targets(text, {})
    ins.sources = _sources(text)
    _attach_sass(ins, asm.cubin, text2, ptxas, nvdisasm, cuda, plain=plain,
                 extra=doctor._assemble_args(text2))
    ins.findings, ins.predicted = _findings(text, tool.cuda, filename)
    ins.budgets = [_budget(r, text, [], None) for r in ins.reports]
    return ins


# ---------------------------------------------------------------- SASS and its PTX lines


def _self_located(ptx: str) -> str:
    """The PTX with every `.loc` naming its own line: each instruction inside a function body
    gets `.loc 1 N 1`, N its line in `ptx`; other .loc/.file lines are dropped."""
    out, depth, filed = [], 0, False
    for n, line in enumerate(ptx.splitlines(), 1):
        s = line.strip()
        if _DIRECTIVE_RE.match(line):
            continue
        if depth > 0 and s.endswith(";") and not s.startswith((".", "//")):
            out.append(f"\t.loc 1 {n} 1")
        out.append(line)
        if not filed and s.startswith(".address_size"):
            out.append(f'.file 1 "{_SELF}"')
            filed = True
        depth += s.count("{") - s.count("}")
    return "\n".join(out) + "\n"


def _nvdisasm_lines(cubin: bytes, tool: toolchain.Tool) -> str:
    with tempfile.TemporaryDirectory(prefix="exo-gpu-inspect-") as tmp:
        path = Path(tmp) / "kernel.cubin"
        path.write_bytes(cubin)
        proc = subprocess.run([tool.path, "-c", "-g", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise guard.DisassemblyError(f"nvdisasm {tool.version} -g failed on the cubin")
    return proc.stdout


def _parse_sass(sass: str, with_lines: bool) -> list[SassLine]:
    out, kernel, ptx_line = [], None, None
    for line in sass.splitlines():
        if m := guard._SECTION_RE.match(line):
            kernel, ptx_line = m["name"], None
        if with_lines and (m := _SASS_LINE_RE.match(line)):
            ptx_line = int(m[2]) if m[1] == _SELF else None
            continue
        m = _SASS_INSTR_RE.match(line)
        if m:
            out.append(SassLine(m[2], kernel, m[1], ptx_line if with_lines else None))
        elif line.strip():
            out.append(SassLine(line.rstrip(), kernel, None, None))
    return out


def _attach_sass(ins: Inspection, cubin: bytes, ptx: str, ptxas: str | None, nvdisasm: str | None,
                 cuda: str, plain: str | None = None, extra: list[str] | None = None) -> None:
    """The guard's SASS, each instruction with its PTX line when the line-info build matches."""
    disasm = toolchain.nvdisasm(nvdisasm, cuda)
    plain = plain if plain is not None else guard.disassemble(cubin, disasm)
    shown = _parse_sass(plain, False)
    try:
        asm = guard.assemble(_self_located(ptx), toolchain.ptxas(cuda, ptxas), extra_args=["-lineinfo", *(extra or [])])
        located = _parse_sass(_nvdisasm_lines(asm.cubin, disasm), True)
    except ExoGpuError as e:
        ins.notes.append(f"no SASS -> PTX line map: {e}")
        ins.sass = shown
        return
    a = [s.text for s in shown if s.address]
    b = [s.text for s in located if s.address]
    if a != b:
        ins.notes.append("no SASS -> PTX line map: the -lineinfo build gave other SASS")
        ins.sass = shown
        return
    ins.sass = located


# ---------------------------------------------------------------- findings and budgets


def _findings(ptx: str, cuda: str, filename: str) -> tuple[list[dict], dict[str, tuple[list[str], bool]]]:
    """The doctor's findings (the wgmma pipeline model for ptxas `cuda`) and its verdicts."""
    try:
        verdicts = verify_text(ptx, cuda, filename)
    except ExoGpuError as e:
        raise InspectError(f"{filename}: {e}") from None
    findings = [dict(f.to_json(), kernel=v.name) for v in verdicts for f in v.findings]
    return findings, {v.name: (v.codes, v.serialized) for v in verdicts}


def _budget(report: guard.GuardReport, ptx: str, roles, smem_dynamic: int | None) -> Budget:
    body = entry_body(ptx, report.kernel)
    setmax = [(n, m[1], int(m[2])) for n, line in body if (m := _SETMAXNREG_RE.search(line))]
    maxntid = next((int(m[1]) for _, line in _entry_head(ptx, report.kernel) if (m := _MAXNTID_RE.match(line))), None)
    return Budget(report.kernel, report.registers, maxntid, setmax, roles, smem_dynamic, report.smem,
                  report.stack, report.spill_stores, report.spill_loads)


def _entry_span(ptx: str, kernel: str) -> tuple[int, int, int]:
    """(line of `.entry NAME`, line of its `{`, line of its `}`), 1-based; zeros if not found."""
    lines = ptx.splitlines()
    start = next((i for i, line in enumerate(lines) if re.search(rf"\.entry\s+{re.escape(kernel)}\b", line)), None)
    if start is None:
        return 0, 0, 0
    depth, opened = 0, 0
    for i in range(start, len(lines)):
        s = lines[i].split("//")[0]
        if "{" in s and not opened:
            opened = i + 1
        depth += s.count("{") - s.count("}")
        if opened and depth == 0:
            return start + 1, opened, i + 1
    return start + 1, opened, len(lines)


def entry_body(ptx: str, kernel: str) -> list[tuple[int, str]]:
    _, first, last = _entry_span(ptx, kernel)
    return [(n, line) for n, line in enumerate(ptx.splitlines(), 1) if first <= n <= last]


def _entry_head(ptx: str, kernel: str) -> list[tuple[int, str]]:
    start, first, _ = _entry_span(ptx, kernel)
    return [(n, line) for n, line in enumerate(ptx.splitlines(), 1) if start <= n <= first]
