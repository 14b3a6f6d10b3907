# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collector: Current.mof, worker certificates and thumbprints, expected oms.conf, worker logs.

Target side: stdlib only, Python 3.8 syntax, read-only. Every path is taken under ``root``;
the paths reported are the host's own. Never raises: what cannot be read is None and, when
the file exists but is unreadable or malformed, an ``errors`` entry ``{where, error}``.
The collector reports what it saw; the rules (rules_linux_worker.py) decide health.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import collections
import hashlib
import json
import os
import re

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw._hostfs import HostFiles, describe
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.probe import parse_certificate

CURRENT_MOF = "/etc/opt/omi/conf/omsconfig/configuration/Current.mof"
AGENT_CERT = "/etc/opt/microsoft/omsagent/certs/oms.crt"
WORKER_LOG = "/var/opt/microsoft/omsagent/run/automationworker/worker.log"
RESOURCE_LOG = "/var/opt/microsoft/omsagent/log/nxOMSAutomationWorker.log"
SYSTEM_WORKER_CONF = "/var/opt/microsoft/omsagent/state/automationworker/worker.conf"
USER_WORKER_CONF = "/home/nxautomation/state/worker.conf"

#: How much of the end of each worker log is read.
LOG_TAIL_BYTES = 256 * 1024
#: At most this many error lines per log (the newest, oldest first).
MAX_LOG_LINES = 20
MAX_LINE_CHARS = 2000
_MAX_FILE_BYTES = 4 * 1024 * 1024
_ERROR_RE = re.compile(r"\b(ERROR|CRITICAL|FATAL)\b|Traceback \(most recent call last\)|\b\w*(Exception|Error):")
_SETTINGS_RE = re.compile(r'ResourceSettings\s*=\s*"((?:[^"\\]|\\.)*)"', re.DOTALL)
_INSTANCE_RE = re.compile(r"instance\s+of\s+MSFT_nxOMSAutomationWorkerResource\b", re.IGNORECASE)
_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


def _wording(exc, logical):
    # this section's wording: the error text, then the host path
    return "%s: %r" % (describe(exc), logical)


def _read(files, where, logical, limit=_MAX_FILE_BYTES):
    """(exists, bytes or None). A missing file is not an error."""
    data, exists = files.read(where, logical, limit)
    if exists is None:
        exists = files.lexists(logical)  # unreadable: still say whether something is there
    return exists, data


def _dict(value):
    return value if isinstance(value, dict) else {}


# --------------------------------------------------------------------------- Current.mof


