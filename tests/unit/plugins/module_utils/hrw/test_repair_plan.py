# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repair planner: findings + requested actions + switches -> ordered steps."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import repair_actions
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.repair_plan import (
    PlanError,
    check_request,
    compare,
    manual_steps,
    plan,
)

WS = "8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
FACTS = {"platform": "linux", "agent": {"workspace_id": WS}}


def finding(rule_id, result="Failed", action=None, manual="do it by hand", message="broken"):
    return {"RuleId": rule_id, "CheckResult": result, "CheckResultMessage": message,
            "remediation": {"action": action, "manual": manual}}


def by_action(steps):
    return dict((s["action"], s) for s in steps)


# ----------------------------------------------------------------------------- catalog


def test_every_action_a_rule_names_is_in_the_catalog():
    # The rules document which actions they may name (message_ids / remediation): every
    # remediation action id that appears in a rule module's source must be a catalog entry.
    import inspect
    import re
    from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
    named = set()
    for module in catalog._RULE_MODULES:
        named.update(re.findall(r'(?:remediation\(|action=)"([a-z0-9_]+)"', inspect.getsource(module)))
    assert named, "no remediation action found in the rule modules: the pattern is out of date"
    assert sorted(named - set(repair_actions.ACTIONS)) == []


def test_catalog_orders_are_unique_per_platform_and_names_match():
    for platform in (repair_actions.LINUX, repair_actions.WINDOWS):
        orders = [a.order for a in repair_actions.ACTIONS.values() if a.platform == platform]
        assert len(orders) == len(set(orders)), platform
    assert all(name == action.name for name, action in repair_actions.ACTIONS.items())
    destructive = sorted(a.name for a in repair_actions.ACTIONS.values() if a.destructive)
    assert destructive == ["purge_health_service_state", "remove_hybrid_registration"]


# ----------------------------------------------------------------------------- check_request


@pytest.mark.parametrize("actions, platform, switch, options, expected", [
    (["frobnicate"], "linux", False, {}, "unknown action 'frobnicate' (valid for linux hosts: auto, preserve_update_log"),
    (["purge_health_service_state"], "linux", True, {}, "purge_health_service_state is a Windows action and this host is Linux"),
    (["restart_agent"], "windows", False, {}, "restart_agent is a Linux action and this host is Windows"),
    (["purge_health_service_state"], "windows", False, {},
     "purge_health_service_state is destructive (it removes what it first backs up): set allow_destructive: true"),
    (["remove_hybrid_registration"], "windows", False, {}, "remove_hybrid_registration is destructive"),
    (["reinstall_agent"], "linux", False, {}, "reinstall_agent needs the option installer"),
    (["reregister"], "linux", False, {}, "reregister is not done by hrw_repair: use azure_hrw.doctor.hrw_registration"),
    ([], "linux", False, {}, "actions must name at least one action, or auto"),
])
def test_bad_requests_fail_naming_the_action_and_the_switch(actions, platform, switch, options, expected):
    with pytest.raises(PlanError) as err:
        check_request(actions, platform, switch, options)
    assert expected in str(err.value)


def test_every_problem_is_named_at_once():
    with pytest.raises(PlanError) as err:
        check_request(["nope", "reinstall_agent", "enable_tls12"], "linux")
    text = str(err.value)
    assert "'nope'" in text and "reinstall_agent needs the option installer" in text and "enable_tls12 is a Windows action" in text


def test_good_requests_pass_and_return_the_named_actions():
    assert check_request(["auto"], "linux") == []
    assert check_request(["auto", "restart_agent", "restart_agent"], "linux") == ["restart_agent"]
    assert check_request(["purge_health_service_state"], "windows", allow_destructive=True) == ["purge_health_service_state"]
    assert check_request(["reinstall_agent"], "linux", options={"installer": "/tmp/x.sh"}) == ["reinstall_agent"]


def test_plan_itself_refuses_a_bad_request():
    with pytest.raises(PlanError):
        plan([finding("Win.X", action="purge_health_service_state")], "windows", actions=["purge_health_service_state"])


# ----------------------------------------------------------------------------- plan (Linux)


