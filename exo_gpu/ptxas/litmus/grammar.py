"""A grammar of small wgmma pipeline programs, sampled deterministically: factors = f(seed, dist).

``sample(seed, dist)`` returns the factors dict that ``render.render_body`` turns into PTX (its
docstring describes every field).  Two distributions:

* ``A``: the main one -- mostly one or two tiles, one stage per iteration, at most a few
  non-wgmma ops, each placed at any slot of the program (inside the open stage, between
  mmas, after the commit, after a wait that leaves groups pending, between stages, after
  the loop, after the final wait), sometimes under a branch or a predicate;
* ``B``: a different generator for a second test set -- more tiles (up to 6), two or three
  stages per iteration with interleaved k slices, peeling, bottom-tested and unrolled loops,
  more ops per program, more f16 accumulators and bf16 inputs, more deep waits.

The random stream is ``random.Random(f"{dist}:{seed}")`` (string seeds hash with SHA-512, so
the stream does not depend on the Python process).
"""

from __future__ import annotations

import random

from exo_gpu.ptxas.litmus import probes
from exo_gpu.ptxas.litmus.render import acc_regs, slots

DISTRIBUTIONS = ("A", "B", "P")  # P: the targeted probes of probes.py

# op kinds that touch an accumulator register (need "tile" and "reg")
ACC_OPS = ("def", "read", "rmw", "mov_chain", "migrate", "spill", "spill_rt")
PAIRED = ("migrate", "spill")  # a first half at "at", a second at "at2"
# op kinds that may be predicated instruction by instruction (no calls, no wgmma)
PREDICABLE = ("def", "read", "rmw", "mov_chain", "rs_a", "desc", "ldg")
DEFECTS = ("no_fence", "fence_after_mma1", "commit_after_mma1", "dup_commit", "no_commit")

# (weight, value) tables of the two distributions
W = {
    "A": dict(
        tiles=[(55, 1), (30, 2), (10, 3), (5, 4)],
        n=[(2, 8), (5, 16), (3, 32), (1.5, 64), (0.6, 128)],
        acc=[(85, "f32"), (15, "f16")], ab=[(80, "f16"), (20, "bf16")], rs=0.15,
        init=[(50, "zero"), (25, "undef"), (25, "peeled")],
        loop=[(70, "top"), (15, "bottom"), (15, "straight")], unroll=0.0,
        stages=[(75, 1), (25, 2)], k=[(70, 1), (25, 2), (5, 3)], interleave=0.2,
        all_tiles=0.75,
        wait=[(30, 0), (45, 1), (8, 2), (3, 3), (14, None)],
        sd_first=[(87, "1"), (5, "0"), (8, "p")], sd_rest=[(96, "1"), (4, "p")],
        mma_guard=0.03, no_fence=0.04, no_commit=0.04, defect=0.06, wait_guard=0.08,
        final=[(80, "0"), (8, "none"), (4, "1"), (5, "br_tid"), (2, "br_prm"), (1, "1,0")],
        nops=[(25, 0), (40, 1), (20, 2), (10, 3), (5, 4)],
        guard=[(80, None), (6, "br_tid"), (5, "br_prm"), (5, "p_tid"), (4, "p_prm")],
        consumer=[(75, "store"), (10, "sum"), (8, "some"), (7, "none")], consumer_guard=0.05,
        maxnreg=0.12, pressure=0.03,
    ),
    "B": dict(
        tiles=[(25, 2), (30, 3), (25, 4), (12, 5), (8, 6)],
        n=[(3, 8), (3, 16), (3, 32), (1.5, 64), (0.5, 128)],
        acc=[(60, "f32"), (40, "f16")], ab=[(55, "f16"), (45, "bf16")], rs=0.25,
        init=[(35, "zero"), (20, "undef"), (45, "peeled")],
        loop=[(40, "top"), (45, "bottom"), (15, "straight")], unroll=0.1,
        stages=[(30, 1), (45, 2), (25, 3)], k=[(55, 1), (35, 2), (10, 3)], interleave=0.6,
        all_tiles=0.5,
        wait=[(25, 0), (35, 1), (20, 2), (10, 3), (10, None)],
        sd_first=[(80, "1"), (8, "0"), (12, "p")], sd_rest=[(92, "1"), (8, "p")],
        mma_guard=0.05, no_fence=0.06, no_commit=0.06, defect=0.08, wait_guard=0.12,
        final=[(65, "0"), (10, "none"), (8, "1"), (8, "br_tid"), (5, "br_prm"), (4, "1,0")],
        nops=[(15, 0), (25, 1), (25, 2), (20, 3), (10, 4), (5, 6)],
        guard=[(65, None), (12, "br_tid"), (8, "br_prm"), (10, "p_tid"), (5, "p_prm")],
        consumer=[(60, "store"), (20, "sum"), (10, "some"), (10, "none")], consumer_guard=0.1,
        maxnreg=0.15, pressure=0.03,
    ),
}

