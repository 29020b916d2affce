"""Label a corpus of litmus programs on many ptxas versions, store it, count what it shows.

The stored corpus (``tests/litmus/corpus-A.json.gz``) is one gzipped JSON document::

    {"format": "exo-gpu-litmus/1", "dist": "A", "count": 6000,
     "versions": {"12.0": "12.0.140", ...},
     "programs": [{"seed": 17, "sha": "<sha256 of Program.text>", "name": "lt_...",
                   "split": "train" | "test", "lines": 120,
                   "ptx": {"fence": 1, "mma_async": 2, "commit_group": 1, "wait_group": 2},
                   "factors": {...},
                   "obs": {"12.0": {observation, see label.py}, ...}}, ...]}

Programs are not stored: ``Program(factors).text`` (or ``program(seed, dist)``) regenerates
each one, and its sha256 must equal ``sha``.  ``split`` is ``test`` for one program in five,
by the sha (``int(sha[:8], 16) % 5 == 0``), so train and test never share a program.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

from exo_gpu.ptxas import toolchain
from exo_gpu.ptxas.litmus import label
from exo_gpu.ptxas.litmus.program import Program, corpus as make_corpus

FORMAT = "exo-gpu-litmus/1"
CODES = tuple(f"C75{n:02d}" for n in range(7, 21))
SERIALIZING = ("C7509", "C7510", "C7511", "C7512", "C7513", "C7514", "C7515", "C7516", "C7518", "C7520")


def split_of(sha: str) -> str:
    return "test" if int(sha[:8], 16) % 5 == 0 else "train"


def _progress(total: int, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, file=sys.stderr, unit="obs", smoothing=0.05,
                disable=not sys.stderr.isatty() and not os.environ.get("EXO_GPU_PROGRESS"))


def label_all(programs: list[Program], versions: list[str], executor, cache: label.Cache,
              batch: int = 100, progress: bool = True) -> dict[str, dict[str, dict]]:
    """{sha: {version: obs}} for every program and version; only what the cache lacks runs.

    Work is split into tasks of at most `batch` programs of one version (programs calling
    an extern .func in tasks of their own), in corpus order, every version of one chunk of
    programs before the next chunk (so a run cut short leaves a prefix of the corpus fully
    labelled); results are added to the cache as they come."""
    for v in versions:
        toolchain.ptxas(v)  # install before any worker starts
    toolchain.nvdisasm()
    todo = {v: [p for p in programs if p.sha not in cache.load(v)] for v in versions}
    tasks = []
    for i in range(0, len(programs), batch):
        chunk = {p.sha for p in programs[i:i + batch]}
        for v in versions:
            mine = [p for p in todo[v] if p.sha in chunk]
            for ext in (False, True):
                group = [p.factors for p in mine if p.extern == ext]
                if group:
                    tasks.append((v, group))
    bar = _progress(sum(len(t[1]) for t in tasks), "labelling") if progress else None
    for v, results in executor.map(label.task, tasks):
        cache.add(v, results)
        if bar is not None:
            bar.update(len(results))
    if bar is not None:
        bar.close()
    return {p.sha: {v: cache.load(v)[p.sha] for v in versions} for p in programs}


def cached(programs: list[Program], versions: list[str], cache: label.Cache) -> list[Program]:
    """The programs that the cache holds on every version (a snapshot of a running label)."""
    return [p for p in programs if all(p.sha in cache.load(v) for v in versions)]


def document(dist: str, programs: list[Program], obs: dict[str, dict[str, dict]],
             versions: list[str]) -> dict:
    return {
        "format": FORMAT, "dist": dist, "count": len(programs),
        "versions": {v: toolchain.resolve(v).version for v in versions},
        "programs": [{"seed": p.factors["seed"], "sha": p.sha, "name": p.name, "split": split_of(p.sha),
                      "lines": p.lines, "ptx": ptx_counts(p), "factors": p.factors, "obs": obs[p.sha]}
                     for p in programs],
    }


def ptx_counts(p: Program) -> dict[str, int]:
    """wgmma instruction lines of the program (kernel and .func): SASS HGMMA beyond `mma`
    means ptxas unrolled a loop (it does so for bottom-tested loops despite "nounroll")."""
    return {k: len(re.findall(rf"(?m)^\s*(?:@!?%\w+\s+)?wgmma\.{k}\b", p.body))
            for k in ("fence", "mma_async", "commit_group", "wait_group")}


def write(doc: dict, path: str | os.PathLike) -> Path:
    """Write a corpus document (gzip if the name ends .gz), through a temp file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(doc, separators=(",", ":")).encode()
    if path.suffix == ".gz":
        with gzip.GzipFile(tmp, "wb", mtime=0) as f:
            f.write(data)
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def read(path: str | os.PathLike) -> dict:
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    doc = json.loads(raw)
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not a litmus corpus ({FORMAT})")
    return doc


