"""`exo_gpu.matmul(a, b, out=None, ...)`: C = A @ B with exo-gpu kernels on other libraries' arrays.

A (M x K) and B (K x N) are torch CUDA tensors, or any objects with
`__cuda_array_interface__` or `__dlpack__` (see `interop`).  Float32 inputs run as tf32
(like torch with `allow_tf32`), bfloat16 and float16 as themselves, float8_e4m3fn and
float8_e5m2 as fp8.  C is written in `out_dtype` (default: float32 for float32 inputs,
the input type for bf16/f16, bfloat16 for fp8).  A K-contiguous (row-major) or M-contiguous
A, and a K-contiguous (column-major) or N-contiguous B are read in place (the N/M-contiguous
ones by bf16/f16 only), with any leading stride TMA can take; C is row-major contiguous.

fp8 inputs take per-tensor scales, torch._scaled_mm's convention: `scale_a` and `scale_b`,
one-element float32 CUDA tensors (or Python floats), give D = (scale_a * scale_b) * (A @ B)
rounded to out_dtype; the kernel reads them from device memory in its epilogue (`scales`).
A is then row-major (M x K, K contiguous) and B column-major (K x N, K contiguous), as
torch._scaled_mm takes them (`b = w.t()` of a row-major N x K `w`).

The kernel launches on the current stream: torch's current stream of the tensors' device
for torch tensors, the interface's `stream` otherwise (the legacy default stream if it
names none), or `stream=` (an int handle or a CUstream).

Which kernel: the tuner's choice for this GPU, problem kind and shape class when
`exo_gpu.tune` cached one (loaded from its stored cubin, no compile), else
`tuner.space.default_config`; `config=` (exo_gpu.gemm() arguments) overrides both.
Compiled and loaded kernels are cached in-process by everything that changes the cubin
(device, ptxas, the full configuration); so are the problem checks and each launch's
tensor maps and parameter block, keyed by the operands' pointers, shapes and strides, so a
repeated call costs a dictionary lookup and one cuLaunchKernel.
"""

from __future__ import annotations

import hashlib

import numpy as np

from exo_gpu.gpu import interop, runtime, scales
from exo_gpu.gpu.interop import InteropError, Operand
from exo_gpu.ptxas import toolchain
from exo_gpu.tuner import space

DEFAULT_OUT = {"tf32": "f32", "bf16": "bf16", "f16": "f16", "e4m3": "bf16", "e5m2": "bf16"}
_OUT_NAMES = {"f32": "f32", "float32": "f32", "bf16": "bf16", "bfloat16": "bf16", "f16": "f16", "float16": "f16"}
_CACHE_LIMIT = 1024

_kernels: dict[tuple, tuple] = {}  # (device, cuda, config items) -> (Kernel, KernelInfo, max_blocks)
_plans: dict[tuple, tuple] = {}  # (device, problem kind, shape class, cuda, config) -> (kernel, info, max_blocks)
_specs: dict[tuple, "_Spec"] = {}  # the operands' description -> checked problem
_streams: dict[int, object] = {}
_ptxas_versions: dict[str, str] = {}
_device_facts: dict[int, tuple[str, int]] = {}
_current = {"device": None}


def clear_cache() -> None:
    """Forget every cached plan, check and launch (kernels stay loaded); the tuner calls
    this after storing a new choice so the next matmul picks it up."""
    _plans.clear()
    _specs.clear()


# -- kernels ---------------------------------------------------------------------------------
def _ptxas_version(cuda: str) -> str:
    if cuda not in _ptxas_versions:
        spelled = str(cuda).strip().lower()
        _ptxas_versions[cuda] = (toolchain.ptxas(cuda).version if spelled == toolchain.SYSTEM
                                 else toolchain.resolve(cuda).version)
    return _ptxas_versions[cuda]


def _device(ordinal: int) -> tuple[str, int]:
    """(name, SMs) of device `ordinal`; makes its primary context current."""
    if ordinal not in _device_facts:
        info = runtime.init(ordinal)
        _current["device"] = None  # init made `ordinal` current
        _device_facts[ordinal] = (info.name, info.sm_count)
    return _device_facts[ordinal]


