# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnose playbook and role against Windows inventory hosts, without Windows.

The inventory hosts use ``ansible_connection: psrp`` at TEST-NET-1 addresses (192.0.2.0/24,
never routed), so the real psrp connection plugin gives the action plugin a PowerShell shell
(``_IS_WINDOWS``). tests/unit/windows_playbook/run_playbook.py runs the real ansible-playbook
with ``ActionBase._execute_module`` returning a recorded facts document for the Windows
collector, and with the psrp/winrm ``_connect`` refused and logged: the test proves the
whole path (role argument spec, action plugin dispatch, endpoint derivation, rules, the
saved per-host JSON, the fleet report play) and that nothing tried to connect anywhere.
"""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_endpoints import derive_windows_endpoints
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "facts")
DRIVER = os.path.join(ROOT, "tests", "unit", "windows_playbook", "run_playbook.py")
ACCOUNT = "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f"
THUMBPRINT = "3F2A9C0D4B5E6F708192A3B4C5D6E7F8091A2B3C"
HOSTS = {"win-healthy": "windows_ws2019_healthy.json", "win-stopped": "windows_fault_agent_stopped.json"}

INVENTORY = """\
windows:
  hosts:
    win-healthy: {ansible_host: 192.0.2.10}
    win-stopped: {ansible_host: 192.0.2.11}
  vars:
    ansible_connection: psrp
    ansible_psrp_auth: ntlm
    ansible_psrp_cert_validation: ignore
    ansible_user: hrw-doctor
    ansible_password: not-used-by-this-test
"""

ROLE_PLAYBOOK = """\
- name: Diagnose through the role
  hosts: windows
  gather_facts: false
  tasks:
    - name: Run the diagnose role
      ansible.builtin.include_role:
        name: azure_hrw.doctor.diagnose
      vars:
        hrw_diagnose_automation_account_id: "%s"
        hrw_diagnose_automation_account_region: usgovarizona
        hrw_diagnose_hybrid_worker_group: hrw-group-1
        hrw_diagnose_run_as_certificate_thumbprint: "%s"
        hrw_diagnose_probe_timeout: 5
""" % (ACCOUNT, THUMBPRINT.lower())


def _run(tmp, *args):
    log = os.path.join(tmp, "calls.jsonl")
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".tmp", "collections"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": os.path.join(tmp, "ansible-local"),
        "ANSIBLE_HOME": os.path.join(tmp, "ansible-home"),
        "HRW_CALLS_LOG": log,
        "HRW_RECORDED_FACTS": json.dumps(dict((h, os.path.join(FIXTURES, f)) for h, f in HOSTS.items())),
    })
    proc = subprocess.run([sys.executable, DRIVER] + list(args), cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    calls = []
    if os.path.exists(log):
        with open(log) as f:
            calls = [json.loads(line) for line in f if line.strip()]
    return proc, calls


@pytest.fixture(scope="module")
def playbook_run(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("winpb"))
    inventory = os.path.join(tmp, "inventory.yml")
    with open(inventory, "w") as f:
        f.write(INVENTORY)
    save_dir = os.path.join(tmp, "results")
    report_dir = os.path.join(tmp, "report")
    proc, calls = _run(tmp, "azure_hrw.doctor.diagnose", "-i", inventory,
                       "-e", "hrw_diagnose_save_dir=%s" % save_dir, "-e", "hrw_report_dir=%s" % report_dir,
                       "-e", "hrw_diagnose_automation_account_id=%s" % ACCOUNT,
                       "-e", "hrw_diagnose_automation_account_region=westeurope")
    return {"proc": proc, "calls": calls, "save_dir": save_dir, "report_dir": report_dir}


@pytest.fixture(scope="module")
def role_run(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("winrole"))
    inventory = os.path.join(tmp, "inventory.yml")
    playbook = os.path.join(tmp, "role.yml")
    with open(inventory, "w") as f:
        f.write(INVENTORY)
    with open(playbook, "w") as f:
        f.write(ROLE_PLAYBOOK)
    proc, calls = _run(tmp, playbook, "-i", inventory, "--check")
    return {"proc": proc, "calls": calls}


def _saved(run, host):
    with open(os.path.join(run["save_dir"], host + ".json")) as f:
        return json.load(f)


def _report(run):
    """The fleet report's JSON document (issue 7: hrw_report writes it into hrw_report_dir)."""
    found = glob.glob(os.path.join(run["report_dir"], "*.json"))
    assert len(found) == 1, (found, run["proc"].stdout[-3000:] + run["proc"].stderr[-3000:])
    with open(found[0]) as f:
        return dict((h["name"], h) for h in json.load(f)["hosts"])


def _printed_report(stdout):
    """The output of the playbook's last task: the fleet table and the report's files."""
    start = stdout.index("TASK [Print the fleet table and where the report is]")
    return stdout[start:stdout.index("\nPLAY ", start)]  # the next play or the recap


# --- the wiring (holds before and after the rule branches are merged) --------------------


