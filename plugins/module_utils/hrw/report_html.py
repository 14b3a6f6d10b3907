# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML5 page (pure, stdlib only, Python 3.8+).

``render_html(report)`` renders the report model (``report_schema: 1``, see
report_model.py and ADR 0003) to a string: inline CSS and vanilla JavaScript only, no
external asset, font or URL, so the file works offline from ``file://``. A
Content-Security-Policy in the page allows nothing but its own inline style and script
(pinned by their SHA-256), so even a string that escaped escaping could not run.

Every string that comes from a host (names, messages, evidence, reasons) is HTML-escaped;
the small JSON index the script reads is embedded with ``<``, ``>``, ``&``, U+2028 and
U+2029 escaped, so no ``</script>`` or ``<!--`` can end or change its ``<script>`` element.

Stable hooks (for tests and for people who script the page):

- matrix rows ``tr[data-host]`` with ``data-status`` (diagnosed | unreachable | failed |
  not_run), ``data-worst`` (a CheckResult, or ``none``), ``data-readiness`` (a readiness
  state) and ``data-host-idx`` (the host's position in the report, also on its details,
  readiness row and fleet links);
- group cells ``td[data-group][data-result]`` (``data-result`` is a CheckResult, or
  ``none`` when the host has no finding in that group); a host that was not diagnosed has
  one ``td.reason`` spanning the group columns instead, with its reason;
- column headers ``th[data-sort-key]`` (``host``, ``worst``, ``readiness``, ``group:<id>``),
  ``aria-sort`` on the sorted one;
- filters ``#filter-host``, ``#filter-group``, ``#filter-rule``, ``#filter-result``,
  ``#filter-clear`` and the counter ``#filter-count``; per-host ``details#host-<idx>``;
  fleet findings ``#fleet``; readiness table ``#readiness``; help ``#help``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
from html import escape

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import report_model, report_text
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import SEVERITY_ORDER

# Severity order, worst first (the report's "results").
RESULTS = tuple(SEVERITY_ORDER)

# Cell colours per CheckResult: (background, text). The browser test reads them back.
COLOURS = {
    "Failed": ("#c62828", "#ffffff"),
    "PassedWithWarning": ("#ffb300", "#000000"),
    "Information": ("#1565c0", "#ffffff"),
    "Skipped": ("#bdbdbd", "#000000"),
    "Passed": ("#2e7d32", "#ffffff"),
}
# The terminal table's short labels, so both say the same.
SHORT = dict((result, report_text.LABELS[result]) for result in RESULTS)
LABELS = {"Failed": "Failed", "PassedWithWarning": "Passed with warning", "Information": "Information",
          "Skipped": "Skipped", "Passed": "Passed"}

# Readiness states worst first (sorting): deployed but lost, never (fully) deployed, not known, fine.
READINESS_ORDER = ("Disconnected", "Not configured", "Unknown", "Ready")
READINESS_CLASS = {"Ready": "ready", "Disconnected": "disconnected", "Not configured": "notconfigured", "Unknown": "unknown"}
STATUSES = ("diagnosed", "unreachable", "failed", "not_run")
NOT_DIAGNOSED = "not_diagnosed"  # #filter-result value: hosts whose diagnosis did not run


def _text(value):
    """HTML-escaped text of any value (None -> empty)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return escape(value, quote=True)


def json_for_script(data):
    """JSON that is safe as the content of a ``<script>`` element: no ``<``, ``>`` or ``&``
    (so no ``</script>`` and no ``<!--``), and U+2028/U+2029 escaped (JavaScript line breaks
    in older engines)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace(u"\u2028", "\\u2028").replace(u"\u2029", "\\u2029"))


