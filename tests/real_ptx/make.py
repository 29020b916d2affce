"""Regenerate the real-compiler PTX cases of tests/real_ptx/ and their ptxas observations.

    python tests/real_ptx/make.py [--fetch] [--tools DIR] [--only nvcc|nvrtc|triton|cute|observe|table]
                                  [--copy-to DIR]

Compilers (each used only where it exists; a missing one is reported and skipped):

* NVRTC 12.3.107, 13.0.88 and 13.5.37: libnvrtc from NVIDIA's PyPI wheels (nvidia-cuda-nvrtc-cu12,
  nvidia-cuda-nvrtc), unpacked under --tools (default /work/cache/realptx/x/nvrtc-V/);
  run in a subprocess through ctypes with `-arch=compute_90a -lineinfo`;
* nvcc 13.0 (`nvcc` on PATH; the nvidia-cuda-nvcc wheel alone lacks cuda_runtime.h): `-gencode=arch=compute_90a,
  code=sm_90a -lineinfo -ptx`.  nvcc 12.3 cannot be had from PyPI: the 12.3.107 (and 12.4)
  nvidia-cuda-nvcc-cu12 wheels hold ptxas, libnvvm and libdevice but no nvcc and no cicc;
* Triton (tests/real_ptx/triton_kernels.py, run by the Python of --triton-python, a venv with
  `pip install triton`): `triton.compile(ASTSource(...), target=GPUTarget("cuda", 90, 32))`;
* the CuTe DSL (tests/real_ptx/cute_kernels.py, --cute-python: `pip install nvidia-cutlass-dsl
  numpy`), with CUTE_DSL_ARCH=sm_90a and CUTE_DSL_KEEP_PTX=1.  Neither needs a GPU or driver.

Each `<compiler>-<version>/<kernel>.ptx` gets `<kernel>.json` beside it: for the pinned ptxas
12.3 and 13.5, the codes printed (C75xx), whether the pipeline is serialized, the SASS counts,
whether ptxas injected waits, and local memory (`exo_gpu.ptxas.doctor.observe`, which uses
`exo_gpu.ptxas.guard`).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
PTXAS_VERSIONS = ("12.3", "13.5")
DEFAULT_TOOLS = Path("/work/cache/realptx/x")
NVRTC = {"12.3": ("nvrtc-12.3/nvidia/cuda_nvrtc/lib", "libnvrtc.so.12"),
         "13.0": ("nvrtc-13.0/nvidia/cu13/lib", "libnvrtc.so.13"),
         "13.5": ("nvrtc-13.5/nvidia/cu13/lib", "libnvrtc.so.13")}


# ----------------------------------------------------------------------------- NVRTC

def nvrtc_worker(lib: str, src: str) -> int:
    """In a child process: compile `src` with the libnvrtc at `lib`, print the PTX."""
    nv = ctypes.CDLL(lib)
    prog = ctypes.c_void_p()
    text = Path(src).read_bytes()
    name = Path(src).name.encode()
    rc = nv.nvrtcCreateProgram(ctypes.byref(prog), text, name, 0, None, None)
    if rc:
        print(f"nvrtcCreateProgram failed ({rc})", file=sys.stderr)
        return 1
    opts = [b"-arch=compute_90a", b"-lineinfo", b"-std=c++17"]
    rc = nv.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
    size = ctypes.c_size_t()
    nv.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nv.nvrtcGetProgramLog(prog, log)
    if rc:
        print(f"nvrtcCompileProgram failed ({rc}): {log.value.decode(errors='replace')}", file=sys.stderr)
        return 1
    nv.nvrtcGetPTXSize(prog, ctypes.byref(size))
    buf = ctypes.create_string_buffer(size.value)
    nv.nvrtcGetPTX(prog, buf)
    sys.stdout.write(buf.value.decode())
    return 0


def nvrtc_version(lib: str) -> str:
    nv = ctypes.CDLL(lib)
    major, minor = ctypes.c_int(), ctypes.c_int()
    nv.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    return f"{major.value}.{minor.value}"


def compile_nvrtc(tools: Path, version: str, src: Path) -> str:
    libdir, soname = NVRTC[version]
    lib = tools / libdir / soname
    if not lib.is_file():
        raise FileNotFoundError(f"no NVRTC {version} at {lib}")
    env = dict(os.environ, LD_LIBRARY_PATH=str(lib.parent))
    proc = subprocess.run([sys.executable, __file__, "--nvrtc-worker", str(lib), src.name], cwd=src.parent,
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip())
    return proc.stdout


# ----------------------------------------------------------------------------- nvcc

def find_nvcc() -> tuple[str, str] | None:
    """The machine's nvcc and its release ("13.0"), or None."""
    cand = shutil.which("nvcc")
    if not cand:
        return None
    out = subprocess.run([cand, "--version"], capture_output=True, text=True).stdout
    return cand, out.split("release ")[-1].split(",")[0].strip() if "release " in out else "?"


