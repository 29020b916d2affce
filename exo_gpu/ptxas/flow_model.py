"""A mechanistic model of ptxas's wgmma-pipeline check: an abstract interpretation over the PTX CFG.

ptxas (sm_90a) checks each function's wgmma pipeline with a static dataflow analysis: which
accumulator registers belong to a wgmma still in flight, and which non-wgmma instructions define
or read them before the wait_group that retires it.  This module re-does that analysis on the
reader's flat PTX (`exo_gpu.ptxas.flow_ir`) and turns what it finds into ptxas's verdict for one
version *family* (`FAMILIES`): the codes C7509..C7520, serialized-or-not, and a wait injected
without serializing.

**The abstract state** at each program point (`State`): the wgmmas that may be in flight, each
with the number of commit_groups since it was issued (0 = its group is still open, the stage is
running) and whether a wait_group passed that left it pending; the wgmmas retired on some path
but not on all; the registers defined on every path; the registers written since the last
wgmma.fence.  Transfer functions: a wgmma puts itself in flight; commit_group ages every entry;
wait_group N retires the entries with more than N commits after them (an open group counts as
committed); on families that inject a wait before an early read (12.5+), that read retires
everything in flight; a join is the union of in-flight sets and the intersection of definitions.

**Events** (`Event`) are what the transfer functions meet: a non-wgmma instruction that reads
or defines an in-flight accumulator (with its status: open stage, committed, pending after a
wait, retired on some paths only), a wgmma reading an accumulator not defined on every path, an
RS A register redefined in flight, a group open across a loop back edge, calls (extern,
recursive, into a function that commits groups), a wgmma under a %tid-dependent condition, a
wgmma whose registers were written since the last fence, accumulators through local memory.

**The verdict** (`verdict`) is one clause per event kind and family (`CLAUSES`), plus ptxas's
reporting order: the first serializing event (calls first, then in program order) gives the one
serialization code; notes (C7517 wait injected, C7519 arrive injected) add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exo_gpu.ptxas.flow_ir import Func, Op
from exo_gpu.passes.verify_wgmma_pipeline import UNREACHED, forward_dataflow, graph_reaches
from exo_gpu.passes.verify_wgmma_pipeline import FlowState as State
from exo_gpu.ptxas.flow_opt import optimized, successors, wait_n as _wait_n
from exo_gpu.ptxas.flow_lattice import Bound, Groups, Must
from exo_gpu.ptxas.flow_shape import observed_shape

FAMILIES = ("12.0", "12.1", "12.4", "12.5", "12.6", "12.9", "13.1", "13.3")  # the first version of each family


def family(version: str) -> str:
    """The family a ptxas version belongs to: the newest FAMILIES entry not after it."""
    k = _vkey(version)
    return max((f for f in FAMILIES if _vkey(f) <= k), key=_vkey, default=FAMILIES[0])


def _vkey(v: str) -> tuple[int, int]:
    a, b = (str(v).split(".") + ["0"])[:2]
    return int(a), int(b)


def at_least(version: str, v: str) -> bool:
    return _vkey(version) >= _vkey(v)


_CAP = 6
NO_FENCE_YET = "<entry>"  # in State.touched until the first wgmma.fence: a wgmma before any fence gets an arrive


# The abstract state (in flight, retired on some path, defined on every path, touched since
# the last fence) and its join are verify-wgmma-pipeline's: `State`, `UNREACHED`.


@dataclass(frozen=True)
class Event:
    kind: str  # read / def / undef / rsa / backedge / call-ext / call-rec / call-wg / mma-div / nofence / local
    i: int  # the op
    m: int | None = None  # the in-flight wgmma it conflicts with
    status: str = ""  # read/def: open / committed / pending / maybe
    ctx: frozenset = frozenset()  # context facts: later-mma, fenced, loop, branch, pred, div, ...


class Analysis:
    """The CFG of one function and the dataflow facts ptxas's check sees, for one family."""

    def __init__(self, fn: Func, funcs: dict[str, Func], version: str, ops: list[Op] | None = None):
        self.fn, self.funcs, self.version = fn, funcs, version
        self.ops: list[Op] = ops if ops is not None else optimized(fn)
        n = len(self.ops)
        self.labels = {op.target: i for i, op in enumerate(self.ops) if op.kind == "label"}
        self.succ = successors(self.ops)
        self.mmas = [i for i, op in enumerate(self.ops) if op.kind == "mma"]
        self.all_acc = frozenset(r for i in self.mmas for r in self.ops[i].acc)
        self.all_a = frozenset(r for i in self.mmas for r in self.ops[i].a)
        self.back_edges = [(i, t) for i, s in enumerate(self.succ) for t in s if t <= i]
        self.loops = [(t, i) for i, t in self.back_edges]
        self.taint = self._tainted()
        self.branches = self._branches()
        self.inject_read_wait = at_least(version, "12.5")
        forward = [[j for j in s if j > i] for i, s in enumerate(self.succ)]
        self.bound = forward_dataflow(n, forward, self._bound_step, Bound(frozenset({(0, -1)})), Bound(frozenset()))
        self.must = {}
        self.before = self._solve()
        self.must = forward_dataflow(n, self.succ, self._must_step, Must(frozenset()), Must(None))
        self.groups = forward_dataflow(n, self.succ, self._groups_step, Groups(frozenset({(0, False)})),
                                       Groups(frozenset()))

    # ------------------------------------------------------------------ structure

    def _tainted(self) -> frozenset:
        """Registers that may differ between the threads of a warpgroup (from %tid / %laneid)."""
        taint: set[str] = set()
        for _ in range(3):
            for op in self.ops:
                if op.kind != "instr" or not op.wr:
                    continue
                uniform = op.opc.startswith("shr") and op.args and op.args[-1].isdigit() and int(op.args[-1]) >= 7
                if uniform:
                    continue
                if any(t in a for a in op.args for t in ("%tid", "%laneid", "%warpid")) or set(op.rd) & taint:
                    taint |= set(op.wr)
        return frozenset(taint)

    def _branches(self) -> list[tuple[int, int, bool]]:
        """Forward conditional branches (from, to, divergent) that skip code (not a loop's exit)."""
        out = []
        for i, op in enumerate(self.ops):
            if op.kind == "bra" and op.guard is not None:
                t = self.labels.get(op.target)
                if t is not None and t > i:
                    exits_loop = any(a <= i <= b < t for a, b in self.loops)
                    if not exits_loop:
                        out.append((i, t, op.guard.lstrip("!") in self.taint))
        return out

    def _whole_stage(self, a: int, b: int, i: int) -> bool:
        if any(a < t <= j < b for t, j in self.loops):
            return True
        ops = self.ops
        return (any(ops[j].is_("wgmma.fence") for j in range(a, i))
                and any(ops[j].is_("wgmma.commit_group") for j in range(i, b)))

    def in_loop(self, i: int) -> bool:
        return any(a <= i <= b for a, b in self.loops)

    def guard_of(self, i: int) -> str:
        """'' / 'div' / 'uni': the strongest condition op i runs under (predicate or branch).  A
        branch around a whole stage (its fence and commit) or around a loop is not a guard of the
        wgmma: ptxas sees a complete pipeline on one path."""
        op = self.ops[i]
        kinds = set()
        if op.guard is not None:
            kinds.add("div" if op.guard.lstrip("!") in self.taint else "uni")
        for a, b, div in self.branches:
            if a < i < b and not self._whole_stage(a, b, i):
                kinds.add("div" if div else "uni")
        return "div" if "div" in kinds else "uni" if kinds else ""

    def reaches(self, start: int, stop, goal) -> bool:
        return graph_reaches(self.succ, start, stop, goal)

    def later_mma_on(self, i: int, regs: set[str]) -> bool:
        return self.reaches(i, lambda j: False, lambda j: self.ops[j].kind == "mma" and bool(set(self.ops[j].acc) & regs))

    def fenced_first(self, i: int, regs: set[str], by_mma: bool = False) -> bool:
        """Every path from op i meets a wgmma.fence (`by_mma`: a wgmma on `regs`) before anything
        touches `regs` again, before a wait_group and before the function ends."""
        ops = self.ops

        def bad(j):
            op = ops[j]
            if op.kind == "mma":
                return not by_mma and bool(set(op.acc) & regs)
            if op.is_("wgmma.wait_group") or op.is_("ret") or op.is_("exit") or not self.succ[j]:
                return True
            return op.kind == "instr" and bool((set(op.rd) | set(op.wr)) & regs)
        fence = ((lambda j: ops[j].kind == "mma" and bool(set(ops[j].acc) & regs)) if by_mma
                 else (lambda j: ops[j].is_("wgmma.fence")))
        return bool(self.succ[i]) and not self.reaches(i, fence, lambda j: not fence(j) and bad(j))

    # ------------------------------------------------------------------ dataflow

    def by_reg(self, s: State) -> dict[str, list]:
        out: dict[str, list] = {}
        for e in s.inflight:
            for r in self.ops[e[0]].acc:
                out.setdefault(r, []).append(e)
        return out

    def read_status(self, i: int, s: State) -> tuple[str, tuple, str] | None:
        op = self.ops[i]
        if op.kind != "instr" or not s.inflight:
            return None
        by_reg = self.by_reg(s)
        regs = [r for r in op.rd if r in by_reg]
        if not regs:
            return None
        entries = [e for r in regs for e in by_reg[r]]
        maybe = [e for e in entries if e[0] in s.retired]
        must = self.must.get(i)
        if maybe and must is not None and must.regs and set(regs) & {r for r, _ in must.regs}:
            maybe = []  # pending on every path (an older instance was retired, not this one)
        if maybe:
            return "maybe", maybe[0], regs[0]
        young = min(entries, key=lambda e: (e[1], e[2], -e[0]))
        return ("open" if young[1] == 0 else "pending" if young[2] else "committed"), young, regs[0]

    def step(self, i: int, s: State) -> State:
        op = self.ops[i]
        inflight, retired, defined, touched = s.inflight, s.retired, s.defined or frozenset(), s.touched
        if op.kind == "mma":
            inflight = frozenset(e for e in inflight if e[0] != i) | {(i, 0, 0)}
            retired = retired - {i}
            defined = defined | set(op.acc)
        elif op.kind != "instr":
            pass
        elif op.opc.startswith("wgmma.fence"):
            touched = frozenset()
        elif op.opc.startswith("wgmma.commit_group"):
            inflight = frozenset((m, min(c + 1, _CAP), w) for m, c, w in inflight)
        elif op.opc.startswith("wgmma.wait_group"):
            n = _wait_n(op)
            kept, gone = set(), set()
            for m, c, w in inflight:
                c = max(c, 1)
                # w: 1 = left pending by a wait inside a loop around the wgmma, 2 = by a wait outside it
                w = max(w, 1 if any(a <= m <= b and a <= i <= b for a, b in self.loops) else 2)
                (gone.add(m) if c > n else kept.add((m, c, w)))
            inflight, retired = frozenset(kept), retired | gone
        else:
            rs = self.read_status(i, s)
            if rs is not None and self.inject_read_wait and self.read_injects(i, rs):
                retired = retired | {m for m, _, _ in inflight}
                inflight = frozenset()
            if op.wr:
                defined = defined | set(op.wr)
                touched = touched | (set(op.wr) & (self.all_acc | self.all_a))
            if op.callee:  # a real call: the callee may touch any register
                touched = touched | self.all_acc | self.all_a
        return State(inflight, retired, defined, touched)

    def read_injects(self, i: int, rs) -> bool:
        """Does this family inject a wait_group before the read (instead of serializing)?"""
        status = rs[0]
        if status == "maybe":
            return False
        if status in ("open", "committed") and at_least(self.version, "12.6") and self.waited_before(i):
            return False
        if status == "pending" and at_least(self.version, "12.6"):
            return not self.later_mma_on(i, {rs[2]})
        return True

    def waited_before(self, i: int) -> bool:
        """Has a wait_group run before op i on some forward path from the entry (back edges not
        followed)?  From 12.6 on, ptxas injects no wait for a read of a committed group then
        (probes `committed_read_*`)."""
        return any(n >= 0 for _, n in self.bound.get(i, Bound(frozenset())).paths)

    def _bound_step(self, i: int, b: "Bound") -> "Bound":
        op = self.ops[i]
        if op.is_("wgmma.commit_group"):
            return Bound(frozenset((min(c + 1, _CAP), n) for c, n in b.paths))
        if op.is_("wgmma.wait_group"):
            return Bound(frozenset((c, _wait_n(op)) for c, n in b.paths))
        return b

    def _must_step(self, i: int, m: "Must") -> "Must":
        op = self.ops[i]
        regs = dict(m.regs)
        if op.kind == "mma":
            regs.update((r, 0) for r in op.acc)
        elif op.is_("wgmma.commit_group"):
            regs = {r: min(c + 1, _CAP) for r, c in regs.items()}
        elif op.is_("wgmma.wait_group"):
            n = _wait_n(op)
            regs = {r: max(c, 1) for r, c in regs.items() if max(c, 1) <= n}
        elif op.kind == "instr" and regs and self.inject_read_wait:
            s = self.before.get(i)
            rs = self.read_status(i, s) if s is not None else None
            if rs is not None and self.read_injects(i, rs):
                regs = {}
        return Must(frozenset(regs.items()))

    def _groups_step(self, i: int, g: "Groups") -> "Groups":
        op = self.fn.ops[i]  # the original op: a faint wgmma still issues its group
        if op.kind == "mma":
            return Groups(frozenset((c, True) for c, _ in g.paths))
        if op.is_("wgmma.commit_group"):
            return Groups(frozenset((min(c + o, _CAP), False) for c, o in g.paths))
        if op.is_("wgmma.wait_group"):
            n = _wait_n(op)
            return Groups(frozenset((min(c + o, n), False) for c, o in g.paths))
        return g

    def _solve(self) -> dict[int, State]:
        return forward_dataflow(len(self.ops), self.succ, self.step,
                                State(frozenset(), frozenset(), frozenset(), frozenset({NO_FENCE_YET})), UNREACHED)


