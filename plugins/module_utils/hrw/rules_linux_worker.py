# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux rules: the system (Update Management) worker, the user (DIY) worker and their logs.

Pure rules over the facts document (DESIGN §2): stdlib only, Python 3.8 syntax, no I/O.
They split Microsoft's ``Linux.HybridWorkerStatusCheck`` / ``Test_Marshall`` (reference §2)
into one rule per cause, so a failure says which of its conditions failed, and add the
user (DIY) worker and the worker logs, which Microsoft's script does not look at.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    SERVICEHEALTH,
    Rule,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_linux import (
    DSC_CHECK_CMD,
    GENERATION,
    OFFICIAL,
    PLATFORM,
    SEED,
    RESTART_CMD,
    RESTART_MANAGER,
    WORKER_USER,
    _agent_processes,
    _depends_on_install,
    _dict,
    _proc_list,
    _workspace,
)

DIY = "official-troubleshooters.md#4.2 "

CURRENT_MOF = "/etc/opt/omi/conf/omsconfig/configuration/Current.mof"
OMS_CONF = "/var/opt/microsoft/omsagent/state/automationworker/oms.conf"
SYSTEM_WORKER_CONF = "/var/opt/microsoft/omsagent/state/automationworker/worker.conf"
USER_WORKER_CONF = "/home/nxautomation/state/worker.conf"
AGENT_CERT = "/etc/opt/microsoft/omsagent/certs/oms.crt"

#: A DIY certificate expiring within this many days is a warning.
CERT_WARNING_DAYS = 30

OMS_CONF_KEYS = (
    ("oms-worker-conf", ("auto_registered_worker_conf_path", "manually_registered_worker_conf_path")),
    ("oms-global", ("resource_version", "hybrid_worker_path", "workspace_id", "disable_worker_creation")),
)
WORKER_REQUIRED_KEYS = ("jrds_cert_path", "jrds_key_path", "jrds_base_uri", "account_id", "machine_id",
                        "hybrid_worker_group_name", "working_directory_path")
SYSTEM_WORKER_CONF_KEYS = (
    ("worker-required", WORKER_REQUIRED_KEYS),
    ("oms-metadata", ("agent_id", "workspace_id", "jrds_cert_thumbprint")),
)
USER_WORKER_CONF_KEYS = (
    ("worker-required", WORKER_REQUIRED_KEYS),
)
_SYSTEM_CONF_RE = re.compile(
    r"^/var/opt/microsoft/omsagent/(?:[0-9a-fA-F-]{36}/)?state/automationworker/worker\.conf$")

ENABLE_UPDATES = ("Enable the Update Management solution for workspace %s (Automation account > Update "
                  "management), then force a DSC consistency check: " + DSC_CHECK_CMD + ".")
REREGISTER_SYSTEM = ("Re-register the system worker: restart the agent (%s) and force a DSC consistency check "
                     "(%s) so that nxOMSAutomationWorker registers it again with the current oms.crt; if that "
                     "does not help, disable and re-enable the Update Management solution."
                     % (RESTART_CMD, DSC_CHECK_CMD))
REREGISTER_DIY = ("Re-register the user worker: sudo python onboarding.py --deregister (or remove it from the "
                  "group in the portal), then sudo python onboarding.py --register -w <AutomationAccountName> "
                  "-k <AutomationAccountKey> -g <HybridGroupName> -e <RegistrationEndpoint> (a new certificate "
                  "is created).")


# --------------------------------------------------------------------------- helpers


def _state(facts):
    value = _dict(facts).get("worker_state")
    return value if isinstance(value, dict) else None


def _worker(facts):
    value = _dict(facts).get("worker")
    return value if isinstance(value, dict) else None


def _facts_missing(what, value=None):
    return skipped("FactsMissing", "Not checked: the facts hold nothing about %s." % what,
                   evidence={"value": value})


def _missing_keys(conf, wanted):
    out = []
    for section, keys in wanted:
        values = _dict(_dict(conf).get(section))
        for key in keys:
            if not str(values.get(key) or "").strip():
                out.append("[%s] %s" % (section, key))
    return out


def _norm_thumb(value):
    return re.sub(r"[^0-9A-F]", "", str(value or "").upper())


