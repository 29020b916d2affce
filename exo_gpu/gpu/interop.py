"""Views of other libraries' GPU arrays for `exo_gpu.matmul`: torch tensors, any object with
`__cuda_array_interface__` (CuPy, Numba, JAX, ...), and DLPack (`__dlpack__`).

`view(x, name)` gives an `Operand`: the device pointer, shape and strides in elements, the
element type (exo-gpu's names: f32, bf16, f16, e4m3, e5m2), the device ordinal and the
stream the producer named (CUDA array interface v3, or the DLPack stream we asked for).
`operand_layout` maps a 2-D operand onto the kernel's layouts (row/col A, col/row B) and
leading dimension, and `check_tma` checks what TMA needs (16-byte aligned base and leading
stride).  Every check raises `InteropError`, one line naming the argument and the fix.
"""

from __future__ import annotations

import ctypes
import sys
from typing import NamedTuple

from exo_gpu.errors import ExoGpuError

ELEMENT_BYTES = {"f32": 4, "bf16": 2, "f16": 2, "e4m3": 1, "e5m2": 1}
# CUDA array interface typestrs exo-gpu can name without help; bf16 and fp8 have none (the
# producer says "<V2" / "|u1" and the caller passes dtype=).
_TYPESTR = {"f4": "f32", "f2": "f16"}
# DLPack (type code, bits) -> element: kDLFloat 2, kDLBfloat 4, kDLFloat8_e4m3fn 10, kDLFloat8_e5m2 12.
_DLPACK = {(2, 32): "f32", (2, 16): "f16", (4, 16): "bf16", (10, 8): "e4m3", (12, 8): "e5m2"}
_KDL_CUDA = 2


class InteropError(ExoGpuError):
    """An array exo_gpu.matmul cannot take: names the argument and the fix."""


class Operand(NamedTuple):
    """A 2-D (or other) device array as matmul sees it."""

    ptr: int
    shape: tuple
    strides: tuple  # in elements
    element: str | None  # f32, bf16, f16, e4m3, e5m2; None: a type exo-gpu does not read
    itemsize: int
    device: int
    stream: int | None  # the producer's stream (None: not said)
    kind: str  # torch | cai | dlpack
    typename: str  # the producer's name of its element type, for messages


_torch_types: dict | None = None


def torch_elements() -> dict:
    """{torch.dtype: element} for the dtypes torch has (fp8 only in newer torch)."""
    global _torch_types
    if _torch_types is None:
        import torch

        names = {"float32": "f32", "bfloat16": "bf16", "float16": "f16", "float8_e4m3fn": "e4m3", "float8_e5m2": "e5m2"}
        _torch_types = {getattr(torch, t): e for t, e in names.items() if hasattr(torch, t)}
    return _torch_types


def torch_dtype(element: str):
    """The torch dtype of an element type (the inverse of torch_elements)."""
    for t, e in torch_elements().items():
        if e == element:
            return t
    raise InteropError(f"torch has no dtype for {element}")


