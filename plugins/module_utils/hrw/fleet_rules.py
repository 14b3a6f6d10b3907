# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-host (fleet) rules over every host's facts document (issue 7, ADR 0003 decision 4).

Pure Python, stdlib only, Python 3.8+, no I/O (DESIGN §2). Some faults only show across hosts:
clones of one image, a hybrid worker group spread over workspaces or Automation accounts,
mixed versions inside a group, two hosts with one machine name. Microsoft's troubleshooters
look at one machine at a time and cannot see them.

A fleet rule is a :class:`finding.Rule` whose ``check(facts_by_host, context)`` returns a
partial result (finding.py) plus ``hosts``; :func:`evaluate_fleet` turns it into a full
finding with ``catalog.make_finding`` (the same fields as every host finding, ``platform``
``any``) and the extra key ``hosts``: the hosts the finding is about (Failed /
PassedWithWarning: the affected hosts; else the hosts that had the facts the rule reads).
These rules are not in the per-host catalog: hrw_diagnose never runs them, hrw_report does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.catalog import (
    FINDING_KEYS,
    make_finding,
    rule_error,
    valid_partial,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    FLEET,
    Rule,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_linux import DSC_CHECK_CMD
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import fact

__all__ = ["FLEET_FINDING_KEYS", "RULES", "evaluate_fleet", "identities", "memberships", "names", "versions"]

#: A fleet finding: the keys of a host finding plus ``hosts``.
FLEET_FINDING_KEYS = FINDING_KEYS + ("hosts",)

UM_SEED = "update-management-troubleshoot.md"
CLONE_SCENARIO = "%s#components-enabled-not-working; %s#failed-to-start" % (UM_SEED, UM_SEED)
NAME_SCENARIO = UM_SEED + "#failed-to-start"
GROUP_SCENARIO = "hybrid-runbook-worker-install.md#hybrid-runbook-worker-groups; official-troubleshooters.md#4.2"

HEARTBEAT_QUERY = "Heartbeat | where TimeGenerated > ago(30d) | distinct SourceComputerId, Computer, ComputerIP"

# (key, label, platform, dotted path, normaliser) of each identity a clone carries over.
_LOWER = "lower"
_UPPER = "upper"
IDENTITIES = (
    ("machine_id", "machine id (/etc/machine-id)", "linux", "host.machine_id", _LOWER),
    ("agent_guid", "OMS agent AGENT_GUID (omsadmin.conf)", "linux", "agent.omsadmin.AGENT_GUID", _LOWER),
    ("agent_certificate", "agent certificate thumbprint (oms.crt)", "linux",
     "worker_state.agent_certificate.thumbprint", _UPPER),
    ("user_worker_certificate", "user worker certificate thumbprint (worker_diy.crt)", "linux",
     "worker_state.user_worker_certificate.thumbprint", _UPPER),
    ("machine_guid", "MachineGuid (HKLM\\SOFTWARE\\Microsoft\\Cryptography)", "windows", "host.machine_guid", _LOWER),
)

# (key, label, platform, dotted path) of each version compared inside a group. The Linux OMS
# agent's own version is not in the facts document (ADR 0001), only the worker module's.
VERSIONS = (
    ("worker", "nxOMSAutomationWorker", "linux", "worker.version"),
    ("agent", "Microsoft Monitoring Agent", "windows", "agent.version"),
    ("hybrid_agent", "HybridAgent (AzureAutomation folder)", "windows", "azure_automation.latest"),
)

_NOTHING = ("", "uninitialized", "none", "null")


def _text(value, how=_LOWER):
    """A comparable identity/version string, or None for nothing usable."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.lower() in _NOTHING:
        return None
    return value.upper() if how == _UPPER else value.lower()


def _platform(facts):
    return facts.get("platform") if isinstance(facts, dict) else None


def _hosts(facts_by_host):
    """(name, facts) of the hosts that have a facts document, sorted by name."""
    if not isinstance(facts_by_host, dict):
        return []
    return [(name, facts_by_host[name]) for name in sorted(facts_by_host, key=str)
            if isinstance(facts_by_host[name], dict)]


def _with(partial, hosts):
    partial["hosts"] = sorted(set(hosts))
    return partial


def _join(items):
    return ", ".join(str(i) for i in items)


# --------------------------------------------------------------------------- facts readers


def identities(facts):
    """``{identity key: value}`` of one host (only the values that are there)."""
    out = {}
    for key, _label, platform, path, how in IDENTITIES:
        if _platform(facts) != platform:
            continue
        value = _text(fact(facts, path), how)
        # an all-zero id (a placeholder some images carry) says nothing about cloning
        if value and set(value) - set("0-{}"):
            out[key] = value
    return out


def memberships(facts):
    """The hybrid worker groups the host is registered in: ``[{group, account_id,
    workspace_id, worker}]`` (``worker``: user | system); account or workspace None when unknown."""
    out = []
    platform = _platform(facts)
    if platform == "linux":
        workspace = _text(fact(facts, "agent.workspace_id"))
        for worker, path in (("user", "worker.user_worker_conf"), ("system", "worker.system_worker_conf")):
            required = fact(facts, path + ".worker-required")
            if not isinstance(required, dict):
                continue
            group = required.get("hybrid_worker_group_name")
            if isinstance(group, str) and group.strip():
                out.append({"group": group.strip(), "account_id": _text(required.get("account_id")),
                            "workspace_id": workspace, "worker": worker})
    elif platform == "windows":
        workspace = _text(fact(facts, "agent.workspace_id"))
        accounts = fact(facts, "registration.accounts")
        for account in accounts if isinstance(accounts, list) else []:
            if not isinstance(account, dict):
                continue
            groups = account.get("groups")
            for group in groups if isinstance(groups, list) else []:
                name = group.get("name") if isinstance(group, dict) else None
                if isinstance(name, str) and name.strip():
                    out.append({"group": name.strip(), "account_id": _text(account.get("account_id")),
                                "workspace_id": workspace,
                                "worker": "user" if group.get("user_worker") else "system"})
    return out


def versions(facts):
    """``{version key: version}`` of one host (only the values that are there)."""
    out = {}
    for key, _label, platform, path in VERSIONS:
        if _platform(facts) != platform:
            continue
        value = fact(facts, path)
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    return out


def names(facts):
    """``{short name (casefolded): full name}`` the host claims: Linux ``host.hostname``,
    Windows ``host.hostname`` and ``host.fqdn``. The short name is the first DNS label, what
    the portal and Log Analytics (``Computer``) show for a worker."""
    out = {}
    paths = ("host.hostname", "host.fqdn") if _platform(facts) == "windows" else ("host.hostname",)
    for path in paths:
        value = fact(facts, path)
        if isinstance(value, str) and value.strip():
            full = value.strip()
            out.setdefault(full.split(".", 1)[0].lower(), full)
    return out


def _version_key(version):
    """Sort key of a dotted version: numbers numerically, anything else after them as text."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-+]", version)]


