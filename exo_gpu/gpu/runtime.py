"""Run compiled GEMM kernels on a GPU through cuda-python's driver API.

Nothing here needs xDSL or the compiler: a cubin (from `exo_gpu.compiler.compile(...).cubin`)
and a `KernelInfo` that describes it are enough, so this module runs on a machine that only
has numpy and cuda-python.  cuda-python is imported on first use, so importing this module
works without it (and without a GPU); the first driver call then raises `CudaError`.

The kernel ABI (see `exo_gpu.passes.lower_to_ptx`): parameters (tensor map A by value,
tensor map B by value, C pointer, M, N, K); A is M x K row-major, Bt is N x K row-major
(B^T, K contiguous), C is M x N row-major f32 with C[m, n] = sum_k A[m, k] * Bt[n, k]
(C += ... with accumulate_c).  With layout_a = col (an M-major A, f16/bf16) the A buffer
holds A^T row-major (K x M, M contiguous); with layout_b = row (an N-major B) the B buffer
holds B row-major (K x N, N contiguous); their tensor maps then load boxes of 128 bytes of M
(or N) by block_k rows of K.  Grid: 1-D, one block per SM (persistent, the default) or
one per tile (ceil(M / block_m) * ceil(N / block_n)), block
128 * (consumers + 1) threads, `smem_bytes` of dynamic shared memory.  A split-K kernel
(split_k = S > 1) walks tiles * S work units instead (one block per unit without
persistence) and adds its partial sums into C with atomic adds: C must be zero before the
launch (GemmLaunch.launch clears it) unless the kernel accumulates into C.  A cluster kernel
(1x2 or 2x1, `.reqnctapercluster 2, 1, 1` in its cubin) gets whole clusters: tiles are pairs
of blocks and the grid is two blocks per tile or per resident cluster (KernelInfo.grid).

Every driver call goes through `_call`, which raises `CudaError` naming the call, the kernel
and the CUresult.
"""

from __future__ import annotations

import contextlib
import math
import time
import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from exo_gpu.dialects.tma import smem_layout
from exo_gpu.errors import ExoGpuError

# Elements of each dtype: bytes in global memory, and the rel-err threshold of a check.
ELEM_BYTES = {"tf32": 4, "f16": 2, "bf16": 2, "e4m3": 1, "e5m2": 1}
# fp8 inputs are exact in the reference (it multiplies the decoded fp8 values), so only the
# f32 accumulation differs, as for f16/bf16.
TOLERANCE = {"tf32": 1e-3, "f16": 1e-2, "bf16": 1e-2, "e4m3": 1e-2, "e5m2": 1e-2}
# f16 accumulation (accumulator="f16": f16, e4m3, e5m2 inputs) rounds the running sum to f16,
# unit roundoff u = 2^-11, so its error grows with K and a fixed threshold is either too loose
# for small K or fails an honest kernel for large K.  The model: with random-normal inputs a
# partial sum S_k of k products has rms sqrt(k); rounding it to nearest adds an error of rms
# u * sqrt(k / 3); K such errors (at most one per product: the hardware rounds at most that
# often, once per k16/k32 wgmma if it sums an instruction's products exactly) add up to an rms
# of u * sqrt(sum_k k / 3) = u * K / sqrt(6), against |C| ~ sqrt(K): a relative error of
# u * sqrt(K / 6) ~= 0.41 * 2^-11 * sqrt(K), plus the final f16 rounding, u / sqrt(3), which
# is small beside it.  The threshold is 2^-11 * sqrt(K): 2.4x that model at any K (0.0156 at
# K = 1024, 0.031 at K = 4096), and more where the hardware rounds once per instruction.
# The elementwise guard (ELEMENT_FACTOR) scales with it.  Keep K moderate (<= 4096) in
# checks: the threshold is honest, but at K = 16384 an f16 sum keeps only ~6 good bits.
F16_ACC_UNIT_ROUNDOFF = 2.0 ** -11
# Elementwise guard of a check: max |out - ref| <= ELEMENT_FACTOR * threshold * rms(ref).  The
# norm-wise rel err alone can hide a few wrong elements of a large C; rounding spread over
# many elements stays far below this.
ELEMENT_FACTOR = 50
# Rounding C to its element type adds a relative error of about 2^-9 (bf16) or 2^-11 (f16)
# per element: the threshold of a check is at least this.
C_TOLERANCE = {"f32": 0.0, "f16": 1e-3, "bf16": 1e-2}
C_BYTES = {"f32": 4, "f16": 2, "bf16": 2}
SWIZZLE_BYTES = 128  # one row of a box: the 128-byte swizzle span
M_TILE = 64  # rows of one wgmma accumulator tile
HANG_TIMEOUT_S = 20.0  # a launch not finished after this long is reported as a hang


class CudaError(ExoGpuError, RuntimeError):
    """A CUDA driver call failed (or cuda-python / the driver is missing): one line naming the
    call, the kernel where there is one, and the CUresult."""


# -- the driver module, imported lazily ------------------------------------------------------
_cuda: Any = None


def _driver():
    """cuda-python's driver module (cuda.bindings.driver, or cuda.cuda for older releases)."""
    global _cuda
    if _cuda is None:
        try:
            from cuda.bindings import driver as cuda  # cuda-python >= 12.6
        except ImportError:
            try:
                from cuda import cuda  # type: ignore[no-redef]  # older cuda-python
            except ImportError:
                raise CudaError("cuda-python is not installed: pip install cuda-python") from None
        _cuda = cuda
    return _cuda


def _result_name(err) -> str:
    name = getattr(err, "name", None)
    if name:
        return name
    try:
        rc, text = _driver().cuGetErrorName(err)
        return text.decode() if rc == _driver().CUresult.CUDA_SUCCESS else str(err)
    except (RuntimeError, TypeError, ValueError, AttributeError):
        return str(err)


def _result_text(err) -> str:
    try:
        rc, text = _driver().cuGetErrorString(err)
        return text.decode() if rc == _driver().CUresult.CUDA_SUCCESS and text else ""
    except (RuntimeError, TypeError, ValueError, AttributeError):
        return ""


