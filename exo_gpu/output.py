"""Output files, written whole or not at all, for every tool (`-o`, `--json OUT`, `--summary OUT`).

`check_writable` is called before the work (a bad output path fails in a second, not after a
sweep's hour of compiles); `write` then goes through a temporary file in the same folder and
a rename, so a failure never leaves a half-written file and never clobbers the old one.
`None` and "-" are standard output (mlir-opt's `-o -`).
"""

from __future__ import annotations

import os
import sys
import tempfile

from exo_gpu.errors import ExoGpuError


class OutputError(ExoGpuError):
    """An output path that cannot be written: names the path and what to do."""


def _is_stdout(path: str | None) -> bool:
    return path is None or path == "-"


def check_writable(path: str | None, flag: str = "-o") -> None:
    """Fail now, naming `flag PATH`, if `path` cannot be written (a folder, a missing or
    read-only folder); create nothing."""
    if _is_stdout(path):
        return
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise OutputError(f"cannot write {path!r} ({flag}): not a file name; give a file name (or - for standard "
                          "output)")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path} ({flag}): it is a directory; give a file name inside it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path} ({flag}): the folder {folder} does not exist; create it or write "
                          "elsewhere")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path} ({flag}): the file is read-only; chmod u+w it or write elsewhere")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".exo-gpu-", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {path} ({flag}): cannot create a file in {folder} ({e.strerror}); "
                          "write elsewhere") from None
    os.close(fd)
    os.unlink(tmp)


def write(path: str | None, data: str | bytes, flag: str = "-o") -> None:
    """Write `data` to `path` atomically (standard output for None or "-")."""
    if _is_stdout(path):
        if isinstance(data, bytes):
            if path is None:
                raise OutputError(f"this output is binary: give {flag} FILE (or {flag} - to write it to "
                                  "standard output anyway)")
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    check_writable(path, flag)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".exo-gpu-", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {path} ({flag}): cannot create a file in {folder} ({e.strerror}); "
                          "write elsewhere") from None
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w", **({} if isinstance(data, bytes) else
                                                                         {"encoding": "utf-8"})) as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600; the output is an ordinary file
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise OutputError(f"cannot write {path} ({flag}): {e.strerror}; write elsewhere") from None
    except BaseException:
        os.unlink(tmp)
        raise