# --------------------------------------------------------------------------- Fleet.ClonedMachineCheck

CLONE_MANUAL_WINDOWS = (
    "Windows, on every clone but one: (1) in the Log Analytics workspace remove the VM from the saved search of the "
    "MicrosoftDefaultScopeConfig-Updates scope configuration if it is shown (General > Saved searches); "
    "(2) Remove-Item -Path \"HKLM:\\software\\microsoft\\hybridrunbookworker\" -Recurse -Force; "
    "(3) Restart-Service HealthService, which recreates the key with a new UUID; (4) if that does not help, sysprep the "
    "image first and then install the Microsoft Monitoring Agent. A MachineGuid shared by clones also needs sysprep "
    "(/generalize).")
CLONE_MANUAL_LINUX = (
    "Linux, on every clone but one: give it its own machine id (sudo rm -f /etc/machine-id /var/lib/dbus/machine-id && "
    "sudo systemd-machine-id-setup), then re-onboard the agent so that it gets its own AGENT_GUID and oms.crt "
    "(sudo sh onboard_agent.sh --purge; sudo sh onboard_agent.sh -w <WorkspaceID> -s <WorkspaceKey>), and re-register "
    "the user worker so that it gets its own certificate (python onboarding.py --deregister, rename "
    "/home/nxautomation/state/{worker.conf,worker_diy.crt,worker_diy.key} to *_old, then onboarding.py --register "
    "-w <WorkspaceID> -k <AutomationAccountKey> -g <HybridGroupName> -e <RegistrationEndpoint>). Next time, "
    "generalise the image before cloning (remove /etc/machine-id and purge the agent).")
