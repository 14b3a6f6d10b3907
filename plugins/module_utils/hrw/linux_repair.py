# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux repair actions that hrw_remediate runs on the host (stdlib only, Python 3.8).

One function per action of ``repair_actions.ACTIONS`` (platform linux). Each looks at the
current state first and changes only what differs, so a second run reports ``unchanged``
(the two restarts excepted: the planner plans them only when a finding they fix is not
Passed). In check mode nothing changes: the step is ``would_apply`` with the diff of what
would change. Every file is copied to the backup directory (timestamped, sha256 recorded)
before it is changed or removed.

Everything the host does goes through a ``Host`` (file paths under a ``root`` prefix,
commands through an injectable runner, users and groups read from ``<root>/etc``, processes
from ``<root>/proc``), so the unit tests run against a temporary directory with no real users.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

try:  # Python 3 (the target needs 3.8); the import guard keeps sanity's compile tests quiet
    import configparser
except ImportError:  # pragma: no cover
    configparser = None

DEFAULT_BACKUP_DIR = "/var/opt/microsoft/hrw-doctor/backup"

OMS_BIN = "/opt/microsoft/omsagent/bin"
SERVICE_CONTROL = OMS_BIN + "/service_control"
DSC_SCRIPTS = "/opt/microsoft/omsconfig/Scripts"
DSC_CHECK = DSC_SCRIPTS + "/PerformRequiredConfigurationChecks.py"
DSC_CHECK_PY3 = DSC_SCRIPTS + "/python3/PerformRequiredConfigurationChecks.py"
AW = ("/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/"
      "MSFT_nxOMSAutomationWorkerResource/automationworker")
PROXY_CONF = "/etc/opt/microsoft/omsagent/proxy.conf"
SUDOERS = "/etc/sudoers"
SUDOERS_DROPIN = "/etc/sudoers.d/omsagent"
HOME = "/home/nxautomation"
KEYRING = "/etc/opt/omi/conf/omsconfig/keyring.gpg"
WORKER_CONFS = ("/var/opt/microsoft/omsagent/state/automationworker/worker.conf",
                "/home/nxautomation/state/worker.conf")
UPDATE_LOG = "/var/opt/microsoft/omsagent/run/automationworker/omsupdatemgmt.log"
ACCOUNT_FILES = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow")

# (path, owner, group, mode) as the agent's installer and the DIY onboarding set them
HOME_LAYOUT = ((HOME, "omsagent", "omiusers", 0o770),
               (HOME + "/run", "nxautomation", "omiusers", 0o770),
               (HOME + "/state", "nxautomation", "omiusers", 0o770))

# The lines the omsagent drop-in must hold (the installer's block plus the worker's entries).
SUDOERS_LINES = (
    "# Begin sudo configuration for omsagent",
    "Defaults:omsagent !requiretty",
    # "*": the manager is started with its arguments (oms.conf, rworkspace:, rversion:)
    "omsagent ALL=(nxautomation) NOPASSWD: /usr/bin/python2 {aw}/worker/main.py *, "
    "/usr/bin/python3 {aw}/3.x/worker/main.py *, /usr/bin/python {aw}/worker/main.py *",
    "omsagent ALL=(nxautomation) NOPASSWD: /usr/bin/pkill -u nxautomation",
    "# End sudo configuration for omsagent",
    "",
    "nxautomation ALL=(ALL) NOPASSWD: ALL",
    "Defaults:nxautomation !requiretty",
)
_NOPASSWD_ALL = re.compile(r"^\s*nxautomation\s+ALL\s*=\s*\(ALL(:ALL)?\)\s*NOPASSWD:\s*ALL\s*$")
_TTY_EXEMPT = re.compile(r"^\s*Defaults:nxautomation\s+!requiretty\s*$")
_OMSAGENT_TTY = re.compile(r"^\s*Defaults:omsagent\s+!requiretty\s*$")
_MANAGER_SUDO = re.compile(r"^\s*omsagent\s+ALL\s*=\s*\(nxautomation\)\s*NOPASSWD:.*worker/main\.py")
_WORKER_PROC = re.compile(r"/nxOMSAutomationWorker/.*automationworker/(3\.x/)?worker/(main|hybridworker)\.py$")

