"""The tuner's choices on disk: one JSON file per (GPU, problem kind, shape class, ptxas).

The key is the GPU's name (as the driver reports it), the input dtype, C's dtype, A's and
B's layouts, the shape class (`space.shape_class`) and the exact ptxas version.  The file
holds the winning configuration, its timing, its cubin (base64) and KernelInfo, so that
`exo_gpu.matmul` can load the tuned kernel without compiling, plus the table of every
candidate tried.  Files are written whole through a temporary file and a rename
(`exo_gpu.output.write`), so a crashed or concurrent tune never leaves a torn file.

Folder: `--cache DIR` / `cache=`, else `$EXO_GPU_TUNE_CACHE`, else
`${EXO_GPU_CACHE:-~/.cache/exo-gpu}/tune`.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from exo_gpu import output
from exo_gpu.errors import ExoGpuError, option

FORMAT = "exo-gpu-tune/1"


class CacheError(ExoGpuError):
    """A tune cache folder that cannot be used: names it and the fix."""


@dataclass(frozen=True)
class TuneKey:
    """What a tuned choice depends on."""

    gpu: str
    dtype: str
    c_dtype: str
    layout_a: str
    layout_b: str
    shape_class: str
    ptxas: str

    def slug(self) -> str:
        """The file name (without .json): readable, only [A-Za-z0-9._-]."""
        gpu = re.sub(r"[^A-Za-z0-9.]+", "-", self.gpu).strip("-") or "gpu"
        return (f"{gpu}__{self.dtype}-{self.c_dtype}-a{self.layout_a}-b{self.layout_b}__{self.shape_class}"
                f"__ptxas{self.ptxas}")


def folder(path: str | os.PathLike | None = None) -> Path:
    """The cache folder (see the module docstring); not created here."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("EXO_GPU_TUNE_CACHE")
    if env:
        return Path(env).expanduser()
    from exo_gpu.ptxas.toolchain import cache_dir

    return cache_dir() / "tune"


def check_folder(path: str | os.PathLike | None, create: bool = True) -> Path:
    """The cache folder, created if `create`; CacheError naming it when it is a file, cannot
    be created, or is not writable."""
    if path is not None and (not isinstance(path, (str, os.PathLike)) or not str(path)):
        raise CacheError(f"{option('cache')} must be a folder path (str), got {type(path).__name__} {path!r}")
    where = folder(path)
    if where.exists() and not where.is_dir():
        raise CacheError(f"{option('cache')} {where}: a file, not a folder; give a folder (it is created if missing)")
    if create:
        try:
            where.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CacheError(f"{option('cache')} {where}: cannot create the folder ({e.strerror}); give a writable "
                             "folder") from None
    existing = where
    while not existing.exists() and existing != existing.parent:  # the folder, or the ancestor it is made in
        existing = existing.parent
    if not existing.is_dir():
        raise CacheError(f"{option('cache')} {where}: {existing} is a file, not a folder; give a folder path")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CacheError(f"{option('cache')} {where}: {existing} is not writable; chmod u+w it or give another folder")
    return where


def path_of(key: TuneKey, path: str | os.PathLike | None = None) -> Path:
    return folder(path) / f"{key.slug()}.json"


def load(key: TuneKey, path: str | os.PathLike | None = None) -> dict | None:
    """The stored entry of `key`, or None (missing, unreadable or of another format: a tune
    cache is only a cache, so a bad file means "not tuned")."""
    file = path_of(key, path)
    try:
        entry = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != asdict(key):
        return None
    return entry


def store(key: TuneKey, entry: dict, path: str | os.PathLike | None = None) -> Path:
    """Write `entry` (the winner: config, timing, cubin bytes under "cubin", info, tried) for
    `key`, atomically; returns the file."""
    where = check_folder(path)
    doc = {"format": FORMAT, "key": asdict(key), **{k: v for k, v in entry.items() if k != "cubin"}}
    if entry.get("cubin") is not None:
        doc["cubin_b64"] = base64.b64encode(entry["cubin"]).decode("ascii")
    file = where / f"{key.slug()}.json"
    output.write(str(file), json.dumps(doc, indent=1, sort_keys=True) + "\n", flag=option("cache"))
    return file


def cubin_of(entry: dict) -> bytes | None:
    """The stored cubin of an entry, or None."""
    data = entry.get("cubin_b64")
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except ValueError:
        return None