def _use_device(ordinal: int) -> None:
    if _current["device"] != ordinal:
        runtime.init(ordinal)
        _current["device"] = ordinal


def _load(cubin: bytes, info: runtime.KernelInfo, device: int) -> tuple:
    """Load a cubin into device `device`'s primary context: (Kernel, info, resident blocks)."""
    _use_device(device)
    module = runtime._call("cuModuleLoadData", bytes(cubin), kernel=info.name)
    function = runtime._call("cuModuleGetFunction", module, info.name.encode(), kernel=info.name)
    kernel = runtime.Kernel(info.name, module, function, info)
    kernel.set_dynamic_smem(info.smem_bytes)
    blocks = kernel.resident_blocks()
    _current["device"] = None  # set_dynamic_smem and resident_blocks made device 0 current
    _use_device(device)
    return kernel, info, blocks


def _compiled(config: dict, device: int, cuda: str) -> tuple:
    """The loaded kernel of `config` (compiled on first use)."""
    key = (device, cuda, tuple(sorted(config.items())))
    if key not in _kernels:
        from exo_gpu.compiler import compile, gemm

        module = gemm(**config)
        name = module.ops.first.sym_name.data  # type: ignore[union-attr]
        result = compile(module, cuda=cuda)
        assert result.cubin is not None
        extra = result.abis[name]["params"][6:]
        want = [{"kind": "pointer", "arg": 3}, {"kind": "pointer", "arg": 4}] if config.get("scaled") else []
        if extra != want:  # matmul passes A, B, C, M, N, K (and the scales' pointers) only
            raise InteropError(f"kernel {name} takes parameters {extra} after A, B, C, M, N, K; matmul passes "
                               f"{want or 'none'}; fix: give config= schedule arguments only")
        _kernels[key] = _load(result.cubin, runtime.KernelInfo.from_abi(result.abis[name]), device)
    return _kernels[key]


def _plan(p: space.Problem, device: int, cuda: str, config: dict | None, cache_dir, scaled: bool = False) -> tuple:
    """(Kernel, KernelInfo, resident blocks) for problem `p`: config=, else tuned, else
    default.  A scaled kernel runs the tuned (or default) schedule of its unscaled problem."""
    key = (device, p.dtype, p.c_dtype, p.layout_a, p.layout_b, p.shape_class(), cuda,
           None if config is None else tuple(sorted(config.items())), cache_dir, scaled)
    if key not in _plans:
        fixed = dict(dtype=p.dtype, c_dtype=p.c_dtype, layout_a=p.layout_a, layout_b=p.layout_b)
        if config is not None:
            _check_config(config)
            _plans[key] = _compiled({**config, **fixed, **({"scaled": True} if scaled else {})}, device, cuda)
        elif scaled:
            chosen = _tuned_config(p, device, cuda, cache_dir)
            if chosen is None or chosen.get("split_k", 1) != 1:  # scales apply to the whole sum
                chosen = space.default_config(p, _device(device)[1])
            _plans[key] = _compiled({**chosen, **fixed, "scaled": True}, device, cuda)
        else:
            _plans[key] = _tuned(p, device, cuda, cache_dir) or _compiled(
                space.default_config(p, _device(device)[1]), device, cuda)
    return _plans[key]


def _tune_entry(p: space.Problem, device: int, cuda: str, cache_dir) -> dict | None:
    """The tuner's stored entry for this GPU, problem kind, shape class and ptxas, if any."""
    from exo_gpu.tuner import cache

    key = cache.TuneKey(_device(device)[0], p.dtype, p.c_dtype, p.layout_a, p.layout_b, p.shape_class(),
                        _ptxas_version(cuda))
    return cache.load(key, cache_dir)