APPLIED, UNCHANGED, WOULD_APPLY, FAILED, NOT_RUN = "applied", "unchanged", "would_apply", "failed", "not_run"


class RepairError(Exception):
    """A step cannot go on; its message says why (the step is reported failed)."""


def default_runner(argv, data=None, timeout=900):
    """Run ``argv`` (no shell); ``(rc, stdout, stderr)`` as text."""
    try:
        # errors="replace": output is only shown; a non-UTF-8 byte must not end the step
        proc = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False, encoding="utf-8", errors="replace")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", "%s: %s" % (type(exc).__name__, exc)
    return proc.returncode, proc.stdout, proc.stderr


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def utc_stamp(now=None):
    """``yyyymmddTHHMMSSZ`` (UTC), the suffix of every backup."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ")


def _no_download(url, path):
    raise RepairError("cannot download %s: no downloader on this host" % url)


def _parse_colon_file(path, fields, numeric):
    """``{name: entry}`` of a passwd/group file; lines it cannot parse are skipped: blank lines,
    comments, NIS compat entries (``+::::::``, ``-name``) and ids that are not numbers."""
    out = {}
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")  # names are ASCII; a Latin-1 gecos is only shown
    except OSError:
        return out
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) < len(fields) or not parts[0] or parts[0][0] in "#+-":
            continue
        entry = dict(zip(fields, parts))
        try:
            for key in numeric:
                entry[key] = int(entry[key])
        except ValueError:
            continue
        out[parts[0]] = entry
    return out


class Host(object):
    """The host the actions act on: ``root`` prefixes every path (``/`` on a real host),
    ``run(argv, data=None)`` runs a command (``(rc, out, err)``), ``now()`` gives UTC time,
    ``download(url, real_path)`` fetches the one URL a user named (the module passes Ansible's
    open_url; without one a URL installer fails)."""

    def __init__(self, root="/", run=None, now=None, sleep=None, download=None):
        self.root = root or "/"
        self.download = download or _no_download
        self.run = run or default_runner
        self.now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self.sleep = sleep or time.sleep

    def path(self, logical):
        if self.root == "/":
            return logical
        return os.path.join(self.root, logical.lstrip("/"))

    # users and groups: the files, so a test root needs no real users
    def users(self):
        return _parse_colon_file(self.path("/etc/passwd"), ("name", "pw", "uid", "gid", "gecos", "home", "shell"),
                                 ("uid", "gid"))

    def groups(self):
        groups = _parse_colon_file(self.path("/etc/group"), ("name", "pw", "gid", "members"), ("gid",))
        for entry in groups.values():
            entry["members"] = [m for m in entry.get("members", "").split(",") if m]
        return groups

    def uid(self, name):
        user = self.users().get(name)
        if user is None:
            raise RepairError("user %s does not exist" % name)
        return user["uid"]

    def gid(self, name):
        group = self.groups().get(name)
        if group is None:
            raise RepairError("group %s does not exist" % name)
        return group["gid"]

    def user_name(self, uid):
        for name, entry in self.users().items():
            if entry["uid"] == uid:
                return name
        return str(uid)

    def group_name(self, gid):
        for name, entry in self.groups().items():
            if entry["gid"] == gid:
                return name
        return str(gid)

    # files
    def stat(self, logical):
        """``(uid, gid, mode)`` of ``logical`` (not following a final symlink), or None."""
        try:
            info = os.lstat(self.path(logical))
        except FileNotFoundError:
            return None
        return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)

    def chown(self, logical, uid, gid):
        os.chown(self.path(logical), uid, gid, follow_symlinks=False)

    def chmod(self, logical, mode):
        os.chmod(self.path(logical), mode)

    # processes
    def processes(self):
        """``[{pid, uid, argv}]`` of every process (zombies left out)."""
        out = []
        proc = self.path("/proc")
        try:
            entries = os.listdir(proc)
        except OSError:
            return out
        for entry in entries:
            if not entry.isdigit():
                continue
            base = os.path.join(proc, entry)
            try:
                with open(os.path.join(base, "cmdline"), "rb") as handle:
                    argv = handle.read().decode("utf-8", "replace").split("\0")
                uid, zombie = None, False
                with open(os.path.join(base, "status")) as handle:
                    for line in handle:
                        if line.startswith("Uid:"):
                            uid = int(line.split()[1])
                        elif line.startswith("State:"):
                            zombie = line.split()[1] == "Z"
            except (OSError, ValueError, IndexError):
                continue
            if not zombie and argv and argv != [""]:
                out.append({"pid": int(entry), "uid": uid, "argv": [a for a in argv if a != ""]})
        return out

    def kill(self, pid, sig):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _copy_private(source, target):
    """Copy the bytes of ``source`` to a new file ``target`` created 0600 (never readable by
    others, not even while it is written); FileExistsError when ``target`` exists (also as a
    symlink: O_EXCL does not follow it)."""
    with open(source, "rb") as src:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out)
        except BaseException:
            os.unlink(target)
            raise


class Context(object):
    """What every action gets: the host, check mode, the backup directory (a host path)."""

    def __init__(self, host, check_mode=False, backup_dir=DEFAULT_BACKUP_DIR):
        self.host = host
        self.check_mode = check_mode
        self.backup_dir = backup_dir
        self.stamp = utc_stamp(host.now())
        self.made = []        # every backup record of the run (also those of a step that raised)
        self.warnings = []    # about the backup directory; run_steps adds them to a step's msg
        self._dir_checked = False

    def _backup_dir_ready(self):
        """Create the backup directory 0700; an existing one is left as the user made it, with a
        warning when group or others have any permission on it."""
        real_dir = self.host.path(self.backup_dir)
        if not os.path.isdir(real_dir):
            os.makedirs(real_dir, 0o700)
        elif not self._dir_checked:
            mode = stat.S_IMODE(os.stat(real_dir).st_mode)
            if mode & 0o077:
                self.warnings.append("warning: backup_dir %s is mode %s: group or others can list (or change) the "
                                     "backups in it; this run left its mode alone (chmod 0700 it or choose another "
                                     "backup_dir)" % (self.backup_dir, _mode_text(mode)))
        self._dir_checked = True

    def copy_to_backup(self, action, logical, name, backups):
        """Copy ``logical`` to ``<backup_dir>/<name>`` (``<name>.2``, ... when that exists: never
        over an earlier copy), mode 0600; record ``{action, path, backup, sha256}`` in ``backups``."""
        host = self.host
        self._backup_dir_ready()
        target = os.path.join(self.backup_dir, name)
        number = 1
        while True:
            try:
                _copy_private(host.path(logical), host.path(target))
                break
            except FileExistsError:  # two copies with one stamp (same second, or a concurrent run)
                number += 1
                target = os.path.join(self.backup_dir, "%s.%d" % (name, number))
        record = {"action": action, "path": logical, "backup": target, "sha256": sha256(host.path(target))}
        backups.append(record)
        self.made.append(record)
        return record

    def backup(self, action, logical, backups):
        """Copy ``logical`` into the backup directory (``<path with _>.<stamp>``, mode 0600, dir
        0700) and record ``{action, path, backup, sha256}`` in ``backups``; returns the record."""
        return self.copy_to_backup(action, logical, "%s.%s" % (logical.strip("/").replace("/", "_"), self.stamp),
                                   backups)


def _step(action, status, msg, diff=None, backups=None):
    return {"action": action, "status": status, "changed": status in (APPLIED, WOULD_APPLY), "msg": msg,
            "backups": backups or [], "diff": diff, "reboot_required": False}


def _diff(header, before, after):
    if before == after:
        return None
    return {"before": before, "after": after, "before_header": header, "after_header": header}


def _mode_text(mode):
    return "0%03o" % mode


def _owner_text(host, st):
    if st is None:
        return "(absent)"
    return "%s:%s %s" % (host.user_name(st[0]), host.group_name(st[1]), _mode_text(st[2]))


def _read(host, logical):
    """The text of a file, or None. surrogateescape keeps bytes that are not UTF-8, so text
    written back (_write_sudoers) has them unchanged; _shown() makes it displayable."""
    try:
        with open(host.path(logical), "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None


def _shown(text):
    """``text`` from _read, its undecodable bytes as U+FFFD (results must be valid UTF-8)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# --------------------------------------------------------------------------- DSC consistency check

