"""`exo-gpu inspect`: the HTML page's content (plain tests) and its behaviour in a real headless
Chromium (browser tests; they skip, saying how to install it, where /usr/bin/chromium is
missing).  Real pinned ptxas and nvdisasm throughout."""

from __future__ import annotations

import functools
import os
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

from exo_gpu import cli
from exo_gpu.inspect import inspect_gemm, render, sass_classes
from exo_gpu.passes import DEFAULT_PIPELINE

import browser as browser_driver
from browser import Browser, unavailable

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["input", *(p for p in DEFAULT_PIPELINE.split(",") if p != "emit-ptx")]  # the IR after each pass


class _Elements(HTMLParser):
    """Every start tag: (tag, attrs), and the ids in order."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@functools.lru_cache(maxsize=8)
def _elements(html: str) -> list[tuple[str, dict]]:
    p = _Elements()
    p.feed(html)
    return p.tags


def _ids(html: str) -> set[str]:
    return {a["id"] for _, a in _elements(html) if "id" in a}


def _line_text(html: str, anchor: str) -> str:
    m = re.search(rf'id="{re.escape(anchor)}"[^>]*>(.*?)\n</span>', html, re.S)
    assert m, f"no element #{anchor}"
    return re.sub(r"<[^>]+>", "", m[1]).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")


@pytest.fixture(scope="module")
def tile_page(tmp_path_factory) -> Path:
    """The seed tf32 kernel from its tile IR file, through the CLI."""
    out = tmp_path_factory.mktemp("inspect") / "tile.html"
    assert cli.main(["inspect", str(ROOT / "examples/seed_tf32_n128.mlir"), "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def serialized(tmp_path_factory):
    """The GEMM with a run-time scale-d, which ptxas 12.3 serializes, through the API."""
    ins = inspect_gemm(scale_d="runtime", cuda="12.3")
    out = tmp_path_factory.mktemp("inspect") / "serialized.html"
    out.write_text(render(ins))
    return ins, out


@pytest.fixture(scope="module")
def foreign_page(tmp_path_factory) -> Path:
    """nvcc's PTX of the CUDA C++ example: the doctor's view."""
    out = tmp_path_factory.mktemp("inspect") / "foreign.html"
    assert cli.main(["inspect", str(ROOT / "examples/user_kernel.ptx"), "-o", str(out)]) == 0
    return out


# ---------------------------------------------------------------- the HTML itself


def test_sections_and_self_contained(tile_page):
    html = tile_page.read_text()
    ids = _ids(html)
    assert {"budget", "findings", "ir", "ptx", "sass", "status"} <= ids
    stages = [a["data-stage"] for t, a in _elements(html) if t == "div" and "ir-stage" in a.get("class", "")]
    assert sorted(stages) == sorted(STAGES)
    assert "<style>" in html and "<script>" in html
    for t, a in _elements(html):  # nothing fetched: no external script, style, image or font
        assert t not in ("link", "img", "iframe"), (t, a)
        assert not (t == "script" and "src" in a)
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "@import" not in html and "url(" not in html


def test_every_loc_links_to_the_input_op(tile_page):
    html = tile_page.read_text()
    ids = _ids(html)
    locs = re.findall(r'<a class="loc" href="#(ir-input-\d+)"[^>]*>\s*\.loc 1 (\d+) \d+</a>', html)
    ptx_locs = re.findall(r'id="ptx-\d+"[^>]*><span class="no">\d+</span>(?:<a class="op"[^>]*>[^<]*</a>)?'
                          r'(?:<a class="loc"[^>]*>)?\s*\.loc\b', html)
    assert locs and len(locs) == len(ptx_locs)
    for anchor, line in locs:
        assert anchor == f"ir-input-{line}" and anchor in ids
        assert "tile." in _line_text(html, anchor)  # the tile.kernel, or its tile.load / mma / store


def test_ptx_lines_link_to_their_op_in_every_stage(tile_page):
    html = tile_page.read_text()
    ids = _ids(html)
    lines = [(a["id"], a["data-ir"]) for t, a in _elements(html) if t == "span" and a.get("id", "").startswith("ptx-")]
    body = [(i, ir) for i, ir in lines if ir]
    assert len(body) > 500  # every instruction of the kernel's body
    for _, ir in body:
        stages = [s.rsplit(":", 1)[0] for s in ir.split()]
        assert stages == STAGES
        for s in ir.split():
            key, n = s.rsplit(":", 1)
            assert f"ir-{key}-{n}" in ids
    wgmma = next(i for i, ir in body if "wgmma.mma_async" in _line_text(html, i))
    ops = dict(s.rsplit(":", 1) for s in dict(body)[wgmma].split())
    assert '"wgmma.mma_async"' in _line_text(html, f"ir-schedule-{ops['schedule']}")
    assert '"ptx.wgmma_mma_async"' in _line_text(html, f"ir-assign-registers-{ops['assign-registers']}")
    link = re.search(rf'id="{wgmma}"[^>]*><span class="no">\d+</span><a class="op" href="#([^"]+)"', html)
    last = STAGES[-1]  # the PTX line links to its op in the last stage before emit-ptx
    assert link and link[1] == f"ir-{last}-{ops[last]}"


def test_sass_highlights_match_the_guard(serialized):
    ins, out = serialized
    html = out.read_text()
    shape = ins.reports[0].shape
    classes = [a["class"].split() for t, a in _elements(html) if t == "span" and a.get("id", "").startswith("s-")]
    count = lambda c: sum(c in cs for cs in classes)  # noqa: E731
    assert (count("hgmma"), count("gsb0"), count("depbar"), count("arrive")) == \
        (shape.hgmma, shape.hgmma_gsb0, shape.depbar, shape.arrive) and shape.hgmma > 0
    assert sass_classes("LDL.64 R2, [R1+0x8] ;") == ["ldl"] and sass_classes("STL [R1], R4 ;") == ["stl"]
    assert sass_classes("WARPGROUP.DEPBAR.LE gsb0, 0x0 ;") == ["depbar"]
    mapped = [a for t, a in _elements(html) if t == "span" and "data-ptx" in a and a.get("id", "").startswith("s-")]
    assert len(mapped) >= 0.95 * sum(1 for s in ins.sass if s.address)
    ids = _ids(html)
    assert all(f"ptx-{a['data-ptx']}" in ids for a in mapped)


def test_findings_link_to_existing_anchors(serialized):
    ins, out = serialized
    html = out.read_text()
    ids = _ids(html)
    findings = [a for t, a in _elements(html) if t == "div" and a.get("id", "").startswith("f-")]
    assert len(findings) == len(ins.findings) + sum(len(r.failures) for r in ins.reports) >= 3
    for f in findings:
        assert f"ptx-{f['data-ptx']}" in ids
        assert f["data-sass"] and all(s in ids for s in f["data-sass"].split())
    scale_d = [f for f in ins.findings if f["rule"] == "acc-undefined-input" and f["serialized"]]
    first = next(f for f in findings if f["data-ptx"] == str(scale_d[0]["line"]))
    assert "wgmma.mma_async" in _line_text(html, f"ptx-{first['data-ptx']}")
    assert 'class="badge bad"' in html


def test_budget(tile_page, serialized):
    html = tile_page.read_text()
    assert re.search(r"\d+ per thread &times; 384 threads", html)
    assert "consumer: warpgroups 1..2 &times; 128 threads &times; 232" in html
    assert "= 64512 of 65536 registers" in html
    ins, _ = serialized
    assert ins.budgets[0].smem_dynamic and f"{ins.budgets[0].smem_dynamic} B dynamic" in render(ins)
    assert [(a, c) for _, a, c in ins.budgets[0].setmaxnreg] == [("dec", 40), ("inc", 232)]


def test_foreign_ptx_is_the_doctors_view(foreign_page):
    html = foreign_page.read_text()
    ids = _ids(html)
    assert "Doctor's view" in html and not any(i.startswith("ir-") for i in ids)
    findings = [a for t, a in _elements(html) if t == "div" and a.get("id", "").startswith("f-")]
    assert findings and all(f"ptx-{f['data-ptx']}" in ids for f in findings if "data-ptx" in f)
    assert "category A" in html and "local memory" in html  # nvcc moved and spilled the accumulators
    assert re.search(r'data-src="[^"]*user_kernel\.cu:\d+"', html)  # nvcc's .loc lines name the C++ source
    assert 'class="line ldl' in html and 'class="line stl' in html


@pytest.mark.parametrize("argv, message", [
    (["inspect", "no/such.ptx"], "cannot read no/such.ptx"),
    (["inspect", "README.md"], "give a .mlir file (tile IR) or a .ptx file"),
    (["inspect", "--wgmma-n", "100"], "gemm"),
    (["inspect", "--cuda", "99.1"], "CUDA 99.1 is not supported"),
])
def test_bad_input_is_one_line_and_no_file(tmp_path, capsys, monkeypatch, argv, message):
    out = tmp_path / "r.html"
    monkeypatch.chdir(ROOT)
    assert cli.main(argv + ["-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("exo-gpu: error: ") and message in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, text, message", [
    ("bad.mlir", "builtin.module {\n  tile.kernel @k(%a: !tile.tensor<?x?xf32>) grid(%a tiles 64x64) {\n"
                 "    %x = tile.constant 0.0 : !tile.tile<64x64xf32>\n"
                 "    tile.store %x, %a[] : !tile.tile<64x64xf32>, !tile.tensor<?x?xf32>\n    tile.return\n  }\n}\n",
     "bad.mlir: invalid IR: "),
    ("bad.ptx", ".version 8.0\n.target sm_90a\n.address_size 64\n.visible .entry k()\n{\n  bogus.instr %r1;\n}\n",
     "rejected the PTX: line 6"),
])
def test_bad_file_is_one_line_and_no_page(tmp_path, capsys, name, text, message):
    src = tmp_path / name
    src.write_text(text)
    out = tmp_path / "r.html"
    assert cli.main(["inspect", str(src), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("exo-gpu: error: ") and message in err and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_unwritable_output_is_one_line(tmp_path, capsys):
    out = tmp_path / "missing" / "r.html"
    assert cli.main(["inspect", str(ROOT / "examples/seed_tf32_n96.mlir"), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"exo-gpu: error: cannot write {out}") and "\n" not in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- in a real browser

browser = pytest.mark.skipif(unavailable() is not None, reason=unavailable() or "")


def test_without_chromium_the_reason_is_the_install_command(monkeypatch):
    monkeypatch.setattr(browser_driver, "chromium", lambda: None)
    assert "apt-get install -y chromium chromium-driver" in unavailable()


def _in_view(b: Browser, selector: str) -> bool:
    """The element is inside the window and inside every scrolling pane around it."""
    return b.eval(f"""(() => {{
      const e = document.querySelector({selector!r}); let r = e.getBoundingClientRect();
      if (r.bottom < 0 || r.top > innerHeight) return false;
      for (let p = e.parentElement; p; p = p.parentElement) {{
        if (p.scrollHeight > p.clientHeight && getComputedStyle(p).overflowY !== 'visible') {{
          const q = p.getBoundingClientRect(); if (r.bottom <= q.top || r.top >= q.bottom) return false; }}
      }}
      return true; }})()""")


@browser
@pytest.mark.parametrize("page", ["tile_page", "serialized", "foreign_page"])
def test_page_loads_without_console_errors(request, page):
    path = request.getfixturevalue(page)
    path = path[1] if isinstance(path, tuple) else path
    with Browser() as b:
        b.open(path.as_uri())
        assert b.eval("typeof window.exoInspect") == "object"
        assert b.eval("document.querySelectorAll('.ptx .line').length") > 100
        b.click(".ptx .line:nth-child(200)")
        assert b.errors == []
        assert b.requests == [path.as_uri()]  # the page itself, nothing from the network


@browser
def test_click_on_a_finding_scrolls_to_its_ptx_line(serialized):
    ins, path = serialized
    with Browser() as b:
        b.open(path.as_uri())
        for fid in ("#f-0", f"#f-{len(ins.findings)}"):  # a doctor finding, then the guard's first
            target = b.eval(f"document.querySelector('{fid}').dataset.ptx")
            sass = b.eval(f"document.querySelector('{fid}').dataset.sass").split()
            assert not _in_view(b, f"#ptx-{target}") or fid != "#f-0"
            b.click(fid)
            assert b.eval(f"document.querySelector('#ptx-{target}').classList.contains('hl')")
            assert b.eval(f"document.querySelector('{fid}').classList.contains('active')")
            assert _in_view(b, f"#ptx-{target}")
            assert all(b.eval(f"document.getElementById('{s}').classList.contains('hl')") for s in sass)
            assert _in_view(b, f"#{sass[0]}")
            assert b.eval("location.hash") == fid
        assert b.errors == []


@browser
def test_click_on_a_ptx_line_shows_its_ir_ops(tile_page):
    html = tile_page.read_text()
    line = next(a["id"] for t, a in _elements(html) if t == "span" and a.get("id", "").startswith("ptx-")
                and "wgmma.mma_async" in _line_text(html, a["id"]))
    with Browser() as b:
        b.open(tile_page.as_uri())
        b.click(f"#{line}")
        hl = b.eval("Array.from(document.querySelectorAll('.ir-stage .line.hl')).map(e => e.id)")
        assert sorted(h.rsplit("-", 1)[0] for h in hl) == sorted(f"ir-{s}" for s in STAGES)
        shown = b.eval("document.querySelector('.ir-stage.shown').dataset.stage")
        assert _in_view(b, f"#{next(h for h in hl if h.startswith('ir-' + shown + '-'))}")
        assert b.eval("document.querySelectorAll('#origin a').length") == len(STAGES)
        assert b.eval("document.querySelectorAll('.sass .line.hl').length") >= 1
        assert b.errors == []


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@browser
def test_screenshot(serialized, tmp_path):
    _, path = serialized
    png = tmp_path / "inspect.png"
    with Browser(width=1600, height=1000) as b:
        b.open(path.as_uri())
        b.click("#f-0")
        for section in ("#budget", "#findings", "#ir", "#ptx", "#sass"):
            assert b.eval(f"(() => {{ const r = document.querySelector('{section}').getBoundingClientRect(); "
                          "return r.width > 100 && r.height > 100 && r.top < innerHeight && r.bottom > 0; })()"), section
        b.screenshot(str(png))
        assert b.errors == []
    assert _png_size(png) == (1600, 1000)
    assert png.stat().st_size > 60_000  # text in five panes, not a blank page
