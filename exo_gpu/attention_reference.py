"""What forward attention computes, in float64: the reference of the GPU checks
(exo_gpu.gpu.attention) and of the schedule pass's recognition of attention programs
(exo_gpu.passes.tile_match_attention).  numpy only."""

from __future__ import annotations

import numpy as np


def reference(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float, causal: bool) -> tuple[np.ndarray, np.ndarray]:
    """(O, LSE) in float64 for (B, H, S, D) q and (B, Hkv, S, D) k, v (grouped-query: query head
    h reads K/V head h // (H / Hkv)); causal masks keys after the query (top-left aligned)."""
    group = q.shape[1] // k.shape[1]
    k = np.repeat(k.astype(np.float64), group, axis=1)
    v = np.repeat(v.astype(np.float64), group, axis=1)
    s = np.matmul(q.astype(np.float64), k.swapaxes(-1, -2)) * scale
    if causal:
        sq, sk = s.shape[-2:]
        s = np.where(np.arange(sk)[None, :] > np.arange(sq)[:, None], -np.inf, s)
    top = s.max(axis=-1, keepdims=True)
    e = np.exp(s - top)
    total = e.sum(axis=-1, keepdims=True)
    o = np.matmul(e / total, v)
    return o, (np.log(total) + top)[..., 0]
