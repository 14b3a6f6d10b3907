# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``hrw_diagnose`` action plugin on a Windows shell.

As in test_hrw_diagnose.py (the shared set-up is action_harness.py) the plugin gets a mocked
task and connection (here the shell says ``_IS_WINDOWS = True``) and ``_execute_module`` is
replaced by a fake that records every call and returns a recorded Windows facts document
(tests/unit/fixtures/facts/windows_*.json).
"""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_endpoints import derive_windows_endpoints
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils import _diagnose
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.action import action_harness

ACCOUNT = "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f"
WS = "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
THUMBPRINT = "3F2A9C0D4B5E6F708192A3B4C5D6E7F8091A2B3C"
COLLECTOR = "azure_hrw.doctor.win_hrw_facts"


def recorded(name="windows_ws2019_healthy.json", now=True):
    # the recording is old by now: the clock rule compares with a live controller time
    return action_harness.recorded(name, utc_now=_diagnose.utc_now_iso() if now else None)


def make_action(args=None, module_result=None, facts=None, check_mode=False):
    if module_result is None:
        module_result = action_harness.module_ok(recorded() if facts is None else facts)
    return action_harness.make_action(args, module_result, windows=True, check_mode=check_mode)


@pytest.fixture
def canned_findings(monkeypatch):
    """Replace rule evaluation with a settable list of findings (tests the wiring alone)."""
    return action_harness.canned_findings(monkeypatch)


def finding(rule_id, check_result, message="message"):
    return {"RuleId": rule_id, "RuleGroupId": "servicehealth", "RuleName": rule_id, "RuleGroupName": "g",
            "RuleDescription": "d", "CheckResult": check_result, "CheckResultMessage": message,
            "CheckResultMessageId": "%s.%s" % (rule_id, check_result), "CheckResultMessageArguments": [],
            "evidence": {}, "remediation": {"action": None, "manual": None}, "scenario": None,
            "platform": "windows", "worker_generation": "v1"}


# --- dispatch and the collector's options ----------------------------------------------


def test_windows_shell_runs_the_windows_collector_once_with_derived_endpoints(canned_findings):
    plugin, fake = make_action({"probe_timeout": 4, "automation_account_id": ACCOUNT.upper(),
                                "automation_account_region": "West Europe", "hybrid_worker_group": "hrw-group-1",
                                "run_as_certificate_thumbprint": "3f 2a 9c 0d 4b 5e 6f 70 81 92 a3 b4 c5 d6 e7 f8 09 1a 2b 3c",
                                "expected_workspace_id": WS})
    result = plugin.run(task_vars={"inventory_hostname": "win-01"})
    assert not result.get("failed"), result.get("msg")
    assert len(fake.calls) == 1
    call = fake.calls[0]
    assert call["module_name"] == COLLECTOR
    expected_endpoints, dummy = derive_windows_endpoints(ACCOUNT, "westeurope")
    assert call["module_args"] == {
        "probe_timeout": 4.0, "probe_endpoints": True,
        "automation_account_id": ACCOUNT, "automation_account_region": "westeurope",
        "run_as_certificate_thumbprint": THUMBPRINT,
        "endpoints": expected_endpoints,
    }
    assert isinstance(call["module_args"]["probe_timeout"], float)
    hosts = [(e["purpose"], e["host"]) for e in call["module_args"]["endpoints"]]
    assert hosts == [
        ("agentsvc", "{workspace_id}.agentsvc.azure-automation.net"),
        ("jrds", "we-jobruntimedata-prod-su1.azure-automation.net"),
        ("log_analytics", "{workspace_id}.ods.opinsights.azure.com"),
        ("log_analytics", "{workspace_id}.oms.opinsights.azure.com"),
        ("account_agentsvc", ACCOUNT + ".agentsvc.we.azure-automation.net"),
        ("account_jrds", ACCOUNT + ".jrds.we.azure-automation.net"),
    ]
    assert call["task_vars"] == {"inventory_hostname": "win-01"}
    context = canned_findings["context"]
    assert context["hybrid_worker_group"] == "hrw-group-1"
    assert context["run_as_certificate_thumbprint"] == THUMBPRINT
    assert context["expected_workspace_id"] == WS
    assert context["automation_account_region"] == "westeurope"
    assert context["probe_endpoints"] is True
    assert context["controller_utc"].endswith("Z")


def test_defaults_send_public_endpoints_and_report_the_missing_region(canned_findings):
    plugin, fake = make_action({})
    result = plugin.run(task_vars={})
    args = fake.calls[0]["module_args"]
    assert set(args) == {"probe_timeout", "probe_endpoints", "endpoints"}
    assert [e["purpose"] for e in args["endpoints"]] == ["agentsvc", "log_analytics", "log_analytics"]
    assert all("cloud public, assumed" in e["source"] for e in args["endpoints"])
    # the controller's derivation error reaches the facts document the rules see, once
    jrds_errors = [e for e in canned_findings["facts"]["endpoint_errors"] if e["purpose"] == "jrds"]
    assert len(jrds_errors) == 1 and "automation_account_region" in jrds_errors[0]["reason"]
    assert result["facts"]["endpoint_errors"] == canned_findings["facts"]["endpoint_errors"]


@pytest.mark.parametrize("region, suffix, jrds", [
    ("usgovvirginia", "azure-automation.us", "usge-jobruntimedata-prod-su1.azure-automation.us"),
    ("usgovarizona", "azure-automation.us", "phx-jobruntimedata-prod-su1.azure-automation.us"),
    ("chinaeast2", "azure-automation.cn", "sha2-jobruntimedata-prod-su1.azure-automation.cn"),
])
def test_sovereign_cloud_endpoints(canned_findings, region, suffix, jrds):
    plugin, fake = make_action({"automation_account_region": region})
    plugin.run(task_vars={})
    endpoints = fake.calls[0]["module_args"]["endpoints"]
    hosts = dict(((e["purpose"], e["index"]), e["host"]) for e in endpoints)
    assert hosts[("agentsvc", 1)] == "{workspace_id}.agentsvc." + suffix
    assert hosts[("jrds", 1)] == jrds
    assert hosts[("log_analytics", 1)].endswith(".ods.opinsights.azure." + suffix.rsplit(".", 1)[1])


def test_probe_endpoints_false_reaches_collector_and_rules(canned_findings):
    plugin, fake = make_action({"probe_endpoints": False})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_args"]["probe_endpoints"] is False
    assert canned_findings["context"]["probe_endpoints"] is False


def test_check_mode_collects_once():
    plugin, fake = make_action({"rules": {"include": ["Bogus"]}}, check_mode=True)
    with pytest.raises(AnsibleActionFail):
        plugin.run(task_vars={})
    assert fake.calls == []
    plugin, fake = make_action({}, check_mode=True, facts=recorded())
    plugin.run(task_vars={})
    assert len(fake.calls) == 1


# --- bad options fail before anything runs on the host -----------------------------------


@pytest.mark.parametrize("args, text", [
    ({"hybrid_worker_group": "hrw/group"}, "hybrid_worker_group must be a hybrid worker group name"),
    ({"hybrid_worker_group": "x" * 129}, "129 characters"),
    ({"hybrid_worker_group": "   "}, "it is empty"),
    ({"hybrid_worker_group": "tab\tname"}, "hybrid_worker_group"),
    ({"run_as_certificate_thumbprint": "3F2A9C0D"}, "run_as_certificate_thumbprint must be a certificate thumbprint"),
    ({"run_as_certificate_thumbprint": "Z" * 40}, "40 hexadecimal digits"),
    ({"automation_account_id": "not-a-guid"}, "automation_account_id must be a GUID"),
    ({"automation_account_region": "Westeros"}, "automation_account_region must be an Azure region name"),
    ({"rules": {"include": ["Bogus"]}}, "Bogus"),
    ({"probe_timeout": 0}, "probe_timeout"),
])
def test_bad_options_fail_before_any_module_call(args, text):
    plugin, fake = make_action(args)
    with pytest.raises(AnsibleActionFail) as exc:
        plugin.run(task_vars={})
    assert text in str(exc.value)
    assert fake.calls == []


def test_bad_fail_on_fails_before_any_module_call():
    plugin, fake = make_action({"fail_on": "always"})
    with pytest.raises(AnsibleActionFail) as exc:
        plugin.run(task_vars={})
    assert "fail_on" in str(exc.value)
    assert fake.calls == []


# --- the collector fails or the host is unreachable --------------------------------------


def test_collector_failure_is_reported_naming_the_windows_collector():
    plugin, fake = make_action(module_result={
        "failed": True, "msg": "Unhandled exception while executing module: Access is denied",
        "exception": "System.UnauthorizedAccessException: Access is denied"})
    result = plugin.run(task_vars={})
    assert len(fake.calls) == 1
    assert result["failed"] is True
    assert COLLECTOR in result["msg"] and "Access is denied" in result["msg"]
    assert "findings" not in result and "summary" not in result


def test_unreachable_windows_host_is_passed_through():
    plugin, fake = make_action(module_result={"unreachable": True,
                                              "msg": "psrp connection failure during runspace open: timed out"})
    result = plugin.run(task_vars={})
    assert result["unreachable"] is True
    assert result["msg"].startswith("psrp connection failure")
    assert "findings" not in result


@pytest.mark.parametrize("bad, text", [
    ({"changed": False, "ansible_facts": {}}, "no facts document"),
    ({"changed": False, "ansible_facts": {"hrw_facts": {"schema": 2, "platform": "windows"}}}, "schema 2"),
])
def test_unusable_document_from_the_windows_collector(bad, text):
    plugin, dummy = make_action(module_result=bad)
    result = plugin.run(task_vars={})
    assert result["failed"] is True
    assert text in result["msg"] and COLLECTOR in result["msg"]


# --- findings, summary, digest and fail_on (canned rules) ---------------------------------


@pytest.mark.parametrize("fail_on, should_fail", [("never", False), ("failed", True), ("warning", True)])
def test_fail_on_and_digest(canned_findings, fail_on, should_fail):
    canned_findings["findings"] = [finding("WUServiceRunningCheck", "Passed"),
                                   finding("MonitoringAgentServiceRunningCheck", "Failed", "HealthService is Stopped")]
    plugin, dummy = make_action({"fail_on": fail_on})
    result = plugin.run(task_vars={})
    assert bool(result.get("failed")) is should_fail
    assert result["summary"]["Failed"] == 1 and result["summary"]["Passed"] == 1
    assert result["digest"] == ["Failed".ljust(17) + " MonitoringAgentServiceRunningCheck: HealthService is Stopped"]
    if should_fail:
        assert "MonitoringAgentServiceRunningCheck" in result["msg"]
    assert result["ansible_facts"]["hrw_diagnosis"]["findings"] == result["findings"]
    assert result["facts"]["platform"] == "windows"


def test_only_windows_rules_are_selected(canned_findings):
    plugin, dummy = make_action({})
    plugin.run(task_vars={})
    assert canned_findings["rules"] == catalog.rule_ids(platform="windows")
    assert not any(r.startswith("Linux.") for r in canned_findings["rules"])


# --- the real Windows rules (need the rule branches merged) -------------------------------


def test_healthy_recorded_host_with_the_real_rules():
    rules = windows_doc.windows_rules()
    plugin, fake = make_action({"automation_account_id": ACCOUNT, "automation_account_region": "westeurope",
                                "expected_workspace_id": WS, "hybrid_worker_group": "hrw-group-1",
                                "run_as_certificate_thumbprint": THUMBPRINT, "fail_on": "failed"})
    result = plugin.run(task_vars={})
    assert not result.get("failed"), result["msg"]
    assert result["summary"]["total"] == len(rules)
    assert result["summary"]["Failed"] == 0
    assert result["msg"] == _diagnose.summary_line(result["summary"])


def test_stopped_agent_recorded_host_with_the_real_rules():
    windows_doc.windows_rules()
    plugin, fake = make_action({"automation_account_id": ACCOUNT, "automation_account_region": "westeurope",
                                "fail_on": "failed"}, facts=recorded("windows_fault_agent_stopped.json"))
    result = plugin.run(task_vars={})
    assert result["failed"] is True
    failed = [f["RuleId"] for f in result["findings"] if f["CheckResult"] == "Failed"]
    assert "MonitoringAgentServiceRunningCheck" in failed
    assert any("MonitoringAgentServiceRunningCheck" in line for line in result["digest"])
    assert "MonitoringAgentServiceRunningCheck" in result["msg"]


@pytest.mark.parametrize("group, expected", [
    ("hrw-group-1", "hrw-group-1"), (" Prod_Workers (EU) ", "Prod_Workers (EU)"), ("x" * 128, "x" * 128),
])
def test_valid_group_names_reach_the_rules(canned_findings, group, expected):
    plugin, fake = make_action({"hybrid_worker_group": group})
    plugin.run(task_vars={})
    assert canned_findings["context"]["hybrid_worker_group"] == expected
    assert "hybrid_worker_group" not in fake.calls[0]["module_args"]


def test_thumbprint_copied_from_the_certificate_dialog_is_accepted(canned_findings):
    plugin, fake = make_action({"run_as_certificate_thumbprint": "\u200e3f:2a:9c:0d:4b:5e:6f:70:81:92:a3:b4:c5:d6:e7:f8:09:1a:2b:3c"})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_args"]["run_as_certificate_thumbprint"] == THUMBPRINT
