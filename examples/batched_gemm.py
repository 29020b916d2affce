"""C[b] = alpha * A[b] @ B[b] + beta * C[b] (f32, tf32 wgmma), built in Python; prints the same
IR as batched_gemm.mlir.

    python examples/batched_gemm.py
    exo-gpu compile examples/batched_gemm.py --emit tile
"""

from exo_gpu import lang as tl


@tl.kernel(grid=("c", (128, 128)), schedule=tl.Schedule(consumers=2, wait_depth=1))
def batched_gemm(a: tl.Tensor[3, "f32"], b: tl.Tensor[3, "f32", 1], c: tl.Tensor[3, "f32"],
                 alpha: tl.f32, beta: tl.f32):
    bt, i, j = tl.program_id()
    nk = tl.cdiv(a.dim(2), 32)
    acc = tl.zeros((128, 128), "f32")
    for kk in tl.range(nk, carry=acc):
        x = a.load((bt, i, kk), (128, 32))
        y = b.load((bt, kk, j), (32, 128))
        acc = tl.mma(x, y, acc)
    out = alpha * acc + beta * c.load((bt, i, j), (128, 128))
    c.store((bt, i, j), out)


if __name__ == "__main__":
    print(batched_gemm, end="")
