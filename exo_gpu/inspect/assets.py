"""The inspector page's inline style sheet and script (no network, no libraries)."""

CSS = r"""
:root { --bg:#fbfbfa; --fg:#1d1f21; --muted:#6a6f75; --line:#e3e4e6; --hl:#fff1a8; --hl2:#ffe066;
        --bad:#c0392b; --ok:#1e8449; --warn:#b9770e; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font: 14px/1.4 system-ui, sans-serif; }
header { position:sticky; top:0; z-index:5; background:#20242b; color:#f4f4f4; padding:8px 16px;
         display:flex; gap:16px; align-items:center; flex-wrap:wrap; }
header h1 { font-size:16px; margin:0; font-weight:600; }
header nav a { color:#cfe3ff; margin-right:12px; text-decoration:none; }
.badge { padding:2px 8px; border-radius:10px; font-weight:600; font-size:12px; }
.badge.ok { background:var(--ok); color:#fff; } .badge.bad { background:var(--bad); color:#fff; }
main { padding:12px 16px; }
section { margin-bottom:14px; }
h2 { font-size:15px; margin:6px 0; } h3 { font-size:14px; margin:6px 0; }
.row { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1fr); gap:14px; }
.code-row { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1.1fr) minmax(0,1fr); gap:10px; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:8px 10px; }
table.budget { border-collapse:collapse; width:100%; }
table.budget td, table.budget th { padding:3px 6px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
.bar { height:8px; background:#e9ecef; border-radius:4px; overflow:hidden; min-width:120px; margin-top:3px; }
.bar > div { height:100%; background:#3b82f6; } .bar.over > div { background:var(--bad); }
.pane { height:calc(70vh - 185px); min-height:260px; overflow:auto; border:1px solid var(--line); background:#fff; border-radius:6px; }
pre.code { margin:0; font:12px/1.45 var(--mono); white-space:pre; }
pre.code .line { display:block; padding-right:12px; cursor:pointer; }
pre.code .line:hover { background:#f2f6fb; }
.no { display:inline-block; width:4.5em; color:var(--muted); text-align:right; padding-right:8px;
      user-select:none; text-decoration:none; }
.line.hl { background:var(--hl) !important; color:var(--fg) !important; outline:1px solid var(--hl2); }
.line.has-finding { box-shadow: inset 3px 0 0 var(--bad); }
a.op { color:#3b82f6; text-decoration:none; padding:0 4px; }
a.loc { color:var(--muted); }
.wgmma { color:#6d28d9; } .setmaxnreg { color:#0e7490; font-weight:600; }
.sass .hgmma { color:#6d28d9; font-weight:600; }
.sass .gsb0 { background:#fde2e1; }
.sass .depbar { color:#fff; background:#c0392b; }
.sass .arrive { color:#0e7490; font-weight:600; }
.sass .ldl, .sass .stl { color:#fff; background:#b9770e; }
.sass .fn { color:var(--muted); }
.tabs { display:flex; gap:4px; flex-wrap:wrap; margin-bottom:4px; }
.tabs button { font:12px system-ui; border:1px solid var(--line); background:#fff; border-radius:4px; padding:2px 8px; cursor:pointer; }
.tabs button.active { background:#20242b; color:#fff; }
.ir-stage { display:none; } .ir-stage.shown { display:block; }
#budget, #findings { height:30vh; min-height:200px; overflow:auto; }
.row { margin-bottom:10px; }
.finding { border-left:4px solid var(--warn); padding:4px 8px; margin:6px 0; background:#fff; cursor:pointer; }
.finding.fail, .finding.serialized { border-left-color:var(--bad); }
.finding.note { border-left-color:#3b82f6; }
.finding.active { background:var(--hl); }
.finding code { font:12px var(--mono); }
.finding .why, .finding .fix { color:var(--muted); font-size:12px; }
#origin { font-size:12px; color:var(--muted); min-height:1.4em; margin-top:4px; }
#origin a { margin-right:10px; }
td.bad { color:var(--bad); font-weight:600; }
.notes li { color:var(--warn); }
.legend span { margin-right:10px; font:12px var(--mono); padding:0 3px; }
"""

