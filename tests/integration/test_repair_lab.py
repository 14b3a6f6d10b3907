"""The repair playbook over real SSH against a lab of every fault (issue 5).

One lab of its own (``lab_factory``: the repairs must not change the shared session lab), one
playbook run per phase for the whole fleet, in this order (each phase is a module fixture that
asks for the one before it, so any test runs them in order):

1. ``pristine``: every host's files and processes (tests/integration/lab_snapshot.py).
2. ``check_run``: ``--check --diff``; every host is still exactly ``pristine``; the steps say
   what would apply.
3. ``refusals``: bad requests (an unknown action next to a valid one, the destructive actions,
   which are all Windows ones, with and without the switch, one that another module does, one
   without its option) fail before anything runs; the hosts are still exactly ``pristine``.
4. ``repair_run``: ``actions: [auto]`` (with the lab's fake installer on the hosts whose fault
   needs ``reinstall_agent``).
5. ``second_run``: the same again changes nothing (recap and result). Its diagnosis of every
   host before it plans is the "after" of the first run: each fault's RuleIds are cleared
   except ``Fault.after_repair``, and no other rule changed state.
6. Backups: every backup is byte for byte the file before the repair, and restoring one with
   the documented command gives the file back; preserve_update_log keeps an exact copy.

Our ansible-playbook runs use a ControlPersist directory of their own, closed after each run,
so the snapshots (which wait until a host has no SSH session) do not wait 60 s for them.
"""
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.integration.lab_snapshot import close_ssh_sessions, differences, in_host, snapshot
from tests.lab import INSTALLER_PATH, WORKSPACE_ID
from tests.lab.faults import FAULTS

pytestmark = pytest.mark.lab

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_REPAIR = os.path.join(_ROOT, "tests", "integration", "playbooks", "repair_and_save.yml")
_BIN = os.path.dirname(sys.executable)
# As in the diagnose tests: dozens of hosts probe the lab's one TLS server at once.
_PROBE_TIMEOUT = 6.0
RUN_FAILED_HOSTS = 2  # ansible-playbook's exit code when a host failed
# The hosts the refusal runs target: one that a valid action would change, one healthy.
_REFUSAL_HOSTS = ("agent_stopped", "healthy")
# What the diagnosis options of the repair role are, from the lab inventory's diagnose ones
# (the lab's expectations: workspace, regions, the account of account_records).
_EXPECTATIONS = ("expected_workspace_id", "automation_account_id", "automation_account_region", "workspace_region")


