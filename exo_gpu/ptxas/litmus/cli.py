"""``python -m exo_gpu.ptxas.litmus`` / ``exo-gpu litmus``: generate, label and count litmus programs.

  generate --dist A --count 100 [--start 0] [--out programs.jsonl] [--ptx-dir DIR]
  label    --dist A --count 6000 [--cuda all] [--jobs 2] [--batch 100] [--scheduler tcp://...|local:N]
           [--cache DIR] [--cached-only] --out tests/litmus/corpus-A.json.gz
  stats    CORPUS.json.gz [...] [--json OUT] [--witnesses OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from exo_gpu.errors import ExoGpuError
from exo_gpu.ptxas import toolchain
from exo_gpu.ptxas.litmus import corpus, grammar, label
from exo_gpu.ptxas.litmus.executor import make_executor
from exo_gpu.ptxas.litmus.program import corpus as make_corpus


class LitmusError(ExoGpuError):
    """Bad litmus command-line input."""


def _at_least(lo: int):
    """An argparse type: an integer >= lo (argparse turns the ValueError into a usage error)."""
    def parse(text: str) -> int:
        value = int(text)
        if value < lo:
            raise ValueError(text)
        return value
    parse.__name__ = f"integer >= {lo}"
    return parse


def _versions(spec: str) -> list[str]:
    if spec in ("all", "*"):
        return toolchain.pinned_versions()
    out = []
    for v in (x.strip() for x in spec.split(",") if x.strip()):
        try:
            out.append(toolchain.resolve(v).cuda)
        except ExoGpuError as e:
            raise LitmusError(f"--cuda {spec}: {e}") from None
    return out


def _dist(d: str) -> str:
    if d not in grammar.DISTRIBUTIONS:
        raise LitmusError(f"--dist {d}: unknown distribution; use one of {', '.join(grammar.DISTRIBUTIONS)}")
    return d


def cmd_generate(args) -> int:
    programs = make_corpus(_dist(args.dist), args.count, args.start)
    lines = [json.dumps({"seed": p.factors["seed"], "sha": p.sha, "name": p.name,
                         "split": corpus.split_of(p.sha), "factors": p.factors}) for p in programs]
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))
    if args.ptx_dir:
        d = Path(args.ptx_dir)
        d.mkdir(parents=True, exist_ok=True)
        for p in programs:
            (d / f"{p.name}.ptx").write_text(p.text)
    print(f"{len(programs)} programs of distribution {args.dist}", file=sys.stderr)
    return 0


def cmd_label(args) -> int:
    versions = _versions(args.cuda)
    if args.batch < 1:
        raise LitmusError(f"--batch {args.batch}: give 1 or more programs per batch")
    executor = make_executor(args.jobs, args.scheduler)
    try:
        doc, wall = corpus.build(_dist(args.dist), args.count, versions, executor,
                                 label.Cache(args.cache), args.batch, args.start,
                                 cached_only=args.cached_only)
    finally:
        executor.close()
    corpus.write(doc, args.out)
    n = doc["count"] * len(versions)
    if args.cached_only:
        print(f"{doc['count']} of {args.count} programs are cached on all {len(versions)} ptxas "
              f"versions; wrote {args.out}")
    else:
        print(f"labelled {doc['count']} programs x {len(versions)} ptxas versions = {n} observations "
              f"in {wall:.1f} s with {executor.name}; wrote {args.out}")
    print(corpus.format_stats(doc))
    return 0


def cmd_stats(args) -> int:
    docs = []
    for path in args.corpus:
        try:
            docs.append(corpus.read(path))
        except (OSError, ValueError) as e:
            raise LitmusError(f"{path}: cannot read the corpus ({e}); give a file written by "
                              f"`litmus label --out`") from None
    for doc in docs:
        print(corpus.format_stats(doc))
    if args.json:
        Path(args.json).write_text(json.dumps({d["dist"]: corpus.stats(d) for d in docs}, indent=1) + "\n")
    if args.witnesses:
        w = corpus.witnesses(docs)
        Path(args.witnesses).write_text(json.dumps(w, indent=1) + "\n")
        print(f"witnesses for {', '.join(w)} written to {args.witnesses}")
    return 0


def build_parser(ap: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    ap = ap or argparse.ArgumentParser(prog="python -m exo_gpu.ptxas.litmus",
                                       description="random wgmma litmus programs and their ptxas labels")
    sub = ap.add_subparsers(dest="litmus_cmd", required=True)
    g = sub.add_parser("generate", help="write the programs of a distribution (JSON lines, and PTX)")
    l = sub.add_parser("label", help="label programs on pinned ptxas versions; write the corpus")
    for p in (g, l):
        p.add_argument("--dist", default="A", help="distribution: A (main) or B (second test set)")
        p.add_argument("--count", type=_at_least(1), default=100, help="distinct programs (at least 1)")
        p.add_argument("--start", type=_at_least(0), default=0, help="first seed (0 or more)")
    g.add_argument("--out", help="JSON lines file (default: stdout)")
    g.add_argument("--ptx-dir", help="also write each program's PTX here")
    l.add_argument("--cuda", default="all", help="ptxas versions, comma-separated, or all (default)")
    l.add_argument("--jobs", type=int, default=2, help="local processes (default 2)")
    l.add_argument("--batch", type=int, default=100, help="programs per ptxas run (default 100)")
    l.add_argument("--scheduler", help="Dask scheduler address (tcp://host:port): label on its workers; "
                   "local:N starts a Dask LocalCluster of N worker processes")
    l.add_argument("--cache", help="observation cache (default ~/.cache/exo-gpu/litmus)")
    l.add_argument("--out", required=True, help="corpus file (.json or .json.gz)")
    l.add_argument("--cached-only", action="store_true",
                   help="label nothing: write the programs already cached on every version "
                        "(a snapshot while another label run proceeds)")
    s = sub.add_parser("stats", help="programs per code and version; minimal witness programs")
    s.add_argument("corpus", nargs="+")
    s.add_argument("--json", help="write the counts as JSON")
    s.add_argument("--witnesses", help="write the smallest program per code (JSON with PTX)")
    return ap


COMMANDS = {"generate": cmd_generate, "label": cmd_label, "stats": cmd_stats}


def run(args) -> int:
    try:
        return COMMANDS[args.litmus_cmd](args)
    except ExoGpuError as e:
        print(f"exo-gpu litmus: error: {e}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
