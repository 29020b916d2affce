"""`exo-gpu`: build, compile, check and inspect Hopper GEMM and attention kernels.

  exo-gpu gemm [--dtype tf32] [--wgmma-n 128] [--tiles-per-warpgroup 2] [--consumers 2] [--stages 4] [--split-k 1]
               [--cuda 12.3] --emit {tile,ptx,cubin,sass,report} [-o OUT]
  exo-gpu compile FILE.{mlir,py} [--consumers N --stages S ... schedule overrides] [--cuda 12.3]
               --emit {tile,ptx,cubin,sass,report} [-o OUT]
  exo-gpu run [gemm options] [--m M --n N --k K | --inputs A_Bt.npz]   (needs a GPU)
  exo-gpu run FILE.{mlir,py} [--shape NAME=AxB ...] [--scalar NAME=V ...] [--inputs X.npz] [--interpret] [-o OUT.npz]
  exo-gpu check FILE.{ptx,cubin} [--cuda V] [--json]
  exo-gpu doctor FILE.ptx [--cuda V] [--json] [--predict-only]
  exo-gpu inspect (FILE.mlir | FILE.ptx | [gemm options]) [--cuda V] -o REPORT.html
  exo-gpu sweep [--grid NAME|FILE] [--cuda 12.3,13.x] [--jobs N] [--json OUT] [--summary OUT]
  exo-gpu toolchain {install,list} [--cuda V,V,...]
  exo-gpu litmus {generate,label,stats} ...   (random wgmma litmus programs and their ptxas labels)
  exo-gpu tune --m M --n N --k K --dtype D [--jobs J] [--scheduler ADDR] [--cache DIR] [--json]   (needs a GPU)
  exo-gpu attention [--head-dim 128] [--dtype bf16] [--causal] [--kv-group G] [--block-n 128] [--stages 2]
               [--wait-depth 1] [--no-overlap] [--no-pingpong] [--cuda 12.3] --emit {tile,ptx,cubin,sass,report} [--json] [-o OUT]
  exo-gpu attention [attention options] --run --batch B --heads H [--kv-heads HK] --seq S [--seed N]   (needs a GPU)
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from exo_gpu.ptxas import doctor, guard, ptx_input, toolchain

from exo_gpu import inspect as inspector
from exo_gpu import sweep
import exo_gpu
from exo_gpu.compiler import CompileError, compile, gemm, with_locations
from exo_gpu import output
from exo_gpu.errors import ExoGpuError, check_int, cli_spelling, one_line_usage_errors
from exo_gpu.passes import DEFAULT_PIPELINE


def _add_toolchain_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--cuda", default=None,
                    help=f"ptxas version from NVIDIA's wheels (default {toolchain.DEFAULT_CUDA}; 13.x = newest; "
                         "system = the CUDA toolkit on PATH)")
    ap.add_argument("--ptxas", metavar="PATH", help="use this ptxas instead of a pinned one")
    ap.add_argument("--nvdisasm", metavar="PATH", help="use this nvdisasm instead of the pinned one")


def _add_output_args(ap: argparse.ArgumentParser) -> None:
    """What a compile writes and with which tools: shared by `gemm` and `compile`."""
    ap.add_argument("--allow-serialization", action="store_true",
                    help="report guard failures as warnings instead of failing the compile")
    ap.add_argument("--emit", choices=["tile", "ptx", "cubin", "sass", "report"], default="report")
    ap.add_argument("--json", action="store_true", help="with --emit report: JSON")
    ap.add_argument("-o", "--output")
    _add_toolchain_args(ap)


def _add_config_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--dtype", choices=["tf32", "f16", "bf16", "e4m3", "e5m2"], default="tf32")
    ap.add_argument("--wgmma-n", type=int, default=128, help="wgmma N, also the block's N (multiple of 8, <= 256)")
    ap.add_argument("--tiles-per-warpgroup", type=int, default=2, help="m64 accumulator tiles per consumer warpgroup")
    ap.add_argument("--consumers", type=int, default=2, help="consumer warpgroups (1 or 2)")
    ap.add_argument("--stages", type=int, default=4, help="shared-memory ring slots")
    ap.add_argument("--wait-depth", type=int, default=1, help="wgmma groups left in flight per stage (0 or 1)")
    ap.add_argument("--cluster", type=_cluster_shape, default=(1, 1), metavar="MxN",
                    help="blocks per cluster (M x N): 1x2 pairs blocks along N that load A once, 2x1 pairs "
                         "blocks along M that load B once, by TMA multicast (default 1x1)")
    ap.add_argument("--schedule", choices=["cooperative", "pingpong"], default="cooperative",
                    help="cooperative: the consumers split each tile's rows; pingpong: they take whole tiles "
                         "in turn, one's epilogue under the other's K loop (needs --consumers 2)")
    ap.add_argument("--c-dtype", choices=["f32", "bf16", "f16"], default="f32",
                    help="element type of C in memory (the accumulators stay f32; bf16/f16 round once, when stored)")
    ap.add_argument("--split-k", type=int, default=1, metavar="S",
                    help="split-K: S K ranges per output tile (1..16), added into C by atomic adds (default 1: off)")
    ap.add_argument("--a-in-registers", action="store_true",
                    help="RS wgmma: each consumer loads its A fragments from the ring into registers (ldmatrix)")
    ap.add_argument("--layout-a", choices=["row", "col"], default="row",
                    help="A (M x K) in global memory: row (K contiguous) or col (M contiguous, M-major; f16/bf16)")
    ap.add_argument("--layout-b", choices=["row", "col"], default="col",
                    help="B (K x N) in global memory: col (K contiguous) or row (N contiguous, N-major; f16/bf16)")

    ap.add_argument("--accumulator", choices=["f32", "f16"], default="f32",
                    help="wgmma accumulator type: f16 (f16, e4m3, e5m2 inputs) halves the accumulator registers; "
                         "C is f32 either way")

def _cluster_shape(text: str) -> tuple[int, int]:
    """--cluster MxN -> (M, N); which shapes compile is the schedule's call."""
    try:
        m, n = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not MxN (1x1, 1x2 or 2x1)") from None
    return m, n


