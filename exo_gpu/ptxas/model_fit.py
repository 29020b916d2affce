"""Fit the ptxas model's decision lists (`exo_gpu.ptxas.model`) on labelled kernels.

The learner is sequential covering with a beam search (in the manner of CN2): repeatedly pick
the conjunction of at most `max_len` literals (a feature, or its absence) and the value that
maximizes ``correct - penalty * wrong`` on the examples no earlier rule decided, provided it
decides at least `min_support` examples correctly; append it to the list and drop the examples
it covers.  The default is the most common value among what is left.  Feature sets are bit
masks over the examples (Python ints), so a candidate costs a few AND/popcounts.

Only training examples are passed in; the caller (`exo_gpu.ptxas.model_eval fit`) splits them.
"""

from __future__ import annotations

from collections import Counter

from exo_gpu.ptxas.features import KernelFeatures
from exo_gpu.ptxas.model import COMPONENTS, Model, Rule, RuleList


def _pc(x: int) -> int:
    return x.bit_count()


def fit_list(X: list[frozenset[str]], y: list, *, min_support: int = 3, penalty: float = 4.0,
             max_rules: int = 30, max_len: int = 3, beam: int = 8) -> RuleList:
    n = len(X)
    if n == 0:
        return RuleList([], None)
    index: dict[str, int] = {}
    for i, fs in enumerate(X):
        for f in fs:
            index[f] = index.get(f, 0) | (1 << i)
    full = (1 << n) - 1
    ymask: dict[object, int] = {}
    for i, v in enumerate(y):
        ymask[v] = ymask.get(v, 0) | (1 << i)
    lits = [(f, m) for f, m in sorted(index.items())] + [("!" + f, full & ~m) for f, m in sorted(index.items())]
    rules: list[Rule] = []
    rem = full
    while rem and len(rules) < max_rules:
        left = {v: _pc(m & rem) for v, m in ymask.items()}
        if sum(1 for c in left.values() if c) <= 1:
            break  # one value left: the default decides the rest
        best = _search(lits, ymask, rem, penalty, min_support, max_len, beam)
        if best is None:
            break
        score, conds, value, cover = best
        tp = _pc(cover & ymask[value])
        rules.append(Rule(tuple(conds), value, _pc(cover), _pc(cover) - tp))
        rem &= ~cover
    left = Counter({v: _pc(m & rem) for v, m in ymask.items()})
    default = left.most_common(1)[0][0] if rem else Counter(y).most_common(1)[0][0]
    # drop trailing rules that give the default value: the default decides them alike
    while rules and rules[-1].value == default:
        rules.pop()
    return RuleList(rules, default)


def _best_value(cover: int, ymask, penalty: float):
    total = _pc(cover)
    best = None
    for v, m in ymask.items():
        tp = _pc(cover & m)
        s = tp - penalty * (total - tp)
        if best is None or s > best[0]:
            best = (s, v, tp)
    return best


def _search(lits, ymask, rem, penalty, min_support, max_len, beam):
    best = None
    frontier: list[tuple[tuple[str, ...], int]] = [((), rem)]
    for _ in range(max_len):
        cands = []
        for conds, cover in frontier:
            used = {c.lstrip("!") for c in conds}
            for name, m in lits:
                if name.lstrip("!") in used:
                    continue
                c = cover & m
                if c == cover or _pc(c) < min_support:
                    continue
                s, v, tp = _best_value(c, ymask, penalty)
                if tp < min_support:
                    continue
                # an optimistic bound: refining can at best keep every tp and drop every fp
                cands.append((s, tp, conds + (name,), v, c))
                if best is None or (s, -len(conds)) > (best[0], -len(best[1])):
                    best = (s, conds + (name,), v, c)
        if not cands:
            break
        cands.sort(key=lambda t: (-t[0], -t[1], t[2]))
        seen, frontier = set(), []
        for s, tp, conds, v, c in cands:
            if c in seen:
                continue
            seen.add(c)
            frontier.append((conds, c))
            if len(frontier) >= beam:
                break
    if best is None or best[0] <= 0:
        return None
    return best


def fit(examples: list[tuple[KernelFeatures, dict[str, dict]]], versions: list[str], **kw) -> Model:
    """examples: (features, {version: component targets}); a version's list is fitted on the
    examples that have an observation for it.  Versions with the same features and the same
    targets share their lists."""
    lists: dict[str, dict[str, RuleList]] = {}
    memo: dict[tuple, RuleList] = {}
    for v in versions:
        rows = [(kf.for_version(v), t[v], i) for i, (kf, t) in enumerate(examples) if v in t]
        X = [r[0] for r in rows]
        lists[v] = {}
        for comp in COMPONENTS:
            y = [r[1][comp] for r in rows]
            key = (comp, tuple(y), hash(tuple(X)), tuple(r[2] for r in rows))
            if key not in memo:
                memo[key] = fit_list(X, y, **kw)
            lists[v][comp] = memo[key]
    return Model(lists, {"train_examples": len(examples), "params": kw})
