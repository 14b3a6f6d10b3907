# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only collector of the facts document (schema 1, ADR 0001) on a Linux V1 worker.

Stdlib only, Python 3.8+ syntax; runs on the target. Reads files and ``/proc`` only: no
subprocess, nothing written. Every path is taken under ``root`` (default ``/``) so tests can
run against a directory tree; the paths reported in the document are always the host's own
absolute paths (without ``root``).

Missing and unreadable input never raises. A value that could not be read is None. A file that
does not exist is simply reported as None (its absence is a fact for the rules, not a collector
failure); a file that exists but cannot be read (permissions, a directory in its place, ...)
is reported as None **and** adds ``{where, error}`` to ``errors``.

Public entry point: :func:`collect`. The section collectors (:func:`collect_host`,
:func:`collect_agent`, :func:`collect_worker`, :func:`collect_processes`,
:func:`collect_logs`) and :func:`classify_process` are usable on their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import datetime
import os
import platform
import posixpath
import re
import socket
import time

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw._hostfs import HostFiles, describe
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.confparse import parse_ini, parse_keyvalue
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.endpoints import derive_endpoints
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_accounts import collect_accounts
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_network import collect_network
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_system import collect_system
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_worker_state import collect_worker_state
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.probe import probe_endpoints as _probe_endpoints

SCHEMA = 1
COLLECTOR_NAME = "hrw_facts"
COLLECTOR_VERSION = "0.1.0"

OMSADMIN_CONF = "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"
OMSAGENT_LOG = "/var/opt/microsoft/omsagent/log/omsagent.log"
SERVICE_CONTROL = "/opt/microsoft/omsagent/bin/service_control"
#: ``agent.files`` has exactly these keys.
AGENT_FILES = (OMSADMIN_CONF, OMSAGENT_LOG, SERVICE_CONTROL)
OMSAGENT_VAR = "/var/opt/microsoft/omsagent"
WORKER_VERSION = "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION"
OMS_CONF = "/var/opt/microsoft/omsagent/state/automationworker/oms.conf"
SYSTEM_WORKER_CONF = "/var/opt/microsoft/omsagent/state/automationworker/worker.conf"
USER_WORKER_CONF = "/home/nxautomation/state/worker.conf"
LEGACY_USER_WORKER_CONF = "/var/opt/microsoft/omsagent/%s/state/automationworker/diy/worker.conf"
OMSCONFIG_LOG = "/var/opt/microsoft/omsconfig/omsconfig.log"
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
#: The machine id (systemd, then D-Bus), the first that exists; a cloned image shares it (issue 7).
MACHINE_ID = ("/etc/machine-id", "/var/lib/dbus/machine-id")

#: How much of the end of omsconfig.log is read.
LOG_TAIL_BYTES = 1024 * 1024
#: At most this many matches per pattern (the newest ones).
MAX_MATCHES = 20
#: A matched log line longer than this is cut (the document stays small).
MAX_LINE_CHARS = 2000
#: (name, literal text) searched in omsconfig.log, case-sensitive.
LOG_PATTERNS = (
    ("class_does_not_exist", "The specified class does not exist"),
    # What PerformRequiredConfigurationChecks.py reports when a consistency check worked (Microsoft's
    # "The following output is returned if it works"); a class error before it is history.
    ("consistency_check_succeeded", "Operation PerformRequiredConfigurationChecks completed successfully"),
)
# Per-pattern limit below MAX_MATCHES: of the success line (one every 15 minutes) only the newest matters.
LOG_PATTERN_LIMITS = {"consistency_check_succeeded": 1}

ROLES = ("omsagent", "manager", "system_worker", "user_worker")

_MAX_CMDLINE_BYTES = 64 * 1024
_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_GUID_RE = re.compile(r"^%s$" % _GUID, re.IGNORECASE)
_SYSTEM_WORKER_CONF_RE = re.compile(
    r"^/var/opt/microsoft/omsagent/(?:%s/)?state/automationworker/worker\.conf$" % _GUID, re.IGNORECASE)


# --------------------------------------------------------------------------- time


def _utc_iso(moment):
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


# --------------------------------------------------------------------------- host