def pretty_json(value):
    """Evidence and similar values as indented JSON text (not yet escaped)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _rank(check_result):
    try:
        return RESULTS.index(check_result)
    except ValueError:
        return len(RESULTS)


def _worst_first(findings):
    return sorted(findings, key=lambda f: _rank(f.get("CheckResult")))


def _result_class(check_result):
    return "r-%s" % check_result if check_result in COLOURS else "r-unknown"


def _result_value(check_result):
    return check_result if check_result else "none"


def _readiness(host):
    readiness = host.get("readiness") or {}
    state = readiness.get("state") or "Unknown"
    return state, readiness.get("reason"), readiness.get("evidence")


def _badge(check_result):
    if not check_result:
        return ""
    return '<span class="badge %s" title="%s">%s</span>' % (
        _result_class(check_result), _text(check_result), _text(SHORT.get(check_result, check_result)))


def _sha256(text):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0 1.5rem 3rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
.meta { color: #57606a; margin: 0 0 .75rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .5rem; overflow: auto; max-height: 24rem; white-space: pre-wrap; word-break: break-word; }
.totals { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0; padding: 0; list-style: none; }
.totals li { border: 1px solid #d0d7de; border-radius: 6px; padding: .35rem .6rem; }
.totals b { font-size: 1.1rem; }
.legend { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; list-style: none; margin: .5rem 0; }
.badge { display: inline-block; min-width: 3.2em; text-align: center; border-radius: 4px; padding: 0 .35em; font-weight: 600; font-size: 12px; }
.r-Failed { background-color: #c62828; color: #ffffff; }
.r-PassedWithWarning { background-color: #ffb300; color: #000000; }
.r-Information { background-color: #1565c0; color: #ffffff; }
.r-Skipped { background-color: #bdbdbd; color: #000000; }
.r-Passed { background-color: #2e7d32; color: #ffffff; }
.r-unknown { background-color: #ffffff; color: #000000; outline: 1px dashed #57606a; }
.r-none { background-color: #ffffff; }
.legend .r-none { outline: 1px solid #d0d7de; }
.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin: .75rem 0; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: #57606a; }
.filters input, .filters select, .filters button { font: inherit; padding: .2rem .35rem; }
table { border-collapse: collapse; }
.matrix th, .matrix td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: center; }
.matrix th { background: #f6f8fa; position: sticky; top: 0; }
.matrix th button { font: inherit; font-weight: 600; background: none; border: 0; cursor: pointer; padding: 0; color: inherit; }
.matrix th[aria-sort="ascending"] button::after { content: " \\25B2"; }
.matrix th[aria-sort="descending"] button::after { content: " \\25BC"; }
.matrix td.host { text-align: left; white-space: nowrap; }
.matrix td.cell { min-width: 3.5em; font-weight: 600; font-size: 12px; }
.matrix td.reason { text-align: left; background-color: #fbeff2;
  background-image: repeating-linear-gradient(135deg, transparent 0 8px, rgba(130, 80, 223, .08) 8px 16px); }
.status { display: inline-block; border-radius: 4px; padding: 0 .35em; font-size: 12px; font-weight: 600; background: #8250df; color: #fff; }
.muted { color: #57606a; font-size: 12px; }
.readiness-ready { color: #1a7f37; font-weight: 600; }
.readiness-disconnected { color: #cf222e; font-weight: 600; }
.readiness-notconfigured { color: #9a6700; font-weight: 600; }
.readiness-unknown { color: #57606a; font-weight: 600; }
.hidden-col { display: none; }
.list th, .list td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
details.host { border: 1px solid #d0d7de; border-radius: 6px; margin: .5rem 0; padding: .25rem .75rem; }
details.host > summary { cursor: pointer; font-weight: 600; padding: .25rem 0; }
details.host[open] > summary { border-bottom: 1px solid #d0d7de; margin-bottom: .5rem; }
.finding { border-left: 4px solid #d0d7de; padding: .25rem .75rem; margin: .5rem 0; }
.finding.r-border-Failed { border-left-color: #c62828; }
.finding.r-border-PassedWithWarning { border-left-color: #ffb300; }
.finding.r-border-Information { border-left-color: #1565c0; }
.finding.r-border-Skipped { border-left-color: #bdbdbd; }
.finding.r-border-Passed { border-left-color: #2e7d32; }
.finding h4 { margin: .1rem 0; font-size: 13px; }
.finding dl, dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .25rem 0; }
.finding dt, dl.facts dt { color: #57606a; }
.finding dd, dl.facts dd { margin: 0; }
#help { margin: .5rem 0; }
#help ul { margin: .25rem 0; }
@media print { .filters, #help { display: none; } details.host { break-inside: avoid; } .matrix th { position: static; } }
"""

