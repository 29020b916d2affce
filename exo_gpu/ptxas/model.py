"""The fitted ptxas wgmma-pipeline model: per-version decision lists over kernel features.

A kernel's verdict on one ptxas version is five *components*:

* ``code``: the serialization code(s) ptxas prints (``C7509``..``C7516``, ``C7518``, ``C7520``;
  ``-`` for none);
* ``serialized``: whether the pipeline is serialized (a serialization code, or every HGMMA
  waited on by itself);
* ``C7517`` / ``C7519``: whether ptxas prints these notes (a wait / an arrive injected);
* ``wait``: whether ptxas injects a wait (a WARPGROUP.DEPBAR beyond the PTX's wait_group
  lines) without serializing.

For each version and component, a *decision list* (`RuleList`) maps the kernel's features
(`exo_gpu.ptxas.features`) to a value: the first rule whose every condition holds gives the
value, else the default.  A condition is a feature name, or ``!name`` for its absence.  The
value (or default) ``=RULES`` means: what the hand-written RULES table of `verify-wgmma-pipeline`
predicts (its ``H:`` features), so a list is that table plus the exceptions fitted to data.  The
lists are fitted by `exo_gpu.ptxas.model_fit` on the training split of the litmus corpus and
stored in ``exo_gpu/ptxas/model_rules.json``; `docs/ptxas-wgmma-rules.md` prints them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from exo_gpu.ptxas.features import KernelFeatures

RULES_FILE = Path(__file__).with_name("model_rules.json")
COMPONENTS = ("code", "serialized", "C7517", "C7519", "wait")
NOTE_CODES = ("C7517", "C7519")
PIPELINE_CODES = tuple(f"C75{n:02d}" for n in range(9, 21))


@dataclass(frozen=True)
class Rule:
    conds: tuple[str, ...]
    value: object
    support: int = 0  # training examples it decided
    errors: int = 0  # of which wrongly

    def holds(self, feats: frozenset[str]) -> bool:
        return all((c[1:] not in feats) if c.startswith("!") else (c in feats) for c in self.conds)

    def to_json(self) -> dict:
        return {"if": list(self.conds), "then": self.value, "support": self.support, "errors": self.errors}

    @classmethod
    def from_json(cls, d: dict) -> "Rule":
        return cls(tuple(d["if"]), d["then"], d.get("support", 0), d.get("errors", 0))


@dataclass
class RuleList:
    rules: list[Rule] = field(default_factory=list)
    default: object = None

    def decide(self, feats: frozenset[str], comp: str = "code") -> tuple[object, Rule | None]:
        for r in self.rules:
            if r.holds(feats):
                return (hand_value(feats, comp) if r.value == HAND else r.value), r
        return (hand_value(feats, comp) if self.default == HAND else self.default), None

    def to_json(self) -> dict:
        return {"rules": [r.to_json() for r in self.rules], "default": self.default}

    @classmethod
    def from_json(cls, d: dict) -> "RuleList":
        return cls([Rule.from_json(r) for r in d["rules"]], d["default"])


@dataclass(frozen=True)
class Verdict:
    """The model's answer for one kernel and version, and the rules that gave it."""

    codes: tuple[str, ...]
    serialized: bool
    injected_wait: bool
    because: tuple[tuple[str, Rule], ...]  # (component, rule) for every non-default decision

    @property
    def key(self) -> tuple:
        return exact_key(self.codes, self.serialized, self.injected_wait)


def exact_key(codes, serialized: bool, injected_wait: bool) -> tuple:
    """What the evaluation compares: the code set, serialized-or-not, and a wait injected (only
    meaningful when not serialized)."""
    return tuple(sorted(set(codes))), bool(serialized), bool(injected_wait) and not serialized


def targets(codes, serialized: bool, injected_wait: bool) -> dict[str, object]:
    """The component values of an observed verdict."""
    codes = set(codes)
    return {"code": "+".join(sorted(c for c in codes if c not in NOTE_CODES)) or "-",
            "serialized": bool(serialized), "C7517": "C7517" in codes, "C7519": "C7519" in codes,
            "wait": bool(injected_wait) and not serialized}


HAND = "=RULES"  # a value meaning: what the hand-written RULES table predicts (the H: features)


def hand_value(feats: frozenset[str], comp: str) -> object:
    """The value of component `comp` that the RULES table predicts, from the H: features."""
    if comp == "code":
        return next((f[len("H:code="):] for f in feats if f.startswith("H:code=")), "-")
    return {"serialized": "H:ser", "C7517": "H:C7517", "C7519": "H:C7519", "wait": "H:wait"}[comp] in feats


class Model:
    """Decision lists per (version, component)."""

    def __init__(self, lists: dict[str, dict[str, RuleList]], meta: dict | None = None):
        self.lists = lists
        self.meta = meta or {}

    @property
    def versions(self) -> list[str]:
        return list(self.lists)

    def version_for(self, version: str) -> str | None:
        """The fitted version to use for `version` (itself, or the nearest fitted one below it)."""
        if version in self.lists:
            return version
        key = _vkey(version)
        below = [v for v in self.lists if _vkey(v) <= key]
        return max(below, key=_vkey) if below else (min(self.lists, key=_vkey) if self.lists else None)

    def predict(self, kf: KernelFeatures, version: str) -> Verdict:
        v = self.version_for(version)
        feats = kf.for_version(version)
        vals, because = {}, []
        for comp in COMPONENTS:
            lst = self.lists[v].get(comp) if v else None
            val, rule = lst.decide(feats, comp) if lst else (targets((), False, False)[comp], None)
            vals[comp] = val
            if rule is not None:
                because.append((comp, rule))
        codes = [c for c in str(vals["code"]).split("+") if c and c != "-"]
        codes += [c for c in NOTE_CODES if vals[c]]
        serialized = bool(vals["serialized"])
        return Verdict(tuple(sorted(codes)), serialized, bool(vals["wait"]) and not serialized, tuple(because))

    def to_json(self) -> dict:
        return {"meta": self.meta,
                "lists": {v: {c: lst.to_json() for c, lst in comps.items()} for v, comps in self.lists.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "Model":
        return cls({v: {c: RuleList.from_json(x) for c, x in comps.items()} for v, comps in d["lists"].items()},
                   d.get("meta", {}))

    def save(self, path: Path = RULES_FILE) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")


def _vkey(v: str) -> tuple[int, int]:
    a, b = (str(v).split(".") + ["0"])[:2]
    return int(a), int(b)


@lru_cache(maxsize=1)
def load(path: str | None = None) -> Model | None:
    """The fitted model shipped with exo-gpu, or None when no rules file exists."""
    p = Path(path) if path else RULES_FILE
    if not p.is_file():
        return None
    return Model.from_json(json.loads(p.read_text()))
