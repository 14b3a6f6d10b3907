# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Register, deregister and re-register an agent-based (V1) Linux user (DIY) Hybrid Runbook
Worker with the agent's own onboarding script, run inside this process (stdlib, Python 3.8).

The agent's entry point is ``python onboarding.py --register|--deregister -w <ws> -k <key> -g
<group> -e <URL>`` (official-troubleshooters.md §4.2); on Python 3 it runs
``<AW>/3.x/scripts/onboarding3.py``, a script whose ``main()`` parses ``sys.argv``. Run as a
command, the key would sit in that process's argv (``/proc/<pid>/cmdline``) for everyone on the
host to read, and the script signs its request with ``openssl dgst -hmac "<key>"`` in a child
shell, which puts it in a second process's argv. So this module:

1. imports onboarding3.py with importlib under the name ``onboarding3`` (its ``__main__`` block
   does not run; bytecode writing is off, so no root-owned ``.pyc`` lands in the agent's tree),
   with its scripts directory first on ``sys.path`` as when it runs as a script;
2. replaces the module's ``generate_hmac(str_to_sign, secret)`` with the same HMAC-SHA256 over the
   same bytes computed with ``hmac`` in this process (``openssl -hmac`` uses the key text as the
   HMAC key, and the signed text has no character ``echo`` would change);
3. guards ``subprocess.Popen`` (and ``os.system``) while the script runs: a child process whose
   argv or environment would hold the key is refused before it starts (an agent version that
   signs some other way then fails, naming this, instead of leaking the key);
4. sets ``sys.argv`` to the documented arguments (inside this process: ``/proc/self/cmdline``
   keeps the interpreter's own argv), calls ``main()``, catches ``SystemExit`` and exceptions
   (the script reports errors by raising ``Exception``), captures what it prints (file
   descriptors 1 and 2 too, so a child's output cannot corrupt the module's JSON), and restores
   ``sys.argv``, ``sys.path``, ``sys.modules``, the streams and the guards afterwards.

What remains: the key is in this process's memory, and it reaches the host in Ansible's module
payload (on stdin with pipelining, else in a file of the connecting user's remote temporary
directory that Ansible removes). The agent's ``openssl req`` child (the worker certificate) and
its hash pipeline get no key.

Everything the host does goes through ``linux_repair.Host`` (a ``root`` prefix for every path),
so the unit tests run against a temporary directory with a fake onboarding script.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import hmac
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile

try:  # Python 3 (the target needs 3.8); the import guard keeps sanity's compile tests quiet
    import configparser
except ImportError:  # pragma: no cover
    configparser = None

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.secrets import MASK, scrub, secret_forms
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_repair import (
    AW,
    DEFAULT_BACKUP_DIR,
    Context,
    Host,
)

ONBOARDING = AW + "/scripts/onboarding.py"
ONBOARDING3 = AW + "/3.x/scripts/onboarding3.py"
HOME = "/home/nxautomation"
STATE_DIR = HOME + "/state"
RUN_DIR = HOME + "/run"
WORKER_CONF = STATE_DIR + "/worker.conf"
#: The state files the documented fallback renames to ``*_old`` (and that deregistration removes).
STATE_FILES = ("worker.conf", "worker_diy.crt", "worker_diy.key")
OMS_VAR = "/var/opt/microsoft/omsagent"

APPLIED, WOULD_APPLY, SKIPPED, FAILED = "applied", "would_apply", "skipped", "failed"

FORBIDDEN_CAUSES = (
    "the known causes are: (1) the account key is wrong or was regenerated - copy the Primary (or Secondary) "
    "access key from the Automation account's Keys page whole; (2) the Log Analytics workspace %s this agent "
    "reports to is not linked to the Automation account, or is linked in an unsupported region pair (Azure "
    "Automation and Log Analytics workspace mappings), so the worker cannot get its configuration; (3) the host "
    "clock is more than 15 minutes off (host UTC now: %s)")


class Stop(Exception):
    """The run cannot go on; the message is the whole explanation for the user."""


class KeyExposure(Exception):
    """The onboarding script tried to start a child process with the key in its argv or environment."""


# --------------------------------------------------------------------------- registration state

def read_registration(host):
    """The user worker registration in /home/nxautomation/state/worker.conf:
    ``{registered, account_id, group, layout, machine_id, workspace_id, endpoint}``. A worker.conf
    that exists counts as registered (onboarding.py then answers "an existing worker was found"),
    even when it names no account (an empty file left by a failed registration)."""
    path = host.path(WORKER_CONF)
    state = {"registered": False, "account_id": None, "group": None, "layout": "none",
             "machine_id": None, "workspace_id": None, "endpoint": None}
    if not os.path.isfile(path):
        return state
    state.update(registered=True, layout="worker_conf")
    conf = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, "rb") as handle:  # a stray byte that is not UTF-8 must not hide the account
            conf.read_string(handle.read().decode("utf-8", "replace"))
    except (configparser.Error, OSError):
        return state

    def get(section, key):
        value = conf.get(section, key, fallback="").strip()
        return value or None
    account = get("worker-required", "account_id")
    state.update(account_id=account.lower() if account else None, group=get("worker-required", "hybrid_worker_group_name"),
                 machine_id=get("worker-required", "machine_id"), workspace_id=get("registration-metadata", "workspace_id"),
                 endpoint=get("registration-metadata", "registration_endpoint"))
    return state


def public_state(state):
    """``{registered, account_id, group, layout}`` (what the result shows)."""
    return dict((k, state.get(k)) for k in ("registered", "account_id", "group", "layout"))


def expected_state(account_id, group, workspace_id=None):
    return {"registered": True, "account_id": account_id, "group": group, "layout": "worker_conf",
            "workspace_id": workspace_id}


NOT_REGISTERED = {"registered": False, "account_id": None, "group": None, "layout": "none"}


def state_text(state):
    """The registration as diff text (never the key)."""
    if not state.get("registered"):
        return "not registered (no %s)\n" % WORKER_CONF
    account, group = state.get("account_id") or "(none)", state.get("group") or "(none)"
    text = "%s\naccount_id: %s\ngroup: %s\n" % (WORKER_CONF, account, group)
    if state.get("workspace_id"):
        text += "workspace_id: %s\n" % state["workspace_id"]
    return text


def describe(state):
    if not state.get("registered"):
        return "not registered"
    if not state.get("account_id"):
        return "%s exists but names no account (a stale or partial registration)" % WORKER_CONF
    workspace = ", workspace %s" % state["workspace_id"] if state.get("workspace_id") else ""
    return "account %s, group %s%s (%s)" % (state["account_id"], state.get("group"), workspace, WORKER_CONF)


def differences(state, account_id, group, workspace_id=None):
    """What of the registration differs from the one wanted (``["workspace_id A, not B"]``); the
    workspace counts only when worker.conf records one ([registration-metadata] workspace_id)."""
    out = []
    if state.get("account_id") != (account_id or "").lower():
        out.append("account_id %s, not %s" % (state.get("account_id") or "(none)", account_id))
    if (state.get("group") or "").lower() != (group or "").lower():
        out.append("group %s, not %s" % (state.get("group") or "(none)", group))
    recorded = state.get("workspace_id")
    if recorded and workspace_id and recorded.lower() != workspace_id.lower():
        out.append("workspace_id %s, not %s" % (recorded, workspace_id))
    return out


def matches(state, account_id, group, workspace_id=None):
    return bool(state.get("registered") and not differences(state, account_id, group, workspace_id))


# --------------------------------------------------------------------------- in-process onboarding

def in_process_hmac(str_to_sign, secret):
    """What ``echo -n "<str_to_sign>" | openssl dgst -sha256 -binary -hmac "<secret>"`` prints."""
    if isinstance(str_to_sign, bytes):
        str_to_sign = str_to_sign.decode("utf-8")
    if isinstance(secret, bytes):
        secret = secret.decode("utf-8")
    return hmac.new(secret.encode("utf-8"), str_to_sign.encode("utf-8"), hashlib.sha256).digest()


def _holds_secret(value, forms):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return any(f in value for f in forms)
    if isinstance(value, dict):
        return any(_holds_secret(k, forms) or _holds_secret(v, forms) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_secret(v, forms) for v in value)
    return _holds_secret(str(value), forms) if value is not None else False


def _program(args):
    if isinstance(args, (list, tuple)) and args:
        first = args[0]
    else:
        first = args if isinstance(args, (str, bytes)) else "?"
    if isinstance(first, bytes):
        first = first.decode("utf-8", "replace")
    return os.path.basename(str(first).split()[0]) if str(first).split() else "?"


def _refuse(args, env, forms):
    if _holds_secret(args, forms) or _holds_secret(env if env is not None else dict(os.environ), forms):
        name = _program(args)
        for form in forms:
            name = name.replace(form, MASK)
        raise KeyExposure("the agent's onboarding script tried to start %s with the account key in its arguments or "
                          "environment; it was refused before it started (this agent version signs its request in a "
                          "way this module does not know)" % name)


@contextlib.contextmanager
def _child_guard(forms):
    """While active, no child process can start with the key in its argv or environment."""
    original_popen, original_system = subprocess.Popen, os.system

    class GuardedPopen(original_popen):
        def __init__(self, args, *pargs, **kwargs):
            _refuse(args, kwargs.get("env"), forms)
            super(GuardedPopen, self).__init__(args, *pargs, **kwargs)

    def guarded_system(command):
        _refuse(command, None, forms)
        return original_system(command)

    subprocess.Popen, os.system = GuardedPopen, guarded_system
    try:
        yield
    finally:
        subprocess.Popen, os.system = original_popen, original_system


@contextlib.contextmanager
def _captured_output(box):
    """Everything printed meanwhile, by Python code (sys.stdout/err) and by children (fds 1 and 2),
    lands in ``box['text']`` instead of the module's stdout."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    sink = tempfile.TemporaryFile()
    saved_fds = [os.dup(1), os.dup(2)]
    saved_streams = sys.stdout, sys.stderr
    text = io.StringIO()
    os.dup2(sink.fileno(), 1)
    os.dup2(sink.fileno(), 2)
    sys.stdout = sys.stderr = text
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved_streams
        os.dup2(saved_fds[0], 1)
        os.dup2(saved_fds[1], 2)
        for fd in saved_fds:
            os.close(fd)
        sink.seek(0)
        raw = sink.read().decode("utf-8", "replace")
        sink.close()
        box["text"] = text.getvalue() + raw


def call_script_main(script, argv, secret, module_name="onboarding3"):
    """Import ``script`` as ``module_name``, make its signer in-process, run its ``main()`` with
    ``sys.argv = argv`` and the child guard on. ``(rc, text)``: rc 0 when main returned (or exited
    0), the exit code of ``sys.exit(n)``, 1 for an exception; ``text`` is what it printed plus the
    error, the secret scrubbed. Everything global is restored afterwards."""
    forms = secret_forms(secret)
    scripts_dir = os.path.dirname(script)
    saved = (list(sys.argv), list(sys.path), set(sys.modules), sys.dont_write_bytecode, os.getcwd())
    box, rc, error = {}, 1, ""
    try:
        with _captured_output(box):
            with _child_guard(forms):
                try:
                    sys.dont_write_bytecode = True
                    sys.path.insert(0, scripts_dir)
                    spec = importlib.util.spec_from_file_location(module_name, script)
                    module = importlib.util.module_from_spec(spec)
                    sys.modules[module_name] = module
                    spec.loader.exec_module(module)
                    if callable(getattr(module, "generate_hmac", None)):
                        module.generate_hmac = in_process_hmac
                    if not callable(getattr(module, "main", None)):
                        raise Stop("%s has no main(): this agent version is not supported" % script)
                    sys.argv = list(argv)
                    returned = module.main()
                    rc = returned if isinstance(returned, int) and not isinstance(returned, bool) else 0
                except SystemExit as exc:
                    code = exc.code
                    if code is None or isinstance(code, int):
                        rc = code or 0
                    else:
                        rc, error = 1, str(code)
                except KeyExposure as exc:
                    rc, error = 1, str(exc)
                except Exception as exc:  # the script reports every failure as an Exception
                    rc, error = 1, str(exc) or type(exc).__name__
    finally:
        sys.argv[:] = saved[0]
        sys.path[:] = saved[1]
        for name in set(sys.modules) - saved[2]:
            del sys.modules[name]
        sys.dont_write_bytecode = saved[3]
        try:
            os.chdir(saved[4])
        except OSError:
            pass
    text = (box.get("text") or "").strip()
    if error:
        text = (text + "\n" + error).strip()
    return rc, scrub(text, secret) if forms else text


class InProcessOnboarding(object):
    """``onboarding(action, workspace_id, key, group, url) -> (rc, text)``: the agent's
    onboarding3.py run in this process (see the module docstring)."""

    def __init__(self, host, script=ONBOARDING3):
        self.host = host
        self.script = script

    def available(self):
        return os.path.isfile(self.host.path(self.script))

    def __call__(self, action, workspace_id, key, group, url):
        argv = ["onboarding.py", "--" + action, "-w", workspace_id, "-k", key, "-g", group or "", "-e", url]
        return call_script_main(self.host.path(self.script), argv, key)


# --------------------------------------------------------------------------- outcomes

def is_forbidden(text):
    return "response_status=403" in text or "403" in text.split() or "Forbidden" in text


def is_not_found(text):
    """A deregistration the service or the local state cannot carry out (the fallback's cases)."""
    lowered = text.lower()
    return any(s in lowered for s in ("response_status=404", "worker not found", "no worker configuration found",
                                      "no worker certificate/key found", "missing worker", "an existing worker was found"))


def is_existing_worker(text):
    return "an existing worker was found" in text.lower()


def _last_line(text):
    """The line that says how it went: the script's success line, else its last line (the error)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    done = [line for line in lines if "successful" in line.lower()]
    return (done or lines or ["(no output)"])[-1]


# --------------------------------------------------------------------------- the run

class Run(object):
    """One run of hrw_onboarding: reads, plans, acts, and builds the result."""

    def __init__(self, params, host=None, check_mode=False, onboarding=None, utcnow=None):
        self.p = params
        self.host = host or Host()
        self.ctx = Context(self.host, check_mode=check_mode, backup_dir=params.get("backup_dir") or DEFAULT_BACKUP_DIR)
        self.onboarding = onboarding or InProcessOnboarding(self.host)
        self.actions, self.backups, self.warnings = [], [], []
        self.renamed = []           # (original, *_old) renamed by this run, for a rollback
        self.deregistered = False
        self.before = NOT_REGISTERED
        self.key = params["key"]
        self.utcnow = utcnow or (lambda: self.host.now().strftime("%Y-%m-%dT%H:%M:%SZ"))

    # results
    def add(self, action, status, msg):
        self.actions.append({"action": action, "status": status, "msg": msg})

    def summary(self):
        applied = [a["action"] for a in self.actions if a["status"] == APPLIED]
        if not applied:
            text = "Nothing was changed on this host."
        else:
            text = "Changed before the failure: %s." % ", ".join(applied)
        if self.backups:
            text += " Backups of the worker's state files: %s." % ", ".join(b["backup"] for b in self.backups)
        return text

    def forbidden(self, action, text):
        return ("onboarding.py --%s was refused with 403 Forbidden (%s). Azure Automation rejected the request for %s; "
                % (action, _last_line(text), self.p["url"]) + FORBIDDEN_CAUSES % (self.p["workspace_id"], self.utcnow())
                + ". " + self.summary())

    # steps
    def backup_files(self, action, names=STATE_FILES):
        records = []
        for name in names:
            path = STATE_DIR + "/" + name
            if os.path.isfile(self.host.path(path)):
                records.append(self.ctx.backup(action, path, self.backups))
        return records

    def deregister(self, allow_fallback):
        """``applied`` or ``not_found`` (the caller applies the fallback when allowed); raises Stop."""
        self.backup_files("deregister")
        group = self.p.get("group_name") or self.before.get("group") or "-"  # -g is required, not used
        rc, text = self.onboarding("deregister", self.p["workspace_id"], self.key, group, self.p["url"])
        if rc == 0:
            self.deregistered = True
            self.add("deregister", APPLIED, "onboarding.py --deregister: %s (the state files were backed up first)"
                     % _last_line(text))
            return "applied"
        self.add("deregister", FAILED, "onboarding.py --deregister failed: %s" % _last_line(text))
        if is_forbidden(text):
            raise Stop(self.forbidden("deregister", text))
        if is_not_found(text) and allow_fallback:
            return "not_found"
        if is_not_found(text):
            raise Stop("onboarding.py --deregister failed: %s. %s To apply the documented fallback (back up the state "
                       "files, rename %s to *_old, and register again), set allow_destructive: true or state: "
                       "reregistered; then delete the stale worker in the Automation account (Hybrid worker groups)."
                       % (_last_line(text), self.summary(), ", ".join(STATE_FILES)))
        raise Stop("onboarding.py --deregister failed: %s. %s" % (_last_line(text), self.summary()))

    def clean_state(self, why):
        """The documented fallback: back up, then rename the state files to ``*_old``."""
        done = []
        for name in STATE_FILES:
            path = STATE_DIR + "/" + name
            if not os.path.isfile(self.host.path(path)):
                continue
            old = path + "_old"
            if os.path.isfile(self.host.path(old)):  # an earlier fallback's: kept in the backup dir
                self.ctx.backup("backup_state", old, self.backups)
            self.ctx.backup("backup_state", path, self.backups)
            os.replace(self.host.path(path), self.host.path(old))
            self.renamed.append((path, old))
            done.append(name)
        if done:
            self.add("backup_state", APPLIED, "backed up %s to %s and renamed them to *_old (%s)"
                     % (", ".join(done), self.ctx.backup_dir, why))
        else:
            self.add("backup_state", SKIPPED, "no state file left in %s to rename" % STATE_DIR)

    def _snapshot(self):
        paths = [HOME, STATE_DIR, RUN_DIR] + [STATE_DIR + "/" + n for n in STATE_FILES]
        return dict((p, self.host.stat(p)) for p in paths)

    def _rollback_register(self, before, leftovers):
        """Undo a failed registration's partial work: files and directories the script created,
        leftover files it overwrote (restored from their backups), and this run's renames."""
        for name in STATE_FILES:
            path = STATE_DIR + "/" + name
            real = self.host.path(path)
            if before[path] is None and os.path.lexists(real):
                os.remove(real)
        for record, st in leftovers:
            real = self.host.path(record["path"])
            shutil.copyfile(self.host.path(record["backup"]), real)
            self.host.chown(record["path"], st[0], st[1])
            self.host.chmod(record["path"], st[2])
        for path in (RUN_DIR, STATE_DIR, HOME):
            if before[path] is None and os.path.isdir(self.host.path(path)):
                shutil.rmtree(self.host.path(path))
        if not self.deregistered:
            for path, old in reversed(self.renamed):
                if not os.path.lexists(self.host.path(path)):
                    os.replace(self.host.path(old), self.host.path(path))
            if self.renamed:
                for action in self.actions:
                    if action["action"] == "backup_state" and action["status"] == APPLIED:
                        action["status"] = SKIPPED
                        action["msg"] += "; renamed back after the registration failed"
            self.renamed = []

    def register(self, allow_fallback):
        leftovers = []
        for name in ("worker_diy.crt", "worker_diy.key"):  # the script's openssl would overwrite them
            path = STATE_DIR + "/" + name
            st = self.host.stat(path)
            if st is not None and os.path.isfile(self.host.path(path)):
                leftovers.append((self.ctx.backup("register", path, self.backups), st))
        before = self._snapshot()
        rc, text = self.onboarding("register", self.p["workspace_id"], self.key, self.p["group_name"], self.p["url"])
        if rc == 0:
            self.add("register", APPLIED, "onboarding.py --register: %s (group %s, %s)"
                     % (_last_line(text), self.p["group_name"], self.p["url"]))
            return
        self.add("register", FAILED, "onboarding.py --register failed: %s" % _last_line(text))
        self._rollback_register(before, leftovers)
        if is_forbidden(text):
            raise Stop(self.forbidden("register", text))
        if is_existing_worker(text) and not allow_fallback:
            raise Stop("onboarding.py --register answered \"an existing worker was found\" (%s). %s Set state: "
                       "reregistered, or allow_destructive: true, to deregister it or back up and rename the state "
                       "files to *_old, and register again." % (_last_line(text), self.summary()))
        raise Stop("onboarding.py --register failed: %s. %s" % (_last_line(text), self.summary()))

    # plan and run
    def preflight(self, needs_script):
        if self.host.root == "/" and hasattr(os, "geteuid") and os.geteuid() != 0:
            raise Stop("the agent's onboarding script must run as root: use become: true. Nothing was changed.")
        if needs_script and not self.onboarding_available():
            raise Stop("%s does not exist: the nxOMSAutomationWorker module is not installed (enable the Automation "
                       "solution on the workspace and wait for the agent to download it, or repair the agent). "
                       "Nothing was changed." % ONBOARDING3)
        ws = self.p["workspace_id"]
        missing = [d for d in ("%s/%s/state" % (OMS_VAR, ws), "%s/%s/run" % (OMS_VAR, ws))
                   if not os.path.isdir(self.host.path(d))]
        if missing:
            raise Stop("workspace %s is not onboarded on this host (%s missing): onboarding.py would answer "
                       "\"Invalid workspace id\". Give the workspace the OMS agent reports to (omsadmin.sh -l). "
                       "Nothing was changed." % (ws, " and ".join(missing)))

    def onboarding_available(self):
        available = getattr(self.onboarding, "available", None)
        return available() if callable(available) else True

    def plan(self, before):
        """``(steps, done_msg)``: steps among deregister, backup_state, register; done_msg when
        nothing is to be done."""
        state, account, group = self.p["state"], self.p["account_id"], self.p.get("group_name")
        workspace = self.p.get("workspace_id")
        destructive = state == "reregistered" or bool(self.p.get("allow_destructive"))
        ours = before["registered"] and before.get("account_id") in (None, account)
        if state == "present":
            if matches(before, account, group, workspace):
                return [], "already registered: %s" % describe(before)
            if before["registered"] and not destructive:
                raise Stop("This host is already registered (%s), not to account %s group %s workspace %s (%s): "
                           "onboarding.py --register would answer \"an existing worker was found\". Nothing was "
                           "changed. Set state: reregistered, or allow_destructive: true, to deregister it (or, when the "
                           "service does not know it, back up and rename %s to *_old) and register again."
                           % (describe(before), account, group, workspace,
                              "; ".join(differences(before, account, group, workspace)), ", ".join(STATE_FILES)))
        if state == "absent" and not before["registered"]:
            return [], "not registered: no %s" % WORKER_CONF
        if state == "absent" and not (ours and before.get("machine_id")) and not destructive:
            raise Stop("This host is registered (%s), but not in a way the URL and key of account %s can deregister. "
                       "Nothing was changed. Set allow_destructive: true to back up and rename %s to *_old; then "
                       "delete the stale worker in its Automation account (Hybrid worker groups)."
                       % (describe(before), account, ", ".join(STATE_FILES)))
        steps = []
        if before["registered"]:
            steps.append("deregister" if ours and before.get("machine_id") else "backup_state")
        elif self._stale_files() and state == "reregistered":  # present: register backs up what it overwrites
            steps.append("backup_state")
        if state != "absent":
            steps.append("register")
        return steps, None

    def _stale_files(self):
        return [n for n in STATE_FILES if os.path.isfile(self.host.path(STATE_DIR + "/" + n))]

    def execute(self):
        before = self.before = read_registration(self.host)
        result = {"changed": False, "state_before": public_state(before), "state_after": public_state(before),
                  "actions": self.actions, "backups": self.backups}
        diff = {"before": state_text(before), "after": state_text(before)}
        try:
            steps, done = self.plan(before)
            if done:
                result["msg"] = done
                return result, diff, None
            self.preflight(needs_script="deregister" in steps or "register" in steps)
            expected = NOT_REGISTERED if self.p["state"] == "absent" else \
                expected_state(self.p["account_id"], self.p.get("group_name"), self.p.get("workspace_id"))
            if self.ctx.check_mode:
                return self._check_mode(steps, before, expected, result, diff)
            self._apply(steps, before)
        except (Stop, OSError, ValueError) as exc:
            error = str(exc) if isinstance(exc, Stop) else "%s: %s. %s" % (type(exc).__name__, exc, self.summary())
            after = read_registration(self.host)
            result.update(changed=any(a["status"] == APPLIED for a in self.actions), state_after=public_state(after))
            diff["after"] = state_text(after)
            return result, diff, error
        after = read_registration(self.host)
        result.update(changed=any(a["status"] == APPLIED for a in self.actions), state_after=public_state(after))
        diff["after"] = state_text(after)
        if self.p["state"] != "absent" and not matches(after, self.p["account_id"], self.p.get("group_name"),
                                                       self.p.get("workspace_id")):
            self.warnings.append("onboarding.py --register succeeded but %s shows %s, not account %s group %s "
                                 "workspace %s" % (WORKER_CONF, describe(after), self.p["account_id"],
                                                   self.p.get("group_name"), self.p.get("workspace_id")))
        if self.p["state"] == "absent" and after["registered"]:
            self.warnings.append("deregistration finished but %s still exists (%s)" % (WORKER_CONF, describe(after)))
        result["msg"] = "%s: %s" % (self.p["state"], ", ".join(a["action"] for a in self.actions if a["status"] == APPLIED))
        return result, diff, None

    def _check_mode(self, steps, before, expected, result, diff):
        messages = {
            "deregister": "would back up %s to %s and run onboarding.py --deregister (in-process) with %s; if the service "
                          "does not know the worker, %s" % (", ".join(self._stale_files()) or "the state files",
                                                            self.ctx.backup_dir, self.p["url"],
                                                            "would back up and rename the state files to *_old"
                                                            if self._fallback_allowed() else
                                                            "would stop (allow_destructive: true applies the fallback)"),
            "backup_state": "would back up %s to %s and rename them to *_old (%s)"
                            % (", ".join(self._stale_files()), self.ctx.backup_dir, describe(before)),
            "register": "would run onboarding.py --register (in-process) for group %s with %s"
                        % (self.p.get("group_name"), self.p["url"]),
        }
        for step in steps:
            self.add(step, WOULD_APPLY, messages[step])
        result.update(changed=True, state_after=public_state(expected))
        diff["after"] = state_text(expected)
        result["msg"] = "check mode: would %s" % ", ".join(steps)
        return result, diff, None

    def _fallback_allowed(self):
        return self.p["state"] == "reregistered" or bool(self.p.get("allow_destructive"))

    def _apply(self, steps, before):
        fallback = self._fallback_allowed()
        if "deregister" in steps:
            if self.deregister(allow_fallback=fallback) == "not_found":
                self.clean_state("the service or the local state could not deregister the worker: the documented fallback")
        if "backup_state" in steps:
            self.clean_state("registered elsewhere: %s" % describe(before) if before["registered"]
                             else "stale files without a registration")
        if "register" in steps:
            self.register(allow_fallback=fallback)


def run(params, host=None, check_mode=False, onboarding=None):
    """``(result, diff, error)``: the module result (scrubbed), the diff, and the failure message
    (None on success). ``params``: state, url, account_id, key, group_name, workspace_id,
    allow_destructive, backup_dir."""
    runner = Run(params, host=host, check_mode=check_mode, onboarding=onboarding)
    result, diff, error = runner.execute()
    warnings = runner.warnings + runner.ctx.warnings  # the latter: about backup_dir's mode
    if warnings:
        result["warnings"] = warnings
    key = params.get("key")
    return scrub(result, key), scrub(diff, key), scrub(error, key) if error else None
