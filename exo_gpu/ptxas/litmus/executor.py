"""One interface over where labelling work runs: this process, local processes, or Dask.

``make_executor(jobs, scheduler)`` gives an object whose ``map(fn, tasks)`` yields
``fn(*task)`` for every task, in completion order:

* ``jobs == 1`` and no scheduler: in this process, one task after another;
* ``jobs > 1``: a ``concurrent.futures.ProcessPoolExecutor`` of ``jobs`` processes;
* ``scheduler="tcp://host:port"``: the workers of a Dask distributed cluster (``fn`` and the
  tasks are pickled to them; each worker needs exo-gpu and fetches the pinned tools itself);
* ``scheduler="local:N"``: a Dask ``LocalCluster`` of N single-threaded worker processes,
  started here and closed with the executor.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterable, Iterator

from exo_gpu.errors import ExoGpuError


class ExecutorError(ExoGpuError):
    """The executor could not be set up (no Dask installed, no scheduler at the address)."""


class InlineExecutor:
    name = "inline"

    def map(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator:
        for t in tasks:
            yield fn(*t)

    def close(self) -> None:
        pass


class LocalExecutor:
    def __init__(self, jobs: int):
        self.jobs = jobs
        self.name = f"local ({jobs} processes)"

    def map(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator:
        with ProcessPoolExecutor(max_workers=self.jobs) as pool:
            futures = [pool.submit(fn, *t) for t in tasks]
            for f in as_completed(futures):
                yield f.result()

    def close(self) -> None:
        pass


class DaskExecutor:
    def __init__(self, scheduler):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("--scheduler needs Dask: pip install 'dask[distributed]' "
                                "(it is in exo-gpu's [test] extras)") from None
        self.cluster = None
        if isinstance(scheduler, str) and scheduler.startswith("local:"):
            try:
                n = int(scheduler[6:])
            except ValueError:
                n = 0
            if n < 1:
                raise ExecutorError(f"--scheduler {scheduler}: give local:N with N >= 1 workers")
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        memory_limit="2GiB", dashboard_address=None)
            scheduler = self.cluster.scheduler_address
        try:
            self.client = scheduler if isinstance(scheduler, Client) else Client(scheduler, timeout=20)
        except (OSError, TimeoutError) as e:
            raise ExecutorError(f"no Dask scheduler at {scheduler} ({e}); start one with "
                                f"`dask scheduler` and workers with `dask worker ADDRESS`") from None
        self.owned = not isinstance(scheduler, Client)
        self.name = f"dask ({self.client.scheduler.address})"

    def map(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator:
        from distributed import as_completed as dask_completed

        futures = [self.client.submit(fn, *t, pure=False) for t in tasks]
        for f in dask_completed(futures):
            yield f.result()
            f.release()

    def close(self) -> None:
        if self.owned:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(jobs: int = 1, scheduler=None):
    """Dask when given a scheduler address (or a distributed.Client), else local processes."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if jobs < 1:
        raise ExecutorError(f"--jobs {jobs}: give 1 or more processes")
    return InlineExecutor() if jobs == 1 else LocalExecutor(jobs)
