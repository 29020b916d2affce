"""Forward attention (exo_gpu.compile_attention) through the real pinned ptxas, no GPU needed.

Every head dim x causal x dtype x kv_group with the default schedule (ping-pong consumers,
overlap), and the plain schedule at bf16, G 1, is compiled once per ptxas version (12.3 and
the newest 13.x) and must be clean by the guard: no
C75xx line, one waited HGMMA (gsb0) per committed wgmma group (each S = Q K^T group and each
P @ V group: none waited on its own), no local memory, no WARPGROUP.DEPBAR beyond the PTX's
wait_groups.  The ABI the kernel records is checked against its PTX parameters, its rings
and a GQA launch's tensor maps; AttentionPlan.check and compile_attention reject bad
configurations with one line each; `exo-gpu attention` is run in process.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import pytest

import exo_gpu
from exo_gpu.attention_api import SCHEDULES, attention_program, compile_attention
from exo_gpu.compiler import parse_pipeline, run_passes
from exo_gpu.dialects.tma import smem_layout
from exo_gpu.errors import ArgumentError, ExoGpuError
from exo_gpu.gpu.abi import KernelAbi
from exo_gpu.passes.attention_plan import AttentionPlan

VERSIONS = ("12.3", "13.x")
# head_dim, causal, dtype, kv_group, schedule (exo_gpu.attention_api.SCHEDULES)
CONFIGS = ([(*c, "pingpong+overlap") for c in itertools.product((64, 128, 256), (False, True), ("bf16", "f16"),
                                                                   (1, 2))]
           + [(d, causal, "bf16", 1, "plain") for d in (64, 128) for causal in (False, True)])


def _id(config) -> str:
    d, causal, dtype, group, schedule = config
    return f"D{d}-{'causal' if causal else 'full'}-{dtype}-g{group}-{schedule}"


@lru_cache(maxsize=None)
def _compiled(config, cuda: str):
    d, causal, dtype, group, schedule = config
    return compile_attention(d, dtype, causal, group, **SCHEDULES[schedule], cuda=cuda)


@pytest.mark.parametrize("cuda", VERSIONS)
@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_guard_clean(config, cuda):
    """Clean on both versions: the guard passes, and the SASS is the pipeline the IR says."""
    d, causal, dtype, group, schedule = config
    result = _compiled(config, cuda)
    assert len(result.reports) == 1 and result.warnings == []
    r = result.reports[0]
    assert r.ok, r.failures
    assert [c.code for c in r.codes] == [], [str(c) for c in r.codes]
    s = r.shape
    assert s.hgmma_gsb0 == r.commit_groups, s.hgmma_lines  # one waited HGMMA per committed group
    assert s.hgmma > s.hgmma_gsb0
    assert s.ldl == s.stl == 0 and r.spill_stores == r.spill_loads == 0 and r.stack == 0
    assert s.depbar <= r.wait_groups, (s.depbar, r.wait_groups)  # no wait injected by ptxas
    block_n = 64 if d == 256 else 128
    qk = [line for line in s.hgmma_lines if ".tnspB" not in line]  # SS: Q and K from shared memory
    pv = [line for line in s.hgmma_lines if ".tnspB" in line]  # RS: P in registers, V N-major
    assert qk and len(qk) % (d // 16) == 0 and len(pv) == len(qk) // (d // 16) * (block_n // 16), s.hgmma_lines
    assert 2 * (len(qk) // (d // 16)) == s.hgmma_gsb0  # the S groups and the P @ V groups, as many of each
    types = ".F32.BF16" if dtype == "bf16" else ".F32"  # nvdisasm leaves f16 inputs unsaid
    assert all(line.startswith(f"HGMMA.64x{block_n}x16{types} ") for line in qk), qk
    assert all(re.match(rf"HGMMA\.64x{d}x16{re.escape(types)} R\d+, R\d+, gdesc", line) for line in pv), pv
    # each S group's first wgmma has scale-d 0 (reads no accumulator); every P @ V accumulates
    assert sum("RZ, !UPT" in line for line in s.hgmma_lines) == len(qk) // (d // 16)
    assert sum("RZ, !UPT" in line for line in pv) == 0


PTX_PARAM = {"tensor_map": r"\.param \.align 64 \.b8 \w+\[128\]", "pointer": r"\.param \.u64 \w+",
             "dim": r"\.param \.u32 \w+", "scalar": r"\.param \.f32 \w+"}


@pytest.mark.parametrize("d,block_n,stages", [(64, 64, 2), (128, 128, 2), (128, 64, 4)])
def test_abi_matches_ptx_and_rings(d, block_n, stages):
    """The ABI's parameters are the PTX entry's, in order; its boxes are the rings' tiles; its
    shared memory is the ring layout of the rings the kernel declares."""
    result = compile_attention(d, "f16", True, 2, block_n=block_n, stages=stages, assemble=False)
    abi = result.abi
    assert [a["name"] for a in abi["args"]] == ["q", "kt", "v", "o", "lse", "scale_log2"]
    kinds = [p["kind"] for p in abi["params"]]
    assert kinds == ["tensor_map", "tensor_map", "pointer", "dim", "dim", "dim", "dim", "tensor_map", "pointer",
                     "scalar"]
    entry = re.search(r"\.visible \.entry attention\((.*?)\)", result.ptx, re.S)
    assert entry is not None
    params = [p.strip() for p in entry.group(1).split(",")]
    assert len(params) == len(kinds)
    for kind, text in zip(kinds, params):
        assert re.fullmatch(PTX_PARAM[kind], text), (kind, text)
    maps = {abi["args"][p["arg"]]["name"]: p for p in abi["params"] if p["kind"] == "tensor_map"}
    assert {n: m["box"] for n, m in maps.items()} == {"q": [64, 128], "kt": [64, block_n], "v": [64, block_n]}
    dims = [(abi["args"][p["arg"]]["name"], p.get("dim", p.get("dims"))) for p in abi["params"] if p["kind"] == "dim"]
    assert dims == [("o", 2), ("o", 3), ("kt", 3), ("o", [0, 1])]  # M = S, N = D, K = keys (K^T's last), B * H
    assert all(m["dtype"] == "f16" and m["swizzle"] == 128 for m in maps.values())
    program = attention_program(d, "f16", True, 2, block_n=block_n, stages=stages)
    scheduled = run_passes(program, parse_pipeline("schedule"))
    kernel = scheduled.ops.first
    rings = [ring.shape for ring in kernel.rings()]  # type: ignore[union-attr]
    assert rings == [("q", 2, 128 * d * 2), ("k", stages, block_n * d * 2), ("v", stages, block_n * d * 2)]
    assert abi["smem_bytes"] == smem_layout(rings)[1] == result.smem_bytes
    assert abi["threads"] == 384
    schedule = {k: abi["schedule"][k] for k in ("kind", "consumers", "stages", "wait_depth", "block_n", "causal",
                                               "kv_group", "overlap", "pingpong")}
    assert schedule == {"kind": "attention", "consumers": 2, "stages": stages, "wait_depth": 1, "block_n": block_n,
                        "causal": 1, "kv_group": 2, "overlap": 1, "pingpong": 1}


def test_abi_launch_values_for_grouped_query_attention():
    """A GQA launch (8 query heads over 4 K/V heads): Q's map covers B*H*S rows, K's and V's
    B*Hkv*S rows, the batch count is B*H, and the grid has one block per (tile, head)."""
    result = compile_attention(128, "bf16", False, 2, assemble=False)
    abi = KernelAbi.from_dict(result.abi)
    shapes = {"q": (2, 8, 1000, 128), "kt": (2, 4, 128, 1000), "v": (2, 4, 1000, 128), "o": (2, 8, 1000, 128),
              "lse": (2, 8, 1000)}
    pointers = {n: 0x100000 * (i + 1) for i, n in enumerate(shapes)}
    values = abi.param_values(shapes, pointers, {"scale_log2": 0.25})
    maps = [v for kind, v in values if kind == "tensor_map"]
    assert [m["dims"] for m in maps] == [[128, 2 * 8 * 1000], [128, 2 * 4 * 1000], [128, 2 * 4 * 1000]]
    assert all(m["strides"] == [256] for m in maps)
    rest = [(kind, v) for kind, v in values if kind != "tensor_map"]
    assert rest == [("u64", pointers["o"]), ("u32", 1000), ("u32", 128), ("u32", 1000), ("u32", 16),
                    ("u64", pointers["lse"]), ("f32", 0.25)]  # o, M = S, N = D, K = S, B * H, lse, scale
    assert abi.grid(shapes, 1000)[0] == 16 * 8  # ceil(1000 / 128) tiles x 16 (batch, head) entries
    assert abi.grid(shapes, 100)[0] == 100  # persistent: no more blocks than resident


PLAN_ERRORS = [
    (dict(dtype="tf32"), "bf16 or f16"),
    (dict(head_dim=96), "use 64, 128 or 256"),
    (dict(head_dim=256, block_n=64), None),
    (dict(head_dim=256, block_n=128), "more than 232448: use block_n=64"),
    (dict(block_m=64), "block_m must be 128"),
    (dict(block_n=96), "must be 64 or 128"),
    (dict(kv_group=0), "at least 1"),
    (dict(wait_depth=2), "0 or 1"),
    (dict(stages=1), "stages must be in 2..8"),
    (dict(stages=9), "stages must be in 2..8"),
    (dict(stages=1, wait_depth=0, head_dim=128, block_n=128), "stages must be in 2..8"),
    (dict(overlap=True, causal=True, block_n=64), None),
    (dict(overlap=True, pingpong=True, causal=True, block_n=128), None),
    (dict(stages=6, head_dim=128, block_n=128), "use fewer stages"),
    (dict(consumer_maxnreg=256), "register budgets exceed the register file"),
]


@pytest.mark.parametrize("fields,message", PLAN_ERRORS, ids=lambda v: str(v) if isinstance(v, dict) else None)
def test_plan_check(fields, message):
    why = AttentionPlan("attention", **fields).check()
    if message is None:
        assert why is None
    else:
        assert why is not None and message in why and "\n" not in why, why


def test_plan_shared_memory_limit_is_the_rings():
    """The first stage count that does not fit is the one whose ring layout exceeds the limit."""
    from exo_gpu.dialects.warpgroup import SMEM_LIMIT

    for stages in range(2, 9):
        plan = AttentionPlan("attention", head_dim=128, block_n=128, stages=stages)
        fits = smem_layout(plan.ring_slots())[1] <= SMEM_LIMIT
        assert (plan.check() is None) == fits, (stages, plan.check())
    assert AttentionPlan("attention", head_dim=128, stages=3).check() is None
    assert AttentionPlan("attention", head_dim=128, stages=4).check() is not None


COMPILE_ERRORS = [
    (dict(head_dim=96), exo_gpu.CompileError, "head_dim 96 is not supported: use 64, 128 or 256"),
    (dict(head_dim=512), ArgumentError, "head_dim must be in 64..256"),
    (dict(head_dim="128"), ArgumentError, "head_dim must be an integer"),
    (dict(head_dim=True), ArgumentError, "head_dim must be an integer"),
    (dict(dtype="tf32"), exo_gpu.CompileError, "dtype must be one of bf16, f16, got 'tf32'"),
    (dict(causal=1), ArgumentError, "causal must be True or False"),
    (dict(causal="yes"), ArgumentError, "causal must be True or False"),
    (dict(kv_group=0), ArgumentError, "kv_group must be in 1.."),
    (dict(kv_group=2.0), ArgumentError, "kv_group must be an integer"),
    (dict(block_n=100), exo_gpu.CompileError, "block_n (keys per block) must be 64 or 128, got 100"),
    (dict(block_n=512), ArgumentError, "block_n must be in 1..256"),
    (dict(stages=0), ArgumentError, "stages must be in 2..8"),
    (dict(stages=9), ArgumentError, "stages must be in 2..8"),
    (dict(stages=1), ExoGpuError, "stages must be in 2..8"),
    (dict(stages=1, wait_depth=0), ExoGpuError, "stages must be in 2..8"),
    (dict(stages=5), exo_gpu.CompileError, "use fewer stages"),
    (dict(wait_depth=-1), ArgumentError, "wait_depth must be in 0..1"),
    (dict(cuda="banana"), ExoGpuError, "CUDA banana is not supported"),
    (dict(cuda=12.3), exo_gpu.CompileError, "cuda must be a str"),
    (dict(overlap=1), ArgumentError, "overlap must be True or False"),
    (dict(pingpong="no"), ArgumentError, "pingpong must be True or False"),
    (dict(head_dim=256, block_n=128), exo_gpu.CompileError, "use block_n=64"),
]


@pytest.mark.parametrize("kwargs,cls,message", COMPILE_ERRORS, ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_compile_attention_argument_errors(kwargs, cls, message):
    with pytest.raises(cls) as info:
        compile_attention(**kwargs)
    text = str(info.value)
    assert message in text and "\n" not in text and "--" not in text, text


def test_compile_attention_takes_options_by_keyword():
    with pytest.raises(TypeError):
        compile_attention(128, "bf16", False, 1, 64)  # block_n is keyword-only


def test_program_prints_and_parses_back():
    """attention_program's tile program survives the printer and the parser, and compiles to the same PTX."""
    module = attention_program(64, "bf16", True, 2, block_n=64)
    text = exo_gpu.print_ir(module)
    again = exo_gpu.parse(text, "attention.mlir")
    assert exo_gpu.print_ir(again) == text
    a = exo_gpu.compile(module, assemble=False).ptx
    b = exo_gpu.compile(again, assemble=False).ptx
    strip = lambda ptx: [l for l in ptx.splitlines() if not l.lstrip().startswith((".loc", ".file"))]  # noqa: E731
    assert strip(a) == strip(b)


