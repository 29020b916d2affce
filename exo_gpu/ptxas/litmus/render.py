"""Render a litmus program's factors (a JSON-able dict) to one PTX kernel.

The factors are the program: ``render(factors)`` is a pure function of them.  A program is
one ``.entry`` (plus the ``.func`` it calls) over one warpgroup, whose wgmma pipeline is
described by:

* ``tiles``: accumulator tiles ``{"n", "acc" (f32|f16), "ab" (f16|bf16), "init", "rs"}``;
  init is ``zero`` (mov 0 before the loop), ``undef`` (never defined) or ``peeled`` (the
  peeled first stage writes it with scale-d 0); ``rs`` takes A from four b32 registers;
* ``stages``: the stages of one loop iteration (or of the straight-line body), each
  ``{"fence", "mmas": [[tile, scale_d, guard]], "commit", "wait", "defect", "wait_guard"}``
  with scale_d ``"1"``, ``"0"`` or ``"p"`` (a run-time predicate, k > 0);
* ``loop``: ``top`` / ``bottom`` (top- or bottom-tested K loop, ``.pragma "nounroll"``
  unless ``unroll``), or ``straight`` (the stages once, no loop); ``peel`` puts one copy of
  the stages before the loop (first mma of each ``peeled`` tile with scale-d 0);
* ``final_waits``: ``[{"n", "guard"}]`` after the loop (empty: no final wait);
* ``ops``: non-wgmma instructions ``{"kind", "at", "tile", "reg", "guard", "at2"}`` placed at
  named slots (see ``slots``) -- accumulator defs / reads / moves / spills, calls, A
  register and descriptor rewrites, extra fences / waits / commits;
* ``consumers``: how each tile is read after the final waits;
* ``maxnreg``: a ``.maxnreg`` budget or None.

Slots: ``pre`` (before the loop), ``s{i}.top`` (before stage i's fence), ``s{i}.f`` (after
the fence), ``s{i}.m{j}`` (after mma j, before mma j+1), ``s{i}.mm`` (after the last mma),
``s{i}.c`` (after the commit), ``s{i}.w`` (after the wait), ``tail`` (end of the loop
body), ``exit`` (after the loop, before the final waits), ``fw{i}`` (after final wait i).

Guards: ``None``; ``br_tid`` / ``br_prm`` (a branch around it whose condition is divergent
(tid.x < 64) or uniform (nk > 5)); ``p_tid`` / ``p_prm`` (the instruction predicated).
Every name in the kernel derives from NAME, so kernels can share a module (see batch).
"""

from __future__ import annotations

NAME = "@K@"  # replaced by the program's name (lt_<hash>) in program.py
HEADER = """.version 8.0
.target sm_90a
.address_size 64

.extern .shared .align 1024 .b8 smem[];
"""
# the .func of each call kind (suffix of its name)
FUNCS = {"call_rec": "rec", "call_plain": "plain", "call_wg": "wg", "call_wgwait": "wgw",
         "call_wgopen": "wgo", "call_wgmma": "wgm", "call_wgcommit": "wgc"}
# the divergent and the uniform predicate of the guards
GUARD_PRED = {"tid": "%pt", "prm": "%pu"}
ONE = {"f32": "0f3F800000", "f16": "1006648320"}


def acc_regs(tile: dict) -> int:
    """Accumulator registers per thread of one m64nN tile."""
    return tile["n"] // 2 if tile["acc"] == "f32" else tile["n"] // 4


def acc_names(factors: dict) -> list[list[str]]:
    """The accumulator register names of each tile (%f for f32, %h for f16x2)."""
    out, nf, nh = [], 0, 0
    for t in factors["tiles"]:
        k = acc_regs(t)
        if t["acc"] == "f32":
            out.append([f"%f{nf + i}" for i in range(k)])
            nf += k
        else:
            out.append([f"%h{nh + i}" for i in range(k)])
            nh += k
    return out


def slots(factors: dict) -> list[str]:
    """Every slot name of a program, in program order."""
    out = ["pre"]
    for i, st in enumerate(factors["stages"]):
        out += [f"s{i}.top", f"s{i}.f"]
        out += [f"s{i}.m{j}" for j in range(len(st["mmas"]) - 1)]
        out += [f"s{i}.mm", f"s{i}.c", f"s{i}.w"]
    out += ["tail", "exit"] + [f"fw{i}" for i in range(len(factors["final_waits"]))]
    return out