def _write(out: str | None, data: str | bytes) -> None:
    """Standard output (None, or -o -) or the file, written whole or not at all."""
    output.write(out, data)


def _check_output_args(args) -> None:
    """Before any work: the output path can be written, and no option is silently ignored."""
    if args.json and args.emit != "report":
        raise CompileError(f"--json applies to --emit report only (got --emit {args.emit}); drop --json, "
                           "or use --emit report --json")
    if args.emit == "cubin" and args.output is None:
        raise CompileError("--emit cubin writes binary: give -o FILE (or -o - for standard output)")
    output.check_writable(args.output)


def _reports_json(reports: list[guard.GuardReport]) -> str:
    return json.dumps({"kernels": [guard.report_to_json(r) for r in reports]}, indent=2) + "\n"


def cmd_gemm(args) -> int:
    _check_output_args(args)
    module = gemm(dtype=args.dtype, wgmma_n=args.wgmma_n, tiles_per_warpgroup=args.tiles_per_warpgroup,
                  consumers=args.consumers, stages=args.stages, wait_depth=args.wait_depth,
                  accumulate_c=args.accumulate_c, consumer_maxnreg=args.consumer_maxnreg,
                  producer_maxnreg=args.producer_maxnreg, cluster_n=args.cluster[1],
                  schedule=args.schedule, c_dtype=args.c_dtype, split_k=args.split_k,
                  a_in_registers=args.a_in_registers, layout_a=args.layout_a, layout_b=args.layout_b,
                  cluster_m=args.cluster[0], accumulator=args.accumulator, scaled=args.scaled)
    name = module.ops.first.sym_name.data  # type: ignore[union-attr]
    module, tile_text = with_locations(module, f"{name}.mlir")
    if args.emit == "tile":
        _write(args.output, tile_text)
        return 0
    pipeline = DEFAULT_PIPELINE.replace("schedule", f"schedule{{scale_d={args.scale_d}}}", 1)
    result = compile(module, pipeline, cuda=args.cuda, ptxas=args.ptxas, nvdisasm=args.nvdisasm,
                     assemble=args.emit != "ptx", downgrade=args.allow_serialization)
    for w in result.warnings:
        print(f"exo-gpu: warning: {w}", file=sys.stderr)
    if args.emit == "ptx":
        _write(args.output, result.ptx)
    elif args.emit == "cubin":
        _write(args.output, result.cubin or b"")
    elif args.emit == "sass":
        _write(args.output, guard.disassemble(result.cubin or b"", toolchain.nvdisasm(args.nvdisasm, args.cuda)))
    else:
        text = _reports_json(result.reports) if args.json else "\n".join(guard.format_report(r) for r in result.reports) + "\n"
        _write(args.output, text)
    return 0


