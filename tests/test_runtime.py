"""exo_gpu.gpu.runtime without a GPU: kernel geometry, host-side data conversion, the correctness
check, argument validation and the errors raised when cuda-python or the driver is missing.
The benchmark's pure helpers (benchmarks/gemm_bench.py) are tested here too.

One test runs a compiled kernel on a GPU; it is skipped, with the reason, where there is none
(CI never has one; run it on the device machine).
"""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import exo_gpu
from exo_gpu.gpu import runtime as rt
from exo_gpu.compiler import compile, gemm
from hopper import gpu_reason, needs_hopper

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("gemm_bench", ROOT / "benchmarks" / "gemm_bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake_kernel(info: rt.KernelInfo) -> rt.Kernel:
    """A Kernel object with no module behind it (no driver call)."""
    k = object.__new__(rt.Kernel)
    k.name, k.module, k.function, k.info, k.registers = info.name, None, None, info, 0
    return k


# -- KernelInfo ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype,n,tiles,consumers,stages", [
    ("tf32", 96, 2, 2, 4), ("tf32", 128, 2, 2, 4), ("bf16", 256, 1, 2, 4), ("f16", 128, 1, 1, 2),
    ("tf32", 128, 1, 2, 6),
])
def test_kernel_info_smem_matches_the_compiler(dtype, n, tiles, consumers, stages):
    """The runtime's shared-memory size is what the compiled kernel declares (no ptxas needed)."""
    module = gemm(dtype, wgmma_n=n, tiles_per_warpgroup=tiles, consumers=consumers, stages=stages, name="k")
    result = compile(module, assemble=False)  # compile() leaves `module` as it was: read its result
    info = rt.KernelInfo.for_gemm("k", dtype, n, tiles, consumers, stages)
    assert info.smem_bytes == result.smem_bytes


def test_kernel_info_geometry():
    info = rt.KernelInfo.for_gemm("k", "tf32", 128, 2, 2, 4)
    assert (info.block_m, info.block_n, info.block_k, info.threads, info.a_box_rows) == (256, 128, 32, 384, 128)
    bf = rt.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4)
    assert (bf.block_m, bf.block_n, bf.block_k, bf.elem_bytes) == (128, 256, 64, 2)
    one = rt.KernelInfo.for_gemm("k", "f16", 64, 1, 1, 2)
    assert (one.block_m, one.threads) == (64, 256)
    # Ping-pong: each consumer warpgroup owns whole tiles, so the tile is 64 * T rows.
    pp = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 6, schedule="pingpong")
    assert (pp.block_m, pp.threads, pp.a_box_rows, pp.tiles(4096, 4096)) == (128, 384, 128, 32 * 32)
    assert " pp" in pp.label()


@pytest.mark.parametrize("m,n,expect", [
    (4096, 4096, 16 * 32), (1000, 1000, 4 * 8), (256, 128, 1), (257, 129, 4), (1, 1, 1), (8192, 14336, 32 * 112),
])
def test_grid_is_one_dimensional_tile_count(m, n, expect):
    """The kernel maps a 1-D block index to a tile itself: grid = ceil(M/bm) * ceil(N/bn)."""
    info = rt.KernelInfo.for_gemm("k", "tf32", 128, 2, 2, 4)  # 256 x 128 tiles
    assert info.grid(m, n) == (expect, 1, 1)


def test_kernel_info_dict_round_trip_keeps_extra():
    info = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4, wait_depth=0, registers=168, variant="serialized")
    d = info.to_dict()
    assert d["registers"] == 168 and d["variant"] == "serialized" and d["wait_depth"] == 0
    back = rt.KernelInfo.from_dict(d)
    assert back == info and back.extra == {"registers": 168, "variant": "serialized"}
    assert "w0" in back.label() and back.label().startswith("bf16 n128 T2 C2 s4")


# -- host-side data -------------------------------------------------------------------------------
def test_bf16_bits_rounds_to_nearest_even():
    x = np.array([1.0, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8, -2.0, 1.0 + 2 ** -8 + 2 ** -20, 0.0, -0.0],
                 dtype=np.float32)
    bits = rt.bf16_bits(x)
    # 1+2^-8 is halfway between 1 and 1+2^-7: ties go to the even mantissa (1.0); 1+3*2^-8 is
    # halfway between 1+2^-7 and 1+2^-6 and goes up to the even one (1+2^-6).
    assert bits.tolist() == [0x3F80, 0x3F80, 0x3F82, 0xC000, 0x3F81, 0x0000, 0x8000]


