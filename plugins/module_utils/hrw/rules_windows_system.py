# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows rules: hardware, resource pressure, clock (403) and TLS interception (4502).

Seed scenarios Microsoft's UM_Windows_Troubleshooter_Offline.ps1 does not check
(official-troubleshooters.md §6 Windows 1 and 8). Pure functions ``check(facts, context)``
over the Windows facts document (docs/adr/0002-windows-facts.md), read only through
``windows_facts.fact`` with literal paths. Stdlib only, Python 3.8+, no I/O. Thresholds are
the Linux rules' (rules_linux_system.py, clock.py), imported, not repeated.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import clock
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    CONNECTIVITY,
    PREREQUISITES,
    REGISTRATION,
    SERVICEHEALTH,
    Rule,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_linux_system import (
    AVAILABLE_MEMORY_WARN_KB,
    AVAILABLE_MEMORY_WARN_RATIO,
    MIN_CORES,
    MIN_MEMORY_KB,
    SEED_403,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_windows import PLATFORM, SEED
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import as_dict, as_list, fact

#: Average Win32_Processor.LoadPercentage from which the host counts as CPU-bound.
CPU_LOAD_PERCENT_WARN = 90

#: Endpoint purposes (ADR 0002) that are Azure Automation or Log Analytics hosts.
AZURE_PURPOSES = ("agentsvc", "jrds", "log_analytics", "account_agentsvc", "account_jrds")
#: Host suffixes of Azure Automation and Log Analytics in every cloud (reference §5).
AZURE_SUFFIXES = (".azure-automation.net", ".azure-automation.us", ".azure-automation.cn",
                  ".azure-automation.de", ".opinsights.azure.com", ".opinsights.azure.us",
                  ".opinsights.azure.cn", ".usgovtrafficmanager.net")
#: Issuers of the certificates Azure Automation and Log Analytics present: Microsoft's own CAs
#: ("Microsoft Azure RSA TLS Issuing CA 03", "Microsoft RSA TLS CA 01", O=Microsoft Corporation)
#: and the public CAs they chain to (DigiCert, formerly Baltimore CyberTrust). Matched on the
#: CN and O attributes of the issuer.
_PUBLIC_ISSUER = re.compile(r"(?:^|,)\s*(?:CN|O)\s*=\s*[^,]*(?:Microsoft|DigiCert|Baltimore CyberTrust)",
                            re.IGNORECASE)
#: Text of event 4502 when the agent rejects a certificate (seed event-4502).
_CERT_4502 = re.compile(r"certificate|TLS|SSL", re.IGNORECASE)

SEED_HARDWARE = SEED + "#runbook-execution-fails"
SEED_4502 = SEED + "#event-4502"
NETWORK_DOC = "https://learn.microsoft.com/azure/automation/automation-network-configuration"


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _gb(kb):
    return "%.1f GB" % (kb / 1024.0 / 1024.0)


# --------------------------------------------------------------------------- prerequisites

def check_hardware(facts, context):
    cores = _number(fact(facts, "host.cpu_count"))
    total_kb = _number(fact(facts, "host.memory.total_kb"))
    evidence = {"cpu_count": cores, "memory_total_kb": total_kb,
                "source": "Win32_ComputerSystem.NumberOfLogicalProcessors, "
                          "Win32_OperatingSystem.TotalVisibleMemorySize",
                "minimum": {"cores": MIN_CORES, "memory_total_kb": MIN_MEMORY_KB}}
    if cores is None or total_kb is None:
        return skipped("FactsMissing", "Not checked: the collector could not read the logical processor count "
                       "or the total memory (host.cpu_count, host.memory.total_kb).", evidence=evidence)
    short = []
    if cores < MIN_CORES:
        short.append("%d logical processor(s), at least %d needed" % (cores, MIN_CORES))
    if total_kb < MIN_MEMORY_KB:
        short.append("%s of memory, 4 GB needed" % _gb(total_kb))
    if short:
        return failed(None, "The computer does not meet the minimum hardware requirements of a Hybrid Runbook "
                      "Worker: %s. Runbooks and their background processes may over-use it and be delayed, time "
                      "out or be stopped (\"the process stopped unexpectedly\")." % "; ".join(short),
                      arguments=[cores, _gb(total_kb)], evidence=evidence)
    return passed("%d logical processors and %s of memory meet the minimum (2 cores, 4 GB)." % (cores, _gb(total_kb)),
                  arguments=[cores, _gb(total_kb)], evidence=evidence)


# --------------------------------------------------------------------------- servicehealth

def check_resource_pressure(facts, context):
    load = _number(fact(facts, "host.cpu_load_percent"))
    total_kb = _number(fact(facts, "host.memory.total_kb"))
    available_kb = _number(fact(facts, "host.memory.available_kb"))
    evidence = {"cpu_load_percent": load, "memory_total_kb": total_kb, "memory_available_kb": available_kb,
                "thresholds": {"cpu_load_percent": CPU_LOAD_PERCENT_WARN, "available_kb": AVAILABLE_MEMORY_WARN_KB,
                               "available_ratio": AVAILABLE_MEMORY_WARN_RATIO}}
    if total_kb is None or available_kb is None:
        return skipped("FactsMissing", "Not checked: the collector could not read the memory "
                       "(host.memory.total_kb, host.memory.available_kb).", evidence=evidence)
    low_memory = (available_kb < AVAILABLE_MEMORY_WARN_KB
                  or available_kb < AVAILABLE_MEMORY_WARN_RATIO * total_kb)
    high_cpu = load is not None and load >= CPU_LOAD_PERCENT_WARN
    text_mem = "%d MB of %d MB memory available" % (available_kb // 1024, total_kb // 1024)
    text_cpu = ("CPU %d%% busy" % load) if load is not None else "CPU load not read"
    arguments = [load, available_kb // 1024]
    if high_cpu or low_memory:
        reason = ("HighCpuAndLowMemory" if high_cpu and low_memory else "HighCpu" if high_cpu else "LowMemory")
        return warning(reason, "The host is under pressure (%s, %s); runbook jobs may be slow, time out or be "
                       "stopped. Find what uses the CPU or memory (Task Manager, Get-Process | Sort-Object CPU), "
                       "or give the worker more." % (text_cpu, text_mem), arguments=arguments, evidence=evidence)
    if load is None:
        return information("CpuNotRead", "Memory is fine (%s); the CPU load could not be read "
                           "(host.cpu_load_percent is null), so only memory was checked." % text_mem,
                           arguments=arguments, evidence=evidence)
    return passed("No CPU or memory pressure: %s, %s." % (text_cpu, text_mem), arguments=arguments, evidence=evidence)


# --------------------------------------------------------------------------- registration (403)

def check_clock_skew(facts, context):
    controller_text = (context or {}).get("controller_utc")
    host_text = fact(facts, "host.utc_now")
    evidence = {"host_utc": host_text, "controller_utc": controller_text,
                "fail_after_seconds": clock.CLOCK_FAIL_SECONDS, "warn_after_seconds": clock.CLOCK_WARN_SECONDS}
    state, skew = clock.compare(host_text, controller_text)
    if state == "no_controller":
        return skipped("NoControllerTime", "Not checked: no controller time to compare with (offline use).",
                       evidence=evidence)
    if state == "no_host":
        return skipped("FactsMissing", "Not checked: the facts hold no host time (host.utc_now).",
                       evidence=evidence)
    evidence["skew_seconds"] = int(skew)
    direction = "ahead of" if skew > 0 else "behind"
    minutes = abs(skew) / 60.0
    arguments = [int(skew), host_text, controller_text]
    if state == "fail":
        return failed(None, "The host clock is %.1f minutes %s the controller's: beyond 15 minutes the Hybrid "
                      "Runbook Worker registration fails with 403 Forbidden (one of the three causes of a 403, "
                      "with a wrong workspace id/key and an unsupported region pair). Synchronise the clock "
                      "(w32tm /resync)." % (minutes, direction), arguments=arguments, evidence=evidence)
    if state == "warn":
        return warning(None, "The host clock is %.1f minutes %s the controller's; at 15 minutes the registration "
                       "fails with 403. Synchronise the clock (w32tm /resync)." % (minutes, direction),
                       arguments=arguments, evidence=evidence)
    return passed("The host clock is within %d seconds of the controller's." % abs(int(skew)),
                  arguments=[int(skew)], evidence=evidence)


# --------------------------------------------------------------------------- connectivity (4502)

def _is_azure(entry):
    host = entry.get("host")
    if entry.get("purpose") in AZURE_PURPOSES:
        return True
    return isinstance(host, str) and host.lower().rstrip(".").endswith(AZURE_SUFFIXES)


def _tls_paths(entry):
    """(path name, tls dict) for the agent's path and, when a proxy was used, the direct one.

    Without an agent proxy (``via_proxy`` null) the top-level result *is* the direct attempt (ADR 0002), so
    ``direct`` is the same handshake and is not counted a second time.
    """
    paths = []
    proxied = entry.get("via_proxy") is not None
    tls = entry.get("tls")
    if isinstance(tls, dict):
        paths.append(("proxy" if proxied else "agent", tls))
    if proxied:
        direct = as_dict(entry.get("direct"))
        if isinstance(direct.get("tls"), dict):
            paths.append(("direct", direct.get("tls")))
    return paths


def _cert_4502(facts):
    events = as_list(fact(facts, "events.operations_manager.events_4502"))
    return [e for e in events if isinstance(e, dict) and _CERT_4502.search(str(e.get("message") or ""))]


def check_tls_inspection(facts, context):
    endpoints = fact(facts, "endpoints")
    events = _cert_4502(facts)
    evidence = {"events_4502": events[:5], "events_4502_count": len(events)}
    if not isinstance(endpoints, list):
        return skipped("FactsMissing", "Not checked: the facts hold no endpoint list (endpoints).", evidence=evidence)
    azure = [e for e in endpoints if isinstance(e, dict) and _is_azure(e)]
    seen = []
    for entry in azure:
        for path, tls in _tls_paths(entry):
            issuer = tls.get("issuer")
            seen.append({"host": entry.get("host"), "port": entry.get("port"), "purpose": entry.get("purpose"),
                         "path": path, "verified": tls.get("ok") is True, "issuer": issuer,
                         "subject": tls.get("subject"), "error": tls.get("error"),
                         "public_issuer": bool(isinstance(issuer, str) and _PUBLIC_ISSUER.search(issuer))})
    evidence["certificates"] = seen
    if (context or {}).get("probe_endpoints") is False or not seen:
        note = (" The agent logged %d certificate event(s) 4502 in the last day, which points at TLS interception."
                % len(events)) if events else ""
        return skipped("NotProbed", "Not checked: no TLS handshake with an Azure Automation or Log Analytics host "
                       "was probed.%s" % note, evidence=evidence)
    foreign = [c for c in seen if c["issuer"] and not c["public_issuer"]]
    corroborated = (" The agent's Operations Manager log has %d event(s) 4502 about the certificate, which "
                    "confirms it." % len(events)) if events else ""
    if foreign:
        first = foreign[0]
        reason = "Intercepted" if not first["verified"] else "TrustedInterception"
        how = ("this host does not trust it either" if not first["verified"] else
               "this host trusts it (an enterprise root is installed), but the agent accepts only the "
               "certificate authorities used for Microsoft services")
        hosts = sorted(set("%s (%s path)" % (c["host"], c["path"]) for c in foreign))
        return failed(reason, "%s presents a certificate issued by %r (subject %r), not by a Microsoft or DigiCert "
                      "certificate authority: a proxy or firewall intercepts TLS; %s. The agent rejects it (event "
                      "4502) and the worker cannot register or get jobs.%s" % (
                          ", ".join(hosts), first["issuer"], first["subject"], how, corroborated),
                      arguments=[first["host"], first["issuer"], first["subject"]], evidence=evidence)
    unverified = [c for c in seen if c["issuer"] and not c["verified"]]
    if unverified:
        first = unverified[0]
        return information("VerificationFailed", "No interception: %s presents a certificate of %r, a public "
                           "issuer, but this host could not verify it (%s): check its root certificates and "
                           "clock; the connectivity rules report the failure." % (
                               first["host"], first["issuer"], first["error"]),
                           arguments=[first["host"], first["issuer"]], evidence=evidence)
    judged = [c for c in seen if c["issuer"]]
    if not judged:
        return information("NoCertificate", "No certificate could be seen: the TLS handshakes with %d Azure "
                           "endpoint path(s) did not complete (%s), so interception cannot be told from a blocked "
                           "path; the connectivity rules report the failure.%s" % (
                               len(seen), seen[0]["error"], corroborated),
                           arguments=[seen[0]["host"]], evidence=evidence)
    if events:
        return warning("Event4502", "The probed Azure endpoints present Microsoft/DigiCert certificates, but the "
                       "agent logged %d certificate event(s) 4502 in the last day: interception may be "
                       "intermittent, on another path, or fixed since. Read the newest event." % len(events),
                       arguments=[len(events)], evidence=evidence,
                       remediation=remediation(None, "Read the newest 4502 in Applications and Services Logs\\"
                                               "Operations Manager; exempt *.azure-automation.net and "
                                               "*.opinsights.azure.com from TLS inspection (see %s)." % NETWORK_DOC))
    return passed("%d Azure Automation / Log Analytics TLS handshake(s) present Microsoft or DigiCert certificates: "
                  "no TLS interception." % len(judged), arguments=[len(judged)], evidence=evidence)


# --------------------------------------------------------------------------- catalog

def _rule(rule_id, group, name, description, check, scenario, manual, message_ids):
    return Rule(rule_id, group[0], name, group[1], description, check, platform=PLATFORM,
                generation="any", scenario=scenario, remediation=remediation(None, manual),
                message_ids=[rule_id + "." + m for m in message_ids])


RULES = [
    _rule("HardwareRequirementsCheck", PREREQUISITES, "Minimum hardware",
          "At least 2 logical processors and 4 GB of memory (Hybrid Runbook Worker minimum).",
          check_hardware, SEED_HARDWARE,
          "Give the worker at least 2 cores and 4 GB of memory, or move the role to a machine that has them.",
          ["Passed", "Failed", "Skipped.FactsMissing"]),
    _rule("ResourcePressureCheck", SERVICEHEALTH, "CPU and memory pressure",
          "The CPU load and the available memory leave room for runbook jobs.",
          check_resource_pressure, SEED_HARDWARE,
          "Find what uses the CPU or memory (Task Manager, Get-Process | Sort-Object CPU -Descending) or give the "
          "worker more.",
          ["Passed", "PassedWithWarning.HighCpu", "PassedWithWarning.LowMemory",
           "PassedWithWarning.HighCpuAndLowMemory", "Information.CpuNotRead", "Skipped.FactsMissing"]),
    _rule("ClockSkewCheck", REGISTRATION, "Clock",
          "The host clock is within 15 minutes of the controller's (registration fails with 403 beyond).",
          check_clock_skew, SEED_403,
          "Synchronise the host clock: w32tm /config /syncfromflags:domhier /update (domain) or "
          "w32tm /config /manualpeerlist:time.windows.com /syncfromflags:manual /update, then w32tm /resync.",
          ["Passed", "PassedWithWarning", "Failed", "Skipped.NoControllerTime", "Skipped.FactsMissing"]),
    _rule("TlsInspectionCheck", CONNECTIVITY, "TLS interception",
          "Azure Automation and Log Analytics hosts present Microsoft/DigiCert certificates (no TLS-intercepting "
          "proxy or firewall, event 4502).",
          check_tls_inspection, SEED_4502,
          "Exempt *.azure-automation.net, *.opinsights.azure.com and the other Automation endpoints from TLS "
          "inspection at the proxy or firewall (see %s)." % NETWORK_DOC,
          ["Passed", "PassedWithWarning.Event4502", "Failed.Intercepted", "Failed.TrustedInterception",
           "Information.VerificationFailed", "Information.NoCertificate", "Skipped.NotProbed",
           "Skipped.FactsMissing"]),
]