def _parse_utc(text):
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.datetime.strptime(text.strip()[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None


def _now(facts, context):
    """(now, source): the controller's clock when known, else the host's."""
    now = _parse_utc(_dict(context).get("controller_utc"))
    if now is not None:
        return now, "controller_utc"
    now = _parse_utc(_dict(_dict(facts).get("host")).get("utc_now"))
    if now is not None:
        return now, "host.utc_now"
    return None, None


def _prologue(facts, needs_worker=False):
    """A Skipped partial when the agent is not installed or the worker facts are missing."""
    skip = _depends_on_install(facts)
    if skip:
        return skip
    worker = _worker(facts)
    if worker is None:
        return _facts_missing("the worker (worker section)", _dict(facts).get("worker"))
    if needs_worker and not worker.get("version"):
        return skipped("NoWorkerPackage",
                       "Not checked: depends on Linux.HybridWorkerStatusCheck, which reports the worker "
                       "package (nxOMSAutomationWorker) as not installed.",
                       evidence={"worker_version": worker.get("version")})
    return None


# --------------------------------------------------------------------------- system worker


def check_updates_solution(facts, context):
    skip = _prologue(facts)
    if skip:
        return skip
    state = _state(facts)
    mof = _dict(state).get("current_mof") if state else None
    if not isinstance(mof, dict) or mof.get("exists") is None:
        return _facts_missing(CURRENT_MOF, mof)
    ws = _workspace(facts)
    path = mof.get("path") or CURRENT_MOF
    evidence = {"path": path, "encoding": mof.get("encoding"), "workspace_id": mof.get("workspace_id"),
                "agent_workspace_id": ws, "updates_enabled": mof.get("updates_enabled"),
                "automation_enabled": mof.get("automation_enabled"),
                "agent_svc_zone": mof.get("agent_svc_zone")}
    enable = remediation(None, ENABLE_UPDATES % (ws or "<WorkspaceID>"))
    if mof.get("exists") is False:
        return failed("MissingCurrentMofFile",
                      "%s is missing: omsconfig has not received the workspace's configuration, so the "
                      "Update Management solution (and the system worker) is not set up on this machine." % path,
                      arguments=[path], evidence=evidence, remediation=enable)
    if mof.get("encoding") is None:
        return skipped("MofUnreadable", "Not checked: %s exists but could not be read." % path,
                       arguments=[path], evidence=evidence)
    if not mof.get("resource_present"):
        return failed("NoWorkerResource",
                      "%s has no nxOMSAutomationWorker resource: neither Update Management nor Azure "
                      "Automation is enabled for this machine's workspace." % path,
                      arguments=[path], evidence=evidence, remediation=enable)
    if mof.get("updates_enabled") is None:
        return skipped("SettingsUnreadable",
                       "Not checked: the nxOMSAutomationWorker ResourceSettings of %s could not be parsed "
                       "(no Solutions.Updates.Enabled)." % path, arguments=[path], evidence=evidence)
    if ws and mof.get("workspace_id") and mof.get("workspace_id") != ws.lower():
        return failed("OtherWorkspace",
                      "%s configures the worker for workspace %s, but the agent reports to %s: the "
                      "configuration is stale." % (path, mof.get("workspace_id"), ws),
                      arguments=[mof.get("workspace_id"), ws], evidence=evidence,
                      remediation=remediation("restart_agent", "%s; then %s." % (RESTART_CMD, DSC_CHECK_CMD)))
    if mof.get("updates_enabled") is False:
        return failed("UpdateDeploymentDisabled",
                      "Update deployments are disabled: Solutions.Updates.Enabled is false in %s, so the "
                      "system worker receives no update runs for workspace %s." % (path, mof.get("workspace_id")),
                      arguments=[path], evidence=evidence, remediation=enable)
    return passed("The Update Management solution is enabled for workspace %s in %s (%s)."
                  % (mof.get("workspace_id"), path, mof.get("encoding")),
                  arguments=[mof.get("workspace_id")], evidence=evidence)


def _auto_path_ok(value):
    return bool(_SYSTEM_CONF_RE.match(str(value or "").strip()))


def check_oms_conf(facts, context):
    skip = _prologue(facts, needs_worker=True)
    if skip:
        return skip
    conf = _worker(facts).get("oms_conf")
    ws = _workspace(facts)
    evidence = {"path": OMS_CONF, "oms_conf": conf, "agent_workspace_id": ws}
    restart = remediation("restart_agent", "%s; then force a DSC consistency check (%s) so that "
                          "nxOMSAutomationWorker rewrites %s." % (RESTART_CMD, DSC_CHECK_CMD, OMS_CONF))
    if not isinstance(conf, dict):
        return failed("Missing", "%s is missing: the worker manager has no configuration and does not "
                      "start the system worker." % OMS_CONF, arguments=[OMS_CONF], evidence=evidence,
                      remediation=restart)
    missing = _missing_keys(conf, OMS_CONF_KEYS)
    if missing:
        evidence["missing"] = missing
        return failed("MissingKeys", "%s lacks %s." % (OMS_CONF, ", ".join(missing)),
                      arguments=missing, evidence=evidence, remediation=restart)
    conf_ws = str(conf["oms-global"]["workspace_id"]).strip().lower()
    if ws and conf_ws != ws.lower():
        return failed("WorkspaceMismatch",
                      "%s names workspace %s, but the agent reports to workspace %s: the worker manager "
                      "runs for the wrong (stale) workspace." % (OMS_CONF, conf_ws, ws),
                      arguments=[conf_ws, ws], evidence=evidence, remediation=restart)
    expected = _dict(_dict(_state(facts)).get("expected_oms_conf"))
    mof_ws = _dict(expected.get("oms-global")).get("workspace_id")
    evidence["expected"] = expected or None
    mismatches = []
    if mof_ws and conf_ws != str(mof_ws).lower():
        mismatches.append("[oms-global] workspace_id = %s (Current.mof: %s)" % (conf_ws, mof_ws))
    worker_conf = conf["oms-worker-conf"]
    if not _auto_path_ok(worker_conf["auto_registered_worker_conf_path"]):
        mismatches.append("[oms-worker-conf] auto_registered_worker_conf_path = %s (expected %s)"
                          % (worker_conf["auto_registered_worker_conf_path"], SYSTEM_WORKER_CONF))
    if mismatches:
        evidence["mismatches"] = mismatches
        return failed("MofMismatch", "%s does not match the configuration omsconfig pushed: %s."
                      % (OMS_CONF, "; ".join(mismatches)), arguments=mismatches, evidence=evidence,
                      remediation=restart)
    installed = _worker(facts).get("version")
    written = str(conf["oms-global"]["resource_version"]).strip()
    if written != installed:
        return warning("VersionMismatch",
                       "%s was written for worker version %s, but version %s is installed: the worker manager "
                       "runs the old worker until the agent restarts it." % (OMS_CONF, written, installed),
                       arguments=[written, installed], evidence=evidence, remediation=restart)
    return passed("%s holds every [oms-worker-conf] and [oms-global] key, for workspace %s." % (OMS_CONF, conf_ws),
                  arguments=[OMS_CONF, conf_ws], evidence=evidence)


def check_system_worker_conf(facts, context):
    skip = _prologue(facts, needs_worker=True)
    if skip:
        return skip
    conf = _worker(facts).get("system_worker_conf")
    ws = _workspace(facts)
    evidence = {"path": SYSTEM_WORKER_CONF, "agent_workspace_id": ws}
    rereg = remediation("reregister", REREGISTER_SYSTEM)
    if not isinstance(conf, dict):
        return failed("Missing", "The auto-registered worker.conf %s is missing: the system worker is not "
                      "registered, so Update Management deployments cannot run here." % SYSTEM_WORKER_CONF,
                      arguments=[SYSTEM_WORKER_CONF], evidence=evidence, remediation=rereg)
    evidence["sections"] = sorted(conf)
    missing = _missing_keys(conf, SYSTEM_WORKER_CONF_KEYS)
    if missing:
        evidence["missing"] = missing
        return failed("MissingKeys", "%s lacks %s: the system worker registration is incomplete."
                      % (SYSTEM_WORKER_CONF, ", ".join(missing)), arguments=missing, evidence=evidence,
                      remediation=rereg)
    conf_ws = str(conf["oms-metadata"]["workspace_id"]).strip().lower()
    evidence["workspace_id"] = conf_ws
    evidence["account_id"] = conf["worker-required"]["account_id"]
    if ws and conf_ws != ws.lower():
        return failed("OtherWorkspace", "%s was registered for workspace %s, but the agent reports to %s."
                      % (SYSTEM_WORKER_CONF, conf_ws, ws), arguments=[conf_ws, ws], evidence=evidence,
                      remediation=rereg)
    return passed("The system worker is registered: %s holds every required key (account %s, workspace %s)."
                  % (SYSTEM_WORKER_CONF, conf["worker-required"]["account_id"], conf_ws),
                  arguments=[SYSTEM_WORKER_CONF], evidence=evidence)


def check_worker_certificate_thumbprint(facts, context):
    skip = _prologue(facts, needs_worker=True)
    if skip:
        return skip
    conf = _worker(facts).get("system_worker_conf")
    recorded = _dict(_dict(conf).get("oms-metadata")).get("jrds_cert_thumbprint")
    if not isinstance(conf, dict) or not recorded:
        return skipped("NoSystemWorkerConf",
                       "Not checked: depends on Linux.SystemWorkerConfCheck (%s has no [oms-metadata] "
                       "jrds_cert_thumbprint)." % SYSTEM_WORKER_CONF,
                       evidence={"depends_on": "Linux.SystemWorkerConfCheck", "recorded": recorded})
    state = _state(facts)
    cert = _dict(state).get("agent_certificate") if state else None
    if not isinstance(cert, dict) or cert.get("exists") is None:
        return _facts_missing(AGENT_CERT, cert)
    path = cert.get("path") or AGENT_CERT
    evidence = {"path": path, "recorded_thumbprint": recorded, "certificate_thumbprint": cert.get("thumbprint"),
                "subject": cert.get("subject"), "not_after": cert.get("not_after")}
    if cert.get("exists") is False:
        return failed("NoAgentCertificate", "The agent certificate %s is missing: the agent is not onboarded "
                      "correctly and the system worker cannot authenticate." % path, arguments=[path],
                      evidence=evidence, remediation=remediation(None, "Re-onboard the agent: sudo "
                                                                 "/opt/microsoft/omsagent/bin/omsadmin.sh -w "
                                                                 "<WorkspaceID> -s <WorkspaceKey>."))
    if not cert.get("thumbprint"):
        return skipped("CertificateUnreadable", "Not checked: %s exists but could not be read or parsed." % path,
                       arguments=[path], evidence=evidence)
    if _norm_thumb(recorded) != _norm_thumb(cert["thumbprint"]):
        return failed(None, "The system worker was registered with certificate %s, but %s now has thumbprint "
                      "%s: the agent certificate was rotated (renewed or re-onboarded) and the worker must be "
                      "re-registered; until then JRDS rejects it." % (recorded, path, cert["thumbprint"]),
                      arguments=[recorded, cert["thumbprint"]], evidence=evidence)
    return passed("[oms-metadata] jrds_cert_thumbprint matches %s (%s)." % (path, cert["thumbprint"]),
                  arguments=[cert["thumbprint"]], evidence=evidence)


# --------------------------------------------------------------------------- user (DIY) worker


def _user_conf(facts):
    worker = _worker(facts)
    return worker.get("user_worker_conf"), worker.get("user_worker_conf_path")


def _not_registered(rule_hint):
    return skipped("NotRegistered", "Not checked: no user (DIY) worker is registered on this machine (%s)."
                   % rule_hint, evidence={"depends_on": "Linux.UserWorkerConfCheck"})


def check_user_worker_conf(facts, context):
    skip = _prologue(facts)
    if skip:
        return skip
    conf, path = _user_conf(facts)
    ws = _workspace(facts)
    evidence = {"path": path, "looked_at": [USER_WORKER_CONF, "/var/opt/microsoft/omsagent/<ws>/state/"
                                            "automationworker/diy/worker.conf"], "agent_workspace_id": ws}
    if not isinstance(conf, dict):
        return information("NotRegistered", "No user (DIY) Hybrid Runbook Worker is registered here (no %s, no "
                           "legacy automationworker/diy/worker.conf); a DIY worker is optional." % USER_WORKER_CONF,
                           evidence=evidence)
    evidence["sections"] = sorted(conf)
    missing = _missing_keys(conf, USER_WORKER_CONF_KEYS)
    if missing:
        evidence["missing"] = missing
        return failed("MissingKeys", "The user worker's %s lacks %s: its registration is incomplete."
                      % (path, ", ".join(missing)), arguments=[path] + missing, evidence=evidence)
    required = conf["worker-required"]
    reg_ws = str(_dict(conf.get("registration-metadata")).get("workspace_id") or "").strip().lower()
    evidence.update({"account_id": required["account_id"], "group": required["hybrid_worker_group_name"],
                     "jrds_base_uri": required["jrds_base_uri"], "workspace_id": reg_ws or None})
    if ws and reg_ws and reg_ws != ws.lower():
        return failed("OtherWorkspace", "The user worker's %s was registered with workspace %s, but the agent "
                      "reports to %s." % (path, reg_ws, ws), arguments=[path, reg_ws, ws], evidence=evidence)
    return passed("A user (DIY) worker is registered in group %s of account %s (%s)."
                  % (required["hybrid_worker_group_name"], required["account_id"], path),
                  arguments=[path, required["hybrid_worker_group_name"]], evidence=evidence)


def check_user_worker_process(facts, context):
    procs, skip = _agent_processes(facts)
    if skip:
        return skip
    if _worker(facts) is None:
        return _facts_missing("the worker (worker section)")
    conf, path = _user_conf(facts)
    if not isinstance(conf, dict):
        return _not_registered("Linux.UserWorkerConfCheck")
    ws = (_workspace(facts) or "").lower()
    users = [p for p in procs if p.get("role") == "user_worker"]
    evidence = {"conf_path": path, "agent_workspace_id": ws or None, "processes": _proc_list(users)}
    restart = remediation(RESTART_MANAGER, "Force a DSC consistency check (%s): the worker manager it starts "
                          "starts the user worker for %s." % (DSC_CHECK_CMD, path))
    if not users and not _worker(facts).get("version"):
        # no worker package: nothing could start the worker (Linux.HybridWorkerPackgeCheck says how to install it)
        restart = remediation(None, "Install the worker package first (Linux.HybridWorkerPackgeCheck), then %s."
                              % DSC_CHECK_CMD)
    if not users:
        return failed("NotRunning", "A user (DIY) worker is registered (%s) but no user worker process "
                      "(hybridworker.py %s) runs: jobs sent to its group stay queued." % (path, path),
                      arguments=[path], evidence=evidence, remediation=restart)
    mine = [p for p in users if (p.get("workspace_id") or "").lower() == ws]
    if not mine:
        other = sorted(set(str(p.get("workspace_id")) for p in users))
        return failed("OtherWorkspace", "The user worker processes run for workspace %s, not for this agent's "
                      "workspace %s." % (", ".join(other), ws), arguments=other, evidence=evidence,
                      remediation=restart)
    # a user the collector could not read (None) is unknown, not wrong
    right = [p for p in mine if p.get("user") in (WORKER_USER, None)]
    if not right:
        wrong = sorted(set(str(p.get("user")) for p in mine))
        return failed("WrongUser", "The user worker runs as %s instead of %s." % (", ".join(wrong), WORKER_USER),
                      arguments=wrong, evidence=evidence,
                      remediation=remediation(RESTART_MANAGER, "Stop the user worker started by hand (sudo pkill "
                                              "-f hybridworker.py), then %s." % DSC_CHECK_CMD))
    return passed("The user worker runs as %s for workspace %s (pid %s)." % (WORKER_USER, ws, right[0].get("pid")),
                  arguments=[right[0].get("pid")], evidence=evidence)


def check_user_worker_certificate(facts, context):
    skip = _prologue(facts)
    if skip:
        return skip
    conf, path = _user_conf(facts)
    if not isinstance(conf, dict):
        return _not_registered("Linux.UserWorkerConfCheck")
    state = _state(facts)
    cert = _dict(state).get("user_worker_certificate") if state else None
    if not isinstance(cert, dict) or cert.get("exists") is None:
        return _facts_missing("the user worker's certificate", cert)
    cert_path = cert.get("path")
    rereg = remediation("reregister", REREGISTER_DIY)
    evidence = {"path": cert_path, "subject": cert.get("subject"), "issuer": cert.get("issuer"),
                "thumbprint": cert.get("thumbprint"), "not_after": cert.get("not_after"),
                "recorded_thumbprint": _dict(conf.get("registration-metadata")).get("jrds_cert_thumbprint")}
    if cert.get("exists") is False:
        return failed("Missing", "The user worker's certificate %s (jrds_cert_path of %s) is missing: the worker "
                      "cannot authenticate to JRDS." % (cert_path, path), arguments=[cert_path], evidence=evidence,
                      remediation=rereg)
    not_after = _parse_utc(cert.get("not_after"))
    if not_after is None:
        return skipped("CertificateUnreadable", "Not checked: %s could not be read or parsed." % cert_path,
                       arguments=[cert_path], evidence=evidence)
    now, source = _now(facts, context)
    evidence["now"] = now.strftime("%Y-%m-%dT%H:%M:%SZ") if now else None
    evidence["clock"] = source
    if now is None:
        return skipped("NoClock", "Not checked: neither the controller's nor the host's time is known.",
                       evidence=evidence)
    days = (not_after - now).total_seconds() / 86400.0
    evidence["days_left"] = round(days, 1)
    if days <= 0:
        return failed("Expired", "The user worker's certificate %s expired on %s: JRDS rejects the worker until it "
                      "is re-registered." % (cert_path, cert["not_after"]),
                      arguments=[cert_path, cert["not_after"]], evidence=evidence)
    if days < CERT_WARNING_DAYS:
        return warning("ExpiresSoon", "The user worker's certificate %s expires on %s (in %d day(s)); re-register "
                       "the worker before then." % (cert_path, cert["not_after"], int(days)),
                       arguments=[cert_path, cert["not_after"]], evidence=evidence)
    return passed("The user worker's certificate %s is valid until %s." % (cert_path, cert["not_after"]),
                  arguments=[cert_path, cert["not_after"]], evidence=evidence)


# --------------------------------------------------------------------------- logs


def check_worker_logs(facts, context):
    skip = _depends_on_install(facts)
    if skip:
        return skip
    state = _state(facts)
    logs = _dict(state).get("logs") if state else None
    if not isinstance(logs, dict) or not any(isinstance(v, dict) for v in logs.values()):
        return _facts_missing("the worker logs", logs)
    entries = [logs[k] for k in sorted(logs) if isinstance(logs[k], dict)]
    present = [e for e in entries if e.get("exists")]
    evidence = {"logs": [{"path": e.get("path"), "exists": e.get("exists"), "tail_bytes": e.get("tail_bytes"),
                          "error_count": e.get("error_count")} for e in entries]}
    if not present:
        return information("NoLogs", "Nothing to check: no worker log exists (%s)."
                           % ", ".join(str(e.get("path")) for e in entries), evidence=evidence)
    readable = [e for e in present if isinstance(e.get("error_lines"), list)]
    if not readable:
        return skipped("LogUnreadable", "Not checked: the worker logs exist but could not be read.",
                       evidence=evidence)
    lines = []
    for entry in readable:
        lines.extend("%s: %s" % (entry.get("path"), line) for line in entry["error_lines"])
    evidence["lines"] = lines
    if lines:
        count = sum(int(e.get("error_count") or 0) for e in readable)
        return warning("RecentErrors", "The worker logs hold %d recent error line(s) in their last %s KiB; last: %s"
                       % (count, max(int(e.get("tail_bytes") or 0) for e in readable) // 1024, lines[-1]),
                       arguments=[count, lines[-1]], evidence=evidence)
    return passed("No error in the recent part of %s." % ", ".join(e.get("path") for e in readable),
                  evidence=evidence)


# --------------------------------------------------------------------------- catalog


def _svc(rule_id, name, description, check, scenario, remediation_, message_ids):
    return Rule(rule_id, SERVICEHEALTH[0], name, SERVICEHEALTH[1], description, check, platform=PLATFORM,
                generation=GENERATION, scenario=scenario, remediation=remediation_,
                message_ids=["%s.%s" % (rule_id, m) for m in message_ids])


_COMMON = ("Skipped.AgentNotInstalled", "Skipped.FactsMissing")

RULES = [
    _svc("Linux.UpdatesSolutionCheck", "Updates solution enabled",
         "Current.mof exists (UTF-16 or UTF-8) and its nxOMSAutomationWorker settings enable Update Management "
         "for this agent's workspace.",
         check_updates_solution, OFFICIAL + "Linux.HybridWorkerStatusCheck",
         remediation(None, ENABLE_UPDATES % "<WorkspaceID>"),
         ("Passed", "Failed.MissingCurrentMofFile", "Failed.UpdateDeploymentDisabled", "Failed.NoWorkerResource",
          "Failed.OtherWorkspace", "Skipped.MofUnreadable", "Skipped.SettingsUnreadable") + _COMMON),
    _svc("Linux.OmsConfCheck", "oms.conf",
         "oms.conf has its [oms-worker-conf] and [oms-global] keys, for this agent's workspace and as Current.mof "
         "configures it.",
         check_oms_conf, OFFICIAL + "Linux.HybridWorkerStatusCheck",
         remediation("restart_agent", RESTART_CMD),
         ("Passed", "PassedWithWarning.VersionMismatch", "Failed.Missing", "Failed.MissingKeys",
          "Failed.WorkspaceMismatch", "Failed.MofMismatch", "Skipped.NoWorkerPackage") + _COMMON),
    _svc("Linux.SystemWorkerConfCheck", "System worker registered",
         "The auto-registered worker.conf of the system (Update Management) worker exists with its required keys.",
         check_system_worker_conf, OFFICIAL + "Linux.HybridWorkerStatusCheck",
         remediation("reregister", REREGISTER_SYSTEM),
         ("Passed", "Failed.Missing", "Failed.MissingKeys", "Failed.OtherWorkspace",
          "Skipped.NoWorkerPackage") + _COMMON),
    _svc("Linux.WorkerCertificateThumbprintCheck", "System worker certificate",
         "The system worker.conf's jrds_cert_thumbprint is the thumbprint of the agent certificate oms.crt.",
         check_worker_certificate_thumbprint, OFFICIAL + "Linux.HybridWorkerStatusCheck",
         remediation("reregister", REREGISTER_SYSTEM),
         ("Passed", "Failed", "Failed.NoAgentCertificate", "Skipped.NoSystemWorkerConf",
          "Skipped.CertificateUnreadable", "Skipped.NoWorkerPackage") + _COMMON),
    _svc("Linux.UserWorkerConfCheck", "User worker registration",
         "A registered user (DIY) worker's worker.conf (/home/nxautomation/state or the legacy diy/ location) "
         "holds its required keys for this workspace; no DIY worker is Information.",
         check_user_worker_conf, DIY + "DIY worker.conf",
         remediation("reregister", REREGISTER_DIY),
         ("Passed", "Information.NotRegistered", "Failed.MissingKeys", "Failed.OtherWorkspace") + _COMMON),
    _svc("Linux.UserWorkerProcessCheck", "User worker running",
         "A registered user (DIY) worker's process runs as nxautomation for this agent's workspace.",
         check_user_worker_process, SEED + "#oms-agent-not-running",
         remediation(RESTART_MANAGER, DSC_CHECK_CMD),
         ("Passed", "Failed.NotRunning", "Failed.OtherWorkspace", "Failed.WrongUser",
          "Skipped.NotRegistered") + _COMMON),
    _svc("Linux.UserWorkerCertificateCheck", "User worker certificate",
         "The user (DIY) worker's certificate (jrds_cert_path) exists and is valid for more than 30 days.",
         check_user_worker_certificate, DIY + "DIY worker.conf",
         remediation("reregister", REREGISTER_DIY),
         ("Passed", "PassedWithWarning.ExpiresSoon", "Failed.Expired", "Failed.Missing", "Skipped.NotRegistered",
          "Skipped.CertificateUnreadable", "Skipped.NoClock") + _COMMON),
    _svc("Linux.WorkerLogCheck", "Worker logs",
         "worker.log and nxOMSAutomationWorker.log have no recent ERROR or exception lines.",
         check_worker_logs, SEED + "#linux",
         remediation(None, "Read the quoted lines in %s and %s; restart the agent (%s) if the worker is stuck."
                     % ("/var/opt/microsoft/omsagent/run/automationworker/worker.log",
                        "/var/opt/microsoft/omsagent/log/nxOMSAutomationWorker.log", RESTART_CMD)),
         ("Passed", "PassedWithWarning.RecentErrors", "Information.NoLogs", "Skipped.LogUnreadable") + _COMMON),
]
