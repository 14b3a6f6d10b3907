# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule catalog: every rule, selection by RuleId / RuleGroupId, evaluation, summary.

Pure Python, stdlib only, Python 3.8+, no I/O (DESIGN §2). A finding has exactly the keys
of ``FINDING_KEYS`` (DESIGN §3).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    CHECK_RESULTS,
    FAILED,
    GROUPS,
    PASSED_WITH_WARNING,
    SKIPPED,
    Rule,
    message_id,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import (
    rules_linux,
    rules_linux_network,
    rules_linux_prereqs,
    rules_linux_system,
    rules_linux_worker,
    rules_windows,
    rules_windows_agent,
    rules_windows_network,
    rules_windows_system,
    rules_windows_worker,
)

__all__ = [
    "CHECK_RESULTS", "FINDING_KEYS", "GROUPS", "Rule", "UnknownRuleError",
    "all_rules", "rule_ids", "group_ids", "get_rule", "select_rules", "evaluate",
    "summarize", "make_finding", "rule_error", "valid_partial",
]

# Microsoft's RuleGroupIds / RuleGroupNames (official troubleshooters).

FINDING_KEYS = (
    "RuleId", "RuleGroupId", "RuleName", "RuleGroupName", "RuleDescription",
    "CheckResult", "CheckResultMessage", "CheckResultMessageId",
    "CheckResultMessageArguments", "evidence", "remediation", "scenario", "platform",
    "worker_generation",
)

# Catalog order: the order findings are evaluated and reported in.
_RULE_MODULES = (
    rules_linux_system, rules_linux_prereqs, rules_linux, rules_linux_worker, rules_linux_network,
    rules_windows_system, rules_windows, rules_windows_agent, rules_windows_worker, rules_windows_network,
)
_RULES = tuple(rule for module in _RULE_MODULES for rule in module.RULES)


def _check_catalog(rules):
    seen = set()
    groups = set(group[0] for group in GROUPS)
    for rule in rules:
        if rule.rule_id in seen:
            raise ValueError("duplicate RuleId in catalog: %s" % rule.rule_id)
        if rule.rule_id in groups:
            raise ValueError("RuleId %s collides with a RuleGroupId" % rule.rule_id)
        seen.add(rule.rule_id)


_check_catalog(_RULES)


def _platform_matches(rule, platform):
    return platform is None or rule.platform in (platform, "any")


def all_rules():
    """Every rule of every platform, in catalog order."""
    return list(_RULES)


def rule_ids(platform=None):
    """RuleIds in catalog order, optionally only those that apply to ``platform``."""
    return [r.rule_id for r in _RULES if _platform_matches(r, platform)]


def group_ids(platform=None):
    """RuleGroupIds that hold at least one rule (for ``platform`` when given), in order."""
    out = []
    for rule in _RULES:
        if _platform_matches(rule, platform) and rule.group_id not in out:
            out.append(rule.group_id)
    return out


def get_rule(rule_id):
    for rule in _RULES:
        if rule.rule_id == rule_id:
            return rule
    raise UnknownRuleError([rule_id])


class UnknownRuleError(ValueError):
    """An include/exclude entry that is neither a RuleId nor a RuleGroupId."""

    def __init__(self, unknown, field=None):
        self.unknown = list(unknown)
        self.field = field
        self.valid_ids = rule_ids()
        self.valid_groups = group_ids()
        where = " in %s" % field if field else ""
        msg = ("unknown rule id or group id%s: %s. Valid RuleIds: %s. Valid RuleGroupIds: %s "
               "(exact, case-sensitive)"
               % (where, ", ".join(repr(u) for u in self.unknown),
                  ", ".join(self.valid_ids), ", ".join(self.valid_groups)))
        super(UnknownRuleError, self).__init__(msg)


