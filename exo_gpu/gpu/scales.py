"""The per-tensor scales of an fp8 `exo_gpu.matmul`: D = (scale_a * scale_b) * (A @ B).

torch._scaled_mm's convention: each scale is a one-element float32 tensor on the operands'
GPU, which the kernel reads from device memory in its epilogue (no host read-back, so a
scale computed on the GPU by an earlier kernel of the stream is used as is).  A Python float
is accepted too: for torch inputs it is written into a one-element tensor on torch's current
stream (`torch.full`, no host sync); for other arrays into a small device buffer kept per
value.  A missing scale (the other one given) is 1.0.  Every check raises `ScaleError`, one
line naming the argument and the fix.
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict

import numpy as np

from exo_gpu.gpu import interop, runtime
from exo_gpu.gpu.interop import InteropError

FP8 = ("e4m3", "e5m2")
_TORCH_FP8 = "float8_e4m3fn or float8_e5m2"
_buffers: OrderedDict = OrderedDict()  # (device, value) -> DeviceBuffer holding the f32, for non-torch inputs
_BUFFER_LIMIT = 256


class ScaleError(InteropError):
    """A scale_a / scale_b that exo_gpu.matmul cannot take: names the argument and the fix."""


def given(scale_a, scale_b) -> str:
    """The name of the first scale given ("" when neither is): a scaled call."""
    return "scale_a" if scale_a is not None else "scale_b" if scale_b is not None else ""


def check_inputs(name: str, dtype: str, typename: str) -> None:
    """Scales (`name` the first given) belong to fp8 inputs, which wgmma reads K-major only
    (checked by interop)."""
    if dtype not in FP8:
        raise ScaleError(f"{name} is given but a and b are {typename}: per-tensor scales are for fp8 inputs "
                         f"({_TORCH_FP8}); fix: leave scale_a and scale_b out, or pass fp8 a and b")


def _number(x, name: str) -> float | None:
    """x as a float if it is a real number (not a bool), else None."""
    if isinstance(x, (bool, np.bool_)):
        raise ScaleError(f"{name} must be a one-element float32 CUDA tensor or a Python float, got bool {x!r}; "
                         f"fix: pass e.g. {name}=1.0")
    if isinstance(x, numbers.Real):  # int, float, numpy scalars
        if not math.isfinite(x):
            raise ScaleError(f"{name} = {x!r} is not a finite number; fix: pass a finite scale")
        return float(x)
    return None


def torch_pointers(scale_a, scale_b, device: int, explicit_stream: bool) -> tuple[tuple[int, int], tuple]:
    """((scale_a pointer, scale_b pointer), the tensors to keep alive until the launch) for
    torch inputs on `device`; None is 1.0, floats become one-element tensors."""
    ptrs, keep = [], []
    for x, name in ((scale_a, "scale_a"), (scale_b, "scale_b")):
        t = _torch_scale(1.0 if x is None else x, name, device, explicit_stream)
        ptrs.append(t.data_ptr())
        keep.append(t)
    return (ptrs[0], ptrs[1]), tuple(keep)


def _torch_scale(x, name: str, device: int, explicit_stream: bool):
    import torch

    value = _number(x, name)
    if value is not None:
        if explicit_stream:
            raise ScaleError(f"{name} is a Python float, which is written on torch's current stream, but stream= "
                             f"names another; fix: pass {name} as a one-element float32 CUDA tensor")
        return torch.full((1,), value, dtype=torch.float32, device=torch.device("cuda", device))
    if not isinstance(x, torch.Tensor):
        raise ScaleError(f"{name} must be a one-element float32 CUDA tensor or a Python float, got "
                         f"{type(x).__module__}.{type(x).__name__}; fix: pass torch.tensor([s], device='cuda')")
    if x.dtype != torch.float32:
        raise ScaleError(f"{name} has dtype {str(x.dtype).replace('torch.', '')}, not float32; fix: pass "
                         f"{name}.float()")
    if x.numel() != 1:
        raise ScaleError(f"{name} has shape {tuple(x.shape)}: a per-tensor scale has one element (row-wise and "
                         f"block scales are not supported); fix: pass a one-element float32 tensor")
    if not x.is_cuda or x.get_device() != device:
        raise ScaleError(f"{name} is on {x.device}, a and b on cuda:{device}; fix: pass "
                         f"{name}.to('cuda:{device}')")
    return x


def any_views(scale_a, scale_b, stream) -> list:
    """The scales of a call on non-torch arrays, checked as far as can be without the driver:
    (name, a float or the array's interop.Operand) each; None is 1.0."""
    out = []
    for x, name in ((scale_a, "scale_a"), (scale_b, "scale_b")):
        value = _number(1.0 if x is None else x, name)
        if value is not None:
            out.append((name, value))
            continue
        view = interop.view(x, name, None, stream)
        if view.element != "f32":
            raise ScaleError(f"{name} has elements of {view.typename}, not float32; fix: pass a one-element "
                             "float32 array")
        if math.prod(view.shape) != 1:
            raise ScaleError(f"{name} has shape {tuple(view.shape)}: a per-tensor scale has one element; fix: pass "
                             "a one-element float32 array")
        if view.ptr % 4:
            raise ScaleError(f"{name}: its pointer {view.ptr:#x} is not 4-byte aligned; fix: pass a float32 array")
        out.append((name, view))
    return out


def any_pointers(views: list, device: int, device_of) -> tuple[int, int]:
    """The device pointers of `any_views`' scales for operands on `device`: a float is kept
    in a small device buffer per value; `device_of(view, name)` is an array's device."""
    ptrs = []
    for name, x in views:
        if isinstance(x, float):
            key = (device, x)
            if key not in _buffers:
                if len(_buffers) >= _BUFFER_LIMIT:
                    _buffers.popitem(last=False)[1].free()  # cuMemFree waits for the kernels that read it
                buf = runtime.DeviceBuffer(4)
                buf.upload(np.array([x], dtype=np.float32))
                _buffers[key] = buf
            ptrs.append(_buffers[key].ptr)
            continue
        where = device_of(x, name)
        if where != device:
            raise ScaleError(f"{name} is on cuda:{where}, a and b on cuda:{device}; fix: put {name} on their device")
        ptrs.append(x.ptr)
    return ptrs[0], ptrs[1]
