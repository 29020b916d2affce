"""The tuner's GPU stage: check every compiled candidate against float64, then time it.

One worker process per visible GPU (spawned, with CUDA_VISIBLE_DEVICES naming its one GPU,
so a hung kernel or a broken context stays in its process); candidates go to whichever
worker is free next.  In a worker:

* the check runs the kernel on fresh random-normal inputs and compares it with a float64
  reference (`runtime.check_gemm`: NaN-poisoned output, rel-err threshold of the dtype, the
  elementwise guard, and for split-K the all-ones coverage run).  Shapes over 2048 in a
  dimension are checked at a smaller size with the same remainders modulo 256 (M, N) and
  128 (K), so the edge tiles are the same kinds as in the tuned shape while the host's
  float64 reference stays under a second;
* the timing runs the tuned shape itself: random inputs uploaded once per worker and shape,
  a persistent launch, and before each sample a 256 MiB buffer is cleared on the stream so
  the L2 (60 MB on the H200) is cold; CUDA events bracket the kernel alone; the median of
  `runs` samples after `warmup` launches.
"""

from __future__ import annotations

import os
import statistics
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Callable

import numpy as np

FLUSH_BYTES = 256 << 20
CHECK_LIMIT = 2048  # dimensions above this are checked at a reduced size


class NoGpuError(Exception):
    """Raised in the parent when the timing stage has no GPU to run on."""


def visible_gpus() -> list[str]:
    """One CUDA_VISIBLE_DEVICES value per usable GPU (the same kind as device 0), or raise
    runtime.CudaError when there is no driver or no device."""
    from exo_gpu.gpu import runtime

    runtime._call("cuInit", 0)
    count = int(runtime._call("cuDeviceGetCount"))
    if count < 1:
        raise runtime.CudaError("cuDeviceGetCount: no CUDA device")
    parent = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    names = [gpu_name(i) for i in range(count)]
    return [parent[i] if i < len(parent) else str(i) for i in range(count) if names[i] == names[0]]


def gpu_name(ordinal: int = 0) -> str:
    """The driver's name of device `ordinal` (no context is made)."""
    from exo_gpu.gpu import runtime

    dev = runtime._call("cuDeviceGet", ordinal)
    name = runtime._call("cuDeviceGetName", 256, dev)
    return name.split(b"\0", 1)[0].decode() if isinstance(name, (bytes, bytearray)) else str(name)


def compute_capability(ordinal: int = 0) -> tuple[int, int]:
    from exo_gpu.gpu import runtime

    dev = runtime._call("cuDeviceGet", ordinal)
    attr = runtime._driver().CUdevice_attribute
    return (int(runtime._call("cuDeviceGetAttribute", attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)),
            int(runtime._call("cuDeviceGetAttribute", attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev)))


def sm_count(ordinal: int = 0) -> int:
    from exo_gpu.gpu import runtime

    dev = runtime._call("cuDeviceGet", ordinal)
    attr = runtime._driver().CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
    return int(runtime._call("cuDeviceGetAttribute", attr, dev))


def check_shape(m: int, n: int, k: int) -> tuple[int, int, int]:
    """The size a candidate is checked at (see the module docstring)."""
    def clip(x: int, period: int) -> int:
        return x if x <= CHECK_LIMIT else CHECK_LIMIT - period + x % period
    return clip(m, 256), clip(n, 256), clip(k, 128)


# -- in the worker ---------------------------------------------------------------------------
_buffers: dict[tuple, tuple] = {}


def _pin(device: str) -> None:
    os.environ["CUDA_VISIBLE_DEVICES"] = device


def _operands(info, m: int, n: int, k: int, seed: int):
    """Device buffers A, B, C of this shape in the kernel's layouts, filled once per worker."""
    from exo_gpu.gpu import runtime

    key = (info.dtype, info.layout_a, info.layout_b, info.c_dtype, m, n, k)
    if key not in _buffers:
        _buffers.clear()
        rng = np.random.default_rng(seed)
        a = rng.standard_normal((m, k), dtype=np.float32)
        bt = rng.standard_normal((n, k), dtype=np.float32)
        a_dev, b_dev = info.device_operands(a, bt)
        bufs = []
        for host in (runtime.to_storage(a_dev, info.dtype), runtime.to_storage(b_dev, info.dtype)):
            buf = runtime.DeviceBuffer(host.nbytes)
            buf.upload(host)
            bufs.append(buf)
        bufs.append(runtime.DeviceBuffer(m * n * runtime.C_BYTES[info.c_dtype]))
        _buffers[key] = tuple(bufs)
    return _buffers[key]


