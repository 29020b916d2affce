"""Context features of a kernel's wgmma pipeline, for the fitted ptxas model (`exo_gpu.ptxas.model`).

The `verify-wgmma-pipeline` dataflow analysis (`passes/verify_wgmma_pipeline.py`) finds *events*:
an instruction that defines or reads an accumulator register of an in-flight wgmma, a wgmma
reading undefined accumulators, a group open across a back edge, a call, ...  Whether ptxas
reacts to an event, and how, depends on its context and on the ptxas version, so this module
turns each kernel into a set of named boolean features:

* ``E:<rule>``: an event of that rule occurs (the analysis is run once per *injection regime*:
  the ptxas versions that inject a wait before an in-stage read, 12.5 and 12.6+ behave
  differently from 12.0-12.4, and an injected wait retires everything in flight);
* ``E:<rule>|<context>``: the same, qualified by the culprit's opcode class (``mov``, ``local``,
  ``arith``, ``store``, ``call``), by whether it sits in a loop or under a forward branch, by
  whether it is the first event in program order (ptxas reports one reason per function);
* ``H:<verdict>``: what the hand-written RULES table of `verify-wgmma-pipeline` predicts for
  the version (``H:code=C7515``, ``H:ser``, ``H:C7517``, ``H:wait``), so that fitted rules can
  start from it and add the exceptions;
* ``G:<fact>``: whole-kernel facts: calls (extern, recursive, inlinable), register budget
  (``.maxnreg``) against accumulator demand, scale-d kinds, fences, waits and their positions,
  accumulators of several tiles, RS (register A) wgmmas.

Every feature is a plain string, so the fitted rules that use them stay readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exo_gpu.dialects import ptx

# the ptxas versions of each injection regime of `verify-wgmma-pipeline` (see its RULES table)
REGIMES = {"r12.0": "12.4", "r12.5": "12.5", "r12.6": "13.5"}


def regime(version: str) -> str:
    """The injection regime of a ptxas version ("12.3" -> "r12.0")."""
    major, minor = (int(x) for x in str(version).split(".")[:2])
    if (major, minor) <= (12, 4):
        return "r12.0"
    return "r12.5" if (major, minor) == (12, 5) else "r12.6"


@dataclass
class KernelFeatures:
    """The features of one `.entry`: `common` for every version, `by_regime` per regime."""

    name: str
    common: frozenset[str]
    by_regime: dict[str, frozenset[str]]
    by_version: dict[str, frozenset[str]]  # H: what the hand-written RULES table predicts

    def for_version(self, version: str) -> frozenset[str]:
        h = self.by_version.get(version)
        if h is None and self.by_version:  # an unpinned version: the nearest pinned one below
            key = _vkey(version)
            below = [v for v in self.by_version if _vkey(v) <= key] or list(self.by_version)
            h = self.by_version[max(below, key=_vkey)]
        return self.common | self.by_regime[regime(version)] | (h or frozenset())

    def to_json(self) -> dict:
        return {"name": self.name, "common": sorted(self.common),
                "by_regime": {k: sorted(v) for k, v in self.by_regime.items()},
                "by_version": {k: sorted(v) for k, v in self.by_version.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "KernelFeatures":
        return cls(d["name"], frozenset(d["common"]), {k: frozenset(v) for k, v in d["by_regime"].items()},
                   {k: frozenset(v) for k, v in d.get("by_version", {}).items()})


def _vkey(v: str) -> tuple[int, int]:
    a, b = (str(v).split(".") + ["0"])[:2]
    return int(a), int(b)


def _opclass(op) -> str:
    if isinstance(op, ptx.ForeignMmaOp):
        return "wgmma"
    if not isinstance(op, ptx.OpaqueInstrOp):
        return "other"
    oc = op.opcode.data
    if op.callee is not None or oc.startswith("call"):
        return "call"
    if oc.startswith(("ld.local", "st.local")):
        return "local"
    if oc.startswith(("mov", "cvt")):
        return "mov"
    if oc.startswith(("st.", "red.", "atom.")):
        return "store"
    if oc.startswith(("ld.",)):
        return "load"
    if oc.startswith("wgmma"):
        return "wgmma"
    return "arith"


class _Layout:
    """Loops (back-edge intervals) and forward-branch regions of a flat function."""

    def __init__(self, fn):
        ops = fn.ops
        labels = {op.label.data: i for i, op in enumerate(ops) if isinstance(op, ptx.FlatLabelOp)}
        self.loops: list[tuple[int, int]] = []
        self.branches: list[tuple[int, int]] = []
        for i, op in enumerate(ops):
            if isinstance(op, ptx.FlatBranchOp):
                t = labels.get(op.target.data)
                if t is None:
                    continue
                if t <= i:
                    self.loops.append((t, i))
                elif op.guard is not None:
                    self.branches.append((i, t))

    def in_loop(self, i: int) -> bool:
        return any(a <= i <= b for a, b in self.loops)

    def in_branch(self, i: int) -> bool:
        """Under a conditional forward branch that does not exit a loop (the loop's exit test)."""
        return any(a < i < b and not any(la <= a <= lb < b for la, lb in self.loops) for a, b in self.branches)


def _event_features(fn, events, layout: _Layout) -> set[str]:
    out: set[str] = set()
    ordered = sorted(events, key=lambda e: (fn.ops[e.op].ptx_line, e.rule))
    for k, ev in enumerate(ordered):
        op = fn.ops[ev.op]
        base = f"E:{ev.rule}"
        out.add(base)
        out.add(f"{base}|{_opclass(op)}")
        out.add(f"{base}|{'loop' if layout.in_loop(ev.op) else 'straight'}")
        if layout.in_branch(ev.op):
            out.add(f"{base}|branch")
        if k == 0:
            out.add(f"first:{ev.rule}")
        if ev.mma is not None and ev.mma != ev.op:
            mma = fn.ops[ev.mma]
            regs = set(getattr(op, "read_regs", [])) | set(getattr(op, "write_regs", []))
            if not (regs & set(mma.acc_regs)) and ev.rule.startswith("acc-"):
                out.add(f"{base}|other-tile")
    return out


def _register_features(fn) -> set[str]:
    out: set[str] = set()
    maxnreg = None
    for d in fn.func.directives.data:
        m = re.match(r"\.maxnreg\s+(\d+)", d.data)
        if m:
            maxnreg = int(m[1])
    acc = len(fn.all_acc)
    others = set()
    for op in fn.ops:
        if isinstance(op, ptx.OpaqueInstrOp):
            others |= set(op.read_regs) | set(op.write_regs)
    nonacc = len(others - fn.all_acc - fn.all_a)
    out |= {f"G:acc>={e}" for e in (8, 16, 32, 64, 96, 128, 160, 192, 224, 256) if acc >= e}
    if maxnreg is None:
        out.add("G:maxnreg=none")
        return out
    out.add("G:maxnreg")
    out |= {f"G:maxnreg<={e}" for e in (24, 32, 40, 48, 64, 96, 128, 168, 200, 240) if maxnreg <= e}
    slack = maxnreg - acc
    out |= {f"G:slack<={e}" for e in (-32, 0, 8, 16, 24, 32, 48, 64, 96) if slack <= e}
    rest = slack - min(nonacc, 64)
    out |= {f"G:slack-nonacc<={e}" for e in (-16, -8, 0, 8, 16, 32) if rest <= e}
    return out


def _global_features(fn, layout: _Layout) -> set[str]:
    out = _register_features(fn)
    mmas = [fn.ops[i] for i in fn.mmas]
    if not mmas:
        out.add("G:no-wgmma")
        return out
    out.add(f"G:tiles={min(len({tuple(m.acc_regs) for m in mmas}), 3)}")
    out.add(f"G:mmas={min(len(mmas), 3)}")
    if any(m.a_fragment for m in mmas):
        out.add("G:rs")
    for i in fn.mmas:
        sd = fn.ops[i].scale_d.data
        kind = "0" if sd == "0" else "1" if sd == "1" else "pred"
        out.add(f"G:scale-d={kind}|{'loop' if layout.in_loop(i) else 'straight'}")
    waits = [(i, op) for i, op in enumerate(fn.ops) if _is(op, "wgmma.wait_group")]
    fences = [i for i, op in enumerate(fn.ops) if _is(op, "wgmma.fence")]
    commits = [i for i, op in enumerate(fn.ops) if _is(op, "wgmma.commit_group")]
    if not fences:
        out.add("G:no-fence")
    if not commits:
        out.add("G:no-commit")
    if not waits:
        out.add("G:no-wait")
    for i, op in waits:
        n = op.args[0] if op.args else "0"
        where = "loop" if layout.in_loop(i) else "straight"
        out.add(f"G:wait{n}|{where}")
        if layout.in_branch(i):
            out.add(f"G:wait|branch|{where}")
    last_mma = max(fn.mmas)
    if not any(i > last_mma for i, _ in waits):
        out.add("G:no-wait-after-last-wgmma")
    for i, op in enumerate(fn.ops):
        if isinstance(op, ptx.OpaqueInstrOp) and op.callee is not None:
            callee = op.callee.data
            target = fn.funcs.get(callee)
            where = "loop" if layout.in_loop(i) else "straight"
            if target is None or target.extern.value.data:
                out.add(f"G:call-extern|{where}")
            elif fn.recursive(callee):
                out.add(f"G:call-recursive|{where}")
            else:
                out.add(f"G:call-inlinable|{where}")
    return out


def _is(op, prefix: str) -> bool:
    return isinstance(op, ptx.OpaqueInstrOp) and op.opcode.data.startswith(prefix)


def _stage_features(fn) -> set[str]:
    """Non-wgmma accesses of *any* accumulator register while some wgmma group is open (issued,
    not yet committed), whether or not the touched register belongs to an in-flight wgmma."""
    out: set[str] = set()
    before = fn.solve()
    for i, op in enumerate(fn.ops):
        s = before.get(i)
        if s is None or not isinstance(op, ptx.OpaqueInstrOp) or i in fn.noop_movs:
            continue
        open_ = [m for m, c, _ in s.inflight if c == 0]
        flying = {m for m, _, _ in s.inflight}
        w = set(op.write_regs) & fn.all_acc
        r = set(op.read_regs) & fn.all_acc
        if not flying:
            continue
        where = "open" if open_ else "committed"
        infl = set().union(*(fn.acc_of[m] for m in flying))
        if w - infl:
            out.add(f"S:def-idle-acc|{where}")
        if r - infl:
            out.add(f"S:read-idle-acc|{where}")
        if set(op.write_regs) & fn.all_a - set().union(*(set(fn.ops[m].a_fragment) for m in flying)):
            out.add(f"S:def-idle-a|{where}")
    return out


def _callee_kind(fn, callee: str) -> str:
    target = fn.funcs.get(callee)
    if target is None or target.extern.value.data:
        return "extern"
    if fn.recursive(callee):
        return "recursive"
    ops = list(target.body.block.ops)
    mma = any(isinstance(o, ptx.ForeignMmaOp) for o in ops)
    opcodes = {o.opcode.data.split(".")[1] for o in ops if _is(o, "wgmma.")}
    if mma and "wait_group" in opcodes:
        return "wgmma-stage"
    if mma and "commit_group" in opcodes:
        return "wgmma-open"
    if mma:
        return "wgmma-bare"
    if "wait_group" in opcodes:
        return "wait"
    if "commit_group" in opcodes:
        return "commit"
    if "fence" in opcodes:
        return "fence"
    return "plain"


def _call_features(fn, layout: _Layout) -> set[str]:
    """Calls by what the callee holds (wgmma, a wait, a commit, nothing) and the pipeline
    state at the call (wgmmas in flight, a group open)."""
    out: set[str] = set()
    before = fn.solve()
    for i, op in enumerate(fn.ops):
        if not (isinstance(op, ptx.OpaqueInstrOp) and op.callee is not None) or before.get(i) is None:
            continue
        kind = _callee_kind(fn, op.callee.data)
        s = before[i]
        state = "open" if any(c == 0 for _, c, _ in s.inflight) else "inflight" if s.inflight else "idle"
        later = any(fn.reaches(i, lambda j: False, lambda j: isinstance(fn.ops[j], ptx.ForeignMmaOp)) for _ in (0,))
        out.add(f"C:{kind}")
        out.add(f"C:{kind}|{state}")
        out.add(f"C:{kind}|{'loop' if layout.in_loop(i) else 'straight'}")
        if later:
            out.add(f"C:{kind}|mma-after")
        if op.guard is not None or layout.in_branch(i):
            out.add(f"C:{kind}|guarded")
    return out


def _guard_features(fn, layout: _Layout) -> set[str]:
    """Predicated and branched-around wgmma instructions, waits, commits and culprits, split
    by whether the condition is divergent (derived from %tid) or uniform."""
    out: set[str] = set()
    taint = fn.tainted()

    def div(pred: str | None) -> str:
        return "div" if pred and pred.lstrip("!") in taint else "uni"

    branch_div = {}
    for i, op in enumerate(fn.ops):
        if isinstance(op, ptx.FlatBranchOp) and op.guard is not None:
            branch_div[i] = div(op.guard.data)
    for i, op in enumerate(fn.ops):
        what = None
        if isinstance(op, ptx.ForeignMmaOp):
            what = "mma"
        elif _is(op, "wgmma."):
            what = op.opcode.data.split(".")[1]
        if what is None:
            continue
        if op.guard is not None:
            out.add(f"P:{what}|pred-{div(op.guard.data)}")
        for a, b in layout.branches:
            if a < i < b and not any(la <= a <= lb < b for la, lb in layout.loops):
                # a branch around a whole pipeline (fence and commit inside too) is no hazard
                whole = any(_is(o, "wgmma.fence") for o in fn.ops[a:b]) and \
                    any(_is(o, "wgmma.commit_group") for o in fn.ops[a:b])
                out.add(f"P:{what}|{'pipeline-in-branch' if whole else 'branch'}-{branch_div.get(a, 'uni')}")
    def div_branch(i: int) -> bool:
        return any(a < i < b and branch_div.get(a) == "div" and not any(la <= a <= lb < b for la, lb in layout.loops)
                   for a, b in layout.branches)

    if not any(_is(op, "wgmma.wait_group") and (op.guard is None or div(op.guard.data) == "uni") and not div_branch(i)
               for i, op in enumerate(fn.ops) if i > max(fn.mmas, default=-1)):
        out.add("P:no-unconditional-final-wait")
    if any(_is(op, ".pragma") and "nounroll" in op.text.data for op in fn.ops):
        out.add("G:nounroll")
    if layout.loops:
        out.add("G:loop|" + ("bottom" if any(fn.ops[b].guard is not None for _, b in layout.loops) else "top"))
    else:
        out.add("G:loop|none")
    for a, b in layout.loops:  # ptxas's unrolling (and so the SASS counts) depends on the loop's size
        size = sum(1 for o in fn.ops[a:b + 1] if isinstance(o, (ptx.OpaqueInstrOp, ptx.ForeignMmaOp)))
        out |= {f"G:loop-size<={e}" for e in (12, 20, 30, 45, 70, 100) if size <= e}
        nm = sum(1 for o in fn.ops[a:b + 1] if isinstance(o, ptx.ForeignMmaOp))
        out |= {f"G:loop-mmas<={e}" for e in (1, 2, 3, 5) if nm <= e}
        # when ptxas unrolls the loop, one-mma groups look serialized in SASS (every HGMMA with
        # gsb0) and each copy of an in-loop wait counts as an injected one
        nc = sum(1 for o in fn.ops[a:b + 1] if _is(o, "wgmma.commit_group"))
        if nc and nm == nc:
            out.add("G:loop-groups-of-1-mma")
        if any(_is(o, "wgmma.wait_group") for o in fn.ops[a:b + 1]):
            out.add("G:loop-has-wait")
    prev = None
    for i, op in enumerate(fn.ops):  # the order of wgmma instructions in the text
        kind = "mma" if isinstance(op, ptx.ForeignMmaOp) else op.opcode.data.split(".")[1] \
            if _is(op, "wgmma.") else None
        if kind is None:
            continue
        if kind == "mma" and prev == "commit_group":
            out.add("S:mma-right-after-commit")
        if kind == "fence" and prev == "mma":
            out.add("S:fence-between-mmas")
        if kind == "commit_group" and prev in ("commit_group", "wait_group"):
            out.add("S:commit-without-mma")
        if kind == "wait_group" and prev == "commit_group" and layout.in_loop(i):
            out.add("G:wait-right-after-commit|loop")  # the usual shape, not a defect
        prev = kind
    read_any = set().union(*(set(fn.rd[i]) for i in range(len(fn.ops))))
    for m in fn.mmas:
        if not (fn.acc_of[m] & read_any):
            out.add("G:tile-never-read")
        if fn.ops[m].types.data.startswith("f16"):
            out.add("G:acc-f16")
    return out


def kernel_features(text: str, filename: str = "<ptx>") -> list[KernelFeatures]:
    """The features of every `.entry` in PTX text (raises PtxReadError on unreadable PTX)."""
    from exo_gpu.ptxas.reader import read_ptx

    module = read_ptx(text, filename).module
    funcs = {op.sym_name.data: op for op in module.ops if isinstance(op, ptx.FlatFuncOp)}
    return [function_features(f, funcs) for f in funcs.values() if f.kind.data == "entry"]


def function_features(func: ptx.FlatFuncOp, funcs: dict[str, ptx.FlatFuncOp]) -> KernelFeatures:
    """The features of one flat `.entry` (`funcs`: every function of its module, by name)."""
    from exo_gpu.passes.verify_wgmma_pipeline import _Function, analyze

    from exo_gpu.passes.verify_wgmma_pipeline import RULES, rule_verdict
    from exo_gpu.ptxas.toolchain import pinned_versions

    by_version, by_effects = {}, {}
    for v in pinned_versions():
        effects = tuple(r.effect(v) for r in RULES.values())
        if effects in by_effects:  # the same RULES effects give the same verdict
            by_version[v] = by_effects[effects]
            continue
        rv = rule_verdict(_Function(func, funcs, v))
        codes = [c for c in rv.rule_codes if c not in ("C7517", "C7519")]
        h = {f"H:code={'+'.join(codes) or '-'}"}
        h |= {f"H:{c}" for c in rv.rule_codes if c in ("C7517", "C7519")}
        if rv.serialized:
            h.add("H:ser")
        elif any(RULES[f.rule].effect(v).injected_wait for f in rv.findings):
            h.add("H:wait")
        by_version[v] = by_effects[effects] = frozenset(h)
    by_regime = {}
    common: set[str] = set()
    for reg, version in REGIMES.items():
        fn = _Function(func, funcs, version)
        layout = _Layout(fn)
        by_regime[reg] = frozenset(_event_features(fn, analyze(fn), layout) | _stage_features(fn)
                                   | _call_features(fn, layout))
        if not common:
            common = _global_features(fn, layout) | _guard_features(fn, layout)
    return KernelFeatures(func.sym_name.data, frozenset(common), by_regime, by_version)
