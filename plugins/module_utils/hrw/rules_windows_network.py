# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows V1 connectivity rules (Microsoft's UMW): the Automation and Log Analytics endpoints,
HTTPS, the WinHTTP and agent proxies, IMDS.

Pure functions over the Windows facts document (docs/adr/0002-windows-facts.md), read through
``windows_facts.fact``. The endpoint entries have the shape of ADR 0001 (dns/tcp/tls/error_class,
``direct`` and ``via_proxy``); the helpers that judge one entry are shared with the Linux rules
(rules_linux.py). Stdlib only, Python 3.8+, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    CONNECTIVITY,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_linux import (
    _ERROR_REASONS,
    _agent_path,
    _error_class,
    _failure_message,
    _other_path_text,
    _path_works,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_windows import (
    facts_missing,
    ids_of,
    make_rule,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import as_list, fact

NETWORK_DOC = "automation-network-configuration"
AUTOMATION_PURPOSES = ("agentsvc", "jrds", "account_agentsvc", "account_jrds")
IMDS_HOST = "169.254.169.254"

_PURPOSE_TEXT = {
    ("agentsvc", 1): "Automation agent service (registration)",
    ("jrds", 1): "Automation job runtime data service (operations)",
    ("log_analytics", 1): "Log Analytics ODS",
    ("log_analytics", 2): "Log Analytics OMS",
}

OPEN_443 = ("Allow outbound TCP 443 from this host to the endpoint without TLS inspection, directly or through the "
            "agent's proxy (Microsoft Monitoring Agent > Proxy Settings); see %s." % NETWORK_DOC)


# --------------------------------------------------------------------------- endpoint helpers

def _find(endpoints, purpose, index):
    for ep in endpoints:
        if isinstance(ep, dict) and ep.get("purpose") == purpose and ep.get("index", 1) == index:
            return ep
    return None


def _errors(facts, purpose, index):
    out = []
    for err in as_list(fact(facts, "endpoint_errors")):
        if isinstance(err, dict) and err.get("purpose") == purpose and err.get("index") in (None, index):
            out.append(err)
    return out


def _probed(ep):
    """Whether the entry holds a probe result (a DNS failure counts)."""
    tcp = ep.get("tcp")
    return (ep.get("error_class") is not None or (ep.get("dns") or {}).get("ok") is False
            or (isinstance(tcp, dict) and tcp.get("ok") is not None))


def _probed_endpoints(facts, context):
    """(endpoints, None), or (None, the partial result) when probes are off or the facts hold no endpoint list."""
    if (context or {}).get("probe_endpoints") is False:
        return None, skipped("NotProbed", "Not checked: endpoint probes are off (probe_endpoints: false).",
                             evidence={"probe_endpoints": False})
    endpoints = fact(facts, "endpoints")
    if not isinstance(endpoints, list):
        return None, facts_missing("endpoints", endpoints)
    return endpoints, None


def _region(facts, context):
    return (context or {}).get("automation_account_region") or fact(facts, "network.automation_account.region")


def _no_registration(facts, purpose, errors):
    workspaces = fact(facts, "agent.workspaces")
    ids = [w.get("workspace_id") for w in as_list(workspaces) if isinstance(w, dict)]
    why = ("the agent has no workspace" if not ids else "the agent has %d workspaces (%s), so the one to probe is "
           "not known" % (len(ids), ", ".join(str(i) for i in ids)))
    return failed("NoRegistrationFound", "Unable to find Workspace registration information: %s%s."
                  % (why, "; " + "; ".join(str(e.get("reason")) for e in errors) if errors else ""),
                  arguments=[purpose], evidence={"workspace_id": fact(facts, "agent.workspace_id"),
                                                 "workspaces": workspaces, "endpoint_errors": errors},
                  remediation=remediation(None, "Connect the Microsoft Monitoring Agent to exactly one workspace "
                                          "(see LinkedWorkspaceCheck), then diagnose again."))


def _judge(ep, what):
    """The result of one probed endpoint entry (the agent's path)."""
    host = ep.get("host")
    port = ep.get("port", 443)
    evidence = {"endpoint": ep, "path": _agent_path(ep)}
    tcp = ep.get("tcp") if isinstance(ep.get("tcp"), dict) else {}
    tls = ep.get("tls")
    if tcp.get("ok") is True and isinstance(tls, dict) and tls.get("ok") is True and ep.get("error_class") is None:
        return passed("TCP and TLS test for %s (port %s) succeeded %s(the certificate verifies, %s ms)."
                      % (host, port, "through the agent's proxy " if _agent_path(ep) == "proxy" else "",
                         ep.get("elapsed_ms")), arguments=[host], evidence=evidence)
    if tcp.get("ok") is True and not isinstance(tls, dict) and ep.get("error_class") is None:
        return information("TlsNotChecked", "TCP test for %s (port %s) succeeded, but TLS was not checked, so this is "
                           "not a pass." % (host, port), arguments=[host], evidence=evidence)
    cls = _error_class(ep)
    return failed(_ERROR_REASONS[cls], _failure_message(cls, ep, what) + _other_path_text(ep),
                  arguments=[host], evidence=evidence,
                  remediation=remediation(None, "Allow outbound TCP %s from this host to %s (%s) without TLS "
                                          "inspection, directly or through the agent's proxy (see %s)."
                                          % (port, host, what, NETWORK_DOC)))


def _endpoint_check(purpose, index):
    what = _PURPOSE_TEXT.get((purpose, index), purpose)

    def check(facts, context):
        endpoints, stop = _probed_endpoints(facts, context)
        if stop:
            return stop
        ep = _find(endpoints, purpose, index)
        errors = _errors(facts, purpose, index)
        if ep is None:
            if purpose == "jrds" and not _region(facts, context):
                return skipped("RegionUnknown", "Not checked: the Automation account's region is not known, so its "
                               "job runtime data service endpoint cannot be named. Set automation_account_region "
                               "(Microsoft's script silently probes East US 2 instead).",
                               evidence={"automation_account_region": None, "endpoint_errors": errors})
            if purpose != "jrds" and (errors or not fact(facts, "agent.workspace_id")):
                return _no_registration(facts, purpose, errors)
            if errors:
                return failed("UnableToGetEndpoint", "Unable to determine the %s endpoint: %s."
                              % (what, "; ".join(str(e.get("reason")) for e in errors)),
                              arguments=[purpose], evidence={"endpoint_errors": errors,
                                                             "automation_account_region": _region(facts, context)},
                              remediation=remediation(None, "Check automation_account_region (a region with a "
                                                      "legacy job runtime data record), then diagnose again."))
            return skipped("NotProbed", "Not checked: the facts hold no %s endpoint %d." % (purpose, index),
                           evidence={"endpoints": len(endpoints)})
        if not _probed(ep):
            return skipped("NotProbed", "Not checked: the %s endpoint %s was not probed." % (what, ep.get("host")),
                           arguments=[ep.get("host")], evidence={"endpoint": ep})
        return _judge(ep, what)

    return check


# --------------------------------------------------------------------------- HttpsConnection

def _summary(ep):
    return {"purpose": ep.get("purpose"), "host": ep.get("host"), "error_class": ep.get("error_class"),
            "path": _agent_path(ep), "works": _path_works(ep),
            "direct_works": _path_works(ep.get("direct")) if _agent_path(ep) == "proxy" else None}


def check_https(facts, context):
    endpoints, stop = _probed_endpoints(facts, context)
    if stop:
        return stop
    eps = [ep for ep in endpoints if isinstance(ep, dict) and ep.get("purpose") in AUTOMATION_PURPOSES and _probed(ep)]
    if not eps:
        return skipped("NotProbed", "Not checked: no Azure Automation endpoint was probed.",
                       evidence={"endpoints": len(endpoints)})
    evidence = {"automation_endpoints": [_summary(ep) for ep in eps]}
    works = [ep for ep in eps if _path_works(ep)]
    if works:
        return passed("VM is able to make https requests: the TLS handshake with %s verified%s."
                      % (works[0].get("host"), " through the agent's proxy" if _agent_path(works[0]) == "proxy" else ""),
                      arguments=[works[0].get("host")], evidence=evidence)
    direct = [ep for ep in eps if _agent_path(ep) == "proxy" and _path_works(ep.get("direct"))]
    if direct:
        return warning(None, "Please check if the proxy server is configured properly to allow https requests: %s works "
                       "directly, but not through the agent's proxy (%s)."
                       % (direct[0].get("host"), direct[0].get("error_class")),
                       arguments=[direct[0].get("host")], evidence=evidence,
                       remediation=remediation(None, "Let the agent's proxy tunnel HTTPS to *.azure-automation.net "
                                               "without TLS inspection, or fix the agent's proxy setting."))
    hosts = ["%s (%s)" % (ep.get("host"), _error_class(ep)) for ep in eps]
    return failed(None, "VM is not able to make https requests. Please check your network connection. Unable to reach "
                  "%s." % ", ".join(hosts), arguments=[ep.get("host") for ep in eps], evidence=evidence)


# --------------------------------------------------------------------------- ProxySettings

_SERVER_RE = re.compile(r"Proxy Server\(s\)\s*:\s*(\S.*)$", re.I)
_BYPASS_RE = re.compile(r"Bypass List\s*:\s*(\S.*)$", re.I)


def parse_winhttp(lines):
    """``netsh winhttp show proxy`` lines -> {direct, server, bypass}; direct None when neither form is found."""
    out = {"direct": None, "server": None, "bypass": None}
    for line in lines:
        text = str(line or "").strip()
        if "direct access" in text.lower():
            out["direct"] = True
        found = _SERVER_RE.search(text)
        if found:
            out["server"] = found.group(1).strip()
            out["direct"] = False
        found = _BYPASS_RE.search(text)
        if found:
            out["bypass"] = found.group(1).strip()
    return out


def proxy_hosts(value):
    """Host:port set of a proxy string: ``http://h:3128``, ``h:3128`` or ``http=h:80;https=h:443``."""
    out = set()
    for part in re.split(r"[;\s]+", str(value or "")):
        if not part:
            continue
        if "=" in part:
            part = part.split("=", 1)[1]
        part = part.split("://", 1)[-1].split("/", 1)[0].split("@")[-1].lower()
        if part:
            out.add(part)
    return out


def check_proxy_settings(facts, context):
    raw = fact(facts, "network.winhttp_proxy.raw")
    agent_proxy = fact(facts, "agent.proxy")
    if not isinstance(raw, list):
        return facts_missing("network.winhttp_proxy.raw", raw)
    winhttp = parse_winhttp(raw)
    agent = agent_proxy if isinstance(agent_proxy, dict) else {}
    agent_known = agent.get("source") is not None
    agent_url = agent.get("url")
    evidence = {"winhttp": dict(winhttp, raw=raw),
                "agent_proxy": {"url": agent_url, "has_credentials": agent.get("has_credentials"),
                                "source": agent.get("source")}}
    if winhttp["direct"] is None:
        return information("Unparsed", "The WinHTTP proxy setting could not be read from the netsh output (%s)."
                           % " | ".join(str(x) for x in raw if x), evidence=evidence)
    if not agent_known:
        if winhttp["direct"]:
            return passed("WinHTTP proxy is not set (the agent's own proxy setting could not be read).",
                          evidence=evidence)
        return warning(None, "WinHTTP proxy is set (%s); the agent's own proxy setting could not be read, and the agent "
                       "does not use the WinHTTP proxy." % winhttp["server"], arguments=[winhttp["server"]],
                       evidence=evidence)
    if winhttp["direct"] and not agent_url:
        return passed("Proxy is not set: neither WinHTTP nor the Microsoft Monitoring Agent uses a proxy.",
                      evidence=evidence)
    if not winhttp["direct"] and not agent_url:
        return warning("AgentNoProxy", "WinHTTP has the proxy %s, but the Microsoft Monitoring Agent has no proxy of "
                       "its own: the agent ignores WinHTTP and connects directly, which fails where only the proxy "
                       "may go out." % winhttp["server"], arguments=[winhttp["server"]], evidence=evidence,
                       remediation=remediation(None, "If outbound traffic must use %s, set it in the agent (Control "
                                               "Panel > Microsoft Monitoring Agent > Proxy Settings, or "
                                               "AgentConfigManager.MgmtSvcCfg SetProxyInfo), then restart "
                                               "HealthService." % winhttp["server"]))
    if winhttp["direct"]:
        return warning("WinHttpNoProxy", "The Microsoft Monitoring Agent uses the proxy %s, but WinHTTP goes direct: "
                       "components that use WinHTTP (Windows Update, the runbooks' sandboxes) do not use the proxy."
                       % agent_url, arguments=[agent_url], evidence=evidence,
                       remediation=remediation(None, "If those components must use the proxy too: netsh winhttp set "
                                               "proxy <host:port> \"<local>;169.254.169.254\"."))
    if proxy_hosts(agent_url) & proxy_hosts(winhttp["server"]):
        return warning(None, "Proxy is set: WinHTTP and the Microsoft Monitoring Agent both use %s." % agent_url,
                       arguments=[agent_url], evidence=evidence)
    return warning("Different", "Proxy is set, but differently: WinHTTP uses %s and the Microsoft Monitoring Agent %s."
                   % (winhttp["server"], agent_url), arguments=[winhttp["server"], agent_url], evidence=evidence,
                   remediation=remediation(None, "Make the agent's proxy and the WinHTTP proxy the same, unless the "
                                           "difference is intended."))


# --------------------------------------------------------------------------- IMDSConnectivity

def check_imds(facts, context):
    imds = fact(facts, "network.imds")
    azure_vm = fact(facts, "network.azure_vm.detected")
    if not isinstance(imds, dict):
        return facts_missing("network.imds", imds)
    evidence = {"imds": imds, "azure_vm": fact(facts, "network.azure_vm")}
    if not imds.get("probed"):
        if azure_vm is False:
            return information("NotAzureVm", "Not an Azure VM, so IMDS (%s) does not apply and was not contacted."
                               % IMDS_HOST, evidence=evidence)
        return skipped("NotProbed", "Not checked: IMDS was not probed (%s)." % imds.get("reason"), evidence=evidence)
    url = imds.get("url")
    if imds.get("ok") is True:
        return passed("VM is able to reach IMDS server (%s answered %s)." % (url, imds.get("status")),
                      arguments=[url], evidence=evidence)
    if imds.get("direct_ok") is True:
        return failed(None, "VM is likely behind a proxy and UM may not be able to query IMDS to get VM info: %s fails "
                      "through the default proxy (%s) and answers with the proxy bypassed." % (url, imds.get("error")),
                      arguments=[url], evidence=evidence)
    if azure_vm is False:
        return information("NotAzureVm", "VM is not able to reach IMDS server (%s); this machine is not an Azure VM, so "
                           "that is expected." % imds.get("error"), arguments=[url], evidence=evidence)
    if azure_vm is True:
        return failed("Unreachable", "This Azure VM is not able to reach the IMDS server %s (%s), neither through the "
                      "proxy nor directly." % (url, imds.get("error")), arguments=[url], evidence=evidence,
                      remediation=remediation(None, "Route %s directly from the VM (no firewall rule or proxy in the "
                                              "way; netsh winhttp set proxy ... \"<local>;%s\")." % (IMDS_HOST, IMDS_HOST)))
    return warning(None, "VM is not able to reach IMDS server (%s). Consider this as a Failure if this is an Azure VM "
                   "(whether it is one could not be told)." % imds.get("error"), arguments=[url], evidence=evidence)


# --------------------------------------------------------------------------- catalog

_ENDPOINT_IDS = ("Passed", "Failed.Dns", "Failed.Refused", "Failed.Timeout", "Failed.Tls", "Failed.Proxy",
                 "Failed.Other", "Information.TlsNotChecked", "Skipped.NotProbed", "Skipped.FactsMissing")


def _conn(rule_id, name, description, check, extra=(), manual=OPEN_443, action=None):
    return make_rule(rule_id, CONNECTIVITY, name, description, check, action=action, manual=manual,
                     ids=ids_of(rule_id, *(_ENDPOINT_IDS + tuple(extra))))


RULES = [
    _conn("AutomationAgentServiceConnectivityCheck1", "Registration endpoint",
          "Proxy and firewall configuration must allow Automation Hybrid Worker agent to communicate with "
          "<workspaceId>.agentsvc.azure-automation.<tld>", _endpoint_check("agentsvc", 1),
          extra=("Failed.NoRegistrationFound",)),
    _conn("AutomationJobRuntimeDataServiceConnectivityCheck", "Operations endpoint",
          "Proxy and firewall configuration must allow Automation Hybrid Worker agent to communicate with "
          "<region>-jobruntimedata-prod-su1.azure-automation.<tld>", _endpoint_check("jrds", 1),
          extra=("Failed.UnableToGetEndpoint", "Skipped.RegionUnknown")),
    make_rule("HttpsConnection", CONNECTIVITY, "Https connection", "Check if VM is able to make https requests.",
              check_https, manual=OPEN_443,
              ids=ids_of("HttpsConnection", "Passed", "PassedWithWarning", "Failed", "Skipped.NotProbed",
                         "Skipped.FactsMissing")),
    make_rule("ProxySettings", CONNECTIVITY, "Proxy settings", "Check if Proxy is enabled on the VM.",
              check_proxy_settings, manual="Compare the WinHTTP proxy (netsh winhttp show proxy) with the agent's own "
              "(Microsoft Monitoring Agent > Proxy Settings); the agent uses only its own.",
              ids=ids_of("ProxySettings", "Passed", "PassedWithWarning", "PassedWithWarning.AgentNoProxy",
                         "PassedWithWarning.WinHttpNoProxy", "PassedWithWarning.Different", "Information.Unparsed",
                         "Skipped.FactsMissing")),
    make_rule("IMDSConnectivity", CONNECTIVITY, "IMDS endpoint connectivity",
              "Check if VM is able to reach IMDS server to get VM information.", check_imds,
              manual="Exclude 169.254.169.254 from the proxy: netsh winhttp set proxy <host:port> "
              "\"<local>;169.254.169.254\"",
              ids=ids_of("IMDSConnectivity", "Passed", "Failed", "Failed.Unreachable", "PassedWithWarning",
                         "Information.NotAzureVm", "Skipped.NotProbed", "Skipped.FactsMissing")),
    _conn("LAOdsEndpointConnectivity", "LA ODS endpoint",
          "Proxy and firewall configuration must allow to communicate with LA ODS endpoint",
          _endpoint_check("log_analytics", 1), extra=("Failed.NoRegistrationFound",)),
    _conn("LAOmsEndpointConnectivity", "LA OMS endpoint",
          "Proxy and firewall configuration must allow to communicate with LA OMS endpoint",
          _endpoint_check("log_analytics", 2), extra=("Failed.NoRegistrationFound",)),
]
