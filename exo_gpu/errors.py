"""The common base of every error exo-gpu reports to its user.

The CLI catches ``ExoGpuError`` and prints its message (no traceback); each
message is written to say what went wrong and what to do about it, on one line, naming
options the way the caller spells them (``option``): ``--split-k 4`` on the command line,
``split_k=4`` in Python.
"""

from __future__ import annotations

_SPELLING = {"style": "api"}


class ExoGpuError(Exception):
    """Base class of the errors exo-gpu reports to the user."""


class ArgumentError(ExoGpuError):
    """An argument of the wrong type or out of range, at the API boundary or on the command line."""


def use_cli_spelling() -> None:
    """Called once by the command-line tools: messages then name options as flags."""
    _SPELLING["style"] = "cli"


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


def check_int(name: str, value: object, lo: int, hi: int | None = None, what: str = "") -> int:
    """`value` as an int in lo..hi (hi None: no upper bound); bools, strings and floats are
    not ints.  `what` says what the number counts (for the message)."""
    span = f"{lo}..{hi}" if hi is not None else f"at least {lo}"
    gloss = f" ({what})" if what else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{option(name)} must be an integer in {span}{gloss}, got {type(value).__name__} "
                          f"{value!r}; fix: pass a plain int, e.g. {option(name, lo)}")
    if value < lo or (hi is not None and value > hi):
        shown = str(value) if len(str(value)) <= 20 else f"{str(value)[:8]}...({len(str(value))} digits)"
        raise ArgumentError(f"{option(name)} must be in {span}{gloss}, got {shown}")
    return value


def check_bool(name: str, value: object) -> bool:
    """`value` as a bool: True or False only (not 1, 0 or "yes")."""
    if not isinstance(value, bool):
        raise ArgumentError(f"{option(name)} must be True or False, got {type(value).__name__} {value!r}")
    return value


def check_choice(name: str, value: object, choices) -> str:
    """`value` as one of `choices` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise ArgumentError(f"{option(name)} must be one of {', '.join(choices)}, got {value!r}")
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
