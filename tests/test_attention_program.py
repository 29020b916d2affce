"""Attention as a tile program: the example computes attention (interpreter against a float64
reference), `schedule` recognises it and every variant the builder makes (causal decided by
value, GQA from the K/V head index), and a program that looks like attention but computes
something else is a located error, not a wrong kernel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import exo_gpu
from exo_gpu.compiler import CompileError, compile, parse, run_passes, parse_pipeline
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.attention_reference import reference
from exo_gpu.lang.interpreter import interpret, round_to
from exo_gpu.passes.gemm_plan import from_attr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE = (EXAMPLES / "attention.mlir").read_text()


def scheduled(text: str) -> wg.KernelOp:
    module = parse(text, "attention.mlir")
    run_passes(module, parse_pipeline("schedule"))
    return next(op for op in module.walk() if isinstance(op, wg.KernelOp))


@pytest.mark.parametrize("causal", [False, True])
def test_the_builder_s_program_computes_attention(causal: bool) -> None:
    rng = np.random.default_rng(3)
    b, h, s, d = 1, 2, 150, 64
    q, k, v = (round_to(rng.standard_normal((b, h, s, d)), "bf16") for _ in range(3))
    module = exo_gpu.attention_program(d, causal=causal)
    out = interpret(module, {"q": q, "kt": k.transpose(0, 1, 3, 2), "v": v, "o": np.zeros(q.shape),
                             "lse": np.zeros(q.shape[:3])}, {"scale_log2": 0.2})
    o, lse = reference(q, k, v, 0.2 / math.log2(math.e), causal)
    assert np.linalg.norm(out["o"] - o) < 1e-2 * np.linalg.norm(o)  # P rounded to bf16, as on the GPU
    assert np.abs(out["lse"] - lse).max() < 1e-6  # f32 tiles: the interpreter rounds them
    wrong = reference(q, k, v, 0.2 / math.log2(math.e), not causal)[0]
    assert np.linalg.norm(out["o"] - wrong) > 1e-1 * np.linalg.norm(o)


def test_schedule_recognises_the_example() -> None:
    kernel = scheduled(EXAMPLE)
    abi = from_attr(kernel.attributes["abi"])
    assert abi["schedule"]["kind"] == "attention" and abi["schedule"]["causal"] == 0
    assert [a["name"] for a in abi["args"]] == ["q", "kt", "v", "o", "lse", "scale_log2"]
    assert abi["schedule"]["roles"] == {"q": 0, "kt": 1, "v": 2, "o": 3, "lse": 4, "scale_log2": 5}
    assert [r.shape for r in kernel.rings()] == [("q", 2, 32768), ("k", 2, 32768), ("v", 2, 32768)]
    assert (abi["schedule"]["pingpong"], abi["schedule"]["overlap"]) == (1, 1)  # the example's schedule
    assert kernel.smem_bytes == abi["smem_bytes"]
    schedule = kernel.attributes["schedule"]
    assert "maxnreg = [240, 24]" in str(schedule) and "stages = 2" in str(schedule)


@pytest.mark.parametrize("causal,group", [(True, 1), (False, 2), (True, 2)])
def test_schedule_reads_causal_and_gqa_from_the_program(causal: bool, group: int) -> None:
    module = exo_gpu.attention_program(64, causal=causal, kv_group=group)
    run_passes(module, parse_pipeline("schedule"))
    kernel = next(op for op in module.walk() if isinstance(op, wg.KernelOp))
    abi = from_attr(kernel.attributes["abi"])
    assert (abi["schedule"]["causal"], abi["schedule"]["kv_group"]) == (int(causal), group)
    loops = [op for op in kernel.walk() if isinstance(op, wg.TileLoopOp)]
    assert all(loop.is_causal == causal for loop in loops) and len(loops) == 2


def test_a_program_that_is_not_attention_is_a_located_error() -> None:
    # Without the rescale of O by alpha the online softmax is wrong: the structure matches,
    # the values do not.
    text = EXAMPLE.replace("%27 = tile.mul %acc_1, %26 : !tile.tile<128x128xf32>",
                           "%27 = tile.mul %acc_1, %0 : !tile.tile<128x128xf32>")
    assert text != EXAMPLE
    with pytest.raises(CompileError, match=r"attention.mlir:\d+:\d+: .*does not compute softmax"):
        compile(parse(text, "attention.mlir"), assemble=False)


def test_a_k_load_at_the_wrong_head_is_a_located_error() -> None:
    text = EXAMPLE.replace("tile.load %kt[%b, %h, %5, %kk]", "tile.load %kt[%b, %i, %5, %kk]")
    assert text != EXAMPLE
    with pytest.raises(CompileError, match=r"attention.mlir:\d+:\d+: a K/V load must index its head"):
        compile(parse(text, "attention.mlir"), assemble=False)


def test_the_example_compiles_clean_on_12_3() -> None:
    result = compile(parse(EXAMPLE, "attention.mlir"), cuda="12.3")
    report = result.reports[0]
    assert report.codes == [] and report.spill_stores == 0 and report.shape.ldl == report.shape.stl == 0
    # Overlap: block 0's S; two K loops (the unmasked blocks, the masked last one), each two
    # groups (S, the previous block's P V); the last P V: six groups of 8 wgmmas.
    assert report.shape.hgmma == 48 and report.shape.hgmma_gsb0 == 6


def test_lower_fragments_keeps_each_loop_s_part() -> None:
    # The unmasked key blocks and the masked last one are two k_loops; carrying the softmax's
    # row vectors as scalars rebuilds each loop and must keep which blocks it runs.
    module = exo_gpu.attention_program(64)
    run_passes(module, parse_pipeline("schedule,insert-syncs,lower-fragments"))
    parts = [op.range_part for op in module.walk() if isinstance(op, wg.KLoopOp)]
    assert parts == ["all", "but_last", "last"]  # the producer's loop, then the consumers' two


def test_ir_with_the_old_mma_async_segments_is_a_clear_error() -> None:
    # wgmma.mma_async gained a fourth operand group (a_slot); generic IR saved before lists three.
    text = ('"wgmma.mma_async"(%s) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, '
            'scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0>}> '
            ': (i32) -> !wgmma.accumulator<m64n16, f32>')
    module = "builtin.module {\n  %s = arith.constant 0 : i32\n  %r = " + text + "\n}\n"
    with pytest.raises(CompileError, match=r"old\.mlir: invalid IR: .*operandSegmentSizes.*regenerate the IR.*old\.mlir:3"):
        parse(module, "old.mlir")


def test_insert_syncs_orders_the_overlapped_loop() -> None:
    # overlap = true: in each K loop, S (ring k at the loop's slot) then the previous block's
    # P V (ring v at warpgroup.prev_slot); the softmax waits for S alone (wait_group 1: P V stays
    # in flight), O's rescale for both (wait_group 0), each ring released right after its wait.
    from exo_gpu.dialects.tma import ArriveOp, WaitOp
    from exo_gpu.dialects.wgmma import FenceOp, WaitGroupOp

    module = exo_gpu.attention_program(64, overlap=True)
    run_passes(module, parse_pipeline("schedule,insert-syncs"))
    consumer = [op for op in module.walk() if isinstance(op, wg.RoleOp) and op.role.data == "consumer"][0]
    loops = [op for op in consumer.walk() if isinstance(op, wg.KLoopOp)]
    assert [loop.range_part for loop in loops] == ["but_last", "last"]
    for loop in loops:
        ops = list(loop.body.block.ops)
        kinds = [type(op).__name__ for op in ops if isinstance(op, (WaitOp, FenceOp, WaitGroupOp, ArriveOp))]
        assert kinds == ["WaitOp", "FenceOp", "WaitOp", "FenceOp", "WaitGroupOp", "ArriveOp", "WaitGroupOp", "ArriveOp"]
        waits = [op for op in ops if isinstance(op, WaitGroupOp)]
        assert [w.pending.value.data for w in waits] == [1, 0]
        full = [op for op in ops if isinstance(op, WaitOp)]
        assert [w.ring.data for w in full] == ["k", "v"]
        assert isinstance(full[1].slot.owner, wg.PrevSlotOp)
        releases = [op for op in ops if isinstance(op, ArriveOp)]
        assert [(r.ring.data, r.slot is w.slot) for r, w in zip(releases, full)] == [("k", True), ("v", True)]
    # Q's slot is waited for once per tile, before block 0's stage, and released once.
    tile_body = loops[0].parent_block()
    q_waits = [op for op in tile_body.ops if isinstance(op, WaitOp) and op.ring.data == "q"]
    q_releases = [op for op in tile_body.ops if isinstance(op, ArriveOp) and op.ring.data == "q"]
    assert len(q_waits) == 1 and len(q_releases) == 1
    first_fence = next(op for op in tile_body.ops if isinstance(op, FenceOp))
    assert q_waits[0].is_before_in_block(first_fence)  # no spin loop between a fence and its wgmmas


def test_register_budget_counts_what_is_live_at_once() -> None:
    # The overlapped D=128 kernel defines four score ranges (block 0's, the two loops') of 64
    # registers beside O's 64: 320 in all, but at most 128 + P's live at once, within 240.
    import re

    result = exo_gpu.compile_attention(128, overlap=True, assemble=False)  # passes check-register-budget
    ranges = {int(n) for n in re.findall(r"%acc(\d+)", result.ptx)}
    assert len(ranges) == max(ranges) + 1 > 240  # every range counted, as the budget check used to: too many