def build(dist: str, count: int, versions: list[str], executor, cache: label.Cache,
          batch: int = 100, start: int = 0, progress: bool = True,
          cached_only: bool = False) -> tuple[dict, float]:
    """Generate `count` distinct programs of `dist`, label them; (document, wall seconds).
    With cached_only, label nothing: the document holds the programs already cached on
    every version."""
    programs = make_corpus(dist, count, start)
    t0 = time.monotonic()
    if cached_only:
        programs = cached(programs, versions, cache)
        obs = {p.sha: {v: cache.load(v)[p.sha] for v in versions} for p in programs}
    else:
        obs = label_all(programs, versions, executor, cache, batch, progress)
    return document(dist, programs, obs, versions), time.monotonic() - t0


# ------------------------------------------------------------------------------ stats

def stats(doc: dict) -> dict[str, dict]:
    """Per version: programs, errors, count of programs per code, serialized, injected
    waits, local memory."""
    out: dict[str, dict] = {}
    for v in doc["versions"]:
        c: Counter = Counter()
        for p in doc["programs"]:
            o = p["obs"].get(v)
            if o is None:
                continue
            c["programs"] += 1
            if "error" in o:
                c["errors"] += 1
                continue
            for code in o["codes"]:
                c[code] += 1
            c["serialized"] += bool(o["serialized"])
            c["injected_waits"] += o["injected_waits"] > 0
            c["silent_injected"] += o["injected_waits"] > 0 and not o["codes"]
            c["extra_gsb0"] += o["extra_gsb0"] > 0
            c["local"] += bool(o["local"])
            c["clean"] += not o["codes"] and not o["serialized"] and not o["injected_waits"]
        out[v] = dict(c)
    return out


def format_stats(doc: dict) -> str:
    st = stats(doc)
    cols = ["programs", "errors", *CODES, "serialized", "injected_waits", "silent_injected",
            "extra_gsb0", "local", "clean"]
    short = {c: c.replace("C75", "") for c in CODES}
    head = ["ptxas"] + [short.get(c, c) for c in cols]
    rows = [[v] + [str(st[v].get(c, 0)) for c in cols] for v in st]
    width = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = [f"corpus {doc['dist']}: {doc['count']} programs; programs per code "
             f"(columns 07..20 = C7507..C7520) per ptxas version"]
    lines += ["  ".join(x.rjust(w) for x, w in zip(r, width)) for r in [head] + rows]
    missing = [c for c in CODES if not any(st[v].get(c) for v in st)]
    lines.append(f"codes never seen: {', '.join(missing) or 'none'}")
    return "\n".join(lines)


def witnesses(docs: list[dict]) -> dict[str, dict]:
    """For each code, the smallest program (fewest PTX lines) that shows it on some version:
    {code: {dist, seed, sha, name, versions: [...], factors, ptx}}."""
    best: dict[str, tuple] = {}
    for doc in docs:
        for p in doc["programs"]:
            seen: dict[str, list] = {}
            for v, o in p["obs"].items():
                for code in o.get("codes", []):
                    seen.setdefault(code, []).append(v)
            if not seen:
                continue
            prog = Program(p["factors"])
            size = prog.lines
            for code, vs in seen.items():
                if code not in best or size < best[code][0]:
                    best[code] = (size, doc["dist"], p, vs, prog)
    return {code: {"dist": d, "seed": p["seed"], "sha": p["sha"], "name": p["name"], "versions": vs,
                   "lines": size, "factors": p["factors"], "ptx": prog.text}
            for code, (size, d, p, vs, prog) in sorted(best.items())}
