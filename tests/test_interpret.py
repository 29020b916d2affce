"""The float64 tile interpreter against numpy, on sizes that are not multiples of the tiles."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from exo_gpu import lang as tl
from exo_gpu.compiler import parse
from exo_gpu.lang.interpreter import InterpretError, interpret, round_to

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RNG = np.random.default_rng(7)


def example(name: str):
    spec = importlib.util.spec_from_file_location(f"interp_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def bf16(x):
    return round_to(x, "bf16")


@pytest.mark.parametrize("m,n,k", [(200, 300, 100), (128, 256, 64), (1, 257, 65)])
def test_gemm_odd_sizes(m: int, n: int, k: int) -> None:
    a, b = RNG.standard_normal((m, k)), RNG.standard_normal((k, n))
    out = interpret(example("gemm"), {"a": a, "b": b, "c": np.full((m, n), np.nan)})
    np.testing.assert_allclose(out["c"], bf16(a) @ bf16(b), rtol=1e-12, atol=1e-12)


def test_gemm_from_mlir_text_matches_the_python_build() -> None:
    a, b = RNG.standard_normal((130, 70)), RNG.standard_normal((70, 260))
    module = parse((EXAMPLES / "gemm.mlir").read_text(), "gemm.mlir")
    c = np.zeros((130, 260))
    np.testing.assert_array_equal(interpret(module, {"a": a, "b": b, "c": c})["c"],
                                  interpret(example("gemm"), {"a": a, "b": b, "c": c})["c"])


def test_bias_gelu() -> None:
    m, n, k = 150, 270, 90
    a, b, bias = RNG.standard_normal((m, k)), RNG.standard_normal((k, n)), RNG.standard_normal(n)
    out = interpret(example("gemm_bias_gelu"), {"a": a, "b": b, "bias": bias, "d": np.zeros((m, n))})["d"]
    v = bf16(a) @ bf16(b) + round_to(bias, "f32")
    gelu = 0.5 * v * (1 + np.tanh(0.79788456 * (v + 0.044715 * v**3)))
    np.testing.assert_allclose(out, bf16(gelu), rtol=2**-7, atol=1e-6)  # one bf16 ulp
    assert np.all(out == bf16(out))  # stored as bf16 values


def test_batched_alpha_beta() -> None:
    batch, m, n, k = 3, 140, 130, 40
    a, b, c = (RNG.standard_normal(s) for s in ((batch, m, k), (batch, k, n), (batch, m, n)))
    alpha, beta = 0.5, -2.0
    out = interpret(example("batched_gemm"), {"a": a, "b": b, "c": c}, {"alpha": alpha, "beta": beta})["c"]
    a32, b32, c32 = (round_to(x, "f32") for x in (a, b, c))
    np.testing.assert_allclose(out, alpha * (a32 @ b32) + beta * c32, rtol=1e-12, atol=1e-12)


def test_masks_iota_select_reduce() -> None:
    @tl.kernel(grid=("out", 64))
    def row_max_below(x: tl.Tensor[2, "f32"], out: tl.Tensor[1, "f32"], limit: tl.index):
        (i,) = tl.program_id()
        t = x.load((i, 0), (64, 32))
        cols = tl.iota((64, 32), 1)
        keep = cols < tl.splat(limit, (64, 32))
        out.store(i, tl.where(keep, t, -1.0e30).max(1) + t.sum(1) * 0.0)

    x = RNG.standard_normal((100, 32))
    got = interpret(row_max_below, {"x": x, "out": np.zeros(100)}, {"limit": 5})["out"]
    np.testing.assert_allclose(got, round_to(x, "f32")[:, :5].max(axis=1), rtol=0, atol=0)


def test_rounding() -> None:
    assert round_to(np.array([1.0 + 2**-8]), "bf16")[0] == 1.0  # tie to even
    assert round_to(np.array([1.0 + 3 * 2**-8]), "bf16")[0] == 1.0 + 2**-6
    assert round_to(np.array([1000.0, 0.3]), "e4m3").tolist() == [448.0, 0.3125]
    assert round_to(np.array([-2.7]), "i32")[0] == -2


def test_missing_input_is_named() -> None:
    with pytest.raises(InterpretError, match="needs an array for tensor 'b'"):
        interpret(example("gemm"), {"a": np.zeros((4, 4)), "c": np.zeros((4, 4))})


def test_relu_silu_with_scalar_division() -> None:
    @tl.kernel(grid=("y", (64, 64)))
    def act(x: tl.Tensor[2, "f32"], y: tl.Tensor[2, "f32"], z: tl.Tensor[2, "f32"], scale: tl.f32):
        i, j = tl.program_id()
        t = x.load((i, j), (64, 64))
        silu = t / (1.0 + tl.exp2(-t * 1.4426950408889634))
        y.store((i, j), tl.maximum(silu, 0.0) / scale)
        z.store((i, j), scale - t)

    x = RNG.standard_normal((70, 90))
    out = interpret(act, {"x": x, "y": np.zeros((70, 90)), "z": np.zeros((70, 90))}, {"scale": 0.25})
    x32 = round_to(x, "f32")
    np.testing.assert_allclose(out["y"], np.maximum(x32 / (1 + np.exp(-x32)), 0) / 0.25, rtol=1e-12)
    np.testing.assert_allclose(out["z"], 0.25 - x32, rtol=0, atol=0)


def test_nested_loops_reuse_outer_constants() -> None:
    @tl.kernel(grid=("c", (64, 64)))
    def nested(a: tl.Tensor[2, "bf16"], b: tl.Tensor[2, "bf16"], c: tl.Tensor[2, "f32"]):
        i, j = tl.program_id()
        acc = tl.zeros((64, 64))
        for outer in tl.range(tl.cdiv(tl.cdiv(a.dim(1), 64), 2), carry=acc):
            for inner in tl.range(2, carry=acc):
                kk = outer * 2 + inner
                acc = tl.mma(a.load((i, kk), (64, 64)), b.load((kk, j), (64, 64)), acc)
        c.store((i, j), acc)

    assert str(nested).count("arith.constant") == 4  # 64, 2, 0, 1: once each
    a, b = RNG.standard_normal((100, 300)), RNG.standard_normal((300, 70))
    out = interpret(nested, {"a": a, "b": b, "c": np.zeros((100, 70))})["c"]
    np.testing.assert_allclose(out, bf16(a) @ bf16(b), rtol=1e-12, atol=1e-12)