def _as_list(value, field):
    if value is None:
        return []
    if isinstance(value, str):
        return [s.strip() for s in value.split(",") if s.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        out = []
        for item in value:
            if not isinstance(item, str):
                raise UnknownRuleError([repr(item)], field=field)
            out.append(item)
        return out
    raise UnknownRuleError([repr(value)], field=field)


def _expand(entries, field):
    """Entries -> set of RuleIds, validated against the whole catalog."""
    ids = set(rule_ids())
    groups = set(group_ids())
    unknown = [e for e in entries if e not in ids and e not in groups]
    if unknown:
        raise UnknownRuleError(unknown, field=field)
    selected = set()
    for entry in entries:
        if entry in ids:
            selected.add(entry)
        else:
            selected.update(r.rule_id for r in _RULES if r.group_id == entry)
    return selected


def select_rules(include=None, exclude=None, platform=None):
    """Rules selected by ``include`` (None or [] = all) minus ``exclude``, then filtered to
    ``platform``. Entries are RuleIds or RuleGroupIds (exact, case-sensitive), validated
    against the whole catalog before anything is filtered; a comma-separated string is
    accepted as a list. Raises UnknownRuleError naming every unknown entry."""
    inc = _as_list(include, "include")
    exc = _as_list(exclude, "exclude")
    # validate both before raising, so one error names every bad entry
    bad, fields = [], []
    for entries, field in ((inc, "include"), (exc, "exclude")):
        try:
            _expand(entries, field)
        except UnknownRuleError as e:
            bad.extend(e.unknown)
            fields.append(field)
    if bad:
        raise UnknownRuleError(bad, field="/".join(fields))
    wanted = _expand(inc, "include") if inc else set(rule_ids())
    unwanted = _expand(exc, "exclude")
    return [r for r in _RULES
            if r.rule_id in wanted and r.rule_id not in unwanted
            and _platform_matches(r, platform)]


def _generation(rule, partial):
    if rule.generation != "any":
        return rule.generation
    return partial.get("worker_generation") or "any"


def _platform(rule, facts):
    if rule.platform != "any":
        return rule.platform
    if isinstance(facts, dict) and facts.get("platform"):
        return facts.get("platform")
    return "any"


def make_finding(rule, partial, facts=None):
    """The full finding (``FINDING_KEYS``) of ``rule`` from its partial result: the one place a
    finding is assembled, for the per-host catalog and for the fleet rules (fleet_rules.py).
    ``facts`` gives the platform of a rule whose platform is ``any`` (None: ``any``)."""
    check_result = partial["CheckResult"]
    reason = partial.get("reason")
    args = partial.get("arguments") or []
    remediation = partial.get("remediation")
    if remediation is None and check_result in (FAILED, PASSED_WITH_WARNING):
        remediation = dict(rule.remediation)
    elif remediation is None:
        remediation = {"action": None, "manual": None}
    else:
        remediation = {"action": remediation.get("action"), "manual": remediation.get("manual")}
    return {
        "RuleId": rule.rule_id,
        "RuleGroupId": rule.group_id,
        "RuleName": rule.name,
        "RuleGroupName": rule.group_name,
        "RuleDescription": rule.description,
        "CheckResult": check_result,
        "CheckResultMessage": partial.get("message") or "",
        "CheckResultMessageId": message_id(rule.rule_id, check_result, reason),
        "CheckResultMessageArguments": [str(a) for a in args],
        "evidence": dict(partial.get("evidence") or {}),
        "remediation": remediation,
        "scenario": partial.get("scenario") or rule.scenario,
        "platform": _platform(rule, facts),
        "worker_generation": _generation(rule, partial),
    }


def _skip(rule, facts, reason, message, evidence):
    partial = {"CheckResult": SKIPPED, "reason": reason, "message": message,
               "arguments": [], "evidence": evidence,
               "remediation": {"action": None, "manual": None}}
    return make_finding(rule, partial, facts)


def rule_error(rule, exc, facts=None, what="this host"):
    """The ``<RuleId>.Skipped.RuleError`` finding of a rule that raised ``exc`` while checking ``what``."""
    return _skip(rule, facts, "RuleError",
                 "The rule itself failed while checking %s, so nothing was checked: "
                 "%s: %s" % (what, type(exc).__name__, exc),
                 {"exception": type(exc).__name__, "error": str(exc)})


def valid_partial(partial):
    """True when ``partial`` is a partial result a rule may return."""
    return (isinstance(partial, dict) and partial.get("CheckResult") in CHECK_RESULTS
            and isinstance(partial.get("evidence", {}), dict))


def evaluate(facts, rules, context=None):
    """Run ``rules`` against ``facts``: one finding per rule, in catalog order.

    A rule that raises (or returns something that is not a partial result) becomes a
    Skipped finding ``<RuleId>.Skipped.RuleError`` with the exception in evidence; it
    never passes and never stops the other rules. A rule whose platform differs from
    ``facts['platform']`` is Skipped ``.NotApplicablePlatform``."""
    if context is None:
        context = {}
    order = dict((r.rule_id, i) for i, r in enumerate(_RULES))
    ordered = sorted(rules, key=lambda r: order.get(r.rule_id, len(order)))
    fact_platform = facts.get("platform") if isinstance(facts, dict) else None
    findings = []
    for rule in ordered:
        if rule.platform != "any" and fact_platform and fact_platform != rule.platform:
            findings.append(_skip(
                rule, facts, "NotApplicablePlatform",
                "Not applicable: this rule checks %s hosts and the host is %s."
                % (rule.platform, fact_platform),
                {"rule_platform": rule.platform, "host_platform": fact_platform}))
            continue
        try:
            partial = rule.check(facts, context)
            if not valid_partial(partial):
                raise TypeError("rule returned %r, not a partial result" % (type(partial).__name__,))
            findings.append(make_finding(rule, partial, facts))
        except Exception as e:  # a broken rule must not stop the run (DESIGN §5)
            findings.append(rule_error(rule, e, facts))
    return findings


def summarize(findings):
    """Counts per CheckResult plus ``total``."""
    counts = dict((c, 0) for c in CHECK_RESULTS)
    for finding in findings or []:
        result = finding.get("CheckResult")
        if result in counts:
            counts[result] += 1
    counts["total"] = len(findings or [])
    return counts
