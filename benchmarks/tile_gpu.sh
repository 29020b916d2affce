#!/usr/bin/env bash
# Tile programs and GEMMs on a Hopper GPU, run as a user runs them: exo-gpu installed, the
# machine's own CUDA toolkit (--cuda system), fresh random data (a new seed per run), every
# result checked against float64 (the tile programs against the float64 interpreter of the
# same program).  Prints one line per run and a closing "N passed, N failed".
#
#     bash benchmarks/tile_gpu.sh            # writes $OUT/tile_gpu.log (default: .)
set -u
out=${OUT:-.}
log=$out/tile_gpu.log
pass=0
fail=0
run() {
    echo "\$ exo-gpu $*" >> "$log"
    if exo-gpu "$@" >> "$log" 2>&1; then pass=$((pass + 1)); r=ok; else fail=$((fail + 1)); r=FAILED; fi
    echo "$r: exo-gpu $* -> $(tail -1 "$log")"
}
seed() { echo $(( (RANDOM << 15) | RANDOM )); }

# The GEMM front end, compiled by the machine's ptxas.
run run --cuda system --dtype bf16 --wgmma-n 256 --tiles-per-warpgroup 1 --wait-depth 0 --m 4096 --n 4096 --k 4096
run run --cuda system --m 1000 --n 1000 --k 1000
run run --cuda system --dtype f16 --m 777 --n 1001 --k 520
run run --cuda system --dtype tf32 --wgmma-n 256 --tiles-per-warpgroup 1 --m 129 --n 200 --k 40

# Tile programs from MLIR and from Python: plain GEMM, bias + GELU (bf16 out), batched alpha/beta.
# The MLIR files at four sizes, their Python twins at two.
for f in examples/gemm.mlir examples/gemm_bias_gelu.mlir; do
    for s in M=1000,N=1000,K=1000 M=129,N=200,K=40 M=777,N=1001,K=520 M=4096,N=4096,K=4096; do
        run run "$f" --size "$s" --cuda system --seed "$(seed)"
    done
done
for f in examples/gemm.py examples/gemm_bias_gelu.py; do
    for s in M=129,N=200,K=40 M=777,N=1001,K=520; do
        run run "$f" --size "$s" --cuda system --seed "$(seed)"
    done
done
for s in M=130,N=70,K=40,B=2 M=777,N=1001,K=520,B=3 M=1024,N=1024,K=1024,B=8; do
    run run examples/batched_gemm.mlir --size "$s" --scalar alpha=0.5 --scalar beta=-1.25 --cuda system --seed "$(seed)"
done
# Every schedule option that changes the rings' barriers: clusters (A or B multicast, so one ring
# is released in both blocks and the other locally), ping-pong turns, split-K, A in registers,
# MN-major operands, wait depth 1 with lagged releases.
run run --cuda system --dtype bf16 --cluster 1x2 --m 1000 --n 1030 --k 520
run run --cuda system --dtype bf16 --cluster 2x1 --m 777 --n 1001 --k 520
run run --cuda system --dtype bf16 --schedule pingpong --m 1000 --n 1000 --k 1000
run run --cuda system --dtype tf32 --split-k 3 --m 515 --n 260 --k 1000
run run --cuda system --dtype bf16 --a-in-registers --wait-depth 1 --m 777 --n 1001 --k 520
run run --cuda system --dtype f16 --layout-a col --layout-b row --m 640 --n 384 --k 520
run run examples/batched_gemm.py --size M=257,N=130,K=72,B=5 --scalar alpha=2 --scalar beta=0.25 --cuda system --seed "$(seed)"
echo "tile_gpu: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
