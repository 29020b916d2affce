#!/usr/bin/env bash
# Attention on the H200, as a user runs it (the package installed, the machine's CUDA):
# correctness of every configuration against float64, the tile program through `exo-gpu run`,
# `exo-gpu attention --run`, then the speed against SDPA (cuDNN and flash) in one process.
#   OUT=DIR CUDA=system bash benchmarks/attention_gpu.sh
set -u
OUT=${OUT:-.}
CUDA=${CUDA:-system}
HERE=$(cd "$(dirname "$0")/.." && pwd)
step() { echo "== $*"; }
step checks
timeout 300 python3 "$HERE/benchmarks/attention_check.py" --cuda "$CUDA" --out "$OUT" --dtypes "${DTYPES:-bf16,f16}" \
  --schedules "${SCHEDULES:-plain,overlap,pingpong,pingpong+overlap}" > "$OUT/attention_check.log" 2>&1
echo "rc=$?"; grep -v " ok$" "$OUT/attention_check.log" | tail -5
step "exo-gpu run examples/attention.mlir (the tile program, checked against the interpreter)"
timeout 120 exo-gpu run "$HERE/examples/attention.mlir" --cuda "$CUDA" --shape q=2x4x1000x128 --shape kt=2x4x128x1000 \
  --shape v=2x4x1000x128 --shape o=2x4x1000x128 --shape lse=2x4x1000 --scalar scale_log2=0.12751743
echo "rc=$?"
step "exo-gpu attention --run"
timeout 120 exo-gpu attention --head-dim 128 --causal --kv-group 2 --run --batch 2 --heads 8 --seq 1000 --cuda "$CUDA"
echo "rc=$?"
step bench
timeout 400 python3 "$HERE/benchmarks/attention_bench.py" --cuda "$CUDA" --out "$OUT" --rounds "${ROUNDS:-10}" \
  --schedules "${SCHEDULES:-plain,overlap,pingpong,pingpong+overlap}" 2>&1 | tee "$OUT/attention_bench.log"