class _Out:
    """Lines of PTX and a counter for unique labels and temporaries."""

    def __init__(self):
        self.lines: list[str] = []
        self.n = 0

    def fresh(self) -> int:
        self.n += 1
        return self.n

    def emit(self, *lines: str) -> None:
        self.lines += [ln if ln.endswith(":") or ln.startswith("\t") else "\t" + ln for ln in lines]

    def guarded(self, guard: str | None, body: list[str]) -> None:
        """Emit `body` under a guard: a branch around it, or a predicate on each line."""
        if not guard:
            self.emit(*body)
        elif guard.startswith("br_"):
            lab = f"$L_g{self.fresh()}"
            self.emit(f"@!{GUARD_PRED[guard[3:]]} bra {lab};", *body, f"{lab}:")
        else:
            p = GUARD_PRED[guard[2:]]
            self.emit(*[ln if ln.strip().startswith(("{", "}", ".param")) else f"@{p} {ln.strip()}"
                        for ln in body])


def _mma(factors: dict, names, tile: int, k: int, scale_d: str) -> str:
    t = factors["tiles"][tile]
    acc = ", ".join(names[tile])
    d = {"1": "1", "0": "0", "p": "%pk"}[scale_d]
    kind = f"m64n{t['n']}k16.{t['acc']}.{t['ab']}.{t['ab']}"
    if t["rs"]:
        a = ", ".join(f"%ra{4 * tile + i}" for i in range(4))
        return (f"wgmma.mma_async.sync.aligned.{kind} {{{acc}}}, {{{a}}}, %rdb{k}, {d}, 1, 1, 0;")
    return f"wgmma.mma_async.sync.aligned.{kind} {{{acc}}}, %rda{k}, %rdb{k}, {d}, 1, 1, 0, 0;"


def _reg(names, op: dict) -> str:
    regs = names[op["tile"]]
    return regs[op["reg"] % len(regs)]


def _is_f32(reg: str) -> bool:
    return reg.startswith("%f")


def _spill_lines(names, op: dict, store: bool) -> list[str]:
    regs = names[op["tile"]][: op.get("count", 8)]
    base = f"%rl{op['id']}"
    out = []
    for i, r in enumerate(regs):
        ty = "f32" if _is_f32(r) else "b32"
        out.append(f"st.local.{ty} [{base}+{4 * i}], {r};" if store
                   else f"ld.local.{ty} {r}, [{base}+{4 * i}];")
    return out


def _call_lines(op: dict) -> list[str]:
    kind, u = op["kind"], op["id"]
    if kind == "call_ext":
        return ["{", f".param .b32 xa{u};", f"st.param.b32 [xa{u}], %r4;",
                f"call.uni {NAME}_ext, (xa{u});", "}"]
    fn = FUNCS[kind]
    return ["{", f".param .b32 xa{u};", f".param .b32 xr{u};", f"st.param.b32 [xa{u}], %r4;",
            f"call.uni (xr{u}), {NAME}_{fn}, (xa{u});", f"ld.param.b32 %rc{u}, [xr{u}];", "}",
            f"st.global.u32 [%rdo+{4 * (u % 64)}], %rc{u};"]