def _pair(text: str) -> tuple[int, int]:
    """`232,40` -> (232, 40)."""
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not two integers like 232,40") from None
    return a, b


def _add_schedule_args(ap: argparse.ArgumentParser) -> None:
    """Overrides of the fields of each kernel's #tile.schedule (absent: the file's value)."""
    s = ap.add_argument_group("schedule overrides (default: the kernel's #tile.schedule)")
    s.add_argument("--consumers", type=int, help="consumer warpgroups (1 or 2)")
    s.add_argument("--kind", choices=["cooperative", "pingpong"], help="how the consumers share tiles")
    s.add_argument("--stages", type=int, help="shared-memory ring slots (2..8)")
    s.add_argument("--wait-depth", type=int, help="wgmma groups left in flight per K step (0 or 1)")
    s.add_argument("--cluster", type=_cluster_shape, metavar="MxN", help="blocks per cluster: 1x1, 1x2 or 2x1")
    s.add_argument("--split-k", type=int, metavar="S", help="K ranges per output tile (1..16)")
    s.add_argument("--a-in-registers", action="store_const", const=True, help="RS wgmma (A from registers)")
    s.add_argument("--raster-group", type=int, help="block rows launched together")
    s.add_argument("--maxnreg", type=_pair, metavar="C,P", help="consumer and producer register budgets")
    s.add_argument("--scale-d", choices=["immediate", "runtime"], help="wgmma scale-d as an immediate or a predicate")
    s.add_argument("--accumulate", choices=["f32", "f16"], help="wgmma accumulator type")
    s.add_argument("--rings", choices=["shared", "per_operand"],
                   help="A and B tiles in one shared-memory ring, or one ring per operand")


def cmd_compile(args) -> int:
    from exo_gpu.compiler import print_ir
    from exo_gpu.lang.source import load_program, override_schedule

    _check_output_args(args)
    module = load_program(args.file)
    override_schedule(module, args.file, consumers=args.consumers, kind=args.kind, stages=args.stages,
                      wait_depth=args.wait_depth, cluster=args.cluster, split_k=args.split_k,
                      a_in_registers=args.a_in_registers, raster_group=args.raster_group, maxnreg=args.maxnreg,
                      scale_d=args.scale_d, accumulate=args.accumulate, rings=args.rings)
    module.verify()
    if args.emit == "tile":
        _write(args.output, print_ir(module))
        return 0
    result = compile(module, cuda=args.cuda, ptxas=args.ptxas, nvdisasm=args.nvdisasm, assemble=args.emit != "ptx",
                     downgrade=args.allow_serialization)
    return _emit_compiled(args, result)


