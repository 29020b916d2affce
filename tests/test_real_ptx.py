"""Real compilers' PTX (tests/real_ptx/: NVRTC 12.3, 13.0 and 13.5, nvcc 13.0, Triton 3.9, CuTe DSL 4.8) through the
reader, the model and the doctor, compared with the stored ptxas 12.3/13.5 observations; the doctor on bad
input.  tests/real_ptx/make.py regenerates the cases and observations."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exo_gpu.dialects import ptx
from exo_gpu.passes.verify_wgmma_pipeline import verify_text
from exo_gpu.ptxas import doctor, reader, toolchain

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "real_ptx"
CASES = sorted(p for p in CASES_DIR.glob("*/*.ptx"))
VERSIONS = ("12.3", "13.5")

_spec = importlib.util.spec_from_file_location("real_ptx_make", CASES_DIR / "make.py")
make = importlib.util.module_from_spec(_spec)  # tests/real_ptx/make.py: observe_file
_spec.loader.exec_module(make)

# Known disagreements of the default model (the flow model, exo_gpu/ptxas/flow_model.py, through
# passes/verify_wgmma_pipeline.py) with ptxas on real compilers' PTX:
# (kernel file stem or compiler/stem, ptxas version) -> why.  Strict xfail: a model fix makes them pass and fail here, so
# that this table is updated.
KNOWN = {
    ("f16_array_no_final_wait", "13.5"): "wait-in-branch: model predicts C7518 (atlas case final_wait_in_branch); "
    "ptxas 13.5 prints C7514 + C7517 on the compilers' loop shape (wait_group 1 inside the loop, none after it)",
    **{(case, "13.5"): "wait-in-branch: the flow model predicts C7518 here; ptxas 13.5 prints C7514 + C7517 (it "
       "gets the nvrtc-12.3 and nvrtc-13.0 PTX of the same kernel right)"
       for case in ("nvcc-13.0/f16_array_wait_in_branch", "nvcc-13.0/f16_array_zero_init",
                    "nvrtc-13.5/f16_array_wait_in_branch", "nvrtc-13.5/f16_array_zero_init")},
    ("f16_array_regspill", "12.3"): "no rule for register pressure: eight m64n64 f32 tiles (256 registers) make ptxas "
    "print C7511 (insufficient register resources for the wgmma pipeline) and serialize; the model predicts clean",
    ("f16_array_regspill", "13.5"): "no rule for register pressure (C7511, serialized); the model predicts clean",
    ("f16_struct_peeled_debug", "12.3"): "nvcc -G (no optimization, accumulators through local memory and movs): "
    "ptxas 12.3 prints C7515, the model's first serializing finding gives C7514",
    ("f16_struct_peeled_debug", "13.5"): "nvcc -G: ptxas 13.5 prints C7511 + C7517 and serializes; the model "
    "predicts only C7517 (no register-pressure rule)",
}


def _case_id(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


def _meta(p: Path) -> dict:
    return json.loads(p.with_suffix(".json").read_text())


def test_cases_cover_every_compiler():
    compilers = {_meta(p)["compiler"] + "-" + _meta(p)["version"] for p in CASES}
    assert {"nvrtc-12.3", "nvrtc-13.0", "nvrtc-13.5", "nvcc-13.0"} <= compilers
    assert any(c.startswith("triton-") for c in compilers) and any(c.startswith("cutlass-dsl-") for c in compilers)
    assert len(CASES) >= 52


@pytest.mark.parametrize("path", CASES, ids=_case_id)
def test_reader_reads_every_wgmma(path):
    text = path.read_text()
    read = reader.read_ptx(text, str(path))
    funcs = reader.functions(read.module)
    entries = [f for f in funcs if f.kind.data == "entry"]
    assert len(entries) == 1
    mmas = [op for op in entries[0].body.block.ops if isinstance(op, ptx.ForeignMmaOp)]
    code = re.sub(r"//[^\n]*", "", text)
    assert len(mmas) == len(re.findall(r"\bwgmma\.mma_async", code)) > 0
    if ".loc" in code:  # -lineinfo: every wgmma has a source position
        assert all(op.source for op in mmas)


def test_labels_inside_scopes_are_local():
    """Inline-asm wait loops (`{ waitLoop: ... bra waitLoop; }`, nvcc and Triton) each get their own label;
    a branch goes to the label of its own scope, not to the last `waitLoop` of the function."""
    text = (".version 8.0\n.target sm_90a\n.visible .entry k()\n{\n.reg .pred %p<2>;\n"
            "{\n.reg .pred c;\nwaitLoop:\nsetp.ne.b32 c, 1, 0;\n@!c bra.uni waitLoop;\n}\n"
            "L1:\n{\n.reg .pred c;\nwaitLoop:\nsetp.ne.b32 c, 1, 0;\n@!c bra.uni waitLoop;\n}\n"
            "@%p1 bra L1;\nret;\n}\n")
    (fn,) = reader.functions(reader.read_ptx(text).module)
    labels = [op.label.data for op in fn.body.block.ops if isinstance(op, ptx.FlatLabelOp)]
    targets = [op.target.data for op in fn.body.block.ops if isinstance(op, ptx.FlatBranchOp)]
    assert labels == ["waitLoop$1", "L1", "waitLoop$2"] and targets == ["waitLoop$1", "waitLoop$2", "L1"]


def _prediction_params():
    for path in CASES:
        for v in VERSIONS:
            reason = KNOWN.get((_case_id(path), v)) or KNOWN.get((path.stem, v))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(path, v, marks=marks, id=f"{_case_id(path)}-{v}")


@pytest.mark.parametrize("path,version", list(_prediction_params()))
def test_model_agrees_with_stored_ptxas(path, version):
    obs = _meta(path)["observed"][version]
    (verdict,) = verify_text(path.read_text(), version, str(path))
    assert "error" not in obs, obs["error"]  # every case assembles (newer PTX lowered for 12.3, see the doctor)
    o = obs["kernels"][verdict.name]
    assert (verdict.codes, verdict.serialized) == (o["codes"], o["serialized"])


def _diagnose(rel: str, cuda: str = "12.3") -> dict:
    path = CASES_DIR / rel
    return doctor.diagnose(path.read_text(), cuda, str(path), predict_only=True)


@pytest.mark.parametrize("rel,inner,site,local_line", [
    ("nvrtc-12.3/tf32_array_spill.ptx", "src/tf32_array_spill.cu:42", "src/tf32_array_spill.cu:54",
     "src/tf32_array_spill.cu:63"),
    ("nvcc-13.0/tf32_array_spill.ptx", "src/tf32_array_spill.cu:42", "src/tf32_array_spill.cu:54",
     "src/tf32_array_spill.cu:63"),
    ("nvcc-13.0/f16_array_fence_r.ptx", "src/f16_array_fence_r.cu:44", "src/f16_array_fence_r.cu:64", None),
])
def test_category_a_names_the_cpp_line_and_fix(rel, inner, site, local_line):
    (k,) = _diagnose(rel)["kernels"]
    a = [f for f in k["findings"] if f["category"] == "A"]
    assert a
    for f in a:
        c = f["cpp"]
        assert c["position"] and c["site"] and c["source_text"] and c["fix"] and c["what"]
    first = min(a, key=lambda f: f["line"])
    assert (first["cpp"]["position"], first["cpp"]["site"]) == (inner, site)
    assert "wgmma" in first["cpp"]["site_text"] or "mma_acc" in first["cpp"]["site_text"]
    if local_line:  # the run-time index that sends the array to local memory is named
        assert any(s["source"] == local_line and s["op"] == "ld" for s in k["local_memory_sources"])
        assert "compile-time constants" in first["cpp"]["fix"]
    else:
        assert "register classes" in first["cpp"]["what"] and '"+f"' in first["cpp"]["fix"]


def test_category_a_text_output():
    proc = subprocess.run([sys.executable, "-m", "exo_gpu.ptxas.doctor", "--predict-only",
                           str(CASES_DIR / "nvrtc-13.0" / "tf32_array_spill.ptx")], capture_output=True, text=True)
    assert proc.returncode == 1  # predicted serialized
    out = proc.stdout
    assert "C++ src/tf32_array_spill.cu:42: `" in out and "called at src/tf32_array_spill.cu:54: `wgmma_m64n128k8" in out
    assert "fix (C++):" in out and "src/tf32_array_spill.cu:63: 128 ld.local" in out


# ------------------------------------------------------------------------------------ bad input

def _bad_inputs(tmp: Path) -> dict[str, Path]:
    peeled = (CASES_DIR / "nvcc-13.0" / "f16_struct_peeled.ptx").read_text()
    files = {
        "empty": ("empty.ptx", b""),
        "binary": ("noise.ptx", bytes(range(256)) * 8),
        "truncated": ("cut.ptx", peeled[: len(peeled) // 3].encode()),
        "sm80": ("old.ptx", b".version 8.0\n.target sm_80\n.address_size 64\n.visible .entry k()\n{\n\tret;\n}\n"),
        "cubin": ("k.cubin.ptx", b"\x7fELF\x02\x01\x01" + bytes(200)),
        "mlir": ("k.mlir", b'builtin.module {\n  "tile.gemm"() : () -> ()\n}\n'),
        "no-entry": ("lib.ptx", b".version 8.0\n.target sm_90a\n.address_size 64\n.visible .func f()\n{\n\tret;\n}\n"),
    }
    out = {}
    for key, (name, data) in files.items():
        (tmp / name).write_bytes(data)
        out[key] = tmp / name
    (tmp / "adir").mkdir()
    out["directory"] = tmp / "adir"
    out["missing"] = tmp / "nothing.ptx"
    return out


BAD = {"empty": "empty", "binary": "binary data", "truncated": "truncated", "sm80": ".target sm_80",
       "cubin": "cubin/ELF", "mlir": "MLIR text", "no-entry": "no .entry", "directory": "a directory",
       "missing": "cannot read"}


def _one_line_error(proc, path: Path, what: str):
    err = proc.stderr
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"exo-gpu: error: {path}: ") and what in err and "; fix: " in err


@pytest.mark.parametrize("kind", sorted(BAD))
def test_doctor_bad_input_is_one_line(tmp_path, kind):
    path = _bad_inputs(tmp_path)[kind]
    proc = subprocess.run([sys.executable, "-m", "exo_gpu.ptxas.doctor", str(path), "--predict-only"],
                          capture_output=True, text=True)
    _one_line_error(proc, path, BAD[kind])


@pytest.mark.parametrize("kind", ["no-entry", "mlir", "sm80", "directory"])
def test_check_bad_input_is_one_line(tmp_path, kind):
    path = _bad_inputs(tmp_path)[kind]
    exe = ROOT / ".venv" / "bin" / "exo-gpu"
    proc = subprocess.run([str(exe) if exe.exists() else "exo-gpu", "check", str(path)], capture_output=True, text=True)
    _one_line_error(proc, path, BAD[kind])


def test_ptxas_rejection_names_file_and_fix(tmp_path):
    path = tmp_path / "frob.ptx"
    path.write_text(".version 8.0\n.target sm_90a\n.address_size 64\n.visible .entry k()\n{\n\tfrob.b32;\n\tret;\n}\n")
    proc = subprocess.run([sys.executable, "-m", "exo_gpu.ptxas.doctor", str(path), "--cuda", "12.3"],
                          capture_output=True, text=True)
    _one_line_error(proc, path, "ptxas 12.3.107 rejected the PTX: line 6")
    assert "/tmp/exo-gpu-ptxas" not in proc.stderr and "--cuda 13.x" in proc.stderr


def test_newer_ptx_is_lowered_for_ptxas_12_3():
    """Triton 3.9 writes .version 9.4 and PTX 8.6's shared::cta bulk tensor copies; the doctor rewrites both to
    the PTX 8.0 forms for ptxas 12.3 and says so (the stored 12.3 observations were made that way)."""
    meta = _meta(CASES_DIR / "triton-3.9.0" / "matmul_tma_warp_specialized.ptx")
    note = meta["observed"]["12.3"]["note"]
    assert ".version 9.4 was lowered" in note and ".shared::cta copies (PTX 8.6) were rewritten" in note
    assert meta["observed"]["13.5"]["note"] is None


# ------------------------------------------------------------------------------------ real ptxas

REASSEMBLE = ["nvrtc-12.3/tf32_array_spill", "nvcc-13.0/f16_struct_rtscale", "nvrtc-13.0/f16_array_fence_r",
              "cutlass-dsl-4.8.1/cute_wgmma_accumulate_field", "triton-3.9.0/matmul_tma_warp_specialized"]


@pytest.mark.parametrize("case", REASSEMBLE)
def test_stored_observation_still_holds(case):
    """Re-assemble with the pinned ptxas 12.3 and 13.5 (and nvdisasm): the stored observation is reproduced."""
    path = CASES_DIR / f"{case}.ptx"
    for v in VERSIONS:
        toolchain.ptxas(v)  # raises with the install command if the pinned ptxas is missing
    fresh = make.observe_file(path)
    stored = _meta(path)["observed"]
    for v in VERSIONS:
        assert fresh[v]["ptxas"] == stored[v]["ptxas"]
        for name, k in stored[v]["kernels"].items():
            f = fresh[v]["kernels"][name]
            keys = ("codes", "serialized", "local_memory", "injected_wait", "sass", "ptx")
            assert {x: f[x] for x in keys} == {x: k[x] for x in keys}, (case, v)


def test_doctor_observes_and_agrees_on_a_real_case():
    path = CASES_DIR / "nvrtc-12.3" / "f16_struct_rtscale.ptx"
    proc = subprocess.run([sys.executable, "-m", "exo_gpu.ptxas.doctor", str(path), "--cuda", "12.3", "--json"],
                          capture_output=True, text=True)
    (k,) = json.loads(proc.stdout)["kernels"]
    assert proc.returncode == 1 and k["agree"] and k["codes"] == ["C7515"] and k["serialized"]
    assert [f["rule"] for f in k["findings"]][:1] == ["acc-undefined-input"]
