# -*- coding: utf-8 -*-
"""Every result path of every rule of rules_linux_worker.py, on the healthy fixture and mutations of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_linux_worker

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "facts", "linux_v1_healthy.json")
DOC = os.path.join(ROOT, "docs", "rules.md")
OTHER_WS = "11111111-2222-4333-8444-555555555555"
NOW = {"controller_utc": "2026-11-25T20:00:00Z"}

with open(FIXTURE) as _f:
    HEALTHY = json.load(_f)
WS = HEALTHY["agent"]["workspace_id"]


def facts():
    return copy.deepcopy(HEALTHY)


def run(rule_id, doc, context=None):
    [finding] = catalog.evaluate(doc, [catalog.get_rule(rule_id)], NOW if context is None else context)
    return finding


def mof(**values):
    def mutate(d):
        d["worker_state"]["current_mof"].update(values)
        return d
    return mutate


def worker(**values):
    def mutate(d):
        d["worker"].update(values)
        return d
    return mutate


def state(**values):
    def mutate(d):
        d["worker_state"].update(values)
        return d
    return mutate


def m_none(d):
    return d


def m_not_installed(d):
    for path in d["agent"]["files"]:
        d["agent"]["files"][path] = False
    return d


def m_no_state(d):
    d["worker_state"] = None
    return d


def m_no_worker_section(d):
    d["worker"] = None
    return d


def m_oms_conf(section, key, value):
    def mutate(d):
        if value is None:
            d["worker"]["oms_conf"][section].pop(key)
        else:
            d["worker"]["oms_conf"][section][key] = value
        return d
    return mutate


def m_system_conf(section, key, value):
    def mutate(d):
        if value is None:
            d["worker"]["system_worker_conf"][section].pop(key)
        else:
            d["worker"]["system_worker_conf"][section][key] = value
        return d
    return mutate


def m_user_conf(section, key, value):
    def mutate(d):
        if value is None:
            d["worker"]["user_worker_conf"][section].pop(key)
        else:
            d["worker"]["user_worker_conf"][section][key] = value
        return d
    return mutate


def m_no_user_worker(d):
    d["worker"]["user_worker_conf"] = None
    d["worker"]["user_worker_conf_path"] = None
    d["worker_state"]["user_worker_certificate"] = None
    return d


def m_legacy_user_worker(d):
    d["worker"]["user_worker_conf_path"] = ("/var/opt/microsoft/omsagent/%s/state/automationworker/diy/worker.conf"
                                            % WS)
    return d


def m_agent_cert(**values):
    def mutate(d):
        d["worker_state"]["agent_certificate"].update(values)
        return d
    return mutate


def m_user_cert(**values):
    def mutate(d):
        d["worker_state"]["user_worker_certificate"].update(values)
        return d
    return mutate


def m_user_procs(**values):
    def mutate(d):
        for p in d["processes"]:
            if p["role"] == "user_worker":
                p.update(values)
        return d
    return mutate


def m_drop_user_worker_proc(d):
    d["processes"] = [p for p in d["processes"] if p["role"] != "user_worker"]
    return d


def m_processes_null(d):
    d["processes"] = None
    return d


def m_no_clock(d):
    d["host"]["utc_now"] = None
    return d


def m_log(name, **values):
    def mutate(d):
        d["worker_state"]["logs"][name].update(values)
        return d
    return mutate


def m_logs(**values):
    def mutate(d):
        for log in d["worker_state"]["logs"].values():
            log.update(values)
        return d
    return mutate


ERROR_LINE = "2026-11-25 19:58:01,004 - ERROR - [jrds] Failed to get job actions: 401 Unauthorized"

SCENARIOS = [
    # (rule, mutation, context, expected MessageId)
    ("Linux.UpdatesSolutionCheck", m_none, None, "Passed"),
    ("Linux.UpdatesSolutionCheck", mof(encoding="utf-8"), None, "Passed"),
    ("Linux.UpdatesSolutionCheck", mof(exists=False, encoding=None, resource_present=False, updates_enabled=None),
     None, "Failed.MissingCurrentMofFile"),
    ("Linux.UpdatesSolutionCheck", mof(updates_enabled=False), None, "Failed.UpdateDeploymentDisabled"),
    ("Linux.UpdatesSolutionCheck", mof(resource_present=False, updates_enabled=None), None,
     "Failed.NoWorkerResource"),
    ("Linux.UpdatesSolutionCheck", mof(workspace_id=OTHER_WS), None, "Failed.OtherWorkspace"),
    ("Linux.UpdatesSolutionCheck", mof(encoding=None), None, "Skipped.MofUnreadable"),
    ("Linux.UpdatesSolutionCheck", mof(updates_enabled=None), None, "Skipped.SettingsUnreadable"),
    ("Linux.UpdatesSolutionCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.UpdatesSolutionCheck", m_no_state, None, "Skipped.FactsMissing"),
    ("Linux.UpdatesSolutionCheck", state(current_mof=None), None, "Skipped.FactsMissing"),
    ("Linux.UpdatesSolutionCheck", m_no_worker_section, None, "Skipped.FactsMissing"),

    ("Linux.OmsConfCheck", m_none, None, "Passed"),
    ("Linux.OmsConfCheck", m_oms_conf("oms-global", "workspace_id", WS.upper()), None, "Passed"),
    ("Linux.OmsConfCheck", m_oms_conf("oms-worker-conf", "auto_registered_worker_conf_path",
                                      "/var/opt/microsoft/omsagent/%s/state/automationworker/worker.conf" % WS),
     None, "Passed"),
    ("Linux.OmsConfCheck", m_no_state, None, "Passed"),  # the MOF comparison needs worker_state; the rest not
    ("Linux.OmsConfCheck", m_oms_conf("oms-global", "resource_version", "1.6.8.0"), None,
     "PassedWithWarning.VersionMismatch"),
    ("Linux.OmsConfCheck", worker(oms_conf=None), None, "Failed.Missing"),
    ("Linux.OmsConfCheck", m_oms_conf("oms-global", "hybrid_worker_path", None), None, "Failed.MissingKeys"),
    ("Linux.OmsConfCheck", m_oms_conf("oms-worker-conf", "manually_registered_worker_conf_path", ""), None,
     "Failed.MissingKeys"),
    ("Linux.OmsConfCheck", m_oms_conf("oms-global", "workspace_id", OTHER_WS), None, "Failed.WorkspaceMismatch"),
    ("Linux.OmsConfCheck", m_oms_conf("oms-worker-conf", "auto_registered_worker_conf_path", "/tmp/worker.conf"),
     None, "Failed.MofMismatch"),
    ("Linux.OmsConfCheck", state(expected_oms_conf={"oms-global": {"workspace_id": OTHER_WS}}), None,
     "Failed.MofMismatch"),
    ("Linux.OmsConfCheck", worker(version=None), None, "Skipped.NoWorkerPackage"),
    ("Linux.OmsConfCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.OmsConfCheck", m_no_worker_section, None, "Skipped.FactsMissing"),

    ("Linux.SystemWorkerConfCheck", m_none, None, "Passed"),
    ("Linux.SystemWorkerConfCheck", worker(system_worker_conf=None), None, "Failed.Missing"),
    ("Linux.SystemWorkerConfCheck", m_system_conf("worker-required", "jrds_base_uri", None), None,
     "Failed.MissingKeys"),
    ("Linux.SystemWorkerConfCheck", m_system_conf("oms-metadata", "jrds_cert_thumbprint", " "), None,
     "Failed.MissingKeys"),
    ("Linux.SystemWorkerConfCheck", m_system_conf("oms-metadata", "workspace_id", OTHER_WS), None,
     "Failed.OtherWorkspace"),
    ("Linux.SystemWorkerConfCheck", worker(version=None), None, "Skipped.NoWorkerPackage"),
    ("Linux.SystemWorkerConfCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.SystemWorkerConfCheck", m_no_worker_section, None, "Skipped.FactsMissing"),

    ("Linux.WorkerCertificateThumbprintCheck", m_none, None, "Passed"),
    ("Linux.WorkerCertificateThumbprintCheck",
     m_system_conf("oms-metadata", "jrds_cert_thumbprint", "3f:8a:9c:1d:2e:4b:5a:6c:7d:8e:9f:0a:1b:2c:3d:4e:5f:6a:7b:8c"),
     None, "Passed"),
    ("Linux.WorkerCertificateThumbprintCheck", m_agent_cert(thumbprint="0" * 40), None, "Failed"),
    ("Linux.WorkerCertificateThumbprintCheck", m_agent_cert(exists=False, thumbprint=None), None,
     "Failed.NoAgentCertificate"),
    ("Linux.WorkerCertificateThumbprintCheck", worker(system_worker_conf=None), None, "Skipped.NoSystemWorkerConf"),
    ("Linux.WorkerCertificateThumbprintCheck", m_system_conf("oms-metadata", "jrds_cert_thumbprint", None), None,
     "Skipped.NoSystemWorkerConf"),
    ("Linux.WorkerCertificateThumbprintCheck", m_agent_cert(thumbprint=None), None, "Skipped.CertificateUnreadable"),
    ("Linux.WorkerCertificateThumbprintCheck", worker(version=None), None, "Skipped.NoWorkerPackage"),
    ("Linux.WorkerCertificateThumbprintCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.WorkerCertificateThumbprintCheck", m_no_state, None, "Skipped.FactsMissing"),
    ("Linux.WorkerCertificateThumbprintCheck", m_no_worker_section, None, "Skipped.FactsMissing"),

    ("Linux.UserWorkerConfCheck", m_none, None, "Passed"),
    ("Linux.UserWorkerConfCheck", m_legacy_user_worker, None, "Passed"),
    ("Linux.UserWorkerConfCheck", m_no_user_worker, None, "Information.NotRegistered"),
    ("Linux.UserWorkerConfCheck", m_user_conf("worker-required", "account_id", None), None, "Failed.MissingKeys"),
    ("Linux.UserWorkerConfCheck", m_user_conf("registration-metadata", "workspace_id", OTHER_WS), None,
     "Failed.OtherWorkspace"),
    ("Linux.UserWorkerConfCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.UserWorkerConfCheck", m_no_worker_section, None, "Skipped.FactsMissing"),

    ("Linux.UserWorkerProcessCheck", m_none, None, "Passed"),
    ("Linux.UserWorkerProcessCheck", m_user_procs(workspace_id=WS.upper()), None, "Passed"),
    ("Linux.UserWorkerProcessCheck", m_drop_user_worker_proc, None, "Failed.NotRunning"),
    ("Linux.UserWorkerProcessCheck", m_user_procs(workspace_id=OTHER_WS), None, "Failed.OtherWorkspace"),
    ("Linux.UserWorkerProcessCheck", m_user_procs(user="root"), None, "Failed.WrongUser"),
    ("Linux.UserWorkerProcessCheck", m_user_procs(user=None), None, "Passed"),
    ("Linux.UserWorkerProcessCheck", m_user_procs(workspace_id=None), None, "Failed.OtherWorkspace"),
    ("Linux.UserWorkerProcessCheck", m_no_user_worker, None, "Skipped.NotRegistered"),
    ("Linux.UserWorkerProcessCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.UserWorkerProcessCheck", m_processes_null, None, "Skipped.FactsMissing"),
    ("Linux.UserWorkerProcessCheck", m_no_worker_section, None, "Skipped.FactsMissing"),

    ("Linux.UserWorkerCertificateCheck", m_none, None, "Passed"),
    ("Linux.UserWorkerCertificateCheck", m_user_cert(not_after="2026-12-20T00:00:00Z"), None,
     "PassedWithWarning.ExpiresSoon"),
    ("Linux.UserWorkerCertificateCheck", m_user_cert(not_after="2026-11-25T19:59:59Z"), None, "Failed.Expired"),
    ("Linux.UserWorkerCertificateCheck", m_user_cert(exists=False, not_after=None), None, "Failed.Missing"),
    ("Linux.UserWorkerCertificateCheck", m_no_user_worker, None, "Skipped.NotRegistered"),
    ("Linux.UserWorkerCertificateCheck", m_user_cert(not_after=None), None, "Skipped.CertificateUnreadable"),
    ("Linux.UserWorkerCertificateCheck", m_no_clock, {}, "Skipped.NoClock"),
    ("Linux.UserWorkerCertificateCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.UserWorkerCertificateCheck", state(user_worker_certificate=None), None, "Skipped.FactsMissing"),
    ("Linux.UserWorkerCertificateCheck", m_no_worker_section, None, "Skipped.FactsMissing"),

    ("Linux.WorkerLogCheck", m_none, None, "Passed"),
    ("Linux.WorkerLogCheck", m_log("worker", exists=False, tail_bytes=None, error_count=None, error_lines=None),
     None, "Passed"),
    ("Linux.WorkerLogCheck", m_log("worker", error_count=1, error_lines=[ERROR_LINE]), None,
     "PassedWithWarning.RecentErrors"),
    ("Linux.WorkerLogCheck", m_logs(exists=False, tail_bytes=None, error_count=None, error_lines=None), None,
     "Information.NoLogs"),
    ("Linux.WorkerLogCheck", m_logs(error_count=None, error_lines=None), None, "Skipped.LogUnreadable"),
    ("Linux.WorkerLogCheck", m_not_installed, None, "Skipped.AgentNotInstalled"),
    ("Linux.WorkerLogCheck", state(logs=None), None, "Skipped.FactsMissing"),
]


@pytest.mark.parametrize("rule_id,mutate,context,expected", SCENARIOS,
                         ids=["%s-%s-%d" % (s[0].split(".")[1], s[3], i) for i, s in enumerate(SCENARIOS)])
def test_result_paths(rule_id, mutate, context, expected):
    f = run(rule_id, mutate(facts()), context)
    assert f["CheckResultMessageId"] == "%s.%s" % (rule_id, expected), f["CheckResultMessage"]
    assert f["evidence"] is not None
    assert f["platform"] == "linux" and f["worker_generation"] == "v1"
    if f["CheckResult"] in ("Failed", "PassedWithWarning"):
        assert f["remediation"]["manual"], f["CheckResultMessageId"]
    else:
        assert f["remediation"] == {"action": None, "manual": None}


def test_every_declared_message_id_is_exercised_and_documented():
    exercised = set("%s.%s" % (s[0], s[3]) for s in SCENARIOS)
    declared = set(m for r in rules_linux_worker.RULES for m in r.message_ids)
    assert declared == exercised
    with open(DOC) as f:
        doc = f.read()
    assert sorted(m for m in declared if "`%s`" % m not in doc) == []


def test_healthy_fixture_passes_every_worker_rule():
    for f in catalog.evaluate(facts(), rules_linux_worker.RULES, NOW):
        assert f["CheckResult"] == "Passed", (f["CheckResultMessageId"], f["CheckResultMessage"])


def test_rotated_certificate_names_both_thumbprints_and_reregisters():
    f = run("Linux.WorkerCertificateThumbprintCheck", m_agent_cert(thumbprint="AB" * 20)(facts()))
    recorded = HEALTHY["worker"]["system_worker_conf"]["oms-metadata"]["jrds_cert_thumbprint"]
    assert f["CheckResultMessageArguments"] == [recorded, "AB" * 20]
    assert f["remediation"]["action"] == "reregister"
    assert "rotated" in f["CheckResultMessage"]


def test_expired_diy_certificate_uses_the_controller_clock_not_the_host():
    doc = m_user_cert(not_after="2026-12-01T00:00:00Z")(facts())
    doc["host"]["utc_now"] = "2026-11-01T00:00:00Z"  # a host clock a month behind would hide it
    f = run("Linux.UserWorkerCertificateCheck", doc, {"controller_utc": "2026-12-02T00:00:00Z"})
    assert f["CheckResultMessageId"] == "Linux.UserWorkerCertificateCheck.Failed.Expired"
    assert f["evidence"]["clock"] == "controller_utc"
    assert f["remediation"]["action"] == "reregister"
    # without the controller's time the host's is used, and says so
    f = run("Linux.UserWorkerCertificateCheck", doc, {})
    assert f["CheckResult"] == "Passed" and f["evidence"]["clock"] == "host.utc_now"


def test_log_warning_quotes_the_lines_of_both_logs_each_newest_last():
    doc = m_log("worker", error_count=3, error_lines=["a ERROR one", "b ERROR two"])(facts())
    doc = m_log("resource", error_count=1, error_lines=["c ERROR three"])(doc)
    f = run("Linux.WorkerLogCheck", doc)
    assert f["CheckResultMessageArguments"][0] == "4"
    assert f["evidence"]["lines"] == [
        "/var/opt/microsoft/omsagent/log/nxOMSAutomationWorker.log: c ERROR three",
        "/var/opt/microsoft/omsagent/run/automationworker/worker.log: a ERROR one",
        "/var/opt/microsoft/omsagent/run/automationworker/worker.log: b ERROR two"]
    assert f["CheckResultMessageArguments"][1] == f["evidence"]["lines"][-1]


def test_missing_keys_are_named():
    f = run("Linux.OmsConfCheck", m_oms_conf("oms-global", "resource_version", None)(facts()))
    assert f["CheckResultMessageArguments"] == ["[oms-global] resource_version"]
    assert f["remediation"]["action"] == "restart_agent"


def test_user_worker_process_as_root_is_not_a_false_pass():
    doc = m_user_procs(user="root")(facts())
    f = run("Linux.UserWorkerProcessCheck", doc)
    assert f["CheckResultMessageArguments"] == ["root"]
    assert [p["user"] for p in f["evidence"]["processes"]] == ["root"]


@pytest.mark.parametrize("doc", [None, {}, [], {"worker_state": "garbage", "worker": []}])
def test_garbage_never_passes(doc):
    for f in catalog.evaluate(doc, rules_linux_worker.RULES, NOW):
        assert f["CheckResult"] == "Skipped", f["CheckResultMessageId"]
        assert not f["CheckResultMessageId"].endswith("RuleError"), f["evidence"]


def test_user_worker_not_running_restarts_the_worker_manager():
    f = run("Linux.UserWorkerProcessCheck", m_drop_user_worker_proc(facts()))
    assert f["CheckResultMessageId"] == "Linux.UserWorkerProcessCheck.Failed.NotRunning"
    assert f["remediation"]["action"] == "restart_worker_manager"
    assert "PerformRequiredConfigurationChecks.py" in f["remediation"]["manual"]
    f = run("Linux.UserWorkerProcessCheck", m_user_procs(user="root")(facts()))
    assert f["remediation"]["action"] == "restart_worker_manager"


def test_user_worker_not_running_without_the_package_names_no_action():
    # nothing could start the worker: restarting the manager is not the fix
    doc = m_drop_user_worker_proc(facts())
    doc["worker"]["version"] = None
    f = run("Linux.UserWorkerProcessCheck", doc)
    assert f["CheckResultMessageId"] == "Linux.UserWorkerProcessCheck.Failed.NotRunning"
    assert f["remediation"]["action"] is None
    assert "Linux.HybridWorkerPackgeCheck" in f["remediation"]["manual"]
