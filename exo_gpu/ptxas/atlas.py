"""The ptxas wgmma atlas: a litmus corpus, its observations per ptxas version, and the rules doc.

Each case in ``tests/ptxas_rules/`` is a small PTX kernel (``NAME.ptx``) that changes *one*
factor from a clean base kernel (one warpgroup, a K loop whose stage is fence, two
``m64n16k16`` f16 wgmmas, commit, ``wait_group 1``; a final ``wait_group 0``; stores).  Beside
it, ``NAME.json`` stores what each real ptxas did with it: the wgmma-pipeline codes it printed
with ``-v`` (C7509 to C7520), whether it serialized the pipeline, and the SASS pipeline shape
(HGMMA, HGMMA with gsb0, WARPGROUP.ARRIVE / DEPBAR, LDL / STL).

    python -m exo_gpu.ptxas.atlas gen                       # (re)write the case PTX files
    python -m exo_gpu.ptxas.atlas run --cuda 12.0,...,13.5 --jobs 8   # observe, store JSON
    python -m exo_gpu.ptxas.atlas check --cuda 12.3,13.x    # re-observe; exit 1 if any changed
    python -m exo_gpu.ptxas.atlas doc                       # regenerate docs/ptxas-wgmma-rules.md

``doc`` writes the rules document from the stored observations and the verifier's rule
table (``exo_gpu.passes.verify_wgmma_pipeline.RULES``), with the verifier's agreement per
version and every disagreement listed by case: nothing in it is hand-written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from exo_gpu.ptxas import guard, toolchain
from exo_gpu.errors import ExoGpuError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "ptxas_rules"
DOC = ROOT / "docs" / "ptxas-wgmma-rules.md"

# The wgmma-pipeline codes (serializing and notes) that observations and predictions compare.
PIPELINE_CODES = tuple(f"C75{n:02d}" for n in range(9, 21))


class AtlasError(ExoGpuError):
    """Bad atlas input (an unknown case or version, a corpus that does not exist)."""


# ------------------------------------------------------------------------------ the corpus

ACC = "{{%f0, %f1, %f2, %f3, %f4, %f5, %f6, %f7}}"
MMA = "wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 " + ACC + ", {a}, {b}, {d}, 1, 1, 0, 0;"
MMA_RS = "wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 " + ACC + ", {{%r20, %r21, %r22, %r23}}, {b}, {d}, 1, 1, 0;"
ZERO_INIT = "\n".join(f"\tmov.f32 %f{i}, 0f00000000;" for i in range(8))
STORES = "\n".join(f"\tst.global.f32 [%rd10+{4 * i}], %f{i};" for i in range(8))


@dataclass
class Case:
    """One litmus case: the base kernel with one factor changed (the keyword overrides)."""

    name: str
    factor: str  # what changed from the base, one line
    parts: dict = field(default_factory=dict)


BASE_PARTS = dict(
    decls="", directives="", init=ZERO_INIT, pre_loop="", stage_begin="", fence="\twgmma.fence.sync.aligned;",
    scale_d="1", between="", after_mmas="", commit="\twgmma.commit_group.sync.aligned;", after_commit="",
    wait="\twgmma.wait_group.sync.aligned 1;", after_wait="", after_loop="",
    final_wait="\twgmma.wait_group.sync.aligned 0;", after_final="", rs=False, funcs="", loop_tail="",
)


def render(case: Case) -> str:
    p = {**BASE_PARTS, **case.parts}
    mma = MMA_RS if p["rs"] else MMA
    rs_init = "\n".join(f"\tmov.b32 %r{20 + i}, {i};" for i in range(4)) if p["rs"] else ""
    return f"""// atlas case {case.name}: {case.factor}
.version 8.0
.target sm_90a
.address_size 64

