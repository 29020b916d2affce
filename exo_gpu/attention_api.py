"""Forward attention, compiled by exo-gpu and callable on torch tensors.

    o, lse = exo_gpu.attention(q, k, v, causal=True)       # (B, H, S, D) bf16/f16 CUDA tensors
    result = exo_gpu.compile_attention(head_dim=128, causal=True, cuda="12.3")   # PTX, cubin, ABI

O = softmax(Q K^T scale [causal mask]) V and the row log-sum-exp (natural log, f32, (B, H, S)).
K and V may have fewer heads than Q (grouped-query attention: H a multiple of their heads).
The kernel is a tile program (exo_gpu.attention_builder, examples/attention.py) that the
schedule pass recognises and builds FlashAttention-style (exo_gpu.passes.schedule_attention),
guarded like every exo-gpu kernel; compiled kernels are cached per configuration in this
process.
"""

from __future__ import annotations

import math
from functools import lru_cache

from exo_gpu.compiler import Compiled, CompileError, compile
from exo_gpu.errors import check_bool, check_int
from exo_gpu.ptxas import toolchain

DTYPES = ("bf16", "f16")
HEAD_DIMS = (64, 128, 256)
# The schedules by name (benchmarks and checks): the options of each.
SCHEDULES = {name: {"overlap": "overlap" in name, "pingpong": "pingpong" in name}
             for name in ("plain", "overlap", "pingpong", "pingpong+overlap")}


def attention_program(head_dim: int = 128, dtype: str = "bf16", causal: bool = False, kv_group: int = 1,
                      block_n: int | None = None, stages: int = 2, wait_depth: int = 1, overlap: bool = True,
                      pingpong: bool = True, name: str = "attention"):
    """The attention tile program (exo_gpu.attention_builder) as a module.  `block_n` (keys per
    K/V block) defaults to 128, or 64 at head dim 256 (the registers of S and P)."""
    from exo_gpu.attention_builder import attention_program as build

    if block_n is None:
        block_n = 64 if head_dim == 256 else 128
    _check_options(head_dim, dtype, causal, kv_group, block_n, stages, wait_depth)
    check_bool("overlap", overlap)
    check_bool("pingpong", pingpong)
    return build(head_dim, dtype, causal, kv_group, block_n, stages, wait_depth, overlap, pingpong, name)


def compile_attention(head_dim: int = 128, dtype: str = "bf16", causal: bool = False, kv_group: int = 1, *,
                      block_n: int | None = None, stages: int = 2, wait_depth: int = 1, overlap: bool = True,
                      pingpong: bool = True, cuda: str = toolchain.DEFAULT_CUDA,
                      ptxas: str | None = None, nvdisasm: str | None = None, assemble: bool = True) -> Compiled:
    """Compile one attention configuration through the default pipeline (PTX, cubin, guard
    reports, ABI)."""
    module = attention_program(head_dim, dtype, causal, kv_group, block_n, stages, wait_depth, overlap, pingpong)
    return compile(module, cuda=cuda, ptxas=ptxas, nvdisasm=nvdisasm, assemble=assemble)


def _check_options(head_dim, dtype, causal, kv_group, block_n, stages, wait_depth) -> None:
    if dtype not in DTYPES:
        raise CompileError(f"attention: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    check_int("head_dim", head_dim, 64, 256, "the head dimension D: 64, 128 or 256")
    if head_dim not in HEAD_DIMS:
        raise CompileError(f"attention: head_dim {head_dim} is not supported: use 64, 128 or 256")
    check_bool("causal", causal)
    check_int("kv_group", kv_group, 1, 1 << 16, "query heads per K/V head")
    check_int("block_n", block_n, 1, 256, "keys per K/V block")
    check_int("stages", stages, 2, 8, "slots of the K and V rings")
    check_int("wait_depth", wait_depth, 0, 1, "P @ V groups left in flight")


@lru_cache(maxsize=64)
def _kernel(head_dim: int, dtype: str, causal: bool, kv_group: int, cuda: str, overlap: bool, pingpong: bool):
    from exo_gpu.gpu.attention import AttentionKernel

    result = compile_attention(head_dim, dtype, causal, kv_group, cuda=cuda, overlap=overlap, pingpong=pingpong)
    return AttentionKernel(result.cubin, result.abi)


def attention(q, k, v, *, causal: bool = False, scale: float | None = None, cuda: str = toolchain.DEFAULT_CUDA,
              overlap: bool = True, pingpong: bool = True):
    """(O, LSE) of torch CUDA tensors q (B, H, S, D), k and v (B, Hkv, Sk, D) on the current
    stream; see the module docstring.  `scale` defaults to 1 / sqrt(D)."""
    from exo_gpu.gpu.attention import check_torch_inputs

    dtype, kv_group = check_torch_inputs(q, k, v, causal)
    head_dim = q.shape[-1]
    if scale is None:
        scale = 1.0 / math.sqrt(head_dim)
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not math.isfinite(scale) or scale <= 0:
        raise CompileError(f"attention: scale must be a positive finite number, got {scale!r}")
    check_bool("overlap", overlap)
    check_bool("pingpong", pingpong)
    return _kernel(head_dim, dtype, causal, kv_group, cuda, overlap, pingpong).run_torch(q, k, v, float(scale))