# extra nvcc builds: source stem -> [(case suffix, flags replacing -lineinfo)]; -G gives a debug build
# (no optimization, DWARF .section blocks, a large file)
NVCC_VARIANTS = {"f16_struct_peeled": [("_debug", ["-G"])]}


def compile_nvcc(nvcc: str, src: Path, flags: tuple[str, ...] = ("-lineinfo",)) -> str:
    out = src.parent / (src.stem + ".nvcc.tmp.ptx")
    proc = subprocess.run([nvcc, "-gencode=arch=compute_90a,code=sm_90a", *flags, "-ptx", src.name, "-o",
                           out.name], cwd=src.parent, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip())
    text = out.read_text()
    out.unlink()
    return text


# ----------------------------------------------------------------------------- observations

def observe_file(ptx_path: Path) -> dict:
    """ptxas 12.3 and 13.5 on one PTX file, per kernel."""
    from exo_gpu.errors import ExoGpuError
    from exo_gpu.ptxas import doctor, toolchain

    text = ptx_path.read_text()
    out = {}
    for v in PTXAS_VERSIONS:
        tool = toolchain.ptxas(v)
        try:
            kernels, note = doctor.observe(text, tool, toolchain.nvdisasm())
        except ExoGpuError as e:
            out[v] = {"ptxas": tool.version, "error": str(e).splitlines()[0]}
            continue
        for k in kernels.values():
            s, p = k["sass"], k["ptx"]
            k["injected_wait"] = s["depbar"] > p["wait_group"]
        out[v] = {"ptxas": tool.version, "note": note, "kernels": kernels}
    return out


def relative_files(ptx: str) -> str:
    """`.file` names relative to tests/real_ptx/ (the compilers print absolute paths); nothing else changes."""
    return re.sub(r'(?m)^(\s*\.file\s+\d+\s+")' + re.escape(str(HERE)) + "/", r"\1", ptx)


def write_case(outdir: Path, stem: str, ptx: str, meta: dict) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{stem}.ptx"
    path.write_text(relative_files(ptx))
    obs = observe_file(path)
    (outdir / f"{stem}.json").write_text(json.dumps({**meta, "observed": obs}, indent=1, sort_keys=True) + "\n")
    print(f"{path.relative_to(HERE)}: " + "; ".join(
        f"{v}: " + (o.get("error") or ", ".join(f"{n} {k['codes']} ser={k['serialized']} lmem={k['local_memory']}"
                                              for n, k in o["kernels"].items())) for v, o in obs.items()), flush=True)
    return path


def cpp_cases(args) -> None:
    tools = Path(args.tools)
    sources = sorted(SRC.glob("*.cu"))
    for version in NVRTC:
        lib = tools / NVRTC[version][0] / NVRTC[version][1]
        if not lib.is_file():
            print(f"skip NVRTC {version}: {lib} missing (pip download nvidia-cuda-nvrtc wheel and unzip it there)")
            continue
        if args.only not in (None, "nvrtc"):
            continue
        for src in sources:
            meta = {"compiler": "nvrtc", "version": version, "source": f"src/{src.name}",
                    "flags": "-arch=compute_90a -lineinfo -std=c++17"}
            try:
                write_case(HERE / f"nvrtc-{version}", src.stem, compile_nvrtc(tools, version, src), meta)
            except RuntimeError as e:
                print(f"NVRTC {version} failed on {src.name}: {e}")
    found = find_nvcc()
    if found and args.only in (None, "nvcc"):
        nvcc, ver = found
        for src in sources:
            meta = {"compiler": "nvcc", "version": ver, "source": f"src/{src.name}",
                    "flags": "-gencode=arch=compute_90a,code=sm_90a -lineinfo -ptx"}
            write_case(HERE / f"nvcc-{ver}", src.stem, compile_nvcc(nvcc, src), meta)
            for suffix, flags in NVCC_VARIANTS.get(src.stem, []):
                vmeta = dict(meta, flags=f"-gencode=arch=compute_90a,code=sm_90a {' '.join(flags)} -ptx")
                write_case(HERE / f"nvcc-{ver}", src.stem + suffix, compile_nvcc(nvcc, src, tuple(flags)), vmeta)


def script_cases(label: str, python: str, script: str, env: dict | None = None) -> None:
    """Run a generator script (Triton, CuTe DSL) in its own venv; it writes NAME.ptx + NAME.meta.json."""
    if not Path(python).exists():
        print(f"skip {label}: no Python at {python}")
        return
    tmp = HERE / f"_{label}_tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, **{k: v.replace("{tmp}", str(tmp)) for k, v in (env or {}).items()})
    proc = subprocess.run([python, str(HERE / script), str(tmp)], capture_output=True, text=True, env=env)
    print(proc.stdout + "\n".join(ln for ln in proc.stderr.splitlines() if "Warning" not in ln))
    for meta_path in sorted(tmp.glob("*.meta.json")):
        meta = json.loads(meta_path.read_text())
        stem = meta_path.name[: -len(".meta.json")]
        write_case(HERE / f"{meta['compiler']}-{meta['version']}", stem, (tmp / f"{stem}.ptx").read_text(), meta)
    shutil.rmtree(tmp)