def op_lines(factors: dict, names, op: dict, second: bool = False) -> list[str]:
    """The PTX of one op (of its second half, at op['at2'], for the paired kinds)."""
    kind = op["kind"]
    u = op["id"]
    if kind in ("def", "read", "rmw", "mov_chain", "migrate"):
        r = _reg(names, op)
        f32 = _is_f32(r)
        if kind == "def":
            return [f"mov.{'f32' if f32 else 'b32'} {r}, {ONE['f32' if f32 else 'f16']};"]
        if kind == "read":
            if f32:
                return [f"add.f32 %t{u}, {r}, {r};", f"st.global.f32 [%rdo+{4 * (u % 64)}], %t{u};"]
            return [f"xor.b32 %tb{u}, {r}, 1;", f"st.global.b32 [%rdo+{4 * (u % 64)}], %tb{u};"]
        if kind == "rmw":
            return [f"add.f32 {r}, {r}, 0f3F800000;" if f32 else f"xor.b32 {r}, {r}, 1;"]
        if kind == "mov_chain":
            return [f"mov.b32 %m{u}, {r};", f"mov.b32 {r}, %m{u};"]
        return [f"mov.b32 {r}, %m{u};"] if second else [f"mov.b32 %m{u}, {r};"]
    if kind == "spill":
        return _spill_lines(names, op, store=not second)
    if kind == "spill_rt":
        return _spill_lines(names, op, True) + _spill_lines(names, op, False)
    if kind.startswith("call_"):
        return _call_lines(op)
    if kind == "rs_a":
        return [f"add.u32 %ra{4 * op['tile'] + op['reg'] % 4}, %ra{4 * op['tile'] + op['reg'] % 4}, 1;"]
    if kind == "desc":
        return [f"add.s64 %rdb{op['reg'] % 4}, %rdb{op['reg'] % 4}, %rdz;"]
    if kind == "fence":
        return ["wgmma.fence.sync.aligned;"]
    if kind == "wait":
        return [f"wgmma.wait_group.sync.aligned {op.get('n', 0)};"]
    if kind == "commit":
        return ["wgmma.commit_group.sync.aligned;"]
    if kind == "ret":  # leave the kernel early (under a guard: on some paths)
        return ["ret;"]
    if kind == "brk":  # leave a top-tested loop early
        return ["bra $L_done;"]
    if kind == "bar":
        return ["bar.sync 0;"]
    if kind == "live":  # `count` values loaded at `at`, live until combined with tile 0 at `at2`
        regs = [f"%lv{op['id']}_{i}" for i in range(op["count"])]
        if not second:
            return [f"ld.global.v4.f32 {{{', '.join(regs[i:i + 4])}}}, [%rdo+{4 * i + 4096}];"
                    for i in range(0, len(regs), 4)]
        accs = [r for r in names[0] if _is_f32(r)] or ["%t0"]
        return [f"mov.f32 %t{u}, 0f00000000;"] + [
            f"fma.rn.f32 %t{u}, {r}, {accs[i % len(accs)]}, %t{u};" for i, r in enumerate(regs)
        ] + [f"st.global.f32 [%rdo+{4 * (u % 64)}], %t{u};"]
    if kind == "ldg":
        return [f"ld.global.f32 %t{u}, [%rdo+{4 * (u % 64)}];", f"st.global.f32 [%rdo+{4 * (u % 64) + 256}], %t{u};"]
    raise ValueError(f"unknown op kind {kind!r}")


def _stage(out: _Out, factors: dict, names, i: int, st: dict, at: dict, peel: bool) -> None:
    """One stage: fence, mmas, commit, wait, with the ops of its slots (none when peeled)."""
    def slot(name):
        if not peel:
            for op, second in at.get(f"s{i}.{name}", []):
                out.guarded(op.get("guard"), op_lines(factors, names, op, second))

    slot("top")
    defect = st.get("defect")
    if st["fence"] and defect != "fence_after_mma1":
        out.emit("wgmma.fence.sync.aligned;")
    slot("f")
    n = len(st["mmas"])
    branch = defect.startswith("branch_stage_") if defect else False
    if branch:  # the mmas and the commit under one branch (tid: divergent, prm: uniform)
        lab = f"$L_g{out.fresh()}"
        out.emit(f"@!{GUARD_PRED[defect[13:]]} bra {lab};")
    for j, (tile, sd, g) in enumerate(st["mmas"]):
        if peel and factors["tiles"][tile]["init"] == "peeled" and _first_of_tile(st, j):
            sd = "0"
        out.guarded(g, [_mma(factors, names, tile, j % 4, sd)])
        if j == 0 and defect == "fence_after_mma1":
            out.emit("wgmma.fence.sync.aligned;")
        if j == 0 and defect == "commit_after_mma1":
            out.emit("wgmma.commit_group.sync.aligned;")
        if j < n - 1:
            slot(f"m{j}")
    slot("mm")
    if st["commit"]:
        out.guarded(st.get("commit_guard"), ["wgmma.commit_group.sync.aligned;"])
    if defect == "dup_commit":
        out.emit("wgmma.commit_group.sync.aligned;")
    if branch:
        out.emit(f"{lab}:")
    slot("c")
    if st["wait"] is not None:
        out.guarded(st.get("wait_guard"), [f"wgmma.wait_group.sync.aligned {st['wait']};"])
    slot("w")


def _first_of_tile(st: dict, j: int) -> bool:
    return all(st["mmas"][i][0] != st["mmas"][j][0] for i in range(j))


def _decls(factors: dict, names) -> list[str]:
    nf = sum(len(r) for r in names if r and r[0].startswith("%f"))
    nh = sum(len(r) for r in names if r and r[0].startswith("%h"))
    nid = max([op["id"] for op in factors["ops"]] + [0]) + 1
    out = [".reg .pred %p<4>;", ".reg .pred %pt;", ".reg .pred %pu;", ".reg .pred %pk;",
           ".reg .b32 %r<16>;", ".reg .b64 %rd<16>;", ".reg .b64 %rda<4>;", ".reg .b64 %rdb<4>;",
           ".reg .b64 %rdz;", ".reg .b64 %rdo;", f".reg .f32 %t<{nid}>;", f".reg .b32 %tb<{nid}>;",
           f".reg .b32 %m<{nid}>;", f".reg .b32 %rc<{nid}>;", f".reg .b32 %rl<{nid}>;",
           f".reg .b32 %ra<{4 * len(factors['tiles'])}>;"]
    if nf:
        out.append(f".reg .f32 %f<{nf}>;")
    if nh:
        out.append(f".reg .b32 %h<{nh}>;")
    for op in factors["ops"]:
        if op["kind"] == "live":
            out.append(f".reg .f32 %lv{op['id']}_<{op['count']}>;")
        if op["kind"] in ("spill", "spill_rt"):
            out.append(f".local .align 16 .b8 {NAME}_sp{op['id']}[128];")
    return out


