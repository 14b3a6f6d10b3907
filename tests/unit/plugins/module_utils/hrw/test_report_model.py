# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report_model.build_report over the recorded facts documents run through the real catalog."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog, report_model
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import GROUPS, SEVERITY_ORDER, worst_result
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import report_data


def build(host_results=None, fleet=None, **kwargs):
    return report_model.build_report(report_data.host_results() if host_results is None else host_results,
                                     [] if fleet is None else fleet, report_data.GENERATED_AT, "Fleet", "0.1.0", **kwargs)


def by_name(report):
    return dict((h["name"], h) for h in report["hosts"])


def test_every_host_appears_sorted_with_its_status_and_reason():
    report = build()
    assert [h["name"] for h in report["hosts"]] == sorted(report_data.registered_results())
    hosts = by_name(report)
    assert {n: h["status"] for n, h in hosts.items()} == {
        "broken": "failed", "down": "unreachable", "never": "not_run", "hrw-linux": "diagnosed",
        "win-healthy": "diagnosed", "win-agent-stopped": "diagnosed", "win-v2-stopped": "diagnosed"}
    assert hosts["down"]["reason"] == report_data.UNREACHABLE_MSG
    assert hosts["broken"]["reason"] == report_data.FAILED_MSG
    for name in ("down", "broken", "never"):
        host = hosts[name]
        assert host["findings"] == [] and host["summary"] is None and host["worst"] is None
        assert set(host["cells"].values()) == {None}
        assert host["readiness"]["state"] == "Unknown"
        assert host["status"].replace("_", " ") in host["readiness"]["reason"]
    assert hosts["hrw-linux"]["reason"] is None


def test_top_level_keys_and_header():
    report = build()
    assert list(report) == ["report_schema", "generated_at", "collection", "title", "groups", "results", "totals",
                            "hosts", "fleet_findings"]
    assert report["report_schema"] == 1
    assert report["generated_at"] == report_data.GENERATED_AT
    assert report["collection"] == {"name": "azure_hrw.doctor", "version": "0.1.0"}
    assert report["results"] == ["Failed", "PassedWithWarning", "Information", "Skipped", "Passed"]
    assert report["results"] == list(SEVERITY_ORDER)


def test_groups_follow_the_catalog_group_order_and_only_groups_with_rules():
    report = build()
    ids = [g["id"] for g in report["groups"]]
    with_rules = set(catalog.group_ids())
    assert [g for g, dummy in GROUPS if g in with_rules] == [i for i in ids if i in with_rules]
    assert set(ids) >= with_rules
    # the fleet group has no per-host rule, but fleet rules: it is a column, after the host groups
    assert ids.index("fleet") > max(ids.index(g) for g in with_rules)
    names = dict(GROUPS)
    assert all(g["name"] == names[g["id"]] for g in report["groups"] if g["id"] in names)


def test_a_group_without_rules_or_findings_is_left_out_and_an_unknown_group_is_appended():
    linux = [h for h in report_data.host_results() if h["name"] == "hrw-linux"][0]
    linux["findings"] = [f for f in linux["findings"] if f["RuleGroupId"] == "servicehealth"]
    linux["findings"][0] = dict(linux["findings"][0], RuleGroupId="custom", RuleGroupName="Custom Checks",
                                CheckResult="PassedWithWarning")
    report = build([linux], rule_groups=[("connectivity", "Connectivity Checks"), ("prerequisites", "P")])
    assert report["groups"] == [{"id": "prerequisites", "name": "Prerequisite Checks"},
                                {"id": "servicehealth", "name": "VM Service Health Checks"},
                                {"id": "connectivity", "name": "Connectivity Checks"},
                                {"id": "custom", "name": "Custom Checks"}]
    assert report["hosts"][0]["cells"]["custom"] == "PassedWithWarning"
    assert report["hosts"][0]["cells"]["connectivity"] is None


def _headline(results):
    """A problem first; else Passed if anything passed; else Information; else Skipped."""
    for wanted in ("Failed", "PassedWithWarning", "Passed", "Information", "Skipped"):
        if wanted in results:
            return wanted
    return None


def test_a_healthy_group_is_passed_despite_information_and_skipped():
    assert worst_result(["Information", "Passed", "Skipped"]) == "Passed"
    assert worst_result(["Information", "Skipped"]) == "Information"
    assert worst_result(["Skipped", None]) == "Skipped"
    assert worst_result(["Passed", "PassedWithWarning", "Information"]) == "PassedWithWarning"
    assert worst_result([None]) is None


def test_cells_and_worst_are_the_worst_result_per_group_of_the_host():
    report = build()
    for host in report["hosts"]:
        if host["status"] != "diagnosed":
            continue
        assert set(host["cells"]) == set(g["id"] for g in report["groups"])
        for gid, cell in host["cells"].items():
            results = [f["CheckResult"] for f in host["findings"] if f["RuleGroupId"] == gid]
            assert cell == (_headline(results) if results else None), (host["name"], gid)
        assert host["worst"] == _headline([f["CheckResult"] for f in host["findings"]])
    hosts = by_name(report)
    assert hosts["win-agent-stopped"]["cells"]["servicehealth"] == "Failed"
    assert hosts["win-agent-stopped"]["worst"] == "Failed"
    assert hosts["win-healthy"]["worst"] != "Failed"


def test_summary_is_the_catalog_summary_of_the_host_findings():
    report = build()
    results = report_data.registered_results()
    for host in report["hosts"]:
        if host["status"] == "diagnosed":
            assert host["summary"] == results[host["name"]]["summary"]
            assert host["findings"] == results[host["name"]]["findings"]


