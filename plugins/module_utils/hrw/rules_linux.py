# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux V1 (OMS agent + nxOMSAutomationWorker) rules.

Pure functions ``check(facts, context) -> partial result`` over the facts document
(docs/adr/0001-facts-document.md). Stdlib only, Python 3.8+, no I/O. The knowledge comes
from Microsoft's Linux troubleshooter (UML, official-troubleshooters.md §2) and the seed
scenarios, with its bugs (§6) fixed: no false pass, nothing passes that was not checked,
every finding carries what was seen.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    CONNECTIVITY,
    SERVICEHEALTH,
    Rule,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)

PLATFORM = "linux"
GENERATION = "v1"


OMSADMIN_CONF = "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"
OMSAGENT_LOG = "/var/opt/microsoft/omsagent/log/omsagent.log"
WORKER_VERSION_FILE = "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION"
OMSCONFIG_LOG = "/var/opt/microsoft/omsconfig/omsconfig.log"

SEED = "hybrid-runbook-worker-troubleshoot.md"
OFFICIAL = "official-troubleshooters.md#2 "

ONBOARD_URL = ("https://raw.githubusercontent.com/Microsoft/OMS-Agent-for-Linux/master/"
               "installer/scripts/onboard_agent.sh")
RESTART_CMD = "sudo /opt/microsoft/omsagent/bin/service_control restart"
DSC_CHECK_CMD = ("sudo su omsagent -c 'python /opt/microsoft/omsconfig/Scripts/"
                 "PerformRequiredConfigurationChecks.py'")

RESTART_MANAGER = "restart_worker_manager"
# omsconfig.log patterns (linux_facts.LOG_PATTERNS): the name and the text of a successful consistency check
CHECK_SUCCEEDED = "consistency_check_succeeded"
CHECK_SUCCEEDED_TEXT = "Operation PerformRequiredConfigurationChecks completed successfully"

WORKER_ROLES = ("system_worker", "user_worker")
HRW_ROLES = ("manager",) + WORKER_ROLES
WORKER_USER = "nxautomation"


# --------------------------------------------------------------------------- helpers

def _dict(value):
    return value if isinstance(value, dict) else {}


def _agent(facts):
    return _dict(_dict(facts).get("agent"))


def _workspace(facts):
    return _agent(facts).get("workspace_id")


def _reinstall_manual(facts):
    ws = _workspace(facts) or "<WorkspaceID>"
    return ("Reinstall the OMS Agent for Linux: wget %s && sh onboard_agent.sh -w %s "
            "-s <WorkspaceKey> (add -d opinsights.azure.us or -d opinsights.azure.cn outside "
            "the public cloud)." % (ONBOARD_URL, ws))


def _install_state(facts):
    """(state, files, missing): state is 'installed' | 'missing' | 'unknown'."""
    files = _agent(facts).get("files")
    if not isinstance(files, dict):
        return "unknown", files, []
    missing, unknown = [], []
    for path in (OMSADMIN_CONF, OMSAGENT_LOG):
        value = files.get(path)
        if value is False:
            missing.append(path)
        elif value is not True:
            unknown.append(path)
    if missing:
        return "missing", files, missing
    if unknown:
        return "unknown", files, unknown
    return "installed", files, []


def _depends_on_install(facts):
    """A Skipped partial when the agent is not (known to be) installed, else None."""
    state, files, paths = _install_state(facts)
    if state == "installed":
        return None
    evidence = {"depends_on": "Linux.OMSAgentInstallCheck", "agent_files": files}
    if state == "missing":
        return skipped(
            "AgentNotInstalled",
            "Not checked: depends on Linux.OMSAgentInstallCheck, which found the OMS agent "
            "not installed (missing: %s)." % ", ".join(paths),
            evidence=evidence)
    return skipped(
        "FactsMissing",
        "Not checked: depends on Linux.OMSAgentInstallCheck, and the collector could not "
        "tell whether the OMS agent is installed.",
        evidence=evidence)


def _processes(facts):
    procs = _dict(facts).get("processes")
    if not isinstance(procs, list):
        return None
    return [p for p in procs if isinstance(p, dict)]


def _proc_evidence(proc):
    return {
        "pid": proc.get("pid"),
        "user": proc.get("user"),
        "argv": proc.get("argv"),
        "role": proc.get("role"),
        "workspace_id": proc.get("workspace_id"),
        "version": proc.get("version"),
    }