OP_WEIGHTS = [(15, "def"), (15, "read"), (6, "rmw"), (8, "mov_chain"), (5, "migrate"),
              (6, "spill"), (6, "spill_rt"), (3, "call_ext"), (4, "call_rec"), (3, "call_plain"),
              (3, "call_wg"), (2, "call_wgwait"), (2, "call_wgopen"),
              (1, "call_wgmma"), (1, "call_wgcommit"), (5, "rs_a"), (3, "desc"),
              (3, "fence"), (4, "wait"), (2, "commit"), (2, "bar"), (3, "ldg")]

# accumulator registers per thread, over all tiles: ptxas 12.x takes tens of seconds on
# some kernels past ~200, so only the register-pressure programs go past 128
ACC_REG_LIMIT = 128
PRESSURE_REG_LIMIT = 256


def _pick(rng: random.Random, table):
    total = sum(w for w, _ in table)
    x = rng.random() * total
    for w, v in table:
        x -= w
        if x < 0:
            return v
    return table[-1][1]


def _tiles(rng: random.Random, w: dict) -> list[dict]:
    if rng.random() < w["pressure"]:  # register pressure: big tiles, several of them
        n, count = rng.choice([(256, 2), (128, 3), (128, 4), (256, 1), (192, 2), (64, 4)])
        ns = [n] * count
        limit = PRESSURE_REG_LIMIT
    else:
        ns = [_pick(rng, w["n"]) for _ in range(_pick(rng, w["tiles"]))]
        limit = ACC_REG_LIMIT
    tiles = []
    for n in ns:
        acc = _pick(rng, w["acc"])
        ab = "f16" if acc == "f16" else _pick(rng, w["ab"])
        if acc == "f16" and n % 16:
            n = 16  # an f16 accumulator needs n/4 whole registers per thread
        tiles.append(dict(n=n, acc=acc, ab=ab, init=_pick(rng, w["init"]), rs=rng.random() < w["rs"]))
    while sum(acc_regs(t) for t in tiles) > limit:
        tiles.pop()
    return tiles


def _stage(rng: random.Random, w: dict, ntiles: int) -> dict:
    if rng.random() < w["all_tiles"]:
        order = list(range(ntiles))
    else:
        order = sorted(rng.sample(range(ntiles), rng.randint(1, ntiles)))
    ks = {t: _pick(rng, w["k"]) for t in order}
    if rng.random() < w["interleave"]:  # k-major: t0 k0, t1 k0, t0 k1, ...
        seq = [t for k in range(max(ks.values())) for t in order if k < ks[t]]
    else:
        seq = [t for t in order for _ in range(ks[t])]
    mmas, seen = [], set()
    for t in seq:
        sd = _pick(rng, w["sd_rest"] if t in seen else w["sd_first"])
        seen.add(t)
        g = rng.choice(["br_tid", "br_prm", "p_prm", "p_tid"]) if rng.random() < w["mma_guard"] else None
        mmas.append([t, sd, g])
    st = dict(fence=rng.random() >= w["no_fence"], mmas=mmas, commit=rng.random() >= w["no_commit"],
              wait=_pick(rng, w["wait"]), defect=None, wait_guard=None, commit_guard=None)
    if rng.random() < w["defect"]:
        st["defect"] = rng.choice(DEFECTS[1:4])
    if st["wait"] is not None and rng.random() < w["wait_guard"]:
        st["wait_guard"] = rng.choice(["br_tid", "br_prm", "p_tid"])
    return st


