"""How a tile program is mapped onto a Hopper thread block: `#tile.schedule<...>` and `Schedule`.

The block shape is not part of the schedule: it comes from the program's tile types (BM x BN
from the accumulator, BK from the A tile).  Every field is optional; an absent field takes its
default, and `stages` absent means "the most that fit in shared memory", resolved by the
`schedule` pass, which writes the resolved schedule back.

    #tile.schedule<consumers = 2, kind = "cooperative", stages = 4, wait_depth = 1,
                   cluster = [1, 1], split_k = 1, a_in_registers = false, raster_group = 8,
                   maxnreg = [232, 40], scale_d = "immediate", accumulate = "f32",
                   rings = "shared">

`Schedule` (a frozen dataclass) is the Python side: `ScheduleAttr.from_schedule(s)` and
`attr.schedule` convert between them; the attribute prints the fields that were given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from xdsl.dialects.builtin import ArrayAttr, BoolAttr, DictionaryAttr, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from exo_gpu.errors import ExoGpuError

KINDS = ("cooperative", "pingpong")
SCALE_D = ("immediate", "runtime")
ACCUMULATE = ("f32", "f16")
RINGS = ("shared", "per_operand")
CLUSTERS = ((1, 1), (1, 2), (2, 1))
MAX_SPLIT_K = 16
REGISTER_FILE = 65536


class ScheduleError(ExoGpuError, ValueError):
    """A schedule field out of range; the message names the field and its legal values."""


@dataclass(frozen=True)
class Schedule:
    """A tile kernel's schedule (see the module docstring); `stages = None`: as many as fit.

    consumers: consumer warpgroups (1 or 2); kind: "cooperative" (they split each tile's rows)
    or "pingpong" (needs 2: GEMM, they take whole tiles in turn; attention, they share each
    tile and take turns issuing each key block's wgmmas); wait_depth: wgmma groups left in
    flight per K step (0 or 1); cluster: blocks per cluster (M, N): (1, 1), (1, 2) or (2, 1);
    split_k: K ranges per output tile (1..16); a_in_registers: RS wgmma; raster_group: block
    rows launched together; maxnreg: (consumer, producer) register budgets; scale_d:
    "immediate" or "runtime"; accumulate: wgmma accumulator type "f32" or "f16"; rings:
    "shared" (the operands one stage of wgmmas reads share a ring: A's and B's tiles in one
    slot, one full and one empty barrier per slot) or "per_operand" (one ring per operand
    stream, each with its own barriers: a stage waits for and releases each); overlap
    (attention only): each key block's softmax runs under the previous block's P V.
    """

    consumers: int = 2
    kind: str = "cooperative"
    stages: int | None = None
    wait_depth: int = 1
    cluster: tuple[int, int] = (1, 1)
    split_k: int = 1
    a_in_registers: bool = False
    raster_group: int = 8
    maxnreg: tuple[int, int] = (232, 40)
    scale_d: str = "immediate"
    accumulate: str = "f32"
    rings: str = "shared"
    overlap: bool = False

    def __post_init__(self) -> None:
        for pair in ("cluster", "maxnreg"):
            if isinstance(getattr(self, pair), (list, tuple)):
                object.__setattr__(self, pair, tuple(getattr(self, pair)))
        for why in _problems(self):
            raise ScheduleError(why)

    def replace(self, **changes) -> Schedule:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _problems(s: Schedule):
    """Why `s` is not a legal schedule, one message per problem (the first is raised)."""
    if (why := _type_problem(s)) is not None:
        yield why
        return
    if s.consumers not in (1, 2):
        yield f"schedule consumers must be 1 or 2, got {s.consumers}"
    if s.kind not in KINDS:
        yield f"schedule kind must be \"cooperative\" or \"pingpong\", got \"{s.kind}\""
    if s.kind == "pingpong" and s.consumers != 2:
        yield f"schedule kind = \"pingpong\" alternates two consumer warpgroups: use consumers = 2, got {s.consumers}"
    if s.stages is not None and not 2 <= s.stages <= 8:
        yield f"schedule stages must be in 2..8 (or absent: as many as fit), got {s.stages}"
    if s.wait_depth not in (0, 1):
        yield f"schedule wait_depth must be 0 or 1, got {s.wait_depth}"
    if len(s.cluster) != 2 or s.cluster not in CLUSTERS:
        yield f"schedule cluster must be [1, 1], [1, 2] or [2, 1] (blocks along M, N), got {list(s.cluster)}"
    if not 1 <= s.split_k <= MAX_SPLIT_K:
        yield f"schedule split_k must be in 1..{MAX_SPLIT_K}, got {s.split_k}"
    if s.split_k > 1 and s.kind == "pingpong":
        yield f"schedule split_k = {s.split_k} needs kind = \"cooperative\""
    if s.raster_group < 1:
        yield f"schedule raster_group must be at least 1, got {s.raster_group}"
    if len(s.maxnreg) != 2 or any(not 24 <= r <= 256 or r % 8 for r in s.maxnreg):
        yield (f"schedule maxnreg = [consumer, producer] must be two multiples of 8 in 24..256, "
               f"got {list(s.maxnreg)}")
    elif 128 * (s.consumers * s.maxnreg[0] + s.maxnreg[1]) > REGISTER_FILE:
        yield (f"schedule maxnreg = {list(s.maxnreg)} needs {128 * (s.consumers * s.maxnreg[0] + s.maxnreg[1])} "
               f"registers for {s.consumers} consumers and a producer but a block has {REGISTER_FILE}: lower them")
    if s.scale_d not in SCALE_D:
        yield f"schedule scale_d must be \"immediate\" or \"runtime\", got \"{s.scale_d}\""
    if s.accumulate not in ACCUMULATE:
        yield f"schedule accumulate must be \"f32\" or \"f16\", got \"{s.accumulate}\""
    if s.rings not in RINGS:
        yield f"schedule rings must be \"shared\" or \"per_operand\", got \"{s.rings}\""


def _type_problem(s: Schedule) -> str | None:
    """A field of the wrong type (bools and strings are not ints), before any range check."""
    ints = {"consumers": s.consumers, "wait_depth": s.wait_depth, "split_k": s.split_k,
            "raster_group": s.raster_group, **({} if s.stages is None else {"stages": s.stages})}
    for name, v in ints.items():
        if isinstance(v, bool) or not isinstance(v, int):
            return f"schedule {name} must be an integer, got {type(v).__name__} {v!r}"
    for name in ("a_in_registers", "overlap"):
        v = getattr(s, name)
        if not isinstance(v, bool):
            return f"schedule {name} must be True or False, got {type(v).__name__} {v!r}"
    for name, pair in (("cluster", s.cluster), ("maxnreg", s.maxnreg)):
        if not isinstance(pair, tuple) or any(isinstance(v, bool) or not isinstance(v, int) for v in pair):
            return f"schedule {name} must be two integers, e.g. {dict(cluster=[1, 1], maxnreg=[232, 40])[name]}, got {pair!r}"
    return None


FIELDS = tuple(f.name for f in dataclasses.fields(Schedule))
_DEFAULTS = Schedule()


def _to_attr(value) -> Attribute:
    if isinstance(value, bool):
        return BoolAttr.from_bool(value)
    if isinstance(value, int):
        return IntAttr(value)
    if isinstance(value, str):
        return StringAttr(value)
    return ArrayAttr([IntAttr(v) for v in value])


def _from_attr(name: str, attr: Attribute):
    """The Python value of field `name` from its attribute; ScheduleError if of the wrong kind."""
    default = getattr(_DEFAULTS, name)
    if isinstance(default, bool):
        if isinstance(attr, IntegerAttr) and attr.type.width.data == 1:
            return bool(attr.value.data)
        raise ScheduleError(f"schedule {name} must be true or false, got {attr}")
    if isinstance(default, tuple):
        if isinstance(attr, ArrayAttr) and all(isinstance(a, IntAttr) for a in attr.data):
            return tuple(a.data for a in attr.data)
        raise ScheduleError(f"schedule {name} must be a list of two integers like {list(default)}, got {attr}")
    if isinstance(default, str):
        if isinstance(attr, StringAttr):
            return attr.data
        raise ScheduleError(f"schedule {name} must be a string like \"{default}\", got {attr}")
    if isinstance(attr, IntAttr):
        return attr.data
    raise ScheduleError(f"schedule {name} must be an integer, got {attr}")


@irdl_attr_definition
class ScheduleAttr(ParametrizedAttribute):
    """`#tile.schedule<field = value, ...>`: a tile kernel's schedule (fields as in `Schedule`).

    Holds the fields that were written, in `Schedule` field order; absent fields take their
    defaults (`stages`: the most that fit, resolved by the schedule pass).
    """

    name = "tile.schedule"

    fields: DictionaryAttr

    def __init__(self, fields: dict[str, Attribute] | DictionaryAttr | None = None):
        if not isinstance(fields, DictionaryAttr):
            fields = DictionaryAttr(dict(sorted((fields or {}).items(), key=lambda kv: _order(kv[0]))))
        super().__init__(fields)

    @staticmethod
    def from_schedule(schedule: Schedule, full: bool = False) -> ScheduleAttr:
        """The attribute of `schedule`: the fields that differ from the defaults (all with `full`;
        `stages` whenever it is set)."""
        values = {}
        for name in FIELDS:
            value = getattr(schedule, name)
            if value is not None and (full or value != getattr(_DEFAULTS, name) or name == "stages"):
                values[name] = _to_attr(value)
        return ScheduleAttr(values)

    @property
    def schedule(self) -> Schedule:
        """The `Schedule` this attribute says, defaults filled in (ScheduleError if illegal)."""
        return Schedule(**{k: _from_attr(k, v) for k, v in self.fields.data.items() if k in FIELDS})

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        values: dict[str, Attribute] = {}

        def field() -> None:
            pos = parser.pos
            key = parser.parse_identifier()
            if key not in FIELDS:
                parser.raise_error(f"unknown schedule field '{key}': the fields are {', '.join(FIELDS)}", pos, parser.pos)
            if key in values:
                parser.raise_error(f"schedule field '{key}' given twice", pos, parser.pos)
            parser.parse_punctuation("=")
            attr = parser.parse_attribute()
            if isinstance(attr, IntegerAttr) and attr.type.width.data != 1:
                attr = IntAttr(attr.value.data)  # `4` parses as `4 : i64`; the schedule keeps plain ints
            if isinstance(attr, ArrayAttr):
                attr = ArrayAttr([IntAttr(a.value.data) if isinstance(a, IntegerAttr) else a for a in attr.data])
            values[key] = attr

        pos = parser.pos
        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, field)
        attr = DictionaryAttr(dict(sorted(values.items(), key=lambda kv: _order(kv[0]))))
        try:
            Schedule(**{k: _from_attr(k, v) for k, v in attr.data.items()})
        except ScheduleError as e:
            parser.raise_error(str(e), pos, parser.pos)
        return [attr]

    def print_parameters(self, printer: Printer) -> None:
        def item(kv: tuple[str, Attribute]) -> None:
            key, value = kv
            printer.print_string(f"{key} = ")
            if isinstance(value, IntAttr):
                printer.print_string(str(value.data))
            elif isinstance(value, ArrayAttr):
                printer.print_string("[" + ", ".join(str(_plain(a)) for a in value.data) + "]")
            elif isinstance(value, IntegerAttr) and value.type.width.data == 1:
                printer.print_string("true" if value.value.data else "false")
            else:
                printer.print_attribute(value)

        printer.print_string("<")
        printer.print_list(self.fields.data.items(), item)
        printer.print_string(">")

    def verify(self) -> None:
        for key in self.fields.data:
            if key not in FIELDS:
                raise VerifyException(f"unknown schedule field '{key}': the fields are {', '.join(FIELDS)}")
        try:
            self.schedule
        except ScheduleError as e:
            raise VerifyException(str(e)) from None


def _order(name: str) -> int:
    return FIELDS.index(name) if name in FIELDS else len(FIELDS)


def _plain(a: Attribute):
    return a.data if isinstance(a, IntAttr) else a
