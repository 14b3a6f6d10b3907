# -*- coding: utf-8 -*-
"""Windows agent, worker, permission and Windows Update rules (rules_windows_agent.py): every result path."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_windows_agent
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import test_rules_windows as shared
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc

set_path, chain, check_case, case_id, run = (shared.set_path, shared.chain, shared.check_case, shared.case_id,
                                             shared.run)
WS = windows_doc.healthy()["agent"]["workspace_id"]   # the one workspace the healthy agent reports to
OTHER_WS = "9f8e7d6c-5b4a-4321-8765-0fedcba98765"
AGENT_START = "2026-11-25T06:01:12Z"


def worker_events(*events):
    """The agent (re)started at AGENT_START; (id, time) pairs -> SMA events of the system worker since
    (Microsoft's property match holds)."""
    def change(doc):
        doc["agent"]["service"]["process_start_utc"] = AGENT_START
        doc["events"]["sma"]["worker_events"] = [
            {"id": i, "time_created": t, "properties": ["7.3.1125.0", WS + "_WS2019-HRW01", WS, "WS2019-HRW01"]}
            for i, t in events]
    change.__name__ = "worker_events%r" % (events,)
    return change


def user_worker_only(doc):
    # a 15003 of a user worker since the agent started: properties[1] is not properties[2]_properties[3]
    doc["agent"]["service"]["process_start_utc"] = AGENT_START
    doc["events"]["sma"]["worker_events"] = [
        {"id": 15003, "time_created": "2026-11-25T07:00:00Z", "properties": ["7.3.1125.0", "hrw-group-1", WS, "x"]}]


def agent_started(when):
    return set_path("agent.service.process_start_utc", when)


def event_4502(*messages):
    def change(doc):
        doc["events"]["operations_manager"]["events_4502"] = [
            {"time_created": "2026-11-25T19:00:00Z", "provider": provider, "message": message}
            for provider, message in messages]
    change.__name__ = "event_4502"
    return change


HYBRID_4502 = ("Health Service Modules",
               "A module of type \"Microsoft.EnterpriseManagement.HealthService.AzureAutomation.HybridAgent\" reported an "
               "exception: The certificate presented by the service %s.oms.opinsights.azure.com was not issued by a "
               "certificate authority used for Microsoft services. Please contact your network administrator to see if "
               "they are running a proxy that intercepts TLS/SSL communication." % WS)
OTHER_4502 = ("HealthService", "A module of type \"Microsoft.EnterpriseManagement.Mom.Modules.DataTypes\" reported an "
              "error 87 from HTTP request.")


def workspaces(*ids, **kwargs):
    def change(doc):
        doc["agent"]["workspaces"] = [{"workspace_id": w, "connection_status": 0, "connection_status_text": None,
                                       "cloud_type": 0} for w in ids]
        doc["agent"]["workspace_id"] = ids[0] if len(ids) == 1 else None
        if "updates" in kwargs:
            doc["agent"]["updates_workspace_ids"] = kwargs["updates"]
    change.__name__ = "workspaces%r%r" % (ids, kwargs)
    return change


def ace(sid, kind, rights, identity="x", inherit_only=False, container_inherit=False):
    return {"identity": identity, "sid": sid, "type": kind, "rights": rights, "inherited": False,
            "inherit_only": inherit_only, "container_inherit": container_inherit}


def machine_keys(*aces):
    change = set_path("permissions.machine_keys.aces", list(aces))
    change.__name__ = "machine_keys%r" % (aces,)
    return change


def policy(**values):
    def change(doc):
        doc["windows_update"]["policy"].update(values)
    change.__name__ = "policy%r" % (values,)
    return change


FULL = 2032127
READ_EXECUTE = 1179817
# SYSTEM's own Allow on the RSA folder (the parent of MachineKeys), as on a default install.
SYSTEM_READS_RSA = ace("S-1-5-18", "Allow", FULL, container_inherit=True)
AGENT_STOPPED = set_path("agent.service.status", "Stopped")
WU = "windows_update.service"

CASES = [
    # MonitoringAgentServiceRunningCheck
    ("MonitoringAgentServiceRunningCheck", None, "Passed", None),
    ("MonitoringAgentServiceRunningCheck", AGENT_STOPPED, "Failed", "start_health_service"),
    ("MonitoringAgentServiceRunningCheck", chain(AGENT_STOPPED, set_path("agent.service.start_type", "Disabled")),
     "Failed.Disabled", None),
    ("MonitoringAgentServiceRunningCheck", set_path("agent.service.exists", False), "Failed.NotInstalled", None),
    ("MonitoringAgentServiceRunningCheck", set_path("agent.service", None), "Skipped.FactsMissing", None),
    # SystemHybridRunbookWorkerRunningCheck
    ("SystemHybridRunbookWorkerRunningCheck", None, "Passed", None),
    ("SystemHybridRunbookWorkerRunningCheck", worker_events((15003, "2026-11-25T05:55:00Z")), "Passed", None),
    ("SystemHybridRunbookWorkerRunningCheck", worker_events((15004, "2026-11-25T09:00:00Z"),
                                                            (15003, "2026-11-25T06:02:40Z")),
     "Failed", "restart_health_service"),
    ("SystemHybridRunbookWorkerRunningCheck", worker_events((15003, "2026-11-25T05:40:00Z")),
     "Failed.NotStartedSinceAgentStart", "restart_health_service"),
    ("SystemHybridRunbookWorkerRunningCheck", worker_events(), "Failed.NoEvent", "restart_health_service"),
    ("SystemHybridRunbookWorkerRunningCheck", user_worker_only, "Failed.NoEvent", "restart_health_service"),
    ("SystemHybridRunbookWorkerRunningCheck", chain(worker_events(), agent_started("2026-11-20T06:01:12Z")),
     "Information.NoRecentEvent", None),
    ("SystemHybridRunbookWorkerRunningCheck", chain(agent_started(None)), "PassedWithWarning.AgentStartUnknown",
     "restart_health_service"),
    ("SystemHybridRunbookWorkerRunningCheck", set_path("events.sma.log_exists", False), "Failed.NoLog",
     "restart_health_service"),
    ("SystemHybridRunbookWorkerRunningCheck", set_path("events.sma.worker_events", None), "Skipped.FactsMissing", None),
    ("SystemHybridRunbookWorkerRunningCheck", set_path("events", None), "Skipped.FactsMissing", None),
    ("SystemHybridRunbookWorkerRunningCheck", AGENT_STOPPED, "Skipped.AgentNotRunning", None),
    ("SystemHybridRunbookWorkerRunningCheck", set_path("agent.service.exists", False), "Skipped.AgentNotRunning", None),
    ("SystemHybridRunbookWorkerRunningCheck", set_path("agent.service", None), "Skipped.FactsMissing", None),
    # MonitoringAgentServiceEventsCheck
    ("MonitoringAgentServiceEventsCheck", None, "Passed", None),
    ("MonitoringAgentServiceEventsCheck", event_4502(HYBRID_4502), "Failed.EventFound", None),
    ("MonitoringAgentServiceEventsCheck", event_4502(OTHER_4502), "Failed.EventFound", None),
    ("MonitoringAgentServiceEventsCheck", set_path("events.operations_manager.log_exists", False), "Failed.NoLog",
     None),
    ("MonitoringAgentServiceEventsCheck", set_path("events.operations_manager.events_4502", None),
     "Skipped.FactsMissing", None),
    ("MonitoringAgentServiceEventsCheck", set_path("events.operations_manager", None), "Skipped.FactsMissing", None),
    # LinkedWorkspaceCheck
    ("LinkedWorkspaceCheck", None, "Passed", None),
    ("LinkedWorkspaceCheck", workspaces(WS.upper(), updates=[WS]), "Passed", None),
    ("LinkedWorkspaceCheck", workspaces(WS, OTHER_WS, updates=[WS]), "PassedWithWarning.MultipleButValid", None),
    ("LinkedWorkspaceCheck", workspaces(WS, OTHER_WS, updates=[WS, OTHER_WS]), "Failed", None),
    ("LinkedWorkspaceCheck", workspaces(WS, updates=[]), "PassedWithWarning.NoUpdatesEvent", None),
    ("LinkedWorkspaceCheck", workspaces(WS, updates=None), "PassedWithWarning.NoUpdatesEvent", None),
    ("LinkedWorkspaceCheck", workspaces(WS, updates=[OTHER_WS]), "PassedWithWarning.NoUpdatesEvent", None),
    ("LinkedWorkspaceCheck", workspaces(WS, OTHER_WS, updates=[]), "Failed.NoWorkspace", None),
    ("LinkedWorkspaceCheck", workspaces(updates=[WS]), "Failed.NoWorkspace", None),
    ("LinkedWorkspaceCheck", set_path("agent.workspaces", None), "Skipped.FactsMissing", None),
    # WUServiceRunningCheck
    ("WUServiceRunningCheck", None, "Passed", None),
    ("WUServiceRunningCheck", set_path(WU + ".status", "Running"), "Passed", None),
    ("WUServiceRunningCheck", set_path(WU + ".start_type", "Disabled"), "Failed", "enable_windows_update_service"),
    ("WUServiceRunningCheck", set_path(WU + ".exists", False), "Failed.NotInstalled", None),
    ("WUServiceRunningCheck", set_path(WU + ".start_type", None), "Skipped.FactsMissing", None),
    ("WUServiceRunningCheck", set_path(WU, None), "Skipped.FactsMissing", None),
    # CryptoRsaMachineKeysFolderAccessCheck
    ("CryptoRsaMachineKeysFolderAccessCheck", None, "Passed", None),
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys(ace("S-1-5-32-544", "Allow", FULL)), "Passed", None),
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys(ace("S-1-5-18", "Allow", 0x10000000)), "Passed", None),
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys(ace("S-1-5-18", "Allow", READ_EXECUTE)), "Failed",
     "grant_machine_keys_system"),
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys(ace("S-1-5-21-1-2-3-500", "Allow", FULL),
                                                           ace("S-1-5-32-545", "Allow", FULL)),
     "Failed", "grant_machine_keys_system"),
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys(ace("S-1-5-18", "Allow", FULL),
                                                           ace("S-1-1-0", "Deny", 0x116)),
     "Failed.Denied", "grant_machine_keys_system"),
    # An inherit-only Deny (subfolders and files only) removes nothing on the folder itself ...
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys(ace("S-1-5-18", "Allow", FULL),
                                                           ace("S-1-1-0", "Deny", FULL, inherit_only=True,
                                                               container_inherit=True)),
     "Passed", None),
    # ... and an inherit-only Allow grants nothing on it.
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys(ace("S-1-5-18", "Allow", FULL, inherit_only=True,
                                                               container_inherit=True),
                                                           ace("S-1-5-18", "Allow", READ_EXECUTE)),
     "Failed", "grant_machine_keys_system"),
    # An ACE of SYSTEM's token without the flag (an older document): not checked, never passed.
    ("CryptoRsaMachineKeysFolderAccessCheck", machine_keys({"identity": "x", "sid": "S-1-5-18", "type": "Allow",
                                                            "rights": FULL, "inherited": False}),
     "Skipped.FactsMissing", None),
    ("CryptoRsaMachineKeysFolderAccessCheck", set_path("permissions.machine_keys.exists", False), "Failed.Missing",
     None),
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [SYSTEM_READS_RSA, ace("S-1-5-11", "Deny", 0x10000, container_inherit=True)]),
     "PassedWithWarning.ParentDeny", None),
    # A parent Deny that subfolders do not inherit (files only, or this folder only) never reaches MachineKeys ...
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [SYSTEM_READS_RSA, ace("S-1-5-11", "Deny", 0x116)]), "Passed", None),
    # ... an inherit-only one with ContainerInherit does (it exists only to be inherited).
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [SYSTEM_READS_RSA,
                                       ace("S-1-1-0", "Deny", 0x116, inherit_only=True, container_inherit=True)]),
     "PassedWithWarning.ParentDeny", None),
    # Unknown inheritance (an older document) keeps the warning rather than hide it.
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [{"identity": "x", "sid": "S-1-1-0", "type": "Deny", "rights": FULL}]),
     "PassedWithWarning.ParentDeny", None),
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [SYSTEM_READS_RSA, ace("S-1-5-32-545", "Deny", FULL, container_inherit=True)]),
     "Passed", None),
    # Seed "Unable to create self-signed certificate": SYSTEM needs Read on the RSA folder itself ...
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [ace("S-1-5-32-544", "Allow", FULL, container_inherit=True),
                                       ace("S-1-5-18", "Deny", 0x1, container_inherit=False)]),
     "Failed.ParentNoRead", None),
    # ... an inherit-only Allow does not give it ...
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [ace("S-1-5-18", "Allow", FULL, inherit_only=True, container_inherit=True)]),
     "Failed.ParentNoRead", None),
    # ... Read through Everyone does.
    ("CryptoRsaMachineKeysFolderAccessCheck",
     set_path("permissions.rsa.aces", [ace("S-1-1-0", "Allow", 0x120089)]), "Passed", None),
    ("CryptoRsaMachineKeysFolderAccessCheck", set_path("permissions.machine_keys.aces", None), "Skipped.FactsMissing",
     None),
    ("CryptoRsaMachineKeysFolderAccessCheck", set_path("permissions", None), "Skipped.FactsMissing", None),
    # AlwaysAutoRebootCheck
    ("AlwaysAutoRebootCheck", None, "Passed", None),
    ("AlwaysAutoRebootCheck", policy(AlwaysAutoRebootAtScheduledTime=0), "Passed", None),
    ("AlwaysAutoRebootCheck", policy(AlwaysAutoRebootAtScheduledTime=1), "PassedWithWarning",
     "remove_always_auto_reboot"),
    ("AlwaysAutoRebootCheck", policy(AlwaysAutoRebootAtScheduledTimeMinutes=15), "PassedWithWarning",
     "remove_always_auto_reboot"),
    ("AlwaysAutoRebootCheck", set_path("windows_update.policy", None), "Skipped.FactsMissing", None),
    # WSUSServerConfigured
    ("WSUSServerConfigured", None, "Passed", None),
    ("WSUSServerConfigured", policy(WUServer="http://wsus.contoso.com:8530", UseWUServer=1), "PassedWithWarning", None),
    ("WSUSServerConfigured", policy(WUServer="http://wsus.contoso.com:8530", UseWUServer=0), "Passed.NotInUse", None),
    ("WSUSServerConfigured", policy(WUServer="http://wsus.contoso.com:8530"), "Passed.NotInUse", None),
    ("WSUSServerConfigured", policy(UseWUServer=1), "PassedWithWarning.NoServer", None),
    ("WSUSServerConfigured", set_path("windows_update", None), "Skipped.FactsMissing", None),
    # AutomaticUpdateCheck
    ("AutomaticUpdateCheck", None, "Passed", None),
    ("AutomaticUpdateCheck", policy(AUOptions=3), "Passed", None),
    ("AutomaticUpdateCheck", policy(AUOptions=4), "PassedWithWarning", "set_auoptions_3"),
    ("AutomaticUpdateCheck", policy(AUOptions=4, NoAutoUpdate=1), "Passed.Disabled", None),
    ("AutomaticUpdateCheck", policy(AUOptions=4, NoAutoUpdate=0), "PassedWithWarning", "set_auoptions_3"),
    ("AutomaticUpdateCheck", set_path("windows_update.policy", None), "Skipped.FactsMissing", None),
]


