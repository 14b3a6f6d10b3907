# -*- coding: utf-8 -*-
"""Every result path of every rule of rules_windows_system.py, on a healthy Windows facts
document built here field for field to docs/adr/0002-windows-facts.md, and mutations of it.

``windows_healthy()`` is also loaded by test_rules_windows_worker.py (by path, like
hrw_fake_host.py), so the two modules test against one document."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

import pytest
import yaml

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_linux_system as rls
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_windows_system as rws

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
ADR = os.path.join(ROOT, "docs", "adr", "0002-windows-facts.md")
DOC = os.path.join(ROOT, "docs", "rules.md")

WS = "5b6c1d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d"
ACCOUNT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
GROUP = "hrw-group-1"
NOW = "2026-11-25T20:00:00Z"
MS_ISSUER = "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US"
PROXY_ISSUER = "CN=Contoso Inspection CA, O=Contoso Ltd, C=US"
FULL_CONTEXT = {"controller_utc": NOW, "probe_endpoints": True, "expected_workspace_id": WS,
                "automation_account_id": ACCOUNT, "automation_account_region": "westeurope",
                "workspace_region": "westeurope", "hybrid_worker_group": GROUP,
                "run_as_certificate_thumbprint": None}


def _service(name, display, status, start_type, pid, started):
    return {"name": name, "exists": status is not None, "display_name": display, "status": status,
            "start_type": start_type, "process_id": pid, "process_start_utc": started}


def _endpoint(purpose, index, host, source):
    return {"purpose": purpose, "index": index, "host": host, "port": 443, "source": source,
            "dns": {"ok": True, "addresses": ["20.50.1.2"], "error": None},
            "tcp": {"ok": True, "error": None},
            "tls": {"ok": True, "error": None, "subject": "CN=*.azure-automation.net", "issuer": MS_ISSUER,
                    "not_after": "2027-06-01T00:00:00Z"},
            "elapsed_ms": 41, "error_class": None, "direct": None, "via_proxy": None}


def windows_healthy():
    """A healthy Windows Server 2019 V1 worker, every key of ADR 0002 present."""
    install = "C:\\Program Files\\Microsoft Monitoring Agent\\Agent"
    return {
        "schema": 1,
        "platform": "windows",
        "collector": {"name": "win_hrw_facts", "version": "0.2.0", "elapsed_ms": 812},
        "host": {
            "hostname": "WS2019-HRW01", "fqdn": "ws2019-hrw01.contoso.com",
            "machine_guid": "6f1d2e3c-4b5a-4978-8695-a4b3c2d1e0f9", "utc_now": NOW,
            "os": {"id": "windows", "version_id": "10.0.17763", "build": 17763, "ubr": 5830,
                   "pretty_name": "Microsoft Windows Server 2019 Datacenter", "product_type": 3},
            "powershell": {"windows_powershell_version": "5.1.17763.1", "running_version": "5.1.17763.5830",
                           "running_edition": "Desktop"},
            "cpu_count": 2,
            "memory": {"total_kb": 8388148, "available_kb": 5242880},
            "cpu_load_percent": 7,
        },
        "dotnet": {"release": 528049, "version_key_exists": True},
        "agent": {
            "service": _service("HealthService", "Microsoft Monitoring Agent", "Running", "Automatic", 2312,
                                "2026-11-25T06:01:12Z"),
            "version": "10.20.18067.0",
            "install_path": install,
            "workspaces": [{"workspace_id": WS, "connection_status": 0,
                            "connection_status_text": "Azure Log Analytics service connected", "cloud_type": 0}],
            "workspaces_source": "com",
            "management_groups": ["AOI-" + WS],
            "workspace_id": WS,
            "updates_workspace_ids": [WS],
            "proxy": {"url": None, "has_credentials": False, "source": "com"},
        },
        "health_service_state": {
            "path": install + "\\Health Service State", "exists": True, "size_bytes": 73400320, "file_count": 412,
            "truncated": False, "oldest_write_utc": "2026-09-01T10:00:00Z", "newest_write_utc": "2026-11-25T19:58:00Z",
        },
        "registration": {
            "key_exists": True,
            "root_values": {},
            "accounts": [{"account_id": ACCOUNT,
                          "groups": [{"name": GROUP, "values": {}, "user_worker": True, "user_values": {}}]}],
        },
        "azure_automation": {
            "path": install + "\\AzureAutomation", "exists": True, "versions": ["7.3.1125.0"], "latest": "7.3.1125.0",
            "hybrid_registration_path": install + "\\AzureAutomation\\7.3.1125.0\\HybridRegistration\\"
                                                  "HybridRegistration.psd1",
            "hybrid_registration_exists": True,
        },
        "extension": {
            "service": _service("HybridWorkerService", None, None, None, None, None),
            "plugin_path": "C:\\Packages\\Plugins\\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows",
            "plugin_exists": False,
            "versions": [],
            "registry_keys": {"hybrid_worker": False, "hybrid_runbook_worker_v2": False},
        },
        "events": {
            "window_hours": 24,
            "operations_manager": {"log_exists": True, "events_4502": []},
            "sma": {
                "log_exists": True,
                "worker_events": [
                    {"id": 15003, "time_created": "2026-11-25T06:02:30Z",
                     "properties": ["7.3.1125.0", "%s_%s" % (ACCOUNT, GROUP), ACCOUNT, GROUP]},
                ],
                "events_15011": [],
                "process_exit_4294967295": [],
                "process_exit_2148734720": [],
            },
            "windows_update": {"events": []},
        },
        "tls": {
            "schannel": {"client": {"key_exists": False, "Enabled": None, "DisabledByDefault": None},
                         "server": {"key_exists": False, "Enabled": None, "DisabledByDefault": None}},
            "dotnet": {"x64": {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1},
                       "x86": {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1}},
        },
        "windows_update": {
            "policy": {"WUServer": None, "WUStatusServer": None, "UseWUServer": None, "AUOptions": None,
                       "NoAutoUpdate": None, "AlwaysAutoRebootAtScheduledTime": None,
                       "AlwaysAutoRebootAtScheduledTimeMinutes": None},
            "service": _service("wuauserv", "Windows Update", "Stopped", "Manual", None, None),
        },
        "permissions": {
            "machine_keys": {"path": "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys", "exists": True,
                             "owner": "BUILTIN\\Administrators",
                             "aces": [{"identity": "NT AUTHORITY\\SYSTEM", "sid": "S-1-5-18", "type": "Allow",
                                       "rights": 2032127, "inherited": False}]},
            "rsa": {"path": "C:\\ProgramData\\Microsoft\\Crypto\\RSA", "exists": True,
                    "owner": "NT AUTHORITY\\SYSTEM", "aces": []},
        },
        "run_as_certificate": None,
        "network": {
            "winhttp_proxy": {"raw": ["Current WinHTTP proxy settings:", "", "    Direct access (no proxy server)."]},
            "azure_vm": {"detected": True, "source": "Win32_SystemEnclosure.SMBIOSAssetTag",
                         "chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77",
                         "sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"},
            "imds": {"probed": True, "reason": None,
                     "url": "http://169.254.169.254/metadata/instance?api-version=2021-02-01", "ok": True,
                     "status": 200, "error": None, "elapsed_ms": 4, "direct_ok": None},
            "automation_account": {"id": ACCOUNT, "region": "westeurope"},
        },
        "endpoints": [
            _endpoint("agentsvc", 1, WS + ".agentsvc.azure-automation.net", "workspace id (cloud public)"),
            _endpoint("jrds", 1, "we-jobruntimedata-prod-su1.azure-automation.net", "automation_account_region"),
            _endpoint("log_analytics", 1, WS + ".ods.opinsights.azure.com", "workspace id (cloud public)"),
            _endpoint("log_analytics", 2, WS + ".oms.opinsights.azure.com", "workspace id (cloud public)"),
        ],
        "endpoint_errors": [],
        "errors": [],
    }


def facts():
    return copy.deepcopy(windows_healthy())


def run(rule_id, doc, context=None):
    rule = catalog.get_rule(rule_id)
    findings = catalog.evaluate(doc, [rule], FULL_CONTEXT if context is None else context)
    assert len(findings) == 1
    # every MessageId a test sees is one the rule declares (and docs/rules.md documents)
    assert findings[0]["CheckResultMessageId"] in rule.message_ids, findings[0]["CheckResultMessageId"]
    return findings[0]


def mid(rule_id, doc, context=None):
    return run(rule_id, doc, context)["CheckResultMessageId"]


OWN = [r.rule_id for r in rws.RULES]


# --------------------------------------------------------------------------- the fixture is the ADR's shape

def _shape(value):
    if isinstance(value, dict):
        return dict((k, _shape(v)) for k, v in value.items())
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_shape(value[0])]
    return None


def _same_keys(adr, ours, where):
    """Every dict of the ADR example has exactly the keys of ours (list items: the first)."""
    if isinstance(adr, dict):
        assert isinstance(ours, dict), where
        assert sorted(adr) == sorted(ours), where
        for key in adr:
            _same_keys(adr[key], ours[key], where + "." + key)
    elif isinstance(adr, list) and adr and isinstance(ours, list) and ours:
        _same_keys(adr[0], ours[0], where + "[0]")


def test_fixture_has_every_key_of_adr_0002():
    with open(ADR) as f:
        text = f.read()
    adr = yaml.safe_load(text.split("```yaml", 1)[1].split("```", 1)[0])
    doc = windows_healthy()
    # run_as_certificate is null unless a thumbprint is given: compare the requested form
    doc["run_as_certificate"] = {"thumbprint": "A" * 40, "found": True, "subject": "CN=x",
                                 "not_after": "2027-01-01T00:00:00Z", "has_private_key": True}
    # the ADR shows one 4502, one 15011... event of each kind: compare an event of each kind
    sma = doc["events"]["sma"]
    doc["events"]["operations_manager"]["events_4502"] = [{"time_created": NOW, "provider": "p", "message": "m"}]
    sma["events_15011"] = [{"time_created": NOW, "message": "m"}]
    sma["process_exit_4294967295"] = [{"time_created": NOW, "message": "m"}]
    sma["process_exit_2148734720"] = [{"time_created": NOW, "message": "m"}]
    doc["events"]["windows_update"]["events"] = [{"id": 20, "time_created": NOW, "message": "m"}]
    _same_keys(adr, doc, "facts")


# --------------------------------------------------------------------------- whole module

def test_healthy_fixture_passes_every_rule_with_full_context():
    findings = catalog.evaluate(facts(), rws.RULES, FULL_CONTEXT)
    assert dict((f["RuleId"], f["CheckResultMessageId"]) for f in findings) == dict((r, r + ".Passed") for r in OWN)
    for f in findings:
        assert f["platform"] == "windows" and f["evidence"]
        assert f["remediation"] == {"action": None, "manual": None}


def test_every_message_id_is_declared_and_documented():
    with open(DOC) as f:
        doc = f.read()
    section = doc.split("## Windows: seed scenarios beyond Microsoft's script", 1)[1]
    for rule in rws.RULES:
        assert rule.message_ids, rule.rule_id
        assert "`%s`" % rule.rule_id in section
        for message_id in rule.message_ids:
            suffix = message_id[len(rule.rule_id):]
            assert ("`%s`" % message_id in section or "`%s`" % suffix in section), message_id


GARBAGE = [None, {}, [], {"schema": 1, "platform": "windows", "host": None, "endpoints": None, "events": None},
           {"schema": 1, "platform": "windows", "host": {"memory": {}, "cpu_count": "2"}, "endpoints": [None, 3]}]


@pytest.mark.parametrize("doc", GARBAGE)
def test_garbage_never_passes_never_crashes(doc):
    for f in catalog.evaluate(doc, rws.RULES, FULL_CONTEXT):
        assert f["CheckResult"] not in ("Passed", "Failed"), f["CheckResultMessageId"]
        assert not f["CheckResultMessageId"].endswith(".RuleError"), f["CheckResultMessage"]


def test_groups_and_thresholds_come_from_the_linux_rules():
    groups = dict((r.rule_id, r.group_id) for r in rws.RULES)
    assert groups == {"HardwareRequirementsCheck": "prerequisites", "ResourcePressureCheck": "servicehealth",
                      "ClockSkewCheck": "registration", "TlsInspectionCheck": "connectivity"}
    assert rws.MIN_CORES is rls.MIN_CORES and rws.MIN_MEMORY_KB is rls.MIN_MEMORY_KB
    assert rws.AVAILABLE_MEMORY_WARN_KB is rls.AVAILABLE_MEMORY_WARN_KB


def test_linux_rule_on_windows_facts_is_not_applicable():
    f = catalog.evaluate(facts(), [catalog.get_rule("Linux.HardwareCheck")], FULL_CONTEXT)[0]
    assert f["CheckResultMessageId"] == "Linux.HardwareCheck.Skipped.NotApplicablePlatform"


# --------------------------------------------------------------------------- HardwareRequirementsCheck

@pytest.mark.parametrize("cores, total_kb, expected", [
    (2, 8388148, "Passed"),
    (2, 4193784, "Passed"),          # a 4 GB VM as Windows shows it
    (16, 67108864, "Passed"),
    (1, 8388148, "Failed"),
    (2, 2097152, "Failed"),
    (1, 1048576, "Failed"),
    (None, 8388148, "Skipped.FactsMissing"),
    (2, None, "Skipped.FactsMissing"),
    ("2", 8388148, "Skipped.FactsMissing"),
    (True, 8388148, "Skipped.FactsMissing"),
])
def test_hardware(cores, total_kb, expected):
    doc = facts()
    doc["host"]["cpu_count"] = cores
    doc["host"]["memory"]["total_kb"] = total_kb
    f = run("HardwareRequirementsCheck", doc)
    assert f["CheckResultMessageId"] == "HardwareRequirementsCheck." + expected
    assert f["evidence"]["minimum"] == {"cores": 2, "memory_total_kb": 3800000}
    if expected == "Failed":
        assert "minimum hardware requirements" in f["CheckResultMessage"]
        assert f["remediation"]["manual"] and f["scenario"].endswith("#runbook-execution-fails")


def test_hardware_names_what_is_short():
    doc = facts()
    doc["host"]["cpu_count"] = 1
    f = run("HardwareRequirementsCheck", doc)
    assert "1 logical processor(s), at least 2 needed" in f["CheckResultMessage"]
    assert "memory" not in f["CheckResultMessage"].split(":")[1]


# --------------------------------------------------------------------------- ResourcePressureCheck

@pytest.mark.parametrize("load, available_kb, expected", [
    (7, 5242880, "Passed"),
    (89, 5242880, "Passed"),
    (90, 5242880, "PassedWithWarning.HighCpu"),
    (100, 5242880, "PassedWithWarning.HighCpu"),
    (7, 400 * 1024, "PassedWithWarning.LowMemory"),       # below 512 MB
    (7, 700 * 1024, "PassedWithWarning.LowMemory"),       # above 512 MB but below 10 % of 8 GB
    (95, 100 * 1024, "PassedWithWarning.HighCpuAndLowMemory"),
    (None, 5242880, "Information.CpuNotRead"),
    (None, 100 * 1024, "PassedWithWarning.LowMemory"),
    (7, None, "Skipped.FactsMissing"),
])
def test_resource_pressure(load, available_kb, expected):
    doc = facts()
    doc["host"]["cpu_load_percent"] = load
    doc["host"]["memory"]["available_kb"] = available_kb
    f = run("ResourcePressureCheck", doc)
    assert f["CheckResultMessageId"] == "ResourcePressureCheck." + expected
    if expected.startswith("PassedWithWarning"):
        assert f["remediation"]["manual"]
    else:
        assert f["remediation"] == {"action": None, "manual": None}


def test_resource_pressure_total_missing():
    doc = facts()
    del doc["host"]["memory"]["total_kb"]
    assert mid("ResourcePressureCheck", doc) == "ResourcePressureCheck.Skipped.FactsMissing"


# --------------------------------------------------------------------------- ClockSkewCheck

@pytest.mark.parametrize("host, expected, skew", [
    ("2026-11-25T20:00:00Z", "Passed", 0),
    ("2026-11-25T20:04:59Z", "Passed", 299),
    ("2026-11-25T20:05:01Z", "PassedWithWarning", 301),
    ("2026-11-25T19:50:00Z", "PassedWithWarning", -600),
    ("2026-11-25T20:15:01Z", "Failed", 901),
    ("2026-11-25T19:00:00Z", "Failed", -3600),
    ("2026-11-25T20:00:00.1234567Z", "Passed", 0),   # .NET round-trip precision
])
def test_clock_skew(host, expected, skew):
    doc = facts()
    doc["host"]["utc_now"] = host
    f = run("ClockSkewCheck", doc)
    assert f["CheckResultMessageId"] == "ClockSkewCheck." + expected
    assert f["evidence"]["skew_seconds"] == skew
    if expected == "Failed":
        assert "403" in f["CheckResultMessage"]
        assert ("ahead of" if skew > 0 else "behind") in f["CheckResultMessage"]
        assert f["scenario"] == rls.SEED_403
        assert "w32tm" in f["remediation"]["manual"]


@pytest.mark.parametrize("host, controller, expected", [
    (NOW, None, "Skipped.NoControllerTime"),
    (NOW, "yesterday", "Skipped.NoControllerTime"),
    (None, NOW, "Skipped.FactsMissing"),
    ("2026-11-25 20:00:00", NOW, "Skipped.FactsMissing"),
])
def test_clock_skew_cannot_compare(host, controller, expected):
    doc = facts()
    doc["host"]["utc_now"] = host
    assert mid("ClockSkewCheck", doc, dict(FULL_CONTEXT, controller_utc=controller)) == "ClockSkewCheck." + expected


# --------------------------------------------------------------------------- TlsInspectionCheck

def _intercept(doc, index=0, verified=False, issuer=PROXY_ISSUER):
    ep = doc["endpoints"][index]
    ep["tls"] = {"ok": verified, "error": None if verified else "certificate verify failed: unable to get local "
                 "issuer certificate", "subject": "CN=*.azure-automation.net", "issuer": issuer,
                 "not_after": "2027-01-01T00:00:00Z"}
    ep["error_class"] = None if verified else "tls"
    return ep


def test_tls_interception_untrusted():
    doc = facts()
    _intercept(doc, 2)
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.Intercepted"
    assert f["CheckResultMessageArguments"] == [WS + ".ods.opinsights.azure.com", PROXY_ISSUER,
                                                "CN=*.azure-automation.net"]
    bad = [c for c in f["evidence"]["certificates"] if not c["public_issuer"]]
    assert [c["issuer"] for c in bad] == [PROXY_ISSUER]
    assert "TLS inspection" in f["remediation"]["manual"]
    assert f["scenario"].endswith("#event-4502")


def test_tls_interception_trusted_enterprise_root_still_fails():
    doc = facts()
    _intercept(doc, 0, verified=True)
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.TrustedInterception"
    assert "enterprise root" in f["CheckResultMessage"]


def test_tls_interception_corroborated_by_4502():
    doc = facts()
    _intercept(doc, 1)
    doc["events"]["operations_manager"]["events_4502"] = [{
        "time_created": "2026-11-25T19:00:00Z", "provider": "Health Service Modules",
        "message": "The certificate presented by the service %s.oms.opinsights.azure.com was not issued by a "
                   "certificate authority used for Microsoft services." % WS}]
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.Intercepted"
    assert "confirms it" in f["CheckResultMessage"]
    assert f["evidence"]["events_4502_count"] == 1


def test_tls_interception_on_the_direct_path_only_is_still_seen():
    doc = facts()
    ep = doc["endpoints"][0]
    ep["via_proxy"] = {"proxy": {"host": "proxy", "port": 8080, "ok": True, "status": 200, "error": None}}
    ep["direct"] = copy.deepcopy(ep)
    del ep["direct"]["direct"], ep["direct"]["via_proxy"]
    ep["direct"]["tls"]["issuer"] = PROXY_ISSUER
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.TrustedInterception"
    assert "(direct path)" in f["CheckResultMessage"]
    assert set(c["path"] for c in f["evidence"]["certificates"] if c["host"] == ep["host"]) == {"proxy", "direct"}


def test_tls_other_hosts_are_not_judged():
    doc = facts()
    doc["endpoints"].append(dict(_endpoint("internet", 1, "bing.com", "fixed"), tls={
        "ok": True, "error": None, "subject": "CN=www.bing.com", "issuer": PROXY_ISSUER, "not_after": None}))
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Passed"


def test_tls_azure_host_found_by_suffix_whatever_its_purpose():
    doc = facts()
    doc["endpoints"] = [dict(_endpoint("other", 1, "x.agentsvc.azure-automation.us", "s"))]
    _intercept(doc, 0)
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Failed.Intercepted"


@pytest.mark.parametrize("issuer", [
    MS_ISSUER, "CN=Microsoft RSA TLS CA 01, O=Microsoft Corporation, C=US",
    "CN=DigiCert SHA2 Secure Server CA, O=DigiCert Inc, C=US",
    "CN=Baltimore CyberTrust Root, OU=CyberTrust, O=Baltimore, C=IE"])
def test_tls_public_issuers_pass(issuer):
    doc = facts()
    for ep in doc["endpoints"]:
        ep["tls"]["issuer"] = issuer
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Passed"


def test_tls_microsoft_certificate_not_verified_is_not_interception():
    doc = facts()
    _intercept(doc, 0, issuer=MS_ISSUER)
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Information.VerificationFailed"
    assert f["remediation"] == {"action": None, "manual": None}


def test_tls_handshake_without_certificate():
    doc = facts()
    for ep in doc["endpoints"]:
        ep["tls"] = {"ok": False, "error": "connection reset", "subject": None, "issuer": None, "not_after": None}
        ep["error_class"] = "tls"
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Information.NoCertificate"
    assert "connection reset" in f["CheckResultMessage"]


def test_tls_clean_probes_but_recent_4502_warn():
    doc = facts()
    doc["events"]["operations_manager"]["events_4502"] = [{
        "time_created": "2026-11-25T10:00:00Z", "provider": "Health Service Modules",
        "message": "The certificate presented by the service was not issued by a certificate authority used for "
                   "Microsoft services. ...AzureAutomation.HybridAgent..."}]
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.PassedWithWarning.Event4502"
    assert f["remediation"]["manual"]


def test_tls_4502_about_something_else_is_not_corroboration():
    doc = facts()
    doc["events"]["operations_manager"]["events_4502"] = [{
        "time_created": "2026-11-25T10:00:00Z", "provider": "HealthService", "message": "A module failed to load."}]
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Passed"


def test_tls_not_probed():
    doc = facts()
    for ep in doc["endpoints"]:
        ep["tcp"] = None
        ep["tls"] = None
    doc["events"]["operations_manager"]["events_4502"] = [{"time_created": NOW, "provider": "x",
                                                           "message": "certificate not issued by ..."}]
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Skipped.NotProbed"
    assert "4502" in f["CheckResultMessage"]
    assert mid("TlsInspectionCheck", facts(), dict(FULL_CONTEXT, probe_endpoints=False)) == \
        "TlsInspectionCheck.Skipped.NotProbed"
    doc = facts()
    doc["endpoints"] = []
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Skipped.NotProbed"


def test_tls_facts_missing():
    doc = facts()
    doc["endpoints"] = None
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Skipped.FactsMissing"


def test_rules_read_facts_only_through_fact_with_literal_paths():
    path = os.path.join(ROOT, "plugins", "module_utils", "hrw", "rules_windows_system.py")
    with open(path) as f:
        source = f.read()
    calls = re.findall(r"\bfact\(facts, ([^)]*)\)", source)
    assert calls and all(re.match(r'^"[a-z0-9_.]+"$', c) for c in calls), calls
    assert "facts[" not in source and "facts.get(" not in source
