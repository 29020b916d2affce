"""The compiler driver: parse or build IR, run a pass pipeline, print PTX, assemble and guard.

Used by both command-line tools and by the Python API (`exo_gpu.gemm`, `exo_gpu.compile`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from xdsl.dialects.builtin import (
    FileLineColLoc,
    IntAttr,
    ModuleOp,
    StringAttr,
    UnknownLoc,
)
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.utils.arg_spec import parse_spec
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError, VerifyException

from exo_gpu.ptxas import guard, toolchain
from exo_gpu.dialects import make_context
from exo_gpu.dialects.ptx import EntryOp
from exo_gpu.dialects.tile import Schedule, ScheduleError
from exo_gpu.dialects.warpgroup import DEFAULT_RASTER_GROUP, MAX_SPLIT_K
from exo_gpu.dialects.wgmma import WGMMA_TABLE
from exo_gpu.dialects.attrs import kernel_name_problem
from exo_gpu.errors import ArgumentError, ExoGpuError, check_bool, check_choice, check_int, is_cli, option
from exo_gpu.gemm_program import gemm_program
from exo_gpu.passes import DEFAULT_PIPELINE, PASSES
from exo_gpu.passes.emit_ptx import EmitPtxPass, print_ptx
from exo_gpu.passes.gemm_plan import C_DTYPES, LAYOUTS, SCHEDULES, SUPPORTED_DTYPES, from_attr
from exo_gpu.passes.tile_match import match
from exo_gpu.passes.verify_wgmma_pipeline import verify_text


class CompileError(ExoGpuError):
    """Bad IR, a bad pipeline, or a pass that cannot do its job: a one-line diagnosis."""


class _LocatingParser(Parser):
    """A parser that gives every op without an explicit `loc(...)` its file:line:col."""

    def __init__(self, ctx, text: str, filename: str):
        super().__init__(ctx, text, filename)
        self._filename = filename
        self._text = text

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        op = super().parse_operation()
        if isinstance(op.location, UnknownLoc):
            line = self._text.count("\n", 0, start) + 1
            col = start - (self._text.rfind("\n", 0, start) + 1) + 1
            op.location = FileLineColLoc(StringAttr(self._filename), IntAttr(line), IntAttr(col))
        return op


def parse(text: str, filename: str = "<input>") -> ModuleOp:
    """Parse and verify MLIR text; every op is located at its line in `filename`."""
    if not isinstance(text, str):
        raise CompileError(f"parse() takes MLIR text (str), got {type(text).__name__}; fix: "
                           + ("decode it first, text.decode()" if isinstance(text, bytes) else
                              "pass the text of a .mlir file"))
    if not isinstance(filename, str):
        raise CompileError(f"parse(): filename must be a str, got {type(filename).__name__}")
    ctx = make_context()
    module = None
    try:
        module = _LocatingParser(ctx, text, filename).parse_module()
        module.verify()
    except ParseError as e:
        if re.search(r"^\s*\.(version|target)\s", text, re.M):
            raise CompileError(f"{filename}: PTX text, not MLIR; fix: give MLIR (tile IR, e.g. {_TILE_IR_HINT()}), "
                               "or judge PTX with exo-gpu check / exo-gpu doctor") from None
        message = _first_line(str(e), f"{filename}: parse error")
        if "is not registered" in message:
            message += (f"; use the ops of exo-gpu's dialects ({', '.join(sorted(d.name for d in ctx.loaded_dialects))})"
                        if hasattr(ctx, "loaded_dialects") else "; use the ops of exo-gpu's dialects")
        if not str(e).strip().splitlines()[1:2] or not str(e).splitlines()[1].strip():  # no source line: at EOF
            message += " (at the end of the file: close every '{' with its '}')"
        raise CompileError(message) from None
    except (VerifyException, IndexError) as e:
        why = _first_line(str(e))
        if isinstance(e, IndexError) or why == "tuple index out of range":  # xDSL reading the segment sizes
            why = "an op in generic form lists fewer operand groups in operandSegmentSizes than it has"
        if "operandSegmentSizes" in why:
            why += ("; fix: regenerate the IR (written by an older exo-gpu? wgmma.mma_async has four groups "
                    "since a_slot), or add the missing groups as 0")
        raise CompileError(f"{filename}: invalid IR: {why}{_where_invalid(module)}") from None
    return module


def _where_invalid(module: ModuleOp | None) -> str:
    """` (at FILE:LINE:COL)` of the first op whose own verifier fails, or ""."""
    for op in module.walk() if module is not None else ():
        try:
            op.verify(verify_nested_ops=False)
        except (VerifyException, IndexError):
            loc = op.location
            if isinstance(loc, FileLineColLoc):
                return f" (at {loc.filename.data}:{loc.line.data}:{loc.column.data})"
            return ""
    return ""


def _TILE_IR_HINT() -> str:  # noqa: N802 - reads as the constant it stands for
    return "from exo-gpu gemm --emit tile" if is_cli() else "exo_gpu.print_ir(exo_gpu.gemm())"


def read_mlir(path: str) -> str:
    """The text of an MLIR file, or a CompileError naming it: missing, a folder, or not text."""
    if os.path.isdir(path):
        raise CompileError(f"{path}: a directory, not an MLIR file; fix: name one .mlir file")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CompileError(f"cannot read {path}: {e.strerror}; fix: give the path of an existing .mlir file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\0" in text:
        raise CompileError(f"{path}: a binary file, not MLIR text; fix: give tile IR as text (a .mlir file, "
                           f"e.g. {_TILE_IR_HINT()})")
    return text


def _first_line(text: str, prefix: str = "") -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    # xDSL parse errors print "file:line:col", the source line (absent at the end of the
    # file), a caret line, the message.
    caret = next((i for i, line in enumerate(lines[:3]) if line.strip().startswith("^")), None)
    if caret in (1, 2) and len(lines) > caret + 1:
        return f"{lines[0].strip()}: {lines[caret + 1].strip()}"
    return (lines[0] if lines else prefix).strip()


def print_ir(module: ModuleOp) -> str:
    """The MLIR text of `module` (any operation)."""
    from io import StringIO

    if not isinstance(module, Operation):
        raise CompileError(f"print_ir() takes an operation, got {type(module).__name__}; fix: pass the module that "
                           "exo_gpu.gemm(...) or exo_gpu.parse(text) returns")

    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n"


def with_locations(module: ModuleOp, filename: str) -> tuple[ModuleOp, str]:
    """Round-trip `module` through its text so its ops are located in `filename`."""
    text = print_ir(module)
    return parse(text, filename), text


def parse_pipeline(spec: str) -> list[ModulePass]:
    """`schedule,insert-syncs,...` (xdsl-opt syntax, options as `name{opt=value}`) into passes."""
    passes = []
    for part in _split_pipeline(spec):
        if not part:
            raise CompileError(f"pass pipeline '{spec}' has an empty pass name: write passes "
                               f"separated by single commas, e.g. '{DEFAULT_PIPELINE}'")
        try:
            pass_spec = parse_spec(part)
        except (Exception, ArgSpecParseError) as e:  # ArgSpecParseError is a BaseException
            raise CompileError(f"bad pass spec '{part}': {_spec_problem(str(e))}; write "
                               f"name{{option=value ...}}, quoting text values "
                               f"(cuda=\"13.x\") and closing every brace") from None
        if pass_spec.name not in PASSES:
            raise CompileError(f"unknown pass '{pass_spec.name}': available passes are {', '.join(PASSES)}")
        try:
            passes.append(PASSES[pass_spec.name].from_pass_spec(pass_spec))
        except (Exception, ArgSpecParseError) as e:
            where = "exo-gpu-opt --list-passes" if is_cli() else "exo_gpu.opt.list_passes()"
            raise CompileError(f"bad options for pass '{pass_spec.name}': {_first_line(str(e))}; "
                               f"see {where} for its options") from None
    return passes


def _spec_problem(message: str) -> str:
    """xDSL's multi-line pipeline diagnostic as one line: what is wrong, and at which column."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    where = next((ln.rsplit(":", 1)[-1] for ln in lines if ln.startswith("pass-pipeline:")), None)
    what = lines[-1] if lines else "malformed"
    return f"{what[0].lower() + what[1:]}" + (f" (column {where})" if where else "")


