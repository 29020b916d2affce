"""`exo-gpu-opt`: run a pass pipeline on an MLIR file, xdsl-opt style.

    exo-gpu-opt FILE.mlir -p schedule,insert-syncs [--print-ir-after-all | --print-ir-after=PASS] [-o OUT]

Reads MLIR text (`-` for stdin) and writes the IR after the pipeline, or PTX text when the
pipeline ends in emit-ptx.  Every stage can be dumped, edited and fed back.
"""

from __future__ import annotations

import argparse
import sys

from exo_gpu.compiler import CompileError, parse, parse_pipeline, print_ir, run_passes
from exo_gpu.errors import ExoGpuError
from exo_gpu.passes import PASSES
from exo_gpu.passes.emit_ptx import EmitPtxPass, print_ptx


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="exo-gpu-opt", description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="MLIR file, or - for standard input")
    ap.add_argument("-p", "--passes", default="", help=f"comma-separated pipeline; passes: {', '.join(PASSES)}")
    ap.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass (stderr)")
    ap.add_argument("--print-ir-after", action="append", default=[], metavar="PASS",
                    help="print the IR after PASS (stderr); may be repeated")
    ap.add_argument("-o", "--output", help="write the result here instead of stdout")
    ap.add_argument("--split-input-file", action="store_true",
                    help="treat each chunk between '// -----' lines as its own file (mlir-opt style); "
                         "errors are reported per chunk, with the original line numbers")
    args = ap.parse_args(argv)
    if args.split_input_file:
        return _split_main(args)
    try:
        for name in args.print_ir_after:
            if name not in PASSES:
                raise CompileError(f"--print-ir-after: unknown pass '{name}': available passes are {', '.join(PASSES)}")
        if args.input == "-":
            text, filename = sys.stdin.read(), "<stdin>"
        else:
            try:
                with open(args.input) as f:
                    text = f.read()
            except OSError as e:
                raise CompileError(f"cannot read {args.input}: {e.strerror}") from None
            filename = args.input
        module = parse(text, filename)
        passes = parse_pipeline(args.passes) if args.passes else []
        emit = bool(passes) and isinstance(passes[-1], EmitPtxPass)

        def dump(p, m):
            if args.print_ir_after_all or p.name in args.print_ir_after:
                sys.stderr.write(f"// -----// IR Dump After {p.name} //----- //\n{print_ir(m)}\n")

        run_passes(module, passes[:-1] if emit else passes, dump)
        out = print_ptx(module) if emit else print_ir(module)
        if args.output:
            with open(args.output, "w") as f:
                f.write(out)
        else:
            sys.stdout.write(out)
        return 0
    except ExoGpuError as e:
        print(f"exo-gpu-opt: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # xDSL diagnostics not caught above still get one line
        msg = str(e).strip().splitlines()
        print(f"exo-gpu-opt: error: {msg[0] if msg else type(e).__name__}", file=sys.stderr)
        return 1


def _split_main(args) -> int:
    """--split-input-file: run the pipeline on every `// -----` chunk; each chunk's output
    (or one error line) in order, the chunks' outputs separated by `// -----`."""
    try:
        with open(args.input) as f:
            text = f.read()
    except OSError as e:
        print(f"exo-gpu-opt: error: cannot read {args.input}: {e.strerror}", file=sys.stderr)
        return 1
    status, outputs, line = 0, [], 0
    for chunk in text.split("// -----\n"):
        padded = "\n" * line + chunk  # keep the file's line numbers in diagnostics
        line += chunk.count("\n") + 1
        try:
            module = parse(padded, args.input)
            passes = parse_pipeline(args.passes) if args.passes else []
            emit = bool(passes) and isinstance(passes[-1], EmitPtxPass)
            run_passes(module, passes[:-1] if emit else passes)
            outputs.append(print_ptx(module) if emit else print_ir(module))
        except ExoGpuError as e:
            print(f"exo-gpu-opt: error: {e}", file=sys.stderr)
            status = 1
    sys.stdout.write("// -----\n".join(outputs))
    return status


if __name__ == "__main__":
    sys.exit(main())
