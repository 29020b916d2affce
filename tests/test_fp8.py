"""fp8 (e4m3, e5m2) GEMMs with per-tensor scales, torch._scaled_mm's convention:
D = (scale_a * scale_b) * (A @ B), the scales one-element float32 tensors in device memory.

Without a GPU: the tile program that `exo_gpu.gemm(scaled=True)` builds (two `tile.load_scalar`,
their product splatted over the accumulator) agrees with the float64 interpreter's reference;
its lowered epilogue, run on numpy for all 128 threads (tests/fragment_sim.py), multiplies by the
scales it loads from memory; the kernels assemble clean by the guard on the pinned ptxas 12.3
and 13.5 (no C75xx, no local memory), read the scales with ld.global (no f32 parameter) and
compute their product once per m64 tile (counted in the SASS); bad programs, gemm() arguments
and matmul() scales are each one line naming the input and the fix.  On a Hopper GPU (skipped
here, saying why): exo_gpu.matmul on torch fp8 tensors against float64 and torch._scaled_mm.
"""

from __future__ import annotations

import functools
import os
import re

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import VerifyException

import exo_gpu
from exo_gpu import lang as tl
from exo_gpu.compiler import CompileError, compile, gemm, parse, parse_pipeline, run_passes
from exo_gpu.dialects.fragment import LoadScalarOp as WgmmaLoadScalarOp
from exo_gpu.dialects.tile import Schedule
from exo_gpu.gemm_program import gemm_program
from exo_gpu.gpu import runtime
from exo_gpu.gpu.interop import InteropError
from exo_gpu.lang.interpreter import InterpretError, interpret, round_to
from exo_gpu.ptxas import guard, toolchain
from fragment_sim import run_epilogue
from hopper import gpu_reason, needs_hopper
from test_matmul import CudaArray, col_major

CUDAS = ["12.3", "13.5"]
# The schedules exo_gpu.matmul runs for fp8 (tuner.space.default_config: n256 T1 w0 on big
# problems, 128 x 128 blocks with wait depth 1 on small ones) and a two-tile one.
CONFIGS = {
    "n256": dict(wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0),
    "n128": dict(wgmma_n=128, tiles_per_warpgroup=1, wait_depth=1),
    "n128T2": dict(wgmma_n=128, tiles_per_warpgroup=2, wait_depth=1),
    # two of the bench's candidates: ping-pong consumers, a 1x2 cluster sharing A
    "pingpong": dict(wgmma_n=128, tiles_per_warpgroup=2, wait_depth=1, schedule="pingpong", stages=7),
    "cluster": dict(wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, cluster_n=2),
}
KERNELS = [("e4m3", "n256", "bf16", "12.3"), ("e4m3", "n256", "bf16", "13.5"), ("e5m2", "n128", "f16", "12.3"),
           ("e5m2", "n256", "f32", "13.5"), ("e4m3", "n128T2", "bf16", "13.5"), ("e4m3", "pingpong", "bf16", "12.3"),
           ("e4m3", "cluster", "bf16", "13.5")]


@functools.lru_cache(maxsize=None)
def _compiled(dtype: str, config: str, c_dtype: str, cuda: str):
    return compile(gemm(dtype=dtype, c_dtype=c_dtype, scaled=True, **CONFIGS[config]), cuda=cuda)


# ---------------------------------------------------------------- the tile program and its reference


def _program(dtype="e4m3", c_dtype="bf16", block=(128, 128)):
    return ModuleOp([gemm_program("g", dtype, block[0], block[1], 128, Schedule(consumers=2), c_dtype=c_dtype,
                                  scaled=True)])


def test_program_reads_the_scales_and_round_trips():
    module = _program()
    text = str(module)
    assert "%sa = tile.load_scalar %scale_a[%c0] : !tile.tensor<?xf32> -> f32" in text
    assert "%scale = tile.mul" in text and "%v = tile.mul %scale, %acc" in text
    assert str(parse(text)) == text


