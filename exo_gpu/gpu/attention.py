"""Attention on the GPU: run a compiled attention kernel through its ABI and check it against
a float64 reference.

    result = check(cubin, abi, batch=2, heads=4, kv_heads=2, seq=1000, head_dim=128, causal=True)

Inputs are fresh random-normal arrays (never zeros), rounded to the kernel's element type
before the reference sees them; the reference is softmax(Q K^T scale [masked]) V and the
row log-sum-exp in float64.  The output is poisoned with NaN first, so an element the kernel
never writes fails.  Passing needs ||O - ref|| / ||ref|| <= 1e-2 (bf16/f16 outputs, P
rounded to bf16/f16 before P V as every FlashAttention does), no element of O off by more
than 8e-2 rms(ref), and the log-sum-exp within 1e-3 absolute.  Nothing here needs xDSL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from exo_gpu.attention_reference import reference
from exo_gpu.errors import ExoGpuError
from exo_gpu.gpu.abi import KernelAbi
from exo_gpu.gpu.runtime import compare, storage_values, to_storage

class AttentionError(ExoGpuError):
    """Tensors attention cannot take (device, dtype, shape, layout, alignment)."""


O_TOLERANCE = 1e-2
LSE_TOLERANCE = 1e-3


def arg_names(abi: dict) -> dict[str, str]:
    """{role: the kernel's argument name} of an attention ABI (roles q, kt, v, o, lse, scale_log2)."""
    return {role: abi["args"][index]["name"] for role, index in abi["schedule"]["roles"].items()}


@dataclass
class AttentionCheck:
    label: str
    rel_err: float
    max_err_rms: float
    lse_err: float
    unwritten: int
    passed: bool

    def line(self) -> str:
        return (f"{self.label:40s} rel_err {self.rel_err:.2e} (<= {O_TOLERANCE:.0e})  max/rms {self.max_err_rms:.1e}  "
                f"lse {self.lse_err:.1e}  nan {self.unwritten}  {'ok' if self.passed else 'FAIL'}")


def inputs(rng: np.random.Generator, batch: int, heads: int, kv_heads: int, seq: int, head_dim: int,
           dtype: str) -> dict[str, np.ndarray]:
    """Random-normal q, k, v, rounded to `dtype`, as float64 arrays (what the kernel reads)."""
    def draw(h: int) -> np.ndarray:
        x = rng.standard_normal((batch, h, seq, head_dim), dtype=np.float32)
        return storage_values(to_storage(x, dtype), dtype)
    return {"q": draw(heads), "k": draw(kv_heads), "v": draw(kv_heads)}


def check(cubin: bytes, abi_dict: dict, batch: int, heads: int, kv_heads: int, seq: int, head_dim: int,
          causal: bool, dtype: str = "bf16", scale: float | None = None, seed: int | None = None) -> AttentionCheck:
    """Run the kernel once on fresh inputs and compare (module docstring)."""
    from exo_gpu.gpu.tile_launch import launch_tile, load_tile  # the driver, only when run

    abi = KernelAbi.from_dict(abi_dict)
    names = arg_names(abi_dict)
    scale = 1.0 / math.sqrt(head_dim) if scale is None else scale
    x = inputs(np.random.default_rng(seed), batch, heads, kv_heads, seq, head_dim, dtype)
    arrays = {names["q"]: x["q"], names["kt"]: x["k"].transpose(0, 1, 3, 2), names["v"]: x["v"],
              names["o"]: np.zeros((batch, heads, seq, head_dim)), names["lse"]: np.zeros((batch, heads, seq))}
    kernel = load_tile(cubin, abi)
    try:
        out = launch_tile(kernel, abi, arrays, {names["scale_log2"]: scale * math.log2(math.e)})
    finally:
        kernel.unload()
    o_ref, lse_ref = reference(x["q"], x["k"], x["v"], scale, causal)
    o, lse = out[names["o"]], out[names["lse"]]
    rel, nans, _, max_rms, ok = compare(o, o_ref, O_TOLERANCE)
    lse_err = float(np.nanmax(np.abs(lse - lse_ref))) if np.isfinite(lse).all() else float("nan")
    nans += int(np.count_nonzero(np.isnan(lse)))
    passed = ok and nans == 0 and math.isfinite(lse_err) and lse_err <= LSE_TOLERANCE
    label = f"B{batch} H{heads}/{kv_heads} S{seq} D{head_dim}{' causal' if causal else ''}"
    return AttentionCheck(label, rel, max_rms, lse_err, nans, passed)


# -- torch tensors ----------------------------------------------------------------------------
TORCH_DTYPES = {"torch.bfloat16": "bf16", "torch.float16": "f16"}


def check_torch_inputs(q, k, v, causal: bool) -> tuple[str, int]:
    """(dtype, kv_group) of torch CUDA tensors q (B, H, S, D), k and v (B, Hkv, Sk, D), or an
    AttentionError naming the argument and the fix."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not hasattr(t, "data_ptr") or not hasattr(t, "is_cuda"):
            raise AttentionError(f"attention: {name} must be a torch tensor, got {type(t).__name__}")
        if not t.is_cuda:
            raise AttentionError(f"attention: {name} is on {t.device}; fix: move it to the GPU ({name}.cuda())")
        if t.dim() != 4:
            raise AttentionError(f"attention: {name} must be 4-D (batch, heads, sequence, head dim), got shape "
                                 f"{tuple(t.shape)}")
        if str(t.dtype) not in TORCH_DTYPES:
            raise AttentionError(f"attention: {name} is {t.dtype}; fix: pass bfloat16 or float16 tensors")
        if not t.is_contiguous():
            raise AttentionError(f"attention: {name} must be contiguous (B, H, S, D) row-major; fix: {name}.contiguous()")
        if t.data_ptr() % 16:
            raise AttentionError(f"attention: {name}'s data is not 16-byte aligned (TMA needs it); fix: pass a fresh "
                                 "tensor, not an offset view")
    if len({str(t.dtype) for t in (q, k, v)}) != 1 or len({t.device for t in (q, k, v)}) != 1:
        raise AttentionError("attention: q, k and v must share one dtype and one device")
    (b, h, s, d), (bk, hk, sk, dk) = tuple(q.shape), tuple(k.shape)
    if tuple(v.shape) != (bk, hk, sk, dk) or bk != b or dk != d or hk < 1 or h % hk:
        raise AttentionError(f"attention: k and v must be (B, Hkv, Sk, D) with q's B and D and H a multiple of Hkv; "
                             f"got q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}")
    if min(b, h, s, sk) < 1:
        raise AttentionError(f"attention: empty input (q {tuple(q.shape)}, k {tuple(k.shape)})")
    if causal and s != sk:
        raise AttentionError(f"attention: causal masking needs as many queries as keys (got {s} and {sk})")
    return TORCH_DTYPES[str(q.dtype)], h // hk


class AttentionKernel:
    """A loaded attention kernel launched on torch tensors through its ABI; the tensor maps of
    the last launch are kept, so repeating one launch (a benchmark) re-encodes nothing."""

    def __init__(self, cubin: bytes, abi_dict: dict):
        from exo_gpu.gpu.tile_launch import load_tile, resident_blocks

        self.abi = KernelAbi.from_dict(abi_dict)
        self.names = arg_names(abi_dict)
        self.kernel = load_tile(cubin, self.abi)
        self.blocks = resident_blocks(self.kernel, self.abi)
        self._prepared: tuple | None = None

    def prepare(self, q, k, v, o, lse, scale: float):
        """The launch's grid and parameter pointers for these tensors (cached by pointers)."""
        from exo_gpu.gpu.tile_launch import pack

        key = tuple((t.data_ptr(), tuple(t.shape)) for t in (q, k, v, o, lse)) + (scale,)
        if self._prepared is None or self._prepared[0] != key:
            n = self.names  # K goes in as K^T: the (B, Hkv, D, S) view of the same memory
            tensors = {n["q"]: q, n["kt"]: k.transpose(2, 3), n["v"]: v, n["o"]: o, n["lse"]: lse}
            shapes = {name: tuple(t.shape) for name, t in tensors.items()}
            pointers = {name: t.data_ptr() for name, t in tensors.items()}
            values = self.abi.param_values(shapes, pointers, {n["scale_log2"]: scale * math.log2(math.e)})
            keep, ptrs = pack(values, {n: _Pointer(p) for n, p in pointers.items()}, self.abi)
            self._prepared = (key, keep, ptrs, self.abi.grid(shapes, self.blocks))
        return self._prepared

    def launch(self, q, k, v, o, lse, scale: float, stream: int) -> None:
        _, _, ptrs, grid = self.prepare(q, k, v, o, lse, scale)
        self.kernel.launch(grid, (self.abi.threads, 1, 1), self.abi.smem_bytes, ptrs, stream)

    def run_torch(self, q, k, v, scale: float):
        import torch

        b, h, s, d = q.shape
        o = torch.empty_like(q)
        lse = torch.empty((b, h, s), dtype=torch.float32, device=q.device)
        self.launch(q, k, v, o, lse, scale, torch.cuda.current_stream(q.device).cuda_stream)
        return o, lse


class _Pointer:
    def __init__(self, ptr: int):
        self.ptr = ptr
