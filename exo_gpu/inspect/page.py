"""Render an `Inspection` as one self-contained HTML page (inline CSS and JS, no network).

Anchors: `ir-<stage>-<line>` (an IR line), `ptx-<line>` (a PTX line, numbered as in the PTX
the findings name), `s-<n>` (a SASS line), `f-<n>` (a finding).  A PTX line carries
`data-ir="stage:line ..."` (the IR op it came from in each stage) and a SASS instruction
`data-ptx="line"`; a finding carries `data-ptx` and `data-sass` (SASS ids).
"""

from __future__ import annotations

import re
from html import escape

from exo_gpu.inspect.assets import CSS, JS
from exo_gpu.inspect.collect import MAX_SMEM_PER_BLOCK, REGISTERS_PER_SM, Budget, Inspection, entry_body

_SASS_CLASSES = [
    ("hgmma", re.compile(r"^(?:@!?U?P\w+\s+)?[A-Z]*GMMA\b")),
    ("gsb0", re.compile(r"\bgsb0\b")),
    ("depbar", re.compile(r"\bWARPGROUP\.DEPBAR\b")),
    ("arrive", re.compile(r"\bWARPGROUP\.ARRIVE\b")),
    ("ldl", re.compile(r"^(?:@!?U?P\w+\s+)?LDL\b")),
    ("stl", re.compile(r"^(?:@!?U?P\w+\s+)?STL\b")),
]


def sass_classes(text: str) -> list[str]:
    """The highlight classes of one SASS instruction's text (gsb0: an HGMMA that carries it,
    as the guard counts them; `WARPGROUP.DEPBAR.LE gsb0` is a depbar)."""
    classes = [cls for cls, rx in _SASS_CLASSES if rx.search(text)]
    if "gsb0" in classes and "hgmma" not in classes:
        classes.remove("gsb0")
    return classes


