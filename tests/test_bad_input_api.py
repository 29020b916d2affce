"""The bad-input matrix, Python API: `exo_gpu.gemm`, `exo_gpu.compile`, `exo_gpu.parse`,
`exo_gpu.print_ir`, `exo_gpu.run`, the toolchain and the `exo_gpu.lang` builder.

Each row asserts: the call raises an `exo_gpu.ExoGpuError` subclass (never a bare ValueError,
TypeError, AttributeError or an xDSL exception, never a BaseException that `except
Exception` misses); a one-line message naming the offending argument (the row's needles)
and the fix; and no command-line flag of ours in it (a Python caller has no `--wgmma-n`).
The command line's matrix is test_bad_input.py.
"""

from __future__ import annotations

import re

import numpy as np

import pytest

import exo_gpu
from bad_inputs import FIX_WORDS, TILE
from exo_gpu import lang as tl


def _gemm(**kw):
    return lambda: exo_gpu.gemm(**kw)


def _compile(module=None, *args, **kw):
    return lambda: exo_gpu.compile(exo_gpu.parse(TILE, "tile.mlir") if module is None else module, *args, **kw)


class _Cai:
    """A device array as CuPy or Numba show it: only `__cuda_array_interface__` (f16)."""

    def __init__(self, shape, ptr=0x7F0000000000):
        self.__cuda_array_interface__ = {"shape": shape, "typestr": "<f2", "data": (ptr, False), "strides": None,
                                         "version": 3}


def row(id_: str, call, *needles: str):
    return pytest.param(call, needles, id=id_)


def _lang(body: str, grid: str = '("c", (64, 16))', schedule: str = "None"):
    """A @tl.kernel built from `body` (its source), to misuse the builder."""
    def build():
        src = ("def g(a: tl.Tensor[2, 'bf16'], b: tl.Tensor[2, 'bf16', 0], c: tl.Tensor[2, 'f32']):\n"
               + "".join(f"    {line}\n" for line in body.splitlines()))
        scope = {"tl": tl}
        exec(compile(src, "user_kernel.py", "exec"), scope)
        return tl.kernel(grid=eval(grid), schedule=eval(schedule, {"tl": tl}))(scope["g"]).module
    return build


GEMM_ROWS = [
    row("gemm-wgmma_n-str", _gemm(wgmma_n="128"), "wgmma_n", "got str '128'"),
    row("gemm-wgmma_n-2**70", _gemm(wgmma_n=2**70), "wgmma_n", "8..256"),
    row("gemm-wgmma_n-float", _gemm(wgmma_n=128.0), "wgmma_n", "float"),
    row("gemm-wgmma_n-None", _gemm(wgmma_n=None), "wgmma_n", "NoneType"),
    row("gemm-wgmma_n-not-multiple-of-8", _gemm(wgmma_n=100), "100", "multiple of 8"),
    row("gemm-stages-True", _gemm(stages=True), "stages", "bool True"),
    row("gemm-stages-str", _gemm(stages="4"), "stages", "str '4'"),
    row("gemm-stages-1", _gemm(stages=1), "stages", "2..8"),
    row("gemm-tiles-0", _gemm(tiles_per_warpgroup=0), "tiles_per_warpgroup", "1..4"),
    row("gemm-tiles-negative", _gemm(tiles_per_warpgroup=-1), "tiles_per_warpgroup", "1..4"),
    row("gemm-consumers-True", _gemm(consumers=True), "consumers", "bool"),
    row("gemm-consumers-3", _gemm(consumers=3), "consumers", "1 or 2"),
    row("gemm-wait_depth-False", _gemm(wait_depth=False), "wait_depth", "bool"),
    row("gemm-split_k-float", _gemm(split_k=1.0), "split_k", "float"),
    row("gemm-split_k-True", _gemm(split_k=True), "split_k", "bool"),
    row("gemm-split_k-17", _gemm(split_k=17), "split_k", "1..16"),
    row("gemm-cluster_n-True", _gemm(cluster_n=True), "cluster_n", "bool"),
    row("gemm-cluster_m-str", _gemm(cluster_m="2"), "cluster_m", "str '2'"),
    row("gemm-cluster-2x2", _gemm(cluster_m=2, cluster_n=2), "cluster_m = 2", "not both"),
    row("gemm-raster_group-0", _gemm(raster_group=0), "raster_group", "1..65535"),
    row("gemm-raster_group-2**70", _gemm(raster_group=2**70), "raster_group", "digits"),
    row("gemm-consumer_maxnreg-str", _gemm(consumer_maxnreg="232"), "consumer_maxnreg", "str"),
    row("gemm-producer_maxnreg-8", _gemm(producer_maxnreg=8), "maxnreg", "[232, 8]"),
    row("gemm-accumulate_c-1", _gemm(accumulate_c=1), "accumulate_c", "True or False"),
    row("gemm-a_in_registers-str", _gemm(a_in_registers="no"), "a_in_registers", "True or False"),
    row("gemm-dtype-None", _gemm(dtype=None), "dtype", "tf32, f16"),
    row("gemm-dtype-list", _gemm(dtype=["tf32"]), "dtype", "['tf32']"),
    row("gemm-dtype-fp64", _gemm(dtype="fp64"), "dtype", "'fp64'"),
    row("gemm-schedule-int", _gemm(schedule=3), "schedule", "cooperative, pingpong"),
    row("gemm-c_dtype-None", _gemm(c_dtype=None), "c_dtype", "f32, bf16, f16"),
    row("gemm-layout_a-int", _gemm(layout_a=1), "layout_a", "row, col"),
    row("gemm-accumulator-f64", _gemm(accumulator="f64"), "accumulator", "'f64'"),
    row("gemm-tf32-col-major-a", _gemm(layout_a="col"), "layout_a = col", "use layout_a = row"),
    row("gemm-pingpong-one-consumer", _gemm(schedule="pingpong", consumers=1), "pingpong", "consumers = 2"),
    row("gemm-name-with-space", _gemm(name="my kernel"), "'my kernel'", "e.g. my_kernel"),
    row("gemm-name-empty", _gemm(name=""), "name", "is empty"),
    row("gemm-name-digit", _gemm(name="1abc"), "'1abc'", "PTX identifier"),
    row("gemm-name-dash", _gemm(name="my-gemm"), "'my-gemm'", "e.g. my_gemm"),
    row("gemm-name-int", _gemm(name=5), "name", "int 5"),
]