def _call(name: str, *args, kernel: str | None = None):
    """Call driver function `name`; return its outputs (none: None, one: it, more: a tuple);
    raise CudaError on any CUresult but CUDA_SUCCESS."""
    cuda = _driver()
    where = f" (kernel {kernel})" if kernel else ""
    try:
        out = getattr(cuda, name)(*args)
    except CudaError:
        raise
    # No libcuda (cuda.pathfinder's DynamicLibNotFoundError is a RuntimeError), or an argument
    # the binding cannot convert.
    except (RuntimeError, OSError, TypeError, ValueError, OverflowError) as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "driver" in type(e).__name__.lower() or "DynamicLib" in type(e).__name__ or "libcuda" in detail:
            raise CudaError(f"{name}{where}: the NVIDIA driver (libcuda) could not be loaded: {detail}") from None
        raise CudaError(f"{name}{where}: {type(e).__name__}: {detail}") from None
    err, rest = out[0], out[1:]
    if err != cuda.CUresult.CUDA_SUCCESS:
        text = _result_text(err)
        raise CudaError(f"{name} failed{where}: {_result_name(err)}" + (f" ({text})" if text else ""))
    if not rest:
        return None
    return rest[0] if len(rest) == 1 else rest


# -- device and context ----------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceInfo:
    ordinal: int
    name: str
    compute_capability: tuple[int, int]
    sm_count: int
    smem_optin: int  # dynamic shared memory a block may opt into, bytes
    driver_version: int  # cuDriverGetVersion, e.g. 13000

    def line(self) -> str:
        v = self.driver_version
        return (f"{self.name} (sm_{self.compute_capability[0]}{self.compute_capability[1]}, {self.sm_count} SMs, "
                f"smem opt-in {self.smem_optin} B, CUDA driver API {v // 1000}.{(v % 1000) // 10})")


_contexts: dict[int, tuple[Any, DeviceInfo]] = {}


