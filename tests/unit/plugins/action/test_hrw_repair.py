# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hrw_repair action plugin: validation before any round trip, the plan it sends to the
executor, merging the executor's results, verification and the task status.

Module execution is replaced at the ``_execute_module`` boundary (DESIGN §6); rule evaluation
returns the findings each test sets for "before" and "after".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.action.hrw_repair import ActionModule
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils import _diagnose
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.action.action_harness import (
    make_action,
    module_ok,
    recorded,
)

LINUX_FACTS = recorded("linux_v1_healthy.json")
WS = LINUX_FACTS["agent"]["workspace_id"]


def finding(rule_id, result="Failed", action=None, manual="by hand"):
    return {"RuleId": rule_id, "CheckResult": result, "CheckResultMessage": "%s is %s" % (rule_id, result),
            "remediation": {"action": action, "manual": manual}}


@pytest.fixture
def diagnoses(monkeypatch):
    """Rule evaluation returns ``holder['before']`` on the first call, ``holder['after']`` later."""
    holder = {"before": [], "after": [], "calls": 0}

    def fake_evaluate(facts, rules, context=None):
        holder["calls"] += 1
        return copy.deepcopy(holder["before"] if holder["calls"] == 1 else holder["after"])

    monkeypatch.setattr(_diagnose, "evaluate", fake_evaluate)
    return holder


def host(executor_steps=None, executor_failed=None, facts=None, crashed=False):
    """A fake host: collectors return ``facts``, the executor returns ``executor_steps`` (no
    ``steps`` key at all when it ``crashed``)."""
    facts = facts or LINUX_FACTS

    def answer(module_name, module_args):
        if module_name.endswith("hrw_facts"):
            return module_ok(copy.deepcopy(facts))
        if crashed:
            return {"failed": True, "msg": executor_failed, "module_stderr": "Traceback ...", "rc": 1}
        result = {"changed": any(s.get("changed") for s in executor_steps or []), "steps": executor_steps or []}
        if executor_failed:
            result.update(failed=True, msg=executor_failed)
        return result
    return answer


def repair(args, answer, check_mode=False, windows=False, diff=False):
    plugin, fake = make_action(args, answer, windows=windows, check_mode=check_mode, action_class=ActionModule,
                               action="azure_hrw.doctor.hrw_repair", diff=diff)
    return plugin.run(task_vars={}), fake


def applied(action, **extra):
    step = {"action": action, "status": "applied", "changed": True, "msg": "%s done" % action, "backups": [],
            "diff": None, "reboot_required": False}
    step.update(extra)
    return step


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("args, expected", [
    ({"actions": ["frobnicate"]}, "unknown action 'frobnicate'"),
    ({"actions": ["purge_health_service_state"]}, "purge_health_service_state is a Windows action and this host is Linux"),
    ({"actions": ["reinstall_agent"]}, "reinstall_agent needs the option installer"),
    ({"installer": "http://example.com/omsagent.sh"}, "installer must be an absolute path on the host or an https URL"),
    ({"installer": "https://user:pw@example.com/omsagent.sh"}, "without user:password@"),
    ({"installer": "omsagent.sh"}, "installer must be an absolute path"),
    ({"backup_dir": "backups"}, "backup_dir must be an absolute path on the host (for example /var/backups/hrw)"),
    ({"probe_timeout": 0}, "probe_timeout must be a number of seconds greater than 0"),
    ({"expected_workspace_id": "not-a-guid"}, "expected_workspace_id must be a GUID"),
])
def test_bad_input_fails_before_any_round_trip(diagnoses, args, expected):
    plugin, fake = make_action(args, host(), action_class=ActionModule, action="azure_hrw.doctor.hrw_repair")
    with pytest.raises(AnsibleActionFail) as err:
        plugin.run(task_vars={})
    assert expected in str(err.value)
    assert fake.calls == []


def test_destructive_without_the_switch_fails_before_any_round_trip_on_windows(diagnoses):
    plugin, fake = make_action({"actions": ["remove_hybrid_registration"]}, host(), windows=True,
                               action_class=ActionModule, action="azure_hrw.doctor.hrw_repair")
    with pytest.raises(AnsibleActionFail) as err:
        plugin.run(task_vars={})
    assert "remove_hybrid_registration is destructive" in str(err.value) and "allow_destructive: true" in str(err.value)
    assert fake.calls == []


def test_windows_backup_dir_must_be_a_windows_path(diagnoses):
    plugin, fake = make_action({"backup_dir": "/var/backups"}, host(), windows=True,
                               action_class=ActionModule, action="azure_hrw.doctor.hrw_repair")
    with pytest.raises(AnsibleActionFail) as err:
        plugin.run(task_vars={})
    assert "C:\\ProgramData\\azure_hrw.doctor\\backup" in str(err.value)


# ----------------------------------------------------------------------------- flow


