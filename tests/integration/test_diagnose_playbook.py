"""The diagnose playbook over real SSH against the lab: every fault host fails exactly the
RuleIds its fault declares, and the healthy host has no Failed finding."""
import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.lab

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BIN = os.path.dirname(sys.executable)
_PROBE_TIMEOUT = 2.0


def _run_playbook(lab, save_dir, *extra):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(_ROOT, ".tmp", "collections"),
        "ANSIBLE_CONFIG": os.path.join(_ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    })
    cmd = [
        os.path.join(_BIN, "ansible-playbook"), "azure_hrw.doctor.diagnose",
        "-i", str(lab.inventory),
        "-e", "hrw_diagnose_save_dir=%s" % save_dir,
        "-e", "hrw_diagnose_probe_timeout=%s" % _PROBE_TIMEOUT,
    ] + list(extra)
    proc = subprocess.run(cmd, cwd=_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout


def _load(save_dir, host):
    with open(os.path.join(save_dir, "%s.json" % host)) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def diagnosis(lab, tmp_path_factory):
    save_dir = tmp_path_factory.mktemp("diagnosis")
    stdout = _run_playbook(lab, save_dir)
    return {"stdout": stdout, "results": {host: _load(save_dir, host) for host in lab.hosts}}


def _failed_ids(result):
    return {f["RuleId"] for f in result["findings"] if f["CheckResult"] == "Failed"}


def test_each_host_fails_exactly_its_fault(lab, diagnosis):
    results = diagnosis["results"]
    mismatches = {}
    for host, fault in lab.faults.items():
        expected = set(fault.expected_failed)
        got = _failed_ids(results[host])
        if got != expected:
            mismatches[host] = {"expected": sorted(expected), "got": sorted(got)}
    assert not mismatches


def test_healthy_host_has_no_failed_finding(lab, diagnosis):
    results = diagnosis["results"]
    healthy = results["healthy"]
    assert healthy["summary"]["Failed"] == 0
    assert healthy["summary"]["Passed"] > 0
    # the document came from the host itself, over SSH
    assert healthy["facts"]["host"]["hostname"] == "hrw-healthy"


@pytest.mark.parametrize("host, error_class", [
    ("endpoints_refused", "refused"),
    ("endpoints_blackholed", "timeout"),
])
def test_refused_and_blackholed_are_told_apart(lab, diagnosis, host, error_class):
    results = diagnosis["results"]
    if host not in results:
        pytest.fail("lab has no %s host" % host)
    classes = {e["error_class"] for e in results[host]["facts"]["endpoints"]}
    assert classes == {error_class}
    reasons = {
        f["CheckResultMessageId"] for f in results[host]["findings"]
        if f["RuleGroupId"] == "connectivity" and f["CheckResult"] == "Failed"
    }
    assert reasons and all(r.endswith(".Failed." + error_class.capitalize()) for r in reasons)


def test_summary_lists_every_host(lab, diagnosis):
    stdout = diagnosis["stdout"]
    for host in lab.hosts:
        assert host in stdout


def test_check_mode_reports_the_same_and_changes_nothing(lab, diagnosis, tmp_path):
    results = diagnosis["results"]
    stdout = _run_playbook(lab, tmp_path, "--check")
    assert "changed=0" in stdout and not re.search(r"changed=[1-9]", stdout)
    for host in lab.hosts:
        assert _failed_ids(_load(tmp_path, host)) == _failed_ids(results[host])


def test_proxy_and_account_faults_show_the_path_and_the_issuer(lab, diagnosis):
    results = diagnosis["results"]
    missing = [h for h in ("proxy_ok", "proxy_dead", "proxy_intercepting", "account_records") if h not in results]
    if missing:
        pytest.fail("lab has no %s host(s)" % ", ".join(missing))

    def finding(host, rule_id):
        [found] = [f for f in results[host]["findings"] if f["RuleId"] == rule_id]
        return found

    assert finding("proxy_ok", "Linux.ProxyCheck")["CheckResultMessageId"] == "Linux.ProxyCheck.Passed"
    for ep in results["proxy_ok"]["facts"]["endpoints"]:
        assert ep["via_proxy"]["error_class"] is None and ep["via_proxy"]["proxy"]["status"] == 200, ep
        assert ep["direct"]["error_class"] == "refused", ep  # reachable only through the proxy
    dead = finding("proxy_dead", "Linux.ProxyCheck")
    assert dead["CheckResultMessageId"] == "Linux.ProxyCheck.Failed.ProxyUnreachable"
    assert re.search(r"directly, without the proxy, \d of 6 endpoints work", dead["CheckResultMessage"])
    mitm = finding("proxy_intercepting", "Linux.ProxyCheck")
    assert mitm["CheckResultMessageId"] == "Linux.ProxyCheck.Failed.TlsInterception"
    assert "CN=Lab Intercepting Proxy CA" in mitm["CheckResultMessage"]
    for rule_id in ("Linux.AccountAgentServiceConnectivityCheck", "Linux.AccountJRDSConnectivityCheck"):
        assert finding("account_records", rule_id)["CheckResult"] == "Passed"
        assert finding("healthy", rule_id)["CheckResultMessageId"] == rule_id + ".Skipped.NotRequested"
    for rule_id in ("Linux.ImdsCheck", "Linux.DmidecodeCheck"):  # the lab hosts are not Azure VMs
        assert finding("healthy", rule_id)["CheckResult"] == "Information"
    assert "Lab-Proxy-Pw1" not in json.dumps(results)  # proxy.conf's password is never reported