CLONE_MANUAL_AFTER = (
    "Afterwards run the Log Analytics query '%s' and look for computers with the same Computer but a different "
    "SourceComputerId; edit the update deployments that target them and remove and re-add the machines so that "
    "SourceComputerId is the correct value." % HEARTBEAT_QUERY)


def _clone_manual(platforms):
    parts = []
    if "windows" in platforms:
        parts.append(CLONE_MANUAL_WINDOWS)
    if "linux" in platforms:
        parts.append(CLONE_MANUAL_LINUX)
    return " ".join(parts + [CLONE_MANUAL_AFTER])


def check_cloned_machines(facts_by_host, context):
    labels = dict((key, label) for key, label, _p, _path, _h in IDENTITIES)
    order = [key for key, _l, _p, _path, _h in IDENTITIES]
    hosts = _hosts(facts_by_host)
    seen = {}        # identity key -> value -> [hosts]
    checked = []
    platforms = {}
    for name, facts in hosts:
        found = identities(facts)
        if found:
            checked.append(name)
            platforms[name] = _platform(facts)
        for key, value in found.items():
            seen.setdefault(key, {}).setdefault(value, []).append(name)
    without = [name for name, _facts in hosts if name not in checked]
    evidence = {"hosts_checked": checked, "hosts_without_identity": without,
                "identities": [labels[k] for k in order if k in seen]}
    if len(checked) < 2:
        return _with(skipped("FactsMissing", "Not checked: fewer than two hosts (%d) have an identity to compare "
                             "(Linux machine id, AGENT_GUID or certificate thumbprints; Windows MachineGuid)."
                             % len(checked), arguments=[len(checked)], evidence=evidence), checked)
    shared = []
    for key in order:
        for value, owners in sorted(seen.get(key, {}).items()):
            if len(owners) > 1:
                shared.append({"identity": key, "label": labels[key], "value": value, "hosts": owners})
    if not shared:
        return _with(passed("No two of the %d hosts share a machine id, MachineGuid, AGENT_GUID or worker certificate "
                            "thumbprint." % len(checked), arguments=[len(checked)], evidence=evidence), checked)
    evidence["shared"] = shared
    affected = sorted(set(h for item in shared for h in item["hosts"]))
    clusters = {}
    for item in shared:
        clusters.setdefault(tuple(item["hosts"]), []).append("%s %s" % (item["label"], item["value"]))
    text = "; ".join("%s share the %s" % (_join(group), _join(values)) for group, values in sorted(clusters.items()))
    documents = dict(hosts)
    same_name = []
    for group in sorted(clusters):
        claimed = set(tuple(sorted(names(documents[h]))) for h in group)
        if len(claimed) == 1 and claimed != {()}:
            same_name.append(group)
    hint = (" %s also have the same machine name: if they are one machine listed twice in the inventory, remove the "
            "duplicate entry instead." % _join(_join(g) for g in same_name)) if same_name else ""
    message = ("Cloned machines: %s. Hosts cloned from one image without generalising it (sysprep, or on Linux a new "
               "machine id and a re-onboarded agent) register as the same worker: the service sees one machine, "
               "jobs and update deployments go to either, and the portal shows it as 'being configured' or "
               "'Failed to start'.%s" % (text, hint))
    return _with(failed(None, message, arguments=[_join(affected), text], evidence=evidence,
                        remediation=remediation(None, _clone_manual(set(platforms.get(h) for h in affected)))),
                 affected)


# --------------------------------------------------------------------------- groups


def _groups(hosts):
    """``{group key: {"name": first spelling, "members": [(host, membership)]}}`` (key: casefolded name)."""
    out = {}
    for name, facts in hosts:
        for member in memberships(facts):
            entry = out.setdefault(member["group"].lower(), {"name": member["group"], "members": []})
            entry["members"].append((name, member))
    return out


def _spread(members, field):
    """``{value: [hosts]}`` of ``field`` over the members, unknown values left out."""
    out = {}
    for host, member in members:
        value = member.get(field)
        if value and host not in out.setdefault(value, []):
            out[value].append(host)
    return dict((k, v) for k, v in out.items() if v)


def _group_hosts(members):
    return sorted(set(host for host, _m in members))


