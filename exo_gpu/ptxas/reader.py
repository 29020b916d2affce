"""Read PTX text (ours, nvcc's, NVRTC's, Triton's) into the flat foreign form of the `ptx` dialect.

Every `.entry` and `.func` becomes a `ptx.func` holding, in order, one op per instruction:
`ptx.mma` for `wgmma.mma_async` (accumulator, A and B operands, scale-d), `ptx.flat_label`,
`ptx.branch` for `bra`, and `ptx.instr` for everything else, which keeps its opcode, operand
text and the registers it reads and writes.  Nothing is dropped.

What the reader understands:

* `//` and `/* */` comments (`// begin inline asm` / `// end inline asm` are noted);
* `{ ... }` scopes, e.g. nvcc's inline-asm and call scopes, with their own `.reg`
  declarations: a scoped register is renamed `name$N` so it cannot be confused with a
  register of the same name elsewhere;
* `.reg` declarations (`%r<100>`, `%f1, %f2`, `p`), so that only declared registers count as
  register reads/writes (special registers and symbols do not);
* `.loc F L C[, function_name ..., inlined_at ...]` and `.file F "name"`: each op carries the
  source location `name:L` of the last `.loc`;
* predicates `@p` / `@!p`, vector operands `{a, b}`, addresses `[r+4]`, `call` (the callee is
  kept, and whether it is extern), `.local`/`.shared`/`.param` declarations,
  `.maxntid`/`.reqntid`/`.minnctapersm`/`.maxnreg`/`.pragma` directives, `.section` blocks
  (skipped).

Bad input raises `PtxReadError` with the PTX line it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp

from exo_gpu.dialects import ptx
from exo_gpu.errors import ExoGpuError


class PtxReadError(ExoGpuError):
    """PTX the reader cannot read; the message names the line."""


_NO_DEST = ("st", "red", "bar", "barrier", "membar", "fence", "wgmma.fence", "wgmma.commit_group", "wgmma.wait_group",
            "prefetch", "prefetchu", "cp", "mbarrier.init", "mbarrier.inval", "mbarrier.expect_tx", "mbarrier.complete_tx",
            "trap", "setmaxnreg", "stmatrix", "ret", "exit", "call", "bra", "brx", "pmevent", "griddepcontrol",
            "tensormap", "nanosleep", "discard", "applypriority", "cp.async", "cp.reduce", "multimem.st", "multimem.red",
            "st.async", "red.async", "tcgen05", "wmma.store", "stackrestore", "brkpt", "elect")
_ALL_DEST_WRITE = ("setp",)  # writes p|q
_REG_RANGE_RE = re.compile(r"^(%?[A-Za-z_$][\w$]*)<(\d+)>$")
_NAME_RE = re.compile(r"%?[A-Za-z_$][\w$]*")
_TOKEN_RE = re.compile(r"%?[A-Za-z_$][\w$.]*")
_FUNC_RE = re.compile(r"^(?P<attrs>(?:\.(?:visible|weak|extern|entry|func)\s*)+)(?:\((?P<ret>[^)]*)\)\s*)?"
                      r"(?P<name>[A-Za-z_$][\w$]*)\s*(?:\((?P<params>.*?)\))?\s*(?P<rest>.*)$", re.S)
_LOC_RE = re.compile(r"^\.loc\s+(\d+)\s+(\d+)\s+(\d+)")
_FILE_RE = re.compile(r'^\.file\s+(\d+)\s+"([^"]*)"')
_LABEL_RE = re.compile(r"^([A-Za-z_$][\w$]*)\s*:(?!:)")


@dataclass
class _Scope:
    names: dict[str, str] = field(default_factory=dict)  # declared name -> unique name
    ranges: dict[str, tuple[str, int]] = field(default_factory=dict)  # prefix -> (unique prefix, count)


@dataclass
class ReadResult:
    module: ModuleOp
    files: dict[int, str]
    lines: list[str]  # the PTX text, one entry per line (line N is lines[N - 1])


def _strip_comments(text: str) -> list[tuple[str, bool]]:
    """Lines without comments, each with whether a `// begin inline asm` region covers it."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    out, in_asm = [], False
    for line in text.split("\n"):
        i = line.find("//")
        comment = line[i:] if i >= 0 else ""
        if "begin inline asm" in comment:
            in_asm = True
        code = line[:i] if i >= 0 else line
        out.append((code, in_asm))
        if "end inline asm" in comment:
            in_asm = False
    return out


def _split_top(s: str, sep: str = ",") -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


