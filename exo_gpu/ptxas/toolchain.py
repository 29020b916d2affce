"""Pinned ptxas and nvdisasm binaries, taken from NVIDIA's PyPI wheels.

exo-gpu judges its PTX by what a *specific* ptxas makes of it, so the assembler
is pinned: each supported CUDA minor maps to one exact wheel (package, version,
file name, sha256) in ``PINS``.  On first use the wheel is fetched with
``python -m pip download``, its sha256 checked, the one binary extracted from
the zip into the per-user cache

    ${EXO_GPU_CACHE:-${XDG_CACHE_HOME:-~/.cache}/exo-gpu}/cuda-<version>/bin/

and ``--version`` checked against the pin.  Later calls use the cached binary.
Writes go through a temporary file and a rename, so concurrent processes are
safe.  ``--ptxas PATH`` (``ptxas(path=...)``) bypasses all of this.

CUDA 12.x ptxas comes from ``nvidia-cuda-nvcc-cu12`` (there is no 12.7 on
PyPI), 13.x from ``nvidia-cuda-nvcc``; nvdisasm from ``nvidia-cuda-nvdisasm``
(13.x only, but it disassembles sm_90a cubins from every ptxas pinned here).
The table was generated once from PyPI's JSON simple API (newest patch of each
minor, release candidates skipped); it is not fetched at run time.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from exo_gpu.errors import ExoGpuError, option

DEFAULT_CUDA = "12.3"


class ToolchainError(ExoGpuError):
    """A pinned tool could not be had, or a given one is unusable."""


@dataclass(frozen=True)
class Pin:
    """One exact wheel that holds one binary."""

    package: str
    version: str  # exact wheel version, e.g. "12.3.107"
    filename: str  # the manylinux x86_64 wheel
    sha256: str
    member: str  # path of the binary inside the wheel

    @property
    def cuda(self) -> str:
        """The CUDA minor, e.g. "12.3"."""
        return ".".join(self.version.split(".")[:2])

    @property
    def release(self) -> str:
        """What ``--version`` must print, e.g. "release 12.3"."""
        return f"release {self.cuda}"

    @property
    def spec(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Tool:
    name: str  # "ptxas" or "nvdisasm"
    path: str
    version: str  # e.g. "12.3.107"

    @property
    def cuda(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def _pin(package: str, version: str, filename: str, sha256: str) -> Pin:
    if package == "nvidia-cuda-nvcc-cu12":
        member = "nvidia/cuda_nvcc/bin/ptxas"
    elif package == "nvidia-cuda-nvcc":
        member = "nvidia/cu13/bin/ptxas"
    else:
        member = "nvidia/cu13/bin/nvdisasm"
    return Pin(package, version, filename, sha256, member)


# ptxas, keyed by CUDA minor.
PINS: dict[str, Pin] = {p.cuda: p for p in (
    _pin("nvidia-cuda-nvcc-cu12", "12.0.140",
         "nvidia_cuda_nvcc_cu12-12.0.140-py3-none-manylinux1_x86_64.whl",
         "958d54df87d0c0b7207e7fed403d6eeda0890a01cc44cfeaccf87c7f90e9b165"),
    _pin("nvidia-cuda-nvcc-cu12", "12.1.105",
         "nvidia_cuda_nvcc_cu12-12.1.105-py3-none-manylinux1_x86_64.whl",
         "a0712a05ffd57d9f017580ffcc808b207f7f4ef7a5ca8ac1312318b153739a18"),
    _pin("nvidia-cuda-nvcc-cu12", "12.2.140",
         "nvidia_cuda_nvcc_cu12-12.2.140-py3-none-manylinux1_x86_64.whl",
         "c6ff4ae7a636eb6cab7621191e19ac3779690686bbcf52c04d8b1ca2944e1e27"),
    _pin("nvidia-cuda-nvcc-cu12", "12.3.107",
         "nvidia_cuda_nvcc_cu12-12.3.107-py3-none-manylinux1_x86_64.whl",
         "a3344b94f5e89023fa17e0bbf8fb0dd26d5ef6f4091a5aab08f215e4999eac62"),
    _pin("nvidia-cuda-nvcc-cu12", "12.4.131",
         "nvidia_cuda_nvcc_cu12-12.4.131-py3-none-manylinux2014_x86_64.whl",
         "e4c9a35435c3b0e36c6397c5696334c9ea6650e524736cbd1c5d345ea099bb04"),
    _pin("nvidia-cuda-nvcc-cu12", "12.5.82",
         "nvidia_cuda_nvcc_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl",
         "b03e545b8e8c3ce7ebcd7fc44063180ff52ff01d064ece2127ed90a04ef12cd0"),
    _pin("nvidia-cuda-nvcc-cu12", "12.6.85",
         "nvidia_cuda_nvcc_cu12-12.6.85-py3-none-manylinux1_x86_64.manylinux_2_5_x86_64.whl",
         "d75d9d74599f4d7c0865df19ed21b739e6cb77a6497a3f73d6f61e8038a765e4"),
    _pin("nvidia-cuda-nvcc-cu12", "12.8.93",
         "nvidia_cuda_nvcc_cu12-12.8.93-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
         "2d6dc36fb7cb5ac9c0b8825bc13d193c35487a315664007287d0126531238011"),
    _pin("nvidia-cuda-nvcc-cu12", "12.9.86",
         "nvidia_cuda_nvcc_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
         "5d6a0d32fdc7ea39917c20065614ae93add6f577d840233237ff08e9a38f58f0"),
    _pin("nvidia-cuda-nvcc", "13.0.88",
         "nvidia_cuda_nvcc-13.0.88-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
         "56fe502eb77625a12f25172caa3cdddb4e4c8ba2c8c17dba44b164761b380f03"),
    _pin("nvidia-cuda-nvcc", "13.1.115",
         "nvidia_cuda_nvcc-13.1.115-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
         "fe5c0604869dfbc837bdce9e1eef8e4f0e0d103c29e3875014ba3538c70efb74"),
    _pin("nvidia-cuda-nvcc", "13.2.86",
         "nvidia_cuda_nvcc-13.2.86-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
         "7d3f56c8d705bad35bbba69eb0470d90856fd5d4dc48c6a6173aaf1e9f887cf5"),
    _pin("nvidia-cuda-nvcc", "13.3.73",
         "nvidia_cuda_nvcc-13.3.73-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
         "f483af83166c4fa356a21606076d553b0b4ceaebbd9912e537545080db695bdd"),
    _pin("nvidia-cuda-nvcc", "13.4.92",
         "nvidia_cuda_nvcc-13.4.92-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
         "a1f3bfb27299e060b444d5df1f4bcd762501326cf0fd3141ed61756816ab9a0e"),
    _pin("nvidia-cuda-nvcc", "13.5.37",
         "nvidia_cuda_nvcc-13.5.37-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
         "f5c4f7ead5d964fb4af42bbf1e6d3ec3c1e6e9d83b53749f691d387e7fcaa3a7"),
)}

NVDISASM_PIN = _pin(
    "nvidia-cuda-nvdisasm", "13.5.37",
    "nvidia_cuda_nvdisasm-13.5.37-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    "d3fdbdd49fa53e2e4aacd3db8259d052bd2b049ececdcb69e92e083c6728e7ca")

_NEWEST_ALIASES = ("13", "13.x", "newest")
_PLATFORMS = ("manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64")


def _mm_key(cuda: str) -> tuple[int, ...]:
    return tuple(int(x) for x in cuda.split("."))


def pinned_versions() -> list[str]:
    """The supported CUDA minors, oldest first ("12.0", ..., "13.5")."""
    return sorted(PINS, key=_mm_key)


def newest() -> str:
    """The newest pinned CUDA minor."""
    return pinned_versions()[-1]


def resolve(cuda: str) -> Pin:
    """The ptxas pin for a spelling: "12.3", "12.3.107", "13", "13.x", "newest"."""
    spelled = str(cuda).strip()
    key = newest() if spelled.lower() in _NEWEST_ALIASES else spelled
    pin = PINS.get(key)
    if pin is None and re.fullmatch(r"\d+\.\d+\.\d+", key):
        pin = PINS.get(".".join(key.split(".")[:2]))
        if pin is not None and pin.version != key:
            raise ToolchainError(
                f"CUDA {key} is not pinned: exo-gpu pins {pin.version} for CUDA {pin.cuda}; "
                f"ask for CUDA {pin.cuda} instead, or {_LOCAL_HINT['ptxas']()}")
    if pin is None:
        raise ToolchainError(
            f"CUDA {spelled} is not supported: choose one of {', '.join(pinned_versions())} "
            f"(or 13.x for the newest), or {_LOCAL_HINT['ptxas']()}")
    return pin


def cache_dir() -> Path:
    root = os.environ.get("EXO_GPU_CACHE")
    if root:
        return Path(root).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(xdg).expanduser() / "exo-gpu"


def _binary_path(pin: Pin) -> Path:
    return cache_dir() / f"cuda-{pin.version}" / "bin" / Path(pin.member).name


def _what(pin: Pin) -> str:
    name = Path(pin.member).name
    if name == "ptxas":
        return f"ptxas for CUDA {pin.cuda} ({pin.spec})"
    return f"{name} {pin.version} ({pin.spec})"


_LOCAL_HINT = {"ptxas": lambda: f"pass {option('ptxas', 'PATH')} to use a local ptxas",
               "nvdisasm": lambda: f"pass {option('nvdisasm', 'PATH')} to use a local nvdisasm"}


def _version_of(name: str, path: str) -> tuple[str, str]:
    """Run ``path --version``; return (its output, "X.Y.Z" or "")."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True,
                             timeout=60)
    except OSError as e:
        raise ToolchainError(f"{name} {path} could not be run ({e.strerror}); "
                             f"{_LOCAL_HINT[name]()} that works") from None
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{name} {path} --version did not answer in 60 s; "
                             f"{_LOCAL_HINT[name]()} that works") from None
    text = out.stdout + out.stderr
    m = re.search(r"\bV(\d+\.\d+\.\d+)", text)
    return text, (m.group(1) if m else "")


