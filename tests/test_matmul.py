"""`exo_gpu.matmul`'s argument checks, on arrays given through the CUDA array interface (a
small class exposing `__cuda_array_interface__`, as CuPy or Numba arrays do) and DLPack
(numpy's, on the CPU), and the tensor maps it encodes over padded leading dimensions.  Every
check here fails before the first driver call, so it runs without a GPU; the runs on a GPU
(torch tensors against a float64 reference, the current stream, the tuned kernel) skip,
saying why, where there is none."""

from __future__ import annotations

import os
import numpy as np
import pytest

from hopper import gpu_reason, needs_hopper

# The ptxas of the GPU tests' compiles: the pinned 12.3 by default, `system` on a GPU machine
# without the pinned toolchain (EXO_GPU_TEST_CUDA=system).
CUDA = os.environ.get("EXO_GPU_TEST_CUDA", "12.3")

import exo_gpu
from exo_gpu.gpu import interop, runtime
from exo_gpu.gpu.interop import InteropError, Operand
from exo_gpu.gpu.matmul import tensor_map_args


class CudaArray:
    """A device array as another library shows it: only `__cuda_array_interface__` (v3)."""

    def __init__(self, shape, typestr="<f2", strides=None, ptr=0x7F0000000000, stream=None):
        self._cai = {"shape": tuple(shape), "typestr": typestr, "data": (ptr, False), "strides": strides,
                     "version": 3, "stream": stream}

    @property
    def __cuda_array_interface__(self):
        return self._cai


def f16(shape, **kw):
    return CudaArray(shape, "<f2", **kw)


def f32(shape, **kw):
    return CudaArray(shape, "<f4", **kw)


def col_major(rows, cols, itemsize, ld=None):
    """Byte strides of a column-major rows x cols matrix with leading dimension ld (>= rows)."""
    return (itemsize, (ld or rows) * itemsize)


@pytest.mark.parametrize("a,b,kw,needle", [
    (f16((2, 64, 64)), f16((64, 64)), {}, "a must be 2-D (M x K), got shape (2, 64, 64)"),
    (f16((64, 64)), f16((64,)), {}, "b must be 2-D (K x N)"),
    (f16((64, 128)), f16((64, 64)), {}, "their K differ (128 vs 64)"),
    (f16((64, 64)), f32((64, 64)), {}, "a has elements of <f2 and b of <f4"),
    (CudaArray((64, 64), "<f8"), CudaArray((64, 64), "<f8"), {}, "elements of <f8 are not an input type"),
    (CudaArray((64, 64), "<i4"), CudaArray((64, 64), "<i4"), {}, "elements of <i4 are not an input type"),
    # tf32 reads both operands K-major: a row-major B (N contiguous) is refused, naming b and the fix
    (f32((64, 64)), f32((64, 64)), {}, "b is row-major (N contiguous), which tf32 wgmma cannot read"),
    (f32((64, 64), strides=col_major(64, 64, 4)), f32((64, 64), strides=col_major(64, 64, 4)), {},
     "a is column-major (M contiguous), which tf32 wgmma cannot read"),
    # neither dimension contiguous
    (f16((64, 64), strides=(256, 4)), f16((64, 64)), {}, "a has shape (64, 64) and strides (128, 2)"),
    # TMA: 16-byte aligned base and leading stride
    (f16((64, 64), ptr=0x7F0000000008), f16((64, 64)), {}, "a: its data pointer 0x7f0000000008 is not 16-byte"),
    (f16((64, 100)), f16((100, 64)), {}, "a: its leading stride of 100 elements is 200 bytes"),
    (f16((64, 64)), f16((64, 100)), {}, "b: its leading stride of 100 elements is 200 bytes"),
    # bf16 and fp8 have no typestr: dtype= names them, checked against the item size
    (CudaArray((64, 64), "<V2"), CudaArray((64, 64), "<V2"), {}, "elements of <V2 are not an input type"),
    (CudaArray((64, 64), "<V2"), CudaArray((64, 64), "<V2"), {"dtype": "e4m3"}, "its elements are <V2 (2 bytes), "
                                                                               "not e4m3"),
    (f16((64, 64)), f16((64, 64)), {"dtype": "bf16"}, "its elements are <f2 (2 bytes), not bf16"),
    (f16((64, 64)), f16((64, 64)), {"dtype": "fp64"}, "dtype='fp64' is not an input type"),
    (f16((64, 64)), f16((64, 64)), {"out_dtype": "float64"}, "out_dtype='float64' is not a C type"),
    (f16((64, 64)), f16((64, 64)), {"config": "n256"}, "config must be a dict"),
    (f16((64, 64)), f16((64, 64)), {"cuda": 12.3}, "cuda must be a str"),
    (np.zeros((64, 64), np.float16), f16((64, 64)), {}, "a: a DLPack array on device type 1 (1 = CPU), not CUDA"),
    ([[1.0]], f16((64, 64)), {}, "a: expected a CUDA array"),
])
def test_matmul_rejects(a, b, kw, needle):
    with pytest.raises(InteropError) as e:
        exo_gpu.matmul(a, b, **kw)
    message = str(e.value)
    assert needle in message and "\n" not in message
    assert "fix" in message or "must" in message