def _tuned_config(p: space.Problem, device: int, cuda: str, cache_dir) -> dict | None:
    """The tuner's stored schedule (gemm() arguments) for this problem kind, if any."""
    entry = _tune_entry(p, device, cuda, cache_dir)
    return dict(entry["config"]) if entry is not None and isinstance(entry.get("config"), dict) else None


def _tuned(p: space.Problem, device: int, cuda: str, cache_dir) -> tuple | None:
    """The tuner's stored kernel for this problem kind, if any."""
    from exo_gpu.tuner import cache

    entry = _tune_entry(p, device, cuda, cache_dir)
    if entry is None:
        return None
    cubin = cache.cubin_of(entry)
    if cubin is not None and isinstance(entry.get("info"), dict):
        info = runtime.KernelInfo.from_dict(entry["info"])
        ident = (device, cuda, "tuned", hashlib.sha256(cubin).hexdigest())  # a re-tune stores another cubin
        if ident not in _kernels:
            _kernels[ident] = _load(cubin, info, device)
        return _kernels[ident]
    return _compiled(entry["config"], device, cuda) if isinstance(entry.get("config"), dict) else None


# -- one checked problem, and its launches -----------------------------------------------------
def _device_of(op: Operand, name: str) -> int:
    """The device ordinal of an operand: torch and DLPack say it; for the CUDA array interface
    the driver is asked about the pointer (which also proves it is device memory)."""
    if op.device >= 0:
        return op.device
    if not op.ptr:
        return 0
    runtime.init(0)  # no driver or GPU: that error, not a misleading one about the pointer
    _current["device"] = None
    cuda = runtime._driver()
    attr = cuda.CUpointer_attribute
    try:
        kind = runtime._call("cuPointerGetAttribute", attr.CU_POINTER_ATTRIBUTE_MEMORY_TYPE, op.ptr)
        device = runtime._call("cuPointerGetAttribute", attr.CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, op.ptr)
    except runtime.CudaError:
        kind, device = None, -1
    if kind is None or int(kind) not in (int(cuda.CUmemorytype.CU_MEMORYTYPE_DEVICE),
                                         int(cuda.CUmemorytype.CU_MEMORYTYPE_UNIFIED)):
        raise InteropError(f"{name}: its pointer {op.ptr:#x} is not CUDA device memory; fix: copy it to the GPU")
    return int(device)


class _Spec:
    """A checked problem: sizes, the C type, each operand's layout and leading dimension, the
    kernel; `launches` caches the tensor maps and parameter block per C pointer."""

    def __init__(self, a: Operand, b: Operand, out_element: str, config: dict | None, cuda: str, cache_dir,
                 scaled: str = ""):
        interop.check_matrix(a, "a", "M x K")
        interop.check_matrix(b, "b", "K x N")
        (m, k), (k2, n) = a.shape, b.shape
        if k != k2:
            raise InteropError(f"a is {m} x {k} and b is {k2} x {n}: their K differ ({k} vs {k2}); fix: pass "
                               "A (M x K) and B (K x N)")
        if a.element != b.element:
            raise InteropError(f"a has elements of {a.typename} and b of {b.typename}; fix: convert one so both "
                               "have the same type")
        self.m, self.n, self.k = m, n, k
        self.dtype = "tf32" if a.element == "f32" else a.element
        if scaled:  # the name of the first scale given
            scales.check_inputs(scaled, self.dtype, a.typename)
        self.scaled = bool(scaled)
        self.c_dtype = out_element
        self.empty = min(m, n, k) == 0
        self.launches: dict[int, _Launch] = {}
        if not self.empty:
            self.layout_a, self.lda = interop.operand_layout(a, "a", "A")
            self.layout_b, self.ldb = interop.operand_layout(b, "b", "B")
            interop.check_layouts(self.dtype, self.layout_a, self.layout_b)
            interop.check_tma(a, "a", self.lda)
            interop.check_tma(b, "b", self.ldb)
        dev_a, dev_b = _device_of(a, "a"), _device_of(b, "b")
        if dev_a != dev_b:
            raise InteropError(f"a is on cuda:{dev_a} and b on cuda:{dev_b}; fix: move both to one device")
        self.device = dev_a
        if self.empty:
            return
        self.a_ptr, self.b_ptr = a.ptr, b.ptr
        problem = space.Problem(m, n, k, self.dtype, self.c_dtype, self.layout_a, self.layout_b)
        self.kernel, self.info, self.max_blocks = _plan(problem, self.device, cuda, config, cache_dir, self.scaled)

    def launch(self, c_ptr: int) -> "_Launch":
        got = self.launches.get(c_ptr)
        if got is None:
            if len(self.launches) > 64:
                self.launches.clear()
            got = self.launches[c_ptr] = _Launch(self, c_ptr)
        return got


