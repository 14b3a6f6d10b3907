# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness of one host as update-agent-issues.md defines it, from local evidence only
(issue 7, ADR 0003 decision 5).

The portal's states are: **Ready** (the Hybrid Runbook Worker is deployed and was last seen
less than one hour ago), **Disconnected** (deployed, last seen over one hour ago) and **Not
configured** (not found, or the deployment has not finished). "Last seen" is the service's
record of the worker's heartbeat and cannot be read on the host, so the state here is what
the host's own evidence predicts:

- **Not configured**: the agent is not installed, the worker package is missing, or the
  worker is registered in no group (Linux: no system or user worker.conf; Windows: no
  HybridRunbookWorker registration and no V2 extension).
- **Disconnected**: configured, but the worker does not run (Linux: no worker manager or no
  worker process; Windows: HealthService not running, or the newest system worker event is a
  stop (15004); V2: HybridWorkerService not running), or an endpoint the worker talks to
  (agent service, JRDS) is unreachable: its heartbeat cannot reach the service.
- **Ready**: configured, running, and every probed worker endpoint reachable.
- **Unknown**: no facts, or the facts cannot tell (unreadable, or endpoints not probed).

Pure Python, stdlib only, Python 3.8+, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import fact

READY = "Ready"
DISCONNECTED = "Disconnected"
NOT_CONFIGURED = "Not configured"
UNKNOWN = "Unknown"
STATES = (READY, DISCONNECTED, NOT_CONFIGURED, UNKNOWN)

SOURCE = "update-agent-issues.md"
LAST_SEEN = ("The portal's \"last seen\" time cannot be read locally, so this state is derived from the host's own "
             "evidence (Ready = deployed and last seen < 1 h, Disconnected = last seen > 1 h, Not configured = not "
             "found or deployment not finished; %s)." % SOURCE)

#: Endpoint purposes the worker itself talks to (its heartbeat and jobs).
WORKER_PURPOSES = ("agentsvc", "jrds", "jrds_user", "account_agentsvc", "account_jrds")
#: RuleGroupIds whose Failed findings are listed in the evidence (what to look at first).
GROUPS_OF_INTEREST = ("servicehealth", "connectivity", "registration")

OMSADMIN_CONF = "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"


def _state(state, why, evidence):
    return {"state": state, "reason": "%s %s" % (why, LAST_SEEN), "evidence": evidence}


def _endpoints(facts):
    """``(reachable, unreachable, not_probed)``: lists of ``purpose host:port`` of the worker's endpoints."""
    reachable, unreachable, not_probed = [], [], []
    endpoints = facts.get("endpoints")
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        if not isinstance(endpoint, dict) or endpoint.get("purpose") not in WORKER_PURPOSES:
            continue
        label = "%s %s:%s" % (endpoint.get("purpose"), endpoint.get("host"), endpoint.get("port"))
        tcp = endpoint.get("tcp")
        if endpoint.get("error_class"):
            unreachable.append("%s (%s)" % (label, endpoint.get("error_class")))
        elif isinstance(tcp, dict) and tcp.get("ok") is True:
            reachable.append(label)
        else:
            not_probed.append(label)
    return reachable, unreachable, not_probed


def _failed_findings(findings):
    out = []
    for finding in findings if isinstance(findings, list) else []:
        if (isinstance(finding, dict) and finding.get("CheckResult") == "Failed"
                and finding.get("RuleGroupId") in GROUPS_OF_INTEREST):
            out.append(finding.get("CheckResultMessageId") or finding.get("RuleId"))
    return out


def _finding(findings, rule_id):
    for finding in findings if isinstance(findings, list) else []:
        if isinstance(finding, dict) and finding.get("RuleId") == rule_id:
            return finding
    return None


def _connectivity(facts, evidence, running_why):
    """Disconnected / Ready / Unknown of a configured, running worker, from its endpoints."""
    reachable, unreachable, not_probed = _endpoints(facts)
    evidence.update({"endpoints_reachable": reachable, "endpoints_unreachable": unreachable,
                     "endpoints_not_probed": not_probed})
    if unreachable:
        return _state(DISCONNECTED, "The worker is configured and %s, but it cannot reach %s, so its heartbeat does "
                      "not reach the service." % (running_why, ", ".join(unreachable)), evidence)
    if not reachable:
        return _state(UNKNOWN, "The worker is configured and %s, but its endpoints were not probed (probe_endpoints "
                      "off, or none derived), so whether it reaches the service is unknown." % running_why, evidence)
    return _state(READY, "The worker is configured, %s and reaches %s." % (running_why, ", ".join(reachable)),
                  evidence)


# --------------------------------------------------------------------------- Linux