def _local(name: str, path: str) -> Tool:
    """A user-given binary (--ptxas PATH / --nvdisasm PATH)."""
    p = Path(path).expanduser()
    flag, bare = option(name, path), option(name)
    if not p.exists():
        raise ToolchainError(f"{flag}: no such file; pass the path of a {name} binary, "
                             f"or leave {bare} out to use the pinned one")
    if not p.is_file() or not os.access(p, os.X_OK):
        raise ToolchainError(f"{flag}: not an executable file; chmod +x it, or leave "
                             f"{bare} out to use the pinned {name}")
    text, version = _version_of(name, str(p))
    banner = {"ptxas": "Ptx optimizing assembler", "nvdisasm": "CUDA disassembler"}[name]
    if banner not in text or not version:
        raise ToolchainError(f"{flag}: not a {name} (its --version does not say "
                             f"'{banner}' and 'V<version>'); pass a real {name}, or leave "
                             f"{bare} out to use the pinned one")
    return Tool(name, str(p.resolve()), version)


def _download(pin: Pin, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--no-input"]
    for plat in _PLATFORMS:
        cmd += ["--platform", plat]
    cmd += [pin.spec, "-d", str(dest)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        raise ToolchainError(
            f"{_what(pin)} could not be downloaded: pip took over 30 minutes; check network "
            f"access to PyPI, or {_LOCAL_HINT[Path(pin.member).name]()}") from None
    wheel = dest / pin.filename
    if out.returncode != 0 or not wheel.is_file():
        lines = [ln.strip() for ln in (out.stderr + out.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR")]
        last = (errors or lines or ["pip printed nothing"])[-1]
        if out.returncode == 0:
            got = ", ".join(sorted(f.name for f in dest.iterdir())) or "nothing"
            last = f"pip fetched {got}, not {pin.filename}"
        raise ToolchainError(
            f"{_what(pin)} could not be downloaded: {last}; check network access to PyPI, "
            f"or {_LOCAL_HINT[Path(pin.member).name]()}")
    return wheel


def fetch(pin: Pin) -> Tool:
    """Fetch, verify and cache the binary of a pin (unless cached already)."""
    name = Path(pin.member).name
    target = _binary_path(pin)
    if target.is_file() and os.access(target, os.X_OK):
        return Tool(name, str(target), pin.version)
    hint = _LOCAL_HINT[name]()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ToolchainError(f"{_what(pin)} could not be cached: {target.parent}: "
                             f"{e.strerror}; set EXO_GPU_CACHE to a writable folder, "
                             f"or {hint}") from None
    with tempfile.TemporaryDirectory(prefix="exo-gpu-wheel-") as tmp:
        wheel = _download(pin, Path(tmp))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != pin.sha256:
            raise ToolchainError(
                f"{_what(pin)}: sha256 mismatch for {pin.filename} (got {digest}, pinned "
                f"{pin.sha256}); the index served a different file: check pip's index "
                f"settings, or {hint}")
        fd, tmp_bin = tempfile.mkstemp(prefix=f".{name}-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f, zipfile.ZipFile(wheel) as z:
                try:
                    f.write(z.read(pin.member))
                except KeyError:
                    raise ToolchainError(f"{_what(pin)}: {pin.filename} has no "
                                         f"{pin.member}; {hint}") from None
            os.chmod(tmp_bin, 0o755)
            text, version = _version_of(name, tmp_bin)
            if pin.release not in text or version != pin.version:
                got = version or (text.strip().splitlines() or ["nothing"])[-1]
                raise ToolchainError(f"{_what(pin)}: the extracted binary reports {got}, "
                                     f"expected {pin.release} (V{pin.version}); {hint}")
            os.replace(tmp_bin, target)
        except BaseException:
            if os.path.exists(tmp_bin):
                os.unlink(tmp_bin)
            raise
    return Tool(name, str(target), pin.version)


SYSTEM = "system"  # --cuda system: the CUDA toolkit found on PATH


def _on_path(name: str) -> Tool:
    """The `name` binary of the CUDA toolkit on PATH (--cuda system)."""
    found = shutil.which(name)
    if found is None:
        raise ToolchainError(f"{option('cuda', 'system')}: no {name} on PATH; add the CUDA toolkit's bin "
                             f"folder to PATH, or {_LOCAL_HINT[name]()}")
    return _local(name, found)


def ptxas(cuda: str = DEFAULT_CUDA, path: str | None = None) -> Tool:
    """The pinned ptxas of a CUDA version (installed on first use), the one at `path`, or with
    cuda="system" the one on PATH."""
    if path is not None:
        return _local("ptxas", path)
    if str(cuda).strip().lower() == SYSTEM:
        return _on_path("ptxas")
    return fetch(resolve(cuda))


def nvdisasm(path: str | None = None, cuda: str | None = None) -> Tool:
    """The pinned nvdisasm (installed on first use), the one at `path`, or with cuda="system"
    the one on PATH.  Any nvdisasm that knows sm_90a serves the guard."""
    if path is not None:
        return _local("nvdisasm", path)
    if cuda is not None and str(cuda).strip().lower() == SYSTEM:
        return _on_path("nvdisasm")
    return fetch(NVDISASM_PIN)


def install(versions: list[str]) -> list[Tool]:
    """Install ptxas for each CUDA version, and nvdisasm (last in the list)."""
    pins = [resolve(v) for v in versions]  # reject bad spellings before downloading
    tools = [fetch(p) for p in dict.fromkeys(pins)]
    return tools + [nvdisasm()]