def collect_host(root="/", errors=None, now=None):
    """The ``host`` section: hostname, machine_id, utc_now, os, python, cpu_count, memory, load.

    :param now: callable returning the current time as a datetime (UTC or aware); tests.
    """
    errors = errors if errors is not None else []
    reader = HostFiles(root, errors)
    host = {
        "hostname": None,
        "machine_id": None,
        "utc_now": _utc_iso((now or _utc_now)()),
        "os": {"id": None, "version_id": None, "pretty_name": None},
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "memory": {"total_kb": None, "available_kb": None},
        "load": None,
    }

    text = reader.read_text("host.hostname", "/proc/sys/kernel/hostname")
    if text is not None and text.strip():
        host["hostname"] = text.strip()
    elif reader.root in ("/", ""):
        host["hostname"] = socket.gethostname() or None

    for path in MACHINE_ID:
        if not reader.lexists(path):
            continue  # the next candidate only when this one is absent, not when it is unreadable
        text = reader.read_text("host.machine_id", path)
        # "uninitialized" (systemd's first boot) or an empty file identify nothing
        value = text.strip().lower() if text is not None else ""
        host["machine_id"] = value if value and value != "uninitialized" else None
        break

    for path in OS_RELEASE:
        text = reader.read_text("host.os", path)
        if text is None:
            continue
        release = parse_keyvalue(text, unquote=True)
        host["os"] = {
            "id": release.get("ID") or None,
            "version_id": release.get("VERSION_ID") or None,
            "pretty_name": release.get("PRETTY_NAME") or None,
        }
        break

    text = reader.read_text("host.memory", "/proc/meminfo")
    if text is not None:
        fields = {}
        for line in text.splitlines():
            name, _sep, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                fields[name.strip()] = int(parts[0])
        host["memory"] = {"total_kb": fields.get("MemTotal"), "available_kb": fields.get("MemAvailable")}

    text = reader.read_text("host.load", "/proc/loadavg")
    if text is not None:
        try:
            host["load"] = [float(v) for v in text.split()[:3]]
            if len(host["load"]) != 3:
                raise ValueError("expected three load averages in %r" % text.strip())
        except ValueError as exc:
            host["load"] = None
            reader.error("host.load", describe(exc))
    return host


# --------------------------------------------------------------------------- agent and worker


def collect_agent(root="/", errors=None):
    """The ``agent`` section: files, omsadmin, workspace_id, workspace_dirs."""
    errors = errors if errors is not None else []
    reader = HostFiles(root, errors)
    agent = {
        "files": dict((path, reader.exists(path)) for path in AGENT_FILES),
        "omsadmin": None,
        "workspace_id": None,
        "workspace_dirs": None,
    }
    text = reader.read_text("agent.omsadmin", OMSADMIN_CONF)
    if text is not None:
        agent["omsadmin"] = parse_keyvalue(text)
        workspace = agent["omsadmin"].get("WORKSPACE_ID", "").strip().lower()
        agent["workspace_id"] = workspace or None
    names = reader.listdir("agent.workspace_dirs", OMSAGENT_VAR)
    if names is not None:
        agent["workspace_dirs"] = sorted(
            n for n in names
            if _GUID_RE.match(n) and os.path.isdir(reader.path(posixpath.join(OMSAGENT_VAR, n))))
    return agent


def _read_ini(reader, where, logical):
    text = reader.read_text(where, logical)
    return None if text is None else parse_ini(text)


def collect_worker(root="/", errors=None, agent=None):
    """The ``worker`` section: version, oms_conf, system/user worker.conf and the user conf path.

    :param agent: the ``agent`` section (its workspace id and dirs locate the legacy DIY
        ``worker.conf``); collected when not given.
    """
    errors = errors if errors is not None else []
    reader = HostFiles(root, errors)
    if agent is None:
        agent = collect_agent(root, [])
    worker = {
        "version": None,
        "oms_conf": None,
        "system_worker_conf": None,
        "user_worker_conf": None,
        "user_worker_conf_path": None,
    }
    text = reader.read_text("worker.version", WORKER_VERSION)
    if text is not None:
        worker["version"] = text.strip() or None
    worker["oms_conf"] = _read_ini(reader, "worker.oms_conf", OMS_CONF)
    worker["system_worker_conf"] = _read_ini(reader, "worker.system_worker_conf", SYSTEM_WORKER_CONF)

    candidates = [USER_WORKER_CONF]
    workspaces = []
    if agent.get("workspace_id"):
        workspaces.append(agent["workspace_id"])
    workspaces.extend(w for w in (agent.get("workspace_dirs") or []) if w not in workspaces)
    candidates.extend(LEGACY_USER_WORKER_CONF % w for w in workspaces if _GUID_RE.match(w))
    for path in candidates:
        conf = _read_ini(reader, "worker.user_worker_conf", path)
        if conf is not None:
            worker["user_worker_conf"] = conf
            worker["user_worker_conf_path"] = path
            break
    return worker