def init(ordinal: int = 0) -> DeviceInfo:
    """Initialise the driver and make device `ordinal`'s primary context current."""
    if ordinal in _contexts:
        ctx, info = _contexts[ordinal]
        _call("cuCtxSetCurrent", ctx)
        return info
    cuda = _driver()
    _call("cuInit", 0)
    dev = _call("cuDeviceGet", ordinal)
    ctx = _call("cuDevicePrimaryCtxRetain", dev)
    _call("cuCtxSetCurrent", ctx)
    attr = cuda.CUdevice_attribute

    def get(a):
        return int(_call("cuDeviceGetAttribute", a, dev))

    name = _call("cuDeviceGetName", 256, dev)
    name = name.split(b"\0", 1)[0].decode() if isinstance(name, (bytes, bytearray)) else str(name)
    info = DeviceInfo(
        ordinal=ordinal, name=name,
        compute_capability=(get(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                            get(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)),
        sm_count=get(attr.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        smem_optin=get(attr.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
        driver_version=int(_call("cuDriverGetVersion")))
    _contexts[ordinal] = (ctx, info)
    return info


def synchronize(kernel: str | None = None, timeout_s: float = HANG_TIMEOUT_S) -> None:
    """Wait for all work on the context; a kernel still running after `timeout_s` is a hang
    (a deadlocked pipeline never returns): raise CudaError rather than wait forever."""
    cuda = _driver()
    deadline = time.monotonic() + timeout_s
    while True:
        err, = cuda.cuStreamQuery(cuda.CUstream(0))
        if err == cuda.CUresult.CUDA_SUCCESS:
            break
        if err != cuda.CUresult.CUDA_ERROR_NOT_READY:
            where = f" (kernel {kernel})" if kernel else ""
            raise CudaError(f"cuStreamQuery failed{where}: {_result_name(err)} ({_result_text(err)})")
        if time.monotonic() > deadline:
            raise CudaError(f"kernel {kernel or '?'} did not finish within {timeout_s:.0f} s: "
                            "a hang (deadlocked mbarrier pipeline?); the context is unusable now")
        time.sleep(0.0005)
    _call("cuCtxSynchronize", kernel=kernel)


def as_stream(stream=None):
    """A CUstream from None (the legacy default stream), an int handle (e.g. torch's
    `torch.cuda.current_stream().cuda_stream`), or a CUstream (returned as is)."""
    cuda = _driver()
    if stream is None:
        return cuda.CUstream(0)
    if isinstance(stream, int):
        return cuda.CUstream(stream)
    return stream


# -- device memory ---------------------------------------------------------------------------
class DeviceBuffer:
    """`nbytes` of device memory (cuMemAlloc), freed by `free()` or on garbage collection."""

    def __init__(self, nbytes: int):
        self.nbytes = max(int(nbytes), 1)
        self.ptr = int(_call("cuMemAlloc", self.nbytes))

    def upload(self, host: np.ndarray) -> None:
        host = np.ascontiguousarray(host)
        if host.nbytes > self.nbytes:
            raise CudaError(f"cuMemcpyHtoD: {host.nbytes} bytes do not fit a {self.nbytes}-byte buffer")
        _call("cuMemcpyHtoD", self.ptr, host.ctypes.data, host.nbytes)

    def download(self, host: np.ndarray) -> np.ndarray:
        if not host.flags.c_contiguous or host.nbytes > self.nbytes:
            raise CudaError("cuMemcpyDtoH: destination must be C-contiguous and fit the buffer")
        _call("cuMemcpyDtoH", host.ctypes.data, self.ptr, host.nbytes)
        return host

    def free(self) -> None:
        if self.ptr:
            ptr, self.ptr = self.ptr, 0
            _call("cuMemFree", ptr)

    def __del__(self):
        with contextlib.suppress(CudaError):
            self.free()


# -- kernels ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class KernelInfo:
    """What the host must know of a compiled GEMM kernel (the manifest entry of a cubin)."""

    name: str
    dtype: str
    wgmma_n: int
    tiles_per_warpgroup: int
    consumers: int
    stages: int
    smem_bytes: int
    wait_depth: int = 1
    accumulate_c: bool = False
    cluster: int = 1  # blocks per cluster along N (A multicast)
    schedule: str = "cooperative"  # or pingpong: the consumers take whole tiles in turn
    c_dtype: str = "f32"  # C's element type in memory: f32, bf16 or f16
    split_k: int = 1  # K ranges per output tile, added into C atomically (split-K)
    a_in_registers: bool = False  # RS wgmma (A fragments in registers); same launch and shared memory
    cluster_m: int = 1  # blocks per cluster along M (B multicast); not with cluster > 1
    layout_a: str = "row"  # A (M x K) in global memory: row (K-major) or col (M-major)
    layout_b: str = "col"  # B (K x N) in global memory: col (K-major) or row (N-major)
    accumulator: str = "f32"  # wgmma accumulator: f32, or f16 (C is written as c_dtype either way)
    extra: dict = field(default_factory=dict, compare=False)  # registers, ptxas, ... (reporting only)

    @classmethod
    def for_gemm(cls, name: str, dtype: str, wgmma_n: int, tiles_per_warpgroup: int, consumers: int,
                 stages: int, **options) -> KernelInfo:
        """The info of `exo_gpu.compiler.gemm(...)` with these arguments (smem recomputed as
        warpgroup.kernel.smem_bytes does).  `options` are KernelInfo fields (wait_depth,
        cluster, schedule, c_dtype, split_k, ...); anything else goes to `extra` (reporting)."""
        names = set(cls.__dataclass_fields__) - {"name", "dtype", "wgmma_n", "tiles_per_warpgroup", "consumers",
                                                  "stages", "smem_bytes", "extra"}
        known = {k: v for k, v in options.items() if k in names}
        extra = {k: v for k, v in options.items() if k not in names}
        info = cls(name, dtype, wgmma_n, tiles_per_warpgroup, consumers, stages, 0, extra=extra, **known)
        a_slot, b_slot = info.block_m * SWIZZLE_BYTES, wgmma_n * SWIZZLE_BYTES
        slots = ([("a", stages, a_slot), ("b", stages, b_slot)] if extra.get("rings") == "per_operand"
                 else [("ab", stages, a_slot + b_slot)])
        return dataclasses.replace(info, smem_bytes=smem_layout(slots)[1])

    @classmethod
    def from_abi(cls, abi: dict) -> KernelInfo:
        """The GEMM view of a kernel ABI recorded by `schedule` (exo_gpu.passes.gemm_plan):
        every launch fact (shared memory, block shape, cluster, split-K, operand layouts and
        element types) read from the IR, none recomputed."""
        a, b, c = abi["args"][:3]
        grid, sched = abi["grid"], abi["schedule"]
        block_m, block_n = grid["block"]
        owners = 1 if sched["kind"] == "pingpong" else sched["consumers"]
        cluster_m, cluster_n = grid["cluster_tiles"]
        rank = a["rank"]
        return cls(abi["kernel"], abi["params"][0]["dtype"], block_n, block_m // (M_TILE * owners),
                   sched["consumers"], sched["stages"], abi["smem_bytes"], sched["wait_depth"],
                   accumulate_c=c["access"] == "readwrite" and not abi["zero_before_launch"],
                   cluster=cluster_n, schedule=sched["kind"], c_dtype=c["element"], split_k=grid["split_k"],
                   a_in_registers=bool(sched["a_in_registers"]), cluster_m=cluster_m,
                   layout_a="row" if a["contiguous"] == rank - 1 else "col",
                   layout_b="col" if b["contiguous"] == rank - 2 else "row",
                   accumulator=sched["accumulator"], extra={"rings": sched["rings"]})

    @classmethod
    def from_dict(cls, d: dict) -> KernelInfo:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        return cls(**{k: v for k, v in d.items() if k in known},
                   extra={k: v for k, v in d.items() if k not in known})

    def to_dict(self) -> dict:
        d = asdict(self)
        extra = d.pop("extra")
        return {**d, **extra}

    @property
    def elem_bytes(self) -> int:
        return ELEM_BYTES[self.dtype]

    @property
    def block_m(self) -> int:
        return M_TILE * self.tiles_per_warpgroup * (self.consumers if self.schedule == "cooperative" else 1)

    @property
    def block_n(self) -> int:
        return self.wgmma_n

    @property
    def block_k(self) -> int:
        return SWIZZLE_BYTES // self.elem_bytes

    @property
    def threads(self) -> int:
        return 128 * (self.consumers + 1)

    @property
    def cluster_blocks(self) -> int:
        """Blocks per cluster (the launch's cluster dimension, x only: the grid is 1-D)."""
        return self.cluster * self.cluster_m

    @property
    def a_box_rows(self) -> int:
        # one box per consumer warpgroup; in a cluster each block loads its share of it
        return M_TILE * self.tiles_per_warpgroup // self.cluster

    @property
    def a_mn_major(self) -> bool:
        return self.layout_a == "col"

    @property
    def b_mn_major(self) -> bool:
        return self.layout_b == "row"

    def tensor_maps(self, m: int, n: int, k: int) -> dict[str, dict]:
        """encode_tensor_map's arguments (after ptr and dtype) for A and B of an M x N x K
        problem.  K-major: rows x K with boxes of block_k x box_rows.  MN-major: K rows of M
        (N) elements with boxes of one 128-byte atom (block_k // cluster rows of K for a
        multicast A: each block of the pair loads half the rows of K)."""
        atom = SWIZZLE_BYTES // self.elem_bytes
        a = (dict(rows=m, k=k, box_rows=atom, major="mn", box_k=self.block_k // self.cluster) if self.a_mn_major
             else dict(rows=m, k=k, box_rows=self.a_box_rows))
        b = (dict(rows=n, k=k, box_rows=atom, major="mn", box_k=self.block_k) if self.b_mn_major
             else dict(rows=n, k=k, box_rows=self.b_box_rows))
        return {"A": a, "B": b}

    def device_operands(self, a: np.ndarray, bt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The logical A (M x K) and Bt (N x K) as the kernel's buffers hold them: A row-major
        (layout_a = row) or A^T row-major (col); Bt row-major, i.e. B column-major (layout_b
        = col), or B = Bt^T row-major (row).  Storage conversion is left to to_storage."""
        a_dev = np.ascontiguousarray(a.T) if self.a_mn_major else a
        b_dev = np.ascontiguousarray(bt.T) if self.b_mn_major else bt
        return a_dev, b_dev

    @property
    def b_box_rows(self) -> int:
        # one box per block; in a 2x1 cluster each block loads its half of it
        return self.block_n // self.cluster_m

    def tiles(self, m: int, n: int) -> int:
        """Tiles the kernel walks: blocks, or with a cluster, clusters' pairs of blocks
        (along N for 1x2, along M for 2x1)."""
        return math.ceil(n / (self.block_n * self.cluster)) * math.ceil(m / (self.block_m * self.cluster_m))

    def work_units(self, m: int, n: int) -> int:
        """Work units of the launch: tiles x split_k (a split-K kernel runs min(split_k,
        ceil(K / block_k)) splits of each tile; units beyond them end at once)."""
        return self.tiles(m, n) * self.split_k

    def grid(self, m: int, n: int, max_blocks: int | None = None) -> tuple[int, int, int]:
        """1-D: the kernel walks work units (tiles, or tiles x splits with split-K) block (or
        cluster) index, + grid size, ... (its tile_loop) and maps each to an (m, n) block
        itself (its raster).  `max_blocks` caps the grid: as many as can be resident makes
        the kernel persistent; None gives one block (cluster) per work unit.  Always a
        multiple of the cluster size."""
        tiles = self.work_units(m, n)
        if max_blocks:
            tiles = min(tiles, max(1, max_blocks // self.cluster_blocks))
        return (tiles * self.cluster_blocks, 1, 1)

    def label(self) -> str:
        return (f"{self.dtype} n{self.wgmma_n} T{self.tiles_per_warpgroup} C{self.consumers} "
                f"s{self.stages} w{self.wait_depth}" + (f" x{self.cluster}" if self.cluster > 1 else "")
                + (f" {self.cluster_m}x{self.cluster}" if self.cluster_m > 1 else "")
                + (" pp" if self.schedule == "pingpong" else "") + (f" k{self.split_k}" if self.split_k > 1 else "")
                + (" rs" if self.a_in_registers else "")
                + (" +C" if self.accumulate_c else "") + (f" C:{self.c_dtype}" if self.c_dtype != "f32" else "")
                + (" A:col" if self.a_mn_major else "") + (" B:row" if self.b_mn_major else "")
                + (f" acc{self.accumulator}" if self.accumulator != "f32" else ""))

    def threshold(self, k: int) -> float:
        """The relative error a check of a K-deep product allows: the input type's (or f16
        accumulation's, which grows with K), or C's rounding if larger."""
        return max(tolerance(self.dtype, self.accumulator, k), C_TOLERANCE[self.c_dtype])


class Kernel:
    """A loaded kernel: its module, function handle and (for GEMMs) its KernelInfo."""

    def __init__(self, name: str, module, function, info: KernelInfo | None):
        self.name, self.module, self.function, self.info = name, module, function, info
        self.registers = int(_call("cuFuncGetAttribute",
                                   _driver().CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, function, kernel=name))

    def set_dynamic_smem(self, nbytes: int) -> None:
        dev = init()
        if nbytes > dev.smem_optin:
            raise CudaError(f"cuFuncSetAttribute (kernel {self.name}): {nbytes} bytes of dynamic shared memory "
                            f"exceed the device's opt-in limit of {dev.smem_optin}")
        _call("cuFuncSetAttribute", self.function,
              _driver().CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, nbytes,
              kernel=self.name)

    def resident_blocks(self) -> int:
        """How many blocks of this kernel the device runs at once (a persistent grid): blocks
        per SM by the occupancy calculator times the SMs, and with a cluster, the clusters
        that fit (a GPC with an odd number of free SMs leaves one idle)."""
        info = self.info
        assert info is not None
        cuda = _driver()
        per_sm = int(_call("cuOccupancyMaxActiveBlocksPerMultiprocessor", self.function, info.threads,
                           info.smem_bytes, kernel=self.name))
        blocks = max(1, per_sm) * init().sm_count
        if info.cluster_blocks > 1:
            config = cuda.CUlaunchConfig()
            config.gridDimX, config.gridDimY, config.gridDimZ = info.cluster_blocks * blocks, 1, 1
            config.blockDimX, config.blockDimY, config.blockDimZ = info.threads, 1, 1
            config.sharedMemBytes = info.smem_bytes
            clusters = int(_call("cuOccupancyMaxActiveClusters", self.function, config, kernel=self.name))
            blocks = min(blocks, max(1, clusters) * info.cluster_blocks)
        return blocks

    def launch(self, grid, block, smem: int, param_ptrs: list[int], stream=None) -> None:
        """cuLaunchKernel with kernelParams = an array of pointers to each argument's bytes."""
        params = np.array(param_ptrs, dtype=np.uint64)
        _call("cuLaunchKernel", self.function, *grid, *block, smem, as_stream(stream), params.ctypes.data, 0,
              kernel=self.name)

    def unload(self) -> None:
        if self.module is not None:
            module, self.module = self.module, None
            _call("cuModuleUnload", module, kernel=self.name)


def load(cubin: bytes, kernel_name: str | None = None, info: KernelInfo | None = None) -> Kernel:
    """Load `cubin` into the current device's primary context and look up `kernel_name`
    (default: info.name).  With `info`, also set the dynamic shared-memory limit."""
    init()
    name = kernel_name or (info.name if info else None)
    if not name:
        raise CudaError("load: name the kernel (kernel_name or info)")
    module = _call("cuModuleLoadData", bytes(cubin), kernel=name)
    function = _call("cuModuleGetFunction", module, name.encode(), kernel=name)
    kernel = Kernel(name, module, function, info)
    if info is not None:
        kernel.set_dynamic_smem(info.smem_bytes)
    return kernel


# -- tensor maps -----------------------------------------------------------------------------
def _tma_dtype(dtype: str, tf32_map: str = "tfloat32"):
    t = _driver().CUtensorMapDataType
    if dtype == "tf32" and tf32_map not in ("float32", "tfloat32"):
        raise CudaError(f"tf32_map must be 'float32' or 'tfloat32', got '{tf32_map}'")
    return {"tf32": t.CU_TENSOR_MAP_DATA_TYPE_TFLOAT32 if tf32_map == "tfloat32" else t.CU_TENSOR_MAP_DATA_TYPE_FLOAT32,
            "f16": t.CU_TENSOR_MAP_DATA_TYPE_FLOAT16, "bf16": t.CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
            "e4m3": t.CU_TENSOR_MAP_DATA_TYPE_UINT8, "e5m2": t.CU_TENSOR_MAP_DATA_TYPE_UINT8}[dtype]


def tensor_map_geometry(dtype: str, rows: int, k: int, box_rows: int, major: str = "k",
                        box_k: int | None = None, kernel: str | None = None) -> tuple[list[int], list[int], list[int]]:
    """(global dims, global row stride in bytes, box dims), innermost first, of the tensor map
    of an operand with `rows` rows (M or N) and K columns.  K-major: a rows x K row-major
    matrix, boxes of (128 / elem_bytes) K x box_rows.  MN-major (major = "mn"): a K x rows
    row-major matrix, boxes of box_rows (= 128 / elem_bytes, one swizzle atom) x box_k rows
    of K.  Raises CudaError for a row that is not a multiple of 16 bytes (TMA)."""
    eb = ELEM_BYTES[dtype]
    atom = SWIZZLE_BYTES // eb
    if major not in ("k", "mn"):
        raise CudaError(f"tensor map (kernel {kernel}): major must be 'k' or 'mn', got '{major}'")
    if major == "k":
        if (k * eb) % 16:
            raise CudaError(f"cuTensorMapEncodeTiled (kernel {kernel}): a row of K = {k} {dtype} elements is "
                            f"{k * eb} bytes, not a multiple of 16")
        return [k, rows], [k * eb], [atom, box_rows]
    if (rows * eb) % 16:
        raise CudaError(f"cuTensorMapEncodeTiled (kernel {kernel}): an MN-major row of {rows} {dtype} elements is "
                        f"{rows * eb} bytes, not a multiple of 16")
    if box_rows != atom:
        raise CudaError(f"tensor map (kernel {kernel}): an MN-major box is one 128-byte atom ({atom} {dtype} "
                        f"elements) wide, got {box_rows}")
    return [rows, k], [rows * eb], [box_rows, atom if box_k is None else box_k]


def encode_tensor_map(ptr: int, dtype: str, rows: int, k: int, box_rows: int, kernel: str | None = None,
                      l2_promotion: bool = True, tf32_map: str = "tfloat32", major: str = "k",
                      box_k: int | None = None):
    """A 2-D tiled tensor map over a rows x k row-major matrix (k contiguous) at `ptr`:
    boxes of box_rows x (128 / elem_bytes) elements, 128-byte swizzle, zero fill out of bounds.
    With major = "mn", over a k x rows row-major matrix (rows contiguous: A^T of an M-major A,
    B of an N-major B) with boxes of box_k rows of 128 bytes (see tensor_map_geometry).
    tf32 data is encoded TFLOAT32 by default: the copy engine rounds each float32 to tf32
    (rel err ~3e-4 on random data); tf32_map="float32" copies the bits and the tensor cores
    then drop the low 13 mantissa bits (truncation, ~8e-4)."""
    dims, strides, box = tensor_map_geometry(dtype, rows, k, box_rows, major, box_k, kernel)
    cuda = _driver()
    u64, u32 = cuda.cuuint64_t, cuda.cuuint32_t
    l2 = cuda.CUtensorMapL2promotion
    return _call(
        "cuTensorMapEncodeTiled", _tma_dtype(dtype, tf32_map), 2, ptr,
        [u64(d) for d in dims], [u64(st) for st in strides], [u32(b) for b in box], [u32(1), u32(1)],
        cuda.CUtensorMapInterleave.CU_TENSOR_MAP_INTERLEAVE_NONE,
        cuda.CUtensorMapSwizzle.CU_TENSOR_MAP_SWIZZLE_128B,
        l2.CU_TENSOR_MAP_L2_PROMOTION_L2_128B if l2_promotion else l2.CU_TENSOR_MAP_L2_PROMOTION_NONE,
        cuda.CUtensorMapFloatOOBfill.CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE,
        kernel=kernel)


# -- host-side data --------------------------------------------------------------------------
def bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even."""
    f = np.ascontiguousarray(x, dtype=np.float32)
    u = f.view(np.uint32)
    rounded = u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))
    bits = (rounded >> np.uint32(16)).astype(np.uint16)
    # A NaN whose payload sits in the low 16 bits would round to +-Inf (or carry into the
    # sign): keep every NaN a quiet NaN of its sign.
    nan = np.isnan(f)
    if nan.any():
        bits[nan] = ((u[nan] >> np.uint32(16)) & np.uint32(0x8000)).astype(np.uint16) | np.uint16(0x7FC0)
    return bits


def bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def c_storage(x: np.ndarray, c_dtype: str) -> np.ndarray:
    """float values -> C's storage: float32, or bf16/f16 bit patterns (uint16), rounded to
    nearest even; NaN stays NaN."""
    if c_dtype == "f32":
        return np.ascontiguousarray(x, dtype=np.float32)
    if c_dtype == "bf16":
        return bf16_bits(x)
    return np.ascontiguousarray(x, dtype=np.float32).astype(np.float16).view(np.uint16)


def c_values(stored: np.ndarray, c_dtype: str) -> np.ndarray:
    """C's storage -> float32 values (exact)."""
    if c_dtype == "f32":
        return stored
    if c_dtype == "bf16":
        return bf16_to_f32(stored)
    return np.asarray(stored, dtype=np.uint16).view(np.float16).astype(np.float32)


def _fp8_values(dtype: str) -> np.ndarray:
    """The float64 value of each of the 256 codes of an fp8 format (NaN codes as NaN)."""
    exp_bits, mant_bits, bias = (4, 3, 7) if dtype == "e4m3" else (5, 2, 15)
    codes = np.arange(256)
    sign = np.where(codes & 0x80, -1.0, 1.0)
    exp = (codes >> mant_bits) & ((1 << exp_bits) - 1)
    mant = codes & ((1 << mant_bits) - 1)
    normal = (1 + mant / (1 << mant_bits)) * np.exp2(exp - bias)
    subnormal = mant / (1 << mant_bits) * 2.0 ** (1 - bias)
    values = sign * np.where(exp == 0, subnormal, normal)
    top = (1 << exp_bits) - 1
    if dtype == "e4m3":  # e4m3fn: no infinities; S.1111.111 is NaN
        values[(exp == top) & (mant == (1 << mant_bits) - 1)] = np.nan
    else:  # e5m2: IEEE-like, S.11111.00 is infinity, other top-exponent codes NaN
        values[(exp == top) & (mant != 0)] = np.nan
        values[(exp == top) & (mant == 0)] = sign[(exp == top) & (mant == 0)] * np.inf
    return values


def fp8_bits(x: np.ndarray, dtype: str) -> np.ndarray:
    """float -> fp8 codes (uint8): the nearest finite value, saturating at the largest."""
    values = _fp8_values(dtype)
    finite = [c for c in range(128) if np.isfinite(values[c])]  # the non-negative codes, ascending
    magnitudes = values[finite]
    a = np.abs(np.asarray(x, dtype=np.float64))
    i = np.clip(np.searchsorted(magnitudes, a), 1, len(finite) - 1)
    nearer_low = (a - magnitudes[i - 1]) <= (magnitudes[i] - a)
    codes = np.asarray(finite, dtype=np.uint8)[np.where(nearer_low, i - 1, i)]
    codes = np.where(a >= magnitudes[-1], np.uint8(finite[-1]), codes)
    return (codes | np.where(np.signbit(x), np.uint8(0x80), np.uint8(0))).astype(np.uint8)


def to_storage(x: np.ndarray, dtype: str) -> np.ndarray:
    """The array the kernel reads: float32 (tf32), float16, bf16 bits as uint16, or fp8 codes
    as uint8.  A uint16 array given for bf16, or a uint8 one for fp8, is taken as bits already."""
    if dtype in ("e4m3", "e5m2"):
        return np.ascontiguousarray(x) if x.dtype == np.uint8 else fp8_bits(x, dtype)
    if dtype == "tf32":
        return np.ascontiguousarray(x, dtype=np.float32)
    if dtype == "f16":
        return np.ascontiguousarray(x, dtype=np.float16)
    if dtype == "bf16":
        return np.ascontiguousarray(x) if x.dtype == np.uint16 else bf16_bits(x)
    raise CudaError(f"unknown dtype '{dtype}': choose one of {', '.join(ELEM_BYTES)}")


def tf32_truncate(x: np.ndarray) -> np.ndarray:
    """float32 with the low 13 mantissa bits cleared: what tf32 truncation keeps."""
    return (np.ascontiguousarray(x, dtype=np.float32).view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)


def storage_values(x: np.ndarray, dtype: str) -> np.ndarray:
    """The float64 values of a storage array (what the reference multiplies)."""
    if dtype == "bf16" and x.dtype == np.uint16:
        return bf16_to_f32(x).astype(np.float64)
    if dtype in ("e4m3", "e5m2") and x.dtype == np.uint8:
        return _fp8_values(dtype)[x]
    return x.astype(np.float64)


# -- GEMM launches ---------------------------------------------------------------------------
def _as_kernel(kernel) -> Kernel:
    if isinstance(kernel, Kernel):
        if kernel.info is None:
            raise CudaError(f"kernel {kernel.name}: loaded without a KernelInfo; pass info= to load()")
        return kernel
    raise CudaError(f"expected a loaded Kernel (exo_gpu.gpu.runtime.load(cubin, info=...)), got {type(kernel).__name__}")


class _External:
    """Device memory owned by someone else (a torch tensor, say): a pointer, never freed here."""

    def __init__(self, ptr: int, nbytes: int):
        self.ptr, self.nbytes = int(ptr), int(nbytes)

    def free(self) -> None:
        pass


class GemmLaunch:
    """Device buffers and tensor maps of one M x N x K problem for one kernel; `launch()`
    runs the kernel once (asynchronously) on what the buffers hold.

    By default A, Bt and C are allocated here (and freed by `free()`); pass `a_ptr`, `b_ptr`
    and `c_ptr` (device addresses, e.g. torch tensors' `data_ptr()`: A M x K and Bt N x K in
    the kernel's storage type, C M x N float32, all row-major and contiguous; A^T K x M for
    layout_a = col, B K x N for layout_b = row) to run on memory that the caller owns and
    keeps alive."""

    def __init__(self, kernel: Kernel, m: int, n: int, k: int, tf32_map: str = "tfloat32",
                 a_ptr: int | None = None, b_ptr: int | None = None, c_ptr: int | None = None,
                 persistent: bool = True):
        self.kernel = _as_kernel(kernel)
        info = self.kernel.info
        assert info is not None
        self.m, self.n, self.k = m, n, k
        # Persistent: one block per SM (a block's ring fills most of an SM's shared memory),
        # each walking several tiles; otherwise one block per tile.
        self.persistent = persistent
        eb = info.elem_bytes
        if min(m, n, k) < 1:  # the kernel's peeled K block 0 waits for a load that K = 0 never issues
            raise CudaError(f"kernel {info.name}: M, N and K must be at least 1, got {m} x {n} x {k}")
        if (k * eb) % 16 and not (info.a_mn_major and info.b_mn_major):
            raise CudaError(f"kernel {info.name}: K = {k} gives {k * eb}-byte rows; TMA needs a multiple of 16 "
                            f"(K a multiple of {16 // eb} for {info.dtype})")
        for what, size, mn in (("M", m, info.a_mn_major), ("N", n, info.b_mn_major)):
            if mn and (size * eb) % 16:
                raise CudaError(f"kernel {info.name}: {what} = {size} gives {size * eb}-byte rows of the "
                                f"{'M' if what == 'M' else 'N'}-major operand; TMA needs a multiple of 16 "
                                f"({what} a multiple of {16 // eb} for {info.dtype})")
        given = [p is not None for p in (a_ptr, b_ptr, c_ptr)]
        if any(given) and not all(given):
            raise CudaError(f"kernel {info.name}: pass all of a_ptr, b_ptr and c_ptr, or none")
        if all(given):
            for what, p in (("a_ptr", a_ptr), ("b_ptr", b_ptr)):
                if int(p) % 16:  # cuTensorMapEncodeTiled needs a 16-byte aligned global address
                    raise CudaError(f"kernel {info.name}: {what} = {int(p):#x} is not 16-byte aligned (TMA)")
            if int(c_ptr) % 8:  # the interior epilogue stores float2
                raise CudaError(f"kernel {info.name}: c_ptr = {int(c_ptr):#x} is not 8-byte aligned")
            self.a: DeviceBuffer | _External = _External(a_ptr, m * k * eb)
            self.b: DeviceBuffer | _External = _External(b_ptr, n * k * eb)
            self.c: DeviceBuffer | _External = _External(c_ptr, m * n * C_BYTES[info.c_dtype])
        else:
            self.a = DeviceBuffer(m * k * eb)
            self.b = DeviceBuffer(n * k * eb)
            self.c = DeviceBuffer(m * n * C_BYTES[info.c_dtype])
        maps = info.tensor_maps(m, n, k)
        self.tmap_a = encode_tensor_map(self.a.ptr, info.dtype, kernel=info.name, tf32_map=tf32_map, **maps["A"])
        self.tmap_b = encode_tensor_map(self.b.ptr, info.dtype, kernel=info.name, tf32_map=tf32_map, **maps["B"])
        # Argument storage: kept alive on self so the pointers stay valid.
        self._c_arg = np.array([self.c.ptr], dtype=np.uint64)
        self._mnk = [np.array([v], dtype=np.uint32) for v in (m, n, k)]
        self._ptrs = [int(self.tmap_a.getPtr()), int(self.tmap_b.getPtr()), self._c_arg.ctypes.data,
                      *(a.ctypes.data for a in self._mnk)]

    def upload(self, a: np.ndarray, bt: np.ndarray, c: np.ndarray | None = None) -> None:
        info = self.kernel.info
        assert info is not None
        if isinstance(self.a, _External):
            raise CudaError(f"kernel {info.name}: this launch runs on caller-owned memory; write it there")
        if a.shape != (self.m, self.k) or bt.shape != (self.n, self.k):
            raise CudaError(f"kernel {info.name}: A must be {self.m}x{self.k} and Bt {self.n}x{self.k}, "
                            f"got {a.shape} and {bt.shape}")
        a_dev, b_dev = info.device_operands(a, bt)  # in the kernel's layouts
        self.a.upload(to_storage(a_dev, info.dtype))
        self.b.upload(to_storage(b_dev, info.dtype))
        if c is not None:
            self.c.upload(c_storage(c, info.c_dtype))

    def launch(self, stream=None) -> None:
        """Enqueue the kernel on `stream` (None: the legacy default stream; an int handle such
        as torch.cuda.current_stream().cuda_stream; or a CUstream).  Asynchronous."""
        info = self.kernel.info
        assert info is not None
        max_blocks = self.kernel.resident_blocks() if self.persistent else None
        if info.split_k > 1 and not info.accumulate_c:  # split-K adds its partial sums into C
            _call("cuMemsetD32Async", self.c.ptr, 0, self.m * self.n, as_stream(stream), kernel=info.name)
        self.kernel.launch(info.grid(self.m, self.n, max_blocks), (info.threads, 1, 1), info.smem_bytes,
                           self._ptrs, stream)

    def result(self) -> np.ndarray:
        """C as float32 values (a bf16 or f16 C widened exactly)."""
        if isinstance(self.c, _External):
            raise CudaError(f"kernel {self.kernel.name}: C is caller-owned memory; read it there")
        c_dtype = self.kernel.info.c_dtype  # type: ignore[union-attr]
        stored = np.empty((self.m, self.n), dtype=np.float32 if c_dtype == "f32" else np.uint16)
        return c_values(self.c.download(stored), c_dtype)

    def free(self) -> None:
        for b in (self.a, self.b, self.c):
            b.free()


def run_gemm(kernel: Kernel, A: np.ndarray, Bt: np.ndarray, C: np.ndarray | None = None, *,
             tf32_map: str = "tfloat32") -> np.ndarray:
    """C = A @ Bt.T on the GPU (C + A @ Bt.T for an accumulate_c kernel, C required), as an
    M x N float32 array.  The output is poisoned with NaN first (unless accumulating), so an
    element the kernel never writes stays NaN; a split-K kernel's launch zeroes C after the
    poison (its atomic adds need a zero start), so there only a missing clear shows as NaN:
    check_inputs' coverage run finds the unwritten elements instead."""
    kernel = _as_kernel(kernel)
    info = kernel.info
    assert info is not None
    m, k = A.shape
    n = Bt.shape[0]
    if info.accumulate_c and C is None:
        raise CudaError(f"kernel {info.name} accumulates into C: pass C")
    c0 = C if info.accumulate_c else np.full((m, n), np.nan, dtype=np.float32)
    launch = GemmLaunch(kernel, m, n, k, tf32_map=tf32_map)
    try:
        launch.upload(A, Bt, c0)
        launch.launch()
        synchronize(info.name)
        return launch.result()
    finally:
        launch.free()


@dataclass
class CheckResult:
    kernel: str
    label: str
    m: int
    n: int
    k: int
    rel_err: float
    threshold: float
    unwritten: int  # NaN elements left in the output (poisoned, never written, or NaN results)
    max_abs_err: float
    max_err_rms: float  # max |out - ref| / rms(ref): a few wrong elements show here
    passed: bool
    rel_err_exact_inputs: float | None = None  # tf32: against a reference on tf32-truncated inputs
    uncovered: int | None = None  # split-K: elements of the all-ones run not exactly K (None: not run)

    def line(self) -> str:
        status = "ok" if self.passed else "FAIL"
        exact = f"  trunc-ref {self.rel_err_exact_inputs:.1e}" if self.rel_err_exact_inputs is not None else ""
        cover = f"  uncovered {self.uncovered:d}" if self.uncovered is not None else ""
        return (f"{self.label:28s} {self.m:5d} {self.n:5d} {self.k:5d}  rel_err {self.rel_err:.3e} "
                f"(<= {self.threshold:.0e})  max/rms {self.max_err_rms:.1e}  nan {self.unwritten:d}{exact}{cover}  {status}")


def tolerance(dtype: str, accumulator: str = "f32", k: int = 1) -> float:
    """The rel-err threshold of a check: TOLERANCE[dtype] for f32 accumulation, and for f16
    accumulation 2^-11 * sqrt(K), from the error model next to F16_ACC_UNIT_ROUNDOFF."""
    if accumulator == "f16":
        return F16_ACC_UNIT_ROUNDOFF * math.sqrt(max(int(k), 1))
    return TOLERANCE[dtype]


def reference(A: np.ndarray, Bt: np.ndarray, dtype: str, C: np.ndarray | None = None) -> np.ndarray:
    """float64 reference of what the kernel computes from these (storage) arrays."""
    ref = storage_values(A, dtype) @ storage_values(Bt, dtype).T
    return ref + C.astype(np.float64) if C is not None else ref


def compare(out: np.ndarray, ref: np.ndarray, threshold: float) -> tuple[float, int, float, float, bool]:
    """(rel err, NaN count, max abs err, max abs err / rms(ref), passed): passed needs no NaN,
    rel err <= threshold and max abs err <= ELEMENT_FACTOR * threshold * rms(ref)."""
    nans = int(np.count_nonzero(np.isnan(out)))
    diff = out.astype(np.float64) - ref
    norm_ref = float(np.linalg.norm(ref))
    rel = float(np.linalg.norm(diff)) / norm_ref if norm_ref else float(np.linalg.norm(diff))
    max_abs = float(np.nanmax(np.abs(diff))) if diff.size and nans < diff.size else float("nan")
    rms = norm_ref / math.sqrt(ref.size) if ref.size else 0.0
    max_rms = max_abs / rms if rms else max_abs
    passed = (nans == 0 and math.isfinite(rel) and rel <= threshold and math.isfinite(max_rms)
              and max_rms <= ELEMENT_FACTOR * threshold)
    return (rel if math.isfinite(rel) else float("nan")), nans, max_abs, max_rms, passed


def check_gemm(kernel: Kernel, m: int, n: int, k: int, rng: np.random.Generator | None = None,
               threshold: float | None = None, tf32_map: str = "tfloat32") -> CheckResult:
    """Run the kernel on fresh random-normal inputs of this size and compare with a float64
    reference: ||out - ref|| / ||ref|| against the dtype's threshold (1e-3 tf32, 1e-2 for
    f16/bf16; 2^-11 * sqrt(K) with an f16 accumulator, see `tolerance`); any NaN (an unwritten element) fails, and so does one element off by more than
    ELEMENT_FACTOR * threshold * rms(ref).  For tf32 the error against a reference on
    tf32-truncated inputs is reported too (accumulation error only, when the hardware truncates).
    A split-K kernel is also run on all-ones inputs (`coverage`): every element must be
    exactly K, which catches what the zeroed C hides from the NaN poison.
    A and Bt are drawn as the logical M x K and N x K matrices; the upload stores them in the
    kernel's layouts (KernelInfo.device_operands), and the reference multiplies the logical ones."""
    kernel = _as_kernel(kernel)
    info = kernel.info
    assert info is not None
    rng = rng if rng is not None else np.random.default_rng()
    A = to_storage(rng.standard_normal((m, k), dtype=np.float32), info.dtype)
    Bt = to_storage(rng.standard_normal((n, k), dtype=np.float32), info.dtype)
    C = rng.standard_normal((m, n), dtype=np.float32) if info.accumulate_c else None
    if C is not None:  # what a bf16/f16 C can hold, so the reference adds what the kernel reads
        C = c_values(c_storage(C, info.c_dtype), info.c_dtype)
    return check_inputs(kernel, A, Bt, C, threshold, tf32_map)


def check_inputs(kernel: Kernel, A: np.ndarray, Bt: np.ndarray, C: np.ndarray | None = None,
                 threshold: float | None = None, tf32_map: str = "tfloat32") -> CheckResult:
    """Run the kernel on these inputs (storage arrays: A M x K, Bt N x K) and compare with the
    float64 reference, as check_gemm does."""
    kernel = _as_kernel(kernel)
    info = kernel.info
    assert info is not None
    (m, k), n = A.shape, Bt.shape[0]
    out = run_gemm(kernel, A, Bt, C, tf32_map=tf32_map)
    ref = reference(A, Bt, info.dtype, C)
    threshold = info.threshold(k) if threshold is None else threshold
    rel, nans, max_abs, max_rms, passed = compare(out, ref, threshold)
    exact = None
    if info.dtype == "tf32":
        exact = compare(out, reference(tf32_truncate(A), tf32_truncate(Bt), "tf32", C), threshold)[0]
    uncovered = None
    if info.split_k > 1:
        uncovered = coverage(kernel, m, n, k, tf32_map)
        passed = passed and uncovered == 0
    return CheckResult(info.name, info.label(), m, n, k, rel, threshold, nans, max_abs, max_rms, passed, exact,
                       uncovered)


def coverage(kernel: Kernel, m: int, n: int, k: int, tf32_map: str = "tfloat32") -> int:
    """The elements of C that a split-K kernel did not compute exactly once from every K
    block.  A split-K launch zeroes C before its atomic adds, so the NaN poison cannot show an
    element no work unit wrote (it stays 0, which a rel-err check lets pass where the
    reference is small).  Here A and Bt are all ones (C = 0 for C +=): every element must
    come out exactly K, a sum of small integers that f32 holds exactly whatever the order
    of the atomic adds.  Every split covers at least one K block, so an element some unit
    never added to, a split missing, or a unit adding twice or into the wrong tile is off
    by at least 1; returns how many elements are (NaN included)."""
    kernel = _as_kernel(kernel)
    info = kernel.info
    assert info is not None
    ones_a = to_storage(np.ones((m, k), dtype=np.float32), info.dtype)
    ones_bt = to_storage(np.ones((n, k), dtype=np.float32), info.dtype)
    out = run_gemm(kernel, ones_a, ones_bt, np.zeros((m, n), dtype=np.float32) if info.accumulate_c else None,
                   tf32_map=tf32_map)
    return coverage_errors(out, k)


def coverage_errors(out: np.ndarray, k: int) -> int:
    """Elements of an all-ones product (C = 0 + ones(M, K) @ ones(K, N)) that are not K: off
    by 1 or more (an element missed by a work unit, a split missing or added twice), or NaN."""
    return int(np.count_nonzero(~(np.abs(out.astype(np.float64) - k) <= 0.5)))


@dataclass
class Timing:
    kernel: str
    label: str
    m: int
    n: int
    k: int
    median_ms: float
    min_ms: float
    max_ms: float
    tflops: float  # at the median
    runs: int


class Events:
    """A pair of CUDA events around a region of one stream (default: the legacy default
    stream; see `as_stream` for what `stream` may be)."""

    def __init__(self, stream=None):
        flags = int(_driver().CUevent_flags.CU_EVENT_DEFAULT)
        self.stream = stream
        self.start = _call("cuEventCreate", flags)
        self.stop = _call("cuEventCreate", flags)

    def record_start(self):
        _call("cuEventRecord", self.start, as_stream(self.stream))

    def record_stop(self):
        _call("cuEventRecord", self.stop, as_stream(self.stream))

    def elapsed_ms(self) -> float:
        _call("cuEventSynchronize", self.stop)
        return float(_call("cuEventElapsedTime", self.start, self.stop))

    def destroy(self):
        for e in (self.start, self.stop):
            _call("cuEventDestroy", e)


def time_gemm(kernel: Kernel, m: int, n: int, k: int, runs: int = 20, warmup: int = 3,
              rng: np.random.Generator | None = None) -> Timing:
    """Median time of `runs` launches on random-normal data (never zeros), each between two
    events, after `warmup` launches; TFLOP/s = 2 M N K / median."""
    kernel = _as_kernel(kernel)
    info = kernel.info
    assert info is not None
    rng = rng if rng is not None else np.random.default_rng()
    launch = GemmLaunch(kernel, m, n, k)
    events = Events()
    try:
        launch.upload(rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((n, k), dtype=np.float32),
                      rng.standard_normal((m, n), dtype=np.float32))
        for _ in range(warmup):
            launch.launch()
        synchronize(info.name)
        times = []
        for _ in range(runs):
            events.record_start()
            launch.launch()
            events.record_stop()
            synchronize(info.name)
            times.append(events.elapsed_ms())
    finally:
        events.destroy()
        launch.free()
    med = float(np.median(times))
    return Timing(info.name, info.label(), m, n, k, med, float(min(times)), float(max(times)),
                  2.0 * m * n * k / (med * 1e-3) / 1e12, runs)
