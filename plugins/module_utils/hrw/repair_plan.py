# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repair planner: findings + requested actions + safety switches -> ordered steps.

Pure Python, no I/O (Python 3.8, stdlib only), so every decision is unit-tested without a
host. ``check_request`` runs before anything touches a host and raises ``PlanError`` with a
message that names the action and the switch or option it needs. ``plan`` turns the
findings of one host into steps: each names the findings it fixes and why, or why it is
skipped. The executors (hrw_remediate on Linux, win_hrw_remediate on Windows) only carry
the steps out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.repair_actions import ACTIONS, AUTO, describe

#: A finding with one of these results asks for its fix (``auto`` acts on Failed only).
NEEDS_FIX = ("Failed", "PassedWithWarning")

#: Actions that fix no finding: they run whenever they are named (the executor is idempotent).
UNCONDITIONAL = ("preserve_update_log",)

#: A step whose action restarts what another planned step restarts as well is left out:
#: {covered action: (covering actions, in preference order)}.
COVERED_BY = {
    "restart_agent": ("reinstall_agent",),
    "restart_health_service": ("purge_health_service_state", "remove_hybrid_registration"),
    "start_health_service": ("purge_health_service_state", "remove_hybrid_registration", "restart_health_service"),
}

PLANNED = "planned"
SKIPPED = "skipped"


class PlanError(ValueError):
    """The request cannot be planned (bad action name, missing switch or option)."""


def _requested(actions):
    """``(auto, [named actions in the order given, without duplicates])``."""
    names = []
    for name in actions or []:
        if name not in names:
            names.append(name)
    return AUTO in names, [n for n in names if n != AUTO]


def check_request(actions, platform, allow_destructive=False, options=None):
    """Validate the requested actions for a host of ``platform`` before anything runs.

    Raises PlanError naming every problem: an unknown action (with the valid ones), an
    action of the other platform, one that another module carries out, a destructive one
    without ``allow_destructive``, one whose option is missing. Returns the named actions.
    """
    options = options or {}
    if not actions:
        raise PlanError("actions must name at least one action, or auto; valid actions for %s hosts: auto, %s"
                        % (platform, describe(platform)))
    dummy, named = _requested(actions)
    problems = []
    for name in named:
        action = ACTIONS.get(name)
        if action is None:
            problems.append("unknown action %r (valid for %s hosts: auto, %s)" % (name, platform, describe(platform)))
        elif action.platform != platform:
            problems.append("%s is a %s action and this host is %s" % (name, action.platform.capitalize(), platform.capitalize()))
        elif action.handled_by:
            problems.append("%s is not done by hrw_repair: use %s, which takes the account key it needs"
                            % (name, action.handled_by))
        elif action.destructive and not allow_destructive:
            problems.append("%s is destructive (it removes what it first backs up): set allow_destructive: true to run it"
                            % name)
        else:
            missing = [need for need in action.needs if not options.get(need)]
            if missing:
                problems.append("%s needs the option %s" % (name, " and ".join(missing)))
    if problems:
        raise PlanError("actions: " + "; ".join(problems))
    return named


def _why(findings):
    return "; ".join("%s %s: %s" % (f.get("RuleId"), f.get("CheckResult"),
                                    " ".join(str(f.get("CheckResultMessage") or "").split()))
                     for f in findings)


def _action_of(finding):
    remediation = finding.get("remediation")
    return remediation.get("action") if isinstance(remediation, dict) else None


def _step(action, findings, status, reason=None, params=None):
    return {
        "action": action.name,
        "fixes": [f.get("RuleId") for f in findings],
        "why": _why(findings) if findings else action.description,
        "destructive": action.destructive,
        "reboot_required_after": action.reboot,
        "status": status,
        "reason": reason,
        "params": dict(params or {}),
    }


def _params(name, facts, options):
    if name == "restart_agent":
        agent = facts.get("agent") if isinstance(facts, dict) else None
        return {"workspace_id": agent.get("workspace_id") if isinstance(agent, dict) else None}
    if name == "reinstall_agent":
        return {"installer": options.get("installer")}
    return {}