def _python(host):
    for candidate in ("/usr/bin/python3", "/usr/bin/python", "/usr/bin/python2"):
        if os.path.exists(host.path(candidate)):
            return candidate
    raise RepairError("no python interpreter (/usr/bin/python3, python or python2) to run %s" % DSC_CHECK)


def consistency_check(host):
    """Run the DSC consistency check as omsagent (as the seed's ``sudo su omsagent -c 'python
    .../PerformRequiredConfigurationChecks.py'``); its output, or RepairError."""
    python = _python(host)
    script = DSC_CHECK
    if python.endswith("python3") and os.path.exists(host.path(DSC_CHECK_PY3)):
        script = DSC_CHECK_PY3
    if not os.path.exists(host.path(script)):
        raise RepairError("%s does not exist: omsconfig is not installed" % script)
    rc, out, err = host.run(["su", "-s", "/bin/sh", "omsagent", "-c", "%s %s" % (python, script)])
    if rc != 0:
        raise RepairError("the DSC consistency check (%s, as omsagent) exited %s: %s"
                          % (script, rc, (err or out).strip()[-500:]))
    return out.strip()


# --------------------------------------------------------------------------- restart_agent

def restart_agent(ctx, params):
    host, action = ctx.host, "restart_agent"
    workspace = (params or {}).get("workspace_id")
    argv = [SERVICE_CONTROL, "restart"] + ([workspace] if workspace else [])
    if not os.path.exists(host.path(SERVICE_CONTROL)):
        return _step(action, FAILED, "%s does not exist: the OMS agent is not installed" % SERVICE_CONTROL)
    rc, out, err = host.run([SERVICE_CONTROL, "status"] + ([workspace] if workspace else []))
    before = (out or err).strip() or "status exit %s" % rc
    diff = _diff("omsagent (%s status)" % SERVICE_CONTROL, before + "\n",
                 "restarted (%s), then the DSC consistency check\n" % " ".join(argv))
    if ctx.check_mode:
        return _step(action, WOULD_APPLY, "would run %s, then the DSC consistency check (%s) as omsagent"
                     % (" ".join(argv), DSC_CHECK), diff)
    rc, out, err = host.run(argv)
    if rc != 0:
        return _step(action, FAILED, "%s exited %s: %s" % (" ".join(argv), rc, (err or out).strip()[-500:]), diff)
    try:
        check = consistency_check(host)
    except RepairError as exc:
        return _step(action, FAILED, "%s worked, but %s" % (" ".join(argv), exc), diff)
    return _step(action, APPLIED, "ran %s and the DSC consistency check: %s" % (" ".join(argv), check[-300:]), diff)