def test_auto_fixes_failed_findings_in_catalog_order_and_names_them():
    findings = [
        finding("Linux.OMSAgentStatusCheck", action="restart_agent", message="omsagent is not running"),
        finding("Linux.SudoersCheck", action="repair_prerequisites"),
        finding("Linux.UserWorkerProcessCheck", action="restart_agent"),
        finding("Linux.ClockSkewCheck", action=None),
        finding("Linux.GpgCheck", result="Passed", action="repair_prerequisites"),
    ]
    steps = plan(findings, "linux", facts=FACTS)
    assert [s["action"] for s in steps] == ["repair_prerequisites", "restart_agent"]
    restart = by_action(steps)["restart_agent"]
    assert restart["fixes"] == ["Linux.OMSAgentStatusCheck", "Linux.UserWorkerProcessCheck"]
    assert restart["status"] == "planned" and restart["reason"] is None
    assert "Linux.OMSAgentStatusCheck Failed: omsagent is not running" in restart["why"]
    assert restart["params"] == {"workspace_id": WS}
    assert by_action(steps)["repair_prerequisites"]["fixes"] == ["Linux.SudoersCheck"]


def test_auto_does_not_act_on_warnings_or_information():
    findings = [finding("Linux.SudoersCheck", result="PassedWithWarning", action="repair_prerequisites"),
                finding("Win.Cache", result="Information", action="restart_agent")]
    assert plan(findings, "linux", facts=FACTS) == []


def test_a_named_action_also_fixes_warnings_and_information():
    findings = [finding("Linux.SudoersCheck", result="PassedWithWarning", action="repair_prerequisites")]
    steps = plan(findings, "linux", actions=["repair_prerequisites"], facts=FACTS)
    assert [(s["action"], s["status"]) for s in steps] == [("repair_prerequisites", "planned")]


def test_a_named_action_with_nothing_to_fix_is_skipped_not_run():
    steps = plan([finding("Linux.OMSAgentStatusCheck", result="Passed", action="restart_agent")], "linux",
                 actions=["restart_agent"], facts=FACTS)
    assert [(s["action"], s["status"]) for s in steps] == [("restart_agent", "skipped")]
    assert steps[0]["reason"] == "nothing to fix: no finding of this host asks for restart_agent"


def test_named_actions_without_auto_leave_other_failures_alone():
    findings = [finding("Linux.OMSAgentStatusCheck", action="restart_agent"),
                finding("Linux.SudoersCheck", action="repair_prerequisites")]
    steps = plan(findings, "linux", actions=["repair_prerequisites"], facts=FACTS)
    assert [s["action"] for s in steps] == ["repair_prerequisites"]


def test_preserve_update_log_runs_whenever_named():
    steps = plan([], "linux", actions=["preserve_update_log"], facts=FACTS)
    assert [(s["action"], s["status"], s["fixes"]) for s in steps] == [("preserve_update_log", "planned", [])]
    assert plan([], "linux", facts=FACTS) == []


def test_reinstall_without_installer_is_skipped_with_the_reason_and_with_it_planned():
    findings = [finding("Linux.OMSConfigClassCheck", action="reinstall_agent")]
    skipped = plan(findings, "linux", facts=FACTS)
    assert skipped[0]["status"] == "skipped" and "needs the option installer" in skipped[0]["reason"]
    planned = plan(findings, "linux", facts=FACTS, options={"installer": "/srv/omsagent.x64.sh"})
    assert planned[0]["status"] == "planned" and planned[0]["params"] == {"installer": "/srv/omsagent.x64.sh"}


def test_reinstall_covers_the_agent_restart():
    findings = [finding("Linux.OMSConfigClassCheck", action="reinstall_agent"),
                finding("Linux.OMSAgentStatusCheck", action="restart_agent")]
    steps = plan(findings, "linux", facts=FACTS, options={"installer": "/srv/omsagent.x64.sh"})
    assert [(s["action"], s["status"]) for s in steps] == [("reinstall_agent", "planned"), ("restart_agent", "skipped")]
    assert steps[1]["reason"] == "covered by reinstall_agent, which restarts the same service"


def test_reregister_findings_are_pointed_at_the_registration_module():
    steps = plan([finding("Linux.HybridWorkerStatusCheck", action="reregister")], "linux", facts=FACTS)
    assert steps[0]["status"] == "skipped"
    assert "azure_hrw.doctor.hrw_registration" in steps[0]["reason"] and "Linux.HybridWorkerStatusCheck" in steps[0]["reason"]


