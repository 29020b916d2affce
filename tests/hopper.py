"""Whether this machine can run the GPU tests: a Hopper (sm_90) GPU with a CUDA driver that
cuda-python can reach.  CI has none, so those tests skip there, saying why."""

from __future__ import annotations

import functools

import pytest


@functools.lru_cache(maxsize=None)
def gpu_reason() -> str | None:
    """None when a Hopper GPU is usable here, otherwise why not (the skip reason)."""
    try:
        from cuda.bindings import driver as cuda
    except ImportError:
        return "cuda-python is not installed"
    try:
        err, = cuda.cuInit(0)
        if err != cuda.CUresult.CUDA_SUCCESS:
            return f"no usable CUDA driver/GPU here (cuInit: {err.name})"
        err, count = cuda.cuDeviceGetCount()
        if err != cuda.CUresult.CUDA_SUCCESS or count < 1:
            return "no CUDA device here"
        err, dev = cuda.cuDeviceGet(0)
        err, major = cuda.cuDeviceGetAttribute(
            cuda.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)
        if major != 9:
            return f"the GPU is sm_{major}x, not Hopper (sm_90a)"
    except Exception as e:  # noqa: BLE001 - no libcuda, ...
        return f"no CUDA driver here ({type(e).__name__})"
    return None


needs_hopper = pytest.mark.skipif(gpu_reason() is not None, reason=str(gpu_reason()))