_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("hrw-report-data").textContent);
  var results = data.results;
  var readinessOrder = data.readiness_order;
  var table = document.getElementById("matrix");
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var groupCount = data.groups.length;
  var fHost = document.getElementById("filter-host");
  var fGroup = document.getElementById("filter-group");
  var fRule = document.getElementById("filter-rule");
  var fResult = document.getElementById("filter-result");
  var count = document.getElementById("filter-count");

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\]/g, "\\$&");
  }
  function rank(result) {
    var i = results.indexOf(result);
    return i < 0 ? results.length : i;
  }
  function worstKey(row) {
    // hosts that were not diagnosed first (unknown state), then worst CheckResult first
    if (row.getAttribute("data-status") !== "diagnosed") { return -1; }
    return rank(row.getAttribute("data-worst"));
  }
  function readinessKey(row) {
    var i = readinessOrder.indexOf(row.getAttribute("data-readiness"));
    return i < 0 ? readinessOrder.length : i;
  }
  function groupKey(row, group) {
    var cell = row.querySelector('td[data-group="' + cssEscape(group) + '"]');
    if (!cell) { return -1; }  // not diagnosed: first, as in the worst column
    return rank(cell.getAttribute("data-result"));
  }
  function hostName(row) { return row.getAttribute("data-host"); }
  function compareHosts(a, b) {
    var x = hostName(a), y = hostName(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }

  var sortState = {key: null, dir: 1};
  function sortBy(key) {
    sortState.dir = sortState.key === key ? -sortState.dir : 1;
    sortState.key = key;
    var keyOf;
    if (key === "host") { keyOf = null; }
    else if (key === "worst") { keyOf = worstKey; }
    else if (key === "readiness") { keyOf = readinessKey; }
    else { var g = key.slice(6); keyOf = function (row) { return groupKey(row, g); }; }
    var sorted = rows.slice().sort(function (a, b) {
      var c = keyOf ? keyOf(a) - keyOf(b) : 0;
      if (c === 0 && !keyOf) { c = compareHosts(a, b); }
      if (c !== 0) { return c * sortState.dir; }
      return compareHosts(a, b);  // ties: by host name, always A to Z
    });
    sorted.forEach(function (row) { tbody.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-sort-key]"), function (th) {
      if (th.getAttribute("data-sort-key") === key) {
        th.setAttribute("aria-sort", sortState.dir === 1 ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
  }
  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-sort-key]"), function (th) {
    th.addEventListener("click", function () { sortBy(th.getAttribute("data-sort-key")); });
  });

  function ruleMatches(host, ruleText, group, result) {
    var found = false;
    host.rules.forEach(function (r) {
      if (r.id.toLowerCase().indexOf(ruleText) < 0) { return; }
      if (group && r.group !== group) { return; }
      if (result ? r.result === result : r.result !== "Passed") { found = true; }
    });
    return found;
  }
  function resultMatches(row, result, group) {
    if (result === "not_diagnosed") { return row.getAttribute("data-status") !== "diagnosed"; }
    if (group) {
      var cell = row.querySelector('td[data-group="' + cssEscape(group) + '"]');
      return !!cell && cell.getAttribute("data-result") === result;
    }
    if (row.getAttribute("data-worst") === result) { return true; }
    return !!row.querySelector('td[data-group][data-result="' + cssEscape(result) + '"]');
  }

  function applyFilters() {
    var hostText = fHost.value.trim().toLowerCase();
    var group = fGroup.value;
    var ruleText = fRule.value.trim().toLowerCase();
    var result = fResult.value;
    var visible = {};
    var shown = 0;
    rows.forEach(function (row) {
      var idx = row.getAttribute("data-host-idx");
      var host = data.hosts[Number(idx)];
      var ok = true;
      if (hostText && hostName(row).toLowerCase().indexOf(hostText) < 0) { ok = false; }
      if (ok && ruleText) {
        if (result === "not_diagnosed") { ok = false; }
        else { ok = ruleMatches(host, ruleText, group, result); }
      } else if (ok && result) {
        ok = resultMatches(row, result, group);
      }
      row.hidden = !ok;
      visible[idx] = ok;
      if (ok) { shown += 1; }
    });
    // the host's details and readiness row follow its matrix row
    Array.prototype.forEach.call(document.querySelectorAll("[data-host-idx]:not(tr[data-host])"), function (el) {
      el.hidden = !visible[el.getAttribute("data-host-idx")];
    });
    // the group filter hides the other group columns
    Array.prototype.forEach.call(table.querySelectorAll("th[data-group], td[data-group]"), function (el) {
      el.classList.toggle("hidden-col", !!group && el.getAttribute("data-group") !== group);
    });
    Array.prototype.forEach.call(table.querySelectorAll("td.reason"), function (el) {
      el.colSpan = group ? 1 : Math.max(groupCount, 1);
    });
    count.textContent = shown + " of " + rows.length + " hosts shown";
  }
  [fHost, fRule].forEach(function (el) { el.addEventListener("input", applyFilters); });
  [fGroup, fResult].forEach(function (el) { el.addEventListener("change", applyFilters); });
  document.getElementById("filter-clear").addEventListener("click", function () {
    fHost.value = ""; fGroup.value = ""; fRule.value = ""; fResult.value = "";
    applyFilters();
  });

  function openFromHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") {
      el.hidden = false;
      el.open = true;
      el.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openFromHash);
  document.documentElement.setAttribute("data-ready", "1");
  applyFilters();
  openFromHash();
}());
"""

_HELP = """<details id="help"><summary>How to read, sort and filter this page</summary>
<ul>
<li>Each row is a host; each group column shows the worst result of that host's checks in the group
(blank: no check of that group ran on the host). <em>Worst</em> is the worst result over all its checks.</li>
<li>Hosts that were unreachable, whose diagnosis failed or that did not run are rows too, with the reason
across the group columns; they are never left out.</li>
<li>Readiness follows update-agent-issues.md (Ready, Disconnected, Not configured) from local evidence only:
the portal's &quot;last seen&quot; cannot be read on the host, so it may be Unknown. The reason is in the
readiness table and in the host's details.</li>
<li>Click a column header to sort: host names A to Z, the other columns worst first (hosts that were not
diagnosed first); click again to reverse. Ties are by host name.</li>
<li><b>Host</b>: shows hosts whose name contains the text (case-insensitive).</li>
<li><b>Group</b>: shows only that group&#x27;s column; the rule and result filters then look at that group only.</li>
<li><b>Rule</b>: shows hosts with a check whose RuleId contains the text (case-insensitive) and whose result is
not Passed (so it names a problem, a warning, information or a skip); with a result chosen, hosts where such a
check has exactly that result (e.g. rule <code>ClockSkew</code> + <em>Passed</em>). Fleet findings count for
every host they name. Hosts that were not diagnosed have no checks, so a rule filter hides them.</li>
<li><b>Result</b>: shows hosts whose worst result or any group cell is that result (with a group chosen: that
group&#x27;s cell); <em>Not diagnosed</em> shows the unreachable, failed and not-run hosts.</li>
<li>Filters combine (all must match). The details and the readiness rows of hidden hosts are hidden too.</li>
</ul></details>"""


def _host_rules(host, fleet_findings):
    """[{id, group, result}] of one host (its findings, plus the fleet findings naming it)."""
    rules = []
    for finding in host.get("findings") or []:
        rules.append({"id": str(finding.get("RuleId") or ""), "group": str(finding.get("RuleGroupId") or ""),
                      "result": str(finding.get("CheckResult") or "")})
    name = host.get("name")
    for finding in fleet_findings:
        if name in (finding.get("hosts") or []):
            rules.append({"id": str(finding.get("RuleId") or ""), "group": str(finding.get("RuleGroupId") or ""),
                          "result": str(finding.get("CheckResult") or "")})
    return rules


def _header(report, title):
    collection = report.get("collection") or {}
    totals = report.get("totals") or {}
    by_status = totals.get("by_status") or {}
    hosts_by_worst = totals.get("hosts_by_worst") or {}
    readiness = totals.get("readiness") or {}
    by_result = totals.get("by_result") or {}
    out = ['<header>', '<h1>%s</h1>' % _text(title)]
    out.append('<p class="meta">Generated <time id="generated-at" datetime="%s">%s</time> by %s %s</p>' % (
        _text(report.get("generated_at")), _text(report.get("generated_at")),
        _text(collection.get("name") or "azure_hrw.doctor"), _text(collection.get("version") or "")))
    out.append('<ul class="totals" id="totals">')
    out.append('<li data-total="hosts"><b>%s</b> hosts</li>' % _text(totals.get("hosts", len(report.get("hosts") or []))))
    for status in STATUSES:
        if status in by_status or status != "not_run":
            out.append('<li data-total="status-%s"><b>%s</b> %s</li>' % (
                _text(status), _text(by_status.get(status, 0)), _text(status.replace("_", " "))))
    for result in RESULTS:
        out.append('<li data-total="worst-%s"><span class="badge %s">%s</span> worst on <b>%s</b> hosts</li>' % (
            _text(result), _result_class(result), _text(SHORT[result]), _text(hosts_by_worst.get(result, 0))))
    for state in ("Ready", "Disconnected", "Not configured", "Unknown"):
        out.append('<li data-total="readiness-%s"><b>%s</b> %s</li>' % (
            _text(state), _text(readiness.get(state, 0)), _text(state)))
    out.append('</ul>')
    if by_result:
        parts = ", ".join("%s %s" % (_text(by_result.get(r, 0)), _text(LABELS[r])) for r in RESULTS)
        out.append('<p class="meta" id="checks-total">Checks over all hosts: %s.</p>' % parts)
    out.append('</header>')
    return "\n".join(out)


def _legend():
    items = ['<li><span class="badge %s">%s</span> %s</li>' % (_result_class(r), SHORT[r], LABELS[r]) for r in RESULTS]
    items.append('<li><span class="badge r-none">&nbsp;</span> no check in that group</li>')
    items.append('<li><span class="status">unreachable</span> not diagnosed (reason in the row)</li>')
    return '<ul class="legend" id="legend">%s</ul>' % "".join(items)


def _filters(groups, rule_ids):
    out = ['<div class="filters" role="search">']
    out.append('<label for="filter-host">Host<input id="filter-host" type="search" placeholder="name contains" autocomplete="off"></label>')
    options = ['<option value="">all groups</option>']
    options += ['<option value="%s">%s</option>' % (_text(g["id"]), _text(g["name"])) for g in groups]
    out.append('<label for="filter-group">Group<select id="filter-group">%s</select></label>' % "".join(options))
    out.append('<label for="filter-rule">Rule<input id="filter-rule" type="search" list="rule-ids" '
               'placeholder="RuleId contains" autocomplete="off"></label>')
    out.append('<datalist id="rule-ids">%s</datalist>' % "".join('<option value="%s"></option>' % _text(r) for r in rule_ids))
    options = ['<option value="">any result</option>']
    options += ['<option value="%s">%s</option>' % (r, LABELS[r]) for r in RESULTS]
    options.append('<option value="%s">Not diagnosed</option>' % NOT_DIAGNOSED)
    out.append('<label for="filter-result">Result<select id="filter-result">%s</select></label>' % "".join(options))
    out.append('<button type="button" id="filter-clear">Clear filters</button>')
    out.append('<span class="muted" id="filter-count" aria-live="polite"></span>')
    out.append('</div>')
    return "\n".join(out)


def _matrix(hosts, groups):
    out = ['<table class="matrix" id="matrix">', '<thead><tr>']
    out.append('<th data-sort-key="host" scope="col"><button type="button">Host</button></th>')
    for group in groups:
        out.append('<th data-sort-key="group:%s" data-group="%s" scope="col" title="%s"><button type="button">%s</button></th>' % (
            _text(group["id"]), _text(group["id"]), _text(group["id"]), _text(group["name"])))
    out.append('<th data-sort-key="readiness" scope="col"><button type="button">Readiness</button></th>')
    out.append('<th data-sort-key="worst" scope="col"><button type="button">Worst</button></th>')
    out.append('</tr></thead>')
    out.append('<tbody>')
    for idx, host in enumerate(hosts):
        status = host.get("status") or "not_run"
        worst = host.get("worst") if status == "diagnosed" else None
        state, reason, _evidence = _readiness(host)
        out.append('<tr data-host="%s" data-host-idx="%d" data-status="%s" data-worst="%s" data-readiness="%s">' % (
            _text(host.get("name")), idx, _text(status), _text(_result_value(worst)), _text(state)))
        platform = " ".join(p for p in (host.get("platform"), host.get("worker_generation")) if p)
        out.append('<td class="host"><a href="#host-%d">%s</a>%s</td>' % (
            idx, _text(host.get("name")), (' <span class="muted">%s</span>' % _text(platform)) if platform else ""))
        if status == "diagnosed":
            cells = host.get("cells") or {}
            for group in groups:
                value = cells.get(group["id"])
                out.append('<td class="cell %s" data-group="%s" data-result="%s" title="%s: %s">%s</td>' % (
                    _result_class(value) if value else "r-none", _text(group["id"]), _text(_result_value(value)),
                    _text(group["name"]), _text(value or "no check"), _text(SHORT.get(value, value or ""))))
        else:
            out.append('<td class="reason" colspan="%d"><span class="status">%s</span> %s</td>' % (
                max(len(groups), 1), _text(status.replace("_", " ")), _text(host.get("reason") or "no reason given")))
        out.append('<td class="readiness readiness-%s" title="%s">%s</td>' % (
            READINESS_CLASS.get(state, "unknown"), _text(reason), _text(state)))
        if worst:
            out.append('<td class="worst cell %s" data-result="%s">%s</td>' % (
                _result_class(worst), _text(worst), _text(SHORT.get(worst, worst))))
        elif status == "diagnosed":
            out.append('<td class="worst cell r-none" data-result="none"></td>')
        else:
            out.append('<td class="worst"><span class="status">%s</span></td>' % _text(status.replace("_", " ")))
        out.append('</tr>')
    out.append('</tbody></table>')
    return "\n".join(out)


def _remediation(remediation):
    remediation = remediation or {}
    out = []
    if remediation.get("action"):
        out.append('<dt>Repair action</dt><dd><code class="action">%s</code> '
                   '<span class="muted">(the action id of the coming repair module hrw_repair; until it ships, '
                   'use the manual step)</span></dd>' % _text(remediation["action"]))
    if remediation.get("manual"):
        out.append('<dt>Manual step</dt><dd class="manual">%s</dd>' % _text(remediation["manual"]))
    return "".join(out)


def _finding(finding, idx_by_name=None):
    check_result = finding.get("CheckResult")
    out = ['<article class="finding r-border-%s" data-rule="%s" data-result="%s">' % (
        _text(check_result if check_result in COLOURS else "unknown"), _text(finding.get("RuleId")), _text(check_result))]
    out.append('<h4>%s <code>%s</code> %s</h4>' % (
        _badge(check_result), _text(finding.get("RuleId")), _text(finding.get("RuleName") or "")))
    out.append('<dl>')
    out.append('<dt>Result</dt><dd>%s <span class="muted">%s</span></dd>' % (
        _text(check_result), _text(finding.get("CheckResultMessageId"))))
    out.append('<dt>Message</dt><dd class="message">%s</dd>' % _text(finding.get("CheckResultMessage")))
    if finding.get("RuleGroupName") or finding.get("RuleGroupId"):
        out.append('<dt>Group</dt><dd>%s</dd>' % _text(finding.get("RuleGroupName") or finding.get("RuleGroupId")))
    if idx_by_name is not None:
        links = []
        for name in finding.get("hosts") or []:
            if name in idx_by_name:
                links.append('<a href="#host-%d">%s</a>' % (idx_by_name[name], _text(name)))
            else:
                links.append(_text(name))
        out.append('<dt>Hosts</dt><dd class="hosts">%s</dd>' % (", ".join(links) or "none"))
    out.append(_remediation(finding.get("remediation")))
    if finding.get("scenario"):
        out.append('<dt>Scenario</dt><dd class="scenario">%s</dd>' % _text(finding.get("scenario")))
    evidence = finding.get("evidence")
    if evidence not in (None, {}, []):
        out.append('<dt>Evidence</dt><dd><pre class="evidence">%s</pre></dd>' % _text(pretty_json(evidence)))
    out.append('</dl></article>')
    return "".join(out)


def _host_details(idx, host, fleet_findings=()):
    status = host.get("status") or "not_run"
    state, reason, evidence = _readiness(host)
    summary = host.get("summary") or {}
    findings = _worst_first(host.get("findings") or [])
    out = ['<details class="host" id="host-%d" data-host-idx="%d">' % (idx, idx)]
    head = [_text(host.get("name"))]
    if status != "diagnosed":
        head.append('<span class="status">%s</span>' % _text(status.replace("_", " ")))
    else:
        head.append(_badge(host.get("worst")))
    head.append('<span class="readiness-%s">%s</span>' % (READINESS_CLASS.get(state, "unknown"), _text(state)))
    if summary.get("total") is not None:
        head.append('<span class="muted">%s</span>' % _text(", ".join(
            "%s %s" % (summary.get(r, 0), SHORT[r]) for r in RESULTS if summary.get(r))))
    out.append('<summary>%s</summary>' % " ".join(h for h in head if h))
    out.append('<dl class="facts">')
    out.append('<dt>Status</dt><dd>%s</dd>' % _text(status))
    if host.get("reason"):
        out.append('<dt>Reason</dt><dd class="reason-text">%s</dd>' % _text(host.get("reason")))
    if host.get("platform") or host.get("worker_generation"):
        out.append('<dt>Platform</dt><dd>%s %s</dd>' % (_text(host.get("platform")), _text(host.get("worker_generation"))))
    out.append('<dt>Readiness</dt><dd>%s: %s</dd>' % (_text(state), _text(reason)))
    out.append('</dl>')
    if evidence:
        out.append('<details><summary>Readiness evidence</summary><pre class="evidence">%s</pre></details>' % _text(pretty_json(evidence)))
    if host.get("repair") is not None:
        out.append('<h3>Repair</h3><pre class="repair">%s</pre>' % _text(pretty_json(host.get("repair"))))
    problems = [f for f in findings if f.get("CheckResult") != "Passed"]
    passed = [f for f in findings if f.get("CheckResult") == "Passed"]
    if status == "diagnosed":
        out.append('<h3>Findings</h3>')
        out.extend(_finding(f) for f in problems)
        if not problems:
            out.append('<p class="muted">Nothing but passed checks.</p>')
        if passed:
            out.append('<details class="passed"><summary>%d passed checks</summary>%s</details>' % (
                len(passed), "".join(_finding(f) for f in passed)))
    # Fleet findings that name this host count in its row: show them here too, with their fix,
    # so a host painted red by a cross-host rule says why.
    mine = [f for f in _worst_first(report_model.findings_naming(fleet_findings, host.get("name")))
            if f.get("CheckResult") != "Passed"]
    if mine:
        out.append('<div class="host-fleet"><h3>Fleet findings naming this host</h3>%s</div>'
                   % "".join(_finding(f) for f in mine))
    out.append('</details>')
    return "\n".join(out)


def _readiness_table(hosts):
    out = ['<table class="list" id="readiness"><thead><tr><th scope="col">Host</th><th scope="col">Readiness</th>'
           '<th scope="col">Why</th></tr></thead><tbody>']
    for idx, host in enumerate(hosts):
        state, reason, _evidence = _readiness(host)
        out.append('<tr data-host-idx="%d" data-readiness="%s"><td><a href="#host-%d">%s</a></td>'
                   '<td class="readiness-%s">%s</td><td>%s</td></tr>' % (
                       idx, _text(state), idx, _text(host.get("name")), READINESS_CLASS.get(state, "unknown"),
                       _text(state), _text(reason)))
    out.append('</tbody></table>')
    return "\n".join(out)


def _fleet(fleet_findings, idx_by_name):
    if not fleet_findings:
        return '<p class="muted">No fleet finding (fleet rules need the facts of at least two hosts).</p>'
    return "\n".join(_finding(f, idx_by_name) for f in _worst_first(fleet_findings))


def render_html(report):
    """The report (``report_schema: 1``) as one self-contained HTML5 page (a str)."""
    title = report.get("title") or "Hybrid Runbook Worker fleet"
    hosts = list(report.get("hosts") or [])
    fleet_findings = list(report.get("fleet_findings") or [])
    groups = [{"id": str(g.get("id")), "name": str(g.get("name") or g.get("id"))} for g in report.get("groups") or []]
    idx_by_name = dict((h.get("name"), i) for i, h in enumerate(hosts))
    rule_ids = sorted(set(str(f.get("RuleId")) for h in hosts for f in (h.get("findings") or []) if f.get("RuleId"))
                      | set(str(f.get("RuleId")) for f in fleet_findings if f.get("RuleId")))
    data = {
        "results": list(RESULTS),
        "readiness_order": list(READINESS_ORDER),
        "groups": [g["id"] for g in groups],
        "hosts": [{"name": h.get("name"), "rules": _host_rules(h, fleet_findings)} for h in hosts],
    }
    policy = "default-src 'none'; style-src %s; script-src %s; img-src data:; base-uri 'none'; form-action 'none'" % (
        _sha256(_CSS), _sha256(_JS))
    body = [
        _header(report, title),
        '<main>',
        '<h2 id="matrix-title">Fleet matrix</h2>',
        _legend(),
        _filters(groups, rule_ids),
        _HELP,
        '<noscript><p class="muted">Sorting and filtering need JavaScript; everything else is shown.</p></noscript>',
        _matrix(hosts, groups),
        '<h2 id="fleet-title">Fleet findings</h2>',
        '<section id="fleet">%s</section>' % _fleet(fleet_findings, idx_by_name),
        '<h2 id="readiness-title">Readiness</h2>',
        _readiness_table(hosts),
        '<h2 id="details-title">Hosts</h2>',
        '<section id="details">%s</section>' % "\n".join(_host_details(i, h, report.get("fleet_findings")) for i, h in enumerate(hosts)),
        '</main>',
    ]
    return "".join([
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta http-equiv="Content-Security-Policy" content="%s">\n' % _text(policy),
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="generator" content="azure_hrw.doctor hrw_report">\n',
        '<title>%s</title>\n' % _text(title),
        '<style>%s</style>\n' % _CSS,
        '</head>\n<body>\n',
        "\n".join(body),
        '\n<script type="application/json" id="hrw-report-data">%s</script>\n' % json_for_script(data),
        '<script>%s</script>\n' % _JS,
        '</body>\n</html>\n',
    ])
