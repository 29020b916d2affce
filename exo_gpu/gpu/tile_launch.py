"""Launch any scheduled tile kernel through its IR ABI (exo_gpu.gpu.abi.KernelAbi).

    abi = KernelAbi.from_dict(compiled.abi)
    kernel = load_tile(compiled.cubin, abi)
    outputs = launch_tile(kernel, abi, {"a": A, "b": B, "c": C}, {"alpha": 0.5})

Every tensor argument is given as a logical numpy array (its own shape, any float dtype);
it is uploaded in the kernel's memory layout and storage type, the tensor maps are encoded
from the ABI's boxes, the parameters packed in the ABI's order, the tensors the ABI says to
zero are cleared, and the kernel runs on the persistent grid (one block per resident slot,
walking batch x tiles).  The written tensors come back as float64 logical arrays.
"""

from __future__ import annotations

import numpy as np

from exo_gpu.gpu.abi import KernelAbi
from exo_gpu.gpu.runtime import (
    CudaError,
    DeviceBuffer,
    Kernel,
    _call,
    _driver,
    _tma_dtype,
    init,
    load,
    synchronize,
)


def load_tile(cubin: bytes, abi: KernelAbi) -> Kernel:
    """Load the cubin's kernel named by the ABI and set its dynamic shared memory."""
    kernel = load(cubin, abi.kernel)
    kernel.set_dynamic_smem(abi.smem_bytes)
    return kernel


def encode(ptr: int, geometry: dict, kernel: str):
    """cuTensorMapEncodeTiled for one ABI tensor map (128-byte swizzle, zero fill)."""
    cuda = _driver()
    u64, u32 = cuda.cuuint64_t, cuda.cuuint32_t
    rank = len(geometry["dims"])
    if geometry.get("swizzle", 128) != 128:
        raise CudaError(f"kernel {kernel}: only 128-byte swizzled tensor maps are supported")
    return _call(
        "cuTensorMapEncodeTiled", _tma_dtype(geometry["dtype"]), rank, ptr,
        [u64(d) for d in geometry["dims"]], [u64(s) for s in geometry["strides"]],
        [u32(b) for b in geometry["box"]], [u32(1)] * rank,
        cuda.CUtensorMapInterleave.CU_TENSOR_MAP_INTERLEAVE_NONE,
        cuda.CUtensorMapSwizzle.CU_TENSOR_MAP_SWIZZLE_128B,
        cuda.CUtensorMapL2promotion.CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
        cuda.CUtensorMapFloatOOBfill.CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE, kernel=kernel)


def resident_blocks(kernel: Kernel, abi: KernelAbi) -> int:
    """Blocks of this kernel the device runs at once (the persistent grid), whole clusters."""
    per_sm = int(_call("cuOccupancyMaxActiveBlocksPerMultiprocessor", kernel.function, abi.threads,
                       abi.smem_bytes, kernel=kernel.name))
    blocks = max(1, per_sm) * init().sm_count
    if abi.cluster_blocks > 1:
        cuda = _driver()
        config = cuda.CUlaunchConfig()
        config.gridDimX, config.gridDimY, config.gridDimZ = abi.cluster_blocks * blocks, 1, 1
        config.blockDimX, config.blockDimY, config.blockDimZ = abi.threads, 1, 1
        config.sharedMemBytes = abi.smem_bytes
        clusters = int(_call("cuOccupancyMaxActiveClusters", kernel.function, config, kernel=kernel.name))
        blocks = min(blocks, max(1, clusters) * abi.cluster_blocks)
    return blocks


def pack(values: list[tuple[str, object]], buffers: dict[str, DeviceBuffer], abi: KernelAbi) -> tuple[list, list[int]]:
    """(objects to keep alive, pointers to each parameter's bytes) for cuLaunchKernel."""
    keep: list = []
    ptrs: list[int] = []
    maps = iter(p for p in abi.params if p["kind"] == "tensor_map")
    for kind, value in values:
        if kind == "tensor_map":
            name = abi.args[next(maps)["arg"]]["name"]
            tmap = encode(buffers[name].ptr, value, abi.kernel)  # type: ignore[arg-type]
            keep.append(tmap)
            ptrs.append(int(tmap.getPtr()))
            continue
        dtype = {"u64": np.uint64, "u32": np.uint32, "f32": np.float32}[kind]
        arr = np.array([value], dtype=dtype)
        keep.append(arr)
        ptrs.append(arr.ctypes.data)
    return keep, ptrs


def launch_tile(kernel: Kernel, abi: KernelAbi, arrays: dict[str, np.ndarray], scalars: dict[str, float] | None = None,
                persistent: bool = True) -> dict[str, np.ndarray]:
    """Run the kernel once on these arrays and scalars; return its written tensors (float64)."""
    scalars = scalars or {}
    shapes = {name: tuple(np.shape(a)) for name, a in arrays.items()}
    abi.check_shapes(shapes)
    buffers: dict[str, DeviceBuffer] = {}
    try:
        for i, a in abi.tensors():
            given = arrays[a["name"]]
            if a["access"] == "write":  # poisoned: an element the kernel never writes stays NaN
                given = np.full(np.shape(given), np.nan)
            host = abi.layout(i, given)
            buffers[a["name"]] = DeviceBuffer(host.nbytes)
            buffers[a["name"]].upload(host)
        for i in abi.zero_before_launch:
            name = abi.args[i]["name"]
            _call("cuMemsetD8", buffers[name].ptr, 0, buffers[name].nbytes, kernel=abi.kernel)
        values = abi.param_values(shapes, {n: b.ptr for n, b in buffers.items()}, scalars)
        keep, ptrs = pack(values, buffers, abi)
        grid = abi.grid(shapes, resident_blocks(kernel, abi) if persistent else None)
        kernel.launch(grid, (abi.threads, 1, 1), abi.smem_bytes, ptrs)
        synchronize(abi.kernel)
        del keep
        out = {}
        for i, a in abi.tensors():
            if a["name"] in abi.outputs():
                stored = np.empty_like(abi.layout(i, arrays[a["name"]]))
                out[a["name"]] = abi.values(i, buffers[a["name"]].download(stored), shapes[a["name"]])
        return out
    finally:
        for b in buffers.values():
            b.free()
