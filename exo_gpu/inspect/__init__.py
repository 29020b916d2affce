"""`exo-gpu inspect`: one self-contained HTML page to look at a kernel from IR to SASS.

    exo-gpu inspect (FILE.mlir | FILE.ptx | [gemm options]) [--cuda V] [--ptxas PATH]
                    [--nvdisasm PATH] -o report.html

The page shows the IR after each pass, the PTX with each line linked to the IR op it came from
in every stage, the SASS with each instruction linked to its PTX line (HGMMA, gsb0,
WARPGROUP.DEPBAR/ARRIVE and LDL/STL highlighted), the guard's and the doctor's findings (a
click scrolls to and highlights the PTX line and the SASS instructions they concern), and the
register and shared-memory budgets.  For foreign PTX (FILE.ptx) it is the doctor's view: no IR.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from exo_gpu import output
from exo_gpu.passes import DEFAULT_PIPELINE
from exo_gpu.ptxas.toolchain import DEFAULT_CUDA
from exo_gpu.inspect.collect import Inspection, InspectError, inspect_module, inspect_ptx
from exo_gpu.inspect.page import render, sass_classes

__all__ = ["Inspection", "InspectError", "inspect_file", "inspect_gemm", "inspect_module", "inspect_ptx",
           "render", "sass_classes", "write_atomically", "add_arguments", "run"]


def inspect_gemm(*, scale_d: str = "immediate", cuda: str = DEFAULT_CUDA, ptxas: str | None = None,
                 nvdisasm: str | None = None, **gemm_args) -> Inspection:
    """Inspect the GEMM that `exo_gpu.gemm(**gemm_args)` builds (scale_d="runtime": the fragile
    form ptxas 12.3 serializes)."""
    from exo_gpu.compiler import gemm, with_locations

    module = gemm(**gemm_args)
    name = module.ops.first.sym_name.data  # type: ignore[union-attr]
    module, text = with_locations(module, f"{name}.mlir")
    pipeline = DEFAULT_PIPELINE.replace("schedule", f"schedule{{scale_d={scale_d}}}", 1)
    return inspect_module(module, text, f"{name}.mlir", title=name + ("" if scale_d == "immediate" else
                          f" (scale-d {scale_d})"), mode="gemm", pipeline=pipeline, cuda=cuda,
                          ptxas=ptxas, nvdisasm=nvdisasm)


def inspect_file(path: str, *, cuda: str = DEFAULT_CUDA, ptxas: str | None = None, nvdisasm: str | None = None,
                 pipeline: str = DEFAULT_PIPELINE) -> Inspection:
    """Inspect a .mlir file (compiled with `pipeline`, by default the whole one from tile IR) or
    any .ptx file."""
    from exo_gpu.compiler import parse, read_mlir

    suffix = Path(path).suffix.lower()
    if suffix not in (".mlir", ".ptx"):
        raise InspectError(f"{path}: give a .mlir file (tile IR) or a .ptx file, or no file and the gemm options")
    if suffix == ".ptx":
        from exo_gpu.ptxas.ptx_input import load_ptx

        if not Path(path).exists():
            raise InspectError(f"cannot read {path}: no such file; fix: give the path of an existing .ptx file")

        return inspect_ptx(load_ptx(path), path, cuda=cuda, ptxas=ptxas, nvdisasm=nvdisasm)
    text = read_mlir(path)
    return inspect_module(parse(text, path), text, path, title=Path(path).name, mode="mlir", cuda=cuda,
                          ptxas=ptxas, nvdisasm=nvdisasm, pipeline=pipeline)


def write_atomically(path: str, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    output.write(path, text)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The inspector's own options (cli.py adds the gemm and toolchain options)."""
    ap.add_argument("file", nargs="?", help="FILE.mlir (tile IR) or FILE.ptx (any PTX: the doctor's view); "
                    "default: the GEMM the options describe")
    ap.add_argument("--accumulate-c", action="store_true", help="C += A @ B instead of C = A @ B")
    ap.add_argument("--consumer-maxnreg", type=int, default=232)
    ap.add_argument("--producer-maxnreg", type=int, default=40)
    ap.add_argument("--scale-d", choices=["immediate", "runtime"], default="immediate",
                    help="runtime: pass scale-d as a run-time predicate (ptxas 12.3 serializes it)")
    ap.add_argument("-p", "--pipeline", default=DEFAULT_PIPELINE,
                    help="with FILE.mlir: the passes to run, ending in emit-ptx (default %(default)s; "
                         "for a dump after schedule: the same without schedule)")
    ap.add_argument("-o", "--output", required=True, metavar="REPORT.html", help="the page to write")


def run(args) -> int:
    """The subcommand: build the page and write it (an ExoGpuError reaches the CLI's one-line handler)."""
    output.check_writable(args.output)
    if args.file:
        ins = inspect_file(args.file, cuda=args.cuda, ptxas=args.ptxas, nvdisasm=args.nvdisasm,
                           pipeline=args.pipeline)
    else:
        ins = inspect_gemm(scale_d=args.scale_d, cuda=args.cuda, ptxas=args.ptxas, nvdisasm=args.nvdisasm,
                           dtype=args.dtype, wgmma_n=args.wgmma_n, tiles_per_warpgroup=args.tiles_per_warpgroup,
                           consumers=args.consumers, stages=args.stages, wait_depth=args.wait_depth,
                           accumulate_c=args.accumulate_c, consumer_maxnreg=args.consumer_maxnreg,
                           producer_maxnreg=args.producer_maxnreg, cluster_n=args.cluster[1],
                           cluster_m=args.cluster[0], schedule=args.schedule, c_dtype=args.c_dtype,
                           split_k=args.split_k, a_in_registers=args.a_in_registers, layout_a=args.layout_a,
                           layout_b=args.layout_b, accumulator=args.accumulator)
    output.write(args.output, render(ins))
    print(f"exo-gpu inspect: wrote {args.output} ({len(ins.findings)} doctor finding(s), "
          f"{sum(len(r.failures) for r in ins.reports)} guard failure(s) in {len(ins.reports)} kernel(s))")
    return 0  # the page is the answer: findings are shown, not an error
