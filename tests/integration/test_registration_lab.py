"""hrw_registration (action) -> hrw_onboarding (host) on lab hosts, against the lab's fake agent
service (tests/lab/registration.py) with the lab's fake onboarding3.py: register, deregister,
re-register, idempotence, check mode, the 403 of a wrong key and of a skewed clock, the
documented fallback, bad input, and the account key nowhere - not in any output (-vvv), result,
backup, host tree, or any process's argv or environment while a registration runs.

Own small lab (lab_factory): registrations change the hosts.
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

from tests.lab import ACCOUNT_ID, ACCOUNT_KEY, REGISTRATION_ENDPOINT, WORKER_GROUP, WORKSPACE_ID
from tests.lab.agent import AW

pytestmark = pytest.mark.lab

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = ["healthy", "worker_log_errors", "user_worker_not_running", "updates_disabled", "clock_skewed"]
WRONG_KEY = "QUJD" * 21 + "RA=="  # base64 of 64 bytes, not the account's key
BACKUP = "/var/opt/microsoft/hrw-doctor/backup"
TREES = ("opt", "varopt", "home", "etc.up")


def forms(secret):
    return {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}


@pytest.fixture(scope="module")
def reglab(lab_factory):
    return lab_factory(HOSTS)


def _ansible(lab, host, args, tmp_path, *extra, key=ACCOUNT_KEY):
    """``ansible host -m hrw_registration`` with -vvv; (result, all output). The key travels in a
    vars file (never on a command line), and must appear in no output or result."""
    n = len(list(tmp_path.iterdir()))
    tree, varsfile = tmp_path / ("tree-%d" % n), tmp_path / ("vars-%d.json" % n)
    varsfile.write_text(json.dumps({"lab_key": key}))
    task = dict({"registration_url": REGISTRATION_ENDPOINT, "account_key": "{{ lab_key }}",
                 "workspace_id": WORKSPACE_ID}, **args)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(_ROOT, ".tmp", "collections"),
               ANSIBLE_CONFIG=os.path.join(_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    proc = subprocess.run([ansible, host, "-i", lab.inventory, "-m", "azure_hrw.doctor.hrw_registration",
                           "-a", json.dumps(task), "-e", "@%s" % varsfile, "--tree", str(tree), "-vvv"] + list(extra),
                          cwd=_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    with open(tree / host) as handle:
        raw = handle.read()
    for form in forms(key):
        assert form not in output and form not in raw, "the key is in the output or the result"
    result = json.loads(raw)
    result["_rc"] = proc.returncode  # the --tree file of a task that raised has no "failed"
    return result, output


def _tree(lab, host, skip_backup=True):
    """{relative path: (mode, uid, gid, content hash or link target)} of the host's private trees."""
    out = {}
    base = os.path.join(lab.state_dir, "hosts", host)
    for top in TREES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(base, top)):
            rel = os.path.relpath(dirpath, base)
            if skip_backup and rel.startswith("varopt/hrw-doctor"):
                dirnames[:] = []
                continue
            for name in dirnames + filenames:
                if skip_backup and os.path.join(rel, name).startswith("varopt/hrw-doctor"):
                    continue
                path = os.path.join(dirpath, name)
                info = os.lstat(path)
                if os.path.islink(path):
                    what = "-> " + os.readlink(path)
                elif os.path.isfile(path):
                    with open(path, "rb") as handle:
                        what = hash(handle.read())
                else:
                    what = "dir"
                out[os.path.join(rel, name)] = (info.st_mode, info.st_uid, info.st_gid, what)
    return out


def _host_file(lab, host, logical):
    top = {"/home/": "home", "/var/opt/microsoft/": "varopt", "/opt/microsoft/": "opt"}
    for prefix, sub in top.items():
        if logical.startswith(prefix):
            return os.path.join(lab.state_dir, "hosts", host, sub, logical[len(prefix):])
    raise AssertionError(logical)


def _registry(lab):
    with open(os.path.join(lab.state_dir, "registration", "workers.json")) as handle:
        return json.load(handle)


def _workers(lab, host):
    """machine id -> worker of the lab account registered by ``host`` (hostname hrw-<fault>)."""
    name = "hrw-" + host.replace("_", "-")
    return dict((m, w) for m, w in _registry(lab)["workers"].get(ACCOUNT_ID, {}).items() if w["machine_name"] == name)


