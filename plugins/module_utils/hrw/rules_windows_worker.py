# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows rules: the worker's own state - agent version, registration, AzureAutomation module,
Health Service State (corrupt cache), Microsoft-SMA errors, Run As certificate, Windows Update
HRESULTs and the extension-based (V2) worker service.

Seed scenarios Microsoft's UM_Windows_Troubleshooter_Offline.ps1 does not check
(official-troubleshooters.md §6 Windows 8). Pure functions ``check(facts, context)`` over the
Windows facts document (docs/adr/0002-windows-facts.md), read only through
``windows_facts.fact`` with literal paths and list items with ``.get``. Stdlib only,
Python 3.8+, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import clock, hresult
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    CONNECTIVITY,
    MACHINE_SETTINGS,
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
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_windows import (
    GENERATION,
    PLATFORM,
    SEED,
    UM_SEED,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import as_dict, as_list, fact

#: Microsoft Monitoring Agent minimum for the Hybrid Runbook Worker (official-troubleshooters.md
#: §4.1 Limits: 10.20.18053 for the agent bundle).
MIN_AGENT_VERSION = (10, 20, 18053)
#: A Run As certificate expiring sooner than this warns.
CERT_WARN_DAYS = 30

OFFICIAL_41 = "official-troubleshooters.md#4.1 "
EXT_TS = "official-troubleshooters.md#3 "
HRW_KEY = "HKLM\\SOFTWARE\\Microsoft\\HybridRunbookWorker"
HSS_PATH = "C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\Health Service State"
EXT_PLUGIN = "C:\\Packages\\Plugins\\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows"

MANUAL_REMOVE_REGISTRATION = (
    "Back up and delete the registry key %s (reg export %s hrw-backup.reg; Remove-Item "
    "'HKLM:\\SOFTWARE\\Microsoft\\HybridRunbookWorker' -Recurse), restart the agent (Restart-Service "
    "HealthService), then run Add-HybridRunbookWorker -GroupName <group> -Url <account URL> -Key <key> from "
    "...\\AzureAutomation\\<version>\\HybridRegistration again (seed: \"Machine is already registered\")."
    % (HRW_KEY, HRW_KEY))
MANUAL_PURGE_CACHE = (
    "Stop-Service -Name HealthService; Remove-Item -Path '%s' -Recurse (move it aside first to keep a copy); "
    "Start-Service -Name HealthService. The worker then downloads its configuration from Azure Automation again "
    "(seed: corrupt cache). Confirm with the workspace query: Heartbeat | summarize arg_max(TimeGenerated, *) "
    "by Computer." % HSS_PATH)
MANUAL_RUNBOOK_AUTH = (
    "Configure authentication in the runbooks (a managed identity on an Azure VM; otherwise install the Run As "
    "certificate with the Export-RunAsCertificateToHybridWorker runbook), or set the Run As credential of the "
    "Hybrid Worker group (see the seed's Runbook permissions).")
MANUAL_CUSTOM_CRED = (
    "Grant the Hybrid Worker group's custom credential user directly (not through a group: UAC filters group "
    "rights) Read on C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens (Arc servers) and Read & Execute on "
    "%s; reapply after Arc agent updates, which reset the Tokens ACL." % EXT_PLUGIN)


# --------------------------------------------------------------------------- helpers

def _version_tuple(text):
    if not isinstance(text, str):
        return None
    parts = text.strip().split(".")
    try:
        return tuple(int(p) for p in parts if p != "")
    except ValueError:
        return None


def _time(text):
    return clock.parse_utc(text)


def _newest(events):
    """Events (dicts with time_created) sorted newest first; undated ones last."""
    dated = [e for e in as_list(events) if isinstance(e, dict)]
    return sorted(dated, key=lambda e: _time(e.get("time_created")) or datetime.datetime.min, reverse=True)


def _agent_state(facts):
    """(installed, evidence): installed is True, False or None (unknown)."""
    exists = fact(facts, "agent.service.exists")
    status = fact(facts, "agent.service.status")
    evidence = {"agent_service_exists": exists, "agent_service_status": status}
    return exists, evidence


def _registrations(facts):
    """Entries {account_id, group, user_worker, layout} of HKLM\\...\\HybridRunbookWorker."""
    entries = []
    # registry value names are case-insensitive, and data here (not document keys: ADR 0002)
    for name, value in sorted(as_dict(fact(facts, "registration.root_values")).items()):
        if isinstance(name, str) and name.lower() == "runbookworkergroup" and value:
            entries.append({"account_id": None, "group": value, "user_worker": None,
                            "layout": "root values (older layout)"})
    for account in as_list(fact(facts, "registration.accounts")):
        if not isinstance(account, dict):
            continue
        groups = [g for g in as_list(account.get("groups")) if isinstance(g, dict)]
        if not groups:
            entries.append({"account_id": account.get("account_id"), "group": None, "user_worker": None,
                            "layout": "account subkey without group"})
        for group in groups:
            entries.append({"account_id": account.get("account_id"), "group": group.get("name"),
                            "user_worker": group.get("user_worker"), "layout": "<AccountId>\\<GroupName>"})
    return entries


def _same(left, right):
    return isinstance(left, str) and isinstance(right, str) and left.strip().lower() == right.strip().lower()


def _sma_log(facts):
    """None (facts missing), False (no Microsoft-SMA log) or True."""
    exists = fact(facts, "events.sma.log_exists")
    return exists if isinstance(exists, bool) else None


def _no_sma_log(log, evidence, what):
    """The partial result when the Microsoft-SMA log could not be read or does not exist (no ``what``
    has run on this machine); None when it exists."""
    if log is None:
        return skipped("FactsMissing", "Not checked: the collector could not read the Microsoft-SMA log "
                       "(events.sma.log_exists).", evidence=evidence)
    if log is False:
        return information("NoSmaLog", "The Microsoft-SMA log does not exist: no %s has run on this machine." % what,
                           evidence=evidence)
    return None


# --------------------------------------------------------------------------- servicehealth

def check_agent_version(facts, context):
    installed, evidence = _agent_state(facts)
    version = fact(facts, "agent.version")
    evidence.update({"agent_version": version, "minimum": ".".join(str(p) for p in MIN_AGENT_VERSION),
                     "source": "HKLM\\SOFTWARE\\Microsoft\\Microsoft Operations Manager\\3.0\\Setup AgentVersion"})
    if installed is False:
        return skipped("AgentNotInstalled", "Not checked: the Microsoft Monitoring Agent (HealthService) is not "
                       "installed (see MonitoringAgentServiceRunningCheck).", evidence=evidence)
    if installed is None:
        return skipped("FactsMissing", "Not checked: the collector could not tell whether the agent is installed "
                       "(agent.service.exists).", evidence=evidence)
    parsed = _version_tuple(version)
    if not parsed:
        return skipped("VersionUnknown", "Not checked: the agent is installed but its version could not be read "
                       "(AgentVersion).", evidence=evidence)
    minimum = evidence["minimum"]
    if parsed[:3] < MIN_AGENT_VERSION:
        return failed(None, "The Microsoft Monitoring Agent %s is older than %s, the minimum for the Hybrid "
                      "Runbook Worker. Update the agent." % (version, minimum), arguments=[version, minimum],
                      evidence=evidence)
    return passed("The Microsoft Monitoring Agent %s meets the minimum %s." % (version, minimum),
                  arguments=[version, minimum], evidence=evidence)


def check_azure_automation_module(facts, context):
    installed, evidence = _agent_state(facts)
    exists = fact(facts, "azure_automation.exists")
    versions = as_list(fact(facts, "azure_automation.versions"))
    latest = fact(facts, "azure_automation.latest")
    module = fact(facts, "azure_automation.hybrid_registration_exists")
    evidence.update({"path": fact(facts, "azure_automation.path"), "exists": exists, "versions": versions,
                     "latest": latest, "hybrid_registration_path": fact(facts, "azure_automation.hybrid_registration_path"),
                     "hybrid_registration_exists": module})
    if installed is False:
        return skipped("AgentNotInstalled", "Not checked: the Microsoft Monitoring Agent is not installed, so "
                       "there is no AzureAutomation folder to look for.", evidence=evidence)
    if not isinstance(exists, bool):
        return skipped("FactsMissing", "Not checked: the collector could not read the AzureAutomation folder "
                       "(azure_automation.exists).", evidence=evidence)
    if not exists or not versions:
        return failed("NotPushed", "%s %s: the Azure Automation solution has not been pushed to the agent yet "
                      "(it appears some minutes after the solution is enabled on the agent's workspace), so the "
                      "HybridRegistration module that Add-HybridRunbookWorker needs is not there." % (
                          evidence["path"], "does not exist" if not exists else "holds no version folder"),
                      arguments=[evidence["path"]], evidence=evidence)
    if module is not True:
        return failed("ModuleMissing", "AzureAutomation %s has no HybridRegistration module (%s): the solution "
                      "download is incomplete." % (latest, evidence["hybrid_registration_path"]),
                      arguments=[latest, evidence["hybrid_registration_path"]], evidence=evidence)
    return passed("AzureAutomation %s with its HybridRegistration module is present." % latest,
                  arguments=[latest, evidence["hybrid_registration_path"]], evidence=evidence)


def check_health_service_state(facts, context):
    installed, evidence = _agent_state(facts)
    started_text = fact(facts, "agent.service.process_start_utc")
    window = fact(facts, "events.window_hours")
    now_text = fact(facts, "host.utc_now")
    evidence.update({
        "agent_process_start_utc": started_text,
        "health_service_state": {
            "path": fact(facts, "health_service_state.path"),
            "exists": fact(facts, "health_service_state.exists"),
            "size_bytes": fact(facts, "health_service_state.size_bytes"),
            "file_count": fact(facts, "health_service_state.file_count"),
            "truncated": fact(facts, "health_service_state.truncated"),
            "oldest_write_utc": fact(facts, "health_service_state.oldest_write_utc"),
            "newest_write_utc": fact(facts, "health_service_state.newest_write_utc"),
        },
        "event_window_hours": window,
    })
    if installed is False:
        return skipped("AgentNotInstalled", "Not checked: the Microsoft Monitoring Agent is not installed.",
                       evidence=evidence)
    if evidence["agent_service_status"] != "Running":
        return skipped("AgentNotRunning", "Not checked: the agent (HealthService) is not running (%s); see "
                       "MonitoringAgentServiceRunningCheck." % evidence["agent_service_status"], evidence=evidence)
    log = _sma_log(facts)
    started = _time(started_text)
    if log is None or started is None:
        return skipped("FactsMissing", "Not checked: the collector could not read the agent's start time or the "
                       "Microsoft-SMA log (agent.service.process_start_utc, events.sma).", evidence=evidence)
    if log is False:
        return information("NoSmaLog", "The agent runs but the Microsoft-SMA log does not exist: no Hybrid Runbook "
                           "Worker has ever run on this machine (not registered, or the solution not pushed).",
                           evidence=evidence)
    since = [e for e in _newest(fact(facts, "events.sma.worker_events"))
             if e.get("id") in (15003, 15004) and (_time(e.get("time_created")) or datetime.datetime.min) >= started]
    evidence["worker_events_since_agent_start"] = since[:10]
    manual = remediation("purge_health_service_state", MANUAL_PURGE_CACHE)
    if since and since[0].get("id") == 15003:
        return passed("The worker started (event 15003 at %s) since the agent's last start at %s." % (
            since[0].get("time_created"), started_text),
            arguments=[since[0].get("time_created"), started_text], evidence=evidence)
    if since:
        return information("WorkerStopped", "The agent runs (since %s) but the newest worker event since then is a "
                           "stop (15004 at %s). If the workspace shows no heartbeat for this machine, its Health "
                           "Service State cache may be corrupt (seed: Hybrid Runbook Worker not reporting); this "
                           "cannot be proven locally." % (started_text, since[0].get("time_created")),
                           arguments=[started_text, since[0].get("time_created")], evidence=evidence,
                           remediation=manual)
    window_start = None
    now = _time(now_text)
    if now is not None and isinstance(window, (int, float)) and not isinstance(window, bool):
        window_start = now - datetime.timedelta(hours=window)
    if window_start is not None and started < window_start:
        return information("StartBeforeWindow", "The agent has run since %s, before the %s-hour event window, and no "
                           "worker start or stop event falls in the window: whether the worker started cannot be "
                           "told locally. If the workspace shows no heartbeat for this machine, the Health Service "
                           "State cache may be corrupt." % (started_text, window), arguments=[started_text, window],
                           evidence=evidence, remediation=manual)
    return information("NoWorkerStart", "The agent runs (since %s) but no worker has started since (no Microsoft-SMA "
                       "event 15003): the Hybrid Runbook Worker is not reporting. A corrupt Health Service State "
                       "cache is a likely cause (seed), though it cannot be proven locally." % started_text,
                       arguments=[started_text], evidence=evidence, remediation=manual)


def check_runbook_authentication(facts, context):
    log = _sma_log(facts)
    unauth = _newest(fact(facts, "events.sma.process_exit_4294967295"))
    acl = _newest(fact(facts, "events.sma.process_exit_2148734720"))
    evidence = {"sma_log_exists": log, "window_hours": fact(facts, "events.window_hours"),
                "process_exit_4294967295": unauth[:5], "process_exit_2148734720": acl[:5]}
    stop = _no_sma_log(log, evidence, "runbook")
    if stop:
        return stop
    if unauth:
        also = (" %d job(s) also exited with [2148734720] (custom credential ACLs, see the evidence)." % len(acl)
                if acl else "")
        return failed("RunbookAuthentication", "%d runbook job(s) exited with 'Win32 Process Exited with code "
                      "[4294967295]' (newest %s): the runbooks have no authentication configured, or no Run As "
                      "credential is set for the Hybrid Worker group.%s" % (
                          len(unauth), unauth[0].get("time_created"), also),
                      arguments=[len(unauth), unauth[0].get("time_created")], evidence=evidence,
                      remediation=remediation(None, MANUAL_RUNBOOK_AUTH))
    if acl:
        partial = failed("CustomCredentialAcl", "%d runbook job(s) exited with 'Win32 Process Exited with code "
                         "[2148734720]' (newest %s): on an extension-based worker the group's custom credential "
                         "lacks rights granted directly to the user: Read on the Arc agent's Tokens folder and "
                         "Read & Execute on the extension folder." % (len(acl), acl[0].get("time_created")),
                         arguments=[len(acl), acl[0].get("time_created")], evidence=evidence,
                         remediation=remediation(None, MANUAL_CUSTOM_CRED),
                         scenario=EXT_TS + "v2.custom_cred_acl")
        partial["worker_generation"] = "v2"
        return partial
    return passed("No runbook job exited with [4294967295] or [2148734720] in the Microsoft-SMA log.",
                  evidence=evidence)


# --------------------------------------------------------------------------- connectivity

def check_signalr(facts, context):
    log = _sma_log(facts)
    events = _newest(fact(facts, "events.sma.events_15011"))
    starts = [e for e in _newest(fact(facts, "events.sma.worker_events")) if e.get("id") == 15003]
    evidence = {"sma_log_exists": log, "window_hours": fact(facts, "events.window_hours"),
                "events_15011": events[:5], "events_15011_count": len(events),
                "newest_worker_start": starts[0] if starts else None}
    stop = _no_sma_log(log, evidence, "Hybrid Runbook Worker")
    if stop:
        return stop
    if not events:
        return passed("No event 15011 (notification hub timeout) in the Microsoft-SMA log.", evidence=evidence)
    newest = _time(events[0].get("time_created"))
    started = _time(starts[0].get("time_created")) if starts else None
    text = ("%d event(s) 15011 (newest %s): the worker's SignalR connection to the Automation notification hub "
            "(.../notifications/hub) timed out, so it does not receive jobs promptly. The usual cause is a "
            "workspace not linked correctly to the Automation account; otherwise run the jobs in a manual "
            "sandbox." % (len(events), events[0].get("time_created")))
    if started is not None and newest is not None and started > newest:
        return warning("BeforeWorkerRestart", text + " The worker has started again since (15003 at %s); watch "
                       "for new ones." % starts[0].get("time_created"),
                       arguments=[len(events), events[0].get("time_created")], evidence=evidence)
    return failed("NotificationHubTimeout", text, arguments=[len(events), events[0].get("time_created")],
                  evidence=evidence)


# --------------------------------------------------------------------------- registration

def check_registration(facts, context):
    context = context or {}
    expected_account = context.get("automation_account_id")
    expected_group = context.get("hybrid_worker_group")
    key_exists = fact(facts, "registration.key_exists")
    entries = _registrations(facts)
    accounts = sorted(set(e["account_id"].lower() for e in entries if isinstance(e["account_id"], str)))
    evidence = {"key": HRW_KEY, "key_exists": key_exists, "registrations": entries,
                "root_values": fact(facts, "registration.root_values"),
                "expected_automation_account_id": expected_account, "expected_hybrid_worker_group": expected_group}
    if not isinstance(key_exists, bool):
        return skipped("FactsMissing", "Not checked: the collector could not read %s (registration.key_exists)."
                       % HRW_KEY, evidence=evidence)
    if not key_exists or not entries:
        return information("NotRegistered", "This machine is not registered as a Hybrid Runbook Worker (%s %s)." % (
            HRW_KEY, "does not exist" if not key_exists else "holds no account or group"), evidence=evidence)
    described = "; ".join("account %s, group %s" % (e["account_id"] or "(not recorded)", e["group"] or "(none)")
                          for e in entries)
    args = [described, expected_account, expected_group]
    destructive = remediation("remove_hybrid_registration", MANUAL_REMOVE_REGISTRATION)
    if expected_account and accounts and not any(_same(a, expected_account) for a in accounts):
        return failed("OtherAccount", "This machine is already registered with another Automation account (%s), "
                      "not %s: Add-HybridRunbookWorker answers \"Machine is already registered\"." % (
                          described, expected_account), arguments=args, evidence=evidence, remediation=destructive)
    if expected_group:
        mine = [e for e in entries if not expected_account or e["account_id"] is None
                or _same(e["account_id"], expected_account)]
        if not any(_same(e["group"], expected_group) for e in mine):
            return failed("OtherGroup", "This machine is already registered in another Hybrid Worker group (%s), "
                          "not %s: Add-HybridRunbookWorker answers \"Machine is already registered\"." % (
                              described, expected_group), arguments=args, evidence=evidence, remediation=destructive)
    if len(accounts) > 1:
        return warning("MultipleAccounts", "This machine is registered with %d Automation accounts (%s); a worker "
                       "normally serves one. Remove the registrations that are no longer used." % (
                           len(accounts), described), arguments=args, evidence=evidence,
                       remediation=remediation(None, "Remove the stale registration: Remove-Item 'HKLM:\\SOFTWARE\\"
                                               "Microsoft\\HybridRunbookWorker\\<AutomationAccountID>\\<GroupName>' "
                                               "-Force (back it up first), then delete the worker in the portal."))
    if expected_account and not accounts:
        return information("AccountNotRecorded", "Registered (%s) in the older layout, which does not record the "
                           "Automation account, so it cannot be compared with %s." % (described, expected_account),
                           arguments=args, evidence=evidence)
    if not expected_account and not expected_group:
        return information("Registered", "Registered: %s. Give automation_account_id and hybrid_worker_group to "
                           "check it is the expected registration." % described, arguments=args, evidence=evidence)
    return passed("Registered as expected: %s." % described, arguments=args, evidence=evidence)


def check_run_as_certificate(facts, context):
    context = context or {}
    wanted = context.get("run_as_certificate_thumbprint")
    cert = fact(facts, "run_as_certificate")
    evidence = {"requested_thumbprint": wanted, "certificate": cert, "store": "Cert:\\LocalMachine\\My"}
    if cert is None:
        if not wanted:
            return skipped("NotRequested", "Not checked: no run_as_certificate_thumbprint was given.",
                           evidence=evidence)
        return skipped("FactsMissing", "Not checked: a thumbprint was given but the facts hold no "
                       "run_as_certificate.", evidence=evidence)
    thumbprint = fact(facts, "run_as_certificate.thumbprint") or wanted
    found = fact(facts, "run_as_certificate.found")
    if found is not True:
        if found is None:
            return skipped("FactsMissing", "Not checked: the collector could not search the certificate store.",
                           evidence=evidence)
        return failed("NotFound", "No certificate with thumbprint %s in Cert:\\LocalMachine\\My: runbooks that use "
                      "the Run As account fail with 'No certificate was found in the certificate store'." % thumbprint,
                      arguments=[thumbprint], evidence=evidence)
    not_after_text = fact(facts, "run_as_certificate.not_after")
    not_after = _time(not_after_text)
    now_text = fact(facts, "host.utc_now")
    if _time(now_text) is None:
        now_text = context.get("controller_utc")
    now = _time(now_text)
    evidence.update({"now": now_text, "subject": fact(facts, "run_as_certificate.subject")})
    if now is not None and not_after is not None and not_after <= now:
        return failed("Expired", "The Run As certificate %s (%s) expired on %s." % (
            thumbprint, evidence["subject"], not_after_text), arguments=[thumbprint, not_after_text], evidence=evidence,
            remediation=remediation(None, "Renew the Run As certificate of the Automation account, then export it "
                                    "to the worker again (Export-RunAsCertificateToHybridWorker), or move the "
                                    "runbooks to a managed identity."))
    if fact(facts, "run_as_certificate.has_private_key") is not True:
        return failed("NoPrivateKey", "The Run As certificate %s is in Cert:\\LocalMachine\\My without its private "
                      "key, so it cannot authenticate." % thumbprint, arguments=[thumbprint], evidence=evidence,
                      remediation=remediation(None, "Import the certificate again from its .pfx, with the private "
                                              "key, into Cert:\\LocalMachine\\My (Export-RunAsCertificateToHybridWorker "
                                              "does this)."))
    if now is None or not_after is None:
        return information("ExpiryNotChecked", "The Run As certificate %s is present with its private key; its expiry "
                           "(%s) could not be compared with a clock." % (thumbprint, not_after_text),
                           arguments=[thumbprint], evidence=evidence)
    days = (not_after - now).total_seconds() / 86400.0
    evidence["days_left"] = int(days)
    if days < CERT_WARN_DAYS:
        return warning("ExpiresSoon", "The Run As certificate %s expires in %d day(s), on %s." % (
            thumbprint, int(days), not_after_text), arguments=[thumbprint, not_after_text], evidence=evidence,
            remediation=remediation(None, "Renew the Run As certificate, then export it to the worker again "
                                    "(Export-RunAsCertificateToHybridWorker), or move to a managed identity."))
    return passed("The Run As certificate %s is present with its private key, valid until %s." % (
        thumbprint, not_after_text), arguments=[thumbprint, not_after_text], evidence=evidence)


# --------------------------------------------------------------------------- machineSettings

def _event_messages(facts):
    """(source, event) for every collected event that has a message."""
    sources = [
        ("windows_update", fact(facts, "events.windows_update.events")),
        ("operations_manager_4502", fact(facts, "events.operations_manager.events_4502")),
        ("sma_15011", fact(facts, "events.sma.events_15011")),
        ("sma_process_exit_4294967295", fact(facts, "events.sma.process_exit_4294967295")),
        ("sma_process_exit_2148734720", fact(facts, "events.sma.process_exit_2148734720")),
    ]
    read = [name for name, events in sources if isinstance(events, list)]
    out = []
    for name, events in sources:
        for event in as_list(events):
            if isinstance(event, dict) and isinstance(event.get("message"), str):
                out.append((name, event))
    return read, out


def check_windows_update_errors(facts, context):
    read, messages = _event_messages(facts)
    codes = {}
    for source, event in messages:
        for code in hresult.find_hresults(event.get("message")):
            seen = codes.setdefault(code, {"code": code, "count": 0, "sources": [], "newest": None, "message": None})
            seen["count"] += 1
            if source not in seen["sources"]:
                seen["sources"].append(source)
            when = event.get("time_created")
            if seen["newest"] is None or (_time(when) or datetime.datetime.min) > (
                    _time(seen["newest"]) or datetime.datetime.min):
                seen["newest"], seen["message"] = when, event.get("message")
    evidence = {"logs_read": read, "messages_read": len(messages), "window_hours": fact(facts, "events.window_hours"),
                "hresults": [], "source": hresult.SOURCE}
    if "windows_update" not in read:
        return skipped("FactsMissing", "Not checked: the facts hold no Windows Update client events "
                       "(events.windows_update.events).", evidence=evidence)
    found = []
    for code in sorted(codes, key=lambda c: _time(codes[c]["newest"]) or datetime.datetime.min, reverse=True):
        explained = hresult.explain(code)
        explained.update({"count": codes[code]["count"], "sources": codes[code]["sources"],
                          "newest": codes[code]["newest"], "message": codes[code]["message"]})
        found.append(explained)
    evidence["hresults"] = found
    if not found:
        return passed("No HRESULT in the %d event message(s) read (Windows Update client and agent logs)."
                      % len(messages), arguments=[len(messages)], evidence=evidence)
    known = [h for h in found if h["known"]]
    unknown = [h["code"] for h in found if not h["known"]]
    if not known:
        return information("UnknownHresult", "HRESULT(s) %s appear in the event log but are not in the table of %s. %s"
                           % (", ".join(unknown), hresult.SOURCE, hresult.UNKNOWN_ACTION),
                           arguments=unknown, evidence=evidence)
    lasting = [h for h in known if h["code"] not in hresult.TRANSIENT]
    first = (lasting or known)[0]
    action = None
    for h in lasting:
        action = action or hresult.REPAIR_ACTIONS.get(h["code"])
    manual = " ".join("%s: %s" % (h["code"], h["action"]) for h in known)
    text = "; ".join("%s (%d time(s), newest %s): %s" % (h["code"], h["count"], h["newest"], h["explanation"])
                     for h in known)
    if unknown:
        text += "; also not in the table: %s" % ", ".join(unknown)
    arguments = [h["code"] for h in known] + unknown
    if not lasting:
        return warning("Interrupted", "Windows Update reported %s. The operation was interrupted rather than "
                       "broken; run it again." % text, arguments=arguments, evidence=evidence,
                       remediation=remediation(None, manual))
    return failed("KnownHresult", "Windows Update reported %s. Newest cause: %s" % (text, first["action"]),
                  arguments=arguments, evidence=evidence, remediation=remediation(action, manual))


# --------------------------------------------------------------------------- V2 (extension)

def check_extension_worker_service(facts, context):
    service = fact(facts, "extension.service")
    exists = fact(facts, "extension.service.exists")
    status = fact(facts, "extension.service.status")
    plugin = fact(facts, "extension.plugin_exists")
    keys = as_dict(fact(facts, "extension.registry_keys"))
    v1 = _registrations(facts) if fact(facts, "registration.key_exists") is True else []
    evidence = {"service": service, "plugin_path": fact(facts, "extension.plugin_path"), "plugin_exists": plugin,
                "versions": fact(facts, "extension.versions"), "registry_keys": keys, "v1_registrations": v1}
    if not isinstance(service, dict) or not isinstance(exists, bool):
        return skipped("FactsMissing", "Not checked: the collector could not read the HybridWorkerService service "
                       "(extension.service).", evidence=evidence)
    if not exists:
        if plugin is True or any(v is True for v in keys.values()):
            return failed("ServiceMissing", "The Hybrid Worker extension is partly installed (plugin folder or "
                          "registry keys present) but its service HybridWorkerService does not exist: the install "
                          "is stuck.", evidence=evidence,
                          remediation=remediation(None, "Remove HKLM:\\Software\\Microsoft\\Azure\\HybridWorker and "
                                                  "HKLM:\\Software\\Microsoft\\HybridRunbookWorkerV2 (back them up), "
                                                  "then run %s\\<version>\\bin\\install.ps1 and bin\\enable.ps1, or "
                                                  "remove and add the HybridWorkerExtension again." % EXT_PLUGIN))
        return information("NotInstalled", "No extension-based (V2) Hybrid Worker on this machine.", evidence=evidence)
    if status is None:
        return skipped("FactsMissing", "Not checked: the HybridWorkerService status could not be read.",
                       evidence=evidence)
    if status != "Running":
        return failed("NotRunning", "The extension-based worker's service HybridWorkerService is %s." % status,
                      arguments=[status], evidence=evidence)
    if v1:
        return information("Migration", "Both generations are present: the extension-based (V2) worker runs, and "
                           "the agent-based (V1) registration %s is still on the machine. Once the V2 worker runs "
                           "the group's jobs, remove the V1 user worker (V1 user workers were retired on 31 August "
                           "2024; the Update Management system worker stays V1)." % HRW_KEY,
                           arguments=[len(v1)], evidence=evidence)
    return passed("The extension-based worker's service HybridWorkerService is running.", evidence=evidence)


# --------------------------------------------------------------------------- catalog

def _rule(rule_id, group, name, description, check, scenario, manual, message_ids, generation=GENERATION,
          action=None):
    return Rule(rule_id, group[0], name, group[1], description, check, platform=PLATFORM,
                generation=generation, scenario=scenario, remediation=remediation(action, manual),
                message_ids=[rule_id + "." + m for m in message_ids])


RULES = [
    _rule("MonitoringAgentVersionCheck", SERVICEHEALTH, "Monitoring Agent version",
          "The Microsoft Monitoring Agent is 10.20.18053 or later.",
          check_agent_version, OFFICIAL_41 + "Limits",
          "Update the Microsoft Monitoring Agent to the latest version (MMASetup-AMD64.exe, or the "
          "MicrosoftMonitoringAgent VM extension).",
          ["Passed", "Failed", "Skipped.AgentNotInstalled", "Skipped.VersionUnknown", "Skipped.FactsMissing"]),
    _rule("HybridWorkerRegistrationCheck", REGISTRATION, "Hybrid Runbook Worker registration",
          "HKLM\\SOFTWARE\\Microsoft\\HybridRunbookWorker holds the expected Automation account and group, not "
          "another (\"Machine is already registered\").",
          check_registration, SEED + "#already-registered", MANUAL_REMOVE_REGISTRATION,
          ["Passed", "Failed.OtherAccount", "Failed.OtherGroup", "PassedWithWarning.MultipleAccounts",
           "Information.NotRegistered", "Information.Registered", "Information.AccountNotRecorded",
           "Skipped.FactsMissing"], action="remove_hybrid_registration"),
    _rule("AzureAutomationModuleCheck", SERVICEHEALTH, "AzureAutomation module",
          "The AzureAutomation\\<version>\\HybridRegistration module the registration needs was pushed to the agent.",
          check_azure_automation_module, OFFICIAL_41 + "Prerequisites",
          "Enable the Azure Automation solution on the agent's workspace (Set-AzOperationalInsightsIntelligencePack "
          "-IntelligencePackName AzureAutomation -Enabled $true), make sure the agent reports to it, and wait for "
          "C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\AzureAutomation\\<version>\\HybridRegistration.",
          ["Passed", "Failed.NotPushed", "Failed.ModuleMissing", "Skipped.AgentNotInstalled", "Skipped.FactsMissing"]),
    _rule("HealthServiceStateCheck", SERVICEHEALTH, "Worker reporting (Health Service State)",
          "The worker started (Microsoft-SMA 15003) since the agent last started; otherwise the Health Service "
          "State cache may be corrupt.",
          check_health_service_state, SEED + "#corrupt-cache", MANUAL_PURGE_CACHE,
          ["Passed", "Information.NoWorkerStart", "Information.WorkerStopped", "Information.StartBeforeWindow",
           "Information.NoSmaLog", "Skipped.AgentNotInstalled", "Skipped.AgentNotRunning", "Skipped.FactsMissing"],
          action="purge_health_service_state"),
    _rule("RunbookAuthenticationCheck", SERVICEHEALTH, "Runbook authentication",
          "No runbook job exited with [4294967295] (no authentication / Run As) or [2148734720] (V2 custom "
          "credential ACLs) in the Microsoft-SMA log.",
          check_runbook_authentication, SEED + "#runbook-execution-fails", MANUAL_RUNBOOK_AUTH,
          ["Passed", "Failed.RunbookAuthentication", "Failed.CustomCredentialAcl", "Information.NoSmaLog",
           "Skipped.FactsMissing"], generation="any"),
    _rule("SignalRConnectionCheck", CONNECTIVITY, "Notification hub (SignalR)",
          "No Microsoft-SMA event 15011 (SignalR notification hub timeout).",
          check_signalr, "official-troubleshooters.md#1 (docs only: event 15011)",
          "Check the workspace is linked correctly to the Automation account (region mapping, Automation solution); "
          "allow *.azure-automation.net:443 including WebSockets through the proxy; otherwise run the jobs in a "
          "manual sandbox.",
          ["Passed", "Failed.NotificationHubTimeout", "PassedWithWarning.BeforeWorkerRestart", "Information.NoSmaLog",
           "Skipped.FactsMissing"]),
    _rule("RunAsCertificateCheck", REGISTRATION, "Run As certificate",
          "The Run As certificate (run_as_certificate_thumbprint) is in Cert:\\LocalMachine\\My with its private key "
          "and not expired.",
          check_run_as_certificate, SEED + "#no-cert-found",
          "Run the Export-RunAsCertificateToHybridWorker runbook on the worker group, or use a managed identity "
          "(Azure VM) instead of the Run As account.",
          ["Passed", "PassedWithWarning.ExpiresSoon", "Failed.NotFound", "Failed.Expired", "Failed.NoPrivateKey",
           "Information.ExpiryNotChecked", "Skipped.NotRequested", "Skipped.FactsMissing"]),
    _rule("WindowsUpdateErrorCheck", MACHINE_SETTINGS, "Windows Update errors (HRESULT)",
          "HRESULTs in the Windows Update client events and the agent's event messages, explained with the "
          "table of update-management-troubleshoot.md.",
          check_windows_update_errors, UM_SEED + "#hresult", hresult.UNKNOWN_ACTION,
          ["Passed", "Failed.KnownHresult", "PassedWithWarning.Interrupted", "Information.UnknownHresult",
           "Skipped.FactsMissing"]),
    _rule("ExtensionWorkerServiceCheck", SERVICEHEALTH, "Extension worker service (V2)",
          "The extension-based worker's service HybridWorkerService exists and runs; a machine with V1 and V2 is "
          "reported as migrating.",
          check_extension_worker_service, EXT_TS + "v2.service",
          "Start-Service HybridWorkerService; if it does not stay up, remove and add the HybridWorkerExtension "
          "again (official-troubleshooters.md §3, stuck install).",
          ["Passed", "Failed.NotRunning", "Failed.ServiceMissing", "Information.Migration", "Information.NotInstalled",
           "Skipped.FactsMissing"], generation="v2"),
]
