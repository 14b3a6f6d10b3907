# -*- coding: utf-8 -*-
"""Windows prerequisite rules (rules_windows.py, Microsoft's UMW): every result path, plus the
checks shared by the three UMW rule modules (platform, catalog, documentation)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import (
    catalog,
    rules_windows,
    rules_windows_agent,
    rules_windows_network,
)
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
DOC = os.path.join(ROOT, "docs", "rules.md")


UMW_MODULES = (rules_windows, rules_windows_agent, rules_windows_network)
UMW_IDS = [
    "OperatingSystemCheck", "DotNetFrameworkInstalledCheck", "WindowsManagementFrameworkInstalledCheck",
    "TlsVersionCheck", "MonitoringAgentServiceRunningCheck", "SystemHybridRunbookWorkerRunningCheck",
    "MonitoringAgentServiceEventsCheck", "LinkedWorkspaceCheck", "WUServiceRunningCheck",
    "CryptoRsaMachineKeysFolderAccessCheck", "AlwaysAutoRebootCheck", "WSUSServerConfigured", "AutomaticUpdateCheck",
    "AutomationAgentServiceConnectivityCheck1", "AutomationJobRuntimeDataServiceConnectivityCheck", "HttpsConnection",
    "ProxySettings", "IMDSConnectivity", "LAOdsEndpointConnectivity", "LAOmsEndpointConnectivity",
]


def run(rule_id, doc, context=None):
    [finding] = catalog.evaluate(doc, [catalog.get_rule(rule_id)], context or {})
    return finding


def check_case(rule_id, change, expected, action, context=None):
    doc = windows_doc.healthy()
    if change:
        change(doc)
    finding = run(rule_id, doc, context)
    assert finding["CheckResultMessageId"] == "%s.%s" % (rule_id, expected), finding["CheckResultMessage"]
    assert finding["CheckResultMessage"]
    assert isinstance(finding["evidence"], dict) and finding["evidence"]
    assert finding["remediation"]["action"] == action
    if expected.startswith(("Failed", "PassedWithWarning")):
        assert finding["remediation"]["manual"], "a Failed or warning finding says how to fix it"
    else:
        assert finding["remediation"] == {"action": None, "manual": None}
    assert finding["platform"] == "windows" and finding["worker_generation"] == "v1"
    return finding


def set_path(path, value):
    def change(doc):
        node = doc
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    change.__name__ = "%s=%r" % (path, value)
    return change


def chain(*changes):
    def change(doc):
        for one in changes:
            one(doc)
    change.__name__ = "+".join(getattr(c, "__name__", "?") for c in changes)
    return change


def case_id(case):
    return "%s-%s-%s" % (case[0], getattr(case[1], "__name__", "healthy"), case[2])


def schannel(client=None, server=None):
    def change(doc):
        for side, values in (("client", client), ("server", server)):
            if values is not None:
                doc["tls"]["schannel"][side] = dict({"key_exists": True}, **values)
    change.__name__ = "schannel(%r,%r)" % (client, server)
    return change


def dotnet_tls(x64=None, x86=None):
    def change(doc):
        for arch, values in (("x64", x64), ("x86", x86)):
            if values is not None:
                doc["tls"]["dotnet"][arch] = values
    change.__name__ = "dotnet_tls(%r,%r)" % (x64, x86)
    return change


OS_2008R2_SP1 = set_path("host.os.version_id", "6.1.7601")
ON = {"Enabled": 1, "DisabledByDefault": 0}
OFF = {"Enabled": 0, "DisabledByDefault": 1}
NOT_STRONG = {"SchUseStrongCrypto": None, "SystemDefaultTlsVersions": None}

CASES = [
    # OperatingSystemCheck
    ("OperatingSystemCheck", None, "Passed", None),
    ("OperatingSystemCheck", set_path("host.os.version_id", "6.1.7601"), "Passed", None),
    ("OperatingSystemCheck", set_path("host.os.version_id", "6.0.6002"), "Failed", None),
    ("OperatingSystemCheck", set_path("host.os.version_id", "6.1.7600"), "PassedWithWarning.AssessmentOnly", None),
    ("OperatingSystemCheck", chain(set_path("host.os.version_id", "10.0"), set_path("host.os.build", 20348)),
     "Passed", None),
    ("OperatingSystemCheck", set_path("host.os.version_id", None), "Skipped.FactsMissing", None),
    ("OperatingSystemCheck", set_path("host.os", None), "Skipped.FactsMissing", None),
    # DotNetFrameworkInstalledCheck
    ("DotNetFrameworkInstalledCheck", None, "Passed", None),
    ("DotNetFrameworkInstalledCheck", set_path("dotnet.release", 394802), "Passed", None),
    ("DotNetFrameworkInstalledCheck", set_path("dotnet.release", 394254), "Failed", None),
    ("DotNetFrameworkInstalledCheck", set_path("dotnet.release", None), "Failed", None),
    ("DotNetFrameworkInstalledCheck", chain(set_path("dotnet.release", None), set_path("dotnet.version_key_exists", False)),
     "Failed.NotInstalled", None),
    ("DotNetFrameworkInstalledCheck", set_path("dotnet.version_key_exists", None), "Skipped.FactsMissing", None),
    ("DotNetFrameworkInstalledCheck", set_path("dotnet.release", "garbage"), "Skipped.FactsMissing", None),
    ("DotNetFrameworkInstalledCheck", set_path("dotnet", None), "Skipped.FactsMissing", None),
    # WindowsManagementFrameworkInstalledCheck
    ("WindowsManagementFrameworkInstalledCheck", None, "Passed", None),
    ("WindowsManagementFrameworkInstalledCheck", set_path("host.powershell.windows_powershell_version", "4.0"),
     "PassedWithWarning", None),
    ("WindowsManagementFrameworkInstalledCheck", set_path("host.powershell.windows_powershell_version", "5.0.10586.117"),
     "PassedWithWarning", None),
    ("WindowsManagementFrameworkInstalledCheck", set_path("host.powershell.windows_powershell_version", "3.0"),
     "Failed", None),
    ("WindowsManagementFrameworkInstalledCheck", set_path("host.powershell.windows_powershell_version", None),
     "Skipped.FactsMissing", None),
    # TlsVersionCheck
    ("TlsVersionCheck", None, "Passed.EnabledByDefault", None),
    ("TlsVersionCheck", schannel(ON, ON), "Passed.EnabledByDefault", None),
    ("TlsVersionCheck", schannel({"Enabled": 0, "DisabledByDefault": None}), "Failed.ExplicitlyDisabled",
     "enable_tls12"),
    ("TlsVersionCheck", schannel(None, {"Enabled": None, "DisabledByDefault": 1}), "Failed.ExplicitlyDisabled",
     "enable_tls12"),
    ("TlsVersionCheck", chain(OS_2008R2_SP1, schannel(ON, ON)), "Passed", None),
    ("TlsVersionCheck", OS_2008R2_SP1, "Failed.NotExplicitlyEnabled", "enable_tls12"),
    ("TlsVersionCheck", chain(OS_2008R2_SP1, schannel(ON, {"Enabled": 1, "DisabledByDefault": None})),
     "Failed.NotExplicitlyEnabled", "enable_tls12"),
    ("TlsVersionCheck", chain(OS_2008R2_SP1, schannel({"Enabled": 0, "DisabledByDefault": 0}, ON)),
     "Failed.NotExplicitlyEnabled", "enable_tls12"),
    ("TlsVersionCheck", set_path("host.os.version_id", "6.1.7600"), "Failed.NoDefaultSupport", None),
    ("TlsVersionCheck", set_path("host.os.version_id", "6.0.6000"), "Failed.NoDefaultSupport", None),
    ("TlsVersionCheck", set_path("host.os.version_id", "6.0.6002"), "Failed", None),
    ("TlsVersionCheck", dotnet_tls(NOT_STRONG), "PassedWithWarning.DotNetDefault", "enable_tls12"),
    ("TlsVersionCheck", dotnet_tls({"SchUseStrongCrypto": 0, "SystemDefaultTlsVersions": 0}, NOT_STRONG),
     "PassedWithWarning.DotNetDefault", "enable_tls12"),
    ("TlsVersionCheck", dotnet_tls({"SchUseStrongCrypto": None, "SystemDefaultTlsVersions": 1},
                                   {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": None}),
     "Passed.EnabledByDefault", None),
    ("TlsVersionCheck", chain(OS_2008R2_SP1, schannel(ON, ON), dotnet_tls(None, NOT_STRONG)),
     "PassedWithWarning.DotNetDefault", "enable_tls12"),
    ("TlsVersionCheck", set_path("tls.dotnet", None), "Passed.EnabledByDefault", None),
    ("TlsVersionCheck", set_path("tls.schannel", None), "Skipped.FactsMissing", None),
    ("TlsVersionCheck", set_path("host.os.version_id", None), "Skipped.FactsMissing", None),
]


@pytest.mark.parametrize("rule_id,change,expected,action", CASES, ids=[case_id(c) for c in CASES])
def test_result(rule_id, change, expected, action):
    check_case(rule_id, change, expected, action)


def test_every_documented_message_id_is_produced_by_a_case():
    produced = set("%s.%s" % (c[0], c[2]) for c in CASES)
    declared = set(m for r in rules_windows.RULES for m in r.message_ids)
    assert declared == produced


def test_wmf_reads_windows_powershell_not_pwsh():
    doc = windows_doc.healthy()
    doc["host"]["powershell"].update(running_version="7.4.1", running_edition="Core",
                                     windows_powershell_version="4.0")
    finding = run("WindowsManagementFrameworkInstalledCheck", doc)
    assert finding["CheckResultMessageArguments"][0] == "4.0"
    assert "7.4.1" not in finding["CheckResultMessage"]


def test_dotnet_names_the_version():
    doc = windows_doc.healthy()
    doc["dotnet"]["release"] = 528049
    finding = run("DotNetFrameworkInstalledCheck", doc)
    assert finding["CheckResultMessageArguments"] == ["4.8", "528049"]
    doc["dotnet"]["release"] = 379893
    assert "4.5.2" in run("DotNetFrameworkInstalledCheck", doc)["CheckResultMessage"]


def test_tls_does_not_depend_on_other_findings():
    # Microsoft reads $validationResults[0]; here the OS facts alone decide, whatever runs before
    doc = windows_doc.healthy()
    doc["host"]["os"]["version_id"] = "6.0.6002"
    alone = run("TlsVersionCheck", doc)
    together = [f for f in catalog.evaluate(doc, catalog.select_rules(UMW_IDS, platform="windows"))
                if f["RuleId"] == "TlsVersionCheck"][0]
    assert alone["CheckResultMessageId"] == together["CheckResultMessageId"] == "TlsVersionCheck.Failed"


def test_tls_names_the_disabled_side():
    doc = windows_doc.healthy()
    schannel(None, OFF)(doc)
    finding = run("TlsVersionCheck", doc)
    assert "Server" in finding["CheckResultMessageArguments"]
    assert "Client" not in finding["CheckResultMessageArguments"]


# --------------------------------------------------------------------------- all three UMW modules

def test_umw_rules_are_windows_v1_and_in_the_catalog():
    rules = [r for module in UMW_MODULES for r in module.RULES]
    assert sorted(r.rule_id for r in rules) == sorted(UMW_IDS)
    windows_ids = catalog.rule_ids("windows")
    for rule in rules:
        assert rule.platform == "windows", rule.rule_id
        assert rule.generation == "v1", rule.rule_id
        assert rule.rule_id in windows_ids
        assert rule.rule_id not in catalog.rule_ids("linux")
        assert rule.message_ids and all(m.startswith(rule.rule_id + ".") for m in rule.message_ids)
        assert rule.scenario.startswith(rules_windows.OFFICIAL + rule.rule_id)


def test_umw_groups_are_microsofts():
    groups = dict((r.rule_id, r.group_id) for module in UMW_MODULES for r in module.RULES)
    assert set(i for i, g in groups.items() if g == "prerequisites") == set(UMW_IDS[:4])
    assert set(i for i, g in groups.items() if g == "servicehealth") == set(UMW_IDS[4:9])
    assert groups["CryptoRsaMachineKeysFolderAccessCheck"] == "permissions"
    assert set(i for i, g in groups.items() if g == "machineSettings") == set(UMW_IDS[10:13])
    assert set(i for i, g in groups.items() if g == "connectivity") == set(UMW_IDS[13:])


def test_healthy_document_passes_every_umw_rule():
    doc = windows_doc.healthy()
    findings = catalog.evaluate(doc, catalog.select_rules(UMW_IDS), {"controller_utc": doc["host"]["utc_now"]})
    assert len(findings) == len(UMW_IDS)
    for finding in findings:
        assert finding["CheckResult"] == "Passed", (finding["CheckResultMessageId"], finding["CheckResultMessage"])
        assert finding["evidence"]


def test_umw_rules_never_pass_on_an_empty_document():
    for finding in catalog.evaluate({"schema": 1, "platform": "windows"}, catalog.select_rules(UMW_IDS)):
        assert finding["CheckResult"] not in ("Passed", "PassedWithWarning"), finding["CheckResultMessageId"]
        assert not finding["CheckResultMessageId"].endswith("RuleError"), finding["CheckResultMessage"]


def test_docs_list_every_umw_rule_and_message_id():
    with open(DOC) as f:
        doc = f.read()
    block = doc.split("## Windows: Microsoft's troubleshooter rules (UMW)", 1)[1]
    for module in UMW_MODULES:
        for rule in module.RULES:
            assert "`%s`" % rule.rule_id in block, rule.rule_id
            for mid in rule.message_ids:
                assert "`%s`" % mid in block or "`%s`" % mid[len(rule.rule_id):] in block, mid


def test_coverage_maps_every_microsoft_rule_id():
    with open(DOC) as f:
        coverage = f.read().split("## Microsoft's Windows troubleshooter: coverage", 1)[1]
    assert [i for i in UMW_IDS if "`%s`" % i not in coverage] == []
