"""The serialization guard, on hand-written PTX, with the real pinned ptxas and nvdisasm."""

import json

import pytest

from exo_gpu.ptxas import guard, toolchain
from exo_gpu.errors import ExoGpuError
from exo_gpu.ptxas.guard import GuardError, PtxasError

HEADER = """\
.version 8.0
.target sm_90a
.address_size 64
"""

# One pipeline stage of two m64n8k8 tf32 wgmmas into the same accumulators, then the
# accumulators are stored so they are live.  scale-d is 0 for the first (peeled) mma.
STAGE = """
.visible .entry {name}(.param .u64 out, .param .u64 da, .param .u64 db)
{{
  .reg .f32 %f<4>;
  .reg .b64 %rd<8>;
  .reg .b32 %r<2>;
  ld.param.u64 %rd0, [out];
  ld.param.u64 %rd1, [da];
  ld.param.u64 %rd2, [db];
  add.s64 %rd3, %rd1, 2;
  add.s64 %rd4, %rd2, 2;
  wgmma.fence.sync.aligned;
  wgmma.mma_async.sync.aligned.m64n8k8.f32.tf32.tf32 {{%f0, %f1, %f2, %f3}}, %rd1, %rd2, 0, 1, 1;
{between}
  wgmma.mma_async.sync.aligned.m64n8k8.f32.tf32.tf32 {{%f0, %f1, %f2, %f3}}, %rd3, %rd4, 1, 1, 1;
  wgmma.commit_group.sync.aligned;
{wait}
  mov.u32 %r0, %tid.x;
  mul.wide.u32 %rd5, %r0, 16;
  add.s64 %rd6, %rd0, %rd5;
  st.global.v4.f32 [%rd6], {{%f0, %f1, %f2, %f3}};
  ret;
}}
"""

WAIT = "  wgmma.wait_group.sync.aligned 0;"


def stage(name, between="", wait=WAIT):
    return STAGE.format(name=name, between=between, wait=wait)


CLEAN = HEADER + stage("clean")
# The accumulator is redefined between the two mmas of the stage, before the wait.
BROKEN = HEADER + stage("broken", between="  mov.f32 %f1, 0f3F800000;")
# No wgmma.wait_group before the accumulators are read: ptxas must add one.
NOWAIT = HEADER + stage("nowait", wait="")
BOTH = HEADER + stage("clean") + stage("broken", between="  mov.f32 %f1, 0f3F800000;")

LOCAL = HEADER + """
.visible .entry k_local(.param .u64 out, .param .u32 i, .param .u32 j)
{
  .local .align 4 .b8 arr[256];
  .reg .b64 %rd<8>;
  .reg .b32 %r<4>;
  ld.param.u64 %rd0, [out];
  ld.param.u32 %r0, [i];
  ld.param.u32 %r3, [j];
  mov.u64 %rd1, arr;
  mul.wide.u32 %rd2, %r0, 4;
  add.s64 %rd3, %rd1, %rd2;
  mov.u32 %r1, %tid.x;
  st.local.u32 [%rd3], %r1;
  mul.wide.u32 %rd4, %r3, 4;
  add.s64 %rd5, %rd1, %rd4;
  ld.local.u32 %r2, [%rd5];
  st.global.u32 [%rd0], %r2;
  ret;
}
"""

SMEM = HEADER + """
.visible .entry k_smem(.param .u64 out)
{
  .shared .align 16 .b8 buf[1024];
  .reg .b64 %rd<4>;
  .reg .b32 %r<4>;
  ld.param.u64 %rd0, [out];
  mov.u32 %r0, %tid.x;
  shl.b32 %r1, %r0, 2;
  mov.u32 %r2, buf;
  add.u32 %r2, %r2, %r1;
  st.shared.u32 [%r2], %r0;
  bar.sync 0;
  ld.shared.u32 %r3, [%r2+4];
  mul.wide.u32 %rd1, %r0, 4;
  add.s64 %rd2, %rd0, %rd1;
  st.global.u32 [%rd2], %r3;
  ret;
}
"""