def _encode(ptr: int, dtype: str, dims: list[int], stride_bytes: int, box: list[int]):
    """A 2-D tiled tensor map (128-byte swizzle, zero fill) with the operand's real leading stride."""
    cuda = runtime._driver()
    u64, u32 = cuda.cuuint64_t, cuda.cuuint32_t
    return runtime._call(
        "cuTensorMapEncodeTiled", runtime._tma_dtype(dtype), 2, ptr, [u64(d) for d in dims], [u64(stride_bytes)],
        [u32(b) for b in box], [u32(1), u32(1)], cuda.CUtensorMapInterleave.CU_TENSOR_MAP_INTERLEAVE_NONE,
        cuda.CUtensorMapSwizzle.CU_TENSOR_MAP_SWIZZLE_128B,
        cuda.CUtensorMapL2promotion.CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
        cuda.CUtensorMapFloatOOBfill.CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE)


def tensor_map_args(info: runtime.KernelInfo, m: int, n: int, k: int, lda: int, ldb: int) -> dict[str, tuple]:
    """(global dims innermost first, leading stride in bytes, box) of A and B: the runtime's
    boxes (KernelInfo.tensor_maps) over the operands' real leading dimensions."""
    maps, eb, atom = info.tensor_maps(m, n, k), info.elem_bytes, runtime.SWIZZLE_BYTES // info.elem_bytes
    out = {}
    for name, rows, ld in (("A", m, lda), ("B", n, ldb)):
        mp = maps[name]
        if mp.get("major") == "mn":
            out[name] = ([rows, k], ld * eb, [mp["box_rows"], mp.get("box_k") or atom])
        else:
            out[name] = ([k, rows], ld * eb, [atom, mp["box_rows"]])
    return out


class _Launch:
    """The encoded tensor maps and kernel parameter block of one (problem, C pointer)."""

    def __init__(self, spec: _Spec, c_ptr: int):
        info = spec.info
        args = tensor_map_args(info, spec.m, spec.n, spec.k, spec.lda, spec.ldb)
        self.tmap_a = _encode(spec.a_ptr, info.dtype, *args["A"])
        self.tmap_b = _encode(spec.b_ptr, info.dtype, *args["B"])
        self._c = np.array([c_ptr, 0, 0], dtype=np.uint64)  # C's pointer, then the scales' (set per run)
        self._mnk = np.array([spec.m, spec.n, spec.k], dtype=np.uint32)
        base, ptrs = self._mnk.ctypes.data, self._c.ctypes.data
        self._params = np.array([int(self.tmap_a.getPtr()), int(self.tmap_b.getPtr()), ptrs, base, base + 4,
                                 base + 8] + ([ptrs + 8, ptrs + 16] if spec.scaled else []), dtype=np.uint64)
        self.params = self._params.ctypes.data
        self.function = spec.kernel.function
        self.grid = info.grid(spec.m, spec.n, spec.max_blocks)[0]
        self.threads, self.smem, self.name = info.threads, info.smem_bytes, info.name
        self.zero = (info.split_k > 1 and not info.accumulate_c), c_ptr, spec.m * spec.n * runtime.C_BYTES[info.c_dtype]
        self.device = spec.device
        cuda = runtime._driver()
        self._launch, self._ok = cuda.cuLaunchKernel, cuda.CUresult.CUDA_SUCCESS

    def run(self, stream, scale_ptrs: tuple[int, int] | None = None) -> None:
        if scale_ptrs is not None:  # cuLaunchKernel copies the values: the next run may set others
            self._c[1], self._c[2] = scale_ptrs
        if _current["device"] != self.device:
            _use_device(self.device)
        if self.zero[0]:  # split-K adds its partial sums into a zeroed C
            runtime._call("cuMemsetD8Async", self.zero[1], 0, self.zero[2], stream, kernel=self.name)
        err, = self._launch(self.function, self.grid, 1, 1, self.threads, 1, 1, self.smem, stream, self.params, 0)
        if err != self._ok:
            cuda = runtime._driver()
            if err in (cuda.CUresult.CUDA_ERROR_INVALID_CONTEXT, cuda.CUresult.CUDA_ERROR_INVALID_HANDLE):
                _current["device"] = None  # someone else made another context current: ours, and retry
                _use_device(self.device)
                err, = cuda.cuLaunchKernel(self.function, self.grid, 1, 1, self.threads, 1, 1, self.smem, stream,
                                           self.params, 0)
            if err != cuda.CUresult.CUDA_SUCCESS:
                raise runtime.CudaError(f"cuLaunchKernel failed (kernel {self.name}): {runtime._result_name(err)}")