def _prologue(out: _Out, factors: dict, names) -> None:
    out.emit("mov.u32 %r1, smem;", "and.b32 %r2, %r1, 262143;", "cvt.u64.u32 %rd1, %r2;",
             "shr.u64 %rd2, %rd1, 4;", "or.b64 %rd3, %rd2, 4611686293305360384;",
             "add.s64 %rd4, %rd3, 512;")
    for k in range(4):
        out.emit(f"add.s64 %rda{k}, %rd3, {2 * k};", f"add.s64 %rdb{k}, %rd4, {2 * k};")
    out.emit(f"ld.param.u32 %r3, [{NAME}_nk];", "cvt.u64.u32 %rd5, %r3;", "shr.u64 %rdz, %rd5, 40;",
             "mov.u32 %r5, %tid.x;", "setp.lt.u32 %pt, %r5, 64;", "setp.gt.u32 %pu, %r3, 5;",
             f"ld.param.u64 %rd7, [{NAME}_out];", "cvta.to.global.u64 %rd8, %rd7;",
             "mul.wide.u32 %rd9, %r5, 1024;", "add.s64 %rdo, %rd8, %rd9;",
             "mov.u32 %r4, 0;", "setp.ne.u32 %pk, %r4, 0;")
    for t, tile in enumerate(factors["tiles"]):
        if tile["rs"]:
            out.emit(*[f"mov.b32 %ra{4 * t + i}, {i + 1};" for i in range(4)])
        if tile["init"] == "zero":
            out.emit(*[f"mov.{'f32' if _is_f32(r) else 'b32'} {r}, {'0f00000000' if _is_f32(r) else '0'};"
                       for r in names[t]])
    for op in factors["ops"]:
        if op["kind"] in ("spill", "spill_rt"):
            u = op["id"]
            out.emit(f"mov.u32 %rl{u}, {NAME}_sp{u};", "and.b32 %r6, %r3, 64;",
                     f"add.u32 %rl{u}, %rl{u}, %r6;")
        if op["kind"] == "migrate":
            out.emit(f"mov.b32 %m{op['id']}, 0;")


def _consumers(out: _Out, factors: dict, names) -> None:
    off = 0
    for c in factors["consumers"]:
        regs = names[c["tile"]]
        body = []
        if c["kind"] == "sum" and _is_f32(regs[0]):
            body.append(f"mov.f32 %t0, 0f00000000;")
            body += [f"add.f32 %t0, %t0, {r};" for r in regs]
            body.append(f"st.global.f32 [%rdo+{off}], %t0;")
        else:
            regs = regs[:4] if c["kind"] == "some" else regs
            body += [f"st.global.{'f32' if _is_f32(r) else 'b32'} [%rdo+{off + 4 * i}], {r};"
                     for i, r in enumerate(regs)]
        off += 4 * len(names[c["tile"]])
        out.guarded(c.get("guard"), body)