# --------------------------------------------------------------------------- processes


def _config_argument(args):
    """The config argument of hybridworker.py: the first ``*.conf`` item, else the first item."""
    for item in args:
        if item.endswith(".conf"):
            return item
    return args[0] if args else None


def classify_process(argv):
    """Classify a process by its argv (ADR 0001, "Process roles").

    :returns: ``(role, workspace_id, version)``; role is ``omsagent`` | ``manager`` |
        ``system_worker`` | ``user_worker`` or None; workspace_id from an ``rworkspace:<guid>``
        item (lower-cased), version from ``rversion:<v>``, each None when absent.

    ``manager``: an item ends with ``/worker/main.py``. ``system_worker``: an item ends with
    ``hybridworker.py`` and its config argument (the first later item ending in ``.conf``) is
    ``/var/opt/microsoft/omsagent[/<guid>]/state/automationworker/worker.conf``;
    ``user_worker``: the same script with any other config argument (the DIY
    ``/home/nxautomation/state/worker.conf``, the legacy ``.../automationworker/diy/worker.conf``).
    ``omsagent``: an item ends with ``/omsagent/bin/omsagent`` or contains ``omsagent.conf`` or
    ``omsagent.log`` (the official troubleshooter's test). Worker roles are tested first.
    """
    role = None
    for position, item in enumerate(argv):
        if item.endswith("/worker/main.py"):
            role = "manager"
            break
        if item.endswith("hybridworker.py"):
            config = _config_argument(argv[position + 1:])
            if config and _SYSTEM_WORKER_CONF_RE.match(posixpath.normpath(config)):
                role = "system_worker"
            else:
                role = "user_worker"
            break
    if role is None:
        for item in argv:
            if item.endswith("/omsagent/bin/omsagent") or "omsagent.conf" in item or "omsagent.log" in item:
                role = "omsagent"
                break
    workspace_id = None
    version = None
    for item in argv:
        if workspace_id is None and item.startswith("rworkspace:"):
            workspace_id = item[len("rworkspace:"):].strip().lower() or None
        elif version is None and item.startswith("rversion:"):
            version = item[len("rversion:"):].strip() or None
    return role, workspace_id, version


class _Users(object):
    """uid -> user name: NSS (``pwd``) on the real root, ``<root>/etc/passwd`` otherwise."""

    def __init__(self, reader):
        self.reader = reader
        self._table = None

    def name(self, uid):
        if self.reader.root in ("/", ""):
            try:
                import pwd
                return pwd.getpwuid(uid).pw_name
            except (KeyError, ImportError):
                return str(uid)
        if self._table is None:
            self._table = {}
            text = self.reader.read_text("processes", "/etc/passwd")
            for line in (text or "").splitlines():
                fields = line.split(":")
                if len(fields) >= 3 and fields[2].isdigit():
                    self._table.setdefault(int(fields[2]), fields[0])
        return self._table.get(uid, str(uid))