@pytest.mark.parametrize("dtype,c_dtype", [("e4m3", "bf16"), ("e5m2", "f16"), ("e4m3", "f32")])
def test_interpreter_is_the_scaled_product(dtype, c_dtype):
    """The program's float64 result is scale_a * scale_b * (A @ B) rounded to C's type, on an
    odd shape (tiles past the edges), the inputs rounded to fp8 first."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 2, (200, 300)), rng.normal(0, 2, (300, 150))
    sa, sb = np.array([0.37]), np.array([2.5])
    out = interpret(_program(dtype, c_dtype), {"a": a, "b": b, "c": np.zeros((200, 150)), "scale_a": sa,
                                               "scale_b": sb})["c"]
    ref = float(np.float32(0.37)) * 2.5 * (round_to(a, dtype) @ round_to(b, dtype))  # the scales are f32
    if c_dtype != "f32":  # an f32 C is the f32 accumulator's value: the interpreter keeps float64
        ref = round_to(ref, c_dtype)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=0)
    assert np.count_nonzero(out) > 0.99 * out.size  # not a zero result passing by accident


def test_interpreter_rejects_a_missing_scale_element():
    with pytest.raises(InterpretError, match=r"tile.load_scalar reads %scale_a\[0\], outside its shape \(0,\)"):
        interpret(_program(), {"a": np.ones((8, 8)), "b": np.ones((8, 8)), "c": np.zeros((8, 8)),
                               "scale_a": np.zeros(0), "scale_b": np.ones(1)})


def test_lowered_epilogue_multiplies_by_the_loaded_scales():
    """The epilogue after lower-fragments, on numpy for one warpgroup: scale_a at address 0
    and scale_b at 4 of global memory, their f32 product times every accumulator element."""
    module = gemm(dtype="e4m3", wgmma_n=24, tiles_per_warpgroup=1, consumers=1, c_dtype="bf16", scaled=True)
    run_passes(module, parse_pipeline("schedule,insert-syncs,lower-fragments"))
    kernel = module.ops.first
    rng = np.random.default_rng(5)
    acc = rng.uniform(-3, 3, (64, 24)).astype(np.float32)
    sa, sb = np.float32(0.8125), np.float32(-3.25)
    memory = np.array([sa, sb], np.float32).tobytes()
    # block arguments: %2 C, %3 M, %4 N, %6 scale_a's pointer, %7 scale_b's
    out = run_epilogue(kernel, acc, memory, {2: 64, 3: 64, 4: 24, 6: 0, 7: 4}, (0, 0))
    np.testing.assert_array_equal(out, (sa * sb) * acc)
    loads = [op for op in kernel.walk() if op.name == "ptx.ld_global_f32"]
    assert len(loads) == 2 and all(op.guard is None for op in loads)  # unmasked: the scale exists


# ---------------------------------------------------------------- ptxas 12.3 and 13.5, the guard


@pytest.mark.parametrize("dtype,config,c_dtype,cuda", KERNELS, ids=["-".join(k) for k in KERNELS])
def test_scaled_kernel_assembles_clean(dtype, config, c_dtype, cuda):
    result = _compiled(dtype, config, c_dtype, cuda)
    (r,) = result.reports
    assert r.ptxas.startswith(cuda) and r.ok, r.failures
    assert result.warnings == []
    assert not [d for d in r.codes if d.code in guard.SERIALIZATION_CODES]
    assert r.shape.depbar <= r.wait_groups
    assert r.stack == 0 and r.spill_stores == 0 and r.spill_loads == 0
    assert r.shape.ldl == 0 and r.shape.stl == 0
    assert result.abi["params"][6:] == [{"kind": "pointer", "arg": 3}, {"kind": "pointer", "arg": 4}]
    assert [a["name"] for a in result.abi["args"][3:]] == ["scale_a", "scale_b"]


@pytest.mark.parametrize("config", ["n256", "n128T2"])
def test_ptx_loads_the_scales_and_multiplies_once_per_tile(config):
    """Two u64 parameters (no f32 one), two ld.global.f32 per m64 tile, their product once per
    tile in the PTX and in the SASS (one FMUL per accumulator register, plus one per tile)."""
    result = _compiled("e4m3", config, "bf16", "13.5")
    ptx, name = result.ptx, result.abi["kernel"]
    tiles = CONFIGS[config]["tiles_per_warpgroup"]
    registers = CONFIGS[config]["wgmma_n"] // 2 * tiles
    assert re.search(rf"\.param \.u64 {name}_param_6,\s*\.param \.u64 {name}_param_7\s*\)", ptx)
    assert ".param .f32" not in ptx
    assert len(re.findall(rf"ld\.param\.u64 %rd\d+, \[{name}_param_[67]\];", ptx)) == 2
    loads = re.findall(r"ld\.global\.f32 (%f\d+), \[%rd\d+\];", ptx)
    assert len(loads) == 2 * tiles
    products = re.findall(r"mul\.f32 %f\d+, (%f\d+), (%f\d+);", ptx)
    assert products == [tuple(loads[2 * t:2 * t + 2]) for t in range(tiles)]
    assert len(re.findall(r"mul\.f32 %acc\d+, %f\d+, %acc\d+;", ptx)) == registers
    sass = guard.disassemble(result.cubin, toolchain.nvdisasm())
    assert sum(1 for line in sass.splitlines() if re.search(r"\bFMUL\b", line)) == registers + tiles


# ---------------------------------------------------------------- bad programs and arguments


def _with_scale_line(old: str, new: str) -> str:
    """The scaled program's text with `old` replaced (everywhere) by `new`."""
    text = str(_program())
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize("old,new,needle", [
    ("!tile.tensor<?xf32>", "!tile.tensor<?xbf16>",
     "tile.load_scalar reads f32 tensors, got !tile.tensor<?xbf16>: store the scale as float32"),
    ("%scale_a[%c0] : !tile.tensor<?xf32>", "%scale_a[%c0, %c0] : !tile.tensor<?xf32>",
     "has rank 1 but 2 indices were given"),
    ("%scale_a[%c0] : !tile.tensor<?xf32> -> f32", "%scale_a[%c0] : !tile.tensor<?xf32> -> i32",
     "tile.load_scalar gives an f32 scalar, not i32"),
])
def test_load_scalar_verifier(old, new, needle):
    with pytest.raises(Exception) as e:
        parse(_with_scale_line(old, new))
    assert needle in str(e.value)