# -- exo-gpu attention (the command line, in process) -------------------------------------------


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from exo_gpu import cli

    rc = cli.main(["attention", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_report_json_both_versions(capsys):
    import json

    for cuda in VERSIONS:
        rc, out, err = _cli(capsys, "--head-dim", "64", "--dtype", "f16", "--causal", "--kv-group", "2", "--json",
                            "--cuda", cuda)
        assert rc == 0 and err == "", err
        (kernel,) = json.loads(out)["kernels"]
        assert kernel["kernel"] == "attention" and kernel["ok"] and kernel["codes"] == []
        assert kernel["ptxas"].startswith("12.3.") if cuda == "12.3" else kernel["ptxas"].startswith("13.")
        assert kernel["sass"]["hgmma_gsb0"] == kernel["ptx"]["commit_group"] and kernel["sass"]["ldl"] == 0


def test_cli_tile_ptx_cubin_sass(capsys, tmp_path):
    """--emit tile prints attention_program's tile program (it parses back); the PTX is
    compile_attention's with .loc lines into that text; the cubin is an ELF; the SASS has the
    report's HGMMA."""
    rc, tile, _ = _cli(capsys, "--head-dim", "64", "--block-n", "64", "--stages", "3", "--emit", "tile")
    assert rc == 0 and tile == exo_gpu.print_ir(attention_program(64, block_n=64, stages=3))
    exo_gpu.parse(tile, "attention.mlir")
    ptx = tmp_path / "a.ptx"
    rc, out, _ = _cli(capsys, "--head-dim", "64", "--causal", "--emit", "ptx", "-o", str(ptx))
    assert rc == 0 and out == ""
    text = ptx.read_text()
    assert '.file 1 "attention.mlir"' in text and "\t.loc 1 " in text
    strip = lambda p: [l for l in p.splitlines() if not l.lstrip().startswith((".loc", ".file"))]  # noqa: E731
    assert strip(text) == strip(compile_attention(64, causal=True, assemble=False).ptx)
    cubin = tmp_path / "a.cubin"
    rc, _, _ = _cli(capsys, "--head-dim", "64", "--emit", "cubin", "-o", str(cubin))
    assert rc == 0 and cubin.read_bytes().startswith(b"\x7fELF")
    rc, sass, _ = _cli(capsys, "--head-dim", "64", "--emit", "sass")
    expected = compile_attention(64).reports[0].shape.hgmma
    assert rc == 0 and sass.count("HGMMA.64x") == expected > 0, (sass.count("HGMMA.64x"), expected)


def test_cli_run_without_a_gpu_is_one_line(capsys):
    """--run compiles, then needs the driver: without one, one error line and exit 1."""
    from exo_gpu.gpu import runtime

    try:
        runtime.init()
    except runtime.CudaError:
        pass
    else:
        pytest.skip("a GPU and driver are present: this checks the message without one")
    rc, out, err = _cli(capsys, "--head-dim", "64", "--run", "--batch", "1", "--heads", "2", "--kv-heads", "1",
                        "--seq", "17")
    assert rc == 1 and out == "" and len(err.splitlines()) == 1 and "NVIDIA driver" in err, err


def _between(text: str, first: str, last: str) -> str:
    return text[text.index(first):text.index(last, text.index(first))]


@pytest.mark.parametrize("overlap", [False, True])
def test_pingpong_turns_in_ptx(overlap):
    """Ping-pong in the PTX: the last consumer warpgroup hands warpgroup 0 the first turn once
    (a predicated bar.arrive on barrier 1), and every K loop of a tile issues its groups between
    a bar.sync on the warpgroup's own barrier (1 + r) and a bar.arrive on the other's, 256
    threads each: fence, wgmmas and commits inside the turn, the blocking wait_group after it."""
    ptx = compile_attention(128, "bf16", False, 1, overlap=overlap, pingpong=True, assemble=False).ptx
    syncs = re.findall(r"bar\.sync (%r\d+), 256;", ptx)
    arrives = re.findall(r"bar\.arrive (%r\d+), 256;", ptx)
    turns = 3 if overlap else 2  # overlap: block 0, the two K loops, and the last P V
    assert len(syncs) == turns + int(overlap) and len(arrives) == len(syncs) + 1, (syncs, arrives)
    turn = _between(ptx, f"bar.sync {syncs[0]}, 256;", "wgmma.wait_group")
    assert "wgmma.fence" in turn and "wgmma.commit_group" in turn and "bar.arrive" in turn
    assert turn.index("wgmma.commit_group") < turn.index("bar.arrive")
    plain = compile_attention(128, "bf16", False, 1, overlap=overlap, pingpong=False, assemble=False).ptx
    assert not re.search(r"bar\.(sync|arrive) %r", plain)


def test_tail_masks_only_the_diagonal_blocks():
    """Causal with block_n = block_m / 2: the masked loop is `part = "last"` with `tail = 2`
    (the diagonal spans two key blocks), the unmasked one runs the blocks before them."""
    program = attention_program(128, "bf16", True, 1, block_n=64)
    kernel = run_passes(program, parse_pipeline("schedule")).ops.first
    loops = [op for op in kernel.walk() if op.name == "warpgroup.k_loop" and op.iter_args]
    assert [(op.range_part, op.tail_blocks) for op in loops] == [("but_last", 2), ("last", 2)]
    full = run_passes(attention_program(128, "bf16", False, 1, block_n=64), parse_pipeline("schedule")).ops.first
    assert {op.tail_blocks for op in full.walk() if op.name == "warpgroup.k_loop"} == {1}
