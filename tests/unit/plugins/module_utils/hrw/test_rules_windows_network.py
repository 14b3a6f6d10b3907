# -*- coding: utf-8 -*-
"""Windows connectivity rules (rules_windows_network.py): every result path of every rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_windows_network
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import test_rules_windows as shared
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc

set_path, chain, check_case, case_id, run = (shared.set_path, shared.chain, shared.check_case, shared.case_id,
                                             shared.run)
ENDPOINT_RULES = {
    "AutomationAgentServiceConnectivityCheck1": ("agentsvc", 1),
    "AutomationJobRuntimeDataServiceConnectivityCheck": ("jrds", 1),
    "LAOdsEndpointConnectivity": ("log_analytics", 1),
    "LAOmsEndpointConnectivity": ("log_analytics", 2),
}


def _entries(doc, purposes):
    return [ep for ep in doc["endpoints"] if (ep["purpose"], ep["index"]) in purposes
            or ep["purpose"] in purposes]


def broken(purposes, error_class):
    """The endpoints of ``purposes`` fail with ``error_class`` on the direct path (no proxy)."""
    def change(doc):
        for ep in _entries(doc, purposes):
            windows_doc.direct(ep, windows_doc.probe(error_class))
    change.__name__ = "broken(%s)" % error_class
    return change


def via_proxy(purposes, error_class, direct_class=None):
    """The agent has a proxy; through it the endpoints give ``error_class``, directly ``direct_class``."""
    def change(doc):
        doc["agent"]["proxy"] = {"url": "http://proxy.contoso.com:8080", "has_credentials": False, "source": "com"}
        for ep in doc["endpoints"]:
            cls = error_class if ep in _entries(doc, purposes) else None
            windows_doc.through_proxy(ep, windows_doc.probe(cls), windows_doc.probe(direct_class),
                                      ok=cls not in ("refused", "timeout", "dns", "proxy"),
                                      status=407 if cls == "proxy" else 200,
                                      error="the proxy answered CONNECT with HTTP/1.1 407" if cls == "proxy" else None)
    change.__name__ = "via_proxy(%s,%s)" % (error_class, direct_class)
    return change


def removed(purposes, errors=None):
    def change(doc):
        doc["endpoints"] = [ep for ep in doc["endpoints"] if ep not in _entries(doc, purposes)]
        if errors:
            doc["endpoint_errors"] = errors
    change.__name__ = "removed(%s)" % (purposes,)
    return change


def not_probed(purposes):
    def change(doc):
        for ep in _entries(doc, purposes):
            windows_doc.not_probed(ep)
    change.__name__ = "not_probed"
    return change


def tls_not_checked(purposes):
    def change(doc):
        for ep in _entries(doc, purposes):
            windows_doc.direct(ep, dict(windows_doc.probe(), tls=None))
    change.__name__ = "tls_not_checked"
    return change


def no_workspace(doc):
    doc["agent"]["workspaces"] = []
    doc["agent"]["workspace_id"] = None


def winhttp(*lines):
    change = set_path("network.winhttp_proxy.raw", ["Current WinHTTP proxy settings:", ""] + list(lines))
    change.__name__ = "winhttp%r" % (lines,)
    return change


def agent_proxy(url, source="com"):
    change = set_path("agent.proxy", {"url": url, "has_credentials": False, "source": source})
    change.__name__ = "agent_proxy(%s,%s)" % (url, source)
    return change


def imds(**values):
    def change(doc):
        doc["network"]["imds"].update(values)
    change.__name__ = "imds%r" % (values,)
    return change


WINHTTP_PROXY = winhttp("    Proxy Server(s) :  proxy.contoso.com:8080", "    Bypass List     :  <local>")
IMDS_FAILS = imds(ok=False, status=None, error="Unable to connect to the remote server", direct_ok=False)
NOT_AZURE = set_path("network.azure_vm.detected", False)
AUTOMATION = ("agentsvc", "jrds", "account_agentsvc", "account_jrds")
NO_LEGACY = "no legacy jobruntimedata record for region francecentral"

CASES = []
for _rule_id, _key in sorted(ENDPOINT_RULES.items()):
    _one = [_key]
    CASES += [
        (_rule_id, None, "Passed", None),
        (_rule_id, broken(_one, "dns"), "Failed.Dns", None),
        (_rule_id, broken(_one, "refused"), "Failed.Refused", None),
        (_rule_id, broken(_one, "timeout"), "Failed.Timeout", None),
        (_rule_id, broken(_one, "tls"), "Failed.Tls", None),
        (_rule_id, via_proxy(_one, "proxy"), "Failed.Proxy", None),
        (_rule_id, broken(_one, "other"), "Failed.Other", None),
        (_rule_id, via_proxy([], None), "Passed", None),
        (_rule_id, via_proxy(_one, "tls"), "Failed.Tls", None),
        (_rule_id, tls_not_checked(_one), "Information.TlsNotChecked", None),
        (_rule_id, not_probed(_one), "Skipped.NotProbed", None),
        (_rule_id, set_path("endpoints", None), "Skipped.FactsMissing", None),
    ]
    if _key[0] == "jrds":
        CASES += [
            (_rule_id, chain(removed(_one), set_path("network.automation_account.region", None)),
             "Skipped.RegionUnknown", None),
            (_rule_id, removed(_one, [{"purpose": "jrds", "reason": NO_LEGACY}]),
             "Failed.UnableToGetEndpoint", None),
            (_rule_id, removed(_one), "Skipped.NotProbed", None),
        ]
    else:
        CASES += [
            (_rule_id, chain(removed(_one), no_workspace), "Failed.NoRegistrationFound", None),
            (_rule_id, removed(_one, [{"purpose": _key[0], "reason": "the agent has 2 workspaces"}]),
             "Failed.NoRegistrationFound", None),
        ]
CASES += [
    # HttpsConnection
    ("HttpsConnection", None, "Passed", None),
    ("HttpsConnection", broken(["agentsvc", "jrds", "account_agentsvc"], "tls"), "Passed", None),
    ("HttpsConnection", via_proxy([], None), "Passed", None),
    ("HttpsConnection", via_proxy(AUTOMATION, "proxy", None), "PassedWithWarning", None),
    ("HttpsConnection", via_proxy(AUTOMATION, "timeout", "timeout"), "Failed", None),
    ("HttpsConnection", broken(AUTOMATION, "tls"), "Failed", None),
    ("HttpsConnection", not_probed(AUTOMATION), "Skipped.NotProbed", None),
    ("HttpsConnection", removed(AUTOMATION), "Skipped.NotProbed", None),
    ("HttpsConnection", set_path("endpoints", None), "Skipped.FactsMissing", None),
    # ProxySettings
    ("ProxySettings", None, "Passed", None),
    ("ProxySettings", WINHTTP_PROXY, "PassedWithWarning.AgentNoProxy", None),
    ("ProxySettings", agent_proxy("http://proxy.contoso.com:8080"), "PassedWithWarning.WinHttpNoProxy", None),
    ("ProxySettings", chain(WINHTTP_PROXY, agent_proxy("http://proxy.contoso.com:8080")), "PassedWithWarning", None),
    ("ProxySettings", chain(WINHTTP_PROXY, agent_proxy("http://other.contoso.com:3128")),
     "PassedWithWarning.Different", None),
    ("ProxySettings", agent_proxy(None, source=None), "Passed", None),
    ("ProxySettings", chain(WINHTTP_PROXY, set_path("agent.proxy", None)), "PassedWithWarning", None),
    ("ProxySettings", winhttp("    Accès direct (pas de serveur proxy)."), "Information.Unparsed", None),
    ("ProxySettings", set_path("network.winhttp_proxy.raw", None), "Skipped.FactsMissing", None),
    ("ProxySettings", set_path("network", None), "Skipped.FactsMissing", None),
    # IMDSConnectivity
    ("IMDSConnectivity", None, "Passed", None),
    ("IMDSConnectivity", imds(ok=False, status=None, error="(407) Proxy Authentication Required", direct_ok=True),
     "Failed", None),
    ("IMDSConnectivity", IMDS_FAILS, "Failed.Unreachable", None),
    ("IMDSConnectivity", chain(IMDS_FAILS, NOT_AZURE), "Information.NotAzureVm", None),
    ("IMDSConnectivity", chain(IMDS_FAILS, set_path("network.azure_vm.detected", None)), "PassedWithWarning", None),
    ("IMDSConnectivity", chain(imds(probed=False, reason="not an Azure VM", ok=None), NOT_AZURE),
     "Information.NotAzureVm", None),
    ("IMDSConnectivity", imds(probed=False, reason="probe_endpoints is false", ok=None), "Skipped.NotProbed", None),
    ("IMDSConnectivity", set_path("network.imds", None), "Skipped.FactsMissing", None),
]
del _rule_id, _key, _one

CONTEXT_CASES = [(r, None, "Skipped.NotProbed", None, {"probe_endpoints": False})
                 for r in sorted(ENDPOINT_RULES) + ["HttpsConnection"]]
CONTEXT_CASES += [
    ("AutomationJobRuntimeDataServiceConnectivityCheck",
     chain(removed([("jrds", 1)]), set_path("network.automation_account.region", None)), "Skipped.NotProbed", None,
     {"automation_account_region": "westeurope"}),
]


@pytest.mark.parametrize("rule_id,change,expected,action", CASES, ids=[case_id(c) for c in CASES])
def test_result(rule_id, change, expected, action):
    check_case(rule_id, change, expected, action)


@pytest.mark.parametrize("rule_id,change,expected,action,context", CONTEXT_CASES,
                         ids=[case_id(c) for c in CONTEXT_CASES])
def test_result_with_context(rule_id, change, expected, action, context):
    check_case(rule_id, change, expected, action, context)


def test_every_documented_message_id_is_produced_by_a_case():
    produced = set("%s.%s" % (c[0], c[2]) for c in CASES + CONTEXT_CASES)
    declared = set(m for r in rules_windows_network.RULES for m in r.message_ids)
    assert declared == produced


def test_failure_through_the_proxy_says_whether_direct_works():
    doc = windows_doc.healthy()
    via_proxy([("agentsvc", 1)], "tls", None)(doc)
    finding = run("AutomationAgentServiceConnectivityCheck1", doc)
    assert "directly, without the proxy, it works" in finding["CheckResultMessage"]
    assert finding["evidence"]["path"] == "proxy"


def test_jrds_region_unknown_tells_the_user_what_to_set():
    doc = windows_doc.healthy()
    chain(removed([("jrds", 1)]), set_path("network.automation_account.region", None))(doc)
    finding = run("AutomationJobRuntimeDataServiceConnectivityCheck", doc)
    assert "automation_account_region" in finding["CheckResultMessage"]


def test_https_uses_the_probed_automation_hosts_not_eus2():
    doc = windows_doc.healthy()
    broken(AUTOMATION, "timeout")(doc)
    finding = run("HttpsConnection", doc)
    assert "eus2" not in finding["CheckResultMessage"]
    assert doc["agent"]["workspace_id"] + ".agentsvc.azure-automation.net" in finding["CheckResultMessageArguments"]
    assert finding["CheckResultMessageArguments"] == [ep["host"] for ep in _entries(doc, AUTOMATION)]
    assert [ep["purpose"] for ep in _entries(doc, AUTOMATION)] == list(AUTOMATION)


def test_proxy_parsing():
    parse = rules_windows_network.parse_winhttp
    assert parse(["Current WinHTTP proxy settings:", "", "    Direct access (no proxy server)."]) == \
        {"direct": True, "server": None, "bypass": None}
    assert parse(["    Proxy Server(s) :  http=p:80;https=p:443", "    Bypass List     :  <local>;*.contoso.com"]) == \
        {"direct": False, "server": "http=p:80;https=p:443", "bypass": "<local>;*.contoso.com"}
    hosts = rules_windows_network.proxy_hosts
    assert hosts("http=p:80;https=p:443") == {"p:80", "p:443"}
    assert hosts("http://user@P:3128/") == {"p:3128"}


def test_proxy_evidence_has_both_settings():
    doc = windows_doc.healthy()
    WINHTTP_PROXY(doc)
    finding = run("ProxySettings", doc)
    assert finding["evidence"]["winhttp"]["server"] == "proxy.contoso.com:8080"
    assert finding["evidence"]["agent_proxy"]["url"] is None
    assert finding["evidence"]["winhttp"]["raw"]