def test_epilogue_scale_at_a_run_time_index_is_a_located_error():
    module = parse(_with_scale_line("%scale_a[%c0]", "%scale_a[%i]"))
    with pytest.raises(CompileError) as e:
        compile(module, assemble=False)
    message = str(e.value)
    assert "must read a rank-1 f32 tensor at a constant index" in message and "\n" not in message


def test_wgmma_load_scalar_offset_is_whole_f32s():
    module = gemm(dtype="e4m3", wgmma_n=64, tiles_per_warpgroup=1, scaled=True)
    run_passes(module, parse_pipeline("schedule"))
    (load, _) = [op for op in module.walk() if isinstance(op, WgmmaLoadScalarOp)][:2]
    assert "wgmma.load_scalar" in str(load) and "offset = 0" in str(load)
    bad = WgmmaLoadScalarOp(load.ptr, 2)
    with pytest.raises(VerifyException, match="offset must be a non-negative multiple of 4 bytes"):
        bad.verify()


@pytest.mark.parametrize("kw,needle", [
    (dict(split_k=2), "scaled=True scales the whole sum in the epilogue: use split_k=1 (got 2)"),
    (dict(accumulator="f16"), "scaled=True multiplies f32 accumulators: use accumulator='f32'"),
    (dict(accumulate_c=True), "scaled=True writes D = scale * (A @ B), not C += ...: drop accumulate_c"),
    (dict(scaled="yes"), "scaled must be True or False"),
])
def test_gemm_scaled_arguments(kw, needle):
    with pytest.raises(CompileError) as e:
        gemm(**{"dtype": "e4m3", "scaled": True, **kw})
    assert needle in str(e.value) and "\n" not in str(e.value)


def _u1(shape, **kw):
    return CudaArray(shape, "|u1", **kw)