def _proc_list(procs):
    return [_proc_evidence(p) for p in procs]


def _agent_processes(facts):
    """``(processes, None)`` for the process rules, or ``(None, skipped partial)`` when the
    agent is not installed or the collector could not list the processes."""
    skip = _depends_on_install(facts)
    if skip:
        return None, skip
    procs = _processes(facts)
    if procs is None:
        return None, skipped(
            "FactsMissing",
            "Not checked: the facts hold no process list (the collector could not read /proc).",
            evidence={"processes": None})
    return procs, None


# --------------------------------------------------------------------------- servicehealth

def check_oms_agent_install(facts, context):
    state, files, paths = _install_state(facts)
    evidence = {"files": files, "required": [OMSADMIN_CONF, OMSAGENT_LOG]}
    if state == "installed":
        return passed("The OMS Agent for Linux is installed: %s and %s exist."
                      % (OMSADMIN_CONF, OMSAGENT_LOG), evidence=evidence)
    if state == "missing":
        evidence["missing"] = paths
        return failed(
            None,
            "The OMS Agent for Linux is not installed or is incomplete: missing %s."
            % ", ".join(paths),
            arguments=paths, evidence=evidence)
    evidence["unknown"] = paths
    return skipped("FactsMissing",
                   "Not checked: the collector could not tell whether %s exist."
                   % ", ".join(paths or [OMSADMIN_CONF, OMSAGENT_LOG]),
                   evidence=evidence)


def check_oms_agent_status(facts, context):
    procs, skip = _agent_processes(facts)
    if skip:
        return skip
    agents = [p for p in procs if p.get("role") == "omsagent"]
    if agents:
        first = agents[0]
        return passed(
            "The OMS agent is running (pid %s, user %s)." % (first.get("pid"), first.get("user")),
            arguments=[first.get("pid"), first.get("user")],
            evidence={"processes": _proc_list(agents)})
    return failed(
        None,
        "The OMS agent is not running: no omsagent process was found. Without it the "
        "Hybrid Runbook Worker cannot talk to Azure Automation.",
        evidence={"processes": [], "looked_for": "a process with role omsagent "
                  "(argv ends with /omsagent/bin/omsagent or names omsagent.conf/omsagent.log)"})


