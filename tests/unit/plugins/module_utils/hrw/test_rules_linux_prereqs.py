# -*- coding: utf-8 -*-
"""Prerequisite rules (rules_linux_prereqs.py): every result path of every rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_linux_prereqs as prereqs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "facts", "linux_v1_healthy.json")
DOC = os.path.join(ROOT, "docs", "rules.md")
OMSADMIN = "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"
OTHER_WS = "5e1ab0c0-de00-4a1b-9c2d-0000000000ff"

with open(FIXTURE) as _f:
    HEALTHY = json.load(_f)
WS = HEALTHY["agent"]["workspace_id"]
RULE_IDS = [r.rule_id for r in prereqs.RULES]


def facts():
    return copy.deepcopy(HEALTHY)


def run(rule_id, doc, context=None):
    findings = catalog.evaluate(doc, [catalog.get_rule(rule_id)], context or {})
    assert len(findings) == 1
    return findings[0]


# --------------------------------------------------------------------------- mutations

def _acc(doc):
    return doc["accounts"]


def no_agent(doc):
    doc["agent"]["files"][OMSADMIN] = False


def no_accounts(doc):
    doc["accounts"] = None


def drop(key):
    def change(doc):
        _acc(doc)[key] = None
    return change


def user_missing(doc):
    _acc(doc)["users"]["nxautomation"] = None


def group_missing(doc):
    _acc(doc)["groups"]["omiusers"] = None


def not_in_omsagent(doc):
    _acc(doc)["groups"]["omsagent"]["members"] = ["omsagent"]


def wrong_primary_group(doc):
    _acc(doc)["users"]["nxautomation"].update(gid=997, primary_group="omsagent")


def omsagent_not_in_omiusers(doc):
    _acc(doc)["groups"]["omiusers"]["members"] = ["nxautomation"]


def sudo(**changes):
    def change(doc):
        _acc(doc)["sudoers"].update(changes)
    return change


def dropin(**changes):
    def change(doc):
        _acc(doc)["sudoers"]["dropin"].update(changes)
    return change


def sudoers_unreadable(doc):
    _acc(doc)["sudoers"].update(includedir=None, entries=None, nxautomation_nopasswd_all=None,
                                nxautomation_requiretty_exempt=None, global_requiretty=None)


def no_sudo_config(doc):
    _acc(doc)["sudoers"]["dropin"].update(exists=False, type=None, owner=None, group=None,
                                          uid=None, gid=None, mode=None)
    _acc(doc)["sudoers"].update(entries=[], nxautomation_nopasswd_all=False,
                                nxautomation_requiretty_exempt=False)


def block_only(doc):
    _acc(doc)["sudoers"]["dropin"].update(exists=False, mode=None)
    _acc(doc)["sudoers"].update(includedir=False, block_in_sudoers=True)


REQUIRETTY = [{"file": "/etc/sudoers", "line": "Defaults requiretty"}]


def keyrings(**changes):
    def change(doc):
        for keyring in _acc(doc)["gpg"]["keyrings"]:
            keyring.update(changes)
    return change


def validation_off(doc):
    keyrings(enforce_runbook_signature_validation=False, enforce_setting="False")(doc)


def validation_on_unreadable(doc):
    keyrings(enforce_runbook_signature_validation=True, enforce_setting="True",
             nxautomation_can_read=False)(doc)
    for keyring in _acc(doc)["gpg"]["keyrings"]:
        keyring["file"].update(mode="0600")


def keyring_missing(doc):
    for keyring in _acc(doc)["gpg"]["keyrings"]:
        keyring["file"].update(exists=False, mode=None, owner=None, group=None, uid=None, gid=None)
        keyring["nxautomation_can_read"] = None


def no_gpg(doc):
    _acc(doc)["gpg"]["binaries"] = []


def no_keyrings(doc):
    _acc(doc)["gpg"]["keyrings"] = []


def home_dir(key, **changes):
    def change(doc):
        _acc(doc)["home"][key].update(changes)
    return change


def home_gone(doc):
    for key in ("home", "run", "state"):
        _acc(doc)["home"][key].update(exists=False, type=None, owner=None, group=None, uid=None,
                                      gid=None, mode=None)


def home_gone_no_user_worker(doc):
    home_gone(doc)
    doc["worker"]["user_worker_conf"] = None
    doc["worker"]["user_worker_conf_path"] = None


def python(**changes):
    def change(doc):
        _acc(doc)["python3"].update(changes)
    return change


def dirs(values, ws=None):
    def change(doc):
        doc["agent"]["workspace_dirs"] = values
        if ws is not None:
            doc["agent"]["workspace_id"] = ws or None
    return change


def tree(name, **files):
    def change(doc):
        entry = _acc(doc)["worker_trees"][name]
        entry["files"].update(files)
        entry["complete"] = all(entry["files"].values())
    return change


def both(*changes):
    def change(doc):
        for c in changes:
            c(doc)
    return change


def no_version(doc):
    doc["worker"]["version"] = None


def no_worker_section(doc):
    doc["worker"] = None


CASES = [
    # AutomationUsersCheck
    ("Linux.AutomationUsersCheck", None, "Passed", None),
    ("Linux.AutomationUsersCheck", user_missing, "Failed.Missing", "repair_prerequisites"),
    ("Linux.AutomationUsersCheck", group_missing, "Failed.Missing", "repair_prerequisites"),
    ("Linux.AutomationUsersCheck", not_in_omsagent, "Failed.Membership", "repair_prerequisites"),
    ("Linux.AutomationUsersCheck", wrong_primary_group, "Failed.Membership", "repair_prerequisites"),
    ("Linux.AutomationUsersCheck", omsagent_not_in_omiusers, "PassedWithWarning.OmsagentNotInOmiusers",
     "repair_prerequisites"),
    ("Linux.AutomationUsersCheck", drop("users"), "Skipped.FactsMissing", None),
    ("Linux.AutomationUsersCheck", drop("groups"), "Skipped.FactsMissing", None),
    # SudoersCheck
    ("Linux.SudoersCheck", None, "Passed", None),
    ("Linux.SudoersCheck", block_only, "Passed", None),
    ("Linux.SudoersCheck", no_sudo_config, "Failed.NotConfigured", "repair_prerequisites"),
    ("Linux.SudoersCheck", both(sudo(includedir=False, nxautomation_nopasswd_all=False)),
     "Failed.NotIncluded", None),
    ("Linux.SudoersCheck", dropin(mode="0666"), "Failed.FileMode", "repair_prerequisites"),
    ("Linux.SudoersCheck", dropin(uid=1000, owner="someone"), "Failed.FileMode", "repair_prerequisites"),
    ("Linux.SudoersCheck", sudo(nxautomation_nopasswd_all=False), "Failed.NoNopasswd", "repair_prerequisites"),
    ("Linux.SudoersCheck", sudo(global_requiretty=REQUIRETTY, nxautomation_requiretty_exempt=False),
     "Failed.Requiretty", "repair_prerequisites"),
    ("Linux.SudoersCheck", sudo(global_requiretty=REQUIRETTY), "Passed", None),
    ("Linux.SudoersCheck", dropin(mode="0640"), "PassedWithWarning.FileMode", "repair_prerequisites"),
    ("Linux.SudoersCheck", sudo(nxautomation_requiretty_exempt=False),
     "PassedWithWarning.NoRequirettyExemption", "repair_prerequisites"),
    ("Linux.SudoersCheck", sudoers_unreadable, "Skipped.FactsMissing", None),
    ("Linux.SudoersCheck", drop("sudoers"), "Skipped.FactsMissing", None),
    # GpgCheck
    ("Linux.GpgCheck", None, "Passed", None),
    ("Linux.GpgCheck", validation_off, "Passed.ValidationDisabled", None),
    ("Linux.GpgCheck", both(validation_off, no_gpg), "Passed.ValidationDisabled", None),
    ("Linux.GpgCheck", no_keyrings, "Information.NoWorkerConf", None),
    ("Linux.GpgCheck", no_gpg, "Failed.NoGpg", None),
    ("Linux.GpgCheck", keyring_missing, "Failed.KeyringMissing", None),
    ("Linux.GpgCheck", validation_on_unreadable, "Failed.KeyringUnreadable", "repair_prerequisites"),
    ("Linux.GpgCheck", keyrings(nxautomation_can_read=None), "Skipped.FactsMissing", None),
    ("Linux.GpgCheck", drop("gpg"), "Skipped.FactsMissing", None),
    # NxautomationHomeCheck
    ("Linux.NxautomationHomeCheck", None, "Passed", None),
    ("Linux.NxautomationHomeCheck", home_dir("home", owner="root", group="root", mode="0755"),
     "Failed", "repair_prerequisites"),
    ("Linux.NxautomationHomeCheck", home_dir("run", mode="0700"), "Failed", "repair_prerequisites"),
    ("Linux.NxautomationHomeCheck", home_dir("state", exists=False), "Failed", "repair_prerequisites"),
    ("Linux.NxautomationHomeCheck", home_gone, "Failed.NoHome", "repair_prerequisites"),
    ("Linux.NxautomationHomeCheck", home_gone_no_user_worker, "Information.NoUserWorker", None),
    ("Linux.NxautomationHomeCheck", home_dir("home", exists=None), "Skipped.FactsMissing", None),
    ("Linux.NxautomationHomeCheck", drop("home"), "Skipped.FactsMissing", None),
    # Python3Check
    ("Linux.Python3Check", None, "Passed", None),
    ("Linux.Python3Check", python(exists=False, is_file=False, executable=False, link_target=None),
     "Failed.Missing", None),
    ("Linux.Python3Check", python(is_file=False, executable=False), "Failed.Missing", None),
    ("Linux.Python3Check", python(executable=False), "Failed.NotExecutable", None),
    ("Linux.Python3Check", drop("python3"), "Skipped.FactsMissing", None),
    # MultiHomingCheck
    ("Linux.MultiHomingCheck", None, "Passed", None),
    ("Linux.MultiHomingCheck", dirs([WS, OTHER_WS]), "Failed", None),
    ("Linux.MultiHomingCheck", dirs([OTHER_WS]), "Failed.NoWorkspace", None),
    ("Linux.MultiHomingCheck", dirs([]), "Failed.NoWorkspace", None),
    ("Linux.MultiHomingCheck", dirs([OTHER_WS], ws=""), "Failed.NoWorkspace", None),
    ("Linux.MultiHomingCheck", dirs(None), "Skipped.FactsMissing", None),
    # HybridWorkerPackgeCheck
    ("Linux.HybridWorkerPackgeCheck", None, "Passed", None),
    ("Linux.HybridWorkerPackgeCheck", tree("py2", **{"configuration.py": False}), "Passed", None),
    ("Linux.HybridWorkerPackgeCheck", no_version, "Failed", None),
    ("Linux.HybridWorkerPackgeCheck", no_worker_section, "Skipped.FactsMissing", None),
    ("Linux.HybridWorkerPackgeCheck", both(tree("py3", **{"main.py": False}), tree("py2", **{"hybridworker.py": False})),
     "Failed.Incomplete", None),
    ("Linux.HybridWorkerPackgeCheck", tree("py3", **{"configuration.py": False}), "PassedWithWarning.Python2Only", None),
    ("Linux.HybridWorkerPackgeCheck", drop("worker_trees"), "Skipped.FactsMissing", None),
]
# every rule: agent not installed, no accounts section at all
for _rule_id in RULE_IDS:
    CASES.append((_rule_id, no_agent, "Skipped.AgentNotInstalled", None))
    if _rule_id != "Linux.MultiHomingCheck":
        CASES.append((_rule_id, no_accounts, "Skipped.FactsMissing", None))
del _rule_id


def _case_id(case):
    return "%s-%s-%s" % (case[0].split(".")[1], getattr(case[1], "__name__", "healthy"), case[2])


@pytest.mark.parametrize("rule_id,change,expected,action", CASES, ids=[_case_id(c) for c in CASES])
def test_result(rule_id, change, expected, action):
    doc = facts()
    if change:
        change(doc)
    finding = run(rule_id, doc)
    assert finding["CheckResultMessageId"] == "%s.%s" % (rule_id, expected), finding["CheckResultMessage"]
    assert finding["CheckResultMessage"]
    assert isinstance(finding["evidence"], dict) and finding["evidence"]
    assert sorted(finding["remediation"]) == ["action", "manual"]
    assert finding["remediation"]["action"] == action
    if expected.startswith("Failed"):
        assert finding["remediation"]["manual"], "a Failed finding says how to fix it"
    assert finding["platform"] == "linux" and finding["worker_generation"] == "v1"


def test_every_documented_message_id_is_produced_by_a_case():
    produced = set("%s.%s" % (c[0], c[2]) for c in CASES)
    declared = set(m for r in prereqs.RULES for m in r.message_ids)
    assert declared == produced


def test_docs_list_every_rule_and_message_id():
    with open(DOC) as f:
        doc = f.read()
    block = doc.split("<!-- rules_linux_prereqs.py -->", 1)[1].split("\n## ", 1)[0]
    for rule in prereqs.RULES:
        assert "`%s`" % rule.rule_id in block
        for mid in rule.message_ids:
            if mid.endswith((".Skipped.AgentNotInstalled", ".Skipped.FactsMissing")):
                assert "`<RuleId>%s`" % mid[len(rule.rule_id):] in block
            else:
                assert "`%s`" % mid in block, mid


def test_rules_and_groups():
    assert RULE_IDS == ["Linux.AutomationUsersCheck", "Linux.SudoersCheck", "Linux.GpgCheck",
                        "Linux.NxautomationHomeCheck", "Linux.Python3Check", "Linux.MultiHomingCheck",
                        "Linux.HybridWorkerPackgeCheck"]
    groups = dict((r.rule_id, r.group_id) for r in prereqs.RULES)
    assert groups["Linux.MultiHomingCheck"] == groups["Linux.HybridWorkerPackgeCheck"] == "servicehealth"
    assert set(groups[r] for r in RULE_IDS[:5]) == {"prerequisites"}


def test_multihoming_names_the_other_workspace():
    doc = facts()
    dirs([WS, OTHER_WS])(doc)
    finding = run("Linux.MultiHomingCheck", doc)
    assert finding["CheckResultMessageArguments"] == [OTHER_WS]
    assert finding["evidence"]["other_workspaces"] == [OTHER_WS]
    assert OTHER_WS in finding["CheckResultMessage"]


def test_package_says_which_trees():
    finding = run("Linux.HybridWorkerPackgeCheck", facts())
    assert finding["CheckResultMessageArguments"] == ["1.7.5.0", "py3", "py2"]
    doc = facts()
    tree("py2", **{"main.py": False})(doc)
    assert run("Linux.HybridWorkerPackgeCheck", doc)["evidence"]["complete_trees"] == ["py3"]


def test_home_lists_every_difference():
    doc = facts()
    home_dir("home", owner="root", group="root", mode="0755")(doc)
    finding = run("Linux.NxautomationHomeCheck", doc)
    assert len(finding["evidence"]["problems"]) == 2
    assert "root:root" in finding["CheckResultMessage"] and "0755" in finding["CheckResultMessage"]


def test_requiretty_names_the_line():
    doc = facts()
    sudo(global_requiretty=REQUIRETTY, nxautomation_requiretty_exempt=False)(doc)
    finding = run("Linux.SudoersCheck", doc)
    assert finding["CheckResultMessageArguments"] == ["/etc/sudoers: Defaults requiretty"]


def test_healthy_fixture_passes_every_prereq_rule():
    for finding in catalog.evaluate(facts(), [catalog.get_rule(r) for r in RULE_IDS]):
        assert finding["CheckResult"] == "Passed", finding["CheckResultMessageId"]


@pytest.mark.parametrize("doc", [{}, {"platform": "linux"}, {"platform": "linux", "agent": None, "accounts": []}])
def test_rules_never_error_on_junk(doc):
    for finding in catalog.evaluate(doc, [catalog.get_rule(r) for r in RULE_IDS]):
        assert finding["CheckResult"] == "Skipped"
        assert not finding["CheckResultMessageId"].endswith("RuleError")
