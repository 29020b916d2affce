"""The attention tile program that `exo_gpu.attention_program(...)` builds (examples/attention.py,
with its options): O = softmax(Q K^T scale [causal mask]) V per (batch, head) and the rows'
log-sum-exp, K given as K^T (a (B, Hkv, D, S) view with D contiguous), an online softmax in
powers of 2 over key blocks of `block_n`, 128 queries per program instance.  The schedule
pass recognises it (exo_gpu.passes.tile_match_attention).

No `from __future__ import annotations` here: tl.kernel reads the argument annotations,
which name this call's element type.
"""

from exo_gpu import lang as tl

LN2 = 0.6931471805599453
MASKED = -1.0e30  # a key the softmax must not see: 2^(MASKED - m) is 0


def attention_program(head_dim: int, dtype: str, causal: bool, kv_group: int, block_n: int, stages: int,
                      wait_depth: int, overlap: bool, pingpong: bool = False, name: str = "attention"):
    """The tile.kernel's module for one configuration (module docstring)."""
    bm, d, bn = 128, head_dim, block_n

    def attention(q: tl.Tensor[4, dtype], kt: tl.Tensor[4, dtype, 2], v: tl.Tensor[4, dtype],
                  o: tl.Tensor[4, dtype], lse: tl.Tensor[3, "f32"], scale_log2: tl.f32):
        b, h, i, j = tl.program_id()
        hk = h // kv_group if kv_group > 1 else h
        keys = kt.dim(3)
        x = q.load((b, h, i, j), (bm, d))
        acc = tl.zeros((bm, d), "f32")
        m = tl.full((bm,), MASKED, "f32")
        l = tl.zeros((bm,), "f32")
        for kk in tl.range(tl.cdiv(keys, bn), carry=(acc, m, l)):
            s = tl.mma(x, kt.load((b, hk, 0, kk), (d, bn)), tl.zeros((bm, bn), "f32")) * scale_log2
            key = tl.iota((bm, bn), 1) + tl.splat(kk * bn, (bm, bn))
            s = tl.where(tl.compare("lt", key, tl.splat(keys, (bm, bn))), s, MASKED)
            if causal:
                query = tl.iota((bm, bn), 0) + tl.splat(i * bm, (bm, bn))
                s = tl.where(tl.compare("le", key, query), s, MASKED)
            m_new = tl.maximum(m, s.max(1))
            p = (s - tl.broadcast(m_new, (bm, bn), [0])).exp2()
            alpha = (m - m_new).exp2()
            l = l * alpha + p.sum(1)
            acc = tl.mma(p.to(dtype), v.load((b, hk, kk, j), (bn, d)), acc * tl.broadcast(alpha, (bm, d), [0]))
            m = m_new
        o.store((b, h, i, j), (acc / tl.broadcast(l, (bm, d), [0])).to(dtype))
        lse.store((b, h, i), (m + l.log2()) * LN2)

    attention.__name__ = name
    schedule = tl.Schedule(consumers=2, kind="pingpong" if pingpong else "cooperative", stages=stages,
                           wait_depth=wait_depth, overlap=overlap)
    return tl.kernel(grid=("o", (bm, d)), schedule=schedule)(attention).module
