"""The diagnose playbook over real SSH against the lab: every fault host fails exactly the
RuleIds its fault declares, and the healthy host has no Failed finding."""
import json
import os
import re

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import fleet_rules, report_readiness
from tests.lab import OTHER_WORKSPACE_ID

pytestmark = pytest.mark.lab

# Generous: dozens of lab hosts probe the lab's one TLS server at once on a 2-core machine,
# and a slow handshake must not pass for a fault. Blackholed hosts cost one timeout each.
_PROBE_TIMEOUT = 6.0
# check mode is compared on a few representative hosts, not the whole lab again
_CHECK_MODE_HOSTS = ("healthy", "agent_stopped", "endpoints_blackholed", "worker_missing")


def _run_playbook(run_diagnose, lab, save_dir, *extra):
    return run_diagnose("-i", lab.inventory, "-e", "hrw_diagnose_save_dir=%s" % save_dir,
                        "-e", "hrw_diagnose_probe_timeout=%s" % _PROBE_TIMEOUT, *extra)


def _load(save_dir, host):
    with open(os.path.join(save_dir, "%s.json" % host)) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def diagnosis(lab, run_diagnose, tmp_path_factory):
    save_dir = tmp_path_factory.mktemp("diagnosis")
    stdout = _run_playbook(run_diagnose, lab, save_dir)
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


def test_check_mode_reports_the_same_and_changes_nothing(lab, diagnosis, run_diagnose, tmp_path):
    results = diagnosis["results"]
    hosts = [h for h in _CHECK_MODE_HOSTS if h in lab.hosts]
    stdout = _run_playbook(run_diagnose, lab, tmp_path, "--check", "--limit", ",".join(hosts))
    assert "changed=0" in stdout and not re.search(r"changed=[1-9]", stdout)
    for host in hosts:
        assert _failed_ids(_load(tmp_path, host)) == _failed_ids(results[host])


def test_healthy_host_passes_every_prerequisite_rule(lab, diagnosis):
    """The lab's healthy host is set up as the real installer sets it: users, groups,
    sudoers 0440, home modes, python3, one workspace, both worker trees."""
    findings = {f["RuleId"]: f for f in diagnosis["results"]["healthy"]["findings"]}
    for rule_id in ("Linux.AutomationUsersCheck", "Linux.SudoersCheck", "Linux.NxautomationHomeCheck",
                    "Linux.Python3Check", "Linux.MultiHomingCheck", "Linux.HybridWorkerPackgeCheck"):
        assert findings[rule_id]["CheckResultMessageId"] == rule_id + ".Passed", findings[rule_id]
    assert findings["Linux.GpgCheck"]["CheckResultMessageId"] == "Linux.GpgCheck.Passed.ValidationDisabled"
    missing = diagnosis["results"]["python3_missing"]["findings"]
    [python3] = [f for f in missing if f["RuleId"] == "Linux.Python3Check"]
    assert python3["CheckResultMessageId"] == "Linux.Python3Check.Failed.Missing"


def _finding(result, rule_id):
    [finding] = [f for f in result["findings"] if f["RuleId"] == rule_id]
    return finding


WORKER_RULES = ("Linux.UpdatesSolutionCheck", "Linux.OmsConfCheck", "Linux.SystemWorkerConfCheck",
                "Linux.WorkerCertificateThumbprintCheck", "Linux.UserWorkerConfCheck",
                "Linux.UserWorkerProcessCheck", "Linux.UserWorkerCertificateCheck", "Linux.WorkerLogCheck")


def test_healthy_host_passes_every_worker_rule_from_a_utf16_mof(lab, diagnosis):
    healthy = diagnosis["results"]["healthy"]
    got = {rule_id: _finding(healthy, rule_id)["CheckResultMessageId"] for rule_id in WORKER_RULES}
    assert got == {rule_id: rule_id + ".Passed" for rule_id in WORKER_RULES}
    state = healthy["facts"]["worker_state"]
    assert state["current_mof"]["encoding"] == "utf-16-le"
    assert state["agent_certificate"]["thumbprint"] == \
        healthy["facts"]["worker"]["system_worker_conf"]["oms-metadata"]["jrds_cert_thumbprint"]
    assert diagnosis["results"]["updates_disabled"]["facts"]["worker_state"]["current_mof"]["encoding"] == "utf-8"


def test_worker_log_errors_warn_with_the_lines(lab, diagnosis):
    finding = _finding(diagnosis["results"]["worker_log_errors"], "Linux.WorkerLogCheck")
    assert finding["CheckResultMessageId"] == "Linux.WorkerLogCheck.PassedWithWarning.RecentErrors"
    assert len(finding["evidence"]["lines"]) == 3
    assert "401 Unauthorized" in finding["evidence"]["lines"][0]
    assert "CERTIFICATE_VERIFY_FAILED" in finding["evidence"]["lines"][-1]


