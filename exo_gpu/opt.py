"""`exo-gpu-opt`: run a pass pipeline on MLIR, with the xdsl-opt / mlir-opt conventions.

    exo-gpu-opt [FILE.mlir | -] -p schedule,insert-syncs [-o OUT | -o -] [--split-input-file]
                [--verify-diagnostics] [--print-ir-before PASS] [--print-ir-after PASS]
                [--print-ir-before-all] [--print-ir-after-all] [--print-ir-after-failure]
                [--list-passes] [--version]

Reads MLIR text (standard input when FILE is left out or `-`) and writes the IR after the
pipeline, or PTX text when the pipeline ends in emit-ptx.  Every stage can be dumped, edited
and fed back.  Built on xDSL's `xDSLOptMain` (argument set, pass registry, input splitting);
what it adds: exo-gpu's dialects and passes, one-line located errors, IR dumps on stderr,
and output files written whole or not at all.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException
from xdsl.xdsl_opt_main import xDSLOptMain

from exo_gpu import __version__, output
from exo_gpu.compiler import CompileError, parse, parse_pipeline, print_ir, run_passes
from exo_gpu.dialects import make_context
from exo_gpu.errors import ExoGpuError, cli_spelling, one_line_usage_errors
from exo_gpu.passes import PASSES
from exo_gpu.passes.emit_ptx import EmitPtxPass, print_ptx

PROG = "exo-gpu-opt"


class ExoGpuOptMain(xDSLOptMain):
    """xdsl-opt's driver with exo-gpu's dialects, passes and error conventions."""

    version_format = f"{PROG} {__version__} (xDSL {{xdsl_version}})"

    def register_all_dialects(self):
        self.ctx = make_context()

    def register_all_passes(self):
        for name, cls in PASSES.items():
            self.register_pass(name, lambda cls=cls: cls)

    def register_all_arguments(self, arg_parser):
        super().register_all_arguments(arg_parser)
        arg_parser.prog = PROG
        add = arg_parser.add_argument
        add("--print-ir-before", action="append", default=[], metavar="PASS",
            help="print the IR before PASS (stderr); may be repeated")
        add("--print-ir-after", action="append", default=[], metavar="PASS",
            help="print the IR after PASS (stderr); may be repeated")
        add("--print-ir-before-all", action="store_true", help="print the IR before every pass (stderr)")
        add("--print-ir-after-all", action="store_true", help="print the IR after every pass (stderr)")
        add("--print-ir-after-failure", action="store_true",
            help="when a pass fails, print the IR as the failing pass left it (stderr)")
        add("--list-passes", action="store_true", help="list the passes with their options, then exit")
        one_line_usage_errors(arg_parser)

    def setup_pipeline(self):
        """Parse the pipeline with exo-gpu's checks (one-line errors naming the fix)."""
        self.passes: list[ModulePass] = parse_pipeline(self.args.passes) if self.args.passes else []
        for flag in ("print_ir_before", "print_ir_after"):
            for name in getattr(self.args, flag):
                if name not in PASSES:
                    raise CompileError(f"--{flag.replace('_', '-')}: unknown pass '{name}': available "
                                       f"passes are {', '.join(PASSES)}")

    def get_input_stream(self) -> tuple[IO[bytes], str]:
        if self.args.input_file in (None, "-"):
            return sys.stdin.buffer, "mlir"
        try:
            return open(self.args.input_file, "rb"), "mlir"
        except IsADirectoryError:
            raise CompileError(f"{self.args.input_file}: is a directory; give an MLIR file") from None
        except OSError as e:
            raise CompileError(f"cannot read {self.args.input_file}: {e.strerror}; give the path of an existing "
                               ".mlir file, or - for standard input") from None

    def get_input_name(self) -> str:
        return "<stdin>" if self.args.input_file in (None, "-") else self.args.input_file

    # ------------------------------------------------------------------------- running

    def _dump(self, when: str, p: ModulePass, module: ModuleOp) -> None:
        wanted = getattr(self.args, f"print_ir_{when}")
        if getattr(self.args, f"print_ir_{when}_all") or p.name in wanted:
            sys.stderr.write(f"// -----// IR Dump {when.capitalize()} {p.name} //----- //\n{print_ir(module)}\n")

    def _apply(self, module: ModuleOp) -> str:
        """Run the pipeline on one module; return the text to write."""
        emit = bool(self.passes) and isinstance(self.passes[-1], EmitPtxPass)
        for p in self.passes[:-1] if emit else self.passes:
            self._dump("before", p, module)
            try:
                run_passes(module, [p], lambda q, m: self._dump("after", q, m))
            except ExoGpuError:
                if self.args.print_ir_after_failure:
                    sys.stderr.write(f"// -----// IR Dump After {p.name} Failed //----- //\n{print_ir(module)}\n")
                raise
        if not emit:
            return print_ir(module)
        try:
            return print_ptx(module)
        except DiagnosticException as e:
            raise CompileError(str(e).strip().splitlines()[0]) from None

    def _chunk_text(self, chunk: IO[bytes], offset: int) -> str:
        try:
            text = chunk.read().decode("utf-8")
        except UnicodeDecodeError:
            raise CompileError(f"{self.get_input_name()}: not UTF-8 text; give MLIR text (a .mlir "
                               f"file), not a binary") from None
        if not text.strip() and not self.args.split_input_file:
            raise CompileError(f"{self.get_input_name()}: the input is empty; give MLIR text (a module, e.g. from "
                               "exo-gpu gemm --emit tile)")
        return "\n" * offset + text  # keep line numbers those of the whole file

    def run_all(self) -> int:
        """Every chunk of the input (one unless --split-input-file); the output is written
        only when every chunk succeeded, except under --verify-diagnostics, where each error
        is printed to stdout as the chunk's result and the run succeeds."""
        output.check_writable(self.args.output_file)
        chunks, _ = self.prepare_input()
        results = []
        for chunk, offset in chunks:
            try:
                module = parse(self._chunk_text(chunk, offset), self.get_input_name())
                results.append(self._apply(module))
            except ExoGpuError as e:
                if not self.args.verify_diagnostics:
                    raise
                results.append(f"{PROG}: error: {e}\n")
            finally:
                chunk.close()
        write_output(self.args.output_file, "// -----\n".join(results))
        return 0


def write_output(path: str | None, text: str) -> None:
    """Standard output for None or "-"; else the file, written whole or not at all."""
    output.write(path, text)


def list_passes() -> str:
    lines = []
    for name, cls in PASSES.items():
        summary = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        lines.append(f"{name}: {summary}")
        for f in dataclasses.fields(cls):
            if f.name != "name":
                default = f.default if f.default is not dataclasses.MISSING else "required"
                lines.append(f"    {f.name}={default!r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    with cli_spelling():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        tool = ExoGpuOptMain(description=__doc__.split("\n\n")[0], args=argv)
        if tool.args.list_passes:
            sys.stdout.write(list_passes())
            return 0
        return tool.run_all()
    except ExoGpuError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except (Exception, ArgSpecParseError) as e:  # an xDSL diagnostic not caught above: still one line
        msg = str(e).strip().splitlines()
        print(f"{PROG}: error: {msg[0] if msg else type(e).__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