def render_body(factors: dict) -> str:
    """The program's .func and .entry text (no module header); names use NAME."""
    names = acc_names(factors)
    at: dict[str, list] = {}
    for op in factors["ops"]:
        at.setdefault(op["at"], []).append((op, False))
        if op.get("at2"):
            at.setdefault(op["at2"], []).append((op, True))
    out = _Out()

    def slot(name):
        for op, second in at.get(name, []):
            out.guarded(op.get("guard"), op_lines(factors, names, op, second))

    _prologue(out, factors, names)
    loop = factors["loop"]
    if factors.get("peel"):
        for i, st in enumerate(factors["stages"]):
            _stage(out, factors, names, i, st, at, peel=True)
        out.emit("mov.u32 %r4, 1;")
    slot("pre")
    if loop != "straight":
        out.emit("$L_loop:")
        if not factors.get("unroll"):
            out.emit('.pragma "nounroll";')
        if loop == "top":
            out.emit("setp.ge.u32 %p1, %r4, %r3;", "@%p1 bra $L_done;")
        out.emit("setp.ne.u32 %pk, %r4, 0;")
    for i, st in enumerate(factors["stages"]):
        _stage(out, factors, names, i, st, at, peel=False)
    slot("tail")
    if loop != "straight":
        out.emit("add.u32 %r4, %r4, 1;")
        if loop == "top":
            out.emit("bra $L_loop;", "$L_done:")
        else:
            out.emit("setp.lt.u32 %p2, %r4, %r3;", "@%p2 bra $L_loop;")
    slot("exit")
    for i, w in enumerate(factors["final_waits"]):
        out.guarded(w.get("guard"), [f"wgmma.wait_group.sync.aligned {w['n']};"])
        slot(f"fw{i}")
    _consumers(out, factors, names)
    out.emit("ret;")
    directives = "\n.maxntid 128, 1, 1"
    if factors.get("maxnreg"):
        directives += f"\n.maxnreg {factors['maxnreg']}"
    decls = "\n".join("\t" + d for d in _decls(factors, names))
    entry = (f".visible .entry {NAME}(\n\t.param .u64 {NAME}_out,\n\t.param .u32 {NAME}_nk\n)"
             f"{directives}\n{{\n{decls}\n" + "\n".join(out.lines) + "\n}\n")
    return _funcs(factors, names) + entry


def _funcs(factors: dict, names) -> str:
    kinds = {op["kind"] for op in factors["ops"]}
    out = []
    if "call_ext" in kinds:
        out.append(f".extern .func {NAME}_ext(.param .b32 {NAME}_ext_x);\n")
    for kind, fn in FUNCS.items():
        if kind in kinds:
            out.append(_func_text(fn))
    return "".join(out)


def _func_text(fn: str) -> str:
    """A .func: `rec` recurses (ptxas reports C7509, as for an extern call), `plain` does not;
    the wg* ones hold wgmma: a whole stage with its own accumulators (wg), a bare
    wait_group 0 (wgw), an open stage (wgo: fence, mma, commit), a bare mma (wgm) or a bare
    commit_group (wgc)."""
    head = (f".func (.param .b32 {NAME}_{fn}_r) {NAME}_{fn}(.param .b32 {NAME}_{fn}_x)\n{{\n"
            "\t.reg .b32 %hr<4>;\n\t.reg .pred %hp<2>;\n\t.reg .b64 %hd<4>;\n\t.reg .f32 %hf<8>;\n"
            f"\tld.param.b32 %hr0, [{NAME}_{fn}_x];\n")
    body = []
    if fn in ("wg", "wgo", "wgm"):
        body += ["mov.u32 %hr3, smem;", "cvt.u64.u32 %hd0, %hr3;", "shr.u64 %hd1, %hd0, 4;",
                 "or.b64 %hd2, %hd1, 4611686293305360384;", "add.s64 %hd3, %hd2, 512;"]
        body += [f"mov.f32 %hf{i}, 0f00000000;" for i in range(8)]
        mma = ("wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 {%hf0, %hf1, %hf2, %hf3, %hf4, "
               "%hf5, %hf6, %hf7}, %hd2, %hd3, 1, 1, 1, 0, 0;")
        body += [mma] if fn == "wgm" else [
            "wgmma.fence.sync.aligned;", mma, "wgmma.commit_group.sync.aligned;"]
        if fn == "wg":
            body += ["wgmma.wait_group.sync.aligned 0;", "add.f32 %hf0, %hf0, %hf7;",
                     "mov.b32 %hr2, %hf0;", "add.u32 %hr0, %hr0, %hr2;"]
    elif fn == "wgw":
        body.append("wgmma.wait_group.sync.aligned 0;")
    elif fn == "wgc":
        body.append("wgmma.commit_group.sync.aligned;")
    if fn == "rec":
        body += ["setp.eq.u32 %hp0, %hr0, 0;", "@%hp0 bra $L_h_done;", "sub.u32 %hr1, %hr0, 1;",
                 "{", ".param .b32 a0;", ".param .b32 r0;", "st.param.b32 [a0], %hr1;",
                 f"call.uni (r0), {NAME}_{fn}, (a0);", "ld.param.b32 %hr2, [r0];", "}",
                 "add.u32 %hr0, %hr2, 1;", "$L_h_done:"]
    else:
        body.append("mul.lo.u32 %hr0, %hr0, 3;")  # ptxas keeps it a CALL (measured, 12.3)
    body += [f"st.param.b32 [{NAME}_{fn}_r], %hr0;", "ret;"]
    return head + "\n".join(b if b.endswith(":") else "\t" + b for b in body) + "\n}\n"
