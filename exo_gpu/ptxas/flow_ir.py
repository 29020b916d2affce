"""A plain-Python copy of the reader's flat PTX functions, for the flow model (`exo_gpu.ptxas.flow_model`).

The xDSL properties of `ptx.func` ops rebuild lists on every access; the flow model walks each
function many times (one fixpoint per version family), so it works on this frozen copy:
one `Op` per instruction, label or branch, and one `Func` per `.entry` / `.func`.
`module_funcs(text)` reads PTX (`exo_gpu.ptxas.reader`) and converts it; `IrCache` keeps the
converted functions of a corpus on disk, keyed by the PTX's sha256.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from exo_gpu.dialects import ptx


@dataclass(frozen=True)
class Op:
    kind: str  # "instr", "mma", "label", "bra"
    opc: str = ""  # opcode ("" for mma / label / bra)
    rd: tuple[str, ...] = ()  # registers read
    wr: tuple[str, ...] = ()  # registers written
    guard: str | None = None  # "%p" or "!%p"
    target: str = ""  # label (label / bra)
    callee: str | None = None
    args: tuple[str, ...] = ()
    line: int = 0
    acc: tuple[str, ...] = ()  # mma: accumulator registers
    a: tuple[str, ...] = ()  # mma: A fragment registers (RS)
    sd: str = ""  # mma: scale-d ("0", "1" or a predicate)
    shape: str = ""  # mma: "m64n32k16"
    src: str | None = None  # source location of the last .loc

    def is_(self, prefix: str) -> bool:
        return self.kind == "instr" and self.opc.startswith(prefix)


@dataclass
class Func:
    name: str
    kind: str  # "entry" / "func"
    extern: bool
    directives: tuple[str, ...]
    ops: list[Op] = field(default_factory=list)

    @property
    def maxnreg(self) -> int | None:
        for d in self.directives:
            if d.startswith(".maxnreg"):
                try:
                    return int(d.split()[1].rstrip(";"))
                except (IndexError, ValueError):
                    return None
        return None


def _guard(op) -> str | None:
    g = getattr(op, "guard", None)
    return g.data if g is not None else None


def _src(op) -> str | None:
    s = getattr(op, "src", None)
    return s.data if s is not None else None


def convert(fop: ptx.FlatFuncOp) -> Func:
    fn = Func(fop.sym_name.data, fop.kind.data, bool(fop.extern.value.data),
              tuple(d.data for d in fop.directives.data))
    for op in fop.body.block.ops:
        line = op.ptx_line
        if isinstance(op, ptx.ForeignMmaOp):
            fn.ops.append(Op("mma", "wgmma.mma_async", guard=_guard(op), line=line, acc=tuple(op.acc_regs),
                             a=tuple(op.a_fragment), sd=op.scale_d.data, shape=op.shape.data, src=_src(op),
                             rd=tuple(r for r in (op.a_desc.data, op.b_desc.data) if r.startswith("%"))))
        elif isinstance(op, ptx.FlatLabelOp):
            fn.ops.append(Op("label", target=op.label.data, line=line))
        elif isinstance(op, ptx.FlatBranchOp):
            fn.ops.append(Op("bra", "bra", guard=_guard(op), target=op.target.data, line=line,
                             rd=tuple(a.data for a in op.reads.data)))
        elif isinstance(op, ptx.OpaqueInstrOp):
            fn.ops.append(Op("instr", op.opcode.data, tuple(op.read_regs), tuple(op.write_regs), _guard(op),
                             callee=op.callee.data if op.callee is not None else None, args=tuple(op.args),
                             line=line, src=_src(op)))
    return fn


def module_funcs(text: str, filename: str = "<ptx>") -> dict[str, Func]:
    """Every `.entry` / `.func` of a PTX module (raises reader.PtxReadError on bad PTX)."""
    from exo_gpu.ptxas.reader import functions, read_ptx

    return {f.sym_name.data: convert(f) for f in functions(read_ptx(text, filename).module)}


def _code_hash() -> str:
    h = hashlib.sha256()
    for p in (Path(__file__), Path(__file__).with_name("reader.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


class IrCache:
    """Converted functions of many PTX modules, pickled under ~/.cache/exo-gpu/model/ (a new
    file whenever this module or the reader changes)."""

    def __init__(self, path: Path | None = None):
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "exo-gpu" / "model"
        self.path = path or base / f"flowir-{_code_hash()}.pkl"
        self.data: dict[str, dict[str, Func] | None] = {}
        if self.path.is_file():
            try:
                self.data = pickle.loads(self.path.read_bytes())
            except Exception:  # noqa: BLE001 - a broken cache is rebuilt
                self.data = {}
        self.dirty = False

    def get(self, text: str) -> dict[str, Func] | None:
        key = hashlib.sha256(text.encode()).hexdigest()
        if key not in self.data:
            try:
                self.data[key] = module_funcs(text)
            except Exception:  # noqa: BLE001 - an unreadable program has no functions
                self.data[key] = None
            self.dirty = True
        return self.data[key]

    def save(self) -> None:
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(self.data, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(self.path)
            self.dirty = False
