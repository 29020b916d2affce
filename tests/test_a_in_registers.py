"""A from registers (RS wgmma, `a_in_registers=True`), judged by the real pinned ptxas 12.3
and 13.x and nvdisasm: the guard must be clean (no C75xx, DEPBAR count equal to the PTX's
wait_group count, gsb0 HGMMA equal to its commit_group count, no local memory), and the
SASS must keep consecutive stages' A fragments in disjoint registers."""

from __future__ import annotations

import functools
import re
import subprocess
import sys

import pytest

from exo_gpu.ptxas import guard
from exo_gpu.compiler import CompileError, compile, gemm
from exo_gpu.gpu.runtime import KernelInfo

CUDAS = ["12.3", "13.x"]
KERNELS = {
    "bf16_n256_t1_c2_w1": dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, consumers=2, wait_depth=1),
    "bf16_n128_t2_c2_w1": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, wait_depth=1),
    "bf16_n128_t2_c1_w0": dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, consumers=1, wait_depth=0),
    "f16_n64_t1_c1_w1": dict(dtype="f16", wgmma_n=64, tiles_per_warpgroup=1, consumers=1, wait_depth=1),
    "f16_n192_t1_c2_w0": dict(dtype="f16", wgmma_n=192, tiles_per_warpgroup=1, consumers=2, wait_depth=0),
    "tf32_n128_t2_c2_w1": dict(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, wait_depth=1),
    "e4m3_n128_t1_c2_w1": dict(dtype="e4m3", wgmma_n=128, tiles_per_warpgroup=1, consumers=2, wait_depth=1),
}
_HGMMA_A = re.compile(r"[HQ]GMMA\.\S+ R\d+, R(\d+), ")


@functools.lru_cache(maxsize=None)
def _compiled(kernel: str, cuda: str):
    return compile(gemm(**KERNELS[kernel], a_in_registers=True), cuda=cuda)


@pytest.mark.parametrize("cuda", CUDAS)
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_guard_clean(kernel: str, cuda: str) -> None:
    result = _compiled(kernel, cuda)
    assert not result.warnings
    (report,) = result.reports
    assert report.ok, report.failures
    assert not report.codes
    shape = report.shape
    assert shape.depbar == report.wait_groups
    assert shape.hgmma_gsb0 == report.commit_groups
    assert shape.ldl == shape.stl == 0
    ptx = result.ptx
    assert "ldmatrix.sync.aligned.m8n8.x4.shared.b16" in ptx
    assert re.search(r"wgmma\.mma_async\.sync\.aligned\.m64n\d+k\d+\.f32\.\w+\.\w+ \{[^}]*\}, \{%r\d+, %r\d+, %r\d+, %r\d+\}", ptx)
    # peeled stage + the K loop's copies (wait depth + 1), T * (32 bytes of K per wgmma) each
    config = KERNELS[kernel]
    per_stage = config["tiles_per_warpgroup"] * 4
    assert shape.hgmma == per_stage * (2 + config["wait_depth"])


@pytest.mark.parametrize("cuda", CUDAS)
@pytest.mark.parametrize("kernel", [k for k, c in KERNELS.items() if c["wait_depth"] == 1])
def test_consecutive_stages_use_disjoint_a_registers(kernel: str, cuda: str) -> None:
    """With wait depth 1 a stage's wgmmas are in flight while the next stage loads its A
    fragments: in SASS the peeled stage, the K loop's first and second copies (gsb0 ends a
    stage) read A from pairwise disjoint registers where they are adjacent."""
    (report,) = _compiled(kernel, cuda).reports
    stages: list[set[int]] = [set()]
    for line in report.shape.hgmma_lines:
        m = _HGMMA_A.search(line)
        assert m, line
        stages[-1] |= set(range(int(m[1]), int(m[1]) + 4))
        if "gsb0" in line:
            stages.append(set())
    stages = [s for s in stages if s]
    assert len(stages) == 3
    assert not stages[0] & stages[1]
    assert not stages[1] & stages[2]


