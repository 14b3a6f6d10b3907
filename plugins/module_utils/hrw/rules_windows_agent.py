# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows V1 rules: the Microsoft Monitoring Agent, the system Hybrid Runbook Worker, its
workspace, the MachineKeys folder and the Windows Update settings (Microsoft's UMW rules).

Pure functions over the Windows facts document (docs/adr/0002-windows-facts.md), read through
``windows_facts.fact``. Stdlib only, Python 3.8+, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timedelta

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    MACHINE_SETTINGS,
    PERMISSIONS,
    SERVICEHEALTH,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_windows import (
    AGENT_SEED,
    OFFICIAL,
    SEED,
    UM_SEED,
    facts_missing,
    ids_of,
    make_rule,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import as_list, fact

HEALTH_SERVICE = "HealthService"
MMA_NAME = "Microsoft Monitoring Agent"
WU_SERVICE = "wuauserv"
WU_NAME = "Windows Update"
MACHINE_KEYS = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
SMA_LOG = "Microsoft-SMA/Operational"
OPSMGR_LOG = "Operations Manager"
HYBRID_AGENT = "AzureAutomation.HybridAgent"
WORKER_START_SLACK = timedelta(minutes=10)
SANDBOXES = "C:\\ProgramData\\Microsoft\\System Center\\Orchestrator\\7.2\\SMA\\Sandboxes"

RESTART_MANUAL = "Restart-Service HealthService, then run the diagnosis again."


# --------------------------------------------------------------------------- helpers

def parse_utc(text):
    """``2026-11-25T20:00:00Z`` (fractions allowed) -> naive UTC datetime; None when unparseable."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().replace("z", "Z")
    if value.endswith("Z"):
        value = value[:-1]
    elif value.endswith("+00:00"):
        value = value[:-6]
    if "." in value:
        head, frac = value.split(".", 1)
        value = head + "." + (frac + "000000")[:6]
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
    else:
        fmt = "%Y-%m-%dT%H:%M:%S"
    try:
        return datetime.strptime(value, fmt)
    except ValueError:
        return None


def _service_evidence(service):
    keys = ("name", "exists", "display_name", "status", "start_type", "process_id", "process_start_utc")
    return dict((k, service.get(k)) for k in keys)


def _agent_service(facts):
    """(service dict, skipped partial) for rules that need the HealthService facts."""
    service = fact(facts, "agent.service")
    if not isinstance(service, dict) or service.get("exists") is None:
        return None, facts_missing("agent.service", service)
    return service, None


def _depends_on_agent_running(facts, rule_text):
    """A Skipped partial when HealthService is not known to be running, else None."""
    service, skip = _agent_service(facts)
    if skip:
        return skip
    if service.get("exists") is False or service.get("status") != "Running":
        return skipped("AgentNotRunning",
                       "Not checked: depends on MonitoringAgentServiceRunningCheck, which found the %s service "
                       "(HealthService) %s; %s" % (MMA_NAME, "not installed" if service.get("exists") is False
                                                   else "in state %s" % service.get("status"), rule_text),
                       evidence={"depends_on": "MonitoringAgentServiceRunningCheck",
                                 "service": _service_evidence(service)})
    return None


# --------------------------------------------------------------------------- MonitoringAgentServiceRunningCheck

def check_agent_running(facts, context):
    service, skip = _agent_service(facts)
    if skip:
        return skip
    evidence = {"service": _service_evidence(service)}
    display = service.get("display_name") or MMA_NAME
    args = [display, HEALTH_SERVICE]
    if service.get("exists") is False:
        return failed("NotInstalled", "The %s service (HealthService) does not exist: the agent is not installed."
                      % MMA_NAME, arguments=args, evidence=evidence,
                      remediation=remediation(None, "Install the Microsoft Monitoring Agent and connect it to the "
                                              "workspace (see %s)." % SEED), scenario=SEED + "#mma-not-running")
    if service.get("status") == "Running":
        return passed("%s service (HealthService) is running (pid %s, started %s)."
                      % (display, service.get("process_id"), service.get("process_start_utc")),
                      arguments=args, evidence=evidence)
    if service.get("start_type") == "Disabled":
        return failed("Disabled", "%s service (HealthService) is %s and its start type is Disabled, so it cannot be "
                      "started." % (display, service.get("status")), arguments=args, evidence=evidence,
                      remediation=remediation(None, "Set-Service HealthService -StartupType Automatic; "
                                              "Start-Service HealthService"),
                      scenario=SEED + "#mma-not-running")
    return failed(None, "%s service (HealthService) is not running (status %s, start type %s)."
                  % (display, service.get("status"), service.get("start_type")), arguments=args, evidence=evidence)


# --------------------------------------------------------------------------- SystemHybridRunbookWorkerRunningCheck

def _system_worker_events(events):
    """Microsoft's filter: 15003/15004 whose properties[1] == properties[2] + "_" + properties[3], newest first."""
    out = []
    for event in as_list(events):
        if not isinstance(event, dict) or event.get("id") not in (15003, 15004):
            continue
        props = event.get("properties")
        if not isinstance(props, list) or len(props) < 4:
            continue
        if str(props[1]) == "%s_%s" % (props[2], props[3]):
            out.append(event)
    out.sort(key=lambda e: parse_utc(e.get("time_created")) or datetime.min, reverse=True)
    return out


def check_system_worker_running(facts, context):
    skip = _depends_on_agent_running(facts, "the system worker runs inside the agent.")
    if skip:
        return skip
    log_exists = fact(facts, "events.sma.log_exists")
    events = fact(facts, "events.sma.worker_events")
    window = fact(facts, "events.window_hours")
    start_text = fact(facts, "agent.service.process_start_utc")
    agent_start = parse_utc(start_text)
    evidence = {"log": SMA_LOG, "log_exists": log_exists, "window_hours": window,
                "agent_process_start_utc": start_text}
    args = [MMA_NAME, HEALTH_SERVICE]
    if log_exists is False:
        return failed("NoLog", "The %s event log does not exist: the Hybrid Runbook Worker was never set up on this "
                      "machine (or the log was removed), so it cannot be running." % SMA_LOG, arguments=args,
                      evidence=evidence)
    if log_exists is None or not isinstance(events, list):
        return facts_missing("events.sma.worker_events", events)
    matching = _system_worker_events(events)
    evidence["system_worker_events"] = matching[:5]
    evidence["events_seen"] = len(events)
    if not matching:
        now = parse_utc(fact(facts, "host.utc_now"))
        if agent_start and now and isinstance(window, (int, float)) and agent_start < now - timedelta(hours=window):
            return information("NoRecentEvent",
                               "No system Hybrid Runbook Worker start or stop event (15003/15004) is in the last %s "
                               "hours of %s, and the agent has run since %s, before that window: the worker's start "
                               "event is older than what was read, so whether it runs cannot be proven locally."
                               % (window, SMA_LOG, start_text), arguments=args, evidence=evidence)
        since = " since the agent started at %s" % start_text if start_text else ""
        return failed("NoEvent", "The system Hybrid Runbook Worker has not logged a start (15003) or stop (15004) "
                      "event in %s%s: it did not start. Restart the %s service (HealthService) and rerun the "
                      "troubleshooter." % (SMA_LOG, since, MMA_NAME), arguments=args, evidence=evidence)
    newest = matching[0]
    evidence["newest"] = newest
    when = parse_utc(newest.get("time_created"))
    if newest.get("id") != 15003:
        return failed(None, "Hybrid runbook worker is in stopped state: the newest system worker event is a stop "
                      "(15004) at %s. Please restart %s service (HealthService) and rerun the troubleshooter to "
                      "ensure that hybrid runbook worker is in running state." % (newest.get("time_created"), MMA_NAME),
                      arguments=args, evidence=evidence)
    if agent_start is None:
        return warning("AgentStartUnknown", "The newest system worker event is a start (15003) at %s, but the agent's "
                       "start time is unknown, so whether the worker started since the agent's last start could not "
                       "be checked." % newest.get("time_created"), arguments=args, evidence=evidence)
    if when is None or when < agent_start - WORKER_START_SLACK:
        return failed("NotStartedSinceAgentStart",
                      "The newest system worker start (15003) is at %s, before the agent's last start at %s: the "
                      "worker has not started since the agent restarted. Restart the %s service (HealthService) "
                      "and rerun the troubleshooter." % (newest.get("time_created"), start_text, MMA_NAME),
                      arguments=args, evidence=evidence)
    return passed("Hybrid runbook worker is running: it started (15003) at %s, after the agent's last start at %s."
                  % (newest.get("time_created"), start_text), evidence=evidence)


# --------------------------------------------------------------------------- MonitoringAgentServiceEventsCheck

_MODULE_RE = re.compile(r"Microsoft\.EnterpriseManagement\.[A-Za-z0-9_.]*[A-Za-z0-9_]")


def _event_module(message):
    found = _MODULE_RE.search(message or "")
    return found.group(0) if found else None


def check_agent_events(facts, context):
    log_exists = fact(facts, "events.operations_manager.log_exists")
    events = fact(facts, "events.operations_manager.events_4502")
    window = fact(facts, "events.window_hours")
    args = [MMA_NAME, OPSMGR_LOG, 4502]
    evidence = {"log": OPSMGR_LOG, "log_exists": log_exists, "window_hours": window}
    if log_exists is False:
        return failed("NoLog", "%s service Event Log (%s) does not exist on the machine." % (MMA_NAME, OPSMGR_LOG),
                      arguments=args, evidence=evidence,
                      remediation=remediation(None, "Install the Microsoft Monitoring Agent (it creates the %s log)."
                                              % OPSMGR_LOG))
    if log_exists is None or not isinstance(events, list):
        return facts_missing("events.operations_manager.events_4502", events)
    found = []
    for event in events:
        if not isinstance(event, dict):
            continue
        message = event.get("message") or ""
        found.append({"time_created": event.get("time_created"), "provider": event.get("provider"),
                      "module": _event_module(message), "message": message})
    evidence["events"] = found
    if not found:
        return passed("%s service Event Log (%s) does not have event 4502 logged in the last %s hours."
                      % (MMA_NAME, OPSMGR_LOG, window), arguments=args, evidence=evidence)
    hybrid = [e for e in found if HYBRID_AGENT in e["message"]]
    modules = sorted(set(e["module"] or e["provider"] or "unknown" for e in found))
    if hybrid:
        evidence["tls_interception"] = True
        return failed("EventFound",
                      "%s service Event Log (%s) has %d event(s) 4502 in the last %s hours, %d of them from "
                      "Microsoft.EnterpriseManagement.HealthService.AzureAutomation.HybridAgent (newest %s): the "
                      "certificate presented by the service was not issued by a Microsoft CA, which means a proxy or "
                      "firewall intercepts TLS. Message: %s"
                      % (MMA_NAME, OPSMGR_LOG, len(found), window, len(hybrid), hybrid[0]["time_created"],
                         hybrid[0]["message"]),
                      arguments=args + modules, evidence=evidence, scenario=SEED + "#event-4502",
                      remediation=remediation(None, "The proxy or firewall blocks or intercepts the communication "
                                              "with Azure: allow outbound TCP 443 to *.azure-automation.net (and "
                                              "*.opinsights.azure.com) without TLS inspection. Then check the "
                                              "Microsoft-SMA/Operational and Operations Manager logs and %s for "
                                              "further warnings or errors." % SANDBOXES))
    evidence["tls_interception"] = False
    return failed("EventFound", "%s service Event Log (%s) has %d event(s) 4502 in the last %s hours, from %s "
                  "(newest %s: %s). Look at the results of other checks to troubleshoot the reasons."
                  % (MMA_NAME, OPSMGR_LOG, len(found), window, ", ".join(modules), found[0]["time_created"],
                     found[0]["message"]), arguments=args + modules, evidence=evidence)


# --------------------------------------------------------------------------- LinkedWorkspaceCheck

def _lower_ids(values):
    out = []
    for value in as_list(values):
        text = str(value or "").strip().lower()
        if text and text not in out:
            out.append(text)
    return out


def check_linked_workspace(facts, context):
    workspaces = fact(facts, "agent.workspaces")
    source = fact(facts, "agent.workspaces_source")
    updates = fact(facts, "agent.updates_workspace_ids")
    evidence = {"workspaces": workspaces, "workspaces_source": source, "updates_workspace_ids": updates,
                "management_groups": fact(facts, "agent.management_groups")}
    if not isinstance(workspaces, list):
        return facts_missing("agent.workspaces", workspaces)
    agent_ids = _lower_ids([w.get("workspace_id") for w in workspaces if isinstance(w, dict)])
    update_ids = _lower_ids(updates)
    valid = [w for w in agent_ids if w in update_ids]
    evidence["valid"] = valid
    expected = str((context or {}).get("expected_workspace_id") or "").strip().lower() or None
    evidence["expected_workspace_id"] = expected
    if not agent_ids:
        return failed("NoWorkspace", "VM is not reporting to any workspace (the agent has no cloud workspace, source "
                      "%s)." % source, arguments=["None"], evidence=evidence)
    if len(valid) > 1:
        return failed(None, "VM is reporting to multiple workspaces with the Updates solution (%s). Please make sure "
                      "automation account is linked to single workspace." % ", ".join(valid),
                      arguments=valid, evidence=evidence)
    if valid:
        chosen = valid[0]
    elif len(agent_ids) == 1:
        chosen = agent_ids[0]
    else:
        return failed("NoWorkspace", "The agent reports to %d workspaces (%s), and no event 1210 in the %s log names "
                      "the Updates solution for any of them (%s), so the workspace of the system worker cannot be "
                      "told." % (len(agent_ids), ", ".join(agent_ids), OPSMGR_LOG,
                                 "event 1210 could not be read" if updates is None else "none found"),
                      arguments=["None"], evidence=evidence)
    if expected and chosen != expected:
        return failed("OtherWorkspace", "VM is reporting to workspace %s, not the expected workspace %s."
                      % (chosen, expected), arguments=[expected, chosen], evidence=evidence,
                      remediation=remediation(None, "Connect the agent to workspace %s (Control Panel > Microsoft "
                                              "Monitoring Agent > Azure Log Analytics), remove the other one, and "
                                              "restart HealthService." % expected))
    if not valid:
        return warning("NoUpdatesEvent", "The agent reports to one workspace, %s, but no event 1210 naming the "
                       "Updates solution for it is in the %s log (%s): the log rolled over, or the Updates solution "
                       "is not enabled for this workspace. Please make sure automation account is linked to the same "
                       "workspace." % (chosen, OPSMGR_LOG, "it could not be read" if updates is None else
                                       "events 1210 name %s" % (", ".join(update_ids) or "no workspace")),
                       arguments=[chosen], evidence=evidence,
                       remediation=remediation(None, "Make sure the Updates solution is enabled for workspace %s and "
                                               "the Automation account is linked to it; a restart of HealthService "
                                               "logs event 1210 again." % chosen))
    if len(agent_ids) > 1:
        return warning("MultipleButValid", "Although VM is reporting to multiple workspaces (%s), the updates solution "
                       "is configured in only one workspace: %s. Please make sure automation account is linked to "
                       "same workspace." % (", ".join(agent_ids), chosen), arguments=[chosen], evidence=evidence)
    return passed("VM is reporting to workspace %s%s. Please make sure automation account is linked to same workspace."
                  % (chosen, " (the expected one)" if expected else ""), arguments=[chosen], evidence=evidence)


# --------------------------------------------------------------------------- WUServiceRunningCheck

def check_wu_service(facts, context):
    service = fact(facts, "windows_update.service")
    if not isinstance(service, dict) or service.get("exists") is None:
        return facts_missing("windows_update.service", service)
    evidence = {"service": _service_evidence(service)}
    display = service.get("display_name") or WU_NAME
    args = [display, WU_SERVICE]
    if service.get("exists") is False:
        return failed("NotInstalled", "The %s service (wuauserv) does not exist on this machine." % WU_NAME,
                      arguments=args, evidence=evidence,
                      remediation=remediation(None, "Repair Windows (DISM /Online /Cleanup-Image /RestoreHealth; "
                                              "sfc /scannow): the Windows Update service is part of the OS."))
    if service.get("start_type") is None:
        return facts_missing("windows_update.service.start_type", None)
    if service.get("start_type") == "Disabled":
        return failed(None, "%s service (wuauserv) is disabled (status %s). Please set it to automatic or manual. You "
                      "can run 'sc config wuauserv start= demand' to set it to manual."
                      % (display, service.get("status")), arguments=args, evidence=evidence)
    return passed("%s service (wuauserv) is not disabled: start type %s, status %s%s."
                  % (display, service.get("start_type"), service.get("status"),
                     " (it starts on demand)" if service.get("status") != "Running" else ""),
                  arguments=args, evidence=evidence)


# --------------------------------------------------------------------------- CryptoRsaMachineKeysFolderAccessCheck

# SIDs in the token of NT AUTHORITY\SYSTEM that a file ACE can name.
SYSTEM_TOKEN_SIDS = {
    "S-1-5-18": "NT AUTHORITY\\SYSTEM",
    "S-1-1-0": "Everyone",
    "S-1-5-32-544": "BUILTIN\\Administrators",
    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
}
WRITE = 0x116                 # FileSystemRights.Write
MODIFY = 0x301BF              # FileSystemRights.Modify
REQUIRED = WRITE | MODIFY
_RIGHT_NAMES = (
    (0x1, "ReadData"), (0x2, "WriteData"), (0x4, "AppendData"), (0x8, "ReadExtendedAttributes"),
    (0x10, "WriteExtendedAttributes"), (0x20, "ExecuteFile"), (0x40, "DeleteSubdirectoriesAndFiles"),
    (0x80, "ReadAttributes"), (0x100, "WriteAttributes"), (0x10000, "Delete"), (0x20000, "ReadPermissions"),
    (0x40000, "ChangePermissions"), (0x80000, "TakeOwnership"), (0x100000, "Synchronize"),
)
# Generic rights as they appear in an ACE, mapped to the file rights they grant.
_GENERIC = ((0x10000000, 0x1F01FF), (0x20000000, 0x1200A0), (0x40000000, 0x120116), (0x80000000, 0x120089))


def file_rights(value):
    """An ACE's rights (FileSystemRights as an int, maybe negative) -> specific file rights mask; None if not an int."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    mask = value & 0xFFFFFFFF
    for generic, specific in _GENERIC:
        if mask & generic:
            mask |= specific
    return mask & 0x1F01FF


def right_names(mask):
    return [name for bit, name in _RIGHT_NAMES if mask & bit]


def _token_aces(aces, applies):
    """(allow, deny, considered) masks over the ACEs that name SYSTEM's token and for which ``applies(ace)``."""
    allow = deny = 0
    considered = []
    for ace in as_list(aces):
        if not isinstance(ace, dict):
            continue
        sid = str(ace.get("sid") or "").upper()
        rights = file_rights(ace.get("rights"))
        if sid not in SYSTEM_TOKEN_SIDS or rights is None or not applies(ace):
            continue
        considered.append(ace)
        if str(ace.get("type")).lower() == "deny":
            deny |= rights
        else:
            allow |= rights
    return allow, deny, considered


def _applies_to_folder(ace):
    # InheritOnly: the ACE is only a template for children, it grants or denies nothing on the folder itself.
    return ace.get("inherit_only") is False


def _inherited_by_subfolders(ace):
    # Only a ContainerInherit ACE reaches a subfolder (MachineKeys); unknown (an older document) counts, so the
    # warning is never lost.
    return ace.get("container_inherit") is not False


def _token_aces_without_flags(aces):
    return [a for a in as_list(aces) if isinstance(a, dict) and str(a.get("sid") or "").upper() in SYSTEM_TOKEN_SIDS
            and not isinstance(a.get("inherit_only"), bool)]


# FileSystemRights.Read: ReadData, ReadExtendedAttributes, ReadAttributes, ReadPermissions, Synchronize.
READ = 0x120089


def _parent_read_missing(parent):
    """The Read bits SYSTEM lacks on the RSA folder itself (seed: unable to create a self-signed certificate);
    0 when it has them, or when an ACE's inheritance is unknown (an older document: not judged)."""
    if parent.get("exists") is not True or _token_aces_without_flags(parent.get("aces")):
        return 0
    allow, deny, dummy = _token_aces(parent.get("aces"), _applies_to_folder)
    return READ & ~(allow & ~deny)


def check_machine_keys(facts, context):
    folder = fact(facts, "permissions.machine_keys")
    if not isinstance(folder, dict) or folder.get("exists") is None:
        return facts_missing("permissions.machine_keys", folder)
    path = folder.get("path") or MACHINE_KEYS
    args = [path]
    evidence = {"path": path, "exists": folder.get("exists"), "owner": folder.get("owner"),
                "aces": folder.get("aces")}
    if folder.get("exists") is False:
        return failed("Missing", "The folder %s does not exist: the agent cannot store its machine keys." % path,
                      arguments=args, evidence=evidence,
                      remediation=remediation(None, "Create %s (owner BUILTIN\\Administrators) and grant SYSTEM Full "
                                              "control; icacls \"%s\" /grant \"*S-1-5-18:(F)\"" % (path, path)))
    if not isinstance(folder.get("aces"), list):
        return facts_missing("permissions.machine_keys.aces", folder.get("aces"))
    unknown = _token_aces_without_flags(folder.get("aces"))
    if unknown:
        return facts_missing("permissions.machine_keys.aces.inherit_only", unknown,
                             "Not checked: an ACE of %s for an identity in SYSTEM's token has no inherit_only flag, so "
                             "whether it applies to the folder itself is unknown." % path)
    allow, deny, considered = _token_aces(folder.get("aces"), _applies_to_folder)
    ignored = [a for a in folder.get("aces") if isinstance(a, dict) and a.get("inherit_only") is True
               and str(a.get("sid") or "").upper() in SYSTEM_TOKEN_SIDS]
    effective = allow & ~deny
    missing = REQUIRED & ~effective
    denied = REQUIRED & deny
    evidence.update({"token_sids": sorted(SYSTEM_TOKEN_SIDS), "considered_aces": considered,
                     "allowed": right_names(allow), "denied": right_names(deny),
                     "effective": right_names(effective), "missing": right_names(missing),
                     "inherit_only_aces_ignored": ignored})
    if missing:
        if denied:
            return failed("Denied", "SYSTEM lacks Write and Modify on %s: a Deny entry for an identity in its token "
                          "removes %s." % (path, ", ".join(right_names(denied))),
                          arguments=args + right_names(missing), evidence=evidence)
        return failed(None, "Missing permissions to access %s: SYSTEM (through S-1-5-18, Everyone, Administrators or "
                      "Authenticated Users) lacks %s." % (path, ", ".join(right_names(missing))),
                      arguments=args + right_names(missing), evidence=evidence)
    parent = fact(facts, "permissions.rsa")
    if isinstance(parent, dict) and isinstance(parent.get("aces"), list):
        no_read = _parent_read_missing(parent)
        if no_read:
            evidence["parent"] = {"path": parent.get("path"), "missing": right_names(no_read),
                                  "aces": parent.get("aces")}
            return failed("ParentNoRead", "SYSTEM cannot read the parent %s (missing %s): the Hybrid Runbook Worker "
                          "cannot create its self-signed certificate (\"Failed to create a self-signed certificate. "
                          "---> System.UnauthorizedAccessException: Access is denied.\")."
                          % (parent.get("path"), ", ".join(right_names(no_read))),
                          arguments=[parent.get("path")] + right_names(no_read), evidence=evidence,
                          scenario=UM_SEED + "#unable-to-create-selfsigned-cert",
                          remediation=remediation(None, "Grant SYSTEM read access to %s, e.g. icacls \"%s\" /grant "
                                                  "\"*S-1-5-18:(RX)\", then register again."
                                                  % (parent.get("path"), parent.get("path"))))
        p_allow, p_deny, p_considered = _token_aces(parent.get("aces"), _inherited_by_subfolders)
        if p_deny & REQUIRED:
            evidence["parent"] = {"path": parent.get("path"), "denied": right_names(p_deny),
                                  "considered_aces": [a for a in p_considered if str(a.get("type")).lower() == "deny"]}
            return warning("ParentDeny", "SYSTEM has Write and Modify on %s now, but the parent %s has a Deny entry "
                           "(%s) for an identity in SYSTEM's token: it is inherited by new subfolders and comes back "
                           "when inheritance is reset." % (path, parent.get("path"), ", ".join(right_names(p_deny))),
                           arguments=args, evidence=evidence,
                           remediation=remediation(None, "Remove the Deny entries for SYSTEM, Everyone, Administrators "
                                                   "or Authenticated Users from %s." % parent.get("path")))
    return passed("Have permissions to access %s: SYSTEM's effective rights include Write and Modify." % path,
                  arguments=args, evidence=evidence)


# --------------------------------------------------------------------------- Windows Update policy

def _policy(facts):
    policy = fact(facts, "windows_update.policy")
    if not isinstance(policy, dict):
        return None, facts_missing("windows_update.policy", policy)
    return policy, None


def check_always_auto_reboot(facts, context):
    policy, skip = _policy(facts)
    if skip:
        return skip
    at_time = policy.get("AlwaysAutoRebootAtScheduledTime")
    minutes = policy.get("AlwaysAutoRebootAtScheduledTimeMinutes")
    evidence = {"key": "HKLM\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU",
                "AlwaysAutoRebootAtScheduledTime": at_time, "AlwaysAutoRebootAtScheduledTimeMinutes": minutes}
    if at_time == 1 or minutes:
        return warning(None, "Windows Update reboot registry keys are set (AlwaysAutoRebootAtScheduledTime=%s, "
                       "AlwaysAutoRebootAtScheduledTimeMinutes=%s). This can cause unexpected reboots when installing "
                       "updates, whatever the reboot setting of the update deployment." % (at_time, minutes),
                       evidence=evidence)
    return passed("Windows Update reboot registry keys are not set to automatically reboot.", evidence=evidence)


def check_wsus(facts, context):
    policy, skip = _policy(facts)
    if skip:
        return skip
    server = policy.get("WUServer")
    use = policy.get("UseWUServer")
    evidence = {"key": "HKLM\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate", "WUServer": server,
                "WUStatusServer": policy.get("WUStatusServer"), "UseWUServer": use}
    if server and use == 1:
        return warning(None, "Windows Updates are downloading from a configured WSUS Server %s. Ensure the WSUS server "
                       "is accessible and updates are being approved for installation." % server,
                       arguments=[server], evidence=evidence)
    if server:
        return passed("WUServer is set to %s, but UseWUServer is %s (not 1), so the WSUS server is not used: Windows "
                      "Updates are downloading from the default Windows Update location." % (server, use),
                      reason="NotInUse", arguments=[server], evidence=evidence)
    if use == 1:
        return warning("NoServer", "UseWUServer is 1 but no WUServer is set: Windows Update is told to use a WSUS "
                       "server it does not know, and scans fail.", evidence=evidence,
                       remediation=remediation(None, "Set WUServer/WUStatusServer in the Windows Update policy, or "
                                               "remove UseWUServer."))
    return passed("Windows Updates are downloading from the default Windows Update location. Ensure the server has "
                  "access to the Windows Update service.", evidence=evidence)


def check_auto_update(facts, context):
    policy, skip = _policy(facts)
    if skip:
        return skip
    options = policy.get("AUOptions")
    no_auto = policy.get("NoAutoUpdate")
    evidence = {"key": "HKLM\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU", "AUOptions": options,
                "NoAutoUpdate": no_auto}
    if no_auto == 1:
        return passed("Automatic Updates are turned off by policy (NoAutoUpdate=1), whatever AUOptions (%s) says."
                      % options, reason="Disabled", evidence=evidence)
    if options == 4:
        return warning(None, "Windows Update will automatically download and install new updates as they become "
                       "available (AUOptions=4), outside the update deployments' schedule.", evidence=evidence)
    return passed("Windows Update is not set to automatically install updates as they become available (AUOptions=%s)."
                  % options, evidence=evidence)


# --------------------------------------------------------------------------- catalog

RULES = [
    make_rule("MonitoringAgentServiceRunningCheck", SERVICEHEALTH, "Monitoring Agent service status",
              "HealthService must be running on the machine", check_agent_running,
              action="start_health_service", manual="Start-Service HealthService",
              scenario=OFFICIAL + "MonitoringAgentServiceRunningCheck; %s#mma-not-running" % SEED,
              ids=ids_of("MonitoringAgentServiceRunningCheck", "Passed", "Failed", "Failed.Disabled",
                         "Failed.NotInstalled", "Skipped.FactsMissing")),
    make_rule("SystemHybridRunbookWorkerRunningCheck", SERVICEHEALTH, "Hybrid runbook worker status",
              "Hybrid runbook worker must be in running state.", check_system_worker_running,
              action="restart_health_service", manual=RESTART_MANUAL,
              ids=ids_of("SystemHybridRunbookWorkerRunningCheck", "Passed", "Failed", "Failed.NoEvent",
                         "Failed.NotStartedSinceAgentStart", "Failed.NoLog", "PassedWithWarning.AgentStartUnknown",
                         "Information.NoRecentEvent", "Skipped.AgentNotRunning", "Skipped.FactsMissing")),
    make_rule("MonitoringAgentServiceEventsCheck", SERVICEHEALTH, "Monitoring Agent service events",
              "Event Log must not have event 4502 logged in the past 24 hours", check_agent_events,
              manual="Read the 4502 messages in evidence; allow outbound TCP 443 to *.azure-automation.net without "
              "TLS inspection.", scenario=OFFICIAL + "MonitoringAgentServiceEventsCheck; %s#event-4502" % SEED,
              ids=ids_of("MonitoringAgentServiceEventsCheck", "Passed", "Failed.EventFound", "Failed.NoLog",
                         "Skipped.FactsMissing")),
    make_rule("LinkedWorkspaceCheck", SERVICEHEALTH, "VM's Linked Workspace", "Get linked workspace info of the VM",
              check_linked_workspace,
              manual="Use one workspace with the Updates solution, linked to the Automation account.",
              ids=ids_of("LinkedWorkspaceCheck", "Passed", "PassedWithWarning.MultipleButValid",
                         "PassedWithWarning.NoUpdatesEvent", "Failed", "Failed.NoWorkspace", "Failed.OtherWorkspace",
                         "Skipped.FactsMissing")),
    make_rule("WUServiceRunningCheck", SERVICEHEALTH, "WU service status", "WU must not be in the disabled state.",
              check_wu_service, action="enable_windows_update_service", manual="sc config wuauserv start= demand",
              scenario=OFFICIAL + "WUServiceRunningCheck; %s#troubleshoot-offline" % AGENT_SEED,
              ids=ids_of("WUServiceRunningCheck", "Passed", "Failed", "Failed.NotInstalled", "Skipped.FactsMissing")),
    make_rule("CryptoRsaMachineKeysFolderAccessCheck", PERMISSIONS, "Crypto RSA MachineKeys Folder Access",
              "SYSTEM account must have WRITE and MODIFY access to '%s'" % MACHINE_KEYS, check_machine_keys,
              action="grant_machine_keys_system",
              manual="icacls \"%s\" /grant \"*S-1-5-18:(M)\" (and remove Deny entries for SYSTEM, Everyone, "
              "Administrators or Authenticated Users)" % MACHINE_KEYS,
              scenario=OFFICIAL + "CryptoRsaMachineKeysFolderAccessCheck; %s#unable-to-create-selfsigned-cert" % UM_SEED,
              ids=ids_of("CryptoRsaMachineKeysFolderAccessCheck", "Passed", "Failed", "Failed.Denied", "Failed.Missing",
                         "Failed.ParentNoRead", "PassedWithWarning.ParentDeny", "Skipped.FactsMissing")),
    make_rule("AlwaysAutoRebootCheck", MACHINE_SETTINGS, "AutoReboot",
              "Automatic reboot should not be enable as it forces a reboot irrespective of update configuration",
              check_always_auto_reboot, action="remove_always_auto_reboot",
              manual="Remove AlwaysAutoRebootAtScheduledTime and AlwaysAutoRebootAtScheduledTimeMinutes from "
              "HKLM\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU (or the Group Policy that sets them).",
              scenario=OFFICIAL + "AlwaysAutoRebootCheck; %s#node-reboots" % UM_SEED,
              ids=ids_of("AlwaysAutoRebootCheck", "Passed", "PassedWithWarning", "Skipped.FactsMissing")),
    make_rule("WSUSServerConfigured", MACHINE_SETTINGS, "isWSUSServerConfigured",
              "Increase awareness on WSUS configured on the server", check_wsus,
              manual="Make sure the WSUS server is reachable and approves the updates the deployments install.",
              scenario=OFFICIAL + "WSUSServerConfigured; %s" % UM_SEED,
              ids=ids_of("WSUSServerConfigured", "Passed", "Passed.NotInUse", "PassedWithWarning",
                         "PassedWithWarning.NoServer", "Skipped.FactsMissing")),
    make_rule("AutomaticUpdateCheck", MACHINE_SETTINGS, "AutoUpdate", "AutoUpdate should not be enabled on the machine",
              check_auto_update, action="set_auoptions_3",
              manual="Set AUOptions to 3 (download, notify to install) in the Windows Update policy.",
              scenario=OFFICIAL + "AutomaticUpdateCheck; %s#updates-nodeployment" % UM_SEED,
              ids=ids_of("AutomaticUpdateCheck", "Passed", "Passed.Disabled", "PassedWithWarning",
                         "Skipped.FactsMissing")),
]
