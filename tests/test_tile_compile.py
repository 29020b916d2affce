"""Tile programs through the whole pipeline with the real pinned ptxas (12.3 and 13.5) and the
guard: the example programs (plain GEMM, GEMM + bias + GELU, batched alpha/beta GEMM) for bf16
and tf32 inputs.  Each must assemble clean: no C75xx serialization code, the wgmmas of each
K block issued as one batch (only the last HGMMA of a group waits, as many WARPGROUP.ARRIVE
as groups), no local memory.  The GEMM program must give the PTX of exo_gpu.gemm."""

# No `from __future__ import annotations`: the kernels below take their types from locals.

from pathlib import Path

import pytest

from exo_gpu import lang as tl
from exo_gpu.compiler import CompileError, compile, gemm, parse
from tests.sass import assert_two_stage_pipeline

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CUDAS = ("12.3", "13.5")
K_STEP = {"bf16": 16, "f32": 8}  # k of one wgmma (f32 tiles run as tf32)


def gemm_program(dt: str, bn: int = 256, stages: int | None = None):
    bk = 128 // (2 if dt == "bf16" else 4)

    @tl.kernel(grid=("c", (128, bn)), schedule=tl.Schedule(consumers=2, wait_depth=0, stages=stages))
    def gemm_tile(a: tl.Tensor[2, dt], b: tl.Tensor[2, dt, 0], c: tl.Tensor[2, "f32"]):
        i, j = tl.program_id()
        acc = tl.zeros((128, bn), "f32")
        for kk in tl.range(tl.cdiv(a.dim(1), bk), carry=acc):
            acc = tl.mma(a.load((i, kk), (128, bk)), b.load((kk, j), (bk, bn)), acc)
        c.store((i, j), acc)

    return gemm_tile


def gelu_program(dt: str):
    bk, bn = 128 // (2 if dt == "bf16" else 4), 128 if dt == "f32" else 256

    @tl.kernel(grid=("d", (128, bn)), schedule=tl.Schedule(consumers=2, wait_depth=0))
    def gemm_bias_gelu(a: tl.Tensor[2, dt], b: tl.Tensor[2, dt, 0], bias: tl.Tensor[1, "f32"],
                       d: tl.Tensor[2, "bf16"]):
        i, j = tl.program_id()
        acc = tl.zeros((128, bn), "f32")
        for kk in tl.range(tl.cdiv(a.dim(1), bk), carry=acc):
            acc = tl.mma(a.load((i, kk), (128, bk)), b.load((kk, j), (bk, bn)), acc)
        v = acc + tl.broadcast(bias.load(j, (bn,)), (128, bn), dims=[1])
        g = 0.5 * v * (1.0 + tl.tanh(0.79788456 * (v + 0.044715 * (v * v * v))))
        d.store((i, j), g.to("bf16"))

    return gemm_bias_gelu


def batched_program(dt: str):
    bk = 128 // (2 if dt == "bf16" else 4)

    @tl.kernel(grid=("c", (128, 128)), schedule=tl.Schedule(consumers=2, wait_depth=1))
    def batched_gemm(a: tl.Tensor[3, dt], b: tl.Tensor[3, dt, 1], c: tl.Tensor[3, "f32"], alpha: tl.f32,
                     beta: tl.f32):
        bt, i, j = tl.program_id()
        acc = tl.zeros((128, 128), "f32")
        for kk in tl.range(tl.cdiv(a.dim(2), bk), carry=acc):
            acc = tl.mma(a.load((bt, i, kk), (128, bk)), b.load((bt, kk, j), (bk, 128)), acc)
        c.store((bt, i, j), alpha * acc + beta * c.load((bt, i, j), (128, 128)))

    return batched_gemm


PROGRAMS = {"gemm": gemm_program, "gemm_bias_gelu": gelu_program, "batched_gemm": batched_program}
CASES = [pytest.param(p, dt, cuda, id=f"{p}-{dt}-cuda{cuda}") for p in PROGRAMS for dt in ("bf16", "f32")
         for cuda in CUDAS]


@pytest.mark.parametrize("program,dt,cuda", CASES)
def test_example_programs_assemble_clean(program, dt, cuda):
    kernel = PROGRAMS[program](dt)
    result = compile(kernel.module, cuda=cuda)
    assert result.warnings == []
    (report,) = result.reports
    assert report.ok and not report.codes, report.failures
    assert report.stack == 0 and report.spill_stores == 0 and report.spill_loads == 0
    assert report.shape.ldl == 0 and report.shape.stl == 0
    bk = 128 // (2 if dt == "bf16" else 4)
    assert_two_stage_pipeline(report, per_group=bk // K_STEP[dt])  # one m64 tile per consumer
    for what in ("st.local", "ld.local"):
        assert what not in result.ptx


@pytest.mark.parametrize("name", ["gemm", "gemm_bias_gelu", "batched_gemm"])
def test_example_files_compile(name):
    module = parse((EXAMPLES / f"{name}.mlir").read_text(), f"{name}.mlir")
    result = compile(module, cuda="12.3")
    assert result.reports[0].ok
    assert result.abi["kernel"] == name


def test_gemm_program_gives_the_ptx_of_exo_gpu_gemm():
    built = gemm(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, consumers=2, wait_depth=0, name="gemm_tile")
    ptx = compile(built, assemble=False).ptx
    from_builder = compile(gemm_program("bf16", stages=4).module, assemble=False).ptx
    # The same instructions; the builder's ops are located in this file (.file / .loc lines).
    assert _code(from_builder) == _code(ptx) and ".loc" in from_builder and ".loc" not in ptx


def _code(ptx: str) -> list[str]:
    return [line for line in ptx.splitlines() if not line.strip().startswith((".file", ".loc"))]


def test_unsupported_program_shape_is_a_located_error():
    text = (EXAMPLES / "gemm.mlir").read_text().replace("%c0 to %nk step %c1", "%c1 to %nk step %c1")
    with pytest.raises(CompileError, match=r"^bad\.mlir:12:5: the K loop must start at 0 with step 1 "
                                           r"\(supported: a K loop"):
        compile(parse(text, "bad.mlir"), assemble=False)