# --------------------------------------------------------------------------- restart_worker_manager

def worker_processes(host):
    """The worker manager's and workers' processes (any user: also those started by hand)."""
    return [p for p in host.processes() if any(_WORKER_PROC.search(a) for a in p["argv"][:3])]


def _process_text(host, procs):
    return "".join("%s %s %s\n" % (p["pid"], host.user_name(p["uid"]), " ".join(p["argv"])) for p in procs) \
        or "(no worker manager or worker process)\n"


def _end(host, procs, timeout=10.0):
    pids = set(p["pid"] for p in procs)
    for pid in pids:
        host.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        alive = pids & set(p["pid"] for p in host.processes())
        if not alive:
            return
        if time.monotonic() > deadline:
            for pid in alive:
                host.kill(pid, signal.SIGKILL)
            return
        host.sleep(0.05)


def restart_worker_manager(ctx, params):
    host, action = ctx.host, "restart_worker_manager"
    procs = worker_processes(host)
    header = "worker manager and worker processes (pid user argv)"
    if ctx.check_mode:
        return _step(action, WOULD_APPLY, "would end %d worker manager/worker process(es), then run the DSC "
                     "consistency check, which starts the manager as nxautomation" % len(procs),
                     _diff(header, _process_text(host, procs), "(ended; the DSC consistency check starts the "
                           "manager as nxautomation and the manager the workers)\n"))
    _end(host, procs)
    try:
        check = consistency_check(host)
    except RepairError as exc:
        after = worker_processes(host)
        return _step(action, FAILED, "ended %d process(es), but %s" % (len(procs), exc),
                     _diff(header, _process_text(host, procs), _process_text(host, after)))
    after = []
    for _attempt in range(50):  # the manager starts its workers right after it starts
        after = worker_processes(host)
        if any(_WORKER_PROC.search(a) and a.endswith("hybridworker.py") for p in after for a in p["argv"][:3]):
            break
        host.sleep(0.1)
    return _step(action, APPLIED, "ended %d worker manager/worker process(es) and ran the DSC consistency check "
                 "(%s); now running: %d" % (len(procs), check[-200:], len(after)),
                 _diff(header, _process_text(host, procs), _process_text(host, after)))