def _emit_compiled(args, result) -> int:
    for w in result.warnings:
        print(f"exo-gpu: warning: {w}", file=sys.stderr)
    if args.emit == "ptx":
        _write(args.output, result.ptx)
    elif args.emit == "cubin":
        _write(args.output, result.cubin or b"")
    elif args.emit == "sass":
        _write(args.output, guard.disassemble(result.cubin or b"", toolchain.nvdisasm(args.nvdisasm, args.cuda)))
    else:
        text = _reports_json(result.reports) if args.json else "\n".join(guard.format_report(r) for r in result.reports) + "\n"
        _write(args.output, text)
    return 0


def cmd_run(args) -> int:
    from exo_gpu.gpu.runner import run

    npz = None
    if args.inputs:
        try:
            npz = np.load(args.inputs)
            a, bt = npz["A"], npz["Bt"]
        except (OSError, KeyError, ValueError) as e:
            raise CompileError(f"--inputs {args.inputs}: need an .npz with arrays A (M x K) and Bt (N x K): {e}") from None
        m, k = a.shape
        n = bt.shape[0]
        for name, have in (("m", m), ("n", n), ("k", k)):
            given = getattr(args, name)
            if given is not None and given != have:
                raise CompileError(f"--{name} {given} disagrees with --inputs {args.inputs} ({name.upper()} = {have}): "
                                   f"drop --{name} or give matching inputs")
    else:
        m, n, k = (check_int(name, 1024 if getattr(args, name) is None else getattr(args, name), 1, 2**31 - 1,
                             "rows/columns of the GEMM") for name in "mnk")
    result = run(m, n, k, A=None if npz is None else a, Bt=None if npz is None else bt, dtype=args.dtype,
                 wgmma_n=args.wgmma_n, tiles_per_warpgroup=args.tiles_per_warpgroup, consumers=args.consumers,
                 stages=args.stages, wait_depth=args.wait_depth, accumulate_c=False, cuda=args.cuda,
                 ptxas=args.ptxas, nvdisasm=args.nvdisasm, cluster_n=args.cluster[1], schedule=args.schedule,
                 c_dtype=args.c_dtype, split_k=args.split_k, a_in_registers=args.a_in_registers,
                 layout_a=args.layout_a, layout_b=args.layout_b, cluster_m=args.cluster[0],
                 accumulator=args.accumulator)
    print(result.line())
    return 0 if result.passed else 1


def cmd_check(args) -> int:
    path = args.file
    if os.path.isdir(path):
        ptx_input.load_ptx(path)  # one line naming the directory and the fix
    try:
        data = open(path, "rb").read()
    except OSError as e:
        raise CompileError(f"{path}: cannot read it ({e.strerror}); fix: pass the path of an existing .ptx or "
                           ".cubin file") from None
    nvdisasm = toolchain.nvdisasm(args.nvdisasm, args.cuda)
    if path.endswith(".cubin") or data.startswith(b"\x7fELF"):
        if not data.startswith(b"\x7fELF"):
            raise CompileError(f"{path}: not a cubin (no ELF header{', the file is empty' if not data else ''}); "
                               "fix: pass a cubin from ptxas/nvcc -cubin, or the PTX as FILE.ptx")
        try:
            reports = _check_cubin(data, nvdisasm, path)
        except guard.DisassemblyError as e:
            raise CompileError(f"{path}: not a valid cubin ({e}); fix: pass a complete cubin from ptxas/nvcc "
                               "-cubin, or the PTX as FILE.ptx") from None
    else:
        text = ptx_input.check_ptx_bytes(data, path)
        reports = _check_ptx(text, toolchain.ptxas(args.cuda, args.ptxas), nvdisasm, path)
    if args.json:
        sys.stdout.write(_reports_json(reports))
    else:
        for r in reports:
            print(guard.format_report(r))
    return 0 if all(r.ok for r in reports) else 1