def _stream(handle) -> object:
    """A CUstream for an int handle (cached), or the caller's CUstream as is."""
    if not isinstance(handle, int):
        return handle
    s = _streams.get(handle)
    if s is None:
        s = _streams[handle] = runtime._driver().CUstream(handle)
    return s


def out_element(out_dtype, dtype_of_inputs: str) -> str:
    """C's element type from out_dtype (a torch dtype, or f32/bf16/f16 by name), or the default."""
    if out_dtype is None:
        return DEFAULT_OUT[dtype_of_inputs]
    name = str(out_dtype).replace("torch.", "")
    if name not in _OUT_NAMES:
        raise InteropError(f"out_dtype={out_dtype!r} is not a C type exo-gpu writes; fix: choose float32, bfloat16 "
                           "or float16")
    return _OUT_NAMES[name]


def _spec_for(key: tuple, a: Operand, b: Operand, out_dtype, config, cuda, cache_dir, scaled: str = "") -> _Spec:
    spec = _specs.get(key)
    if spec is None:
        if a.element is None:
            interop.check_matrix(a, "a", "M x K")
        element = out_element(out_dtype, "tf32" if a.element == "f32" else a.element)
        spec = _Spec(a, b, element, config, cuda, cache_dir, scaled)
        if len(_specs) >= _CACHE_LIMIT:
            _specs.clear()
        _specs[key] = spec
    return spec


# -- the entry point ---------------------------------------------------------------------------
class DeviceArray:
    """C of a matmul on non-torch inputs: device memory exo-gpu owns (freed with the object),
    readable by any library through `__cuda_array_interface__` (bf16 as typestr "<V2"), or
    copied to the host with `numpy()` (float32 values; bf16/f16 widened exactly)."""

    _TYPESTR = {"f32": "<f4", "f16": "<f2", "bf16": "<V2"}

    def __init__(self, m: int, n: int, element: str, device: int):
        _use_device(device)
        self.shape, self.element, self.device = (m, n), element, device
        self.buffer = runtime.DeviceBuffer(m * n * runtime.C_BYTES[element])

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.shape, "typestr": self._TYPESTR[self.element], "data": (self.buffer.ptr, False),
                "strides": None, "version": 3, "stream": None}

    def numpy(self) -> np.ndarray:
        runtime.synchronize()
        stored = np.empty(self.shape, dtype=np.float32 if self.element == "f32" else np.uint16)
        return runtime.c_values(self.buffer.download(stored), self.element)


_raw_stream: list = []


def _torch_stream(device: int) -> int:
    """torch's current stream on `device` as an int handle (its private getter when it has
    one: ~0.1 us, against ~1 us for torch.cuda.current_stream)."""
    if not _raw_stream:
        import torch

        raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)
        _raw_stream.append(raw if raw is not None else (lambda d: torch.cuda.current_stream(d).cuda_stream))
    return _raw_stream[0](device)


