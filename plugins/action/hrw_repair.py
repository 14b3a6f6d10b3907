# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``azure_hrw.doctor.hrw_repair``.

collect -> rules -> plan (controller) -> one executor call (host) -> collect again -> verify.
Bad input fails before the first round trip; check mode reaches the executor, which then
changes nothing and says what it would do.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import windows_repair
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_repair import DEFAULT_BACKUP_DIR as LINUX_BACKUP_DIR
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.repair_plan import (
    PLANNED,
    PlanError,
    check_request,
    compare,
    manual_steps,
    plan,
)
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._diagnose import (
    check_expectations,
    check_probe_timeout,
    collect_facts,
    diagnose,
    is_windows_connection,
    module_error_text,
    utc_now_iso,
)
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._repair import (
    FAILED,
    NOT_RUN,
    UNKNOWN,
    check_backup_dir,
    check_installer,
    diffs,
    digest,
    executor_call,
    merge_results,
    repair_argument_spec,
    result_message,
    summarize,
    unresolved,
)

_ACTION_NAME = "hrw_repair"
WINDOWS_BACKUP_DIR = "C:\\ProgramData\\azure_hrw.doctor\\backup"  # win_hrw_remediate's default


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_diff = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if task_vars is None:
            task_vars = {}

        # Bad input fails before anything runs on the host (DESIGN §5).
        dummy, args = self.validate_argument_spec(argument_spec=repair_argument_spec())
        windows = is_windows_connection(self._connection)
        platform = "windows" if windows else "linux"
        probe_timeout = check_probe_timeout(args["probe_timeout"])
        expectations = check_expectations(args)
        options = {"installer": check_installer(args["installer"])}
        backup_dir = check_backup_dir(args["backup_dir"], windows)
        try:
            check_request(args["actions"], platform, args["allow_destructive"], options)
        except PlanError as exc:
            raise AnsibleActionFail(str(exc)) from None

        facts, module_result, failure = self._collect(task_vars, probe_timeout, args, expectations)
        if failure is not None:
            result.update(failure)
            return result
        findings_before = self._diagnose(facts, args, expectations)

        steps = plan(findings_before, platform, actions=args["actions"], allow_destructive=args["allow_destructive"],
                     options=options, facts=facts, expand=windows_repair.primitives_for)
        if windows:
            # One HealthService start at the end however many planned steps restart it.
            merged = iter(windows_repair.merge_service_ops([s for s in steps if s["status"] == PLANNED]))
            steps = [next(merged) if s["status"] == PLANNED else s for s in steps]
        to_run = [s for s in steps if s["status"] == PLANNED]
        executed, executor_error = [], None
        if to_run:
            module_name, module_args = executor_call(windows, to_run, backup_dir)
            outcome = self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
            if outcome.get("unreachable"):
                result.update(outcome)
                return result
            executed = outcome.get("steps") or []
            executor_error = module_error_text(outcome) if outcome.get("failed") else None
            if outcome.get("failed") and not isinstance(outcome.get("steps"), list):
                # No step results (a crash, a lost connection mid-run): whether a step ran is not
                # known, so nothing claims it did not, and changed errs on the side of "maybe".
                return self._unknown_outcome(result, steps, module_name, executor_error, backup_dir, windows)
            if outcome.get("failed") and not executed:
                # The executor said it ran no step (it refused its input first).
                result.update(failed=True, changed=False, steps=steps,
                              msg="%s: the executor %s failed before any step ran: %s"
                              % (_ACTION_NAME, module_name, executor_error))
                return result
        steps = merge_results(steps, executed)
        changed = any(s["changed"] for s in steps)

        check_mode = bool(self._task.check_mode)
        verified, findings_after, facts_after = False, None, None
        if args["verify"] and not check_mode and changed:
            facts_after, dummy, failure = self._collect(task_vars, probe_timeout, args, expectations)
            if failure is not None:
                result.update(failure)
                result.update(changed=True, steps=steps,
                              msg="%s: the steps ran, but verifying them failed: %s" % (_ACTION_NAME, failure.get("msg")))
                return result
            findings_after, verified = self._diagnose(facts_after, args, expectations), True
        elif args["verify"] and not changed and not check_mode:
            # Nothing changed on the host: the diagnosis before is the diagnosis after.
            findings_after, verified = findings_before, True
        # The host as the repair leaves it (as before, when nothing was verified): what the fleet
        # report shows for the host, in the same keys as hrw_diagnose's result.
        findings_now = findings_after if findings_after is not None else findings_before
        comparison = compare(findings_before, findings_now)
        manual = manual_steps(findings_now)

        result.update(
            changed=changed,
            steps=steps,
            backups=[b for s in steps for b in s["backups"]],
            findings_before=findings_before,
            findings_after=findings_after,
            findings=findings_now,
            facts=facts_after if facts_after is not None else facts,
            verified=verified,
            cleared=comparison["cleared"] if verified else [],
            remaining=comparison["remaining"],
            regressed=comparison["regressed"] if verified else [],
            manual=manual,
            reboot_required=any(s["reboot_required"] for s in steps),
            summary=summarize(steps, comparison if verified else {"remaining": comparison["remaining"]}),
            msg=result_message(steps, comparison, verified, check_mode),
            digest=digest(steps, manual),
        )
        if self._task.diff:
            result["diff"] = diffs(steps)

        failed_steps = [s["action"] for s in steps if s["status"] == FAILED]
        left = unresolved(steps, comparison) if verified else []
        if failed_steps or executor_error or left or result["regressed"]:
            result["failed"] = True
            reasons = []
            if failed_steps:
                reasons.append("step(s) failed: %s" % ", ".join(failed_steps))
            elif executor_error:
                reasons.append("the executor failed: %s" % executor_error)
            if left:
                reasons.append("verify: still not fixed after the step that should fix it: %s"
                               % ", ".join("%s (%s)" % (rule, action) for action, rule in left))
            if result["regressed"]:
                reasons.append("verify: passed before and not after: %s" % ", ".join(result["regressed"]))
            result["msg"] = "%s: %s. %s" % (_ACTION_NAME, "; ".join(reasons), result["msg"])
        return result

    def _unknown_outcome(self, result, steps, module_name, error, backup_dir, windows):
        """The executor failed without a ``steps`` list: each planned step is ``unknown`` and, as
        Ansible does when a module cannot tell (command), counted as changed, outside check mode."""
        maybe = not self._task.check_mode
        where = backup_dir or (WINDOWS_BACKUP_DIR if windows else LINUX_BACKUP_DIR)
        merged = merge_results(steps, [])
        for step in merged:
            if step["status"] == NOT_RUN:
                step.update(status=UNKNOWN, changed=maybe,
                            msg="result unknown: the executor failed without reporting its steps (%s)" % error)
        result.update(failed=True, changed=maybe, steps=merged, backups=[],
                      msg="%s: the executor %s failed: %s; its steps' results are unknown (check backup_dir %s for "
                          "backups it may have made)" % (_ACTION_NAME, module_name, error, where))
        return result

    def _collect(self, task_vars, probe_timeout, args, expectations):
        return collect_facts(self, task_vars, probe_timeout, args["probe_endpoints"],
                             action_name=_ACTION_NAME, expectations=expectations)

    @staticmethod
    def _diagnose(facts, args, expectations):
        findings, dummy = diagnose(facts, [], [], controller_utc=utc_now_iso(),
                                   probe_endpoints=args["probe_endpoints"], expectations=expectations)
        return findings
