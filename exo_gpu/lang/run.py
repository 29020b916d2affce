"""`exo-gpu run FILE.{mlir,py}`: run a tile program on inputs and check it against the float64
interpreter (`--interpret`: the interpreter alone, on the CPU).

    exo-gpu run examples/gemm.py --shape a=300x100 --shape b=100x200 --shape c=300x200
    exo-gpu run examples/batched_gemm.mlir --inputs abc.npz --scalar alpha=0.5 --scalar beta=1 --interpret -o out.npz

Inputs: `--inputs FILE.npz` (an array per tensor argument, by name) and/or `--shape NAME=AxB`
(random normal data, seeded by --seed).  The GPU path compiles the program and launches it
through `exo_gpu.gpu.runner.run_tile` (from the branch that adds the tile-kernel runtime); the
check is ||out - ref|| / ||ref|| per written tensor under the tolerance of the kernel's
narrowest mma input type (runtime.TOLERANCE: 1e-3 tf32, 1e-2 f16/bf16, ...).
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu import output
from exo_gpu.compiler import CompileError
from exo_gpu.dialects import tile
from exo_gpu.dialects.tile.types import TensorType, element_name
from exo_gpu.lang.interpreter import interpret
from exo_gpu.lang.source import load_program

NARROW_ORDER = ("e5m2", "e4m3", "bf16", "f16", "f32")  # from the least to the most precise input type


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("file", help="FILE.mlir or FILE.py holding tile kernels")
    ap.add_argument("--kernel", help="the kernel to run, when the file has several")
    ap.add_argument("--shape", action="append", default=[], metavar="NAME=AxB",
                    help="random normal data of this shape for tensor argument NAME (repeat per tensor)")
    ap.add_argument("--size", metavar="M=..,N=..,K=..[,B=..]",
                    help="problem sizes of a GEMM-shaped program: random normal data for every tensor "
                         "not given by --shape or --inputs, shaped from them")
    ap.add_argument("--scalar", action="append", default=[], metavar="NAME=V", help="a scalar argument's value")
    ap.add_argument("--inputs", metavar="NPZ", help="arrays for the tensor arguments, by name")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    ap.add_argument("--interpret", action="store_true", help="run the float64 interpreter only (no GPU)")
    ap.add_argument("-o", "--output", metavar="NPZ", help="write the inputs and the outputs (out_NAME) here")
    ap.add_argument("--cuda", default=None, help="ptxas version for the GPU path")


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CompileError(f"--{what} {item}: expected NAME=VALUE")
        out[name] = value
    return out


def _kernel(module, name: str | None) -> tile.KernelOp:
    kernels = [op for op in module.ops if isinstance(op, tile.KernelOp)]
    chosen = [k for k in kernels if name is None or k.sym_name.data == name]
    if len(chosen) != 1:
        names = ", ".join(k.sym_name.data for k in kernels)
        raise CompileError(f"--kernel: choose one of {names}" if chosen else f"--kernel {name}: no such kernel ({names})")
    return chosen[0]


def make_inputs(kernel: tile.KernelOp, args) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The arrays and scalars of a run from --inputs, --shape and --scalar."""
    arrays: dict[str, np.ndarray] = {}
    if args.inputs:
        try:
            with np.load(args.inputs) as npz:
                arrays = {k: np.asarray(npz[k], dtype=np.float64) for k in npz.files}
        except (OSError, ValueError) as e:
            raise CompileError(f"--inputs {args.inputs}: cannot read it as .npz: {e}") from None
    rng = np.random.default_rng(args.seed)
    for name, text in _pairs(args.shape, "shape").items():
        try:
            shape = tuple(int(d) for d in text.lower().split("x"))
        except ValueError:
            shape = ()
        if not shape or min(shape) < 1:
            raise CompileError(f"--shape {name}={text}: expected positive sizes like 256x128") from None
        arrays[name] = rng.standard_normal(shape)
    if getattr(args, "size", None):
        from exo_gpu.passes.tile_match import tensor_shapes

        sizes = {}
        for name, text in _pairs(args.size.split(","), "size").items():
            try:
                sizes[name.strip().upper()] = int(text)
            except ValueError:
                raise CompileError(f"--size {name}={text}: expected an integer") from None
        try:
            shapes = tensor_shapes(kernel, sizes)
        except DiagnosticException as e:
            raise CompileError(f"--size: {str(e).splitlines()[0]}") from None
        for name, shape in shapes.items():
            if name not in arrays:
                arrays[name] = rng.standard_normal(shape)
    scalars = {}
    for name, text in _pairs(args.scalar, "scalar").items():
        try:
            scalars[name] = float(text)
        except ValueError:
            raise CompileError(f"--scalar {name}={text}: expected a number") from None
    _check_names(kernel, _pairs(args.shape, "shape"), scalars)
    for a in kernel.args:
        name = a.name_hint
        if isinstance(a.type, TensorType) and name not in arrays:
            raise CompileError(f"@{kernel.sym_name.data} needs tensor '{name}' (rank {a.type.rank}): "
                               f"give --shape {name}=" + "x".join(["N"] * a.type.rank) + " or --inputs")
    return arrays, scalars