def test_each_host_shows_its_own_load_not_the_lab_machines(lab, diagnosis):
    # Every lab host is a machine of its own: a quiet one by default, an overloaded one for busy.
    busy = _finding(diagnosis["results"]["busy"], "Linux.ResourcePressureCheck")
    assert busy["CheckResult"] == "PassedWithWarning", busy["CheckResultMessage"]
    assert diagnosis["results"]["busy"]["facts"]["host"]["load"][:3] == [7.5, 6.8, 6.0]
    quiet = _finding(diagnosis["results"]["healthy"], "Linux.ResourcePressureCheck")
    assert diagnosis["results"]["healthy"]["facts"]["host"]["load"][:3] == [0.15, 0.1, 0.05]
    assert quiet["CheckResult"] == "Passed", quiet["CheckResultMessage"]


@pytest.mark.parametrize("host, rule_id, message_id, action", [
    ("certificate_rotated", "Linux.WorkerCertificateThumbprintCheck", "Linux.WorkerCertificateThumbprintCheck.Failed",
     "reregister"),
    ("user_worker_cert_expired", "Linux.UserWorkerCertificateCheck", "Linux.UserWorkerCertificateCheck.Failed.Expired",
     "reregister"),
    ("worker_as_root", "Linux.HybridWorkerStatusCheck", "Linux.HybridWorkerStatusCheck.Failed.WrongUser",
     "restart_worker_manager"),
    ("updates_disabled", "Linux.UpdatesSolutionCheck", "Linux.UpdatesSolutionCheck.Failed.UpdateDeploymentDisabled",
     None),
])
def test_worker_faults_say_why_and_how_to_fix(lab, diagnosis, host, rule_id, message_id, action):
    finding = _finding(diagnosis["results"][host], rule_id)
    assert finding["CheckResultMessageId"] == message_id
    assert finding["remediation"]["action"] == action
    assert finding["remediation"]["manual"]


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


def test_cloned_hosts_share_their_identity_and_only_the_fleet_rule_sees_it(lab, diagnosis):
    """cloned_a and cloned_b come from one image: the same machine id, AGENT_GUID and
    certificates; every other host has its own. Each is healthy on its own (the per-host
    expectations above); the fleet rule over all hosts' facts names exactly the pair."""
    results = diagnosis["results"]
    pair = ["cloned_a", "cloned_b"]
    missing = [h for h in pair if h not in results]
    if missing:
        pytest.fail("lab has no %s host(s)" % ", ".join(missing))
    facts = dict((host, result["facts"]) for host, result in results.items())
    ids = dict((host, doc["host"]["machine_id"]) for host, doc in facts.items())
    assert all(re.match(r"^[0-9a-f]{32}$", value) for value in ids.values()), ids
    assert ids["cloned_a"] == ids["cloned_b"]
    others = [value for host, value in ids.items() if host not in pair]
    assert len(set(others)) == len(others) and ids["cloned_a"] not in others
    guids = dict((host, doc["agent"]["omsadmin"]["AGENT_GUID"]) for host, doc in facts.items())
    assert guids["cloned_a"] == guids["cloned_b"]
    assert len(set(guids.values())) == len(guids) - 1
    assert facts["cloned_a"]["host"]["hostname"] != facts["cloned_b"]["host"]["hostname"]

    findings = dict((f["RuleId"], f) for f in fleet_rules.evaluate_fleet(facts))
    clone = findings["Fleet.ClonedMachineCheck"]
    assert clone["CheckResultMessageId"] == "Fleet.ClonedMachineCheck.Failed"
    assert clone["hosts"] == pair
    assert all(item["hosts"] == pair for item in clone["evidence"]["shared"])
    assert sorted(item["identity"] for item in clone["evidence"]["shared"]) == [
        "agent_certificate", "agent_guid", "machine_id", "user_worker_certificate"]
    assert findings["Fleet.DuplicateNameCheck"]["CheckResultMessageId"] == "Fleet.DuplicateNameCheck.Passed"
    assert findings["Fleet.GroupVersionCheck"]["CheckResultMessageId"] == "Fleet.GroupVersionCheck.Passed"
    # the wrong_workspace host is in the lab's user worker group but onboarded to another workspace
    group = findings["Fleet.GroupWorkspaceCheck"]
    if "wrong_workspace" in results:
        assert group["CheckResult"] == "Failed"
        [spread] = group["evidence"]["spread"]
        assert spread["group"] == "lab-linux-group"
        assert spread["workspaces"][OTHER_WORKSPACE_ID] == ["wrong_workspace"]


@pytest.mark.parametrize("host, state", [
    ("healthy", "Ready"),
    ("cloned_a", "Ready"),
    ("system_worker_conf_missing", "Ready"),        # the user worker is still registered and running
    ("worker_missing", "Disconnected"),
    ("worker_other_workspace", "Disconnected"),
    ("endpoints_refused", "Disconnected"),
    ("endpoints_blackholed", "Disconnected"),
])
def test_readiness_from_the_hosts_own_evidence(lab, diagnosis, host, state):
    results = diagnosis["results"]
    if host not in results:
        pytest.fail("lab has no %s host" % host)
    result = report_readiness.readiness(results[host]["facts"], results[host]["findings"])
    assert result["state"] == state, result
    assert '"last seen"' in result["reason"]
