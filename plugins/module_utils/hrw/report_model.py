# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report model: the JSON report (``report_schema: 1``) every format renders.

Pure Python, stdlib only, Python 3.8+, no I/O. The controller (plugin_utils/_report.py)
gathers one *host result* per requested host and the fleet findings, and
:func:`build_report` turns them into the report documented in
docs/schemas/report-1.schema.json (ADR 0003, decision 3).

A host result is a dict::

    {"name": "hrw-1", "status": "diagnosed" | "unreachable" | "failed" | "not_run",
     "reason": None or why the host was not diagnosed,
     "facts": the facts document or None, "findings": [...], "readiness": {...} or None,
     "repair": None or the repair summary}

Every host given appears in the report, whatever its status; nothing is dropped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    CHECK_RESULTS,
    GROUPS,
    SEVERITY_ORDER,
    worst_result,
)

REPORT_SCHEMA = 1
COLLECTION_NAME = "azure_hrw.doctor"

STATUSES = ("diagnosed", "unreachable", "failed", "not_run")
READINESS_STATES = ("Ready", "Disconnected", "Not configured", "Unknown")
GENERATIONS = ("v1", "v2", "both")


def report_groups(rule_group_pairs, findings=()):
    """``[{id, name}]``: the groups of finding.GROUPS that hold a rule (``rule_group_pairs``:
    ``(RuleGroupId, RuleGroupName)`` of every rule) or a finding, in GROUPS order, then any
    other group a rule or a finding names (so no finding ever loses its column), in order of
    appearance."""
    named = list(rule_group_pairs) + [(f.get("RuleGroupId"), f.get("RuleGroupName")) for f in findings]
    ids = set(gid for gid, dummy in named)
    out = [{"id": gid, "name": name} for gid, name in GROUPS if gid in ids]
    seen = set(g["id"] for g in out)
    for gid, name in named:
        if gid and gid not in seen:
            seen.add(gid)
            out.append({"id": gid, "name": name or gid})
    return out


def _counts(keys, values):
    counts = dict((k, 0) for k in keys)
    for value in values:
        if value in counts:
            counts[value] += 1
    return counts


def _summary(findings):
    counts = _counts(CHECK_RESULTS, [f.get("CheckResult") for f in findings])
    counts["total"] = len(findings)
    return counts


def _worker_generation(findings):
    """The generation(s) of the generation-specific rules that passed, warned or failed on the
    host (Information and Skipped often only say that a generation is not installed)."""
    seen = set(f.get("worker_generation") for f in findings
               if f.get("CheckResult") in ("Passed", "PassedWithWarning", "Failed")
               and f.get("worker_generation") in ("v1", "v2"))
    if not seen:
        return None
    return "both" if len(seen) == 2 else seen.pop()


def _not_diagnosed_readiness(status, reason):
    return {
        "state": "Unknown",
        "reason": "The host was not diagnosed (%s)%s, so nothing is known about its worker."
                  % (status.replace("_", " "), ": %s" % reason if reason else ""),
        "evidence": {},
    }


def findings_naming(fleet_findings, name):
    """The fleet findings whose ``hosts`` name host ``name`` (they count in its row)."""
    return [f for f in fleet_findings or [] if name in (f.get("hosts") or [])]