def _callee_facts(name: str, funcs: dict[str, Func]) -> set[str]:
    """What a called function does, transitively: ext, rec, commit, wait, mma, fence."""
    out: set[str] = set()
    seen, work = set(), [name]
    while work:
        f = work.pop()
        if f in seen:
            if f == name:
                out.add("rec")
            continue
        seen.add(f)
        fn = funcs.get(f)
        if fn is None or fn.extern or not fn.ops:
            out.add("ext")
            continue
        for op in fn.ops:
            if op.kind == "mma":
                out.add("mma")
            elif op.is_("wgmma.commit_group"):
                out.add("commit")
            elif op.is_("wgmma.wait_group"):
                out.add("wait")
            elif op.is_("wgmma.fence"):
                out.add("fence")
            if op.callee:
                if op.callee == name:
                    out.add("rec")
                work.append(op.callee)
    return out


def events(a: Analysis) -> list[Event]:
    """Everything the check meets in one function, in program order."""
    out: list[Event] = []
    for i, op in enumerate(a.ops):
        s = a.before.get(i)
        if s is None:
            continue
        where = frozenset(x for x in (("loop" if a.in_loop(i) else ""), a.guard_of(i)) if x)
        if op.kind == "mma":
            undefined = op.sd != "0" and [r for r in op.acc if r not in (s.defined or frozenset())]
            if undefined:
                out.append(Event("undef", i, i, "", where | {"sd=" + ("p" if op.sd.startswith("%") else op.sd)}))
            g = a.guard_of(i)
            if g:
                out.append(Event("mma-guard", i, i, g, where | ({"undef"} if undefined else set())))
            if (set(op.acc) | set(op.a) | {NO_FENCE_YET}) & s.touched:
                out.append(Event("nofence", i, i, "", where))
            continue
        if op.kind == "bra":
            for j in a.succ[i]:
                if j <= i and any(c == 0 for _, c, _ in s.inflight):
                    out.append(Event("backedge", i, None, "", where))
            continue
        if op.kind != "instr":
            continue
        if op.is_("wgmma.fence") and any(c == 0 for _, c, _ in s.inflight):
            nxt = next((j for j in range(i + 1, len(a.ops)) if a.ops[j].kind == "mma"
                        or a.ops[j].is_("wgmma.commit_group")), None)
            if nxt is not None:  # a fence inside a running stage (a commit or more wgmmas follow)
                ctx = where | ({"mma-next"} if a.ops[nxt].kind == "mma" else set())
                out.append(Event("fence-open", i, None, "", ctx))
        if op.opc.startswith(("ret", "exit")) and s.inflight:  # leaving with groups in flight
            out.append(Event("exit", i, min(m for m, _, _ in s.inflight), "", where))
        elif op.opc.startswith(("ret", "exit")) and (a.bound.get(i, Bound(frozenset())).leaves_groups()
                                                   or any(c for c, _ in a.groups.get(i, Groups(frozenset())).paths)):
            out.append(Event("exit", i, None, "counted", where))  # a wait_group N > 0 (or a commit) last
        if op.callee:
            facts = _callee_facts(op.callee, a.funcs)
            kind = ("call-ext" if "ext" in facts else "call-rec" if "rec" in facts
                    else "call-wg" if facts & {"commit"} else "call-wgx" if facts & {"mma", "wait", "fence"}
                    else "call")
            ctx = where | frozenset(facts) | ({"inflight"} if s.inflight else set())
            if any(c == 0 for _, c, _ in s.inflight):
                ctx |= {"open"}  # inside a running stage: ptxas re-arrives after the call
            out.append(Event(kind, i, None, "", ctx))
        acc_rw = (set(op.rd) | set(op.wr)) & a.all_acc
        if acc_rw and op.opc.startswith(("ld.local", "st.local")):
            out.append(Event("local", i, None, "", where))
        rs = a.read_status(i, s)
        by_reg = a.by_reg(s)
        if rs is not None:
            status, (m, c, w), reg = rs
            ctx = where | ({"later"} if a.later_mma_on(i, {reg}) else set())
            if w == 2 or (status == "pending" and any(e[2] == 2 for r in op.rd for e in by_reg.get(r, ()))):
                ctx |= {"waited-out"}  # (on some path: a peeled stage before the loop)
            if a.reaches(i, lambda j: a.ops[j].is_("wgmma.commit_group") or a.ops[j].is_("wgmma.wait_group"),
                         lambda j: a.ops[j].kind == "mma"):
                ctx |= {"mid-stage"}  # more wgmmas of the running stage follow: no wait can go here
            if a.reaches(i, lambda j: False, lambda j: a.ops[j].is_("wgmma.wait_group")):
                ctx |= {"wait-after"}
            if a.waited_before(i):
                ctx |= {"waited-before"}
            mine = [e for r in op.rd for e in by_reg.get(r, ())]
            if all(any(x <= e[0] <= y and not x <= i <= y for x, y in a.loops) for e in mine):
                ctx |= {"from-loop"}  # every wgmma in flight on it runs in a loop the read is outside of
            out.append(Event("read", i, m, status, ctx))
            if a.inject_read_wait and a.read_injects(i, rs):
                by_reg = {}
        wdefs = [r for r in op.wr if r in by_reg]
        if wdefs:
            entries = [e for r in wdefs for e in by_reg[r]]
            m, c, w = min(entries, key=lambda e: (e[1], e[2], -e[0]))
            ctx = where | ({"fenced"} if a.fenced_first(i, set(wdefs)) else set())
            if a.fenced_first(i, set(wdefs), by_mma=True):
                ctx |= {"mma-next"}
            out.append(Event("def", i, m, "open" if c == 0 else "pending" if w else "committed", ctx))
        for m, c, w in sorted(s.inflight):
            if set(a.ops[m].a) & set(op.wr):
                out.append(Event("rsa", i, m, "open" if c == 0 else "committed", where))
                break
    # a guarded wgmma on an accumulator that some wgmma reads undefined: the skip path needs no value
    undef_acc = {r for ev in out if ev.kind == "undef" for r in a.ops[ev.i].acc}
    return [Event(ev.kind, ev.i, ev.m, ev.status, ev.ctx | {"undef"})
            if ev.kind == "mma-guard" and set(a.ops[ev.i].acc) & undef_acc else ev for ev in out]


