"""`emit-ptx`: print a module of ptx.entry ops as PTX text (the assembly printer).

Guarantees: `.version 8.0` / `.target sm_90a`; `.reg` declarations computed from the registers
actually used; structured ptx.if / ptx.loop printed as labels and branches; a `.loc` line
whenever the source location changes, so a ptxas message or a SASS line can be traced back
to the IR op (file, line, column) it came from.  Fails if any value has no register yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import FileLineColLoc, ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.passes.levels import expect_level
from exo_gpu.passes.lower_to_ptx import SMEM_SYMBOL

PTX_VERSION = "8.0"
TARGET = "sm_90a"


def _reg(value: SSAValue) -> str:
    ty = value.type
    if isinstance(ty, ptx.PtxRegisterType) and ty.is_allocated:
        return "%" + ty.register_name.data
    if isinstance(ty, ptx.AccType) and ty.is_allocated:
        return ty.register(0)
    raise DiagnosticException(f"emit-ptx: a value of type {ty} has no PTX register: run assign-registers first")


@dataclass
class _Printer:
    files: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    last_loc: tuple[int, int, int] | None = None
    labels: int = 0

    def label(self, what: str) -> str:
        self.labels += 1
        return f"$L__{what}{self.labels}"

    def loc(self, op: Operation) -> None:
        loc = op.location
        if not isinstance(loc, FileLineColLoc):
            return
        file = self.files.setdefault(loc.filename.data, len(self.files) + 1)
        key = (file, loc.line.data, loc.column.data)
        if key != self.last_loc:
            self.lines.append(f"\t.loc {file} {key[1]} {key[2]}")
            self.last_loc = key

    def body(self, ops) -> None:
        for op in ops:
            self.op(op)

    def op(self, op: Operation) -> None:
        self.loc(op)
        if isinstance(op, ptx.IfOp):
            skip = self.label("skip")
            negate = "" if op.negate.value.data else "!"
            self.lines.append(f"\t@{negate}{_reg(op.cond)} bra {skip};")
            self.body(op.body.block.ops)
            self.lines.append(f"{skip}:")
        elif isinstance(op, ptx.LoopOp):
            head, done = self.label("loop"), self.label("done")
            self.lines.append(f"{head}:")
            for inner in op.body.block.ops:
                if isinstance(inner, ptx.BreakIfOp):
                    self.loc(inner)
                    self.lines.append(f"\t@{_reg(inner.cond)} bra {done};")
                elif isinstance(inner, ptx.NextOp):
                    self.loc(inner)
                    self.lines.append(f"\tbra {head};")
                else:
                    self.op(inner)
            self.lines.append(f"{done}:")
        elif isinstance(op, ptx.LabelOp):
            self.lines.append(op.assembly_line(_reg))
        elif isinstance(op, ptx.PtxOp):
            self.lines.append("\t" + op.assembly_line(_reg))
        else:
            raise DiagnosticException(f"emit-ptx: '{op.name}' at {op.location} is not a ptx op: run lower-to-ptx first")


def _declarations(entry: ptx.EntryOp) -> list[str]:
    counts: dict[str, tuple[str, int]] = {}
    acc: dict[str, int] = {}
    for op in entry.walk():
        values = list(op.results) + [a for r in op.regions for b in r.blocks for a in b.args]
        for v in values:
            ty = v.type
            if isinstance(ty, ptx.AccType):
                _reg(v)
                acc[ty.element.data] = max(acc.get(ty.element.data, 0), ty.first.data + ty.count.data)
            elif isinstance(ty, ptx.PtxRegisterType):
                _reg(v)
                prefix = ty.infinite_register_prefix()
                index = ~ty.index.data  # type: ignore[union-attr]
                _, n = counts.get(prefix, (ty.PTX_CLASS, 0))
                counts[prefix] = (ty.PTX_CLASS, max(n, index + 1))
    decls = [f"\t.reg {cls} %{prefix}<{n}>;" for prefix, (cls, n) in sorted(counts.items())]
    for element, (prefix, cls) in ptx.ACC_ELEMENTS.items():
        if acc.get(element):
            decls.append(f"\t.reg {cls} %{prefix}<{acc[element]}>;")
    return decls


def print_ptx(module: ModuleOp) -> str:
    """The PTX text of every ptx.entry in `module`."""
    expect_level(module, "emit-ptx", "assigned", "ptx", require_kernel=False)  # unassigned: named below
    entries = [op for op in module.walk() if isinstance(op, ptx.EntryOp)]
    if not entries:
        raise DiagnosticException("emit-ptx: the module has no ptx.entry: run the pipeline up to assign-registers first")
    printer = _Printer()
    for entry in entries:
        params = ",\n".join(f"\t{p.data}" for p in entry.params.data)  # type: ignore[attr-defined]
        printer.lines += [f".visible .entry {entry.sym_name.data}(", params, ")",
                          f".maxntid {entry.maxntid.value.data}, 1, 1", ".minnctapersm 1"]
        if entry.cluster is not None and entry.cluster.value.data > 1:
            printer.lines.append(f".reqnctapercluster {entry.cluster.value.data}, 1, 1")
        printer.lines.append("{")
        printer.lines += _declarations(entry)
        printer.last_loc = None
        printer.body(entry.body.block.ops)
        printer.lines += ["}", ""]
    files = [f'.file {i} "{name}"' for name, i in printer.files.items()]
    header = [f".version {PTX_VERSION}", f".target {TARGET}", ".address_size 64", "", *files,
              f".extern .shared .align 1024 .b8 {SMEM_SYMBOL}[];", ""]
    return "\n".join(header + printer.lines)


@dataclass(frozen=True)
class EmitPtxPass(ModulePass):
    """Check the module can be printed as PTX; exo-gpu-opt then writes PTX text instead of IR
    when this is the last pass of the pipeline."""

    name = "emit-ptx"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        print_ptx(op)