@pytest.mark.parametrize("rule_id,change,expected,action", CASES, ids=[case_id(c) for c in CASES])
def test_result(rule_id, change, expected, action):
    check_case(rule_id, change, expected, action)


def test_every_documented_message_id_is_produced_by_a_case():
    produced = set("%s.%s" % (c[0], c[2]) for c in CASES + CONTEXT_CASES)
    declared = set(m for r in rules_windows_agent.RULES for m in r.message_ids)
    assert declared == produced


CONTEXT_CASES = [
    ("LinkedWorkspaceCheck", None, "Failed.OtherWorkspace", None, {"expected_workspace_id": OTHER_WS}),
    ("LinkedWorkspaceCheck", None, "Passed", None, {"expected_workspace_id": WS.upper()}),
    ("LinkedWorkspaceCheck", workspaces(WS, OTHER_WS, updates=[WS]), "Failed.OtherWorkspace", None,
     {"expected_workspace_id": OTHER_WS}),
]


@pytest.mark.parametrize("rule_id,change,expected,action,context", CONTEXT_CASES,
                         ids=[case_id(c) for c in CONTEXT_CASES])
def test_result_with_context(rule_id, change, expected, action, context):
    check_case(rule_id, change, expected, action, context)


def test_4502_from_hybrid_agent_explains_tls_interception():
    doc = windows_doc.healthy()
    event_4502(OTHER_4502, HYBRID_4502)(doc)
    finding = run("MonitoringAgentServiceEventsCheck", doc)
    assert finding["scenario"] == "hybrid-runbook-worker-troubleshoot.md#event-4502"
    assert finding["evidence"]["tls_interception"] is True
    assert "intercepts TLS" in finding["CheckResultMessage"]
    assert "*.azure-automation.net" in finding["remediation"]["manual"]
    assert [e["provider"] for e in finding["evidence"]["events"]] == ["HealthService", "Health Service Modules"]
    assert "Microsoft.EnterpriseManagement.HealthService.AzureAutomation.HybridAgent" in \
        finding["CheckResultMessageArguments"]


