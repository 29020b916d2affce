"""lower-to-ptx as rewrite patterns with its state in the IR: the result does not depend on
the order the walker visits ops or tries patterns, and no lowering state is left behind.
(No ptxas: the IR after lower-to-ptx is compared as text.)"""

import pytest

from exo_gpu.compiler import gemm, parse_pipeline, print_ir, run_passes
from exo_gpu.passes.lower_to_ptx import lower_module

CONFIGS = [
    dict(dtype="tf32", wgmma_n=128),
    dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, schedule="pingpong"),
    dict(dtype="f16", wgmma_n=128, a_in_registers=True),
    dict(dtype="tf32", wgmma_n=128, split_k=4),
    dict(dtype="bf16", wgmma_n=128, cluster_m=2, layout_a="col"),
    dict(dtype="tf32", wgmma_n=128, cluster_n=2),
    dict(dtype="e4m3", wgmma_n=128, accumulator="f16", accumulate_c=True),
    dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, c_dtype="bf16"),
]


def _synced(config):
    return run_passes(gemm(**config), parse_pipeline("schedule,insert-syncs"))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_reverse_walk_gives_the_same_ptx_ir(config):
    forward, backward = _synced(config), _synced(config)
    lower_module(forward)
    lower_module(backward, reverse=True)
    text = print_ir(forward)
    assert text == print_ir(backward)
    assert "ptx.entry" in text and "warpgroup." not in text and "wgmma.wait_group" not in text
    assert "lower_to_ptx." not in text and "unrealized_conversion_cast" not in text
    assert "$L_wait_1" in text and "$L_wait_0" not in text
