"""f16 accumulation (`accumulator="f16"`, `--accumulator f16`), judged by the real pinned ptxas.

wgmma accumulates f16, e4m3 and e5m2 inputs in f16 as well as f32: an m64nN tile is then N/4
packed f16x2 registers per thread instead of N/2 f32 ones, so tiles that do not fit the
register budget in f32 fit in f16.  Every kernel here goes through the full pipeline, ptxas
12.3 and 13.x and the guard (no C75xx code, no extra WARPGROUP.DEPBAR or gsb0, no local
memory); the PTX form, the register budget, the verifier errors, the runtime's tolerance and
the unchanged f32 path are checked too.  Nothing is mocked.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest

import exo_gpu
from exo_gpu import cli
from exo_gpu.ptxas import guard, toolchain
from exo_gpu.gpu import runtime as rt
from exo_gpu.compiler import CompileError, compile, gemm
from exo_gpu.dialects.wgmma import WGMMA_TABLE
from hopper import needs_hopper
from sass import assert_two_stage_pipeline

CUDAS = ["12.3", "13.x"]

# (id, gemm() keyword arguments): f16 N 64..256, 1..4 tiles, both consumer counts, e4m3.
KERNELS = {
    "f16_n64_t1": dict(dtype="f16", wgmma_n=64, tiles_per_warpgroup=1),
    "f16_n128_t2": dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2),
    "f16_n128_t2_wait0": dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2, wait_depth=0),
    "f16_n256_t1": dict(dtype="f16", wgmma_n=256, tiles_per_warpgroup=1),
    # Over the f32 budget (2 x 128 + 24 > 232), 2 x 64 + 48 in f16.
    "f16_n256_t2_s3": dict(dtype="f16", wgmma_n=256, tiles_per_warpgroup=2, stages=3),
    "f16_n128_t4_s2": dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=4, stages=2),
    # The budget's edge: 4 x 46 + 24 + 24 (f16 epilogue) = 232.
    "f16_n184_t4_s2": dict(dtype="f16", wgmma_n=184, tiles_per_warpgroup=4, stages=2),
    "f16_n240_t3_c1_s3": dict(dtype="f16", wgmma_n=240, tiles_per_warpgroup=3, consumers=1, stages=3),
    "f16_n128_t2_accc": dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2, accumulate_c=True),
    "e4m3_n128_t2": dict(dtype="e4m3", wgmma_n=128, tiles_per_warpgroup=2),
    "e4m3_n256_t2_s3": dict(dtype="e4m3", wgmma_n=256, tiles_per_warpgroup=2, stages=3),
    "e5m2_n240_t3_c1_s3": dict(dtype="e5m2", wgmma_n=240, tiles_per_warpgroup=3, consumers=1, stages=3),
}
CASES = [pytest.param(k, c, id=f"{k}-cuda{c}") for k in KERNELS for c in CUDAS]

_MMA_RE = re.compile(r"^\s*wgmma\.mma_async\.sync\.aligned\.(?P<shape>m64n\d+k\d+)\.(?P<d>\w+)\.(?P<ab>\w+)\.\w+\s+"
                     r"\{(?P<acc>[^}]*)\},\s*(?P<rest>[^;]*);", re.M)


def _params(kernel: str) -> dict:
    return {"tiles_per_warpgroup": 2, "consumers": 2, "wait_depth": 1, "stages": 4, "accumulate_c": False,
            **KERNELS[kernel]}


@functools.lru_cache(maxsize=None)
def _compiled(kernel: str, cuda: str):
    return compile(gemm(**KERNELS[kernel], accumulator="f16"), cuda=cuda)


def _k_steps(dtype: str) -> int:
    kind = WGMMA_TABLE[dtype]
    return (128 // kind.bytes) // kind.k


# ---------------------------------------------------------------- the guard on ptxas 12.3 / 13.x

@pytest.mark.parametrize("kernel,cuda", CASES)
def test_f16_accumulator_kernel_is_clean(kernel, cuda):
    result = _compiled(kernel, cuda)
    assert result.ptxas.version == toolchain.resolve(cuda).version
    assert result.warnings == []  # the pipeline model predicted nothing either
    (r,) = result.reports
    assert r.ok, r.failures
    assert not [d for d in r.codes if d.code in guard.SERIALIZATION_CODES]
    assert r.stack == 0 and r.spill_stores == 0 and r.spill_loads == 0
    assert r.shape.ldl == 0 and r.shape.stl == 0


@pytest.mark.parametrize("kernel,cuda", CASES)
def test_f16_accumulator_sass_shape(kernel, cuda):
    """The f16-accumulating GMMA (HGMMA.64xNx16.F16, QGMMA.64xNx32.F16.E4M3...), only the
    last of each stage with gsb0, one ARRIVE per stage, no more DEPBAR than wait_groups."""
    p = _params(kernel)
    r = _compiled(kernel, cuda).reports[0]
    s = r.shape
    per_group = p["tiles_per_warpgroup"] * _k_steps(p["dtype"])
    assert_two_stage_pipeline(r, per_group)
    k = WGMMA_TABLE[p["dtype"]].k
    opcode = "HGMMA" if p["dtype"] == "f16" else "QGMMA"
    assert all(line.startswith(f"{opcode}.64x{p['wgmma_n']}x{k}.F16") for line in s.hgmma_lines), s.hgmma_lines
    assert not any(".F32" in line for line in s.hgmma_lines)
    assert sum("RZ, !UPT" in line for line in s.hgmma_lines) == p["tiles_per_warpgroup"]


# ---------------------------------------------------------------- the PTX

@pytest.mark.parametrize("kernel", list(KERNELS))
def test_f16_accumulator_ptx_form(kernel):
    """N/4 packed .f16x2 registers per tile, `.f16` D type, no f32 accumulator range."""
    p = _params(kernel)
    ptx = _compiled(kernel, "12.3").ptx
    kind = WGMMA_TABLE[p["dtype"]]
    mmas = list(_MMA_RE.finditer(ptx))
    assert len(mmas) == 2 * p["tiles_per_warpgroup"] * _k_steps(p["dtype"])
    assert {(m["shape"], m["d"], m["ab"]) for m in mmas} == {(f"m64n{p['wgmma_n']}k{kind.k}", "f16", kind.ptx)}
    per_tile = p["wgmma_n"] // 4
    ranges = {tuple(a.strip() for a in m["acc"].split(",")) for m in mmas}
    assert len(ranges) == p["tiles_per_warpgroup"]
    assert all(len(r) == per_tile and all(a.startswith("%hacc") for a in r) for r in ranges)
    assert re.search(rf"^\s*\.reg \.f16x2 %hacc<{per_tile * p['tiles_per_warpgroup']}>;$", ptx, re.M)
    assert not re.search(r"%acc\d", ptx) and ".reg .f32 %acc" not in ptx
    assert ".local" not in ptx


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_f16_accumulators_are_only_touched_by_wgmma_and_the_epilogue_unpack(kernel):
    """Each packed register is written by wgmma only and read by wgmma or by the epilogue's
    `mov.b32 {lo, hi}, %haccR`; every register of every tile is unpacked, each half converted
    with cvt.f32.f16."""
    p = _params(kernel)
    ptx = _compiled(kernel, "12.3").ptx
    unpacked = []
    for line in ptx.splitlines():
        if "%hacc" in line and ".reg" not in line:
            if "wgmma.mma_async" in line:
                continue
            m = re.match(r"^\s*mov\.b32 \{%rs\d+, %rs\d+\}, %hacc(\d+);$", line)
            assert m, line
            unpacked.append(int(m[1]))
    per_tile = p["wgmma_n"] // 4 * p["tiles_per_warpgroup"]
    assert set(unpacked) == set(range(per_tile))
    # C +=: one checked path; otherwise the unchecked interior path and the checked edge path.
    assert len(unpacked) == per_tile * (1 if p["accumulate_c"] else 2)
    assert ptx.count("cvt.f32.f16 ") == 2 * len(unpacked)
    assert bool(re.search(r"st\.global\.v2\.f32 \[%rd\d+(\+\d+)?\], \{%f\d+, %f\d+\};", ptx)) is not p["accumulate_c"]
    if p["accumulate_c"]:
        assert ptx.count("add.f32 ") == 2 * len(unpacked)


def test_pipeline_model_sees_reads_of_packed_accumulators():
    """The wgmma pipeline model (run before ptxas) reads %hacc ranges as accumulators: our
    PTX has no finding, and an unpack moved between two wgmma of a stage is predicted to
    serialize (C7514)."""
    from exo_gpu.passes.verify_wgmma_pipeline import verify_text

    ptx = compile(gemm(dtype="f16", wgmma_n=64, tiles_per_warpgroup=1, accumulator="f16"), assemble=False).ptx
    assert [f for v in verify_text(ptx, "12.3") for f in v.findings] == []
    lines = ptx.splitlines()
    second = [i for i, line in enumerate(lines) if "wgmma.mma_async" in line][1]
    bad = "\n".join([*lines[:second], "\tmov.b32 {%rs0, %rs1}, %hacc3;", *lines[second:]])
    findings = [f for v in verify_text(bad, "12.3") for f in v.findings]
    assert [(f.rule, f.codes, f.serialized) for f in findings] == [("acc-read-in-stage", ("C7514",), True)]


def test_f32_accumulator_is_the_default_and_unchanged():
    """accumulator="f32" is the default: the same tile IR (no accumulator property) and the
    same PTX as before, with its %acc f32 range."""
    for dtype in ("f16", "e4m3", "bf16"):
        default = compile(gemm(dtype=dtype), assemble=False)
        explicit = gemm(dtype=dtype, accumulator="f32")
        assert "accumulator" not in exo_gpu.print_ir(explicit)
        assert compile(explicit, assemble=False).ptx == default.ptx
        assert ".reg .f32 %acc<128>;" in default.ptx and "%hacc" not in default.ptx
        kind = WGMMA_TABLE[dtype].ptx
        assert f"k{WGMMA_TABLE[dtype].k}.f32.{kind}.{kind} " in default.ptx


# ---------------------------------------------------------------- register budget

def test_f16_accumulators_let_a_bigger_tile_fit_the_register_budget():
    """N 256 x 2 tiles per consumer: 2 x 128 f32 registers + 24 = 280 > 232 is rejected before
    ptxas; in f16 it is 2 x 64 + 48 = 176, and ptxas 12.3 keeps it clean."""
    with pytest.raises(CompileError, match=r"needs 256 accumulator registers \+ 24 for addressing = 280 per thread, "
                                           r"over its setmaxnreg budget of 232"):
        compile(gemm(dtype="f16", wgmma_n=256, tiles_per_warpgroup=2, stages=3), assemble=False)
    assert _compiled("f16_n256_t2_s3", "12.3").reports[0].ok


def test_f16_accumulator_budget_counts_packed_registers():
    """f16 tiles count N/4 registers, plus 24 for addressing and 24 for the epilogue's
    f16 -> f32 conversions: 4 tiles of N 192 (192 + 48 = 240; ptxas 12.3 and 13.5 spill 16-24
    bytes there) and of N 256 are rejected before ptxas; 4 tiles of N 184 (184 + 48 = 232)
    pass, and both ptxas keep them clean (KERNELS above)."""
    for n, used in ((256, 256), (192, 192)):
        with pytest.raises(CompileError, match=rf"needs {used} accumulator registers \+ 48 for addressing and the "
                                               rf"f16 epilogue's conversions = {used + 48} per thread, over its "
                                               r"setmaxnreg budget of 232"):
            compile(gemm(dtype="f16", wgmma_n=n, tiles_per_warpgroup=4, stages=2, accumulator="f16"), assemble=False)
    compile(gemm(dtype="f16", wgmma_n=184, tiles_per_warpgroup=4, stages=2, accumulator="f16"), assemble=False)
    # f32 keeps its reserve of 24: 2 tiles of N 192 (192 + 24) still fit.
    compile(gemm(dtype="f16", wgmma_n=192, tiles_per_warpgroup=2, stages=3), assemble=False)


# ---------------------------------------------------------------- illegal combinations

@pytest.mark.parametrize("dtype", ["bf16", "tf32"])
def test_f16_accumulator_needs_f16_or_fp8_inputs(dtype):
    with pytest.raises(CompileError) as e:
        gemm(dtype=dtype, accumulator="f16")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.endswith(f"{dtype} wgmma has no f16 accumulator: use accumulator f32, "
                        "or dtype f16, e4m3 or e5m2 for f16 accumulation")


def test_unknown_accumulator_is_one_line():
    with pytest.raises(CompileError, match=r"accumulator must be f32 or f16, got 'f64'$"):
        gemm(dtype="f16", accumulator="f64")


def test_cli_bf16_with_f16_accumulator_is_one_line_error(capsys):
    assert cli.main(["gemm", "--dtype", "bf16", "--accumulator", "f16", "--emit", "ptx"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("exo-gpu: error: ") and "use accumulator f32" in err[0]
    # exo-gpu run refuses it the same way, before any driver call.
    assert cli.main(["run", "--dtype", "bf16", "--accumulator", "f16", "--m", "64", "--n", "64", "--k", "64"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bf16 wgmma has no f16 accumulator" in err[0]


def test_cli_gemm_accumulator_f16_report(capsys):
    assert cli.main(["gemm", "--dtype", "f16", "--accumulator", "f16", "--wgmma-n", "256", "--tiles-per-warpgroup",
                     "2", "--stages", "3", "--cuda", "13.x"]) == 0
    out = capsys.readouterr().out
    assert "gemm_f16_m256n256_c2_s3_w1_accf16 (ptxas 13.5" in out and ": OK" in out
    assert "HGMMA.64x256x16.F16 " in out


# ---------------------------------------------------------------- runtime: tolerance, info, NaN

def test_f16_accumulation_tolerance_follows_sqrt_k():
    assert rt.tolerance("f16") == rt.TOLERANCE["f16"] == 1e-2
    assert rt.tolerance("e4m3", "f32", 4096) == 1e-2
    assert rt.tolerance("f16", "f16", 1024) == pytest.approx(2.0 ** -11 * 32)
    assert rt.tolerance("e4m3", "f16", 4096) == pytest.approx(2.0 ** -11 * 64)


def _f16_accumulate(a: np.ndarray, b: np.ndarray, block: int) -> np.ndarray:
    """A @ b.T summed in f16, rounding to nearest after every `block` products (summed exactly)."""
    acc = np.zeros((a.shape[0], b.shape[0]), dtype=np.float16)
    for k0 in range(0, a.shape[1], block):
        part = a[:, k0:k0 + block].astype(np.float64) @ b[:, k0:k0 + block].astype(np.float64).T
        acc = (acc.astype(np.float64) + part).astype(np.float16)
    return acc.astype(np.float32)


@pytest.mark.parametrize("k", [256, 1024])
def test_f16_accumulation_tolerance_is_honest(k):
    """Simulated f16 accumulation of random-normal f16 inputs: rounding after every product
    (the worst case) stays under the threshold 2^-11 * sqrt(K) with room to spare, and near
    the model's 0.41 of it, so the threshold is not loose either; rounding once per k16
    wgmma is smaller still.  The same simulation with the f32 threshold fails at K = 1024."""
    rng = np.random.default_rng(7)
    a = rng.standard_normal((96, k)).astype(np.float16)
    b = rng.standard_normal((80, k)).astype(np.float16)
    ref = rt.reference(a, b, "f16")
    threshold = rt.tolerance("f16", "f16", k)
    per_add = rt.compare(_f16_accumulate(a, b, 1), ref, threshold)
    per_mma = rt.compare(_f16_accumulate(a, b, 16), ref, threshold)
    assert per_add[4] and per_mma[4]
    assert 0.25 * threshold < per_add[0] < 0.6 * threshold  # model: sqrt(1/6) = 0.41
    assert per_mma[0] < per_add[0]
    if k == 1024:
        assert not rt.compare(_f16_accumulate(a, b, 1), ref, rt.TOLERANCE["tf32"])[4]


def test_f16_accumulation_check_still_fails_on_nan_and_wrong_elements():
    rng = np.random.default_rng(1)
    ref = rng.standard_normal((64, 64)) * 32
    threshold = rt.tolerance("f16", "f16", 1024)
    good = (ref * (1 + 2.0 ** -12 * rng.standard_normal(ref.shape))).astype(np.float32)
    assert rt.compare(good, ref, threshold)[4]
    poisoned = good.copy()
    poisoned[3, 5] = np.nan  # an element never written keeps the NaN poison
    rel, nans, _, _, passed = rt.compare(poisoned, ref, threshold)
    assert nans == 1 and not passed
    wrong = good.copy()
    wrong[7, 9] += 60 * threshold * float(np.sqrt(np.mean(ref ** 2)))
    assert not rt.compare(wrong, ref, threshold)[4]


def test_kernel_info_carries_the_accumulator():
    info = rt.KernelInfo.for_gemm("k", "f16", 256, 2, 2, 3, accumulator="f16", registers=168)
    assert info.accumulator == "f16" and info.label().endswith(" accf16")
    back = rt.KernelInfo.from_dict(info.to_dict())
    assert back == info and back.extra == {"registers": 168}
    assert rt.KernelInfo.for_gemm("k", "f16", 128, 2, 2, 4).accumulator == "f32"
    assert "acc" not in rt.KernelInfo.for_gemm("k", "f16", 128, 2, 2, 4).label()


def test_runner_build_passes_the_accumulator_through():
    from exo_gpu.gpu.runner import build

    cubin, info = build(dtype="e4m3", wgmma_n=128, tiles_per_warpgroup=2, accumulator="f16", cuda="13.x")
    assert cubin and info.accumulator == "f16" and info.name.endswith("_accf16")




@needs_hopper
@pytest.mark.parametrize("config", [
    dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2),
    dict(dtype="f16", wgmma_n=256, tiles_per_warpgroup=2, stages=3),
    dict(dtype="f16", wgmma_n=184, tiles_per_warpgroup=4, stages=2),
    dict(dtype="e4m3", wgmma_n=256, tiles_per_warpgroup=2, stages=3),
    dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2, accumulate_c=True),
], ids=lambda c: "_".join(f"{v}" for v in c.values()))
def test_gpu_f16_accumulation_is_correct(config):
    """K kept moderate (<= 1024): the threshold 2^-11 * sqrt(K) is checked per size."""
    rng = np.random.default_rng()
    for m, n, k in [(1024, 1024, 1024), (129, 200, 64), (777, 1001, 512)]:
        check = exo_gpu.run(m, n, k, seed=int(rng.integers(1 << 30)), accumulator="f16", **config)
        assert check.passed, check.line()
        assert check.threshold == pytest.approx(2.0 ** -11 * math.sqrt(k))