def test_healthy_host_one_round_trip_nothing_changed(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", "Passed", "restart_agent")]
    result, fake = repair({}, host())
    assert [c["module_name"] for c in fake.calls] == ["azure_hrw.doctor.hrw_facts"]
    assert result["changed"] is False and result["steps"] == [] and result.get("failed") is not True
    assert result["verified"] is True and result["findings_after"] == result["findings_before"]
    assert result["msg"] == "nothing to change"


def test_repair_runs_the_plan_in_one_executor_call_and_verifies(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent"),
                           finding("Linux.SudoersCheck", action="repair_prerequisites"),
                           finding("Linux.ClockSkewCheck", manual="sync the clock"),
                           finding("Linux.GpgCheck", "Passed")]
    diagnoses["after"] = [finding("Linux.OMSAgentStatusCheck", "Passed"), finding("Linux.SudoersCheck", "Passed"),
                          finding("Linux.ClockSkewCheck", manual="sync the clock"), finding("Linux.GpgCheck", "Passed")]
    backup = {"action": "repair_prerequisites", "path": "/etc/sudoers.d/omsagent", "backup": "/b/omsagent.1", "sha256": "ab"}
    result, fake = repair({"backup_dir": "/var/backups/hrw"},
                          host([applied("repair_prerequisites", backups=[backup]), applied("restart_agent")]))
    assert [c["module_name"] for c in fake.calls] == [
        "azure_hrw.doctor.hrw_facts", "azure_hrw.doctor.hrw_remediate", "azure_hrw.doctor.hrw_facts"]
    assert fake.calls[1]["module_args"] == {
        "backup_dir": "/var/backups/hrw",
        "steps": [{"action": "repair_prerequisites", "params": {}},
                  {"action": "restart_agent", "params": {"workspace_id": WS}}]}
    assert result["changed"] is True and result.get("failed") is not True
    assert [(s["action"], s["status"], s["fixes"]) for s in result["steps"]] == [
        ("repair_prerequisites", "applied", ["Linux.SudoersCheck"]), ("restart_agent", "applied", ["Linux.OMSAgentStatusCheck"])]
    assert result["backups"] == [backup]
    assert result["cleared"] == ["Linux.OMSAgentStatusCheck", "Linux.SudoersCheck"]
    assert result["remaining"] == ["Linux.ClockSkewCheck"] and result["regressed"] == []
    # the report's view of the host: as the repair left it
    assert result["findings"] == result["findings_after"] and result["facts"]["schema"] == 1
    assert result["manual"] == [{"RuleId": "Linux.ClockSkewCheck", "CheckResult": "Failed", "manual": "sync the clock"}]
    assert result["summary"]["applied"] == 2 and result["summary"]["cleared"] == 2 and result["summary"]["remaining"] == 1
    assert "  backup of /etc/sudoers.d/omsagent: /b/omsagent.1" in result["digest"]
    assert result["digest"][-1] == "manual Linux.ClockSkewCheck: sync the clock"
    assert result["msg"] == ("applied repair_prerequisites, restart_agent; cleared Linux.OMSAgentStatusCheck, "
                             "Linux.SudoersCheck; remaining Linux.ClockSkewCheck")


def test_check_mode_sends_the_plan_and_does_not_verify(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    would = dict(applied("restart_agent"), status="would_apply", diff={"before": "stopped\n", "after": "running\n"})
    result, fake = repair({}, host([would]), check_mode=True, diff=True)
    assert [c["module_name"] for c in fake.calls] == ["azure_hrw.doctor.hrw_facts", "azure_hrw.doctor.hrw_remediate"]
    assert result["changed"] is True and result["verified"] is False and result["findings_after"] is None
    assert result["cleared"] == [] and result["remaining"] == ["Linux.OMSAgentStatusCheck"]
    assert result["findings"] == result["findings_before"] and result["facts"] == LINUX_FACTS
    assert result["diff"] == [{"before": "stopped\n", "after": "running\n"}]
    assert result["msg"].startswith("would apply restart_agent")


def test_a_fix_that_did_not_clear_its_finding_fails_the_host(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    diagnoses["after"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    result, dummy = repair({}, host([applied("restart_agent")]))
    assert result["failed"] is True
    assert "verify: still not fixed after the step that should fix it: Linux.OMSAgentStatusCheck (restart_agent)" in result["msg"]


def test_a_regression_fails_the_host(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent"), finding("Linux.GpgCheck", "Passed")]
    diagnoses["after"] = [finding("Linux.OMSAgentStatusCheck", "Passed"), finding("Linux.GpgCheck")]
    result, dummy = repair({}, host([applied("restart_agent")]))
    assert result["failed"] is True and result["regressed"] == ["Linux.GpgCheck"]
    assert "passed before and not after: Linux.GpgCheck" in result["msg"]


def test_verify_false_skips_the_second_collection(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    result, fake = repair({"verify": False}, host([applied("restart_agent")]))
    assert len(fake.calls) == 2 and result["verified"] is False and result.get("failed") is not True


def test_a_failed_step_fails_the_host_and_later_steps_are_not_run(diagnoses):
    diagnoses["before"] = [finding("Linux.SudoersCheck", action="repair_prerequisites"),
                           finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    diagnoses["after"] = diagnoses["before"]
    failed = {"action": "repair_prerequisites", "status": "failed", "changed": False, "msg": "visudo rejected the file"}
    not_run = {"action": "restart_agent", "status": "not_run", "changed": False, "msg": "an earlier step failed"}
    result, dummy = repair({}, host([failed, not_run], executor_failed="a step failed"))
    assert result["failed"] is True and "step(s) failed: repair_prerequisites" in result["msg"]
    assert [s["status"] for s in result["steps"]] == ["failed", "not_run"]
    assert result["steps"][0]["msg"] == "visudo rejected the file"


def test_an_executor_that_fails_before_any_step_fails_the_host_with_its_message(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    result, dummy = repair({}, host(executor_failed="backup_dir is not writable"))
    assert result["failed"] is True
    assert result["msg"] == ("hrw_repair: the executor azure_hrw.doctor.hrw_remediate failed before any step ran: "
                             "backup_dir is not writable")


def test_collector_failure_returns_its_failure_and_runs_nothing(diagnoses):
    def answer(module_name, module_args):
        return {"failed": True, "msg": "python3 not found"}
    result, fake = repair({}, answer)
    assert result["failed"] is True and "python3 not found" in result["msg"] and len(fake.calls) == 1


def test_skipped_steps_are_reported_with_their_reason(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSConfigClassCheck", action="reinstall_agent"),
                           finding("Linux.HybridWorkerStatusCheck", action="reregister")]
    result, fake = repair({}, host())
    assert len(fake.calls) == 1  # nothing planned: no executor call
    reasons = dict((s["action"], s["msg"]) for s in result["steps"])
    assert "needs the option installer" in reasons["reinstall_agent"]
    assert "azure_hrw.doctor.hrw_registration" in reasons["reregister"]
    assert result["summary"]["skipped"] == 2 and result["changed"] is False


def test_an_executor_failure_that_no_step_explains_still_fails_the_host(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    diagnoses["after"] = [finding("Linux.OMSAgentStatusCheck", "Passed")]
    result, dummy = repair({}, host([applied("restart_agent")], executor_failed="could not write the backup index"))
    assert result["failed"] is True
    assert "the executor failed: could not write the backup index" in result["msg"]


def test_a_step_that_finds_nothing_to_change_while_its_finding_fails_fails_the_host(diagnoses):
    # e.g. repair_prerequisites finds every file as it should be, yet the rule still fails: the
    # action cannot fix what the rule sees, and the host must not pass as repaired
    diagnoses["before"] = [finding("Linux.NxautomationHomeCheck", action="repair_prerequisites")]
    diagnoses["after"] = diagnoses["before"]
    unchanged = dict(applied("repair_prerequisites"), status="unchanged", changed=False, msg="nothing to change")
    result, fake = repair({}, host([unchanged]))
    assert len(fake.calls) == 2  # nothing changed: the diagnosis before stands for after
    assert result["failed"] is True and result["changed"] is False
    assert "still not fixed after the step that should fix it: Linux.NxautomationHomeCheck (repair_prerequisites)" in result["msg"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_executor_that_fails_without_reporting_steps_does_not_claim_nothing_ran(diagnoses, check_mode):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent"),
                           finding("Linux.OMSConfigClassCheck", action="reinstall_agent")]
    result, fake = repair({"backup_dir": "/var/backups/hrw"}, host(executor_failed="MODULE FAILURE", crashed=True),
                          check_mode=check_mode)
    assert result["failed"] is True
    assert result["msg"] == ("hrw_repair: the executor azure_hrw.doctor.hrw_remediate failed: MODULE FAILURE; its "
                             "steps' results are unknown (check backup_dir /var/backups/hrw for backups it may "
                             "have made)")
    assert "before any step ran" not in result["msg"]
    by_action = dict((s["action"], s) for s in result["steps"])
    assert by_action["restart_agent"]["status"] == "unknown"
    assert by_action["restart_agent"]["changed"] is (not check_mode)
    assert by_action["reinstall_agent"]["status"] == "skipped"  # never sent: known not run
    assert result["changed"] is (not check_mode) and result["backups"] == []
    assert len(fake.calls) == 2  # no verify: nothing says what to compare


def test_an_unknown_outcome_names_the_executors_default_backup_dir(diagnoses):
    diagnoses["before"] = [finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    result, dummy = repair({}, host(executor_failed="MODULE FAILURE", crashed=True))
    assert "check backup_dir /var/opt/microsoft/hrw-doctor/backup for backups" in result["msg"]
