"""Assertions on the SASS shape of a compiled kernel, shared by the compile tests."""

from __future__ import annotations

import re


def assert_two_stage_pipeline(report, per_group: int) -> None:
    """The shape of a healthy kernel with two pipeline stages in its code (the peeled K block
    0 and the loop body), `per_group` GMMA each: only the last GMMA of each stage carries
    gsb0, one WARPGROUP.ARRIVE per stage, no more DEPBAR than the PTX's wait_groups."""
    s = report.shape
    assert report.commit_groups == 2
    assert s.hgmma == 2 * per_group
    assert s.hgmma_gsb0 == report.commit_groups
    gsb0_at = [i for i, line in enumerate(s.hgmma_lines) if re.search(r"\bgsb0\b", line)]
    assert gsb0_at == [per_group - 1, 2 * per_group - 1]
    assert s.depbar <= report.wait_groups
    assert s.arrive == report.commit_groups
