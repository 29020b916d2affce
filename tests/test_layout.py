"""The design card's layout: top-level dialects/ and passes/ are installed as exo_gpu.dialects
and exo_gpu.passes, each module has one import path, and no top-level `dialects` or `passes`
module exists after installation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROBE = r"""
import importlib, importlib.util, json, pkgutil, sys
import exo_gpu.dialects, exo_gpu.passes
out = {"top": {n: importlib.util.find_spec(n) is not None for n in ("dialects", "passes")},
       "files": {}}
for pkg in (exo_gpu.dialects, exo_gpu.passes):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        mod = importlib.import_module(info.name)
        out["files"][info.name] = mod.__file__
out["dialects_file"] = exo_gpu.dialects.__file__
out["passes_file"] = exo_gpu.passes.__file__
out["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("dialects", "passes"))
print(json.dumps(out))
"""


def _probe(tmp_path) -> dict:
    # From a folder outside the checkout, as an installed user would import it.
    r = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=tmp_path,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_dialects_and_passes_come_from_the_top_level_folders(tmp_path):
    out = _probe(tmp_path)
    assert Path(out["dialects_file"]).resolve() == ROOT / "dialects" / "__init__.py"
    assert Path(out["passes_file"]).resolve() == ROOT / "passes" / "__init__.py"
    for name, file in out["files"].items():
        top = ROOT / ("dialects" if name.startswith("exo_gpu.dialects") else "passes")
        assert Path(file).resolve().is_relative_to(top), (name, file)


def test_no_second_import_path(tmp_path):
    out = _probe(tmp_path)
    assert out["top"] == {"dialects": False, "passes": False}
    assert out["modules"] == []
    assert not (ROOT / "exo_gpu" / "dialects").exists() and not (ROOT / "exo_gpu" / "passes").exists()


def test_sources_import_through_exo_gpu_only():
    bad = []
    for path in [*ROOT.glob("exo_gpu/**/*.py"), *ROOT.glob("dialects/**/*.py"), *ROOT.glob("passes/**/*.py")]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            s = line.strip()
            if s.startswith(("from dialects", "import dialects", "from passes", "import passes")):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {s}")
    assert bad == []


def test_every_package_folder_is_installed():
    """pyproject.toml lists packages explicitly (the package-dir mapping needs it): every folder
    with an __init__.py under exo_gpu/, dialects/ and passes/ must be listed, or a non-editable
    install (as on the GPU machine) would miss it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for top, name in (("exo_gpu", "exo_gpu"), ("dialects", "exo_gpu.dialects"), ("passes", "exo_gpu.passes")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name, *rel)))
    assert found - listed == set()
    assert listed - found == set()


def test_no_module_is_shadowed_by_a_package():
    """A `name.py` beside a `name/` package is dead code (the package wins the import)."""
    shadowed = [str(p.relative_to(ROOT)) for top in ("exo_gpu", "dialects", "passes")
                for p in (ROOT / top).rglob("*.py") if (p.parent / p.stem / "__init__.py").exists()]
    assert shadowed == []


def test_no_submodule_shadows_a_public_function_of_its_package():
    """Importing a submodule sets its package's attribute of that name: a package function of
    the same name (tl.interpret and a module `interpret`) would turn into the module."""
    import pkgutil

    import exo_gpu.lang as lang

    for info in pkgutil.iter_modules(lang.__path__):
        assert info.name not in getattr(lang, "__all__", ()), f"exo_gpu.lang.{info.name} shadows tl.{info.name}"