# --------------------------------------------------------------------------- reinstall_agent

def _fetch(ctx, url):
    """Download ``url`` (only the one the user named) into the backup directory."""
    host = ctx.host
    name = os.path.basename(url.split("?", 1)[0].rstrip("/")) or "omsagent-installer.sh"
    target = os.path.join(ctx.backup_dir, "%s.%s" % (name, ctx.stamp))
    real_dir = host.path(ctx.backup_dir)
    if not os.path.isdir(real_dir):
        os.makedirs(real_dir, 0o700)
    try:
        host.download(url, host.path(target))
    except RepairError:
        raise
    except Exception as exc:  # any download error ends the step, named
        raise RepairError("cannot download %s: %s" % (url, exc))
    return target


def reinstall_agent(ctx, params):
    host, action = ctx.host, "reinstall_agent"
    installer = str((params or {}).get("installer") or "")
    is_url = re.match(r"^https?://", installer) is not None
    if not installer or not (is_url or installer.startswith("/")):
        return _step(action, FAILED, "reinstall_agent needs params.installer: the absolute path of the OMS agent "
                     "bundle (omsagent-*.universal.x64.sh) on the host or an http(s) URL; got %r" % installer)
    if not is_url and not os.path.isfile(host.path(installer)):
        return _step(action, FAILED, "the installer %s does not exist on the host" % installer)
    diff = _diff("OMS Agent for Linux", "installed\n", "upgraded with sh %s --upgrade\n" % installer)
    if ctx.check_mode:
        return _step(action, WOULD_APPLY, "would %srun sh %s --upgrade" % (
            "download %s into %s and " % (installer, ctx.backup_dir) if is_url else "", installer), diff)
    try:
        bundle = _fetch(ctx, installer) if is_url else installer
    except RepairError as exc:
        return _step(action, FAILED, str(exc), diff)
    rc, out, err = host.run(["sh", host.path(bundle), "--upgrade"])
    if rc != 0:
        return _step(action, FAILED, "sh %s --upgrade exited %s: %s" % (bundle, rc, (err or out).strip()[-500:]),
                     diff)
    return _step(action, APPLIED, "ran sh %s --upgrade: %s" % (bundle, out.strip()[-300:]), diff)


# --------------------------------------------------------------------------- repair_prerequisites

def _sudoers_state(host):
    """``(text or None, missing lines, requiretty on anywhere)`` of the omsagent drop-in."""
    text = _read(host, SUDOERS_DROPIN)
    lines = (text or "").splitlines()
    aw = AW
    wanted = [line.format(aw=aw) for line in SUDOERS_LINES]
    missing = []
    checks = ((_OMSAGENT_TTY, wanted[1]), (_MANAGER_SUDO, wanted[2]), (_NOPASSWD_ALL, wanted[6]),
              (_TTY_EXEMPT, wanted[7]))
    for pattern, line in checks:
        if not any(pattern.match(existing) for existing in lines):
            missing.append(line)
    return text, missing, wanted


def _sudoers_after(text, missing, wanted):
    if text is None:
        return "\n".join(wanted) + "\n"
    return text + ("" if text.endswith("\n") or not text else "\n") + "".join(line + "\n" for line in missing)


def _readable_by(host, st, user):
    """Whether ``user`` can read a file of ``(uid, gid, mode)`` (its groups from <root>/etc/group)."""
    users = host.users()
    entry = users.get(user)
    if entry is None or st is None:
        return False
    uid, gid, mode = st
    if entry["uid"] == uid:
        return bool(mode & 0o400)
    gids = set([entry["gid"]] + [g["gid"] for g in host.groups().values() if user in g["members"]])
    if gid in gids:
        return bool(mode & 0o040)
    return bool(mode & 0o004)


def _keyrings(host):
    paths = []
    for conf in WORKER_CONFS:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(host.path(conf), "rb") as handle:
                parser.read_string(handle.read().decode("utf-8", "replace"))
        except (OSError, configparser.Error):
            continue
        if parser.has_option("worker-optional", "gpg_public_keyring_path"):
            value = parser.get("worker-optional", "gpg_public_keyring_path").strip()
            if value.startswith("/") and value not in paths:
                paths.append(value)
    if not paths:
        paths.append(KEYRING)
    return paths


