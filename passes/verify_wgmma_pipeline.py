"""`verify-wgmma-pipeline`: predict, before ptxas runs, whether ptxas of a given CUDA version will
serialize a kernel's wgmma pipeline, which `(C75xx)` codes it will print, and why.

The pass works on the flat form of the `ptx` dialect (`ptx.func`, as `exo_gpu.ptxas.reader` reads
any PTX); on our own structured `ptx.entry` ops it prints them (`emit-ptx`'s printer) and
reads them back, so both kinds of PTX go through one analysis.

**The model.**  A forward dataflow analysis over each function's control-flow graph tracks
every `wgmma.mma_async` that may still be in flight: how many `wgmma.commit_group` have
closed since it was issued (0: its group is still open, i.e. it is in the current *pipeline
stage*), whether a `wgmma.wait_group` has passed that left it pending, and whether some path
has retired it while another has not (a wait under control flow).  `wgmma.wait_group N`
retires every mma with more than N commits after it; an open group counts as committed by a
wait (ptxas treats it so).  A second, must-analysis tracks which registers are certainly
defined.  Then one rule per ptxas behaviour (the `RULES` table) fires on:

* a non-wgmma instruction that defines or reads an accumulator register of an in-flight mma
  (split by where it sits: inside the open stage, after its commit, after a wait that left
  it pending, after the last mma of the chain, or behind a wait that only some paths run),
  unless it only redefines the register and every path then reaches a `wgmma.fence` before
  anything else touches it (ptxas accepts that);
* a non-wgmma instruction that defines the A registers of an in-flight RS wgmma;
* a wgmma that reads an accumulator (scale-d not the immediate 0) that is not defined on
  every path (ptxas 12.x then defines it itself inside the pipeline);
* a commit group that spans a loop back edge; a call to an extern function; a call that
  ptxas cannot inline (recursion); an accumulator stored to or loaded from local memory; a
  wgmma whose registers were touched since the last `wgmma.fence`.

Each rule says, per ptxas version range, which codes ptxas prints and whether it serializes
(`Effect`).  The ranges come from the litmus atlas (`tests/ptxas_rules/`, `exo_gpu.ptxas.atlas`),
which re-runs every case on every pinned ptxas; `tests/test_atlas.py` checks the model
against those stored observations.

**The fitted layer.**  The RULES table is the prior of a fitted model (`exo_gpu.ptxas.model`):
per-version decision lists over context features of the kernel (`exo_gpu.ptxas.features`),
fitted on the TRAIN split of a random litmus corpus (`exo_gpu.ptxas.model_eval`), that decide
the codes, serialization and injected wait; a list's default is what this table predicts, its
rules the exceptions found in data.  With $EXO_GPU_PTXAS_MODEL=fitted (or `fitted=True`; off
by default, because on real compilers' PTX for ptxas 12.3 it agrees less than this table), a
verdict's `codes` / `serialized` / `injected_wait` are the fitted model's.  By default they are
the flow model's (`exo_gpu.ptxas.flow_model`, an abstract interpretation of ptxas's check,
better than this table on held-out and real PTX for 12.3 and 13.5; $EXO_GPU_PTXAS_MODEL=rules
keeps this table's).  Either way the findings below still say where and why.

**Guarantees.**  Each finding names the culprit instruction (PTX line, and the source line of
the last `.loc` when present), the wgmma and pipeline stage it conflicts with, the rule, why
ptxas reacts, and the fix.  Findings are reported for a version only where the rule has an
effect on that version (codes, serialization or an injected wait), except the rules of
category A (local memory traffic of accumulators) and PTX-ISA violations (a missing
`wgmma.fence`), which are always reported.  Exo-gpu's own kernels (immediate scale-d, peeled
first K block) get no finding on any pinned version.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.passes.levels import expect_level

# ------------------------------------------------------------------------------------ rules


def _key(version: str) -> tuple[int, int]:
    parts = str(version).split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


@dataclass(frozen=True)
class Effect:
    """What one ptxas version does: the codes it prints, whether it serializes the pipeline,
    and whether it inserts a wait (an extra WARPGROUP.DEPBAR) without serializing."""

    codes: tuple[str, ...] = ()
    serialized: bool = False
    injected_wait: bool = False

    @property
    def none(self) -> bool:
        return not self.codes and not self.serialized and not self.injected_wait

    def describe(self) -> str:
        if self.none:
            return "no effect"
        bits = []
        if self.codes:
            bits.append(" + ".join(self.codes))
        bits.append("serialized" if self.serialized else "not serialized")
        if self.injected_wait and not self.serialized:
            bits.append("wait injected")
        return ", ".join(bits)


NONE = Effect()


def graph_reaches(succ, start: int, stop, goal) -> bool:
    """Does some path from op `start` (not included) reach an op j with goal(j) before an op
    with stop(j)?  `succ[i]`: the successors of op i."""
    seen, work = set(), deque(succ[start] if start in succ or isinstance(succ, list) else [])
    while work:
        j = work.popleft()
        if j in seen:
            continue
        seen.add(j)
        if goal(j):
            return True
        if not stop(j):
            work.extend(succ[j])
    return False


def forward_dataflow(n: int, succ, step, entry, unreached) -> dict:
    """The state before each of `n` ops of a control-flow graph (`succ[i]`: the successors of
    op i), from `entry` before op 0, by a worklist to the fixed point: a state joins the
    output of `step(i, state)` of every predecessor.  Ops never reached are absent."""
    if not n:
        return {}
    before = {0: entry}
    work = deque([0])
    while work:
        i = work.popleft()
        out = step(i, before[i])
        for j in succ[i]:
            old = before.get(j, unreached)
            new = old.join(out)
            if new != old:
                before[j] = new
                work.append(j)
    return before


@dataclass(frozen=True)
class Rule:
    """One documented ptxas behaviour.  `effects` maps version ranges (inclusive CUDA minors)
    to an Effect; versions outside every range have no effect."""

    id: str
    title: str
    category: str  # "A": C++ compiler moved/spilled accumulators; "B": ptxas-side rejection; "ISA": PTX ISA rule
    why: str
    fix: str
    cases: tuple[str, ...]  # atlas cases that show it
    effects: tuple[tuple[str, str, Effect], ...]
    always_report: bool = False

    def effect(self, version: str) -> Effect:
        k = _key(version)
        for lo, hi, eff in self.effects:
            if _key(lo) <= k <= _key(hi):
                return eff
        return NONE


_SER = lambda *codes: Effect(tuple(codes), True)  # noqa: E731
_NOTE = lambda *codes: Effect(tuple(codes), False, True)  # noqa: E731
_SILENT_SER = Effect((), True)
_SILENT_WAIT = Effect((), False, True)

# The version ranges below are fitted to the atlas observations (see docs/ptxas-wgmma-rules.md).
RULES: dict[str, Rule] = {r.id: r for r in [
    Rule("acc-def-in-stage", "accumulator defined between two wgmmas of an open stage", "B",
         "ptxas must keep the wgmma's asynchronous write and the instruction's write of the same register "
         "apart, so it waits for every HGMMA (WARPGROUP.DEPBAR after each)",
         "do not touch accumulator registers between wgmma.fence and the wait_group that retires them; "
         "initialize before the stage's wgmma.fence, or use scale-d = 0 on the first wgmma",
         ("acc_def_between_mmas",),
         (("12.0", "12.4", _SER("C7515")), ("12.5", "13.9", _SILENT_SER))),
    Rule("acc-def-in-stage-fenced", "accumulator defined inside an open stage, then re-fenced before the next wgmma", "B",
         "the earlier wgmmas of the stage still write the register asynchronously; a wgmma.fence does not retire "
         "them, so ptxas serializes the stage (without a message on every version)",
         "do not touch accumulator registers between wgmma.fence and the wait_group that retires them",
         ("acc_def_between_mmas_fenced",),
         (("12.0", "13.9", _SILENT_SER),)),
    Rule("acc-def-in-flight", "accumulator defined while its wgmma group is committed but not retired", "B",
         "the register is written while the HGMMA that writes it may still be running; ptxas cannot order the "
         "two writes without waiting for each HGMMA",
         "move the instruction after a wait_group that retires the group (wait_group 0, or N lower than the "
         "number of groups committed since)",
         ("acc_def_after_commit", "acc_def_after_wait1"),
         (("12.0", "13.9", _SER("C7515")),)),
    Rule("acc-read-in-stage", "accumulator read before any wait_group since its wgmma", "B",
         "the value is not ready until a wait_group retires the wgmma; ptxas either serializes (older versions) "
         "or injects a wgmma.wait_group before the read (newer versions, note C7517)",
         "read accumulators only after a wait_group that retires their group",
         ("acc_read_between_mmas", "acc_read_after_commit", "mov_chain_migrated", "local_store_in_flight"),
         (("12.0", "12.4", _SER("C7514")), ("12.5", "13.9", _NOTE("C7517")))),
    Rule("acc-read-between-stages", "accumulator read after a wait_group that left its group pending, "
         "with more wgmmas on it to come", "B",
         "the read sits between two stages of the same accumulator chain; ptxas cannot inject a wait there "
         "without breaking the pipeline, so it serializes",
         "read after wait_group 0 (or a wait that retires the group); with wait_group 1 pipelining, read only "
         "after the final wait",
         ("acc_read_after_wait1", "local_roundtrip_in_flight"),
         (("12.0", "12.4", _SER("C7514")), ("12.5", "12.5", _NOTE("C7517")), ("12.6", "13.9", _SER("C7514")))),
    Rule("acc-read-after-pipeline", "accumulator read after the last wgmma of its chain without a wait that "
         "retires it", "B",
         "no wgmma follows, so ptxas injects the missing wait_group itself: silently (12.x) or with note C7517",
         "add the final wgmma.wait_group 0 before reading the accumulators",
         ("no_final_wait",),
         (("12.0", "12.4", _SILENT_WAIT), ("12.5", "13.9", _NOTE("C7517")))),
    Rule("wait-in-branch", "accumulator read after a wait_group that only some paths execute", "B",
         "on the paths that skip the wait the wgmma is still in flight; ptxas inserts a wait on a divergent "
         "path and serializes (C7514 on older versions, C7518 on newer)",
         "make the final wait_group 0 unconditional, in straight-line code before the epilogue",
         ("final_wait_in_branch",),
         (("12.0", "12.4", _SER("C7514")), ("12.5", "13.9", _SER("C7518")))),
    Rule("wait-in-uniform-branch", "accumulator read after a wait_group that only some paths execute, the "
         "condition being the same for the whole warpgroup", "B",
         "on the paths that skip the wait the wgmma is still in flight; the path is not divergent, so ptxas "
         "treats the read as one between stages (C7514) or, on 12.5, injects a wait (C7517)",
         "make the final wait_group 0 unconditional, in straight-line code before the epilogue",
         ("litmus: final or in-loop waits with guard br_prm",),
         (("12.0", "12.4", _SER("C7514")), ("12.5", "12.5", _NOTE("C7517")), ("12.6", "13.9", _SER("C7514")))),
    Rule("rs-a-redefined", "A fragment registers of an RS wgmma redefined while it is in flight", "B",
         "the wgmma reads its A registers asynchronously; redefining them before the wait is a race that ptxas "
         "resolves by serializing",
         "keep A fragments unchanged until a wait_group retires the wgmma, or double-buffer them",
         ("rs_a_rewritten_in_flight", "rs_a_rewritten_between_mmas"),
         (("12.0", "13.9", _SER("C7513")),)),
    Rule("acc-undefined-input", "a wgmma reads accumulators that are not defined on every path", "B",
         "scale-d is not the immediate 0, so the wgmma reads its accumulator; on the first iteration it is "
         "undefined and ptxas 12.x materializes a definition inside the pipeline stage",
         "peel the first K block with an immediate scale-d 0, or zero the accumulators before the loop",
         ("scale_d_runtime", "base_uninit"),
         (("12.0", "12.8", _SER("C7515")),)),
    Rule("group-spans-back-edge", "a commit group spans the loop back edge", "B",
         "a wgmma issued in one iteration is committed in the next; ptxas closes a group at the back edge and "
         "waits on each HGMMA",
         "commit (wgmma.commit_group) every stage inside the iteration that issued it",
         ("stage_across_back_edge",),
         (("12.0", "12.0", _SER("C7515")), ("12.1", "12.4", _SILENT_SER), ("12.5", "13.0", _SER("C7519")),
          ("13.1", "13.9", _SILENT_SER))),
    Rule("extern-call", "a call to an extern function in the kernel", "B",
         "ptxas cannot see the callee's register use, so it serializes every wgmma of the function",
         "inline the callee (define it in the same PTX / compile without -rdc) or move it to another kernel",
         ("extern_call_in_stage", "extern_call_outside_stage"),
         (("12.0", "13.9", _SER("C7509")),)),
    Rule("mma-divergent", "a wgmma under a predicate or branch that differs between the threads of a warpgroup", "B",
         "wgmma is warpgroup-wide (.sync.aligned); under a divergent condition ptxas must insert its own "
         "WARPGROUP.ARRIVE on the divergent path and serializes (silently before 12.5, C7520 on 12.5-13.0, "
         "C7519 with the same text on 13.1+)",
         "issue every wgmma unconditionally, or under a condition that is uniform across the warpgroup "
         "(e.g. derived from %tid.x / 128)",
         ("litmus: mmas with guard p_tid / br_tid",),
         (("12.0", "12.4", _SILENT_SER), ("12.5", "13.0", _SER("C7520")), ("13.1", "13.9", _SER("C7519")))),
    Rule("call-wgmma", "a call to a function that commits wgmma groups (its own stage, or a bare commit)", "B",
         "the callee's wgmma.commit_group closes groups of the caller's pipeline across the function boundary; "
         "ptxas serializes the pipeline (C7510), before any other check of the function",
         "keep every stage (fence, mmas, commit, wait) inside one function: inline the callee's wgmma code",
         ("litmus: call_wg / call_wgopen / call_wgcommit programs",),
         (("12.0", "13.9", _SER("C7510")),)),
    Rule("call-noninlined", "a call that ptxas cannot inline (recursion) in the kernel", "B",
         "a real call with the ABI's callee-saved registers and local stack; ptxas serializes the pipeline "
         "without a message",
         "remove the call from the kernel, or make the callee inlinable (no recursion)",
         ("call_in_stage", "call_outside_stage"),
         (("12.0", "13.9", _SILENT_SER),)),
    Rule("acc-local-memory", "accumulator registers stored to or loaded from local memory", "A",
         "the C++ compiler spilled or migrated the accumulator through local memory (e.g. an array with "
         "run-time indices); LDL/STL in SASS, and a race if it happens while the wgmma is in flight",
         "keep the accumulator in registers: scalar variables or fully unrolled constant indices, and "
         "`asm volatile(\"\" : \"+f\"(x) :: \"memory\")` fences around each stage (as CUTLASS does)",
         ("local_roundtrip_after_wait0", "local_store_in_flight", "local_roundtrip_in_flight"),
         (("12.0", "13.9", NONE),), always_report=True),
    Rule("missing-fence", "a wgmma whose registers were defined by another instruction since the last wgmma.fence",
         "ISA",
         "the PTX ISA requires wgmma.fence between a register access and a wgmma that accesses the same "
         "registers; ptxas 12.5-13.0 inject a WARPGROUP.ARRIVE (note C7519), the others say nothing",
         "issue wgmma.fence.sync.aligned at the start of every stage, after the last access of its registers",
         ("no_fence", "acc_def_between_mmas", "rs_a_rewritten_between_mmas"),
         (("12.5", "13.0", Effect(("C7519",))),), always_report=True),
]}


# ------------------------------------------------------------------------------------ findings


@dataclass
class Finding:
    rule: str
    category: str
    kernel: str
    line: int
    text: str
    source: str | None
    mma_line: int | None
    mma_text: str | None
    stage: str
    codes: tuple[str, ...]
    serialized: bool
    why: str
    fix: str
    detail: str = ""
    version: str = ""

    def to_json(self) -> dict:
        return {"rule": self.rule, "category": self.category, "line": self.line, "instruction": self.text,
                "source": self.source, "wgmma_line": self.mma_line, "wgmma": self.mma_text, "stage": self.stage,
                "codes": list(self.codes), "serialized": self.serialized, "detail": self.detail,
                "why": self.why, "fix": self.fix}

    def format(self) -> str:
        where = f"line {self.line}" + (f" ({self.source})" if self.source else "")
        eff = Effect(self.codes, self.serialized).describe()
        lines = [f"[{self.category}] {self.rule} at {where}: `{_short(self.text)}`  -> ptxas {self.version}: {eff}"]
        if self.detail:
            lines.append(f"    {self.detail}")
        if self.mma_line is not None:
            lines.append(f"    conflicts with the wgmma at line {self.mma_line} ({self.stage})")
        lines.append(f"    why: {self.why}")
        lines.append(f"    fix: {self.fix}")
        return "\n".join(lines)


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


@dataclass
class KernelVerdict:
    name: str
    version: str
    findings: list[Finding] = field(default_factory=list)
    fitted: object | None = None  # exo_gpu.ptxas.model.Verdict: the fitted model's answer, when it has one

    @property
    def codes(self) -> list[str]:
        """The codes ptxas prints: the fitted model's (exo_gpu.ptxas.model) when it is loaded,
        else those of the rule findings."""
        if self.fitted is not None:
            return list(self.fitted.codes)
        return self.rule_codes

    @property
    def rule_codes(self) -> list[str]:
        """The codes the RULES findings give: every note (C7517, C7519), and the serialization
        code of the first serializing finding only (ptxas reports one reason per function)."""
        # function-level reasons (calls) are checked before the dataflow ones, and an undefined
        # accumulator input (which ptxas defines inside the stage itself) before the others
        ordered = sorted(self.findings, key=lambda f: (f.rule not in _FUNCTION_RULES,
                                                       f.rule != "acc-undefined-input", f.line))
        first = next((f for f in ordered if any(c not in _NOTE_CODES for c in f.codes)), None)
        serial = {c for c in first.codes if c not in _NOTE_CODES} if first else set()
        # C7517 (an injected wait) is printed only before ptxas has decided to serialize
        notes = {c for f in ordered for c in f.codes if c in _NOTE_CODES
                 and (c != "C7517" or first is None or f.line <= first.line)}
        return sorted(notes | serial)

    @property
    def serialized(self) -> bool:
        if self.fitted is not None:
            return bool(self.fitted.serialized)
        return any(f.serialized for f in self.findings)

    @property
    def injected_wait(self) -> bool:
        """A wait injected without serializing (the fitted model only)."""
        return bool(self.fitted.injected_wait) if self.fitted is not None else False


# ------------------------------------------------------------------------------------ analysis

_CAP = 8  # commit counts are clamped here
_NOTE_CODES = frozenset({"C7517", "C7519"})
_FUNCTION_RULES = frozenset({"extern-call", "call-noninlined", "call-wgmma"})


@dataclass(frozen=True)
class _State:
    inflight: frozenset  # of (mma index, commits since issue, a wait passed that left it pending)
    retired: frozenset  # mma indices retired on some path since their last issue
    defined: frozenset | None  # registers defined on every path (None: unreached)
    touched: frozenset  # registers defined by non-wgmma instructions since the last wgmma.fence

    def join(self, other: "_State") -> "_State":
        if self.defined is None:
            return other
        if other.defined is None:
            return self
        return _State(self.inflight | other.inflight, self.retired | other.retired, self.defined & other.defined,
                      self.touched | other.touched)


_EMPTY = _State(frozenset(), frozenset(), None, frozenset())
FlowState, UNREACHED = _State, _EMPTY  # shared with exo_gpu.ptxas.flow_model's analysis


def _is(op, prefix: str) -> bool:
    return isinstance(op, ptx.OpaqueInstrOp) and op.opcode.data.startswith(prefix)


def _warpgroup_uniform(op) -> bool:
    """`shr x, >=7` or `div x, 128k`: from %tid.x, the same value for a whole warpgroup."""
    oc, args = op.opcode.data, op.args
    try:
        k = int(args[-1], 0)
    except (IndexError, ValueError):
        return False
    return (oc.startswith("shr") and k >= 7) or (oc.startswith("div") and k > 0 and k % 128 == 0)


def _wait_n(op) -> int:
    try:
        return int(op.args[0])
    except (IndexError, ValueError):
        return 0


class _Function:
    """The CFG and facts of one flat function."""

    def __init__(self, func: ptx.FlatFuncOp, funcs: dict[str, ptx.FlatFuncOp], version: str):
        self.version = version
        self.func = func
        self.name = func.sym_name.data
        self.ops = list(func.body.block.ops)
        self.funcs = funcs
        self.mmas = [i for i, op in enumerate(self.ops) if isinstance(op, ptx.ForeignMmaOp)]
        self.acc_of = {i: frozenset(self.ops[i].acc_regs) for i in self.mmas}
        self.all_acc = frozenset().union(*self.acc_of.values()) if self.mmas else frozenset()
        self.all_a = frozenset(r for i in self.mmas for r in self.ops[i].a_fragment)
        labels = {op.label.data: i for i, op in enumerate(self.ops) if isinstance(op, ptx.FlatLabelOp)}
        self.labels = labels
        self.succ: dict[int, list[int]] = {}
        n = len(self.ops)
        for i, op in enumerate(self.ops):
            if isinstance(op, ptx.FlatBranchOp):
                t = labels.get(op.target.data)
                s = [t] if t is not None else []
                if op.guard is not None:
                    s.append(i + 1)
                self.succ[i] = [x for x in s if x < n]
            elif _is(op, "ret") or _is(op, "exit") or _is(op, "trap"):
                self.succ[i] = [] if op.guard is None else [i + 1] if i + 1 < n else []
            else:
                self.succ[i] = [i + 1] if i + 1 < n else []
        # per-op facts the fixpoint reads many times (the xDSL properties rebuild lists on each access)
        self.rd = [tuple(op.read_regs) if isinstance(op, ptx.OpaqueInstrOp) else () for op in self.ops]
        self.wr = [tuple(op.write_regs) if isinstance(op, ptx.OpaqueInstrOp) else () for op in self.ops]
        self.opc = [op.opcode.data if isinstance(op, ptx.OpaqueInstrOp) else "" for op in self.ops]
        self.noop_movs = self._identity_round_trips()

    # ---------------------------------------------------------------- facts

    def _identity_round_trips(self) -> set[int]:
        """`mov X, ACC; mov ACC, X` with X used nowhere else: ptxas coalesces it away."""
        out: set[int] = set()
        uses: dict[str, int] = {}
        for op in self.ops:
            if isinstance(op, ptx.OpaqueInstrOp):
                for r in op.read_regs:
                    uses[r] = uses.get(r, 0) + 1
        for i, op in enumerate(self.ops[:-1]):
            nxt = self.ops[i + 1]
            if (_is(op, "mov") and _is(nxt, "mov") and len(op.write_regs) == 1 and len(op.read_regs) == 1
                    and op.read_regs[0] in self.all_acc and nxt.write_regs == op.read_regs
                    and nxt.read_regs == op.write_regs and uses.get(op.write_regs[0], 0) == 1):
                out |= {i, i + 1}
        return out

    def by_reg(self, s: _State) -> dict[str, list[tuple[int, int, bool]]]:
        """The in-flight entries of each accumulator register (memoized per in-flight set;
        callers must not modify the result)."""
        cache = self.__dict__.setdefault("_by_reg", {})
        out = cache.get(s.inflight)
        if out is None:
            out = {}
            for m, c, w in s.inflight:
                for r in self.acc_of[m]:
                    out.setdefault(r, []).append((m, c, w))
            cache[s.inflight] = out
        return out

    def classify_read(self, i: int, s: _State) -> tuple[str, tuple[int, int, bool], str] | None:
        """The read rule an instruction triggers in state s: (rule, in-flight entry, register)."""
        op = self.ops[i]
        if not isinstance(op, ptx.OpaqueInstrOp) or i in self.noop_movs or not s.inflight:
            return None
        by_reg = self.by_reg(s)
        rregs = [r for r in self.rd[i] if r in by_reg]
        if not rregs:
            return None
        entries = [e for r in rregs for e in by_reg[r]]
        maybe = [e for e in entries if e[0] in s.retired]
        if maybe:
            uniform = not any(self.opc[j].startswith("wgmma.wait_group") and self.divergent(j)
                              for j in range(len(self.ops)))
            return ("wait-in-uniform-branch" if uniform else "wait-in-branch"), maybe[0], rregs[0]
        young = _youngest(entries)
        if young[1] == 0 or not young[2]:
            return "acc-read-in-stage", young, rregs[0]
        if self.later_mma_on(i, set(rregs)):
            return "acc-read-between-stages", young, rregs[0]
        return "acc-read-after-pipeline", young, rregs[0]

    def step(self, i: int, s: _State) -> _State:
        op = self.ops[i]
        inflight, retired, defined, touched = s.inflight, s.retired, s.defined or frozenset(), s.touched
        if isinstance(op, ptx.ForeignMmaOp):
            inflight = frozenset(e for e in inflight if e[0] != i) | {(i, 0, False)}
            retired = retired - {i}
            defined = defined | self.acc_of[i]
        elif self.opc[i].startswith("wgmma.fence"):
            touched = frozenset()
        elif self.opc[i].startswith("wgmma.commit_group"):
            inflight = frozenset((m, min(c + 1, _CAP), w) for m, c, w in inflight)
        elif self.opc[i].startswith("wgmma.wait_group"):
            n = _wait_n(op)
            kept, gone = set(), set()
            for m, c, w in inflight:
                c = max(c, 1)  # a wait commits an open group
                (gone.add(m) if c > n else kept.add((m, c, True)))
            inflight, retired = frozenset(kept), retired | gone
        elif isinstance(op, ptx.OpaqueInstrOp) and i not in self.noop_movs:
            read = self.classify_read(i, s)
            if read is not None:
                eff = RULES[read[0]].effect(self.version)
                if eff.injected_wait and not eff.serialized:
                    # this ptxas injects a wait_group before the read: everything in flight retires
                    retired = retired | {m for m, _, _ in inflight}
                    inflight = frozenset()
            if self.wr[i]:
                defined = defined | set(self.wr[i])
                hit = set(self.wr[i]) & (self.all_acc | self.all_a)
                if hit:
                    touched = touched | hit
        return _State(inflight, retired, defined, touched)

    def solve(self) -> dict[int, _State]:
        """The state before each op (the dataflow fixpoint; computed once)."""
        if getattr(self, "_solved", None) is None:
            self._solved = self._solve()
        return self._solved

    def _solve(self) -> dict[int, _State]:
        return forward_dataflow(len(self.ops), self.succ, self.step,
                                _State(frozenset(), frozenset(), frozenset(), frozenset()), _EMPTY)

    def reaches(self, start: int, stop, goal) -> bool:
        """Does some path from op `start` reach an op where goal(op) holds before stop(op)?"""
        return graph_reaches(self.succ, start, stop, goal)

    def def_reaches_fence_first(self, i: int, regs: set[str]) -> bool:
        """Every path from op i meets a wgmma.fence before anything else touches `regs`, before a
        wait_group, and before the function ends."""
        def bad(j: int) -> bool:
            op = self.ops[j]
            if isinstance(op, ptx.ForeignMmaOp):
                return bool(set(op.acc_regs) & regs)
            if _is(op, "wgmma.wait_group") or _is(op, "ret") or _is(op, "exit"):
                return True
            if isinstance(op, ptx.OpaqueInstrOp):
                return bool((set(op.read_regs) | set(op.write_regs)) & regs)
            return False
        fence = lambda j: _is(self.ops[j], "wgmma.fence")  # noqa: E731
        if not self.succ.get(i):
            return False
        return not self.reaches(i, fence, lambda j: not fence(j) and (bad(j) or not self.succ[j]))

    def later_mma_on(self, i: int, regs: set[str]) -> bool:
        return self.reaches(i, lambda j: False,
                            lambda j: isinstance(self.ops[j], ptx.ForeignMmaOp) and bool(set(self.ops[j].acc_regs) & regs))

    def stage_of(self, m: int) -> str:
        for j in range(m - 1, -1, -1):
            if _is(self.ops[j], "wgmma.fence"):
                return f"stage opened by wgmma.fence at line {self.ops[j].ptx_line}"
        return "stage with no wgmma.fence before it"

    def tainted(self) -> frozenset:
        """Registers that may differ between the threads of a warpgroup (derived from %tid, but
        not through a shift by >= 7 bits or a division by a multiple of 128: the warpgroup index)."""
        if getattr(self, "_taint", None) is None:
            taint: set[str] = set()
            for _ in range(3):
                for i, op in enumerate(self.ops):
                    if not self.wr[i] or _warpgroup_uniform(op):
                        continue
                    if any(a in x for x in op.args for a in ("%tid", "%laneid", "%warpid")) or set(self.rd[i]) & taint:
                        taint |= set(self.wr[i])
            self._taint = frozenset(taint)
        return self._taint

    def divergent(self, i: int) -> bool:
        """Op i runs under a %tid-dependent guard, or inside a forward branch on one."""
        taint, op = self.tainted(), self.ops[i]
        if op.guard is not None and op.guard.data.lstrip("!") in taint:
            return True
        for j in range(i - 1, -1, -1):
            b = self.ops[j]
            if isinstance(b, ptx.FlatBranchOp) and b.guard is not None and b.guard.data.lstrip("!") in taint:
                t = self.labels.get(b.target.data)
                if t is not None and j < i < t:
                    return True
        return False

    def recursive(self, name: str) -> bool:
        seen, work = set(), [name]
        while work:
            f = work.pop()
            fn = self.funcs.get(f)
            if fn is None:
                continue
            for op in fn.body.block.ops:
                if isinstance(op, ptx.OpaqueInstrOp) and op.callee is not None:
                    c = op.callee.data
                    if c == name:
                        return True
                    if c not in seen:
                        seen.add(c)
                        work.append(c)
        return False


@dataclass
class _Event:
    rule: str
    op: int
    mma: int | None = None
    detail: str = ""


def _youngest(entries):
    """The most recently issued in-flight wgmma among entries: fewest commits since, no wait yet."""
    return min(entries, key=lambda e: (e[1], e[2], -e[0]))


def _status(c: int, waited: bool) -> str:
    if c == 0:
        return "issued, its group not yet committed"
    if waited:
        return "committed, and a wait_group passed that left it pending"
    return "committed, not yet retired by any wait_group"


def analyze(fn: _Function) -> list[_Event]:
    """The rule events of one function for its ptxas version."""
    before = fn.solve()
    events: list[_Event] = []
    for i, op in enumerate(fn.ops):
        s = before.get(i)
        if s is None:
            continue  # unreachable
        by_reg = fn.by_reg(s)
        if isinstance(op, ptx.ForeignMmaOp):
            reads_acc = op.scale_d.data != "0"
            undefined = [r for r in op.acc_regs if r not in (s.defined or frozenset())]
            if reads_acc and undefined:
                how = "a run-time scale-d" if op.scale_d.data not in ("1",) else "scale-d 1"
                events.append(_Event("acc-undefined-input", i, i,
                                     f"{how} ({op.scale_d.data}) makes it read {len(undefined)} accumulator register(s) "
                                     f"not defined on every path, e.g. {undefined[0]}"))
            if fn.divergent(i):
                events.append(_Event("mma-divergent", i, i, "the wgmma's guard or enclosing branch depends on %tid"))
            touched = sorted((set(op.acc_regs) | set(op.a_fragment)) & s.touched)
            if touched:
                events.append(_Event("missing-fence", i, i, f"{touched[0]} was defined by another instruction since "
                                                            f"the last wgmma.fence"))
            continue
        if isinstance(op, ptx.FlatBranchOp):
            for j in fn.succ[i]:
                if j <= i:  # a back edge
                    open_ = sorted(m for m, c, _ in s.inflight if c == 0)
                    if open_:
                        events.append(_Event("group-spans-back-edge", i, open_[0],
                                             "the wgmma's group is still open when the loop jumps back"))
            continue
        if not isinstance(op, ptx.OpaqueInstrOp):
            continue
        if op.callee is not None:
            callee = op.callee.data
            target = fn.funcs.get(callee)
            if target is None or target.extern.value.data:
                events.append(_Event("extern-call", i, None, f"calls extern function '{callee}'"))
            elif fn.recursive(callee):
                events.append(_Event("call-noninlined", i, None, f"calls '{callee}', which is recursive"))
            elif any(_is(o, "wgmma.commit_group") for o in target.body.block.ops):
                events.append(_Event("call-wgmma", i, None, f"calls '{callee}', which commits a wgmma group"))
        if i in fn.noop_movs:
            continue
        opcode = op.opcode.data
        acc_rw = (set(op.read_regs) | set(op.write_regs)) & fn.all_acc
        if acc_rw and (opcode.startswith("st.local") or opcode.startswith("ld.local")):
            st = opcode.startswith("st")
            events.append(_Event("acc-local-memory", i, None,
                                 f"{'stores' if st else 'loads'} accumulator register(s) {', '.join(sorted(acc_rw)[:4])} "
                                 f"{'to' if st else 'from'} local memory"))
        # reads of in-flight accumulators (before the defs: `add.f32 %f1, %f1, ...` reads first)
        read = fn.classify_read(i, s)
        if read is not None:
            rule, (m, c, w), reg = read
            detail = (f"reads {reg}: retired by a wait_group on some paths, still in flight on others"
                      if rule.startswith("wait-in-") else f"reads {reg} while the wgmma is {_status(c, w)}")
            events.append(_Event(rule, i, m, detail))
            eff = RULES[rule].effect(fn.version)
            if eff.injected_wait and not eff.serialized:
                by_reg = {}  # ptxas retires everything here before the instruction
        # defined accumulators
        wdefs = [r for r in op.write_regs if r in by_reg]
        if wdefs:
            m, c, w = _youngest([e for r in wdefs for e in by_reg[r]])
            fenced = fn.def_reaches_fence_first(i, set(wdefs))
            if c == 0:
                rule = "acc-def-in-stage-fenced" if fenced else "acc-def-in-stage"
            else:
                rule = None if fenced else "acc-def-in-flight"
            if rule is not None:
                events.append(_Event(rule, i, m, f"defines {wdefs[0]} while the wgmma is {_status(c, w)}"))
        # RS A fragments
        for m, c, w in sorted(s.inflight):
            a = set(fn.ops[m].a_fragment) & set(op.write_regs)
            if a:
                events.append(_Event("rs-a-redefined", i, m, f"defines A register {sorted(a)[0]} while the wgmma is "
                                                             f"{_status(c, w)}"))
                break
    return events


def verify_module(module: ModuleOp, cuda: str, fitted: bool | None = None) -> list[KernelVerdict]:
    """Findings for ptxas `cuda` of every `.entry` in a module of flat `ptx.func` ops; with the
    fitted model (opt-in: $EXO_GPU_PTXAS_MODEL=fitted or fitted=True),
    the verdict's codes and serialization are the model's, and a verdict the findings do not
    explain gets a `fitted-rule` finding naming the rule."""
    from exo_gpu.ptxas import model_glue

    funcs = {op.sym_name.data: op for op in module.ops if isinstance(op, ptx.FlatFuncOp)}
    verdicts = []
    for name, func in funcs.items():
        if func.kind.data != "entry":
            continue
        verdict = rule_verdict(_Function(func, funcs, cuda))
        model_glue.attach(verdict, func, funcs, cuda, fitted)
        verdicts.append(verdict)
    return verdicts


def rule_verdict(fn: _Function) -> KernelVerdict:
    """The RULES findings of one function for its ptxas version (`fn.version`)."""
    cuda, name = fn.version, fn.name
    verdict = KernelVerdict(name, cuda)
    seen: set[tuple[str, int]] = set()
    for ev in analyze(fn):
        rule = RULES[ev.rule]
        eff = rule.effect(cuda)
        if eff.none and not rule.always_report:
            continue
        if (ev.rule, ev.op) in seen:
            continue
        seen.add((ev.rule, ev.op))
        op = fn.ops[ev.op]
        mma = fn.ops[ev.mma] if ev.mma is not None else None
        category = rule.category
        if category == "B" and isinstance(op, ptx.OpaqueInstrOp) and op.opcode.data.startswith(("mov", "ld.local", "st.local")):
            category = "A"  # the C++ compiler moved or spilled the accumulator
        verdict.findings.append(Finding(
            ev.rule, category, name, op.ptx_line, op.text.data, op.source,
            mma.ptx_line if mma is not None else None, mma.text.data if mma is not None else None,
            fn.stage_of(ev.mma) if ev.mma is not None else "", eff.codes, eff.serialized, rule.why, rule.fix,
            ev.detail, cuda))
    return verdict


def verify_text(text: str, cuda: str, filename: str = "<ptx>", fitted: bool | None = None) -> list[KernelVerdict]:
    """Read PTX text and verify every kernel in it for ptxas `cuda` (a minor like "12.3", or
    "13.x"); raises exo_gpu.ptxas.reader.PtxReadError on PTX the reader cannot read."""
    from exo_gpu.ptxas.reader import read_ptx

    return verify_module(read_ptx(text, filename).module, _minor(cuda), fitted)


def _minor(cuda: str) -> str:
    try:
        from exo_gpu.ptxas import toolchain

        return toolchain.resolve(cuda).cuda
    except Exception:
        parts = str(cuda).split(".")
        return ".".join(parts[:2])


@dataclass(frozen=True)
class VerifyWgmmaPipelinePass(ModulePass):
    """Run the model on the module's kernels for ptxas `cuda`; with `strict` (the default) any
    finding that predicts a code or serialization fails the pass with a one-line error naming
    the first one, otherwise findings are printed to stderr as warnings.  Works on flat
    `ptx.func` modules and on exo-gpu's `ptx.entry` modules after assign-registers."""

    name = "verify-wgmma-pipeline"
    cuda: str = "12.3"
    strict: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from exo_gpu.ptxas import toolchain

        try:
            toolchain.resolve(self.cuda)
        except toolchain.ToolchainError:
            raise DiagnosticException(
                f"verify-wgmma-pipeline: cuda=\"{self.cuda}\" is not a pinned ptxas version: write one of "
                f"{', '.join(toolchain.pinned_versions())} or 13.x, quoted: verify-wgmma-pipeline{{cuda=\"12.3\"}}") from None
        if not any(isinstance(o, ptx.FlatFuncOp) for o in op.ops):  # foreign PTX read by exo_gpu.ptxas.reader
            expect_level(op, "verify-wgmma-pipeline", "assigned")
        verdicts = verify_ir(op, self.cuda)
        bad = [f for v in verdicts for f in v.findings if f.codes or f.serialized or f.category != "B"]
        if not bad:
            return
        first = bad[0]
        msg = (f"verify-wgmma-pipeline: kernel '{first.kernel}': {first.rule} at PTX line {first.line}"
               f"{f' ({first.source})' if first.source else ''}: ptxas {first.version} "
               f"{Effect(first.codes, first.serialized).describe()}; fix: {first.fix}"
               + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""))
        if self.strict:
            raise DiagnosticException(msg)
        print(f"exo-gpu: warning: {msg}", file=sys.stderr)


def verify_ir(module: ModuleOp, cuda: str) -> list[KernelVerdict]:
    """Verify a module that holds either flat `ptx.func` ops or exo-gpu `ptx.entry` ops."""
    if any(isinstance(o, ptx.FlatFuncOp) for o in module.ops):
        return verify_module(module, _minor(cuda))
    from exo_gpu.passes.emit_ptx import print_ptx

    return verify_text(print_ptx(module), cuda, "<exo-gpu>")