@pytest.mark.parametrize("config,needle", [({"wgmma_nn": 128}, "unknown key(s) wgmma_nn"),
                                            ({"wgmma_n": 128, "dtype": "f16"}, "fixed key(s) dtype")])
def test_config_keys_are_schedule_arguments(config, needle):
    from exo_gpu.gpu.matmul import _check_config

    with pytest.raises(InteropError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        _check_config(config)
    _check_config({"wgmma_n": 128, "stages": 4, "schedule": "pingpong"})


def test_malformed_interface_is_one_line():
    bad = CudaArray((64, 64))
    del bad._cai["typestr"]
    with pytest.raises(InteropError, match="a malformed __cuda_array_interface__"):
        exo_gpu.matmul(bad, f16((64, 64)))


def test_views_read_strides_layouts_and_streams():
    a = interop.view(f16((64, 96), strides=(256, 2), stream=7), "a")
    assert (a.shape, a.strides, a.element, a.stream, a.kind) == ((64, 96), (128, 1), "f16", 7, "cai")
    assert interop.operand_layout(a, "a", "A") == ("row", 128)
    at = interop.view(f16((64, 96), strides=col_major(64, 96, 2, ld=72)), "a")
    assert interop.operand_layout(at, "a", "A") == ("col", 72)
    b = interop.view(f16((96, 64), strides=col_major(96, 64, 2, ld=104)), "b")
    assert interop.operand_layout(b, "b", "B") == ("col", 104)  # K contiguous: gemm's default B
    b_rm = interop.view(f16((96, 64)), "b")
    assert interop.operand_layout(b_rm, "b", "B") == ("row", 64)  # N contiguous (torch's a @ b)
    bf = interop.view(CudaArray((64, 64), "<V2"), "a", element="bf16")
    assert bf.element == "bf16" and bf.itemsize == 2


def test_dlpack_capsule_is_read_in_place():
    """numpy's (CPU) DLPack capsule read through the same struct layout a GPU array's is."""
    x = np.zeros((6, 10), dtype=np.float16)[:, 2:8]
    ptr, shape, strides, dtype, device = interop.read_capsule(x.__dlpack__())
    assert (ptr, shape, strides, dtype, device) == (x.ctypes.data, (6, 6), (10, 1), (2, 16, 1), (1, 0))


def test_out_checks():
    good = Operand(0x7F0000000000, (64, 32), (32, 1), "f32", 4, 0, None, "cai", "<f4")
    interop.check_out(good, 64, 32, "f32")
    for op, needle in ((good._replace(shape=(32, 64)), "out must be 64 x 32"),
                       (good._replace(element="f16", typename="<f2"), "out has elements of <f2, but C is f32"),
                       (good._replace(strides=(1, 64)), "out must be row-major contiguous"),
                       (good._replace(ptr=0x7F0000000004), "not 16-byte aligned")):
        with pytest.raises(InteropError, match=needle):
            interop.check_out(op, 64, 32, "f32")


def test_tensor_maps_take_the_real_leading_stride():
    """A padded leading dimension goes into the map's stride, not the logical K (or M/N)."""
    info = runtime.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4, wait_depth=0, layout_b="row")
    args = tensor_map_args(info, 300, 512, 200, lda=208, ldb=520)
    assert args["A"] == ([200, 300], 416, [64, 64])  # K-major A: K x M, 208 elements per row, m64 boxes
    assert args["B"] == ([512, 200], 1040, [64, 64])  # N-major B: N x K, 128-byte atoms of N
    # without padding, the same geometry as the runtime's own (contiguous) tensor maps
    maps = info.tensor_maps(300, 512, 208)
    for name, rows, ld in (("A", 300, 208), ("B", 512, 512)):
        dims, strides, box = runtime.tensor_map_geometry("bf16", **maps[name])
        assert tensor_map_args(info, 300, 512, 208, lda=208, ldb=512)[name] == (dims, strides[0], box)