# ---------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Effect:
    codes: tuple[str, ...] = ()
    serialized: bool = False
    wait: bool = False  # a wait injected without serializing


NOTE = frozenset({"C7517", "C7519"})


def clause(ev: Event, a: Analysis) -> Effect:
    """What ptxas `a.version` does about one event (the transfer function's verdict)."""
    e = _clause(ev, a)
    if ev.kind.startswith("call") and "open" in ev.ctx:  # a call inside a running stage serializes it
        new = {"C7519"} if at_least(a.version, "12.5") and not at_least(a.version, "13.1") else set()
        e = Effect(tuple(sorted(set(e.codes) | new)), True, False)
    return e


def _clause(ev: Event, a: Analysis) -> Effect:
    v = a.version
    old = not at_least(v, "12.5")
    k, st, ctx = ev.kind, ev.status, ev.ctx
    if k == "call-ext" or k == "call-rec":
        return Effect(("C7509",), True)
    if k == "call-wg":  # the callee commits groups; one that never waits leaves them to the caller (C7517)
        return Effect(("C7510",) + (("C7517",) if "wait" not in ctx and not old else ()), True)
    if k == "undef":
        return Effect(("C7515",), True) if not at_least(v, "12.9") else Effect()
    if k == "def":
        if st == "open":
            return Effect((), True) if "fenced" in ctx else Effect(("C7515",), True)
        if ctx & {"fenced", "mma-next"}:  # redefined before the next wgmma on it reads it: accepted
            return Effect()
        return Effect(("C7515",), True)
    if k == "read":
        if st == "maybe":  # retired on some paths only (a wait under a branch)
            if old:
                return Effect(("C7514",), True)
            if "waited-out" in ctx:
                return Effect(("C7514", "C7517"), True) if at_least(v, "12.6") else Effect(("C7517",), False, True)
            return Effect(("C7518",), True)
        if st == "open" and "mid-stage" in ctx:  # between two wgmmas of the running stage
            return Effect(("C7514",), True)
        if st == "open" or st == "committed":  # 12.6+: no wait is injected once a wait_group has run
            if old and "from-loop" in ctx and not ctx & {"waited-before", "wait-after"}:  # after the loop: a wait
                return Effect((), False, True)
            if old or (at_least(v, "12.6") and "waited-before" in ctx):
                return Effect(("C7514",), True)
            return Effect(("C7517",), False, True)
        if "later" in ctx:
            return Effect(("C7514",), True) if old or at_least(v, "12.6") else Effect(("C7517",), False, True)
        if old and ctx & {"waited-out", "wait-after"}:
            return Effect(("C7514",), True)
        if at_least(v, "12.6") and "wait-after" in ctx:
            return Effect(("C7514",), True)
        if at_least(v, "12.6") and "waited-out" in ctx:
            return Effect(("C7514", "C7517"), True)
        return Effect((), False, True) if old else Effect(("C7517",), False, True)
    if k == "exit":  # ptxas waits for them before the function returns
        return Effect((), False, True) if old else Effect(("C7517",), False, True)
    if k == "rsa":
        return Effect(("C7513",), True)
    if k == "backedge":
        if v == "12.0":
            return Effect(("C7515",), True)
        if old or at_least(v, "13.1"):
            return Effect((), True)
        return Effect(("C7519",), True)
    if k == "mma-guard":  # a wgmma under a predicate or a branch
        if old:  # its own group (see observed_shape), no serialization
            return Effect()
        if st == "uni" and "undef" in ctx:  # nothing to keep on the paths that skip it
            return Effect(("C7519",)) if not at_least(v, "13.1") else Effect()
        if at_least(v, "13.1"):
            return Effect(("C7519",) if st == "div" else (), True)
        return Effect(("C7519", "C7520") if st == "div" else ("C7519",), True)
    if k == "fence-open":  # a fence between a stage's last wgmma and its commit: serialized, no code
        return Effect() if "mma-next" in ctx else Effect((), True)  # (more wgmmas next: mixed on TRAIN)
    if k == "nofence":
        return Effect(("C7519",)) if at_least(v, "12.5") and not at_least(v, "13.1") else Effect()
    return Effect()


