# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as a terminal table and as Markdown (pure, stdlib only, Python 3.8+).

Both render the report dict of report_model.build_report: one row per host, one column
per rule group with the worst result of the host in that group (short labels), the
readiness, and a detail column (why a host was not diagnosed, or which rules failed);
then a totals line and the fleet findings that did not pass.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import report_model

LABELS = {
    "Passed": "OK",
    "PassedWithWarning": "WARN",
    "Failed": "FAIL",
    "Information": "INFO",
    "Skipped": "SKIP",
    None: "-",
}
STATUS_LABELS = {"unreachable": "UNREACHABLE", "failed": "ERROR", "not_run": "NOT RUN"}
DETAIL_MAX = 160

# C0/C1 control characters (and DEL) from host evidence would garble a terminal.
_CONTROL = re.compile(u"[\u0000-\u001f\u007f-\u009f]+")


def clean(text, limit=None):
    """One line: control characters and runs of blanks become one space; cut at ``limit``."""
    line = " ".join(_CONTROL.sub(" ", u"" if text is None else str(text)).split())
    if limit and len(line) > limit:
        line = line[:limit - 3].rstrip() + "..."
    return line


def label(check_result):
    return LABELS.get(check_result, str(check_result))


def _result_label(host):
    if host["status"] != "diagnosed":
        return STATUS_LABELS.get(host["status"], host["status"].upper())
    return label(host["worst"])


# Ansible's unreachable message puts the cause last, after this boilerplate: a table row that
# has to be cut keeps the cause ("ssh: connect to host ... Connection refused").
_SSH_BOILERPLATE = re.compile(r"^.*?Make sure this host can be reached over ssh: ", re.DOTALL)


def short_reason(reason):
    """The reason a host was not diagnosed, without Ansible's boilerplate before the cause."""
    return _SSH_BOILERPLATE.sub("", reason or "")


def _detail(host, report):
    if host["status"] != "diagnosed":
        return short_reason(host.get("reason"))
    # the fleet findings that name the host count in its row: say which, so a red row says why
    findings = list(host["findings"]) + report_model.findings_naming(report.get("fleet_findings"), host["name"])
    failed = [f.get("RuleId") for f in findings if f.get("CheckResult") == "Failed"]
    warned = [f.get("RuleId") for f in findings if f.get("CheckResult") == "PassedWithWarning"]
    parts = []
    if failed:
        parts.append("failed: %s" % ", ".join(str(r) for r in failed))
    if warned:
        parts.append("warning: %s" % ", ".join(str(r) for r in warned))
    return "; ".join(parts)


def _rows(report):
    """Header and rows as lists of cell strings (not yet escaped or padded)."""
    groups = [g["id"] for g in report["groups"]]
    header = ["HOST", "RESULT"] + groups + ["READINESS", "DETAIL"]
    rows = []
    for host in report["hosts"]:
        rows.append([host["name"], _result_label(host)]
                    + [label(host["cells"].get(g)) for g in groups]
                    + [host["readiness"]["state"], _detail(host, report)])
    return header, rows


def totals_line(report):
    """``3 hosts: 2 diagnosed, 1 unreachable, ... | findings: 4 Failed, ... | readiness: 1 Ready, ...``."""
    totals = report["totals"]
    status = ", ".join("%d %s" % (n, s.replace("_", " ")) for s, n in totals["by_status"].items())
    results = ", ".join("%d %s" % (totals["by_result"].get(r, 0), r) for r in report["results"])
    worst = ", ".join("%d %s" % (totals["hosts_by_worst"].get(r, 0), label(r)) for r in report["results"])
    readiness = ", ".join("%d %s" % (n, s) for s, n in totals["readiness"].items())
    return "%d hosts: %s | worst per host: %s | findings: %s | readiness: %s" % (
        totals["hosts"], status, worst, results, readiness)


def _fleet_lines(report):
    lines = []
    for finding in report["fleet_findings"]:
        if finding.get("CheckResult") in ("Passed", "Skipped"):
            continue
        lines.append("%s %s (%s): %s" % (
            label(finding.get("CheckResult")), finding.get("RuleId"),
            ", ".join(finding.get("hosts") or []) or "no host", finding.get("CheckResultMessage") or ""))
    return lines


def render_table(report):
    """The terminal table (plain text, one line per host, columns padded with spaces)."""
    header, rows = _rows(report)
    rows = [[clean(c, DETAIL_MAX) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header) - 1)]

    def line(cells):
        return "  ".join([c.ljust(w) for c, w in zip(cells[:-1], widths)] + [cells[-1]]).rstrip()

    out = [clean(report["title"]), "generated %s by %s %s" % (
        report["generated_at"], report["collection"]["name"], report["collection"]["version"]), ""]
    out.append(line(header))
    out.append(line(["-" * w for w in widths] + ["-" * len(header[-1])]))
    out.extend(line(r) for r in rows)
    out.append("")
    out.append(clean(totals_line(report)))
    fleet = _fleet_lines(report)
    if fleet:
        out.append("")
        out.append("Fleet findings:")
        out.extend("  " + clean(f, DETAIL_MAX * 2) for f in fleet)
    return "\n".join(out) + "\n"


_MD_SPECIAL = re.compile(r"([\\|`*_\[\]<>#])")


def md_escape(text):
    """One Markdown table cell: one line, with the characters that would end the cell or
    turn into markup (``| \\ ` * _ [ ] < > #``) backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text))


def render_markdown(report):
    """The same table in GitHub pipe syntax, with a title, the totals and the fleet findings."""
    header, rows = _rows(report)
    out = ["# %s" % md_escape(report["title"]), "",
           "Generated %s by %s %s." % (md_escape(report["generated_at"]), report["collection"]["name"],
                                       md_escape(report["collection"]["version"])), ""]
    out.append("| " + " | ".join(md_escape(c) for c in header) + " |")
    out.append("|" + "|".join(" --- " for dummy in header) + "|")
    for row in rows:
        out.append("| " + " | ".join(md_escape(c) or " " for c in row) + " |")
    out.append("")
    out.append("**Totals:** %s" % md_escape(totals_line(report)))
    fleet = _fleet_lines(report)
    if fleet:
        out.append("")
        out.append("## Fleet findings")
        out.append("")
        out.extend("- %s" % md_escape(f) for f in fleet)
    return "\n".join(out) + "\n"