def test_bf16_round_trip_error_and_specials():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(10000, dtype=np.float32) * 1e3
    back = rt.bf16_to_f32(rt.bf16_bits(x))
    assert np.max(np.abs(back - x) / np.abs(x)) <= 2.0 ** -8
    special = np.array([np.inf, -np.inf, np.nan], dtype=np.float32)
    out = rt.bf16_to_f32(rt.bf16_bits(special))
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2])


def test_bf16_keeps_a_nan_with_a_low_payload():
    """0x7F800001 is a NaN whose payload is in the low bits only: rounding must not make it Inf."""
    x = np.array([0x7F800001, 0xFF800001, 0x7FFFFFFF], dtype=np.uint32).view(np.float32)
    out = rt.bf16_to_f32(rt.bf16_bits(x))
    assert np.isnan(out).all()
    assert np.signbit(out).tolist() == [False, True, False]


def test_to_storage_types():
    x = np.array([[1.5, -2.25]], dtype=np.float64)
    assert rt.to_storage(x, "tf32").dtype == np.float32
    assert rt.to_storage(x, "f16").dtype == np.float16
    assert rt.to_storage(x, "bf16").tolist() == [[0x3FC0, 0xC010]]
    bits = np.array([[0x3F80]], dtype=np.uint16)
    assert rt.to_storage(bits, "bf16") is not None and rt.to_storage(bits, "bf16").tolist() == [[0x3F80]]
    assert rt.storage_values(bits, "bf16").tolist() == [[1.0]]
    with pytest.raises(rt.CudaError, match="unknown dtype 'fp64'"):
        rt.to_storage(x, "fp64")


def test_tf32_truncate_clears_13_low_bits():
    x = np.array([1.0 + 2 ** -10, 1.0 + 2 ** -11, 1.0 + 2 ** -12], dtype=np.float32)
    t = rt.tf32_truncate(x)
    assert t.tolist() == [1.0 + 2 ** -10, 1.0, 1.0]
    assert (t.view(np.uint32) & 0x1FFF).max() == 0


def test_reference_is_float64_of_storage_values():
    a = rt.bf16_bits(np.array([[1.0 + 2 ** -7, 2.0]], dtype=np.float32))
    bt = rt.bf16_bits(np.array([[3.0, 0.5]], dtype=np.float32))
    ref = rt.reference(a, bt, "bf16", C=np.array([[10.0]], dtype=np.float32))
    assert ref.dtype == np.float64 and ref[0, 0] == (1.0 + 2 ** -7) * 3.0 + 1.0 + 10.0


# -- the correctness check --------------------------------------------------------------------------
def test_compare_passes_rounding_noise():
    rng = np.random.default_rng(1)
    ref = rng.standard_normal((200, 300))
    out = (ref * (1 + 1e-4 * rng.standard_normal(ref.shape))).astype(np.float32)
    rel, nans, max_abs, max_rms, passed = rt.compare(out, ref, 1e-3)
    assert passed and nans == 0 and 5e-5 < rel < 2e-4 and max_rms < 1e-2 and max_abs > 0


def test_compare_fails_on_a_single_nan():
    ref = np.ones((64, 64))
    out = ref.astype(np.float32)
    out[3, 7] = np.nan
    rel, nans, _, _, passed = rt.compare(out, ref, 1e-3)
    assert not passed and nans == 1 and math.isnan(rel)


def test_compare_fails_on_an_all_nan_output():
    ref = np.ones((8, 8))
    _, nans, max_abs, _, passed = rt.compare(np.full((8, 8), np.nan, dtype=np.float32), ref, 1e-2)
    assert not passed and nans == 64 and math.isnan(max_abs)


def test_compare_fails_on_one_wrong_element_that_the_norm_hides():
    """One element far off in a large C: the norm-wise rel err stays under the threshold, the
    elementwise guard (ELEMENT_FACTOR * threshold * rms) catches it."""
    rng = np.random.default_rng(2)
    ref = rng.standard_normal((1000, 1000))
    out = ref.astype(np.float32)
    rms = float(np.sqrt(np.mean(ref ** 2)))
    out[500, 500] += 0.2 * rms  # 200 x the 1e-3 threshold, 4 x the elementwise limit
    rel, nans, _, max_rms, passed = rt.compare(out, ref, 1e-3)
    assert rel < 1e-3 and nans == 0
    assert max_rms > rt.ELEMENT_FACTOR * 1e-3 and not passed