@pytest.fixture(scope="module")
def ptxas12():
    return toolchain.ptxas("12.3")


@pytest.fixture(scope="module")
def ptxas13():
    return toolchain.ptxas("13.x")


@pytest.fixture(scope="module")
def disasm():
    return toolchain.nvdisasm()


@pytest.fixture(scope="module", params=["12.3", "13.x"])
def any_ptxas(request):
    return toolchain.ptxas(request.param)


def run(ptx, ptxas, disasm, **kw):
    cubin, reports = guard.check(ptx, ptxas, disasm=disasm, **kw)
    assert cubin[:4] == b"\x7fELF"
    return {r.kernel: r for r in reports}


def test_clean_stage_passes(any_ptxas, disasm):
    r = run(CLEAN, any_ptxas, disasm)["clean"]
    assert r.failures == [] and r.ok
    assert not [d for d in r.codes if d.serializing]
    assert r.ptxas == any_ptxas.version
    assert (r.wait_groups, r.commit_groups) == (1, 1)
    assert r.stack == 0 and r.registers and r.registers > 0
    guard.enforce([r])  # does not raise


def test_clean_stage_sass_shape(any_ptxas, disasm):
    shape = run(CLEAN, any_ptxas, disasm)["clean"].shape
    assert (shape.hgmma, shape.hgmma_gsb0, shape.arrive, shape.depbar) == (2, 1, 1, 1)
    assert (shape.ldl, shape.stl) == (0, 0)
    assert len(shape.hgmma_lines) == 2
    assert shape.hgmma_lines[0].startswith("HGMMA.64x8x8.F32.TF32 ")
    assert "gsb0" not in shape.hgmma_lines[0]  # only the last HGMMA ends the group
    assert "gsb0" in shape.hgmma_lines[1]
    assert "RZ, !UPT" in shape.hgmma_lines[0]  # scale-d = 0 reads zero, not D


def test_broken_stage_on_12_3(ptxas12, disasm):
    r = run(BROKEN, ptxas12, disasm)["broken"]
    codes = [d.code for d in r.codes]
    assert codes == ["C7515"]
    d = r.codes[0]
    assert d.serializing and d.kernel == "broken"
    assert d.message.startswith("Potential Performance Loss: wgmma.mma_async instructions "
                                "are serialized due to non wgmma instructions defining "
                                "accumulator registers of a wgmma between start and end "
                                "of the pipeline stage in the function 'broken'")
    assert r.failures[0] == f"C7515 serialization: {d.message}"
    assert ("extra WARPGROUP.DEPBAR: SASS has 2, PTX has 1 wgmma.wait_group — ptxas "
            "inserted waits") in r.failures
    assert any(f.startswith("extra gsb0 HGMMA: SASS has 2") for f in r.failures)
    # serialized shape: every HGMMA carries gsb0 and has its own arrive and wait
    s = r.shape
    assert (s.hgmma, s.hgmma_gsb0, s.arrive, s.depbar) == (2, 2, 2, 2)


def test_broken_stage_on_newest(ptxas13, disasm):
    # 12.5 and later blame registers (C7511) for the same PTX; 13.1+ add " in line N".
    r = run(BROKEN, ptxas13, disasm)["broken"]
    serializing = [d for d in r.codes if d.serializing]
    assert [d.code for d in serializing] == ["C7511"]
    second_mma = [i for i, ln in enumerate(BROKEN.splitlines(), 1) if "mma_async" in ln][1]
    assert ("insufficient register resources for the wgmma pipeline in the function "
            f"'broken' in line {second_mma}") in serializing[0].message
    assert r.failures[0].startswith("C7511 serialization: Potential Performance Loss:")
    assert r.shape.hgmma_gsb0 == 2 and r.shape.depbar == 2