def check_hybrid_worker_status(facts, context):
    procs, skip = _agent_processes(facts)
    if skip:
        return skip
    ws = _workspace(facts)
    worker = _dict(_dict(facts).get("worker"))
    version = worker.get("version")
    hrw = [p for p in procs if p.get("role") in HRW_ROLES]
    evidence = {"workspace_id": ws, "worker_version": version, "processes": _proc_list(hrw)}

    if not ws:
        return failed(
            "NoWorkspace",
            "The OMS agent has no workspace: %s has no WORKSPACE_ID, so no worker can run "
            "for it. Onboard the agent to a workspace." % OMSADMIN_CONF,
            evidence=evidence,
            remediation=remediation(None, _reinstall_manual(facts)))
    if not version:
        return failed(
            "NoWorkerPackage",
            "The Hybrid Runbook Worker package (nxOMSAutomationWorker) is not installed: "
            "%s is missing. Enable the Azure Automation (or Update Management) solution on "
            "workspace %s and let omsconfig install the worker." % (WORKER_VERSION_FILE, ws),
            arguments=[WORKER_VERSION_FILE, ws], evidence=evidence,
            remediation=remediation(
                None,
                "Enable the Azure Automation or Update Management solution for workspace %s, "
                "then force a DSC consistency check: %s." % (ws, DSC_CHECK_CMD)))

    others = [p for p in hrw if (p.get("workspace_id") or "").lower() != ws.lower()]
    if others:
        other_ws = sorted(set(p.get("workspace_id") or "(none)" for p in others))
        evidence["other_workspace_processes"] = _proc_list(others)
        return failed(
            "OtherWorkspace",
            "Hybrid worker processes are running for another workspace than this agent's "
            "(%s): %s. The worker manager refuses to work alongside them (multihoming is "
            "unsupported)." % (ws, ", ".join(other_ws)),
            arguments=other_ws, evidence=evidence,
            remediation=remediation(
                RESTART_MANAGER,
                "Stop the worker processes of the other workspace (sudo pkill -f hybridworker.py; sudo pkill -f "
                "worker/main.py), then force a DSC consistency check (%s) so that the manager starts for %s; if "
                "the agent is still onboarded to the other workspace, remove it first (sudo /opt/microsoft/"
                "omsagent/bin/omsadmin.sh -x <OtherWorkspaceID>)." % (DSC_CHECK_CMD, ws)))

    managers = [p for p in hrw if p.get("role") == "manager"]
    workers = [p for p in hrw if p.get("role") in WORKER_ROLES]
    restart = remediation(
        RESTART_MANAGER,
        "Force a DSC consistency check, which starts the worker manager (as %s) and the manager its "
        "workers: %s; if it still does not start, %s and look for errors in %s."
        % (WORKER_USER, DSC_CHECK_CMD, RESTART_CMD, OMSCONFIG_LOG))
    if not managers:
        return failed(
            "NoManagerProcess",
            "The hybrid worker manager is not running for workspace %s (no process runs "
            "worker/main.py), so no runbook job can be received." % ws,
            arguments=[ws], evidence=evidence, remediation=restart,
            scenario=SEED + "#oms-agent-not-running")
    if not workers:
        return failed(
            "NoWorkerProcess",
            "The hybrid worker manager runs (pid %s) but no system or user worker process "
            "(hybridworker.py) runs for workspace %s, so no job can run."
            % (managers[0].get("pid"), ws),
            arguments=[ws], evidence=evidence, remediation=restart,
            scenario=SEED + "#oms-agent-not-running")

    # a user the collector could not read (None) is unknown, not wrong
    wrong_user = [p for p in managers + workers if p.get("user") not in (WORKER_USER, None)]
    if wrong_user:
        users = sorted(set(str(p.get("user")) for p in wrong_user))
        evidence["wrong_user_processes"] = _proc_list(wrong_user)
        return failed(
            "WrongUser",
            "The hybrid worker runs for workspace %s, but %d of its processes run as %s "
            "instead of %s: jobs would run with the wrong rights (as root: far too many), and "
            "the agent's sudoers entries and file modes assume %s."
            % (ws, len(wrong_user), ", ".join(users), WORKER_USER, WORKER_USER),
            arguments=[ws] + users, evidence=evidence,
            remediation=remediation(
                RESTART_MANAGER,
                "Stop the processes started by hand (sudo pkill -f hybridworker.py; sudo pkill -f "
                "worker/main.py), then force a DSC consistency check (%s) so that the manager starts as %s."
                % (DSC_CHECK_CMD, WORKER_USER)))

    kinds = sorted(set(p.get("role") for p in workers))
    stale = [p for p in managers + workers
             if p.get("version") and p.get("version") != version]
    if stale:
        evidence["stale_version_processes"] = _proc_list(stale)
        return warning(
            "VersionMismatch",
            "The hybrid worker runs for workspace %s (%s), but %d process(es) run a version "
            "other than the installed %s; they should be restarted by the manager."
            % (ws, ", ".join(kinds), len(stale), version),
            arguments=[ws, version], evidence=evidence, remediation=restart)
    return passed(
        "The hybrid worker manager and the %s run for workspace %s (version %s)."
        % (" and the ".join(k.replace("_", " ") for k in kinds), ws, version),
        arguments=[ws, version], evidence=evidence)


