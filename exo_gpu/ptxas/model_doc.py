"""The fitted model's part of docs/ptxas-wgmma-rules.md: every decision list with the ptxas
versions it holds for, each rule's minimal witness, and a minimal case for every code.

Witnesses are chosen at fit time (`witnesses`) from the training programs and the atlas and
stored with their PTX in exo_gpu/ptxas/model_witnesses.json, so the doc regenerates from
committed files alone (`python -m exo_gpu.ptxas.atlas doc`).
"""

from __future__ import annotations

import json
from pathlib import Path

from exo_gpu.ptxas import model as M

WITNESS_FILE = Path(__file__).with_name("model_witnesses.json")
CODE_TEXT = {
    "C7509": "extern calls in the function", "C7510": "wgmma pipeline crossing a function call",
    "C7511": "insufficient register resources for the wgmma pipeline",
    "C7512": "insufficient register resources for the function",
    "C7513": "non-wgmma instructions defining input (A) registers of a wgmma inside the stage",
    "C7514": "non-wgmma instructions reading accumulator registers inside the stage",
    "C7515": "non-wgmma instructions defining accumulator registers inside the stage",
    "C7516": "ill formed pipeline stage", "C7517": "note: warpgroup.wait injected",
    "C7518": "dependence on a compiler-inserted WG.DP in a divergent path",
    "C7519": "note: warpgroup.arrive injected",
    "C7520": "dependence on a compiler-inserted WG.AR in a divergent path",
}


def _lines(text: str) -> int:
    return sum(1 for ln in text.splitlines() if ln.strip())


def witnesses(model: M.Model, examples, codes_from) -> dict:
    """{"rules": {"<version>|<component>|<index>": id}, "codes": {code: {"id", "versions"}},
    "programs": {id: ptx}}: for each rule the smallest example (non-blank PTX lines) it decides
    correctly; for each code the smallest example (of `codes_from`) that shows it."""
    rules: dict[str, tuple[int, str]] = {}
    programs: dict[str, str] = {}
    for e, kf in examples:
        size = _lines(e.text)
        for v, ob in e.obs.items():
            fv = model.version_for(v)
            if fv != v:
                continue
            t = M.targets(*ob)
            feats = kf.for_version(v)
            for comp, lst in model.lists[v].items():
                for i, r in enumerate(lst.rules):
                    if r.holds(feats):
                        if r.value == t[comp]:
                            key = f"{v}|{comp}|{i}"
                            if key not in rules or size < rules[key][0]:
                                rules[key] = (size, e.id)
                        break
    codes: dict[str, dict] = {}
    for e, _ in codes_from:
        size = _lines(e.text)
        for v, ob in e.obs.items():
            for c in ob[0]:
                cur = codes.get(c)
                if cur is None or size < cur["size"]:
                    codes[c] = {"id": e.id, "size": size, "versions": []}
                if codes[c]["id"] == e.id and v not in codes[c]["versions"]:
                    codes[c]["versions"].append(v)
    texts = {e.id: e.text for e, _ in list(examples) + list(codes_from)}
    for _, wid in rules.values():
        programs[wid] = texts[wid]
    for c in codes.values():
        programs[c["id"]] = texts[c["id"]]
    return {"rules": {k: w for k, (_, w) in rules.items()}, "codes": codes, "programs": programs}


def load_witnesses(path: Path = WITNESS_FILE) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {"rules": {}, "codes": {}, "programs": {}}


def _ranges(versions: list[str], all_versions: list[str]) -> str:
    idx = sorted(all_versions.index(v) for v in versions)
    out, start = [], None
    for k, i in enumerate(idx):
        if start is None:
            start = i
        if k + 1 == len(idx) or idx[k + 1] != i + 1:
            a, b = all_versions[start], all_versions[i]
            out.append(a if a == b else f"{a}-{b}")
            start = None
    return ", ".join(out)


def _cond(conds) -> str:
    return " and ".join(f"`{c}`" for c in conds) or "always"