def _torch_out(out, spec: _Spec):
    """Check the caller's out (cheap attribute checks; the message from interop)."""
    if (out.dtype != spec.torch_out or tuple(out.shape) != (spec.m, spec.n) or out.get_device() != spec.device
            or (spec.m > 1 and spec.n > 1 and out.stride() != (spec.n, 1)) or out.data_ptr() % 16):
        view = interop.view(out, "out")
        if view.device != spec.device:
            raise InteropError(f"out is on cuda:{view.device}, a and b on cuda:{spec.device}; fix: allocate out "
                               "on their device")
        interop.check_out(view, spec.m, spec.n, spec.c_dtype)
    return out


def _torch_spec(a, b, out_dtype, config, cuda: str, cache, scaled: str = "") -> _Spec:
    """The checked problem of torch tensors a and b (one dictionary lookup when seen before)."""
    config_key = None if config is None else tuple(sorted(config.items()))
    key = ("torch", a.dtype, a.shape, a.stride(), a.data_ptr(), a.get_device(), b.dtype, b.shape, b.stride(),
           b.data_ptr(), b.get_device(), out_dtype, config_key, cuda, cache, scaled)
    spec = _specs.get(key)
    if spec is None:
        spec = _spec_for(key, interop.view(a, "a"), interop.view(b, "b"), out_dtype, config, cuda, cache, scaled)
        spec.torch_out = interop.torch_dtype(spec.c_dtype)
    return spec


def _matmul_torch(a, b, out, out_dtype, stream, config, cuda: str, cache, scale_a=None, scale_b=None):
    scaled = scales.given(scale_a, scale_b)
    spec = _torch_spec(a, b, out_dtype, config, cuda, cache, scaled)
    # `keep` holds the scales made from floats until the launch is queued (then the caching
    # allocator reuses their memory only in stream order, after the kernel)
    ptrs, keep = scales.torch_pointers(scale_a, scale_b, spec.device, stream is not None) if scaled else (None, ())
    out = _torch_out(out, spec) if out is not None else a.new_empty((spec.m, spec.n), dtype=spec.torch_out)
    if spec.empty:
        return out.zero_()
    spec.launch(out.data_ptr()).run(_stream(stream if stream is not None else _torch_stream(spec.device)), ptrs)
    del keep
    return out


def _matmul_any(a, b, out, out_dtype, element, stream, config, cuda: str, cache, scale_a=None, scale_b=None):
    va, vb = interop.view(a, "a", element, stream), interop.view(b, "b", element, stream)
    config_key = None if config is None else tuple(sorted(config.items()))
    scaled = scales.given(scale_a, scale_b)
    views = scales.any_views(scale_a, scale_b, stream) if scaled else None
    key = ("any", va._replace(stream=None), vb._replace(stream=None), out_dtype, config_key, cuda, cache, scaled)
    spec = _spec_for(key, va, vb, out_dtype, config, cuda, cache, scaled)
    ptrs = scales.any_pointers(views, spec.device, _device_of) if views is not None else None
    if out is None:
        out = DeviceArray(spec.m, spec.n, spec.c_dtype, spec.device)
        c_ptr = out.buffer.ptr
    else:
        vo = interop.view(out, "out", spec.c_dtype if spec.c_dtype == "bf16" else None, stream)
        interop.check_out(vo, spec.m, spec.n, spec.c_dtype)
        c_ptr = vo.ptr
    handle = stream if stream is not None else (va.stream if va.stream is not None else 0)
    if spec.empty:
        if spec.m and spec.n:
            runtime._call("cuMemsetD8Async", c_ptr, 0, spec.m * spec.n * runtime.C_BYTES[spec.c_dtype],
                          _stream(handle))
        return out
    spec.launch(c_ptr).run(_stream(handle), ptrs)
    return out