def check_omsconfig_class(facts, context):
    logs = _dict(_dict(facts).get("logs"))
    log = logs.get("omsconfig")
    if not isinstance(log, dict) or log.get("exists") is None:
        return skipped("FactsMissing",
                       "Not checked: the facts hold nothing about %s." % OMSCONFIG_LOG,
                       evidence={"omsconfig": log})
    path = log.get("path") or OMSCONFIG_LOG
    evidence = {"path": path, "exists": log.get("exists"), "tail_bytes": log.get("tail_bytes")}
    if log.get("exists") is False:
        return information("NoLog",
                           "Nothing to check: %s does not exist." % path,
                           arguments=[path], evidence=evidence)
    matches = log.get("matches")
    if not isinstance(matches, list):
        return skipped("LogUnreadable",
                       "Not checked: %s exists but could not be read." % path,
                       arguments=[path], evidence=evidence)
    # matches are in log order: a class error followed by a successful consistency check is history
    # (after a reinstall the old error line stays in the log)
    entries = [m for m in matches if isinstance(m, dict)]
    lines = [m.get("line") for m in entries if m.get("pattern") == "class_does_not_exist"]
    last_error = max([i for i, m in enumerate(entries) if m.get("pattern") == "class_does_not_exist"] or [-1])
    last_success = max([i for i, m in enumerate(entries) if m.get("pattern") == CHECK_SUCCEEDED] or [-1])
    evidence["lines"] = lines
    evidence["last_success"] = entries[last_success].get("line") if last_success >= 0 else None
    evidence["success_text"] = CHECK_SUCCEEDED_TEXT
    if lines and last_error > last_success:
        return failed(
            None,
            "omsconfig reports 'The specified class does not exist' in %s (%d time(s)), and no successful "
            "DSC consistency check followed; the OMS Agent for Linux needs to be updated (reinstalled). "
            "Last: %s" % (path, len(lines), lines[-1]),
            arguments=[path, lines[-1]], evidence=evidence)
    if lines:
        return passed("%s had 'The specified class does not exist' (%d time(s)), but a DSC consistency check "
                      "succeeded after it: %s" % (path, len(lines), evidence["last_success"]),
                      reason="Resolved", arguments=[path, evidence["last_success"]], evidence=evidence)
    return passed("No 'The specified class does not exist' error in the last %s bytes of %s."
                  % (log.get("tail_bytes"), path),
                  arguments=[path], evidence=evidence)


# --------------------------------------------------------------------------- connectivity

_ERROR_REASONS = {
    "dns": "Dns",
    "refused": "Refused",
    "timeout": "Timeout",
    "tls": "Tls",
    "proxy": "Proxy",
    "other": "Other",
}

_PURPOSE_TEXT = {
    "agentsvc": "Automation agent service",
    "jrds": "Automation job runtime data service (JRDS)",
    "log_analytics": "Log Analytics",
    "jrds_user": "user (DIY) worker's JRDS",
    "account_agentsvc": "Automation account's agent service",
    "account_jrds": "Automation account's JRDS",
    "internet": "internet check (Microsoft's)",
}


def _cloud(facts):
    """'usgov' | 'china' | 'public' from omsadmin URL_TLD / OMS_ENDPOINT, or None."""
    omsadmin = _dict(_agent(facts).get("omsadmin"))
    hint = str(omsadmin.get("URL_TLD") or omsadmin.get("OMS_ENDPOINT") or "").strip().lower()
    if not hint:
        return None
    host = hint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].rstrip(".")
    if host.endswith(".us"):
        return "usgov"
    if host.endswith(".cn"):
        return "china"
    return "public"


def _find_endpoint(facts, purpose, index):
    for ep in _dict(facts).get("endpoints") or []:
        if isinstance(ep, dict) and ep.get("purpose") == purpose and ep.get("index", 1) == index:
            return ep
    return None


def _endpoint_errors(facts, purpose, index):
    out = []
    for err in _dict(facts).get("endpoint_errors") or []:
        if not isinstance(err, dict) or err.get("purpose") != purpose:
            continue
        if err.get("index") not in (None, index):
            continue
        out.append(err)
    return out


def _error_class(ep):
    cls = ep.get("error_class")
    if cls in _ERROR_REASONS:
        return cls
    if _dict(ep.get("dns")).get("ok") is False:
        return "dns"
    tcp = _dict(ep.get("tcp"))
    if tcp.get("ok") is not True:
        return "other"
    tls = ep.get("tls")
    if isinstance(tls, dict) and tls.get("ok") is not True:
        return "tls"
    return "other"


def _path_works(result):
    """True/False whether a probe result (``direct``/``via_proxy``) got TCP and TLS through; None if unknown."""
    if not isinstance(result, dict) or _dict(result.get("tcp")).get("ok") is None and result.get("error_class") is None:
        return None
    return result.get("error_class") is None and _dict(result.get("tls")).get("ok") is True


def _agent_path(ep):
    """Which path the endpoint's top-level result is (ADR 0001): 'proxy' or 'direct'."""
    return "proxy" if isinstance(ep.get("via_proxy"), dict) else "direct"


def _other_path_text(ep):
    """For a failure through the proxy: say whether the direct path works (and vice versa)."""
    if _agent_path(ep) != "proxy":
        return ""
    direct = _path_works(ep.get("direct"))
    if direct is None:
        return " (probed through the agent's proxy; the direct path was not probed)"
    return (" (probed through the agent's proxy; directly, without the proxy, it %s)"
            % ("works" if direct else "fails too (%s)" % _dict(ep.get("direct")).get("error_class")))