def test_codes_are_attributed_by_name_in_multi_kernel_ptx(ptxas12, disasm):
    # ptxas prints the (C75xx) line *before* "Compiling entry function 'broken'".
    reports = run(BOTH, ptxas12, disasm)
    assert list(reports) == ["clean", "broken"]
    assert reports["clean"].ok and reports["clean"].codes == []
    assert [d.code for d in reports["broken"].codes] == ["C7515"]
    with pytest.raises(GuardError) as e:
        guard.enforce(list(reports.values()))
    assert "kernel 'broken' (ptxas 12.3.107): C7515 serialization:" in str(e.value)
    assert "kernel 'clean'" not in str(e.value)
    assert isinstance(e.value, ExoGpuError)
    warnings = guard.enforce(list(reports.values()), downgrade=True)
    assert warnings == e.value.failures and len(warnings) == 3


def test_silently_injected_wait_is_caught_by_sass(ptxas12, ptxas13, disasm):
    # 12.3 serializes (C7514); the newest only notes C7517 and adds a wait: the SASS
    # check is what catches it.
    old = run(NOWAIT, ptxas12, disasm)["nowait"]
    assert [d.code for d in old.codes] == ["C7514"] and old.codes[0].serializing
    new = run(NOWAIT, ptxas13, disasm)["nowait"]
    assert [(d.code, d.serializing) for d in new.codes] == [("C7517", False)]
    assert new.failures == ["extra WARPGROUP.DEPBAR: SASS has 1, PTX has 0 "
                            "wgmma.wait_group — ptxas inserted waits"]


def test_expected_counts_override_the_ptx(ptxas12, disasm):
    r = run(CLEAN, ptxas12, disasm, expected_wait_groups=0, expected_commit_groups=0)
    assert len(r["clean"].failures) == 2


def test_local_memory(ptxas12, disasm):
    r = run(LOCAL, ptxas12, disasm)["k_local"]
    assert r.stack == 256
    assert r.failures == ["local memory: 256 bytes stack, 1 LDL, 1 STL"]


def test_log_parsing_smem_and_registers(any_ptxas):
    a = guard.assemble(SMEM + CLEAN.replace(HEADER, ""), any_ptxas)
    assert set(a.kernels) == {"k_smem", "clean"}
    assert a.kernels["k_smem"].smem == 1024 and a.kernels["k_smem"].entry
    assert a.kernels["clean"].smem == 0
    assert all(k.registers for k in a.kernels.values())
    assert "Compiling entry function 'k_smem' for 'sm_90a'" in a.log


def test_ptxas_syntax_error(any_ptxas):
    bad = CLEAN.replace("  add.s64 %rd4,", "  bogus.op %rd3;\n  add.s64 %rd4,")
    line = bad.splitlines().index("  bogus.op %rd3;") + 1
    with pytest.raises(PtxasError) as e:
        guard.assemble(bad, any_ptxas)
    msg = str(e.value)
    assert msg.startswith(f"ptxas {any_ptxas.version} rejected the PTX: line {line}: ")
    assert "Not a name of any known instruction: 'bogus'" in msg
    assert f"(PTX line {line}: `bogus.op %rd3;`)" in msg
    assert e.value.errors[0][0] == line
    assert isinstance(e.value, ExoGpuError)


def test_ptx_group_counts():
    text = CLEAN + "// wgmma.wait_group.sync.aligned 0;\n" + stage("other", wait=WAIT + "\n" + WAIT)
    assert guard.ptx_group_counts(text) == {"clean": (1, 1), "other": (2, 1)}


def test_rendering(ptxas12, disasm):
    reports = run(BOTH, ptxas12, disasm)
    text = guard.format_report(reports["clean"])
    assert text.splitlines()[0] == "kernel clean (ptxas 12.3.107, sm_90a): OK"
    assert "2 HGMMA (1 with gsb0)" in text
    broken = guard.format_report(reports["broken"])
    assert "FAILED (3)" in broken and "FAIL C7515 serialization:" in broken
    j = guard.report_to_json(reports["broken"])
    assert json.loads(json.dumps(j)) == j
    assert j["ok"] is False and j["codes"][0]["code"] == "C7515"
    assert j["sass"]["hgmma_gsb0"] == 2 and j["ptx"] == {"wait_group": 1, "commit_group": 1}