@pytest.mark.skipif(gpu_reason() is None, reason="a GPU is present: the no-GPU message cannot be seen here")
def test_valid_arrays_without_a_gpu_fail_in_one_line():
    with pytest.raises(runtime.CudaError) as e:
        exo_gpu.matmul(f16((64, 64)), f16((64, 64), strides=col_major(64, 64, 2)))
    assert "\n" not in str(e.value) and "driver" in str(e.value)


# -- on the GPU ------------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch", reason="torch is not installed here (the GPU machine has it)")


@needs_hopper
@pytest.mark.parametrize("dtype,b_layout", [("float32", "col"), ("bfloat16", "row"), ("bfloat16", "col"),
                                            ("float16", "row")])
def test_gpu_matmul_matches_float64(dtype, b_layout):
    torch = _torch()
    tdt = getattr(torch, dtype)
    m, n, k = 777, 1000, 520
    a = torch.randn(m, k, device="cuda").to(tdt)
    b = torch.randn(k, n, device="cuda").to(tdt) if b_layout == "row" else torch.randn(n, k, device="cuda").to(tdt).T
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        c = exo_gpu.matmul(a, b, cuda=CUDA)
    stream.synchronize()
    ref = a.double() @ b.double()
    rel = float((c.double() - ref).norm() / ref.norm())
    assert c.dtype == (torch.float32 if dtype == "float32" else tdt) and c.shape == (m, n)
    assert rel < (1e-3 if dtype == "float32" else 1e-2), rel
    out = torch.empty(m, n, device="cuda", dtype=torch.float32)
    assert exo_gpu.matmul(a, b, out, out_dtype=torch.float32, cuda=CUDA) is out
    torch.cuda.synchronize()
    assert float((out.double() - ref).norm() / ref.norm()) < 1e-2


@needs_hopper
def test_gpu_matmul_padded_and_cai():
    torch = _torch()
    big = torch.randn(300, 208, device="cuda", dtype=torch.float16)
    a = big[:, :200]  # leading dimension 208, K = 200
    b = torch.randn(200, 512, device="cuda", dtype=torch.float16)
    ref = a.double() @ b.double()
    c = exo_gpu.matmul(a, b, cuda=CUDA)
    torch.cuda.synchronize()
    assert float((c.double() - ref).norm() / ref.norm()) < 1e-2
    d = exo_gpu.matmul(CudaArray(a.shape, "<f2", (416, 2), a.data_ptr()), CudaArray(b.shape, "<f2", None, b.data_ptr()),
                       cuda=CUDA)
    assert np.linalg.norm(d.numpy() - ref.cpu().numpy()) / np.linalg.norm(ref.cpu().numpy()) < 1e-2
