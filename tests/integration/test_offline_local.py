"""Offline use: the diagnose playbook on a host by itself with ``-c local``, as Microsoft's
offline troubleshooter runs on the machine it checks. No lab and no network: probes are off.

The controller machine is no hybrid worker, so the agent rules must say so (Failed install
check, dependent rules Skipped), and the playbook must still finish and summarise.
"""
import json
import os
import subprocess
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BIN = os.path.dirname(sys.executable)


def test_diagnose_playbook_runs_locally_without_network(tmp_path):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(_ROOT, ".tmp", "collections"),
        "ANSIBLE_CONFIG": os.path.join(_ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    })
    cmd = [
        os.path.join(_BIN, "ansible-playbook"), "azure_hrw.doctor.diagnose",
        "-i", "localhost,", "-c", "local",
        "-e", "hrw_target=localhost",
        "-e", "ansible_python_interpreter=%s" % sys.executable,
        "-e", "hrw_diagnose_probe_endpoints=false",
        "-e", "hrw_diagnose_save_dir=%s" % tmp_path,
    ]
    proc = subprocess.run(cmd, cwd=_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    with open(os.path.join(str(tmp_path), "localhost.json")) as handle:
        result = json.load(handle)
    by_id = {f["RuleId"]: f for f in result["findings"]}
    assert by_id["Linux.OMSAgentInstallCheck"]["CheckResult"] == "Failed"
    assert by_id["Linux.OMSAgentStatusCheck"]["CheckResultMessageId"] == "Linux.OMSAgentStatusCheck.Skipped.AgentNotInstalled"
    assert "localhost" in proc.stdout and "FAILED" in proc.stdout