def _skip_reason(action, findings, named, allow_destructive, options):
    """Why a wanted action is not run, or None when it runs."""
    if action.handled_by:
        return "done by %s (it needs the account key); run that for %s" % (action.handled_by, ", ".join(
            f.get("RuleId") for f in findings))
    if action.destructive and not (action.name in named and allow_destructive):
        return ("destructive: name it in actions and set allow_destructive: true to run it "
                "(it backs up what it removes first)")
    missing = [need for need in action.needs if not options.get(need)]
    if missing:
        return "needs the option %s (never guessed or downloaded unasked)" % " and ".join(missing)
    return None


def plan(findings, platform, actions=None, allow_destructive=False, options=None, facts=None, expand=None):
    """The ordered steps for one host.

    :param findings: the host's findings (the findings contract).
    :param platform: ``linux`` or ``windows``.
    :param actions: requested action names and/or ``auto`` (default ``[auto]``). ``auto`` takes
        the fix of every Failed finding; a named action also fixes PassedWithWarning findings,
        and Information findings that name it (the corrupt-cache evidence). Destructive fixes
        run only when named and ``allow_destructive`` is set.
    :param options: task options the actions need (``installer``).
    :param facts: the facts document (parameters that vary per host, e.g. the workspace id).
    :param expand: ``expand(action_name, facts, options) -> primitives`` for Windows steps.
    :returns: steps in execution order, then the skipped ones; see ``_step`` for the keys.
    """
    options = options or {}
    auto, named = _requested(actions if actions is not None else [AUTO])
    check_request(named or [AUTO], platform, allow_destructive, options)
    wanted = {}  # action name -> findings it fixes
    for finding in findings:
        name = _action_of(finding)
        action = ACTIONS.get(name)
        if action is None or action.platform != platform:
            continue
        result = finding.get("CheckResult")
        if (auto and result == "Failed") or (name in named and (result in NEEDS_FIX or result == "Information")):
            wanted.setdefault(name, []).append(finding)
    for name in named:
        if name in UNCONDITIONAL:
            wanted.setdefault(name, [])

    steps, skipped = [], []
    for name in sorted(wanted, key=lambda n: ACTIONS[n].order):
        action = ACTIONS[name]
        reason = _skip_reason(action, wanted[name], named, allow_destructive, options)
        if reason:
            skipped.append(_step(action, wanted[name], SKIPPED, reason))
        else:
            steps.append(_step(action, wanted[name], PLANNED, params=_params(name, facts, options)))

    planned_names = [s["action"] for s in steps]
    for step in steps:
        cover = [c for c in COVERED_BY.get(step["action"], ()) if c in planned_names]
        if cover:
            step["status"] = SKIPPED
            step["reason"] = "covered by %s, which restarts the same service" % cover[0]
    for name in named:  # named but nothing to fix: say so rather than restart for nothing
        if name not in wanted:
            skipped.append(_step(ACTIONS[name], [], SKIPPED, "nothing to fix: no finding of this host asks for %s" % name))
    if platform == "windows" and expand is not None:
        for step in steps:
            if step["status"] == PLANNED:
                step["primitives"] = list(expand(step["action"], facts or {}, options))
    return [s for s in steps if s["status"] == PLANNED] + [s for s in steps if s["status"] != PLANNED] + skipped


def manual_steps(findings):
    """``[{RuleId, CheckResult, manual}]`` for every Failed or PassedWithWarning finding whose fix no
    action carries out: what a person has to do."""
    out = []
    for finding in findings:
        if finding.get("CheckResult") not in NEEDS_FIX or _action_of(finding) in ACTIONS:
            continue
        remediation = finding.get("remediation") if isinstance(finding.get("remediation"), dict) else {}
        out.append({"RuleId": finding.get("RuleId"), "CheckResult": finding.get("CheckResult"),
                    "manual": remediation.get("manual")})
    return out


def _not_fine(findings):
    return dict((f.get("RuleId"), f.get("CheckResult")) for f in findings if f.get("CheckResult") in NEEDS_FIX)


def compare(before, after):
    """What the repair changed: ``{cleared, remaining, regressed}`` RuleId lists.

    cleared: Failed or PassedWithWarning before, neither after. remaining: Failed or
    PassedWithWarning after. regressed: Passed before, Failed or PassedWithWarning after.
    """
    was, now = _not_fine(before), _not_fine(after)
    passed_before = set(f.get("RuleId") for f in before if f.get("CheckResult") == "Passed")
    return {
        "cleared": [rule for rule in was if rule not in now],
        "remaining": list(now),
        "regressed": [rule for rule in now if rule in passed_before],
    }
