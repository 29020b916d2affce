"""The labeller's SASS counts, as the flow model (`exo_gpu.ptxas.flow_model`) predicts them.

The litmus labeller calls a kernel serialized when every HGMMA carries gsb0 where the PTX had
fewer commit_groups than wgmmas, and counts a wait as injected when SASS has more
WARPGROUP.DEPBAR than the PTX has wait_group lines.  ptxas copies some loops 8 times (despite
`.pragma "nounroll"` for a bottom-tested loop that starts with its fence), which changes those
counts without any code: `observed_shape` re-does them on the analysed function
(`flow_model.Analysis`: its ops, back edges, guards).
"""

from __future__ import annotations


UNROLL = 8  # ptxas unrolls a small bottom-tested loop (despite .pragma "nounroll") into this many copies
UNROLL_MAX_BODY = 22  # ... when it starts with its fence and has at most this many instructions (`replicable`; probes)
UNROLL_MAX_FREE = 40  # without .pragma "nounroll", top- and bottom-tested loops alike (probes: 8x at ~20)


def replicable(a, t: int, i: int) -> bool:
    """Does ptxas copy the bottom-tested loop t..i despite its `.pragma "nounroll"`?  Only when
    the loop starts with its wgmma.fence (no live instruction before it: a dead one is gone),
    none of its wgmmas takes a run-time scale-d, and it calls nothing (probes
    `pragma_loop_*` in tests/test_flow_model.py)."""
    body = a.ops[t:i + 1]
    first = next((op for op in body if op.kind in ("instr", "mma", "bra") and not op.opc.startswith(".pragma")), None)
    if first is None or not first.is_("wgmma.fence"):
        return False
    return not any((op.kind == "mma" and op.sd not in ("0", "1")) or op.callee for op in body)


def observed_shape(a, ser: bool, wait: bool, old: bool) -> tuple[bool, bool]:
    """What the labeller reads from SASS counts (exo_gpu.ptxas.atlas.is_serialized): serialized
    = every HGMMA carries gsb0 where the PTX had fewer commit_groups than wgmmas; a wait
    injected = more WARPGROUP.DEPBAR than PTX wait_group lines.  ptxas unrolls bottom-tested
    loops (the back edge is a conditional branch), which copies the loop's wgmmas, commits and
    waits, so the counts of an unrolled loop are those of `UNROLL` iterations.  `old`: ptxas
    12.0-12.4, which give a guarded wgmma its own group."""
    if ser:
        return True, False

    def size(t: int, i: int) -> int:
        return sum(op.kind not in ("nop", "label") for op in a.ops[t:i + 1])

    def nounroll(t: int, i: int) -> bool:
        return any(op.opc.startswith(".pragma") and "nounroll" in " ".join(op.args) for op in a.ops[t:i + 1])

    bottom = [(t, i) for i, t in a.back_edges
              if (a.ops[i].guard is not None and size(t, i) <= UNROLL_MAX_BODY and replicable(a, t, i))
              or (not nounroll(t, i) and size(t, i) <= UNROLL_MAX_FREE)]
    unrolled = lambda j: any(t <= j <= i for t, i in bottom)  # noqa: E731
    h = g = commits = waits = d = 0
    cur = 0
    for j, op in enumerate(a.ops):
        k = UNROLL if unrolled(j) else 1
        if op.kind == "mma" and old and a.guard_of(j):  # ptxas 12.0-12.4 give a guarded wgmma its own group
            h += k
            g += k * (1 + bool(cur))
            cur = 0
        elif op.kind == "mma":
            h += k
            cur += 1
        elif op.is_("wgmma.commit_group") or op.is_("wgmma.wait_group"):
            if cur:
                g += k
            cur = 0
            if op.is_("wgmma.wait_group"):
                waits += 1
                d += k
    commits = sum(1 for f in a.funcs.values() for op in f.ops if op.is_("wgmma.commit_group"))
    waits = sum(1 for f in a.funcs.values() for op in f.ops if op.is_("wgmma.wait_group"))
    if h >= 2 and g == h and commits < h:
        return True, False
    return False, wait or d > waits
