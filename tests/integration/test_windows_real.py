"""Opt-in: the diagnose playbook against a real Windows Hybrid Runbook Worker.

Skipped unless HRW_WINDOWS_INVENTORY names an inventory (README, "Windows hosts"):

    HRW_WINDOWS_INVENTORY=/path/inventory.yml [HRW_WINDOWS_TARGET=group]
    [HRW_WINDOWS_EXTRA_VARS='{"hrw_diagnose_automation_account_region": "westeurope"}']
        .venv/bin/python -m pytest tests/integration/test_windows_real.py -q

Every targeted host must be diagnosed: a Windows facts document (schema 1) and one finding
per Windows rule, none of them a rule error.
"""
import json
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog

INVENTORY = os.environ.get("HRW_WINDOWS_INVENTORY", "")
TARGET = os.environ.get("HRW_WINDOWS_TARGET", "all")
EXTRA_VARS = os.environ.get("HRW_WINDOWS_EXTRA_VARS", "")

pytestmark = pytest.mark.skipif(
    not INVENTORY,
    reason="set HRW_WINDOWS_INVENTORY=<path> to run against a real Windows host (README, 'Windows hosts')")


@pytest.fixture(scope="module")
def results(run_diagnose, tmp_path_factory):
    assert os.path.isfile(INVENTORY), "HRW_WINDOWS_INVENTORY=%s is not a file" % INVENTORY
    save_dir = str(tmp_path_factory.mktemp("windows-real"))
    args = ["-i", INVENTORY, "-e", "hrw_target=%s" % TARGET, "-e", "hrw_diagnose_save_dir=%s" % save_dir,
            "-e", "hrw_diagnose_fail_on=never"]
    if EXTRA_VARS:
        args += ["-e", EXTRA_VARS]
    stdout = run_diagnose(*args, timeout=900)
    saved = {}
    for name in sorted(os.listdir(save_dir)):
        with open(os.path.join(save_dir, name)) as f:
            saved[name[:-len(".json")]] = json.load(f)
    assert saved, "no host result saved; playbook output:\n" + stdout[-3000:]
    return saved


def test_every_host_returns_a_windows_document(results):
    for host, result in results.items():
        assert result["status"] != "error", "%s: %s" % (host, result["msg"])
        assert result["facts"]["schema"] == 1, host
        assert result["facts"]["platform"] == "windows", host
        assert result["facts"]["collector"]["name"] == "win_hrw_facts", host


def test_every_windows_rule_has_a_finding(results):
    expected = set(catalog.rule_ids(platform="windows"))
    assert expected, "no Windows rules in the catalog"
    for host, result in results.items():
        assert set(f["RuleId"] for f in result["findings"]) == expected, host
        errors = [f["RuleId"] for f in result["findings"]
                  if str(f["CheckResultMessageId"]).endswith(".Skipped.RuleError")]
        assert errors == [], "%s: rules raised on this host's document: %s" % (host, errors)
