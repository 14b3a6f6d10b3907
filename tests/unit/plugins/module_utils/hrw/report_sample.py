# -*- coding: utf-8 -*-
"""A fleet report (``report_schema: 1``, ADR 0003 decision 3) built by hand for the renderer
tests: the HTML unit test and the headless-browser test load it from here.

Hosts (sorted by name, as the report model sorts them):

- ``<script>alert(1)</script>``: a hostile host name, diagnosed (Linux), worst Skipped;
- ``lnx-app01``: Linux V1, worst Failed (connectivity Failed, service health warning, a
  hostile string in the evidence and the message), Disconnected;
- ``lnx-db02``: Linux V1, every check Passed, Ready;
- ``lnx-gone03``: unreachable, with its reason;
- ``win-broken04``: diagnosis failed, with its reason;
- ``win-sql01``: Windows V1, worst PassedWithWarning, Information and Skipped cells, Ready.

One fleet finding: ``Fleet.ClonedMachineCheck`` Failed on lnx-app01 and lnx-db02.
"""

HOSTILE = "<script>alert(1)</script>"
# ends a <script>, opens a comment, breaks a JavaScript line in old engines, an attribute quote
HOSTILE_EVIDENCE = u"</script><!-- \u2028\u2029 \" ' & <img src=x onerror=alert(2)>"

RESULTS = ["Failed", "PassedWithWarning", "Information", "Skipped", "Passed"]
GROUPS = [
    {"id": "prerequisites", "name": "Prerequisite Checks"},
    {"id": "servicehealth", "name": "VM Service Health Checks"},
    {"id": "connectivity", "name": "Connectivity Checks"},
    {"id": "registration", "name": "Registration Checks"},
    {"id": "permissions", "name": "Access Permission Checks"},
    {"id": "machineSettings", "name": "Machine Override Checks"},
]
_GROUP_NAMES = dict((g["id"], g["name"]) for g in GROUPS)


def finding(rule_id, group, result, message, evidence=None, action=None, manual=None,
            scenario="update-agent-issues.md", platform="linux", reason=None):
    return {
        "RuleId": rule_id,
        "RuleGroupId": group,
        "RuleName": rule_id.split(".")[-1],
        "RuleGroupName": _GROUP_NAMES.get(group, "Fleet Checks"),
        "RuleDescription": "checks %s" % rule_id,
        "CheckResult": result,
        "CheckResultMessage": message,
        "CheckResultMessageId": "%s.%s%s" % (rule_id, result, "." + reason if reason else ""),
        "CheckResultMessageArguments": [],
        "evidence": dict(evidence or {}),
        "remediation": {"action": action, "manual": manual},
        "scenario": scenario,
        "platform": platform,
        "worker_generation": "v1",
    }


def _rank(result):
    return RESULTS.index(result)


def _diagnosed(name, platform, findings, readiness):
    cells = dict((g["id"], None) for g in GROUPS)
    for f in findings:
        current = cells.get(f["RuleGroupId"])
        if current is None or _rank(f["CheckResult"]) < _rank(current):
            cells[f["RuleGroupId"]] = f["CheckResult"]
    summary = dict((r, sum(1 for f in findings if f["CheckResult"] == r)) for r in RESULTS)
    summary["total"] = len(findings)
    worst = min((f["CheckResult"] for f in findings), key=_rank) if findings else None
    return {"name": name, "status": "diagnosed", "reason": None, "platform": platform, "worker_generation": "v1",
            "worst": worst, "cells": cells, "summary": summary, "readiness": readiness, "findings": findings,
            "repair": None}


def _not_diagnosed(name, status, reason):
    return {"name": name, "status": status, "reason": reason, "platform": None, "worker_generation": None,
            "worst": None, "cells": dict((g["id"], None) for g in GROUPS), "summary": None,
            "readiness": {"state": "Unknown", "reason": "not diagnosed: %s" % reason, "evidence": {}},
            "findings": [], "repair": None}


def _readiness(state, reason, **evidence):
    return {"state": state, "reason": reason, "evidence": evidence}