def test_compare_fails_over_threshold():
    ref = np.ones((10, 10))
    _, _, _, _, passed = rt.compare((ref * 1.01).astype(np.float32), ref, 1e-3)
    assert not passed


def test_poisoned_output_catches_an_unwritten_element():
    """What run_gemm does: poison C with NaN, let the kernel write; an element it skipped stays
    NaN and fails the check even when every written value is exact."""
    ref = np.arange(12.0).reshape(3, 4) + 1
    out = np.full(ref.shape, np.nan, dtype=np.float32)
    written = np.ones(ref.shape, dtype=bool)
    written[2, 3] = False  # the "kernel" misses the last element of an edge tile
    out[written] = ref[written]
    _, nans, _, _, passed = rt.compare(out, ref, 1e-2)
    assert nans == 1 and not passed
    out[2, 3] = ref[2, 3]
    assert rt.compare(out, ref, 1e-2)[4]


def test_benchmark_compare_agrees_with_runtime_compare():
    torch = pytest.importorskip("torch", reason="torch is not installed here (the GPU machine has it)")
    bench = _bench()
    rng = np.random.default_rng(3)
    ref = rng.standard_normal((100, 100))
    out = (ref + 1e-4 * rng.standard_normal(ref.shape)).astype(np.float32)
    out[1, 1] = np.nan
    mine = rt.compare(out, ref, 1e-3)
    theirs = bench.compare(torch, torch.from_numpy(out), torch.from_numpy(ref), 1e-3)
    assert theirs["nan"] == mine[1] == 1 and theirs["passed"] is mine[4] is False


# -- argument validation before any driver call -------------------------------------------------------
def test_run_gemm_needs_c_for_an_accumulating_kernel():
    info = rt.KernelInfo.for_gemm("acc", "tf32", 128, 2, 2, 4, accumulate_c=True)
    with pytest.raises(rt.CudaError, match="accumulates into C: pass C"):
        rt.run_gemm(_fake_kernel(info), np.zeros((4, 8), np.float32), np.zeros((4, 8), np.float32))


def test_a_kernel_without_info_is_refused():
    k = _fake_kernel(rt.KernelInfo.for_gemm("k", "tf32", 128, 2, 2, 4))
    k.info = None
    with pytest.raises(rt.CudaError, match="without a KernelInfo"):
        rt.GemmLaunch(k, 64, 64, 64)
    with pytest.raises(rt.CudaError, match="expected a loaded Kernel"):
        rt.GemmLaunch("not a kernel", 64, 64, 64)  # type: ignore[arg-type]


@pytest.mark.parametrize("m,n,k,match", [
    (0, 64, 64, "at least 1"), (64, 64, 3, "multiple of 4"),
])
def test_gemm_launch_rejects_bad_sizes(m, n, k, match):
    info = rt.KernelInfo.for_gemm("k", "tf32", 128, 2, 2, 4)
    with pytest.raises(rt.CudaError, match=match):
        rt.GemmLaunch(_fake_kernel(info), m, n, k)


def test_gemm_launch_external_pointers_are_validated():
    info = rt.KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4)
    kern = _fake_kernel(info)
    with pytest.raises(rt.CudaError, match="all of a_ptr, b_ptr and c_ptr"):
        rt.GemmLaunch(kern, 64, 64, 64, a_ptr=0x1000)
    with pytest.raises(rt.CudaError, match="a_ptr = 0x1008 is not 16-byte aligned"):
        rt.GemmLaunch(kern, 64, 64, 64, a_ptr=0x1008, b_ptr=0x2000, c_ptr=0x3000)
    with pytest.raises(rt.CudaError, match="c_ptr = 0x3004 is not 8-byte aligned"):
        rt.GemmLaunch(kern, 64, 64, 64, a_ptr=0x1000, b_ptr=0x2000, c_ptr=0x3004)


# -- cuda-python or the driver missing -----------------------------------------------------------------
@pytest.fixture
def no_cached_driver(monkeypatch):
    monkeypatch.setattr(rt, "_cuda", None)
    yield


def test_missing_cuda_python_is_one_clear_error(monkeypatch, no_cached_driver):
    # A None entry in sys.modules makes `import` raise ImportError.
    for mod in ("cuda", "cuda.bindings", "cuda.bindings.driver", "cuda.cuda"):
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(rt.CudaError, match="cuda-python is not installed"):
        rt.init()


class _Result:
    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, _Result) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