def is_torch(x) -> bool:
    """Whether x is a torch tensor (torch cannot have made one unless it is imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def view(x, name: str, element: str | None = None, stream: int | None = None) -> Operand:
    """The Operand of argument `name` (torch tensor, CUDA array interface, or DLPack);
    `element` names the element type where the producer cannot (bf16 and fp8 under the CUDA
    array interface); `stream` is passed to __dlpack__ (the stream matmul launches on)."""
    if is_torch(x):
        return _torch_view(x, name)
    if hasattr(x, "__cuda_array_interface__"):
        return _cai_view(x, name, element)
    if hasattr(x, "__dlpack__"):
        return _dlpack_view(x, name, element, stream)
    raise InteropError(f"{name}: expected a CUDA array (a torch tensor on the GPU, or an object with "
                       f"__cuda_array_interface__ or __dlpack__), got {type(x).__module__}.{type(x).__name__}; fix: "
                       "move it to the GPU first (e.g. torch.as_tensor(x, device='cuda'))")


def _torch_view(x, name: str) -> Operand:
    if not x.is_cuda:
        raise InteropError(f"{name}: a torch tensor on {x.device}, not on a CUDA device; fix: {name}.cuda()")
    element = torch_elements().get(x.dtype)
    return Operand(x.data_ptr(), tuple(x.shape), tuple(x.stride()), element, x.element_size(), x.get_device(), None,
                   "torch", str(x.dtype).replace("torch.", ""))


def _cai_view(x, name: str, element: str | None) -> Operand:
    try:
        cai = x.__cuda_array_interface__
        shape = tuple(int(s) for s in cai["shape"])
        typestr = str(cai["typestr"])
        ptr = int(cai["data"][0] or 0)
        itemsize = int(typestr[2:])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as e:
        raise InteropError(f"{name}: a malformed __cuda_array_interface__ ({type(e).__name__}: {e}); fix: give "
                           "shape, typestr, data and strides as the interface (version 3) says") from None
    strides = cai.get("strides")
    if strides is None:  # C-contiguous
        strides, step = [], 1
        for s in reversed(shape):
            strides.insert(0, step)
            step *= max(s, 1)
        strides = tuple(strides)
    else:
        strides = tuple(int(s) for s in strides)
        if any(s % itemsize for s in strides):
            raise InteropError(f"{name}: strides {strides} (bytes) are not whole {itemsize}-byte elements; fix: "
                               f"{name} must be a strided array of its element type")
        strides = tuple(s // itemsize for s in strides)
    found = _TYPESTR.get(typestr[1:])
    elem = _named_element(name, element, found, itemsize, typestr)
    stream = cai.get("stream")
    return Operand(ptr, shape, strides, elem, itemsize, -1, None if stream is None else int(stream), "cai", typestr)


def _named_element(name: str, element: str | None, found: str | None, itemsize: int, typename: str) -> str | None:
    """The element type: the producer's, or the caller's `element` where the producer has
    none (bf16/fp8 under the CUDA array interface), checked against the item size."""
    if element is None:
        return found
    if element not in ELEMENT_BYTES:
        raise InteropError(f"dtype={element!r} is not an input type exo-gpu reads; fix: choose one of "
                           f"{', '.join(ELEMENT_BYTES)}")
    if ELEMENT_BYTES[element] != itemsize or (found is not None and found != element):
        raise InteropError(f"{name}: its elements are {typename} ({itemsize} bytes), not {element}; fix: pass "
                           f"dtype= matching the array, or convert the array")
    return element


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


def _dlpack_view(x, name: str, element: str | None, stream: int | None) -> Operand:
    """A DLPack array on a CUDA device; the producer's object keeps the memory alive."""
    try:
        dev_type, dev_id = x.__dlpack_device__()
    except (AttributeError, TypeError, ValueError) as e:
        raise InteropError(f"{name}: __dlpack_device__ failed ({e}); fix: give a DLPack array on a CUDA device") from None
    if int(dev_type) != _KDL_CUDA:
        raise InteropError(f"{name}: a DLPack array on device type {dev_type} (1 = CPU), not CUDA (2); fix: move "
                           "it to the GPU")
    handle = 1 if stream is None else stream
    ptr, shape, strides, (code, bits, lanes), _ = read_capsule(x.__dlpack__(stream=handle), name)
    found = _DLPACK.get((code, bits)) if lanes == 1 else None
    what = f"DLPack type code {code} of {bits} bits"
    elem = _named_element(name, element, found, bits // 8, what)
    return Operand(ptr, shape, strides, elem, bits // 8, int(dev_id), handle, "dlpack", what)


def read_capsule(capsule, name: str = "array") -> tuple:
    """(data pointer + byte offset, shape, strides in elements, (type code, bits, lanes),
    (device type, device id)) of a legacy "dltensor" capsule, which is left unconsumed (its
    destructor still frees it)."""
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    try:
        address = get(capsule, b"dltensor")
    except ValueError:
        raise InteropError(f"{name}: __dlpack__ gave no 'dltensor' capsule; fix: give a DLPack array, or one "
                           "with __cuda_array_interface__") from None
    t = _DLTensor.from_address(address)
    shape = tuple(t.shape[i] for i in range(t.ndim))
    if t.strides:
        strides = tuple(t.strides[i] for i in range(t.ndim))
    else:  # compact row-major
        strides = tuple(_prod(shape[i + 1:]) for i in range(t.ndim))
    return (int(t.data or 0) + int(t.byte_offset), shape, strides, (t.dtype.code, t.dtype.bits, t.dtype.lanes),
            (t.device.device_type, t.device.device_id))


def _prod(xs) -> int:
    out = 1
    for v in xs:
        out *= v
    return out


# -- checks ----------------------------------------------------------------------------------
def check_matrix(op: Operand, name: str, dims: str) -> None:
    """A 2-D operand of a type exo-gpu reads."""
    if len(op.shape) != 2:
        raise InteropError(f"{name} must be 2-D ({dims}), got shape {op.shape}; fix: batched matmul is not "
                           f"supported here: call it per matrix, or reshape {name} to 2-D")
    if op.element is None:
        raise InteropError(f"{name}: elements of {op.typename} are not an input type of exo-gpu; fix: convert to "
                           "float32 (tf32), bfloat16, float16, float8_e4m3fn or float8_e5m2")


def operand_layout(op: Operand, name: str, operand: str) -> tuple[str, int]:
    """(layout, leading dimension in elements) of A (M x K) or B (K x N), in exo_gpu.gemm's
    terms: A row = K contiguous, col = M contiguous; B col = K contiguous, row = N contiguous."""
    rows, cols = op.shape
    s0, s1 = op.strides
    if operand == "A":
        if s1 == 1 and (s0 >= cols or rows == 1):
            return "row", s0 if rows > 1 else cols
        if s0 == 1 and (s1 >= rows or cols == 1):
            return "col", s1 if cols > 1 else rows
    else:
        if s0 == 1 and (s1 >= rows or cols == 1):
            return "col", s1 if cols > 1 else rows
        if s1 == 1 and (s0 >= cols or rows == 1):
            return "row", s0 if rows > 1 else cols
    raise InteropError(f"{name} has shape {op.shape} and strides {op.strides} (elements): neither dimension is "
                       f"contiguous, or rows overlap; fix: pass {name}.contiguous()")


def check_layouts(dtype: str, layout_a: str, layout_b: str) -> None:
    """tf32 and fp8 wgmma read both operands K-major: A row-major, B column-major."""
    if dtype in ("bf16", "f16"):
        return
    like = " (torch._scaled_mm's layout: a row-major, b column-major)" if dtype in ("e4m3", "e5m2") else ""
    if layout_a != "row":
        raise InteropError(f"a is column-major (M contiguous), which {dtype} wgmma cannot read (only f16/bf16 "
                           f"can){like}; fix: pass a.contiguous() (K contiguous)")
    if layout_b != "col":
        raise InteropError(f"b is row-major (N contiguous), which {dtype} wgmma cannot read (only f16/bf16 can)"
                           f"{like}; fix: pass b with K contiguous, e.g. b.T.contiguous().T (a column-major B)")


def check_tma(op: Operand, name: str, ld: int) -> None:
    """TMA reads from a 16-byte aligned base with a leading stride of a multiple of 16 bytes."""
    if op.ptr % 16:
        raise InteropError(f"{name}: its data pointer {op.ptr:#x} is not 16-byte aligned (TMA needs it); fix: "
                           f"pass {name}.clone() or a view that starts on a 16-byte boundary")
    if (ld * op.itemsize) % 16:
        raise InteropError(f"{name}: its leading stride of {ld} elements is {ld * op.itemsize} bytes, not a "
                           f"multiple of 16 (TMA); fix: pad that dimension to a multiple of {16 // op.itemsize} "
                           "elements (a view of a padded tensor works)")


def check_out(op: Operand, m: int, n: int, element: str) -> None:
    """`out`: M x N, C's element type, row-major contiguous, 16-byte aligned."""
    if tuple(op.shape) != (m, n):
        raise InteropError(f"out must be {m} x {n} (M x N), got shape {tuple(op.shape)}; fix: allocate out as "
                           f"({m}, {n}) or leave out=None")
    if op.element != element:
        raise InteropError(f"out has elements of {op.typename}, but C is {element}; fix: pass out_dtype matching "
                           "out, or an out of the C type")
    if (n > 1 and op.strides[1] != 1) or (m > 1 and op.strides[0] != n):
        raise InteropError(f"out must be row-major contiguous (strides ({n}, 1)), got strides {op.strides}; fix: "
                           "pass a contiguous out, or leave out=None")
    if op.ptr % 16:
        raise InteropError(f"out: its data pointer {op.ptr:#x} is not 16-byte aligned; fix: pass out.clone()")
