"""What ptxas's optimizer does to a function before its wgmma-pipeline check, as the flow model
(`exo_gpu.ptxas.flow_model`) needs it: a scale-d predicate of known value becomes the immediate
(forward constant propagation over the CFG), `mov X, ACC ... mov ACC, X` round trips disappear
(copy propagation), and instructions whose results nobody uses are removed, wgmmas included
(faint-code elimination).  Each is checked by a probe in tests/test_flow_model.py.
"""

from __future__ import annotations

from collections import deque

from exo_gpu.ptxas.flow_ir import Func, Op


def wait_n(op: Op) -> int:
    """N of `wgmma.wait_group N` (0 when unreadable)."""
    try:
        return int(op.args[0])
    except (IndexError, ValueError):
        return 0


_SIDE = ("st.", "red.", "atom.", "call", "bar", "barrier", "membar", "fence", "wgmma.", "ret", "exit", "trap",
         "setmaxnreg", "cp.", "mbarrier", "stmatrix", "prefetch", "brkpt")


def successors(ops: list[Op]) -> list[list[int]]:
    """The successors of each op (branches, fall-through; ret / exit / trap end a path)."""
    labels = {op.target: i for i, op in enumerate(ops) if op.kind == "label"}
    out = []
    for i, op in enumerate(ops):
        if op.kind == "bra":
            t = labels.get(op.target)
            s = ([t] if t is not None else []) + ([i + 1] if op.guard is not None else [])
        elif op.kind == "instr" and op.opc.startswith(("ret", "exit", "trap")):
            s = [i + 1] if op.guard is not None else []
        else:
            s = [i + 1]
        out.append([x for x in s if x < len(ops)])
    return out


def _constant_scale_d(ops: list[Op], succ: list[list[int]]) -> dict[int, bool]:
    """{mma index: value} for wgmmas whose scale-d predicate has one known value on every path
    (forward constant propagation of `mov r, imm` and `setp.eq/ne` over the CFG): the k == 0
    test of straight-line code and of a peeled first K block."""
    tracked = {r for op in ops if op.is_("mov") or op.is_("setp.") for r in op.wr}
    if not tracked:
        return {}
    before: dict[int, dict] = {0: {}}
    work = deque([0])
    top = object()

    def val(env, x):
        if x in env:
            return env[x]
        return top if x.startswith("%") else _int(x) if _int(x) is not None else top

    while work:
        i = work.popleft()
        env = dict(before[i])
        op = ops[i]
        if op.kind == "instr" and op.wr:
            for r in op.wr:
                env[r] = top
            if op.guard is None and op.is_("mov") and len(op.args) == 2 and op.wr[0] in tracked:
                env[op.wr[0]] = val(env, op.args[1])
            elif op.guard is None and op.is_("setp.") and len(op.args) == 3 and op.opc.split(".")[1] in ("eq", "ne"):
                a, b = val(env, op.args[1]), val(env, op.args[2])
                if a is not top and b is not top:
                    env[op.wr[0]] = (a == b) == (op.opc.split(".")[1] == "eq")
        for j in succ[i]:
            old = before.get(j)
            new = env if old is None else {k: v for k, v in old.items() if env.get(k, top) == v}
            if old is None or new != old:
                before[j] = new
                work.append(j)
    out = {}
    for i, op in enumerate(ops):
        if op.kind == "mma" and op.sd.startswith(("%", "!")) and i in before:
            v = before[i].get(op.sd.lstrip("!"), top)
            if isinstance(v, bool):
                out[i] = v != op.sd.startswith("!")
    return out


def _int(x: str) -> int | None:
    try:
        return int(x, 0)
    except ValueError:
        return None


def _drop_round_trips(ops: list[Op]) -> list[Op]:
    """`mov X, R` ... `mov R, X` with X used nowhere else and nothing writing R or X in between
    (straight-line code): ptxas's copy propagation removes both."""
    uses: dict[str, int] = {}
    for op in ops:
        for r in (*op.rd, *op.wr):
            uses[r] = uses.get(r, 0) + 1
    out = list(ops)
    for i, op in enumerate(ops):
        if not (op.is_("mov") and op.guard is None and len(op.wr) == 1 and len(op.rd) == 1):
            continue
        x, r = op.wr[0], op.rd[0]
        if uses.get(x, 0) != 2:
            continue
        for j in range(i + 1, len(ops)):
            o = ops[j]
            if o.is_("mov") and o.guard is None and o.wr == (r,) and o.rd == (x,):
                out[i] = out[j] = Op("nop", line=op.line)
                break
            if o.kind in ("label", "bra") or r in o.wr or x in o.wr or (o.kind == "mma" and r in o.acc):
                break
    return out


def optimized(fn: Func) -> list[Op]:
    """The function as ptxas's check sees it, after what ptxas's optimizer does first: a
    scale-d predicate of known value becomes the immediate, and instructions whose results
    are never used (a wgmma whose accumulators nobody reads, a dead `mov`) are removed
    (faint-code elimination: an iterated backward liveness over the CFG)."""
    cached = fn.__dict__.get("_optimized")
    if cached is not None:
        return cached
    consts = _constant_scale_d(fn.ops, successors(fn.ops))
    ops = [Op(**{**op.__dict__, "sd": "1" if consts[i] else "0"}) if i in consts else op
           for i, op in enumerate(fn.ops)]
    ops = _drop_round_trips(ops)
    succ = successors(ops)
    n = len(ops)

    def uses(op: Op) -> set[str]:
        u = set(op.rd)
        if op.kind == "mma" and op.sd != "0":
            u |= set(op.acc)
        if op.kind == "mma" and op.sd.startswith(("%", "!")):
            u.add(op.sd.lstrip("!"))
        if op.kind == "mma":
            u |= set(op.a)
        if op.guard:
            u.add(op.guard.lstrip("!"))
            u |= set(op.acc if op.kind == "mma" else op.wr)  # a predicated write keeps the old value
        return u

    writes = [set(op.acc) if op.kind == "mma" else set(op.wr) for op in ops]
    use = [uses(op) for op in ops]
    side = [op.kind in ("label", "bra") or (op.kind == "instr" and (op.opc.startswith(_SIDE) or not op.wr))
            for op in ops]
    live_op = list(side)
    while True:
        live_in: list[set] = [set() for _ in range(n)]
        changed = True
        while changed:
            changed = False
            for i in range(n - 1, -1, -1):
                out = set().union(*(live_in[j] for j in succ[i])) if succ[i] else set()
                new = ((out - writes[i]) | use[i]) if live_op[i] else out
                if new != live_in[i]:
                    live_in[i] = new
                    changed = True
        grew = False
        for i in range(n):
            if not live_op[i]:
                out = set().union(*(live_in[j] for j in succ[i])) if succ[i] else set()
                if writes[i] & out:
                    live_op[i] = grew = True
        if not grew:
            break
    fn.__dict__["_optimized"] = [op if live_op[i] else Op("nop", line=op.line) for i, op in enumerate(ops)]
    return fn.__dict__["_optimized"]