def test_findings_of_the_other_platform_or_unknown_actions_are_ignored():
    findings = [finding("Win.X", action="enable_tls12"), finding("Linux.Y", action="no_such_action")]
    assert plan(findings, "linux", facts=FACTS) == []


# ----------------------------------------------------------------------------- plan (Windows)


def expand(action, facts, options):
    return [{"op": "marker", "action": action}]


def test_auto_never_runs_a_destructive_fix_even_with_the_switch():
    findings = [finding("HealthServiceStateCheck", action="purge_health_service_state"),
                finding("HybridWorkerRegistrationCheck", action="remove_hybrid_registration")]
    steps = plan(findings, "windows", allow_destructive=True, facts={}, expand=expand)
    assert [s["status"] for s in steps] == ["skipped", "skipped"]
    assert all("name it in actions and set allow_destructive: true" in s["reason"] for s in steps)
    assert all("primitives" not in s for s in steps)


def test_named_destructive_with_switch_covers_the_service_restarts_and_gets_primitives():
    findings = [finding("HealthServiceStateCheck", result="Information", action="purge_health_service_state"),
                finding("HealthServiceCheck", action="restart_health_service"),
                finding("MmaStart", action="start_health_service"),
                finding("TlsCheck", action="enable_tls12")]
    steps = plan(findings, "windows", actions=["auto", "purge_health_service_state"], allow_destructive=True,
                 facts={}, expand=expand)
    assert [(s["action"], s["status"]) for s in steps] == [
        ("enable_tls12", "planned"), ("purge_health_service_state", "planned"),
        ("restart_health_service", "skipped"), ("start_health_service", "skipped")]
    assert steps[0]["reboot_required_after"] is True
    assert steps[1]["destructive"] is True and steps[1]["primitives"] == [{"op": "marker", "action": "purge_health_service_state"}]
    assert steps[2]["reason"] == "covered by purge_health_service_state, which restarts the same service"


def test_start_is_covered_by_a_planned_restart():
    findings = [finding("A", action="restart_health_service"), finding("B", action="start_health_service")]
    steps = plan(findings, "windows", facts={}, expand=expand)
    assert [(s["action"], s["status"]) for s in steps] == [("restart_health_service", "planned"), ("start_health_service", "skipped")]


# ----------------------------------------------------------------------------- manual steps, compare


def test_manual_steps_are_the_failures_no_action_fixes():
    findings = [finding("Linux.ClockSkewCheck", manual="sync the clock"),
                finding("Linux.OMSAgentStatusCheck", action="restart_agent"),
                finding("Linux.OsCheck", result="PassedWithWarning", manual="upgrade"),
                finding("Linux.Info", result="Information")]
    assert manual_steps(findings) == [
        {"RuleId": "Linux.ClockSkewCheck", "CheckResult": "Failed", "manual": "sync the clock"},
        {"RuleId": "Linux.OsCheck", "CheckResult": "PassedWithWarning", "manual": "upgrade"}]


def test_compare_tells_cleared_remaining_and_regressed():
    before = [finding("A"), finding("B"), finding("C", result="Passed"), finding("D", result="PassedWithWarning")]
    after = [finding("A", result="Passed"), finding("B"), finding("C"), finding("D", result="Information")]
    assert compare(before, after) == {"cleared": ["A", "D"], "remaining": ["B", "C"], "regressed": ["C"]}


def test_every_rule_action_plans_on_its_own_platform():
    # Each action a rule can name produces a planned step for a Failed finding when named
    # (with the switch and the installer): no action the rules promise is unplannable here.
    for action in sorted(set(a for a in repair_actions.ACTIONS.values() if not a.handled_by), key=lambda a: a.name):
        steps = plan([finding("R", action=action.name)], action.platform, actions=[action.name],
                     allow_destructive=True, options={"installer": "/srv/x.sh"}, facts=FACTS, expand=expand)
        assert steps[0]["action"] == action.name and steps[0]["status"] == "planned", (action.name, steps)


def test_every_action_is_documented_in_the_role_readme_and_the_module():
    import os
    from ansible_collections.azure_hrw.doctor.plugins.modules import hrw_repair
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..")
    with open(os.path.join(root, "roles", "repair", "README.md")) as handle:
        readme = handle.read()
    missing = [name for name, action in repair_actions.ACTIONS.items() if not action.handled_by
               and ("`%s`" % name not in readme or "V(%s)" % name not in hrw_repair.DOCUMENTATION)]
    assert missing == []
