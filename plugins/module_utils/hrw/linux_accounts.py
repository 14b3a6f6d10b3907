# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collector: users, groups, sudoers, gpg, nxautomation home, python3, worker trees.

Target side: stdlib only, Python 3.8 syntax, read-only. Every path is read under ``root``
(so tests use temporary trees): users and groups come from ``<root>/etc/passwd`` and
``<root>/etc/group``, never from the running system's NSS. Nothing here raises: what
cannot be read is ``null`` with an entry in ``errors`` (docs/adr/0001-facts-document.md,
section ``accounts``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw._hostfs import (  # parse_* are public here too
    HostFiles,
    can_read,
    parse_group,
    parse_passwd,
)

USERS = ("nxautomation", "omsagent")
GROUPS = ("omiusers", "nxautomation", "omsagent")

SUDOERS = "/etc/sudoers"
SUDOERS_DIR = "/etc/sudoers.d"
SUDOERS_DROPIN = "/etc/sudoers.d/omsagent"
BLOCK_BEGIN = "# Begin sudo configuration for omsagent"
BLOCK_END = "# End sudo configuration for omsagent"

GPG_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
GPG_NAMES = ("gpg", "gpg2")
DEFAULT_KEYRING = "/etc/opt/omi/conf/omsconfig/keyring.gpg"

HOME = "/home/nxautomation"
PYTHON3 = "/usr/bin/python3"

AW = ("/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/"
      "MSFT_nxOMSAutomationWorkerResource/automationworker")
WORKER_TREES = (("py3", AW + "/3.x/worker"), ("py2", AW + "/worker"))
WORKER_TREE_FILES = ("main.py", "hybridworker.py", "configuration.py")

_NOPASSWD_ALL = re.compile(
    r"^nxautomation\s+\S+\s*=\s*(\([^)]*\)\s*)?([A-Z_]+:\s*)*NOPASSWD:\s*([A-Z_]+:\s*)*ALL\s*$")
_DEFAULTS = re.compile(r"^Defaults(?:([:@>!])\s*(\S+))?\s+(.*)$")
_INCLUDEDIR = re.compile(r"^[#@]includedir\s+(\S+)\s*$")


def _wording(exc, logical):
    """How this section words an unreadable path (unchanged from its first release)."""
    return "%s: %s: %s" % (type(exc).__name__, logical, getattr(exc, "strerror", None) or exc)


class _Names(object):
    """uid/gid -> name from the parsed files (numeric string when unknown)."""

    def __init__(self, users, groups):
        self.users = dict((v["uid"], k) for k, v in reversed(list((users or {}).items())))
        self.groups = dict((v["gid"], k) for k, v in reversed(list((groups or {}).items())))

    def user(self, uid):
        return self.users.get(uid, str(uid))

    def group(self, gid):
        return self.groups.get(gid, str(gid))


def _owner_mode(files, where, logical, names):
    """{path, exists, type, owner, group, uid, gid, mode} of a path (follows symlinks)."""
    info = {"path": logical, "exists": None, "type": None, "owner": None, "group": None,
            "uid": None, "gid": None, "mode": None}
    st, exists = files.stat(where, logical)
    info["exists"] = exists
    if st is None:
        return info
    info["type"] = "directory" if stat.S_ISDIR(st.st_mode) else (
        "file" if stat.S_ISREG(st.st_mode) else "other")
    info["uid"], info["gid"] = st.st_uid, st.st_gid
    info["owner"], info["group"] = names.user(st.st_uid), names.group(st.st_gid)
    info["mode"] = "%04o" % stat.S_IMODE(st.st_mode)
    return info


# --------------------------------------------------------------------------- users and groups

def _users_and_groups(files):
    passwd_text = files.read_text("accounts.users", "/etc/passwd")
    group_text = files.read_text("accounts.groups", "/etc/group")
    all_users = parse_passwd(passwd_text) if passwd_text is not None else None
    all_groups = parse_group(group_text) if group_text is not None else None
    users = None
    if all_users is not None:
        users = {}
        for name in USERS:
            entry = all_users.get(name)
            if entry is not None:
                entry = dict(entry)
                entry["primary_group"] = None
                if all_groups is not None:
                    entry["primary_group"] = _Names({}, all_groups).group(entry["gid"])
            users[name] = entry
    groups = None
    if all_groups is not None:
        groups = {}
        for name in GROUPS:
            entry = all_groups.get(name)
            if entry is not None:
                members = list(entry["members"])
                for user, info in sorted((all_users or {}).items()):
                    if info["gid"] == entry["gid"] and user not in members:
                        members.append(user)  # primary-group membership
                entry = {"gid": entry["gid"], "members": sorted(members)}
            groups[name] = entry
    return users, groups, all_users, all_groups


# --------------------------------------------------------------------------- sudoers

def _logical_lines(text):
    """Sudoers lines with backslash continuations joined and surrounding space stripped."""
    out, pending = [], ""
    for raw in (text or "").splitlines():
        line = raw.strip() if pending else raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        out.append((pending + line).strip())
        pending = ""
    if pending:
        out.append(pending.strip())
    return out


def _strip_comment(line):
    """The line without a comment, keeping #include/#includedir directives."""
    if line.startswith("#include"):
        return line
    index = line.find("#")
    return line if index < 0 else line[:index].strip()


def _included_name(name):
    """sudo reads files of an includedir whose names have no '.' and do not end in '~'."""
    return "." not in name and not name.endswith("~")


def _scan_sudoers(path, text, found):
    in_block = False
    for line in _logical_lines(text):
        if line.startswith(BLOCK_BEGIN):
            in_block = True
            found["block_in_sudoers"] = found["block_in_sudoers"] or path == SUDOERS
        elif line.startswith(BLOCK_END):
            in_block = False
        match = _INCLUDEDIR.match(line)
        if match:
            if path == SUDOERS and match.group(1).rstrip("/") == SUDOERS_DIR:
                found["includedir"] = True
            continue
        line = _strip_comment(line)
        if not line:
            continue
        words = re.split(r"[\s:,=]+", line)
        if "nxautomation" in words or "omsagent" in words:
            found["entries"].append({"file": path, "line": line, "in_block": in_block})
        if _NOPASSWD_ALL.match(line):
            found["nxautomation_nopasswd_all"] = True
        match = _DEFAULTS.match(line)
        if not match:
            continue
        scope, target, options = match.groups()
        opts = [o.strip() for o in options.split(",")]
        if scope == ":" and "nxautomation" in [t.strip() for t in target.split(",")]:
            if "!requiretty" in opts:
                found["nxautomation_requiretty_exempt"] = True
        elif scope is None and "requiretty" in opts:
            found["global_requiretty"].append({"file": path, "line": line})


def _sudoers(files, names):
    out = {
        "sudoers": _owner_mode(files, "accounts.sudoers", SUDOERS, names),
        "dropin": _owner_mode(files, "accounts.sudoers", SUDOERS_DROPIN, names),
        "includedir": None,
        "block_in_sudoers": None,
        "entries": None,
        "nxautomation_nopasswd_all": None,
        "nxautomation_requiretty_exempt": None,
        "global_requiretty": None,
    }
    main = files.read_text("accounts.sudoers", SUDOERS)
    if main is None:
        return out
    found = {"includedir": False, "block_in_sudoers": False, "entries": [],
             "nxautomation_nopasswd_all": False, "nxautomation_requiretty_exempt": False,
             "global_requiretty": []}
    _scan_sudoers(SUDOERS, main, found)
    if found["includedir"]:
        for name in files.listdir("accounts.sudoers", SUDOERS_DIR) or []:
            if _included_name(name):
                path = SUDOERS_DIR + "/" + name
                text = files.read_text("accounts.sudoers", path)
                if text is not None:
                    _scan_sudoers(path, text, found)
    elif out["dropin"]["exists"]:
        # not read by sudo, but say what is in it (the rule reports it as not included)
        found_dropin = {"includedir": False, "block_in_sudoers": False, "entries": [],
                        "nxautomation_nopasswd_all": False, "nxautomation_requiretty_exempt": False,
                        "global_requiretty": []}
        _scan_sudoers(SUDOERS_DROPIN, files.read_text("accounts.sudoers", SUDOERS_DROPIN), found_dropin)
        found["entries"].extend(found_dropin["entries"])
    out.update(found)
    return out


# --------------------------------------------------------------------------- gpg

def _dir_traversable(files, logical, names, user, groups_of_user):
    """Whether every parent directory of ``logical`` lets ``user`` through (x bit)."""
    parent = os.path.dirname(logical)
    while parent and parent != "/":
        info = _owner_mode(files, "accounts.gpg", parent, names)
        if info["exists"] and info["mode"] is not None and user is not None and user.get("uid") != 0:
            mode = int(info["mode"], 8)
            if info["uid"] == user.get("uid"):
                bit = mode & 0o100
            elif info["gid"] in groups_of_user:
                bit = mode & 0o010
            else:
                bit = mode & 0o001
            if not bit:
                return False
        parent = os.path.dirname(parent)
    return True


def _truth(value, default):
    if value is None:
        return default
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    return default


def _gpg(files, names, facts, nxautomation, nx_groups):
    binaries, seen = [], set()
    for directory in GPG_DIRS:
        for name in GPG_NAMES:
            path = directory + "/" + name
            real = files.path(path)
            if os.path.isfile(real) and os.access(real, os.X_OK) and os.path.realpath(real) not in seen:
                seen.add(os.path.realpath(real))  # /bin is /usr/bin on merged-/usr systems
                binaries.append(path)
    worker = facts.get("worker") if isinstance(facts.get("worker"), dict) else {}
    keyrings = []
    for source, key in (("user_worker_conf", "user_worker_conf"), ("system_worker_conf", "system_worker_conf")):
        conf = worker.get(key)
        if not isinstance(conf, dict):
            continue
        optional = conf.get("worker-optional") if isinstance(conf.get("worker-optional"), dict) else {}
        path = (optional.get("gpg_public_keyring_path") or "").strip() or DEFAULT_KEYRING
        raw = optional.get("enforce_runbook_signature_validation")
        info = _owner_mode(files, "accounts.gpg", path, names)
        readable = can_read(info, nxautomation, nx_groups)
        if readable and not _dir_traversable(files, path, names, nxautomation, nx_groups):
            readable = False
        keyrings.append({
            "worker": source.replace("_worker_conf", ""),
            "path": path,
            "enforce_runbook_signature_validation": _truth(raw, True),  # configuration3.py default
            "enforce_setting": raw,
            "file": info,
            "nxautomation_can_read": readable,
        })
    return {"binaries": binaries, "keyrings": keyrings}


# --------------------------------------------------------------------------- home, python3, trees

def _home(files, names):
    return {
        "home": _owner_mode(files, "accounts.home", HOME, names),
        "run": _owner_mode(files, "accounts.home", HOME + "/run", names),
        "state": _owner_mode(files, "accounts.home", HOME + "/state", names),
    }


def _python3(files):
    real = files.path(PYTHON3)
    exists = os.path.lexists(real)
    is_file = os.path.isfile(real)
    target = None
    if os.path.islink(real):
        try:
            target = os.readlink(real)
        except OSError as exc:
            files.os_error("accounts.python3", exc, PYTHON3)
    return {"path": PYTHON3, "exists": exists, "is_file": is_file,
            "executable": bool(is_file and os.access(real, os.X_OK)), "link_target": target}


def _worker_trees(files):
    trees = {}
    for name, path in WORKER_TREES:
        present = dict((f, os.path.isfile(files.path(path + "/" + f))) for f in WORKER_TREE_FILES)
        trees[name] = {"path": path, "files": present, "complete": all(present.values())}
    return trees


# --------------------------------------------------------------------------- section

def collect_accounts(root, errors, facts, options):
    """The ``accounts`` section of the facts document (ADR 0001)."""
    files = HostFiles(root, errors if errors is not None else [], _wording)
    facts = facts if isinstance(facts, dict) else {}
    users, groups, all_users, all_groups = _users_and_groups(files)
    names = _Names(all_users, all_groups)
    nxautomation = None
    nx_groups = set()
    if all_users and all_users.get("nxautomation"):
        nxautomation = dict(all_users["nxautomation"], name="nxautomation")
        nx_groups.add(nxautomation["gid"])
        for info in (all_groups or {}).values():
            if "nxautomation" in info["members"]:
                nx_groups.add(info["gid"])
    return {
        "users": users,
        "groups": groups,
        "sudoers": _sudoers(files, names),
        "gpg": _gpg(files, names, facts, nxautomation, nx_groups),
        "home": _home(files, names),
        "python3": _python3(files),
        "worker_trees": _worker_trees(files),
    }
