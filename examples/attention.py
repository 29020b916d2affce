"""O = softmax(Q K^T scale) V per (batch, head) and L = the rows' log-sum-exp, as a tile program
built in Python; prints the same IR as attention.mlir.

    python examples/attention.py
    exo-gpu compile examples/attention.py --emit report

Q, V and O are bf16 (B, H, S, D); K is passed as K^T, a (B, H, D, S) view with D contiguous
(the memory of a row-major (B, H, S, D) K); L is f32 (B, H, S); scale_log2 = scale * log2(e),
so that the softmax runs in powers of 2.  One program instance per 128 queries of one head;
keys walked 128 at a time with an online softmax (running row max m and sum l); keys past
the sequence's end are masked with -1e30.
"""

from exo_gpu import lang as tl

LN2 = 0.6931471805599453


@tl.kernel(grid=("o", (128, 128)), schedule=tl.Schedule(consumers=2, kind="pingpong", stages=2, wait_depth=1,
                                                                   overlap=True))
def attention(q: tl.Tensor[4, "bf16"], kt: tl.Tensor[4, "bf16", 2], v: tl.Tensor[4, "bf16"],
              o: tl.Tensor[4, "bf16"], lse: tl.Tensor[3, "f32"], scale_log2: tl.f32):
    b, h, i, j = tl.program_id()
    keys = kt.dim(3)
    x = q.load((b, h, i, j), (128, 128))
    acc = tl.zeros((128, 128), "f32")
    m = tl.full((128,), -1.0e30, "f32")
    l = tl.zeros((128,), "f32")
    for kk in tl.range(tl.cdiv(keys, 128), carry=(acc, m, l)):
        s = tl.mma(x, kt.load((b, h, 0, kk), (128, 128)), tl.zeros((128, 128), "f32")) * scale_log2
        key = tl.iota((128, 128), 1) + tl.splat(kk * 128, (128, 128))
        s = tl.where(tl.compare("lt", key, tl.splat(keys, (128, 128))), s, -1.0e30)
        m_new = tl.maximum(m, s.max(1))
        p = (s - tl.broadcast(m_new, (128, 128), [0])).exp2()
        alpha = (m - m_new).exp2()
        l = l * alpha + p.sum(1)
        acc = tl.mma(p.to("bf16"), v.load((b, h, kk, j), (128, 128)), acc * tl.broadcast(alpha, (128, 128), [0]))
        m = m_new
    o.store((b, h, i, j), (acc / tl.broadcast(l, (128, 128), [0])).to("bf16"))
    lse.store((b, h, i), (m + l.log2()) * LN2)


if __name__ == "__main__":
    print(attention, end="")
