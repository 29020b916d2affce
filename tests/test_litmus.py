"""The random litmus corpus: deterministic generation, batched labels = single labels, the
executors (local and Dask) agree, the stored corpus regenerates, the command line."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from exo_gpu.ptxas.litmus import corpus, grammar, label
from exo_gpu.ptxas.litmus.executor import make_executor
from exo_gpu.ptxas.litmus.program import Program, batch_text, program
from exo_gpu.ptxas.litmus.program import corpus as make_corpus
from exo_gpu.ptxas.litmus.probes import BASE

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "tests" / "litmus"
VERSIONS = ("12.3", "13.5")

def variant(**changes) -> Program:
    f = copy.deepcopy(BASE)
    ops = changes.pop("ops", [])
    f["ops"] = [dict(id=i + 1, guard=None, **op) for i, op in enumerate(ops)]
    f.update(changes)
    return Program(f)


def special_programs() -> list[Program]:
    """Calls of every kind, register pressure and a .maxnreg budget, a divergent final wait."""
    big = {"n": 256, "acc": "f32", "ab": "f16", "init": "zero", "rs": False}
    two_big = copy.deepcopy(BASE["stages"])
    two_big[0]["mmas"] = [[0, "1", None], [1, "1", None]]
    return [
        variant(ops=[{"kind": "call_ext", "at": "s0.c"}]),
        variant(ops=[{"kind": "call_rec", "at": "s0.c"}]),
        variant(ops=[{"kind": "call_wg", "at": "exit"}]),
        variant(ops=[{"kind": "call_wgopen", "at": "s0.w"}, {"kind": "call_plain", "at": "pre"}]),
        variant(ops=[{"kind": "spill", "at": "s0.c", "at2": "s0.top", "tile": 0, "reg": 0, "count": 8}]),
        variant(tiles=[big, dict(big)], stages=two_big,
                consumers=[{"tile": 0, "kind": "store", "guard": None}, {"tile": 1, "kind": "store", "guard": None}]),
        variant(tiles=[dict(big, n=128)], maxnreg=120),
        variant(final_waits=[{"n": 0, "guard": "br_tid"}]),
        program(538, "B"),  # C7512 on 12.0-12.4 ("for the function 'X'": attributed by name)
        program(2521, "A"),  # C7516 on 12.0-12.3
    ]


def test_sampling_is_deterministic_and_distinct():
    for dist in grammar.DISTRIBUTIONS:
        a = [program(s, dist) for s in range(40)]
        b = [program(s, dist) for s in range(40)]
        assert [p.sha for p in a] == [p.sha for p in b]
        assert len({p.sha for p in a}) >= 38
    progs = make_corpus("A", 60)
    assert len({p.sha for p in progs}) == 60
    # A and B differ in shape: B has more tiles and stages on average
    mean = lambda ps, f: sum(f(p.factors) for p in ps) / len(ps)
    b = make_corpus("B", 60)
    assert mean(b, lambda f: len(f["tiles"])) > mean(progs, lambda f: len(f["tiles"]))
    assert mean(b, lambda f: len(f["stages"])) > mean(progs, lambda f: len(f["stages"]))


def test_names_follow_the_program_and_batches_map_lines_back():
    progs = make_corpus("A", 5)
    for p in progs:
        assert p.name in p.text and "@K@" not in p.text
        assert p.sha == Program(json.loads(json.dumps(p.factors))).sha
    text, offsets = batch_text(progs)
    lines = text.splitlines()
    for p in progs:
        own = p.text.splitlines()
        k = own.index(next(ln for ln in own if ".entry" in ln))
        assert lines[k + offsets[p.name]] == own[k]


@pytest.mark.parametrize("version", VERSIONS)
def test_batched_labels_equal_single_program_labels(version):
    progs = special_programs() + make_corpus("A", 10, start=1000) + make_corpus("B", 4, start=1000)
    batched = label.label_batch(progs, version)
    assert set(batched) == {p.sha for p in progs}
    for p in progs:
        single = label.label_batch([p], version)[p.sha]
        assert batched[p.sha] == single, p.name
    codes = {c for o in batched.values() for c in o.get("codes", [])}
    assert {"C7509", "C7510", "C7511"} <= codes  # the special programs do show them
    if version == "12.3":
        assert {"C7512", "C7516"} <= codes
    assert not any("stray" in o for o in batched.values())  # every (C75xx) line has its program


def test_a_rejected_program_is_found_and_the_rest_labelled():
    bad = variant(tiles=[{"n": 128, "acc": "f32", "ab": "f16", "init": "zero", "rs": False}], maxnreg=40)
    good = make_corpus("A", 6, start=2000)
    got = label.label_batch(good[:3] + [bad] + good[3:], "12.3")
    assert "error" in got[bad.sha] and "C76" in got[bad.sha]["error"]
    alone = label.label_batch(good, "12.3")
    assert {p.sha: got[p.sha] for p in good} == alone


def test_cache_and_local_processes(tmp_path):
    progs = make_corpus("A", 8, start=3000)
    cache = label.Cache(tmp_path / "c")
    local = corpus.label_all(progs, ["12.3"], make_executor(2), cache, batch=3, progress=False)
    assert (tmp_path / "c" / "ptxas-12.3.jsonl").is_file()
    again = corpus.label_all(progs, ["12.3"], make_executor(1), label.Cache(tmp_path / "c"), progress=False)
    assert again == local
    inline = corpus.label_all(progs, ["12.3"], make_executor(1), label.Cache(tmp_path / "d"), batch=8,
                              progress=False)
    assert inline == local
    doc, _ = corpus.build("A", 10, ["12.3"], None, label.Cache(tmp_path / "c"), start=3000, cached_only=True)
    assert [p["sha"] for p in doc["programs"]] == [p.sha for p in progs]  # the 2 uncached are left out
    assert all(p["obs"]["12.3"] == local[p["sha"]]["12.3"] for p in doc["programs"])


def test_dask_local_cluster_gives_the_local_labels(tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is in the [test] extras")
    progs = make_corpus("A", 6, start=4000) + special_programs()[:2]
    local = corpus.label_all(progs, list(VERSIONS), make_executor(1), label.Cache(tmp_path / "l"),
                             batch=4, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit="1GiB", dashboard_address=None) as cluster:
        ex = make_executor(scheduler=cluster.scheduler_address)
        try:
            remote = corpus.label_all(progs, list(VERSIONS), ex, label.Cache(tmp_path / "d"), batch=4,
                                      progress=False)
        finally:
            ex.close()
    assert remote == local


@pytest.mark.parametrize("name", ["corpus-A.json.gz", "corpus-B.json.gz", "corpus-P.json.gz"])
def test_stored_corpus_regenerates(name):
    path = STORED / name
    if not path.is_file():
        pytest.skip(f"{name} not stored")
    doc = corpus.read(path)
    progs = doc["programs"]
    assert len({p["sha"] for p in progs}) == len(progs) == doc["count"]
    for p in progs[:: max(1, len(progs) // 60)]:
        assert program(p["seed"], doc["dist"]).sha == p["sha"]
        assert Program(p["factors"]).sha == p["sha"]
        assert p["split"] == corpus.split_of(p["sha"])
        assert set(p["obs"]) == set(doc["versions"])
    st = corpus.stats(doc)
    assert all(s["programs"] == doc["count"] for s in st.values())


def test_cli_errors_are_one_line(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "exo_gpu.ptxas.litmus", *a],
                                    capture_output=True, text=True)
    r = run("generate", "--dist", "Z")
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "--dist Z" in r.stderr
    r = run("stats", str(tmp_path / "nope.json.gz"))
    assert r.returncode == 1 and "cannot read the corpus" in r.stderr
    r = run("generate", "--count", "3", "--ptx-dir", str(tmp_path / "ptx"))
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3
    assert len(list((tmp_path / "ptx").glob("lt_*.ptx"))) == 3
    from exo_gpu.cli import main

    assert main(["litmus", "generate", "--count", "1", "--out", str(tmp_path / "one.jsonl")]) == 0
    assert json.loads((tmp_path / "one.jsonl").read_text())["seed"] == 0
