"""Labelled corpora for the ptxas model: the litmus corpus (distributions A and B), the atlas,
real-compiler PTX; the fixed train/test split; a feature cache.

An `Example` is one kernel with what each ptxas version did to it: ``obs[version]`` =
``(codes, serialized, injected_wait)``.  The train/test split of distribution A is by program
hash: a program is in TEST when ``int(sha256[:8], 16) % 5 == 0`` (the litmus corpus's own split), so it never depends on
which programs a corpus holds or in what order.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from exo_gpu.ptxas.features import KernelFeatures, kernel_features
from exo_gpu.ptxas.model import PIPELINE_CODES

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Example:
    id: str  # the program's sha256 (litmus) or a path-like name
    source: str  # "A", "B", "atlas", "real:<compiler>"
    text: str  # the PTX module
    kernel: str  # the .entry it is about
    obs: dict[str, tuple[tuple[str, ...], bool, bool]] = field(default_factory=dict)
    split: str | None = None  # "train" / "test" as the corpus says

    @property
    def train(self) -> bool:
        return self.source == "A" and (self.split == "train" if self.split else in_train(self.id))


def in_train(sha: str) -> bool:
    """The litmus corpus's split: one program in five (by its sha256) is TEST."""
    h = sha if len(sha) >= 8 and all(c in "0123456789abcdef" for c in sha[:8]) else \
        hashlib.sha256(sha.encode()).hexdigest()
    return int(h[:8], 16) % 5 != 0


def _obs(d: dict) -> tuple[tuple[str, ...], bool, bool] | None:
    if "error" in d:
        return None
    codes = tuple(sorted(c for c in d.get("codes", []) if c in PIPELINE_CODES))
    if "injected_wait" in d:
        wait = bool(d["injected_wait"])
    elif "injected_waits" in d:
        wait = d["injected_waits"] > 0
    else:
        wait = bool(d.get("silent_wait"))
    return codes, bool(d["serialized"]), wait


# ------------------------------------------------------------------ loaders


def load_atlas(corpus: Path | None = None) -> list[Example]:
    from exo_gpu.ptxas import atlas

    corpus = corpus or atlas.CORPUS
    out = []
    for name in atlas.case_names(corpus):
        text = (corpus / f"{name}.ptx").read_text()
        ex = Example(f"atlas:{name}", "atlas", text, name)
        for v, o in atlas.load(name, corpus).get("observations", {}).items():
            if "error" in o:
                continue
            (k,) = o["kernels"].values()
            if (ob := _obs(k)) is not None:
                ex.obs[v] = ob
        out.append(ex)
    return out


def load_real(root: Path) -> list[Example]:
    """Real-compiler PTX (`<compiler>/<kernel>.ptx` + `.json` with observed[V]["kernels"])."""
    out = []
    for js in sorted(root.glob("*/*.json")):
        ptx = js.with_suffix(".ptx")
        if not ptx.is_file():
            continue
        doc = json.loads(js.read_text())
        text = ptx.read_text()
        per_kernel: dict[str, Example] = {}
        for v, o in doc.get("observed", {}).items():
            if "error" in o:
                continue
            for name, k in o.get("kernels", {}).items():
                ex = per_kernel.setdefault(name, Example(f"real:{js.parent.name}/{js.stem}:{name}",
                                                         f"real:{js.parent.name}", text, name))
                if (ob := _obs(k)) is not None:
                    ex.obs[v] = ob
        out += list(per_kernel.values())
    return out


def load_litmus(path: Path, dist: str | None = None) -> list[Example]:
    """A litmus corpus document (format exo-gpu-litmus/1, gzipped JSON; see the `litmus`
    branch's exo_gpu/ptxas/litmus/corpus.py): programs are regenerated from their factors
    (or read from a "ptx" field when the document carries one)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    doc = json.loads(raw)
    dist = dist or doc.get("dist", "A")
    out = []
    for p in doc["programs"]:
        text = p["ptx"] if isinstance(p.get("ptx"), str) else _regenerate(p["factors"], p["sha"])
        ex = Example(p["sha"], dist, text, p["name"])
        ex.split = p.get("split")
        for v, o in p.get("obs", {}).items():
            if (ob := _obs(o)) is not None:
                ex.obs[v] = ob
        out.append(ex)
    return out


def _regenerate(factors: dict, sha: str) -> str:
    from exo_gpu.ptxas.litmus.program import Program  # the litmus branch's generator

    prog = Program(factors)
    if prog.sha != sha:
        raise ValueError(f"litmus program {sha[:12]} regenerates to a different text ({prog.sha[:12]})")
    return prog.text


# ------------------------------------------------------------------ features, cached


def _code_hash() -> str:
    here = Path(__file__).resolve()
    srcs = [here.with_name("features.py"), here.with_name("reader.py"),
            ROOT / "passes" / "verify_wgmma_pipeline.py"]
    h = hashlib.sha256()
    for p in srcs:
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


class FeatureCache:
    """Kernel features keyed by (PTX sha256, kernel), in a JSON-lines file per feature-code
    version (a change to the feature code starts a new file)."""

    def __init__(self, path: Path | None = None):
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "exo-gpu" / "model"
        self.path = path or base / f"features-{_code_hash()}.jsonl"
        self.data: dict[str, dict] = {}
        if self.path.is_file():
            for line in self.path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                self.data[row["key"]] = row["f"]
        self._new: list[str] = []

    @staticmethod
    def key(ex: Example) -> str:
        return hashlib.sha256(ex.text.encode()).hexdigest() + ":" + ex.kernel

    def fill(self, examples: list[Example], jobs: int = 2) -> None:
        """Compute the features the cache lacks, in `jobs` processes."""
        todo = {self.key(e): e for e in examples if self.key(e) not in self.data}
        if not todo:
            return
        from concurrent.futures import ProcessPoolExecutor

        items = list(todo.items())
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            for (key, _), f in zip(items, pool.map(_compute, [(e.text, e.id, e.kernel) for _, e in items],
                                                   chunksize=16)):
                self.data[key] = f
                self._new.append(json.dumps({"key": key, "f": f}, separators=(",", ":")))
                if len(self._new) >= 500:
                    self.flush()
        self.flush()

    def get(self, ex: Example) -> KernelFeatures | None:
        key = self.key(ex)
        if key in self.data:
            d = self.data[key]
            return None if d is None else KernelFeatures.from_json(d)
        try:
            kfs = {k.name: k for k in kernel_features(ex.text, ex.id)}
        except Exception as e:  # noqa: BLE001 - an unreadable program is reported, not fatal
            print(f"model: cannot read {ex.id}: {str(e)[:160]}", flush=True)
            kfs = {}
        kf = kfs.get(ex.kernel)
        self.data[key] = kf.to_json() if kf else None
        self._new.append(json.dumps({"key": key, "f": self.data[key]}, separators=(",", ":")))
        if len(self._new) >= 200:
            self.flush()
        return kf

    def flush(self) -> None:
        if not self._new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            f.write("\n".join(self._new) + "\n")
        self._new = []


def _compute(job: tuple[str, str, str]) -> dict | None:
    text, name, kernel = job
    try:
        kfs = {k.name: k for k in kernel_features(text, name)}
    except Exception:  # noqa: BLE001 - an unreadable program has no features
        return None
    kf = kfs.get(kernel)
    return kf.to_json() if kf else None
