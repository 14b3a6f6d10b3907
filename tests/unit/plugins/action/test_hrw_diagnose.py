# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ``hrw_diagnose`` action plugin.

The plugin is built with mocked task / connection as ansible.windows' action tests do, and
the module execution is replaced at the ``_execute_module`` boundary (DESIGN §6); the set-up
is shared with the Windows tests in action_harness.py.
"""

from __future__ import annotations

import datetime
import os
import re

import pytest

from unittest.mock import MagicMock

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils import _diagnose
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.action import action_harness
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import module_docs

HEALTHY = "linux_v1_healthy.json"


# A recorded document is old by the time a test runs: stamp it with the time the tests
# started, as the collector would, so the clock check compares it with a live controller time.
_NOW = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def healthy_facts():
    """The recorded healthy Linux V1 host that the rule tests use too."""
    return action_harness.recorded(HEALTHY, utc_now=_NOW)


def module_ok(facts):
    return action_harness.module_ok(facts, discovered_interpreter_python="/usr/bin/python3")


def make_action(args=None, windows=False, check_mode=False, module_result=None, facts=None):
    if module_result is None:
        module_result = module_ok(healthy_facts() if facts is None else facts)
    return action_harness.make_action(args, module_result, windows=windows, check_mode=check_mode)


def finding(rule_id, check_result, message="message"):
    rule = catalog.get_rule(rule_id)
    return {
        "RuleId": rule.rule_id, "RuleGroupId": rule.group_id, "RuleName": rule.name,
        "RuleGroupName": rule.group_name, "RuleDescription": rule.description,
        "CheckResult": check_result, "CheckResultMessage": message,
        "CheckResultMessageId": "%s.%s" % (rule_id, check_result), "CheckResultMessageArguments": [],
        "evidence": {}, "remediation": {"action": None, "manual": None}, "scenario": None,
        "platform": "linux", "worker_generation": "v1",
    }


@pytest.fixture
def canned_findings(monkeypatch):
    """Replace rule evaluation with a settable list of findings (to test fail_on alone)."""
    return action_harness.canned_findings(monkeypatch)


def linux_ids():
    ids = catalog.rule_ids(platform="linux")
    assert len(ids) >= 5, "these tests need at least five Linux rules in the catalog"
    return ids


# --- the happy path ----------------------------------------------------------------


def test_one_module_call_with_right_name_and_args():
    plugin, fake = make_action({"probe_timeout": 5, "probe_endpoints": False})
    result = plugin.run(task_vars={"inventory_hostname": "h1"})

    assert len(fake.calls) == 1
    call = fake.calls[0]
    assert call["module_name"] == "azure_hrw.doctor.hrw_facts"
    assert call["module_args"] == {"probe_timeout": 5.0, "probe_endpoints": False}
    assert isinstance(call["module_args"]["probe_timeout"], float)
    assert call["task_vars"] == {"inventory_hostname": "h1"}
    assert result["changed"] is False
    assert not result.get("failed")


def test_defaults_sent_to_the_collector():
    plugin, fake = make_action({})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_args"] == {"probe_timeout": 3.0, "probe_endpoints": True}


def test_result_shape_on_healthy_host():
    facts = healthy_facts()
    plugin, dummy = make_action({})
    result = plugin.run(task_vars={})

    linux_rules = catalog.select_rules(platform="linux")
    assert [f["RuleId"] for f in result["findings"]] == [r.rule_id for r in linux_rules]
    for f in result["findings"]:
        assert set(catalog.FINDING_KEYS) <= set(f)
        assert f["CheckResult"] in catalog.CHECK_RESULTS

    summary = result["summary"]
    assert summary == catalog.summarize(result["findings"])
    assert summary["total"] == len(result["findings"])
    assert set(catalog.CHECK_RESULTS) <= set(summary)

    # a healthy public-cloud host: only the Government-only endpoints are skipped, and those
    # not-applicable skips stay out of the digest
    # (the update log is only ever reported as Information)
    non_passed = [f for f in result["findings"] if f["CheckResult"] != "Passed"
                  and f["CheckResultMessageId"] != "Linux.UpdateLogCheck.Information"]
    assert {f["CheckResultMessageId"].split(".", 2)[-1] for f in non_passed} == {"Skipped.NotApplicable"}
    assert [line for line in result["digest"] if "Linux.UpdateLogCheck:" not in line] == []

    assert result["facts"] == facts
    diag = result["ansible_facts"]["hrw_diagnosis"]
    assert diag["summary"] == summary
    assert diag["findings"] == result["findings"]
    assert diag["facts_schema"] == 1
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", diag["collected_at"])
    # the document itself is not duplicated into host facts, other module facts are kept
    assert "hrw_facts" not in result["ansible_facts"]
    assert result["ansible_facts"]["discovered_interpreter_python"] == "/usr/bin/python3"
    assert isinstance(result["msg"], str) and "rules" in result["msg"]


def test_healthy_fixture_has_no_failed_findings():
    plugin, dummy = make_action({"fail_on": "failed"})
    result = plugin.run(task_vars={})
    assert result["summary"]["Failed"] == 0, result["digest"]
    assert not result.get("failed")


def test_broken_host_real_rules_digest_and_fail_on():
    facts = healthy_facts()
    facts["processes"] = []  # no omsagent, no manager, no worker
    plugin, dummy = make_action({"fail_on": "failed"}, facts=facts)
    result = plugin.run(task_vars={})

    assert result["summary"]["Failed"] >= 1
    assert result["failed"] is True
    assert result["digest"][0].startswith("Failed")
    failed_ids = [f["RuleId"] for f in result["findings"] if f["CheckResult"] == "Failed"]
    for rule_id in failed_ids:
        assert rule_id in result["msg"]
    assert result["findings"]  # the findings are still returned on a failed task


def test_controller_context_passed_to_rules(canned_findings):
    plugin, dummy = make_action({"probe_endpoints": False})
    plugin.run(task_vars={})
    assert canned_findings["context"]["probe_endpoints"] is False
    stamp = canned_findings["context"]["controller_utc"]
    parsed = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((now - parsed).total_seconds()) < 120


def test_warnings_of_the_collector_are_kept():
    result = module_ok(healthy_facts())
    result["warnings"] = ["could not read /proc/1/cmdline"]
    plugin, dummy = make_action({}, module_result=result)
    assert plugin.run(task_vars={})["warnings"] == ["could not read /proc/1/cmdline"]


def test_check_mode_still_collects_once():
    plugin, fake = make_action({}, check_mode=True)
    result = plugin.run(task_vars={})
    assert len(fake.calls) == 1
    assert result["changed"] is False


# --- rule selection --------------------------------------------------------------------


def test_include_and_exclude_select_rules(canned_findings):
    ids = linux_ids()
    plugin, dummy = make_action({"rules": {"include": ids[:2], "exclude": [ids[1]]}})
    plugin.run(task_vars={})
    assert canned_findings["rules"] == [ids[0]]


def test_include_group(canned_findings):
    group = catalog.group_ids(platform="linux")[0]
    plugin, dummy = make_action({"rules": {"include": [group]}})
    plugin.run(task_vars={})
    expected = [r.rule_id for r in catalog.all_rules() if r.group_id == group and r.platform in ("linux", "any")]
    assert canned_findings["rules"] == expected


def test_unknown_rule_fails_before_any_module_call():
    plugin, fake = make_action({"rules": {"include": ["Linux.NoSuchCheck"], "exclude": ["nogroup"]}})
    with pytest.raises(AnsibleActionFail) as exc:
        plugin.run(task_vars={})
    msg = str(exc.value)
    assert fake.calls == []
    assert "Linux.NoSuchCheck" in msg and "nogroup" in msg
    for rule_id in catalog.rule_ids():
        assert rule_id in msg
    for group in catalog.group_ids():
        assert group in msg


# --- argument validation ---------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, 60.5, 1000, "abc"])
def test_bad_probe_timeout_fails_before_any_module_call(value):
    plugin, fake = make_action({"probe_timeout": value})
    with pytest.raises(AnsibleActionFail) as exc:
        plugin.run(task_vars={})
    assert "probe_timeout" in str(exc.value)
    assert fake.calls == []


@pytest.mark.parametrize("value", [0.1, 60, "7.5"])
def test_good_probe_timeout(value):
    plugin, fake = make_action({"probe_timeout": value})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_args"]["probe_timeout"] == float(value)


def test_bad_fail_on_fails_before_any_module_call():
    plugin, fake = make_action({"fail_on": "sometimes"})
    with pytest.raises(AnsibleActionFail) as exc:
        plugin.run(task_vars={})
    assert "fail_on" in str(exc.value)
    assert "never" in str(exc.value) and "warning" in str(exc.value)
    assert fake.calls == []


@pytest.mark.parametrize("args, field", [
    ({"rule": {"include": []}}, "rule"),
    ({"rules": {"includes": []}}, "includes"),
    ({"rules": ["Linux.OMSAgentStatusCheck"]}, "rules"),
])
def test_malformed_options_fail_before_any_module_call(args, field):
    plugin, fake = make_action(args)
    with pytest.raises(AnsibleActionFail) as exc:
        plugin.run(task_vars={})
    assert field in str(exc.value)
    assert fake.calls == []


# --- fail_on ----------------------------------------------------------------------------


@pytest.mark.parametrize("results, fail_on, should_fail", [
    (["Passed", "Passed"], "never", False),
    (["Failed", "PassedWithWarning"], "never", False),
    (["Passed", "Information", "Skipped"], "failed", False),
    (["Passed", "PassedWithWarning"], "failed", False),
    (["Passed", "Failed"], "failed", True),
    (["Passed", "Information", "Skipped"], "warning", False),
    (["Passed", "PassedWithWarning"], "warning", True),
    (["Failed", "Passed"], "warning", True),
])
def test_fail_on(canned_findings, results, fail_on, should_fail):
    ids = linux_ids()
    canned_findings["findings"] = [finding(ids[i], r, "message %d" % i) for i, r in enumerate(results)]
    plugin, fake = make_action({"fail_on": fail_on})
    result = plugin.run(task_vars={})

    assert len(fake.calls) == 1
    assert bool(result.get("failed")) is should_fail
    assert result["changed"] is False
    assert len(result["findings"]) == len(results)
    if should_fail:
        assert "fail_on=%s" % fail_on in result["msg"]
        bad = [ids[i] for i, r in enumerate(results) if r == "Failed" or (fail_on == "warning" and r == "PassedWithWarning")]
        for rule_id in bad:
            assert rule_id in result["msg"]


def test_digest_is_worst_first_and_leaves_out_passed_and_not_applicable(canned_findings):
    ids = linux_ids()
    canned_findings["findings"] = [
        finding(ids[0], "Information", "for your information"),
        finding(ids[1], "Passed", "all good"),
        finding(ids[2], "PassedWithWarning", "look at this"),
        finding(ids[3], "Failed", "The OMS agent process\n is not running"),
        finding(ids[4], "Skipped", "not checked"),
        dict(finding(ids[5], "Skipped", "not applicable in this cloud"),
             CheckResultMessageId="%s.Skipped.NotApplicable" % ids[5]),
    ]
    plugin, dummy = make_action({})
    result = plugin.run(task_vars={})
    width = len("PassedWithWarning")
    assert result["digest"] == [
        "Failed".ljust(width) + " %s: The OMS agent process is not running" % ids[3],
        "PassedWithWarning %s: look at this" % ids[2],
        "Information".ljust(width) + " %s: for your information" % ids[0],
        "Skipped".ljust(width) + " %s: not checked" % ids[4],
    ]  # the not-applicable skip is counted, not listed
    assert result["summary"]["Failed"] == 1 and result["summary"]["Skipped"] == 2
    assert result["summary"]["total"] == 6


# --- dispatch and failures --------------------------------------------------------------


def test_linux_collector_never_gets_the_windows_only_options(canned_findings):
    plugin, fake = make_action({"hybrid_worker_group": "hrw-group-1",
                                "run_as_certificate_thumbprint": "3f2a9c0d4b5e6f708192a3b4c5d6e7f8091a2b3c",
                                "automation_account_region": "westeurope"})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_name"] == "azure_hrw.doctor.hrw_facts"
    assert set(fake.calls[0]["module_args"]) == {"probe_timeout", "probe_endpoints", "automation_account_region"}
    # ...but the rules see them (the Windows rules use them; Linux rules may ignore them)
    assert canned_findings["context"]["hybrid_worker_group"] == "hrw-group-1"
    assert canned_findings["context"]["run_as_certificate_thumbprint"] == "3F2A9C0D4B5E6F708192A3B4C5D6E7F8091A2B3C"


def test_windows_shell_still_validates_rules_first():
    plugin, fake = make_action({"rules": {"include": ["Bogus"]}}, windows=True)
    with pytest.raises(AnsibleActionFail):
        plugin.run(task_vars={})
    assert fake.calls == []


def test_module_failure_is_passed_through():
    plugin, fake = make_action({}, module_result={
        "failed": True, "msg": "Permission denied: /var/opt/microsoft", "rc": 1,
        "module_stderr": "Traceback ...",
    })
    result = plugin.run(task_vars={})
    assert len(fake.calls) == 1
    assert result["failed"] is True
    assert "azure_hrw.doctor.hrw_facts" in result["msg"]
    assert "Permission denied: /var/opt/microsoft" in result["msg"]
    assert result["module_stderr"] == "Traceback ..."
    assert "findings" not in result


@pytest.mark.parametrize("module_result, expected", [
    ({"failed": True, "msg": "bad"}, "bad"),
    ({"failed": True, "exception": MagicMock(event=MagicMock(msg="boom in collector"))}, "boom in collector"),
    ({"failed": True, "module_stderr": "Traceback\nPermissionError: denied\n\n"}, "PermissionError: denied"),
    ({"failed": True, "rc": 2}, "exit code 2"),
    ({"failed": True}, "no message"),
])
def test_module_failure_message_fallbacks(module_result, expected):
    plugin, dummy = make_action({}, module_result=module_result)
    result = plugin.run(task_vars={})
    assert result["failed"] is True
    assert expected in result["msg"]


def test_unreachable_is_passed_through():
    plugin, dummy = make_action({}, module_result={"unreachable": True, "msg": "ssh: connect to host"})
    result = plugin.run(task_vars={})
    assert result["unreachable"] is True
    assert result["msg"] == "ssh: connect to host"


@pytest.mark.parametrize("bad, expected", [
    ({"changed": False, "ansible_facts": {}}, "no facts document"),
    ({"changed": False}, "no facts document"),
    ({"changed": False, "ansible_facts": {"hrw_facts": {"schema": 99, "platform": "linux"}}}, "schema 99"),
    ({"changed": False, "ansible_facts": {"hrw_facts": {"schema": 1, "platform": "aix"}}}, "platform 'aix'"),
])
def test_unusable_facts_document_fails(bad, expected):
    plugin, dummy = make_action({}, module_result=bad)
    result = plugin.run(task_vars={})
    assert result["failed"] is True
    assert expected in result["msg"]


# --- helpers ----------------------------------------------------------------------------


def test_utc_now_iso():
    moment = datetime.datetime(2026, 11, 25, 21, 0, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert _diagnose.utc_now_iso(moment) == "2026-11-25T20:00:05Z"
    assert _diagnose.utc_now_iso().endswith("Z")


def test_fail_on_decision_rejects_unknown_choice():
    with pytest.raises(ValueError):
        _diagnose.fail_on_decision([], "always")


def test_summary_line():
    line = _diagnose.summary_line({"Passed": 3, "PassedWithWarning": 1, "Failed": 2, "Information": 0,
                                   "Skipped": 0, "total": 6})
    assert line.startswith("2 Failed, 1 PassedWithWarning, 0 Information, 0 Skipped, 3 Passed")
    assert line.endswith("(6 rules)")


# --- documentation and role stay in step with the code ----------------------------------

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def _module_doc():
    import ast

    import yaml

    path = os.path.join(_ROOT, "plugins", "modules", "hrw_diagnose.py")
    with open(path) as f:
        tree = ast.parse(f.read())
    docs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            docs[node.targets[0].id] = yaml.safe_load(node.value.value)
    return docs


def _compare_spec(doc_options, spec):
    assert set(doc_options) == set(spec)
    for name, opt in spec.items():
        doc = doc_options[name]
        assert doc["type"] == opt["type"], name
        assert doc.get("default") == opt.get("default"), name
        assert doc.get("choices") == opt.get("choices"), name
        assert doc.get("elements") == opt.get("elements"), name
        if "options" in opt:
            _compare_spec(doc["suboptions"], opt["options"])


def test_module_documentation_matches_the_argument_spec():
    docs = _module_doc()
    assert set(docs) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    # The options as ansible-doc renders them (with the azure_hrw.doctor.probe fragment).
    _compare_spec(module_docs.rendered("hrw_diagnose")["options"], _diagnose.diagnose_argument_spec())
    finding_doc = docs["RETURN"]["findings"]["contains"]
    assert set(finding_doc) == set(catalog.FINDING_KEYS)
    assert set(docs["RETURN"]["summary"]["contains"]) == set(catalog.CHECK_RESULTS) | {"total"}


def test_role_defaults_match_argument_specs_and_action_defaults():
    import yaml

    role = os.path.join(_ROOT, "roles", "diagnose")
    with open(os.path.join(role, "defaults", "main.yml")) as f:
        defaults = yaml.safe_load(f)
    with open(os.path.join(role, "meta", "argument_specs.yml")) as f:
        options = yaml.safe_load(f)["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options)
    # ansible-lint's var-naming[no-role-prefix] is skipped for hrw_<role>_ names: hold the line here
    assert all(name.startswith("hrw_diagnose_") for name in defaults)
    for name, value in defaults.items():
        assert options[name]["default"] == value, name
    spec = _diagnose.diagnose_argument_spec()
    assert defaults["hrw_diagnose_probe_timeout"] == spec["probe_timeout"]["default"]
    assert defaults["hrw_diagnose_probe_endpoints"] == spec["probe_endpoints"]["default"]
    assert defaults["hrw_diagnose_fail_on"] == spec["fail_on"]["default"]
    assert options["hrw_diagnose_fail_on"]["choices"] == spec["fail_on"]["choices"]


# --- expectations -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["expected_workspace_id", "automation_account_id"])
def test_malformed_guid_fails_before_any_module_call(field):
    plugin, fake = make_action({field: "not-a-guid"})
    with pytest.raises(AnsibleActionFail, match=field + " must be a GUID"):
        plugin.run(task_vars={})
    assert fake.calls == []


def test_expectations_reach_rules_and_account_reaches_collector(canned_findings):
    account = "ACC0C0DE-0000-4B2C-8D3E-4F5A6B7C8D9E"
    plugin, fake = make_action({"expected_workspace_id": " 5E1AB0C0-DE00-4A1B-9C2D-3E4F5A6B7C8D ",
                                "automation_account_id": account,
                                "automation_account_region": "westeurope", "workspace_region": "westeurope"})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_args"]["automation_account_id"] == account.lower()
    assert fake.calls[0]["module_args"]["automation_account_region"] == "westeurope"
    assert "expected_workspace_id" not in fake.calls[0]["module_args"]
    context = canned_findings["context"]
    assert context["expected_workspace_id"] == "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
    assert context["workspace_region"] == "westeurope"


@pytest.mark.parametrize("field", ["automation_account_region", "workspace_region"])
def test_unknown_region_fails_before_any_module_call_naming_field_and_valid_names(field):
    plugin, fake = make_action({field: "Westeros North"})
    with pytest.raises(AnsibleActionFail) as exc:
        plugin.run(task_vars={})
    text = str(exc.value)
    assert field + " must be an Azure region name" in text
    assert "'Westeros North'" in text
    assert "westeurope" in text and "usgovvirginia" in text  # the valid names are listed
    assert fake.calls == []


def test_region_names_are_normalised(canned_findings):
    plugin, fake = make_action({"automation_account_region": "East US 2", "workspace_region": "East-US"})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_args"]["automation_account_region"] == "eastus2"
    assert canned_findings["context"]["automation_account_region"] == "eastus2"
    assert canned_findings["context"]["workspace_region"] == "eastus"
