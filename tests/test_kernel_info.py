"""The host's GEMM view of a kernel (`runtime.KernelInfo`) is read from the ABI that `schedule`
records in the IR: for every option that changes the launch, `KernelInfo.from_abi` gives the
same launch facts as the options say, and the shared memory the rings declare."""

import pytest
from xdsl.context import Context

from exo_gpu.compiler import gemm
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.gpu import runtime
from exo_gpu.passes.gemm_plan import from_attr
from exo_gpu.passes.schedule import SchedulePass

CONFIGS = [
    dict(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2),
    dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, c_dtype="bf16"),
    dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, schedule="pingpong"),
    dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, cluster_n=2),
    dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, cluster_m=2),
    dict(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2, split_k=3),
    dict(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2, split_k=2, accumulate_c=True),
    dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2, a_in_registers=True, stages=3),
    dict(dtype="f16", wgmma_n=128, tiles_per_warpgroup=2, layout_a="col", layout_b="row"),
    dict(dtype="e4m3", wgmma_n=256, tiles_per_warpgroup=1, accumulator="f16"),
    dict(dtype="tf32", wgmma_n=96, tiles_per_warpgroup=2, consumers=1, accumulate_c=True),
]


def _scheduled(config: dict) -> wg.KernelOp:
    module = gemm(**config)
    SchedulePass().apply(Context(allow_unregistered=True), module)
    (kernel,) = [op for op in module.walk() if isinstance(op, wg.KernelOp)]
    return kernel


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_kernel_info_is_read_from_the_abi(config):
    kernel = _scheduled(config)
    info = runtime.KernelInfo.from_abi(from_attr(kernel.attributes["abi"]))
    options = dict(config)
    base = [options.pop(k) for k in ("dtype", "wgmma_n", "tiles_per_warpgroup")]
    consumers, stages = options.pop("consumers", 2), options.pop("stages", 4)
    if "cluster_n" in options:
        options["cluster"] = options.pop("cluster_n")
    expected = runtime.KernelInfo.for_gemm(kernel.sym_name.data, *base, consumers, stages, **options)
    # Every field the launch reads, the shared memory included, agrees with the options.
    assert info.to_dict() | {"rings": None} == expected.to_dict() | {"rings": None}
    assert info.smem_bytes == kernel.smem_bytes  # what the rings declare
    assert (info.block_m, info.block_n, info.threads) == (int(kernel.block_m.value.data),
                                                          int(kernel.block_n.value.data),
                                                          int(kernel.threads.value.data))


def test_per_operand_rings_change_the_shared_memory_the_host_sets():
    module = gemm(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1)
    kernel = _scheduled({"dtype": "bf16", "wgmma_n": 256, "tiles_per_warpgroup": 1})
    shared = runtime.KernelInfo.from_abi(from_attr(kernel.attributes["abi"]))
    assert shared.extra["rings"] == "shared" and len(kernel.rings()) == 1
    (tile_kernel,) = [op for op in module.walk() if op.name == "tile.kernel"]
    tile_kernel.properties["schedule"] = type(tile_kernel.properties["schedule"]).from_schedule(
        tile_kernel.schedule_value.replace(rings="per_operand"))
    SchedulePass().apply(Context(allow_unregistered=True), module)
    (split,) = [op for op in module.walk() if isinstance(op, wg.KernelOp)]
    info = runtime.KernelInfo.from_abi(from_attr(split.attributes["abi"]))
    assert [r.shape[0] for r in split.rings()] == ["a", "b"]
    assert info.smem_bytes == split.smem_bytes == shared.smem_bytes + 16 * 4  # one more barrier pair per slot