def _linux(facts, evidence):
    files = fact(facts, "agent.files")
    installed = files.get(OMSADMIN_CONF) if isinstance(files, dict) else None
    version = fact(facts, "worker.version")
    confs = dict((worker, isinstance(fact(facts, "worker.%s_worker_conf" % worker), dict))
                 for worker in ("system", "user"))
    processes = fact(facts, "processes")
    workspace = fact(facts, "agent.workspace_id")
    roles = None
    if isinstance(processes, list):  # a process running for another workspace is not this worker
        roles = sorted(set(p.get("role") for p in processes if isinstance(p, dict)
                           and p.get("workspace_id") in (None, workspace)))
    evidence.update({"agent_installed": installed, "worker_version": version,
                     "registered": [w for w in ("system", "user") if confs[w]], "processes": roles})
    if installed is False:
        return _state(NOT_CONFIGURED, "The OMS agent is not installed (%s is missing)." % OMSADMIN_CONF, evidence)
    if installed is None:
        return _state(UNKNOWN, "Whether the OMS agent is installed could not be read.", evidence)
    if version is None and not any(confs.values()):
        return _state(NOT_CONFIGURED, "The agent is installed but the worker (nxOMSAutomationWorker) is not: no "
                      "VERSION and no worker.conf.", evidence)
    if not any(confs.values()):
        return _state(NOT_CONFIGURED, "The worker package is installed but no worker is registered (no system or "
                      "user worker.conf): the deployment has not finished.", evidence)
    if roles is None:
        return _state(UNKNOWN, "The worker is registered, but the processes could not be read.", evidence)
    workers = [r for r in ("system_worker", "user_worker") if r in roles]
    if "manager" not in roles or not workers:
        missing = "the worker manager" if "manager" not in roles else "a worker process"
        return _state(DISCONNECTED, "The worker is registered but %s is not running for this agent's workspace (%s), "
                      "so it sends no heartbeat." % (missing, workspace), evidence)
    return _connectivity(facts, evidence, "running (%s)" % ", ".join(["manager"] + workers))


# --------------------------------------------------------------------------- Windows


def _groups(facts):
    accounts = fact(facts, "registration.accounts")
    out = []
    for account in accounts if isinstance(accounts, list) else []:
        groups = account.get("groups") if isinstance(account, dict) else None
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, dict) and group.get("name"):
                out.append("%s/%s" % (account.get("account_id"), group.get("name")))
    return out


def _newest_worker_event(facts):
    newest = None
    events = fact(facts, "events.sma.worker_events")
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict) and event.get("id") in (15003, 15004) and isinstance(event.get("time_created"), str):
            if newest is None or event["time_created"] > newest["time_created"]:  # ISO-8601 UTC "...Z" sorts as text
                newest = event
    return newest


def _windows(facts, findings, evidence):
    service = fact(facts, "agent.service")
    service = service if isinstance(service, dict) else {}
    extension = fact(facts, "extension.service")
    extension = extension if isinstance(extension, dict) else {}
    key_exists = fact(facts, "registration.key_exists")
    groups = _groups(facts)
    root = fact(facts, "registration.root_values")
    root_group = root.get("RunbookWorkerGroup") if isinstance(root, dict) else None
    if root_group:
        groups.append(str(root_group))
    evidence.update({"agent_service": service.get("status") if service.get("exists") else service.get("exists"),
                     "registration_key": key_exists, "groups": groups,
                     "extension_service": extension.get("status") if extension.get("exists") else extension.get("exists")})
    v1 = service.get("exists") is True and key_exists is True and bool(groups)
    v2 = extension.get("exists") is True
    if not v1 and not v2:
        if service.get("exists") is None and extension.get("exists") is None:
            return _state(UNKNOWN, "Whether the agent or the worker extension is installed could not be read.", evidence)
        if service.get("exists") is not True:
            why = "The Microsoft Monitoring Agent (HealthService) is not installed and there is no worker extension."
        elif key_exists is None:
            return _state(UNKNOWN, "The HybridRunbookWorker registration could not be read.", evidence)
        else:
            why = ("The agent is installed but the worker is registered in no group (HKLM\\SOFTWARE\\Microsoft\\"
                   "HybridRunbookWorker has no group): the deployment has not finished.")
        return _state(NOT_CONFIGURED, why, evidence)
    if v1:
        if service.get("status") != "Running":
            return _state(DISCONNECTED, "The worker is registered (%s) but HealthService, in which it runs, is %s."
                          % (", ".join(groups), service.get("status")), evidence)
        newest = _newest_worker_event(facts)
        evidence["newest_worker_event"] = newest
        if newest is not None and newest.get("id") == 15004:
            return _state(DISCONNECTED, "The worker is registered (%s) but its newest event is a stop (15004) at %s."
                          % (", ".join(groups), newest.get("time_created")), evidence)
        running = _finding(findings, "SystemHybridRunbookWorkerRunningCheck")
        if running is not None and running.get("CheckResult") == "Failed":
            return _state(DISCONNECTED, "The worker is registered (%s) but SystemHybridRunbookWorkerRunningCheck found "
                          "it not running: %s" % (", ".join(groups), running.get("CheckResultMessage")), evidence)
        return _connectivity(facts, evidence, "HealthService is running")
    if extension.get("status") != "Running":
        return _state(DISCONNECTED, "The V2 worker extension is installed but HybridWorkerService is %s."
                      % extension.get("status"), evidence)
    return _connectivity(facts, evidence, "HybridWorkerService (V2) is running")


def readiness(facts, findings):
    """``{state, reason, evidence}`` of one host: ``state`` one of ``STATES``; ``reason`` always
    says that the portal's "last seen" cannot be read locally; ``evidence`` what was seen,
    with ``failed_findings`` (the Failed MessageIds of the service health, connectivity and
    registration groups, to look at first)."""
    evidence = {"failed_findings": _failed_findings(findings)}
    if not isinstance(facts, dict) or not facts:
        return _state(UNKNOWN, "No facts were collected from this host.", evidence)
    platform = facts.get("platform")
    evidence["platform"] = platform
    if platform == "linux":
        return _linux(facts, evidence)
    if platform == "windows":
        return _windows(facts, findings, evidence)
    return _state(UNKNOWN, "The facts name no known platform (%r)." % (platform,), evidence)