def decode_mof(data):
    """(text, encoding) of Current.mof bytes: UTF-16 with a BOM or NUL bytes, else UTF-8."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", "replace"), "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", "replace"), "utf-16-be"
    if b"\x00" in data:
        # no BOM: the NUL of the first ASCII character tells the byte order
        if data[:1] == b"\x00":
            return data.decode("utf-16-be", "replace"), "utf-16-be"
        return data.decode("utf-16-le", "replace"), "utf-16-le"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    return data.decode("utf-8", "replace"), "utf-8"


def _unescape_mof(value):
    out = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
        else:
            out.append(char)
    return "".join(out)


def _bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def parse_mof(text, workspace_id=None):
    """The nxOMSAutomationWorker settings of a Current.mof text.

    :returns: ``(settings, error)``; settings has resource_settings (the parsed JSON),
        workspace_id, agent_svc_zone, updates_enabled, automation_enabled (None when absent).
    """
    settings = {"resource_present": False, "resource_settings": None, "workspace_id": None,
                "agent_svc_zone": None, "updates_enabled": None, "automation_enabled": None}
    match = _INSTANCE_RE.search(text)
    if not match:
        return settings, None
    settings["resource_present"] = True
    found = _SETTINGS_RE.search(text, match.end())
    if not found:
        return settings, "no ResourceSettings in the nxOMSAutomationWorker instance"
    try:
        parsed = json.loads(_unescape_mof(found.group(1)))
    except ValueError as exc:
        return settings, "ResourceSettings is not JSON: %s" % exc
    settings["resource_settings"] = parsed
    entries = parsed if isinstance(parsed, list) else [parsed]
    entries = [e for e in entries if isinstance(e, dict)]
    if not entries:
        return settings, "ResourceSettings holds no settings object"
    entry = entries[0]
    for candidate in entries:
        if workspace_id and str(candidate.get("WorkspaceId") or "").lower() == workspace_id:
            entry = candidate
            break
    solutions = _dict(entry.get("Solutions"))
    settings["workspace_id"] = str(entry.get("WorkspaceId")).lower() if entry.get("WorkspaceId") else None
    settings["agent_svc_zone"] = entry.get("AzureDnsAgentSvcZone") or None
    settings["updates_enabled"] = _bool(_dict(solutions.get("Updates")).get("Enabled"))
    settings["automation_enabled"] = _bool(_dict(solutions.get("AzureAutomation")).get("Enabled"))
    return settings, None


def _collect_mof(files, workspace_id):
    section = {"path": CURRENT_MOF, "exists": False, "encoding": None}
    settings, _error = parse_mof("")
    section.update(settings)
    exists, data = _read(files, "worker_state.current_mof", CURRENT_MOF)
    section["exists"] = exists
    if data is None:
        return section
    text, section["encoding"] = decode_mof(data)
    settings, error = parse_mof(text, workspace_id)
    section.update(settings)
    if error:
        files.error("worker_state.current_mof", error)
    return section


# --------------------------------------------------------------------------- certificates


def certificate_info(data):
    """{thumbprint, subject, issuer, not_after} of the first certificate of PEM (or DER) bytes.

    The thumbprint is the SHA1 of the DER, upper-case hex (Windows style, as the worker
    writes ``jrds_cert_thumbprint``). Raises ValueError on anything else.
    """
    match = _PEM_RE.search(data.decode("ascii", "replace"))
    if match:
        try:
            der = base64.b64decode("".join(match.group(1).split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("bad PEM base64: %s" % exc)
    elif data[:1] == b"\x30":
        der = data
    else:
        raise ValueError("no certificate (neither PEM nor DER)")
    try:
        parsed = parse_certificate(der)
    except (ValueError, IndexError) as exc:
        raise ValueError("not an X.509 certificate: %s" % (exc or type(exc).__name__))
    info = {"thumbprint": hashlib.sha1(der).hexdigest().upper()}
    info.update(parsed)
    return info


def _collect_cert(files, where, logical):
    cert = {"path": logical, "exists": False, "thumbprint": None, "subject": None, "issuer": None,
            "not_after": None}
    if not logical:
        return cert
    exists, data = _read(files, where, logical, 1024 * 1024)
    cert["exists"] = exists
    if data is None:
        return cert
    try:
        cert.update(certificate_info(data))
    except ValueError as exc:
        files.error(where, "%s: %s" % (logical, exc))
    return cert


# --------------------------------------------------------------------------- logs


def _collect_log(files, where, logical, tail_bytes=LOG_TAIL_BYTES, max_lines=MAX_LOG_LINES):
    """A bounded tail of a log: {path, exists, tail_bytes, error_lines (newest last), error_count}."""
    section = {"path": logical, "exists": files.lexists(logical), "tail_bytes": None,
               "error_count": None, "error_lines": None, "last_line": None}
    try:
        with open(files.path(logical), "rb") as handle:
            handle.seek(0, os.SEEK_END)
            start = max(0, handle.tell() - tail_bytes)
            handle.seek(start)
            data = handle.read(tail_bytes)
    except FileNotFoundError:
        section["exists"] = False
        return section
    except OSError as exc:
        files.os_error(where, exc, logical)
        return section
    section["tail_bytes"] = len(data)
    if start > 0:
        newline = data.find(b"\n")
        data = data[newline + 1:] if newline >= 0 else b""
    found = collections.deque(maxlen=max_lines)
    count = 0
    last = None
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip():
            last = line[:MAX_LINE_CHARS]
        if _ERROR_RE.search(line):
            count += 1
            found.append(line[:MAX_LINE_CHARS])
    section["error_count"] = count
    section["error_lines"] = list(found)
    section["last_line"] = last
    return section


# --------------------------------------------------------------------------- the section


def collect_worker_state(root, errors, facts, options):
    """The ``worker_state`` section of the facts document (ADR 0001)."""
    facts = _dict(facts)
    options = _dict(options)
    agent = _dict(facts.get("agent"))
    worker = _dict(facts.get("worker"))
    workspace_id = agent.get("workspace_id")
    tail = options.get("worker_log_tail_bytes") or LOG_TAIL_BYTES

    files = HostFiles(root, errors, _wording)
    mof = _collect_mof(files, workspace_id)
    user_conf = worker.get("user_worker_conf")
    user_cert_path = None
    if isinstance(user_conf, dict):
        user_cert_path = _dict(user_conf.get("worker-required")).get("jrds_cert_path") or None
    system_conf = worker.get("system_worker_conf")
    system_cert_path = None
    if isinstance(system_conf, dict):
        system_cert_path = _dict(system_conf.get("worker-required")).get("jrds_cert_path") or None

    expected_ws = mof.get("workspace_id") or workspace_id
    return {
        "current_mof": mof,
        "agent_certificate": _collect_cert(files, "worker_state.agent_certificate", AGENT_CERT),
        "system_worker_cert_path": system_cert_path,
        "user_worker_certificate": (_collect_cert(files, "worker_state.user_worker_certificate",
                                                  user_cert_path) if user_cert_path else None),
        "expected_oms_conf": {
            "oms-worker-conf": {
                "auto_registered_worker_conf_path": SYSTEM_WORKER_CONF,
                "manually_registered_worker_conf_path": USER_WORKER_CONF,
            },
            "oms-global": {
                "workspace_id": expected_ws,
                "resource_version": worker.get("version"),
            },
        },
        "logs": {
            "worker": _collect_log(files, "worker_state.logs.worker", WORKER_LOG, tail),
            "resource": _collect_log(files, "worker_state.logs.resource", RESOURCE_LOG, tail),
        },
    }