COMPILE_ROWS = [
    row("compile-module-str", _compile(TILE), "ModuleOp", "exo_gpu.parse(text)"),
    row("compile-module-None", _compile(0), "ModuleOp", "got int"),
    row("compile-pipeline-unclosed-brace", _compile(None, "schedule{scale_d=runtime"), "schedule{scale_d=runtime",
        "closing every brace"),
    row("compile-pipeline-only-commas", _compile(None, ",,,"), "',,,'", "single commas"),
    row("compile-pipeline-unquoted-cuda", _compile(None, "schedule,verify-wgmma-pipeline{cuda=13.x}"), "cuda=13.x",
        "quoting"),
    row("compile-pipeline-int", _compile(None, 5), "pipeline", "got int"),
    row("compile-pipeline-unknown-pass", _compile(None, "schedule,frobnicate,emit-ptx"), "frobnicate", "available"),
    row("compile-pipeline-bad-option", _compile(None, "schedule{bogus=1},emit-ptx"), "bogus", "list_passes()"),
    row("compile-pipeline-no-emit", _compile(None, "schedule"), "'schedule'", "end in emit-ptx"),
    row("compile-pipeline-without-insert-syncs",
        _compile(None, "schedule,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx", assemble=False),
        "lower-to-ptx", "run insert-syncs"),
    row("compile-pipeline-skips-schedule", _compile(None, "lower-to-ptx,emit-ptx", assemble=False),
        "tile.kernel @g", "run schedule, insert-syncs"),
    row("compile-pipeline-schedule-twice", _compile(None, "schedule,schedule,emit-ptx", assemble=False),
        "schedule", "drop schedule"),
    row("compile-cuda-banana", _compile(None, cuda="banana"), "CUDA banana", "ptxas='PATH'"),
    row("compile-cuda-99.9", _compile(None, cuda="99.9"), "CUDA 99.9", "choose one of"),
    row("compile-cuda-float", _compile(None, cuda=12.3), "cuda", "'12.3'"),
    row("compile-cuda-None", _compile(None, cuda=None), "cuda", "NoneType"),
    row("compile-ptxas-ls", _compile(None, ptxas="/bin/ls"), "ptxas='/bin/ls'", "pass a real ptxas"),
    row("compile-ptxas-int", _compile(None, ptxas=5), "ptxas", "int 5"),
    row("compile-ptxas-missing", _compile(None, ptxas="/no/such/ptxas"), "/no/such/ptxas", "no such file"),
    row("compile-nvdisasm-ls", _compile(None, nvdisasm="/bin/ls"), "nvdisasm='/bin/ls'", "pass a real nvdisasm"),
    row("compile-assemble-str", _compile(None, assemble="no"), "assemble", "True or False"),
    row("compile-downgrade-int", _compile(None, downgrade=1), "downgrade", "True or False"),
    row("compile-keep_ir-str", _compile(None, keep_ir="x"), "keep_ir", "True or False"),
]