def _account_plan(host):
    """The account commands the installer would run that this host still needs."""
    groups, users = host.groups(), host.users()
    cmds = []
    for group in ("omiusers", "nxautomation"):
        if group not in groups:
            cmds.append(["groupadd", "-r", group])
    nx = users.get("nxautomation")
    if nx is None:
        cmds.append(["useradd", "-r", "-d", HOME + "/run", "-g", "nxautomation", "nxautomation"])
        cmds.append(["usermod", "-a", "-G", "omsagent,omiusers", "nxautomation"])
        return cmds
    nx_gid = groups.get("nxautomation", {}).get("gid")
    if nx_gid is None or nx["gid"] != nx_gid:
        cmds.append(["usermod", "-g", "nxautomation", "nxautomation"])
    if nx["home"] != HOME + "/run":
        cmds.append(["usermod", "-d", HOME + "/run", "nxautomation"])
    extra = [g for g in ("omsagent", "omiusers") if "nxautomation" not in groups.get(g, {}).get("members", [])]
    if extra:
        cmds.append(["usermod", "-a", "-G", ",".join(extra), "nxautomation"])
    return cmds


def _perm_plan(host):
    """``[(path, owner, group, mode, why)]`` of the owners/modes to set (existing paths only)."""
    plan = []
    if host.stat(HOME) is not None:
        for path, owner, group, mode in HOME_LAYOUT:
            st = host.stat(path)
            if st is None:
                plan.append((path, owner, group, mode, "create"))
                continue
            want = (owner, group, mode)
            have = (host.user_name(st[0]), host.group_name(st[1]), st[2])
            if have != want:
                plan.append((path, owner, group, mode, "set"))
    for keyring in _keyrings(host):
        st = host.stat(keyring)
        if st is not None and not _readable_by(host, st, "nxautomation"):
            plan.append((keyring, host.user_name(st[0]), "omiusers", st[2] | 0o040, "set"))
    return plan


def repair_prerequisites(ctx, params):
    host, action = ctx.host, "repair_prerequisites"
    backups = []
    accounts = _account_plan(host)
    text, missing, wanted = _sudoers_state(host)
    dropin_st = host.stat(SUDOERS_DROPIN)
    sudo_content = bool(missing)
    sudo_perm = dropin_st is not None and (dropin_st[0], dropin_st[1], dropin_st[2]) != (0, 0, 0o440)
    # users and groups first: the owners below name them
    perms = _perm_plan(host) if not accounts else None

    before, after, todo = [], [], []
    if accounts:
        todo.append("run %s" % "; ".join(" ".join(c) for c in accounts))
        before.append("accounts: %s\n" % _accounts_text(host))
        after.append("accounts: after %s\n" % "; ".join(" ".join(c) for c in accounts))
    if sudo_content or sudo_perm:
        todo.append("%s %s" % ("write" if text is None else "update", SUDOERS_DROPIN))
        before.append("%s (%s):\n%s" % (SUDOERS_DROPIN, _owner_text(host, dropin_st),
                                        _shown(text) if text is not None else "(absent)\n"))
        after.append("%s (root:root 0440):\n%s" % (SUDOERS_DROPIN, _shown(_sudoers_after(text, missing, wanted))))
    if perms is None:
        todo.append("then set the owners and modes of %s and the keyring as the installer does" % HOME)
    for path, owner, group, mode, why in perms or []:
        todo.append("%s %s %s:%s %s" % ("create" if why == "create" else "set", path, owner, group, _mode_text(mode)))
        before.append("%s %s\n" % (path, _owner_text(host, host.stat(path))))
        after.append("%s %s:%s %s\n" % (path, owner, group, _mode_text(mode)))
    if not todo:
        return _step(action, UNCHANGED, "the nxautomation user and groups, %s, %s and the keyring are as the "
                     "installer sets them" % (SUDOERS_DROPIN, HOME))
    diff = _diff("nxautomation prerequisites", "".join(before), "".join(after))
    if ctx.check_mode:
        return _step(action, WOULD_APPLY, "would " + "; ".join(todo), diff)
    try:
        if accounts:
            for logical in ACCOUNT_FILES:
                if os.path.exists(host.path(logical)):
                    ctx.backup(action, logical, backups)
            for cmd in accounts:
                rc, out, err = host.run(cmd)
                if rc != 0:
                    raise RepairError("%s exited %s: %s" % (" ".join(cmd), rc, (err or out).strip()))
        if sudo_content or sudo_perm:
            _write_sudoers(ctx, action, text, _sudoers_after(text, missing, wanted) if sudo_content else None,
                           backups)
        for path, owner, group, mode, why in _perm_plan(host):
            if why == "create":
                os.mkdir(host.path(path), mode)
            elif os.path.isfile(host.path(path)):
                ctx.backup(action, path, backups)
            host.chown(path, host.uid(owner), host.gid(group))
            host.chmod(path, mode)
    except (RepairError, OSError) as exc:
        return _step(action, FAILED, "%s (done so far: backups %s)" % (exc, [b["backup"] for b in backups]),
                     diff, backups)
    return _step(action, APPLIED, "; ".join(t for t in todo if not t.startswith("then")), diff, backups)


