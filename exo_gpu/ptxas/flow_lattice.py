"""The small lattices the flow model (`exo_gpu.ptxas.flow_model`) solves beside its main state:
what ptxas's exit check counts (`Bound`), the groups really outstanding with faint wgmmas kept
(`Groups`), and the accumulator registers in flight on every path (`Must`).  Each has the
`join` that `forward_dataflow` (verify-wgmma-pipeline's worklist solver) calls.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """What ptxas's exit check counts on each forward path (back edges not followed): the
    commit_groups since the function began and the N of the last `wait_group N` (None: none
    yet).  Earlier waits do not lower the count: `commit; commit; wait 0; wait 1; ret` gets a
    wait 0 injected at the exit, `commit; wait 0; wait 1; ret` does not (probes
    `exit_counts_commits`)."""

    paths: frozenset  # {(commits (capped), last wait N or -1)}

    def join(self, o: "Bound") -> "Bound":
        return Bound(self.paths | o.paths)

    def leaves_groups(self) -> bool:
        return any(n > 0 and c > n for c, n in self.paths)


@dataclass(frozen=True)
class Groups:
    """The groups really outstanding on each path, wgmmas that faint-code elimination removed
    included (ptxas keeps them as HGMMAs writing RZ, so their groups still count): {(pending
    groups, a wgmma issued since the last commit)}; `wait_group N` leaves min(pending, N)."""

    paths: frozenset

    def join(self, o: "Groups") -> "Groups":
        return Groups(self.paths | o.paths)


@dataclass(frozen=True)
class Must:
    """Accumulator registers in flight on every path, each with the most commits any path has
    seen since its youngest wgmma ({(reg, commits)}): a read of one of them is a read of a
    pending group whatever path was taken, even when an older instance of the same wgmma (an
    earlier loop iteration) was retired."""

    regs: frozenset | None  # None: not reached

    def join(self, o: "Must") -> "Must":
        if self.regs is None or o.regs is None:
            return o if self.regs is None else self
        mine, theirs = dict(self.regs), dict(o.regs)
        return Must(frozenset((r, max(c, theirs[r])) for r, c in mine.items() if r in theirs))
