# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report_junit: JUnit XML of the fleet report, validated against the checked-in JUnit XSD
(tests/unit/fixtures/schemas/junit.xsd, Jenkins xUnit's junit-10.xsd)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import xml.etree.ElementTree as ET

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import report_junit, report_model
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import report_data


def build(host_results=None, fleet=None):
    return report_model.build_report(report_data.host_results() if host_results is None else host_results,
                                     fleet or [], report_data.GENERATED_AT, "My fleet", "0.1.0")


def suites(xml_text):
    root = ET.fromstring(xml_text)
    return root, dict((s.get("name"), s) for s in root.findall("testsuite"))


def test_validates_against_the_junit_xsd():
    xml_text = report_junit.render_junit(build(fleet=[report_data.fleet_finding()]))
    assert xml_text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert report_data.junit_errors(xml_text) == []


def test_the_xsd_check_can_fail():
    xml_text = report_junit.render_junit(build())
    broken = xml_text.replace('<testcase classname="win-healthy.prerequisites"', '<testcase bogus="1" classname="x"', 1)
    assert broken != xml_text
    assert report_data.junit_errors(broken)


def test_one_suite_per_host_and_one_case_per_rule():
    report = build()
    root, by_name = suites(report_junit.render_junit(report))
    assert [s.get("name") for s in root.findall("testsuite")] == [h["name"] for h in report["hosts"]]
    for host in report["hosts"]:
        suite = by_name[host["name"]]
        cases = suite.findall("testcase")
        if host["status"] != "diagnosed":
            continue
        assert [(c.get("classname"), c.get("name")) for c in cases] == [
            ("%s.%s" % (host["name"], f["RuleGroupId"]), f["RuleId"]) for f in host["findings"]]
        results = [f["CheckResult"] for f in host["findings"]]
        assert suite.get("tests") == str(len(results))
        assert suite.get("failures") == str(results.count("Failed"))
        assert suite.get("skipped") == str(results.count("Skipped"))
        assert suite.get("errors") == "0"
    assert root.get("tests") == str(sum(int(s.get("tests")) for s in by_name.values()))
    assert root.get("failures") == str(report["totals"]["by_result"]["Failed"])
    assert root.get("errors") == "3"


def test_failed_skipped_and_warning_findings():
    results = report_data.host_results()
    linux = results[2]
    assert linux["name"] == "hrw-linux"
    linux["findings"][0].update(CheckResult="PassedWithWarning", CheckResultMessage="Disk almost full",
                                CheckResultMessageId="Linux.X.PassedWithWarning.Disk", evidence={"free_mb": 12},
                                remediation={"action": "clean_disk", "manual": None})
    linux["findings"][1].update(CheckResult="Failed", CheckResultMessage="Agent down",
                                CheckResultMessageId="Linux.Y.Failed.NotRunning", evidence={"pid": None},
                                remediation={"action": None, "manual": "Start it."})
    report = build(results)
    root, by_name = suites(report_junit.render_junit(report))
    suite = by_name["hrw-linux"]
    cases = suite.findall("testcase")
    warning_case, failed_case = cases[0], cases[1]
    assert warning_case.find("failure") is None
    assert "Disk almost full" in warning_case.find("system-out").text
    assert '"free_mb": 12' in warning_case.find("system-out").text
    assert "Repair action: clean_disk" in warning_case.find("system-out").text
    props = [(p.get("name"), p.get("value")) for p in suite.find("properties")]
    assert ("warning", "%s: Disk almost full" % linux["findings"][0]["RuleId"]) in props
    assert ("status", "diagnosed") in props and ("readiness", "Ready") in props
    failure = failed_case.find("failure")
    assert failure.get("type") == "Linux.Y.Failed.NotRunning"
    assert failure.get("message") == "Agent down"
    assert "Manual step: Start it." in failure.text and '"pid": null' in failure.text
    skipped = [c for c, f in zip(cases, report["hosts"][2]["findings"]) if f["CheckResult"] == "Skipped"]
    assert skipped and all(c.find("skipped") is not None for c in skipped)
    assert all(c.find("skipped").get("message") for c in skipped)


def test_hosts_not_diagnosed_are_one_error_case_with_the_reason():
    report = build()
    root, by_name = suites(report_junit.render_junit(report))
    for name, status, reason in (("down", "unreachable", report_data.UNREACHABLE_MSG),
                                 ("broken", "failed", report_data.FAILED_MSG),
                                 ("never", "not_run", "no registered result")):
        suite = by_name[name]
        cases = suite.findall("testcase")
        assert [(c.get("classname"), c.get("name")) for c in cases] == [(name, "diagnosis")]
        error = cases[0].find("error")
        assert error.get("type") == status and error.get("message") == reason
        assert reason in error.text
        assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")


def test_fleet_findings_are_a_suite_fleet():
    report = build(fleet=[report_data.fleet_finding("Failed"),
                          report_data.fleet_finding("Passed", rule_id="Fleet.DuplicateNameCheck")])
    root, by_name = suites(report_junit.render_junit(report))
    fleet = by_name["fleet"]
    cases = fleet.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("fleet.fleet", "Fleet.ClonedMachineCheck"), ("fleet.fleet", "Fleet.DuplicateNameCheck")]
    failure = cases[0].find("failure")
    assert failure.get("message") == "Hosts share the machine GUID <3f9b> & more"
    assert "Hosts: win-healthy, win-agent-stopped" in failure.text
    assert cases[1].find("failure") is None
    assert "fleet" not in suites(report_junit.render_junit(build()))[1]


def test_control_characters_from_hosts_are_removed_and_markup_is_escaped():
    results = report_data.host_results()
    nasty = "bad\x00\x01\x08\x0b\x0c\x1b[0m\ud800 & <tag> \"quoted\" ]]> \t\nok"
    results[1]["reason"] = nasty
    linux = results[2]
    linux["findings"][1].update(CheckResult="Failed", CheckResultMessage=nasty, evidence={"line": nasty, nasty: [nasty]})
    report = build(results)
    xml_text = report_junit.render_junit(report)
    assert report_data.junit_errors(xml_text) == []
    root, by_name = suites(xml_text)
    expected = "bad[0m & <tag> \"quoted\" ]]> \t\nok"
    failure = by_name["hrw-linux"].findall("testcase")[1].find("failure")
    assert failure.get("message") == expected
    assert "bad[0m & <tag>" in failure.text
    assert by_name["down"].find("testcase/error").get("message") == expected


def test_render_does_not_change_the_report():
    report = build(fleet=[report_data.fleet_finding()])
    before = copy.deepcopy(report)
    report_junit.render_junit(report)
    assert report == before
