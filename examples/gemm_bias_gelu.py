"""D = gelu(A @ B + bias) as bf16, built in Python; prints the same IR as gemm_bias_gelu.mlir.

    python examples/gemm_bias_gelu.py
    exo-gpu compile examples/gemm_bias_gelu.py --emit tile
"""

from exo_gpu import lang as tl


@tl.kernel(grid=("d", (128, 256)), schedule=tl.Schedule(consumers=2, wait_depth=0))
def gemm_bias_gelu(a: tl.Tensor[2, "bf16"], b: tl.Tensor[2, "bf16", 0], bias: tl.Tensor[1, "f32"],
                   d: tl.Tensor[2, "bf16"]):
    i, j = tl.program_id()
    nk = tl.cdiv(a.dim(1), 64)
    acc = tl.zeros((128, 256), "f32")
    for kk in tl.range(nk, carry=acc):
        x = a.load((i, kk), (128, 64))
        y = b.load((kk, j), (64, 256))
        acc = tl.mma(x, y, acc)
    v = acc + tl.broadcast(bias.load(j, (256,)), (128, 256), dims=[1])
    inner = 0.79788456 * (v + 0.044715 * (v * v * v))
    g = 0.5 * v * (1.0 + tl.tanh(inner))  # GELU, tanh form
    d.store((i, j), g.to("bf16"))


if __name__ == "__main__":
    print(gemm_bias_gelu, end="")