def _check_config(config) -> None:
    """config= is a dict of exo_gpu.gemm() keywords (the problem's own are filled in)."""
    import inspect

    from exo_gpu.compiler import gemm

    if not isinstance(config, dict):
        raise InteropError(f"config must be a dict of exo_gpu.gemm() arguments, got {type(config).__name__}")
    unknown = sorted(set(config) - set(inspect.signature(gemm).parameters))
    fixed = sorted(set(config) & {"dtype", "c_dtype", "layout_a", "layout_b", "accumulate_c", "scaled"})
    if unknown or fixed:
        raise InteropError(f"config has {'unknown' if unknown else 'fixed'} key(s) {', '.join(unknown or fixed)}; "
                           "fix: give exo_gpu.gemm() schedule arguments (wgmma_n, tiles_per_warpgroup, stages, ...); "
                           "the types and layouts come from the arrays, scaled from scale_a/scale_b")


def matmul(a, b, out=None, *, out_dtype=None, scale_a=None, scale_b=None, dtype: str | None = None, stream=None,
           config: dict | None = None, cuda: str = toolchain.DEFAULT_CUDA, cache: str | None = None):
    """C = A @ B on the GPU with an exo-gpu kernel (see the module docstring).  `out`: C to
    write (M x N, row-major contiguous); `out_dtype`: C's type (torch dtype or "float32",
    "bfloat16", "float16"); `scale_a`, `scale_b`: fp8 only, per-tensor scales (one-element
    float32 device tensors or Python floats; a missing one is 1.0), D = (scale_a * scale_b) *
    (A @ B); `dtype`: the input element type where the array cannot say it
    (bf16, e4m3, e5m2 under the CUDA array interface); `stream`: launch there instead of the
    current stream; `config`: exo_gpu.gemm() arguments to run instead of the tuned/default
    kernel; `cuda`: the pinned ptxas of compiles; `cache`: the tune cache folder.  Returns
    `out` (a new torch tensor for torch inputs, else a DeviceArray)."""
    if type(cuda) is not str:
        raise InteropError(f"cuda must be a str such as '12.3' or '13.x', got {type(cuda).__name__} {cuda!r}")
    if config is not None and not isinstance(config, dict):
        raise InteropError(f"config must be a dict of exo_gpu.gemm() arguments, got {type(config).__name__}")
    if interop.is_torch(a) and interop.is_torch(b) and (out is None or interop.is_torch(out)):
        if dtype is not None:
            interop._named_element("a", dtype, interop.torch_elements().get(a.dtype), a.element_size(), str(a.dtype))
        return _matmul_torch(a, b, out, out_dtype, stream, config, cuda, cache, scale_a, scale_b)
    return _matmul_any(a, b, out, out_dtype, dtype, stream, config, cuda, cache, scale_a, scale_b)


def launcher(a, b, out, *, out_dtype=None, scale_a=None, scale_b=None, stream=None, config: dict | None = None,
             cuda: str = toolchain.DEFAULT_CUDA, cache: str | None = None):
    """A function of no arguments that launches `matmul(a, b, out)` again with every check,
    kernel choice and tensor map done once, here: for a loop over the same torch tensors (and
    to measure the launch alone).  The stream is fixed now (default: the current one)."""
    if not (interop.is_torch(a) and interop.is_torch(b) and interop.is_torch(out)):
        raise InteropError("launcher() takes torch tensors a, b and out; fix: call exo_gpu.matmul for other arrays")
    scaled = scales.given(scale_a, scale_b)
    spec = _torch_spec(a, b, out_dtype, config, cuda, cache, scaled)
    out = _torch_out(out, spec)
    if spec.empty:
        raise InteropError(f"launcher(): the problem {spec.m} x {spec.n} x {spec.k} is empty; fix: call matmul")
    launch = spec.launch(out.data_ptr())
    handle = _stream(stream if stream is not None else _torch_stream(spec.device))
    ptrs, keep = scales.torch_pointers(scale_a, scale_b, spec.device, stream is not None) if scaled else (None, ())
    return lambda: (launch.run(handle, ptrs), keep)[0]