PARSE_ROWS = [
    row("parse-garbage", lambda: exo_gpu.parse("garbage", "x.mlir"), "x.mlir:1:", "exo-gpu's dialects"),
    row("parse-bytes", lambda: exo_gpu.parse(TILE.encode()), "bytes", "decode"),
    row("parse-None", lambda: exo_gpu.parse(None), "parse()", "NoneType"),
    row("parse-filename-int", lambda: exo_gpu.parse(TILE, 5), "filename", "int"),
    row("parse-eof", lambda: exo_gpu.parse(TILE.rsplit("}", 2)[0], "k.mlir"), "k.mlir:", "close every '{'"),
    row("parse-ptx-text", lambda: exo_gpu.parse(".version 8.0\n.target sm_90a\n", "k.mlir"), "k.mlir", "not MLIR"),
    row("parse-verifier-located", lambda: exo_gpu.parse(TILE.replace("tile.mma %x, %y", "tile.mma %x, %x").replace(
        "!tile.tile<64x32xf32>, !tile.tile<32x16xf32>", "!tile.tile<64x32xf32>, !tile.tile<64x32xf32>"), "k.mlir"),
        "(at k.mlir:13:7)", "must equal"),
    row("parse-kernel-name-space", lambda: exo_gpu.parse(TILE.replace("@g(", '@"a b"('), "k.mlir"), "'a b'", "e.g. a_b"),
    row("print_ir-None", lambda: exo_gpu.print_ir(None), "print_ir()", "NoneType"),
    row("print_ir-str", lambda: exo_gpu.print_ir(TILE), "print_ir()", "got str"),
]

RUN_ROWS = [
    row("run-m-negative", lambda: exo_gpu.run(-5, 128, 128), "m ", "1..2147483647"),
    row("run-n-str", lambda: exo_gpu.run(128, "128", 128), "n ", "str '128'"),
    row("run-k-True", lambda: exo_gpu.run(128, 128, True), "k ", "bool"),
    row("run-bad-config-before-gpu", lambda: exo_gpu.run(128, 128, 128, wgmma_n=7), "wgmma_n", "8..256"),
    row("run-without-gpu", lambda: exo_gpu.run(256, 256, 256), "NVIDIA driver", "installed"),
]


def _toolchain(call):
    from exo_gpu.ptxas import toolchain

    return lambda: call(toolchain)


LANG_ROWS = [
    row("lang-grid-not-an-argument", _lang("pass", grid='("z", (64, 16))'), "grid must be", "grid=(\"c\", (128, 256))"),
    row("lang-grid-str", _lang("pass", grid='"c"'), "'c'", "e.g. grid="),
    row("lang-accumulator-shape", _lang("i, j = tl.program_id()\nacc = tl.zeros((64, 32), 'f32')\n"
                                        "acc = tl.mma(a.load((i, 0), (64, 64)), b.load((0, j), (64, 16)), acc)\n"
                                        "c.store((i, j), acc)"), "user_kernel.py:4", "use a !tile.tile<64x16xf32>"),
    row("lang-unknown-dtype", _lang("c.store(tl.program_id(), tl.zeros((64, 16), 'f64'))"), "'f64'", "use one of"),
    row("lang-load-rank", _lang("i, j = tl.program_id()\nc.store((i, j), c.load((i,), (64, 16)))"), "rank 2",
        "one index per dimension"),
    row("lang-tile-plus-str", _lang("c.store(tl.program_id(), tl.zeros((64, 16), 'f32') + 'x')"), "'x'", "use a tile"),
    row("lang-schedule-stages-True", lambda: tl.Schedule(stages=True), "stages", "bool True"),
    row("lang-schedule-stages-str", lambda: tl.Schedule(stages="4"), "stages", "str '4'"),
    row("lang-schedule-cluster-int", lambda: tl.Schedule(cluster=5), "cluster", "e.g. [1, 1]"),
    row("lang-schedule-a_in_registers-int", lambda: tl.Schedule(a_in_registers=1), "a_in_registers", "True or False"),
    row("lang-kernel-of-non-function", lambda: tl.kernel(grid=("c", (64, 16)))(5), "@tl.kernel", "got int 5"),
    row("lang-op-outside-kernel", lambda: tl.zeros((64, 16), "f32"), "@tl.kernel", "only available"),
    row("lang-interpret-int", lambda: tl.interpret(5, {}, {}), "interpret", "got int"),
    row("toolchain-ptxas-banana", _toolchain(lambda t: t.ptxas("banana")), "CUDA banana", "choose one of"),
    row("toolchain-install-empty-version", _toolchain(lambda t: t.install(["99.9"])), "CUDA 99.9", "choose one of"),
]