def _accounts_text(host):
    users, groups = host.users(), host.groups()
    nx = users.get("nxautomation")
    parts = ["group %s %s" % (g, "exists" if g in groups else "missing") for g in ("omiusers", "nxautomation")]
    if nx is None:
        parts.append("user nxautomation missing")
    else:
        parts.append("user nxautomation home %s group %s member of %s" % (
            nx["home"], host.group_name(nx["gid"]),
            ",".join(sorted(g for g, e in groups.items() if "nxautomation" in e["members"])) or "-"))
    return "; ".join(parts)


def _write_sudoers(ctx, action, old_text, new_text, backups):
    """Back up, check with visudo -c (when present) and install the drop-in, root:root 0440."""
    host = ctx.host
    if old_text is not None:
        ctx.backup(action, SUDOERS_DROPIN, backups)
    if new_text is not None:
        directory = host.path(os.path.dirname(SUDOERS_DROPIN))
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o750)
        handle, tmp = tempfile.mkstemp(prefix=".omsagent.", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(new_text.encode("utf-8", "surrogateescape"))
            os.chmod(tmp, 0o440)
            if os.path.exists(host.path("/usr/sbin/visudo")):
                rc, out, err = host.run(["/usr/sbin/visudo", "-c", "-f", tmp])
                if rc != 0:
                    raise RepairError("visudo -c rejects the new %s: %s" % (SUDOERS_DROPIN, (err or out).strip()))
            os.rename(tmp, host.path(SUDOERS_DROPIN))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    host.chown(SUDOERS_DROPIN, 0, 0)
    host.chmod(SUDOERS_DROPIN, 0o440)


# --------------------------------------------------------------------------- fix_proxy_conf

def fix_proxy_conf(ctx, params):
    host, action = ctx.host, "fix_proxy_conf"
    st = host.stat(PROXY_CONF)
    if st is None:
        return _step(action, UNCHANGED, "%s does not exist: the agent uses no proxy, nothing to fix" % PROXY_CONF)
    try:
        want = (host.uid("omsagent"), host.gid("omiusers"), 0o640)
    except RepairError as exc:
        return _step(action, FAILED, "%s: run repair_prerequisites or reinstall the agent first" % exc)
    if st == want:
        return _step(action, UNCHANGED, "%s is already omsagent:omiusers 0640" % PROXY_CONF)
    diff = _diff(PROXY_CONF + " (owner:group mode)", _owner_text(host, st) + "\n", "omsagent:omiusers 0640\n")
    if ctx.check_mode:
        return _step(action, WOULD_APPLY, "would set %s to omsagent:omiusers 0640 (now %s)"
                     % (PROXY_CONF, _owner_text(host, st)), diff)
    backups = []
    try:
        ctx.backup(action, PROXY_CONF, backups)
        host.chown(PROXY_CONF, want[0], want[1])
        host.chmod(PROXY_CONF, 0o640)
    except OSError as exc:
        return _step(action, FAILED, "cannot set %s: %s" % (PROXY_CONF, exc), diff, backups)
    return _step(action, APPLIED, "set %s to omsagent:omiusers 0640 (was %s)" % (PROXY_CONF, _owner_text(host, st)),
                 diff, backups)


# --------------------------------------------------------------------------- preserve_update_log

def preserve_update_log(ctx, params):
    host, action = ctx.host, "preserve_update_log"
    source = host.path(UPDATE_LOG)
    if not os.path.isfile(source):
        return _step(action, UNCHANGED, "%s does not exist: nothing to preserve" % UPDATE_LOG)
    digest = sha256(source)
    prefix = "omsupdatemgmt.log."
    real_dir = host.path(ctx.backup_dir)
    copies = sorted(name for name in (os.listdir(real_dir) if os.path.isdir(real_dir) else [])
                    if name.startswith(prefix))
    if copies and sha256(os.path.join(real_dir, copies[-1])) == digest:
        return _step(action, UNCHANGED, "%s is already preserved as %s (same sha256)"
                     % (UPDATE_LOG, os.path.join(ctx.backup_dir, copies[-1])))
    target = os.path.join(ctx.backup_dir, prefix + ctx.stamp)
    diff = _diff(ctx.backup_dir, "".join(c + "\n" for c in copies) or "(no preserved copy)\n",
                 "".join(c + "\n" for c in copies) + os.path.basename(target) + "\n")
    if ctx.check_mode:
        return _step(action, WOULD_APPLY, "would copy %s to %s" % (UPDATE_LOG, target), diff)
    backups = []
    record = ctx.copy_to_backup(action, UPDATE_LOG, prefix + ctx.stamp, backups)
    return _step(action, APPLIED, "copied %s to %s" % (UPDATE_LOG, record["backup"]), diff, backups)


# --------------------------------------------------------------------------- the steps

ACTIONS = {
    "restart_agent": restart_agent,
    "restart_worker_manager": restart_worker_manager,
    "reinstall_agent": reinstall_agent,
    "repair_prerequisites": repair_prerequisites,
    "fix_proxy_conf": fix_proxy_conf,
    "preserve_update_log": preserve_update_log,
}


def validate_steps(steps):
    """Error messages for malformed steps (before anything runs); [] when all are fine."""
    errors = []
    if not isinstance(steps, list):
        return ["steps must be a list of {action, params} dicts, got %s" % type(steps).__name__]
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            errors.append("steps[%d] must be a dict {action, params}, got %r" % (index, step))
            continue
        name = step.get("action")
        if name not in ACTIONS:
            errors.append("steps[%d].action %r is not a Linux repair action; expected one of %s"
                          % (index, name, ", ".join(sorted(ACTIONS))))
        params = step.get("params")
        if params is not None and not isinstance(params, dict):
            errors.append("steps[%d].params must be a dict, got %r" % (index, params))
        unknown = sorted(set(step) - set(("action", "params")))
        if unknown:
            errors.append("steps[%d] has unknown key(s) %s; expected action and params" % (index, ", ".join(unknown)))
    return errors


def run_steps(steps, host=None, check_mode=False, backup_dir=DEFAULT_BACKUP_DIR):
    """Run the steps in order; after a failed step the rest are ``not_run``.
    Returns ``{changed, backups, steps}``. Any exception ends its step as ``failed`` (with the
    backups the step made before it), so the result always says what ran."""
    ctx = Context(host or Host(), check_mode=check_mode, backup_dir=backup_dir)
    results, failed = [], None
    for step in steps:
        name = step["action"]
        if failed is not None:
            results.append(_step(name, NOT_RUN, "not run: step %s failed" % failed))
            continue
        made, warned = len(ctx.made), len(ctx.warnings)
        try:
            result = ACTIONS[name](ctx, step.get("params") or {})
        except Exception as exc:  # whatever a step raises, the steps before it have to be reported
            done = ctx.made[made:]
            result = _step(name, FAILED, "%s: %s (raised in step %s%s)" % (
                type(exc).__name__, exc, name,
                "; done so far: backups %s" % ", ".join(b["backup"] for b in done) if done else ""),
                backups=list(done))
        if ctx.warnings[warned:]:
            result["msg"] = "\n".join([result["msg"]] + ctx.warnings[warned:])
        results.append(result)
        if result["status"] == FAILED:
            failed = name
    backups = [b for r in results for b in r["backups"]]
    return {"changed": any(r["changed"] for r in results), "backups": backups, "steps": results}
