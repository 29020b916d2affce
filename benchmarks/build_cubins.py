"""Compile the benchmark GEMM configs to cubins (pinned ptxas) plus a manifest, for
`benchmarks/check_gpu.py` to run on a GPU machine that has no xDSL.

    .venv/bin/python benchmarks/build_cubins.py [--out .gpu_build] [--set bench|diag] [--cuda 12.3] [--strict]

Writes OUT/<kernel>.cubin, OUT/<kernel>.ptx and OUT/manifest.json.  Each config lists the
stages to try, most first: a config whose ring does not fit shared memory (compile raises)
falls back to the next.  The guard's findings are recorded as warnings (--strict: errors).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exo_gpu import compiler
from exo_gpu.dialects import ptx
from exo_gpu.errors import ExoGpuError
from exo_gpu.runtime import KernelInfo

# (dtype, wgmma_n, tiles_per_warpgroup, consumers, stages to try, wait_depth, accumulate_c)
SETS = {
    # The seed configs and the ones the benchmarks report.
    "bench": [
        ("tf32", 96, 2, 2, (4,), 1, False),
        ("tf32", 128, 2, 2, (4,), 1, False),
        ("bf16", 128, 2, 2, (4,), 1, False),
        ("bf16", 256, 1, 2, (4, 3), 1, False),
        ("f16", 128, 2, 2, (4,), 1, False),
        ("tf32", 128, 2, 2, (4,), 1, True),  # the C += epilogue
    ],
    # Smaller or simpler pipelines, to corner a wrong result: one consumer, one tile,
    # no wgmma left in flight (wait_depth 0), narrow N.
    "diag": [
        ("tf32", 128, 1, 1, (2,), 0, False),
        ("tf32", 64, 1, 1, (4,), 1, False),
        ("bf16", 64, 1, 2, (4,), 1, False),
        ("tf32", 128, 2, 2, (4,), 0, False),
    ],
}


def _name(dtype, n, tiles, consumers, stages, wait_depth, accumulate) -> str:
    """compiler.gemm's default name, plus "_acc" for a C += kernel."""
    block_m = 64 * tiles * consumers
    return f"gemm_{dtype}_m{block_m}n{n}_c{consumers}_s{stages}_w{wait_depth}" + ("_acc" if accumulate else "")


def build(out: Path, cuda: str, strict: bool, configs=SETS["bench"]) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    kernels, ptxas_version = [], None
    for dtype, n, tiles, consumers, stage_options, wait_depth, accumulate in configs:
        last_error = None
        for stages in stage_options:
            module = compiler.gemm(dtype, wgmma_n=n, tiles_per_warpgroup=tiles, consumers=consumers,
                                   stages=stages, wait_depth=wait_depth, accumulate_c=accumulate,
                                   name=_name(dtype, n, tiles, consumers, stages, wait_depth, accumulate))
            try:
                result = compiler.compile(module, cuda=cuda, downgrade=not strict)
            except ExoGpuError as e:
                last_error = e
                print(f"  {dtype} n{n} T{tiles} C{consumers} stages {stages}: {e}", file=sys.stderr)
                continue
            break
        else:
            raise SystemExit(f"{dtype} n{n} T{tiles} C{consumers}: no stage count compiled: {last_error}")
        entry = next(op for op in module.walk() if isinstance(op, ptx.EntryOp))
        name = entry.sym_name.data
        smem_ir = entry.smem_bytes.value.data
        report = result.reports[0] if result.reports else None
        info = KernelInfo.for_gemm(
            name, dtype, n, tiles, consumers, stages, wait_depth=wait_depth, accumulate_c=accumulate,
            cubin=f"{name}.cubin", registers=report.registers if report else None,
            ptxas=result.ptxas.version if result.ptxas else None, warnings=list(result.warnings))
        if info.smem_bytes != smem_ir:
            raise SystemExit(f"{name}: runtime computes {info.smem_bytes} bytes of shared memory, the IR says {smem_ir}")
        assert result.cubin is not None
        (out / f"{name}.cubin").write_bytes(result.cubin)
        (out / f"{name}.ptx").write_text(result.ptx)
        ptxas_version = result.ptxas.version if result.ptxas else None
        kernels.append(info.to_dict())
        warn = f"  warnings: {'; '.join(result.warnings)}" if result.warnings else ""
        print(f"{name}: {len(result.cubin)} B cubin, smem {info.smem_bytes} B, "
              f"{info.extra.get('registers')} regs{warn}")
    manifest = {"ptxas": ptxas_version, "cuda": cuda, "kernels": kernels}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / ".gpu_build"))
    ap.add_argument("--cuda", default="12.3", help="pinned ptxas version (default 12.3)")
    ap.add_argument("--set", choices=sorted(SETS), default="bench", help="which configs (default bench)")
    ap.add_argument("--strict", action="store_true", help="guard findings are errors, not warnings")
    args = ap.parse_args(argv)
    manifest = build(Path(args.out), args.cuda, args.strict, SETS[args.set])
    print(f"{len(manifest['kernels'])} kernels -> {args.out}/manifest.json (ptxas {manifest['ptxas']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