_CALLS = ("call-ext", "call-rec", "call-wg")


def verdict(a: Analysis, evs: list[Event] | None = None) -> tuple[tuple[str, ...], bool, bool]:
    """(codes, serialized, wait injected without serializing) for the analysed function."""
    evs = events(a) if evs is None else evs
    effs = [(ev, clause(ev, a)) for ev in evs]
    if any(e.serialized for _, e in effs):  # a serialized pipeline has no group left at the exit
        effs = [(ev, e) for ev, e in effs if ev.kind != "exit"]
    rank = {"call-rec": 0, "undef": 1, "call-ext": 2}
    ordered = sorted(effs, key=lambda x: (rank.get(x[0].kind, 3), x[0].i))
    first = next((x for x in ordered if x[1].serialized and any(c not in NOTE for c in x[1].codes)), None)
    codes = {c for c in first[1].codes if c not in NOTE} if first else set()
    for ev, e in ordered:
        for c in e.codes:
            if c in NOTE:
                codes.add(c)
    ser = any(e.serialized for _, e in effs)
    wait = any(e.wait for _, e in effs) and not ser
    return tuple(sorted(codes)), *observed_shape(a, ser, wait, old=not at_least(a.version, "12.5"))


def predict(funcs: dict[str, Func], kernel: str, version: str) -> tuple[tuple[str, ...], bool, bool]:
    """(codes, serialized, wait injected without serializing) of `kernel` for ptxas `version`."""
    return verdict(Analysis(funcs[kernel], funcs, version))


@dataclass(frozen=True)
class FlowVerdict:
    """The flow model's answer for one kernel and version, with the clauses that gave it (the
    shape `verify-wgmma-pipeline` reads from `KernelVerdict.fitted`)."""

    codes: tuple[str, ...]
    serialized: bool
    injected_wait: bool
    clauses: tuple[str, ...]
    because: tuple = ()
    model: str = "flow"


def explain(funcs: dict[str, Func], kernel: str, version: str) -> FlowVerdict:
    a = Analysis(funcs[kernel], funcs, version)
    evs = events(a)
    codes, ser, wait = verdict(a, evs)
    clauses = []
    for ev in evs:
        e = clause(ev, a)
        if e.codes or e.serialized or e.wait:
            what = " + ".join(e.codes) or "no code"
            how = "serialized" if e.serialized else "wait injected" if e.wait else "note"
            ctx = ", ".join(sorted(ev.ctx))
            clauses.append(f"{ev.kind}{'/' + ev.status if ev.status else ''} at PTX line {a.ops[ev.i].line}"
                           f"{' (' + ctx + ')' if ctx else ''}: {what}, {how}")
    return FlowVerdict(codes, ser, wait, tuple(clauses))
