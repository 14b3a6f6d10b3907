# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers of the repair action plugin.

FOR INTERNAL COLLECTION USE ONLY. This module may change or go away at any time; do not
import it from outside the azure_hrw.doctor collection.

The option spec and its checks, the executor call (one round trip for every step of a host),
merging the executor's step results into the plan, and the result summary.
"""

from __future__ import annotations

import re
import urllib.parse

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.repair_actions import AUTO
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.repair_plan import PLANNED, SKIPPED
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._diagnose import (
    collector_options_spec,
    expectation_options_spec,
)

LINUX_EXECUTOR = "azure_hrw.doctor.hrw_remediate"
WINDOWS_EXECUTOR = "azure_hrw.doctor.win_hrw_remediate"

#: Step statuses after execution (the plan's ``planned`` becomes one of the first four).
APPLIED, UNCHANGED, WOULD_APPLY, FAILED, NOT_RUN = "applied", "unchanged", "would_apply", "failed", "not_run"
UNKNOWN = "unknown"  # a planned step whose result the executor never reported (it crashed)
STATUSES = (APPLIED, UNCHANGED, WOULD_APPLY, FAILED, NOT_RUN, UNKNOWN, SKIPPED)

_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)")


def repair_argument_spec():
    """The argument spec of ``azure_hrw.doctor.hrw_repair``."""
    spec = dict(
        actions=dict(type="list", elements="str", default=[AUTO]),
        allow_destructive=dict(type="bool", default=False),
        backup_dir=dict(type="str"),
        verify=dict(type="bool", default=True),
        installer=dict(type="str"),
    )
    spec.update(collector_options_spec())
    spec.update(expectation_options_spec())
    return spec


def check_backup_dir(value, windows):
    """The backup directory as given, when it is an absolute path of the host's kind."""
    if value is None or value == "":
        return None
    if windows and _WINDOWS_ABSOLUTE.match(value):
        return value
    if not windows and value.startswith("/"):
        return value
    raise AnsibleActionFail(
        "backup_dir must be an absolute path on the host (%s), got %r"
        % ("for example C:\\ProgramData\\azure_hrw.doctor\\backup" if windows else "for example /var/backups/hrw", value))


def check_installer(value):
    """The installer as given: an absolute path on the host, or an https URL without
    credentials (an installer that runs as root does not travel in clear text)."""
    if value is None or value == "":
        return None
    if value.startswith("/"):
        return value
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme == "https" and parsed.hostname and not parsed.username and not parsed.password:
        return value
    raise AnsibleActionFail(
        "installer must be an absolute path on the host or an https URL of the OMS Agent for Linux bundle "
        "(for example /tmp/omsagent-1.19.0-0.universal.x64.sh or https://example.com/omsagent.x64.sh, "
        "without user:password@), got %r" % (value,))


def executor_call(windows, steps, backup_dir):
    """``(module_name, module_args)`` of the one executor call for the planned steps."""
    if windows:
        payload = [{"action": s["action"], "primitives": s.get("primitives") or []} for s in steps]
        module = WINDOWS_EXECUTOR
    else:
        payload = [{"action": s["action"], "params": s.get("params") or {}} for s in steps]
        module = LINUX_EXECUTOR
    args = {"steps": payload}
    if backup_dir:
        args["backup_dir"] = backup_dir
    return module, args


def merge_results(plan, executed):
    """The plan's steps with the executor's results filled in (by position among the planned
    steps). A planned step the executor did not report is ``not_run``."""
    executed = list(executed or [])
    merged, index = [], 0
    for step in plan:
        step = dict(step)
        if step["status"] == PLANNED:
            outcome = executed[index] if index < len(executed) and isinstance(executed[index], dict) else {}
            index += 1
            step["status"] = outcome.get("status") or NOT_RUN
            step["changed"] = bool(outcome.get("changed"))
            step["msg"] = outcome.get("msg") or ("not run: the executor reported nothing for this step" if not outcome else "")
            step["backups"] = list(outcome.get("backups") or [])
            step["diff"] = outcome.get("diff")
            step["reboot_required"] = bool(outcome.get("reboot_required"))
            if "primitives" in outcome:
                step["primitive_results"] = outcome["primitives"]
        else:
            step.update(changed=False, msg=step.get("reason") or "", backups=[], diff=None, reboot_required=False)
        merged.append(step)
    return merged


def summarize(steps, comparison=None):
    """Counts of step statuses, and of cleared and remaining RuleIds."""
    summary = dict((status, sum(1 for s in steps if s["status"] == status)) for status in STATUSES)
    summary["planned"] = sum(1 for s in steps if s["status"] != SKIPPED)
    comparison = comparison or {}
    for key in ("cleared", "remaining", "regressed"):
        summary[key] = len(comparison.get(key) or [])
    return summary


def result_message(steps, comparison, verified, check_mode):
    """One line: what ran, what it cleared, what remains."""
    ran = [s["action"] for s in steps if s["status"] in (APPLIED, WOULD_APPLY)]
    failed = [s["action"] for s in steps if s["status"] == FAILED]
    parts = []
    if failed:
        parts.append("failed: %s" % ", ".join(failed))
    if ran:
        parts.append("%s %s" % ("would apply" if check_mode else "applied", ", ".join(ran)))
    elif not failed:
        parts.append("nothing to change")
    if verified:
        if comparison.get("cleared"):
            parts.append("cleared %s" % ", ".join(comparison["cleared"]))
        if comparison.get("regressed"):
            parts.append("REGRESSED %s" % ", ".join(comparison["regressed"]))
    if comparison.get("remaining"):
        parts.append("remaining %s" % ", ".join(comparison["remaining"]))
    return "; ".join(parts)


def unresolved(steps, comparison):
    """``[(action, RuleId)]``: a step that ran for a finding (applied, or found nothing to change)
    and the finding is still not fine after the verification: the action cannot fix what the
    rule sees, so the host needs a person."""
    remaining = set(comparison.get("remaining") or [])
    return [(s["action"], rule) for s in steps if s["status"] in (APPLIED, UNCHANGED)
            for rule in s["fixes"] if rule in remaining]


def diffs(steps):
    """The steps' diffs, for ``--diff`` (Ansible prints a list of them)."""
    return [s["diff"] for s in steps if isinstance(s.get("diff"), dict)]


def action_line(action, status, msg=None):
    """``restart_agent: applied - <msg on one line>``: a step of a digest (repair and registration)."""
    line = "%s: %s" % (action, status)
    if msg:
        line += " - " + " ".join(str(msg).split())
    return line


def backup_line(backup):
    """``  backup of <path>: <backup>``: a backup of a digest, under the step that made it."""
    return "  backup of %s: %s" % (backup.get("path"), backup.get("backup"))


def digest(steps, manual=None):
    """One readable line per step and per backup (``restart_agent: applied - <msg>``), then one per
    finding that only a person can fix (``manual Linux.ClockSkewCheck: <what to do>``)."""
    lines = []
    for step in steps:
        lines.append(action_line(step["action"], step["status"], step.get("msg")))
        lines.extend(backup_line(b) for b in step.get("backups") or [])
    for item in manual or []:
        lines.append("manual %s: %s" % (item.get("RuleId"), " ".join(str(item.get("manual") or "see the finding").split())))
    return lines
