# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux rules: proxy, per-cloud and per-region endpoints, IMDS and Azure VM detection.

Pure rules over the facts document (DESIGN §2): stdlib only, Python 3.8 syntax, no I/O.
They read ``network`` (linux_network.py) and the ``endpoints`` (with ``direct`` and
``via_proxy`` per endpoint, ADR 0001).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    PREREQUISITES,
    Rule,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_linux import (
    CONNECTIVITY,
    GENERATION,
    OFFICIAL,
    PLATFORM,
    _connectivity_check,
    _dict,
    _find_endpoint,
    _path_works,
)

NETWORK_DOC = "automation-network-configuration"
PROXY_CONF = "/etc/opt/microsoft/omsagent/proxy.conf"
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
PROXY_MANUAL = ("Fix /etc/opt/microsoft/omsagent/proxy.conf ([protocol://][user:pass@]host[:port]) or "
                "the proxy itself, then restart the agent: sudo /opt/microsoft/omsagent/bin/service_control "
                "restart (see %s)." % NETWORK_DOC)


def _network(facts):
    network = _dict(facts).get("network")
    return network if isinstance(network, dict) else None


def _facts_missing(what, value):
    return skipped("FactsMissing", "Not checked: the facts hold no %s." % what, evidence={what: value})


def _summary(result):
    """A short per-path summary for evidence: {works, error_class, error, issuer}."""
    if not isinstance(result, dict):
        return None
    tls = _dict(result.get("tls"))
    error = (_dict(result.get("proxy")).get("error") or _dict(result.get("tcp")).get("error")
             or tls.get("error") or _dict(result.get("dns")).get("error"))
    return {"works": _path_works(result), "error_class": result.get("error_class"), "error": error,
            "issuer": tls.get("issuer")}


# --------------------------------------------------------------------------- Linux.DmidecodeCheck

def check_dmidecode(facts, context):
    network = _network(facts)
    vm = _dict(network).get("azure_vm")
    if not isinstance(vm, dict):
        return _facts_missing("network.azure_vm", vm)
    evidence = {"azure_vm": vm}
    if vm.get("detected") is True:
        return passed("This is an Azure VM: the DMI chassis asset tag is %s." % AZURE_ASSET_TAG,
                      arguments=[vm.get("chassis_asset_tag")], evidence=evidence)
    if vm.get("detected") is False:
        return information("NotAzureVm",
                           "Not an Azure VM (DMI chassis asset tag %r, vendor %r, product %r): the "
                           "Azure-only checks (IMDS) do not apply." % (
                               vm.get("chassis_asset_tag"), vm.get("sys_vendor"), vm.get("product_name")),
                           arguments=[vm.get("chassis_asset_tag")], evidence=evidence)
    return information("Unknown",
                       "Whether this is an Azure VM is not known: %s could not be read." % vm.get("source"),
                       evidence=evidence)


# --------------------------------------------------------------------------- Linux.ImdsCheck

def check_imds(facts, context):
    network = _network(facts)
    vm = _dict(network).get("azure_vm")
    imds = _dict(network).get("imds")
    if not isinstance(vm, dict) or not isinstance(imds, dict):
        return _facts_missing("network.imds", None if network is None else imds)
    evidence = {"azure_vm": vm, "imds": imds}
    if vm.get("detected") is not True:
        return information("NotAzureVm",
                           "Not an Azure VM, so IMDS (169.254.169.254) does not apply and was not "
                           "contacted.", evidence=evidence)
    if not imds.get("probed"):
        return skipped("NotProbed", "Not checked: IMDS was not probed (%s)." % imds.get("reason"),
                       evidence=evidence)
    if imds.get("ok") is True:
        return passed("IMDS answered %s at %s (%s ms), directly, without a proxy." % (
            imds.get("status"), imds.get("url"), imds.get("elapsed_ms")), arguments=[imds.get("url")],
            evidence=evidence)
    return failed("Unreachable",
                  "This Azure VM cannot reach IMDS at %s: %s." % (imds.get("url"), imds.get("error")),
                  arguments=[imds.get("url")], evidence=evidence)


# --------------------------------------------------------------------------- Linux.ProxyCheck

def _proxy_results(facts):
    out = []
    for ep in _dict(facts).get("endpoints") or []:
        if isinstance(ep, dict) and isinstance(ep.get("via_proxy"), dict):
            out.append(ep)
    return out