_B = dict(strides=col_major(64, 64, 1))


@pytest.mark.parametrize("a,b,kw,needle", [
    (CudaArray((64, 64), "<V2"), CudaArray((64, 64), "<V2", strides=col_major(64, 64, 2)),
     dict(dtype="bf16", scale_b=2.0), "scale_b is given but a and b are <V2: per-tensor scales are for fp8 inputs"),
    (CudaArray((64, 64)), CudaArray((64, 64)), dict(scale_a=1.0), "scale_a is given but a and b are <f2"),
    (_u1((64, 64)), _u1((64, 64)), dict(dtype="e4m3", scale_a=2.0),
     "b is row-major (N contiguous), which e4m3 wgmma cannot read (only f16/bf16 can) (torch._scaled_mm's layout"),
    (_u1((64, 64), strides=col_major(64, 64, 1)), _u1((64, 64), **_B), dict(dtype="e5m2", scale_a=2.0),
     "a is column-major (M contiguous), which e5m2 wgmma cannot read"),
    (_u1((64, 64)), _u1((64, 64), **_B), dict(dtype="e4m3", scale_a=CudaArray((1,), "<f2"), scale_b=1.0),
     "scale_a has elements of <f2, not float32; fix: pass a one-element float32 array"),
    (_u1((64, 64)), _u1((64, 64), **_B), dict(dtype="e4m3", scale_b=CudaArray((4,), "<f4")),
     "scale_b has shape (4,): a per-tensor scale has one element"),
    (_u1((64, 64)), _u1((64, 64), **_B), dict(dtype="e4m3", scale_a=True), "got bool True; fix: pass e.g. scale_a=1.0"),
    (_u1((64, 64)), _u1((64, 64), **_B), dict(dtype="e4m3", scale_a=float("inf")), "scale_a = inf is not a finite"),
    (_u1((64, 64)), _u1((64, 64), **_B), dict(dtype="e4m3", scale_b=CudaArray((1,), "<f4", ptr=0x7F0000000002)),
     "scale_b: its pointer 0x7f0000000002 is not 4-byte aligned"),
    (_u1((64, 64)), _u1((64, 64), **_B), dict(dtype="e4m3", scale_a="2"), "scale_a: expected a CUDA array"),
])
def test_matmul_rejects_bad_scales(a, b, kw, needle):
    with pytest.raises(InteropError) as e:
        exo_gpu.matmul(a, b, **kw)
    message = str(e.value)
    assert needle in message and "\n" not in message and "fix" in message


def test_cli_gemm_scaled(capsys):
    from exo_gpu import cli

    assert cli.main(["gemm", "--dtype", "e4m3", "--wgmma-n", "64", "--tiles-per-warpgroup", "1", "--scaled",
                     "--emit", "tile"]) == 0
    assert capsys.readouterr().out.count("tile.load_scalar") == 2
    assert cli.main(["gemm", "--dtype", "e4m3", "--scaled", "--split-k", "2", "--emit", "tile"]) == 1
    err = capsys.readouterr().err
    assert "--scaled scales the whole sum in the epilogue: use --split-k 1 (got 2)" in err and err.count("\n") == 1


def test_config_cannot_set_scaled():
    from exo_gpu.gpu.matmul import _check_config

    with pytest.raises(InteropError, match=r"fixed key\(s\) scaled; .*scaled from scale_a/scale_b"):
        _check_config({"wgmma_n": 256, "scaled": True})


# ---------------------------------------------------------------- on the GPU

CUDA = os.environ.get("EXO_GPU_TEST_CUDA", "12.3")


def _torch():
    return pytest.importorskip("torch", reason="torch is not installed here (the GPU machine has it)")


def _fp8(torch, rows: int, cols: int, dtype, gen):
    """Random fp8 values, none zero (|x| in [0.25, 4], either sign)."""
    x = torch.rand(rows, cols, device="cuda", generator=gen) * 3.75 + 0.25
    sign = torch.randint(0, 2, (rows, cols), device="cuda", generator=gen) * 2 - 1
    return (x * sign).to(dtype)