def _failure_message(cls, ep, what):
    host = ep.get("host")
    port = ep.get("port", 443)
    dns = _dict(ep.get("dns"))
    tcp = _dict(ep.get("tcp"))
    tls = _dict(ep.get("tls"))
    if cls == "dns":
        return ("Cannot resolve the %s endpoint %s: %s. Check the host's DNS servers and "
                "any Private Link DNS zone." % (what, host, dns.get("error") or "no address"))
    if cls == "refused":
        return ("The connection to the %s endpoint %s:%s was refused: %s. A firewall or "
                "proxy is rejecting outbound HTTPS." % (what, host, port,
                                                        tcp.get("error") or "refused"))
    if cls == "timeout":
        return ("The connection to the %s endpoint %s:%s timed out after %s ms: %s. A "
                "firewall is probably dropping outbound TCP %s."
                % (what, host, port, ep.get("elapsed_ms"), tcp.get("error") or "timeout", port))
    if cls == "proxy":
        proxy = _dict(ep.get("proxy")) or _dict(_dict(ep.get("via_proxy")).get("proxy"))
        return ("The proxy %s:%s did not open a tunnel to the %s endpoint %s:%s: %s."
                % (proxy.get("host"), proxy.get("port"), what, host, port, proxy.get("error") or "refused"))
    if cls == "tls":
        return ("The %s endpoint %s:%s accepts TCP but the TLS handshake or certificate "
                "verification fails: %s. A proxy or firewall doing TLS inspection, or a "
                "missing CA bundle, is the usual cause."
                % (what, host, port, tls.get("error") or "not verified"))
    return ("Cannot reach the %s endpoint %s:%s: %s."
            % (what, host, port, tcp.get("error") or tls.get("error") or dns.get("error")
               or "unknown error"))


def _connectivity_check(purpose, index):
    what = _PURPOSE_TEXT.get(purpose, purpose)

    def check(facts, context):
        if not isinstance(_dict(facts).get("endpoints"), list):
            return skipped("FactsMissing",
                           "Not checked: the facts hold no endpoint list.",
                           evidence={"endpoints": _dict(facts).get("endpoints")})
        ep = _find_endpoint(facts, purpose, index)
        errors = _endpoint_errors(facts, purpose, index)
        if ep is None:
            cloud = _cloud(facts)
            if purpose == "log_analytics" and index > 2 and cloud != "usgov":
                return skipped(
                    "NotApplicable",
                    "Not applicable in this cloud: Log Analytics endpoint %d exists only in "
                    "Azure Government, and this agent's cloud is %s."
                    % (index, cloud or "not known to be US Government (no URL_TLD or "
                       "OMS_ENDPOINT in omsadmin.conf)"),
                    evidence={"cloud": cloud, "index": index})
            ws = _workspace(facts)
            if errors or not ws:
                reasons = [e.get("reason") for e in errors]
                if not reasons and not ws:
                    reasons = ["the agent has no workspace id"]
                return failed(
                    "UnableToGetEndpoint",
                    "Unable to determine the %s endpoint: %s." % (what, "; ".join(
                        str(r) for r in reasons)),
                    arguments=[purpose], evidence={"endpoint_errors": errors,
                                                   "workspace_id": ws},
                    remediation=remediation(
                        None, "Make sure the agent is onboarded (omsadmin.conf) and the "
                        "worker registered (worker.conf), then diagnose again."))
            return skipped(
                "NotProbed",
                "Not checked: the facts hold no %s endpoint %d (endpoints were not derived "
                "or probed)." % (purpose, index),
                evidence={"endpoints": _dict(facts).get("endpoints")})

        host = ep.get("host")
        evidence = {"endpoint": ep, "path": _agent_path(ep)}
        tcp = ep.get("tcp")
        dns_failed = _dict(ep.get("dns")).get("ok") is False
        no_result = not isinstance(tcp, dict) or tcp.get("ok") is None
        if ep.get("error_class") is None and not dns_failed and (
                no_result or _dict(context).get("probe_endpoints") is False):
            return skipped("NotProbed",
                           "Not checked: the %s endpoint %s was not probed." % (what, host),
                           arguments=[host], evidence=evidence)
        tls = ep.get("tls")
        tcp = _dict(tcp)
        if tcp.get("ok") is True and isinstance(tls, dict) and tls.get("ok") is True \
                and ep.get("error_class") is None:
            return passed("The %s endpoint %s:%s is reachable %sand its TLS certificate "
                          "verifies (%s ms)." % (what, host, ep.get("port", 443),
                                                 "through the agent's proxy " if _agent_path(ep) == "proxy"
                                                 else "", ep.get("elapsed_ms")),
                          arguments=[host], evidence=evidence)
        if tcp.get("ok") is True and not isinstance(tls, dict) and ep.get("error_class") is None:
            return information(
                "TlsNotChecked",
                "The %s endpoint %s:%s accepts TCP, but TLS was not checked, so this is "
                "not a pass." % (what, host, ep.get("port", 443)),
                arguments=[host], evidence=evidence)
        cls = _error_class(ep)
        return failed(
            _ERROR_REASONS[cls],
            _failure_message(cls, ep, what) + _other_path_text(ep),
            arguments=[host], evidence=evidence,
            remediation=remediation(
                None,
                "Allow outbound TCP %s from this host to %s (%s), without TLS inspection; "
                "configure the agent's proxy in /etc/opt/microsoft/omsagent/proxy.conf if "
                "one is required (see automation-network-configuration)."
                % (ep.get("port", 443), host, what)))

    return check