.extern .shared .align 1024 .b8 smem[];
{p["funcs"]}
.visible .entry {case.name}(
	.param .u64 {case.name}_out,
	.param .u32 {case.name}_nk
)
.maxntid 128, 1, 1{p["directives"]}
{{
	.reg .pred %p<8>;
	.reg .b32 %r<32>;
	.reg .b64 %rd<32>;
	.reg .f32 %f<32>;
{p["decls"]}
	mov.u32 %r1, smem;
	and.b32 %r2, %r1, 262143;
	cvt.u64.u32 %rd1, %r2;
	shr.u64 %rd2, %rd1, 4;
	or.b64 %rd3, %rd2, 4611686293305360384;
	add.s64 %rd4, %rd3, 512;
	ld.param.u32 %r3, [{case.name}_nk];
	mov.u32 %r4, 0;
{rs_init}
{p["init"]}
{p["pre_loop"]}
$L_loop:
	.pragma "nounroll";
	setp.ge.u32 %p1, %r4, %r3;
	@%p1 bra $L_done;
{p["stage_begin"]}
{p["fence"]}
	{mma.format(a="%rd3", b="%rd4", d=p["scale_d"])}
{p["between"]}
	add.s64 %rd5, %rd3, 2;
	add.s64 %rd6, %rd4, 2;
	{mma.format(a="%rd5", b="%rd6", d="1")}
{p["after_mmas"]}
{p["commit"]}
{p["after_commit"]}
{p["wait"]}
{p["after_wait"]}
	add.u32 %r4, %r4, 1;
{p["loop_tail"]}
	bra $L_loop;
$L_done:
{p["after_loop"]}
{p["final_wait"]}
{p["after_final"]}
	mov.u32 %r5, %tid.x;
	ld.param.u64 %rd7, [{case.name}_out];
	cvta.to.global.u64 %rd8, %rd7;
	mul.wide.u32 %rd9, %r5, 32;
	add.s64 %rd10, %rd8, %rd9;
{STORES}
	ret;
}}
"""


_PEEL = ("\twgmma.fence.sync.aligned;\n\t" + MMA.format(a="%rd3", b="%rd4", d="0") + "\n"
         "\twgmma.commit_group.sync.aligned;\n\twgmma.wait_group.sync.aligned 1;\n\tmov.u32 %r4, 1;")
_DEF = "\tmov.f32 %f1, 0f3F800000;"
_READ = "\tadd.f32 %f9, %f1, %f1;\n\tst.global.f32 [%rd1], %f9;"
_SCALE_P = "\tsetp.ne.u32 %p2, %r4, 0;"
_LOCAL_DECL = "\t.local .align 16 .b8 acc_spill[64];"
# a run-time offset (0 or 32) so that ptxas cannot forward the stores to the loads
_LOCAL_ADDR = "\tand.b32 %r15, %r3, 32;\n\tmov.u32 %r13, acc_spill;\n\tadd.u32 %r14, %r13, %r15;"
_LOCAL_ST = "\tst.local.v4.f32 [%r14], {%f0, %f1, %f2, %f3};\n\tst.local.v4.f32 [%r14+16], {%f4, %f5, %f6, %f7};"
_LOCAL_LD = "\tld.local.v4.f32 {%f0, %f1, %f2, %f3}, [%r14];\n\tld.local.v4.f32 {%f4, %f5, %f6, %f7}, [%r14+16];"
_LOCAL_RT = _LOCAL_ST + "\n" + _LOCAL_LD
_MOV_CHAIN = ("\tmov.b32 %r10, %f1;\n\tmov.b32 %f1, %r10;")
_EXTERN = "\n.extern .func ext_fn(.param .b32 ext_fn_x);\n"
_CALL_EXT = "\t{\n\t.param .b32 arg0;\n\tst.param.b32 [arg0], %r4;\n\tcall.uni ext_fn, (arg0);\n\t}"
# recursive, so that ptxas cannot inline it
_FUNC = ("\n.func (.param .b32 helper_r) helper(.param .b32 helper_x)\n{\n\t.reg .b32 %hr<4>;\n\t.reg .pred %hp<2>;\n"
         "\tld.param.b32 %hr0, [helper_x];\n\tsetp.eq.u32 %hp0, %hr0, 0;\n\t@%hp0 bra $L_h_done;\n\tsub.u32 %hr1, %hr0, 1;\n"
         "\t{\n\t.param .b32 a0;\n\t.param .b32 r0;\n\tst.param.b32 [a0], %hr1;\n\tcall.uni (r0), helper, (a0);\n"
         "\tld.param.b32 %hr2, [r0];\n\t}\n\tadd.u32 %hr0, %hr2, 1;\n$L_h_done:\n\tst.param.b32 [helper_r], %hr0;\n\tret;\n}\n")
_CALL_FN = ("\t{\n\t.param .b32 arg0;\n\t.param .b32 ret0;\n\tst.param.b32 [arg0], %r4;\n"
            "\tcall.uni (ret0), helper, (arg0);\n\tld.param.b32 %r11, [ret0];\n\t}\n\tst.global.u32 [%rd1], %r11;")
_BRANCH_COND = "\tmov.u32 %r12, %tid.x;\n\tsetp.lt.u32 %p3, %r12, 1024;"

CASES: list[Case] = [
    Case("base", "the clean base kernel (zero-initialized accumulators, wait_group 1 in the loop, final wait_group 0)"),
    Case("base_peeled", "the first K block peeled with an immediate scale-d 0 instead of zero-initializing the accumulators",
         {"init": _PEEL}),
    Case("base_uninit", "the accumulators are never initialized (and every mma has scale-d 1)", {"init": ""}),
    Case("wait0_in_loop", "wait_group 0 instead of 1 at the end of each stage", {"wait": "\twgmma.wait_group.sync.aligned 0;"}),
    Case("acc_def_between_mmas", "a mov.f32 defines an accumulator register between the two mmas of a stage",
         {"between": _DEF}),
    Case("acc_read_between_mmas", "an add.f32 reads an accumulator register between the two mmas of a stage",
         {"between": _READ}),
    Case("acc_def_after_commit", "a mov.f32 defines an accumulator register after commit_group, before wait_group",
         {"after_commit": _DEF}),
    Case("acc_read_after_commit", "an add.f32 reads an accumulator register after commit_group, before wait_group",
         {"after_commit": _READ}),
    Case("acc_def_after_wait1", "a mov.f32 defines an accumulator register after wait_group 1 (one group still pending)",
         {"after_wait": _DEF}),
    Case("acc_read_after_wait1", "an add.f32 reads an accumulator register after wait_group 1 (one group still pending)",
         {"after_wait": _READ}),
    Case("acc_def_after_wait0", "a mov.f32 defines an accumulator register after a wait_group 0 in the loop",
         {"wait": "\twgmma.wait_group.sync.aligned 0;", "after_wait": _DEF}),
    Case("acc_read_after_wait0", "an add.f32 reads an accumulator register after a wait_group 0 in the loop",
         {"wait": "\twgmma.wait_group.sync.aligned 0;", "after_wait": _READ}),
    Case("acc_def_before_fence", "a mov.f32 defines an accumulator register at the top of the stage, before wgmma.fence",
         {"stage_begin": _DEF}),
    Case("mov_chain_in_stage", "the accumulator is moved out to a b32 register and back between the mmas (nvcc's migration)",
         {"between": _MOV_CHAIN}),
    Case("mov_chain_migrated", "nvcc-style migration: the accumulator lives in a b32 register, moved into the wgmma register before the fence and out after commit",
         {"init": ZERO_INIT + "\n\tmov.b32 %r10, 0;", "stage_begin": "\tmov.b32 %f1, %r10;", "after_commit": "\tmov.b32 %r10, %f1;",
          "after_final": "\tmov.b32 %f1, %r10;"}),
    Case("mov_chain_after_wait0", "the accumulator is moved out to a b32 register and back after a wait_group 0",
         {"wait": "\twgmma.wait_group.sync.aligned 0;", "after_wait": _MOV_CHAIN}),
    Case("local_roundtrip_in_flight", "st.local/ld.local round trip of the accumulators after wait_group 1 (one group pending)",
         {"decls": _LOCAL_DECL, "init": ZERO_INIT + "\n" + _LOCAL_ADDR, "after_wait": _LOCAL_RT}),
    Case("local_store_in_flight", "st.local of the accumulators after commit (in flight), ld.local back at the top of the next stage (nvcc's array spill)",
         {"decls": _LOCAL_DECL, "init": ZERO_INIT + "\n" + _LOCAL_ADDR, "after_commit": _LOCAL_ST, "stage_begin": _LOCAL_LD}),
    Case("local_roundtrip_after_wait0", "st.local/ld.local round trip of the accumulators after a wait_group 0",
         {"decls": _LOCAL_DECL, "init": ZERO_INIT + "\n" + _LOCAL_ADDR, "wait": "\twgmma.wait_group.sync.aligned 0;", "after_wait": _LOCAL_RT}),
    Case("scale_d_runtime", "the first mma of each stage takes a run-time scale-d predicate (k > 0) in the unpeeled loop, accumulators uninitialized",
         {"init": "", "stage_begin": _SCALE_P, "scale_d": "%p2"}),
    Case("scale_d_runtime_zeroed", "as scale_d_runtime, but the accumulators are zero-initialized before the loop",
         {"stage_begin": _SCALE_P, "scale_d": "%p2"}),
    Case("scale_d_imm0_in_loop", "the first mma of every stage has an immediate scale-d 0 (accumulators uninitialized)",
         {"init": "", "scale_d": "0"}),
    Case("acc_def_between_mmas_fenced", "a mov.f32 defines an accumulator register between the two mmas of a stage, followed by a wgmma.fence",
         {"between": _DEF + "\n\twgmma.fence.sync.aligned;"}),
    Case("no_fence", "no wgmma.fence before the stage's mmas", {"fence": ""}),
    Case("no_commit", "no wgmma.commit_group after the stage's mmas", {"commit": ""}),
    Case("no_wait_in_loop", "no wgmma.wait_group in the loop (the final wait_group 0 remains)", {"wait": ""}),
    Case("no_final_wait", "no final wait_group 0 before the accumulators are stored", {"final_wait": ""}),
    Case("final_wait_in_branch", "the final wait_group 0 sits under a branch (taken for every thread at run time)",
         {"after_loop": _BRANCH_COND + "\n\t@!%p3 bra $L_skipwait;", "after_final": "$L_skipwait:"}),
    Case("wait_in_branch_in_loop", "the stage's wait_group 1 sits under a branch",
         {"after_commit": _BRANCH_COND + "\n\t@!%p3 bra $L_skipwait;", "after_wait": "$L_skipwait:"}),
    Case("rs_base", "A from registers (RS wgmma) instead of a shared-memory descriptor", {"rs": True}),
    Case("rs_a_rewritten_in_flight", "RS wgmma whose A registers are rewritten after commit, before the wait",
         {"rs": True, "after_commit": "\tadd.u32 %r20, %r20, 1;"}),
    Case("rs_a_rewritten_between_mmas", "RS wgmma whose A registers are rewritten between the two mmas",
         {"rs": True, "between": "\tadd.u32 %r20, %r20, 1;"}),
    Case("desc_rewritten_in_flight", "the B descriptor register is rewritten after commit, before the wait",
         {"after_commit": "\tadd.s64 %rd4, %rd4, 0;"}),
    Case("extern_call_outside_stage", "a call to an extern function after the loop (outside any stage)",
         {"funcs": _EXTERN, "after_final": _CALL_EXT}),
    Case("extern_call_in_stage", "a call to an extern function between commit and wait",
         {"funcs": _EXTERN, "after_commit": _CALL_EXT}),
    Case("call_in_stage", "a call to a non-inlined (recursive) .func between commit and wait", {"funcs": _FUNC, "after_commit": _CALL_FN}),
    Case("call_outside_stage", "a call to a non-inlined (recursive) .func after the final wait", {"funcs": _FUNC, "after_final": _CALL_FN}),
    Case("maxnreg_34", "a .maxnreg 34 budget (the base kernel uses 34 registers)", {"directives": "\n.maxnreg 34"}),
    Case("stage_across_back_edge", "the second mma and the commit of a stage sit after the loop's back edge (next iteration)",
         {"pre_loop": "\twgmma.fence.sync.aligned;", "fence": "",
          "between": "\twgmma.commit_group.sync.aligned;\n\twgmma.wait_group.sync.aligned 1;\n\twgmma.fence.sync.aligned;",
          "commit": "", "wait": ""}),
]


def case_path(name: str) -> Path:
    return CORPUS / f"{name}.ptx"


def generate(corpus: Path = CORPUS) -> list[Path]:
    corpus.mkdir(parents=True, exist_ok=True)
    written = []
    for case in CASES:
        text = "\n".join(line for line in render(case).splitlines() if line.strip() != "") + "\n"
        path = corpus / f"{case.name}.ptx"
        path.write_text(text)
        written.append(path)
    return written


# ------------------------------------------------------------------------------ observing

def _minor(version: str) -> str:
    return toolchain.resolve(version).cuda


def observe(ptx: str, cuda: str) -> dict:
    """What ptxas of `cuda` does with `ptx`: per kernel, codes, serialized, SASS shape."""
    tool = toolchain.ptxas(cuda)
    try:
        asm = guard.assemble(ptx, tool, extra_args=assemble_args(ptx))
    except guard.PtxasError as e:
        return {"ptxas": tool.version, "error": str(e)}
    shapes = guard.sass_shape(guard.disassemble(asm.cubin))
    counts = guard.ptx_group_counts(ptx)
    kernels = {}
    for name, (waits, commits) in counts.items():
        klog = asm.kernels.get(name, guard.KernelLog(name))
        s = shapes.get(name, guard.PipelineShape())
        codes = sorted({d.code for d in klog.diagnostics if d.code in PIPELINE_CODES})
        kernels[name] = {
            "codes": codes,
            "serialized": is_serialized(codes, s.hgmma, s.hgmma_gsb0, commits),
            "silent_wait": s.depbar > waits and not codes,
            "sass": {"hgmma": s.hgmma, "hgmma_gsb0": s.hgmma_gsb0, "arrive": s.arrive, "depbar": s.depbar,
                     "ldl": s.ldl, "stl": s.stl},
            "ptx": {"commit_group": commits, "wait_group": waits},
            "registers": klog.registers,
            "messages": [d.line for d in klog.diagnostics],
        }
    return {"ptxas": tool.version, "kernels": kernels}


def assemble_args(ptx: str) -> list[str]:
    """`-c` (relocatable, as nvcc -rdc does) when the PTX calls an extern function, which
    ptxas otherwise rejects as unresolved."""
    return ["-c"] if re.search(r"(?m)^\s*\.extern\s+\.func", ptx) else []


def is_serialized(codes, hgmma: int, hgmma_gsb0: int, commits: int) -> bool:
    """A serialization code, or every HGMMA waited on by itself (each carries gsb0) where the
    PTX grouped them."""
    if any(c in guard.SERIALIZATION_CODES for c in codes):
        return True
    return hgmma >= 2 and hgmma_gsb0 == hgmma and commits < hgmma


def load(name: str, corpus: Path = CORPUS) -> dict:
    path = corpus / f"{name}.json"
    if not path.is_file():
        return {"case": name, "observations": {}}
    return json.loads(path.read_text())


def case_names(corpus: Path = CORPUS) -> list[str]:
    known = [c.name for c in CASES]
    extra = sorted(p.stem for p in corpus.glob("*.ptx") if p.stem not in known)
    return [n for n in known if (corpus / f"{n}.ptx").is_file()] + extra


def _factor(name: str, ptx: str) -> str:
    first = ptx.splitlines()[0] if ptx else ""
    return first.split(":", 1)[1].strip() if first.startswith("// atlas case") and ":" in first else ""


def run(versions: list[str], cases: list[str] | None = None, jobs: int = 8, corpus: Path = CORPUS,
        store: bool = True) -> dict[str, dict]:
    """Observe every case on every version (in parallel); store the JSON beside each case."""
    names = cases or case_names(corpus)
    for n in names:
        if not (corpus / f"{n}.ptx").is_file():
            raise AtlasError(f"no atlas case '{n}' in {corpus}")
    minors = [_minor(v) for v in versions]
    for m in dict.fromkeys(minors):
        toolchain.ptxas(m)  # install before the threads start
    toolchain.nvdisasm()
    texts = {n: (corpus / f"{n}.ptx").read_text() for n in names}
    jobs_list = [(n, m) for n in names for m in dict.fromkeys(minors)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(lambda nm: observe(texts[nm[0]], nm[1]), jobs_list))
    out: dict[str, dict] = {}
    for (n, m), obs in zip(jobs_list, results):
        doc = out.setdefault(n, load(n, corpus))
        doc["case"] = n
        doc["factor"] = _factor(n, texts[n])
        doc["ptx_sha256"] = hashlib.sha256(texts[n].encode()).hexdigest()
        doc.setdefault("observations", {})[m] = obs
    if store:
        for n, doc in out.items():
            doc["observations"] = dict(sorted(doc["observations"].items(), key=lambda kv: toolchain._mm_key(kv[0])))
            (corpus / f"{n}.json").write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    return out


def summary(obs: dict) -> tuple[tuple[str, ...], bool] | None:
    """(codes, serialized) of a case's one kernel, or None for an error."""
    if "error" in obs:
        return None
    (k,) = obs["kernels"].values()
    return tuple(k["codes"]), bool(k["serialized"])


