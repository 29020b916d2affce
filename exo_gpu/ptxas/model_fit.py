"""Fit the ptxas model's decision lists (`exo_gpu.ptxas.model`) on labelled kernels.

The learner is sequential covering with a beam search (in the manner of CN2), starting from
the hand-written RULES table: a list's default is the table's prediction (``=RULES``, read from
the ``H:`` features), and each fitted rule is an exception to it.  Repeatedly pick the
conjunction of at most `max_len` literals (a feature, or its absence) and the value that
maximizes its gain on the examples no earlier rule decided (examples it makes right minus
examples it makes wrong against the default, minus `alpha` per example it still gets wrong),
provided the gain is at least `min_gain`; append it and drop the examples it covers.  Feature sets are bit
masks over the examples (Python ints), so a candidate costs a few AND/popcounts.

Only training examples are passed in; the caller (`exo_gpu.ptxas.model_eval fit`) splits them.
"""

from __future__ import annotations

from collections import Counter

from exo_gpu.ptxas.features import KernelFeatures
from exo_gpu.ptxas.model import COMPONENTS, HAND, Model, Rule, RuleList, hand_value


def _pc(x: int) -> int:
    return x.bit_count()


def fit_list(X: list[frozenset[str]], y: list, comp: str = "code", *, min_gain: int = 3, alpha: float = 0.5,
             max_rules: int = 40, max_len: int = 3, beam: int = 10, anchored: bool = False) -> RuleList:
    """A decision list whose default is the RULES table's value (`HAND`): each rule is an
    exception to it, chosen for its gain (examples it makes right minus examples it makes
    wrong, against the default) minus `alpha` per example it still gets wrong."""
    n = len(X)
    if n == 0:
        return RuleList([], HAND)
    index: dict[str, int] = {}
    for i, fs in enumerate(X):
        for f in fs:
            if not f.startswith("H:"):
                index[f] = index.get(f, 0) | (1 << i)
    full = (1 << n) - 1
    ymask: dict[object, int] = {}
    hand = 0
    for i, v in enumerate(y):
        ymask[v] = ymask.get(v, 0) | (1 << i)
        if hand_value(X[i], comp) == v:
            hand |= 1 << i
    lits = [(f, m) for f, m in sorted(index.items())] + [("!" + f, full & ~m) for f, m in sorted(index.items())]
    # anchored: a rule's first literal is a pipeline fact of the kernel (an event, a call, a guard,
    # a stage defect), so that no exception fires on a kernel for its size or shape alone
    first = [(f, m) for f, m in lits if f[0] in "ECPS" or f.startswith("first:")] if anchored else lits
    rules: list[Rule] = []
    rem = full
    while rem & ~hand and len(rules) < max_rules:
        best = _search(lits, ymask, hand, rem, alpha, min_gain, max_len, beam, first)
        if best is None:
            break
        score, conds, value, cover = best
        tp = _pc(cover & ymask[value])
        rules.append(Rule(tuple(conds), value, _pc(cover), _pc(cover) - tp))
        rem &= ~cover
    return RuleList(rules, HAND)


def _best_value(cover: int, ymask, hand: int, alpha: float):
    total, base = _pc(cover), _pc(cover & hand)
    best = None
    for v, m in ymask.items():
        tp = _pc(cover & m)
        s = tp - base - alpha * (total - tp)
        if best is None or s > best[0]:
            best = (s, v, tp - base)
    return best


def _search(lits, ymask, hand, rem, alpha, min_gain, max_len, beam, first):
    best = None
    frontier: list[tuple[tuple[str, ...], int]] = [((), rem)]
    wrong = rem & ~hand
    for _ in range(max_len):
        cands = []
        for conds, cover in frontier:
            used = {c.lstrip("!") for c in conds}
            for name, m in (lits if conds else first):
                if name.lstrip("!") in used:
                    continue
                c = cover & m
                if c == cover or _pc(c & wrong) < min_gain:
                    continue
                s, v, gain = _best_value(c, ymask, hand, alpha)
                cands.append((s, conds + (name,), v, c))
                if gain >= min_gain and (best is None or (s, -len(conds)) > (best[0], -len(best[1]))):
                    best = (s, conds + (name,), v, c)
        if not cands:
            break
        # keep the best scores, and the candidates with the most to gain when refined: the most
        # examples of one value that the default decides wrongly (an optimistic estimate)
        cands.sort(key=lambda t: (-t[0], t[1]))

        def potential(c: int) -> float:  # wrongly-decided examples of one value, weighted by their share
            n = _pc(c) or 1
            return max(_pc(c & m & wrong) ** 2 / n for m in ymask.values())

        by_potential = sorted(cands, key=lambda t: (-potential(t[3]), -t[0], t[1]))
        seen, frontier = set(), []
        for s, conds, v, c in cands[:beam] + by_potential[:beam]:
            if c in seen:
                continue
            seen.add(c)
            frontier.append((conds, c))
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
                memo[key] = fit_list(X, y, comp, **kw)
            lists[v][comp] = memo[key]
    return Model(lists, {"train_examples": len(examples), "params": kw})