def _check_ptx(text: str, tool: toolchain.Tool, nvdisasm: toolchain.Tool, path: str) -> list[guard.GuardReport]:
    """Guard PTX; PTX of a newer ISA than this ptxas reads (nvcc 13's `.version 9.0`) is lowered
    to the older equivalent first, as the doctor does, and a note says so."""
    try:
        return guard.check(text, tool, disasm=nvdisasm)[1]
    except guard.PtxasError as e:
        error = e
    try:
        _, lowered, note = doctor._assemble(text, tool)
    except guard.PtxasError:
        lowered, note = text, None
    if note is None:
        raise CompileError(f"{path}: {error}; fix the PTX there, or name the ptxas it was written for "
                           "(--cuda V or --ptxas PATH)") from None
    print(f"exo-gpu: note: {path}: {note}", file=sys.stderr)
    return guard.check(lowered, tool, disasm=nvdisasm)[1]


def _check_cubin(cubin: bytes, nvdisasm: toolchain.Tool, path: str) -> list[guard.GuardReport]:
    """A cubin has no ptxas log and no PTX: judge its SASS alone."""
    reports = []
    for name, shape in guard.sass_shape(guard.disassemble(cubin, nvdisasm)).items():
        r = guard.GuardReport(name, "none (cubin)", "sm_90a", [], None, None, None, None, None, shape, 0, 0)
        if shape.hgmma > 1 and shape.hgmma_gsb0 == shape.hgmma:
            r.failures.append(f"serialized: all {shape.hgmma} HGMMA carry gsb0 (each waited on by itself)")
        if shape.ldl or shape.stl:
            r.failures.append(f"local memory: {shape.ldl} LDL, {shape.stl} STL")
        reports.append(r)
    if not reports:
        raise CompileError(f"{path}: no kernels found in the cubin")
    return reports