class _Reader:
    def __init__(self, text: str, filename: str):
        self.filename = filename
        self.raw_lines = text.split("\n")
        self.lines = _strip_comments(text)
        self.files: dict[int, str] = {}
        self.loc: str | None = None
        self.module = ModuleOp([])
        self.defined_funcs: set[str] = set()
        self.extern_funcs: set[str] = set()
        self.func: ptx.FlatFuncOp | None = None
        self.scopes: list[_Scope] = []
        self.scope_counter = 0
        self.locals: set[str] = set()

    def error(self, line: int, why: str) -> PtxReadError:
        src = self.raw_lines[line - 1].strip() if 0 < line <= len(self.raw_lines) else ""
        return PtxReadError(f"{self.filename}:{line}: cannot read PTX: {why}" + (f" (`{src[:80]}`)" if src else ""))

    # --------------------------------------------------------------- statements

    def statements(self):
        """Yield (first line, statement text, kind) with kind in stmt/open/close/label/directive."""
        buf, start = "", 0
        for n, (code, _) in enumerate(self.lines, 1):
            i = 0
            while i < len(code):
                if not buf.strip():
                    rest = code[i:].strip()
                    if not rest:
                        break
                    start = n
                    lead = rest.split(None, 1)[0] if rest else ""
                    if lead in (".loc", ".file", ".version", ".target", ".address_size", ".maxntid", ".reqntid",
                                ".minnctapersm", ".maxnreg", ".maxclusterrank", ".reqnctapercluster", ".explicitcluster",
                                ".noreturn", ".blocksareclusters"):
                        yield n, rest.rstrip(";").strip(), "directive"
                        break
                    if lead == ".section" or (self.func is None and lead.startswith(".section")):
                        yield n, rest, "section"
                        break
                    if (m := _LABEL_RE.match(rest)) and not rest.startswith("."):
                        yield n, m.group(1), "label"
                        i = code.index(":", i) + 1
                        buf = ""
                        continue
                ch = code[i]
                if ch == ";" and not self._in_parens(buf):
                    yield start, buf.strip(), "stmt"
                    buf = ""
                elif ch == "{" and not self._in_parens(buf) and not self._in_operands(buf):
                    if buf.strip():
                        yield start, buf.strip(), "header"
                        buf = ""
                    yield n, "{", "open"
                elif ch == "}" and not buf.strip():
                    yield n, "}", "close"
                else:
                    if not buf.strip():
                        start = n
                    buf += ch
                i += 1
            buf += "\n" if buf else ""
        if buf.strip():
            yield start, buf.strip(), "stmt"

    @staticmethod
    def _in_parens(buf: str) -> bool:
        return buf.count("(") > buf.count(")")

    @staticmethod
    def _in_operands(buf: str) -> bool:
        """A `{` inside an instruction (a vector operand), not a scope."""
        b = buf.strip()
        if not b:
            return False
        if b.endswith("="):
            return True  # an initializer: `.global .b8 s[3] = {1, 2, 3};`
        if b.startswith(".") and not b.startswith((".reg", ".local", ".shared", ".param")):
            return False  # a function header or directive
        return not b.startswith((".visible", ".entry", ".func", ".weak", ".extern"))

    # --------------------------------------------------------------- reading

    def read(self) -> ReadResult:
        for code, _ in self.lines:  # nvcc prints .file after the functions that use it
            if m := _FILE_RE.match(code.strip()):
                self.files[int(m[1])] = m[2]
        depth = 0
        skip_section = 0
        pending_header: tuple[int, str] | None = None
        for line, text, kind in self.statements():
            if skip_section < 0 and kind == "open":
                skip_section = 1  # the "{" of a `.section` header
                continue
            if skip_section > 0:
                if kind == "open":
                    skip_section += 1
                elif kind == "close":
                    skip_section -= 1
                continue
            if kind == "section":
                skip_section = 1 if "{" in text else 0
                if skip_section == 0:
                    skip_section = -1  # wait for its "{"
                continue
            if skip_section < 0:
                continue
            if kind == "directive":
                self.directive(line, text)
                continue
            if self.func is None:
                if kind in ("stmt", "header"):
                    if re.match(r"^(\.(visible|weak|extern)\s+)*\.(entry|func)\b", text):
                        if kind == "stmt":
                            self.declare(line, text)
                        else:
                            pending_header = (line, text)
                    continue  # module-level declarations (.extern .shared, .global, .const)
                if kind == "open":
                    if pending_header is None:
                        raise self.error(line, "a '{' outside any .entry or .func")
                    self.begin(*pending_header)
                    pending_header = None
                    depth = 1
                    continue
                if kind == "close":
                    raise self.error(line, "an unmatched '}'")
                continue
            if kind == "open":
                depth += 1
                self.scope_counter += 1
                self.scopes.append(_Scope())
            elif kind == "close":
                depth -= 1
                self.scopes.pop()
                if depth == 0:
                    self.func = None
            elif kind == "label":
                self.add(ptx.FlatLabelOp(text, line=line, src=self.loc))
            elif kind in ("stmt", "header"):
                self.statement(line, text)
        if self.func is not None:
            raise self.error(len(self.raw_lines), f"the body of '{self.func.sym_name.data}' is not closed with '}}'")
        for op in self.module.ops:
            if isinstance(op, ptx.FlatFuncOp) and op.sym_name.data in self.defined_funcs:
                op.extern = ptx._int_prop(0)
        return ReadResult(self.module, self.files, self.raw_lines)

    def directive(self, line: int, text: str) -> None:
        if m := _FILE_RE.match(text):
            self.files[int(m[1])] = m[2]
        elif m := _LOC_RE.match(text):
            name = self.files.get(int(m[1]), f"file{m[1]}")
            self.loc = f"{name}:{m[2]}"
        elif self.func is not None or text.startswith((".maxntid", ".reqntid", ".minnctapersm", ".maxnreg")):
            if self.func is not None:
                self.func.directives = ptx.ArrayAttr([*self.func.directives.data, ptx.StringAttr(text)])
            else:
                self._pending_directives.append(text)

    _pending_directives: list[str] = []

    def _parse_header(self, line: int, text: str):
        m = _FUNC_RE.match(" ".join(text.split()))
        if m is None:
            raise self.error(line, "a .entry/.func header that does not parse")
        kind = "entry" if ".entry" in m["attrs"] else "func"
        return m, kind

    def declare(self, line: int, text: str) -> None:
        m, kind = self._parse_header(line, text)
        self.extern_funcs.add(m["name"])
        self.module.body.block.add_op(ptx.FlatFuncOp(m["name"], kind, line, extern=True))

    def begin(self, line: int, text: str) -> None:
        m, kind = self._parse_header(line, text)
        name = m["name"]
        directives = [d.strip() for d in re.findall(r"(\.(?:maxntid|reqntid|minnctapersm|maxnreg|noreturn|pragma)[^.]*)",
                                                    m["rest"] or "")]
        directives += self._pending_directives
        self._pending_directives = []
        self.defined_funcs.add(name)
        self.func = ptx.FlatFuncOp(name, kind, line, directives)
        self.module.body.block.add_op(self.func)
        self.scopes = [_Scope()]
        self.locals = set()
        # parameters are .param symbols, not registers

    def add(self, op) -> None:
        assert self.func is not None
        self.func.body.block.add_op(op)

    # --------------------------------------------------------------- registers

    def declare_regs(self, line: int, text: str) -> None:
        body = text.split(None, 1)[1] if " " in text else ""
        parts = body.split(None, 1)
        if len(parts) < 2:
            raise self.error(line, "a .reg declaration without a type or names")
        while parts and parts[0].startswith(".") and len(parts) == 2:
            body = parts[1]
            parts = body.split(None, 1)
            if not parts[0].startswith("."):
                break
        scope = self.scopes[-1]
        top = len(self.scopes) == 1
        for name in (n.strip() for n in body.split(",")):
            if not name:
                continue
            if m := _REG_RANGE_RE.match(name):
                prefix, count = m[1], int(m[2])
                unique = prefix if top else f"{prefix}${self.scope_counter}_"
                scope.ranges[prefix] = (unique, count)
            elif _NAME_RE.fullmatch(name):
                scope.names[name] = name if top else f"{name}${self.scope_counter}"
            else:
                raise self.error(line, f"a .reg name '{name}' that does not parse")

    def resolve(self, token: str) -> str | None:
        """The unique name of a declared register, or None (a symbol, special register, label)."""
        for scope in reversed(self.scopes):
            if token in scope.names:
                return scope.names[token]
            m = re.fullmatch(r"(%?[A-Za-z_$][\w$]*?)(\d+)", token)
            if m and m[1] in scope.ranges:
                unique, count = scope.ranges[m[1]]
                if int(m[2]) < count:
                    return f"{unique}{m[2]}" if unique != m[1] else token
        return None

    def regs_in(self, operand: str) -> list[str]:
        out = []
        for tok in _TOKEN_RE.findall(operand):
            base = tok.split(".")[0] if not tok.startswith("%") or tok.count(".") else tok
            r = self.resolve(tok) or self.resolve(base)
            if r is not None:
                out.append(r)
        return out

    # --------------------------------------------------------------- instructions

    def statement(self, line: int, text: str) -> None:
        flat = " ".join(text.split())
        if flat.startswith(".reg"):
            self.declare_regs(line, flat)
            return
        if flat.startswith((".local", ".shared", ".param", ".global", ".const")):
            if flat.startswith(".local") and (m := re.search(r"([A-Za-z_$][\w$]*)\s*(\[|$)", flat.split(None)[-1])):
                self.locals.add(m[1])
            return
        if flat.startswith(".pragma"):
            self.add(ptx.OpaqueInstrOp(".pragma", [flat[len(".pragma"):].strip()], [], [], line=line, text=flat,
                                       src=self.loc))
            return
        if flat.startswith("."):
            return  # other declarations: nothing to analyse
        guard = None
        if flat.startswith("@"):
            g, _, flat = flat.partition(" ")
            neg = g.startswith("@!")
            reg = self.resolve(g[2:] if neg else g[1:])
            if reg is None:
                raise self.error(line, f"the guard '{g}' is not a declared predicate register")
            guard = ("!" if neg else "") + reg
            flat = flat.strip()
        opcode, _, rest = flat.partition(" ")
        if not re.fullmatch(r"[a-z_][\w.:]*", opcode):
            raise self.error(line, f"'{opcode}' is not a PTX instruction")
        args = _split_top(rest) if rest.strip() else []
        guard_reads = [guard.lstrip("!")] if guard else []
        if opcode.startswith("wgmma.mma_async"):
            self.add(self.mma(line, opcode, args, flat, guard))
            return
        if opcode.split(".")[0] in ("bra", "brx"):
            if not args:
                raise self.error(line, "a bra without a target")
            self.add(ptx.FlatBranchOp(args[-1], guard_reads, line=line, text=flat, src=self.loc, guard=guard))
            return
        callee = None
        if opcode.split(".")[0] == "call":
            names = [a for a in args if not a.startswith("(")]
            if not names:
                raise self.error(line, "a call without a callee")
            callee = names[0].strip()
        reads, writes = self.effects(opcode, args)
        self.add(ptx.OpaqueInstrOp(opcode, args, guard_reads + reads, writes, line=line, text=flat, src=self.loc,
                                   guard=guard, callee=callee))

    def effects(self, opcode: str, args: list[str]) -> tuple[list[str], list[str]]:
        head = opcode.split(".")[0]
        no_dest = any(opcode == p or opcode.startswith(p + ".") for p in _NO_DEST) or head in _NO_DEST
        if opcode.startswith(("mbarrier.arrive", "mbarrier.try_wait", "mbarrier.test_wait", "cp.async.bulk.commit",
                              "mbarrier.pending_count", "elect")):
            no_dest = opcode.startswith("cp.async.bulk.commit")
        if no_dest or not args:
            return [r for a in args for r in self.regs_in(a)], []
        dest, srcs = args[0], args[1:]
        writes = self.regs_in(dest.replace("|", ","))
        reads = [r for a in srcs for r in self.regs_in(a)]
        if "[" in dest:  # an address in the destination position is read
            reads = self.regs_in(dest) + reads
            writes = []
        return reads, writes

    def mma(self, line: int, opcode: str, args: list[str], text: str, guard: str | None) -> ptx.ForeignMmaOp:
        m = re.match(r"wgmma\.mma_async(?:\.sp)?\.sync\.aligned\.(m\d+n\d+k\d+)\.(.+)$", opcode)
        if m is None or len(args) < 4:
            raise self.error(line, "a wgmma.mma_async that does not parse")
        acc_text = args[0]
        if not (acc_text.startswith("{") and acc_text.endswith("}")):
            raise self.error(line, "the wgmma accumulator operand is not a {...} register list")
        acc = [self.resolve(t.strip()) or t.strip() for t in acc_text[1:-1].split(",")]
        a = args[1]
        if a.startswith("{"):
            a_regs, a_desc = [self.resolve(t.strip()) or t.strip() for t in a[1:-1].split(",")], ""
        else:
            a_regs, a_desc = [], self.resolve(a) or a
        b_desc = self.resolve(args[2]) or args[2]
        scale = args[3] if not opcode.startswith("wgmma.mma_async.sp") else args[5] if len(args) > 5 else args[3]
        scale_reg = self.resolve(scale.lstrip("!"))
        scale_d = (("!" if scale.startswith("!") else "") + scale_reg) if scale_reg else scale
        return ptx.ForeignMmaOp(m[1], m[2], acc, a_regs, a_desc, b_desc, scale_d, line=line, text=text, src=self.loc,
                                guard=guard)


def read_ptx(text: str, filename: str = "<ptx>") -> ReadResult:
    """Read PTX text into a module of `ptx.func` ops (see the module docstring)."""
    return _Reader(text, filename).read()


def functions(module: ModuleOp) -> list[ptx.FlatFuncOp]:
    return [op for op in module.ops if isinstance(op, ptx.FlatFuncOp)]
