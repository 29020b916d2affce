"""The tuner's CPU stage: compile every candidate through the pipeline, the model and the guard.

The work runs on the litmus labelling executor (`exo_gpu.ptxas.litmus.executor`): in this
process (jobs 1), local processes (jobs > 1), or Dask (a scheduler address, or `local:N`).
Each task compiles one candidate and returns a plain dict (picklable, so Dask workers can
send it back): its status

  ok        assembled, the guard clean: a cubin and the kernel's launch facts (KernelInfo);
  rejected  our own checks refused it before ptxas (register or shared-memory budget, an
            illegal shape, or the wgmma pipeline model predicting serialization);
  guard     ptxas assembled it but the serialization guard failed it;
  error     ptxas itself failed;

and why, the registers, the ptxas version and the seconds spent.
"""

from __future__ import annotations

import hashlib
import time
from typing import Callable

from exo_gpu.ptxas import toolchain


def compile_task(index: int, config: dict, cuda: str, ptxas: str | None = None) -> dict:
    """Compile candidate `config` (exo_gpu.gemm() arguments) with the ptxas of `cuda` (or the
    binary `ptxas`); see the module docstring for what comes back."""
    from exo_gpu.compiler import CompileError, compile, gemm
    from exo_gpu.errors import ExoGpuError, use_api_spelling
    from exo_gpu.gpu.runtime import KernelInfo
    from exo_gpu.ptxas.guard import GuardError

    use_api_spelling()
    start = time.perf_counter()
    out = {"index": index, "config": config, "status": "ok", "reason": "", "cubin": None, "info": None,
           "registers": None, "ptxas": "", "seconds": 0.0}
    try:
        module = gemm(**config)
        name = module.ops.first.sym_name.data  # type: ignore[union-attr]
        result = compile(module, cuda=cuda, ptxas=ptxas)
    except GuardError as e:
        out.update(status="guard", reason="; ".join(e.failures))
    except CompileError as e:
        out.update(status="rejected", reason=str(e).strip().splitlines()[0])
    except ExoGpuError as e:
        out.update(status="error", reason=str(e).strip().splitlines()[0])
    else:
        out.update(cubin=result.cubin, info=KernelInfo.from_abi(result.abis[name]).to_dict(),
                   ptxas=result.ptxas.version if result.ptxas else "",
                   registers=result.reports[0].registers if result.reports else None)
    out["seconds"] = time.perf_counter() - start
    return out


def compile_all(configs: list[dict], cuda: str, executor, ptxas: str | None = None,
                on_done: Callable[[dict], None] | None = None) -> list[dict]:
    """Compile every candidate on `executor` (make_executor's); results in candidate order.
    `on_done` sees each result as it arrives (the progress bar)."""
    if ptxas is None:
        toolchain.ptxas(cuda)  # install the pinned tools before the workers race for them
        toolchain.nvdisasm(cuda=cuda)
    results: list[dict | None] = [None] * len(configs)
    for r in executor.map(compile_task, [(i, c, cuda, ptxas) for i, c in enumerate(configs)]):
        results[r["index"]] = r
        if on_done is not None:
            on_done(r)
    return [r for r in results if r is not None]


def fingerprint(result: dict) -> tuple:
    """What must agree between two executors' compiles of one candidate: status, reason,
    registers and the cubin's sha256."""
    cubin = result.get("cubin")
    return (result["status"], result["reason"], result["registers"],
            hashlib.sha256(cubin).hexdigest() if cubin else None)
