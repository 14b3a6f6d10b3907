# -*- coding: utf-8 -*-
"""Every result path of every rule of rules_linux_system.py, on the healthy fixture and mutations of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import regions
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import rules_linux_system as rls

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "facts", "linux_v1_healthy.json")
DOC = os.path.join(ROOT, "docs", "rules.md")

with open(FIXTURE) as _f:
    HEALTHY = json.load(_f)
WS = HEALTHY["agent"]["workspace_id"]
OTHER_WS = "11111111-2222-4333-8444-555555555555"
NOW = HEALTHY["host"]["utc_now"]
FULL_CONTEXT = {"controller_utc": NOW, "probe_endpoints": True, "expected_workspace_id": WS,
                "automation_account_region": "westeurope", "workspace_region": "westeurope"}


def facts():
    return copy.deepcopy(HEALTHY)


def run(rule_id, doc, context=None):
    findings = catalog.evaluate(doc, [catalog.get_rule(rule_id)], context)
    assert len(findings) == 1
    return findings[0]


def mid(rule_id, doc, context=None):
    return run(rule_id, doc, context)["CheckResultMessageId"]


OWN = [r.rule_id for r in rls.RULES]


# --------------------------------------------------------------------------- whole module

def test_healthy_fixture_passes_every_rule_with_full_context():
    findings = catalog.evaluate(facts(), rls.RULES, FULL_CONTEXT)
    got = dict((f["RuleId"], f["CheckResultMessageId"]) for f in findings)
    expected = dict((r, r + ".Passed") for r in OWN)
    expected["Linux.UpdateLogCheck"] = "Linux.UpdateLogCheck.Information"
    assert got == expected


def test_healthy_fixture_without_expectations_skips_only_what_was_not_given():
    findings = catalog.evaluate(facts(), rls.RULES, {"controller_utc": NOW, "probe_endpoints": True})
    not_passed = dict((f["RuleId"], f["CheckResultMessageId"]) for f in findings if f["CheckResult"] != "Passed")
    assert not_passed == {
        "Linux.WorkspaceIdCheck": "Linux.WorkspaceIdCheck.Skipped.NotApplicable",
        "Linux.RegionMappingCheck": "Linux.RegionMappingCheck.Skipped.NotApplicable",
        "Linux.UpdateLogCheck": "Linux.UpdateLogCheck.Information",
    }


def test_every_finding_has_evidence_and_a_remediation_when_failed_or_warned():
    doc = facts()
    doc["host"]["os"]["version_id"] = "12.04"
    doc["system"]["cpu"]["usable"] = 1
    doc["system"]["package_manager"]["lock_held"] = True
    context = dict(FULL_CONTEXT, expected_workspace_id=OTHER_WS, workspace_region="northeurope")
    for f in catalog.evaluate(doc, rls.RULES, context):
        assert f["evidence"], f["RuleId"]
        assert f["platform"] == "linux" and f["worker_generation"] == "v1"
        if f["CheckResult"] in ("Failed", "PassedWithWarning"):
            assert f["remediation"]["manual"], f["RuleId"]
        else:
            assert f["remediation"] == {"action": None, "manual": None}


GARBAGE = [
    None, {}, [],
    {"schema": 1, "platform": "linux", "host": {"os": None}, "system": {"cpu": None, "package_manager": None}},
]


@pytest.mark.parametrize("doc", GARBAGE)
def test_garbage_never_passes_never_crashes(doc):
    for f in catalog.evaluate(doc, rls.RULES, FULL_CONTEXT):
        if f["RuleId"] == "Linux.RegionMappingCheck":
            continue  # judges the two region options only, never the host
        assert f["CheckResult"] != "Passed", f["CheckResultMessageId"]
        assert not f["CheckResultMessageId"].endswith(".RuleError"), f["CheckResultMessage"]


def test_rules_are_in_their_groups():
    groups = dict((r.rule_id, r.group_id) for r in rls.RULES)
    assert groups["Linux.OperatingSystemCheck"] == "prerequisites"
    assert groups["Linux.ReposAccessCheck"] == "connectivity"
    assert groups["Linux.ClockSkewCheck"] == "registration"
    assert ("registration", "Registration Checks") in catalog.GROUPS


# --------------------------------------------------------------------------- OperatingSystemCheck

@pytest.mark.parametrize("distro, version, expected", [
    ("ubuntu", "22.04", "Passed"),
    ("ubuntu", "20.04", "Passed"),
    ("ubuntu", "24.04", "Failed"),
    ("ubuntu", "22.10", "Failed"),
    ("debian", "11", "Passed"),
    ("debian", "12", "Failed"),
    ("rhel", "8.9", "Passed"),
    ("rhel", "9.3", "Failed"),
    ("sles", "15.4", "Passed"),
    ("centos", "6", "Failed"),
    ("RHEL", "7.9", "Passed"),
    ("arch", None, "PassedWithWarning.UnknownDistribution"),
    ("gentoo", "2.14", "PassedWithWarning.UnknownDistribution"),
    ("ubuntu", None, "PassedWithWarning.UnknownVersion"),
    ("ubuntu", "", "PassedWithWarning.UnknownVersion"),
    (None, None, "Skipped.FactsMissing"),
    ("", "22.04", "Skipped.FactsMissing"),
])
def test_operating_system(distro, version, expected):
    doc = facts()
    doc["host"]["os"] = {"id": distro, "version_id": version, "pretty_name": None}
    f = run("Linux.OperatingSystemCheck", doc)
    assert f["CheckResultMessageId"] == "Linux.OperatingSystemCheck." + expected
    assert f["evidence"]["source"] == "/etc/os-release"


def test_operating_system_missing_os_section():
    doc = facts()
    doc["host"]["os"] = None
    assert mid("Linux.OperatingSystemCheck", doc) == "Linux.OperatingSystemCheck.Skipped.FactsMissing"
    del doc["host"]
    assert mid("Linux.OperatingSystemCheck", doc) == "Linux.OperatingSystemCheck.Skipped.FactsMissing"


def test_operating_system_failure_names_the_supported_versions():
    doc = facts()
    doc["host"]["os"] = {"id": "debian", "version_id": "12", "pretty_name": "Debian GNU/Linux 12 (bookworm)"}
    f = run("Linux.OperatingSystemCheck", doc)
    assert "Debian GNU/Linux 12 (bookworm)" in f["CheckResultMessage"] and "9, 10, 11" in f["CheckResultMessage"]
    assert f["CheckResultMessageArguments"][0] == "Debian GNU/Linux 12 (bookworm)"
    assert f["remediation"]["manual"]


# --------------------------------------------------------------------------- HardwareCheck

@pytest.mark.parametrize("cores, total_kb, expected", [
    (2, 24000000, "Passed"),
    (2, 3900000, "Passed"),       # a 4 GB machine as the kernel shows it
    (1, 24000000, "Failed"),
    (2, 2000000, "Failed"),
    (1, 1000000, "Failed"),
    (None, 24000000, "Skipped.FactsMissing"),
    (2, None, "Skipped.FactsMissing"),
])
def test_hardware(cores, total_kb, expected):
    doc = facts()
    doc["system"]["cpu"]["usable"] = cores
    doc["host"]["cpu_count"] = cores
    doc["host"]["memory"]["total_kb"] = total_kb
    assert mid("Linux.HardwareCheck", doc) == "Linux.HardwareCheck." + expected


def test_hardware_counts_usable_not_online_cores():
    doc = facts()
    doc["system"]["cpu"] = {"usable": 1, "online": 8, "source": "sched_getaffinity"}
    doc["host"]["cpu_count"] = 8
    f = run("Linux.HardwareCheck", doc)
    assert f["CheckResult"] == "Failed" and "1 usable CPU core" in f["CheckResultMessage"]
    assert f["evidence"]["cores_from"] == "system.cpu.usable"


def test_hardware_falls_back_to_host_cpu_count_without_system():
    doc = facts()
    doc["system"] = None
    f = run("Linux.HardwareCheck", doc)
    assert f["CheckResult"] == "Passed" and f["evidence"]["cores_from"] == "host.cpu_count"


def test_hardware_both_short_names_both():
    doc = facts()
    doc["system"]["cpu"]["usable"] = 1
    doc["host"]["memory"]["total_kb"] = 2 * 1024 * 1024
    f = run("Linux.HardwareCheck", doc)
    assert "1 usable CPU core" in f["CheckResultMessage"] and "2.0 GB" in f["CheckResultMessage"]


# --------------------------------------------------------------------------- ResourcePressureCheck

@pytest.mark.parametrize("load, available_kb, expected", [
    ([0.1, 0.2, 0.3], 23000000, "Passed"),
    ([9.0, 4.0, 1.0], 23000000, "PassedWithWarning.HighLoad"),
    ([9.0, 1.0, 1.0], 23000000, "Passed"),      # a 1-minute spike is not sustained
    ([0.1, 0.2, 0.3], 400000, "PassedWithWarning.LowMemory"),
    ([0.1, 0.2, 0.3], 2000000, "PassedWithWarning.LowMemory"),   # < 10 % of 24 GB
    ([5.0, 5.0, 5.0], 100000, "PassedWithWarning.HighLoadAndLowMemory"),
    (None, 23000000, "Skipped.FactsMissing"),
    ([0.1], 23000000, "Skipped.FactsMissing"),
    ([0.1, 0.2, 0.3], None, "Skipped.FactsMissing"),
])
def test_resource_pressure(load, available_kb, expected):
    doc = facts()
    doc["host"]["load"] = load
    doc["host"]["memory"]["available_kb"] = available_kb
    assert mid("Linux.ResourcePressureCheck", doc) == "Linux.ResourcePressureCheck." + expected


def test_resource_pressure_per_usable_core():
    doc = facts()
    doc["host"]["load"] = [2.5, 2.5, 2.5]
    doc["system"]["cpu"]["usable"] = 2
    assert mid("Linux.ResourcePressureCheck", doc) == "Linux.ResourcePressureCheck.Passed"
    doc["system"]["cpu"]["usable"] = 1
    f = run("Linux.ResourcePressureCheck", doc)
    assert f["CheckResultMessageId"] == "Linux.ResourcePressureCheck.PassedWithWarning.HighLoad"
    assert f["evidence"]["load5_per_core"] == 2.5


# --------------------------------------------------------------------------- WorkspaceIdCheck

def test_workspace_id_paths():
    rid = "Linux.WorkspaceIdCheck"
    assert mid(rid, facts(), {"expected_workspace_id": WS}) == rid + ".Passed"
    assert mid(rid, facts(), {"expected_workspace_id": WS.upper()}) == rid + ".Passed"
    f = run(rid, facts(), {"expected_workspace_id": OTHER_WS})
    assert f["CheckResultMessageId"] == rid + ".Failed"
    assert f["CheckResultMessageArguments"] == [OTHER_WS, WS]
    assert "403" in f["CheckResultMessage"] and "<WorkspaceKey>" in f["remediation"]["manual"]
    assert mid(rid, facts(), {}) == rid + ".Skipped.NotApplicable"
    assert mid(rid, facts(), None) == rid + ".Skipped.NotApplicable"
    doc = facts()
    doc["agent"]["workspace_id"] = None
    assert mid(rid, doc, {"expected_workspace_id": WS}) == rid + ".Failed.NoWorkspace"
    doc["agent"] = None
    assert mid(rid, doc, {"expected_workspace_id": WS}) == rid + ".Skipped.FactsMissing"


# --------------------------------------------------------------------------- ClockSkewCheck

@pytest.mark.parametrize("host_utc, expected, skew", [
    ("2026-11-25T20:00:00Z", "Passed", 0),
    ("2026-11-25T20:04:59Z", "Passed", 299),
    ("2026-11-25T20:06:00Z", "PassedWithWarning", 360),
    ("2026-11-25T19:50:00Z", "PassedWithWarning", -600),
    ("2026-11-25T20:15:00Z", "PassedWithWarning", 900),
    ("2026-11-25T20:20:00Z", "Failed", 1200),
    ("2026-11-25T19:40:00Z", "Failed", -1200),
    ("2026-11-24T20:00:00Z", "Failed", -86400),
])
def test_clock_skew(host_utc, expected, skew):
    doc = facts()
    doc["host"]["utc_now"] = host_utc
    f = run("Linux.ClockSkewCheck", doc, {"controller_utc": "2026-11-25T20:00:00Z"})
    assert f["CheckResultMessageId"] == "Linux.ClockSkewCheck." + expected
    assert f["evidence"]["skew_seconds"] == skew


def test_clock_skew_skips():
    rid = "Linux.ClockSkewCheck"
    assert mid(rid, facts(), {}) == rid + ".Skipped.NoControllerTime"
    assert mid(rid, facts(), {"controller_utc": "yesterday"}) == rid + ".Skipped.NoControllerTime"
    doc = facts()
    doc["host"]["utc_now"] = None
    assert mid(rid, doc, {"controller_utc": NOW}) == rid + ".Skipped.FactsMissing"


def test_clock_skew_failure_says_direction():
    doc = facts()
    doc["host"]["utc_now"] = "2026-11-25T20:20:00Z"
    f = run("Linux.ClockSkewCheck", doc, {"controller_utc": "2026-11-25T20:00:00Z"})
    assert "20.0 minutes ahead of" in f["CheckResultMessage"]


# --------------------------------------------------------------------------- RegionMappingCheck

@pytest.mark.parametrize("account, workspace, expected", [
    ("westeurope", "westeurope", "Passed"),
    ("West Europe", "westeurope", "Passed"),
    ("eastus2", "eastus", "Passed"),           # Microsoft's EastUS workspace -> EastUS2 account
    ("eastus", "eastus", "Failed"),
    ("westeurope", "northeurope", "Failed"),
    ("usgovvirginia", "usgovvirginia", "Passed"),
    ("westeurope", None, "Skipped.RegionMissing"),
    (None, "westeurope", "Skipped.RegionMissing"),
    (None, None, "Skipped.NotApplicable"),
])
def test_region_mapping(account, workspace, expected):
    context = {"automation_account_region": account, "workspace_region": workspace}
    assert mid("Linux.RegionMappingCheck", facts(), context) == "Linux.RegionMappingCheck." + expected


def test_region_mapping_failure_lists_the_allowed_workspace_regions():
    f = run("Linux.RegionMappingCheck", facts(), {"automation_account_region": "eastus2", "workspace_region": "eastus2"})
    assert f["CheckResult"] == "Failed"
    assert f["evidence"]["linked_workspace_regions"] == ["eastus"]
    assert f["CheckResultMessageArguments"] == ["eastus2", "eastus2", "eastus"]


def test_regions_module():
    assert regions.normalize("West Europe") == "westeurope"
    assert regions.normalize("west-europe") == "westeurope"
    assert regions.normalize(None) is None
    assert regions.is_known("UK South") and not regions.is_known("Westeros")
    for workspace, account in regions.LINKED_PAIRS:
        assert workspace in regions.REGIONS and account in regions.REGIONS
        assert regions.is_supported_pair(account, workspace)
    assert regions.linked_account_regions("East US") == ["eastus2"]


# --------------------------------------------------------------------------- ReposAccessCheck

def _repo(host, scheme="https", error_class=None, tcp_ok=True):
    probe = {"dns": {"ok": True, "addresses": ["127.0.0.1"], "error": None},
             "tcp": {"ok": tcp_ok, "error": None if tcp_ok else "refused"}, "tls": None,
             "elapsed_ms": 1, "error_class": error_class}
    return {"url": "%s://%s/x" % (scheme, host), "scheme": scheme, "host": host,
            "port": 443 if scheme == "https" else 80, "source": "/etc/apt/sources.list", "probe": probe}


def test_repos_access_paths():
    rid = "Linux.ReposAccessCheck"
    ctx = {"probe_endpoints": True}
    assert mid(rid, facts(), ctx) == rid + ".Passed"
    doc = facts()
    doc["system"]["repositories"] = [_repo("a.example"), _repo("b.example", error_class="refused", tcp_ok=False),
                                     _repo("c.example", error_class="tls")]
    f = run(rid, doc, ctx)
    assert f["CheckResultMessageId"] == rid + ".Failed"
    assert f["CheckResultMessageArguments"] == ["b.example:443 (refused)", "c.example:443 (tls)"]
    assert f["remediation"]["manual"]
    doc["system"]["repositories"] = [_repo("a.example")]
    doc["system"]["repositories"][0]["probe"] = None
    assert mid(rid, doc, ctx) == rid + ".Failed"
    doc["system"]["repositories"] = []
    assert mid(rid, doc, ctx) == rid + ".Information.NoRepositories"
    assert mid(rid, facts(), {"probe_endpoints": False}) == rid + ".Skipped.NotProbed"
    doc = facts()
    doc["system"]["repositories_probed"] = False
    assert mid(rid, doc, {}) == rid + ".Skipped.NotProbed"
    doc["system"]["repositories"] = None
    assert mid(rid, doc, ctx) == rid + ".Skipped.FactsMissing"
    doc["system"] = None
    assert mid(rid, doc, ctx) == rid + ".Skipped.FactsMissing"


# --------------------------------------------------------------------------- PackageManagerCheck

def test_package_manager_paths():
    rid = "Linux.PackageManagerCheck"
    assert mid(rid, facts()) == rid + ".Passed"
    doc = facts()
    pm = doc["system"]["package_manager"]
    pm["locks"][0].update({"held": True, "pid": 4242})
    pm["lock_held"] = True
    f = run(rid, doc)
    assert f["CheckResultMessageId"] == rid + ".Failed.Locked"
    assert "/var/lib/dpkg/lock-frontend (pid 4242)" in f["CheckResultMessage"]
    assert "fuser -v /var/lib/dpkg/lock-frontend" in f["remediation"]["manual"]
    doc = facts()
    doc["system"]["package_manager"]["interrupted"] = True
    doc["system"]["package_manager"]["interrupted_evidence"] = ["/var/lib/dpkg/updates/0001"]
    f = run(rid, doc)
    assert f["CheckResultMessageId"] == rid + ".Failed.Interrupted"
    assert f["remediation"]["manual"] == "sudo dpkg --configure -a"
    doc = facts()
    doc["system"]["package_manager"]["lock_held"] = None
    assert mid(rid, doc) == rid + ".Skipped.FactsMissing"
    doc = facts()
    doc["system"]["package_manager"]["name"] = None
    assert mid(rid, doc) == rid + ".Skipped.FactsMissing"
    doc["system"] = None
    assert mid(rid, doc) == rid + ".Skipped.FactsMissing"


def test_package_manager_yum_has_no_interrupted_state():
    doc = facts()
    doc["system"]["package_manager"] = {"name": "yum", "locks": [], "lock_held": False, "interrupted": None,
                                        "interrupted_evidence": []}
    assert mid("Linux.PackageManagerCheck", doc) == "Linux.PackageManagerCheck.Passed"


# --------------------------------------------------------------------------- UpdateLogCheck

def test_update_log_paths():
    rid = "Linux.UpdateLogCheck"
    f = run(rid, facts())
    assert f["CheckResultMessageId"] == rid + ".Information"
    assert f["CheckResultMessageArguments"] == [
        "/var/opt/microsoft/omsagent/run/automationworker/omsupdatemgmt.log", "48213", "2026-11-25T18:30:02Z"]
    doc = facts()
    doc["system"]["update_log"].update({"exists": False, "size_bytes": None, "mtime": None})
    assert mid(rid, doc) == rid + ".Information.NoLog"
    doc["system"]["update_log"]["exists"] = None
    assert mid(rid, doc) == rid + ".Skipped.LogUnreadable"
    doc["system"] = None
    assert mid(rid, doc) == rid + ".Skipped.FactsMissing"


# --------------------------------------------------------------------------- docs

MESSAGE_IDS = [
    "Linux.OperatingSystemCheck.Passed", "Linux.OperatingSystemCheck.Failed",
    "Linux.OperatingSystemCheck.PassedWithWarning.UnknownDistribution",
    "Linux.OperatingSystemCheck.PassedWithWarning.UnknownVersion", "Linux.OperatingSystemCheck.Skipped.FactsMissing",
    "Linux.HardwareCheck.Passed", "Linux.HardwareCheck.Failed", "Linux.HardwareCheck.Skipped.FactsMissing",
    "Linux.ResourcePressureCheck.Passed", "Linux.ResourcePressureCheck.PassedWithWarning.HighLoad",
    "Linux.ResourcePressureCheck.PassedWithWarning.LowMemory",
    "Linux.ResourcePressureCheck.PassedWithWarning.HighLoadAndLowMemory",
    "Linux.ResourcePressureCheck.Skipped.FactsMissing",
    "Linux.WorkspaceIdCheck.Passed", "Linux.WorkspaceIdCheck.Failed", "Linux.WorkspaceIdCheck.Failed.NoWorkspace",
    "Linux.WorkspaceIdCheck.Skipped.NotApplicable", "Linux.WorkspaceIdCheck.Skipped.FactsMissing",
    "Linux.ClockSkewCheck.Passed", "Linux.ClockSkewCheck.PassedWithWarning", "Linux.ClockSkewCheck.Failed",
    "Linux.ClockSkewCheck.Skipped.NoControllerTime", "Linux.ClockSkewCheck.Skipped.FactsMissing",
    "Linux.RegionMappingCheck.Passed", "Linux.RegionMappingCheck.Failed",
    "Linux.RegionMappingCheck.Skipped.RegionMissing", "Linux.RegionMappingCheck.Skipped.NotApplicable",
    "Linux.ReposAccessCheck.Passed", "Linux.ReposAccessCheck.Failed", "Linux.ReposAccessCheck.Information.NoRepositories",
    "Linux.ReposAccessCheck.Skipped.NotProbed", "Linux.ReposAccessCheck.Skipped.FactsMissing",
    "Linux.PackageManagerCheck.Passed", "Linux.PackageManagerCheck.Failed.Locked",
    "Linux.PackageManagerCheck.Failed.Interrupted", "Linux.PackageManagerCheck.Skipped.FactsMissing",
    "Linux.UpdateLogCheck.Information", "Linux.UpdateLogCheck.Information.NoLog",
    "Linux.UpdateLogCheck.Skipped.LogUnreadable", "Linux.UpdateLogCheck.Skipped.FactsMissing",
]


def test_docs_list_every_rule_and_message_id():
    with open(DOC) as handle:
        doc = handle.read()
    block = doc.split("<!-- rules_linux_system.py -->", 1)[1].split("\n## ", 1)[0]
    assert [r for r in OWN if "`%s`" % r not in block] == []
    assert [m for m in MESSAGE_IDS if "`%s`" % m not in block] == []
    assert set(m.split(".")[0] + "." + m.split(".")[1] for m in MESSAGE_IDS) == set(OWN)
