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


# Probes written as PTX (the litmus grammar has no final wait after a wait 0, no stage without a
# fence before the first one): one wgmma stage, f32 accumulators zeroed by mov, stored at the end.
_HEAD = """.version 8.0
.target sm_90a
.address_size 64

.extern .shared .align 1024 .b8 smem[];

.visible .entry probe(
	.param .u64 probe_out,
	.param .u32 probe_nk
)
.maxntid 128, 1, 1
{
	.reg .pred %p<4>;
	.reg .b32 %r<8>;
	.reg .b64 %rd<8>;
	.reg .f32 %f<8>;
	.reg .f32 %t<2>;
	mov.u32 %r1, smem;
	cvt.u64.u32 %rd1, %r1;
	shr.u64 %rd2, %rd1, 4;
	or.b64 %rd3, %rd2, 4611686293305360384;
	add.s64 %rd4, %rd3, 512;
	ld.param.u32 %r3, [probe_nk];
	ld.param.u64 %rd5, [probe_out];
	cvta.to.global.u64 %rd6, %rd5;
"""
_ZERO = "".join(f"\tmov.f32 %f{i}, 0f00000000;\n" for i in range(8))
_MMA = ("\twgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 {%f0, %f1, %f2, %f3, %f4, %f5, %f6, %f7}, "
        "%rd3, %rd4, SD, 1, 1, 0, 0;\n")
_COMMIT = "\twgmma.commit_group.sync.aligned;\n"
_STAGE = "\twgmma.fence.sync.aligned;\n" + _MMA.replace("SD", "1") + _COMMIT
_STORE, _END = "\tst.global.f32 [%rd6], %f0;\n", "\tret;\n}\n"


def _wait(n):
    return f"\twgmma.wait_group.sync.aligned {n};\n"


def _loop(body):
    return ("\tmov.u32 %r4, 0;\n$L_loop:\n\t.pragma \"nounroll\";\n\tsetp.ge.u32 %p1, %r4, %r3;\n\t@%p1 bra $L_done;\n"
            + body + "\tadd.u32 %r4, %r4, 1;\n\tbra $L_loop;\n$L_done:\n")


def _bloop(body, head="\tsetp.ne.u32 %p2, %r4, 0;\n"):
    """A bottom-tested loop under .pragma "nounroll"; %p2 = (k != 0) is dead unless a wgmma reads it."""
    return ("\tmov.u32 %r4, 0;\n\tmov.f32 %t1, 0f00000000;\n$L_loop:\n\t.pragma \"nounroll\";\n" + head + body
            + "\tadd.u32 %r4, %r4, 1;\n\tsetp.lt.u32 %p1, %r4, %r3;\n\t@%p1 bra $L_loop;\n")