# --------------------------------------------------------------------------- catalog

def _svc(rule_id, name, description, check, scenario, remediation_):
    return Rule(rule_id, SERVICEHEALTH[0], name, SERVICEHEALTH[1], description, check,
                platform=PLATFORM, generation=GENERATION, scenario=scenario,
                remediation=remediation_)


def _conn(rule_id, purpose, index, name, description):
    return Rule(rule_id, CONNECTIVITY[0], name, CONNECTIVITY[1], description,
                _connectivity_check(purpose, index), platform=PLATFORM,
                generation=GENERATION, scenario=OFFICIAL + rule_id,
                remediation=remediation(None, "Allow outbound TCP 443 to the endpoint."))


RULES = [
    _svc("Linux.OMSAgentInstallCheck", "OMS agent installed",
         "The OMS Agent for Linux is installed: omsadmin.conf and omsagent.log exist.",
         check_oms_agent_install, OFFICIAL + "Linux.OMSAgentInstallCheck",
         remediation(None, "Reinstall the OMS Agent for Linux: sh onboard_agent.sh "
                     "-w <WorkspaceID> -s <WorkspaceKey>.")),
    _svc("Linux.OMSAgentStatusCheck", "OMS agent running",
         "An omsagent process is running.",
         check_oms_agent_status, SEED + "#oms-agent-not-running",
         remediation("restart_agent", RESTART_CMD)),
    _svc("Linux.HybridWorkerStatusCheck", "Hybrid worker running",
         "The hybrid worker manager and at least one system or user worker run for this "
         "agent's workspace, and none for another workspace.",
         check_hybrid_worker_status, OFFICIAL + "Linux.HybridWorkerStatusCheck",
         remediation(RESTART_MANAGER, "Force a DSC consistency check: %s." % DSC_CHECK_CMD)),
    _svc("Linux.OMSConfigClassCheck", "omsconfig class error",
         "omsconfig.log has no 'The specified class does not exist' error.",
         check_omsconfig_class, SEED + "#class-does-not-exist",
         remediation("reinstall_agent", "Reinstall the OMS Agent for Linux: wget %s && sh "
                     "onboard_agent.sh -w <WorkspaceID> -s <WorkspaceKey>." % ONBOARD_URL)),
    _conn("Linux.AgentServiceConnectivityCheck", "agentsvc", 1, "Agent service endpoint",
          "The Automation agent service endpoint (DSC_ENDPOINT) is reachable over TLS on 443."),
    _conn("Linux.JRDSConnectivityCheck", "jrds", 1, "JRDS endpoint",
          "The job runtime data service (jrds_base_uri of worker.conf) is reachable over TLS "
          "on 443."),
]
for _i in (1, 2, 3, 4):
    RULES.append(_conn(
        "Linux.LogAnalyticsConnectivityCheck%d" % _i, "log_analytics", _i,
        "Log Analytics endpoint %d" % _i,
        "Log Analytics endpoint %d of the agent's cloud is reachable over TLS on 443." % _i))
del _i