def _split_pipeline(spec: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in spec:
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        current += ch
    if current.strip():
        parts.append(current.strip())
    if not parts:
        raise CompileError("empty pass pipeline: name at least one pass, e.g. -p schedule")
    return parts


def run_passes(module: ModuleOp, passes: list[ModulePass],
               after_each: Callable[[ModulePass, ModuleOp], None] | None = None) -> ModuleOp:
    """Apply `passes` in order, verifying after each; `after_each` sees the IR after a pass."""
    ctx = make_context()
    for p in passes:
        try:
            p.apply(ctx, module)
            module.verify()
        except VerifyException as e:  # a subclass of DiagnosticException: catch it first
            raise CompileError(f"{p.name}: {_first_line(str(e))}") from None
        except DiagnosticException as e:
            raise CompileError(_first_line(str(e))) from None
        if after_each is not None:
            after_each(p, module)
    return module


def gemm(dtype: str = "tf32", wgmma_n: int = 128, tiles_per_warpgroup: int = 2, consumers: int = 2,
         stages: int = 4, wait_depth: int = 1, layout_a: str = "row", layout_b: str = "col",
         accumulate_c: bool = False, consumer_maxnreg: int = 232, producer_maxnreg: int = 40,
         name: str | None = None, raster_group: int = DEFAULT_RASTER_GROUP, cluster_n: int = 1,
         schedule: str = "cooperative", c_dtype: str = "f32", split_k: int = 1,
         a_in_registers: bool = False, cluster_m: int = 1, accumulator: str = "f32",
         scaled: bool = False) -> ModuleOp:
    """Build the tile-level IR of a GEMM kernel (the Python builder API).  A block's tile has
    tiles_per_warpgroup m64 rows per consumer warpgroup (cooperative) or in all (pingpong).
    split_k = S > 1: split-K, S K ranges per output tile reduced into C by atomic adds.
    a_in_registers: RS wgmma, A fragments loaded from the ring into registers.
    `cluster_n = 2` pairs blocks along N that share A, `cluster_m = 2` pairs blocks along M
    that share B (by TMA multicast); not both.  `accumulator="f16"` accumulates in f16
    (f16, e4m3, e5m2 inputs): half the accumulator registers.  `scaled`: D = (scale_a *
    scale_b) * (A @ B) with two more kernel arguments, one-element f32 tensors read in the
    epilogue from device memory (torch._scaled_mm's per-tensor scales)."""
    _check_gemm_arguments(locals())
    kind = WGMMA_TABLE[dtype]
    block_m = 64 * tiles_per_warpgroup * (consumers if schedule == "cooperative" else 1)
    name = name or (f"gemm_{dtype}_m{block_m}n{wgmma_n}_c{consumers}_s{stages}_w{wait_depth}"
                    + ("_pp" if schedule == "pingpong" else "") + (f"_c{c_dtype}" if c_dtype != "f32" else "")
                    + (f"_k{split_k}" if split_k != 1 else "") + ("_rs" if a_in_registers else "")
                    # MN-major operands: say so in the kernel's name
                    + ("_acol" if layout_a == "col" else "") + ("_brow" if layout_b == "row" else "")
                    + (f"_x{cluster_n}" if cluster_n != 1 else "") + (f"_xm{cluster_m}" if cluster_m != 1 else "")
                    + ("" if accumulator == "f32" else f"_acc{accumulator}") + ("_scaled" if scaled else ""))
    if (why := _gemm_options_problem(dtype, layout_a, layout_b, split_k, cluster_m, cluster_n, accumulator)
            or _scaled_problem(scaled, split_k, accumulator, accumulate_c)):
        raise CompileError(f"gemm {name}: {why}")
    try:
        sched = Schedule(consumers=consumers, kind=schedule, stages=stages, wait_depth=wait_depth,
                         cluster=(cluster_m, cluster_n), split_k=split_k, a_in_registers=a_in_registers,
                         raster_group=raster_group, maxnreg=(consumer_maxnreg, producer_maxnreg),
                         accumulate=accumulator)
    except ScheduleError as e:
        raise CompileError(f"gemm {name}: {e}") from None
    kernel = gemm_program(name, dtype, block_m, wgmma_n, 128 // kind.bytes, sched, layout_a=layout_a,
                          layout_b=layout_b, c_dtype=c_dtype, accumulate_c=accumulate_c, accumulator=accumulator,
                          scaled=scaled)
    module = ModuleOp([kernel])
    try:
        module.verify()
        plan = match(kernel).plan
    except (VerifyException, DiagnosticException) as e:
        raise CompileError(f"gemm {name}: {_first_line(str(e))}") from None
    if (why := plan.check()) is not None:
        raise CompileError(f"gemm {name}: {why}")
    return module


# gemm()'s integer arguments: (lowest, highest, what they count), or None where the schedule
# and _gemm_options_problem check the range in their own words; the finer rules (wgmma N a
# multiple of 8, budgets, shared memory) are the verifiers'.
_GEMM_INTS = {
    "wgmma_n": (8, 256, "wgmma N, a multiple of 8"),
    "tiles_per_warpgroup": (1, 4, "m64 accumulator tiles per consumer warpgroup"),
    "raster_group": (1, 65535, "block rows launched together"),
    **dict.fromkeys(("consumers", "stages", "wait_depth", "consumer_maxnreg", "producer_maxnreg", "cluster_n",
                     "cluster_m", "split_k"), (None, None, "")),
}
_GEMM_CHOICES = {"dtype": SUPPORTED_DTYPES, "schedule": SCHEDULES, "c_dtype": C_DTYPES, "layout_a": LAYOUTS,
                 "layout_b": LAYOUTS}


def _check_gemm_arguments(args: dict) -> None:
    """Type and range of every gemm() argument (bools are not ints, strings are not ints)."""
    try:
        for name, choices in _GEMM_CHOICES.items():
            check_choice(name, args[name], choices)
        for name, (lo, hi, what) in _GEMM_INTS.items():
            check_int(name, args[name], lo, hi, what)
        for name in ("accumulate_c", "a_in_registers", "scaled"):
            check_bool(name, args[name])
    except ArgumentError as e:
        raise CompileError(f"gemm: {e}") from None
    name = args["name"]
    if name is not None:
        if not isinstance(name, str):
            raise CompileError(f"gemm: {option('name')} must be a str (the kernel's PTX name) or None, "
                               f"got {type(name).__name__} {name!r}")
        if (why := kernel_name_problem(name)) is not None:
            raise CompileError(f"gemm: {option('name')} = {name!r}: {why}")


def _gemm_options_problem(dtype: str, layout_a: str, layout_b: str, split_k: int, cluster_m: int, cluster_n: int,
                          accumulator: str) -> str | None:
    """What is wrong with gemm()'s arguments in the API's own terms (before the program is built)."""
    if not WGMMA_TABLE[dtype].transpose and (layout_a, layout_b) != ("row", "col"):
        return (f"{dtype} wgmma reads A and B K-major only: use layout_a = row and layout_b = col "
                f"(got layout_a = {layout_a}, layout_b = {layout_b})")
    if not 1 <= split_k <= MAX_SPLIT_K:
        return f"split_k must be in 1..{MAX_SPLIT_K} (K ranges per output tile), got {split_k}"
    for what, size in (("cluster_m", cluster_m), ("cluster_n", cluster_n)):
        if size not in (1, 2):
            return f"{what} must be 1 or 2, got {size}"
    if cluster_m == 2 and cluster_n == 2:
        return ("a 2x2 cluster (cluster_m = 2 and cluster_n = 2) is not supported: use cluster_m = 2 "
                "(B multicast) or cluster_n = 2 (A multicast), not both")
    if accumulator not in ("f32", "f16"):
        return f"accumulator must be f32 or f16, got '{accumulator}'"
    return None


def _scaled_problem(scaled: bool, split_k: int, accumulator: str, accumulate_c: bool) -> str | None:
    """The scales are an epilogue on the whole f32 sum, written once."""
    if not scaled:
        return None
    flag = option("scaled") if is_cli() else option("scaled", True)
    if split_k != 1:
        return f"{flag} scales the whole sum in the epilogue: use {option('split_k', 1)} (got {split_k})"
    if accumulator != "f32":
        return f"{flag} multiplies f32 accumulators: use {option('accumulator', 'f32')} (got '{accumulator}')"
    if accumulate_c:
        return f"{flag} writes D = scale * (A @ B), not C += ...: drop {option('accumulate_c')}"
    return None


@dataclass
class Compiled:
    """What `compile` produced: the PTX, and after ptxas the cubin and the guard's reports."""

    ptx: str
    ir_after: dict[str, str] = field(default_factory=dict)
    cubin: bytes | None = None
    reports: list[guard.GuardReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ptxas: toolchain.Tool | None = None
    smem_bytes: int | None = None  # dynamic shared memory of the (last) kernel, to set at launch
    abi: dict | None = None  # the (last) kernel's ABI as `schedule` recorded it (exo_gpu.gpu.abi.KernelAbi reads it)
    abis: dict[str, dict] = field(default_factory=dict)  # every kernel's ABI, by name
    passes_seconds: float = 0.0  # our passes and the PTX printer
    assemble_seconds: float = 0.0  # ptxas, nvdisasm and the guard


def _check_compile_arguments(module, pipeline, cuda, ptxas, nvdisasm, assemble, downgrade, keep_ir) -> None:
    """compile()'s arguments, each of its type: one CompileError naming the argument and the fix."""
    if not isinstance(module, ModuleOp):
        raise CompileError(f"compile() takes a ModuleOp, got {type(module).__name__}; fix: pass the module that "
                           + ("exo_gpu.parse(text) makes of MLIR text" if isinstance(module, str) else
                              "exo_gpu.gemm(...) or exo_gpu.parse(text) returns"))
    if not isinstance(pipeline, str):
        raise CompileError(f"compile(): pipeline must be a str of comma-separated passes, got "
                           f"{type(pipeline).__name__}; e.g. '{DEFAULT_PIPELINE}'")
    if not isinstance(cuda, str):
        raise CompileError(f"compile(): {option('cuda')} must be a str such as '12.3', '13.x' or 'system', got "
                           f"{type(cuda).__name__} {cuda!r} (a float cannot say 12.10 from 12.1)")
    for name, value in (("ptxas", ptxas), ("nvdisasm", nvdisasm)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise CompileError(f"compile(): {option(name)} must be the path of a {name} binary (str) or None, "
                               f"got {type(value).__name__} {value!r}")
    try:
        for name, value in (("assemble", assemble), ("downgrade", downgrade), ("keep_ir", keep_ir)):
            check_bool(name, value)
    except ArgumentError as e:
        raise CompileError(f"compile(): {e}") from None


def _predict(ptx: str, cuda: str, downgrade: bool) -> list[str]:
    """The wgmma pipeline model's verdict before ptxas: a predicted serialization or ptxas
    code fails the compile (downgrade: a warning), naming the culprit and the fix."""
    findings = [f for verdict in verify_text(ptx, cuda) for f in verdict.findings if f.codes or f.serialized]
    messages = [f"predicted for ptxas {cuda}: {f.format().splitlines()[0]} (fix: {f.fix})" for f in findings]
    if messages and not downgrade:
        raise CompileError(messages[0] + (f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""))
    return messages


def compile(module: ModuleOp, pipeline: str = DEFAULT_PIPELINE, *, cuda: str = toolchain.DEFAULT_CUDA,
            ptxas: str | None = None, nvdisasm: str | None = None, assemble: bool = True,
            downgrade: bool = False, keep_ir: bool = False) -> Compiled:
    """Run `pipeline` (ending in emit-ptx) on `module`; then, unless `assemble` is False, check
    the PTX with the wgmma pipeline model for that ptxas, assemble it with the pinned ptxas (or
    `ptxas`/`nvdisasm` given as paths, or cuda="system": the toolkit on PATH) and enforce the
    guard (downgrade: findings become warnings, not errors).  `module` itself is left as it was."""
    _check_compile_arguments(module, pipeline, cuda, ptxas, nvdisasm, assemble, downgrade, keep_ir)
    module = module.clone()
    passes = parse_pipeline(pipeline)
    if not isinstance(passes[-1], EmitPtxPass):
        raise CompileError(f"pipeline '{pipeline}' must end in emit-ptx to produce PTX")
    ir_after: dict[str, str] = {}
    start = time.perf_counter()
    run_passes(module, passes[:-1], (lambda p, m: ir_after.__setitem__(p.name, print_ir(m))) if keep_ir else None)
    try:
        text = print_ptx(module)
    except DiagnosticException as e:
        raise CompileError(_first_line(str(e))) from None
    entries = [op for op in module.walk() if isinstance(op, EntryOp)]
    result = Compiled(text, ir_after, passes_seconds=time.perf_counter() - start,
                      smem_bytes=entries[-1].smem_bytes.value.data if entries else None,
                      abis={e.sym_name.data: from_attr(e.attributes["abi"]) for e in entries if "abi" in e.attributes})
    result.abi = result.abis.get(entries[-1].sym_name.data) if entries else None
    if assemble:
        tool = toolchain.ptxas(cuda, ptxas)
        result.ptxas = tool
        result.warnings += _predict(text, tool.cuda, downgrade)
        start = time.perf_counter()
        disasm = toolchain.nvdisasm(nvdisasm, cuda)
        result.cubin, result.reports = guard.check(text, tool, disasm=disasm)
        result.assemble_seconds = time.perf_counter() - start
        result.warnings += guard.enforce(result.reports, downgrade=downgrade)
    return result
