"""The kernel ABI recorded by `schedule` and read by the host (exo_gpu.gpu.abi), on the CPU.

The GEMM configurations' ABI must say exactly what the hand-written GEMM launcher
(runtime.KernelInfo) computes: the same tensor-map geometry, shared memory, threads and grid.
Tile programs with epilogues add their pointers, sizes and scalars in order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from exo_gpu.compiler import compile, gemm, parse
from exo_gpu.gpu import runtime
from exo_gpu.gpu.abi import KernelAbi
from exo_gpu.gpu.runtime import CudaError, KernelInfo

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CONFIGS = [
    dict(dtype="tf32"),
    dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, cluster_n=2, stages=3),
    dict(dtype="f16", cluster_m=2),
    dict(dtype="bf16", layout_a="col", layout_b="row"),
    dict(dtype="e4m3", split_k=3),
    dict(dtype="f16", schedule="pingpong", c_dtype="bf16"),
]


def _abi(module) -> KernelAbi:
    return KernelAbi.from_dict(compile(module, assemble=False).abi)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_gemm_abi_matches_the_gemm_launcher(config):
    m, n, k = 1000, 520, 384
    result = compile(gemm(**config), assemble=False)
    abi = KernelAbi.from_dict(result.abi)
    options = {("cluster" if key == "cluster_n" else key): v for key, v in config.items() if key != "dtype"}
    info = KernelInfo.for_gemm(abi.kernel, config["dtype"], options.pop("wgmma_n", 128),
                               options.pop("tiles_per_warpgroup", 2), options.pop("consumers", 2),
                               options.pop("stages", 4), **options)
    assert abi.smem_bytes == info.smem_bytes == result.smem_bytes
    assert abi.threads == info.threads and abi.cluster_blocks == info.cluster_blocks
    shapes = {"a": (m, k), "b": (k, n), "c": (m, n)}
    values = abi.param_values(shapes, {"a": 16, "b": 32, "c": 64}, {})
    assert [kind for kind, _ in values] == ["tensor_map", "tensor_map", "u64", "u32", "u32", "u32"]
    assert [v for _, v in values[2:]] == [64, m, n, k]
    maps = info.tensor_maps(m, n, k)
    for (_, got), which in zip(values[:2], "AB"):
        dims, strides, box = runtime.tensor_map_geometry(info.dtype, **maps[which])
        assert (got["dims"], got["strides"], got["box"]) == (dims, strides, box), which
        assert got["dtype"] == config["dtype"]
    for max_blocks in (None, 132):
        assert abi.grid(shapes, max_blocks) == info.grid(m, n, max_blocks)
    assert abi.zero_before_launch == ((2,) if config.get("split_k", 1) > 1 else ())


def test_epilogue_parameters_follow_the_gemm_ones():
    abi = _abi(parse((EXAMPLES / "gemm_bias_gelu.mlir").read_text(), "gemm_bias_gelu.mlir"))
    assert [a["name"] for a in abi.args] == ["a", "b", "bias", "d"]
    assert abi.outputs() == ["d"]
    shapes = {"a": (256, 128), "b": (128, 512), "bias": (512,), "d": (256, 512)}
    values = abi.param_values(shapes, {"a": 16, "b": 32, "bias": 48, "d": 64}, {})
    # a, b tensor maps; d; M, N from d; K from a; then bias's pointer and length.
    assert [v for _, v in values[2:]] == [64, 256, 512, 128, 48, 512]
    assert [kind for kind, _ in values[6:]] == ["u64", "u32"]


def test_scalars_are_packed_as_f32_in_order():
    text = (EXAMPLES / "gemm.mlir").read_text()
    text = text.replace("%c: !tile.tensor<?x?xf32>)", "%c: !tile.tensor<?x?xf32>, %alpha: f32)")
    text = text.replace("    tile.store %acc,", "    %s = tile.splat %alpha : f32 -> !tile.tile<128x256xf32>\n"
                        "    %v = tile.mul %s, %acc : !tile.tile<128x256xf32>\n    tile.store %v,")
    abi = _abi(parse(text, "alpha.mlir"))
    shapes = {"a": (128, 64), "b": (64, 256), "c": (128, 256)}
    values = abi.param_values(shapes, {"a": 16, "b": 32, "c": 64}, {"alpha": 0.25})
    assert values[-1] == ("f32", 0.25)
    with pytest.raises(CudaError, match="give a value for scalar 'alpha'"):
        abi.param_values(shapes, {"a": 16, "b": 32, "c": 64}, {})


def test_layout_puts_the_contiguous_dimension_innermost():
    abi = _abi(gemm(dtype="bf16", layout_a="col"))
    a = np.arange(12, dtype=np.float64).reshape(3, 4)  # logical M x K, M contiguous
    stored = abi.layout(0, a)
    assert stored.shape == (4, 3) and stored.dtype == np.uint16  # K x M, bf16 bits
    assert np.array_equal(runtime.bf16_to_f32(stored), a.T.astype(np.float32))
    assert np.array_equal(abi.values(0, stored, (3, 4)), a)
    b = np.arange(6, dtype=np.float64).reshape(2, 3)  # logical K x N, K contiguous
    assert abi.layout(1, b).shape == (3, 2)


def test_tma_rules_are_checked_before_the_driver():
    abi = _abi(gemm(dtype="bf16"))
    with pytest.raises(CudaError, match="200-byte stride; TMA needs multiples of 16 bytes: pad its contiguous "
                                        "dimension 1 to a multiple of 8"):
        abi.param_values({"a": (64, 100), "b": (100, 64), "c": (64, 64)}, {"a": 0, "b": 0, "c": 0}, {})
    with pytest.raises(CudaError, match="tensor 'b' must have rank 2"):
        abi.param_values({"a": (64, 64), "b": (64,), "c": (64, 64)}, {"a": 0, "b": 0, "c": 0}, {})
    with pytest.raises(CudaError, match="give an array for tensor 'c'"):
        abi.param_values({"a": (64, 64), "b": (64, 64)}, {"a": 0, "b": 0}, {})