TUNE_ROWS = [
    row("tune-m-zero", lambda: exo_gpu.tune(0, 8, 8), "m ", "1..2147483647"),
    row("tune-k-bool", lambda: exo_gpu.tune(8, 8, True), "k ", "bool"),
    row("tune-dtype-unknown", lambda: exo_gpu.tune(64, 64, 64, "fp64"), "dtype 'fp64'", "choose one of"),
    row("tune-k-misaligned", lambda: exo_gpu.tune(64, 64, 100, "bf16"), "k=100", "multiple of 8"),
    row("tune-tf32-n-major-b", lambda: exo_gpu.tune(64, 64, 64, "tf32", layout_b="row"), "layout_b='col'"),
    row("tune-jobs-zero", lambda: exo_gpu.tune(64, 64, 64, jobs=0, compile_only=True), "jobs", "1..4096"),
    row("tune-space-unknown", lambda: exo_gpu.tune(64, 64, 64, space_name="huge"), "space 'huge'"),
    row("tune-compile-only-int", lambda: exo_gpu.tune(64, 64, 64, compile_only=1), "compile_only", "True or False"),
    row("tune-no-candidates", lambda: exo_gpu.tune(64, 64, 64, candidates=[], compile_only=True), "no candidates"),
    row("tune-cache-not-a-path", lambda: exo_gpu.tune(64, 64, 64, cache=3), "cache", "folder path"),
    row("matmul-3d", lambda: exo_gpu.matmul(_Cai((2, 64, 64)), _Cai((64, 64))), "a must be 2-D", "batched"),
    row("matmul-k-differs", lambda: exo_gpu.matmul(_Cai((64, 32)), _Cai((64, 64))), "K differ (32 vs 64)"),
    row("matmul-host-array", lambda: exo_gpu.matmul([[1.0]], _Cai((64, 64))), "a: expected a CUDA array"),
    row("matmul-cpu-dlpack", lambda: exo_gpu.matmul(np.zeros((8, 8), np.float32), _Cai((8, 8))), "not CUDA (2)"),
    row("matmul-out-dtype", lambda: exo_gpu.matmul(_Cai((64, 64)), _Cai((64, 64)), out_dtype="f64"), "out_dtype"),
    row("matmul-misaligned", lambda: exo_gpu.matmul(_Cai((64, 64), ptr=0x7F0000000002), _Cai((64, 64))),
        "not 16-byte aligned"),
    row("matmul-scale-not-fp8", lambda: exo_gpu.matmul(_Cai((64, 64)), _Cai((64, 64)), scale_a=2.0), "scale_a",
        "fp8 inputs"),
    row("matmul-scale-bool", lambda: exo_gpu.matmul(_Cai((64, 64)), _Cai((64, 64)), scale_b=True), "scale_b", "bool"),
    row("gemm-scaled-split-k", _gemm(dtype="e4m3", scaled=True, split_k=2), "scaled=True", "split_k=1"),
    row("gemm-scaled-int", _gemm(dtype="e4m3", scaled=1), "scaled", "True or False"),
]

def _attention(**kw):
    return lambda: exo_gpu.compile_attention(**kw)