def _real_uid(status_text):
    for line in status_text.splitlines():
        if line.startswith("Uid:"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                return int(fields[1])
    return None


def collect_processes(root="/", errors=None):
    """The ``processes`` section: every process with a role, sorted by pid; None if /proc is unreadable."""
    errors = errors if errors is not None else []
    reader = HostFiles(root, errors)
    names = reader.listdir("processes", "/proc")
    if names is None:
        if not reader.exists("/proc"):
            reader.error("processes", "FileNotFoundError: /proc is missing")
        return None
    users = _Users(reader)
    hidden = 0
    processes = []
    for name in names:
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            with open(reader.path("/proc/%d/cmdline" % pid), "rb") as handle:
                raw = handle.read(_MAX_CMDLINE_BYTES)
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile
        except OSError:
            hidden += 1
            continue
        argv = [part.decode("utf-8", "replace") for part in raw.split(b"\0")]
        while argv and argv[-1] == "":
            argv.pop()
        if not argv:
            continue  # kernel thread or zombie
        role, workspace_id, version = classify_process(argv)
        if role is None:
            continue
        user = None
        try:
            with open(reader.path("/proc/%d/status" % pid), "rb") as handle:
                uid = _real_uid(handle.read(_MAX_CMDLINE_BYTES).decode("utf-8", "replace"))
            if uid is not None:
                user = users.name(uid)
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile
        except OSError as exc:
            reader.os_error("processes", exc, "/proc/%d/status" % pid)
        processes.append({
            "pid": pid,
            "user": user,
            "argv": argv,
            "role": role,
            "workspace_id": workspace_id,
            "version": version,
        })
    if hidden:
        reader.error("processes", "PermissionError: the command line of %d process(es) could not be read" % hidden)
    processes.sort(key=lambda p: p["pid"])
    return processes


# --------------------------------------------------------------------------- logs


def collect_logs(root="/", errors=None, tail_bytes=LOG_TAIL_BYTES, max_matches=MAX_MATCHES, patterns=LOG_PATTERNS):
    """The ``logs`` section: a bounded tail of omsconfig.log searched for known patterns.

    Reads at most ``tail_bytes`` from the end (a partial first line is dropped); keeps the
    newest ``max_matches`` matching lines per pattern, oldest first. ``tail_bytes`` and
    ``matches`` are None when the file could not be read.
    """
    errors = errors if errors is not None else []
    reader = HostFiles(root, errors)
    section = {"path": OMSCONFIG_LOG, "exists": reader.exists(OMSCONFIG_LOG), "tail_bytes": None, "matches": None}
    try:
        with open(reader.path(OMSCONFIG_LOG), "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            start = max(0, size - tail_bytes)
            handle.seek(start)
            data = handle.read(tail_bytes)
    except FileNotFoundError:
        return {"omsconfig": section}
    except OSError as exc:
        reader.os_error("logs.omsconfig", exc, OMSCONFIG_LOG)
        return {"omsconfig": section}
    section["tail_bytes"] = len(data)
    if start > 0:
        newline = data.find(b"\n")
        data = data[newline + 1:] if newline >= 0 else b""
    found = dict((name, collections.deque(maxlen=min(max_matches, LOG_PATTERN_LIMITS.get(name, max_matches))))
                 for name, _text in patterns)
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines()):
        for name, text in patterns:
            if text in line:
                found[name].append((number, name, line[:MAX_LINE_CHARS]))
    merged = sorted((item for queue in found.values() for item in queue), key=lambda item: item[0])
    section["matches"] = [{"pattern": name, "line": line} for _number, name, line in merged]
    return {"omsconfig": section}


# --------------------------------------------------------------------------- endpoints


_NOT_PROBED = {"dns": None, "tcp": None, "tls": None, "elapsed_ms": None, "error_class": None}


def collect_endpoints(facts, errors=None, probe=True, probe_timeout=3.0, cafile=None, resolver=None, clock=None,
                      account=None, proxy=None):
    """Derive the endpoints from ``facts`` (``endpoints.derive_endpoints``) and probe them.

    Every endpoint is probed directly and, when ``proxy`` (``{host, port, user, password}``,
    from ``linux_network``) is given, also through the proxy, all in one probe phase (one
    shared deadline); endpoints with the same host and port share one probe. Each endpoint gets ``direct`` and ``via_proxy`` (the two results, None
    when not probed that way); its top-level probe keys are those of the path the agent
    uses: through the proxy when one is configured, else direct.

    :returns: ``(endpoints, endpoint_errors)``; without ``probe`` the probe keys are None.
    """
    errors = errors if errors is not None else []
    derived, endpoint_errors = derive_endpoints(facts, account, internet=True)
    direct = [None] * len(derived)
    via_proxy = [None] * len(derived)
    if probe and derived:
        # one probe per distinct host:port (e.g. the system and the user worker share a JRDS)
        unique = []
        for endpoint in derived:
            if (endpoint["host"], endpoint["port"]) not in unique:
                unique.append((endpoint["host"], endpoint["port"]))
        jobs = [{"host": host, "port": port} for host, port in unique]
        if proxy:
            jobs += [{"host": host, "port": port, "proxy": proxy} for host, port in unique]
        try:
            results = _probe_endpoints(jobs, timeout=probe_timeout, cafile=cafile, resolver=resolver, clock=clock)
            position = dict((key, number) for number, key in enumerate(unique))
            numbers = [position[(endpoint["host"], endpoint["port"])] for endpoint in derived]
            direct = [dict(results[number]) for number in numbers]
            if proxy:
                via_proxy = [dict(results[len(unique) + number]) for number in numbers]
        except Exception as exc:
            errors.append({"where": "endpoints", "error": describe(exc)})
    endpoints = []
    for endpoint, result, tunnelled in zip(derived, direct, via_proxy):
        merged = dict(endpoint)
        merged.update(_NOT_PROBED)
        merged.update((tunnelled if proxy else result) or {})
        merged.pop("proxy", None)
        merged["direct"] = result
        merged["via_proxy"] = tunnelled
        endpoints.append(merged)
    return endpoints, endpoint_errors


# --------------------------------------------------------------------------- the document

# Sections added after the first release, each ``collector(root, errors, facts, options)``
# from a module of its own; ``facts`` holds the sections collected before it.
_SECTIONS = (
    ("system", collect_system),
    ("accounts", collect_accounts),
    ("worker_state", collect_worker_state),
    ("network", collect_network),
)


def _guarded(errors, where, fallback, function, *args, **kwargs):
    """Run one section collector; a bug in it costs that section, never the document."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        errors.append({"where": where, "error": "unexpected %s" % describe(exc)})
        return fallback


def collect(root="/", probe_timeout=3.0, probe_endpoints=True, cafile=None, resolver=None, clock=None, now=None,
            log_tail_bytes=LOG_TAIL_BYTES, max_matches=MAX_MATCHES, account=None):
    """Collect the whole facts document (schema 1) of a Linux host.

    :param root: directory the host's paths are taken under (tests); ``/`` on a real host.
    :param probe_timeout: seconds (> 0) for the whole probe phase.
    :param probe_endpoints: probe the derived endpoints (DNS, TCP, TLS) or only derive them.
    :param cafile: CA bundle for the TLS verification instead of the system store (tests).
    :param resolver: ``resolver(host, port)`` replacing getaddrinfo (tests, see ``probe``).
    :param clock: monotonic clock for the probe deadline (tests).
    :param now: callable returning the current datetime, for ``host.utc_now`` (tests).
    :param log_tail_bytes: how much of the end of omsconfig.log is read.
    :param max_matches: matches kept per log pattern.
    :param account: ``{"id": <Automation account id or None>, "region": <region or None>}``
        given by the user, for the account-specific endpoints.
    :returns: the document as a dict of plain JSON types.
    """
    started = time.monotonic()
    errors = []
    host = _guarded(errors, "host", None, collect_host, root, errors, now)
    agent = _guarded(errors, "agent", None, collect_agent, root, errors)
    worker = _guarded(errors, "worker", None, collect_worker, root, errors, agent or {})
    processes = _guarded(errors, "processes", None, collect_processes, root, errors)
    logs = _guarded(errors, "logs", {"omsconfig": None}, collect_logs, root, errors, log_tail_bytes, max_matches)
    facts = {"host": host, "agent": agent, "worker": worker, "processes": processes, "logs": logs}
    options = {"account": account or {}, "probe_endpoints": probe_endpoints, "probe_timeout": probe_timeout,
               "cafile": cafile, "resolver": resolver, "clock": clock}
    for section, collector in _SECTIONS:
        facts[section] = _guarded(errors, section, None, collector, root, errors, facts, options)
    endpoints, endpoint_errors = _guarded(
        errors, "endpoints", ([], []), collect_endpoints, facts, errors, probe_endpoints, probe_timeout, cafile,
        resolver, clock, options["account"], options.get("proxy"))
    return {
        "schema": SCHEMA,
        "platform": "linux",
        "collector": {
            "name": COLLECTOR_NAME,
            "version": COLLECTOR_VERSION,
            "elapsed_ms": int(round((time.monotonic() - started) * 1000)),
        },
        "host": host,
        "agent": agent,
        "worker": worker,
        "processes": processes,
        "logs": logs,
        "system": facts["system"],
        "accounts": facts["accounts"],
        "worker_state": facts["worker_state"],
        "network": facts["network"],
        "endpoints": endpoints,
        "endpoint_errors": endpoint_errors,
        "errors": errors,
    }