@needs_hopper
@pytest.mark.parametrize("fp8,out", [("float8_e4m3fn", "bfloat16"), ("float8_e4m3fn", "float32"),
                                     ("float8_e5m2", "bfloat16"), ("float8_e5m2", "float16")])
@pytest.mark.parametrize("m,n,k", [(777, 1000, 528), (2048, 2048, 1024)])
def test_gpu_scaled_fp8_matches_float64(fp8, out, m, n, k):
    torch = _torch()
    gen = torch.Generator(device="cuda").manual_seed(m + n + k)
    dt, odt = getattr(torch, fp8), getattr(torch, out)
    a, w = _fp8(torch, m, k, dt, gen), _fp8(torch, n, k, dt, gen)
    b = w.t()  # column-major K x N, as torch._scaled_mm takes it
    sa = torch.tensor([0.37], device="cuda")
    sb = torch.tensor([1.75], device="cuda")
    c = exo_gpu.matmul(a, b, scale_a=sa, scale_b=sb, out_dtype=odt, cuda=CUDA)
    torch.cuda.synchronize()
    ref = (0.37 * 1.75) * (a.double() @ b.double())
    rel = float((c.double() - ref).norm() / ref.norm())
    assert c.dtype == odt and c.shape == (m, n)
    # 1e-2 for every C type: the fp8 wgmma accumulates with less than f32's precision (a
    # missing or wrong scale is off by O(1))
    assert rel < 1e-2, rel
    assert int((c == 0).sum()) < m * n // 100  # not an untouched output


@needs_hopper
def test_gpu_scales_are_read_on_the_device_at_run_time():
    """A scale written by a kernel queued before the matmul is the one used (no host copy at
    the call); floats and a missing scale (1.0) give the tensor result."""
    torch = _torch()
    gen = torch.Generator(device="cuda").manual_seed(1)
    a, b = _fp8(torch, 512, 256, torch.float8_e4m3fn, gen), _fp8(torch, 384, 256, torch.float8_e4m3fn, gen).t()
    sa, sb = torch.ones(1, device="cuda"), torch.ones(1, device="cuda")
    first = exo_gpu.matmul(a, b, scale_a=sa, scale_b=sb, cuda=CUDA).float()
    sa.mul_(4.0)  # queued on the stream, after the first call: the second call must see 4.0
    second = exo_gpu.matmul(a, b, scale_a=sa, scale_b=sb, cuda=CUDA).float()
    floats = exo_gpu.matmul(a, b, scale_a=4.0, cuda=CUDA).float()
    from exo_gpu.gpu.matmul import launcher

    out = torch.empty_like(second, dtype=torch.bfloat16)
    launcher(a, b, out, scale_a=sa, scale_b=sb, cuda=CUDA)()  # the cached launch reads the same scales
    torch.cuda.synchronize()
    assert torch.equal(second, floats) and torch.equal(out.float(), second)
    assert torch.allclose(second, 4.0 * first, rtol=1e-2, atol=1e-2)


@needs_hopper
def test_gpu_matches_torch_scaled_mm():
    torch = _torch()
    if not hasattr(torch, "_scaled_mm"):
        pytest.skip("this torch has no torch._scaled_mm")
    gen = torch.Generator(device="cuda").manual_seed(2)
    a, b = _fp8(torch, 1024, 768, torch.float8_e4m3fn, gen), _fp8(torch, 512, 768, torch.float8_e4m3fn, gen).t()
    sa, sb = torch.tensor([0.5], device="cuda"), torch.tensor([0.25], device="cuda")
    ours = exo_gpu.matmul(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16, cuda=CUDA)
    theirs = torch._scaled_mm(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16)
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    torch.cuda.synchronize()
    rel = float((ours.double() - theirs.double()).norm() / theirs.double().norm())
    assert rel < 1e-2, rel