def _check_names(kernel: tile.KernelOp, shapes: dict, scalars: dict) -> None:
    """--shape names a tensor argument and --scalar a scalar one (a typo is not ignored)."""
    tensors = [a.name_hint for a in kernel.args if isinstance(a.type, TensorType)]
    others = [a.name_hint for a in kernel.args if not isinstance(a.type, TensorType)]
    for flag, what, given, known in (("--shape", "tensor", shapes, tensors), ("--scalar", "scalar", scalars, others)):
        for name in given:
            if name not in known:
                raise CompileError(f"{flag} {name}=...: @{kernel.sym_name.data} has no {what} argument '{name}'; "
                                   f"use one of: {', '.join(map(str, known)) or '(none)'}")


def tolerance(kernel: tile.KernelOp) -> float:
    from exo_gpu.gpu.runtime import TOLERANCE

    types = [element_name(op.lhs.type.element) for op in kernel.walk() if isinstance(op, tile.MmaOp)]
    types = types or [element_name(a.type.element) for a in kernel.args if isinstance(a.type, TensorType)]
    narrowest = min(types, key=NARROW_ORDER.index)
    return TOLERANCE["tf32" if narrowest == "f32" else narrowest]


def main(args) -> int:
    output.check_writable(args.output)
    module = load_program(args.file)
    kernel = _kernel(module, args.kernel)
    arrays, scalars = make_inputs(kernel, args)
    reference = interpret(kernel, arrays, scalars)
    name = kernel.sym_name.data
    if args.interpret:
        for out, value in reference.items():
            print(f"@{name} {out}[{'x'.join(map(str, value.shape))}]: interpreted (float64), "
                  f"max |{out}| = {np.max(np.abs(value)) if value.size else 0.0:.6g}")
        _save(args.output, arrays, reference)
        return 0
    from exo_gpu.gpu import runner

    run_tile = getattr(runner, "run_tile", None)
    if run_tile is None:
        raise CompileError("this build has no GPU launcher for tile programs (exo_gpu.gpu.runner.run_tile): "
                           "use --interpret for the float64 reference on the CPU")
    options = {"cuda": args.cuda} if args.cuda else {}
    outputs = run_tile(module, name, arrays, scalars, **options)
    passed = True
    threshold = tolerance(kernel)
    for out, ref in reference.items():
        got = np.asarray(outputs[out], dtype=np.float64)
        norm = np.linalg.norm(ref)
        err = np.linalg.norm(got - ref) / (norm if norm else 1.0)
        ok = bool(np.isfinite(err) and err <= threshold)
        passed &= ok
        print(f"@{name} {out}[{'x'.join(map(str, ref.shape))}]: rel err {err:.3e} (tolerance {threshold:.0e}) "
              f"{'PASS' if ok else 'FAIL'}")
    _save(args.output, arrays, outputs)
    return 0 if passed else 1


def _save(path: str | None, arrays: dict, outputs: dict) -> None:
    if path:
        data = io.BytesIO()
        np.savez(data, **arrays, **{f"out_{k}": v for k, v in outputs.items()})
        output.write(path, data.getvalue())  # exactly `path`, whole or not at all
        print(f"wrote {path}", file=sys.stderr)
