"""What `schedule` builds an attention kernel from: an attention plan, and its kernel ABI.

Forward attention O = softmax(Q K^T * scale [+ causal mask]) V per (batch, head), with the
row log-sum-exp L = log(sum_j exp(s_j)) of the scaled scores as a second output.  Q, K, V
and O are (B, H, S, D) tensors, row-major (D contiguous); K and V have H / kv_group heads
(grouped-query attention: query head h reads K/V head h / kv_group); L is (B, H, S) f32.

The plan fixes the FlashAttention-style block structure (exo_gpu.passes.schedule_attention):
`block_m` query rows per tile (64 per consumer warpgroup), `block_n` keys per K/V block
walked by the K loop, `stages` slots in the K and V rings.  Its ABI follows GemmPlan's
format (exo_gpu.gpu.abi): the kernel is a batched one over B * H entries, M = S (queries),
N = D, K = S (keys); the K loop is over key blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.ir import Attribute

from exo_gpu.dialects.tma import smem_layout
from exo_gpu.errors import option
from exo_gpu.dialects.warpgroup import REGISTER_FILE, SMEM_LIMIT

SWIZZLE_BYTES = 128
ATOM = 64  # bf16 / f16 elements of one 128-byte swizzle atom
DTYPES = ("bf16", "f16")
HEAD_DIMS = (64, 128, 256)
LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453


@dataclass(frozen=True)
class AttentionPlan:
    """One attention kernel; see the module docstring.  `wait_depth` is the consumers' P @ V
    groups left in flight across the loop's back edge (0 or 1)."""

    name: str
    dtype: str = "bf16"
    head_dim: int = 128
    causal: bool = False
    kv_group: int = 1
    block_m: int = 128
    block_n: int = 128
    stages: int = 2
    wait_depth: int = 1
    overlap: bool = False  # each block's softmax under the previous block's P V (schedule_attention)
    pingpong: bool = False  # the consumer warpgroups take turns issuing their wgmmas (schedule_attention)
    consumer_maxnreg: int = 240
    producer_maxnreg: int = 24
    what: str = ""  # how diagnostics name the source, e.g. "tile.kernel @attention"
    location: Attribute | None = field(default=None, compare=False)
    # The kernel's arguments: their names, and which argument plays each role (q, kt, v, o,
    # lse, scale_log2); K comes as K^T, a (B, Hkv, D, S) view with D contiguous.
    arg_names: tuple[str, ...] = ("q", "kt", "v", "o", "lse", "scale_log2")
    roles: tuple[tuple[str, int], ...] = (("q", 0), ("kt", 1), ("v", 2), ("o", 3), ("lse", 4), ("scale_log2", 5))

    @property
    def consumers(self) -> int:
        return self.block_m // 64

    @property
    def atoms(self) -> int:
        """128-byte swizzle atoms across the head dimension."""
        return self.head_dim // ATOM

    @property
    def q_stages(self) -> int:
        """Slots of ring q: two (the producer loads the next tile's Q while this one runs)
        when they fit in shared memory beside the K and V rings, else one."""
        return 2 if self._smem(2) <= SMEM_LIMIT else 1

    def ring_slots(self, q_stages: int | None = None) -> list[tuple[str, int, int]]:
        """(name, stages, slot bytes) of rings q (one tile of Q), k and v (one key block each)."""
        q = self.block_m * self.head_dim * 2
        kv = self.block_n * self.head_dim * 2
        return [("q", q_stages or self.q_stages, q), ("k", self.stages, kv), ("v", self.stages, kv)]

    def _smem(self, q_stages: int) -> int:
        return smem_layout(self.ring_slots(q_stages))[1]

    @property
    def smem_bytes(self) -> int:
        return self._smem(self.q_stages)

    def check(self) -> str | None:
        """The first reason this plan cannot be built (with the fix), or None."""
        if self.dtype not in DTYPES:
            return f"attention dtype must be bf16 or f16, got '{self.dtype}'"
        if self.head_dim not in HEAD_DIMS:
            return f"head dim {self.head_dim} is not supported: use 64, 128 or 256"
        if self.block_m != 128:
            return f"block_m must be 128 (two consumer warpgroups of 64 query rows), got {self.block_m}"
        if self.block_n not in (64, 128):
            return f"{option('block_n')} (keys per block) must be 64 or 128, got {self.block_n}"
        if self.kv_group < 1:
            return f"{option('kv_group')} (query heads per K/V head) must be at least 1, got {self.kv_group}"
        if self.wait_depth not in (0, 1):
            return f"{option('wait_depth')} must be 0 or 1, got {self.wait_depth}"
        if not max(2, self.wait_depth + 1) <= self.stages <= 8:
            return (f"{option('stages')} must be in 2..8 (the producer fills one slot while the consumers read "
                    f"another), got {self.stages}")
        if self.smem_bytes > SMEM_LIMIT:
            fix = "use fewer stages" if self.stages > 2 else f"use {option('block_n', 64)}"
            return (f"{self.stages} stages of K and V need {self.smem_bytes} bytes of shared memory, more than "
                    f"{SMEM_LIMIT}: {fix}")
        if self.consumer_maxnreg * 128 * self.consumers + self.producer_maxnreg * 128 > REGISTER_FILE:
            return "the register budgets exceed the register file"
        return None

    def abi(self) -> dict:
        """The kernel ABI (GemmPlan.abi's format): the arguments in the program's order."""
        d, bm, bn = self.head_dim, self.block_m, self.block_n
        role = dict(self.roles)
        shapes = {"q": (4, 3, self.dtype), "kt": (4, 2, self.dtype), "v": (4, 3, self.dtype),
                  "o": (4, 3, self.dtype), "lse": (3, 2, "f32")}
        args: list[dict] = [{}] * len(self.arg_names)
        for name, (rank, contiguous, element) in shapes.items():
            args[role[name]] = {"name": self.arg_names[role[name]], "kind": "tensor", "element": element,
                                "rank": rank, "contiguous": contiguous,
                                "access": "write" if name in ("o", "lse") else "read"}
        args[role["scale_log2"]] = {"name": self.arg_names[role["scale_log2"]], "kind": "scalar", "type": "f32"}
        tmap = lambda name, rows: {"kind": "tensor_map", "arg": role[name], "dtype": self.dtype,  # noqa: E731
                                   "box": [ATOM, rows], "swizzle": SWIZZLE_BYTES, "flatten": True}
        params = [
            tmap("q", bm), tmap("kt", bn),
            {"kind": "pointer", "arg": role["o"]},
            {"kind": "dim", "arg": role["o"], "dim": 2},  # M: queries
            {"kind": "dim", "arg": role["o"], "dim": 3},  # N: the head dim
            {"kind": "dim", "arg": role["kt"], "dim": 3},  # K: keys
            {"kind": "dim", "arg": role["o"], "dims": [0, 1]},  # batch entries: B * H
            tmap("v", bn),
            {"kind": "pointer", "arg": role["lse"]},
            {"kind": "scalar", "arg": role["scale_log2"], "type": "f32"},
        ]
        return {
            "kernel": self.name, "args": args, "params": params, "smem_bytes": self.smem_bytes,
            "threads": 128 * (self.consumers + 1), "cluster": [1, 1, 1],
            "grid": {"rule": "persistent", "tensor": role["o"], "block": [bm, d], "cluster_tiles": [1, 1],
                     "split_k": 1, "batch_dims": 2},
            "zero_before_launch": [],
            "schedule": {"kind": "attention", "consumers": self.consumers, "stages": self.stages,
                         "wait_depth": self.wait_depth, "block_n": bn, "causal": int(self.causal),
                         "kv_group": self.kv_group, "overlap": int(self.overlap),
                         "pingpong": int(self.pingpong), "roles": role},
        }


def flops(batch: int, heads: int, seq_q: int, seq_k: int, head_dim: int, causal: bool) -> float:
    """4 B H Sq Sk D (the two GEMMs), halved with a causal mask: the issue's TFLOP/s count."""
    total = 4.0 * batch * heads * seq_q * seq_k * head_dim
    return total / 2 if causal else total


def default_scale(head_dim: int) -> float:
    """softmax scale 1 / sqrt(D), as torch's scaled_dot_product_attention uses."""
    return 1.0 / math.sqrt(head_dim)