def render(ins: Inspection) -> str:
    sass_ids = _sass_ids(ins)
    findings = _finding_items(ins, sass_ids)
    marked = {f["ptx"] for f in findings if f["ptx"]}
    ok = all(r.ok for r in ins.reports) and not any(f["serialized"] for f in ins.findings)
    status = ("OK: no serialization, no local memory" if ok else "findings: see below")
    nav = " ".join(f'<a href="#{k}">{t}</a>' for k, t in
                   [("budget", "Budget"), ("findings", "Findings"), ("code", "IR / PTX / SASS")])
    body = [
        f'<header><h1>exo-gpu inspect: {escape(ins.title)}</h1>'
        f'<span class="badge {"ok" if ok else "bad"}" id="status">{escape(status)}</span>'
        f'<span>ptxas {escape(ins.ptxas)}</span><nav>{nav}</nav></header><main>',
        '<div class="row">', _budget_section(ins), _findings_section(ins, findings), "</div>",
        '<section id="code"><div class="code-row">',
        _ir_section(ins) if ins.stages else _doctor_note(ins),
        _ptx_section(ins, marked, sass_ids), _sass_section(ins), "</div></section></main>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>exo-gpu inspect: {escape(ins.title)}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + f"\n<script>{JS}</script>\n</body></html>\n")


# ---------------------------------------------------------------- budget


def _bar(used: int, total: int) -> str:
    pct = 100.0 * used / total if total else 0.0
    return (f'<div class="bar{" over" if used > total else ""}" title="{pct:.1f}%">'
            f'<div style="width:{min(pct, 100.0):.1f}%"></div></div>')


def _budget_rows(b: Budget) -> list[str]:
    rows = []
    if b.registers is not None:
        threads = b.maxntid or 0
        total = b.registers * threads
        rows.append(f"<tr><th>registers (ptxas -v)</th><td>{b.registers} per thread"
                    + (f" &times; {threads} threads = {total} of {REGISTERS_PER_SM}{_bar(total, REGISTERS_PER_SM)}"
                       if threads else "") + "</td></tr>")
    if b.roles:
        parts = [f"{escape(r)}: warpgroup{'s' if n > 1 else ''} {f}{'..' + str(f + n - 1) if n > 1 else ''} "
                 f"&times; 128 threads &times; {reg}" for r, f, n, reg in b.roles]
        total = sum(128 * n * reg for _, _, n, reg in b.roles)
        rows.append(f"<tr><th>setmaxnreg budgets (IR roles)</th><td>{'<br>'.join(parts)}<br>= {total} of "
                    f"{REGISTERS_PER_SM} registers{_bar(total, REGISTERS_PER_SM)}</td></tr>")
    if b.setmaxnreg:
        links = ", ".join(f'<a href="#ptx-{n}" class="goto" data-ptx="{n}">{a} {c} (PTX line {n})</a>'
                          for n, a, c in b.setmaxnreg)
        rows.append(f"<tr><th>setmaxnreg in the PTX</th><td>{links}</td></tr>")
    smem = (b.smem_dynamic or 0) + b.smem_static
    dyn = f"{b.smem_dynamic} B dynamic + " if b.smem_dynamic is not None else ""
    rows.append(f"<tr><th>shared memory</th><td>{dyn}{b.smem_static} B static = {smem} B of {MAX_SMEM_PER_BLOCK}"
                f"{_bar(smem, MAX_SMEM_PER_BLOCK)}</td></tr>")
    local = ' class="bad"' if b.stack or b.spill_stores or b.spill_loads else ""
    rows.append(f"<tr><th>local memory</th><td{local}>{b.stack} B stack, "
                f"{b.spill_stores} B spill stores, {b.spill_loads} B spill loads</td></tr>")
    return rows


def _budget_section(ins: Inspection) -> str:
    parts = ['<section id="budget" class="card"><h2>Register and shared-memory budget</h2>']
    for b in ins.budgets:
        parts.append(f"<h3>{escape(b.kernel)}</h3><table class=\"budget\">" + "".join(_budget_rows(b)) + "</table>")
    if not ins.budgets:
        parts.append("<p>no kernel was assembled</p>")
    if ins.notes:
        parts.append('<h3>Notes</h3><ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in ins.notes) + "</ul>")
    return "".join(parts) + "</section>"


# ---------------------------------------------------------------- findings


def _sass_ids(ins: Inspection) -> dict[int, str]:
    return {i: f"s-{i}" for i in range(len(ins.sass))}


def _sass_where(ins: Inspection, kernel: str, want) -> list[int]:
    return [i for i, s in enumerate(ins.sass) if s.address and s.kernel == kernel and want(s)]


def _guard_targets(ins: Inspection, kernel: str, failure: str) -> tuple[list[int], int | None]:
    """The SASS instructions a guard failure is about, and the PTX line to show for it."""
    lines = ins.ptx.splitlines()
    has = lambda cls: (lambda s: cls in sass_classes(s.text))  # noqa: E731
    is_wait = lambda s: bool(s.ptx_line) and "wgmma.wait_group" in lines[s.ptx_line - 1]  # noqa: E731
    if "DEPBAR" in failure:  # the extra ones: a wait the PTX has not written there
        idx = _sass_where(ins, kernel, has("depbar"))
        extra = [i for i in idx if ins.sass[i].ptx_line and not is_wait(ins.sass[i])]
        idx = extra or idx
        return idx, next((ins.sass[i].ptx_line for i in idx if ins.sass[i].ptx_line), None)
    if failure.startswith("local memory"):
        idx = _sass_where(ins, kernel, lambda s: bool({"ldl", "stl"} & set(sass_classes(s.text))))
        return idx, next((ins.sass[i].ptx_line for i in idx if ins.sass[i].ptx_line), None)
    idx = _sass_where(ins, kernel, has("gsb0" if "gsb0" in failure else "hgmma"))
    return idx, next((n for n, line in entry_body(ins.ptx, kernel) if "wgmma.mma_async" in line), None)


def _finding_items(ins: Inspection, sass_ids: dict[int, str]) -> list[dict]:
    """The doctor's findings (they name the culprit line), then the guard's (what ptxas did)."""
    return _doctor_items(ins, sass_ids) + _guard_items(ins, sass_ids)


def _guard_items(ins: Inspection, sass_ids: dict[int, str]) -> list[dict]:
    items = []
    for r in ins.reports:
        for failure in r.failures:
            idx, line = _guard_targets(ins, r.kernel, failure)
            items.append({"kind": "fail", "source": "guard", "kernel": r.kernel, "title": failure,
                          "ptx": line, "sass": [sass_ids[i] for i in idx],
                          "serialized": True, "body": ""})
        for d in r.codes:
            if not d.serializing:
                idx, line = _guard_targets(ins, r.kernel, "codes")
                items.append({"kind": "note", "source": "guard", "kernel": r.kernel, "title": f"ptxas note: {d.line}",
                              "ptx": line, "sass": [sass_ids[i] for i in idx],
                              "serialized": False, "body": ""})
    return items


def _doctor_items(ins: Inspection, sass_ids: dict[int, str]) -> list[dict]:
    items = []
    for f in ins.findings:
        lines = {f["line"], f.get("wgmma_line")}
        idx = [i for i, s in enumerate(ins.sass) if s.address and s.ptx_line in lines and s.kernel == f["kernel"]]
        codes = ", ".join(f["codes"]) or "no code"
        effect = f"ptxas: {codes}{', serializes' if f['serialized'] else ''}"
        text = f["instruction"] if len(f["instruction"]) <= 100 else f["instruction"][:97] + "..."
        body = (f"<div><code title=\"{escape(f['instruction'])}\">{escape(text)}</code> (PTX line {f['line']}"
                + (f", {escape(f['source'])}" if f.get("source") else "") + ")</div>"
                + (f"<div>conflicts with the wgmma at PTX line {f['wgmma_line']} ({escape(f['stage'])})</div>"
                   if f.get("wgmma_line") else "")
                + (f"<div>{escape(f['detail'])}</div>" if f.get("detail") else "")
                + f"<div class=\"why\">why: {escape(f['why'])}</div><div class=\"fix\">fix: {escape(f['fix'])}</div>")
        items.append({"kind": "serialized" if f["serialized"] else ("fail" if f["codes"] else "note"),
                      "source": f"doctor, category {f['category']}", "kernel": f["kernel"],
                      "title": f"{f['rule']} at PTX line {f['line']}: {effect}", "ptx": f["line"],
                      "sass": [sass_ids[i] for i in idx], "serialized": f["serialized"], "body": body})
    return items


def _verdicts(ins: Inspection) -> str:
    rows = []
    for r in ins.reports:
        pred = ins.predicted.get(r.kernel)
        observed = sorted({d.code for d in r.codes})
        s = r.shape
        rows.append(f"<li><b>{escape(r.kernel)}</b>: guard {'OK' if r.ok else 'FAILED'}; observed codes "
                    f"{', '.join(observed) or 'none'}"
                    + (f"; doctor predicts {', '.join(pred[0]) or 'none'}{' (serialized)' if pred[1] else ''}"
                       if pred else "")
                    + f"; SASS {s.hgmma} HGMMA ({s.hgmma_gsb0} gsb0), {s.arrive} ARRIVE, {s.depbar} DEPBAR, "
                      f"{s.ldl} LDL, {s.stl} STL; PTX {r.commit_groups} commit_group, {r.wait_groups} wait_group</li>")
    return "<ul>" + "".join(rows) + "</ul>"


def _findings_section(ins: Inspection, items: list[dict]) -> str:
    parts = ['<section id="findings" class="card"><h2>Findings</h2>', _verdicts(ins)]
    if not items:
        parts.append('<p id="no-findings">no findings: the guard and the doctor are satisfied</p>')
    for n, it in enumerate(items):
        target = f' data-ptx="{it["ptx"]}"' if it["ptx"] else ""
        link = f' <a href="#ptx-{it["ptx"]}">PTX line {it["ptx"]}</a>' if it["ptx"] else ""
        nsass = f", {len(it['sass'])} SASS instruction{'s' if len(it['sass']) != 1 else ''}" if it["sass"] else ""
        parts.append(f'<div class="finding {it["kind"]}" id="f-{n}" tabindex="0"{target} '
                     f'data-sass="{" ".join(it["sass"])}"><div><b>[{escape(it["source"])}]</b> '
                     f'{escape(it["title"])}{link}{nsass}</div>{it["body"]}</div>')
    return "".join(parts) + "</section>"


# ---------------------------------------------------------------- code panes


def _ir_section(ins: Inspection) -> str:
    tabs = "".join(f'<button data-stage="{s.key}">{escape(s.title)}</button>' for s in ins.stages)
    panes = []
    for s in ins.stages:
        lines = "".join(f'<span class="line" id="ir-{s.key}-{n}"><span class="no">{n}</span>{escape(text)}\n</span>'
                        for n, text in enumerate(s.text.splitlines(), 1))
        panes.append(f'<div class="pane ir-stage" data-stage="{s.key}"><pre class="code">{lines}</pre></div>')
    # the stage closest to the PTX first: the script shows the first tab
    order = "".join(reversed(panes))
    tabs = "".join(reversed(re.findall(r"<button.*?</button>", tabs)))
    return f'<section id="ir"><h2>IR after each pass</h2><div class="tabs">{tabs}</div>{order}</section>'


def _doctor_note(ins: Inspection) -> str:
    return ('<section id="ir"><h2>Doctor\'s view</h2><div class="card">Foreign PTX: no IR. The PTX was read by '
            "<code>exo_gpu.ptxas.reader</code>, checked by the wgmma pipeline model for ptxas "
            f"{escape(ins.ptxas)} (the findings) and assembled and disassembled for the guard.</div>"
            '<div id="origin"></div></section>')


def _ptx_line(ins: Inspection, n: int, text: str, marked: set[int], sass_of: dict[int, int]) -> str:
    classes = ["line"]
    if n in marked:
        classes.append("has-finding")
    if "wgmma." in text:
        classes.append("wgmma")
    if "setmaxnreg" in text:
        classes.append("setmaxnreg")
    ops = ins.ptx_ops.get(n, [])
    data_ir = " ".join(f"{k}:{line}" for k, line in ops)
    content = escape(text)
    if n in ins.loc_targets:
        stage, line, name = ins.loc_targets[n]
        if stage is not None:
            content = f'<a class="loc" href="#ir-{stage}-{line}" data-stage="{stage}">{content}</a>'
        else:
            content = f'<span class="loc" title="{escape(name)}:{line}">{content}</span>'
    link = ""
    if ops:
        k, line = ops[-1]
        link = f'<a class="op" href="#ir-{k}-{line}" data-stage="{k}" title="IR op: {k} line {line}">&#9666;</a>'
    extra = f' title="{sass_of[n]} SASS instructions"' if n in sass_of else ""
    if n in ins.sources:
        extra += f' data-src="{escape(ins.sources[n])}"'
    return (f'<span class="{" ".join(classes)}" id="ptx-{n}" data-n="{n}" data-ir="{data_ir}"{extra}>'
            f'<span class="no">{n}</span>{link}{content}\n</span>')


def _ptx_section(ins: Inspection, marked: set[int], sass_ids: dict[int, str]) -> str:
    sass_of: dict[int, int] = {}
    for s in ins.sass:
        if s.address and s.ptx_line:
            sass_of[s.ptx_line] = sass_of.get(s.ptx_line, 0) + 1
    lines = "".join(_ptx_line(ins, n, text, marked, sass_of) for n, text in enumerate(ins.ptx.splitlines(), 1))
    origin = '<div id="origin"></div>' if ins.stages else ""
    return (f'<section id="ptx"><h2>PTX ({escape(ins.ptx_name)})</h2>{origin}'
            f'<div class="pane"><pre class="code ptx">{lines}</pre></div></section>')


def _sass_section(ins: Inspection) -> str:
    out = []
    for i, s in enumerate(ins.sass):
        if s.address is None:
            out.append(f'<span class="line fn" id="s-{i}">{escape(s.text)}\n</span>')
            continue
        classes = " ".join(["line", *sass_classes(s.text)])
        target = f' data-ptx="{s.ptx_line}"' if s.ptx_line else ""
        ptx = f' <a href="#ptx-{s.ptx_line}" class="goto">&lt; PTX {s.ptx_line}</a>' if s.ptx_line else ""
        out.append(f'<span class="{classes}" id="s-{i}"{target}><span class="no">{s.address}</span>'
                   f'{escape(s.text)}{ptx}\n</span>')
    legend = ('<div class="legend sass"><span class="hgmma">HGMMA</span><span class="gsb0">gsb0</span>'
              '<span class="depbar">WARPGROUP.DEPBAR</span><span class="arrive">WARPGROUP.ARRIVE</span>'
              '<span class="ldl">LDL</span><span class="stl">STL</span></div>')
    return (f'<section id="sass"><h2>SASS (nvdisasm)</h2>{legend}<div class="pane">'
            f'<pre class="code sass">{"".join(out)}</pre></div></section>')
