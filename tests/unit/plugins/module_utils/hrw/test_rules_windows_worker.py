# -*- coding: utf-8 -*-
"""Every result path of every rule of rules_windows_worker.py, on the recorded healthy Windows
facts document (windows_doc.healthy(): tests/unit/fixtures/facts/windows_ws2019_healthy.json)
and mutations of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import os
import re

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import hresult
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_windows_worker as rww
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
DOC = os.path.join(ROOT, "docs", "rules.md")


NOW = "2026-11-25T20:00:00Z"   # host and controller clock of these tests (the times below are relative to it)
AGENT_START = "2026-11-25T06:01:12Z"   # when a test says the agent (re)started this morning
FULL_CONTEXT = dict(windows_doc.context(), controller_utc=NOW)
_REGISTERED = windows_doc.healthy()["registration"]["accounts"][0]   # the account and group the host is in
ACCOUNT, GROUP = _REGISTERED["account_id"], _REGISTERED["groups"][0]["name"]
OTHER = "99999999-8888-4777-8666-555555555555"
THUMB = "0123456789ABCDEF0123456789ABCDEF01234567"
OWN = [r.rule_id for r in rww.RULES]


facts = functools.partial(windows_doc.healthy_at, NOW)
run, mid = windows_doc.rule_runner(FULL_CONTEXT)


def ctx(**kwargs):
    return dict(FULL_CONTEXT, **kwargs)


def event(when, message="m", **extra):
    out = {"time_created": when, "message": message}
    out.update(extra)
    return out


# --------------------------------------------------------------------------- whole module

def test_healthy_fixture():
    findings = catalog.evaluate(facts(), rww.RULES, FULL_CONTEXT)
    got = dict((f["RuleId"], f["CheckResultMessageId"]) for f in findings)
    expected = dict((r, r + ".Passed") for r in OWN)   # RunAsCertificateCheck too: the context names it
    expected["ExtensionWorkerServiceCheck"] = "ExtensionWorkerServiceCheck.Information.NotInstalled"
    assert got == expected
    for f in findings:
        assert f["platform"] == "windows" and f["evidence"]
        assert f["remediation"] == {"action": None, "manual": None}


def test_generations():
    gens = dict((r.rule_id, r.generation) for r in rww.RULES)
    assert gens.pop("ExtensionWorkerServiceCheck") == "v2"
    assert gens.pop("RunbookAuthenticationCheck") == "any"
    assert set(gens.values()) == {"v1"}


def test_every_message_id_is_documented():
    with open(DOC) as f:
        section = f.read().split("## Windows: seed scenarios beyond Microsoft's script", 1)[1]
    for rule in rww.RULES:
        assert "`%s`" % rule.rule_id in section
        for message_id in rule.message_ids:
            suffix = message_id[len(rule.rule_id):]
            assert "`%s`" % message_id in section or "`%s`" % suffix in section, message_id


@pytest.mark.parametrize("doc", windows_doc.GARBAGE)
def test_garbage_never_passes_never_crashes(doc):
    for f in catalog.evaluate(doc, rww.RULES, FULL_CONTEXT):
        assert f["CheckResult"] not in ("Passed", "Failed"), f["CheckResultMessageId"]
        assert not f["CheckResultMessageId"].endswith(".RuleError"), f["CheckResultMessage"]


def test_rules_read_facts_only_through_fact_with_literal_paths():
    with open(os.path.join(ROOT, "plugins", "module_utils", "hrw", "rules_windows_worker.py")) as f:
        source = f.read()
    calls = re.findall(r"\bfact\(facts, ([^)]*)\)", source)
    assert calls and all(re.match(r'^"[a-z0-9_.]+"$', c) for c in calls), calls
    assert "facts[" not in source and "facts.get(" not in source


# --------------------------------------------------------------------------- MonitoringAgentVersionCheck

@pytest.mark.parametrize("version, expected", [
    ("10.20.18067.0", "Passed"),
    ("10.20.18053.0", "Passed"),
    ("10.20.18053", "Passed"),
    ("10.21.0.0", "Passed"),
    ("10.20.18052.0", "Failed"),
    ("10.19.13515.0", "Failed"),
    ("8.0.11136.0", "Failed"),
    (None, "Skipped.VersionUnknown"),
    ("", "Skipped.VersionUnknown"),
    ("ten", "Skipped.VersionUnknown"),
])
def test_agent_version(version, expected):
    doc = facts()
    doc["agent"]["version"] = version
    f = run("MonitoringAgentVersionCheck", doc)
    assert f["CheckResultMessageId"] == "MonitoringAgentVersionCheck." + expected
    if expected == "Failed":
        assert f["CheckResultMessageArguments"] == [version, "10.20.18053"]
        assert f["remediation"]["manual"]


@pytest.mark.parametrize("exists, expected", [(False, "Skipped.AgentNotInstalled"), (None, "Skipped.FactsMissing")])
def test_agent_version_agent_state(exists, expected):
    doc = facts()
    doc["agent"]["service"]["exists"] = exists
    assert mid("MonitoringAgentVersionCheck", doc) == "MonitoringAgentVersionCheck." + expected


# --------------------------------------------------------------------------- HybridWorkerRegistrationCheck

def _accounts(doc, *pairs):
    doc["registration"]["accounts"] = [
        {"account_id": a, "groups": [{"name": g, "values": {}, "user_worker": True, "user_values": {}}]}
        for a, g in pairs]


def test_registration_other_account_is_already_registered():
    doc = facts()
    _accounts(doc, (OTHER, GROUP))
    f = run("HybridWorkerRegistrationCheck", doc)
    assert f["CheckResultMessageId"] == "HybridWorkerRegistrationCheck.Failed.OtherAccount"
    assert "Machine is already registered" in f["CheckResultMessage"]
    assert f["remediation"]["action"] == "remove_hybrid_registration"
    assert "HKLM\\SOFTWARE\\Microsoft\\HybridRunbookWorker" in f["remediation"]["manual"]
    assert "Restart-Service HealthService" in f["remediation"]["manual"]
    assert "Add-HybridRunbookWorker" in f["remediation"]["manual"]
    assert f["scenario"].endswith("#already-registered")


def test_registration_other_group():
    doc = facts()
    _accounts(doc, (ACCOUNT.upper(), "other-group"))
    f = run("HybridWorkerRegistrationCheck", doc)
    assert f["CheckResultMessageId"] == "HybridWorkerRegistrationCheck.Failed.OtherGroup"
    assert f["remediation"]["action"] == "remove_hybrid_registration"


def test_registration_legacy_root_group_compared_with_group():
    doc = facts()
    doc["registration"]["accounts"] = []
    doc["registration"]["root_values"] = {"RunbookWorkerGroup": "old-group"}
    assert mid("HybridWorkerRegistrationCheck", doc) == "HybridWorkerRegistrationCheck.Failed.OtherGroup"
    doc["registration"]["root_values"] = {"runbookworkergroup": GROUP, "OtherValue": "x"}
    assert mid("HybridWorkerRegistrationCheck", doc) == "HybridWorkerRegistrationCheck.Information.AccountNotRecorded"
    assert mid("HybridWorkerRegistrationCheck", doc, ctx(automation_account_id=None)) == \
        "HybridWorkerRegistrationCheck.Passed"


def test_registration_several_accounts_warn():
    doc = facts()
    _accounts(doc, (ACCOUNT, GROUP), (OTHER, "g2"))
    f = run("HybridWorkerRegistrationCheck", doc)
    assert f["CheckResultMessageId"] == "HybridWorkerRegistrationCheck.PassedWithWarning.MultipleAccounts"
    assert f["remediation"]["action"] is None and "Remove-Item" in f["remediation"]["manual"]
    f = run("HybridWorkerRegistrationCheck", doc, ctx(automation_account_id=None, hybrid_worker_group=None))
    assert f["CheckResultMessageId"] == "HybridWorkerRegistrationCheck.PassedWithWarning.MultipleAccounts"


def test_registration_no_expectation_reports_what_is_registered():
    f = run("HybridWorkerRegistrationCheck", facts(), ctx(automation_account_id=None, hybrid_worker_group=None))
    assert f["CheckResultMessageId"] == "HybridWorkerRegistrationCheck.Information.Registered"
    assert ACCOUNT in f["CheckResultMessage"] and GROUP in f["CheckResultMessage"]
    assert f["evidence"]["registrations"][0]["user_worker"] is True


def test_registration_only_group_expected():
    assert mid("HybridWorkerRegistrationCheck", facts(), ctx(automation_account_id=None)) == \
        "HybridWorkerRegistrationCheck.Passed"


@pytest.mark.parametrize("key_exists, accounts", [(False, []), (True, [])])
def test_registration_not_registered(key_exists, accounts):
    doc = facts()
    doc["registration"]["key_exists"] = key_exists
    doc["registration"]["accounts"] = accounts
    assert mid("HybridWorkerRegistrationCheck", doc) == "HybridWorkerRegistrationCheck.Information.NotRegistered"


def test_registration_account_without_group_counts():
    doc = facts()
    doc["registration"]["accounts"] = [{"account_id": OTHER, "groups": []}]
    assert mid("HybridWorkerRegistrationCheck", doc) == "HybridWorkerRegistrationCheck.Failed.OtherAccount"


def test_registration_facts_missing():
    doc = facts()
    doc["registration"]["key_exists"] = None
    assert mid("HybridWorkerRegistrationCheck", doc) == "HybridWorkerRegistrationCheck.Skipped.FactsMissing"


# --------------------------------------------------------------------------- AzureAutomationModuleCheck

def test_module_not_pushed():
    doc = facts()
    doc["azure_automation"].update({"exists": False, "versions": [], "latest": None,
                                    "hybrid_registration_path": None, "hybrid_registration_exists": False})
    f = run("AzureAutomationModuleCheck", doc)
    assert f["CheckResultMessageId"] == "AzureAutomationModuleCheck.Failed.NotPushed"
    assert "not been pushed" in f["CheckResultMessage"]
    assert "IntelligencePackName AzureAutomation" in f["remediation"]["manual"]
    doc["azure_automation"]["exists"] = True
    assert mid("AzureAutomationModuleCheck", doc) == "AzureAutomationModuleCheck.Failed.NotPushed"


def test_module_missing():
    doc = facts()
    doc["azure_automation"].update(versions=["7.3.1125.0", "7.3.1417.0"], latest="7.3.1417.0",
                                   hybrid_registration_exists=False)
    f = run("AzureAutomationModuleCheck", doc)
    assert f["CheckResultMessageId"] == "AzureAutomationModuleCheck.Failed.ModuleMissing"
    assert f["CheckResultMessageArguments"][0] == "7.3.1417.0"   # the latest version, where the agent looks


def test_module_skips():
    doc = facts()
    doc["azure_automation"]["exists"] = None
    assert mid("AzureAutomationModuleCheck", doc) == "AzureAutomationModuleCheck.Skipped.FactsMissing"
    doc["agent"]["service"]["exists"] = False
    assert mid("AzureAutomationModuleCheck", doc) == "AzureAutomationModuleCheck.Skipped.AgentNotInstalled"


# --------------------------------------------------------------------------- HealthServiceStateCheck

def _worker_events(doc, *events):
    doc["events"]["sma"]["worker_events"] = [{"id": i, "time_created": t, "properties": []} for i, t in events]


def test_health_state_worker_started_since_agent_start():
    doc = facts()
    f = run("HealthServiceStateCheck", doc)
    assert f["CheckResultMessageId"] == "HealthServiceStateCheck.Passed"
    assert f["evidence"]["health_service_state"] == doc["health_service_state"]
    doc["agent"]["service"]["process_start_utc"] = AGENT_START
    _worker_events(doc, (15004, "2026-11-25T06:00:58Z"), (15003, "2026-11-25T06:02:30Z"))
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Passed"


def test_health_state_no_worker_start_since_agent_start():
    doc = facts()
    doc["agent"]["service"]["process_start_utc"] = AGENT_START
    _worker_events(doc, (15003, "2026-11-25T05:00:00Z"))  # before the agent's start at 06:01:12
    f = run("HealthServiceStateCheck", doc)
    assert f["CheckResultMessageId"] == "HealthServiceStateCheck.Information.NoWorkerStart"
    assert f["remediation"]["action"] == "purge_health_service_state"
    assert "Remove-Item -Path 'C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\Health Service State' -Recurse" \
        in f["remediation"]["manual"]
    assert f["scenario"].endswith("#corrupt-cache")
    assert f["evidence"]["health_service_state"]["newest_write_utc"] == doc["health_service_state"]["newest_write_utc"]


def test_health_state_only_stop_events():
    doc = facts()
    doc["agent"]["service"]["process_start_utc"] = AGENT_START
    _worker_events(doc, (15004, "2026-11-25T07:00:00Z"))
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Information.WorkerStopped"
    _worker_events(doc, (15003, "2026-11-25T06:02:00Z"), (15004, "2026-11-25T09:00:00Z"))
    f = run("HealthServiceStateCheck", doc)
    assert f["CheckResultMessageId"] == "HealthServiceStateCheck.Information.WorkerStopped"
    assert f["remediation"]["action"] == "purge_health_service_state"
    _worker_events(doc, (15004, "2026-11-25T07:00:00Z"), (15003, "2026-11-25T09:00:00Z"))
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Passed"


def test_health_state_agent_started_before_the_event_window():
    doc = facts()
    doc["agent"]["service"]["process_start_utc"] = "2026-11-20T06:01:12Z"
    _worker_events(doc)
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Information.StartBeforeWindow"
    doc["events"]["window_hours"] = None   # unknown window: nothing says events are missing
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Information.NoWorkerStart"


def test_health_state_skips():
    doc = facts()
    doc["events"]["sma"]["log_exists"] = False
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Information.NoSmaLog"
    doc["events"]["sma"]["log_exists"] = None
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Skipped.FactsMissing"
    doc = facts()
    doc["agent"]["service"]["process_start_utc"] = None
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Skipped.FactsMissing"
    doc["agent"]["service"]["status"] = "Stopped"
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Skipped.AgentNotRunning"
    doc["agent"]["service"]["exists"] = False
    assert mid("HealthServiceStateCheck", doc) == "HealthServiceStateCheck.Skipped.AgentNotInstalled"


# --------------------------------------------------------------------------- RunbookAuthenticationCheck

def test_runbook_authentication_4294967295():
    doc = facts()
    doc["events"]["sma"]["process_exit_4294967295"] = [
        event("2026-11-25T10:00:00Z", "Win32 Process Exited with code [4294967295]."),
        event("2026-11-25T12:00:00Z", "Win32 Process Exited with code [4294967295].")]
    f = run("RunbookAuthenticationCheck", doc)
    assert f["CheckResultMessageId"] == "RunbookAuthenticationCheck.Failed.RunbookAuthentication"
    assert f["CheckResultMessageArguments"] == ["2", "2026-11-25T12:00:00Z"]
    assert "Run As" in f["remediation"]["manual"]
    assert f["worker_generation"] == "any"


def test_runbook_authentication_both_codes_name_both():
    doc = facts()
    doc["events"]["sma"]["process_exit_4294967295"] = [event(NOW)]
    doc["events"]["sma"]["process_exit_2148734720"] = [event(NOW)]
    f = run("RunbookAuthenticationCheck", doc)
    assert f["CheckResultMessageId"] == "RunbookAuthenticationCheck.Failed.RunbookAuthentication"
    assert "[2148734720]" in f["CheckResultMessage"]


def test_runbook_authentication_custom_credential_acl():
    doc = facts()
    doc["events"]["sma"]["process_exit_2148734720"] = [event(NOW, "Win32 Process Exited with code [2148734720].")]
    f = run("RunbookAuthenticationCheck", doc)
    assert f["CheckResultMessageId"] == "RunbookAuthenticationCheck.Failed.CustomCredentialAcl"
    assert f["worker_generation"] == "v2"
    assert f["scenario"] == "official-troubleshooters.md#3 v2.custom_cred_acl"
    assert "AzureConnectedMachineAgent\\Tokens" in f["remediation"]["manual"]


def test_runbook_authentication_no_log():
    doc = facts()
    doc["events"]["sma"]["log_exists"] = False
    assert mid("RunbookAuthenticationCheck", doc) == "RunbookAuthenticationCheck.Information.NoSmaLog"
    doc["events"]["sma"] = None
    assert mid("RunbookAuthenticationCheck", doc) == "RunbookAuthenticationCheck.Skipped.FactsMissing"


# --------------------------------------------------------------------------- SignalRConnectionCheck

def test_signalr_timeout_after_worker_start_fails():
    doc = facts()
    _worker_events(doc, (15003, "2026-11-25T06:02:30Z"))
    doc["events"]["sma"]["events_15011"] = [event("2026-11-25T18:00:00Z", "…/notifications/hub timed out")]
    f = run("SignalRConnectionCheck", doc)
    assert f["CheckResultMessageId"] == "SignalRConnectionCheck.Failed.NotificationHubTimeout"
    assert "linked" in f["CheckResultMessage"] and "sandbox" in f["remediation"]["manual"]


def test_signalr_timeout_without_any_worker_start_fails():
    doc = facts()
    doc["events"]["sma"]["worker_events"] = []
    doc["events"]["sma"]["events_15011"] = [event("2026-11-25T05:00:00Z")]
    assert mid("SignalRConnectionCheck", doc) == "SignalRConnectionCheck.Failed.NotificationHubTimeout"


def test_signalr_timeout_before_worker_restart_warns():
    doc = facts()
    _worker_events(doc, (15003, "2026-11-25T06:02:30Z"))
    doc["events"]["sma"]["events_15011"] = [event("2026-11-25T05:00:00Z")]
    f = run("SignalRConnectionCheck", doc)
    assert f["CheckResultMessageId"] == "SignalRConnectionCheck.PassedWithWarning.BeforeWorkerRestart"
    assert f["remediation"]["manual"]


def test_signalr_no_log():
    doc = facts()
    doc["events"]["sma"]["log_exists"] = False
    assert mid("SignalRConnectionCheck", doc) == "SignalRConnectionCheck.Information.NoSmaLog"
    doc["events"]["sma"]["log_exists"] = "yes"
    assert mid("SignalRConnectionCheck", doc) == "SignalRConnectionCheck.Skipped.FactsMissing"


# --------------------------------------------------------------------------- RunAsCertificateCheck

def _cert(doc, **kwargs):
    cert = {"thumbprint": THUMB, "found": True, "subject": "CN=AzureRunAs", "not_after": "2027-06-01T00:00:00Z",
            "has_private_key": True}
    cert.update(kwargs)
    doc["run_as_certificate"] = cert
    return ctx(run_as_certificate_thumbprint=THUMB)


def test_run_as_certificate_passes():
    doc = facts()
    f = run("RunAsCertificateCheck", doc, _cert(doc))
    assert f["CheckResultMessageId"] == "RunAsCertificateCheck.Passed"
    assert f["evidence"]["days_left"] == 187


@pytest.mark.parametrize("changes, expected", [
    ({"found": False, "subject": None, "not_after": None, "has_private_key": None}, "Failed.NotFound"),
    ({"not_after": "2026-11-25T19:59:59Z"}, "Failed.Expired"),
    ({"has_private_key": False}, "Failed.NoPrivateKey"),
    ({"not_after": "2026-12-10T00:00:00Z"}, "PassedWithWarning.ExpiresSoon"),
    ({"not_after": None}, "Information.ExpiryNotChecked"),
    ({"found": None}, "Skipped.FactsMissing"),
])
def test_run_as_certificate_paths(changes, expected):
    doc = facts()
    f = run("RunAsCertificateCheck", doc, _cert(doc, **changes))
    assert f["CheckResultMessageId"] == "RunAsCertificateCheck." + expected
    if expected.startswith(("Failed", "PassedWithWarning")):
        assert f["remediation"]["manual"]


def test_run_as_certificate_expiry_uses_host_clock_then_controller():
    doc = facts()
    context = _cert(doc, not_after="2026-11-25T21:00:00Z")
    assert mid("RunAsCertificateCheck", doc, context) == "RunAsCertificateCheck.PassedWithWarning.ExpiresSoon"
    doc["host"]["utc_now"] = "2026-11-25T22:00:00Z"  # the host's clock decides: runbooks run there
    assert mid("RunAsCertificateCheck", doc, context) == "RunAsCertificateCheck.Failed.Expired"
    doc["host"]["utc_now"] = None
    assert mid("RunAsCertificateCheck", doc, context) == "RunAsCertificateCheck.PassedWithWarning.ExpiresSoon"
    assert mid("RunAsCertificateCheck", doc, dict(context, controller_utc=None)) == \
        "RunAsCertificateCheck.Information.ExpiryNotChecked"


def test_run_as_certificate_not_requested_or_not_collected():
    doc = facts()
    doc["run_as_certificate"] = None   # the collector reads it only when the thumbprint option is given
    assert mid("RunAsCertificateCheck", doc, ctx(run_as_certificate_thumbprint=None)) == \
        "RunAsCertificateCheck.Skipped.NotRequested"
    assert mid("RunAsCertificateCheck", doc, ctx(run_as_certificate_thumbprint=THUMB)) == \
        "RunAsCertificateCheck.Skipped.FactsMissing"


# --------------------------------------------------------------------------- WindowsUpdateErrorCheck

def _wu(doc, *messages):
    doc["events"]["windows_update"]["events"] = [
        {"id": 20, "time_created": "2026-11-25T1%d:00:00Z" % i, "message": m} for i, m in enumerate(messages)]


def test_windows_update_known_hresult():
    doc = facts()
    _wu(doc, "Installation Failure: Windows failed to install the following update with error 0x8024402c: KB1.")
    f = run("WindowsUpdateErrorCheck", doc)
    assert f["CheckResultMessageId"] == "WindowsUpdateErrorCheck.Failed.KnownHresult"
    assert f["CheckResultMessageArguments"] == ["0x8024402C"]
    [h] = f["evidence"]["hresults"]
    assert h == dict(hresult.explain("0x8024402C"), count=1, sources=["windows_update"],
                     newest="2026-11-25T10:00:00Z", message=h["message"])
    assert "WUServer" in f["remediation"]["manual"] and f["remediation"]["action"] is None


def test_windows_update_disabled_service_names_the_repair_action():
    doc = facts()
    _wu(doc, "error 0x8024001E", "Windows Update failed with 0x8024002E")
    f = run("WindowsUpdateErrorCheck", doc)
    assert f["CheckResultMessageId"] == "WindowsUpdateErrorCheck.Failed.KnownHresult"
    assert f["remediation"]["action"] == "enable_windows_update_service"
    assert f["CheckResultMessageArguments"] == ["0x8024002E", "0x8024001E"]   # newest first


def test_windows_update_transient_only_warns():
    doc = facts()
    _wu(doc, "error 0x8024001E")
    f = run("WindowsUpdateErrorCheck", doc)
    assert f["CheckResultMessageId"] == "WindowsUpdateErrorCheck.PassedWithWarning.Interrupted"
    assert f["remediation"]["action"] is None


def test_windows_update_unknown_hresult_is_information_with_the_raw_code():
    doc = facts()
    _wu(doc, "Windows Update failed with error 0x80072EFE.")
    f = run("WindowsUpdateErrorCheck", doc)
    assert f["CheckResultMessageId"] == "WindowsUpdateErrorCheck.Information.UnknownHresult"
    assert f["CheckResultMessageArguments"] == ["0x80072EFE"]
    assert "938205" in f["CheckResultMessage"]


def test_windows_update_known_and_unknown():
    doc = facts()
    _wu(doc, "0x80072EFE", "0x80072EE2")
    f = run("WindowsUpdateErrorCheck", doc)
    assert f["CheckResultMessageId"] == "WindowsUpdateErrorCheck.Failed.KnownHresult"
    assert f["CheckResultMessageArguments"] == ["0x80072EE2", "0x80072EFE"]


def test_windows_update_hresults_in_other_event_messages():
    doc = facts()
    doc["events"]["operations_manager"]["events_4502"] = [{
        "time_created": NOW, "provider": "Health Service Modules",
        "message": "Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))"}]
    doc["events"]["sma"]["process_exit_4294967295"] = [event(NOW, "Win32 Process Exited with code [4294967295]")]
    f = run("WindowsUpdateErrorCheck", doc)
    assert f["CheckResultMessageId"] == "WindowsUpdateErrorCheck.Failed.KnownHresult"
    assert [h["code"] for h in f["evidence"]["hresults"]] == ["0x80070005"]   # an exit code is not an HRESULT
    assert f["evidence"]["hresults"][0]["sources"] == ["operations_manager_4502"]


def test_windows_update_facts_missing():
    doc = facts()
    doc["events"]["windows_update"] = None
    assert mid("WindowsUpdateErrorCheck", doc) == "WindowsUpdateErrorCheck.Skipped.FactsMissing"


# --------------------------------------------------------------------------- ExtensionWorkerServiceCheck

def _v2(doc, status="Running"):
    doc["extension"]["service"] = windows_doc.service("HybridWorkerService", "Hybrid Worker Service", status,
                                                      "Automatic", 4100, "2026-11-25T06:00:00Z")
    doc["extension"]["plugin_exists"] = True
    doc["extension"]["versions"] = ["1.1.13"]
    doc["extension"]["registry_keys"] = {"hybrid_worker": True, "hybrid_runbook_worker_v2": True}


def test_extension_running_v2_only():
    doc = facts()
    _v2(doc)
    doc["registration"] = {"key_exists": False, "root_values": {}, "accounts": []}
    f = run("ExtensionWorkerServiceCheck", doc)
    assert f["CheckResultMessageId"] == "ExtensionWorkerServiceCheck.Passed"
    assert f["worker_generation"] == "v2"


def test_extension_and_v1_registration_is_migration():
    doc = facts()
    _v2(doc)
    f = run("ExtensionWorkerServiceCheck", doc)
    assert f["CheckResultMessageId"] == "ExtensionWorkerServiceCheck.Information.Migration"
    assert f["evidence"]["v1_registrations"][0]["account_id"] == ACCOUNT


def test_extension_not_running():
    doc = facts()
    _v2(doc, status="Stopped")
    f = run("ExtensionWorkerServiceCheck", doc)
    assert f["CheckResultMessageId"] == "ExtensionWorkerServiceCheck.Failed.NotRunning"
    assert "Start-Service HybridWorkerService" in f["remediation"]["manual"]
    _v2(doc, status=None)
    assert mid("ExtensionWorkerServiceCheck", doc) == "ExtensionWorkerServiceCheck.Skipped.FactsMissing"


def test_extension_stuck_install():
    doc = facts()
    doc["extension"]["plugin_exists"] = True
    f = run("ExtensionWorkerServiceCheck", doc)
    assert f["CheckResultMessageId"] == "ExtensionWorkerServiceCheck.Failed.ServiceMissing"
    assert "install.ps1" in f["remediation"]["manual"]


def test_extension_facts_missing():
    doc = facts()
    doc["extension"]["service"] = None
    assert mid("ExtensionWorkerServiceCheck", doc) == "ExtensionWorkerServiceCheck.Skipped.FactsMissing"
