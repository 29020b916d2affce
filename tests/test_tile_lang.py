"""The tile language: examples parse, the Python builder prints the examples' IR, the builder
reports illegal programs at the user's line, and Schedule <-> #tile.schedule."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from exo_gpu import lang as tl
from exo_gpu.compiler import CompileError, parse, print_ir
from exo_gpu.dialects import tile
from exo_gpu.dialects.tile import Schedule, ScheduleAttr, ScheduleError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PAIRS = ["gemm", "gemm_bias_gelu", "batched_gemm", "attention"]


def canonical(module) -> str:
    """The module's text with SSA names dropped and each schedule printed in full."""
    for op in module.walk():
        for r in op.results:
            r.name_hint = None
        for region in op.regions:
            for block in region.blocks:
                for a in block.args:
                    a.name_hint = None
        if isinstance(op, tile.KernelOp) and op.schedule is not None:
            op.properties["schedule"] = ScheduleAttr.from_schedule(op.schedule.schedule, full=True)
    return print_ir(module)


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.mlir")), ids=lambda p: p.name)
def test_example_parses_and_round_trips(path: Path) -> None:
    text = print_ir(parse(path.read_text(), str(path)))
    assert print_ir(parse(text, "printed")) == text


@pytest.mark.parametrize("name", PAIRS)
def test_python_example_builds_the_mlir_example(name: str) -> None:
    kernel = load_example(name)
    assert isinstance(kernel, tl.Kernel) and kernel.name == name
    from_py = canonical(parse(kernel.mlir(), f"{name}.py"))
    from_mlir = canonical(parse((EXAMPLES / f"{name}.mlir").read_text(), f"{name}.mlir"))
    assert from_py == from_mlir


def test_kernel_module_is_a_verified_module() -> None:
    kernel = load_example("gemm")
    kernel.module.verify()
    assert str(kernel) == kernel.mlir() and "tile.kernel @gemm(" in str(kernel)
    assert kernel.schedule == Schedule(consumers=2, stages=4, wait_depth=0)


def _line_of(fn, marker: str) -> int:
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if marker in line)


def test_mma_shape_error_names_the_python_line() -> None:
    def body(a: tl.Tensor[2, "bf16"], c: tl.Tensor[2, "f32"]):
        i, j = tl.program_id()
        x = a.load((i, j), (128, 64))
        acc = tl.zeros((128, 128), "f32")
        acc = tl.mma(x, x, acc)  # MARK
        c.store((i, j), acc)

    with pytest.raises(tl.KernelError) as e:
        tl.kernel(grid=("c", (128, 128)))(body)
    assert str(e.value).startswith(f"{__file__}:{_line_of(body, '# MARK')}: tile.mma: x is 128x64 and y is 128x64")


def test_store_needs_a_cast_first() -> None:
    def body(c: tl.Tensor[2, "bf16"]):
        i, j = tl.program_id()
        c.store((i, j), tl.zeros((64, 64), "f32"))  # MARK

    with pytest.raises(tl.KernelError, match=r":\d+: tile.store of f32 elements .* cast it first with tile.cast"):
        tl.kernel(grid=("c", (64, 64)))(body)


def test_elementwise_shape_mismatch_and_rank3() -> None:
    def shapes(c: tl.Tensor[2, "f32"]):
        tl.program_id()
        tl.zeros((64, 64)) + tl.zeros((64,))

    with pytest.raises(tl.KernelError, match="make the shapes equal with tile.broadcast"):
        tl.kernel(grid=("c", (64, 64)))(shapes)

    def rank3(c: tl.Tensor[2, "f32"]):
        tl.zeros((2, 64, 64))

    with pytest.raises(tl.KernelError, match="rank must be at most 2"):
        tl.kernel(grid=("c", (64, 64)))(rank3)


def test_loop_carries_several_tiles_and_keeps_other_names() -> None:
    @tl.kernel(grid=("c", 64))
    def k(c: tl.Tensor[1, "f32"], n: tl.index):
        (i,) = tl.program_id()
        zero = tl.zeros((64,))
        s, m = zero, tl.full((64,), -1.0e30)
        for t in tl.range(1, n, 2, carry=(s, m)):
            x = c.load(t, (64,))
            s = s + x
            m = tl.maximum(m, x)
        c.store(i, s + m + zero)

    text = str(k)
    assert "iter_args(" in text and text.count("scf.yield") == 1
    loop = next(op for op in k.module.walk() if op.name == "scf.for")
    final_add = [op for op in k.module.walk() if op.name == "tile.add"][-1]
    assert final_add.operands[1] is next(op for op in k.module.walk() if isinstance(op, tile.ConstantOp)).results[0]
    assert len(loop.results) == 2


def test_loop_left_early_is_reported() -> None:
    def body(c: tl.Tensor[1, "f32"]):
        acc = tl.zeros((64,))
        for _ in tl.range(4, carry=acc):
            break

    with pytest.raises(tl.KernelError, match="left early"):
        tl.kernel(grid=("c", 64))(body)


def test_schedule_round_trip_and_errors() -> None:
    s = Schedule(consumers=1, kind="cooperative", stages=3, cluster=(2, 1), maxnreg=(240, 24), accumulate="f16")
    attr = ScheduleAttr.from_schedule(s)
    assert attr.schedule == s
    assert str(attr) == "#tile.schedule<consumers = 1, stages = 3, cluster = [2, 1], maxnreg = [240, 24], accumulate = \"f16\">"
    assert ScheduleAttr.from_schedule(Schedule(), full=True).schedule == Schedule()
    for bad, message in [(dict(consumers=3), "consumers must be 1 or 2"),
                         (dict(kind="pingpong", consumers=1), "use consumers = 2"),
                         (dict(stages=9), "stages must be in 2..8"),
                         (dict(cluster=(2, 2)), "cluster must be"),
                         (dict(split_k=17), "split_k must be in 1..16")]:
        with pytest.raises(ScheduleError, match=message):
            Schedule(**bad)


def test_bad_schedule_in_text_is_one_line() -> None:
    text = ("builtin.module {\n tile.kernel @k(%c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) "
            "schedule #tile.schedule<wait_depth = 2> {\n  tile.return\n }\n}\n")
    with pytest.raises(CompileError, match=r"^k\.mlir:2:88: schedule wait_depth must be 0 or 1, got 2$"):
        parse(text, "k.mlir")