def _final(rng: random.Random, w: dict) -> list[dict]:
    f = _pick(rng, w["final"])
    if f == "none":
        return []
    if f == "1,0":
        return [dict(n=1, guard=None), dict(n=0, guard=None)]
    if f.startswith("br_"):
        return [dict(n=0, guard=f)]
    return [dict(n=int(f), guard=None)]


def _ops(rng: random.Random, w: dict, factors: dict) -> list[dict]:
    names = slots(factors)
    has_rs = [i for i, t in enumerate(factors["tiles"]) if t["rs"]]
    ops = []
    for i in range(_pick(rng, w["nops"])):
        kind = _pick(rng, OP_WEIGHTS)
        if kind == "rs_a" and not has_rs:
            kind = "desc"
        op = dict(id=i + 1, kind=kind, at=rng.choice(names), guard=_pick(rng, w["guard"]))
        if kind in ACC_OPS:
            op["tile"] = rng.randrange(len(factors["tiles"]))
            op["reg"] = rng.randrange(acc_regs(factors["tiles"][op["tile"]]))
        elif kind == "rs_a":
            op["tile"], op["reg"] = rng.choice(has_rs), rng.randrange(4)
        elif kind == "desc":
            op["reg"] = rng.randrange(4)
        if kind in ("spill", "spill_rt"):
            op["count"] = rng.choice([1, 4, 8, 16])
        if kind in PAIRED:
            op["at2"] = rng.choice([s for s in names if s != op["at"]])
        if kind == "wait":
            op["n"] = rng.choice([0, 0, 1, 2])
        if op["guard"] and op["guard"].startswith("p_") and kind not in PREDICABLE:
            op["guard"] = "br_" + op["guard"][2:]
        ops.append(op)
    return ops


def _maxnreg(rng: random.Random, tiles: list[dict]) -> int:
    """A budget near what the kernel needs (accumulators + A fragments + ~56 others)."""
    need = sum(acc_regs(t) for t in tiles) + 4 * sum(t["rs"] for t in tiles) + 56
    return max(24, min(255, need + rng.choice([-16, -8, -4, 0, 4, 8, 24, 64])))


def sample(seed: int, dist: str = "A") -> dict:
    """The factors of program `seed` of distribution `dist`."""
    if dist == "P":
        return probes.sample(seed)
    if dist not in W:
        raise ValueError(f"unknown distribution {dist!r}; use one of {', '.join(W)}")
    rng = random.Random(f"{dist}:{seed}")
    w = W[dist]
    tiles = _tiles(rng, w)
    factors = dict(dist=dist, seed=seed, tiles=tiles, loop=_pick(rng, w["loop"]))
    factors["unroll"] = factors["loop"] != "straight" and rng.random() < w["unroll"]
    factors["peel"] = factors["loop"] != "straight" and any(t["init"] == "peeled" for t in tiles)
    if factors["loop"] == "straight":
        for t in tiles:
            t["init"] = "undef" if t["init"] == "peeled" else t["init"]
    factors["stages"] = [_stage(rng, w, len(tiles)) for _ in range(_pick(rng, w["stages"]))]
    factors["final_waits"] = _final(rng, w)
    factors["ops"] = _ops(rng, w, factors)
    consumers = []
    for t in range(len(tiles)):
        kind = _pick(rng, w["consumer"])
        if kind != "none":
            g = rng.choice(["br_tid", "br_prm"]) if rng.random() < w["consumer_guard"] else None
            consumers.append(dict(tile=t, kind=kind, guard=g))
    factors["consumers"] = consumers
    factors["maxnreg"] = _maxnreg(rng, tiles) if rng.random() < w["maxnreg"] else None
    return factors
