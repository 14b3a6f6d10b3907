"""Offline use: the diagnose playbook on a host by itself with ``-c local``, as Microsoft's
offline troubleshooter runs on the machine it checks. No lab and no network: probes are off.

The controller machine is no hybrid worker, so the agent rules must say so (Failed install
check, dependent rules Skipped), and the playbook must still finish and write the fleet report.
"""
import glob
import json
import os
import re
import sys


def test_diagnose_playbook_runs_locally_without_network(run_diagnose, tmp_path):
    stdout = run_diagnose(
        "-i", "localhost,", "-c", "local",
        "-e", "hrw_target=localhost",
        "-e", "ansible_python_interpreter=%s" % sys.executable,
        "-e", "hrw_diagnose_probe_endpoints=false",
        "-e", "hrw_diagnose_save_dir=%s" % tmp_path,
        "-e", "hrw_report_dir=%s" % (tmp_path / "report"),
        timeout=300)
    with open(os.path.join(str(tmp_path), "localhost.json")) as handle:
        result = json.load(handle)
    by_id = {f["RuleId"]: f for f in result["findings"]}
    assert by_id["Linux.OMSAgentInstallCheck"]["CheckResult"] == "Failed"
    assert by_id["Linux.OMSAgentStatusCheck"]["CheckResultMessageId"] == "Linux.OMSAgentStatusCheck.Skipped.AgentNotInstalled"
    # the fleet report of this one host: its JSON, and the table the playbook prints (FAIL cells)
    [report] = glob.glob(os.path.join(str(tmp_path), "report", "*.json"))
    with open(report) as handle:
        [host] = json.load(handle)["hosts"]
    assert host["name"] == "localhost" and host["status"] == "diagnosed" and host["worst"] == "Failed"
    printed = stdout[stdout.index("TASK [Print the fleet table and where the report is]"):]
    assert re.search(r"^\s*\|?\s*localhost\b.*\bFAIL\b", printed, re.MULTILINE), printed
