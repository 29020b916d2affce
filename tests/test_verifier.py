"""verify-wgmma-pipeline and the PTX reader: our own kernels are clean, the run-time scale-d
variant is flagged for the versions that serialize it, and bad PTX gives a one-line error."""

import pytest

from exo_gpu.compiler import CompileError, compile, gemm, with_locations
from exo_gpu.passes import PASSES
from exo_gpu.passes.verify_wgmma_pipeline import RULES, verify_text
from exo_gpu.ptxas.reader import PtxReadError, functions, read_ptx

PIPE = "schedule{{scale_d={sd}}},insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx"


def _ptx(scale_d="immediate", **kw):
    module, _ = with_locations(gemm(**kw), "g.mlir")
    return compile(module, PIPE.format(sd=scale_d), assemble=False).ptx


@pytest.mark.parametrize("cuda", ["12.0", "12.3", "12.8", "12.9", "13.0", "13.x"])
@pytest.mark.parametrize("kw", [{}, {"dtype": "bf16", "wgmma_n": 256, "tiles_per_warpgroup": 1},
                                {"wait_depth": 0}, {"accumulate_c": True}, {"wgmma_n": 96}])
def test_own_kernels_have_no_findings(cuda, kw):
    (k,) = verify_text(_ptx(**kw), cuda)
    assert k.findings == [] and k.codes == [] and not k.serialized


@pytest.mark.parametrize("cuda,expect", [("12.3", True), ("12.8", True), ("12.9", False), ("13.0", False), ("13.x", False)])
def test_runtime_scale_d(cuda, expect):
    (k,) = verify_text(_ptx("runtime"), cuda)
    if expect:
        assert k.codes == ["C7515"] and k.serialized
        f = k.findings[0]
        assert f.rule == "acc-undefined-input" and f.category == "B"
        # the wgmma is located at the tile.mma of the GEMM program (line 13 of its text)
        assert "wgmma.mma_async" in f.text and f.source == "g.mlir:13" and "%p" in f.detail
        assert f.mma_line == f.line and "wgmma.fence" in f.stage and "peel" in f.fix
    else:
        assert k.findings == [] and not k.serialized


def test_pass_is_registered_and_runs_in_the_pipeline():
    assert "verify-wgmma-pipeline" in PASSES
    pipe = "schedule{{scale_d={sd}}},insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,verify-wgmma-pipeline{{cuda=\"{v}\"}},emit-ptx"
    compile(gemm(), pipe.format(sd="immediate", v="12.3"), assemble=False)
    compile(gemm(), pipe.format(sd="runtime", v="13.5"), assemble=False)
    with pytest.raises(CompileError, match=r"acc-undefined-input at PTX line \d+: ptxas 12.3 C7515, serialized"):
        compile(gemm(), pipe.format(sd="runtime", v="12.3"), assemble=False)


def test_every_rule_is_documented():
    for r in RULES.values():
        assert r.why and r.fix and r.cases and r.category in ("A", "B", "ISA")


NVCC_LIKE = """
.version 8.0
.target sm_90a
.address_size 64
.visible .entry k(.param .u64 k_p0)
.maxntid 128, 1, 1
{
\t.reg .pred %p<2>;
\t.reg .f32 %f<5>;
\t.reg .b64 %rd<3>;
\t.reg .b32 %r<3>;
\t.loc 1 10 3
\tld.param.u64 %rd1, [k_p0];
\tmov.b32 %r1, 0;
\t// begin inline asm
\t{
\t.reg .pred p;
\tsetp.ne.b32 p, %r1, 0;
\twgmma.mma_async.sync.aligned.m64n8k8.f32.tf32.tf32 {%f1, %f2, %f3, %f4}, %rd1, %rd1, p, 1, 1;
\t}
\t// end inline asm
\t{
\t.reg .pred p;
\t@!p bra $L__done;
\t}
$L__done:
\tst.global.v2.f32 [%rd1], {%f1, %f2};
\tret;
}
.file 1 "user.cu"
"""


def test_reader_handles_nvcc_forms():
    r = read_ptx(NVCC_LIKE, "k.ptx")
    (fn,) = functions(r.module)
    ops = list(fn.body.block.ops)
    mma = next(o for o in ops if o.name == "ptx.mma")
    assert mma.scale_d.data.startswith("p$") and mma.acc_regs == ["%f1", "%f2", "%f3", "%f4"]
    assert mma.source == "user.cu:10"
    br = next(o for o in ops if o.name == "ptx.branch")
    assert br.guard.data.startswith("!p$") and br.guard.data != "!" + mma.scale_d.data  # two scopes, two p's
    st = next(o for o in ops if o.name == "ptx.instr" and o.opcode.data.startswith("st.global"))
    assert set(st.read_regs) == {"%rd1", "%f1", "%f2"} and st.write_regs == []
    assert [d.data for d in fn.directives.data] == [".maxntid 128, 1, 1"]


@pytest.mark.parametrize("text,what", [
    (".version 8.0\n.visible .entry k()\n{\n\t.reg .b32 %r<2>;\n\t@%q bra L;\n}\n", "k.ptx:5: .*guard"),
    (".version 8.0\n.visible .entry k()\n{\n\tmov.b32 %r1, 0;\n", "not closed"),
    (".version 8.0\n.visible .entry k()\n{\n\t.reg .f32 %f<2>;\n\twgmma.mma_async.sync.aligned.m64n8k8.f32.tf32.tf32 %f1, 1, 2, 1, 1, 1;\n}\n",
     "k.ptx:5: .*register list"),
])
def test_reader_errors_name_the_line(text, what):
    with pytest.raises(PtxReadError, match=what) as e:
        read_ptx(text, "k.ptx")
    assert "\n" not in str(e.value)