def check_proxy(facts, context):
    network = _network(facts)
    proxy = _dict(network).get("proxy")
    if not isinstance(proxy, dict):
        return _facts_missing("network.proxy", None if network is None else proxy)
    keys = ("configured", "path", "url", "scheme", "host", "port", "user", "has_credentials", "error",
            "omsagent_can_read", "files")
    shown = dict((k, proxy.get(k)) for k in keys)
    evidence = {"proxy": shown}
    if not proxy.get("configured"):
        return passed("No proxy is configured for the agent (no usable proxy.conf): it connects directly.",
                      reason="Direct", evidence=evidence)
    url = proxy.get("url")
    if proxy.get("error"):
        return failed("Invalid", "The agent's proxy setting in %s is not usable: %s." % (
            proxy.get("path"), proxy.get("error")), arguments=[proxy.get("path")], evidence=evidence)
    if proxy.get("omsagent_can_read") is False:
        info = _dict(_dict(proxy.get("files")).get(proxy.get("path")))
        return failed(
            "NotReadable",
            "%s (owner %s, group %s, mode %s) is not readable by the omsagent user, so the agent "
            "ignores its proxy." % (proxy.get("path"), info.get("owner"), info.get("group"), info.get("mode")),
            arguments=[proxy.get("path")], evidence=evidence,
            remediation=remediation("fix_proxy_conf", "sudo chown omsagent:omiusers %s && sudo chmod 640 %s"
                                    % (proxy.get("path"), proxy.get("path"))))
    if proxy.get("scheme") == "https":
        return information("HttpsProxyNotProbed",
                           "The agent reaches its proxy %s over TLS (https://); the endpoints were not probed "
                           "through it (only http:// proxies are), so the connectivity results are those of "
                           "the direct path." % url, arguments=[url], evidence=evidence)
    eps = _proxy_results(facts)
    if not eps:
        return skipped("NotProbed", "Not checked: the endpoints were not probed through the proxy %s." % url,
                       arguments=[url], evidence=evidence)
    paths = dict(("%s %s %s:%s" % (ep.get("purpose"), ep.get("index"), ep.get("host"), ep.get("port")),
                  {"via_proxy": _summary(ep.get("via_proxy")), "direct": _summary(ep.get("direct"))})
                 for ep in eps)
    evidence["paths"] = paths
    direct_ok = [name for name, p in paths.items() if _dict(p["direct"]).get("works")]
    direct_text = ("directly, without the proxy, %d of %d endpoints work" % (len(direct_ok), len(paths)))
    unreachable = [ep for ep in eps if _dict(ep["via_proxy"]).get("error_class") in ("dns", "refused", "timeout")
                   and _dict(_dict(ep["via_proxy"]).get("tcp")).get("ok") is not True]
    if len(unreachable) == len(eps):
        first = _summary(unreachable[0]["via_proxy"])
        return failed("ProxyUnreachable",
                      "The agent's proxy %s is unreachable (%s: %s); %s." % (
                          url, first.get("error_class"), first.get("error"), direct_text),
                      arguments=[url], evidence=evidence)
    intercepted = [ep for ep in eps if _dict(ep["via_proxy"]).get("error_class") == "tls"
                   and _dict(_dict(ep["via_proxy"]).get("tls")).get("issuer")]
    if intercepted:
        issuer = _dict(intercepted[0]["via_proxy"]["tls"]).get("issuer")
        return failed("TlsInterception",
                      "Through the proxy %s, %d endpoint(s) present a certificate this host does not "
                      "trust, issued by %r: the proxy intercepts TLS; %s." % (
                          url, len(intercepted), issuer, direct_text),
                      arguments=[url, issuer], evidence=evidence,
                      remediation=remediation(None, "Exempt *.azure-automation.net, *.opinsights.azure.com "
                                              "and the other Automation endpoints from TLS inspection at "
                                              "the proxy %s (see %s)." % (url, NETWORK_DOC)))
    rejected = [ep for ep in eps if _dict(ep["via_proxy"]).get("error_class") == "proxy"]
    if len(rejected) == len(eps):
        return failed("ConnectRejected", "The proxy %s refuses to open tunnels: %s; %s." % (
            url, _summary(rejected[0]["via_proxy"]).get("error"), direct_text),
            arguments=[url], evidence=evidence)
    broken = [name for name, p in paths.items() if not _dict(p["via_proxy"]).get("works")]
    if broken:
        message = ("The proxy %s works, but %d endpoint(s) fail through it: %s (see their connectivity "
                   "rules); %s." % (url, len(broken), ", ".join(sorted(broken)), direct_text))
        return warning("SomeEndpoints", message, arguments=[url], evidence=evidence)
    return passed("The agent's proxy %s is reachable and all %d endpoints work through it (TLS verified); %s."
                  % (url, len(eps), direct_text), arguments=[url], evidence=evidence)


# --------------------------------------------------------------------------- endpoint rules

def _user_worker_jrds(facts, context):
    worker = _dict(facts).get("worker")
    if not isinstance(worker, dict):
        return _facts_missing("worker", worker)
    if worker.get("user_worker_conf") is None:
        return information("NoUserWorker", "No user (DIY) worker is registered on this host (no user "
                           "worker.conf), so it has no JRDS endpoint to reach.",
                           evidence={"user_worker_conf_path": worker.get("user_worker_conf_path")})
    return _connectivity_check("jrds_user", 1)(facts, context)


