"""Evaluate the flow model (`exo_gpu.ptxas.flow_model`) on the model_eval data sets.

    python -m exo_gpu.ptxas.flow_eval            # agreement per version on TRAIN (and dev buckets)
    python -m exo_gpu.ptxas.flow_eval --buckets  # the largest TRAIN error buckets per version

`evaluate_flow` returns the same structure as `model_eval.evaluate`, so `model_eval report`
prints the flow model's columns beside the fitted lists and the RULES table.  Development
looked at TRAIN only (error buckets by event signature); the test sets are only evaluated
as aggregates.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from exo_gpu.ptxas import flow_model as F
from exo_gpu.ptxas.flow_ir import IrCache
from exo_gpu.ptxas.model import exact_key


def predict_example(e, cache: IrCache, version: str):
    """(codes, serialized, wait) of the flow model for one Example, or None if unreadable."""
    funcs = cache.get(e.text)
    if not funcs or e.kernel not in funcs:
        return None
    return F.predict(funcs, e.kernel, version)


def evaluate_flow(examples, cache: IrCache | None = None) -> dict:
    """{version: {"agree", "total", "codes": {code: [tp, fp, fn]}, "ser", "wait", "misses"}}"""
    cache = cache or IrCache()
    res: dict[str, dict] = {}
    for e in examples:
        for v, (codes, ser, wait) in e.obs.items():
            p = predict_example(e, cache, v)
            if p is None:
                continue
            pk, obs = exact_key(*p), exact_key(codes, ser, wait)
            r = res.setdefault(v, {"agree": 0, "total": 0, "codes": {}, "ser": [0, 0, 0], "wait": [0, 0, 0],
                                   "misses": []})
            r["total"] += 1
            r["agree"] += pk == obs
            if pk != obs:
                r["misses"].append((e.id, pk, obs))
            for c in set(pk[0]) | set(obs[0]):
                t = r["codes"].setdefault(c, [0, 0, 0])
                t[0 if (c in pk[0] and c in obs[0]) else 1 if c in pk[0] else 2] += 1
            for key, pv, ov in (("ser", pk[1], obs[1]), ("wait", pk[2], obs[2])):
                if pv or ov:
                    r[key][0 if (pv and ov) else 1 if pv else 2] += 1
    cache.save()
    return res


def buckets(examples, cache: IrCache, version: str, top: int = 15) -> list[tuple[int, tuple]]:
    """The largest error buckets on `examples`: (event signature, predicted, observed)."""
    out: Counter = Counter()
    for e in examples:
        funcs = cache.get(e.text)
        if not funcs or version not in e.obs or e.kernel not in funcs:
            continue
        a = F.Analysis(funcs[e.kernel], funcs, version)
        evs = F.events(a)
        p, o = exact_key(*F.verdict(a, evs)), exact_key(*e.obs[version])
        if p != o:
            out[(tuple(sorted({(ev.kind, ev.status) for ev in evs})), p, o)] += 1
    return [(n, k) for k, n in out.most_common(top)]


def main(argv: list[str] | None = None) -> int:
    from exo_gpu.ptxas.model_eval import DATA, ModelEvalError, _summary_line, load_sets

    ap = argparse.ArgumentParser(prog="python -m exo_gpu.ptxas.flow_eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--buckets", action="store_true", help="print the largest TRAIN error buckets")
    ap.add_argument("--version", action="append", default=[], help="with --buckets (repeatable; default 12.3, 13.5)")
    args = ap.parse_args(argv)
    try:
        sets = load_sets(args.data, with_real=False)
    except ModelEvalError as e:
        print(f"exo-gpu flow_eval: error: {e}", file=sys.stderr)
        return 1
    cache = IrCache()
    train = sets["train"]
    print(_summary_line("train", evaluate_flow(train, cache)))
    if args.buckets:
        for v in args.version or ["12.3", "13.5"]:
            print(f"== {v}")
            for n, (sig, p, o) in buckets(train, cache, v):
                print(f"{n:4d} {sig} predicted {p} observed {o}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
