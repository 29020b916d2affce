"""The flow model (exo_gpu/ptxas/flow_model.py): each mechanism it models, checked against the
real pinned ptxas on a minimal probe program written for it (assembled here, `ptxas -v` +
nvdisasm, read as the litmus labeller reads them), and its agreement on the stored sample of
the litmus A-test split (tests/ptxas_model/test-sample.jsonl.gz; no ptxas runs there)."""

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from exo_gpu.ptxas import flow_model as F
from exo_gpu.ptxas import toolchain
from exo_gpu.ptxas.flow_ir import module_funcs
from exo_gpu.ptxas.model import exact_key

SAMPLE = Path(__file__).parent / "ptxas_model" / "test-sample.jsonl.gz"


def _tile(init="zero"):
    return dict(n=16, acc="f32", ab="f16", init=init, rs=False)


def _stage(mmas, wait=0):
    return dict(fence=True, mmas=[[t, sd, None] for t, sd in mmas], commit=True, wait=wait, defect=None,
                wait_guard=None, commit_guard=None)


def _program(tiles, stages, loop="top", final=(0,), ops=(), consumers=None):
    from exo_gpu.ptxas.litmus.program import Program

    consumers = consumers if consumers is not None else list(range(len(tiles)))
    return Program(dict(dist="probe", seed=0, tiles=tiles, loop=loop, unroll=False, peel=False, stages=stages,
                        final_waits=[dict(n=n, guard=None) for n in final], ops=list(ops),
                        consumers=[dict(tile=t, kind="store", guard=None) for t in consumers], maxnreg=None))


# name -> (program, {version: (codes, serialized, wait injected)} that ptxas gives and the model must give)
PROBES = {
    # ptxas removes a wgmma whose accumulators nobody reads, so its undefined input does not count
    "dead_wgmma_reads_undefined": (
        lambda: _program([_tile(), _tile("undef")], [_stage([(0, "1"), (1, "1")])], consumers=[0]),
        {"12.3": ((), False, False), "13.5": ((), False, False)}),
    # scale-d = (k != 0) with k the constant 0 (straight-line code) is the immediate 0: no read
    "constant_runtime_scale_d": (
        lambda: _program([_tile("undef")], [_stage([(0, "p")])], loop="straight"),
        {"12.3": ((), False, False), "13.5": ((), False, False)}),
    # ptxas unrolls a bottom-tested loop: 8 HGMMA, each with its own gsb0, for one commit_group
    "bottom_loop_counts_as_serialized": (
        lambda: _program([_tile()], [_stage([(0, "1")], wait=None)], loop="bottom"),
        {"12.3": ((), True, False), "13.5": ((), True, False)}),
    # a read left pending by an explicit final wait_group 1 serializes
    "read_after_final_wait1": (
        lambda: _program([_tile()], [_stage([(0, "1")], wait=1)], final=(1,)),
        {"12.3": (("C7514",), True, False), "13.5": (("C7514", "C7517"), True, False)}),
    # with no final wait, ptxas injects the missing wait (silently on 12.x before 12.5)
    "read_after_loop_wait1": (
        lambda: _program([_tile()], [_stage([(0, "1")], wait=1)], final=()),
        {"12.3": ((), False, True), "13.5": (("C7517",), False, True)}),
    # a call inside a running stage: serialized (an injected arrive, C7519, on 12.5-13.0)
    "call_in_open_stage": (
        lambda: _program([_tile()], [_stage([(0, "1")], wait=1)],
                         ops=[dict(id=1, kind="call_plain", at="s0.mm", guard=None)]),
        {"12.3": ((), True, False), "12.9": (("C7519",), True, False), "13.5": ((), True, False)}),
}


@pytest.fixture(scope="module")
def labelled():
    """Every probe labelled by every version the probes name, with the real pinned ptxas."""
    from exo_gpu.ptxas.litmus.label import label_batch

    versions = sorted({v for _, exp in PROBES.values() for v in exp})
    progs = {name: make() for name, (make, _) in PROBES.items()}
    return progs, {v: label_batch(list(progs.values()), v) for v in versions}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_ptxas_and_model_agree(labelled, name):
    progs, obs = labelled
    p = progs[name]
    funcs = module_funcs(p.text)
    for v, want in PROBES[name][1].items():
        o = obs[v][p.sha]
        seen = exact_key(o["codes"], o["serialized"], o["injected_waits"] > 0)
        assert seen == exact_key(*want), f"ptxas {v} changed on probe {name}: {seen}"
        assert exact_key(*F.predict(funcs, p.name, v)) == seen, f"{name} on {v}"


def test_families_cover_every_pinned_version():
    assert F.family("12.3") == "12.1" and F.family("13.5") == "13.3" and F.family("12.8") == "12.6"
    assert {F.family(v) for v in toolchain.pinned_versions()} <= set(F.FAMILIES)


# agreement of the flow model on the stored A-test sample (12.3: 0.865, 13.5: 0.695, lowest 0.65 on
# 12.9/13.0), less a small margin; the targets (0.98 / 0.95) are NOT reached: see
# docs/ptxas-model-eval.md and docs/ptxas-flow-model.md
FLOOR = {"12.3": 0.84, "13.5": 0.67, "any": 0.62}


def test_agreement_on_test_sample():
    rows = [json.loads(line) for line in gzip.decompress(SAMPLE.read_bytes()).decode().splitlines() if line.strip()]
    ok, total = Counter(), Counter()
    for row in rows:
        funcs = module_funcs(row["ptx"])
        for v, (codes, ser, wait) in row["obs"].items():
            total[v] += 1
            ok[v] += exact_key(*F.predict(funcs, row["kernel"], v)) == exact_key(codes, ser, wait)
    agree = {v: ok[v] / total[v] for v in total}
    for v in ("12.3", "13.5"):
        assert agree[v] >= FLOOR[v], f"{v}: {agree[v]:.3f}"
    low = {v: round(a, 3) for v, a in agree.items() if a < FLOOR["any"]}
    assert not low, low
