"""What `schedule` builds a warpgroup kernel from: a GEMM plan, and the kernel ABI it implies.

A `GemmPlan` is everything the schedule needs of a GEMM-shaped tile program: the block shape
(from the program's tile types), the operand layouts and element types (from its tensor
types) and the rest of `#tile.schedule`.  It is produced by recognising a `tile.kernel`
(`exo_gpu.passes.tile_match`), checked once here (`check`),
and turned into IR by `exo_gpu.passes.schedule.build_kernel`.

The kernel ABI (`abi`) is the one description of how the host launches the kernel: its
ordered parameters (tensor maps: which argument, element type, box; raw pointers; sizes and
scalars), its shared memory, threads, cluster and grid rule.  `schedule` records it on the
warpgroup.kernel (`abi` property, a dictionary), lower-to-ptx carries it to the ptx.entry,
and `exo_gpu.compile(...)` exposes it as a plain dict that `exo_gpu.gpu.abi.KernelAbi` reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute

from exo_gpu.dialects.tma import smem_layout
from exo_gpu.dialects.warpgroup import DEFAULT_RASTER_GROUP, MAX_SPLIT_K, SMEM_LIMIT
from exo_gpu.dialects.wgmma import WGMMA_TABLE, check_accumulator, check_shape

SWIZZLE_BYTES = 128
M_TILE = 64
SUPPORTED_DTYPES = ("tf32", "f16", "bf16", "e4m3", "e5m2")
C_DTYPES = ("f32", "bf16", "f16")
SCHEDULES = ("cooperative", "pingpong")
LAYOUTS = ("row", "col")  # of A (row: K-major) and B (col: K-major) in the gemm() API
# The element type of a tensor holding each wgmma input type.
ELEMENT_OF = {"tf32": "f32", "f16": "f16", "bf16": "bf16", "e4m3": "e4m3", "e5m2": "e5m2"}


@dataclass(frozen=True)
class TensorArg:
    """An argument of the kernel as the host sees it: a tensor (its name, element type, rank
    and contiguous dimension, and how the kernel uses it: read / write / readwrite) or, with
    kind = "scalar", a scalar of type `element` (f32, i32, index)."""

    name: str
    element: str
    rank: int = 2
    contiguous: int = -1  # -1: the last dimension
    access: str = "read"
    kind: str = "tensor"

    def abi(self) -> dict:
        if self.kind == "scalar":
            return {"name": self.name, "kind": "scalar", "type": self.element}
        return {"name": self.name, "kind": "tensor", "element": self.element, "rank": self.rank,
                "contiguous": self.contiguous_dim, "access": self.access}

    @property
    def contiguous_dim(self) -> int:
        return self.rank - 1 if self.contiguous < 0 else self.contiguous


@dataclass(frozen=True)
class GemmPlan:
    """One GEMM kernel: C (+)= A @ B over block_m x block_n tiles, K consumed block_k at a time,
    organised as `consumers` consumer warpgroups fed by a `stages`-slot ring; see exo_gpu.gemm's
    and #tile.schedule's documentation for each field."""

    name: str
    dtype: str
    block_m: int
    block_n: int
    block_k: int
    consumers: int = 2
    stages: int = 4
    wait_depth: int = 1
    layout_a: str = "row"
    layout_b: str = "col"
    consumer_maxnreg: int = 232
    producer_maxnreg: int = 40
    accumulate_c: bool = False
    raster_group: int = DEFAULT_RASTER_GROUP
    cluster_n: int = 1
    cluster_m: int = 1
    schedule: str = "cooperative"
    c_dtype: str = "f32"
    split_k: int = 1
    a_in_registers: bool = False
    accumulator: str = "f32"
    runtime_scale_d: bool = False
    batched: bool = False
    rings: str = "shared"  # A and B tiles in one ring, or "per_operand": a ring each
    what: str = ""  # how diagnostics name the source op, e.g. "tile.kernel @gemm"
    location: Attribute | None = field(default=None, compare=False)
    # Where the program's A load, B load, mma and store are (the IR they become is located there).
    op_locations: tuple[tuple[str, Attribute], ...] = field(default=(), compare=False)
    # The kernel's arguments (A, B, C first, in the program's order) and scalar parameters.
    args: tuple[TensorArg, ...] = ()
    arg_index: tuple[int, int, int] = (0, 1, 2)  # positions of A, B and C among the kernel's arguments

    @property
    def owners(self) -> int:
        """Consumer warpgroups that split a tile's rows: all of them (cooperative) or one (pingpong)."""
        return 1 if self.schedule == "pingpong" else self.consumers

    @property
    def tiles_per_warpgroup(self) -> int:
        return self.block_m // (M_TILE * self.owners)

    @property
    def slot_bytes(self) -> tuple[int, int]:
        """Bytes of A and of B per ring slot."""
        atom = SWIZZLE_BYTES // WGMMA_TABLE[self.dtype].bytes
        b_slot = (self.block_n // atom * self.block_k * SWIZZLE_BYTES if self.layout_b == "row"
                  else self.block_n * SWIZZLE_BYTES)
        return self.block_m * SWIZZLE_BYTES, b_slot

    def smem_bytes(self, stages: int | None = None) -> int:
        """Dynamic shared memory of the kernel's rings (laid out as the kernel's ring
        declarations are: exo_gpu.dialects.tma.smem_layout)."""
        stages = self.stages if stages is None else stages
        return smem_layout((name, stages, slot) for name, slot, _ in self.ring_slots())[1]

    def ring_slots(self) -> list[tuple[str, int, int]]:
        """(name, slot bytes, CTAs sharing it) of each ring: "ab" holding A's then B's tile per
        slot (rings = "shared"), or "a" and "b" (rings = "per_operand")."""
        a_slot, b_slot = self.slot_bytes
        if self.rings == "shared":
            return [("ab", a_slot + b_slot, max(self.cluster_n, self.cluster_m))]
        return [("a", a_slot, self.cluster_n), ("b", b_slot, self.cluster_m)]

    def most_stages(self) -> int:
        """The most ring stages (at most 8) that fit in shared memory; 0 if not even 2 do."""
        fits = [s for s in range(2, 9) if self.smem_bytes(s) <= SMEM_LIMIT]
        return max(fits) if fits else 0

    def check(self) -> str | None:
        """The first reason this plan cannot be built (with the fix), or None."""
        for why in (self._check_types(), self._check_block(), self._check_options()):
            if why is not None:
                return why
        return None

    def _check_types(self) -> str | None:
        dtype = self.dtype
        if dtype not in SUPPORTED_DTYPES:
            return f"dtype '{dtype}' is not supported (supported: {', '.join(SUPPORTED_DTYPES)})"
        if (why := check_accumulator(dtype, self.accumulator)) is not None:
            return why
        if not WGMMA_TABLE[dtype].transpose and (self.layout_a != "row" or self.layout_b != "col"):
            return (f"{dtype} wgmma reads A and B K-major only: make A's contiguous dimension its last (K) "
                    f"and B's its first (K) (got layout_a = {self.layout_a}, layout_b = {self.layout_b})")
        if self.c_dtype not in C_DTYPES:
            return f"C's element type must be one of {', '.join(C_DTYPES)}, got '{self.c_dtype}'"
        return None

    def _check_block(self) -> str | None:
        kind = WGMMA_TABLE[self.dtype]
        atom = SWIZZLE_BYTES // kind.bytes
        if self.layout_b == "row" and self.block_n % atom:
            return (f"an N-major B loads B in {atom}-column swizzle atoms: block_n must be a multiple "
                    f"of {atom}, got {self.block_n}")
        if self.consumers not in (1, 2):
            return f"consumers must be 1 or 2, got {self.consumers}"
        if self.schedule not in SCHEDULES:
            return f"kind must be one of {', '.join(SCHEDULES)}, got '{self.schedule}'"
        if self.schedule == "pingpong" and self.consumers != 2:
            return f"kind = pingpong alternates two consumer warpgroups: use consumers = 2, got {self.consumers}"
        if self.block_m <= 0 or self.block_m % (M_TILE * self.owners):
            what = "consumers" if self.owners > 1 else "1 (pingpong: one warpgroup owns a tile)"
            return f"block_m = {self.block_m} must be a multiple of 64 * {what} = {64 * self.owners}"
        if not 1 <= self.tiles_per_warpgroup <= 4:
            return (f"block_m = {self.block_m} gives {self.tiles_per_warpgroup} m64 tiles per consumer "
                    "warpgroup; 1 to 4 are supported")
        if (why := check_shape(self.dtype, 64, self.block_n)) is not None:
            return f"block_n = {self.block_n}: {why}"
        if self.block_k * kind.bytes != SWIZZLE_BYTES:
            return (f"block_k must span 128 bytes (the swizzle width): {atom} for {self.dtype}, "
                    f"got {self.block_k}")
        if not 2 <= self.stages <= 8:
            return f"stages must be in 2..8, got {self.stages}"
        return None

    def _check_options(self) -> str | None:
        if self.raster_group < 1:
            return f"raster_group must be at least 1, got {self.raster_group}"
        if self.cluster_n not in (1, 2) or self.cluster_m not in (1, 2):
            return f"cluster [{self.cluster_m}, {self.cluster_n}] is not supported: use [1, 1], [1, 2] or [2, 1]"
        if self.cluster_m > 1 and self.cluster_n > 1:
            return "a 2x2 cluster is not supported: use cluster [2, 1] (B multicast) or [1, 2] (A multicast)"
        if self.cluster_m > 1 and (self.block_n % 2 or self.block_n // 2 % 8):
            return (f"cluster_m = 2 splits B's block_n = {self.block_n} rows in two halves, each a multiple "
                    "of 8 rows (the 128-byte swizzle atom): use a block_n that is a multiple of 16")
        if self.wait_depth not in (0, 1):
            return f"wait_depth must be 0 or 1, got {self.wait_depth}"
        if not 1 <= self.split_k <= MAX_SPLIT_K:
            return f"split_k must be in 1..{MAX_SPLIT_K} (K ranges per output tile), got {self.split_k}"
        if self.split_k > 1 and self.c_dtype != "f32":
            return (f"split_k = {self.split_k} adds partial tiles into C with f32 atomics: "
                    f"store an f32 C (got {self.c_dtype})")
        if self.split_k > 1 and self.schedule == "pingpong":
            return f"split_k = {self.split_k} is not supported with kind = pingpong: use kind = cooperative"
        if self.accumulator == "f16" and (self.c_dtype != "f32" or self.split_k > 1 or self.a_in_registers):
            return ("an f16 accumulator is stored to an f32 C by the plain epilogue only: use an f32 C, "
                    "split_k = 1 and A from shared memory with it")
        if self.cluster_m > 1 and self.layout_b != "col":
            return "cluster_m = 2 multicasts halves of a K-major B tile: make B's contiguous dimension K"
        if self.a_in_registers and (self.layout_a != "row" or self.layout_b != "col"):
            return ("a_in_registers loads K-major A fragments and takes a K-major B: make A's and B's "
                    f"contiguous dimension K (got layout_a = {self.layout_a}, layout_b = {self.layout_b})")
        if self.runtime_scale_d and self.a_in_registers:
            return ("scale_d = runtime is not built with A in registers: use scale_d = immediate or "
                    "drop a_in_registers")
        if self.batched and (self.split_k > 1 or self.cluster_n > 1 or self.cluster_m > 1):
            return "a batched GEMM is scheduled without split-K or clusters: use split_k = 1 and cluster [1, 1]"
        if self.batched and (self.layout_a != "row" or self.layout_b != "col"):
            return ("a batched GEMM reads K-major A and B (their batches stacked in one 2-D tensor map): make "
                    "A's and B's contiguous dimension K")
        return None

    # -- the kernel ABI ------------------------------------------------------------------
    def tensor_args(self) -> tuple[TensorArg, ...]:
        """The kernel's arguments: the program's, or (a plan built by hand) A, B and C."""
        if self.args:
            return self.args
        rank = 3 if self.batched else 2
        return (TensorArg("a", ELEMENT_OF[self.dtype], rank, rank - 1 if self.layout_a == "row" else rank - 2),
                TensorArg("b", ELEMENT_OF[self.dtype], rank, rank - 2 if self.layout_b == "col" else rank - 1),
                TensorArg("c", self.c_dtype, rank, rank - 1,
                          "readwrite" if self.accumulate_c or self.split_k > 1 else "write"))

    def boxes(self) -> tuple[list[int], list[int]]:
        """The TMA boxes of A and B in elements, innermost (contiguous) dimension first, as
        the producer's tma.loads fetch them (per load, per block of a cluster)."""
        atom = SWIZZLE_BYTES // WGMMA_TABLE[self.dtype].bytes
        rows_per_wg = M_TILE * self.tiles_per_warpgroup
        a = ([atom, self.block_k // self.cluster_n] if self.layout_a == "col"
             else [self.block_k, rows_per_wg // self.cluster_n])
        b = [atom, self.block_k] if self.layout_b == "row" else [self.block_k, self.block_n // self.cluster_m]
        return a, b

    def abi(self) -> dict:
        """The kernel ABI as a plain dict (see the module docstring and exo_gpu.gpu.abi)."""
        ia, ib, ic = self.arg_index
        box_a, box_b = self.boxes()
        rank = 3 if self.batched else 2
        params = [
            {"kind": "tensor_map", "arg": ia, "dtype": self.dtype, "box": box_a, "swizzle": SWIZZLE_BYTES,
             **({"flatten": True} if self.batched else {})},
            {"kind": "tensor_map", "arg": ib, "dtype": self.dtype, "box": box_b, "swizzle": SWIZZLE_BYTES,
             **({"flatten": True} if self.batched else {})},
            {"kind": "pointer", "arg": ic},
            {"kind": "dim", "arg": ic, "dim": rank - 2},  # M
            {"kind": "dim", "arg": ic, "dim": rank - 1},  # N
            {"kind": "dim", "arg": ia, "dim": rank - 1},  # K
        ]
        if self.batched:
            params.append({"kind": "dim", "arg": ic, "dim": 0})  # batch
        args = [t.abi() for t in self.tensor_args()]
        return {
            "kernel": self.name, "args": args, "params": params,
            "smem_bytes": self.smem_bytes(), "threads": 128 * (self.consumers + 1),
            "cluster": [self.cluster_n * self.cluster_m, 1, 1],
            "grid": {"rule": "persistent", "tensor": ic, "block": [self.block_m, self.block_n],
                     "cluster_tiles": [self.cluster_m, self.cluster_n], "split_k": self.split_k,
                     "batch_dims": rank - 2},
            "zero_before_launch": [ic] if self.split_k > 1 and not self.accumulate_c else [],
            # How the kernel runs inside the block (for the host's reports and its GEMM view).
            "schedule": {"kind": self.schedule, "consumers": self.consumers, "stages": self.stages,
                         "wait_depth": self.wait_depth, "a_in_registers": self.a_in_registers,
                         "accumulator": self.accumulator, "rings": self.rings},
        }


def to_attr(value) -> Attribute:
    """A plain value (dict, list, str, int, bool) as a builtin attribute."""
    if isinstance(value, dict):
        return DictionaryAttr({k: to_attr(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return ArrayAttr([to_attr(v) for v in value])
    if isinstance(value, int):  # bools as 0 / 1
        return IntegerAttr(value, 64)
    if isinstance(value, str):
        return StringAttr(value)
    raise TypeError(f"cannot record {value!r} in the kernel ABI")


def from_attr(attr: Attribute):
    """The plain value of an attribute made by `to_attr`."""
    if isinstance(attr, DictionaryAttr):
        return {k: from_attr(v) for k, v in attr.data.items()}
    if isinstance(attr, ArrayAttr):
        return [from_attr(v) for v in attr.data]
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    raise TypeError(f"unexpected attribute {attr} in a kernel ABI")