def sections(model: M.Model | None, wit: dict | None = None) -> list[str]:
    """Markdown lines: the decision lists grouped by identical lists over versions, then codes."""
    if model is None:
        return ["## Fitted model", "", "No fitted rules (exo_gpu/ptxas/model_rules.json is missing).", ""]
    wit = wit or load_witnesses()
    vs = sorted(model.lists, key=M._vkey)
    out = ["## The fitted model: decision lists", "",
           "`verify-wgmma-pipeline` decides a kernel's codes, serialization and injected wait with these lists "
           "(exo_gpu/ptxas/model_rules.json, fitted by `python -m exo_gpu.ptxas.model_eval fit` on the TRAIN split "
           f"of litmus distribution A: {model.meta.get('train_programs', '?')} programs).  For each component the "
           "first rule whose conditions all hold gives the value, else the default.  Features: `E:` events of the "
           "dataflow analysis (with the culprit's opcode class, loop/branch position), `first:` the earliest event, "
           "`S:` accesses of accumulators not in flight while a group is open or in flight, `C:` calls by callee "
           "kind and pipeline state, `P:` predicated/branched wgmma instructions (div = the condition derives from "
           "%tid), `G:` whole-kernel facts (tiles, registers against .maxnreg, waits, scale-d).  `support/errors` "
           "count the training programs a rule decided.  Agreement on held-out data: docs/ptxas-model-eval.md.", ""]
    for comp in M.COMPONENTS:
        groups: dict[str, list[str]] = {}
        for v in vs:
            lst = model.lists[v].get(comp)
            key = json.dumps(lst.to_json(), sort_keys=True) if lst else "null"
            groups.setdefault(key, []).append(v)
        out += [f"### Component `{comp}`", ""]
        for key, gv in groups.items():
            lst = model.lists[gv[0]][comp]
            out += [f"ptxas {_ranges(gv, vs)}: default `{lst.default}`", ""]
            if lst.rules:
                out += ["| # | if | then | support/errors | minimal witness |", "|---|---|---|---|---|"]
            for i, r in enumerate(lst.rules):
                w = next((wit["rules"].get(f"{v}|{comp}|{i}") for v in gv if wit["rules"].get(f"{v}|{comp}|{i}")), None)
                wtxt = f"`{_wname(w)}` ({_lines(wit['programs'][w])} lines)" if w and w in wit["programs"] else "-"
                out.append(f"| {i + 1} | {_cond(r.conds)} | `{r.value}` | {r.support}/{r.errors} | {wtxt} |")
            out.append("")
    out += ["## Every code and its minimal case", "",
            "The smallest program (non-blank PTX lines) of the training split or the atlas on which some pinned ptxas "
            "prints the code, and the versions that print it for that program.", ""]
    for code in [f"C75{n:02d}" for n in range(9, 21)]:
        c = wit["codes"].get(code)
        out += [f"### {code}: {CODE_TEXT.get(code, '')}", ""]
        if c is None:
            out += [_absent(code), ""]
            continue
        out += [f"`{_wname(c['id'])}`, printed by ptxas {', '.join(sorted(c['versions'], key=M._vkey))}:", "",
                "```ptx", *[ln for ln in wit["programs"][c["id"]].splitlines() if ln.strip()], "```", ""]
    return out


def _wname(wid: str) -> str:
    return wid if wid.startswith("atlas:") else f"litmus A {wid[:12]}"


def _absent(code: str) -> str:
    why = {
        "C7516": "Not printed by any pinned ptxas on any program of the training split or the atlas.  Tried: "
                 "stages without a fence, without a commit, with a fence or a commit between the mmas of a group, "
                 "duplicate commits, groups open across the back edge, mmas under a predicate; ptxas serializes these "
                 "with other codes or silently.",
        "C7512": "Not printed by any pinned ptxas on any program of the training split or the atlas.  Tried: .maxnreg "
                 "budgets down to 24 with up to 256 accumulator registers per thread; ptxas reports C7511 (the "
                 "pipeline's registers) or rejects the kernel (C7600, register allocation failed) instead.",
        "C7513": "Not printed by any pinned ptxas on any program of the training split or the atlas.  Tried: RS "
                 "wgmmas whose A registers are rewritten between mmas, after the commit and after a wait that leaves "
                 "the group pending.",
    }
    return why.get(code, "Not printed by any pinned ptxas on any program of the training split or the atlas.")