def _knobs(lab, **values):
    path = os.path.join(lab.state_dir, "registration", "knobs.json")
    with open(path, "w") as handle:
        json.dump(values, handle)


def _conf(lab, host):
    path = _host_file(lab, host, "/home/nxautomation/state/worker.conf")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return handle.read()


def test_register_deregister_reregister_idempotently(reglab, tmp_path):
    host = "healthy"
    result, dummy = _ansible(reglab, host, {"state": "present", "group_name": WORKER_GROUP}, tmp_path)
    assert result["changed"] is False and result["actions"] == [], result  # as the lab prepared it
    (seeded,) = _workers(reglab, host)

    result, dummy = _ansible(reglab, host, {"state": "absent"}, tmp_path)
    assert result["changed"] is True and [a["action"] for a in result["actions"]] == ["deregister"], result
    assert _workers(reglab, host) == {} and _conf(reglab, host) is None
    assert sorted(os.path.basename(b["path"]) for b in result["backups"]) == ["worker.conf", "worker_diy.crt",
                                                                              "worker_diy.key"]
    result, dummy = _ansible(reglab, host, {"state": "absent"}, tmp_path)
    assert result["changed"] is False and result["msg"].startswith("not registered"), result

    result, dummy = _ansible(reglab, host, {"state": "present", "group_name": "lab-group-2"}, tmp_path, "--diff")
    assert result["changed"] is True and result["state_after"] == {
        "registered": True, "account_id": ACCOUNT_ID, "group": "lab-group-2", "layout": "worker_conf"}, result
    assert "group: lab-group-2" in result["diff"]["after"]
    (machine, worker), = _workers(reglab, host).items()
    assert worker["group"] == "lab-group-2" and "machine_id = %s" % machine in _conf(reglab, host)
    result, dummy = _ansible(reglab, host, {"state": "present", "group_name": "lab-group-2"}, tmp_path)
    assert result["changed"] is False, result

    result, dummy = _ansible(reglab, host, {"state": "reregistered", "group_name": WORKER_GROUP}, tmp_path)
    assert [(a["action"], a["status"]) for a in result["actions"]] == [("deregister", "applied"),
                                                                       ("register", "applied")], result
    (again, worker), = _workers(reglab, host).items()
    assert again not in (machine, seeded) and worker["group"] == WORKER_GROUP
    # the worker the lab runs: owners and modes as the onboarding sets them
    home = os.path.join(reglab.state_dir, "hosts", host, "home", "nxautomation")
    assert {d: oct(os.stat(os.path.join(home, d)).st_mode & 0o777) for d in ("", "run", "state")} == \
        {"": "0o770", "run": "0o770", "state": "0o770"}


def test_check_mode_changes_nothing(reglab, tmp_path):
    host = "worker_log_errors"
    before, requests = _tree(reglab, host, skip_backup=False), len(_registry(reglab)["requests"])
    for args in ({"state": "reregistered", "group_name": "g-check"}, {"state": "absent"},
                 {"state": "present", "group_name": "g-check", "allow_destructive": True}):
        result, dummy = _ansible(reglab, host, args, tmp_path, "--check", "--diff")
        assert result["changed"] is True and {a["status"] for a in result["actions"]} == {"would_apply"}, result
        assert result["backups"] == []
        assert result["state_after"]["registered"] is (args["state"] != "absent")
    assert _tree(reglab, host, skip_backup=False) == before
    assert len(_registry(reglab)["requests"]) == requests


def test_a_wrong_key_gets_the_403_explained_and_nothing_is_lost(reglab, tmp_path):
    host = "worker_log_errors"
    before, conf = _tree(reglab, host), _conf(reglab, host)
    result, output = _ansible(reglab, host, {"state": "reregistered", "group_name": "g-x"}, tmp_path, key=WRONG_KEY)
    assert result["_rc"] != 0
    for text in ("403 Forbidden", "account key is wrong", "not linked to the Automation account",
                 "more than 15 minutes off", "Nothing was changed on this host"):
        assert text in result["msg"], result["msg"]
    assert _tree(reglab, host) == before and _conf(reglab, host) == conf
    assert _registry(reglab)["requests"][-1]["status"] == 403 and len(_workers(reglab, host)) == 1
    # each backup is the file byte for byte
    for record in result["backups"]:
        with open(_host_file(reglab, host, record["backup"]), "rb") as copy, \
                open(_host_file(reglab, host, record["path"]), "rb") as original:
            assert copy.read() == original.read()

    # an unregistered host: the script's partial work (certificate, empty worker.conf) is undone
    result, dummy = _ansible(reglab, host, {"state": "absent"}, tmp_path)
    assert result["changed"] is True, result
    before = _tree(reglab, host)
    result, dummy = _ansible(reglab, host, {"state": "present", "group_name": "g-x"}, tmp_path, key=WRONG_KEY)
    assert "403 Forbidden" in result["msg"] and "Nothing was changed on this host" in result["msg"], result
    assert _tree(reglab, host) == before