GROUP_MANUAL = (
    "Decide which Automation account and workspace group %s belongs to, then on each host that differs: "
    "deregister its worker from the group (Windows: Remove-HybridRunbookWorker -url <URL> -key <PrimaryAccessKey>, "
    "or delete it in the portal; Linux user worker: python onboarding.py --deregister -w <WorkspaceID> "
    "-k <AutomationAccountKey> -g <HybridGroupName> -e <RegistrationEndpoint>), connect the agent to the workspace "
    "linked to that account, and register it again in the group of that account (Windows: Add-HybridRunbookWorker "
    "-GroupName <HybridGroupName> -EndPoint <URL> -Token <PrimaryAccessKey>; Linux: onboarding.py --register with "
    "the same options). "
    "If the two groups are meant to be different, give them different names.")


def _outliers(item):
    """The hosts of a spread group that are not with its majority: those outside the most common
    account and workspace. With no single majority (a tie) every host of the group is named, as
    nothing says which side is right. So one misregistered host does not paint the group red."""
    odd = set()
    for field in ("accounts", "workspaces"):
        owners = item[field]
        if len(owners) < 2:
            continue
        sizes = sorted((len(hosts_) for hosts_ in owners.values()), reverse=True)
        if sizes[0] == sizes[1]:
            return list(item["hosts"])
        majority = max(owners, key=lambda value: len(owners[value]))
        odd.update(h for value, hosts_ in owners.items() if value != majority for h in hosts_)
    return sorted(odd)


def check_group_workspace(facts_by_host, context):
    hosts = _hosts(facts_by_host)
    groups = _groups(hosts)
    with_groups = sorted(set(host for entry in groups.values() for host, _m in entry["members"]))
    evidence = {"hosts_checked": with_groups, "groups": len(groups)}
    if len(with_groups) < 2:
        return _with(skipped("FactsMissing", "Not checked: fewer than two hosts (%d) are registered in a hybrid worker "
                             "group the facts name." % len(with_groups), arguments=[len(with_groups)],
                             evidence=evidence), with_groups)
    shared = dict((key, entry) for key, entry in groups.items() if len(_group_hosts(entry["members"])) > 1)
    evidence["shared_groups"] = sorted(entry["name"] for entry in shared.values())
    if not shared:
        return _with(information("NoSharedGroup", "Nothing to compare: no hybrid worker group has workers on two or more "
                                 "of the %d hosts." % len(with_groups), arguments=[len(with_groups)],
                                 evidence=evidence), with_groups)
    spread = []
    for key in sorted(shared):
        entry = shared[key]
        accounts = _spread(entry["members"], "account_id")
        workspaces = _spread(entry["members"], "workspace_id")
        if len(accounts) > 1 or len(workspaces) > 1:
            spread.append({"group": entry["name"], "hosts": _group_hosts(entry["members"]),
                           "accounts": accounts, "workspaces": workspaces})
    if not spread:
        return _with(passed("Every hybrid worker group shared by these hosts (%s) has one Automation account and one "
                            "workspace." % _join(evidence["shared_groups"]),
                            arguments=[_join(evidence["shared_groups"])], evidence=evidence), with_groups)
    evidence["spread"] = spread
    parts = []
    for item in spread:
        what = []
        for field, label in (("accounts", "Automation accounts"), ("workspaces", "workspaces")):
            if len(item[field]) > 1:
                owners = ["%s (%s)" % (value, _join(hosts_)) for value, hosts_ in sorted(item[field].items())]
                what.append("%s %s" % (label, "; ".join(owners)))
        parts.append("group %s is spread over %s" % (item["group"], " and ".join(what)))
    affected = sorted(set(h for item in spread for h in _outliers(item)))
    message = ("%s. The workers of one hybrid worker group must belong to one Automation account and report to the "
               "workspace linked to it; the others are registered elsewhere or connected to another workspace, so jobs "
               "sent to the group do not reach them." % "; ".join(parts))
    return _with(failed(None, message, arguments=[_join(item["group"] for item in spread), _join(affected)],
                        evidence=evidence,
                        remediation=remediation(None, GROUP_MANUAL % _join(item["group"] for item in spread))),
                 affected)


