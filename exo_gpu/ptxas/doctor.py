"""`exo-gpu doctor FILE.ptx [--cuda V] [--json] [--predict-only]`: explain a (foreign) kernel's wgmma
pipeline.

The doctor reads any PTX (nvcc, NVRTC, Triton, ours) with `exo_gpu.ptxas.reader`, runs the
`verify-wgmma-pipeline` model for the chosen ptxas version, and, unless `--predict-only`,
also assembles the PTX with that pinned ptxas and runs the SASS guard, showing prediction and
observation side by side.  Findings are sorted into the users' two categories:

* **A**: accumulator migration or spill by the C++ compiler: the culprit is a `mov` into or
  out of an accumulator register, or an `st.local`/`ld.local` of one;
* **B**: ptxas-side rejections: run-time scale-d with undefined accumulators, waits under
  control flow, calls, in-flight reads and writes written by hand, ...

`--json` prints `{"kernels": [{"name", "codes", "serialized", "findings", ...}]}`: `codes`
and `serialized` are what ptxas printed/did (or, with `--predict-only`, what the model
predicts), and `predicted` / `observed` give both sides.  Exit status: 0 when no kernel is
serialized, 1 when one is or on an error (one line, `exo-gpu: error: ...`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from exo_gpu.ptxas import cpp_source, guard, ptx_input, reader, toolchain
from exo_gpu.errors import ExoGpuError
from exo_gpu.passes.verify_wgmma_pipeline import Effect, _minor, verify_module

PIPELINE_CODES = tuple(f"C75{n:02d}" for n in range(9, 21))


def _assemble_args(ptx: str) -> list[str]:
    return ["-c"] if re.search(r"(?m)^\s*\.extern\s+\.func", ptx) else []


def _lower_version(ptx: str, m: re.Match, tool) -> tuple[str, str]:
    lowered = re.sub(r"(?m)^\s*\.version\s+\S+", f".version {m[2]}", ptx, count=1)
    return lowered, f"ptxas {tool.version} accepts PTX up to .version {m[2]}; the file's .version {m[1]} was lowered to it"


def _bulk_tensor_to_cluster(ptx: str, m: re.Match, tool) -> tuple[str, str]:
    """PTX 8.6's `cp.async.bulk.tensor...shared::cta.global` (Triton 3.9) as the PTX 8.0 form: a CTA's shared
    address is also a shared::cluster address of that CTA, so the copy is the same."""
    pat = r"(cp\.async\.bulk\.tensor\.\dd)\.shared::cta\.global"
    return re.sub(pat, r"\1.shared::cluster.global", ptx), (
        f"ptxas {tool.version} knows cp.async.bulk.tensor only with a .shared::cluster destination; the file's "
        ".shared::cta copies (PTX 8.6) were rewritten to it (the same copy for a CTA's own shared memory)")


# What an older ptxas rejects in newer compilers' PTX, and the equivalent older form (tried in turn).
_COMPAT = ((re.compile(r"Unsupported \.version (\S+); current version is '([\d.]+)'"), _lower_version),
           (re.compile(r"State space incorrect for instruction 'cp\.async\.bulk\.tensor'"), _bulk_tensor_to_cluster))


def _assemble(ptx: str, tool) -> tuple[guard.Assembly, str, str | None]:
    """Assemble; if this ptxas rejects only what a newer PTX ISA added (nvcc 13 writes `.version 9.0`,
    Triton 3.9 `.version 9.4` and `shared::cta` bulk copies), retry with the older equivalent form and say so."""
    notes: list[str] = []
    while True:
        try:
            return guard.assemble(ptx, tool, extra_args=_assemble_args(ptx)), ptx, "; ".join(notes) or None
        except guard.PtxasError as e:
            for pattern, rewrite in _COMPAT:
                if (m := pattern.search(e.log)) and (new := rewrite(ptx, m, tool))[0] != ptx:
                    ptx = new[0]
                    notes.append(new[1])
                    break
            else:
                raise


def observe(ptx: str, tool, disasm) -> tuple[dict[str, dict], str | None]:
    """Per kernel: the codes ptxas printed, serialized, and the SASS shape."""
    asm, text, note = _assemble(ptx, tool)
    shapes = guard.sass_shape(guard.disassemble(asm.cubin, disasm))
    out = {}
    for name, (waits, commits) in guard.ptx_group_counts(text).items():
        klog = asm.kernels.get(name, guard.KernelLog(name))
        s = shapes.get(name, guard.PipelineShape())
        codes = sorted({d.code for d in klog.diagnostics if d.code in PIPELINE_CODES})
        serialized = any(c in guard.SERIALIZATION_CODES for c in codes) or (
            s.hgmma >= 2 and s.hgmma_gsb0 == s.hgmma and commits < s.hgmma)
        out[name] = {"codes": codes, "serialized": serialized, "messages": [d.line for d in klog.diagnostics],
                     "sass": {"hgmma": s.hgmma, "hgmma_gsb0": s.hgmma_gsb0, "arrive": s.arrive, "depbar": s.depbar,
                              "ldl": s.ldl, "stl": s.stl},
                     "ptx": {"commit_group": commits, "wait_group": waits},
                     "local_memory": bool(s.ldl or s.stl or klog.stack or klog.spill_stores)}
    return out, note


def diagnose(ptx: str, cuda: str, filename: str = "<ptx>", predict_only: bool = False, ptxas: str | None = None,
             nvdisasm: str | None = None) -> dict:
    """The doctor's whole answer as a JSON-able dict."""
    local = ptxas is not None or str(cuda).strip().lower() == toolchain.SYSTEM
    version = None if local else toolchain.resolve(cuda).cuda
    tool = None
    if not predict_only or local:
        tool = toolchain.ptxas(cuda, ptxas)
        version = tool.cuda
    read = reader.read_ptx(ptx, filename)
    verdicts = verify_module(read.module, _minor(version or cuda))
    observed, note = ({}, None)
    if not predict_only:
        observed, note = observe(ptx, tool, toolchain.nvdisasm(nvdisasm, cuda))
    kernels = []
    for v in verdicts:
        pred = {"codes": v.codes, "serialized": v.serialized, "injected_wait": v.injected_wait,
                "model": getattr(v.fitted, "model", "fitted") if v.fitted is not None else "rules"}
        if getattr(v.fitted, "clauses", None) is not None:
            pred["flow_clauses"] = list(v.fitted.clauses)
        elif v.fitted is not None:
            pred["fitted_rules"] = [f"{comp}: if {' and '.join(r.conds) or 'always'} then {r.value}"
                                    for comp, r in v.fitted.because]
        entry = {"name": v.name, "codes": pred["codes"], "serialized": pred["serialized"],
                 "findings": [f.to_json() for f in v.findings], "predicted": pred,
                 "categories": sorted({f.category for f in v.findings})}
        if not predict_only:
            obs = observed.get(v.name, {"codes": [], "serialized": False})
            entry.update(codes=obs["codes"], serialized=obs["serialized"], observed=obs,
                         agree=(obs["codes"], obs["serialized"]) == (pred["codes"], pred["serialized"]))
        kernels.append(entry)
    out = {"file": filename, "ptxas": tool.version if tool else version, "predict_only": predict_only,
           "kernels": kernels}
    if note:
        out["note"] = note
    cpp_source.annotate(out, read, filename)
    return out