def test_a_skewed_clock_gets_the_403(reglab, tmp_path):
    host = "clock_skewed"
    before = _tree(reglab, host)
    result, dummy = _ansible(reglab, host, {"state": "reregistered", "group_name": WORKER_GROUP}, tmp_path)
    assert "403 Forbidden" in result["msg"] and "clock is more than 15 minutes off" in result["msg"], result
    assert "more than 15 minutes off" in _registry(reglab)["requests"][-1]["why"]
    assert _tree(reglab, host) == before


def test_the_documented_fallback_when_the_service_does_not_know_the_worker(reglab, tmp_path):
    host = "user_worker_not_running"
    state = _registry(reglab)
    for machine in _workers(reglab, host):  # the service lost it (deleted in the portal)
        del state["workers"][ACCOUNT_ID][machine]
    with open(os.path.join(reglab.state_dir, "registration", "workers.json"), "w") as handle:
        json.dump(state, handle)
    originals = {}
    for name in ("worker.conf", "worker_diy.crt", "worker_diy.key"):
        with open(_host_file(reglab, host, "/home/nxautomation/state/" + name), "rb") as handle:
            originals[name] = handle.read()

    before = _tree(reglab, host)
    result, dummy = _ansible(reglab, host, {"state": "absent"}, tmp_path)
    assert "response_status=404" in result["msg"] and "allow_destructive: true" in result["msg"], result
    assert _tree(reglab, host) == before

    result, dummy = _ansible(reglab, host, {"state": "reregistered", "group_name": WORKER_GROUP}, tmp_path)
    assert [(a["action"], a["status"]) for a in result["actions"]] == [
        ("deregister", "failed"), ("backup_state", "applied"), ("register", "applied")], result
    for name, data in originals.items():
        with open(_host_file(reglab, host, "/home/nxautomation/state/%s_old" % name), "rb") as handle:
            assert handle.read() == data
    assert len(_workers(reglab, host)) == 1
    result, dummy = _ansible(reglab, host, {"state": "present", "group_name": WORKER_GROUP}, tmp_path)
    assert result["changed"] is False, result


@pytest.mark.parametrize("args, expected", [
    ({"state": "present", "group_name": "g", "workspace_id": "not-a-guid"}, "workspace_id must be a Log Analytics workspace id"),
    ({"state": "present", "group_name": "g", "registration_url": "https://example.com/accounts/" + ACCOUNT_ID},
     "the host must be an Automation host"),
    ({"state": "present", "group_name": "bad/group"}, "group_name must be a hybrid worker group name"),
    ({"state": "absent", "account_key": "not base64!"}, "account_key must be the Automation account's primary"),
])
def test_bad_input_is_rejected_before_any_change(reglab, tmp_path, args, expected):
    host = "worker_log_errors"
    before, requests = _tree(reglab, host, skip_backup=False), len(_registry(reglab)["requests"])
    result, output = _ansible(reglab, host, args, tmp_path)
    assert result["_rc"] != 0 and expected in result["msg"], result
    assert "not base64!" not in output
    assert _tree(reglab, host, skip_backup=False) == before and len(_registry(reglab)["requests"]) == requests


class Snapshot(threading.Thread):
    """Reads every process's cmdline and environ (the whole machine: lab hosts are PID namespaces
    of it) until stopped; ``hits`` are processes that held a secret, ``seen`` every cmdline."""

    def __init__(self, secret):
        super().__init__(daemon=True)
        self.needles = [f.encode() for f in forms(secret)]
        self.hits, self.seen, self.done = [], set(), threading.Event()

    def run(self):
        while not self.done.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or int(pid) == os.getpid():
                    continue
                for part in ("cmdline", "environ"):
                    try:
                        with open("/proc/%s/%s" % (pid, part), "rb") as handle:
                            data = handle.read()
                    except OSError:
                        continue
                    if part == "cmdline":
                        self.seen.add(data.replace(b"\0", b" ").decode("utf-8", "replace"))
                    if any(n in data for n in self.needles):
                        self.hits.append((pid, part, data.replace(b"\0", b" ")))
            time.sleep(0.02)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join(10)