def cmd_toolchain(args) -> int:
    if args.action == "list":
        for v in toolchain.pinned_versions():
            pin = toolchain.PINS[v]
            print(f"{v:5} {pin.spec}{'  (default)' if v == toolchain.DEFAULT_CUDA else ''}")
        return 0
    versions = [v.strip() for v in args.cuda.split(",") if v.strip()]
    if not versions:
        raise toolchain.ToolchainError(f"--cuda '{args.cuda}' names no version; give comma-separated versions, "
                                       f"e.g. --cuda {toolchain.DEFAULT_CUDA},13.x (see exo-gpu toolchain list)")
    for tool in toolchain.install(versions):
        print(f"{tool.name} {tool.version}: {tool.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="exo-gpu", description="Hopper wgmma GEMM kernels without ptxas serialization")
    ap.add_argument("--version", action="version", version=f"exo-gpu {exo_gpu.__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    g = sub.add_parser("gemm", help="build a GEMM kernel and compile it through the full pipeline")
    _add_config_args(g)
    g.add_argument("--accumulate-c", action="store_true", help="C += A @ B instead of C = A @ B")
    g.add_argument("--scaled", action="store_true",
                   help="D = (scale_a * scale_b) * (A @ B): two one-element f32 tensors read in the epilogue "
                        "(torch._scaled_mm's per-tensor scales; for fp8)")
    g.add_argument("--consumer-maxnreg", type=int, default=232)
    g.add_argument("--producer-maxnreg", type=int, default=40)
    g.add_argument("--scale-d", choices=["immediate", "runtime"], default="immediate",
                   help="runtime: pass scale-d as a run-time predicate (reproduces the serialization)")
    _add_output_args(g)
    g.set_defaults(func=cmd_gemm)

    p = sub.add_parser("compile", help="compile a tile program (FILE.mlir, or FILE.py defining @tl.kernel "
                       "functions) through the full pipeline")
    p.add_argument("file", help="FILE.mlir (tile IR) or FILE.py (kernels built with exo_gpu.lang)")
    _add_schedule_args(p)
    _add_output_args(p)
    p.set_defaults(func=cmd_compile)

    r = sub.add_parser("run", help="compile a GEMM, run it on the GPU and check it against float64 "
                       "(exo-gpu run FILE.mlir|FILE.py: a tile program, see exo-gpu run FILE.py --help)")
    _add_config_args(r)
    r.add_argument("--m", type=int, help="rows of A and C (default 1024; with --inputs, A's)")
    r.add_argument("--n", type=int, help="columns of B and C (default 1024; with --inputs, Bt's rows)")
    r.add_argument("--k", type=int, help="the reduced dimension (default 1024; with --inputs, A's columns)")
    r.add_argument("--inputs", metavar="NPZ", help="an .npz with A (M x K) and Bt (N x K); default: fresh random data")
    _add_toolchain_args(r)
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("check", help="assemble PTX (or read a cubin) and run the serialization guard")
    c.add_argument("file")
    c.add_argument("--json", action="store_true")
    _add_toolchain_args(c)
    c.set_defaults(func=cmd_check)

    d = sub.add_parser("doctor", help="explain a kernel's wgmma pipeline: predicted (and observed) "
                       "serialization, the culprit lines and the fix")
    doctor.add_arguments(d)
    d.set_defaults(func=doctor.run)

    i = sub.add_parser("inspect", help="write one self-contained HTML page: the IR after each pass, the PTX "
                       "and SASS linked to it, the guard's and the doctor's findings, the budgets")
    _add_config_args(i)
    inspector.add_arguments(i)
    _add_toolchain_args(i)
    i.set_defaults(func=inspector.run)

    w = sub.add_parser("sweep", help="compile a grid of configurations with the guard, in parallel")
    w.add_argument("--grid", default="default", help=f"a named grid ({', '.join(sweep.GRIDS)}) or a JSON file: a list "
                   "of objects of exo_gpu.gemm() arguments")
    w.add_argument("--cuda", default=f"{toolchain.DEFAULT_CUDA},13.x", help="comma-separated ptxas versions")
    w.add_argument("--jobs", type=int, default=0, help="parallel compiles (default: one per CPU)")
    w.add_argument("--json", metavar="OUT", help="write every outcome here")
    w.add_argument("--summary", metavar="OUT", help="write the Markdown summary here too")
    w.set_defaults(func=lambda args: sweep.main(args))

    t = sub.add_parser("toolchain", help="install or list the pinned ptxas versions")
    t.add_argument("action", choices=["install", "list"])
    t.add_argument("--cuda", default=f"{toolchain.DEFAULT_CUDA},13.x", help="comma-separated versions to install")
    t.set_defaults(func=cmd_toolchain)
    _add_litmus(sub)
    _add_tune(sub)
    _add_attention(sub)
    one_line_usage_errors(ap)
    return ap


def _add_litmus(sub) -> None:
    """`exo-gpu litmus ...`: the same subcommands as `python -m exo_gpu.ptxas.litmus`."""
    from exo_gpu.ptxas.litmus import cli as litmus_cli

    lt = sub.add_parser("litmus", help="generate random wgmma litmus programs, label them on the "
                        "pinned ptxas versions, count the codes")
    litmus_cli.build_parser(lt)
    lt.set_defaults(func=litmus_cli.run)


def _add_tune(sub) -> None:
    """`exo-gpu tune ...`: the autotuner (exo_gpu.tuner.cli)."""
    from exo_gpu.tuner import cli as tune_cli

    tu = sub.add_parser("tune", help="compile candidate schedules of one GEMM in parallel, check and time them "
                        "on every GPU, cache the fastest for exo_gpu.matmul")
    tune_cli.add_arguments(tu)
    tu.set_defaults(func=tune_cli.run)


def _add_attention(sub) -> None:
    """`exo-gpu attention ...`: compile forward attention (exo_gpu.attention_api), or run and check it."""
    from exo_gpu.attention_api import DTYPES, HEAD_DIMS

    a = sub.add_parser("attention", help="build a forward-attention kernel and compile it through the full "
                       "pipeline and the guard (--run: run it on the GPU against a float64 reference)")
    a.add_argument("--head-dim", type=int, choices=HEAD_DIMS, default=128, help="D, the head dimension")
    a.add_argument("--dtype", choices=DTYPES, default="bf16", help="Q, K, V and O element type")
    a.add_argument("--causal", action="store_true", help="mask keys after the query (top-left aligned)")
    a.add_argument("--kv-group", type=int, metavar="G",
                   help="query heads per K/V head (grouped-query attention; default 1; with --run, "
                   "--heads / --kv-heads)")
    a.add_argument("--block-n", type=int, choices=(64, 128), help="keys per K/V block (default 128; 64 at head "
                   "dim 256)")
    a.add_argument("--stages", type=int, default=2, metavar="N", help="slots of the K and V rings")
    a.add_argument("--wait-depth", type=int, choices=(0, 1), default=1, help="P @ V groups left in flight")
    a.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=True,
                   help="each key block's softmax under the previous block's P @ V (default: on)")
    a.add_argument("--pingpong", action=argparse.BooleanOptionalAction, default=True,
                   help="the two consumer warpgroups take turns issuing their wgmmas, so one's softmax runs under "
                   "the other's (default: on)")
    _add_output_args(a)
    a.set_defaults(emit=None, func=cmd_attention)  # --emit report unless --run
    r = a.add_argument_group("run on the GPU (needs a Hopper GPU)")
    r.add_argument("--run", action="store_true", help="compile, run on random inputs, check against float64")
    r.add_argument("--batch", type=int, metavar="B")
    r.add_argument("--heads", type=int, metavar="H", help="query heads")
    r.add_argument("--kv-heads", type=int, metavar="HK", help="K/V heads (H a multiple of HK; default H / --kv-group)")
    r.add_argument("--seq", type=int, metavar="S", help="sequence length (queries and keys)")
    r.add_argument("--seed", type=int, metavar="N", help="random inputs' seed (default: fresh)")


RUN_ONLY = ("batch", "heads", "kv_heads", "seq", "seed")
REFERENCE_SCORES = 2**30  # float64 scores of the reference (8 GiB an array; numpy holds a few at once)


def _attention_run_shape(args) -> tuple[int, int, int, int, int]:
    """(batch, heads, kv_heads, seq, kv_group) of `attention --run`, checked before any work."""
    missing = [f"--{n} {n[0].upper()}" for n in ("batch", "heads", "seq") if getattr(args, n) is None]
    if missing:
        them = "it" if len(missing) == 1 else "them"
        raise CompileError(f"--run needs {', '.join(missing)}: give {them}, e.g. --run --batch 2 --heads 4 --seq 1000")
    if args.emit is not None or args.output is not None or args.json:
        given = "--emit" if args.emit is not None else "-o" if args.output is not None else "--json"
        raise CompileError(f"--run prints the check's line and writes no output: drop {given}, or drop --run")
    batch, heads, seq = (check_int(n, getattr(args, n), 1, 2**31 - 1, w) for n, w in
                         (("batch", "batches"), ("heads", "query heads"), ("seq", "sequence length")))
    if args.seed is not None:
        check_int("seed", args.seed, 0, 2**63 - 1, "the random inputs' seed")
    scores = batch * heads * seq * seq
    if scores > REFERENCE_SCORES:
        raise CompileError(f"--run checks against a float64 reference holding --batch x --heads x --seq^2 = "
                           f"{scores:.3g} scores ({scores * 8 / 2**30:.0f} GiB per array): use a smaller --batch, "
                           f"--heads or --seq (at most {REFERENCE_SCORES:.3g} scores)")
    if args.kv_heads is None:
        group = 1 if args.kv_group is None else check_int("kv_group", args.kv_group, 1, 2**31 - 1,
                                                          "query heads per K/V head")
        if heads % group:
            raise CompileError(f"--heads {heads} is not a multiple of --kv-group {group}: give --heads a multiple "
                               "of --kv-group (each K/V head serves --kv-group query heads)")
        return batch, heads, heads // group, seq, group
    kv_heads = check_int("kv_heads", args.kv_heads, 1, 2**31 - 1, "K/V heads")
    if heads % kv_heads:
        raise CompileError(f"--heads {heads} is not a multiple of --kv-heads {kv_heads}: give --kv-heads a divisor "
                           f"of --heads (grouped-query attention)")
    if args.kv_group is not None and args.kv_group != heads // kv_heads:
        raise CompileError(f"--kv-group {args.kv_group} disagrees with --heads {heads} / --kv-heads {kv_heads} = "
                           f"{heads // kv_heads}: drop --kv-group (it follows from them)")
    return batch, heads, kv_heads, seq, heads // kv_heads


def cmd_attention(args) -> int:
    from exo_gpu.attention_api import attention_program

    shape = None
    if args.run:
        shape = _attention_run_shape(args)
    else:
        given = [n for n in RUN_ONLY if getattr(args, n) is not None]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise CompileError(f"{flag} applies to --run only: add --run (needs a GPU), or drop {flag}")
        args.emit = args.emit or "report"
        _check_output_args(args)
    kv_group = shape[4] if shape else (1 if args.kv_group is None else args.kv_group)
    module = attention_program(args.head_dim, args.dtype, args.causal, kv_group, args.block_n, args.stages,
                               args.wait_depth, args.overlap, args.pingpong)
    module, tile_text = with_locations(module, "attention.mlir")
    if args.emit == "tile":
        _write(args.output, tile_text)
        return 0
    result = compile(module, cuda=args.cuda, ptxas=args.ptxas, nvdisasm=args.nvdisasm,
                     assemble=args.emit != "ptx", downgrade=args.allow_serialization)
    if shape is None:
        return _emit_compiled(args, result)
    from exo_gpu.gpu.attention import check

    for w in result.warnings:
        print(f"exo-gpu: warning: {w}", file=sys.stderr)
    batch, heads, kv_heads, seq, _ = shape
    outcome = check(result.cubin or b"", result.abi or {}, batch, heads, kv_heads, seq, args.head_dim, args.causal,
                    dtype=args.dtype, seed=args.seed)
    print(outcome.line())
    return 0 if outcome.passed else 1


def _run_file_parser() -> argparse.ArgumentParser:
    from exo_gpu.lang import run as run_file

    ap = argparse.ArgumentParser(prog="exo-gpu run", description="run a tile program (FILE.mlir or FILE.py) and "
                                 "check it against the float64 interpreter (--interpret: the interpreter alone)")
    run_file.add_arguments(ap)
    ap.set_defaults(func=run_file.main)
    one_line_usage_errors(ap)
    return ap


def _resolve_toolchain(args) -> None:
    """--cuda's default, and no silently ignored choice: a pinned --cuda VERSION with --ptxas PATH
    would name a ptxas that is not used (--cuda system with --ptxas still takes nvdisasm from PATH)."""
    if not hasattr(args, "ptxas") or not hasattr(args, "cuda"):
        return
    if args.ptxas is not None and args.cuda is not None and str(args.cuda).strip().lower() != toolchain.SYSTEM:
        raise ExoGpuError(f"--cuda {args.cuda} and --ptxas {args.ptxas} both choose the ptxas: give one "
                          "(the version of --ptxas PATH is read from it)")
    if args.cuda is None:
        args.cuda = toolchain.DEFAULT_CUDA


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with cli_spelling():
        return _main(argv)


def _main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "run" and argv[1].endswith((".mlir", ".py")):
        args = _run_file_parser().parse_args(argv[1:])  # `exo-gpu run FILE`: a tile program
    else:
        args = build_parser().parse_args(argv)
    try:
        _resolve_toolchain(args)
        return args.func(args)
    except ExoGpuError as e:
        print(f"exo-gpu: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug of ours: one line, or the traceback with EXO_GPU_TRACEBACK=1
        if os.environ.get("EXO_GPU_TRACEBACK"):
            raise
        print(f"exo-gpu: internal error: {type(e).__name__}: {e} (a bug in exo-gpu: rerun with "
              "EXO_GPU_TRACEBACK=1 and report the traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
