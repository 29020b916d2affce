"""The common base of every error exo-gpu reports to its user.

The CLI catches ``ExoGpuError`` and prints its message (no traceback); each
message is written to say what went wrong and what to do about it, on one line, naming
options the way the caller spells them (``option``): ``--split-k 4`` on the command line,
``split_k=4`` in Python.
"""

from __future__ import annotations

import contextlib

_SPELLING = {"style": "api"}


class ExoGpuError(Exception):
    """Base class of the errors exo-gpu reports to the user."""


class ArgumentError(ExoGpuError):
    """An argument of the wrong type or out of range, at the API boundary or on the command line."""


@contextlib.contextmanager
def cli_spelling():
    """While the command-line tools run, messages name options as flags (restored after, so an
    in-process `exo_gpu.cli.main(...)` leaves the Python API's spelling as it was)."""
    before = _SPELLING["style"]
    _SPELLING["style"] = "cli"
    try:
        yield
    finally:
        _SPELLING["style"] = before


def use_api_spelling() -> None:
    """Messages name options as Python keywords (a sweep's grid entries are gemm() arguments)."""
    _SPELLING["style"] = "api"


def is_cli() -> bool:
    """Whether messages are for the command line (else for Python callers)."""
    return _SPELLING["style"] == "cli"


def option(name: str, value: object = None) -> str:
    """Option `name` (the Python keyword, e.g. "split_k") as the caller writes it:
    `--split-k 4` from the command line, `split_k=4` from Python."""
    if _SPELLING["style"] == "cli":
        flag = "--" + name.replace("_", "-")
        return flag if value is None else f"{flag} {value}"
    return name if value is None else f"{name}={value!r}"


def check_int(name: str, value: object, lo: int | None, hi: int | None = None, what: str = "") -> int:
    """`value` as an int in lo..hi (hi None: no upper bound; lo None: any int, the range is
    checked elsewhere in its own words); bools, strings and floats are not ints.  `what` says
    what the number counts (for the message)."""
    span = "" if lo is None else f"{lo}..{hi}" if hi is not None else f"at least {lo}"
    gloss = f" ({what})" if what else ""
    if isinstance(value, bool) or not isinstance(value, int):
        example = "" if lo is None else f", e.g. {option(name, lo)}"
        raise ArgumentError(f"{option(name)} must be an integer{' in ' + span if span else ''}{gloss}, got "
                            f"{type(value).__name__} {value!r}; fix: pass a plain int{example}")
    if lo is not None and (value < lo or (hi is not None and value > hi)):
        shown = str(value) if len(str(value)) <= 20 else f"{str(value)[:8]}...({len(str(value))} digits)"
        raise ArgumentError(f"{option(name)} must be {'in ' if hi is not None else ''}{span}{gloss}, got {shown}")
    return value


def check_bool(name: str, value: object) -> bool:
    """`value` as a bool: True or False only (not 1, 0 or "yes")."""
    if not isinstance(value, bool):
        raise ArgumentError(f"{option(name)} must be True or False, got {type(value).__name__} {value!r}")
    return value


def check_choice(name: str, value: object, choices) -> str:
    """`value` as one of `choices` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise ArgumentError(f"unknown {option(name)} {value!r}: choose one of {', '.join(choices)}")
    return value


def one_line_usage_errors(parser) -> None:
    """Make an argparse parser (and the subparsers it makes later) report a bad command line
    on one line, `PROG: error: MESSAGE; see PROG --help`, with exit status 2, instead of the
    whole usage block."""

    def error(message: str, parser=parser):
        parser.exit(2, f"{parser.prog}: error: {message}; see {parser.prog} --help\n")

    parser.error = error
    make = getattr(parser, "_subparsers", None)
    if make is not None:
        for action in make._group_actions:
            for sub in getattr(action, "choices", {}).values():
                one_line_usage_errors(sub)