def sample_report():
    hostile_host = _diagnosed(HOSTILE, "linux", [
        finding("Linux.OperatingSystemCheck", "prerequisites", "Passed", "Ubuntu 22.04 is supported"),
        finding("Linux.OMSAgentStatusCheck", "servicehealth", "Skipped", "agent not installed",
                evidence={"path": HOSTILE}, reason="AgentNotInstalled"),
    ], _readiness("Not configured", "no worker.conf; %s" % HOSTILE))
    app = _diagnosed("lnx-app01", "linux", [
        finding("Linux.OperatingSystemCheck", "prerequisites", "Passed", "Red Hat Enterprise Linux 8.8 is supported"),
        finding("Linux.OMSAgentStatusCheck", "servicehealth", "PassedWithWarning",
                "The OMS agent restarted 4 times in the last hour " + HOSTILE_EVIDENCE,
                evidence={"log": "omsagent.log: " + HOSTILE, "restarts": 4, "odd": HOSTILE_EVIDENCE},
                action="restart_health_service", reason="Restarts"),
        finding("Linux.AgentServiceConnectivityCheck", "connectivity", "Failed",
                "agentsvc.azure-automation.net: connection timed out after 5 s",
                evidence={"endpoint": "agentsvc.azure-automation.net", "port": 443, "error": "timeout", "seconds": 5.0},
                manual="Allow outbound TCP 443 to *.azure-automation.net on the proxy or firewall.",
                scenario="update-agent-issues.md#network-requirements", reason="Timeout"),
        finding("Linux.JRDSConnectivityCheck", "connectivity", "Passed", "JRDS reachable"),
        finding("Linux.HybridWorkerStatusCheck", "registration", "Passed", "worker registered"),
    ], _readiness("Disconnected", "worker.conf present but the worker process is not running; "
                                  "the portal's last seen cannot be read locally", worker_conf=True, worker_running=False))
    db = _diagnosed("lnx-db02", "linux", [
        finding("Linux.OperatingSystemCheck", "prerequisites", "Passed", "Debian 12 is supported"),
        finding("Linux.OMSAgentStatusCheck", "servicehealth", "Passed", "The OMS agent is running"),
        finding("Linux.AgentServiceConnectivityCheck", "connectivity", "Passed", "agentsvc reachable"),
        finding("Linux.HybridWorkerStatusCheck", "registration", "Passed", "worker registered"),
    ], _readiness("Ready", "registered, running, endpoints reachable; the portal's last seen cannot be read locally"))
    gone = _not_diagnosed("lnx-gone03", "unreachable",
                          "Failed to connect to the host via ssh: ssh: connect to host 127.0.1.9 port 22: Connection timed out")
    broken = _not_diagnosed("win-broken04", "failed", "win_hrw_facts: the collector failed: Access is denied <0x80070005>")
    sql = _diagnosed("win-sql01", "windows", [
        finding("OperatingSystemCheck", "prerequisites", "Passed", "Windows Server 2019", platform="windows"),
        finding("MonitoringAgentServiceRunningCheck", "servicehealth", "Passed", "HealthService is running", platform="windows"),
        finding("TlsVersionCheck", "prerequisites", "PassedWithWarning", "TLS 1.2 is not the .NET default",
                evidence={"SchUseStrongCrypto": 0}, action="enable_tls12", platform="windows"),
        finding("IMDSConnectivity", "connectivity", "Information", "not an Azure VM: IMDS unreachable", platform="windows"),
        finding("CryptoRsaMachineKeysFolderAccessCheck", "permissions", "Skipped", "facts missing",
                platform="windows", reason="FactsMissing"),
        finding("AlwaysAutoRebootCheck", "machineSettings", "Information", "AlwaysAutoRebootAtScheduledTime is not set",
                platform="windows"),
    ], _readiness("Ready", "registry and SMA events show a registered, running worker; "
                           "the portal's last seen cannot be read locally"))
    hosts = [hostile_host, app, db, gone, broken, sql]
    fleet = [dict(finding("Fleet.ClonedMachineCheck", "fleet", "Failed", "2 hosts share one machine id",
                          evidence={"machine_id": "0f3c9a", "hosts": ["lnx-app01", "lnx-db02"]},
                          manual="Regenerate /etc/machine-id on the clones and re-register them.",
                          scenario="update-management-troubleshoot.md#cloned-image", platform="any"),
                  hosts=["lnx-app01", "lnx-db02"])]
    all_findings = [f for h in hosts for f in h["findings"]]
    diagnosed = [h for h in hosts if h["status"] == "diagnosed"]
    totals = {
        "hosts": len(hosts),
        "by_status": {"diagnosed": len(diagnosed), "unreachable": 1, "failed": 1},
        "by_result": dict((r, sum(1 for f in all_findings if f["CheckResult"] == r)) for r in RESULTS),
        "hosts_by_worst": dict((r, sum(1 for h in diagnosed if h["worst"] == r)) for r in RESULTS),
        "readiness": dict((s, sum(1 for h in hosts if h["readiness"]["state"] == s))
                          for s in ("Ready", "Disconnected", "Not configured", "Unknown")),
    }
    return {
        "report_schema": 1,
        "generated_at": "2026-11-25T20:00:00Z",
        "collection": {"name": "azure_hrw.doctor", "version": "0.1.0"},
        "title": "Hybrid Runbook Worker fleet <b>test</b>",
        "groups": GROUPS,
        "results": RESULTS,
        "totals": totals,
        "hosts": hosts,
        "fleet_findings": fleet,
    }