def _host(host_result, group_ids, fleet_findings):
    name = str(host_result["name"])
    status = host_result.get("status")
    if status not in STATUSES:
        raise ValueError("host %s: status must be one of %s, got %r" % (name, ", ".join(STATUSES), status))
    facts = host_result.get("facts") if isinstance(host_result.get("facts"), dict) else None
    findings = copy.deepcopy(list(host_result.get("findings") or [])) if status == "diagnosed" else []
    reason = host_result.get("reason")
    reason = None if status == "diagnosed" or reason is None else str(reason)
    if status != "diagnosed" and not reason:
        reason = "no reason given"

    # The host's cells and worst result also count the fleet findings that name the host
    # (a cloned machine is broken even when each clone passes on its own).
    mine = findings + findings_naming(fleet_findings, name) if status == "diagnosed" else []
    cells = {}
    for gid in group_ids:
        cells[gid] = worst_result([f.get("CheckResult") for f in mine if f.get("RuleGroupId") == gid])

    readiness = host_result.get("readiness")
    if status != "diagnosed" or not isinstance(readiness, dict):
        readiness = _not_diagnosed_readiness(status, reason) if status != "diagnosed" else {
            "state": "Unknown", "reason": "No readiness was derived for this host.", "evidence": {}}
    readiness = {"state": readiness.get("state") if readiness.get("state") in READINESS_STATES else "Unknown",
                 "reason": str(readiness.get("reason") or ""),
                 "evidence": copy.deepcopy(dict(readiness.get("evidence") or {}))}

    platform = facts.get("platform") if facts else None
    return {
        "name": name,
        "status": status,
        "reason": reason,
        "platform": platform if platform in ("linux", "windows") else None,
        "worker_generation": _worker_generation(findings),
        "worst": worst_result([f.get("CheckResult") for f in mine]),
        "cells": cells,
        "summary": _summary(findings) if status == "diagnosed" else None,
        "readiness": readiness,
        "findings": findings,
        "repair": copy.deepcopy(host_result.get("repair")) if host_result.get("repair") is not None else None,
    }


def _rule_group_pairs():
    # Imported here: the catalog imports every rule module, which the renderers do not need.
    from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog, fleet_rules
    pairs = [(r.group_id, r.group_name) for r in catalog.all_rules()]
    for rule in getattr(fleet_rules, "RULES", ()):
        gid = getattr(rule, "group_id", None)
        if gid:
            pairs.append((gid, getattr(rule, "group_name", None)))
    return pairs


def build_report(host_results, fleet_findings, generated_at, title, collection_version, rule_groups=None):
    """The report dict (``report_schema: 1``).

    ``host_results``: one dict per requested host (see the module docstring); hosts are
    sorted by name. ``fleet_findings``: findings of the fleet rules, each with ``hosts``.
    ``rule_groups``: ``(RuleGroupId, RuleGroupName)`` pairs of the rules (default: the
    catalog's and the fleet rules'), which decide the columns.
    """
    fleet_findings = copy.deepcopy(list(fleet_findings or []))
    for finding in fleet_findings:
        finding["hosts"] = [str(h) for h in (finding.get("hosts") or [])]
    names = [str(h.get("name")) for h in host_results]
    dupes = sorted(set(n for n in names if names.count(n) > 1))
    if dupes:
        raise ValueError("host results name a host more than once: %s" % ", ".join(dupes))

    all_findings = [f for h in host_results if h.get("status") == "diagnosed" for f in (h.get("findings") or [])]
    pairs = _rule_group_pairs() if rule_groups is None else list(rule_groups)
    groups = report_groups(pairs, all_findings + fleet_findings)
    group_ids = [g["id"] for g in groups]

    hosts = [_host(h, group_ids, fleet_findings) for h in sorted(host_results, key=lambda h: str(h.get("name")))]
    worsts = [h["worst"] for h in hosts]
    totals = {
        "hosts": len(hosts),
        "by_status": _counts(STATUSES, [h["status"] for h in hosts]),
        "by_result": _counts(CHECK_RESULTS, [f.get("CheckResult") for h in hosts for f in h["findings"]]
                             + [f.get("CheckResult") for f in fleet_findings]),
        "hosts_by_worst": _counts(CHECK_RESULTS, worsts),
        "readiness": _counts(READINESS_STATES, [h["readiness"]["state"] for h in hosts]),
    }
    return {
        "report_schema": REPORT_SCHEMA,
        "generated_at": generated_at,
        "collection": {"name": COLLECTION_NAME, "version": str(collection_version)},
        "title": title,
        "groups": groups,
        "results": list(SEVERITY_ORDER),
        "totals": totals,
        "hosts": hosts,
        "fleet_findings": fleet_findings,
    }