def time_cold(kernel, m: int, n: int, k: int, runs: int, warmup: int, seed: int) -> list[float]:
    """Samples (ms) of the kernel alone at M x N x K, each after the L2 was flushed."""
    from exo_gpu.gpu import runtime

    a, b, c = _operands(kernel.info, m, n, k, seed)
    launch = runtime.GemmLaunch(kernel, m, n, k, a_ptr=a.ptr, b_ptr=b.ptr, c_ptr=c.ptr)
    flush = runtime.DeviceBuffer(FLUSH_BYTES)
    events = runtime.Events()
    stream = runtime.as_stream(None)
    try:
        for _ in range(warmup):
            launch.launch()
        runtime.synchronize(kernel.name)
        samples = []
        for i in range(runs):
            runtime._call("cuMemsetD32Async", flush.ptr, i, FLUSH_BYTES // 4, stream)
            events.record_start()
            launch.launch()
            events.record_stop()
            samples.append(events.elapsed_ms())
        runtime.synchronize(kernel.name)
        return samples
    finally:
        events.destroy()
        flush.free()


def measure(index: int, cubin: bytes, info: dict, m: int, n: int, k: int, runs: int, warmup: int,
            seed: int) -> dict:
    """Check one compiled candidate and, if it passes, time it (in a GPU worker)."""
    from exo_gpu.errors import ExoGpuError
    from exo_gpu.gpu import runtime

    out = {"index": index, "check": "error", "rel_err": None, "median_ms": None, "min_ms": None, "tflops": None,
           "reason": "", "device": os.environ.get("CUDA_VISIBLE_DEVICES", "")}
    try:
        runtime.init(0)
        kernel = runtime.load(cubin, info=runtime.KernelInfo.from_dict(info))
    except ExoGpuError as e:
        out["reason"] = str(e).splitlines()[0]
        return out
    try:
        result = runtime.check_gemm(kernel, *check_shape(m, n, k), np.random.default_rng(seed + index))
        out.update(check="ok" if result.passed else "FAIL", rel_err=result.rel_err)
        if not result.passed:
            out["reason"] = result.line()
            return out
        samples = time_cold(kernel, m, n, k, runs, warmup, seed)
        med = statistics.median(samples)
        out.update(median_ms=med, min_ms=min(samples), tflops=2.0 * m * n * k / (med * 1e-3) / 1e12)
    except ExoGpuError as e:
        out["reason"] = str(e).splitlines()[0]
    finally:
        kernel.unload()
    return out


# -- in the parent ---------------------------------------------------------------------------
def measure_all(compiled: list[dict], m: int, n: int, k: int, gpus: list[str], runs: int = 20,
                warmup: int = 3, seed: int = 0, on_done: Callable[[dict], None] | None = None) -> dict[int, dict]:
    """Measure every compiled candidate ({"index", "cubin", "info"}) on one worker per GPU,
    each taking the next candidate when it is free; {index: measurement}."""
    ctx = get_context("spawn")

    def pool(g: str) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=ctx, initializer=_pin, initargs=(g,))

    pools = {g: pool(g) for g in gpus}
    todo = list(compiled)
    results: dict[int, dict] = {}
    running: dict = {}  # future -> (gpu, index)
    try:
        while todo or running:
            for g in gpus:
                if todo and g not in {gpu for gpu, _ in running.values()}:
                    c = todo.pop(0)
                    future = pools[g].submit(measure, c["index"], c["cubin"], c["info"], m, n, k, runs, warmup, seed)
                    running[future] = (g, c["index"])
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for f in done:
                g, index = running.pop(f)
                try:
                    r = f.result()
                except Exception as e:  # noqa: BLE001 - the worker died (a crash in the driver): a fresh one
                    r = {"index": index, "check": "error", "rel_err": None, "median_ms": None, "min_ms": None,
                         "tflops": None, "reason": f"GPU worker died: {type(e).__name__}: {e}", "device": g}
                    pools[g].shutdown(cancel_futures=True)
                    pools[g] = pool(g)
                results[r["index"]] = r
                if on_done is not None:
                    on_done(r)
    finally:
        for p in pools.values():
            p.shutdown(cancel_futures=True)
    return results
