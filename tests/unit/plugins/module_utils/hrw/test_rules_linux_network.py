# -*- coding: utf-8 -*-
"""Every result path of the network rules (rules_linux_network.py), on the healthy fixture and mutations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog, rules_linux_network

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
with open(os.path.join(ROOT, "tests", "unit", "fixtures", "facts", "linux_v1_healthy.json")) as _f:
    HEALTHY = json.load(_f)
DOC = os.path.join(ROOT, "docs", "rules.md")
PROXY_CONF = "/etc/opt/microsoft/omsagent/proxy.conf"
ISSUER = "C=US, O=Contoso Ltd, CN=Contoso TLS Inspection CA"


def facts():
    return copy.deepcopy(HEALTHY)


def run(rule_id, doc, context=None):
    [finding] = catalog.evaluate(doc, [catalog.get_rule(rule_id)], context)
    return finding


def mid(finding):
    return finding["CheckResultMessageId"]


def _probe(error_class=None, issuer="CN=Microsoft Azure RSA TLS Issuing CA 04", tcp_ok=True, status=200):
    tls = None
    if tcp_ok:
        tls = {"ok": error_class is None, "error": None if error_class is None else "certificate verify failed",
               "subject": "CN=x", "issuer": issuer, "not_after": "2027-01-01T00:00:00Z"}
    if error_class == "proxy":
        tls = None
    return {"dns": {"ok": True, "addresses": ["10.0.0.5"], "error": None},
            "tcp": {"ok": tcp_ok, "error": None if tcp_ok else "10.0.0.5:3128: [Errno 111] Connection refused"},
            "tls": tls, "elapsed_ms": 5, "error_class": error_class}


def with_proxy(via, direct_ok=False, readable=True):
    """The healthy document with a proxy configured and every endpoint probed through it as ``via``."""
    doc = facts()
    doc["network"]["proxy"].update({
        "configured": True, "path": PROXY_CONF, "scheme": "http", "host": "proxy.contoso.com", "port": 3128,
        "user": "svc-hrw", "has_credentials": True, "url": "http://svc-hrw@proxy.contoso.com:3128",
        "omsagent_can_read": readable})
    doc["network"]["proxy"]["files"][PROXY_CONF] = {"exists": True, "owner": "omsagent", "group": "omiusers",
                                                    "mode": "0640" if readable else "0600"}
    for ep in doc["endpoints"]:
        proxied = copy.deepcopy(via)
        proxied["proxy"] = {"host": "proxy.contoso.com", "port": 3128, "ok": via["error_class"] not in
                            ("refused", "timeout", "dns", "proxy"), "status": 407 if via["error_class"] == "proxy"
                            else 200, "error": "the proxy answered CONNECT with HTTP/1.1 407"
                            if via["error_class"] == "proxy" else None}
        ep["via_proxy"] = proxied
        ep["direct"] = _probe() if direct_ok else _probe("timeout", tcp_ok=False)
        for key in ("dns", "tcp", "tls", "elapsed_ms", "error_class"):
            ep[key] = copy.deepcopy(proxied[key])
    return doc


def test_healthy_fixture_passes_every_network_rule():
    for rule in rules_linux_network.RULES:
        finding = run(rule.rule_id, facts())
        assert finding["CheckResult"] == "Passed", (rule.rule_id, finding["CheckResultMessage"])
        assert finding["evidence"]


# --------------------------------------------------------------------------- Linux.DmidecodeCheck

def test_dmidecode_paths():
    assert mid(run("Linux.DmidecodeCheck", facts())) == "Linux.DmidecodeCheck.Passed"
    doc = facts()
    doc["network"]["azure_vm"].update(detected=False, chassis_asset_tag="No Asset Tag")
    finding = run("Linux.DmidecodeCheck", doc)
    assert mid(finding) == "Linux.DmidecodeCheck.Information.NotAzureVm"
    assert finding["RuleGroupId"] == "prerequisites"
    doc["network"]["azure_vm"].update(detected=None, chassis_asset_tag=None)
    assert mid(run("Linux.DmidecodeCheck", doc)) == "Linux.DmidecodeCheck.Information.Unknown"


# --------------------------------------------------------------------------- Linux.ImdsCheck

def test_imds_paths():
    assert mid(run("Linux.ImdsCheck", facts())) == "Linux.ImdsCheck.Passed"
    doc = facts()
    doc["network"]["imds"].update(ok=False, status=None, error="TimeoutError: timed out")
    finding = run("Linux.ImdsCheck", doc)
    assert mid(finding) == "Linux.ImdsCheck.Failed.Unreachable"
    assert "TimeoutError" in finding["CheckResultMessage"]
    assert finding["remediation"]["manual"]
    doc["network"]["imds"].update(probed=False, reason="probing is off", ok=None)
    assert mid(run("Linux.ImdsCheck", doc)) == "Linux.ImdsCheck.Skipped.NotProbed"


def test_imds_on_a_non_azure_host_is_information_not_failed():
    doc = facts()
    doc["network"]["azure_vm"]["detected"] = False
    doc["network"]["imds"] = {"probed": False, "reason": "not an Azure VM", "url": None, "ok": None,
                              "status": None, "error": None, "elapsed_ms": None}
    finding = run("Linux.ImdsCheck", doc)
    assert mid(finding) == "Linux.ImdsCheck.Information.NotAzureVm"
    assert finding["remediation"] == {"action": None, "manual": None}


# --------------------------------------------------------------------------- Linux.ProxyCheck

def test_no_proxy_is_passed_direct():
    finding = run("Linux.ProxyCheck", facts())
    assert mid(finding) == "Linux.ProxyCheck.Passed.Direct"
    assert "directly" in finding["CheckResultMessage"]


def test_working_proxy_passes():
    finding = run("Linux.ProxyCheck", with_proxy(_probe()))
    assert mid(finding) == "Linux.ProxyCheck.Passed"
    assert "0 of" in finding["CheckResultMessage"]  # and says the direct path does not work
    assert finding["evidence"]["proxy"]["url"] == "http://svc-hrw@proxy.contoso.com:3128"


def test_dead_proxy_says_whether_direct_works():
    finding = run("Linux.ProxyCheck", with_proxy(_probe("refused", tcp_ok=False), direct_ok=True))
    assert mid(finding) == "Linux.ProxyCheck.Failed.ProxyUnreachable"
    n = len(HEALTHY["endpoints"])
    assert "directly, without the proxy, %d of %d endpoints work" % (n, n) in finding["CheckResultMessage"]
    assert finding["remediation"]["manual"]
    paths = finding["evidence"]["paths"]
    assert all(p["direct"]["works"] is True and p["via_proxy"]["works"] is False for p in paths.values())


def test_intercepting_proxy_names_the_issuer():
    finding = run("Linux.ProxyCheck", with_proxy(_probe("tls", issuer=ISSUER)))
    assert mid(finding) == "Linux.ProxyCheck.Failed.TlsInterception"
    assert ISSUER in finding["CheckResultMessage"]
    assert ISSUER in finding["CheckResultMessageArguments"]
    assert "TLS inspection" in finding["remediation"]["manual"]


def test_proxy_refusing_tunnels():
    finding = run("Linux.ProxyCheck", with_proxy(_probe("proxy")))
    assert mid(finding) == "Linux.ProxyCheck.Failed.ConnectRejected"
    assert "407" in finding["CheckResultMessage"]


def test_proxy_conf_unreadable_by_omsagent():
    finding = run("Linux.ProxyCheck", with_proxy(_probe(), readable=False))
    assert mid(finding) == "Linux.ProxyCheck.Failed.NotReadable"
    assert "chmod 640" in finding["remediation"]["manual"]
    assert finding["remediation"]["action"] == "fix_proxy_conf"


def test_invalid_proxy_conf():
    doc = with_proxy(_probe())
    doc["network"]["proxy"]["error"] = "unsupported protocol 'socks5' (http or https expected)"
    assert mid(run("Linux.ProxyCheck", doc)) == "Linux.ProxyCheck.Failed.Invalid"


def test_some_endpoints_fail_through_a_working_proxy():
    doc = with_proxy(_probe())
    doc["endpoints"][0]["via_proxy"] = _probe("refused", tcp_ok=False)
    doc["endpoints"][0]["via_proxy"]["tcp"]["ok"] = True  # the proxy was reached
    doc["endpoints"][0]["via_proxy"]["error_class"] = "other"
    assert mid(run("Linux.ProxyCheck", doc)) == "Linux.ProxyCheck.PassedWithWarning.SomeEndpoints"


def test_https_proxy_is_not_probed_through():
    doc = facts()
    doc["network"]["proxy"].update(configured=True, path=PROXY_CONF, scheme="https", host="proxy", port=443,
                                   url="https://proxy:443", omsagent_can_read=True)
    finding = run("Linux.ProxyCheck", doc)
    assert mid(finding) == "Linux.ProxyCheck.Information.HttpsProxyNotProbed"
    assert "direct path" in finding["CheckResultMessage"]


def test_proxy_not_probed():
    doc = with_proxy(_probe())
    for ep in doc["endpoints"]:
        ep["via_proxy"] = None
    assert mid(run("Linux.ProxyCheck", doc)) == "Linux.ProxyCheck.Skipped.NotProbed"


def test_credentials_never_in_the_finding():
    doc = with_proxy(_probe())
    assert "S3cret" not in json.dumps(run("Linux.ProxyCheck", doc))


# --------------------------------------------------------------------------- connectivity, proxy-aware

def test_connectivity_through_a_dead_proxy_says_direct_works():
    doc = with_proxy(_probe("refused", tcp_ok=False), direct_ok=True)
    finding = run("Linux.AgentServiceConnectivityCheck", doc)
    assert mid(finding) == "Linux.AgentServiceConnectivityCheck.Failed.Refused"
    assert "directly, without the proxy, it works" in finding["CheckResultMessage"]
    assert finding["evidence"]["path"] == "proxy"
    assert finding["evidence"]["endpoint"]["direct"]["error_class"] is None


def test_connectivity_through_a_working_proxy_passes_even_if_direct_is_blocked():
    finding = run("Linux.JRDSConnectivityCheck", with_proxy(_probe(), direct_ok=False))
    assert mid(finding) == "Linux.JRDSConnectivityCheck.Passed"
    assert "through the agent's proxy" in finding["CheckResultMessage"]


def test_connectivity_proxy_rejected_tunnel():
    finding = run("Linux.InternetConnectionCheck", with_proxy(_probe("proxy")))
    assert mid(finding) == "Linux.InternetConnectionCheck.Failed.Proxy"
    assert "407" in finding["CheckResultMessage"]


# --------------------------------------------------------------------------- endpoint rules

def test_user_worker_jrds_paths():
    doc = facts()
    [ep] = [e for e in doc["endpoints"] if e["purpose"] == "jrds_user"]
    ep.update(error_class="timeout", tcp={"ok": False, "error": "timed out"}, tls=None)
    assert mid(run("Linux.UserWorkerJRDSConnectivityCheck", doc)) == \
        "Linux.UserWorkerJRDSConnectivityCheck.Failed.Timeout"
    doc = facts()
    doc["worker"]["user_worker_conf"] = None
    doc["endpoints"] = [e for e in doc["endpoints"] if e["purpose"] != "jrds_user"]
    assert mid(run("Linux.UserWorkerJRDSConnectivityCheck", doc)) == \
        "Linux.UserWorkerJRDSConnectivityCheck.Information.NoUserWorker"
    doc = facts()
    doc["endpoints"] = [e for e in doc["endpoints"] if e["purpose"] != "jrds_user"]
    doc["endpoint_errors"] = [{"purpose": "jrds_user", "reason": "no jrds_base_uri in the user worker.conf"}]
    assert mid(run("Linux.UserWorkerJRDSConnectivityCheck", doc)) == \
        "Linux.UserWorkerJRDSConnectivityCheck.Failed.UnableToGetEndpoint"


@pytest.mark.parametrize("rule_id, purpose", [
    ("Linux.AccountAgentServiceConnectivityCheck", "account_agentsvc"),
    ("Linux.AccountJRDSConnectivityCheck", "account_jrds"),
])
def test_account_rules(rule_id, purpose):
    assert mid(run(rule_id, facts())) == rule_id + ".Passed"
    doc = facts()
    doc["network"]["automation_account"] = {"id": None, "region": None}
    doc["endpoints"] = [e for e in doc["endpoints"] if not e["purpose"].startswith("account_")]
    finding = run(rule_id, doc)
    assert mid(finding) == rule_id + ".Skipped.NotRequested"
    assert "automation_account_region" in finding["CheckResultMessage"]
    doc["network"]["automation_account"] = {"id": "b2d4e6f8-1a3c-4e5f-9a7b-2c4d6e8f0a1b", "region": "marsnorth"}
    doc["endpoint_errors"] = [{"purpose": purpose, "reason": "unknown Automation account region 'marsnorth'"}]
    finding = run(rule_id, doc)
    assert mid(finding) == rule_id + ".Failed.UnableToGetEndpoint"
    assert "marsnorth" in finding["CheckResultMessage"]
    doc = facts()
    [ep] = [e for e in doc["endpoints"] if e["purpose"] == purpose]
    ep.update(error_class="dns", dns={"ok": False, "addresses": [], "error": "Name or service not known"},
              tcp=None, tls=None)
    assert mid(run(rule_id, doc)) == rule_id + ".Failed.Dns"


def test_internet_paths():
    doc = facts()
    [ep] = [e for e in doc["endpoints"] if e["purpose"] == "internet"]
    ep.update(error_class="refused", tcp={"ok": False, "error": "refused"}, tls=None)
    assert mid(run("Linux.InternetConnectionCheck", doc)) == "Linux.InternetConnectionCheck.Failed.Refused"
    doc["endpoints"].remove(ep)
    assert mid(run("Linux.InternetConnectionCheck", doc)) == "Linux.InternetConnectionCheck.Skipped.NotProbed"


# --------------------------------------------------------------------------- missing facts and docs

NETWORK_IDS = [r.rule_id for r in rules_linux_network.RULES]
ENDPOINT_IDS = ["Linux.ProxyCheck", "Linux.InternetConnectionCheck", "Linux.UserWorkerJRDSConnectivityCheck"]


@pytest.mark.parametrize("mutate, must_not_pass", [
    (lambda d: d.pop("network"), [i for i in NETWORK_IDS if i not in ENDPOINT_IDS[1:]]),
    (lambda d: d.update(network=None), [i for i in NETWORK_IDS if i not in ENDPOINT_IDS[1:]]),
    (lambda d: d.update(network={}), [i for i in NETWORK_IDS if i not in ENDPOINT_IDS[1:]]),
    (lambda d: d.update(endpoints=None, worker=None), ENDPOINT_IDS[1:] + ["Linux.AccountJRDSConnectivityCheck"]),
])
def test_missing_facts_never_pass_or_crash(mutate, must_not_pass):
    doc = facts()
    mutate(doc)
    for rule in rules_linux_network.RULES:
        finding = run(rule.rule_id, doc)
        assert not mid(finding).endswith("RuleError"), finding["CheckResultMessage"]
        if rule.rule_id in must_not_pass:
            assert finding["CheckResult"] != "Passed", mid(finding)
            assert finding["evidence"] is not None


def test_every_message_id_is_documented():
    with open(DOC) as f:
        doc = f.read()
    for rule in rules_linux_network.RULES:
        assert "`%s`" % rule.rule_id in doc
        for message_id in rule.message_ids:
            suffix = message_id[len(rule.rule_id):]
            assert "`%s`" % suffix in doc, message_id
