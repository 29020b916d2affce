"""`exo-gpu doctor` (exo_gpu.ptxas.doctor.main) on nvcc-generated PTX of a kernel written like the
users' (an array accumulator, a run-time scale-d): culprits, categories, and the JSON shape."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from exo_gpu.ptxas import doctor

ROOT = Path(__file__).resolve().parent.parent
USER = ROOT / "examples" / "user_kernel.ptx"


def _run(*args):
    proc = subprocess.run([sys.executable, "-m", "exo_gpu.ptxas.doctor", *map(str, args)], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("cuda,code", [("12.3", "C7515"), ("13.x", "C7514")])
def test_user_kernel_json(cuda, code):
    rc, out, err = _run(USER, "--cuda", cuda, "--json")
    assert rc == 1, err  # serialized
    data = json.loads(out)
    (k,) = data["kernels"]
    assert {"name", "codes", "serialized", "findings"} <= set(k)
    assert k["name"] == "user_gemm" and k["codes"] == [code] and k["serialized"] is True
    assert k["agree"] is True
    assert {key: k["predicted"][key] for key in ("codes", "serialized")} == {"codes": [code], "serialized": True}
    assert {"A", "B"} & set(k["categories"])
    for f in k["findings"]:
        assert {"rule", "category", "line", "instruction", "source", "wgmma_line", "why", "fix", "codes"} <= set(f)
        assert f["source"] is None or "user_kernel.cu:" in f["source"]
    spills = [f for f in k["findings"] if f["rule"] == "acc-local-memory"]
    assert spills and all(f["category"] == "A" and "st.local" in f["instruction"] or "ld.local" in f["instruction"]
                          for f in spills)


def test_user_kernel_predict_only_names_culprits():
    rc, out, err = _run(USER, "--cuda", "12.3", "--predict-only")
    assert "prediction only" in out and "observed" not in out
    assert "category A: accumulator migration/spill" in out and "category B: ptxas-side rejection" in out
    assert "acc-undefined-input at line" in out and "user_kernel.cu:" in out and "fix:" in out


def test_predict_only_json_for_13x():
    rc, out, _ = _run(USER, "--cuda", "13.x", "--json", "--predict-only")
    (k,) = json.loads(out)["kernels"]
    assert k["codes"] == ["C7514"] and k["serialized"] and "observed" not in k


def test_own_kernel_is_clean(tmp_path):
    ptx = subprocess.run([str(ROOT / ".venv" / "bin" / "exo-gpu"), "gemm", "--emit", "ptx"], capture_output=True,
                         text=True, check=True).stdout
    (tmp_path / "k.ptx").write_text(ptx)
    assert doctor.main([str(tmp_path / "k.ptx"), "--cuda", "13.x", "--predict-only"]) == 0


@pytest.mark.parametrize("content,msg", [(None, "cannot read"), (".version 8.0\n.target sm_90a\n.visible .entry k()\n{\n\t@%q bra L;\n}\n", "k.ptx:5")])
def test_errors_are_one_line(tmp_path, content, msg):
    path = tmp_path / "k.ptx"
    if content is not None:
        path.write_text(content)
    rc, out, err = _run(path, "--predict-only")
    assert rc == 1 and err.startswith("exo-gpu: error:") and msg in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
