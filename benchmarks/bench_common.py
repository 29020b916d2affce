"""What the benchmark scripts share: one cold-L2 sample of a call, shuffled rounds of several
implementations, and nvidia-smi queries.  A script imports it from its own folder:

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_common import shuffled_rounds, smi

A sample: a 256 MiB write (the caller's `flush` buffer) evicts L2, then a short GPU sleep keeps
the device busy while the host enqueues the call (so launch overhead does not count), then
CUDA events around the call; milliseconds.
"""

from __future__ import annotations

import random
import subprocess

SLEEP_CYCLES = 400_000  # about 0.2 ms of GPU time before each sample


def cold_sample(torch, fn, flush) -> float:
    """Milliseconds of one call of `fn` with a cold L2 (module docstring)."""
    flush.zero_()
    torch.cuda._sleep(SLEEP_CYCLES)
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    stop.record()
    stop.synchronize()
    return start.elapsed_time(stop)


def shuffled_rounds(torch, impls: dict, rounds: int, flush) -> dict[str, list[float]]:
    """After one warm-up call of each, `rounds` rounds in which every implementation runs once,
    in a fresh random order: each one's samples (ms)."""
    for fn in impls.values():
        fn()
    torch.cuda.synchronize()
    times: dict[str, list[float]] = {name: [] for name in impls}
    order = list(impls)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            times[name].append(cold_sample(torch, impls[name], flush))
    return times


def smi(query: str) -> str:
    """The first GPU's `nvidia-smi --query-gpu=QUERY` line, or "?" without nvidia-smi."""
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=False)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"