_CATEGORY = {"A": "A: accumulator migration/spill by the C++ compiler",
             "B": "B: ptxas-side rejection",
             "ISA": "PTX ISA rule (undefined behaviour, not always diagnosed by ptxas)"}


def format_text(result: dict, verdict_findings: dict[str, list] | None = None) -> str:
    lines = [f"{result['file']}: ptxas {result['ptxas']}" + (" (prediction only)" if result["predict_only"] else "")]
    if result.get("note"):
        lines.append(f"  note: {result['note']}")
    for k in result["kernels"]:
        pred = Effect(tuple(k["predicted"]["codes"]), k["predicted"]["serialized"]).describe()
        lines.append(f"kernel {k['name']}:")
        lines.append(f"  predicted: {pred}")
        if "observed" in k:
            o = k["observed"]
            s = o["sass"]
            obs = Effect(tuple(o["codes"]), o["serialized"]).describe()
            lines.append(f"  observed:  {obs}   (SASS: {s['hgmma']} HGMMA, {s['hgmma_gsb0']} with gsb0, "
                         f"{s['arrive']} ARRIVE, {s['depbar']} DEPBAR, {s['ldl']} LDL, {s['stl']} STL)"
                         f"  -> {'agree' if k['agree'] else 'DISAGREE'}")
            for m in o["messages"]:
                lines.append(f"    ptxas: {m}")
        if not k["findings"]:
            lines.append("  no findings: the pipeline is clean for this ptxas")
        for cat in ("A", "B", "ISA"):
            fs = [f for f in k["findings"] if f["category"] == cat]
            if not fs:
                continue
            lines.append(f"  category {_CATEGORY[cat]}: {len(fs)} finding(s)")
            by_rule: dict[str, list[dict]] = {}
            for f in fs:
                by_rule.setdefault(f["rule"], []).append(f)
            for rule, group in by_rule.items():
                f = group[0]
                where = f"line {f['line']}" + (f" ({f['source']})" if f["source"] else "")
                eff = Effect(tuple(f["codes"]), f["serialized"]).describe()
                lines.append(f"    {rule} at {where}: `{_short(f['instruction'])}` -> {eff}")
                lines.append(f"      {f['detail']}")
                if f["wgmma_line"] is not None:
                    lines.append(f"      conflicts with the wgmma at line {f['wgmma_line']} ({f['stage']})")
                if len(group) > 1:
                    more = ", ".join(str(g["line"]) for g in group[1:9]) + (", ..." if len(group) > 9 else "")
                    lines.append(f"      and {len(group) - 1} more like it at lines {more}")
                lines.append(f"      why: {f['why']}")
                lines.append(f"      fix: {f['fix']}")
                lines += cpp_source.format_cpp(f)
        if k.get("local_memory_sources"):
            lines += cpp_source.format_local(k)
    return "\n".join(lines) + "\n"