def _account_check(purpose):
    inner = _connectivity_check(purpose, 1)

    def check(facts, context):
        network = _network(facts)
        account = _dict(network).get("automation_account")
        if not isinstance(account, dict):
            return _facts_missing("network.automation_account", None if network is None else account)
        if not account.get("id") or not account.get("region"):
            return skipped("NotRequested",
                           "Not checked: the Automation account id and region were not both given "
                           "(options automation_account_id and automation_account_region).",
                           evidence={"automation_account": account})
        return inner(facts, context)

    return check


def _internet(facts, context):
    if isinstance(_dict(facts).get("endpoints"), list) and _find_endpoint(facts, "internet", 1) is None:
        return skipped("NotProbed", "Not checked: the facts hold no internet check endpoint (bing.com).",
                       evidence={"endpoints": len(_dict(facts).get("endpoints"))})
    return _connectivity_check("internet", 1)(facts, context)


# --------------------------------------------------------------------------- catalog

def _rule(rule_id, name, description, check, manual, group=CONNECTIVITY, scenario=None, ids=()):
    return Rule(rule_id, group[0], name, group[1], description, check, platform=PLATFORM,
                generation=GENERATION, scenario=scenario or OFFICIAL + rule_id,
                remediation=remediation(None, manual), message_ids=ids)


_OPEN_443 = ("Allow outbound TCP 443 from this host to the endpoint, without TLS inspection, directly or "
             "through the agent's proxy (%s)." % PROXY_CONF)

RULES = [
    _rule("Linux.DmidecodeCheck", "Azure VM (DMI)",
          "Whether the host is an Azure VM, from the DMI chassis asset tag (no dmidecode needed).",
          check_dmidecode, None, group=PREREQUISITES,
          ids=("Linux.DmidecodeCheck.Passed", "Linux.DmidecodeCheck.Information.NotAzureVm",
               "Linux.DmidecodeCheck.Information.Unknown")),
    _rule("Linux.ProxyCheck", "Agent proxy",
          "The agent's proxy (proxy.conf) is readable by omsagent, reachable, and the endpoints work "
          "through it without TLS interception; no proxy is a pass.",
          check_proxy, PROXY_MANUAL, scenario=OFFICIAL + "Linux.ProxyCheck; automation-network-configuration",
          ids=("Linux.ProxyCheck.Passed", "Linux.ProxyCheck.Passed.Direct", "Linux.ProxyCheck.Failed.Invalid",
               "Linux.ProxyCheck.Failed.NotReadable", "Linux.ProxyCheck.Failed.ProxyUnreachable",
               "Linux.ProxyCheck.Failed.TlsInterception", "Linux.ProxyCheck.Failed.ConnectRejected",
               "Linux.ProxyCheck.PassedWithWarning.SomeEndpoints", "Linux.ProxyCheck.Skipped.NotProbed",
               "Linux.ProxyCheck.Information.HttpsProxyNotProbed")),
    _rule("Linux.ImdsCheck", "Azure IMDS",
          "On an Azure VM, the instance metadata service (169.254.169.254) answers directly.",
          check_imds, "Route 169.254.169.254 directly (exclude it from any proxy and firewall rule); it "
          "answers only on Azure VMs.",
          ids=("Linux.ImdsCheck.Passed", "Linux.ImdsCheck.Failed.Unreachable",
               "Linux.ImdsCheck.Information.NotAzureVm", "Linux.ImdsCheck.Skipped.NotProbed")),
    _rule("Linux.InternetConnectionCheck", "Internet (bing.com)",
          "Microsoft's internet check: bing.com:443 is reachable over TLS on the agent's path.",
          _internet, _OPEN_443),
    _rule("Linux.UserWorkerJRDSConnectivityCheck", "User worker JRDS endpoint",
          "The user (DIY) worker's JRDS (its worker.conf jrds_base_uri) is reachable over TLS on 443.",
          _user_worker_jrds, _OPEN_443, scenario="hybrid-runbook-worker-troubleshoot.md#linux"),
    _rule("Linux.AccountAgentServiceConnectivityCheck", "Account agent service endpoint",
          "<accountId>.agentsvc.<region>.azure-automation.<tld> is reachable over TLS on 443 (when the "
          "account id and region are given).",
          _account_check("account_agentsvc"), _OPEN_443, scenario="official-troubleshooters.md#5"),
    _rule("Linux.AccountJRDSConnectivityCheck", "Account JRDS endpoint",
          "<accountId>.jrds.<region>.azure-automation.<tld> is reachable over TLS on 443 (when the account "
          "id and region are given).",
          _account_check("account_jrds"), _OPEN_443, scenario="official-troubleshooters.md#5"),
]