_FENCE, _ADD1 = "\twgmma.fence.sync.aligned;\n", "\tadd.f32 %t1, %t1, 0f3F800000;\n"
_READ = "\tadd.f32 %t1, %f1, %f1;\n"
_STAGE_W0 = _MMA.replace("SD", "1") + _COMMIT + _wait(0)
_END_T1 = _STORE + "\tst.global.f32 [%rd6+4], %t1;\n" + _END
_HELPER = ".func helper()\n{\n\tret;\n}\n\n"
_SER_ONLY = ((), True, False)
_WAIT_ONLY = ((), False, True)
_NONE = ((), False, False)
_V3 = ("12.3", "12.9", "13.5")
PTX_PROBES = {
    # the exit check counts commits on the path, not what earlier waits retired: two groups,
    # wait 0, then wait 1 -> a wait 0 is injected before the exit (C7517 from 12.5)
    "exit_counts_commits": (_HEAD + _ZERO + _STAGE * 2 + _wait(0) + _wait(1) + _STORE + _END,
                            {"12.3": _WAIT_ONLY, "12.9": (("C7517",), False, True), "13.5": (("C7517",), False, True)}),
    # ... one group, wait 0, wait 1: nothing
    "exit_one_commit": (_HEAD + _ZERO + _STAGE + _wait(0) + _wait(1) + _STORE + _END,
                        {"12.3": ((), False, False), "12.9": ((), False, False), "13.5": ((), False, False)}),
    # wgmmas nobody reads are kept as HGMMAs writing RZ: their group left pending by the loop's
    # wait 1 still gets a wait at the exit
    "faint_group_at_exit": (_HEAD + _ZERO + _loop(_STAGE + _wait(1)) + _wait(1) + _END,
                            {"12.3": _WAIT_ONLY, "12.9": (("C7517",), False, True), "13.5": (("C7517",), False, True)}),
    # pending on both paths (peeled stage, loop): a read then a wait serializes, C7514 alone
    "pending_on_every_path": (
        _HEAD + _ZERO + _STAGE + _wait(1) + _loop(_STAGE + _wait(1)) + "\tadd.f32 %t1, %f1, %f1;\n" + _wait(0)
        + _STORE + "\tst.global.f32 [%rd6+4], %t1;\n" + _END,
        {"12.3": (("C7514",), True, False), "12.9": (("C7514",), True, False), "13.5": (("C7514",), True, False)}),
    # a wgmma before any wgmma.fence of the function: an arrive is injected on 12.5-13.0 (C7519)
    "no_fence_at_all": (_HEAD + _MMA.replace("SD", "0") + _COMMIT + _wait(0) + _STORE + _END,
                        {"12.3": ((), False, False), "12.9": (("C7519",), False, False), "13.5": ((), False, False)}),
    # a descriptor written between the fence and the wgmma needs no arrive
    "descriptor_after_fence": (
        _HEAD + _ZERO + "\twgmma.fence.sync.aligned;\n\tadd.s64 %rd4, %rd4, 2;\n" + _MMA.replace("SD", "1") + _COMMIT
        + _wait(0) + _STORE + _END,
        {"12.3": ((), False, False), "12.9": ((), False, False), "13.5": ((), False, False)}),
    # ptxas copies a bottom-tested loop 8 times despite .pragma "nounroll" (one gsb0 per HGMMA:
    # serialized by the counts) when it starts with its fence, even with 14 more instructions ...
    "pragma_loop_fence_first": (_HEAD + _ZERO + _bloop(_FENCE + _ADD1 * 14 + _STAGE_W0) + _END_T1,
                                {v: _SER_ONLY for v in _V3}),
    # ... but not with 16, nor with a live instruction before the fence (a dead one does not count),
    "pragma_loop_too_long": (_HEAD + _ZERO + _bloop(_FENCE + _ADD1 * 16 + _STAGE_W0) + _END_T1,
                             {v: _NONE for v in _V3}),
    "pragma_loop_live_before_fence": (_HEAD + _ZERO + _bloop(_ADD1 + _FENCE + _STAGE_W0, head="") + _END_T1,
                                      {v: _NONE for v in _V3}),
    # ... nor when a wgmma takes a run-time scale-d, nor when the loop calls a function
    "pragma_loop_runtime_scale_d": (
        _HEAD + _ZERO + _bloop(_FENCE + _MMA.replace("SD", "%p2") + _COMMIT + _wait(0)) + _END_T1,
        {v: _NONE for v in _V3}),
    "pragma_loop_call": (
        _HEAD.replace(".visible .entry", _HELPER + ".visible .entry") + _ZERO
        + _bloop(_FENCE + _STAGE_W0 + "\tcall.uni helper, ();\n") + _END_T1,
        {"12.3": _NONE, "13.5": _NONE}),
    # from 12.6, a read of a committed group gets a wait injected only if no wait_group ran before
    # it on a forward path from the entry (even one retiring nothing, before the fence, or under a
    # branch); a wait reaching it over the loop's back edge does not count
    "committed_read_first_wait": (
        _HEAD + _ZERO + _FENCE + _STAGE_W0.replace(_wait(0), "") + _READ + _wait(0) + _END_T1,
        {"12.3": (("C7514",), True, False), "12.5": (("C7517",), False, True), "12.9": (("C7517",), False, True),
         "13.5": (("C7517",), False, True)}),
    "committed_read_after_a_wait": (
        _HEAD + _ZERO + _FENCE + _wait(0) + _STAGE_W0.replace(_wait(0), "") + _READ + _wait(0) + _END_T1,
        {"12.3": (("C7514",), True, False), "12.5": (("C7517",), False, True), "12.6": (("C7514",), True, False),
         "13.5": (("C7514",), True, False)}),
    "committed_read_after_a_guarded_wait": (
        _HEAD + _ZERO + "\tsetp.gt.u32 %p3, %r3, 5;\n\t@%p3 bra $L_s;\n" + _wait(0) + "$L_s:\n" + _FENCE
        + _STAGE_W0.replace(_wait(0), "") + _READ + _wait(0) + _END_T1,
        {"12.9": (("C7514",), True, False), "13.5": (("C7514",), True, False)}),
    "committed_read_wait_over_back_edge": (
        _HEAD + _ZERO + _loop(_FENCE + _STAGE_W0.replace(_wait(0), "") + _READ + _wait(0)) + _END_T1,
        {"12.3": (("C7514",), True, False), "12.9": (("C7517",), False, True), "13.5": (("C7517",), False, True)}),
    # 12.0-12.4: a read of a committed group after the loop that issued it gets a silent wait, unless
    # a wait_group ran before it, one follows it, or a peeled copy of the stage precedes the loop
    "committed_read_after_loop": (
        _HEAD + _ZERO + _loop(_FENCE + _MMA.replace("SD", "1") + _COMMIT) + _READ + _END_T1,
        {"12.0": _WAIT_ONLY, "12.3": _WAIT_ONLY, "12.4": _WAIT_ONLY, "13.5": (("C7517",), False, True)}),
    "committed_read_after_loop_waited_before": (
        _HEAD + _ZERO + _wait(0) + _loop(_FENCE + _MMA.replace("SD", "1") + _COMMIT) + _READ + _END_T1,
        {"12.3": (("C7514",), True, False)}),
    "committed_read_after_peeled_loop": (
        _HEAD + _ZERO + _STAGE + _loop(_FENCE + _MMA.replace("SD", "1") + _COMMIT) + _READ + _END_T1,
        {"12.3": (("C7514",), True, False)}),
    "committed_read_after_loop_then_wait": (
        _HEAD + _ZERO + _loop(_FENCE + _MMA.replace("SD", "1") + _COMMIT) + _READ + _wait(0) + _END_T1,
        {"12.3": (("C7514",), True, False)}),
    # a wgmma.fence between the stage's wgmma and its commit: serialized without a code (every version)
    "fence_before_commit": (
        _HEAD + _ZERO + _FENCE + _MMA.replace("SD", "1") + _FENCE + _COMMIT + _wait(0) + _STORE + _END,
        {v: _SER_ONLY for v in _V3}),
    # ... but not when no commit follows the fence (the stage is never committed)
    "fence_in_stage_never_committed": (
        _HEAD + _ZERO + _FENCE + _MMA.replace("SD", "1") + "\tsetp.gt.u32 %p3, %r3, 5;\n\t@%p3 bra $L_s;\n" + _FENCE
        + "$L_s:\n" + _wait(0) + _STORE + _END,
        {"12.3": _NONE, "13.5": _NONE}),
}