def _search_files(top, secret):
    found = []
    needles = [f.encode() for f in forms(secret)]
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            if any(n in data for n in needles):
                found.append(path)
    return found


def test_the_key_is_in_no_process_output_result_or_file(reglab, tmp_path):
    host = "updates_disabled"
    # the agent's openssl pipelines and the service's answer take a second each, so the snapshot
    # sees the registration's processes while they run
    _knobs(reglab, openssl_delay=1, answer_delay=1)
    try:
        with Snapshot(ACCOUNT_KEY) as snap:
            result, output = _ansible(reglab, host, {"state": "reregistered", "group_name": WORKER_GROUP}, tmp_path)
        assert [a["status"] for a in result["actions"]] == ["applied", "applied"], result
        assert snap.hits == []
        # evidence the snapshot ran during the registration: the agent's hash pipeline (no key in it)
        assert any("openssl dgst -sha256 -binary" in c and "RunbookWorkerGroup" in c for c in snap.seen)
        assert not any("-hmac" in c for c in snap.seen)  # the signer ran in-process

        # control: the agent's script run as documented (a command) puts the key in two argvs,
        # and the same snapshot sees it (a wrong key: deregistration is refused, nothing changes)
        key = "-i %s -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" % os.path.join(
            reglab.state_dir, "ssh", "id_ed25519")
        with Snapshot(WRONG_KEY) as control:
            subprocess.run("ssh %s root@%s python3 %s/scripts/onboarding.py --deregister -w %s -k %s -g g -e %s"
                           % (key, reglab.hosts[host], AW, WORKSPACE_ID, WRONG_KEY, REGISTRATION_ENDPOINT),
                           shell=True, capture_output=True, timeout=60, check=False)
        assert any(b"-hmac" in hit[2] for hit in control.hits) and any(b"onboarding.py" in hit[2] for hit in control.hits)
    finally:
        _knobs(reglab)
    assert _search_files(os.path.join(reglab.state_dir, "hosts", host, "varopt"), ACCOUNT_KEY) == []
    assert ACCOUNT_KEY not in output and ACCOUNT_KEY not in json.dumps(result)


def test_the_reregister_playbook_in_waves_with_the_key_in_a_vars_file(reglab, tmp_path):
    # The role's path: argument validation of the role (the key is a no_log role option), the
    # action, the digest; -vvv everywhere; state reregistered then present (changed=0).
    host = "user_worker_not_running"
    varsfile = tmp_path / "vault.json"
    varsfile.write_text(json.dumps({"hrw_reregister_account_key": ACCOUNT_KEY}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(_ROOT, ".tmp", "collections"),
               ANSIBLE_CONFIG=os.path.join(_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    runs = []
    for state in ("reregistered", "present"):
        proc = subprocess.run(
            [playbook, os.path.join(_ROOT, "playbooks", "reregister.yml"), "-i", reglab.inventory, "-vvv",
             "-e", "hrw_target=%s" % host, "-e", "@%s" % varsfile, "-e", "hrw_reregister_state=%s" % state,
             "-e", "hrw_reregister_group_name=%s" % WORKER_GROUP, "-e", "hrw_reregister_registration_url=%s" % REGISTRATION_ENDPOINT,
             "-e", "hrw_reregister_workspace_id=%s" % WORKSPACE_ID],
            cwd=_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        output = proc.stdout + proc.stderr
        for form in forms(ACCOUNT_KEY):
            assert form not in output, "the key is in the playbook's -vvv output"
        assert proc.returncode == 0, output[-3000:]
        runs.append(output)
    assert "changed=1" in runs[0].split("PLAY RECAP", 1)[1] and "register: applied" in runs[0]
    assert "changed=0" in runs[1].split("PLAY RECAP", 1)[1]
    assert _workers(reglab, host) and WORKER_GROUP in _conf(reglab, host)


def test_zz_the_key_is_in_no_file_of_the_lab(reglab, tmp_path):
    # after every registration above: every host's trees (backups included), the service's state, the logs
    assert _search_files(reglab.state_dir, ACCOUNT_KEY) == []
    assert _search_files(reglab.state_dir, WRONG_KEY) == []