VERSION_MANUAL = (
    "Bring the workers of group %s to one version, the newest (%s): on Windows install the current Microsoft "
    "Monitoring Agent and restart HealthService (the AzureAutomation HybridAgent folder is delivered through the "
    "agent); on Linux upgrade the OMS agent for Linux and force a DSC consistency check (" + DSC_CHECK_CMD + ") so "
    "that nxOMSAutomationWorker is updated. Upgrade one host at a time so the group keeps a worker.")


def check_group_versions(facts_by_host, context):
    labels = dict((key, label) for key, label, _p, _path in VERSIONS)
    hosts = _hosts(facts_by_host)
    by_host = dict((name, versions(facts)) for name, facts in hosts)
    groups = _groups(hosts)
    with_both = sorted(set(host for entry in groups.values() for host, _m in entry["members"] if by_host.get(host)))
    evidence = {"hosts_checked": with_both}
    if len(with_both) < 2:
        return _with(skipped("FactsMissing", "Not checked: fewer than two hosts (%d) have both a hybrid worker group and "
                             "an agent or worker version." % len(with_both), arguments=[len(with_both)],
                             evidence=evidence), with_both)
    compared = []
    mixed = []
    for key in sorted(groups):
        entry = groups[key]
        members = [h for h in _group_hosts(entry["members"]) if by_host.get(h)]
        if len(members) < 2:
            continue
        compared.append(entry["name"])
        for version_key, _l, _p, _path in VERSIONS:
            seen = {}
            for host in members:
                value = by_host[host].get(version_key)
                if value:
                    seen.setdefault(value, []).append(host)
            if len(seen) > 1:
                newest = sorted(seen, key=_version_key)[-1]
                mixed.append({"group": entry["name"], "component": labels[version_key], "versions": seen,
                              "newest": newest,
                              "older_hosts": sorted(h for v, hs in seen.items() if v != newest for h in hs)})
    evidence["groups_compared"] = compared
    if not compared:
        return _with(information("NoSharedGroup", "Nothing to compare: no hybrid worker group has two or more of these "
                                 "hosts with a known version.", evidence=evidence), with_both)
    if not mixed:
        return _with(passed("The workers of each group shared by these hosts (%s) run the same versions."
                            % _join(compared), arguments=[_join(compared)], evidence=evidence), with_both)
    evidence["mixed"] = mixed
    text = "; ".join("group %s: %s %s" % (m["group"], m["component"], "; ".join(
        "%s on %s" % (v, _join(h)) for v, h in sorted(m["versions"].items(), key=lambda kv: _version_key(kv[0]))))
        for m in mixed)
    affected = sorted(set(h for m in mixed for h in m["older_hosts"]))
    groups_mixed = sorted(set(m["group"] for m in mixed))
    newest = _join(sorted(set("%s %s" % (m["component"], m["newest"]) for m in mixed)))
    message = ("Mixed versions inside a hybrid worker group (%s). Jobs of the group run on whichever worker picks "
               "them up, so a runbook can behave differently from run to run; the older workers miss fixes. "
               "Nothing is broken by this alone, hence a warning." % text)
    return _with(warning("MixedVersions", message, arguments=[_join(groups_mixed), newest, _join(affected)],
                         evidence=evidence,
                         remediation=remediation(None, VERSION_MANUAL % (_join(groups_mixed), newest))),
                 affected)


# --------------------------------------------------------------------------- Fleet.DuplicateNameCheck

NAME_MANUAL = (
    "Give each machine its own name (Linux: sudo hostnamectl set-hostname <NewName>; Windows: Rename-Computer "
    "-NewName <NewName> -Restart), then re-register its worker under the new name. Afterwards run the Log Analytics "
    "query '%s', and in the update deployments that target these machines remove and re-add them so that "
    "SourceComputerId is the correct value. If the hosts are one machine listed twice in the inventory, remove the "
    "duplicate entry instead." % HEARTBEAT_QUERY)


