"""hrw_remediate run directly (ansible -m) against lab hosts: each fault's repair actions clear
exactly its failed rules (Fault.repair_actions / after_repair), a second run of the idempotent
actions changes nothing, check mode changes nothing, backups are byte for byte.

Own small lab (lab_factory): the repairs change the hosts, so the shared session lab stays as it was.
"""
import json
import os
import subprocess
import sys

import pytest

from tests.lab import INSTALLER_PATH
from tests.lab.faults import FAULTS

pytestmark = pytest.mark.lab

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = ["healthy", "agent_stopped", "worker_as_root", "user_worker_not_running", "class_missing", "proxy_conf_mode",
         "requiretty", "nxautomation_home_wrong", "gpg_keyring_unreadable", "endpoints_refused"]
RESTARTS = ("restart_agent", "restart_worker_manager", "reinstall_agent")


@pytest.fixture(scope="module")
def rlab(lab_factory):
    return lab_factory(HOSTS)


def _ansible(lab, hosts, module, args, tmp_path, *extra):
    """Run ``ansible hosts -m module -a args``; {host: result} (from --tree)."""
    tree = tmp_path / ("tree-%d" % len(list(tmp_path.iterdir())))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(_ROOT, ".tmp", "collections"),
               ANSIBLE_CONFIG=os.path.join(_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    proc = subprocess.run([ansible, hosts, "-i", lab.inventory, "-m", module, "-a",
                           args if isinstance(args, str) else json.dumps(args), "-f", "20", "--tree", str(tree)]
                          + list(extra), cwd=_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = {}
    for name in os.listdir(tree) if tree.exists() else []:
        with open(tree / name) as handle:
            out[name] = json.load(handle)
    assert out, proc.stdout + proc.stderr
    return out


def _failed_ids(lab, hosts, tmp_path):
    results = _ansible(lab, hosts, "azure_hrw.doctor.hrw_diagnose", "probe_timeout=3", tmp_path)
    return {h: frozenset(f["RuleId"] for f in r["ansible_facts"]["hrw_diagnosis"]["findings"]
                         if f["CheckResult"] == "Failed") for h, r in results.items()}


def _steps(fault):
    params = {"restart_agent": {"workspace_id": None}, "reinstall_agent": {"installer": INSTALLER_PATH}}
    return [{"action": a, "params": params.get(a, {})} for a in fault.repair_actions]


def _remediate(lab, tmp_path, steps_of, *extra):
    """One ansible run: each host (of ``steps_of``: host -> steps) runs its own steps."""
    extra_vars = tmp_path / ("steps-%d.json" % len(list(tmp_path.iterdir())))
    extra_vars.write_text(json.dumps({"lab_steps": steps_of}))
    return _ansible(lab, ",".join(sorted(steps_of)), "azure_hrw.doctor.hrw_remediate",
                    '{"steps": "{{ lab_steps[inventory_hostname] }}"}', tmp_path, "-e", "@%s" % extra_vars, *extra)


def test_check_mode_changes_nothing(rlab, tmp_path):
    before = _failed_ids(rlab, ",".join(HOSTS), tmp_path)
    steps_of = {h: _steps(FAULTS[h]) for h in HOSTS if FAULTS[h].repair_actions}
    for host, result in _remediate(rlab, tmp_path, steps_of, "--check").items():
        assert [s["status"] for s in result["steps"]] == ["would_apply"] * len(steps_of[host]), result
        assert result["backups"] == []
    assert _failed_ids(rlab, ",".join(HOSTS), tmp_path) == before
    assert before == {h: FAULTS[h].expected_failed for h in HOSTS}


def test_each_fault_is_repaired_and_only_its_rules_clear(rlab, tmp_path):
    steps_of = {h: _steps(FAULTS[h]) for h in HOSTS if FAULTS[h].repair_actions}
    results = _remediate(rlab, tmp_path, steps_of)
    assert sorted(results) == sorted(steps_of)
    for host, result in results.items():
        assert not result.get("failed"), result.get("msg")
        assert [s["status"] for s in result["steps"]] == ["applied"] * len(steps_of[host])
    after = _failed_ids(rlab, ",".join(HOSTS), tmp_path)
    assert after == {h: FAULTS[h].after_repair for h in HOSTS}


def test_second_run_of_the_idempotent_actions_is_unchanged(rlab, tmp_path):
    steps_of = {h: [s for s in _steps(FAULTS[h]) if s["action"] not in RESTARTS] for h in HOSTS}
    steps_of = {h: steps for h, steps in steps_of.items() if steps}
    for host, result in _remediate(rlab, tmp_path, steps_of).items():
        assert result["changed"] is False, result
        assert [s["status"] for s in result["steps"]] == ["unchanged"] * len(steps_of[host])


def test_backups_are_byte_for_byte(rlab, tmp_path):
    # the preserved update log is the log byte for byte, and its reported sha256 is the copy's
    backup_dir = "/var/tmp/hrw-bk"
    results = _ansible(rlab, "requiretty", "azure_hrw.doctor.hrw_remediate",
                       {"steps": [{"action": "preserve_update_log"}], "backup_dir": backup_dir}, tmp_path)
    (record,) = results["requiretty"]["backups"]
    check = _ansible(rlab, "requiretty", "ansible.builtin.command",
                     "cmp %s %s" % (record["backup"], record["path"]), tmp_path)["requiretty"]
    assert check["rc"] == 0, check
    digest = _ansible(rlab, "requiretty", "ansible.builtin.command", "sha256sum %s" % record["backup"],
                      tmp_path)["requiretty"]
    assert digest["stdout"].split()[0] == record["sha256"]