@pytest.mark.parametrize("name", sorted(PTX_PROBES))
def test_ptx_probe_ptxas_and_model_agree(name):
    from exo_gpu.ptxas import atlas

    text, want = PTX_PROBES[name]
    funcs = module_funcs(text)
    for v, expected in want.items():
        o = atlas.observe(text, v)
        assert "error" not in o, o.get("error")
        k = o["kernels"]["probe"]
        seen = exact_key(k["codes"], k["serialized"], k["sass"]["depbar"] > k["ptx"]["wait_group"])
        assert seen == exact_key(*expected), f"ptxas {v} changed on probe {name}: {seen}"
        assert exact_key(*F.predict(funcs, "probe", v)) == seen, f"{name} on {v}"


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


# agreement of the flow model on the stored A-test sample (12.3: 0.87, 13.5: 0.745, lowest 0.72 on
# 12.9/13.0), less a small margin; the targets (0.98 / 0.95) are NOT reached: see
# docs/ptxas-model-eval.md and docs/ptxas-flow-model.md
FLOOR = {"12.3": 0.85, "13.5": 0.72, "any": 0.70}


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


# Codes the flow model does not predict, each with the minimal PTX that makes the pinned ptxas
# print it (docs/ptxas-flow-model.md, "Fourth session"): C7516 "ill formed pipeline stage" on
# 12.0-12.3, for a wgmma nobody reads (removed from SASS) whose stage is never committed, with a
# fence on one path after it (minimized from a TRAIN program by deleting lines).
WITNESSES = {
    "C7516": (_HEAD + _ZERO + _FENCE + _MMA.replace("SD", "1") + "\tsetp.gt.u32 %p3, %r3, 5;\n\t@%p3 bra $L_s;\n"
              + _FENCE + "$L_s:\n" + _END, {"12.0": True, "12.3": True, "12.4": False, "13.5": False}),
    # C7511 "insufficient register resources": an accumulator read in a loop while its wgmma is in
    # flight, the next wgmma on it overwriting it (scale-d 0); every version (with C7517 from 12.5)
    "C7511": (_HEAD + _ZERO + _FENCE + _MMA.replace("SD", "0") + _COMMIT
              + _bloop(_READ + "\tst.global.f32 [%rd6+4], %t1;\n" + _FENCE + _MMA.replace("SD", "0") + _COMMIT, head="")
              .replace('\t.pragma "nounroll";\n', "") + _wait(0) + _STORE + _END,
              {"12.0": True, "12.3": True, "12.9": True, "13.5": True}),
}


@pytest.mark.parametrize("code", sorted(WITNESSES))
def test_unmodelled_code_witness(code):
    from exo_gpu.ptxas import atlas

    text, want = WITNESSES[code]
    for v, shows in want.items():
        o = atlas.observe(text, v)
        assert "error" not in o, o.get("error")
        assert (code in o["kernels"]["probe"]["codes"]) == shows, f"ptxas {v} on the {code} witness: {o['kernels']}"
