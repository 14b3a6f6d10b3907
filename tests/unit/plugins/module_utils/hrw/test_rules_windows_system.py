# -*- coding: utf-8 -*-
"""Every result path of every rule of rules_windows_system.py, on the recorded healthy Windows
facts document (windows_doc.healthy(): tests/unit/fixtures/facts/windows_ws2019_healthy.json,
whose keys test_windows_contract.py checks against docs/adr/0002-windows-facts.md) and
mutations of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import os
import re

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_linux_system as rls
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_windows_system as rws
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
DOC = os.path.join(ROOT, "docs", "rules.md")


NOW = "2026-11-25T20:00:00Z"   # host and controller clock of these tests (the times below are relative to it)
FULL_CONTEXT = dict(windows_doc.context(), controller_utc=NOW)
MS_ISSUER = windows_doc.MS_ISSUER
PROXY_ISSUER = "CN=Contoso Inspection CA, O=Contoso Ltd, C=US"


facts = functools.partial(windows_doc.healthy_at, NOW)
run, mid = windows_doc.rule_runner(FULL_CONTEXT)


OWN = [r.rule_id for r in rws.RULES]


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


@pytest.mark.parametrize("doc", windows_doc.GARBAGE)
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
    doc["host"]["memory"]["total_kb"] = 8388148
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
    doc["host"]["memory"].update(total_kb=8388148, available_kb=available_kb)   # 8 GB: 10 % is 819 MB
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
    """Endpoint ``index`` (no agent proxy) presents a certificate of ``issuer``, verified or not."""
    return windows_doc.direct(doc["endpoints"][index], windows_doc.probe(None if verified else "tls", issuer))


def _every_endpoint(doc, result):
    for ep in doc["endpoints"]:
        windows_doc.direct(ep, result)


def test_tls_interception_untrusted():
    doc = facts()
    ep = _intercept(doc, 2)
    assert ep["purpose"] == "log_analytics" and ep["index"] == 1
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.Intercepted"
    assert f["CheckResultMessageArguments"] == [ep["host"], PROXY_ISSUER, "CN=*.azure-automation.net"]
    bad = [c for c in f["evidence"]["certificates"] if not c["public_issuer"]]
    # without a proxy the agent's path is the direct attempt (ADR 0002): one handshake, counted once
    assert [(c["host"], c["path"], c["issuer"]) for c in bad] == [(ep["host"], "agent", PROXY_ISSUER)]
    assert len([c for c in f["evidence"]["certificates"] if c["host"] == ep["host"]]) == 1
    assert "TLS inspection" in f["remediation"]["manual"]
    assert f["scenario"].endswith("#event-4502")


def test_tls_interception_through_the_proxy_and_direct_counts_both_paths():
    # with the agent's proxy the top level (through the proxy) and ``direct`` are two handshakes
    doc = facts()
    ep = windows_doc.through_proxy(doc["endpoints"][2], windows_doc.probe("tls", PROXY_ISSUER),
                                   windows_doc.probe("tls", PROXY_ISSUER))
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.Intercepted"
    bad = [c for c in f["evidence"]["certificates"] if not c["public_issuer"]]
    assert [(c["host"], c["path"], c["issuer"]) for c in bad] == [(ep["host"], "proxy", PROXY_ISSUER),
                                                                  (ep["host"], "direct", PROXY_ISSUER)]
    assert "(direct path)" in f["CheckResultMessage"] and "(proxy path)" in f["CheckResultMessage"]


def test_tls_handshakes_counted_once_per_attempt():
    doc = facts()
    _every_endpoint(doc, windows_doc.probe())
    windows_doc.through_proxy(doc["endpoints"][0], windows_doc.probe(), windows_doc.probe())
    azure = [e for e in doc["endpoints"] if e["purpose"] != "internet"]
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Passed"
    # one handshake per endpoint without a proxy, two (proxy + direct) for the one with it
    assert f["CheckResultMessageArguments"] == [str(len(azure) + 1)]
    assert [c["path"] for c in f["evidence"]["certificates"]].count("direct") == 1


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
        "message": "The certificate presented by the service %s was not issued by a certificate authority used "
                   "for Microsoft services." % doc["endpoints"][3]["host"]}]
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.Intercepted"
    assert "confirms it" in f["CheckResultMessage"]
    assert f["evidence"]["events_4502_count"] == 1


def test_tls_interception_on_the_direct_path_only_is_still_seen():
    doc = facts()
    ep = windows_doc.through_proxy(doc["endpoints"][0], windows_doc.probe(), windows_doc.probe(issuer=PROXY_ISSUER))
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Failed.TrustedInterception"
    assert "(direct path)" in f["CheckResultMessage"]
    assert set(c["path"] for c in f["evidence"]["certificates"] if c["host"] == ep["host"]) == {"proxy", "direct"}


def test_tls_other_hosts_are_not_judged():
    doc = facts()
    doc["endpoints"].append(windows_doc.endpoint("internet", 1, "bing.com", "fixed", issuer=PROXY_ISSUER))
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Passed"


def test_tls_azure_host_found_by_suffix_whatever_its_purpose():
    doc = facts()
    doc["endpoints"] = [windows_doc.endpoint("other", 1, "x.agentsvc.azure-automation.us", "s")]
    _intercept(doc, 0)
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Failed.Intercepted"


@pytest.mark.parametrize("issuer", [
    MS_ISSUER, "CN=Microsoft RSA TLS CA 01, O=Microsoft Corporation, C=US",
    "CN=DigiCert SHA2 Secure Server CA, O=DigiCert Inc, C=US",
    "CN=Baltimore CyberTrust Root, OU=CyberTrust, O=Baltimore, C=IE"])
def test_tls_public_issuers_pass(issuer):
    doc = facts()
    _every_endpoint(doc, windows_doc.probe(issuer=issuer))
    assert mid("TlsInspectionCheck", doc) == "TlsInspectionCheck.Passed"


def test_tls_microsoft_certificate_not_verified_is_not_interception():
    doc = facts()
    _intercept(doc, 0, issuer=MS_ISSUER)
    f = run("TlsInspectionCheck", doc)
    assert f["CheckResultMessageId"] == "TlsInspectionCheck.Information.VerificationFailed"
    assert f["remediation"] == {"action": None, "manual": None}


def test_tls_handshake_without_certificate():
    doc = facts()
    _every_endpoint(doc, dict(windows_doc.probe("tls"), tls={"ok": False, "error": "connection reset",
                                                             "subject": None, "issuer": None, "not_after": None}))
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
        windows_doc.not_probed(ep)
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