JS = r"""
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  function clear() { $$(".hl").forEach(function (e) { e.classList.remove("hl"); });
                     $$(".finding.active").forEach(function (e) { e.classList.remove("active"); }); }
  function reveal(el) { if (el) { el.scrollIntoView({block: "center", inline: "nearest"}); } }
  function showStage(key) {
    $$(".ir-stage").forEach(function (p) { p.classList.toggle("shown", p.dataset.stage === key); });
    $$(".tabs button").forEach(function (b) { b.classList.toggle("active", b.dataset.stage === key); });
  }
  function currentStage() { var s = $(".ir-stage.shown"); return s ? s.dataset.stage : null; }
  function irOps(line) {
    var ops = (line.dataset.ir || "").split(" ").filter(Boolean);
    return ops.map(function (s) { var i = s.lastIndexOf(":"); return [s.slice(0, i), s.slice(i + 1)]; });
  }
  function markIr(ptxLine, stage) {
    var origin = $("#origin"), links = [];
    irOps(ptxLine).forEach(function (p) {
      var el = document.getElementById("ir-" + p[0] + "-" + p[1]);
      if (el) { el.classList.add("hl"); }
      links.push('<a href="#ir-' + p[0] + "-" + p[1] + '" data-stage="' + p[0] + '" data-line="' + p[1] + '">' +
                 p[0] + ":" + p[1] + "</a>");
    });
    var src = ptxLine.dataset.src ? " (source " + ptxLine.dataset.src.replace(/[<>&]/g, "") + ")" : "";
    if (origin) { origin.innerHTML = "PTX line " + ptxLine.dataset.n + (links.length ? " comes from " + links.join("") : ": no IR op") + src; }
    var ops = irOps(ptxLine);
    if (!ops.length) { return; }
    var want = stage || currentStage(), pick = ops[ops.length - 1];
    ops.forEach(function (p) { if (p[0] === want) { pick = p; } });
    showStage(pick[0]);
    reveal(document.getElementById("ir-" + pick[0] + "-" + pick[1]));
  }
  function sassFor(n) { return $$('.sass .line[data-ptx="' + n + '"]'); }
  function selectPtx(n, opts) {
    opts = opts || {};
    clear();
    var line = document.getElementById("ptx-" + n);
    if (!line) { return null; }
    line.classList.add("hl");
    markIr(line, opts.stage);
    var sass = opts.sass && opts.sass.length ? opts.sass.map(function (id) { return document.getElementById(id); })
                                            : sassFor(n);
    sass.forEach(function (s) { if (s) { s.classList.add("hl"); } });
    reveal(sass[0]);
    reveal(line);
    return line;
  }
  window.exoInspect = { selectPtx: selectPtx, showStage: showStage };
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var finding = t.closest(".finding");
    if (finding) {
      ev.preventDefault();
      var ids = (finding.dataset.sass || "").split(" ").filter(Boolean);
      if (finding.dataset.ptx) { selectPtx(finding.dataset.ptx, {sass: ids}); }
      else { clear(); ids.forEach(function (id) { var e = document.getElementById(id); if (e) { e.classList.add("hl"); } });
             reveal(document.getElementById(ids[0])); }
      finding.classList.add("active");
      history.replaceState(null, "", "#" + finding.id);
      return;
    }
    var tab = t.closest(".tabs button");
    if (tab) { showStage(tab.dataset.stage); return; }
    var o = t.closest("#origin a");
    if (o) { ev.preventDefault(); showStage(o.dataset.stage);
             var el = document.getElementById("ir-" + o.dataset.stage + "-" + o.dataset.line); reveal(el); return; }
    var ptx = t.closest(".ptx .line");
    if (ptx) {
      ev.preventDefault();
      var op = t.closest("a.op, a.loc");
      selectPtx(ptx.dataset.n, {stage: op ? op.dataset.stage : null});
      history.replaceState(null, "", "#ptx-" + ptx.dataset.n);
      return;
    }
    var g = t.closest("a.goto");
    if (g && g.dataset.ptx) { ev.preventDefault(); selectPtx(g.dataset.ptx); return; }
    var sl = t.closest(".sass .line");
    if (sl && sl.dataset.ptx) { ev.preventDefault(); selectPtx(sl.dataset.ptx, {sass: [sl.id]}); return; }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target.classList && ev.target.classList.contains("finding")) { ev.target.click(); }
  });
  var h = location.hash.replace("#", "");
  var first = $(".tabs button");
  showStage(first ? first.dataset.stage : null);
  if (/^ptx-\d+$/.test(h)) { selectPtx(h.slice(4)); }
  else if (h && document.getElementById(h) && document.getElementById(h).classList.contains("finding")) {
    document.getElementById(h).click();
  }
})();
"""
