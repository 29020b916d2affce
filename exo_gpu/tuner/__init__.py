"""The autotuner (`exo_gpu.tune`, `exo-gpu tune`): candidate schedules, compiled in parallel on
the CPU, checked and timed on every visible GPU, the fastest cached on disk for
`exo_gpu.matmul`.  See `exo_gpu.tuner.tune`."""

from exo_gpu.tuner.tune import TuneError, TuneResult, tune

__all__ = ["TuneError", "TuneResult", "tune"]
