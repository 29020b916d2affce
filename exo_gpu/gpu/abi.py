"""The kernel ABI on the host side: what `schedule` recorded in the IR, read back as plain data.

`exo_gpu.compile(...).abi` (a dict, also on the ptx.entry as its `abi` attribute) says how to
launch a scheduled tile kernel; `KernelAbi` reads it and computes, from the numpy arrays and
scalars given per argument, everything a launch needs except device memory:

- `layout(arg, array)`: the array as the kernel's memory holds it (its contiguous dimension
  innermost, in the element type's storage: float32, float16, bf16 bits, fp8 codes);
- `tensor_map(param, shapes)`: a tensor map's global dims and byte strides (innermost first)
  and box, checked against TMA's rules (16-byte strides, boxes of at most 256); `flatten`
  (batched kernels) stacks the batch's matrices into one 2-D map (rows of every batch);
- `param_values(shapes, pointers, scalars)`: the ordered kernel parameters, each a
  (kind, value) pair: ("tensor_map", geometry), ("u64", pointer), ("u32", size), ("f32", x);
- `grid(shapes, max_blocks)`: the 1-D grid of the persistent walk over batch x tiles (x
  splits), capped at `max_blocks` and rounded to whole clusters.

Nothing here needs xDSL, cuda-python or a GPU (exo_gpu.gpu.tile_launch does the driver part).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from exo_gpu.gpu.runtime import (
    C_BYTES,
    ELEM_BYTES,
    CudaError,
    bf16_to_f32,
    c_storage,
    c_values,
    storage_values,
    to_storage,
)

MAX_BOX = 256  # elements of a TMA box along one dimension
# Storage type (runtime dtype name) of each tensor element type.
STORAGE = {"f32": "tf32", "f16": "f16", "bf16": "bf16", "e4m3": "e4m3", "e5m2": "e5m2"}


def element_bytes(element: str) -> int:
    return ELEM_BYTES[STORAGE[element]]


def memory_order(rank: int, contiguous: int) -> list[int]:
    """The logical dims from outermost to innermost in memory: the others in order, then the
    contiguous one."""
    return [d for d in range(rank) if d != contiguous] + [contiguous]


@dataclass(frozen=True)
class KernelAbi:
    """A scheduled kernel's ABI (see the module docstring and exo_gpu.passes.gemm_plan)."""

    kernel: str
    args: tuple[dict, ...]
    params: tuple[dict, ...]
    smem_bytes: int
    threads: int
    cluster: tuple[int, int, int]
    grid_rule: dict
    zero_before_launch: tuple[int, ...] = ()

    @classmethod
    def from_dict(cls, d: dict) -> KernelAbi:
        return cls(d["kernel"], tuple(d["args"]), tuple(d["params"]), int(d["smem_bytes"]), int(d["threads"]),
                   tuple(d["cluster"]), dict(d["grid"]), tuple(d.get("zero_before_launch", ())))

    @property
    def cluster_blocks(self) -> int:
        return math.prod(self.cluster)

    def arg_index(self, name: str) -> int:
        for i, a in enumerate(self.args):
            if a["name"] == name:
                return i
        raise CudaError(f"kernel {self.kernel} has no argument '{name}' "
                        f"(arguments: {', '.join(a['name'] for a in self.args)})")

    def tensors(self) -> list[tuple[int, dict]]:
        return [(i, a) for i, a in enumerate(self.args) if a["kind"] == "tensor"]

    def outputs(self) -> list[str]:
        """The tensors the kernel writes."""
        return [a["name"] for _, a in self.tensors() if a["access"] in ("write", "readwrite")]

    # -- data ----------------------------------------------------------------------------
    def check_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        for _, a in self.tensors():
            shape = shapes.get(a["name"])
            if shape is None:
                raise CudaError(f"kernel {self.kernel}: give an array for tensor '{a['name']}' (rank {a['rank']})")
            if len(shape) != a["rank"] or min(shape, default=1) < 1:
                raise CudaError(f"kernel {self.kernel}: tensor '{a['name']}' must have rank {a['rank']} and "
                                f"positive sizes, got shape {tuple(shape)}")

    def layout(self, arg: int, array: np.ndarray) -> np.ndarray:
        """`array` (logical, any float dtype) as the kernel's memory holds argument `arg`."""
        a = self.args[arg]
        moved = np.transpose(np.asarray(array), memory_order(a["rank"], a["contiguous"]))
        element = a["element"]
        if element in ("bf16", "f16") and a["access"] != "read":
            return np.ascontiguousarray(c_storage(moved, element))
        return np.ascontiguousarray(to_storage(np.ascontiguousarray(moved, dtype=np.float32), STORAGE[element]))

    def values(self, arg: int, stored: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Memory contents of argument `arg` (as `layout` wrote them) as a float64 logical array."""
        a = self.args[arg]
        order = memory_order(a["rank"], a["contiguous"])
        element = a["element"]
        if element == "bf16":
            flat = bf16_to_f32(stored).astype(np.float64)
        elif element == "f16":
            flat = c_values(stored, "f16").astype(np.float64)
        else:
            flat = storage_values(stored, STORAGE[element])
        mem = flat.reshape([shape[d] for d in order])
        return np.transpose(mem, np.argsort(order)).astype(np.float64)

    def nbytes(self, arg: int, shape: tuple[int, ...]) -> int:
        a = self.args[arg]
        size = C_BYTES[a["element"]] if a["element"] in C_BYTES else element_bytes(a["element"])
        return math.prod(shape) * size

    # -- parameters ----------------------------------------------------------------------
    def tensor_map(self, param: dict, shapes: dict[str, tuple[int, ...]]) -> dict:
        """{dtype, dims, strides, box} of a tensor-map parameter: global dims innermost first,
        byte strides of dims 1.., the box; CudaError if TMA cannot describe it."""
        a = self.args[param["arg"]]
        shape = shapes[a["name"]]
        order = memory_order(a["rank"], a["contiguous"])
        dims = [shape[d] for d in reversed(order)]
        if param.get("flatten"):  # a batch of matrices as one: every outer dim stacked on the rows
            dims = [dims[0], math.prod(dims[1:])]
        eb = element_bytes(a["element"])
        strides, step = [], eb
        for d in dims[:-1]:
            step *= d
            strides.append(step)
        box = list(param["box"])
        if len(box) != len(dims):
            raise CudaError(f"kernel {self.kernel}: tensor map of '{a['name']}' has a rank-{len(box)} box for a "
                            f"rank-{len(dims)} tensor")
        if any(b < 1 or b > MAX_BOX for b in box) or box[0] * eb % 16:
            raise CudaError(f"kernel {self.kernel}: TMA box {box} of '{a['name']}' is illegal (1..{MAX_BOX} "
                            "elements per dimension, the inner one a multiple of 16 bytes)")
        for s in strides:
            if s % 16:
                raise CudaError(f"kernel {self.kernel}: tensor '{a['name']}' of shape {tuple(shape)} has a "
                                f"{s}-byte stride; TMA needs multiples of 16 bytes: pad its contiguous "
                                f"dimension {a['contiguous']} to a multiple of {16 // eb}")
        return {"dtype": param["dtype"], "dims": dims, "strides": strides, "box": box,
                "swizzle": param.get("swizzle", 128)}

    def param_values(self, shapes: dict[str, tuple[int, ...]], pointers: dict[str, int],
                     scalars: dict[str, float]) -> list[tuple[str, object]]:
        """The kernel's parameters in order (see the module docstring)."""
        self.check_shapes(shapes)
        out: list[tuple[str, object]] = []
        for p in self.params:
            a = self.args[p["arg"]]
            kind = p["kind"]
            if kind == "tensor_map":
                out.append(("tensor_map", self.tensor_map(p, shapes)))
            elif kind == "pointer":
                out.append(("u64", int(pointers[a["name"]])))
            elif kind == "dim":  # one dimension, or the product of several ("dims")
                shape = shapes[a["name"]]
                out.append(("u32", int(math.prod(shape[d] for d in p.get("dims", [p.get("dim")])))))
            elif kind == "scalar":
                if a["name"] not in scalars:
                    raise CudaError(f"kernel {self.kernel}: give a value for scalar '{a['name']}'")
                out.append(("f32" if p.get("type", "f32") == "f32" else "u32", scalars[a["name"]]))
            else:
                raise CudaError(f"kernel {self.kernel}: unknown ABI parameter kind '{kind}'")
        return out

    def work_units(self, shapes: dict[str, tuple[int, ...]]) -> int:
        g = self.grid_rule
        shape = shapes[self.args[g["tensor"]]["name"]]
        (bm, bn), (cm, cn) = g["block"], g["cluster_tiles"]
        batch = math.prod(shape[:-2])
        return batch * math.ceil(shape[-2] / (bm * cm)) * math.ceil(shape[-1] / (bn * cn)) * g.get("split_k", 1)

    def grid(self, shapes: dict[str, tuple[int, ...]], max_blocks: int | None = None) -> tuple[int, int, int]:
        """One block (cluster) per work unit, or at most `max_blocks` blocks (persistent)."""
        units = self.work_units(shapes)
        if max_blocks:
            units = min(units, max(1, max_blocks // self.cluster_blocks))
        return (units * self.cluster_blocks, 1, 1)
