"""Distribution P: a systematic list of targeted variants of one small base program, aimed at
the codes that random sampling rarely reaches (C7510, C7511/C7512, C7516, C7518, C7520).

``sample(seed)`` is ``VARIANTS[seed]`` (``len(VARIANTS)`` programs); each variant changes a
few factors of ``BASE`` (one m64n16 f32 tile, zeroed; a top-tested K loop whose one stage
is fence, two mmas, commit, wait_group 1; final wait_group 0; the tile stored).  Families:

* ``branch``: the stage's mmas and commit under one branch (divergent or uniform), with or
  without the in-loop wait, in a loop or straight-line code, one or two tiles;
* ``live``: many values loaded at one slot and combined with the accumulators at another
  (register pressure from non-wgmma code);
* ``pressure``: big tiles with and without a ``.maxnreg`` budget near their need, with a
  call beside them or not;
* ``call``: every call kind at every slot, plain or under a divergent branch;
* ``guard``: one mma, the wait, the final wait or the commit under a branch or predicate;
* ``exit``: a predicated ``ret`` or loop exit at every slot of the stage; a fence under a branch.
"""

from __future__ import annotations

import copy
import itertools

BASE = {"dist": "P", "seed": 0,
        "tiles": [{"n": 16, "acc": "f32", "ab": "f16", "init": "zero", "rs": False}],
        "loop": "top", "unroll": False, "peel": False,
        "stages": [{"fence": True, "mmas": [[0, "1", None], [0, "1", None]], "commit": True, "wait": 1,
                    "defect": None, "wait_guard": None, "commit_guard": None}],
        "final_waits": [{"n": 0, "guard": None}], "ops": [],
        "consumers": [{"tile": 0, "kind": "store", "guard": None}], "maxnreg": None}

CALLS = ("call_ext", "call_rec", "call_plain", "call_wg", "call_wgwait", "call_wgopen",
         "call_wgmma", "call_wgcommit")


def _tile(n: int) -> dict:
    return {"n": n, "acc": "f32", "ab": "f16", "init": "zero", "rs": False}


def _tiles(f: dict, ns) -> None:
    f["tiles"] = [_tile(n) for n in ns]
    f["stages"][0]["mmas"] = [[i, "1", None] for i in range(len(ns))]
    f["consumers"] = [{"tile": i, "kind": "store", "guard": None} for i in range(len(ns))]


def _branch():
    for br, wait, loop, nt in itertools.product(("tid", "prm"), (0, 1, None), ("top", "straight"), (1, 2)):
        f = copy.deepcopy(BASE)
        if nt == 2:
            _tiles(f, (16, 32))
        f["stages"][0].update(defect=f"branch_stage_{br}", wait=wait)
        f["loop"] = loop
        yield f


def _live():
    spans = (("pre", "fw0"), ("s0.top", "s0.w"), ("s0.f", "s0.mm"), ("s0.c", "fw0"), ("pre", "s0.m0"))
    for count, (at, at2), n in itertools.product((32, 64, 128), spans, (64, 256)):
        f = copy.deepcopy(BASE)
        _tiles(f, (n,))
        f["stages"][0]["mmas"].append([0, "1", None])
        f["ops"] = [{"id": 1, "kind": "live", "count": count, "at": at, "at2": at2, "guard": None}]
        yield f


def _pressure():
    sets = ((256,), (128, 128), (256, 128), (256, 256), (192, 192), (128, 128, 128), (64, 64, 64, 64))
    for ns in sets:
        need = sum(n // 2 for n in ns) + 24
        for mx in (None, need - 16, need, need + 16, 255):
            if mx is not None and (mx > 255 or mx < 24):
                continue
            f = copy.deepcopy(BASE)
            _tiles(f, ns)
            f["maxnreg"] = mx
            yield f
        for call, at in (("call_plain", "pre"), ("call_wg", "exit")):
            f = copy.deepcopy(BASE)
            _tiles(f, ns)
            f["ops"] = [{"id": 1, "kind": call, "at": at, "guard": None}]
            yield f


def _call():
    slots = ("pre", "s0.f", "s0.m0", "s0.c", "s0.w", "exit", "fw0")
    for kind, at, guard in itertools.product(CALLS, slots, (None, "br_tid")):
        f = copy.deepcopy(BASE)
        f["ops"] = [{"id": 1, "kind": kind, "at": at, "guard": guard}]
        yield f


def _guard():
    for g, j in itertools.product(("br_tid", "br_prm", "p_tid", "p_prm"), (0, 1)):
        f = copy.deepcopy(BASE)
        f["stages"][0]["mmas"][j][2] = g
        yield f
    for g, w in itertools.product(("br_tid", "br_prm", "p_tid"), (0, 1)):
        f = copy.deepcopy(BASE)
        f["stages"][0].update(wait_guard=g, wait=w)
        yield f
    for g in ("br_tid", "br_prm"):
        f = copy.deepcopy(BASE)
        f["final_waits"][0]["guard"] = g
        yield f
        f = copy.deepcopy(BASE)
        f["stages"][0]["commit_guard"] = g
        yield f


def _exit():
    """Leaving the stage early: a predicated ret (C7516 on 12.x, measured) or loop exit."""
    for g, at in itertools.product(("p_tid", "p_prm"), ("s0.f", "s0.m0", "s0.mm", "s0.c", "s0.w", "tail", "exit")):
        f = copy.deepcopy(BASE)
        f["ops"] = [{"id": 1, "kind": "ret", "at": at, "guard": g}]
        yield f
    for g, at in itertools.product(("p_tid", "p_prm"), ("s0.m0", "s0.mm", "s0.c", "s0.w")):
        f = copy.deepcopy(BASE)
        f["ops"] = [{"id": 1, "kind": "brk", "at": at, "guard": g}]
        yield f
    for g in ("br_tid", "br_prm"):
        f = copy.deepcopy(BASE)
        f["stages"][0]["fence"] = False
        f["ops"] = [{"id": 1, "kind": "fence", "at": "s0.top", "guard": g}]
        yield f


# new families go last: the seeds of the earlier ones stay the same
FAMILIES = {"branch": _branch, "live": _live, "pressure": _pressure, "call": _call, "guard": _guard,
            "exit": _exit}


def _variants() -> list[dict]:
    out = []
    for family, gen in FAMILIES.items():
        for f in gen():
            f["family"] = family
            f["seed"] = len(out)
            out.append(f)
    return out


VARIANTS = _variants()


def sample(seed: int) -> dict:
    if not 0 <= seed < len(VARIANTS):
        raise ValueError(f"distribution P has {len(VARIANTS)} programs (seeds 0..{len(VARIANTS) - 1})")
    return copy.deepcopy(VARIANTS[seed])
