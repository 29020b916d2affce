"""Foreign PTX: a flat form for PTX we did not emit (nvcc, NVRTC, Triton), read by
`exo_gpu.ptxas.reader`.  Registers are kept by name (strings), not as SSA values, because
foreign code redefines them freely; every op keeps its PTX line, its source location from
`.loc` (when present) and its original text, so that diagnostics can point back at it."""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, StringAttr
from xdsl.ir import Block, Region
from xdsl.irdl import IRDLOperation, irdl_op_definition, opt_prop_def, prop_def, region_def, traits_def
from xdsl.traits import NoTerminator

from exo_gpu.dialects.ptx.registers import _int_prop


def _strs(values: Sequence[str]) -> ArrayAttr:
    return ArrayAttr([StringAttr(v) for v in values])


class FlatOp(IRDLOperation, ABC):
    """An instruction of foreign PTX: its PTX line, source location, text and guard."""

    line = prop_def(IntegerAttr)
    src = opt_prop_def(StringAttr)  # "file.cu:12" from the last `.loc`, if any
    text = prop_def(StringAttr)
    guard = opt_prop_def(StringAttr)  # "%p" or "!%p"

    @property
    def ptx_line(self) -> int:
        return self.line.value.data

    @property
    def source(self) -> str | None:
        return None if self.src is None else self.src.data


@irdl_op_definition
class FlatFuncOp(IRDLOperation):
    """A `.entry` or `.func` of foreign PTX as a flat list of ptx.instr / ptx.mma / ptx.label /
    ptx.branch ops (no structured control flow).  `extern` marks a declaration without a body;
    `directives` keeps `.maxntid`, `.maxnreg`, ... as text."""

    name = "ptx.func"
    sym_name = prop_def(StringAttr)
    kind = prop_def(StringAttr)  # "entry" or "func"
    extern = prop_def(IntegerAttr)
    line = prop_def(IntegerAttr)
    directives = prop_def(ArrayAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(self, name: str, kind: str, line: int, directives: Sequence[str] = (), extern: bool = False):
        super().__init__(regions=[Region(Block())], properties={
            "sym_name": StringAttr(name), "kind": StringAttr(kind), "line": _int_prop(line),
            "directives": _strs(directives), "extern": _int_prop(int(extern))})


@irdl_op_definition
class OpaqueInstrOp(FlatOp):
    """Any foreign instruction we do not model: its opcode, operands (as text), and which
    registers it reads and writes.  Calls keep their callee, labels' users their target."""

    name = "ptx.instr"
    opcode = prop_def(StringAttr)
    operands_ = prop_def(ArrayAttr, prop_name="args")
    reads = prop_def(ArrayAttr)
    writes = prop_def(ArrayAttr)
    callee = opt_prop_def(StringAttr)

    def __init__(self, opcode: str, args: Sequence[str], reads: Sequence[str], writes: Sequence[str], *, line: int,
                 text: str, src: str | None = None, guard: str | None = None, callee: str | None = None):
        props = {"opcode": StringAttr(opcode), "args": _strs(args), "reads": _strs(reads), "writes": _strs(writes),
                 "line": _int_prop(line), "text": StringAttr(text)}
        for k, v in (("src", src), ("guard", guard), ("callee", callee)):
            if v is not None:
                props[k] = StringAttr(v)
        super().__init__(properties=props)

    @property
    def read_regs(self) -> list[str]:
        return [a.data for a in self.reads.data]  # type: ignore[attr-defined]

    @property
    def write_regs(self) -> list[str]:
        return [a.data for a in self.writes.data]  # type: ignore[attr-defined]

    @property
    def args(self) -> list[str]:
        return [a.data for a in self.operands_.data]  # type: ignore[attr-defined]


@irdl_op_definition
class ForeignMmaOp(FlatOp):
    """A parsed `wgmma.mma_async` of foreign PTX: its shape and types, the accumulator
    registers it reads (unless scale-d is the immediate 0) and writes asynchronously, its A
    operand (a descriptor register, or the A fragment registers of an RS wgmma), the B
    descriptor, and scale-d (`"0"`, `"1"` or a predicate register)."""

    name = "ptx.mma"
    shape = prop_def(StringAttr)  # "m64n128k8"
    types = prop_def(StringAttr)  # "f32.tf32.tf32"
    acc = prop_def(ArrayAttr)
    a_regs = prop_def(ArrayAttr)  # RS: the A fragment registers; SS: empty
    a_desc = prop_def(StringAttr)  # SS: the A descriptor register (or an immediate); RS: ""
    b_desc = prop_def(StringAttr)
    scale_d = prop_def(StringAttr)

    def __init__(self, shape: str, types: str, acc: Sequence[str], a_regs: Sequence[str], a_desc: str, b_desc: str,
                 scale_d: str, *, line: int, text: str, src: str | None = None, guard: str | None = None):
        props = {"shape": StringAttr(shape), "types": StringAttr(types), "acc": _strs(acc), "a_regs": _strs(a_regs),
                 "a_desc": StringAttr(a_desc), "b_desc": StringAttr(b_desc), "scale_d": StringAttr(scale_d),
                 "line": _int_prop(line), "text": StringAttr(text)}
        for k, v in (("src", src), ("guard", guard)):
            if v is not None:
                props[k] = StringAttr(v)
        super().__init__(properties=props)

    @property
    def acc_regs(self) -> list[str]:
        return [a.data for a in self.acc.data]  # type: ignore[attr-defined]

    @property
    def a_fragment(self) -> list[str]:
        return [a.data for a in self.a_regs.data]  # type: ignore[attr-defined]


@irdl_op_definition
class FlatLabelOp(FlatOp):
    """A label of foreign PTX (a branch target)."""

    name = "ptx.flat_label"
    label = prop_def(StringAttr)

    def __init__(self, label: str, *, line: int, src: str | None = None):
        props = {"label": StringAttr(label), "line": _int_prop(line), "text": StringAttr(f"{label}:")}
        if src is not None:
            props["src"] = StringAttr(src)
        super().__init__(properties=props)


@irdl_op_definition
class FlatBranchOp(FlatOp):
    """`[@[!]p] bra[.uni] target` of foreign PTX; `guard` unset means unconditional."""

    name = "ptx.branch"
    target = prop_def(StringAttr)
    reads = prop_def(ArrayAttr)

    def __init__(self, target: str, reads: Sequence[str], *, line: int, text: str, src: str | None = None,
                 guard: str | None = None):
        props = {"target": StringAttr(target), "reads": _strs(reads), "line": _int_prop(line), "text": StringAttr(text)}
        for k, v in (("src", src), ("guard", guard)):
            if v is not None:
                props[k] = StringAttr(v)
        super().__init__(properties=props)