# ------------------------------------------------------------------------------ CLI

def _versions(spec: str) -> list[str]:
    if spec in ("all", "*"):
        return toolchain.pinned_versions()
    return [v.strip() for v in spec.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m exo_gpu.ptxas.atlas", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("gen", help="write the case PTX files from the CASES table")
    r = sub.add_parser("run", help="observe the corpus with real ptxas and store the JSON")
    r.add_argument("--cuda", default="all", help="versions, comma-separated, or 'all' (default)")
    r.add_argument("--jobs", type=int, default=8)
    r.add_argument("--case", action="append", help="only this case (repeatable)")
    c = sub.add_parser("check", help="re-observe and compare with the stored observations")
    c.add_argument("--cuda", default="12.3,13.x")
    c.add_argument("--jobs", type=int, default=8)
    sub.add_parser("doc", help="regenerate docs/ptxas-wgmma-rules.md from the stored observations")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "gen":
            for p in generate():
                print(p.relative_to(ROOT))
        elif args.cmd == "run":
            out = run(_versions(args.cuda), args.case, args.jobs)
            for n, doc in out.items():
                line = ", ".join(f"{m}: {'/'.join(s[0]) or '-'}{' SER' if s[1] else ''}" if (s := summary(o)) else f"{m}: error"
                                 for m, o in doc["observations"].items())
                print(f"{n}: {line}")
        elif args.cmd == "check":
            changed = check_stored(_versions(args.cuda), args.jobs)
            for line in changed:
                print(line)
            print(f"{'FAIL' if changed else 'OK'}: {len(changed)} observation(s) changed")
            return 1 if changed else 0
        elif args.cmd == "doc":
            print(write_doc().relative_to(ROOT))
    except ExoGpuError as e:
        print(f"exo-gpu atlas: error: {e}", file=sys.stderr)
        return 1
    return 0


def check_stored(versions: list[str], jobs: int = 8, corpus: Path = CORPUS) -> list[str]:
    """Re-observe every case on `versions`; one line per (case, version) that no longer matches."""
    fresh = run(versions, jobs=jobs, corpus=corpus, store=False)
    changed = []
    for n, doc in fresh.items():
        stored = load(n, corpus).get("observations", {})
        for m, obs in doc["observations"].items():
            if m not in stored:
                changed.append(f"{n} @ {m}: no stored observation")
            elif summary(stored[m]) != summary(obs):
                changed.append(f"{n} @ {m}: stored {summary(stored[m])}, now {summary(obs)}")
    return changed


# ------------------------------------------------------------------------------ agreement and the doc

def agreement(corpus: Path = CORPUS) -> tuple[dict[str, list[int]], list[tuple[str, str, tuple, tuple]]]:
    """Per version [agreeing, total]; and every (case, version, predicted, observed) disagreement."""
    from exo_gpu.passes.verify_wgmma_pipeline import verify_text

    totals: dict[str, list[int]] = {}
    bad = []
    for name in case_names(corpus):
        text = (corpus / f"{name}.ptx").read_text()
        for v, obs in load(name, corpus).get("observations", {}).items():
            seen = summary(obs)
            if seen is None:
                continue
            (verdict,) = verify_text(text, v, f"{name}.ptx", fitted=False)  # the RULES table itself
            pred = (tuple(verdict.codes), verdict.serialized)
            t = totals.setdefault(v, [0, 0])
            t[0] += pred == seen
            t[1] += 1
            if pred != seen:
                bad.append((name, v, pred, seen))
    return totals, bad


def _fmt(codes, serialized) -> str:
    return ("/".join(codes) or "-") + (" **SER**" if serialized else "")


def write_doc(corpus: Path = CORPUS, path: Path = DOC) -> Path:
    """Regenerate docs/ptxas-wgmma-rules.md from the stored observations and RULES."""
    from exo_gpu.passes.verify_wgmma_pipeline import RULES

    names = case_names(corpus)
    docs = {n: load(n, corpus) for n in names}
    versions = sorted({v for d in docs.values() for v in d.get("observations", {})}, key=toolchain._mm_key)
    totals, bad = agreement(corpus)
    out = ["# ptxas wgmma pipeline rules", "",
           "<!-- GENERATED by `python -m exo_gpu.ptxas.atlas doc` from tests/ptxas_rules/*.json and the RULES table of",
           "     passes/verify_wgmma_pipeline.py. Do not edit by hand. -->", "",
           "Each rule below is one ptxas behaviour, as modelled by `verify-wgmma-pipeline` and observed on the",
           f"litmus atlas ({len(names)} cases, each one factor changed from the clean `base` kernel) with the pinned "
           f"ptxas of CUDA {', '.join(versions)}.",
           "`SER` = serialized (a serialization code, or every HGMMA carrying gsb0 where the PTX grouped them); "
           "`-` = no wgmma-pipeline code.", "",
           "## Agreement of the model with ptxas", "", "| ptxas | cases agreeing (codes and serialized) |", "|---|---|"]
    for v in versions:
        a, n = totals.get(v, [0, 0])
        out.append(f"| {v} | {a}/{n} ({100.0 * a / n if n else 0:.0f}%) |")
    out += ["", "Disagreements (case, version, predicted, observed):", ""]
    out += [f"- `{n}` on {v}: predicted {_fmt(*p)}, observed {_fmt(*o)}" for n, v, p, o in bad] or ["- none"]
    out.append("")
    for rule in RULES.values():
        out += [f"## `{rule.id}`: {rule.title}", "", f"Category {rule.category}. Why: {rule.why}.", "",
                f"Fix: {rule.fix}.", "", "Model, by ptxas version: " + "; ".join(
                    f"{v}: {rule.effect(v).describe()}" for v in versions) + ".", ""]
        for case in rule.cases:
            d = docs.get(case)
            if d is None:
                continue
            text = (corpus / f"{case}.ptx").read_text()
            out += [f"### Case `{case}`: {d.get('factor', '')}", "", "| ptxas | observed | SASS HGMMA / gsb0 / ARRIVE / DEPBAR / LDL / STL |",
                    "|---|---|---|"]
            for v, obs in d.get("observations", {}).items():
                if "error" in obs:
                    out.append(f"| {v} | ptxas error | |")
                    continue
                (k,) = obs["kernels"].values()
                sa = k["sass"]
                out.append(f"| {v} | {_fmt(k['codes'], k['serialized'])} | {sa['hgmma']} / {sa['hgmma_gsb0']} / "
                           f"{sa['arrive']} / {sa['depbar']} / {sa['ldl']} / {sa['stl']} |")
            base = (corpus / "base.ptx").read_text().splitlines() if (corpus / "base.ptx").is_file() else []
            diff = [ln for ln in text.splitlines()[1:] if ln not in base and case not in ln]
            if diff:
                out += ["", "Lines added to the base kernel:", "", "```ptx", *diff[:14], "```"]
            out.append("")
    from exo_gpu.ptxas import model as fitted_model, model_doc

    out += model_doc.sections(fitted_model.load())
    out += ["## Cases with no rule (clean or control cases)", ""]
    covered = {c for r in RULES.values() for c in r.cases}
    for n in names:
        if n in covered:
            continue
        d = docs[n]
        row = ", ".join(f"{v}: {_fmt(*s)}" if (s := summary(o)) else f"{v}: error" for v, o in d.get("observations", {}).items())
        out.append(f"- `{n}`: {d.get('factor', '')}. Observed: {row}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main())
