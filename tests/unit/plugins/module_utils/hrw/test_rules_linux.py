# -*- coding: utf-8 -*-
"""Every result path of every Linux V1 rule, on the healthy fixture and mutations of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_linux

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "facts")
DOC = os.path.join(ROOT, "docs", "rules.md")

OMSADMIN = "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"
OMSLOG = "/var/opt/microsoft/omsagent/log/omsagent.log"
OTHER_WS = "11111111-2222-4333-8444-555555555555"


def load(name="linux_v1_healthy.json"):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


HEALTHY = load()
WS = HEALTHY["agent"]["workspace_id"]


def facts():
    return copy.deepcopy(HEALTHY)


def run(rule_id, doc, context=None):
    [finding] = catalog.evaluate(doc, [catalog.get_rule(rule_id)], context)
    return finding


def endpoint(doc, purpose, index=1):
    for ep in doc["endpoints"]:
        if ep["purpose"] == purpose and ep["index"] == index:
            return ep
    raise KeyError((purpose, index))


# --------------------------------------------------------------------------- mutations

def m_none(d):
    return d


def m_files(**states):
    def mutate(d):
        mapping = {"conf": OMSADMIN, "log": OMSLOG}
        for key, value in states.items():
            d["agent"]["files"][mapping[key]] = value
        return d
    return mutate


def m_files_null(d):
    d["agent"]["files"] = None
    return d


def m_not_installed(d):
    d["agent"]["files"][OMSADMIN] = False
    d["agent"]["files"][OMSLOG] = False
    d["agent"]["omsadmin"] = None
    d["agent"]["workspace_id"] = None
    return d


def m_drop_roles(*roles):
    def mutate(d):
        d["processes"] = [p for p in d["processes"] if p["role"] not in roles]
        return d
    return mutate


def m_processes_null(d):
    d["processes"] = None
    return d


def m_no_workspace(d):
    d["agent"]["workspace_id"] = None
    d["agent"]["omsadmin"].pop("WORKSPACE_ID")
    return d


def m_no_package(d):
    d["worker"]["version"] = None
    return d


def m_all_other_workspace(d):
    for p in d["processes"]:
        if p["role"] != "omsagent":
            p["workspace_id"] = OTHER_WS
            p["argv"] = [a.replace(WS, OTHER_WS) for a in p["argv"]]
    return d


def m_extra_other_manager(d):
    d["processes"].append({
        "pid": 2001, "user": "nxautomation",
        "argv": ["python3", "/opt/x/worker/main.py",
                 "/var/opt/microsoft/omsagent/%s/state/automationworker/oms.conf" % OTHER_WS,
                 "rworkspace:" + OTHER_WS, "rversion:1.7.5.0"],
        "role": "manager", "workspace_id": OTHER_WS, "version": "1.7.5.0"})
    return d


def m_worker_without_workspace(d):
    d["processes"].append({
        "pid": 2002, "user": "nxautomation",
        "argv": ["python", "/opt/x/worker/hybridworker.py",
                 "/var/opt/microsoft/omsagent/state/automationworker/worker.conf"],
        "role": "system_worker", "workspace_id": None, "version": None})
    return d


def m_root_workers(d):
    for p in d["processes"]:
        if p["role"] in ("manager", "system_worker", "user_worker"):
            p["user"] = "root"
    return d


def m_root_user_worker_only(d):
    for p in d["processes"]:
        if p["role"] == "user_worker":
            p["user"] = "0"
    return d


def m_unknown_users(d):
    """The collector could not read /proc/<pid>/status: the user is unknown, not wrong."""
    for p in d["processes"]:
        p["user"] = None
    return d


def m_upper_workspace(d):
    for p in d["processes"]:
        if p["workspace_id"]:
            p["workspace_id"] = p["workspace_id"].upper()
    return d


def m_stale_version(d):
    d["worker"]["version"] = "1.7.6.0"
    return d


def m_class_error(d):
    d["logs"]["omsconfig"]["matches"] = [
        {"pattern": "class_does_not_exist",
         "line": "2026/11/25 19:58:01: ERROR: ... (0): The specified class does not exist."},
    ]
    return d


def m_class_error_then_success(d):
    d["logs"]["omsconfig"]["matches"] = [
        {"pattern": "class_does_not_exist",
         "line": "2026/11/25 19:58:01: ERROR: ... (0): The specified class does not exist."},
        {"pattern": "consistency_check_succeeded",
         "line": "2026/11/25 20:10:00: INFO: Operation PerformRequiredConfigurationChecks completed successfully."},
    ]
    return d


def m_success_then_class_error(d):
    d["logs"]["omsconfig"]["matches"] = list(reversed(m_class_error_then_success(d)["logs"]["omsconfig"]["matches"]))
    return d


def m_other_log_match(d):
    d["logs"]["omsconfig"]["matches"] = [{"pattern": "something_else", "line": "x"}]
    return d


def m_log_missing(d):
    d["logs"]["omsconfig"].update({"exists": False, "tail_bytes": 0, "matches": []})
    return d


def m_log_unreadable(d):
    d["logs"]["omsconfig"].update({"exists": True, "tail_bytes": None, "matches": None})
    return d


def m_logs_null(d):
    d["logs"]["omsconfig"] = None
    return d


SERVICE_SCENARIOS = [
    # (id, rule, mutation, expected MessageId)
    ("install-ok", "Linux.OMSAgentInstallCheck", m_none, "Linux.OMSAgentInstallCheck.Passed"),
    ("install-no-conf", "Linux.OMSAgentInstallCheck", m_files(conf=False),
     "Linux.OMSAgentInstallCheck.Failed"),
    ("install-no-log", "Linux.OMSAgentInstallCheck", m_files(log=False),
     "Linux.OMSAgentInstallCheck.Failed"),
    ("install-files-null", "Linux.OMSAgentInstallCheck", m_files_null,
     "Linux.OMSAgentInstallCheck.Skipped.FactsMissing"),
    ("install-file-unknown", "Linux.OMSAgentInstallCheck", m_files(log=None),
     "Linux.OMSAgentInstallCheck.Skipped.FactsMissing"),

    ("status-ok", "Linux.OMSAgentStatusCheck", m_none, "Linux.OMSAgentStatusCheck.Passed"),
    ("status-down", "Linux.OMSAgentStatusCheck", m_drop_roles("omsagent"),
     "Linux.OMSAgentStatusCheck.Failed"),
    ("status-not-installed", "Linux.OMSAgentStatusCheck", m_not_installed,
     "Linux.OMSAgentStatusCheck.Skipped.AgentNotInstalled"),
    ("status-install-unknown", "Linux.OMSAgentStatusCheck", m_files_null,
     "Linux.OMSAgentStatusCheck.Skipped.FactsMissing"),
    ("status-processes-null", "Linux.OMSAgentStatusCheck", m_processes_null,
     "Linux.OMSAgentStatusCheck.Skipped.FactsMissing"),

    ("hw-ok", "Linux.HybridWorkerStatusCheck", m_none, "Linux.HybridWorkerStatusCheck.Passed"),
    ("hw-only-system", "Linux.HybridWorkerStatusCheck", m_drop_roles("user_worker"),
     "Linux.HybridWorkerStatusCheck.Passed"),
    ("hw-only-user", "Linux.HybridWorkerStatusCheck", m_drop_roles("system_worker"),
     "Linux.HybridWorkerStatusCheck.Passed"),
    ("hw-workspace-case", "Linux.HybridWorkerStatusCheck", m_upper_workspace,
     "Linux.HybridWorkerStatusCheck.Passed"),
    ("hw-no-manager", "Linux.HybridWorkerStatusCheck", m_drop_roles("manager"),
     "Linux.HybridWorkerStatusCheck.Failed.NoManagerProcess"),
    ("hw-nothing", "Linux.HybridWorkerStatusCheck",
     m_drop_roles("manager", "system_worker", "user_worker"),
     "Linux.HybridWorkerStatusCheck.Failed.NoManagerProcess"),
    ("hw-no-worker", "Linux.HybridWorkerStatusCheck",
     m_drop_roles("system_worker", "user_worker"),
     "Linux.HybridWorkerStatusCheck.Failed.NoWorkerProcess"),
    ("hw-other-ws", "Linux.HybridWorkerStatusCheck", m_all_other_workspace,
     "Linux.HybridWorkerStatusCheck.Failed.OtherWorkspace"),
    ("hw-extra-other-ws", "Linux.HybridWorkerStatusCheck", m_extra_other_manager,
     "Linux.HybridWorkerStatusCheck.Failed.OtherWorkspace"),
    ("hw-unattributed", "Linux.HybridWorkerStatusCheck", m_worker_without_workspace,
     "Linux.HybridWorkerStatusCheck.Failed.OtherWorkspace"),
    ("hw-as-root", "Linux.HybridWorkerStatusCheck", m_root_workers,
     "Linux.HybridWorkerStatusCheck.Failed.WrongUser"),
    ("hw-one-as-uid-0", "Linux.HybridWorkerStatusCheck", m_root_user_worker_only,
     "Linux.HybridWorkerStatusCheck.Failed.WrongUser"),
    ("hw-user-unknown", "Linux.HybridWorkerStatusCheck", m_unknown_users,
     "Linux.HybridWorkerStatusCheck.Passed"),
    ("hw-no-package", "Linux.HybridWorkerStatusCheck", m_no_package,
     "Linux.HybridWorkerStatusCheck.Failed.NoWorkerPackage"),
    ("hw-no-workspace", "Linux.HybridWorkerStatusCheck", m_no_workspace,
     "Linux.HybridWorkerStatusCheck.Failed.NoWorkspace"),
    ("hw-stale-version", "Linux.HybridWorkerStatusCheck", m_stale_version,
     "Linux.HybridWorkerStatusCheck.PassedWithWarning.VersionMismatch"),
    ("hw-not-installed", "Linux.HybridWorkerStatusCheck", m_not_installed,
     "Linux.HybridWorkerStatusCheck.Skipped.AgentNotInstalled"),
    ("hw-processes-null", "Linux.HybridWorkerStatusCheck", m_processes_null,
     "Linux.HybridWorkerStatusCheck.Skipped.FactsMissing"),

    ("class-ok", "Linux.OMSConfigClassCheck", m_none, "Linux.OMSConfigClassCheck.Passed"),
    ("class-other-match", "Linux.OMSConfigClassCheck", m_other_log_match,
     "Linux.OMSConfigClassCheck.Passed"),
    ("class-error", "Linux.OMSConfigClassCheck", m_class_error,
     "Linux.OMSConfigClassCheck.Failed"),
    ("class-error-resolved", "Linux.OMSConfigClassCheck", m_class_error_then_success,
     "Linux.OMSConfigClassCheck.Passed.Resolved"),
    ("class-error-after-success", "Linux.OMSConfigClassCheck", m_success_then_class_error,
     "Linux.OMSConfigClassCheck.Failed"),
    ("class-no-log", "Linux.OMSConfigClassCheck", m_log_missing,
     "Linux.OMSConfigClassCheck.Information.NoLog"),
    ("class-unreadable", "Linux.OMSConfigClassCheck", m_log_unreadable,
     "Linux.OMSConfigClassCheck.Skipped.LogUnreadable"),
    ("class-logs-null", "Linux.OMSConfigClassCheck", m_logs_null,
     "Linux.OMSConfigClassCheck.Skipped.FactsMissing"),
]


@pytest.mark.parametrize("rule_id,mutate,expected",
                         [s[1:] for s in SERVICE_SCENARIOS],
                         ids=[s[0] for s in SERVICE_SCENARIOS])
def test_service_scenario_message_id(rule_id, mutate, expected):
    finding = run(rule_id, mutate(facts()))
    assert finding["CheckResultMessageId"] == expected, finding["CheckResultMessage"]
    assert finding["CheckResult"] == expected.split(".")[2]
    assert finding["CheckResultMessage"]
    assert finding["platform"] == "linux"
    assert finding["worker_generation"] == "v1"
    assert finding["scenario"]


# --------------------------------------------------------------------------- details per rule

def test_install_failed_names_missing_files_and_reinstall_step():
    f = run("Linux.OMSAgentInstallCheck", m_files(conf=False, log=False)(facts()))
    assert f["CheckResultMessageArguments"] == [OMSADMIN, OMSLOG]
    assert OMSADMIN in f["CheckResultMessage"] and OMSLOG in f["CheckResultMessage"]
    assert f["evidence"]["missing"] == [OMSADMIN, OMSLOG]
    assert "onboard_agent.sh -w" in f["remediation"]["manual"]
    assert "-s <WorkspaceKey>" in f["remediation"]["manual"]
    assert f["scenario"] == "official-troubleshooters.md#2 Linux.OMSAgentInstallCheck"


def test_status_passed_evidence_has_pid_user_argv():
    f = run("Linux.OMSAgentStatusCheck", facts())
    [proc] = f["evidence"]["processes"]
    assert proc["pid"] == 812 and proc["user"] == "omsagent"
    assert proc["argv"][1] == "/opt/microsoft/omsagent/bin/omsagent"
    assert f["CheckResultMessageArguments"] == ["812", "omsagent"]


def test_status_failed_remediation_restart():
    f = run("Linux.OMSAgentStatusCheck", m_drop_roles("omsagent")(facts()))
    assert f["remediation"] == {
        "action": "restart_agent",
        "manual": "sudo /opt/microsoft/omsagent/bin/service_control restart"}
    assert f["scenario"] == "hybrid-runbook-worker-troubleshoot.md#oms-agent-not-running"


def test_status_skipped_names_dependency():
    f = run("Linux.OMSAgentStatusCheck", m_not_installed(facts()))
    assert "Linux.OMSAgentInstallCheck" in f["CheckResultMessage"]
    assert f["evidence"]["depends_on"] == "Linux.OMSAgentInstallCheck"
    assert f["remediation"]["action"] is None


def test_hybrid_worker_passed_evidence_lists_processes():
    f = run("Linux.HybridWorkerStatusCheck", facts())
    roles = [p["role"] for p in f["evidence"]["processes"]]
    assert roles == ["manager", "system_worker", "user_worker"]
    assert f["CheckResultMessageArguments"] == [WS, "1.7.5.0"]
    assert "system worker" in f["CheckResultMessage"]
    assert "user worker" in f["CheckResultMessage"]


def test_hybrid_worker_other_workspace_evidence():
    f = run("Linux.HybridWorkerStatusCheck", m_extra_other_manager(facts()))
    others = f["evidence"]["other_workspace_processes"]
    assert [p["pid"] for p in others] == [2001]
    assert f["CheckResultMessageArguments"] == [OTHER_WS]
    assert OTHER_WS in f["CheckResultMessage"] and WS in f["CheckResultMessage"]
    assert f["remediation"]["action"] == "restart_worker_manager"
    assert "omsadmin.sh -x" in f["remediation"]["manual"]


def test_hybrid_worker_unattributed_process_is_reported():
    f = run("Linux.HybridWorkerStatusCheck", m_worker_without_workspace(facts()))
    assert f["CheckResultMessageArguments"] == ["(none)"]
    assert [p["pid"] for p in f["evidence"]["other_workspace_processes"]] == [2002]


def test_hybrid_worker_no_worker_restarts_the_worker_manager():
    f = run("Linux.HybridWorkerStatusCheck", m_drop_roles("system_worker", "user_worker")(facts()))
    assert f["remediation"]["action"] == "restart_worker_manager"
    assert "PerformRequiredConfigurationChecks.py" in f["remediation"]["manual"]
    assert "service_control restart" in f["remediation"]["manual"]
    assert "1204" in f["CheckResultMessage"]


def test_hybrid_worker_no_package_names_version_file():
    f = run("Linux.HybridWorkerStatusCheck", m_no_package(facts()))
    assert rules_linux.WORKER_VERSION_FILE in f["CheckResultMessage"]
    assert f["remediation"]["action"] is None


def test_hybrid_worker_version_mismatch_lists_stale():
    f = run("Linux.HybridWorkerStatusCheck", m_stale_version(facts()))
    assert len(f["evidence"]["stale_version_processes"]) == 3


def test_class_error_line_in_evidence_and_reinstall():
    f = run("Linux.OMSConfigClassCheck", m_class_error(facts()))
    line = "2026/11/25 19:58:01: ERROR: ... (0): The specified class does not exist."
    assert f["evidence"]["lines"] == [line]
    assert f["CheckResultMessageArguments"][1] == line
    assert f["remediation"]["action"] == "reinstall_agent"
    assert "onboard_agent.sh" in f["remediation"]["manual"]
    assert f["scenario"] == "hybrid-runbook-worker-troubleshoot.md#class-does-not-exist"
    assert f["evidence"]["last_success"] is None


def test_class_error_followed_by_a_successful_check_is_resolved():
    f = run("Linux.OMSConfigClassCheck", m_class_error_then_success(facts()))
    assert f["CheckResult"] == "Passed"
    assert f["evidence"]["last_success"].endswith("completed successfully.")
    assert f["evidence"]["success_text"] == "Operation PerformRequiredConfigurationChecks completed successfully"
    assert f["remediation"]["action"] is None
    # a new error after the success fails again, and names the reinstall
    f = run("Linux.OMSConfigClassCheck", m_success_then_class_error(facts()))
    assert f["CheckResult"] == "Failed" and f["remediation"]["action"] == "reinstall_agent"


# --------------------------------------------------------------------------- connectivity

CONN_RULES = [
    ("Linux.AgentServiceConnectivityCheck", "agentsvc", 1),
    ("Linux.JRDSConnectivityCheck", "jrds", 1),
    ("Linux.LogAnalyticsConnectivityCheck1", "log_analytics", 1),
    ("Linux.LogAnalyticsConnectivityCheck2", "log_analytics", 2),
]

FAILURES = {
    "dns": {"dns": {"ok": False, "addresses": [], "error": "[Errno -2] Name or service not known"},
            "tcp": {"ok": False, "error": "not attempted: no address"}, "tls": None},
    "refused": {"tcp": {"ok": False, "error": "[Errno 111] Connection refused"}, "tls": None},
    "timeout": {"tcp": {"ok": False, "error": "timed out after 5.0 s"}, "tls": None,
                "elapsed_ms": 5001},
    "tls": {"tls": {"ok": False, "error": "CERTIFICATE_VERIFY_FAILED: self-signed certificate",
                    "subject": "CN=proxy", "issuer": "CN=proxy", "not_after": None}},
    "other": {"tcp": {"ok": False, "error": "[Errno 101] Network is unreachable"}, "tls": None},
}
REASONS = {"dns": "Dns", "refused": "Refused", "timeout": "Timeout", "tls": "Tls",
           "other": "Other"}


def m_probe(purpose, index, error_class, **extra):
    def mutate(d):
        ep = endpoint(d, purpose, index)
        ep.update(copy.deepcopy(FAILURES[error_class]))
        ep["error_class"] = error_class
        ep.update(extra)
        return d
    return mutate


@pytest.mark.parametrize("rule_id,purpose,index", CONN_RULES)
def test_connectivity_passed(rule_id, purpose, index):
    doc = facts()
    f = run(rule_id, doc)
    ep = endpoint(doc, purpose, index)
    assert f["CheckResultMessageId"] == rule_id + ".Passed"
    assert f["CheckResultMessageArguments"] == [ep["host"]]
    assert f["evidence"]["endpoint"] == ep


@pytest.mark.parametrize("error_class", sorted(FAILURES))
@pytest.mark.parametrize("rule_id,purpose,index", CONN_RULES)
def test_connectivity_failed_by_error_class(rule_id, purpose, index, error_class):
    doc = m_probe(purpose, index, error_class)(facts())
    f = run(rule_id, doc)
    ep = endpoint(doc, purpose, index)
    assert f["CheckResultMessageId"] == "%s.Failed.%s" % (rule_id, REASONS[error_class])
    assert f["CheckResult"] == "Failed"
    assert f["CheckResultMessageArguments"] == [ep["host"]]
    assert f["evidence"]["endpoint"] == ep
    assert ep["host"] in f["CheckResultMessage"]
    assert ep["host"] in f["remediation"]["manual"]


def test_connectivity_error_class_null_but_tcp_failed_is_other():
    doc = m_probe("jrds", 1, "refused")(facts())
    endpoint(doc, "jrds")["error_class"] = None
    assert run("Linux.JRDSConnectivityCheck", doc)["CheckResultMessageId"] == \
        "Linux.JRDSConnectivityCheck.Failed.Other"


def test_connectivity_error_class_null_but_tls_failed_is_tls():
    doc = m_probe("jrds", 1, "tls")(facts())
    endpoint(doc, "jrds")["error_class"] = None
    assert run("Linux.JRDSConnectivityCheck", doc)["CheckResultMessageId"] == \
        "Linux.JRDSConnectivityCheck.Failed.Tls"


@pytest.mark.parametrize("error_class", ["dns", None])
def test_connectivity_dns_failure_without_tcp_result_is_failed_not_skipped(error_class):
    doc = facts()
    endpoint(doc, "jrds").update({
        "dns": {"ok": False, "addresses": [], "error": "NXDOMAIN"}, "tcp": None, "tls": None,
        "error_class": error_class})
    f = run("Linux.JRDSConnectivityCheck", doc, {"probe_endpoints": True})
    assert f["CheckResultMessageId"] == "Linux.JRDSConnectivityCheck.Failed.Dns"
    assert "NXDOMAIN" in f["CheckResultMessage"]


def test_connectivity_unknown_error_class_is_other():
    doc = m_probe("jrds", 1, "refused")(facts())
    endpoint(doc, "jrds")["error_class"] = "weird"
    assert run("Linux.JRDSConnectivityCheck", doc)["CheckResultMessageId"] == \
        "Linux.JRDSConnectivityCheck.Failed.Other"


def m_endpoint_error(purpose, reason):
    def mutate(d):
        d["endpoints"] = [e for e in d["endpoints"] if e["purpose"] != purpose]
        d["endpoint_errors"].append({"purpose": purpose, "reason": reason})
        return d
    return mutate


@pytest.mark.parametrize("rule_id,purpose,index", CONN_RULES)
def test_connectivity_unable_to_get_endpoint(rule_id, purpose, index):
    doc = m_endpoint_error(purpose, "no jrds_base_uri in worker.conf")(facts())
    f = run(rule_id, doc)
    assert f["CheckResultMessageId"] == rule_id + ".Failed.UnableToGetEndpoint"
    assert "no jrds_base_uri in worker.conf" in f["CheckResultMessage"]
    assert f["evidence"]["endpoint_errors"] == [
        {"purpose": purpose, "reason": "no jrds_base_uri in worker.conf"}]


def test_connectivity_unable_to_get_endpoint_when_agent_has_no_workspace():
    doc = m_not_installed(facts())
    doc["endpoints"] = []
    f = run("Linux.AgentServiceConnectivityCheck", doc)
    assert f["CheckResultMessageId"] == \
        "Linux.AgentServiceConnectivityCheck.Failed.UnableToGetEndpoint"
    assert "no workspace" in f["CheckResultMessage"]


@pytest.mark.parametrize("rule_id,purpose,index", CONN_RULES)
def test_connectivity_not_probed_without_tcp_result(rule_id, purpose, index):
    doc = facts()
    ep = endpoint(doc, purpose, index)
    ep.update({"dns": None, "tcp": None, "tls": None, "elapsed_ms": None, "error_class": None})
    f = run(rule_id, doc)
    assert f["CheckResultMessageId"] == rule_id + ".Skipped.NotProbed"


def test_connectivity_not_probed_when_context_says_so():
    f = run("Linux.JRDSConnectivityCheck", facts(), {"probe_endpoints": False})
    assert f["CheckResultMessageId"] == "Linux.JRDSConnectivityCheck.Skipped.NotProbed"
    assert f["CheckResult"] != "Passed"


def test_connectivity_not_probed_when_endpoint_absent_without_error():
    doc = facts()
    doc["endpoints"] = [e for e in doc["endpoints"] if e["purpose"] != "jrds"]
    f = run("Linux.JRDSConnectivityCheck", doc)
    assert f["CheckResultMessageId"] == "Linux.JRDSConnectivityCheck.Skipped.NotProbed"


def test_connectivity_facts_without_endpoint_list():
    doc = facts()
    doc["endpoints"] = None
    f = run("Linux.JRDSConnectivityCheck", doc)
    assert f["CheckResultMessageId"] == "Linux.JRDSConnectivityCheck.Skipped.FactsMissing"


def test_connectivity_tcp_ok_tls_not_checked_is_not_a_pass():
    doc = facts()
    endpoint(doc, "agentsvc")["tls"] = None
    f = run("Linux.AgentServiceConnectivityCheck", doc)
    assert f["CheckResultMessageId"] == \
        "Linux.AgentServiceConnectivityCheck.Information.TlsNotChecked"


@pytest.mark.parametrize("index", [3, 4])
def test_log_analytics_3_4_not_applicable_in_public_cloud(index):
    f = run("Linux.LogAnalyticsConnectivityCheck%d" % index, facts())
    assert f["CheckResultMessageId"] == \
        "Linux.LogAnalyticsConnectivityCheck%d.Skipped.NotApplicable" % index
    assert "not applicable in this cloud" in f["CheckResultMessage"].lower()
    assert f["evidence"]["cloud"] == "public"


@pytest.mark.parametrize("index", [3, 4])
def test_log_analytics_3_4_not_applicable_in_china(index):
    doc = facts()
    doc["agent"]["omsadmin"]["URL_TLD"] = "opinsights.azure.cn"
    f = run("Linux.LogAnalyticsConnectivityCheck%d" % index, doc)
    assert f["CheckResultMessageId"].endswith(".Skipped.NotApplicable")
    assert f["evidence"]["cloud"] == "china"


def gov(d):
    d["agent"]["omsadmin"]["URL_TLD"] = "opinsights.azure.us"
    d["agent"]["omsadmin"]["OMS_ENDPOINT"] = (
        "https://%s.ods.opinsights.azure.us/OperationalData.svc/PostJsonDataItems" % WS)
    hosts = {1: "usge-jobruntimedata-prod-1.usgovtrafficmanager.net",
             2: "usge-agentservice-prod-1.usgovtrafficmanager.net",
             3: "%s.ods.opinsights.azure.us" % WS, 4: "%s.oms.opinsights.azure.us" % WS}
    template = endpoint(d, "log_analytics", 1)
    d["endpoints"] = [e for e in d["endpoints"] if e["purpose"] != "log_analytics"]
    for i in (1, 2, 3, 4):
        ep = copy.deepcopy(template)
        ep.update({"index": i, "host": hosts[i], "source": "workspace id (US Government)"})
        d["endpoints"].append(ep)
    return d


@pytest.mark.parametrize("index", [1, 2, 3, 4])
def test_log_analytics_gov_cloud_checks_all_four(index):
    doc = gov(facts())
    f = run("Linux.LogAnalyticsConnectivityCheck%d" % index, doc)
    assert f["CheckResultMessageId"] == "Linux.LogAnalyticsConnectivityCheck%d.Passed" % index


def test_log_analytics_gov_cloud_missing_3_is_not_passed():
    doc = gov(facts())
    doc["endpoints"] = [e for e in doc["endpoints"]
                        if not (e["purpose"] == "log_analytics" and e["index"] == 3)]
    f = run("Linux.LogAnalyticsConnectivityCheck3", doc)
    assert f["CheckResultMessageId"] == "Linux.LogAnalyticsConnectivityCheck3.Skipped.NotProbed"


def test_log_analytics_gov_cloud_failed_4():
    doc = m_probe("log_analytics", 4, "timeout")(gov(facts()))
    f = run("Linux.LogAnalyticsConnectivityCheck4", doc)
    assert f["CheckResultMessageId"] == "Linux.LogAnalyticsConnectivityCheck4.Failed.Timeout"
    assert f["CheckResultMessageArguments"] == ["%s.oms.opinsights.azure.us" % WS]


def test_cloud_detection_from_oms_endpoint_when_no_url_tld():
    doc = facts()
    doc["agent"]["omsadmin"].pop("URL_TLD")
    doc["agent"]["omsadmin"]["OMS_ENDPOINT"] = "https://x.ods.opinsights.azure.us/Op"
    assert rules_linux._cloud(doc) == "usgov"
    doc["agent"]["omsadmin"] = None
    assert rules_linux._cloud(doc) is None


# --------------------------------------------------------------------------- whole document

def test_healthy_fixture_passes_everything_applicable():
    # the rules of this file (rules_linux.py); the issue 3 modules test the healthy host themselves
    own = set(r.rule_id for r in rules_linux.RULES)
    findings = [f for f in catalog.evaluate(facts(), catalog.select_rules(platform="linux")) if f["RuleId"] in own]
    bad = [(f["CheckResultMessageId"], f["CheckResultMessage"]) for f in findings
           if f["CheckResult"] not in ("Passed", "Skipped")]
    assert bad == []
    skipped = [f["RuleId"] for f in findings if f["CheckResult"] == "Skipped"]
    assert skipped == ["Linux.LogAnalyticsConnectivityCheck3",
                       "Linux.LogAnalyticsConnectivityCheck4"]


def test_healthy_fixture_has_exactly_the_adr_top_level_keys():
    assert sorted(HEALTHY) == sorted([
        "schema", "platform", "collector", "host", "agent", "worker", "processes", "logs",
        "endpoints", "endpoint_errors", "errors"] + [k for k in ("system", "accounts", "worker_state", "network")
                                                     if k in HEALTHY])
    assert HEALTHY["schema"] == 1 and HEALTHY["platform"] == "linux"
    assert sorted(HEALTHY["agent"]["files"]) == sorted([
        OMSADMIN, OMSLOG, "/opt/microsoft/omsagent/bin/service_control"])
    for ep in HEALTHY["endpoints"]:
        assert sorted(ep) == sorted(["purpose", "index", "host", "port", "source", "dns",
                                     "tcp", "tls", "elapsed_ms", "error_class", "direct", "via_proxy"])


@pytest.mark.parametrize("context", [None, {}, {"controller_utc": "2026-11-25T20:00:00Z"}])
def test_rules_tolerate_any_context(context):
    for f in catalog.evaluate(facts(), catalog.all_rules(), context):
        assert f["CheckResultMessageId"] != f["RuleId"] + ".Skipped.RuleError"


@pytest.mark.parametrize("doc", [None, {}, {"schema": 1, "platform": "linux"}, []])
def test_garbage_facts_never_pass_and_never_crash(doc):
    for f in catalog.evaluate(doc, catalog.all_rules()):
        assert f["CheckResult"] != "Passed", f["CheckResultMessageId"]
        assert not f["CheckResultMessageId"].endswith(".RuleError"), f["CheckResultMessage"]


def test_no_secret_placeholder_is_filled():
    """The workspace key is never known to the rules; the manual step keeps a placeholder."""
    f = run("Linux.OMSAgentInstallCheck", m_files(conf=False)(facts()))
    assert "<WorkspaceKey>" in f["remediation"]["manual"]


# --------------------------------------------------------------------------- docs/rules.md

def _documented_ids():
    """Every MessageId this file expects, so docs/rules.md cannot fall behind."""
    ids = set(s[3] for s in SERVICE_SCENARIOS)
    gov_only = [("Linux.LogAnalyticsConnectivityCheck3", "", 3), ("Linux.LogAnalyticsConnectivityCheck4", "", 4)]
    for rule_id, _purpose, _index in CONN_RULES + gov_only:
        for suffix in ["Passed", "Failed.UnableToGetEndpoint", "Skipped.NotProbed",
                       "Skipped.FactsMissing", "Information.TlsNotChecked"] + \
                ["Failed." + r for r in REASONS.values()]:
            ids.add("%s.%s" % (rule_id, suffix))
    ids.add("Linux.LogAnalyticsConnectivityCheck3.Skipped.NotApplicable")
    ids.add("Linux.LogAnalyticsConnectivityCheck4.Skipped.NotApplicable")
    return sorted(ids)


def test_docs_list_every_message_id():
    with open(DOC) as f:
        doc = f.read()
    connectivity = set(r.rule_id for r in catalog.all_rules() if r.group_id == "connectivity")
    missing = []
    for mid in _documented_ids():
        if "`%s`" % mid in doc:
            continue
        rule_id = ".".join(mid.split(".")[:2])
        suffix = mid[len(rule_id):]
        # connectivity rules share one table of suffixes
        if rule_id in connectivity and "`%s`" % suffix in doc and "`%s`" % rule_id in doc:
            continue
        missing.append(mid)
    assert missing == []


def test_every_rule_states_its_message_ids_as_documented():
    # message ids are <RuleId>.<CheckResult>[.<Reason>] with CamelCase reasons
    for mid in _documented_ids():
        assert re.match(r"^Linux\.[A-Za-z0-9]+\.(Passed|PassedWithWarning|Failed|Information|"
                        r"Skipped)(\.[A-Z][A-Za-z]+)*$", mid), mid


def test_worker_as_root_is_not_a_false_pass():
    f = run("Linux.HybridWorkerStatusCheck", m_root_workers(facts()))
    assert f["CheckResult"] == "Failed"
    assert f["CheckResultMessageArguments"] == [WS, "root"]
    assert sorted(p["role"] for p in f["evidence"]["wrong_user_processes"]) == [
        "manager", "system_worker", "user_worker"]
    assert f["remediation"]["action"] == "restart_worker_manager"
