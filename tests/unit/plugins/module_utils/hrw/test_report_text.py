# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report_text: the terminal table and the Markdown table of the fleet report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import report_model, report_text
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import report_data


def build(host_results=None, fleet=None):
    return report_model.build_report(report_data.host_results() if host_results is None else host_results,
                                     fleet or [], report_data.GENERATED_AT, "My fleet", "0.1.0")


def table_rows(text, report):
    """``{host: [cells]}`` of the terminal table, split on the header's column starts."""
    lines = text.splitlines()
    header_at = [i for i, line in enumerate(lines) if line.startswith("HOST ")][0]
    header = lines[header_at]
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    rows = {}
    for line in lines[header_at + 2:header_at + 2 + len(report["hosts"])]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows[cells[0]] = cells
    return header.split(), rows


def test_the_table_has_a_row_per_host_with_the_worst_result_per_group():
    report = build()
    text = report_text.render_table(report)
    header, rows = table_rows(text, report)
    groups = [g["id"] for g in report["groups"]]
    assert header == ["HOST", "RESULT"] + groups + ["READINESS", "DETAIL"]
    assert sorted(rows) == sorted(h["name"] for h in report["hosts"])
    for host in report["hosts"]:
        cells = rows[host["name"]]
        if host["status"] == "diagnosed":
            assert cells[1] == report_text.LABELS[host["worst"]]
            assert cells[2:2 + len(groups)] == [report_text.LABELS[host["cells"][g]] for g in groups]
        else:
            assert cells[2:2 + len(groups)] == ["-"] * len(groups)
        assert cells[2 + len(groups)] == host["readiness"]["state"]
    assert rows["win-agent-stopped"][1] == "FAIL"
    assert "failed: MonitoringAgentServiceRunningCheck" in rows["win-agent-stopped"][-1]


def test_hosts_not_diagnosed_are_rows_with_their_reason():
    report = build()
    dummy, rows = table_rows(report_text.render_table(report), report)
    assert rows["down"][1] == "UNREACHABLE"
    assert rows["down"][-1] == report_data.UNREACHABLE_MSG
    assert rows["broken"][1] == "ERROR"
    assert rows["broken"][-1] == report_data.FAILED_MSG
    assert rows["never"][1] == "NOT RUN"
    assert rows["never"][-1] == "no registered result"


def test_labels():
    assert [report_text.label(r) for r in ("Passed", "PassedWithWarning", "Failed", "Information", "Skipped", None)] == [
        "OK", "WARN", "FAIL", "INFO", "SKIP", "-"]


def test_totals_line():
    report = build()
    line = report_text.totals_line(report)
    totals = report["totals"]
    assert line.startswith("7 hosts: 4 diagnosed, 1 unreachable, 1 failed, 1 not run | ")
    assert "%d Failed" % totals["by_result"]["Failed"] in line
    assert "%d Passed" % totals["by_result"]["Passed"] in line
    assert "readiness: 4 Ready, 0 Disconnected, 0 Not configured, 3 Unknown" in line
    assert line in report_text.render_table(report)


def test_control_characters_and_long_reasons_do_not_break_the_table():
    results = report_data.host_results()
    results[1]["reason"] = "ssh said \x1b[31mno\x1b[0m\r\nand\tthen " + "x" * 500
    report = build(results)
    text = report_text.render_table(report)
    assert "\x1b" not in text and "\r" not in text and "\t" not in text
    down = [line for line in text.splitlines() if line.startswith("down ")][0]
    assert "ssh said [31mno [0m and then xxx" in down
    assert down.endswith("...") and len(down.split("  ")[-1]) <= report_text.DETAIL_MAX


def test_fleet_findings_that_did_not_pass_are_listed():
    report = build(fleet=[report_data.fleet_finding("Failed"),
                          report_data.fleet_finding("Passed", rule_id="Fleet.DuplicateNameCheck")])
    text = report_text.render_table(report)
    assert "Fleet findings:" in text
    assert "FAIL Fleet.ClonedMachineCheck (win-healthy, win-agent-stopped): Hosts share the machine GUID" in text
    assert "Fleet.DuplicateNameCheck" not in text
    assert "Fleet findings" not in report_text.render_table(build())


def md_cells(line):
    """Split a Markdown table row on the pipes that are not backslash-escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_markdown_is_the_same_table_in_pipe_syntax():
    report = build()
    text = report_text.render_markdown(report)
    lines = text.splitlines()
    assert lines[0] == "# My fleet"
    rows = [line for line in lines if line.startswith("|")]
    header = md_cells(rows[0])
    assert header[0] == "HOST" and header[-2:] == ["READINESS", "DETAIL"]
    assert set(md_cells(rows[1])) == {"---"}
    assert len(rows) == 2 + len(report["hosts"])
    widths = set(len(md_cells(r)) for r in rows)
    assert widths == {len(header)}
    body = dict((md_cells(r)[0].replace("\\", ""), md_cells(r)) for r in rows[2:])
    assert sorted(body) == sorted(h["name"] for h in report["hosts"])
    assert body["down"][1] == "UNREACHABLE"
    assert body["win-agent-stopped"][1] == "FAIL"
    assert any(line.startswith("**Totals:** 7 hosts") for line in lines)


def test_markdown_escapes_what_would_break_the_table_or_become_markup():
    results = report_data.host_results()
    results[1]["reason"] = "a | b <script>alert(1)</script> *bold* [link](x) `code`\nsecond"
    report = build(results)
    lines = report_text.render_markdown(report).splitlines()
    row = [line for line in lines if line.startswith("| down ")][0]
    cells = md_cells(row)
    assert len(cells) == len(md_cells(lines[4]))
    assert cells[-1] == r"a \| b \<script\>alert(1)\</script\> \*bold\* \[link\](x) \`code\` second"
    assert "<script>" not in "\n".join(lines)


def test_the_cause_of_an_unreachable_host_survives_a_cut_row():
    # ansible-core 2.19 puts its advice first and the cause last; the row keeps the cause.
    reason = ('Task failed: Data could not be sent to remote host "127.1.1.22". Make sure this host can be '
              'reached over ssh: ssh: connect to host 127.1.1.22 port 22: Connection refused')
    assert report_text.short_reason(reason) == "ssh: connect to host 127.1.1.22 port 22: Connection refused"
    assert report_text.short_reason(report_data.UNREACHABLE_MSG) == report_data.UNREACHABLE_MSG
    assert report_text.short_reason(None) == ""


def test_a_row_made_red_by_a_fleet_finding_names_it():
    report = build(fleet=[report_data.fleet_finding("Failed", hosts=["win-healthy"])])
    dummy, rows = table_rows(report_text.render_table(report), report)
    assert "Fleet.ClonedMachineCheck" in rows["win-healthy"][-1]
    assert "Fleet.ClonedMachineCheck" not in rows["hrw-linux"][-1]
