"""C = A @ B (bf16 in, f32 out) as a tile program built in Python; prints the same IR as gemm.mlir.

    python examples/gemm.py                     # the tile IR
    exo-gpu compile examples/gemm.py --emit tile
"""

from exo_gpu import lang as tl


@tl.kernel(grid=("c", (128, 256)), schedule=tl.Schedule(consumers=2, stages=4, wait_depth=0))
def gemm(a: tl.Tensor[2, "bf16"], b: tl.Tensor[2, "bf16", 0], c: tl.Tensor[2, "f32"]):
    i, j = tl.program_id()
    nk = tl.cdiv(a.dim(1), 64)
    acc = tl.zeros((128, 256), "f32")
    for kk in tl.range(nk, carry=acc):
        x = a.load((i, kk), (128, 64))
        y = b.load((kk, j), (64, 256))
        acc = tl.mma(x, y, acc)
    c.store((i, j), acc)


if __name__ == "__main__":
    print(gemm, end="")
