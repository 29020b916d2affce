"""Category A findings back to the C++ source: which C++ line made the accumulator copy or spill, and what to
change there.

The model (`verify-wgmma-pipeline`) names the culprit PTX instruction and the `.loc` source position the
reader gave it (`file:L in FUNC, inlined at file:L2 <- file:L3`, see `exo_gpu.ptxas.reader`).  For the
users' category A (the C++ compiler moved or spilled an accumulator), the doctor adds here:

* `site`: the outermost call site (the line of the user's own kernel), and `source_text`, the text of
  the innermost and of the call-site line when the source file can be found (beside the PTX, or as named);
* `what`: what the compiler did, from the instruction (a `mov` between register classes or within one, a
  store/load of local memory);
* `fix`: the change in the C++ source;
* per kernel, `local_memory_sources`: every source line with local memory traffic, so that a run-time
  index elsewhere in the kernel (the usual reason an accumulator array lives in local memory) is named.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from exo_gpu.dialects import ptx
from exo_gpu.ptxas.reader import ReadResult, functions

_MOV_RE = re.compile(r"^mov\.(\w+)\s+(%\w+)\s*,\s*(%\w+)")

FIX_MOV_CLASS = ("bind each accumulator variable with one constraint class in every asm statement that names it "
                 "(\"+f\" for f32 accumulators, also in fence-operand helpers); do not pass it through "
                 "reinterpret_cast/unions to \"r\" constraints; then nvcc keeps it in the wgmma's register")
FIX_MOV_SAME = ("make the accumulator one C++ object that lives across the whole pipeline (no copies into "
                "temporaries, no returning it by value, no conditional assignment between two arrays); "
                "pass it by reference to the wgmma wrapper, and read it only after the final wait_group 0")
FIX_LOCAL = ("keep the accumulator array in registers: index it only with compile-time constants (fully "
             "unrolled loops, `#pragma unroll`), never with a run-time value such as the lines listed under "
             "local memory; keep it within the register budget (__launch_bounds__, fewer tiles per thread)")


def parse_source(source: str | None) -> tuple[str | None, str | None]:
    """(innermost `file:L`, outermost call site `file:L`) of a reader source string."""
    if not source:
        return None, None
    inner = source.split(" ")[0]
    if ", inlined at " not in source:
        return inner, inner
    return inner, source.split(", inlined at ")[1].split(" <- ")[-1].strip()


def source_text(position: str | None, ptx_file: str) -> str | None:
    """The text of source line `file:L`, looked up as named, beside the PTX file and up to three folders up
    (compilers name the source relative to where they ran)."""
    if not position or ":" not in position:
        return None
    name, _, line = position.rpartition(":")
    if not line.isdigit():
        return None
    here = Path(ptx_file).resolve().parent
    for cand in (Path(name), *(d / name for d in (here, *list(here.parents)[:3]))):
        try:
            lines = cand.read_text(errors="replace").splitlines()
        except OSError:
            continue
        if 0 < int(line) <= len(lines):
            return lines[int(line) - 1].strip()
    return None


def what_and_fix(instruction: str) -> tuple[str, str]:
    text = " ".join(instruction.split())
    if m := _MOV_RE.match(text):
        dst, src = m[2], m[3]
        cls = lambda r: re.match(r"%([a-z]+)", r)[1]  # noqa: E731
        if cls(dst) != cls(src):
            return (f"the C++ compiler moves the accumulator between register classes ({src} -> {dst}, "
                    f"mov.{m[1]}): one C++ variable is bound with different asm constraints or reinterpreted",
                    FIX_MOV_CLASS)
        return f"the C++ compiler copies the accumulator to another register ({src} -> {dst})", FIX_MOV_SAME
    if text.startswith(("st.local", "ld.local")) or ".local" in text.split(" ")[0]:
        kind = "stores" if text.startswith("st") else "loads"
        return (f"the C++ compiler {kind} the accumulator to/from local memory (the stack): the array is not kept "
                "in registers", FIX_LOCAL)
    return "the C++ compiler touches the accumulator outside the asm statements", FIX_MOV_SAME


def annotate(result: dict, read: ReadResult, ptx_file: str) -> None:
    """Add `cpp` to every category A finding and `local_memory_sources` to kernels that have one."""
    local = {f.sym_name.data: _local_sources(f) for f in functions(read.module)}
    for k in result["kernels"]:
        a = [f for f in k["findings"] if f["category"] == "A"]
        for f in a:
            inner, site = parse_source(f["source"])
            what, fix = what_and_fix(f["instruction"])
            f["cpp"] = {"position": inner, "site": site, "source_text": source_text(inner, ptx_file),
                        "site_text": source_text(site, ptx_file) if site != inner else None,
                        "what": what, "fix": fix}
        if a and local.get(k["name"]):
            k["local_memory_sources"] = local[k["name"]]


def _local_sources(func: ptx.FlatFuncOp) -> list[dict]:
    counts: Counter = Counter()
    for op in func.body.block.ops:
        if isinstance(op, ptx.OpaqueInstrOp) and ".local" in op.opcode.data:
            counts[(op.source or "?", op.opcode.data.split(".")[0])] += 1
    return [{"source": src, "op": kind, "count": n} for (src, kind), n in sorted(counts.items())]


def format_cpp(f: dict) -> list[str]:
    """Text lines for one category A finding (indented under it)."""
    c = f.get("cpp")
    if not c:
        return []
    out = []
    if c["position"]:
        out.append(f"      C++ {c['position']}: " + (f"`{c['source_text']}`" if c["source_text"] else "(source not found)"))
    if c["site_text"]:
        out.append(f"      called at {c['site']}: `{c['site_text']}`")
    out.append(f"      what: {c['what']}")
    out.append(f"      fix (C++): {c['fix']}")
    return out


def format_local(k: dict) -> list[str]:
    srcs = k.get("local_memory_sources")
    if not srcs:
        return []
    return ["  local memory traffic by source line (a run-time index there puts the array in local memory):"] + [
        f"    {s['source']}: {s['count']} {s['op']}.local" for s in srcs[:12]] + (
        [f"    ... and {len(srcs) - 12} more"] if len(srcs) > 12 else [])
