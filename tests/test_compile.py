"""The whole compiler, tile IR -> PTX -> cubin, judged by the real pinned ptxas and nvdisasm.

Nothing is mocked: every kernel here goes through the full pipeline and is assembled by the
ptxas of NVIDIA's wheels (`exo_gpu.ptxas.toolchain` fetches them into its cache on first use), and
its SASS is read back with nvdisasm.  Each compile takes about a second, so results are
cached per (kernel, CUDA version) for the whole module.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

import exo_gpu
from exo_gpu.ptxas import guard, toolchain
from exo_gpu.compiler import CompileError, compile, gemm, parse, with_locations
from exo_gpu.dialects.wgmma import WGMMA_TABLE
from exo_gpu.errors import ExoGpuError
from exo_gpu.ptxas.guard import GuardError
from exo_gpu.passes import DEFAULT_PIPELINE
from exo_gpu.ptxas.toolchain import ToolchainError
from sass import assert_two_stage_pipeline

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CUDAS = ["12.3", "13.x"]
RUNTIME_PIPELINE = "schedule{scale_d=runtime},insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx"

# (id, gemm() keyword arguments).  The seed kernels are read from examples/ instead.
KERNELS = {
    "bf16_n128_t2": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2),
    "f16_n128_t2": dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2),
    "bf16_n256_t1": dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1),
    "f16_n256_t1": dict(dtype="f16", wgmma_n=256, tiles_per_warpgroup=1),
    "tf32_n128_wait0": dict(dtype="tf32", wgmma_n=128, wait_depth=0),
    "tf32_n128_wait1": dict(dtype="tf32", wgmma_n=128, wait_depth=1),
    "bf16_n128_wait0": dict(dtype="bf16", wgmma_n=128, wait_depth=0),
    "bf16_n128_t2_pingpong": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, schedule="pingpong"),
    "bf16_n256_t1_wait0_c_bf16": dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, c_dtype="bf16"),
    "tf32_n128_c_f16_accumulate": dict(dtype="tf32", wgmma_n=128, c_dtype="f16", accumulate_c=True),
    "tf32_n256_t1_pingpong_wait0": dict(dtype="tf32", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0,
                                        schedule="pingpong"),
}
SEEDS = {"seed_tf32_n96": 96, "seed_tf32_n128": 128}

_MMA_RE = re.compile(r"^\s*wgmma\.mma_async\.sync\.aligned\.(?P<shape>m64n\d+k\d+)\.f32\.(?P<ab>\w+)\.\w+\s+"
                     r"\{(?P<acc>[^}]*)\},\s*(?P<rest>[^;]*);", re.M)


# ---------------------------------------------------------------- cached compiles

@functools.lru_cache(maxsize=None)
def _compiled(kernel: str, cuda: str, pipeline: str = DEFAULT_PIPELINE, downgrade: bool = False):
    if kernel in SEEDS:
        path = EXAMPLES / f"{kernel}.mlir"
        module = parse(path.read_text(), str(path))
    else:
        module = gemm(**KERNELS[kernel])
    return compile(module, pipeline, cuda=cuda, downgrade=downgrade)


@functools.lru_cache(maxsize=None)
def _sass(kernel: str, cuda: str) -> str:
    return guard.disassemble(_compiled(kernel, cuda).cubin)


def _params(kernel: str) -> dict:
    if kernel in SEEDS:
        return dict(dtype="tf32", wgmma_n=SEEDS[kernel], tiles_per_warpgroup=2, wait_depth=1)
    return {"tiles_per_warpgroup": 2, "wait_depth": 1, **KERNELS[kernel]}


def _k_steps(dtype: str) -> int:
    kind = WGMMA_TABLE[dtype]
    return (128 // kind.bytes) // kind.k  # block_k (one 128-byte swizzle row of K) / wgmma K


ALL = [*SEEDS, *KERNELS]
CASES = [pytest.param(k, c, id=f"{k}-cuda{c}") for k in ALL for c in CUDAS]


# ---------------------------------------------------------------- healthy kernels

@pytest.mark.parametrize("kernel,cuda", CASES)
def test_kernel_is_not_serialized(kernel, cuda):
    result = _compiled(kernel, cuda)
    assert result.ptxas.version == toolchain.resolve(cuda).version
    assert result.warnings == []
    assert len(result.reports) == 1
    r = result.reports[0]
    assert r.ok, r.failures
    assert [d.line for d in r.codes if d.serializing] == []
    assert not [d for d in r.codes if d.code in guard.SERIALIZATION_CODES]
    assert r.stack == 0 and r.spill_stores == 0 and r.spill_loads == 0
    assert r.shape.ldl == 0 and r.shape.stl == 0


@pytest.mark.parametrize("kernel,cuda", CASES)
def test_sass_shape_only_last_hgmma_of_each_group_waits(kernel, cuda):
    p = _params(kernel)
    r = _compiled(kernel, cuda).reports[0]
    s = r.shape
    per_group = p["tiles_per_warpgroup"] * _k_steps(p["dtype"])
    assert per_group == 4 * p["tiles_per_warpgroup"]
    assert_two_stage_pipeline(r, per_group)
    shape = f"64x{p['wgmma_n']}x{WGMMA_TABLE[p['dtype']].k}"
    assert all(line.startswith(f"HGMMA.{shape}.F32") for line in s.hgmma_lines), s.hgmma_lines
    # scale-d = 0 lowers to "RZ, !UPT": D is not read by the first HGMMA of each tile.
    assert sum("RZ, !UPT" in line for line in s.hgmma_lines) == p["tiles_per_warpgroup"]


@pytest.mark.parametrize("kernel,cuda", [pytest.param(k, c, id=f"{k}-cuda{c}") for k in SEEDS for c in CUDAS])
def test_seed_sass_text(kernel, cuda):
    """The SASS itself (not only the guard's counts), for the seed kernels."""
    sass = _sass(kernel, cuda)
    assert f".text.gemm_tf32_m256n{SEEDS[kernel]}_c2_s4_w1" in sass
    assert len(re.findall(r"\bHGMMA\.64x\d+x8\.F32\.TF32\b", sass)) == 16
    assert len(re.findall(r"\bHGMMA\b[^;]*\bgsb0\b", sass)) == 2
    assert not re.search(r"\b(LDL|STL)\b", sass)


@pytest.mark.parametrize("kernel", ALL)
def test_ptx_form(kernel):
    p = _params(kernel)
    ptx = _compiled(kernel, "12.3").ptx
    assert ".target sm_90a" in ptx
    assert re.search(r"^\.maxntid 384, 1, 1$", ptx, re.M)
    assert re.search(r"^\s*setmaxnreg\.inc\.sync\.aligned\.u32 232;$", ptx, re.M)
    assert re.search(r"^\s*setmaxnreg\.dec\.sync\.aligned\.u32 40;$", ptx, re.M)
    assert "st.local" not in ptx and "ld.local" not in ptx and ".local" not in ptx
    # One 4-slot TMA ring holding A's and B's tiles: a full and an empty mbarrier per slot;
    # per K block one box of A per consumer warpgroup splitting the tile (cooperative: 2;
    # ping-pong: 1, each owns whole tiles) and one box of B, all announced by one expect-tx.
    owners = 1 if p.get("schedule") == "pingpong" else 2
    assert len(re.findall(r"^\s*mbarrier\.init\.shared::cta\.b64 ", ptx, re.M)) == 2 * 4
    assert len(re.findall(r"^\s*cp\.async\.bulk\.tensor\.2d\.shared::cluster\.global\.tile\.mbarrier::complete_tx::bytes ",
                          ptx, re.M)) == owners + 1
    elem = WGMMA_TABLE[p["dtype"]].bytes
    block_k = 128 // elem
    expect = (64 * p["tiles_per_warpgroup"] * owners + p["wgmma_n"]) * block_k * elem
    assert re.findall(r"mbarrier\.arrive\.expect_tx\.shared::cta\.b64 _, \[%r\d+\], (\d+);", ptx) == [str(expect)]
    waits = re.findall(r"wgmma\.wait_group\.sync\.aligned (\d+);", ptx)
    assert waits == [str(p["wait_depth"])] * 2 + ["0"]
    assert ptx.count("wgmma.commit_group.sync.aligned;") == 2
    assert ptx.count("wgmma.fence.sync.aligned;") == 2


@pytest.mark.parametrize("kernel", ALL)
def test_ptx_scale_d_immediates(kernel):
    p = _params(kernel)
    tiles, steps = p["tiles_per_warpgroup"], _k_steps(p["dtype"])
    ptx = _compiled(kernel, "12.3").ptx
    mmas = list(_MMA_RE.finditer(ptx))
    assert len(mmas) == 2 * tiles * steps
    k = WGMMA_TABLE[p["dtype"]].k
    assert {m["shape"] for m in mmas} == {f"m64n{p['wgmma_n']}k{k}"}
    # tf32: "desc-a, desc-b, scale-d, imm-scale-a, imm-scale-b";
    # 16-bit types add "imm-trans-a, imm-trans-b" (0, 0: both K-major).
    tail = "" if p["dtype"] == "tf32" else ", 0, 0"
    first_of_tile = [t * steps for t in range(tiles)]
    for i, m in enumerate(mmas):
        line = m.group(0)
        want = f", 0, 1, 1{tail};" if i in first_of_tile else f", 1, 1, 1{tail};"
        assert line.endswith(want), (i, line[-60:])
    assert not re.search(r"%p\d+, 1, 1(, 0, 0)?;", ptx)  # no run-time scale-d


@pytest.mark.parametrize("kernel", ALL)
def test_ptx_accumulators_are_only_touched_by_wgmma_and_the_epilogue(kernel):
    """Each tile keeps one %acc range for its whole life: no mov, no copy, no spill."""
    p = _params(kernel)
    ptx = _compiled(kernel, "12.3").ptx
    n_acc = p["wgmma_n"] // 2
    ranges = {tuple(a.strip() for a in m["acc"].split(",")) for m in _MMA_RE.finditer(ptx)}
    assert len(ranges) == p["tiles_per_warpgroup"]
    assert all(len(r) == n_acc for r in ranges)
    assert re.search(rf"^\s*\.reg \.f32 %acc<{n_acc * p['tiles_per_warpgroup']}>;$", ptx, re.M)
    for line in ptx.splitlines():
        if "%acc" in line and ".reg" not in line:
            # Read only by wgmma and the epilogue: f32 stores, C += adds, or the roundings of a
            # bf16/f16 C (cvt.rn), never written by anything but wgmma.
            assert "wgmma.mma_async" in line or re.match(
                r"^\s*((@%p\d+ )?st\.global(\.v2)?\.f32 |add\.f32 %f\d+, %f\d+, %acc\d+;|cvt\.rn\.(bf16|f16)(x2)?\.f32 %r)",
                line), line


def test_seed_examples_match_the_builder():
    for name, n in SEEDS.items():
        from_file = parse((EXAMPLES / f"{name}.mlir").read_text(), f"{name}.mlir")
        built = gemm(dtype="tf32", wgmma_n=n, tiles_per_warpgroup=2, consumers=2, stages=4,
                     consumer_maxnreg=232)
        assert exo_gpu.print_ir(from_file) == exo_gpu.print_ir(built)
        assert _compiled(name, "12.3").reports[0].kernel == f"gemm_tf32_m256n{n}_c2_s4_w1"


def test_seed_ptx_is_the_same_for_both_cuda_versions():
    for name in SEEDS:
        assert _compiled(name, "12.3").ptx == _compiled(name, "13.x").ptx


def test_report_renderings():
    r = _compiled("seed_tf32_n128", "12.3").reports[0]
    text = guard.format_report(r)
    assert text.startswith("kernel gemm_tf32_m256n128_c2_s4_w1 (ptxas 12.3.107, sm_90a): OK")
    assert "16 HGMMA (2 with gsb0)" in text
    j = guard.report_to_json(r)
    assert j["ok"] is True and j["failures"] == [] and j["codes"] == []
    assert j["sass"]["hgmma"] == 16 and j["sass"]["hgmma_gsb0"] == 2
    assert j["ptx"] == {"wait_group": 3, "commit_group": 2}


# ---------------------------------------------------------------- the guard bites

def _runtime_module():
    return gemm(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, stages=4)


def test_runtime_scale_d_ptx_passes_a_predicate():
    ptx = compile(_runtime_module(), RUNTIME_PIPELINE, assemble=False).ptx
    mmas = list(_MMA_RE.finditer(ptx))
    assert len(mmas) == 2 * 4  # not peeled: one stage of 2 tiles x 4 k-steps
    # The first mma of each tile takes scale-d as a run-time predicate (k != 0); none has an
    # immediate 0.  (Whether the later k-steps take the predicate too is schedule's business:
    # see tests/filecheck/schedule/runtime-scale-d-first-mma-only.mlir.)
    for i in (0, 4):
        assert re.search(r", %p\d+, 1, 1;$", mmas[i].group(0)), mmas[i].group(0)[-40:]
    assert not any(m.group(0).endswith(", 0, 1, 1;") for m in mmas)


def test_runtime_scale_d_is_predicted_serialized_before_ptxas_12_3():
    with pytest.raises(CompileError, match=r"predicted for ptxas 12.3: \[B\] acc-undefined-input .* C7515, serialized"):
        compile(_runtime_module(), RUNTIME_PIPELINE, cuda="12.3")


def test_runtime_scale_d_is_serialized_by_ptxas_12_3_and_the_guard_fails():
    ptx = compile(_runtime_module(), RUNTIME_PIPELINE, assemble=False).ptx
    _, reports = guard.check(ptx, toolchain.ptxas("12.3"))
    with pytest.raises(GuardError) as e:
        guard.enforce(reports)
    msg = str(e.value)
    assert "C7515" in msg
    assert "extra WARPGROUP.DEPBAR" in msg
    assert "extra gsb0 HGMMA" in msg
    assert "--allow-serialization" in msg
    assert any("C7515" in f for f in e.value.failures)


def test_runtime_scale_d_on_12_3_downgraded_to_warnings_shows_every_hgmma_waited_on():
    result = compile(_runtime_module(), RUNTIME_PIPELINE, cuda="12.3", downgrade=True)
    assert result.warnings
    assert any("C7515" in w for w in result.warnings)
    assert any("extra WARPGROUP.DEPBAR" in w for w in result.warnings)
    r = result.reports[0]
    assert not r.ok
    assert [d.code for d in r.codes if d.serializing] == ["C7515"]
    s = r.shape
    assert s.hgmma == 8
    assert s.hgmma_gsb0 == s.hgmma  # serialized: every HGMMA ends its own group
    assert all("gsb0" in line for line in s.hgmma_lines)
    assert s.depbar > r.wait_groups


def test_runtime_scale_d_is_clean_on_cuda_13_x_unlike_12_3():
    """The version difference: ptxas 13.x (13.5.37) keeps the run-time-predicated pipeline
    intact (no C75xx, one gsb0 per group); 12.3.107 serializes it with C7515 (above)."""
    result = compile(_runtime_module(), RUNTIME_PIPELINE, cuda="13.x")
    assert result.ptxas.version == toolchain.resolve("13.x").version
    r = result.reports[0]
    assert r.ok, r.failures
    assert result.warnings == []
    assert [d for d in r.codes if d.serializing] == []
    assert r.shape.hgmma == 8 and r.shape.hgmma_gsb0 == 1 == r.commit_groups
    assert r.shape.depbar <= r.wait_groups


# ---------------------------------------------------------------- errors

def test_illegal_wgmma_shape():
    with pytest.raises(CompileError, match=r"wgmma N must be a multiple of 8 from 8 to 256, got 100"):
        gemm(wgmma_n=100)


def test_tf32_needs_k_major_b():
    with pytest.raises(CompileError) as e:
        gemm(dtype="tf32", layout_b="row")
    msg = str(e.value)
    assert "tf32 wgmma reads A and B K-major only" in msg
    assert "layout_b = row" in msg


def test_unknown_dtype():
    with pytest.raises(CompileError, match="unknown dtype 'fp64'"):
        gemm(dtype="fp64")


def test_register_budget_exceeded():
    module = gemm(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=2, stages=3)
    with pytest.raises(CompileError) as e:
        compile(module)
    msg = str(e.value)
    assert msg.startswith("check-register-budget:")
    assert "256 accumulator registers" in msg
    assert "setmaxnreg budget of 232" in msg
    assert "\n" not in msg


def test_shared_memory_exceeded():
    with pytest.raises(CompileError) as e:
        compile(gemm(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=2, stages=4))
    msg = str(e.value)
    assert "shared memory 263232 bytes exceeds the 232448-byte limit" in msg
    assert "fewer stages" in msg


def test_missing_ptxas():
    with pytest.raises(ToolchainError) as e:
        compile(gemm(), ptxas="/nonexistent/ptxas")
    msg = str(e.value)
    assert "ptxas='/nonexistent/ptxas': no such file" in msg  # the API's spelling, not the CLI's flag
    assert isinstance(e.value, ExoGpuError)


def test_unknown_cuda_version():
    with pytest.raises(ToolchainError, match=r"CUDA 11\.8 is not supported"):
        compile(gemm(), cuda="11.8")


def test_malformed_ir_names_file_line_col():
    text = 'builtin.module {\n  tile.kernel @k(%a: ) grid(%a tiles 64x64) {\n  }\n}\n'
    with pytest.raises(CompileError) as e:
        parse(text, "bad.mlir")
    msg = str(e.value)
    assert re.match(r"^bad\.mlir:2:\d+: ", msg), msg
    assert "\n" not in msg


def test_invalid_ir_is_rejected_by_the_verifier():
    text = (EXAMPLES / "seed_tf32_n128.mlir").read_text().replace("32x128xf32", "32x100xf32")
    with pytest.raises(CompileError, match=r"^k\.mlir: invalid IR: tile\.mma"):
        parse(text, "k.mlir")


def test_pipeline_must_end_in_emit_ptx():
    with pytest.raises(CompileError, match="must end in emit-ptx"):
        compile(gemm(), "schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget")


def test_unknown_pass():
    with pytest.raises(CompileError, match="unknown pass 'peel'"):
        compile(gemm(), "schedule,peel,emit-ptx")


def test_bad_pass_option():
    with pytest.raises(CompileError, match="scale-d must be 'immediate' or 'runtime'"):
        compile(gemm(), "schedule{scale_d=sometimes},insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx",
                assemble=False)


# ---------------------------------------------------------------- source locations

def test_loc_lines_point_at_the_ir_file():
    module, text = with_locations(gemm(), "k.mlir")
    lines = text.splitlines()
    assert lines[1].startswith("  tile.kernel @")  # the kernel sits at line 2, column 3
    ptx = compile(module, assemble=False).ptx
    assert re.search(r'^\.file 1 "k\.mlir"$', ptx, re.M)
    assert re.search(r"^\s*\.loc 1 2 3$", ptx, re.M)
    # The loads, the wgmmas and the epilogue point at the tile.load, tile.mma and tile.store lines.
    for what in ("tile.load %a", "tile.load %b", "tile.mma", "tile.store"):
        row = next(n for n, line in enumerate(lines, 1) if what in line)
        col = lines[row - 1].index(what.split()[0]) + 1 if what == "tile.store" else 7
        assert re.search(rf"^\s*\.loc 1 {row} {col}$", ptx, re.M), what


def test_loc_lines_follow_each_op_of_a_lower_level_file():
    """IR dumped after lower-to-ptx and compiled from a file: one .loc per source line."""
    ir = compile(gemm(), keep_ir=True, assemble=False).ir_after["lower-to-ptx"]
    module = parse(ir, "low.mlir")
    ptx = compile(module, "tie-loop-carried,assign-registers,check-register-budget,emit-ptx", assemble=False).ptx
    assert re.search(r'^\.file 1 "low\.mlir"$', ptx, re.M)
    locs = re.findall(r"^\s*\.loc 1 (\d+) (\d+)$", ptx, re.M)
    assert len(locs) > 100
    lines = ir.splitlines()
    for line_no, col in locs[:20]:
        assert lines[int(line_no) - 1][int(col) - 1:].startswith(("%", '"ptx.')), (line_no, col)


def test_pingpong_takes_turns_on_named_barriers():
    """Ping-pong: each consumer warpgroup waits for its turn (bar.sync on barrier 1 + r, both
    warpgroups' 256 threads) before its tile's first stage and passes it on (bar.arrive on the
    other's) after its K loop and before the final wait_group 0."""
    ptx = _compiled("bf16_n128_t2_pingpong", "12.3").ptx
    body = ptx[ptx.index("setmaxnreg.inc"):]
    sync = re.search(r"^\s*bar\.sync %r\d+, 256;$", body, re.M)
    arrive = re.search(r"^\s*bar\.arrive %r\d+, 256;$", body, re.M)
    assert sync and arrive
    first_mma = body.index("wgmma.mma_async")
    last_mma = body.rindex("wgmma.mma_async")
    final_wait = body.index("wgmma.wait_group.sync.aligned 0;")
    assert sync.start() < first_mma and last_mma < arrive.start() < final_wait
    assert "bar.sync" not in _compiled("bf16_n128_t2", "12.3").ptx.split("setmaxnreg.inc")[1]


def test_unknown_c_dtype():
    with pytest.raises(CompileError, match="unknown c_dtype 'f64': choose one of f32, bf16, f16"):
        gemm(dtype="bf16", c_dtype="f64")


@pytest.mark.parametrize("kwargs,message", [
    (dict(split_k=2, schedule="pingpong"), 'split_k = 2 needs kind = "cooperative"'),
    (dict(split_k=2, c_dtype="bf16"), "split_k = 2 adds partial tiles into C with f32 atomics: store an f32 C"),
    (dict(schedule="pingpong", consumers=1), 'kind = "pingpong" alternates two consumer warpgroups: use consumers = 2'),
])
def test_options_that_do_not_combine_are_rejected_with_the_fix(kwargs, message):
    with pytest.raises(CompileError, match=re.escape(message)):
        gemm(dtype="bf16", **kwargs)