def _recap(stdout):
    """host -> {ok: n, changed: n, unreachable: n, failed: n, ...} from PLAY RECAP."""
    recap = {}
    for match in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", stdout, re.MULTILINE):
        recap[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return recap


def _fatal(stdout):
    """host -> the failed task's result, from ``fatal: [host]: FAILED! => {json}`` (result format json)."""
    out = {}
    for match in re.finditer(r"^fatal: \[(\S+)\]: FAILED! => ", stdout, re.MULTILINE):
        out[match.group(1)] = json.JSONDecoder().raw_decode(stdout, match.end())[0]
    return out


class Runner:
    """ansible-playbook with this checkout's collection, a ControlPersist dir of its own
    (closed after each run) and JSON results (so a failure's result can be parsed)."""

    def __init__(self, lab, tmp):
        self.lab, self.tmp = lab, tmp
        self.cp_dir = str(tmp / "cp")
        os.makedirs(self.cp_dir, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(_ROOT, ".tmp", "collections"),
            "ANSIBLE_CONFIG": os.path.join(_ROOT, "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": self.cp_dir,
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        })
        # The repair role's options: the lab's expectations, the probe timeout, and the fake
        # installer only on the hosts whose fault needs reinstall_agent.
        group_vars = {"hrw_repair_probe_timeout": _PROBE_TIMEOUT}
        group_vars.update({"hrw_repair_" + name: "{{ hrw_diagnose_%s | default('') }}" % name for name in _EXPECTATIONS})
        hosts = {name: {"hrw_repair_installer": INSTALLER_PATH} for name, fault in lab.faults.items()
                 if "reinstall_agent" in fault.repair_actions}
        self.repair_vars = str(tmp / "repair_vars.yml")
        with open(self.repair_vars, "w") as handle:
            yaml.safe_dump({"all": {"vars": group_vars, "hosts": hosts}}, handle)
        self.runs = 0

    def run(self, playbook, *args, timeout=900):
        proc = subprocess.run([os.path.join(_BIN, "ansible-playbook"), playbook, "-i", self.lab.inventory,
                               "-i", self.repair_vars] + [str(a) for a in args],
                              cwd=_ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False)
        close_ssh_sessions(self.cp_dir)
        return proc

    def repair(self, *args, hosts=None, expect_rc=0):
        """The repair playbook: {proc, output, recap: {host: counts}, results: {host: hrw_repair_result}}."""
        self.runs += 1
        save_to = self.tmp / ("repair-%d.json" % self.runs)
        # hrw_target, not --limit: --limit would leave out the localhost play that saves the results
        extra = ["-e", "hrw_target=%s" % ":".join(hosts)] if hosts else []
        report = self.tmp / ("report-%d" % self.runs)  # the repair playbook ends with the fleet report
        proc = self.run(_REPAIR, "-e", "hrw_test_save_to=%s" % save_to, "-e", "hrw_report_dir=%s" % report,
                        *(extra + list(args)))
        output = proc.stdout[-8000:] + proc.stderr[-3000:]
        assert proc.returncode == expect_rc, output
        results = {}
        if save_to.exists():  # not when every host failed (the playbook ends before the save)
            with open(save_to) as handle:
                results = {host: result for host, result in json.load(handle).items() if result is not None}
        return {"proc": proc, "output": output, "recap": _recap(proc.stdout), "results": results}


def _states(findings):
    """RuleId -> CheckResult."""
    return {f["RuleId"]: f["CheckResult"] for f in findings}


def _failed(findings):
    return {f["RuleId"] for f in findings if f["CheckResult"] == "Failed"}


def _snapshots(lab):
    return {host: snapshot(lab, host) for host in lab.hosts}


def _changed_hosts(before, after):
    return {host: differences(before[host], after[host])[:10] for host in before
            if differences(before[host], after[host])}


# ---------------------------------------------------------------------------------- phases
@pytest.fixture(scope="module")
def repair_lab(lab_factory):
    # HRW_LAB_FAULTS limits the hosts as for the session lab (keep healthy, agent_stopped,
    # requiretty and proxy_conf_mode, which the tests below name).
    faults = [f for f in os.environ.get("HRW_LAB_FAULTS", "").split(",") if f] or list(FAULTS)
    return lab_factory(faults)


@pytest.fixture(scope="module")
def runner(repair_lab, tmp_path_factory):
    return Runner(repair_lab, tmp_path_factory.mktemp("repair"))


@pytest.fixture(scope="module")
def pristine(repair_lab):
    return _snapshots(repair_lab)


@pytest.fixture(scope="module")
def check_run(repair_lab, runner, pristine):
    run = runner.repair("--check", "--diff")
    run["after"] = _snapshots(repair_lab)
    return run


@pytest.fixture(scope="module")
def refusals(repair_lab, runner, check_run):
    """Each bad request, run on _REFUSAL_HOSTS: {name: run}, then the hosts' snapshots."""
    requests = {
        # the valid restart_agent must not run either: the request fails as a whole
        "unknown": {"hrw_repair_actions": ["restart_agent", "no_such_action"]},
        "windows_destructive": {"hrw_repair_actions": ["purge_health_service_state", "remove_hybrid_registration"]},
        "windows_destructive_allowed": {"hrw_repair_actions": ["purge_health_service_state"],
                                        "hrw_repair_allow_destructive": True},
        "handled_elsewhere": {"hrw_repair_actions": ["reregister"]},
        "option_missing": {"hrw_repair_actions": ["reinstall_agent"], "hrw_repair_installer": ""},
    }
    runs = {}
    for name, extra_vars in requests.items():
        run = runner.repair("-e", json.dumps(extra_vars), hosts=_REFUSAL_HOSTS, expect_rc=RUN_FAILED_HOSTS)
        run["fatal"] = _fatal(run["proc"].stdout)
        runs[name] = run
    return {"runs": runs, "after": {host: snapshot(repair_lab, host) for host in _REFUSAL_HOSTS}}


@pytest.fixture(scope="module")
def repair_run(repair_lab, runner, refusals):
    run = runner.repair()
    run["after"] = _snapshots(repair_lab)
    return run


@pytest.fixture(scope="module")
def second_run(repair_lab, runner, repair_run):
    run = runner.repair()
    run["after"] = _snapshots(repair_lab)
    return run


# ---------------------------------------------------------------------------------- tests
def test_snapshot_sees_every_root_and_the_agent(repair_lab, pristine):
    """The snapshot is not empty by accident: every root, the drop-in, the agent process."""
    healthy = pristine["healthy"]
    for root in ("/opt/microsoft", "/var/opt/microsoft", "/etc/opt/microsoft", "/etc", "/home/nxautomation"):
        assert healthy["files"][root] is not None and healthy["files"][root][0] == "d", root
    assert healthy["files"]["/etc/sudoers.d/omsagent"][1:4] == ["root", "root", "0440"]
    assert "/etc/sudoers.d/omsagent" not in pristine["sudoers_missing"]["files"]
    assert any(p[1] == "omsagent" and "/opt/microsoft/omsagent/bin/omsagent" in p[2] for p in healthy["procs"])
    assert not any("/opt/microsoft/omsagent/bin/omsagent" in p[2] for p in pristine["agent_stopped"]["procs"])


def test_snapshot_sees_a_mode_change(repair_lab, pristine):
    """One chmod inside one host shows as exactly that path (and nothing else changes by itself)."""
    path = "/home/nxautomation/state/worker.conf"
    mode = pristine["healthy"]["files"][path][3]
    in_host(repair_lab, "healthy", ["chmod", "0604", path])
    try:
        changed = differences(pristine["healthy"], snapshot(repair_lab, "healthy"))
    finally:
        in_host(repair_lab, "healthy", ["chmod", mode, path])
    assert len(changed) == 1 and changed[0].startswith(path + ":"), changed
    assert differences(pristine["healthy"], snapshot(repair_lab, "healthy")) == []


def test_check_mode_changes_nothing_on_any_host(check_run, pristine):
    assert _changed_hosts(pristine, check_run["after"]) == {}


def test_check_mode_reports_what_would_apply(repair_lab, check_run):
    results, recap = check_run["results"], check_run["recap"]
    wrong = {}
    for host, fault in repair_lab.faults.items():
        result = results[host]
        expected = set(fault.repair_actions)
        would = {s["action"] for s in result.get("steps", []) if s["status"] == "would_apply"}
        applied = [s["action"] for s in result.get("steps", []) if s["status"] in ("applied", "unchanged", "failed")]
        got = {"would_apply": sorted(would), "changed": result.get("changed"), "failed": result.get("failed", False),
               "recap_changed": recap[host]["changed"], "ran": applied}
        want = {"would_apply": sorted(expected), "changed": bool(expected), "failed": False,
                "recap_changed": int(bool(expected)), "ran": []}
        if got != want:
            wrong[host] = {"got": got, "want": want, "msg": result.get("msg")}
    assert not wrong, wrong


@pytest.mark.parametrize("request_name, names", [
    ("unknown", ["no_such_action"]),
    ("windows_destructive", ["purge_health_service_state", "remove_hybrid_registration"]),
    ("windows_destructive_allowed", ["purge_health_service_state"]),
    ("handled_elsewhere", ["reregister", "hrw_registration"]),
    ("option_missing", ["reinstall_agent", "installer"]),
])
def test_bad_request_fails_before_anything_runs(refusals, request_name, names):
    run = refusals["runs"][request_name]
    for host in _REFUSAL_HOSTS:
        assert run["recap"][host]["failed"] == 1 and run["recap"][host]["changed"] == 0, (host, run["output"])
        msg = run["fatal"][host]["msg"]
        for name in names:
            assert name in msg, (name, msg)
        # failed before the plan ran: no step, nothing collected on the host
        assert not run["fatal"][host].get("steps"), run["fatal"][host]


def test_windows_destructive_actions_are_refused_on_linux_even_with_the_switch(refusals):
    # Every destructive action is a Windows one: on a Linux host the platform refuses it,
    # with or without allow_destructive (the switch's own message: the planner's unit tests).
    for request_name in ("windows_destructive", "windows_destructive_allowed"):
        msg = refusals["runs"][request_name]["fatal"]["healthy"]["msg"]
        assert "purge_health_service_state is a Windows action" in msg, msg


def test_bad_requests_change_nothing(refusals, pristine):
    assert _changed_hosts({h: pristine[h] for h in _REFUSAL_HOSTS}, refusals["after"]) == {}


def test_repair_runs_the_expected_actions_and_changes(repair_lab, repair_run):
    results, recap = repair_run["results"], repair_run["recap"]
    wrong = {}
    for host, fault in repair_lab.faults.items():
        result = results[host]
        expected = set(fault.repair_actions)
        applied = {s["action"] for s in result.get("steps", []) if s["status"] == "applied"}
        got = {"applied": sorted(applied), "changed": result.get("changed"), "failed": result.get("failed", False),
               "recap": {k: recap[host][k] for k in ("changed", "failed", "unreachable")}}
        want = {"applied": sorted(expected), "changed": bool(expected), "failed": False,
                "recap": {"changed": int(bool(expected)), "failed": 0, "unreachable": 0}}
        if got != want:
            wrong[host] = {"got": got, "want": want, "msg": result.get("msg")}
    assert not wrong, wrong


def test_repair_clears_each_fault_and_nothing_else_changes_state(repair_lab, repair_run, second_run):
    """Before: the repair's diagnosis (findings_before) fails exactly the lab's expected_failed.
    After: the second run's diagnosis before it plans (a full collection of every host, apart
    from the first run's own verification) shows the cleared RuleIds Passed, exactly
    after_repair Failed, and every other rule with its CheckResult of before."""
    wrong = {}
    for host, fault in repair_lab.faults.items():
        result = repair_run["results"][host]
        before = _states(result["findings_before"])
        after_findings = second_run["results"][host]["findings_before"]
        after = _states(after_findings)
        cleared = set(fault.expected_failed) - fault.after_repair
        problems = []
        if _failed(result["findings_before"]) != set(fault.expected_failed):
            problems.append("failed before %s, lab says %s" % (sorted(_failed(result["findings_before"])),
                                                               sorted(fault.expected_failed)))
        not_passed = {r: after.get(r) for r in cleared if after.get(r) != "Passed"}
        if not_passed:
            problems.append("not cleared: %s" % not_passed)
        if _failed(after_findings) != fault.after_repair:
            problems.append("failed after %s, want %s" % (sorted(_failed(after_findings)), sorted(fault.after_repair)))
        moved = {r: (before[r], after.get(r)) for r in before
                 if r not in fault.expected_failed and after.get(r) != before[r]}
        if moved:
            problems.append("changed state: %s" % moved)
        if not cleared <= set(result.get("cleared", [])):
            problems.append("result cleared %s, want at least %s" % (result.get("cleared"), sorted(cleared)))
        if problems:
            wrong[host] = problems
    assert not wrong, wrong


def test_repair_leaves_hosts_with_nothing_to_fix_as_they_were(repair_lab, repair_run, pristine):
    untouched = [host for host, fault in repair_lab.faults.items() if not fault.repair_actions]
    assert untouched and _changed_hosts({h: pristine[h] for h in untouched}, repair_run["after"]) == {}


def test_second_run_changes_nothing_inside_any_host(repair_run, second_run):
    assert _changed_hosts(repair_run["after"], second_run["after"]) == {}


def test_second_run_changes_nothing(repair_lab, second_run):
    wrong = {}
    for host in repair_lab.hosts:
        result = second_run["results"][host]
        ran = [s["action"] for s in result.get("steps", []) if s["status"] not in ("unchanged", "skipped")]
        if second_run["recap"][host]["changed"] != 0 or result.get("changed") or result.get("failed") or ran:
            wrong[host] = {"recap": second_run["recap"][host], "changed": result.get("changed"),
                           "msg": result.get("msg"), "ran": ran}
    assert not wrong, wrong
    assert not re.search(r"changed=[1-9]", second_run["proc"].stdout)


def test_every_backup_is_the_file_before_the_repair(repair_lab, repair_run, second_run, pristine):
    """Each reported backup (sha256 taken inside the host) is byte for byte the file the
    pristine snapshot saw at its path; the second run made none."""
    seen = 0
    for host in repair_lab.hosts:
        backups = repair_run["results"][host].get("backups", [])
        assert not second_run["results"][host].get("backups"), (host, second_run["results"][host]["backups"])
        if not backups:
            continue
        now = snapshot(repair_lab, host)
        for backup in backups:
            assert backup["path"] in pristine[host]["files"], backup
            original = pristine[host]["files"][backup["path"]]
            copy = now["files"].get(backup["backup"])
            assert copy and copy[0] == "f" and copy[4] == original[4] == backup["sha256"], (host, backup, original, copy)
            seen += 1
    assert seen, "no repair made a backup: repair_prerequisites on requiretty rewrites /etc/sudoers.d/omsagent"


def _restore_commands(step, backup):
    """The restore of docs/repair-backups.md for this backup, as argv lists."""
    if backup["path"] == "/etc/sudoers.d/omsagent":
        return [["install", "-o", "root", "-g", "root", "-m", "0440", backup["backup"], backup["path"]], ["visudo", "-c"]]
    if backup["path"] == "/etc/opt/microsoft/omsagent/proxy.conf":
        # owner, group and mode from the step's diff (before): "root:root 0600"
        owner, mode = step["diff"]["before"].split()
        user, group = owner.split(":")
        return [["install", "-o", user, "-g", group, "-m", mode, backup["backup"], backup["path"]]]
    raise AssertionError("docs/repair-backups.md has no restore for %s" % backup)


@pytest.mark.parametrize("host, path", [
    ("requiretty", "/etc/sudoers.d/omsagent"),  # repair_prerequisites rewrote it
    ("proxy_conf_mode", "/etc/opt/microsoft/omsagent/proxy.conf"),  # fix_proxy_conf changed owner and mode
])
def test_restoring_a_backup_gives_the_file_back(repair_lab, repair_run, second_run, pristine, host, path):
    """The documented check (sha256sum = the reported sha256) and restore give back the file
    of before the repair: content, owner, group and mode."""
    [step] = [s for s in repair_run["results"][host]["steps"] if any(b["path"] == path for b in s.get("backups", []))]
    [backup] = [b for b in step["backups"] if b["path"] == path]
    assert second_run["after"][host]["files"][path] != pristine[host]["files"][path]  # the repair did change it
    checked = in_host(repair_lab, host, ["sha256sum", backup["backup"]]).stdout.split()[0]
    assert checked == backup["sha256"]
    for argv in _restore_commands(step, backup):
        in_host(repair_lab, host, argv)
    assert snapshot(repair_lab, host)["files"][path] == pristine[host]["files"][path]


def test_preserve_update_log_keeps_an_exact_copy(repair_lab, runner, second_run):
    host = "healthy"
    log = "/var/opt/microsoft/omsagent/run/automationworker/omsupdatemgmt.log"  # run -> <workspace>/run
    real_log = "/var/opt/microsoft/omsagent/%s/run/automationworker/omsupdatemgmt.log" % WORKSPACE_ID
    extra = json.dumps({"hrw_repair_actions": ["preserve_update_log"]})
    first = runner.repair("-e", extra, hosts=[host])
    again = runner.repair("-e", extra, hosts=[host])
    [step] = [s for s in first["results"][host]["steps"] if s["action"] == "preserve_update_log"]
    assert step["status"] == "applied" and first["recap"][host]["changed"] == 1, step
    [backup] = first["results"][host]["backups"]
    assert backup["path"] == log, backup
    files = snapshot(repair_lab, host)["files"]
    assert files[backup["backup"]][4] == files[real_log][4] == backup["sha256"]
    assert re.search(r"omsupdatemgmt\.log\.\d{8}T\d{6}Z$", backup["backup"]), backup
    [step] = [s for s in again["results"][host]["steps"] if s["action"] == "preserve_update_log"]
    assert step["status"] == "unchanged" and again["recap"][host]["changed"] == 0, step
