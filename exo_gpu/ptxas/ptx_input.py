"""Is this file PTX the tools can use?  One check for `exo-gpu doctor` and `exo-gpu check`, before the reader
or ptxas see the text: an empty file, binary data, a cubin, MLIR text, truncated PTX, a `.target` other than
sm_90a, a module without `.entry`, a directory or a missing file each raise PtxInputError with one line,
`FILE: what is wrong; fix: what to do`.
"""

from __future__ import annotations

import os
import re

from exo_gpu.errors import ExoGpuError


class PtxInputError(ExoGpuError):
    """A file that is not PTX the tools can use (empty, binary, a cubin, MLIR, truncated, not sm_90a, no
    kernel); the message is `FILE: what is wrong; fix: what to do`."""


_MAKE_PTX = ("nvcc -gencode=arch=compute_90a,code=sm_90a -ptx, NVRTC -arch=compute_90a, "
             "Triton's compiled.asm['ptx'], or exo-gpu gemm --emit ptx")


def _stripped(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def check_ptx_bytes(data: bytes, filename: str, need_entry: bool = True, need_sm90a: bool = True) -> str:
    """The PTX text of `data`, or PtxInputError saying in one line why it is not usable PTX and the fix."""
    def bad(what: str, fix: str) -> PtxInputError:
        return PtxInputError(f"{filename}: {what}; fix: {fix}")

    if not data.strip():
        raise bad("the file is empty", f"give a PTX file ({_MAKE_PTX})")
    if data.startswith(b"\x7fELF"):
        raise bad("a cubin/ELF binary, not PTX text",
                  "give the PTX it was made from (nvcc -ptx, or cuobjdump -ptx if it embeds PTX), "
                  "or run `exo-gpu check FILE.cubin` to judge its SASS alone")
    head = data[:65536]
    if b"\0" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 100:
        raise bad("binary data, not PTX text", f"give a PTX text file ({_MAKE_PTX})")
    text = data.decode("utf-8", errors="replace")
    code = _stripped(text)
    if not re.search(r"(?m)^\s*\.version\s", code):
        if re.search(r"builtin\.module|\bfunc\.func\b|^\s*module\s*(@\w+\s*)?\{|\"\w+\.\w+\"\(", code, re.M):
            raise bad("MLIR text, not PTX", "lower it to PTX first: exo-gpu compile FILE --emit ptx "
                      "(or, for Triton, take compiled.asm['ptx'])")
        raise bad("no .version directive: this is not PTX", f"give a PTX file ({_MAKE_PTX})")
    unclosed = code.count("{") - code.count("}")
    if unclosed > 0:
        raise bad(f"truncated: the text ends inside a function body or block ({unclosed} unclosed '{{')",
                  "regenerate or re-copy the complete PTX file")
    target = re.search(r"(?m)^\s*\.target\s+([^\n;]+)", code)
    arch = target[1].split(",")[0].strip() if target else None
    if need_sm90a and arch != "sm_90a":
        raise bad(f".target {arch or '(none)'}: wgmma pipelines need sm_90a",
                  "compile for sm_90a (nvcc -gencode=arch=compute_90a,code=sm_90a, NVRTC -arch=compute_90a, "
                  "Triton GPUTarget('cuda', 90, 32))")
    if need_entry and not re.search(r"\.entry\s+[A-Za-z_$%]", code):
        raise bad("no .entry (kernel) in the PTX", "give the PTX of a module that defines a __global__ kernel "
                  "(a .func-only module has nothing to assemble as a kernel)")
    return text


def load_ptx(path: str, need_entry: bool = True, need_sm90a: bool = True) -> str:
    """Read and check a PTX file (see check_ptx_bytes); a missing file or a directory is a PtxInputError."""
    if os.path.isdir(path):
        raise PtxInputError(f"{path}: a directory, not a PTX file; fix: name one .ptx file "
                            f"(e.g. {os.path.join(path, '*.ptx')} one at a time)")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise PtxInputError(f"{path}: cannot read it ({e.strerror}); fix: pass the path of an existing .ptx "
                            "file") from None
    return check_ptx_bytes(data, path, need_entry, need_sm90a)
