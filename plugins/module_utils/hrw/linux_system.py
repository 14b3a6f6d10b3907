# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collector: hardware, package manager state and repositories, the update log.

Target side: stdlib only, Python 3.8 syntax, read-only (no lock is ever taken: a held lock
is found by looking its file's inode up in ``/proc/locks``). Every path is taken under
``root``; the document reports the host's own paths. Never raises: what cannot be read is
None plus an ``errors`` entry. The OS identity, memory and load are in ``host`` already
(ADR 0001) and are not read again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import os
import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw._hostfs import HostFiles, describe
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.probe import probe_endpoints as _probe

UPDATE_LOG = "/var/opt/microsoft/omsagent/run/automationworker/omsupdatemgmt.log"

#: (name, files whose presence identifies it), tried in order.
PACKAGE_MANAGERS = (
    ("apt", ("/usr/bin/apt-get", "/var/lib/dpkg/status")),
    ("dnf", ("/usr/bin/dnf",)),
    ("yum", ("/usr/bin/yum",)),
    ("zypper", ("/usr/bin/zypper",)),
)
#: Lock files per package manager: ("fcntl", path) is looked up in /proc/locks;
#: ("pidfile", path) is held while the pid it names is alive.
LOCKS = {
    "apt": (("fcntl", "/var/lib/dpkg/lock-frontend"), ("fcntl", "/var/lib/dpkg/lock"),
            ("fcntl", "/var/lib/apt/lists/lock"), ("fcntl", "/var/cache/apt/archives/lock")),
    "dnf": (("pidfile", "/var/run/dnf.pid"), ("pidfile", "/var/cache/dnf/metadata_lock.pid")),
    "yum": (("pidfile", "/var/run/yum.pid"),),
    "zypper": (("pidfile", "/run/zypp.pid"), ("pidfile", "/var/run/zypp.pid")),
}
DPKG_UPDATES = "/var/lib/dpkg/updates"
APT_SOURCES = "/etc/apt/sources.list"
APT_SOURCES_DIR = "/etc/apt/sources.list.d"
REPO_DIRS = {"yum": "/etc/yum.repos.d", "dnf": "/etc/yum.repos.d", "zypper": "/etc/zypp/repos.d"}
#: At most this many repository hosts are probed.
MAX_REPOS = 16
_MAX_BYTES = 256 * 1024
_URL_RE = re.compile(r"^(https?)://(\[[^\]]+\]|[^/:\s]+)(?::(\d+))?", re.IGNORECASE)


# --------------------------------------------------------------------------- cpu


def collect_cpu(root="/"):
    """``{usable, online, source}``: CPUs this process may run on and CPUs online.

    ``usable`` is the size of the scheduler affinity mask (``taskset``, cgroup cpusets) on the
    real root, else ``os.cpu_count()``; ``source`` says which.
    """
    online = os.cpu_count()
    if (not root or root == "/") and hasattr(os, "sched_getaffinity"):
        try:
            return {"usable": len(os.sched_getaffinity(0)), "online": online, "source": "sched_getaffinity"}
        except OSError:
            pass
    return {"usable": online, "online": online, "source": "cpu_count"}


# --------------------------------------------------------------------------- package manager


def _proc_locks(files):
    """Set of (major, minor, inode) with a lock in /proc/locks, or None if unreadable."""
    text = files.read_text("system.package_manager.locks", "/proc/locks", _MAX_BYTES)
    if text is None:
        return None
    held = {}
    for line in text.splitlines():
        fields = line.split()
        if "->" in fields:
            continue  # a waiter, not a holder
        for position, field in enumerate(fields):
            parts = field.split(":")
            if len(parts) == 3 and position >= 4:
                try:
                    key = (int(parts[0], 16), int(parts[1], 16), int(parts[2]))
                except ValueError:
                    continue
                pid = fields[position - 1]
                held[key] = int(pid) if pid.isdigit() else None
                break
    return held


def _pid_alive(files, pid):
    return files.exists("/proc/%d" % pid)


def _lock_state(files, name):
    """``(locks, held)``: each lock ``{path, kind, exists, held, pid}``; held True/False/None."""
    locks = []
    proc_locks = None
    for kind, logical in LOCKS.get(name, ()):
        entry = {"path": logical, "kind": kind, "exists": False, "held": False, "pid": None}
        info, exists = files.stat("system.package_manager.locks", logical)
        if exists is False:
            locks.append(entry)
            continue
        if exists is None:
            entry.update({"exists": None, "held": None})
            locks.append(entry)
            continue
        entry["exists"] = True
        if kind == "fcntl":
            if proc_locks is None:
                proc_locks = _proc_locks(files)
            if proc_locks is None:
                entry["held"] = None
            else:
                key = (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)
                entry["held"] = key in proc_locks
                entry["pid"] = proc_locks.get(key)
        else:
            text = files.read_text("system.package_manager.locks", logical, _MAX_BYTES) or ""
            pid = text.strip().split()[0] if text.strip() else ""
            if pid.isdigit():
                entry["pid"] = int(pid)
                entry["held"] = _pid_alive(files, int(pid))
        locks.append(entry)
    states = [lock["held"] for lock in locks]
    if any(state is True for state in states):
        return locks, True
    if any(state is None for state in states):
        return locks, None
    return locks, False


def _interrupted(files, name):
    """``(interrupted, evidence)``: dpkg left files in /var/lib/dpkg/updates (interrupted run)."""
    if name != "apt":
        return None, []
    names, exists = files.attempt("system.package_manager.interrupted", DPKG_UPDATES, os.listdir)
    if not exists:
        return exists, []  # False: no such directory; None: unreadable (an errors entry)
    names = [n for n in sorted(names) if n.isdigit()]  # dpkg's journal entries are numbered
    return bool(names), ["%s/%s" % (DPKG_UPDATES, n) for n in names[:20]]


# --------------------------------------------------------------------------- repositories


def _url_entry(url, source):
    match = _URL_RE.match(url)
    if not match:
        return None
    scheme = match.group(1).lower()
    host = match.group(2).strip("[]").lower()
    port = int(match.group(3)) if match.group(3) else (443 if scheme == "https" else 80)
    return {"url": url, "scheme": scheme, "host": host, "port": port, "source": source}


def _apt_one_line(text, source):
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line.startswith(("deb ", "deb-src ", "deb\t", "deb-src\t")):
            continue
        line = re.sub(r"\[[^\]]*\]", " ", line)  # [arch=amd64 signed-by=...]
        for token in line.split()[1:]:
            if "://" in token:
                out.append((token, source))
                break
    return out


def _apt_deb822(text, source):
    out = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        current = None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and current:
                fields[current] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if sep:
                current = key.strip().lower()
                fields[current] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            out.append((uri, source))
    return out


def _ini_urls(text, source):
    out = []
    enabled = True
    urls = []

    def flush():
        if enabled:
            out.extend((u, source) for u in urls)

    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            flush()
            enabled, urls = True, []
            continue
        key, sep, value = line.partition("=")
        if not sep:
            if urls and "://" in line:  # continuation line of a baseurl list
                urls.extend(line.split())
            continue
        key = key.strip().lower()
        if key == "enabled":
            enabled = value.strip() not in ("0", "false", "no")
        elif key in ("baseurl", "mirrorlist", "metalink"):
            urls.extend(value.split())
    flush()
    return out


def _repo_files(files, where, directory, pattern):
    names = files.listdir(where, directory) or []
    return ["%s/%s" % (directory, n) for n in names if fnmatch.fnmatch(n, pattern)]


def collect_repositories(root, errors, name):
    """Configured repository URLs of package manager ``name`` (list, or None when unknown)."""
    files = HostFiles(root, errors)
    where = "system.repositories"
    found = []
    if name == "apt":
        text = files.read_text(where, APT_SOURCES, _MAX_BYTES)
        if text is not None:
            found.extend(_apt_one_line(text, APT_SOURCES))
        for logical in _repo_files(files, where, APT_SOURCES_DIR, "*.list"):
            found.extend(_apt_one_line(files.read_text(where, logical, _MAX_BYTES) or "", logical))
        for logical in _repo_files(files, where, APT_SOURCES_DIR, "*.sources"):
            found.extend(_apt_deb822(files.read_text(where, logical, _MAX_BYTES) or "", logical))
    elif name in REPO_DIRS:
        for logical in _repo_files(files, where, REPO_DIRS[name], "*.repo"):
            found.extend(_ini_urls(files.read_text(where, logical, _MAX_BYTES) or "", logical))
    else:
        return None
    repos = []
    seen = set()
    for url, source in found:
        entry = _url_entry(url, source)
        if entry is None or (entry["host"], entry["port"], entry["scheme"]) in seen:
            continue
        seen.add((entry["host"], entry["port"], entry["scheme"]))
        entry["probe"] = None
        repos.append(entry)
    return repos[:MAX_REPOS]


def probe_repositories(repos, options, errors):
    """Probe each repository host concurrently (https: TCP + TLS; http: TCP only)."""
    targets = [{"host": r["host"], "port": r["port"]} for r in repos]
    if not targets:
        return
    try:
        results = _probe(targets, timeout=options.get("probe_timeout") or 3.0, cafile=options.get("cafile"),
                         resolver=options.get("resolver"), clock=options.get("clock"))
    except Exception as exc:  # never raise from a collector
        errors.append({"where": "system.repositories", "error": describe(exc)})
        return
    for repo, result in zip(repos, results):
        if repo["scheme"] == "http":
            # plain HTTP: reachable means the TCP connect worked; a TLS result means nothing
            result = dict(result)
            result["tls"] = None
            tcp = result.get("tcp") or {}
            if tcp.get("ok"):
                result["error_class"] = None
        repo["probe"] = {"dns": result.get("dns"), "tcp": result.get("tcp"), "tls": result.get("tls"),
                         "elapsed_ms": result.get("elapsed_ms"), "error_class": result.get("error_class")}


# --------------------------------------------------------------------------- update log


def collect_update_log(root, errors):
    entry = {"path": UPDATE_LOG, "exists": False, "size_bytes": None, "mtime": None}
    info, entry["exists"] = HostFiles(root, errors).stat("system.update_log", UPDATE_LOG)
    if info is None:
        return entry
    entry["size_bytes"] = info.st_size
    entry["mtime"] = datetime.datetime.fromtimestamp(int(info.st_mtime), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    return entry


# --------------------------------------------------------------------------- section


def detect_package_manager(root):
    for name, files in PACKAGE_MANAGERS:
        if any(HostFiles(root, []).exists(f) for f in files):
            return name
    return None


def collect_system(root, errors, facts, options):
    """The ``system`` section of the facts document (ADR 0001)."""
    options = options or {}
    files = HostFiles(root, errors)
    name = detect_package_manager(root)
    package_manager = {"name": name, "locks": [], "lock_held": None, "interrupted": None,
                       "interrupted_evidence": []}
    if name is not None:
        package_manager["locks"], package_manager["lock_held"] = _lock_state(files, name)
        package_manager["interrupted"], package_manager["interrupted_evidence"] = _interrupted(files, name)
    repos = collect_repositories(root, errors, name)
    probed = bool(options.get("probe_endpoints")) and repos is not None
    if probed:
        probe_repositories(repos, options, errors)
    return {
        "cpu": collect_cpu(root),
        "package_manager": package_manager,
        "repositories": repos,
        "repositories_probed": probed,
        "update_log": collect_update_log(root, errors),
    }