def _tmp_free(msg: str) -> str:
    """ptxas names the temporary copy it was given; say "the PTX" instead."""
    return re.sub(r"\s*(at start of file|in file)?\s*'?/tmp/exo-gpu-ptxas-[^/]+/kernel\.ptx'?", "", msg)


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="exo-gpu doctor", description="explain a kernel's wgmma pipeline: "
                                 "predict (and observe) ptxas serialization, name the culprits and the fix")
    add_arguments(ap)
    return run(ap.parse_args(argv))


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("file", help="a .ptx file")
    ap.add_argument("--cuda", default=toolchain.DEFAULT_CUDA, help="ptxas version (default %(default)s; 13.x = newest)")
    ap.add_argument("--json", action="store_true", help='print {"kernels": [...]} as JSON')
    ap.add_argument("--predict-only", action="store_true", help="the model alone; do not run ptxas")
    ap.add_argument("--ptxas", metavar="PATH", help="use this ptxas instead of a pinned one")
    ap.add_argument("--nvdisasm", metavar="PATH", help="use this nvdisasm instead of the pinned one")


def run(args) -> int:
    try:
        text = ptx_input.load_ptx(args.file)
        result = diagnose(text, args.cuda, args.file, args.predict_only, args.ptxas, args.nvdisasm)
    except guard.PtxasError as e:
        print(f"exo-gpu: error: {args.file}: {_tmp_free(str(e))}; fix: assemble with a newer ptxas (--cuda 13.x) "
              "if the PTX needs one, or --predict-only for the model alone", file=sys.stderr)
        return 1
    except ExoGpuError as e:
        msg = " ".join(str(e).split())
        print(f"exo-gpu: error: {msg if msg.startswith(args.file) else f'{args.file}: {msg}'}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug of ours: one line, or the traceback with EXO_GPU_TRACEBACK=1
        if os.environ.get("EXO_GPU_TRACEBACK"):
            raise
        print(f"exo-gpu: internal error: {args.file}: {type(e).__name__}: {e} (a bug in exo-gpu: rerun with "
              "EXO_GPU_TRACEBACK=1 and report the traceback)", file=sys.stderr)
        return 70
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(format_text(result))
    return 1 if any(k["serialized"] for k in result["kernels"]) else 0


if __name__ == "__main__":
    sys.exit(main())