def triton_cases(args) -> None:
    script_cases("triton", args.triton_python, "triton_kernels.py")


def cute_cases(args) -> None:
    script_cases("cute", args.cute_python, "cute_kernels.py",
                 {"CUTE_DSL_ARCH": "sm_90a", "CUTE_DSL_KEEP_PTX": "1", "CUTE_DSL_DUMP_DIR": "{tmp}"})


def observe_all() -> None:
    for js in sorted(HERE.glob("*/*.json")):
        if js.parent.name == "src":
            continue
        meta = json.loads(js.read_text())
        meta["observed"] = observe_file(js.with_suffix(".ptx"))
        js.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        print(js.relative_to(HERE), flush=True)


def _effect(codes: list[str], serialized: bool, extra: str = "") -> str:
    text = (", ".join(codes) or "none") + (", **serialized**" if serialized else "")
    return text + extra


def table() -> str:
    """The markdown table of every case: ptxas 12.3/13.5 observed and the doctor's (model's) prediction."""
    from exo_gpu.passes.verify_wgmma_pipeline import verify_text

    rows = ["| case | compiler | ptxas 12.3 | doctor 12.3 | ptxas 13.5 | doctor 13.5 | categories |",
            "|---|---|---|---|---|---|---|"]
    for js in sorted(HERE.glob("*/*.json")):
        meta = json.loads(js.read_text())
        text = js.with_suffix(".ptx").read_text()
        cells, cats = [], set()
        for v in PTXAS_VERSIONS:
            obs = meta["observed"][v]
            (pred,) = verify_text(text, v, str(js))
            cats |= {f.category for f in pred.findings}
            if "error" in obs:
                cells += ["rejected: " + obs["error"].split(": ", 1)[-1].split(";")[0], _effect(pred.codes, pred.serialized)]
                continue
            (k,) = obs["kernels"].values()
            lmem = ", local memory" if k["local_memory"] else ""
            wait = ", injected wait" if k["injected_wait"] and not k["serialized"] else ""
            agree = (pred.codes, pred.serialized) == (k["codes"], k["serialized"])
            cells += [_effect(k["codes"], k["serialized"], lmem + wait),
                      _effect(pred.codes, pred.serialized) + (" (agree)" if agree else " (**disagree**)")]
        rows.append(f"| {js.stem} | {meta['compiler']} {meta['version']} | " + " | ".join(cells)
                    + f" | {', '.join(sorted(cats)) or '-'} |")
    return "\n".join(rows) + "\n"


def copy_to(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for d in sorted(HERE.iterdir()):
        if d.is_dir() and d.name not in ("__pycache__",):
            shutil.copytree(d, dest / d.name, dirs_exist_ok=True)


# NVRTC only: the nvidia-cuda-nvcc wheel's nvcc alone cannot compile (no cuda_runtime.h), so nvcc is the
# machine's (`nvcc` on PATH)
WHEELS = {"nvrtc-12.3": "nvidia-cuda-nvrtc-cu12==12.3.107", "nvrtc-13.0": "nvidia-cuda-nvrtc==13.0.88",
          "nvrtc-13.5": "nvidia-cuda-nvrtc==13.5.37"}


def fetch_tools(tools: Path) -> None:
    """Download NVIDIA's wheels with pip and unpack them under `tools` (NAME/ per wheel)."""
    import tempfile
    import zipfile

    for name, spec in WHEELS.items():
        if (tools / name).is_dir():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, spec], check=True)
            (wheel,) = Path(tmp).glob("*.whl")
            zipfile.ZipFile(wheel).extractall(tools / name)
        for exe in (tools / name).glob("nvidia/*/bin/*"):
            exe.chmod(0o755)
        print(f"{spec} -> {tools / name}")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--nvrtc-worker":
        return nvrtc_worker(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tools", default=str(DEFAULT_TOOLS), help="where the NVIDIA wheels are unpacked")
    ap.add_argument("--only", choices=("nvcc", "nvrtc", "triton", "cute", "observe", "table"))
    ap.add_argument("--triton-python", default="/work/venvs/triton/bin/python")
    ap.add_argument("--cute-python", default="/work/venvs/cutlass/bin/python", help="a venv with nvidia-cutlass-dsl, numpy")
    ap.add_argument("--copy-to", help="also copy every case (PTX, source, observation) here")
    ap.add_argument("--fetch", action="store_true", help="first pip-download and unpack the NVRTC/nvcc wheels into --tools")
    args = ap.parse_args()
    if args.fetch:
        fetch_tools(Path(args.tools))
    if args.only == "table":
        sys.stdout.write(table())
    elif args.only == "observe":
        observe_all()
    else:
        if args.only in (None, "nvcc", "nvrtc"):
            cpp_cases(args)
        if args.only in (None, "triton"):
            triton_cases(args)
        if args.only in (None, "cute"):
            cute_cases(args)
    if args.copy_to:
        copy_to(Path(args.copy_to))
    return 0


if __name__ == "__main__":
    sys.exit(main())