def test_playbook_ran_and_nothing_connected(playbook_run):
    proc, calls = playbook_run["proc"], playbook_run["calls"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert [c for c in calls if c["event"] == "connect"] == []
    modules = [c for c in calls if c["event"] == "module"]
    assert sorted(c["host"] for c in modules) == sorted(HOSTS)  # one collector call per host
    for call in modules:
        assert call["module_name"] == "azure_hrw.doctor.win_hrw_facts"
        assert call["windows_shell"] is True and call["connection"] == "psrp"
        assert call["pid"] != os.getpid()


def test_playbook_sends_the_derived_endpoints(playbook_run):
    expected, dummy = derive_windows_endpoints(ACCOUNT, "westeurope")
    for call in playbook_run["calls"]:
        args = call["module_args"]
        assert args["endpoints"] == expected
        assert args["automation_account_id"] == ACCOUNT and args["automation_account_region"] == "westeurope"
        assert args["probe_timeout"] == 3.0 and args["probe_endpoints"] is True
        assert "run_as_certificate_thumbprint" not in args and "hybrid_worker_group" not in args


def test_playbook_saves_each_windows_host(playbook_run):
    for host, fixture in HOSTS.items():
        saved = _saved(playbook_run, host)
        with open(os.path.join(FIXTURES, fixture)) as f:
            recorded = json.load(f)
        assert saved["host"] == host
        assert saved["status"] == "ok"
        assert saved["facts"]["platform"] == "windows" and saved["facts"]["schema"] == 1
        assert saved["facts"]["agent"] == recorded["agent"]
        assert saved["collected_at"].endswith("Z")
        assert saved["summary"]["total"] == len(saved["findings"])
        assert saved["msg"].startswith("%d Failed" % saved["summary"]["Failed"])


def test_playbook_reports_each_windows_host(playbook_run):
    report = _report(playbook_run)
    assert set(report) == set(HOSTS)
    printed = _printed_report(playbook_run["proc"].stdout)
    for host in HOSTS:
        saved = _saved(playbook_run, host)
        assert report[host]["status"] == "diagnosed" and report[host]["reason"] is None
        assert report[host]["platform"] == "windows"
        assert report[host]["summary"] == saved["summary"]
        assert [f["RuleId"] for f in report[host]["findings"]] == [f["RuleId"] for f in saved["findings"]]
        assert re.search(r"\b%s\b" % host, printed), printed


def test_role_passes_its_windows_variables_in_check_mode(role_run):
    proc, calls = role_run["proc"], role_run["calls"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert [c for c in calls if c["event"] == "connect"] == []
    modules = [c for c in calls if c["event"] == "module"]
    assert sorted(c["host"] for c in modules) == sorted(HOSTS)
    expected, dummy = derive_windows_endpoints(ACCOUNT, "usgovarizona")
    for call in modules:
        args = call["module_args"]
        assert args["run_as_certificate_thumbprint"] == THUMBPRINT  # validated and upper-cased
        assert args["probe_timeout"] == 5.0
        assert args["endpoints"] == expected
        assert any(e["host"] == "phx-jobruntimedata-prod-su1.azure-automation.us" for e in args["endpoints"])
    assert "changed=0" in proc.stdout and "failed=0" in proc.stdout


def test_role_rejects_a_bad_group_before_the_host_is_touched(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY)
    proc, calls = _run(str(tmp_path), "azure_hrw.doctor.diagnose", "-i", str(inventory),
                       "-e", "hrw_diagnose_hybrid_worker_group=bad/group")
    text = " ".join(proc.stdout.split())
    assert "hybrid_worker_group must be a hybrid worker group name" in text
    assert "got ''bad/group'': it contains ''/''" in text
    assert [c for c in calls if c["event"] in ("module", "connect")] == []
    for host in HOSTS:
        assert re.search(r"^%s\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=1 " % host, proc.stdout, re.MULTILINE)


# --- with the real Windows rules (need the rule branches merged) --------------------------


def test_playbook_findings_with_the_real_rules(playbook_run):
    rules = windows_doc.windows_rules()
    healthy, stopped = _saved(playbook_run, "win-healthy"), _saved(playbook_run, "win-stopped")
    assert healthy["summary"]["total"] == len(rules)
    assert healthy["summary"]["Failed"] == 0
    failed = [f["RuleId"] for f in stopped["findings"] if f["CheckResult"] == "Failed"]
    assert "MonitoringAgentServiceRunningCheck" in failed
    report = _report(playbook_run)
    assert report["win-stopped"]["worst"] == "Failed"
    # Both inventory hosts replay documents recorded from one WS2019 machine (same MachineGuid), so
    # the fleet clone rule rightly fails them both; the healthy host's own findings stay clean.
    assert report["win-healthy"]["summary"]["Failed"] == 0
    with open(glob.glob(os.path.join(playbook_run["report_dir"], "*.json"))[0]) as f:
        fleet = json.load(f)["fleet_findings"]
    clones = [f for f in fleet if f["RuleId"] == "Fleet.ClonedMachineCheck"]
    assert clones and clones[0]["CheckResult"] == "Failed"
    assert sorted(clones[0]["hosts"]) == ["win-healthy", "win-stopped"]
    assert report["win-healthy"]["worst"] == "Failed"
