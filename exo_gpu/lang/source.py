"""Load a tile program from a file: FILE.mlir (parsed) or FILE.py (imported; its @tl.kernel
functions are taken).  Any problem is one `LoadError` line naming file:line[:col]."""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback

from xdsl.dialects.builtin import FileLineColLoc, ModuleOp
from xdsl.utils.exceptions import VerifyException

from exo_gpu.compiler import CompileError, parse, read_mlir
from exo_gpu.dialects import tile
from exo_gpu.dialects.tile.schedule import Schedule, ScheduleAttr, ScheduleError
from exo_gpu.errors import ExoGpuError
from exo_gpu.lang.builder import Kernel


class LoadError(CompileError):
    """A tile program file that cannot be read, parsed, verified or imported."""


def load_program(path: str) -> ModuleOp:
    """The module of tile kernels in `path` (.mlir or .py)."""
    if path.endswith(".py"):
        return _load_python(path)
    if not path.endswith(".mlir"):
        raise LoadError(f"{path}: expected a tile program, FILE.mlir or FILE.py")
    try:
        text = read_mlir(path)
    except CompileError as e:
        raise LoadError(str(e)) from None
    try:
        module = parse(text, path)
    except CompileError as e:
        raise LoadError(_locate(text, path) or str(e)) from None
    if not any(isinstance(op, tile.KernelOp) for op in module.ops):
        raise LoadError(f"{path}: no tile.kernel in the file: write one (see examples/gemm.mlir)")
    return module


def _locate(text: str, path: str) -> str | None:
    """`file:line:col: message` of the first op whose verifier fails (None if none does)."""
    from exo_gpu.compiler import _LocatingParser
    from exo_gpu.dialects import make_context

    try:
        module = _LocatingParser(make_context(), text, path).parse_module()
    except Exception:
        return None
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
        except VerifyException as e:
            loc = op.location
            where = f"{path}:{loc.line.data}:{loc.column.data}" if isinstance(loc, FileLineColLoc) else path
            return f"{where}: {str(e).strip().splitlines()[0]}"
    return None


def _load_python(path: str) -> ModuleOp:
    if not os.path.isfile(path):
        raise LoadError(f"cannot read {path}: no such file")
    name = "exo_gpu_program_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec.loader.exec_module(module)
    except ExoGpuError:
        raise  # KernelError: already file:line and message
    except SyntaxError as e:
        raise LoadError(f"{path}:{e.lineno}:{e.offset or 1}: syntax error: {e.msg}; fix the Python there") from None
    except Exception as e:
        line = next((fr.lineno for fr in reversed(traceback.extract_tb(e.__traceback__))
                     if os.path.abspath(fr.filename) == os.path.abspath(path)), 0)
        raise LoadError(f"{path}:{line}: {type(e).__name__}: {e}; fix: the file must import without errors "
                        "(python FILE.py shows the traceback)") from None
    finally:
        sys.path.pop(0)
    kernels = [v for v in vars(module).values() if isinstance(v, Kernel)]
    if not kernels:
        raise LoadError(f"{path}: defines no @tl.kernel (decorate a function with @tl.kernel(grid=...))")
    return ModuleOp([k.op.clone() for k in kernels])


def override_schedule(module: ModuleOp, path: str = "<input>", **changes) -> None:
    """Replace fields of every kernel's schedule (None values are left as they are)."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return
    for op in module.ops:
        if isinstance(op, tile.KernelOp):
            try:
                schedule: Schedule = op.schedule_value.replace(**changes)
            except ScheduleError as e:
                raise LoadError(f"{path}: @{op.sym_name.data}: {e}") from None
            op.properties["schedule"] = ScheduleAttr.from_schedule(schedule)