def test_default_ptx_unchanged_by_the_option() -> None:
    """Off by default: no ldmatrix, the SS form, and the same PTX as before."""
    ss = compile(gemm(dtype="bf16", wgmma_n=128), assemble=False).ptx
    assert "ldmatrix" not in ss
    rs = compile(gemm(dtype="bf16", wgmma_n=128, a_in_registers=True), assemble=False).ptx
    assert "ldmatrix" in rs and "_rs(" in rs


def test_budget_counts_fragments_before_ptxas() -> None:
    # 128 + 64 (2 sets of 2 tiles x 4 x 4) + 24 = 216 > 208; the SS kernel (152) fits.
    compile(gemm(dtype="bf16", wgmma_n=128, consumer_maxnreg=208), assemble=False)
    with pytest.raises(CompileError, match=r"128 accumulator registers \+ 64 for A fragments \+ 24"):
        compile(gemm(dtype="bf16", wgmma_n=128, consumer_maxnreg=208, a_in_registers=True), assemble=False)


def test_runtime_scale_d_rejected() -> None:
    pipeline = "schedule{scale_d=runtime},insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx"
    with pytest.raises(CompileError, match="not built with A in registers"):
        compile(gemm(dtype="bf16", a_in_registers=True), pipeline, assemble=False)


def test_cli_option() -> None:
    out = subprocess.run([sys.executable, "-m", "exo_gpu.cli", "gemm", "--dtype", "bf16", "--wgmma-n", "64",
                          "--a-in-registers", "--emit", "ptx"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "ldmatrix.sync.aligned.m8n8.x4" in out.stdout
    err = subprocess.run([sys.executable, "-m", "exo_gpu.cli", "gemm", "--dtype", "bf16", "--wgmma-n", "256",
                          "--tiles-per-warpgroup", "2", "--consumers", "1", "--a-in-registers", "--emit", "ptx"],
                         capture_output=True, text=True)
    assert err.returncode == 1
    assert err.stderr.count("\n") == 1 and "for A fragments" in err.stderr


def test_kernel_info_label() -> None:
    info = KernelInfo.for_gemm("k", "bf16", 128, 2, 2, 4)
    assert " rs" not in info.label()
    assert KernelInfo("k", "bf16", 128, 2, 2, 4, info.smem_bytes, a_in_registers=True).label().endswith(" rs")


def test_fragment_address_matches_the_isa_layout() -> None:
    """The lane address lower-to-ptx computes (row 16w + l % 8 + (l & 8), chunk
    ((l / 16) ^ (l % 8)) ^ kb / 16), fed through ldmatrix.x4 semantics (register j of lane
    l = bytes 4 (l % 4).. of row l / 4 of the matrix whose rows lanes 8j..8j+7 address),
    un-swizzled, gives the PTX ISA's wgmma A fragment: register j = row 16w + l / 4 +
    8 (j % 2), K bytes 16 (j / 2) + 4 (l % 4) .. + 3 of the wgmma's 32 bytes."""
    for kb in (0, 32, 64, 96):
        for w in range(4):
            addr = {}
            for lane in range(32):
                row = 16 * w + lane % 8 + (lane & 8)
                addr[lane] = row * 128 + ((((lane >> 4) ^ (lane % 8)) << 4) ^ kb)
            for lane in range(32):
                for j in range(4):
                    a = addr[8 * j + lane // 4] + 4 * (lane % 4)
                    row, col = divmod(a, 128)
                    chunk = (col // 16) ^ (row % 8)  # undo the 128-byte swizzle
                    k_byte = chunk * 16 + col % 16 - kb
                    assert row == 16 * w + lane // 4 + 8 * (j % 2)
                    assert k_byte == 16 * (j // 2) + 4 * (lane % 4)


def test_guard_report_names_kernel() -> None:
    (report,) = _compiled("bf16_n128_t2_c2_w1", "12.3").reports
    assert report.kernel.endswith("_rs")
    assert guard.format_report(report)
