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

from exo_gpu.gpu.abi import KernelAbi
from exo_gpu.gpu.runtime import compare, storage_values, to_storage

O_TOLERANCE = 1e-2
LSE_TOLERANCE = 1e-3


def reference(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float, causal: bool) -> tuple[np.ndarray, np.ndarray]:
    """(O, LSE) in float64 for (B, H, S, D) q and (B, Hkv, S, D) k, v (grouped-query: query head
    h reads K/V head h // (H / Hkv)); causal masks keys after the query (top-left aligned)."""
    group = q.shape[1] // k.shape[1]
    k = np.repeat(k.astype(np.float64), group, axis=1)
    v = np.repeat(v.astype(np.float64), group, axis=1)
    s = np.einsum("bhqd,bhkd->bhqk", q.astype(np.float64), k) * scale
    if causal:
        sq, sk = s.shape[-2:]
        s = np.where(np.arange(sk)[None, :] > np.arange(sq)[:, None], -np.inf, s)
    top = s.max(axis=-1, keepdims=True)
    e = np.exp(s - top)
    total = e.sum(axis=-1, keepdims=True)
    o = np.einsum("bhqk,bhkd->bhqd", e / total, v)
    return o, (np.log(total) + top)[..., 0]


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
    scale = 1.0 / math.sqrt(head_dim) if scale is None else scale
    arrays = inputs(np.random.default_rng(seed), batch, heads, kv_heads, seq, head_dim, dtype)
    arrays["o"] = np.zeros((batch, heads, seq, head_dim))
    arrays["lse"] = np.zeros((batch, heads, seq))
    kernel = load_tile(cubin, abi)
    try:
        out = launch_tile(kernel, abi, arrays, {"scale_log2": scale * math.log2(math.e)})
    finally:
        kernel.unload()
    o_ref, lse_ref = reference(arrays["q"], arrays["k"], arrays["v"], scale, causal)
    rel, nans, _, max_rms, ok = compare(out["o"], o_ref, O_TOLERANCE)
    lse_err = float(np.nanmax(np.abs(out["lse"] - lse_ref))) if np.isfinite(out["lse"]).all() else float("nan")
    nans += int(np.count_nonzero(np.isnan(out["lse"])))
    passed = ok and nans == 0 and math.isfinite(lse_err) and lse_err <= LSE_TOLERANCE
    label = f"B{batch} H{heads}/{kv_heads} S{seq} D{head_dim}{' causal' if causal else ''}"
    return AttentionCheck(label, rel, max_rms, lse_err, nans, passed)
