# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""linux_repair against a temporary root: each action's change, idempotence, check mode, backups, diff.

Owners live in a dict (no real users or chown needed); commands go to a fake runner that edits
the root's /etc files as groupadd/useradd/usermod would; processes are a list.
"""

import datetime
import hashlib
import os
import signal

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_repair as lr

NOW = datetime.datetime(2026, 11, 25, 20, 0, 0, tzinfo=datetime.timezone.utc)
WS = "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
BACKUP = "/var/backup"
PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "omsagent:x:998:997:OMS agent:/var/opt/microsoft/omsagent/run:/bin/bash\n"
          "nxautomation:x:997:996::/home/nxautomation/run:/bin/sh\n")
GROUP = ("root:x:0:\nomiusers:x:995:omsagent,nxautomation\nomsagent:x:997:nxautomation\n"
         "nxautomation:x:996:\n")
HEALTHY_SUDOERS = "\n".join(line.format(aw=lr.AW) for line in lr.SUDOERS_LINES) + "\n"
UID = {"root": 0, "omsagent": 998, "nxautomation": 997}
GID = {"root": 0, "omiusers": 995, "omsagent": 997, "nxautomation": 996}
MANAGER = ["python", lr.AW + "/worker/main.py", "/var/opt/microsoft/omsagent/state/automationworker/oms.conf",
           "rworkspace:" + WS, "rversion:1.7.5.0"]
WORKER = ["python", lr.AW + "/worker/hybridworker.py", lr.WORKER_CONFS[0], "managed", "rworkspace:" + WS]


class FakeHost(lr.Host):
    def __init__(self, root):
        super(FakeHost, self).__init__(root=str(root), run=self._run, now=lambda: self.clock,
                                       sleep=lambda seconds: None)
        self.clock = NOW
        self.owners = {}
        self.commands = []
        self.procs = []
        self.killed = []
        self.fail = {}      # argv[0] -> (rc, stderr)

    def stat(self, logical):
        st = super(FakeHost, self).stat(logical)
        if st is None:
            return None
        uid, gid = self.owners.get(logical, (0, 0))
        return uid, gid, st[2]

    def chown(self, logical, uid, gid):
        assert os.path.lexists(self.path(logical)), logical
        self.owners[logical] = (uid, gid)

    def processes(self):
        return [dict(p) for p in self.procs]

    def kill(self, pid, sig):
        self.killed.append((pid, sig))
        self.procs = [p for p in self.procs if p["pid"] != pid]

    # ---- commands
    def _edit(self, logical, change):
        path = self.path(logical)
        with open(path) as handle:
            lines = handle.read().splitlines()
        with open(path, "w") as handle:
            handle.write("\n".join(change(lines)) + "\n")

    def _run(self, argv, data=None, timeout=900):
        self.commands.append(list(argv))
        name = os.path.basename(argv[0])
        if name in self.fail:
            return self.fail[name][0], "", self.fail[name][1]
        if name == "groupadd":
            gid = 900 + len(self.groups())
            self._edit("/etc/group", lambda lines: lines + ["%s:x:%d:" % (argv[-1], gid)])
        elif name == "useradd":
            group = argv[argv.index("-g") + 1]
            self._edit("/etc/passwd", lambda lines: lines + ["%s:x:%d:%d::%s:/bin/sh" % (
                argv[-1], 800 + len(self.users()), self.gid(group), argv[argv.index("-d") + 1])])
        elif name == "usermod" and "-G" in argv:
            wanted = argv[argv.index("-G") + 1].split(",")

            def add(lines):
                out = []
                for line in lines:
                    parts = line.split(":")
                    if parts[0] in wanted and argv[-1] not in parts[3].split(","):
                        parts[3] = ",".join([m for m in parts[3].split(",") if m] + [argv[-1]])
                    out.append(":".join(parts))
                return out
            self._edit("/etc/group", add)
        elif name == "service_control":
            return 0, "omsagent (%s) is running, pid 42\n" % WS, ""
        elif name == "su":  # the DSC consistency check starts the manager and its worker
            if not any(p["argv"] == MANAGER for p in self.procs):
                self.procs.append({"pid": 500, "uid": UID["nxautomation"], "argv": MANAGER})
                self.procs.append({"pid": 501, "uid": UID["nxautomation"], "argv": WORKER})
            return 0, "Operation PerformRequiredConfigurationChecks completed successfully.\n", ""
        return 0, "", ""


def _write(host, logical, text, mode=0o644, owner=("root", "root")):
    path = host.path(logical)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)
    host.owners[logical] = (UID[owner[0]], GID[owner[1]])


def _dir(host, logical, mode, owner):
    os.makedirs(host.path(logical), exist_ok=True)
    os.chmod(host.path(logical), mode)
    host.owners[logical] = (UID[owner[0]], GID[owner[1]])


@pytest.fixture
def host(tmp_path):
    """A healthy host: accounts, drop-in, home, keyring, proxy.conf, the update log, the agent's programs."""
    h = FakeHost(tmp_path / "root")
    _write(h, "/etc/passwd", PASSWD)
    _write(h, "/etc/group", GROUP)
    _write(h, "/etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640)
    _write(h, lr.SUDOERS_DROPIN, HEALTHY_SUDOERS, 0o440)
    _dir(h, lr.HOME, 0o770, ("omsagent", "omiusers"))
    _dir(h, lr.HOME + "/run", 0o770, ("nxautomation", "omiusers"))
    _dir(h, lr.HOME + "/state", 0o770, ("nxautomation", "omiusers"))
    _write(h, lr.KEYRING, "", 0o644)
    _write(h, lr.PROXY_CONF, "http://user:pw@proxy:3128", 0o640, ("omsagent", "omiusers"))
    _write(h, lr.UPDATE_LOG, "update run 1\n")
    _write(h, lr.SERVICE_CONTROL, "#!/bin/sh\n", 0o755)
    _write(h, lr.DSC_CHECK, "#!/usr/bin/env python3\n", 0o755)
    _write(h, "/usr/bin/python3", "", 0o755)
    h.procs = [{"pid": 100, "uid": UID["nxautomation"], "argv": MANAGER},
               {"pid": 101, "uid": UID["nxautomation"], "argv": WORKER},
               {"pid": 7, "uid": 0, "argv": ["/usr/sbin/sshd", "-D"]}]
    return h


def run(host, *actions, **kwargs):
    steps = [a if isinstance(a, dict) else {"action": a} for a in actions]
    return lr.run_steps(steps, host=host, backup_dir=BACKUP, **kwargs)


def _sha(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _snapshot(host):
    """Every file (content, mode) and owner under the root: what check mode must leave alone."""
    out = {}
    for base, dirs, files in os.walk(host.root):
        for name in dirs + files:
            path = os.path.join(base, name)
            info = os.lstat(path)
            out[path] = (info.st_mode, None if os.path.isdir(path) else _sha(path))
    return out, dict(host.owners), [p["pid"] for p in host.procs]


# --------------------------------------------------------------------------- healthy: nothing to do

def test_healthy_host_is_unchanged(host):
    before = _snapshot(host)
    result = run(host, "repair_prerequisites", "fix_proxy_conf")
    assert result["changed"] is False
    assert [s["status"] for s in result["steps"]] == ["unchanged", "unchanged"]
    assert result["backups"] == []
    assert _snapshot(host) == before
    assert host.commands == []


# --------------------------------------------------------------------------- repair_prerequisites

def test_sudoers_missing_check_mode_then_apply_then_unchanged(host):
    os.unlink(host.path(lr.SUDOERS_DROPIN))
    before = _snapshot(host)
    checked = run(host, "repair_prerequisites", check_mode=True)
    step = checked["steps"][0]
    assert step["status"] == "would_apply" and step["changed"] is True and checked["changed"] is True
    assert "nxautomation ALL=(ALL) NOPASSWD: ALL" in step["diff"]["after"]
    assert "(absent)" in step["diff"]["before"]
    assert _snapshot(host) == before and host.commands == []

    applied = run(host, "repair_prerequisites")
    assert applied["steps"][0]["status"] == "applied"
    with open(host.path(lr.SUDOERS_DROPIN)) as handle:
        assert handle.read() == HEALTHY_SUDOERS
    assert host.stat(lr.SUDOERS_DROPIN) == (0, 0, 0o440)
    assert applied["backups"] == []  # nothing existed to back up

    again = run(host, "repair_prerequisites")
    assert again["steps"][0]["status"] == "unchanged" and again["changed"] is False


def test_requiretty_appends_the_exemption_and_backs_up_the_old_dropin(host):
    old = HEALTHY_SUDOERS.replace("Defaults:nxautomation !requiretty\n", "")
    _write(host, lr.SUDOERS_DROPIN, old, 0o440)
    result = run(host, "repair_prerequisites")
    step = result["steps"][0]
    assert step["status"] == "applied"
    with open(host.path(lr.SUDOERS_DROPIN)) as handle:
        assert handle.read() == old + "Defaults:nxautomation !requiretty\n"
    (backup,) = result["backups"]
    assert backup["path"] == lr.SUDOERS_DROPIN and backup["action"] == "repair_prerequisites"
    assert backup["backup"] == BACKUP + "/etc_sudoers.d_omsagent.20261125T200000Z"
    with open(host.path(backup["backup"])) as handle:
        assert handle.read() == old  # byte for byte
    assert backup["sha256"] == hashlib.sha256(old.encode()).hexdigest()
    assert os.stat(host.path(BACKUP)).st_mode & 0o777 == 0o700
    assert "Defaults:nxautomation !requiretty" in step["diff"]["after"]
    assert "Defaults:nxautomation !requiretty" not in step["diff"]["before"]
    assert run(host, "repair_prerequisites")["steps"][0]["status"] == "unchanged"


def test_visudo_rejecting_the_dropin_fails_and_leaves_it(host):
    _write(host, "/usr/sbin/visudo", "", 0o755)
    old = HEALTHY_SUDOERS.replace("nxautomation ALL=(ALL) NOPASSWD: ALL\n", "")
    _write(host, lr.SUDOERS_DROPIN, old, 0o440)
    host.fail["visudo"] = (1, "syntax error")
    result = run(host, "repair_prerequisites", "fix_proxy_conf")
    assert [s["status"] for s in result["steps"]] == ["failed", "not_run"]
    assert "visudo -c rejects" in result["steps"][0]["msg"]
    with open(host.path(lr.SUDOERS_DROPIN)) as handle:
        assert handle.read() == old
    assert [f for f in os.listdir(host.path("/etc/sudoers.d")) if f.startswith(".")] == []


def test_dropin_with_wrong_owner_and_mode_is_fixed(host):
    _write(host, lr.SUDOERS_DROPIN, HEALTHY_SUDOERS, 0o644, ("omsagent", "omsagent"))
    step = run(host, "repair_prerequisites")["steps"][0]
    assert step["status"] == "applied"
    assert host.stat(lr.SUDOERS_DROPIN) == (0, 0, 0o440)
    with open(host.path(lr.SUDOERS_DROPIN)) as handle:
        assert handle.read() == HEALTHY_SUDOERS


def test_home_root_755_is_set_back_and_only_that(host):
    _dir(host, lr.HOME, 0o755, ("root", "root"))
    checked = run(host, "repair_prerequisites", check_mode=True)["steps"][0]
    assert checked["diff"]["before"] == "/home/nxautomation root:root 0755\n"
    assert checked["diff"]["after"] == "/home/nxautomation omsagent:omiusers 0770\n"
    assert host.stat(lr.HOME) == (0, 0, 0o755)
    result = run(host, "repair_prerequisites")
    assert result["steps"][0]["status"] == "applied"
    assert host.stat(lr.HOME) == (UID["omsagent"], GID["omiusers"], 0o770)
    assert host.stat(lr.KEYRING) == (0, 0, 0o644)  # readable already: left alone
    assert run(host, "repair_prerequisites")["changed"] is False


def test_unreadable_keyring_gets_group_omiusers_and_g_r(host):
    _write(host, lr.KEYRING, "keys", 0o600)
    result = run(host, "repair_prerequisites")
    assert host.stat(lr.KEYRING) == (0, GID["omiusers"], 0o640)
    (backup,) = result["backups"]
    assert backup["path"] == lr.KEYRING
    with open(host.path(backup["backup"])) as handle:
        assert handle.read() == "keys"
    assert run(host, "repair_prerequisites")["changed"] is False


def test_keyring_named_in_worker_conf(host):
    _write(host, lr.WORKER_CONFS[1], "[worker-optional]\ngpg_public_keyring_path = /etc/keys/ring.gpg\n")
    _write(host, "/etc/keys/ring.gpg", "", 0o600)
    run(host, "repair_prerequisites")
    assert host.stat("/etc/keys/ring.gpg") == (0, GID["omiusers"], 0o640)


def test_missing_membership_and_group_run_the_installers_commands(host):
    _write(host, "/etc/group", "root:x:0:\nomiusers:x:995:omsagent\nomsagent:x:997:\n")
    old_group = open(host.path("/etc/group")).read()
    checked = run(host, "repair_prerequisites", check_mode=True)["steps"][0]
    assert "groupadd -r nxautomation" in checked["msg"] and host.commands == []
    result = run(host, "repair_prerequisites")
    assert result["steps"][0]["status"] == "applied", result["steps"][0]["msg"]
    assert host.commands == [["groupadd", "-r", "nxautomation"], ["usermod", "-g", "nxautomation", "nxautomation"],
                             ["usermod", "-a", "-G", "omsagent,omiusers", "nxautomation"]]
    backups = {b["path"]: b for b in result["backups"]}
    assert sorted(backups) == ["/etc/group", "/etc/passwd", "/etc/shadow"]
    with open(host.path(backups["/etc/group"]["backup"])) as handle:
        assert handle.read() == old_group
    groups = host.groups()
    assert "nxautomation" in groups["omsagent"]["members"] and "nxautomation" in groups["omiusers"]["members"]


def test_missing_user_is_created_as_the_installer_does(host):
    _write(host, "/etc/passwd", PASSWD.replace("nxautomation:x:997:996::/home/nxautomation/run:/bin/sh\n", ""))
    run(host, "repair_prerequisites")
    assert ["useradd", "-r", "-d", "/home/nxautomation/run", "-g", "nxautomation", "nxautomation"] in host.commands
    assert host.users()["nxautomation"]["home"] == "/home/nxautomation/run"


def test_a_failing_account_command_fails_the_step(host):
    _write(host, "/etc/group", GROUP.replace("nxautomation:x:996:\n", ""))
    host.fail["groupadd"] = (10, "groupadd: cannot lock /etc/group")
    step = run(host, "repair_prerequisites")["steps"][0]
    assert step["status"] == "failed" and "cannot lock" in step["msg"]


# --------------------------------------------------------------------------- fix_proxy_conf

def test_fix_proxy_conf(host):
    _write(host, lr.PROXY_CONF, "http://user:pw@proxy:3128", 0o600)
    checked = run(host, "fix_proxy_conf", check_mode=True)
    step = checked["steps"][0]
    assert step["status"] == "would_apply"
    assert step["diff"]["before"] == "root:root 0600\n" and step["diff"]["after"] == "omsagent:omiusers 0640\n"
    assert host.stat(lr.PROXY_CONF) == (0, 0, 0o600) and checked["backups"] == []
    result = run(host, "fix_proxy_conf")
    assert result["steps"][0]["status"] == "applied"
    assert host.stat(lr.PROXY_CONF) == (UID["omsagent"], GID["omiusers"], 0o640)
    (backup,) = result["backups"]
    with open(host.path(backup["backup"])) as handle:
        assert handle.read() == "http://user:pw@proxy:3128"
    assert os.stat(host.path(backup["backup"])).st_mode & 0o777 == 0o600  # it holds a password
    assert run(host, "fix_proxy_conf")["steps"][0]["status"] == "unchanged"


def test_no_proxy_conf_is_unchanged(host):
    os.unlink(host.path(lr.PROXY_CONF))
    step = run(host, "fix_proxy_conf")["steps"][0]
    assert step["status"] == "unchanged" and "does not exist" in step["msg"]


# --------------------------------------------------------------------------- preserve_update_log

def test_preserve_update_log(host):
    checked = run(host, "preserve_update_log", check_mode=True)
    assert checked["steps"][0]["status"] == "would_apply"
    assert not os.path.exists(host.path(BACKUP))
    result = run(host, "preserve_update_log")
    (backup,) = result["backups"]
    assert backup["backup"] == BACKUP + "/omsupdatemgmt.log.20261125T200000Z"
    assert backup["sha256"] == _sha(host.path(lr.UPDATE_LOG))
    assert run(host, "preserve_update_log")["steps"][0]["status"] == "unchanged"
    with open(host.path(lr.UPDATE_LOG), "a") as handle:
        handle.write("update run 2\n")
    host.clock = NOW + datetime.timedelta(hours=1)
    again = run(host, "preserve_update_log")
    assert again["steps"][0]["status"] == "applied"
    assert again["backups"][0]["backup"].endswith("omsupdatemgmt.log.20261125T210000Z")
    assert len(os.listdir(host.path(BACKUP))) == 2


def test_preserve_update_log_without_a_log(host):
    os.unlink(host.path(lr.UPDATE_LOG))
    step = run(host, "preserve_update_log")["steps"][0]
    assert step["status"] == "unchanged" and "does not exist" in step["msg"] and step["changed"] is False


# --------------------------------------------------------------------------- restarts

def test_restart_agent(host):
    checked = run(host, {"action": "restart_agent", "params": {"workspace_id": WS}}, check_mode=True)
    assert checked["steps"][0]["status"] == "would_apply"
    assert host.commands == [[lr.SERVICE_CONTROL, "status", WS]]  # read only
    host.commands = []
    result = run(host, {"action": "restart_agent", "params": {"workspace_id": WS}})
    assert result["steps"][0]["status"] == "applied" and result["changed"] is True
    assert host.commands[1:] == [[lr.SERVICE_CONTROL, "restart", WS],
                                 ["su", "-s", "/bin/sh", "omsagent", "-c", "/usr/bin/python3 " + lr.DSC_CHECK]]


def test_restart_agent_failure_is_reported(host):
    host.fail["service_control"] = (1, "omsagent failed to start")
    step = run(host, "restart_agent", "preserve_update_log")["steps"]
    assert step[0]["status"] == "failed" and "omsagent failed to start" in step[0]["msg"]
    assert step[1]["status"] == "not_run"


def test_restart_worker_manager_ends_every_worker_process_whoever_runs_it(host):
    host.procs[0]["uid"] = 0  # the manager was started by hand as root
    checked = run(host, "restart_worker_manager", check_mode=True)["steps"][0]
    assert checked["status"] == "would_apply" and host.killed == [] and host.commands == []
    assert "100 root python" in checked["diff"]["before"]
    result = run(host, "restart_worker_manager")
    step = result["steps"][0]
    assert step["status"] == "applied"
    assert sorted(host.killed) == [(100, signal.SIGTERM), (101, signal.SIGTERM)]
    assert [p["pid"] for p in host.procs] == [7, 500, 501]  # sshd untouched; the check started the manager
    assert "500 nxautomation python" in step["diff"]["after"]


def test_restart_worker_manager_without_dsc_script_fails(host):
    os.unlink(host.path(lr.DSC_CHECK))
    step = run(host, "restart_worker_manager")["steps"][0]
    assert step["status"] == "failed" and "omsconfig is not installed" in step["msg"]


# --------------------------------------------------------------------------- reinstall_agent

@pytest.mark.parametrize("installer", [None, "", "omsagent.sh", "ftp://x/y.sh"])
def test_reinstall_needs_an_absolute_path_or_url(host, installer):
    step = run(host, {"action": "reinstall_agent", "params": {"installer": installer}})["steps"][0]
    assert step["status"] == "failed" and "params.installer" in step["msg"]
    assert host.commands == []


def test_reinstall_from_a_path(host):
    missing = run(host, {"action": "reinstall_agent", "params": {"installer": "/tmp/nope.sh"}})["steps"][0]
    assert missing["status"] == "failed" and "does not exist" in missing["msg"]
    _write(host, "/tmp/omsagent.sh", "#!/bin/sh\n")
    step = {"action": "reinstall_agent", "params": {"installer": "/tmp/omsagent.sh"}}
    assert run(host, step, check_mode=True)["steps"][0]["status"] == "would_apply" and host.commands == []
    assert run(host, step)["steps"][0]["status"] == "applied"
    assert host.commands == [["sh", host.path("/tmp/omsagent.sh"), "--upgrade"]]


def test_reinstall_from_a_url_downloads_only_that_and_not_in_check_mode(host):
    fetched = []

    def download(url, path):
        fetched.append(url)
        with open(path, "w") as handle:
            handle.write("#!/bin/sh\necho upgraded\n")

    host.download = download
    url = "https://example.invalid/omsagent-1.14.23-0.universal.x64.sh"
    step = {"action": "reinstall_agent", "params": {"installer": url}}
    assert run(host, step, check_mode=True)["steps"][0]["status"] == "would_apply" and fetched == []
    assert run(host, step)["steps"][0]["status"] == "applied"
    assert fetched == [url]
    target = BACKUP + "/omsagent-1.14.23-0.universal.x64.sh.20261125T200000Z"
    assert host.commands == [["sh", host.path(target), "--upgrade"]]
    with open(host.path(target)) as handle:
        assert handle.read() == "#!/bin/sh\necho upgraded\n"


def test_reinstall_from_a_url_without_a_downloader_fails(host):
    step = run(host, {"action": "reinstall_agent", "params": {"installer": "https://example.invalid/a.sh"}})["steps"][0]
    assert step["status"] == "failed" and "no downloader" in step["msg"] and host.commands == []


# --------------------------------------------------------------------------- steps

def test_validate_steps():
    assert lr.validate_steps([{"action": "restart_agent", "params": {}}, {"action": "fix_proxy_conf"}]) == []
    errors = lr.validate_steps([{"action": "reregister"}, "x", {"action": "fix_proxy_conf", "params": [1]},
                                {"action": "fix_proxy_conf", "extra": 1}])
    assert len(errors) == 4
    assert "steps[0].action 'reregister' is not a Linux repair action" in errors[0]
    assert "steps[2].params must be a dict" in errors[2]
    assert "unknown key(s) extra" in errors[3]
    assert lr.validate_steps("restart_agent") == ["steps must be a list of {action, params} dicts, got str"]


def test_every_catalog_linux_action_has_a_function():
    from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import repair_actions
    local = [a.name for a in repair_actions.ACTIONS.values() if a.platform == "linux" and not a.handled_by]
    assert sorted(local) == sorted(lr.ACTIONS)


def test_check_mode_of_every_action_changes_nothing(host):
    """The worst host: every action would change something; check mode leaves root, owners, processes."""
    os.unlink(host.path(lr.SUDOERS_DROPIN))
    _write(host, lr.PROXY_CONF, "http://p:3128", 0o600)
    _dir(host, lr.HOME, 0o755, ("root", "root"))
    _write(host, "/tmp/omsagent.sh", "#!/bin/sh\n")
    before = _snapshot(host)
    result = run(host, "preserve_update_log", "repair_prerequisites", "fix_proxy_conf",
                 {"action": "reinstall_agent", "params": {"installer": "/tmp/omsagent.sh"}},
                 "restart_worker_manager", "restart_agent", check_mode=True)
    assert [s["status"] for s in result["steps"]] == ["would_apply"] * 6
    assert all(s["diff"] for s in result["steps"])
    assert _snapshot(host) == before and host.killed == []
    assert all(c[1] == "status" for c in host.commands)


# --------------------------------------------------------------------------- what a step may raise

def test_any_exception_in_a_step_fails_it_and_keeps_the_steps_before_and_its_backups(host, monkeypatch):
    _write(host, lr.PROXY_CONF, "http://p:3128", 0o600)

    def broken_chown(logical, uid, gid):
        raise ValueError("no such owner")
    monkeypatch.setattr(host, "chown", broken_chown)
    result = run(host, "preserve_update_log", "fix_proxy_conf", "restart_agent")
    assert [s["status"] for s in result["steps"]] == ["applied", "failed", "not_run"]
    failed = result["steps"][1]
    assert failed["msg"].startswith("ValueError: no such owner (raised in step fix_proxy_conf; done so far: backups ")
    assert [b["path"] for b in failed["backups"]] == [lr.PROXY_CONF]
    assert [b["path"] for b in result["backups"]] == [lr.UPDATE_LOG, lr.PROXY_CONF]
    assert result["changed"] is True  # the update log was preserved before the failure
    assert result["steps"][2]["msg"] == "not run: step fix_proxy_conf failed"


def test_nis_lines_blank_lines_and_comments_in_passwd_and_group_are_skipped(host):
    _write(host, "/etc/passwd", "# local users\n\n" + PASSWD + "+::::::\n-baduser:::::: \n+@netgroup::::::\n")
    _write(host, "/etc/group", GROUP + "\n+:::\nbroken:x:notanumber:\n")
    _write(host, lr.PROXY_CONF, "http://p:3128", 0o600)
    assert sorted(host.users()) == ["nxautomation", "omsagent", "root"]
    assert "broken" not in host.groups() and host.gid("omiusers") == GID["omiusers"]
    result = run(host, "preserve_update_log", "repair_prerequisites", "fix_proxy_conf")
    assert [s["status"] for s in result["steps"]] == ["applied", "unchanged", "applied"]


def test_latin1_gecos_and_worker_conf_do_not_stop_a_step(host):
    with open(host.path("/etc/passwd"), "ab") as handle:
        handle.write(b"jose:x:1000:1000:Jos\xe9 Garc\xeda:/home/jose:/bin/sh\n")
    os.makedirs(os.path.dirname(host.path(lr.WORKER_CONFS[1])), exist_ok=True)
    with open(host.path(lr.WORKER_CONFS[1]), "wb") as handle:
        handle.write(b"[worker-required]\naccount_id = x\n# r\xe9sum\xe9\n[worker-optional]\n"
                     b"gpg_public_keyring_path = " + lr.KEYRING.encode() + b"\n")
    assert host.users()["jose"]["gecos"] == u"Jos\ufffd Garc\ufffda"
    assert run(host, "repair_prerequisites")["steps"][0]["status"] == "unchanged"


def test_a_dropin_with_bytes_that_are_not_utf8_keeps_them_when_lines_are_appended(host):
    old = HEALTHY_SUDOERS.replace("Defaults:nxautomation !requiretty\n", "").encode() + b"# caf\xe9\n"
    with open(host.path(lr.SUDOERS_DROPIN), "wb") as handle:
        handle.write(old)
    result = run(host, "repair_prerequisites")
    step = result["steps"][0]
    assert step["status"] == "applied"
    assert u"# caf\ufffd" in step["diff"]["before"]
    step["diff"]["before"].encode("utf-8")  # valid text for the module's JSON (no lone surrogate)
    with open(host.path(lr.SUDOERS_DROPIN), "rb") as handle:
        assert handle.read() == old + b"Defaults:nxautomation !requiretty\n"
    with open(host.path(result["backups"][0]["backup"]), "rb") as handle:
        assert handle.read() == old


def test_default_runner_output_that_is_not_utf8_is_shown_not_fatal():
    import sys
    rc, out, err = lr.default_runner([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'caf\\xe9')"])
    assert (rc, out, err) == (0, u"caf\ufffd", "")


# --------------------------------------------------------------------------- backups: mode and names

def test_backups_are_created_0600_not_chmodded_afterwards(host, monkeypatch):
    _write(host, lr.PROXY_CONF, "http://user:pw@proxy:3128", 0o600)
    chmodded = []
    monkeypatch.setattr(os, "chmod", lambda path, mode, *a, **k: chmodded.append(path))
    old_umask = os.umask(0)
    try:
        result = run(host, "preserve_update_log", "fix_proxy_conf")
    finally:
        os.umask(old_umask)
    assert len(result["backups"]) == 2
    for backup in result["backups"]:
        assert os.stat(host.path(backup["backup"])).st_mode & 0o777 == 0o600
        assert host.path(backup["backup"]) not in chmodded


def test_a_backup_never_replaces_a_file_or_follows_a_link_of_the_same_name(host):
    _write(host, lr.PROXY_CONF, "http://p:3128", 0o600)
    _dir(host, BACKUP, 0o700, ("root", "root"))
    name = host.path(BACKUP + "/etc_opt_microsoft_omsagent_proxy.conf." + lr.utc_stamp(NOW))
    os.symlink(host.path("/etc/passwd"), name)
    (backup,) = run(host, "fix_proxy_conf")["backups"]
    assert backup["backup"].endswith(".2") and os.path.islink(name)
    with open(host.path("/etc/passwd")) as handle:
        assert handle.read() == PASSWD


def test_preserve_update_log_never_overwrites_a_copy_with_the_same_stamp(host):
    _dir(host, BACKUP, 0o700, ("root", "root"))
    _write(host, BACKUP + "/omsupdatemgmt.log.20261125T200000Z", "an earlier run's log\n", 0o600)
    result = run(host, "preserve_update_log")
    assert result["steps"][0]["status"] == "applied"
    assert result["backups"][0]["backup"] == BACKUP + "/omsupdatemgmt.log.20261125T200000Z.2"
    assert result["steps"][0]["msg"].endswith(BACKUP + "/omsupdatemgmt.log.20261125T200000Z.2")
    with open(host.path(BACKUP + "/omsupdatemgmt.log.20261125T200000Z")) as handle:
        assert handle.read() == "an earlier run's log\n"
    assert run(host, "preserve_update_log")["steps"][0]["status"] == "unchanged"


def test_an_existing_backup_dir_open_to_others_is_left_alone_with_a_warning(host):
    _write(host, lr.PROXY_CONF, "http://p:3128", 0o600)
    _dir(host, BACKUP, 0o755, ("root", "root"))
    result = run(host, "preserve_update_log", "fix_proxy_conf")
    first, second = result["steps"]
    assert first["msg"].splitlines()[-1] == (
        "warning: backup_dir %s is mode 0755: group or others can list (or change) the backups in it; this run left "
        "its mode alone (chmod 0700 it or choose another backup_dir)" % BACKUP)
    assert "warning" not in second["msg"]  # once per run
    assert os.stat(host.path(BACKUP)).st_mode & 0o777 == 0o755


def test_a_backup_dir_the_run_creates_is_0700_without_a_warning(host):
    _write(host, lr.PROXY_CONF, "http://p:3128", 0o600)
    step = run(host, "fix_proxy_conf")["steps"][0]
    assert "warning" not in step["msg"]
    assert os.stat(host.path(BACKUP)).st_mode & 0o777 == 0o700