def test_4502_from_another_module_names_it_without_claiming_interception():
    doc = windows_doc.healthy()
    event_4502(OTHER_4502)(doc)
    finding = run("MonitoringAgentServiceEventsCheck", doc)
    assert finding["evidence"]["tls_interception"] is False
    assert "Microsoft.EnterpriseManagement.Mom.Modules.DataTypes" in finding["CheckResultMessage"]
    assert finding["evidence"]["events"][0]["time_created"] == "2026-11-25T19:00:00Z"


def test_system_worker_uses_the_newest_event_whatever_the_list_order():
    doc = windows_doc.healthy()
    worker_events((15003, "2026-11-25T06:02:40Z"), (15004, "2026-11-25T09:00:00Z"))(doc)
    assert run("SystemHybridRunbookWorkerRunningCheck", doc)["CheckResultMessageId"] == \
        "SystemHybridRunbookWorkerRunningCheck.Failed"


def test_machine_keys_names_the_missing_rights():
    doc = windows_doc.healthy()
    machine_keys(ace("S-1-5-18", "Allow", READ_EXECUTE))(doc)
    finding = run("CryptoRsaMachineKeysFolderAccessCheck", doc)
    for name in ("WriteData", "AppendData", "WriteAttributes", "Delete"):
        assert name in finding["CheckResultMessageArguments"]
    assert "ReadData" not in finding["evidence"]["missing"]


