# -*- coding: utf-8 -*-
"""The rule catalog: selection, evaluation, the findings contract, summary, docs coverage."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import finding as fb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "facts", "linux_v1_healthy.json")
DOC = os.path.join(ROOT, "docs", "rules.md")

CONTRACT_KEYS = sorted([
    "RuleId", "RuleGroupId", "RuleName", "RuleGroupName", "RuleDescription", "CheckResult",
    "CheckResultMessage", "CheckResultMessageId", "CheckResultMessageArguments", "evidence",
    "remediation", "scenario", "platform", "worker_generation"])

LINUX_IDS = [
    "Linux.OMSAgentInstallCheck",
    "Linux.OMSAgentStatusCheck",
    "Linux.HybridWorkerStatusCheck",
    "Linux.OMSConfigClassCheck",
    "Linux.AgentServiceConnectivityCheck",
    "Linux.JRDSConnectivityCheck",
    "Linux.LogAnalyticsConnectivityCheck1",
    "Linux.LogAnalyticsConnectivityCheck2",
    "Linux.LogAnalyticsConnectivityCheck3",
    "Linux.LogAnalyticsConnectivityCheck4",
]
SERVICEHEALTH = LINUX_IDS[:4]
CONNECTIVITY = LINUX_IDS[4:]


@pytest.fixture
def healthy():
    with open(FIXTURE) as f:
        return json.load(f)


def ids(rules):
    return [r.rule_id for r in rules]


def core(rule_ids):
    """Only the walking skeleton's rules (LINUX_IDS), in the order given: later rule modules
    add rules to the same groups, and their own tests cover them."""
    return [i for i in rule_ids if i in LINUX_IDS]


# --------------------------------------------------------------------------- listing

def test_check_results_constant():
    assert catalog.CHECK_RESULTS == ("Passed", "PassedWithWarning", "Failed", "Information",
                                     "Skipped")


def test_all_rules_ordered_and_unique():
    rules = catalog.all_rules()
    assert core(ids(rules)) == LINUX_IDS
    assert len(set(ids(rules))) == len(rules)
    for rule in rules:
        assert isinstance(rule, catalog.Rule)
        assert rule.platform in ("linux", "windows", "any")
        assert rule.generation in ("v1", "v2", "any")
        assert (rule.group_id, rule.group_name) in catalog.GROUPS
        assert rule.name and rule.description and rule.scenario
        assert callable(rule.check)
        assert sorted(rule.remediation) == ["action", "manual"]


def test_all_rules_returns_a_copy():
    catalog.all_rules().clear()
    assert catalog.rule_ids()


def test_rule_ids_and_group_ids_by_platform():
    assert core(catalog.rule_ids("linux")) == LINUX_IDS
    assert not [i for i in catalog.rule_ids("windows") if i.startswith("Linux.")]
    assert set(catalog.group_ids("linux")) >= {"servicehealth", "connectivity"}
    assert set(catalog.group_ids("linux")) <= set(g for g, _name in catalog.GROUPS)
    assert set(catalog.group_ids()) >= {"servicehealth", "connectivity"}


def test_linux_rules_attributes():
    for rule in catalog.all_rules():
        if rule.rule_id.startswith("Linux."):
            assert rule.platform == "linux" and rule.generation == "v1"
    assert catalog.get_rule("Linux.OMSAgentStatusCheck").group_name == "VM Service Health Checks"
    assert catalog.get_rule("Linux.JRDSConnectivityCheck").group_name == "Connectivity Checks"


# --------------------------------------------------------------------------- select_rules

@pytest.mark.parametrize("include", [None, []])
def test_select_all(include):
    assert ids(catalog.select_rules(include)) == catalog.rule_ids()


def test_select_by_rule_ids_keeps_catalog_order():
    got = catalog.select_rules(["Linux.JRDSConnectivityCheck", "Linux.OMSAgentInstallCheck"])
    assert ids(got) == ["Linux.OMSAgentInstallCheck", "Linux.JRDSConnectivityCheck"]


def test_select_by_group():
    assert core(ids(catalog.select_rules(["servicehealth"], platform="linux"))) == SERVICEHEALTH
    assert core(ids(catalog.select_rules(["connectivity"], platform="linux"))) == CONNECTIVITY
    for rule in catalog.select_rules(["servicehealth"]):
        assert rule.group_id == "servicehealth"


def test_select_group_and_id_do_not_duplicate():
    got = catalog.select_rules(["servicehealth", "Linux.OMSAgentStatusCheck"], platform="linux")
    assert core(ids(got)) == SERVICEHEALTH
    assert len(set(ids(got))) == len(got)


def test_exclude_ids_and_groups():
    got = catalog.select_rules(exclude=["connectivity", "Linux.OMSConfigClassCheck"],
                               platform="linux")
    assert core(ids(got)) == SERVICEHEALTH[:3]
    assert not [r for r in got if r.group_id == "connectivity"]
    got = catalog.select_rules(["connectivity"], exclude=["Linux.LogAnalyticsConnectivityCheck4"],
                               platform="linux")
    assert core(ids(got)) == CONNECTIVITY[:-1]


def test_exclude_everything_is_empty_not_all():
    assert catalog.select_rules(["servicehealth"], exclude=["servicehealth"]) == []


def test_comma_separated_string_accepted():
    got = catalog.select_rules("Linux.OMSAgentStatusCheck, connectivity", platform="linux")
    assert core(ids(got)) == ["Linux.OMSAgentStatusCheck"] + CONNECTIVITY


def test_unknown_entry_raises_naming_it_and_the_valid_ids():
    with pytest.raises(catalog.UnknownRuleError) as err:
        catalog.select_rules(["Linux.OMSAgentStatusCheck", "Linux.OMSAgentStatusChek"])
    e = err.value
    assert isinstance(e, ValueError)
    assert e.unknown == ["Linux.OMSAgentStatusChek"]
    assert e.valid_ids == catalog.rule_ids()
    assert e.valid_groups == catalog.group_ids()
    text = str(e)
    assert "'Linux.OMSAgentStatusChek'" in text
    for rid in catalog.rule_ids():
        assert rid in text
    for gid in catalog.group_ids():
        assert gid in text


def test_unknown_in_include_and_exclude_all_named():
    with pytest.raises(catalog.UnknownRuleError) as err:
        catalog.select_rules(["nope"], exclude=["nada", "connectivity"])
    assert err.value.unknown == ["nope", "nada"]
    assert "include/exclude" in str(err.value)


def test_unknown_in_exclude_only():
    with pytest.raises(catalog.UnknownRuleError) as err:
        catalog.select_rules(exclude=["Linux.Nope"])
    assert err.value.unknown == ["Linux.Nope"]
    assert "exclude" in str(err.value)


def test_ids_are_case_sensitive():
    with pytest.raises(catalog.UnknownRuleError):
        catalog.select_rules(["Connectivity"])
    with pytest.raises(catalog.UnknownRuleError):
        catalog.select_rules(["linux.omsagentstatuscheck"])


def test_platform_filter_after_validation_against_whole_catalog():
    # a Linux id is valid even when selecting for Windows: it just selects nothing there
    assert ids(catalog.select_rules(["Linux.OMSAgentStatusCheck"], platform="windows")) == []
    # a typo fails whatever the platform
    with pytest.raises(catalog.UnknownRuleError):
        catalog.select_rules(["Linux.Typo"], platform="windows")
    assert ids(catalog.select_rules(platform="linux")) == catalog.rule_ids("linux")


@pytest.mark.parametrize("bad", [[1], [None], 5, {"a": 1}])
def test_wrong_types_are_unknown_rule_errors_not_type_errors(bad):
    with pytest.raises(catalog.UnknownRuleError):
        catalog.select_rules(bad)


def test_get_rule_unknown():
    with pytest.raises(catalog.UnknownRuleError):
        catalog.get_rule("Nope")


# --------------------------------------------------------------------------- evaluate

def test_evaluate_one_finding_per_rule_in_catalog_order(healthy):
    rules = list(reversed(catalog.select_rules(platform="linux")))
    findings = catalog.evaluate(healthy, rules)
    assert [f["RuleId"] for f in findings] == catalog.rule_ids("linux")


def test_every_finding_has_exactly_the_contract_keys(healthy):
    findings = catalog.evaluate(healthy, catalog.all_rules(), {"controller_utc": "x"})
    assert findings
    for f in findings:
        assert sorted(f) == CONTRACT_KEYS
        assert f["CheckResult"] in catalog.CHECK_RESULTS
        assert f["CheckResultMessageId"].startswith("%s.%s" % (f["RuleId"], f["CheckResult"]))
        assert all(isinstance(a, str) for a in f["CheckResultMessageArguments"])
        assert isinstance(f["evidence"], dict)
        assert sorted(f["remediation"]) == ["action", "manual"]
        assert f["platform"] in ("linux", "windows", "any")
        assert f["worker_generation"] in ("v1", "v2", "any")
        json.dumps(f)  # serialisable as module output


def _rule(check, rule_id="Linux.OMSAgentStatusCheck"):
    base = catalog.get_rule(rule_id)
    return catalog.Rule(base.rule_id, base.group_id, base.name, base.group_name,
                        base.description, check, platform=base.platform,
                        generation=base.generation, scenario=base.scenario,
                        remediation=base.remediation)


def test_crashing_rule_becomes_skipped_and_others_still_run(healthy):
    def boom(facts, context):
        raise KeyError("agent")
    rules = [_rule(boom), catalog.get_rule("Linux.OMSAgentInstallCheck")]
    findings = catalog.evaluate(healthy, rules)
    assert [f["RuleId"] for f in findings] == ["Linux.OMSAgentInstallCheck",
                                               "Linux.OMSAgentStatusCheck"]
    crashed = findings[1]
    assert crashed["CheckResult"] == "Skipped"
    assert crashed["CheckResultMessageId"] == "Linux.OMSAgentStatusCheck.Skipped.RuleError"
    assert "rule itself failed" in crashed["CheckResultMessage"]
    assert crashed["evidence"] == {"exception": "KeyError", "error": "'agent'"}
    assert crashed["remediation"] == {"action": None, "manual": None}
    assert sorted(crashed) == CONTRACT_KEYS
    assert findings[0]["CheckResult"] == "Passed"


@pytest.mark.parametrize("returned", [None, "Passed", {"CheckResult": "Ok"},
                                      {"CheckResult": "Passed", "evidence": "x"}])
def test_rule_returning_garbage_is_skipped_not_passed(healthy, returned):
    [f] = catalog.evaluate(healthy, [_rule(lambda facts, context: returned)])
    assert f["CheckResultMessageId"] == "Linux.OMSAgentStatusCheck.Skipped.RuleError"


def test_rule_on_other_platform_is_skipped(healthy):
    healthy["platform"] = "windows"
    [f] = catalog.evaluate(healthy, [catalog.get_rule("Linux.OMSAgentStatusCheck")])
    assert f["CheckResultMessageId"] == "Linux.OMSAgentStatusCheck.Skipped.NotApplicablePlatform"
    assert f["platform"] == "linux"


@pytest.mark.parametrize("context", [None, {}])
def test_evaluate_context_optional(healthy, context):
    got = catalog.evaluate(healthy, catalog.all_rules(), context)
    assert len(got) == len(catalog.all_rules())


def test_context_passed_to_rule(healthy):
    seen = []

    def check(facts, context):
        seen.append(context)
        return fb.passed("ok")
    catalog.evaluate(healthy, [_rule(check)], {"controller_utc": "2026-11-25T20:00:00Z"})
    catalog.evaluate(healthy, [_rule(check)])
    assert seen == [{"controller_utc": "2026-11-25T20:00:00Z"}, {}]


def test_evaluate_does_not_mutate_facts(healthy):
    before = copy.deepcopy(healthy)
    catalog.evaluate(healthy, catalog.all_rules())
    assert healthy == before


def test_partial_overrides_remediation_and_scenario(healthy):
    def check(facts, context):
        return fb.failed("Why", "msg", arguments=[1, None], evidence={"a": 1},
                         remediation=fb.remediation("x", "do y"), scenario="s.md#z")
    [f] = catalog.evaluate(healthy, [_rule(check)])
    assert f["CheckResultMessageId"] == "Linux.OMSAgentStatusCheck.Failed.Why"
    assert f["CheckResultMessageArguments"] == ["1", ""]
    assert f["remediation"] == {"action": "x", "manual": "do y"}
    assert f["scenario"] == "s.md#z"


def test_default_remediation_and_scenario_from_rule(healthy):
    rule = catalog.get_rule("Linux.OMSAgentStatusCheck")
    [f] = catalog.evaluate(healthy, [_rule(lambda facts, context: fb.failed(None, "down"))])
    assert f["remediation"] == rule.remediation
    assert f["scenario"] == rule.scenario
    [f] = catalog.evaluate(healthy, [_rule(lambda facts, context: fb.warning("W", "meh"))])
    assert f["remediation"] == rule.remediation


@pytest.mark.parametrize("helper", [
    lambda: fb.passed("ok"), lambda: fb.information("I", "info"), lambda: fb.skipped("S", "no")])
def test_no_repair_action_unless_failed_or_warning(healthy, helper):
    [f] = catalog.evaluate(healthy, [_rule(lambda facts, context: helper())])
    assert f["remediation"] == {"action": None, "manual": None}


# --------------------------------------------------------------------------- finding helpers

def test_message_id_forms():
    assert fb.message_id("R", "Passed") == "R.Passed"
    assert fb.message_id("R", "Failed", "Dns") == "R.Failed.Dns"
    assert fb.message_id("R", "Failed", "Failed.Dns") == "R.Failed.Dns"


def test_result_rejects_unknown_check_result():
    with pytest.raises(ValueError):
        fb.result("Ok", "msg")


def test_rule_rejects_bad_platform_and_generation():
    with pytest.raises(ValueError):
        catalog.Rule("X", "g", "n", "gn", "d", lambda f, c: None, platform="mac")
    with pytest.raises(ValueError):
        catalog.Rule("X", "g", "n", "gn", "d", lambda f, c: None, generation="v3")


# --------------------------------------------------------------------------- summarize

def test_summarize_counts(healthy):
    rules = catalog.select_rules(LINUX_IDS, platform="linux")
    findings = catalog.evaluate(healthy, rules)
    s = catalog.summarize(findings)
    assert s == {"Passed": len(rules) - 2, "PassedWithWarning": 0, "Failed": 0, "Information": 0,
                 "Skipped": 2, "total": len(rules)}


def test_summarize_empty():
    assert catalog.summarize([]) == {"Passed": 0, "PassedWithWarning": 0, "Failed": 0,
                                     "Information": 0, "Skipped": 0, "total": 0}


def test_summarize_mixed():
    findings = [{"CheckResult": r} for r in
                ("Passed", "Failed", "Failed", "Information", "PassedWithWarning", "Skipped")]
    assert catalog.summarize(findings) == {"Passed": 1, "PassedWithWarning": 1, "Failed": 2,
                                           "Information": 1, "Skipped": 1, "total": 6}


# --------------------------------------------------------------------------- docs

def test_every_rule_and_group_is_documented():
    with open(DOC) as f:
        doc = f.read()
    missing = [r.rule_id for r in catalog.all_rules() if "`%s`" % r.rule_id not in doc]
    assert missing == [], "docs/rules.md lacks %s" % missing
    for gid, gname in catalog.GROUPS:
        if gid in catalog.group_ids():
            assert "`" + gid + "`" in doc and gname in doc


# Every rule of Microsoft's UM_Linux_Troubleshooter_Offline.py (reference §2), by its id.
OFFICIAL_LINUX_IDS = [
    "Linux.OperatingSystemCheck", "Linux.DmidecodeCheck", "Linux.OMSAgentInstallCheck",
    "Linux.OMSAgentStatusCheck", "Linux.MultiHomingCheck", "Linux.HybridWorkerPackgeCheck",
    "Linux.HybridWorkerStatusCheck", "Linux.ProxyCheck", "Linux.ImdsCheck",
    "Linux.InternetConnectionCheck", "Linux.AgentServiceConnectivityCheck",
    "Linux.JRDSConnectivityCheck", "Linux.LogAnalyticsConnectivityCheck1",
    "Linux.LogAnalyticsConnectivityCheck2", "Linux.LogAnalyticsConnectivityCheck3",
    "Linux.LogAnalyticsConnectivityCheck4", "Linux.ReposAccessCheck",
]


def test_every_official_linux_rule_has_a_rule_of_the_same_id():
    assert [i for i in OFFICIAL_LINUX_IDS if i not in catalog.rule_ids("linux")] == []
    with open(DOC) as f:
        coverage = f.read().split("## Microsoft's Linux troubleshooter: coverage", 1)[1]
    assert [i for i in OFFICIAL_LINUX_IDS if "`%s`" % i not in coverage and i[-1] not in "234"] == []
