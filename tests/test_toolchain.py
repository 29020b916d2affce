"""The pinned ptxas/nvdisasm toolchain, with the real wheels (downloaded on first use)."""

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exo_gpu.ptxas import toolchain
from exo_gpu.errors import ExoGpuError
from exo_gpu.ptxas.toolchain import ToolchainError


@pytest.fixture(scope="module")
def ptxas_default():
    return toolchain.ptxas()


def test_pin_table_is_complete_and_well_formed():
    versions = toolchain.pinned_versions()
    assert versions[0] == "12.0"
    assert "12.3" in versions and "13.0" in versions
    assert "12.7" not in versions  # never published on PyPI
    assert versions[-1] == toolchain.newest()
    assert toolchain.DEFAULT_CUDA == "12.3"
    for cuda, pin in toolchain.PINS.items():
        assert pin.cuda == cuda
        assert pin.release == f"release {cuda}"
        assert re.fullmatch(r"[0-9a-f]{64}", pin.sha256)
        assert pin.filename.startswith(pin.package.replace("-", "_") + "-" + pin.version + "-")
        assert "x86_64" in pin.filename and "manylinux" in pin.filename
        want = "nvidia/cuda_nvcc/bin/ptxas" if cuda.startswith("12.") else "nvidia/cu13/bin/ptxas"
        assert pin.member == want
    assert toolchain.NVDISASM_PIN.member == "nvidia/cu13/bin/nvdisasm"


@pytest.mark.parametrize("spelling", ["13", "13.x", "newest", "NEWEST"])
def test_newest_aliases(spelling):
    assert toolchain.resolve(spelling) is toolchain.PINS[toolchain.newest()]


def test_exact_and_minor_spellings():
    assert toolchain.resolve("12.3").version == "12.3.107"
    assert toolchain.resolve("12.3.107") is toolchain.resolve("12.3")


def test_unknown_cuda_version():
    with pytest.raises(ToolchainError) as e:
        toolchain.ptxas("11.8")
    msg = str(e.value)
    assert msg.startswith("CUDA 11.8 is not supported: choose one of 12.0, 12.1,")
    assert f", {toolchain.newest()}" in msg
    assert "\n" not in msg
    assert isinstance(e.value, ExoGpuError)
    for bad in ["12.7", "12", "twelve", ""]:
        with pytest.raises(ToolchainError, match="is not supported"):
            toolchain.resolve(bad)


def test_unpinned_patch_is_named():
    with pytest.raises(ToolchainError, match=r"CUDA 12\.3\.52 is not pinned: .*12\.3\.107"):
        toolchain.resolve("12.3.52")


def test_default_ptxas_is_installed_and_verified(ptxas_default):
    assert ptxas_default.name == "ptxas"
    assert ptxas_default.version == "12.3.107"
    path = Path(ptxas_default.path)
    assert path == toolchain.cache_dir() / "cuda-12.3.107" / "bin" / "ptxas"
    assert os.access(path, os.X_OK)
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True).stdout
    assert "release 12.3, V12.3.107" in out


def test_newest_ptxas_and_nvdisasm():
    t = toolchain.ptxas("13.x")
    assert t.version == toolchain.PINS[toolchain.newest()].version
    assert t.path.endswith(f"cuda-{t.version}/bin/ptxas")
    d = toolchain.nvdisasm()
    assert (d.name, d.version) == ("nvdisasm", toolchain.NVDISASM_PIN.version)


def test_install_returns_ptxas_then_nvdisasm():
    tools = toolchain.install(["12.3", "12.3.107"])
    assert [(t.name, t.version) for t in tools] == [
        ("ptxas", "12.3.107"), ("nvdisasm", toolchain.NVDISASM_PIN.version)]
    with pytest.raises(ToolchainError, match="CUDA 9.9 is not supported"):
        toolchain.install(["12.3", "9.9"])


def test_local_ptxas(ptxas_default):
    t = toolchain.ptxas(path=ptxas_default.path)
    assert (t.name, t.version) == ("ptxas", "12.3.107")


def test_local_ptxas_not_found():
    with pytest.raises(ToolchainError) as e:
        toolchain.ptxas(path="/nonexistent")
    assert str(e.value).startswith("ptxas='/nonexistent': no such file;")  # the API's spelling


def test_local_ptxas_not_executable(tmp_path):
    f = tmp_path / "ptxas"
    f.write_text("not a program")
    with pytest.raises(ToolchainError, match="not an executable file"):
        toolchain.ptxas(path=str(f))


def test_local_ptxas_not_a_ptxas():
    with pytest.raises(ToolchainError, match=r"not a ptxas"):
        toolchain.ptxas(path=sys.executable)


def test_fresh_install_into_empty_cache(tmp_path, monkeypatch):
    # The small nvdisasm wheel exercises download, sha256, extraction and the rename.
    monkeypatch.setenv("EXO_GPU_CACHE", str(tmp_path / "cache"))
    t = toolchain.nvdisasm()
    assert Path(t.path) == tmp_path / "cache" / f"cuda-{t.version}" / "bin" / "nvdisasm"
    assert os.access(t.path, os.X_OK)
    assert os.listdir(Path(t.path).parent) == ["nvdisasm"]  # no temporary left over
    assert toolchain.nvdisasm() == t  # cached


def test_sha_mismatch(tmp_path, monkeypatch):
    monkeypatch.setenv("EXO_GPU_CACHE", str(tmp_path))
    pin = dataclasses.replace(toolchain.NVDISASM_PIN, sha256="0" * 64)
    with pytest.raises(ToolchainError) as e:
        toolchain.fetch(pin)
    assert "sha256 mismatch" in str(e.value) and pin.filename in str(e.value)
    assert not list(tmp_path.rglob("nvdisasm"))


def test_download_failure_names_version_and_remedy(tmp_path, monkeypatch):
    monkeypatch.setenv("EXO_GPU_CACHE", str(tmp_path))
    pin = toolchain.Pin("nvidia-cuda-nvcc-cu12", "12.3.999", "nope.whl", "0" * 64,
                        "nvidia/cuda_nvcc/bin/ptxas")
    with pytest.raises(ToolchainError) as e:
        toolchain.fetch(pin)
    msg = str(e.value)
    assert msg.startswith("ptxas for CUDA 12.3 (nvidia-cuda-nvcc-cu12==12.3.999) could not "
                          "be downloaded: ")
    assert msg.endswith("check network access to PyPI, or pass ptxas='PATH' to use a "
                        "local ptxas")
    assert "\n" not in msg