def test_machine_keys_reports_ignored_inherit_only_aces():
    doc = windows_doc.healthy()
    deny = ace("S-1-1-0", "Deny", FULL, inherit_only=True, container_inherit=True)
    machine_keys(ace("S-1-5-18", "Allow", FULL), deny)(doc)
    finding = run("CryptoRsaMachineKeysFolderAccessCheck", doc)
    assert finding["CheckResult"] == "Passed"
    assert finding["evidence"]["inherit_only_aces_ignored"] == [deny]
    assert deny not in finding["evidence"]["considered_aces"]
    assert finding["evidence"]["denied"] == []


def test_machine_keys_negative_generic_rights():
    # FileSystemRights as a signed int: GENERIC_READ | GENERIC_EXECUTE = -1610612736 (no write)
    doc = windows_doc.healthy()
    machine_keys(ace("S-1-5-18", "Allow", -1610612736))(doc)
    assert run("CryptoRsaMachineKeysFolderAccessCheck", doc)["CheckResult"] == "Failed"
    machine_keys(ace("S-1-5-18", "Allow", 0x40000000 | 0x10000 | 0xBF))(doc)
    assert run("CryptoRsaMachineKeysFolderAccessCheck", doc)["CheckResult"] == "Passed"


def test_wu_service_reports_status():
    doc = windows_doc.healthy()
    doc["windows_update"]["service"].update(status="Stopped", start_type="Manual")
    finding = run("WUServiceRunningCheck", doc)
    assert "Manual" in finding["CheckResultMessage"] and "Stopped" in finding["CheckResultMessage"]
