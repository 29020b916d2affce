#!/usr/bin/env bash
# fp8 GEMM with per-tensor scales on a Hopper GPU, as a user runs it (the machine's CUDA by
# default): the fp8 GPU tests (exo_gpu.matmul with scale_a/scale_b against float64 and
# torch._scaled_mm, bad torch scales), `exo-gpu run` of examples/gemm_fp8_scaled.mlir (the tile
# program against the float64 interpreter), then benchmarks/fp8_bench.py (correctness first, then
# exo_gpu.matmul against torch._scaled_mm / cuBLASLt with cold L2, median of shuffled rounds).
# Each step runs under `timeout` (40+60 s install, 90 s tests, 40 s run, 130 s bench: at most
# 6 minutes; about 2 expected).  Writes under $OUT:
#   fp8_tests.log     pytest's output
#   fp8_bench.json    the bench's document (versions, checks, every kernel's timing)
#   fp8_bench.log     the bench's table
#
#     OUT=DIR CUDA=system bash benchmarks/fp8_gpu.sh
#     SHAPES=4096,8192 ROUNDS=20 CUDA=system bash benchmarks/fp8_gpu.sh
#     CANDIDATES=default BENCH_TIMEOUT=240 ...   # the tuner's whole space (about a minute more)
# exo-gpu is installed first into $SITE (default /tmp/site) from this checkout and the wheels
# in .whl (xdsl 0.74.0, immutabledict, ordered-set), as benchmarks/RESULTS.md does (INSTALL=0:
# use the exo_gpu already importable).  pytest runs from /tmp so that the checkout's exo_gpu/
# folder (whose dialects/ and passes/ live outside it) does not shadow the installed package.
set -u
OUT=${OUT:-.}
CUDA=${CUDA:-system}
SITE=${SITE:-/tmp/site}
HERE=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
fail=0
step() { echo "== $* ($(date -u +%T))"; }
cd "$HERE" || exit 1
if [ "${INSTALL:-1}" = 1 ]; then
    step "install exo-gpu into $SITE"
    timeout 40 python3 -m pip install -q --no-index --no-deps --target "$SITE" .whl/*.whl \
        && timeout 60 python3 -m pip install -q --upgrade --no-index --no-deps --no-build-isolation --target "$SITE" . \
        || { echo "install failed"; exit 1; }
    export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH} PATH=$SITE/bin:$PATH
fi
(cd /tmp && python3 -c "import exo_gpu.gpu.scales, exo_gpu.dialects.tile.scalar") || { echo "exo_gpu with fp8 scales is not importable"; exit 1; }
step "GPU tests: tests/test_fp8.py, tests/test_fp8_bench.py (EXO_GPU_TEST_CUDA=$CUDA)"
(cd /tmp && EXO_GPU_TEST_CUDA=$CUDA timeout 90 python3 -m pytest -c "$HERE/pyproject.toml" --rootdir "$HERE" \
    -o addopts="" -p no:cacheprovider -q -rs "$HERE/tests/test_fp8.py" "$HERE/tests/test_fp8_bench.py" \
    -k "test_gpu_ or test_check_verdict") > "$OUT/fp8_tests.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail=$((fail + 1))
echo "rc=$rc"; tail -4 "$OUT/fp8_tests.log"
step "exo-gpu run examples/gemm_fp8_scaled.mlir (the tile program on the GPU against the float64 interpreter)"
(cd /tmp && timeout 40 python3 -m exo_gpu.cli run "$HERE/examples/gemm_fp8_scaled.mlir" --size M=777,N=1000,K=528 \
    --cuda "$CUDA") 2>&1 | tail -3
rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] || fail=$((fail + 1))
echo "rc=$rc"
step "bench: benchmarks/fp8_bench.py"
timeout "${BENCH_TIMEOUT:-130}" python3 benchmarks/fp8_bench.py --cuda "$CUDA" --rounds "${ROUNDS:-40}" \
    --candidates "${CANDIDATES:-quick}" --json "$OUT/fp8_bench.json" ${SHAPES:+--shapes "$SHAPES"} 2>&1 \
    | tee "$OUT/fp8_bench.log"
rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] || fail=$((fail + 1))
echo "rc=$rc"
echo "fp8_gpu: $fail failed"
[ "$fail" -eq 0 ]
