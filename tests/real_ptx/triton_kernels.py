"""Triton kernels of the Hopper tutorials' kind, compiled to sm_90a PTX without a GPU.

    /work/venvs/triton/bin/python tests/real_ptx/triton_kernels.py OUTDIR

Written for exo-gpu's real-compiler cases (tests/real_ptx/make.py runs this): a persistent
matmul with device-side TMA descriptors (wgmma from shared memory), the same with Triton's automatic
warp specialization of the K loop, a plain pointer matmul (cp.async ring + wgmma) in f16 and in fp8 (e4m3),
and a flash-attention forward (two dots per step, the second with P in registers).  Each is compiled with `triton.compile(ASTSource(...), target=GPUTarget("cuda", 90,
32))`, which needs no driver; OUTDIR gets NAME.ptx and NAME.meta.json.
"""

import json
import sys
import traceback
from pathlib import Path

import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource


@triton.jit
def matmul_tma_persistent(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                          BLOCK_K: tl.constexpr, NUM_SMS: tl.constexpr):
    a_desc = tl.make_tensor_descriptor(a_ptr, shape=[M, K], strides=[K, 1], block_shape=[BLOCK_M, BLOCK_K])
    b_desc = tl.make_tensor_descriptor(b_ptr, shape=[N, K], strides=[K, 1], block_shape=[BLOCK_N, BLOCK_K])
    c_desc = tl.make_tensor_descriptor(c_ptr, shape=[M, N], strides=[N, 1], block_shape=[BLOCK_M, BLOCK_N])
    tiles_n = tl.cdiv(N, BLOCK_N)
    tiles = tl.cdiv(M, BLOCK_M) * tiles_n
    k_blocks = tl.cdiv(K, BLOCK_K)
    for tile in tl.range(tl.program_id(0), tiles, NUM_SMS, flatten=True):
        row = (tile // tiles_n) * BLOCK_M
        col = (tile % tiles_n) * BLOCK_N
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for kb in range(k_blocks):
            a = a_desc.load([row, kb * BLOCK_K])
            b = b_desc.load([col, kb * BLOCK_K])
            acc = tl.dot(a, b.T, acc)
        c_desc.store([row, col], acc.to(tl.float16))


@triton.jit
def matmul_tma_warp_specialized(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                                BLOCK_K: tl.constexpr):
    """One tile per program; the K loop is warp-specialized by Triton (a TMA producer partition and wgmma
    consumers, setmaxnreg per partition)."""
    a_desc = tl.make_tensor_descriptor(a_ptr, shape=[M, K], strides=[K, 1], block_shape=[BLOCK_M, BLOCK_K])
    b_desc = tl.make_tensor_descriptor(b_ptr, shape=[N, K], strides=[K, 1], block_shape=[BLOCK_N, BLOCK_K])
    c_desc = tl.make_tensor_descriptor(c_ptr, shape=[M, N], strides=[N, 1], block_shape=[BLOCK_M, BLOCK_N])
    row = tl.program_id(0) * BLOCK_M
    col = tl.program_id(1) * BLOCK_N
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for kb in tl.range(0, tl.cdiv(K, BLOCK_K), warp_specialize=True):
        a = a_desc.load([row, kb * BLOCK_K])
        b = b_desc.load([col, kb * BLOCK_K])
        acc = tl.dot(a, b.T, acc)
    c_desc.store([row, col], acc.to(tl.float16))


@triton.jit
def matmul_pointers(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_bk, stride_cm, BLOCK_M: tl.constexpr,
                    BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    ks = tl.arange(0, BLOCK_K)
    a_tile = a_ptr + rows[:, None] * stride_am + ks[None, :]
    b_tile = b_ptr + ks[:, None] * stride_bk + cols[None, :]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for _ in range(0, tl.cdiv(K, BLOCK_K)):
        acc = tl.dot(tl.load(a_tile), tl.load(b_tile), acc)
        a_tile += BLOCK_K
        b_tile += BLOCK_K * stride_bk
    tl.store(c_ptr + rows[:, None] * stride_cm + cols[None, :], acc.to(tl.float16),
             mask=(rows[:, None] < M) & (cols[None, :] < N))


@triton.jit
def attention_fwd(q_ptr, k_ptr, v_ptr, o_ptr, sm_scale, SEQ, HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr,
                  BLOCK_N: tl.constexpr):
    base = tl.program_id(1).to(tl.int64) * SEQ * HEAD_DIM
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.arange(0, BLOCK_N)
    dims = tl.arange(0, HEAD_DIM)
    q = tl.load(q_ptr + base + rows[:, None] * HEAD_DIM + dims[None, :])
    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], dtype=tl.float32)
    scale = sm_scale * 1.4426950408889634
    for start in range(0, SEQ, BLOCK_N):
        kt = tl.load(k_ptr + base + (start + cols)[None, :] * HEAD_DIM + dims[:, None])
        s = tl.dot(q, kt) * scale
        m_new = tl.maximum(m_i, tl.max(s, 1))
        p = tl.math.exp2(s - m_new[:, None])
        alpha = tl.math.exp2(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(v_ptr + base + (start + cols)[:, None] * HEAD_DIM + dims[None, :])
        acc = tl.dot(p.to(tl.float16), v, acc * alpha[:, None])
        m_i = m_new
    tl.store(o_ptr + base + rows[:, None] * HEAD_DIM + dims[None, :], (acc / l_i[:, None]).to(tl.float16))


CASES = {
    "matmul_tma_persistent": (matmul_tma_persistent,
                              {"a_ptr": "*fp16", "b_ptr": "*fp16", "c_ptr": "*fp16", "M": "i32", "N": "i32", "K": "i32",
                               "BLOCK_M": "constexpr", "BLOCK_N": "constexpr", "BLOCK_K": "constexpr",
                               "NUM_SMS": "constexpr"},
                              {"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 64, "NUM_SMS": 132},
                              {"num_warps": 8, "num_stages": 3}),
    "matmul_tma_warp_specialized": (matmul_tma_warp_specialized,
                                    {"a_ptr": "*fp16", "b_ptr": "*fp16", "c_ptr": "*fp16", "M": "i32", "N": "i32",
                                     "K": "i32", "BLOCK_M": "constexpr", "BLOCK_N": "constexpr", "BLOCK_K": "constexpr"},
                                    {"BLOCK_M": 128, "BLOCK_N": 256, "BLOCK_K": 64},
                                    {"num_warps": 4, "num_stages": 4}),
    "matmul_fp8_pointers": (matmul_pointers,
                            {"a_ptr": "*fp8e4nv", "b_ptr": "*fp8e4nv", "c_ptr": "*fp16", "M": "i32", "N": "i32",
                             "K": "i32", "stride_am": "i32", "stride_bk": "i32", "stride_cm": "i32",
                             "BLOCK_M": "constexpr", "BLOCK_N": "constexpr", "BLOCK_K": "constexpr"},
                            {"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 128},
                            {"num_warps": 8, "num_stages": 4}),
    "matmul_pointers": (matmul_pointers,
                        {"a_ptr": "*fp16", "b_ptr": "*fp16", "c_ptr": "*fp16", "M": "i32", "N": "i32", "K": "i32",
                         "stride_am": "i32", "stride_bk": "i32", "stride_cm": "i32", "BLOCK_M": "constexpr",
                         "BLOCK_N": "constexpr", "BLOCK_K": "constexpr"},
                        {"BLOCK_M": 128, "BLOCK_N": 256, "BLOCK_K": 64},
                        {"num_warps": 8, "num_stages": 3}),
    "attention_fwd": (attention_fwd,
                      {"q_ptr": "*fp16", "k_ptr": "*fp16", "v_ptr": "*fp16", "o_ptr": "*fp16", "sm_scale": "fp32",
                       "SEQ": "i32", "HEAD_DIM": "constexpr", "BLOCK_M": "constexpr", "BLOCK_N": "constexpr"},
                      {"HEAD_DIM": 128, "BLOCK_M": 128, "BLOCK_N": 64},
                      {"num_warps": 8, "num_stages": 3}),
}


def main(outdir: str) -> int:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name, (fn, sig, consts, opts) in CASES.items():
        try:
            kernel = triton.compile(ASTSource(fn=fn, signature=sig, constexprs=consts),
                                    target=GPUTarget("cuda", 90, 32), options=opts)
        except Exception as e:  # report exactly why, then go on with the next kernel
            failed += 1
            print(f"triton {triton.__version__}: {name} failed: {type(e).__name__}: {e}")
            traceback.print_exc(limit=3)
            continue
        (out / f"{name}.ptx").write_text(kernel.asm["ptx"])
        meta = {"compiler": "triton", "version": triton.__version__, "source": "triton_kernels.py",
                "kernel": name, "constexprs": consts, "options": opts, "target": "cuda sm_90a (GPUTarget cuda 90 32)"}
        (out / f"{name}.meta.json").write_text(json.dumps(meta, indent=1) + "\n")
        print(f"triton {triton.__version__}: {name}: {len(kernel.asm['ptx'])} bytes of PTX")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
