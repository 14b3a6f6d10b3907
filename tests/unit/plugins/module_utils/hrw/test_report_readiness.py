# -*- coding: utf-8 -*-
"""Readiness of one host (Ready / Disconnected / Not configured / Unknown) from the recorded
facts documents, mutated into each path, with and without the host's findings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import report_readiness as rr

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FACTS = os.path.join(ROOT, "tests", "unit", "fixtures", "facts")
DOC = os.path.join(ROOT, "docs", "rules.md")

_CACHE = {}


def doc(name):
    if name not in _CACHE:
        with open(os.path.join(FACTS, name + ".json")) as handle:
            _CACHE[name] = json.load(handle)
    return copy.deepcopy(_CACHE[name])


def findings_of(facts):
    return catalog.evaluate(facts, catalog.select_rules(platform=facts["platform"]), {})


def check(result, state):
    assert sorted(result) == ["evidence", "reason", "state"]
    assert result["state"] == state, result
    assert result["state"] in rr.STATES
    assert 'The portal\'s "last seen" time cannot be read locally' in result["reason"]
    assert "failed_findings" in result["evidence"]
    json.dumps(result)
    return result


def test_states():
    assert rr.STATES == ("Ready", "Disconnected", "Not configured", "Unknown")


# --------------------------------------------------------------------------- no facts


@pytest.mark.parametrize("facts", [None, {}, "text", []])
def test_no_facts_is_unknown(facts):
    r = check(rr.readiness(facts, None), "Unknown")
    assert "No facts" in r["reason"]


def test_unknown_platform():
    r = check(rr.readiness({"platform": "aix"}, []), "Unknown")
    assert "'aix'" in r["reason"]


# --------------------------------------------------------------------------- Linux


def test_linux_healthy_is_ready():
    facts = doc("linux_v1_healthy")
    r = check(rr.readiness(facts, findings_of(facts)), "Ready")
    ev = r["evidence"]
    assert ev["platform"] == "linux" and ev["agent_installed"] is True
    assert ev["registered"] == ["system", "user"]
    assert ev["processes"] == ["manager", "omsagent", "system_worker", "user_worker"]
    assert ev["endpoints_unreachable"] == [] and ev["endpoints_not_probed"] == []
    assert any(e.startswith("agentsvc ") for e in ev["endpoints_reachable"])
    assert any(e.startswith("jrds ") for e in ev["endpoints_reachable"])
    assert not any(e.startswith("log_analytics") for e in ev["endpoints_reachable"])  # not the worker's
    assert ev["failed_findings"] == []


def test_linux_agent_not_installed():
    facts = doc("linux_v1_healthy")
    facts["agent"]["files"]["/etc/opt/microsoft/omsagent/conf/omsadmin.conf"] = False
    r = check(rr.readiness(facts, []), "Not configured")
    assert "not installed" in r["reason"]


def test_linux_agent_files_unreadable_is_unknown():
    facts = doc("linux_v1_healthy")
    facts["agent"]["files"] = None
    check(rr.readiness(facts, []), "Unknown")


def test_linux_no_worker_package():
    facts = doc("linux_v1_healthy")
    facts["worker"].update(version=None, system_worker_conf=None, user_worker_conf=None)
    r = check(rr.readiness(facts, []), "Not configured")
    assert "nxOMSAutomationWorker" in r["reason"]


def test_linux_not_registered():
    facts = doc("linux_v1_healthy")
    facts["worker"].update(system_worker_conf=None, user_worker_conf=None)
    r = check(rr.readiness(facts, []), "Not configured")
    assert "no worker is registered" in r["reason"]


def test_linux_only_user_worker_registered_is_configured():
    facts = doc("linux_v1_healthy")
    facts["worker"]["system_worker_conf"] = None
    assert check(rr.readiness(facts, []), "Ready")["evidence"]["registered"] == ["user"]


@pytest.mark.parametrize("gone, missing", [
    (("manager",), "the worker manager"),
    (("system_worker", "user_worker"), "a worker process"),
])
def test_linux_worker_not_running_is_disconnected(gone, missing):
    facts = doc("linux_v1_healthy")
    facts["processes"] = [p for p in facts["processes"] if p["role"] not in gone]
    r = check(rr.readiness(facts, findings_of(facts)), "Disconnected")
    assert missing in r["reason"]
    assert "Linux.HybridWorkerStatusCheck.Failed.%s" % (
        "NoManagerProcess" if "manager" in gone else "NoWorkerProcess") in r["evidence"]["failed_findings"]


def test_linux_worker_running_for_another_workspace_is_disconnected():
    facts = doc("linux_v1_healthy")
    for p in facts["processes"]:
        if p["role"] != "omsagent":
            p["workspace_id"] = "5e1ab0c0-de00-4a1b-9c2d-0000000000ff"
    r = check(rr.readiness(facts, []), "Disconnected")
    assert facts["agent"]["workspace_id"] in r["reason"]


def test_linux_only_one_worker_kind_running_is_enough():
    facts = doc("linux_v1_healthy")
    facts["processes"] = [p for p in facts["processes"] if p["role"] != "user_worker"]
    check(rr.readiness(facts, []), "Ready")


def test_linux_processes_unreadable_is_unknown():
    facts = doc("linux_v1_healthy")
    facts["processes"] = None
    check(rr.readiness(facts, []), "Unknown")


@pytest.mark.parametrize("purpose", ["agentsvc", "jrds", "jrds_user"])
def test_linux_worker_endpoint_unreachable_is_disconnected(purpose):
    facts = doc("linux_v1_healthy")
    for e in facts["endpoints"]:
        if e["purpose"] == purpose:
            e.update(error_class="timeout", tcp={"ok": False, "error": "timed out"}, tls=None)
    r = check(rr.readiness(facts, []), "Disconnected")
    assert "(timeout)" in r["reason"] and purpose + " " in r["reason"]


def test_linux_log_analytics_unreachable_does_not_disconnect_the_worker():
    facts = doc("linux_v1_healthy")
    for e in facts["endpoints"]:
        if e["purpose"] == "log_analytics":
            e.update(error_class="refused", tcp={"ok": False, "error": "refused"}, tls=None)
    check(rr.readiness(facts, []), "Ready")


def test_linux_endpoints_not_probed_is_unknown():
    facts = doc("linux_v1_healthy")
    for e in facts["endpoints"]:
        e.update(dns=None, tcp=None, tls=None, error_class=None, elapsed_ms=None)
    r = check(rr.readiness(facts, []), "Unknown")
    assert "not probed" in r["reason"]
    assert r["evidence"]["endpoints_reachable"] == [] and len(r["evidence"]["endpoints_not_probed"]) >= 2


# --------------------------------------------------------------------------- Windows


@pytest.mark.parametrize("name", ["windows_ws2016_healthy", "windows_ws2019_healthy", "windows_ws2022_healthy"])
def test_windows_healthy_is_ready(name):
    facts = doc(name)
    r = check(rr.readiness(facts, findings_of(facts)), "Ready")
    assert r["evidence"]["agent_service"] == "Running"
    assert r["evidence"]["groups"] == ["9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f/hrw-group-1"]


@pytest.mark.parametrize("fault, state, words", [
    ("agent_missing", "Not configured", "not installed"),
    ("agent_stopped", "Disconnected", "HealthService, in which it runs, is Stopped"),
    ("endpoints_blocked", "Disconnected", "cannot reach"),
    ("worker_not_started_since_agent_start", "Disconnected", "SystemHybridRunbookWorkerRunningCheck"),
])
def test_windows_recorded_faults(fault, state, words):
    facts = doc("windows_fault_" + fault)
    r = check(rr.readiness(facts, findings_of(facts)), state)
    assert words in r["reason"]


def test_windows_worker_not_started_needs_the_finding():
    facts = doc("windows_fault_worker_not_started_since_agent_start")
    check(rr.readiness(facts, []), "Ready")   # the facts alone show a start; the rule knows it predates the agent


def test_windows_registered_in_no_group():
    facts = doc("windows_ws2019_healthy")
    facts["registration"] = {"key_exists": False, "root_values": None, "accounts": None}
    r = check(rr.readiness(facts, []), "Not configured")
    assert "no group" in r["reason"]


def test_windows_older_layout_root_group_counts():
    facts = doc("windows_ws2019_healthy")
    facts["registration"] = {"key_exists": True, "root_values": {"RunbookWorkerGroup": "legacy"}, "accounts": []}
    assert check(rr.readiness(facts, []), "Ready")["evidence"]["groups"] == ["legacy"]


def test_windows_registration_unreadable_is_unknown():
    facts = doc("windows_ws2019_healthy")
    facts["registration"] = {"key_exists": None, "root_values": None, "accounts": None}
    check(rr.readiness(facts, []), "Unknown")


def test_windows_nothing_readable_is_unknown():
    facts = doc("windows_ws2019_healthy")
    facts["agent"]["service"]["exists"] = None
    facts["extension"]["service"]["exists"] = None
    check(rr.readiness(facts, []), "Unknown")


def test_windows_newest_stop_event_is_disconnected():
    facts = doc("windows_ws2019_healthy")
    facts["events"]["sma"]["worker_events"] = [
        {"id": 15003, "time_created": "2026-11-25T10:00:00Z", "properties": []},
        {"id": 15004, "time_created": "2026-11-25T19:00:00Z", "properties": []}]
    r = check(rr.readiness(facts, []), "Disconnected")
    assert "15004" in r["reason"] and r["evidence"]["newest_worker_event"]["id"] == 15004


def test_windows_v2_extension_only():
    facts = doc("windows_ws2019_healthy")
    facts["agent"]["service"] = {"name": "HealthService", "exists": False, "display_name": None, "status": None,
                                 "start_type": None, "process_id": None, "process_start_utc": None}
    facts["registration"] = {"key_exists": False, "root_values": None, "accounts": None}
    facts["extension"]["service"].update(exists=True, status="Running")
    r = check(rr.readiness(facts, []), "Ready")
    assert "HybridWorkerService (V2) is running" in r["reason"]
    facts["extension"]["service"]["status"] = "Stopped"
    assert "Stopped" in check(rr.readiness(facts, []), "Disconnected")["reason"]


def test_failed_findings_of_other_groups_are_not_listed():
    facts = doc("linux_v1_healthy")
    findings = [{"RuleId": "X", "RuleGroupId": "prerequisites", "CheckResult": "Failed", "CheckResultMessageId": "X.Failed"},
                {"RuleId": "Y", "RuleGroupId": "connectivity", "CheckResult": "Failed", "CheckResultMessageId": "Y.Failed"},
                {"RuleId": "Z", "RuleGroupId": "connectivity", "CheckResult": "Passed", "CheckResultMessageId": "Z.Passed"}]
    assert rr.readiness(facts, findings)["evidence"]["failed_findings"] == ["Y.Failed"]


def test_readiness_is_documented():
    with open(DOC) as handle:
        text = handle.read()
    section = text.split("### Readiness", 1)[1]
    for state in rr.STATES:
        assert "**%s**" % state in section
    assert '"last seen"' in section