def check_duplicate_names(facts_by_host, context):
    hosts = _hosts(facts_by_host)
    claims = {}      # short name -> [(host, full name)]
    checked = []
    for name, facts in hosts:
        found = names(facts)
        if found:
            checked.append(name)
        for short, full in sorted(found.items()):
            claims.setdefault(short, []).append((name, full))
    evidence = {"hosts_checked": checked, "hosts_without_name": [n for n, _f in hosts if n not in checked]}
    if len(checked) < 2:
        return _with(skipped("FactsMissing", "Not checked: fewer than two hosts (%d) report their machine name."
                             % len(checked), arguments=[len(checked)], evidence=evidence), checked)
    duplicates = [{"name": short, "hosts": sorted(set(h for h, _f in owners)),
                   "claimed_as": dict((h, f) for h, f in owners)}
                  for short, owners in sorted(claims.items()) if len(set(h for h, _f in owners)) > 1]
    if not duplicates:
        return _with(passed("Each of the %d hosts has a machine name of its own." % len(checked),
                            arguments=[len(checked)], evidence=evidence), checked)
    evidence["duplicates"] = duplicates
    affected = sorted(set(h for d in duplicates for h in d["hosts"]))
    text = "; ".join("%s claimed by %s" % (d["name"], _join(d["hosts"])) for d in duplicates)
    message = ("Two or more hosts claim the same machine name (%s). The portal, the worker group and Log Analytics "
               "(Computer) show one machine for them, and update deployments report 'Failed to start' for the one "
               "whose SourceComputerId no longer matches." % text)
    return _with(failed(None, message, arguments=[_join(d["name"] for d in duplicates), _join(affected)],
                        evidence=evidence, remediation=remediation(None, NAME_MANUAL)), affected)


# --------------------------------------------------------------------------- the rules


def _ids(rule_id, *suffixes):
    return tuple("%s.%s" % (rule_id, s) for s in suffixes)


def _rule(rule_id, name, description, check, scenario, ids):
    return Rule(rule_id, FLEET[0], name, FLEET[1], description, check, platform="any", generation="any",
                scenario=scenario, remediation=remediation(), message_ids=_ids(rule_id, *ids) + _ids(rule_id, "Skipped.RuleError"))


RULES = (
    _rule("Fleet.ClonedMachineCheck", "Cloned machines",
          "No two hosts share a Linux machine id, a Windows MachineGuid, an OMS agent AGENT_GUID or a worker "
          "certificate thumbprint (a cloned image that was not generalised).",
          check_cloned_machines, CLONE_SCENARIO, ("Passed", "Failed", "Skipped.FactsMissing")),
    _rule("Fleet.GroupWorkspaceCheck", "Hybrid worker group in one account and workspace",
          "The workers of one hybrid worker group belong to one Automation account and report to one workspace.",
          check_group_workspace, GROUP_SCENARIO,
          ("Passed", "Failed", "Information.NoSharedGroup", "Skipped.FactsMissing")),
    _rule("Fleet.GroupVersionCheck", "Same versions inside a hybrid worker group",
          "The workers of one hybrid worker group run the same agent and worker versions.",
          check_group_versions, GROUP_SCENARIO,
          ("Passed", "PassedWithWarning.MixedVersions", "Information.NoSharedGroup", "Skipped.FactsMissing")),
    _rule("Fleet.DuplicateNameCheck", "Duplicate machine names",
          "No two hosts claim the same machine name (Linux hostname, Windows computer name or FQDN; compared by the "
          "first label, case-insensitively).",
          check_duplicate_names, NAME_SCENARIO, ("Passed", "Failed", "Skipped.FactsMissing")),
)


def _check_rules(rules):
    seen = set()
    for rule in rules:
        if rule.rule_id in seen or not rule.rule_id.startswith("Fleet."):
            raise ValueError("fleet RuleIds must be unique and start with 'Fleet.': %s" % rule.rule_id)
        seen.add(rule.rule_id)


_check_rules(RULES)


def evaluate_fleet(facts_by_host, context=None):
    """Findings of the fleet rules over ``{host name: facts document}``, one per rule in
    ``RULES`` order. Hosts whose facts are not a document (unreachable, failed) are left out.
    A rule that raises gives ``<RuleId>.Skipped.RuleError`` and never stops the others."""
    if context is None:
        context = {}
    findings = []
    for rule in RULES:
        try:
            partial = rule.check(facts_by_host, context)
            if not valid_partial(partial):
                raise TypeError("rule returned %r, not a partial result" % (type(partial).__name__,))
            hosts = list(partial.get("hosts") or [])
            finding = make_finding(rule, partial, None)
        except Exception as e:  # a broken rule must not stop the others (DESIGN §5)
            finding = rule_error(rule, e, None, what="these hosts")
            hosts = []
        finding["hosts"] = hosts
        findings.append(finding)
    return findings