@needs_hopper
def test_gpu_bad_torch_scales_are_one_line():
    torch = _torch()
    a = torch.zeros(128, 64, device="cuda").to(torch.float8_e4m3fn)
    b = torch.zeros(64, 128, device="cuda").to(torch.float8_e4m3fn).t().contiguous().t()
    good = torch.ones(1, device="cuda")
    cases = [
        (dict(scale_a=torch.ones(1, device="cuda", dtype=torch.bfloat16)), "scale_a has dtype bfloat16, not float32"),
        (dict(scale_b=torch.ones(2, device="cuda")), "scale_b has shape (2,): a per-tensor scale has one element"),
        (dict(scale_a=torch.ones(1)), "scale_a is on cpu, a and b on cuda:0"),
        (dict(scale_a=good, stream=torch.cuda.current_stream().cuda_stream, scale_b=2.0),
         "scale_b is a Python float, which is written on torch's current stream"),
    ]
    for kw, needle in cases:
        with pytest.raises(InteropError) as e:
            exo_gpu.matmul(a, b, cuda=CUDA, **kw)
        assert needle in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(InteropError, match="per-tensor scales are for fp8 inputs"):
        exo_gpu.matmul(a.to(torch.bfloat16), b.to(torch.bfloat16), scale_a=good, cuda=CUDA)
    with pytest.raises(InteropError, match="torch._scaled_mm's layout"):
        exo_gpu.matmul(a, b.contiguous(), scale_a=good, cuda=CUDA)


@pytest.mark.skipif(gpu_reason() is None, reason="a GPU is present: the no-GPU message cannot be seen here")
def test_valid_scaled_call_without_a_gpu_fails_in_one_line():
    with pytest.raises(runtime.CudaError) as e:
        exo_gpu.matmul(_u1((64, 64)), _u1((64, 64), **_B), dtype="e4m3", scale_a=2.0, scale_b=0.5)
    assert "\n" not in str(e.value) and "driver" in str(e.value)


def test_python_builder_reads_scales():
    """tl: `scale.load_scalar(0)` is a Scalar, splat in tile arithmetic; the kernel equals the
    float64 reference of the scaled GEMM."""
    @tl.kernel(grid=("c", (128, 128)), schedule=tl.Schedule(consumers=2))
    def scaled(a: tl.Tensor[2, "e4m3"], b: tl.Tensor[2, "e4m3", 0], c: tl.Tensor[2, "bf16"],
               scale_a: tl.Tensor[1, "f32"], scale_b: tl.Tensor[1, "f32"]):
        i, j = tl.program_id()
        acc = tl.zeros((128, 128), "f32")
        for kk in tl.range(tl.cdiv(a.dim(1), 128), carry=acc):
            acc = tl.mma(a.load((i, kk), (128, 128)), b.load((kk, j), (128, 128)), acc)
        c.store((i, j), (acc * scale_a.load_scalar(0) * scale_b.load_scalar(0)).to("bf16"))

    text = str(scaled)
    assert text.count("tile.load_scalar") == 2 and "-> f32" in text
    rng = np.random.default_rng(9)
    a, b = rng.normal(0, 2, (130, 256)), rng.normal(0, 2, (256, 140))
    out = tl.interpret(scaled, {"a": a, "b": b, "c": np.zeros((130, 140)), "scale_a": np.array([0.5]),
                                "scale_b": np.array([3.0])})["c"]
    ref = round_to(1.5 * (round_to(a, "e4m3") @ round_to(b, "e4m3")), "bf16")
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=0)
    result = compile(scaled.module, assemble=False)
    # one m64 tile per consumer warpgroup (they run the same code): scale_a and scale_b once
    assert result.ptx.count("ld.global.f32") == 2 and ".param .f32" not in result.ptx


def test_example_runs_in_the_interpreter(capsys):
    """`exo-gpu run examples/gemm_fp8_scaled.mlir --interpret`: the scales get shape (1,)."""
    from pathlib import Path

    from exo_gpu import cli

    example = Path(__file__).resolve().parent.parent / "examples" / "gemm_fp8_scaled.mlir"
    assert cli.main(["run", str(example), "--size", "M=130,N=260,K=256", "--interpret"]) == 0
    assert "@gemm_fp8_scaled c[130x260]: interpreted (float64)" in capsys.readouterr().out
