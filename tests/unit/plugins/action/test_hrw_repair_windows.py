# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hrw_repair on a Windows shell, end to end on the controller: recorded facts documents of a
faulty host go through the real rules and planner; the executor's answer is a recorded result
of win_hrw_remediate (tests/unit/fixtures/windows_remediate), and the check that the plan the
plugin sends is exactly the one that recording was made with. The collection after the repair
returns the healthy recording, so verification runs the real rules again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.action.hrw_repair import ActionModule
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._diagnose import utc_now_iso
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.action.action_harness import (
    make_action,
    module_ok,
    recorded,
)

RECORDINGS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "windows_remediate")
# The context the Windows fault recordings were made for (tests/unit/fixtures/facts/windows_faults.yml).
CONTEXT = {"expected_workspace_id": "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d",
           "automation_account_id": "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f",
           "automation_account_region": "westeurope", "workspace_region": "westeurope",
           "hybrid_worker_group": "hrw-group-1"}


def recording(name):
    with open(os.path.join(RECORDINGS, name + ".json")) as handle:
        return json.load(handle)


def windows_host(before, executor, after="windows_ws2019_healthy.json"):
    calls = {"collector": 0}

    def answer(module_name, module_args):
        if module_name == "azure_hrw.doctor.win_hrw_facts":
            calls["collector"] += 1
            return module_ok(recorded(before if calls["collector"] == 1 else after, utc_now=utc_now_iso()))
        assert module_name == "azure_hrw.doctor.win_hrw_remediate", module_name
        return executor
    return answer


def run(args, before, executor_recording, check_mode=False, after="windows_ws2019_healthy.json"):
    executor = recording(executor_recording)
    plugin, fake = make_action(dict(CONTEXT, **args), windows_host(before, executor, after), windows=True,
                               check_mode=check_mode, action_class=ActionModule, action="azure_hrw.doctor.hrw_repair",
                               diff=True)
    result = plugin.run(task_vars={})
    return result, fake, executor


def sent_steps(fake):
    calls = [c for c in fake.calls if c["module_name"] == "azure_hrw.doctor.win_hrw_remediate"]
    assert len(calls) == 1
    return calls[0]["module_args"]["steps"]


def test_tls12_is_applied_verified_and_reports_the_reboot_it_needs():
    result, fake, executor = run({}, "windows_fault_tls12_disabled.json", "tls12_applied_reboot")
    assert sent_steps(fake) == executor["invocation"]["module_args"]["steps"]
    assert [c["module_name"] for c in fake.calls] == [
        "azure_hrw.doctor.win_hrw_facts", "azure_hrw.doctor.win_hrw_remediate", "azure_hrw.doctor.win_hrw_facts"]
    assert result.get("failed") is not True, result["msg"]
    assert result["reboot_required"] is True and result["steps"][0]["reboot_required"] is True
    assert "TlsVersionCheck" in result["cleared"] and result["regressed"] == []
    assert result["diff"] == [s["diff"] for s in executor["steps"] if s.get("diff")]


def test_purge_needs_the_switch_then_backs_up_and_restarts_the_agent_once():
    result, fake, executor = run({"actions": ["purge_health_service_state"], "allow_destructive": True},
                                 "windows_fault_corrupt_cache.json", "purge_applied")
    steps = sent_steps(fake)
    assert steps == executor["invocation"]["module_args"]["steps"]
    ops = [p["op"] for p in steps[0]["primitives"]]
    assert ops == ["service_stop", "folder_archive_remove", "service_start"]
    assert result["backups"] == executor["backups"] and result["backups"][0]["backup"].endswith(".zip")
    assert result["steps"][0]["status"] == "applied" and result["changed"] is True


def test_purge_in_check_mode_changes_nothing_and_is_not_verified():
    result, fake, executor = run({"actions": ["purge_health_service_state"], "allow_destructive": True},
                                 "windows_fault_corrupt_cache.json", "purge_check_mode", check_mode=True)
    assert sent_steps(fake) == executor["invocation"]["module_args"]["steps"]
    assert len(fake.calls) == 2 and result["verified"] is False and result["findings_after"] is None
    assert [s["status"] for s in result["steps"]] == ["would_apply"]
    assert result["msg"].startswith("would apply purge_health_service_state")


def test_windows_update_service_is_enabled_by_auto():
    result, fake, executor = run({}, "windows_fault_wu_disabled.json", "wu_applied")
    step = sent_steps(fake)[0]
    assert step == executor["invocation"]["module_args"]["steps"][0]
    assert "WUServiceRunningCheck" in result["cleared"]


def test_windows_update_service_in_check_mode_would_enable_and_start_it():
    # wuauserv Disabled: check mode must not fail on the start the earlier start type would allow
    result, fake, executor = run({}, "windows_fault_wu_disabled.json", "wu_check_mode", check_mode=True)
    assert sent_steps(fake) == executor["invocation"]["module_args"]["steps"]
    assert result.get("failed") is not True, result["msg"]
    assert result["steps"][0]["action"] == "enable_windows_update_service"
    assert {s["status"] for s in result["steps"]} == {"would_apply"} and result["changed"] is True


def test_already_registered_is_removed_only_when_named_with_the_switch():
    result, fake, executor = run({"actions": ["remove_hybrid_registration"], "allow_destructive": True},
                                 "windows_fault_already_registered.json", "registration_removed",
                                 after="windows_fault_hybrid_registration_missing.json")
    assert sent_steps(fake) == executor["invocation"]["module_args"]["steps"]
    assert "HybridWorkerRegistrationCheck" in result["cleared"]
    assert result["backups"][0]["backup"].endswith(".reg")
    auto, fake, dummy = run({}, "windows_fault_already_registered.json", "registration_removed")
    assert [c["module_name"] for c in fake.calls] == ["azure_hrw.doctor.win_hrw_facts"]
    step = [s for s in auto["steps"] if s["action"] == "remove_hybrid_registration"][0]
    assert step["status"] == "skipped" and "allow_destructive: true" in step["reason"]


def test_a_failed_primitive_fails_the_host_and_is_not_verified_as_fixed():
    # The recording also holds a restart that this host's findings do not ask for (so it is not
    # planned here); the grant step is sent exactly as recorded and its failure fails the host.
    result, fake, executor = run({}, "windows_fault_machinekeys_denied.json", "acl_failed")
    assert sent_steps(fake) == executor["invocation"]["module_args"]["steps"][:1]
    assert result["failed"] is True and "step(s) failed: grant_machine_keys_system" in result["msg"]
    assert result["steps"][0]["status"] == "failed" and result["steps"][0]["msg"] == executor["steps"][0]["msg"]
    assert result["changed"] is False and len(fake.calls) == 2  # nothing changed: no second collection


@pytest.mark.parametrize("before, action", [
    ("windows_fault_agent_stopped.json", "start_health_service"),
    ("windows_fault_machinekeys_denied.json", "grant_machine_keys_system"),
])
def test_auto_plans_the_fix_the_failed_rule_names(before, action):
    plugin, fake = make_action(dict(CONTEXT), windows_host(before, {"changed": False, "steps": []}), windows=True,
                               check_mode=True, action_class=ActionModule, action="azure_hrw.doctor.hrw_repair")
    plugin.run(task_vars={})
    assert [s["action"] for s in sent_steps(fake)] == [action]