def test_a_fleet_finding_counts_in_the_cells_and_worst_of_the_hosts_it_names():
    report = build(fleet=[report_data.fleet_finding("Failed", hosts=["win-healthy"])],
                   rule_groups=[(r.group_id, r.group_name) for r in catalog.all_rules()] + [("fleet", "Fleet Checks")])
    hosts = by_name(report)
    assert report["groups"][-1] == {"id": "fleet", "name": "Fleet Checks"}
    assert hosts["win-healthy"]["cells"]["fleet"] == "Failed"
    assert hosts["win-healthy"]["worst"] == "Failed"
    assert hosts["hrw-linux"]["cells"]["fleet"] is None
    # its checks pass; Information/Skipped beside them ("not an Azure VM") do not hide that
    assert hosts["hrw-linux"]["worst"] == "Passed"
    # the host's own findings and summary stay those of its diagnosis
    assert all(f["RuleGroupId"] != "fleet" for f in hosts["win-healthy"]["findings"])
    assert report["fleet_findings"][0]["hosts"] == ["win-healthy"]


def test_totals_add_up():
    fleet = [report_data.fleet_finding("Failed"), report_data.fleet_finding("Passed", rule_id="Fleet.DuplicateNameCheck")]
    report = build(fleet=fleet)
    totals = report["totals"]
    assert totals["hosts"] == 7
    assert totals["by_status"] == {"diagnosed": 4, "unreachable": 1, "failed": 1, "not_run": 1}
    expected = dict((r, 0) for r in SEVERITY_ORDER)
    for host in report["hosts"]:
        for f in host["findings"]:
            expected[f["CheckResult"]] += 1
    expected["Failed"] += 1
    expected["Passed"] += 1
    assert totals["by_result"] == expected
    worst = dict((r, 0) for r in SEVERITY_ORDER)
    for host in report["hosts"]:
        if host["worst"]:
            worst[host["worst"]] += 1
    assert totals["hosts_by_worst"] == worst and sum(worst.values()) == 4
    assert totals["readiness"] == {"Ready": 4, "Disconnected": 0, "Not configured": 0, "Unknown": 3}


def test_readiness_is_passed_through_and_an_unknown_state_becomes_unknown():
    results = report_data.host_results()
    results[2]["readiness"] = {"state": "Sleepy", "reason": "odd", "evidence": {"a": [1]}}
    report = build(results)
    assert report["hosts"][2]["readiness"] == {"state": "Unknown", "reason": "odd", "evidence": {"a": [1]}}
    assert report["hosts"][4]["readiness"] == {"state": "Ready", "reason": "test", "evidence": {"x": 1}}


def test_platform_and_worker_generation():
    hosts = by_name(build())
    assert (hosts["hrw-linux"]["platform"], hosts["hrw-linux"]["worker_generation"]) == ("linux", "v1")
    assert (hosts["win-healthy"]["platform"], hosts["win-healthy"]["worker_generation"]) == ("windows", "v1")
    # the V2 extension service rule failed on a host that also has the V1 agent
    assert hosts["win-v2-stopped"]["worker_generation"] == "both"
    assert hosts["down"]["platform"] is None and hosts["down"]["worker_generation"] is None


def test_repair_summary_is_kept():
    results = report_data.host_results()
    results[0]["repair"] = {"status": "ok", "changed": True, "msg": "repaired", "summary": {"cleared": 2}}
    report = build(results)
    assert report["hosts"][0]["repair"] == {"status": "ok", "changed": True, "msg": "repaired", "summary": {"cleared": 2}}
    assert report_data.json_errors(report) == []


def test_inputs_are_not_changed():
    results = report_data.host_results()
    fleet = [report_data.fleet_finding()]
    before = copy.deepcopy((results, fleet))
    report = build(results, fleet)
    report["hosts"][2]["findings"][0]["CheckResult"] = "changed"
    report["fleet_findings"][0]["hosts"].append("x")
    assert (results, fleet) == before


def test_bad_input_is_refused():
    results = report_data.host_results()
    with pytest.raises(ValueError, match="more than once: down"):
        build(results + [dict(results[1])])
    results[0]["status"] = "weird"
    with pytest.raises(ValueError, match="status must be one of diagnosed, unreachable, failed, not_run"):
        build(results)


def test_a_host_not_diagnosed_without_a_reason_still_gets_one():
    report = build([{"name": "x", "status": "failed", "reason": None}])
    assert report["hosts"][0]["reason"] == "no reason given"
    assert report_data.json_errors(report) == []


def test_the_report_validates_against_its_json_schema():
    report = build(fleet=[report_data.fleet_finding(), report_data.fleet_finding("PassedWithWarning", hosts=[])])
    assert report_data.json_errors(report) == []


@pytest.mark.parametrize("breakage, where", [
    (lambda r: r["hosts"][0].update(extra=1), "hosts/0"),
    (lambda r: r["hosts"][3].update(status="ok"), "hosts/3/status"),
    (lambda r: r["hosts"][2]["findings"][0].update(CheckResult="Fine"), "hosts/2/findings/0"),
    (lambda r: r["hosts"][2]["findings"][0].pop("evidence"), "hosts/2/findings/0"),
    (lambda r: r["totals"]["by_status"].pop("not_run"), "totals/by_status"),
    (lambda r: r["hosts"][1].update(reason=None), "hosts/1"),
    (lambda r: r["fleet_findings"][0].pop("hosts"), "fleet_findings/0"),
    (lambda r: r.update(report_schema=2), "report_schema"),
    (lambda r: r.update(generated_at="yesterday"), "generated_at"),
])
def test_the_schema_is_strict(breakage, where):
    report = build(fleet=[report_data.fleet_finding()])
    breakage(report)
    errors = report_data.json_errors(report)
    assert errors and any(e.endswith(" at " + where) or (" at " + where + "/") in e for e in errors), errors