def _fake_driver(**functions):
    ok = _Result("CUDA_SUCCESS")
    mod = types.SimpleNamespace(CUresult=types.SimpleNamespace(CUDA_SUCCESS=ok, CUDA_ERROR_NOT_READY=_Result("NR")))
    mod.cuGetErrorString = lambda err: (ok, b"fake description")
    mod.cuGetErrorName = lambda err: (ok, err.name.encode())
    for name, f in functions.items():
        setattr(mod, name, f)
    return mod


def test_missing_driver_library_is_one_clear_error(monkeypatch):
    def cu_init(flags):
        raise RuntimeError("Failure finding libcuda.so: not found")

    monkeypatch.setattr(rt, "_cuda", _fake_driver(cuInit=cu_init))
    monkeypatch.setattr(rt, "_contexts", {})
    with pytest.raises(rt.CudaError, match=r"cuInit: the NVIDIA driver \(libcuda\) could not be loaded"):
        rt.init()


def test_a_failed_call_names_the_call_the_kernel_and_the_result(monkeypatch):
    monkeypatch.setattr(rt, "_cuda", _fake_driver(
        cuModuleLoadData=lambda data: (_Result("CUDA_ERROR_INVALID_IMAGE"), None)))
    with pytest.raises(rt.CudaError) as e:
        rt._call("cuModuleLoadData", b"\0", kernel="gemm_x")
    msg = str(e.value)
    assert "cuModuleLoadData failed (kernel gemm_x): CUDA_ERROR_INVALID_IMAGE (fake description)" == msg


def test_no_device_is_reported_by_init(monkeypatch):
    monkeypatch.setattr(rt, "_cuda", _fake_driver(
        cuInit=lambda flags: (_Result("CUDA_SUCCESS"),),
        cuDeviceGet=lambda i: (_Result("CUDA_ERROR_NO_DEVICE"), None)))
    monkeypatch.setattr(rt, "_contexts", {})
    with pytest.raises(rt.CudaError, match="cuDeviceGet failed: CUDA_ERROR_NO_DEVICE"):
        rt.init()


def test_as_stream_accepts_none_an_int_and_a_stream():
    cuda = pytest.importorskip("cuda.bindings.driver", reason="cuda-python is not installed")
    rt._cuda = None  # import the real bindings (no driver call)
    assert int(rt.as_stream(None)) == 0
    assert int(rt.as_stream(1234)) == 1234
    s = cuda.CUstream(77)
    assert rt.as_stream(s) is s


# -- the benchmark's pure helpers ------------------------------------------------------------------------
def test_middle_mean_drops_the_outer_quarters():
    bench = _bench()
    samples = list(range(100))  # 0..99: the middle 50 are 25..74, mean 49.5
    assert bench.middle_mean(samples) == 49.5
    assert bench.middle_mean([1.0, 2.0, 3.0, 1000.0]) == 2.5  # an outlier does not move it
    s = bench.summarize([1.0] * 99 + [10.0], 1000, 1000, 1000)
    assert s["mid50_mean_ms"] == 1.0 and s["max_ms"] == 10.0 and abs(s["tflops"] - 2.0) < 1e-12


def test_bench_sizes_and_labels():
    bench = _bench()
    assert bench.parse_sizes("2048, 4096x4096x16384") == [(2048, 2048, 2048), (4096, 4096, 16384)]
    assert [bench.size_label(s) for s in bench.parse_sizes("8,8x16x32")] == ["8^3", "8x16x32"]
    with pytest.raises(SystemExit):
        bench.parse_sizes("4x4")
    d = rt.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4, wait_depth=0, raster_group=16, variant="serialized",
                               ptxas="13.5.37").to_dict()
    assert bench.kernel_label(d) == "bf16 n256 T1 C2 s4 w0 r16 SER p13.5"
    d.update(raster_group=8, variant="clean", ptxas="12.3.107")
    assert bench.kernel_label(d) == "bf16 n256 T1 C2 s4 w0"


# -- on a GPU ---------------------------------------------------------------------------------------------


@needs_hopper
@pytest.mark.parametrize("dtype", ["tf32", "bf16"])
def test_gpu_gemm_is_correct(dtype):
    rt._cuda = None
    module = gemm(dtype, wgmma_n=128, tiles_per_warpgroup=2, consumers=2, stages=4, name=f"t_{dtype}")
    result = compile(module)
    info = rt.KernelInfo.for_gemm(f"t_{dtype}", dtype, 128, 2, 2, 4)
    kernel = rt.load(result.cubin, info=info)
    rng = np.random.default_rng()
    for m, n, k in [(1000, 1000, 1000), (129, 200, 40), (777, 1001, 520), (512, 256, 128)]:
        check = rt.check_gemm(kernel, m, n, k, rng=rng)
        assert check.passed, check.line()
    kernel.unload()


