# -*- coding: utf-8 -*-
"""The fleet (cross-host) rules over recorded facts documents, copied and mutated into
clones, spread groups, mixed versions and duplicate names: every result path, the findings
contract plus ``hosts``, and the docs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog, fleet_rules
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import finding as fb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FACTS = os.path.join(ROOT, "tests", "unit", "fixtures", "facts")
DOC = os.path.join(ROOT, "docs", "rules.md")

FLEET_IDS = ["Fleet.ClonedMachineCheck", "Fleet.GroupWorkspaceCheck", "Fleet.GroupVersionCheck",
             "Fleet.DuplicateNameCheck"]
OTHER_WS = "5e1ab0c0-de00-4a1b-9c2d-0000000000ff"
OTHER_ACCOUNT = "acc0c0de-0000-4b2c-8d3e-4f5a6b7c8d9e"


def _load(name):
    with open(os.path.join(FACTS, name + ".json")) as handle:
        return json.load(handle)


_CACHE = {}


def doc(name):
    """A fresh copy of a recorded document."""
    if name not in _CACHE:
        _CACHE[name] = _load(name)
    return copy.deepcopy(_CACHE[name])


def linux(hostname, machine_id, agent_guid, agent_thumb, diy_thumb, group="linux-group-1", version=None):
    """The recorded Linux host made into another machine: its own name and identities."""
    d = doc("linux_v1_healthy")
    d["host"]["hostname"] = hostname
    d["host"]["machine_id"] = machine_id
    d["agent"]["omsadmin"]["AGENT_GUID"] = agent_guid
    d["worker_state"]["agent_certificate"]["thumbprint"] = agent_thumb
    d["worker_state"]["user_worker_certificate"]["thumbprint"] = diy_thumb
    d["worker"]["user_worker_conf"]["worker-required"]["hybrid_worker_group_name"] = group
    d["worker"]["system_worker_conf"]["worker-required"]["hybrid_worker_group_name"] = "%s_%s" % (hostname, agent_guid)
    if version:
        d["worker"]["version"] = version
    return d


def lin(n, **kwargs):
    return linux("hrw-%02d" % n, "%032x" % n, "00000000-0000-4000-8000-%012x" % n, "A%039X" % n, "D%039X" % n,
                 **kwargs)


def windows_fleet():
    """The three recorded healthy Windows hosts: same group, account and workspace; distinct names and GUIDs."""
    return dict((n, doc("windows_%s_healthy" % n)) for n in ("ws2016", "ws2019", "ws2022"))


def fleet():
    hosts = windows_fleet()
    hosts.update({"lin1": lin(1), "lin2": lin(2), "lin3": lin(3)})
    return hosts


def run(facts_by_host, rule_id):
    findings = fleet_rules.evaluate_fleet(facts_by_host)
    return [f for f in findings if f["RuleId"] == rule_id][0]


# --------------------------------------------------------------------------- shape


def test_rules_and_ids():
    assert [r.rule_id for r in fleet_rules.RULES] == FLEET_IDS
    for rule in fleet_rules.RULES:
        assert (rule.group_id, rule.group_name) == fb.FLEET == ("fleet", "Fleet Checks")
        assert rule.platform == "any" and rule.generation == "any"
        assert rule.scenario and rule.message_ids


def test_fleet_rules_are_not_in_the_host_catalog():
    ids = set(catalog.rule_ids())
    assert not ids & set(FLEET_IDS)
    assert "fleet" not in catalog.group_ids()
    with pytest.raises(catalog.UnknownRuleError):
        catalog.select_rules(include=["Fleet.ClonedMachineCheck"])
    with pytest.raises(catalog.UnknownRuleError):
        catalog.select_rules(include=["fleet"])


def test_every_finding_has_the_contract_keys_and_hosts():
    findings = fleet_rules.evaluate_fleet(fleet())
    assert [f["RuleId"] for f in findings] == FLEET_IDS
    for f in findings:
        assert sorted(f) == sorted(fleet_rules.FLEET_FINDING_KEYS)
        assert f["RuleGroupId"] == "fleet" and f["RuleGroupName"] == "Fleet Checks"
        assert f["platform"] == "any" and f["worker_generation"] == "any"
        assert isinstance(f["hosts"], list)
        assert f["CheckResultMessageId"] in next(r for r in fleet_rules.RULES if r.rule_id == f["RuleId"]).message_ids
        json.dumps(f)


def test_healthy_mixed_fleet():
    findings = dict((f["RuleId"], f) for f in fleet_rules.evaluate_fleet(fleet()))
    assert findings["Fleet.ClonedMachineCheck"]["CheckResult"] == "Passed"
    assert findings["Fleet.ClonedMachineCheck"]["hosts"] == ["lin1", "lin2", "lin3", "ws2016", "ws2019", "ws2022"]
    assert findings["Fleet.GroupWorkspaceCheck"]["CheckResult"] == "Passed"
    assert findings["Fleet.DuplicateNameCheck"]["CheckResult"] == "Passed"
    # the recorded Windows hosts really differ: MMA 10.20.18067.0 (2016, 2019) / 10.20.18069.0 (2022)
    assert findings["Fleet.GroupVersionCheck"]["CheckResultMessageId"] == "Fleet.GroupVersionCheck.PassedWithWarning.MixedVersions"


def test_hosts_without_facts_are_left_out():
    hosts = {"lin1": lin(1), "down": None, "failed": {}, "bad": "not a document"}
    for f in fleet_rules.evaluate_fleet(hosts):
        assert f["CheckResult"] == "Skipped", f
        assert f["CheckResultMessageId"].endswith(".Skipped.FactsMissing")
        assert set(f["hosts"]) <= {"lin1"}


@pytest.mark.parametrize("facts_by_host", [{}, None, {"a": None}, {"a": lin(1)}])
def test_fewer_than_two_hosts_skip_every_rule(facts_by_host):
    findings = fleet_rules.evaluate_fleet(facts_by_host)
    assert [f["CheckResultMessageId"] for f in findings] == [i + ".Skipped.FactsMissing" for i in FLEET_IDS]
    assert all(f["remediation"] == {"action": None, "manual": None} for f in findings)


def test_a_rule_that_raises_is_skipped_rule_error_and_the_others_run(monkeypatch):
    def boom(facts_by_host, context):
        raise KeyError("nope")
    rule = fleet_rules.RULES[0]
    monkeypatch.setattr(rule, "check", boom)
    findings = fleet_rules.evaluate_fleet(fleet())
    assert findings[0]["CheckResultMessageId"] == "Fleet.ClonedMachineCheck.Skipped.RuleError"
    assert findings[0]["evidence"] == {"exception": "KeyError", "error": "'nope'"}
    assert findings[0]["hosts"] == []
    assert "these hosts" in findings[0]["CheckResultMessage"]
    assert [f["CheckResult"] for f in findings[1:]] != ["Skipped"] * 3


def test_a_rule_returning_garbage_is_a_rule_error(monkeypatch):
    monkeypatch.setattr(fleet_rules.RULES[3], "check", lambda facts_by_host, context: "Passed")
    assert fleet_rules.evaluate_fleet(fleet())[3]["CheckResultMessageId"] == "Fleet.DuplicateNameCheck.Skipped.RuleError"


# --------------------------------------------------------------------------- Fleet.ClonedMachineCheck


def test_linux_clone_shares_every_identity():
    hosts = fleet()
    hosts["lin_clone"] = lin(1)
    hosts["lin_clone"]["host"]["hostname"] = "hrw-clone"
    f = run(hosts, "Fleet.ClonedMachineCheck")
    assert f["CheckResultMessageId"] == "Fleet.ClonedMachineCheck.Failed"
    assert f["hosts"] == ["lin1", "lin_clone"]
    shared = dict((s["identity"], s) for s in f["evidence"]["shared"])
    assert sorted(shared) == ["agent_certificate", "agent_guid", "machine_id", "user_worker_certificate"]
    assert shared["machine_id"]["value"] == "%032x" % 1 and shared["machine_id"]["hosts"] == ["lin1", "lin_clone"]
    assert shared["agent_certificate"]["value"] == "A%039X" % 1
    assert "lin1, lin_clone share the machine id" in f["CheckResultMessage"]
    assert "same machine name" not in f["CheckResultMessage"]
    manual = f["remediation"]["manual"]
    assert f["remediation"]["action"] is None
    assert "systemd-machine-id-setup" in manual and "onboard_agent.sh --purge" in manual
    assert "Remove-Item" not in manual  # no Windows host is affected
    assert "SourceComputerId" in manual and fleet_rules.HEARTBEAT_QUERY in manual
    assert f["scenario"] == ("update-management-troubleshoot.md#components-enabled-not-working; "
                             "update-management-troubleshoot.md#failed-to-start")


@pytest.mark.parametrize("identity, mutate", [
    ("machine_id", lambda d: d["host"].update(machine_id="%032X" % 1)),          # case-insensitive
    ("agent_guid", lambda d: d["agent"]["omsadmin"].update(AGENT_GUID=" 00000000-0000-4000-8000-000000000001 ")),
    ("agent_certificate", lambda d: d["worker_state"]["agent_certificate"].update(thumbprint="a%039x" % 1)),
    ("user_worker_certificate", lambda d: d["worker_state"]["user_worker_certificate"].update(thumbprint="D%039X" % 1)),
])
def test_each_identity_alone_is_a_clone(identity, mutate):
    hosts = fleet()
    mutate(hosts["lin2"])
    f = run(hosts, "Fleet.ClonedMachineCheck")
    assert f["CheckResult"] == "Failed"
    assert [s["identity"] for s in f["evidence"]["shared"]] == [identity]
    assert f["hosts"] == ["lin1", "lin2"]


def test_windows_clone_by_machine_guid():
    hosts = fleet()
    hosts["ws2022"]["host"]["machine_guid"] = hosts["ws2016"]["host"]["machine_guid"].upper()
    f = run(hosts, "Fleet.ClonedMachineCheck")
    assert f["CheckResult"] == "Failed" and f["hosts"] == ["ws2016", "ws2022"]
    assert f["evidence"]["shared"][0]["identity"] == "machine_guid"
    manual = f["remediation"]["manual"]
    assert "Remove-Item -Path \"HKLM:\\software\\microsoft\\hybridrunbookworker\" -Recurse -Force" in manual
    assert "Restart-Service HealthService" in manual and "sysprep" in manual
    assert "systemd-machine-id-setup" not in manual


def test_a_linux_machine_id_never_matches_a_windows_guid():
    hosts = fleet()
    hosts["lin1"]["host"]["machine_id"] = hosts["ws2016"]["host"]["machine_guid"]
    assert run(hosts, "Fleet.ClonedMachineCheck")["CheckResult"] == "Passed"


def test_two_clusters_and_the_same_machine_listed_twice():
    hosts = fleet()
    hosts["lin1_again"] = copy.deepcopy(hosts["lin1"])     # the inventory names one machine twice
    hosts["ws2019"]["host"]["machine_guid"] = hosts["ws2016"]["host"]["machine_guid"]
    f = run(hosts, "Fleet.ClonedMachineCheck")
    assert f["hosts"] == ["lin1", "lin1_again", "ws2016", "ws2019"]
    assert "lin1, lin1_again also have the same machine name" in f["CheckResultMessage"]
    assert "ws2016, ws2019 share the MachineGuid" in f["CheckResultMessage"]
    manual = f["remediation"]["manual"]
    assert "Remove-Item" in manual and "systemd-machine-id-setup" in manual


@pytest.mark.parametrize("value", [None, "", "uninitialized", "  "])
def test_empty_identities_are_not_shared(value):
    hosts = {"a": lin(1), "b": lin(2)}
    for d in hosts.values():
        d["host"]["machine_id"] = value
    f = run(hosts, "Fleet.ClonedMachineCheck")
    assert f["CheckResult"] == "Passed"
    assert "machine id (/etc/machine-id)" not in f["evidence"]["identities"]


def test_clone_check_skips_when_only_one_host_has_an_identity():
    hosts = {"a": lin(1), "b": doc("windows_ws2019_healthy")}
    hosts["b"]["host"]["machine_guid"] = None
    f = run(hosts, "Fleet.ClonedMachineCheck")
    assert f["CheckResultMessageId"] == "Fleet.ClonedMachineCheck.Skipped.FactsMissing"
    assert f["hosts"] == ["a"] and f["evidence"]["hosts_without_identity"] == ["b"]


# --------------------------------------------------------------------------- Fleet.GroupWorkspaceCheck


def test_group_spread_over_workspaces():
    hosts = fleet()
    hosts["lin3"]["agent"]["workspace_id"] = OTHER_WS
    f = run(hosts, "Fleet.GroupWorkspaceCheck")
    assert f["CheckResultMessageId"] == "Fleet.GroupWorkspaceCheck.Failed"
    # the host away from the group's majority is the one named (and painted red in the report)
    assert f["hosts"] == ["lin3"]
    spread = f["evidence"]["spread"]
    assert [s["group"] for s in spread] == ["linux-group-1"]
    assert spread[0]["workspaces"] == {"8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b": ["lin1", "lin2"], OTHER_WS: ["lin3"]}
    assert len(spread[0]["accounts"]) == 1
    assert "group linux-group-1 is spread over workspaces" in f["CheckResultMessage"]
    assert "Automation accounts" not in f["CheckResultMessage"]
    assert "linux-group-1" in f["remediation"]["manual"] and f["remediation"]["action"] is None


def test_group_spread_over_accounts_across_platforms():
    hosts = fleet()
    # a Windows host registered in a group of the same name in another account
    hosts["ws2022"]["registration"]["accounts"][0]["account_id"] = OTHER_ACCOUNT.upper()
    f = run(hosts, "Fleet.GroupWorkspaceCheck")
    assert f["CheckResult"] == "Failed"
    assert f["hosts"] == ["ws2022"]
    item = f["evidence"]["spread"][0]
    assert item["group"] == "hrw-group-1"
    assert item["accounts"][OTHER_ACCOUNT] == ["ws2022"]
    assert "Automation accounts" in f["CheckResultMessage"]


def test_group_names_compare_case_insensitively():
    hosts = fleet()
    hosts["lin2"]["worker"]["user_worker_conf"]["worker-required"]["hybrid_worker_group_name"] = "LINUX-GROUP-1"
    hosts["lin2"]["worker"]["user_worker_conf"]["worker-required"]["account_id"] = OTHER_ACCOUNT
    f = run(hosts, "Fleet.GroupWorkspaceCheck")
    assert f["CheckResult"] == "Failed" and f["hosts"] == ["lin2"]


def test_group_spread_without_a_majority_names_every_member():
    hosts = dict((name, doc) for name, doc in fleet().items() if name in ("lin1", "lin2"))
    hosts["lin2"]["agent"]["workspace_id"] = OTHER_WS
    f = run(hosts, "Fleet.GroupWorkspaceCheck")
    assert f["CheckResult"] == "Failed" and f["hosts"] == ["lin1", "lin2"]


def test_unknown_workspace_is_not_a_spread():
    hosts = fleet()
    hosts["lin3"]["agent"]["workspace_id"] = None
    assert run(hosts, "Fleet.GroupWorkspaceCheck")["CheckResult"] == "Passed"


def test_no_shared_group_is_information():
    hosts = {"a": lin(1, group="g-a"), "b": lin(2, group="g-b")}
    f = run(hosts, "Fleet.GroupWorkspaceCheck")
    assert f["CheckResultMessageId"] == "Fleet.GroupWorkspaceCheck.Information.NoSharedGroup"
    assert f["hosts"] == ["a", "b"]
    assert f["remediation"] == {"action": None, "manual": None}


def test_group_check_skips_without_registrations():
    hosts = {"a": lin(1), "b": doc("windows_fault_agent_missing")}
    for d in (hosts["a"],):
        d["worker"]["user_worker_conf"] = None
        d["worker"]["system_worker_conf"] = None
    f = run(hosts, "Fleet.GroupWorkspaceCheck")
    assert f["CheckResultMessageId"] == "Fleet.GroupWorkspaceCheck.Skipped.FactsMissing"
    assert run(hosts, "Fleet.GroupVersionCheck")["CheckResultMessageId"] == "Fleet.GroupVersionCheck.Skipped.FactsMissing"


def test_memberships_of_both_platforms():
    assert fleet_rules.memberships(lin(1)) == [
        {"group": "linux-group-1", "account_id": "b2d4e6f8-1a3c-4e5f-9a7b-2c4d6e8f0a1b",
         "workspace_id": "8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", "worker": "user"},
        {"group": "hrw-01_00000000-0000-4000-8000-000000000001", "account_id": "b2d4e6f8-1a3c-4e5f-9a7b-2c4d6e8f0a1b",
         "workspace_id": "8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", "worker": "system"}]
    win = doc("windows_ws2019_healthy")
    assert fleet_rules.memberships(win) == [
        {"group": "hrw-group-1", "account_id": "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f",
         "workspace_id": "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d", "worker": "user"}]
    assert fleet_rules.memberships(doc("windows_fault_agent_missing")) == []
    assert fleet_rules.memberships({"platform": "windows", "registration": {"accounts": None}}) == []
    assert fleet_rules.memberships({"platform": "linux", "worker": None}) == []


# --------------------------------------------------------------------------- Fleet.GroupVersionCheck


def test_same_versions_pass():
    hosts = {"lin1": lin(1), "lin2": lin(2), "lin3": lin(3)}
    f = run(hosts, "Fleet.GroupVersionCheck")
    assert f["CheckResultMessageId"] == "Fleet.GroupVersionCheck.Passed"
    assert f["evidence"]["groups_compared"] == ["linux-group-1"]
    assert f["hosts"] == ["lin1", "lin2", "lin3"]


def test_mixed_linux_worker_versions_warn_and_name_the_older_hosts():
    hosts = {"lin1": lin(1), "lin2": lin(2, version="1.7.4.0"), "lin3": lin(3, version="1.7.10.0")}
    f = run(hosts, "Fleet.GroupVersionCheck")
    assert f["CheckResultMessageId"] == "Fleet.GroupVersionCheck.PassedWithWarning.MixedVersions"
    mixed = f["evidence"]["mixed"]
    assert len(mixed) == 1
    assert mixed[0]["component"] == "nxOMSAutomationWorker"
    assert mixed[0]["newest"] == "1.7.10.0"          # numerically, not as text
    assert mixed[0]["older_hosts"] == ["lin1", "lin2"]
    assert f["hosts"] == ["lin1", "lin2"]
    assert "1.7.4.0 on lin2; 1.7.5.0 on lin1; 1.7.10.0 on lin3" in f["CheckResultMessage"]
    assert "PerformRequiredConfigurationChecks.py" in f["remediation"]["manual"]
    assert "1.7.10.0" in f["remediation"]["manual"]


def test_mixed_windows_versions_in_the_recorded_hosts():
    f = run(windows_fleet(), "Fleet.GroupVersionCheck")
    assert f["CheckResult"] == "PassedWithWarning"
    by_component = dict((m["component"], m) for m in f["evidence"]["mixed"])
    assert by_component["Microsoft Monitoring Agent"]["newest"] == "10.20.18069.0"
    assert by_component["Microsoft Monitoring Agent"]["older_hosts"] == ["ws2016", "ws2019"]
    assert by_component["HybridAgent (AzureAutomation folder)"]["older_hosts"] == ["ws2016"]
    assert f["hosts"] == ["ws2016", "ws2019"]


def test_versions_in_different_groups_are_not_compared():
    hosts = {"lin1": lin(1, group="g-a"), "lin2": lin(2, group="g-b", version="1.6.0.0")}
    f = run(hosts, "Fleet.GroupVersionCheck")
    assert f["CheckResultMessageId"] == "Fleet.GroupVersionCheck.Information.NoSharedGroup"


def test_unknown_version_is_not_a_mix():
    hosts = {"lin1": lin(1), "lin2": lin(2), "lin3": lin(3)}
    hosts["lin3"]["worker"]["version"] = None
    f = run(hosts, "Fleet.GroupVersionCheck")
    assert f["CheckResult"] == "Passed" and f["hosts"] == ["lin1", "lin2"]


# --------------------------------------------------------------------------- Fleet.DuplicateNameCheck


def test_duplicate_linux_hostname():
    hosts = fleet()
    hosts["lin2"]["host"]["hostname"] = "HRW-01"
    f = run(hosts, "Fleet.DuplicateNameCheck")
    assert f["CheckResultMessageId"] == "Fleet.DuplicateNameCheck.Failed"
    assert f["hosts"] == ["lin1", "lin2"]
    assert f["evidence"]["duplicates"] == [{"name": "hrw-01", "hosts": ["lin1", "lin2"],
                                            "claimed_as": {"lin1": "hrw-01", "lin2": "HRW-01"}}]
    assert "hostnamectl set-hostname" in f["remediation"]["manual"]
    assert f["scenario"] == "update-management-troubleshoot.md#failed-to-start"


def test_duplicate_name_across_platforms_and_domains():
    hosts = fleet()
    # a Linux host named like the Windows host, with its FQDN as hostname, in another domain
    hosts["lin3"]["host"]["hostname"] = "ws2019-hrw01.fabrikam.com"
    f = run(hosts, "Fleet.DuplicateNameCheck")
    assert f["CheckResult"] == "Failed"
    assert f["hosts"] == ["lin3", "ws2019"]
    assert f["evidence"]["duplicates"][0]["claimed_as"] == {"lin3": "ws2019-hrw01.fabrikam.com",
                                                            "ws2019": "WS2019-HRW01"}


def test_windows_fqdn_counts_when_the_hostname_is_missing():
    hosts = windows_fleet()
    hosts["ws2022"]["host"]["hostname"] = None
    hosts["ws2022"]["host"]["fqdn"] = "WS2016-HRW02.other.example"
    f = run(hosts, "Fleet.DuplicateNameCheck")
    assert f["CheckResult"] == "Failed" and f["hosts"] == ["ws2016", "ws2022"]


def test_duplicate_name_skips_without_names():
    hosts = {"a": lin(1), "b": lin(2)}
    hosts["b"]["host"]["hostname"] = None
    f = run(hosts, "Fleet.DuplicateNameCheck")
    assert f["CheckResultMessageId"] == "Fleet.DuplicateNameCheck.Skipped.FactsMissing"
    assert f["evidence"]["hosts_without_name"] == ["b"]


# --------------------------------------------------------------------------- docs


def test_every_fleet_rule_and_message_id_is_documented():
    with open(DOC) as handle:
        text = handle.read()
    section = text.split("## Fleet (cross-host) rules", 1)[1].split("\n## ", 1)[0]
    missing = [r.rule_id for r in fleet_rules.RULES if "`%s`" % r.rule_id not in section]
    missing += [m for r in fleet_rules.RULES for m in r.message_ids if "`%s`" % m not in section]
    assert missing == [], "docs/rules.md (Fleet section) lacks %s" % missing
    assert "`fleet`" in section and "Fleet Checks" in section
    # every MessageId a rule can produce is declared in its message_ids
    for rule in fleet_rules.RULES:
        declared = set(rule.message_ids)
        for mid in re.findall(r"`(%s\.[A-Za-z.]+)`" % re.escape(rule.rule_id), section):
            assert mid in declared, mid


def test_an_all_zero_id_is_no_clone_evidence():
    hosts = fleet()
    for name in ("ws2016", "ws2019"):
        hosts[name]["host"]["machine_guid"] = "00000000-0000-0000-0000-000000000000"
    f = run(hosts, "Fleet.ClonedMachineCheck")
    assert f["CheckResult"] == "Passed", f["CheckResultMessage"]
    # the same real value on both is a clone
    for name in ("ws2016", "ws2019"):
        hosts[name]["host"]["machine_guid"] = "7d3c1a2b-0000-4000-8000-00000000a1b2"
    assert run(hosts, "Fleet.ClonedMachineCheck")["CheckResult"] == "Failed"
