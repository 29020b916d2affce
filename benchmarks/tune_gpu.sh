#!/usr/bin/env bash
# Tune issue 12's shapes with `exo-gpu tune` on every visible GPU, then measure exo_gpu.matmul's
# host overhead against torch.matmul at 1024^3 with the tuned kernels.  Prints each tune's table
# (config, compile status, registers, check against float64, median ms, TFLOP/s; * = kept) and
# writes under $OUT (default .):
#   tune.log                 every table, in order
#   tune-cache/*.json        the choices (config, timing, cubin, and every candidate tried)
#   tune_<dtype>_<shape>.json  each tune's JSON document
#   matmul_overhead.json     benchmarks/matmul_overhead.py's output
#
#     bash benchmarks/tune_gpu.sh                              # every dtype and shape below
#     DTYPES=bf16 SHAPES=4096x4096x4096 bash benchmarks/tune_gpu.sh
#     SPACE=quick JOBS=16 CUDA=system bash benchmarks/tune_gpu.sh
#     OVERHEAD=0 ...                                           # tunes only
# About 30 s per tune of the default space on one H200 (16 CPU cores): run one dtype per call.
#
# Needs exo-gpu importable (xDSL), a ptxas (CUDA=system: the machine's; a pinned version needs
# the toolchain cache), torch for the overhead benchmark.  EXO=... overrides the command
# (default: `python3 -m exo_gpu.cli`).
set -u
out=${OUT:-.}
mkdir -p "$out/tune-cache"
log=$out/tune.log
exo=${EXO:-python3 -m exo_gpu.cli}
cuda=${CUDA:-system}
space=${SPACE:-default}
jobs=${JOBS:-$(nproc)}
dtypes=${DTYPES:-tf32 bf16 f16 e4m3}
shapes=${SHAPES:-8192x8192x8192 8192x14336x4096 4096x4096x4096 2048x2048x2048 8192x8192x1024 1024x1024x1024}
fail=0
for d in $dtypes; do
    for s in $shapes; do
        IFS=x read -r m n k <<< "$s"
        echo "\$ exo-gpu tune --m $m --n $n --k $k --dtype $d --space $space --cuda $cuda" | tee -a "$log"
        if $exo tune --m "$m" --n "$n" --k "$k" --dtype "$d" --space "$space" --cuda "$cuda" --jobs "$jobs" \
                --cache "$out/tune-cache" --json > "$out/tune_${d}_${s}.json" 2>> "$log"; then
            python3 - "$out/tune_${d}_${s}.json" <<'EOF' | tee -a "$log"
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["rows"]:
    star = "*" if doc["best"] and r["index"] == doc["best"]["index"] else " "
    ms = f"{r['median_ms']:.4f}" if r.get("median_ms") else "-"
    tf = f"{r['tflops']:.1f}" if r.get("tflops") else "-"
    print(f"{star} {r['label']:<24} {r['status']:<9} {r.get('check') or '-':<6} {ms:>9} ms {tf:>7} TFLOP/s  "
          f"{(r.get('reason') or '')[:90]}")
b = doc["best"]
print(f"best: {b['label']} {b['median_ms']:.4f} ms {b['tflops']:.1f} TFLOP/s" if b else "best: none passed")
EOF
        else
            fail=$((fail + 1))
            echo "FAILED: exo-gpu tune --m $m --n $n --k $k --dtype $d" | tee -a "$log"
        fi
    done
done
if [ "${OVERHEAD:-1}" = 1 ]; then
    python3 benchmarks/matmul_overhead.py --cuda "$cuda" --cache "$out/tune-cache" --json "$out/matmul_overhead.json" \
        > /dev/null 2>> "$log" || fail=$((fail + 1))
fi
tail -3 "$log"
echo "tune_gpu: $fail failed"
[ "$fail" -eq 0 ]