def test_grid_is_one_block_per_tile_or_capped_for_a_persistent_launch():
    info = rt.KernelInfo.for_gemm("k", "bf16", 256, 1, 2, 4)  # 128 x 256 blocks
    assert info.tiles(4096, 4096) == 32 * 16
    assert info.grid(4096, 4096) == (512, 1, 1)
    assert info.grid(4096, 4096, 132) == (132, 1, 1)  # persistent: one block per SM
    assert info.grid(100, 100, 132) == (1, 1, 1)  # never more blocks than tiles


@needs_hopper
def test_gpu_exo_gpu_run_checks_given_and_random_inputs():
    rng = np.random.default_rng()
    a = rng.standard_normal((300, 200), dtype=np.float32)
    bt = rng.standard_normal((260, 200), dtype=np.float32)
    assert exo_gpu.run(300, 260, 200, A=a, Bt=bt, dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1).passed
    assert exo_gpu.run(1024, 512, 256).passed


def test_exo_gpu_run_refuses_a_bad_configuration_before_any_driver_call():
    with pytest.raises(exo_gpu.CompileError, match="unknown dtype 'fp64'"):
        exo_gpu.run(64, 64, 64, dtype="fp64")
    with pytest.raises(exo_gpu.CompileError, match="wgmma N must be a multiple of 8"):
        exo_gpu.run(64, 64, 64, wgmma_n=100)


@pytest.mark.skipif(gpu_reason() is None, reason="a GPU is present: the no-GPU message cannot be seen here")
def test_exo_gpu_run_without_a_gpu_says_so_in_one_line():
    with pytest.raises(exo_gpu.ExoGpuError) as e:
        exo_gpu.run(64, 64, 64)
    assert "\n" not in str(e.value) and ("cuInit" in str(e.value) or "cuda-python" in str(e.value))


@pytest.mark.parametrize("dtype, largest, smallest", [("e4m3", 448.0, 2.0 ** -9), ("e5m2", 57344.0, 2.0 ** -16)])
def test_fp8_codes_round_trip_and_saturate(dtype, largest, smallest):
    values = rt._fp8_values(dtype)
    finite = np.isfinite(values)
    codes = np.arange(256, dtype=np.uint8)[finite]
    # every finite code decodes and encodes back to itself (but -0, which encodes as +0's sign bit set)
    assert np.array_equal(rt.fp8_bits(values[finite], dtype), codes)
    assert np.nanmax(values[finite]) == largest and np.min(values[finite & (values > 0)]) == smallest
    assert rt.fp8_bits(np.array([1e9, -1e9]), dtype).tolist() == [codes[values[finite] == largest][0],
                                                                   codes[values[finite] == -largest][0]]
    x = np.random.default_rng(0).standard_normal(1000)
    q = rt.storage_values(rt.to_storage(x, dtype), dtype)
    rel = 2.0 ** -4 if dtype == "e4m3" else 2.0 ** -3  # half an ulp of 3 / 2 mantissa bits
    big = np.abs(x) > 0.05
    assert np.all(np.abs(q[big] - x[big]) <= rel * np.abs(x[big]) * 1.0001)


@pytest.mark.parametrize("c_dtype,bits", [("bf16", 8), ("f16", 11)])
def test_half_c_round_trip(c_dtype, bits):
    """C's host encoding rounds to nearest (relative error <= 2^-bits) and decodes exactly; NaN
    (the poison of an unwritten element) survives."""
    x = np.random.default_rng(1).standard_normal(1000).astype(np.float32)
    stored = rt.c_storage(x, c_dtype)
    assert stored.dtype == np.uint16
    back = rt.c_values(stored, c_dtype)
    assert np.all(np.abs(back - x) <= np.abs(x) * 2.0 ** -bits)
    assert np.array_equal(rt.c_values(rt.c_storage(back, c_dtype), c_dtype), back)
    assert np.isnan(rt.c_values(rt.c_storage(np.array([np.nan], np.float32), c_dtype), c_dtype)).all()
    info = rt.KernelInfo.for_gemm("k", "tf32", 128, 2, 2, 4, c_dtype=c_dtype)
    assert info.threshold(1024) == rt.C_TOLERANCE[c_dtype] >= rt.TOLERANCE["tf32"] and "C:" + c_dtype in info.label()