ATTENTION_ROWS = [
    row("attention-head_dim-96", _attention(head_dim=96), "head_dim 96", "use 64, 128 or 256"),
    row("attention-head_dim-256-block_n-128", _attention(head_dim=256, block_n=128), "shared memory", "block_n=64"),
    row("attention-pingpong-str", _attention(pingpong="yes"), "pingpong", "True or False"),
    row("attention-head_dim-str", _attention(head_dim="128"), "head_dim", "got str '128'"),
    row("attention-dtype-tf32", _attention(dtype="tf32"), "dtype", "'tf32'", "bf16, f16"),
    row("attention-causal-int", _attention(causal=1), "causal", "True or False"),
    row("attention-kv_group-zero", _attention(kv_group=0), "kv_group", "1.."),
    row("attention-stages-9", _attention(stages=9), "stages", "2..8"),
    row("attention-stages-1", _attention(stages=1), "stages", "2..8"),
    row("attention-overlap-int", _attention(overlap=1), "overlap", "True or False"),
    row("attention-block_n-100", _attention(block_n=100), "block_n", "64 or 128"),
    row("attention-wait_depth-2", _attention(wait_depth=2), "wait_depth", "0..1"),
    row("attention-cuda-banana", _attention(cuda="banana"), "CUDA banana", "choose one of"),
    row("attention-ptxas-ls", _attention(ptxas="/bin/ls"), "ptxas='/bin/ls'", "pass a real ptxas"),
    row("attention-numpy-q", lambda: exo_gpu.attention(np.zeros((1, 1, 8, 64)), None, None), "q must be a torch tensor",
        "ndarray"),
]

API_ROWS = GEMM_ROWS + COMPILE_ROWS + PARSE_ROWS + RUN_ROWS + LANG_ROWS + TUNE_ROWS + ATTENTION_ROWS


def _our_flags() -> set[str]:
    """Every option string of exo-gpu and its subcommands (what an API message must not name)."""
    from exo_gpu.cli import build_parser

    flags: set[str] = set()
    stack = [build_parser()]
    while stack:
        parser = stack.pop()
        for action in parser._actions:
            flags.update(s for s in action.option_strings if s.startswith("--") and s not in ("--help", "--version"))
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                stack.extend(action.choices.values())
    return flags


FLAGS = _our_flags()


@pytest.mark.parametrize("call,needles", API_ROWS)
def test_api_bad_input(call, needles):
    with pytest.raises(Exception) as info:
        call()
    e = info.value
    assert isinstance(e, exo_gpu.ExoGpuError), f"{type(e).__name__} (not an ExoGpuError): {e}"
    message = str(e)
    assert len(message.splitlines()) == 1 and message.strip(), repr(message)
    assert "Traceback" not in message and "internal error" not in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in: {message}"
    assert any(w in message for w in FIX_WORDS), f"no fix in: {message}"
    named = {f for f in re.findall(r"--[a-z][a-z0-9-]*", message) if f in FLAGS}
    assert not named, f"an API message names command-line flags {named}: {message}"


def test_compile_does_not_mutate_its_module():
    module = exo_gpu.parse(TILE, "tile.mlir")
    before = exo_gpu.print_ir(module)
    exo_gpu.compile(module, assemble=False)
    assert exo_gpu.print_ir(module) == before
    with pytest.raises(exo_gpu.ExoGpuError):
        exo_gpu.compile(module, "schedule,lower-to-ptx,emit-ptx", assemble=False)
    assert exo_gpu.print_ir(module) == before


def test_pipeline_errors_are_exceptions_not_base_exceptions():
    """xDSL's ArgSpecParseError is a BaseException: `except Exception` must catch what compile raises."""
    for pipeline in ("schedule{scale_d=runtime", "verify-wgmma-pipeline{cuda=13.x}", "schedule{strict=1}"):
        try:
            exo_gpu.compile(exo_gpu.parse(TILE), pipeline, assemble=False)
        except Exception as e:  # noqa: BLE001 - the point of the test
            assert isinstance(e, exo_gpu.ExoGpuError)
        else:
            pytest.fail(f"{pipeline} was accepted")


def test_cli_in_process_leaves_the_api_spelling():
    """`exo_gpu.cli.main` names flags (--wgmma-n) while it runs; the API's messages after it still
    name keywords (wgmma_n)."""
    from exo_gpu import cli

    assert cli.main(["gemm", "--wgmma-n", "7"]) == 1
    with pytest.raises(exo_gpu.ExoGpuError, match=r"^gemm: wgmma_n must be in 8\.\.256"):
        exo_gpu.gemm(wgmma_n=7)
