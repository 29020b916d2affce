"""Fit and evaluate the ptxas wgmma-pipeline model on data it was not fitted to.

    python -m exo_gpu.ptxas.model_eval fit     # fit on the TRAIN split of litmus distribution A
    python -m exo_gpu.ptxas.model_eval report  # agreement per version: train, A test, B, atlas, real
    python -m exo_gpu.ptxas.model_eval sample  # store a test-split sample for tests/test_model_eval.py

Agreement is *exact*: the set of wgmma-pipeline codes (C7509..C7520) AND serialized-or-not AND
whether a wait was injected (without serializing) must all match what ptxas did.  ``report``
writes docs/ptxas-model-eval.md with, per version and data set, the agreement, and per code the
true positives, false positives and false negatives.

The fitted rules (exo_gpu/ptxas/model_rules.json) are read by `verify-wgmma-pipeline`, so the
doctor, the atlas and the compiler all use them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from exo_gpu.errors import ExoGpuError
from exo_gpu.ptxas import model as M
from exo_gpu.ptxas.model_data import ROOT, Example, FeatureCache, load_atlas, load_litmus, load_real

DATA = Path("/work/litmus-data")
REPORT = ROOT / "docs" / "ptxas-model-eval.md"
SAMPLE = ROOT / "tests" / "ptxas_model" / "test-sample.jsonl.gz"


class ModelEvalError(ExoGpuError):
    """Missing or unreadable evaluation data."""


def _corpus_files(data: Path, dist: str) -> list[Path]:
    """Every litmus corpus document of `dist` under `data` (slices and the whole corpus)."""
    return sorted({*data.glob(f"corpus-{dist}*.json.gz"), *data.glob(f"*/corpus-{dist}*.json.gz")})


def _load_dist(paths: list[Path], dist: str) -> list[Example]:
    """Programs of every document, each once (by sha256; the one with most observations)."""
    best: dict[str, Example] = {}
    for p in paths:
        for e in load_litmus(p, dist):
            if e.id not in best or len(e.obs) > len(best[e.id].obs):
                best[e.id] = e
    return list(best.values())


def load_sets(data: Path, extra: list[Path] = (), with_real: bool = True) -> dict[str, list[Example]]:
    """{"train", "A-test", "B", "atlas", "real"} examples; `extra` are more directories of
    litmus corpus documents (distribution A programs from other seeds, same split rule)."""
    sets: dict[str, list[Example]] = {}
    fa = _corpus_files(data, "A") + [f for d in extra for f in _corpus_files(d, "A")]
    if not fa:
        raise ModelEvalError(f"no litmus corpus of distribution A under {data}; pass --data DIR")
    a = _load_dist(fa, "A")
    sets["train"] = [e for e in a if e.train]
    sets["A-test"] = [e for e in a if not e.train]
    fb = _corpus_files(data, "B")
    sets["B"] = _load_dist(fb, "B") if fb else []
    sets["atlas"] = load_atlas()
    if with_real and (data / "real").is_dir():
        sets["real"] = load_real(data / "real")
    return sets


def _features(examples: list[Example], fc: FeatureCache) -> list[tuple[Example, object]]:
    out = []
    for i, e in enumerate(examples):
        kf = fc.get(e)
        if kf is not None:
            out.append((e, kf))
    fc.flush()
    return out


def fit_model(train: list[Example], fc: FeatureCache, versions: list[str], **kw) -> M.Model:
    from exo_gpu.ptxas.model_fit import fit

    rows = [(kf, {v: M.targets(*o) for v, o in e.obs.items()}) for e, kf in _features(train, fc)]
    model = fit(rows, versions, **kw)
    model.meta.update({"fitted_on": "litmus distribution A, TRAIN split", "train_programs": len(rows)})
    return model


def evaluate(model: M.Model, examples: list[tuple[Example, object]]) -> dict:
    """{version: {"agree", "total", "codes": {code: [tp, fp, fn]}, "ser": [tp, fp, fn], "wait": [...]}}"""
    res: dict[str, dict] = {}
    for e, kf in examples:
        for v, (codes, ser, wait) in e.obs.items():
            p = model.predict(kf, v)
            obs = M.exact_key(codes, ser, wait)
            r = res.setdefault(v, {"agree": 0, "total": 0, "codes": {}, "ser": [0, 0, 0], "wait": [0, 0, 0],
                                   "misses": []})
            r["total"] += 1
            ok = p.key == obs
            r["agree"] += ok
            if not ok:
                r["misses"].append((e.id, p.key, obs))
            for c in set(p.codes) | set(obs[0]):
                t = r["codes"].setdefault(c, [0, 0, 0])
                t[0 if (c in p.codes and c in obs[0]) else 1 if c in p.codes else 2] += 1
            for key, pv, ov in (("ser", p.serialized, obs[1]), ("wait", p.key[2], obs[2])):
                if pv or ov:
                    res[v][key][0 if (pv and ov) else 1 if pv else 2] += 1
    return res


def _vkey(v: str):
    return tuple(int(x) for x in v.split("."))


def _agreement_table(title: str, res: dict[str, dict], sets: list[str], versions: list[str],
                     intro: list[str] = ()) -> list[str]:
    out = [f"## {title}", "", *intro, "| ptxas | " + " | ".join(f"{s} (n)" for s in sets) + " |",
           "|---" * (len(sets) + 1) + "|"]
    for v in versions:
        cells = []
        for s in sets:
            r = res.get(s, {}).get(v)
            cells.append(f"{100.0 * r['agree'] / r['total']:.1f}% ({r['total']})" if r and r["total"] else "-")
        out.append(f"| {v} | " + " | ".join(cells) + " |")
    return out + [""]


def _default_rule(flow: dict[str, dict], baseline: dict[str, dict] | None) -> str:
    """The rule for making the flow model the default: it beats RULES on A-test AND B AND real for
    12.3 and 13.5; the sentence says whether it does, with the cells where it does not."""
    def pct(res, s, v):
        r = (res or {}).get(s, {}).get(v)
        return 100.0 * r["agree"] / r["total"] if r and r["total"] else None

    lose = [f"{s} {v}: {pct(flow, s, v):.1f} against {pct(baseline, s, v):.1f}"
            for v in ("12.3", "13.5") for s in ("A-test", "B", "real")
            if pct(flow, s, v) is not None and pct(baseline, s, v) is not None and pct(flow, s, v) <= pct(baseline, s, v)]
    if lose:
        return "Opt-in (EXO_GPU_PTXAS_MODEL=flow), not the default: it does not beat RULES on " + "; ".join(lose) + "."
    return ("The default model (EXO_GPU_PTXAS_MODEL unset or `flow`; `rules` or `fitted` for the others): it beats "
            "RULES on A-test, B and real for both 12.3 and 13.5.")


def _flow_section(flow: dict[str, dict], results: dict[str, dict], baseline: dict[str, dict] | None,
                  sets: list[str], versions: list[str]) -> list[str]:
    intro = ["`exo_gpu/ptxas/flow_model.py`: an abstract interpretation of ptxas's check over the PTX CFG "
             "(in-flight wgmma groups, non-wgmma reads and definitions of their accumulators, waits, branches, loops, "
             "calls), after ptxas's own dead-code elimination and constant scale-d, with one clause per event kind and "
             "version family, and the labeller's SASS counts of bottom-tested loops that ptxas unrolls.  Developed on "
             "TRAIN error buckets and probes (`python -m exo_gpu.ptxas.flow_eval --buckets`); A-test, B and atlas were "
             "evaluated as aggregates only; the misses of `real` were listed once by event kind mid-way (see "
             "docs/ptxas-flow-model.md), so `real` is not fully unseen.  " + _default_rule(flow, baseline), ""]
    out = _agreement_table("The flow model (mechanistic, no fitted rules)", flow, sets, versions, intro)
    cols = [s for s in ("train", "A-test", "B", "real") if s in sets]
    out += [f"### flow vs RULES vs fitted ({', '.join(cols)})", "",
            "| ptxas | " + " | ".join(f"{s}: flow / RULES / fitted" for s in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for v in versions:
        cells = []
        for s in cols:
            vals = []
            for res in (flow, baseline or {}, results):
                r = res.get(s, {}).get(v)
                vals.append(f"{100.0 * r['agree'] / r['total']:.1f}" if r and r["total"] else "-")
            cells.append(" / ".join(vals))
        out.append(f"| {v} | " + " | ".join(cells) + " |")
    return out + [""]


def write_report(results: dict[str, dict], model: M.Model, path: Path = REPORT, notes: list[str] = (),
                 baseline: dict[str, dict] | None = None, flow: dict[str, dict] | None = None) -> Path:
    versions = sorted({v for r in results.values() for v in r}, key=_vkey)
    out = ["# ptxas wgmma-pipeline model: evaluation", "",
           "<!-- GENERATED by `python -m exo_gpu.ptxas.model_eval report`. Do not edit by hand. -->", "",
           "Exact agreement = the set of wgmma-pipeline codes (C7509..C7520) AND serialized-or-not AND a wait "
           "injected without serializing, all equal to what that ptxas did.",
           f"The model ({sum(len(c.rules) for comps in model.lists.values() for c in comps.values())} rules over "
           f"{len(model.lists)} versions) was fitted on `train` only: {model.meta.get('fitted_on', '?')}, "
           f"{model.meta.get('train_programs', '?')} programs.  `A-test` is the held-out split of the same generator "
           "(one program in five by sha256), `B` a different generator (more tiles, stages, unrolled loops), "
           "`atlas` the 39 hand-written one-factor cases, `real` PTX from nvcc/NVRTC/Triton (12.3 and 13.5 only). "
           "None of A-test, B, atlas or real was used for fitting.", ""]
    out += list(notes)
    sets = list(results)
    out += _agreement_table("Exact agreement per ptxas version", results, sets, versions)
    if baseline:
        out += _agreement_table("Baseline: the hand-written RULES table alone (no fitted exceptions)", baseline,
                                sets, versions)
    if flow:
        out += _flow_section(flow, results, baseline, sets, versions)
    for s in sets:
        out += [f"## Confusion by code: {s}", "",
                "Per version, `TP/FP/FN` (predicted and observed / predicted only / observed only); `ser` = "
                "serialized, `wait` = a wait injected without serializing.", ""]
        codes = sorted({c for r in results[s].values() for c in r["codes"]})
        cols = codes + ["ser", "wait"]
        out += ["| ptxas | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for v in versions:
            r = results[s].get(v)
            if not r:
                continue
            cells = [("/".join(map(str, r["codes"].get(c, [0, 0, 0])))) for c in codes]
            cells += ["/".join(map(str, r["ser"])), "/".join(map(str, r["wait"]))]
            out.append(f"| {v} | " + " | ".join(cells) + " |")
        out.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    return path


def _summary_line(name: str, res: dict, prefix: str = "") -> str:
    cells = [f"{v}:{100.0 * r['agree'] / r['total']:.1f}" for v, r in sorted(res.items(), key=lambda kv: _vkey(kv[0]))
             if r["total"]]
    return f"{prefix}{name:7s} " + " ".join(cells)


def rules_only(model: M.Model) -> M.Model:
    """The baseline: the hand-written RULES table alone (every list empty, default =RULES)."""
    return M.Model({v: {c: M.RuleList([], M.HAND) for c in M.COMPONENTS} for v in model.lists},
                   {"fitted_on": "nothing (the hand-written RULES table)"})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m exo_gpu.ptxas.model_eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("cmd", choices=["fit", "report", "sample", "misses"])
    ap.add_argument("--data", type=Path, default=DATA, help="the litmus data directory (default /work/litmus-data)")
    ap.add_argument("--extra", type=Path, action="append", default=[],
                    help="another directory of distribution-A corpus documents (repeatable)")
    ap.add_argument("--dev", action="store_true", help="fit on 3/4 of TRAIN, evaluate on the other quarter only")
    ap.add_argument("--jobs", type=int, default=2, help="processes computing kernel features")
    ap.add_argument("--min-gain", type=int, default=2)
    ap.add_argument("--max-rules", type=int, default=120)
    ap.add_argument("--alpha", type=float, default=0.3)
    ap.add_argument("--beam", type=int, default=10)
    ap.add_argument("--max-len", type=int, default=3)
    ap.add_argument("--anchored", action="store_true", help="every rule starts with a pipeline fact (no G: first)")
    ap.add_argument("--version", default="13.5", help="misses: the ptxas version to list")
    ap.add_argument("--set", default="train", help="misses: the data set to list")
    args = ap.parse_args(argv)
    try:
        t0 = time.time()
        sets = load_sets(args.data, args.extra)
        if args.dev:  # hold out a quarter of TRAIN (by sha256) to develop on; the test sets stay unread
            sets = {"train": [e for e in sets["train"] if int(e.id[8:16], 16) % 4 != 0],
                    "dev": [e for e in sets["train"] if int(e.id[8:16], 16) % 4 == 0]}
        fc = FeatureCache()
        fc.fill([e for ex in sets.values() for e in ex], args.jobs)
        feats = {name: _features(ex, fc) for name, ex in sets.items()}
        print(f"features of {sum(len(f) for f in feats.values())} kernels in {time.time() - t0:.0f}s", flush=True)
        if args.cmd == "fit":
            versions = sorted({v for e in sets["train"] for v in e.obs}, key=_vkey)
            model = fit_model(sets["train"], fc, versions, min_gain=args.min_gain, max_rules=args.max_rules,
                              alpha=args.alpha, anchored=args.anchored, beam=args.beam, max_len=args.max_len)
            model.save()
            from exo_gpu.ptxas import model_doc

            wit = model_doc.witnesses(model, feats["train"], feats["train"] + feats.get("atlas", []))
            model_doc.WITNESS_FILE.write_text(json.dumps(wit, indent=0, sort_keys=True) + "\n")
            print(f"wrote {M.RULES_FILE.relative_to(ROOT)} ({time.time() - t0:.0f}s)")
            M.load.cache_clear()
        model = M.load()
        if model is None:
            raise ModelEvalError(f"no fitted rules at {M.RULES_FILE}; run: python -m exo_gpu.ptxas.model_eval fit")
        results = {name: evaluate(model, f) for name, f in feats.items() if f}
        baseline = {name: evaluate(rules_only(model), f) for name, f in feats.items() if f}
        for name, res in results.items():
            print(_summary_line(name, res))
        for name, res in baseline.items():
            print(_summary_line(name, res, "RULES "))
        flow = None
        if args.cmd == "report":
            from exo_gpu.ptxas.flow_eval import evaluate_flow
            from exo_gpu.ptxas.flow_ir import IrCache

            cache = IrCache()
            flow = {name: evaluate_flow(ex, cache) for name, ex in sets.items() if ex}
            for name, res in flow.items():
                print(_summary_line(name, res, "FLOW "))
        if args.cmd == "report":
            counts = ", ".join(f"{name} {len(ex)}" for name, ex in sets.items())
            notes = [f"Kernels per set: {counts} (real: kernels of the realptx helper's nvcc/NVRTC/Triton/CuTe "
                     "PTX that the reader reads and that have observations).",
                     "", f"Fit parameters: {model.meta.get('params', {})}.", "",
                     "Disclosure: the learner's parameters (gain threshold, anchoring) were chosen on a dev quarter of "
                     "TRAIN; after seeing the real-compiler results of one fit, two features were changed (a branch "
                     "around a whole pipeline is no longer a 'wgmma under a branch', and a wait right after its commit "
                     "is a G: shape fact) because rules anchored on them fired on every real kernel; so the `real` "
                     "column is not fully unseen.  A-test and B aggregates were printed by some fits during development "
                     "but never used to pick parameters or features; no test program was inspected.", ""]
            print(write_report(results, model, notes=notes, baseline=baseline, flow=flow).relative_to(ROOT))
        elif args.cmd == "misses":
            r = results[args.set].get(args.version, {})
            for mid, p, o in r.get("misses", [])[:60]:
                print(f"{mid[:16]} predicted {p} observed {o}")
        elif args.cmd == "sample":
            write_sample(sets["A-test"])
    except ExoGpuError as e:
        print(f"exo-gpu model_eval: error: {e}", file=sys.stderr)
        return 1
    return 0


def write_sample(test: list[Example], n: int = 200, path: Path = SAMPLE) -> Path:
    """A fixed sample of the A test split (smallest sha256 first) with its PTX and observations,
    gzipped JSON lines."""
    import gzip

    picked = sorted(test, key=lambda e: e.id)[:n]
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": e.id, "kernel": e.kernel, "ptx": e.text,
                         "obs": {v: [list(o[0]), o[1], o[2]] for v, o in e.obs.items()}}, separators=(",", ":"))
             for e in picked]
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(("\n".join(lines) + "\n").encode())
    print(path.relative_to(ROOT))
    return path


if __name__ == "__main__":
    sys.exit(main())
