# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Partial-result builders for rule bodies (pure, stdlib only, Python 3.8+).

A rule's ``check(facts, context)`` returns a *partial result*: a dict with
``CheckResult``, ``reason`` (None or a dotted suffix such as ``"NoWorkerProcess"`` or
``"Failed.Dns"``... see below), ``message``, ``arguments``, ``evidence`` and optionally
``remediation`` (overrides the rule's default) and ``scenario`` (overrides the rule's
default). The catalog turns it into the full finding (DESIGN §3) with
``CheckResultMessageId = <RuleId>.<CheckResult>[.<reason>]``. The rule's default
remediation applies only to Failed and PassedWithWarning results; the others get
``{action: None, manual: None}`` unless the partial names one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PASSED = "Passed"
PASSED_WITH_WARNING = "PassedWithWarning"
FAILED = "Failed"
INFORMATION = "Information"
SKIPPED = "Skipped"

CHECK_RESULTS = (PASSED, PASSED_WITH_WARNING, FAILED, INFORMATION, SKIPPED)

# Report order: worst first (the digest, the fleet report). One definition for the controller
# and the pure side; a CheckResult not listed here sorts last.
SEVERITY_ORDER = (FAILED, PASSED_WITH_WARNING, INFORMATION, SKIPPED, PASSED)
_SEVERITY_RANK = dict((name, rank) for rank, name in enumerate(SEVERITY_ORDER))

# Rule groups as (RuleGroupId, RuleGroupName): Microsoft's ids and names where they have one.
PREREQUISITES = ("prerequisites", "Prerequisite Checks")
SERVICEHEALTH = ("servicehealth", "VM Service Health Checks")
CONNECTIVITY = ("connectivity", "Connectivity Checks")
REGISTRATION = ("registration", "Registration Checks")
PERMISSIONS = ("permissions", "Access Permission Checks")
MACHINE_SETTINGS = ("machineSettings", "Machine Override Checks")
# Ours (issue 7): the cross-host rules of fleet_rules.py, evaluated by hrw_report over every
# host's facts. No per-host (catalog) rule is in it, so hrw_diagnose include/exclude do not accept it.
FLEET = ("fleet", "Fleet Checks")
GROUPS = (PREREQUISITES, SERVICEHEALTH, CONNECTIVITY, REGISTRATION, PERMISSIONS, MACHINE_SETTINGS, FLEET)


def severity_rank(check_result):
    """0 for Failed (the worst) ... 4 for Passed; anything else sorts after Passed."""
    return _SEVERITY_RANK.get(check_result, len(SEVERITY_ORDER))


# What a set of findings shows as one result (a report cell, a host's "worst"): a problem if
# there is one; else Passed when anything was checked and healthy, so that the usual
# Information ("not an Azure VM") and Skipped ("not installed") findings beside healthy checks
# do not hide a healthy host; Information or Skipped only when nothing was judged.
HEADLINE_ORDER = (FAILED, PASSED_WITH_WARNING, PASSED, INFORMATION, SKIPPED)
_HEADLINE_RANK = dict((name, rank) for rank, name in enumerate(HEADLINE_ORDER))


def worst_result(check_results):
    """The result a set of findings shows (see HEADLINE_ORDER): Failed, else PassedWithWarning,
    else Passed, else Information, else Skipped; None entries ignored; None when empty."""
    known = [c for c in check_results if c is not None]
    if not known:
        return None
    return min(known, key=lambda c: _HEADLINE_RANK.get(c, len(HEADLINE_ORDER)))


def result(check_result, message, reason=None, arguments=None, evidence=None,
           remediation=None, scenario=None):
    """Build a partial result. ``arguments`` are converted to strings."""
    if check_result not in CHECK_RESULTS:
        raise ValueError("unknown CheckResult %r; expected one of %s"
                         % (check_result, ", ".join(CHECK_RESULTS)))
    partial = {
        "CheckResult": check_result,
        "reason": reason,
        "message": message,
        "arguments": [u"" if a is None else str(a) for a in (arguments or [])],
        "evidence": dict(evidence or {}),
    }
    if remediation is not None:
        partial["remediation"] = remediation
    if scenario is not None:
        partial["scenario"] = scenario
    return partial


def passed(message, arguments=None, evidence=None, reason=None, **kwargs):
    """A pass (``reason`` is rarely needed, hence last)."""
    return result(PASSED, message, reason, arguments, evidence, **kwargs)


# The helpers below take the reason FIRST (None for the rule's plain result).

def warning(reason, message, arguments=None, evidence=None, **kwargs):
    return result(PASSED_WITH_WARNING, message, reason, arguments, evidence, **kwargs)


def failed(reason, message, arguments=None, evidence=None, **kwargs):
    """A failure; ``reason`` may be None for the rule's plain failure."""
    return result(FAILED, message, reason, arguments, evidence, **kwargs)


def information(reason, message, arguments=None, evidence=None, **kwargs):
    return result(INFORMATION, message, reason, arguments, evidence, **kwargs)


def skipped(reason, message, arguments=None, evidence=None, **kwargs):
    """Not checked; ``reason`` says why (e.g. ``"AgentNotInstalled"``)."""
    return result(SKIPPED, message, reason, arguments, evidence, **kwargs)


def remediation(action=None, manual=None):
    """The remediation dict of a finding: repair action id (or None) and a manual step."""
    return {"action": action, "manual": manual}


def message_id(rule_id, check_result, reason=None):
    """``<RuleId>.<CheckResult>[.<Reason>]``; a reason already starting with the
    CheckResult (``"Failed.Dns"``) is not doubled."""
    if not reason:
        return "%s.%s" % (rule_id, check_result)
    if reason == check_result or reason.startswith(check_result + "."):
        return "%s.%s" % (rule_id, reason)
    return "%s.%s.%s" % (rule_id, check_result, reason)


class Rule:
    """One check of the catalog.

    ``check(facts, context)`` returns a partial result built with the helpers above.
    ``remediation`` is the default remediation dict ({action, manual}); ``scenario`` the
    default seed reference. ``platform`` is 'linux' | 'windows' | 'any'; ``generation`` is
    'v1' | 'v2' | 'any'.
    """

    __slots__ = ("rule_id", "group_id", "name", "group_name", "description", "scenario",
                 "platform", "generation", "remediation", "check", "message_ids")

    def __init__(self, rule_id, group_id, name, group_name, description, check,
                 platform="any", generation="any", scenario=None, remediation=None,
                 message_ids=None):
        if platform not in ("linux", "windows", "any"):
            raise ValueError("Rule %s: platform must be linux, windows or any, got %r"
                             % (rule_id, platform))
        if generation not in ("v1", "v2", "any"):
            raise ValueError("Rule %s: generation must be v1, v2 or any, got %r"
                             % (rule_id, generation))
        self.rule_id = rule_id
        self.group_id = group_id
        self.name = name
        self.group_name = group_name
        self.description = description
        self.check = check
        self.platform = platform
        self.generation = generation
        self.scenario = scenario
        self.remediation = dict(remediation) if remediation else {"action": None, "manual": None}
        # documented MessageIds this rule can produce (for docs/tests); informative only
        self.message_ids = tuple(message_ids or ())

    def __repr__(self):
        return "Rule(%r)" % (self.rule_id,)
