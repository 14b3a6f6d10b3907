# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""linux_onboarding against a temporary root with a fake onboarding3.py that the real in-process
loader imports: idempotence, the plan per state, the fallback and its switch, the rollback of a
failed registration, check mode, and the key (argv, child processes, output, result)."""

import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_onboarding as lo
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_repair as lr

NOW = datetime.datetime(2026, 11, 25, 20, 0, 0, tzinfo=datetime.timezone.utc)
WS = "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
ACCOUNT = "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f"
URL = "https://we-agentservice-prod-1.azure-automation.net/accounts/" + ACCOUNT
KEY = base64.b64encode(bytes(range(64))).decode()
BACKUP = "/var/backup"

# The fake agent script: the real one's shape (main() parses sys.argv with optparse, errors are
# raised as Exception, generate_hmac signs in a child shell with the key in its argv). Its
# "service" is a JSON file the test controls; what it saw goes to a JSON log.
FAKE = r'''
import json, os, subprocess, sys
from optparse import OptionParser
ROOT, SERVICE, LOG = %(root)r, %(service)r, %(log)r
STATE = ROOT + "/home/nxautomation/state"


def log(**kw):
    entries = json.load(open(LOG)) if os.path.exists(LOG) else []
    entries.append(kw)
    json.dump(entries, open(LOG, "w"))


def generate_hmac(str_to_sign, secret):
    out = subprocess.run(["sh", "-c", 'printf %%s "$0" | openssl dgst -sha256 -binary -hmac "$1"', str_to_sign, secret],
                         stdout=subprocess.PIPE, check=True).stdout
    return out


def main():
    parser = OptionParser()
    for short, long_, dest in (("-e", "--endpoint", "e"), ("-k", "--key", "k"), ("-g", "--groupname", "g"),
                               ("-w", "--workspaceid", "w")):
        parser.add_option(short, long_, dest=dest)
    parser.add_option("-r", "--register", action="store_true", dest="register", default=False)
    parser.add_option("-d", "--deregister", action="store_true", dest="deregister", default=False)
    options, args = parser.parse_args()
    if None in (options.e, options.k, options.g, options.w):
        parser.print_help()
        sys.exit(-1)
    service = json.load(open(SERVICE))
    with open("/proc/self/cmdline", "rb") as handle:
        cmdline = handle.read().decode()
    signature = generate_hmac("payload-hash\n2026-11-25T20:00:00", options.k)
    log(argv=sys.argv, key_in_cmdline=options.k in cmdline, signature=signature.hex(),
        action="register" if options.register else "deregister")
    print("the agent says hello")
    os.system("echo child output")
    conf = STATE + "/worker.conf"
    if options.register:
        if os.path.isfile(conf):
            raise Exception("Unable to register, an existing worker was found. Please deregister any existing worker and try again.")
        os.makedirs(STATE, exist_ok=True)
        for name in ("worker_diy.crt", "worker_diy.key"):
            open(STATE + "/" + name, "w").write("new " + name)
        open(conf, "w").close()
        if service["register"] != 200:
            raise Exception("Failed to register worker. [response_status=%%d]" %% service["register"])
        open(conf, "w").write("[worker-required]\naccount_id = %%s\nhybrid_worker_group_name = %%s\nmachine_id = m-new\n"
                              %% (options.e.rsplit("/", 1)[1], options.g))
        os.makedirs(ROOT + "/home/nxautomation/run", exist_ok=True)
        print("Registration successful!")
    else:
        if not os.path.exists(conf):
            raise Exception("Unable to deregister, no worker configuration found on disk.")
        if service["deregister"] != 200:
            raise Exception("Failed to deregister worker. [response_status=%%d]" %% service["deregister"])
        import shutil
        shutil.rmtree(STATE)
        print("Successfuly deregistered worker.")
'''


class Lab(object):
    def __init__(self, tmp_path):
        self.root = str(tmp_path / "root")
        self.service = str(tmp_path / "service.json")
        self.log = str(tmp_path / "log.json")
        for d in ("/var/opt/microsoft/omsagent/%s/state" % WS, "/var/opt/microsoft/omsagent/%s/run" % WS,
                  os.path.dirname(lo.ONBOARDING3), lo.STATE_DIR, lo.RUN_DIR):
            os.makedirs(self.path(d), exist_ok=True)
        self.write_script(FAKE)
        self.answer(register=200, deregister=200)
        self.host = lr.Host(root=self.root, now=lambda: NOW)

    def path(self, logical):
        return os.path.join(self.root, logical.lstrip("/"))

    def write_script(self, template):
        with open(self.path(lo.ONBOARDING3), "w") as handle:
            handle.write(template % {"root": self.root, "service": self.service, "log": self.log})

    def answer(self, **codes):
        with open(self.service, "w") as handle:
            json.dump(codes, handle)

    def register(self, account=ACCOUNT, group="g1", machine="m-1", workspace=None):
        with open(self.path(lo.WORKER_CONF), "w") as handle:
            handle.write("[worker-required]\naccount_id = %s\nhybrid_worker_group_name = %s\nmachine_id = %s\n"
                         % (account, group, machine))
            if workspace:
                handle.write("[registration-metadata]\nworkspace_id = %s\nregistration_endpoint = %s\n"
                             % (workspace, URL))
        for name in ("worker_diy.crt", "worker_diy.key"):
            with open(self.path(lo.STATE_DIR + "/" + name), "w") as handle:
                handle.write("old " + name)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as handle:
            return json.load(handle)

    def tree(self, skip=BACKUP):
        """{path: sha256 or 'dir'} of the root, the backup dir left out."""
        out = {}
        for base, dirs, files in os.walk(self.root):
            rel = "/" + os.path.relpath(base, self.root).lstrip(".")
            if rel.startswith(skip):
                continue
            out[rel] = "dir %o" % os.stat(base).st_mode
            for name in files:
                with open(os.path.join(base, name), "rb") as handle:
                    out[rel.rstrip("/") + "/" + name] = hashlib.sha256(handle.read()).hexdigest()
        return out

    def run(self, check_mode=False, **params):
        args = {"state": "present", "url": URL, "account_id": ACCOUNT, "key": KEY, "group_name": "g1",
                "workspace_id": WS, "allow_destructive": False, "backup_dir": BACKUP}
        args.update(params)
        return lo.run(args, host=self.host, check_mode=check_mode)


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


def statuses(result):
    return [(a["action"], a["status"]) for a in result["actions"]]


def test_read_registration_layouts(lab):
    assert lo.read_registration(lab.host) == dict(lo.NOT_REGISTERED, machine_id=None, workspace_id=None, endpoint=None)
    open(lab.path(lo.WORKER_CONF), "w").close()  # left by a failed registration
    state = lo.read_registration(lab.host)
    assert (state["registered"], state["account_id"], state["layout"]) == (True, None, "worker_conf")
    lab.register(account=ACCOUNT.upper(), group="G1")
    assert lo.public_state(lo.read_registration(lab.host)) == {"registered": True, "account_id": ACCOUNT,
                                                               "group": "G1", "layout": "worker_conf"}


def test_present_when_registered_there_changes_nothing_and_runs_nothing(lab):
    lab.register(group="G1")  # group names compare case-insensitively, as Azure's
    before = lab.tree()
    result, diff, error = lab.run()
    assert error is None and result["changed"] is False and result["actions"] == []
    assert result["msg"].startswith("already registered: account %s" % ACCOUNT)
    assert lab.calls() == [] and lab.tree() == before
    assert diff["before"] == diff["after"]


def test_absent_when_not_registered_changes_nothing(lab):
    result, dummy, error = lab.run(state="absent", group_name=None)
    assert error is None and result["changed"] is False and lab.calls() == []


def test_register_runs_the_script_in_process_with_the_documented_arguments(lab, capfd):
    result, diff, error = lab.run()
    assert error is None, error
    assert statuses(result) == [("register", "applied")] and result["changed"] is True
    assert result["state_after"] == {"registered": True, "account_id": ACCOUNT, "group": "g1", "layout": "worker_conf"}
    (call,) = lab.calls()
    assert call["argv"] == ["onboarding.py", "--register", "-w", WS, "-k", KEY, "-g", "g1", "-e", URL]
    assert call["key_in_cmdline"] is False  # sys.argv set in-process; /proc/self/cmdline is pytest's
    # generate_hmac was replaced by the same HMAC in-process: no child got the key, the signature is right
    expected = hmac.new(KEY.encode(), b"payload-hash\n2026-11-25T20:00:00", hashlib.sha256).digest()
    assert call["signature"] == expected.hex()
    assert "account_id: %s" % ACCOUNT in diff["after"] and KEY not in json.dumps([result, diff])
    out, err = capfd.readouterr()  # the script's prints and its child's output were captured
    assert "hello" not in out + err and "child output" not in out + err


def test_the_in_process_signer_equals_openssl(lab):
    text = "cGF5bG9hZA==\n2026-11-25T20:00:00.0000000-00:00"
    openssl = subprocess.run(["sh", "-c", 'echo -n "%s" | openssl dgst -sha256 -binary -hmac "%s"' % (text, KEY)],
                             stdout=subprocess.PIPE, check=True).stdout
    assert lo.in_process_hmac(text, KEY) == openssl


def test_a_script_that_would_give_a_child_the_key_is_refused_and_nothing_changes(lab):
    # an agent version whose signer has another name: the guard stops the child before it starts
    lab.write_script(FAKE.replace("def generate_hmac(", "def generate_hmac_v2(").replace(
        "signature = generate_hmac(", "signature = generate_hmac_v2("))
    before = lab.tree()
    result, dummy, error = lab.run()
    assert "refused before it started" in error and "Nothing was changed on this host" in error
    assert KEY not in error and statuses(result) == [("register", "failed")]
    assert lab.tree() == before


def test_403_on_register_explains_and_undoes_the_partial_work(lab):
    lab.answer(register=403, deregister=200)
    with open(lab.path(lo.STATE_DIR + "/worker_diy.key"), "w") as handle:  # a leftover the script overwrites
        handle.write("leftover key")
    before = lab.tree()
    result, diff, error = lab.run()
    assert "403 Forbidden" in error and "account key is wrong" in error and "not linked to the Automation account" in error
    assert "clock is more than 15 minutes off" in error and "Nothing was changed on this host" in error
    assert lab.tree() == before  # the new cert, the empty worker.conf removed; the leftover key restored
    assert result["changed"] is False and result["state_after"]["registered"] is False
    assert [b["action"] for b in result["backups"]] == ["register"]


def test_present_registered_elsewhere_needs_the_switch(lab):
    lab.register(group="other")
    before = lab.tree()
    result, dummy, error = lab.run()
    assert "an existing worker was found" in error and "state: reregistered" in error and "allow_destructive" in error
    assert "Nothing was changed" in error and lab.calls() == [] and lab.tree() == before


def test_present_registered_elsewhere_with_allow_destructive_deregisters_and_registers(lab):
    lab.register(group="other")
    result, dummy, error = lab.run(allow_destructive=True)
    assert error is None
    assert statuses(result) == [("deregister", "applied"), ("register", "applied")]
    assert [c["action"] for c in lab.calls()] == ["deregister", "register"]
    assert [c["argv"][7] for c in lab.calls()] == ["g1", "g1"]
    assert sorted(b["path"] for b in result["backups"]) == sorted(lo.STATE_DIR + "/" + n for n in lo.STATE_FILES)


def test_deregister_not_found_without_the_switch_fails_and_keeps_the_state(lab):
    lab.register()
    lab.answer(register=200, deregister=404)
    before = lab.tree()
    result, dummy, error = lab.run(state="absent", group_name=None)
    assert "response_status=404" in error and "allow_destructive: true" in error and "*_old" in error
    assert lab.tree() == before and statuses(result) == [("deregister", "failed")]
    assert lab.calls()[0]["argv"][7] == "g1"  # -g is required: the registered group is given


def test_deregister_not_found_with_the_switch_renames_the_state_files_after_a_backup(lab):
    lab.register()
    lab.answer(register=200, deregister=404)
    originals = {}
    for name in lo.STATE_FILES:
        with open(lab.path(lo.STATE_DIR + "/" + name), "rb") as handle:
            originals[name] = handle.read()
    result, dummy, error = lab.run(state="absent", group_name=None, allow_destructive=True)
    assert error is None and statuses(result) == [("deregister", "failed"), ("backup_state", "applied")]
    for name in lo.STATE_FILES:
        assert not os.path.exists(lab.path(lo.STATE_DIR + "/" + name))
        with open(lab.path(lo.STATE_DIR + "/" + name + "_old"), "rb") as handle:
            assert handle.read() == originals[name]
    for record in result["backups"]:
        with open(lab.path(record["backup"]), "rb") as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
        assert data == originals[os.path.basename(record["path"])]
        assert os.stat(lab.path(record["backup"])).st_mode & 0o777 == 0o600
    assert result["state_after"]["registered"] is False and result["changed"] is True


def test_reregistered_takes_the_fallback_when_the_service_does_not_know_the_worker(lab):
    lab.register()
    lab.answer(register=200, deregister=404)
    result, dummy, error = lab.run(state="reregistered", group_name="g2")
    assert error is None
    assert statuses(result) == [("deregister", "failed"), ("backup_state", "applied"), ("register", "applied")]
    assert result["state_after"]["group"] == "g2"
    assert os.path.exists(lab.path(lo.WORKER_CONF + "_old"))


def test_reregistered_403_on_deregister_changes_nothing(lab):
    lab.register()
    lab.answer(register=200, deregister=403)
    before = lab.tree()
    result, dummy, error = lab.run(state="reregistered")
    assert "403 Forbidden" in error and "Nothing was changed on this host" in error
    assert lab.tree() == before and [c["action"] for c in lab.calls()] == ["deregister"]


def test_a_stale_empty_worker_conf_is_renamed_on_reregistered(lab):
    open(lab.path(lo.WORKER_CONF), "w").close()
    result, dummy, error = lab.run(state="reregistered")
    assert error is None
    assert statuses(result) == [("backup_state", "applied"), ("register", "applied")]


def test_failed_register_after_the_fallback_renames_the_files_back(lab):
    lab.register(account="11111111-2222-4333-8444-555555555555")  # another account: not ours to deregister
    lab.answer(register=403, deregister=200)
    before = lab.tree()
    result, dummy, error = lab.run(allow_destructive=True)
    assert "403 Forbidden" in error
    assert statuses(result) == [("backup_state", "skipped"), ("register", "failed")]
    assert lab.tree() == before and result["changed"] is False


def test_check_mode_touches_nothing_and_says_what_would_be(lab):
    lab.register(group="other")
    before = lab.tree(skip="/nothing")
    result, diff, error = lab.run(check_mode=True, state="reregistered")
    assert error is None and result["changed"] is True
    assert statuses(result) == [("deregister", "would_apply"), ("register", "would_apply")]
    assert result["state_after"] == {"registered": True, "account_id": ACCOUNT, "group": "g1", "layout": "worker_conf"}
    assert "group: other" in diff["before"] and "group: g1" in diff["after"]
    assert lab.calls() == [] and lab.tree(skip="/nothing") == before and result["backups"] == []


def test_invalid_workspace_and_missing_script_fail_before_anything(lab):
    result, dummy, error = lab.run(workspace_id="5e1ab0c0-de00-4a1b-9c2d-000000000000")
    assert "is not onboarded on this host" in error and "Invalid workspace id" in error and lab.calls() == []
    os.remove(lab.path(lo.ONBOARDING3))
    result, dummy, error = lab.run(check_mode=True)
    assert "nxOMSAutomationWorker module is not installed" in error


def test_the_key_is_scrubbed_from_what_the_script_prints(lab):
    lab.write_script(FAKE.replace('print("the agent says hello")', 'raise Exception("bad key " + options.k)'))
    result, diff, error = lab.run()
    assert KEY not in json.dumps([result, diff, error]) and "bad key ********" in error


def test_call_script_main_restores_the_interpreter_and_reports_sys_exit(tmp_path, capfd):
    script = tmp_path / "s.py"
    script.write_text("import sys\n\ndef main():\n    print('help text')\n    sys.exit(-1)\n")
    argv, path, modules = list(sys.argv), list(sys.path), set(sys.modules)
    rc, text = lo.call_script_main(str(script), ["x", "--key", KEY], KEY)
    assert (rc, text) == (-1, "help text")
    assert sys.argv == argv and sys.path == path and set(sys.modules) == modules
    assert "help text" not in capfd.readouterr().out


def test_a_script_without_main_is_reported_and_nothing_changes(lab):
    lab.write_script("X = 1\n")
    before = lab.tree()
    result, dummy, error = lab.run()
    assert "has no main(): this agent version is not supported" in error and lab.tree() == before


# --------------------------------------------------------------------------- the workspace of the registration

OTHER_WS = "0a0b0c0d-1111-4222-8333-444455556666"


def test_present_registered_there_in_the_same_workspace_is_already_registered(lab):
    lab.register(workspace=WS.upper())  # GUIDs compare case-insensitively
    result, diff, error = lab.run()
    assert error is None and result["changed"] is False and lab.calls() == []
    assert result["msg"] == "already registered: account %s, group g1, workspace %s (%s)" % (
        ACCOUNT, WS.upper(), lo.WORKER_CONF)


def test_present_registered_to_another_workspace_needs_the_switch(lab):
    lab.register(workspace=OTHER_WS)
    before = lab.tree()
    result, dummy, error = lab.run()
    assert error is not None and "workspace %s (workspace_id %s, not %s):" % (WS, OTHER_WS, WS) in error  # only that
    assert "state: reregistered" in error and "allow_destructive: true" in error and "Nothing was changed" in error
    assert lab.calls() == [] and lab.tree() == before and result["changed"] is False


def test_present_registered_to_another_workspace_with_allow_destructive_registers_again(lab):
    lab.register(workspace=OTHER_WS)
    checked, diff, error = lab.run(check_mode=True, allow_destructive=True)
    assert error is None and checked["changed"] is True
    assert statuses(checked) == [("deregister", "would_apply"), ("register", "would_apply")]
    assert "workspace_id: %s" % OTHER_WS in diff["before"] and "workspace_id: %s" % WS in diff["after"]
    assert lab.calls() == []
    result, dummy, error = lab.run(allow_destructive=True)
    assert error is None
    assert statuses(result) == [("deregister", "applied"), ("register", "applied")]
    assert [(c["action"], c["argv"][3]) for c in lab.calls()] == [("deregister", WS), ("register", WS)]


def test_a_worker_conf_with_bytes_that_are_not_utf8_still_names_its_account(lab):
    lab.register()
    with open(lab.path(lo.WORKER_CONF), "ab") as handle:
        handle.write(b"# r\xe9sum\xe9\n")
    assert lo.read_registration(lab.host)["account_id"] == ACCOUNT
    result, dummy, error = lab.run()
    assert error is None and result["msg"].startswith("already registered")


def test_a_backup_dir_open_to_others_is_a_warning(lab):
    lab.register(group="other")
    os.makedirs(lab.path(BACKUP), mode=0o755)
    os.chmod(lab.path(BACKUP), 0o755)
    result, dummy, error = lab.run(state="reregistered")
    assert error is None
    assert any(w.startswith("warning: backup_dir %s is mode 0755" % BACKUP) for w in result["warnings"])
    assert all(os.stat(lab.path(b["backup"])).st_mode & 0o777 == 0o600 for b in result["backups"])
