"""A litmus program: factors -> canonical PTX text, its name and sha256; batches of programs.

Every name in a program (the kernel, its parameters, its .func and .local arrays) derives
from the program's own name ``lt_<12 hex>``, the sha256 of the body rendered with a
placeholder name, so a program's text does not depend on where it sits in a batch and many
programs can share one PTX module.  ``Program.text`` is the one-kernel module (header +
body) and ``Program.sha`` its sha256: what is labelled and what the model reads.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property

from exo_gpu.ptxas.litmus import grammar, render


@dataclass(frozen=True)
class Program:
    factors: dict

    @cached_property
    def _template(self) -> str:
        return render.render_body(self.factors)

    @cached_property
    def name(self) -> str:
        return "lt_" + hashlib.sha256(self._template.encode()).hexdigest()[:12]

    @cached_property
    def body(self) -> str:
        return self._template.replace(render.NAME, self.name)

    @cached_property
    def text(self) -> str:
        return render.HEADER + "\n" + self.body

    @cached_property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def extern(self) -> bool:
        """Calls an extern .func: assembled with -c (relocatable, as nvcc -rdc does)."""
        return bool(re.search(r"(?m)^\s*\.extern\s+\.func", self.body))

    @property
    def funcs(self) -> list[str]:
        """Names of the .func this program defines or declares."""
        return re.findall(r"\.func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)", self.body)

    @property
    def lines(self) -> int:
        return self.body.count("\n")


def program(seed: int, dist: str = "A") -> Program:
    return Program(grammar.sample(seed, dist))


def corpus(dist: str, count: int, start: int = 0) -> list[Program]:
    """`count` distinct programs of `dist`: seeds from `start` up, duplicates (same sha) skipped."""
    out, seen, seed = [], set(), start
    end = len(grammar.probes.VARIANTS) if dist == "P" else None  # P is a fixed list
    while len(out) < count and (end is None or seed < end):
        p = program(seed, dist)
        if p.sha not in seen:
            seen.add(p.sha)
            out.append(p)
        seed += 1
    return out


def batch_text(programs: list[Program]) -> tuple[str, dict[str, int]]:
    """One module holding every program; and the line offset of each program's body
    (batch line - offset = the line in the program's own module)."""
    parts, offsets = [render.HEADER], {}
    line = render.HEADER.count("\n") + 1
    single_start = render.HEADER.count("\n") + 2  # body's first line in Program.text
    for p in programs:
        offsets[p.name] = line + 1 - single_start  # "\n" first: the body starts a line down
        parts.append("\n" + p.body)
        line += 1 + p.body.count("\n")
    return "".join(parts), offsets


def factors_json(p: Program) -> str:
    return json.dumps(p.factors, sort_keys=True, separators=(",", ":"))
