# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collector: proxy configuration, Azure VM detection (DMI) and IMDS.

Target side: stdlib only, Python 3.8 syntax, read-only, every path under ``root``, never
raises (a problem is an ``errors`` entry and a None value).

- ``proxy``: ``/etc/opt/microsoft/omsagent/proxy.conf`` (preferred, as the agent) else
  ``/etc/opt/microsoft/omsagent/conf/proxy.conf``; format ``[protocol://][user:pass@]host[:port]``.
  The password is never put in the document: only ``user`` and ``has_credentials``. The
  full proxy (with the password) is handed to the endpoint probes through
  ``options["proxy"]`` (in memory, never returned).
- ``azure_vm``: from ``/sys/class/dmi/id/{chassis_asset_tag,sys_vendor,product_name}`` (no
  dmidecode, no root needed): an Azure VM has the chassis asset tag
  ``7783-7084-3265-9085-8269-3286-77``.
- ``imds``: ``GET http://169.254.169.254/metadata/instance?api-version=2021-02-01`` with
  ``Metadata: true``, never through a proxy, bounded by the probe timeout, sent ONLY on a
  detected Azure VM and only when probing is on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import os
import posixpath
import stat
import time

from urllib.parse import unquote

PROXY_CONFS = ("/etc/opt/microsoft/omsagent/proxy.conf", "/etc/opt/microsoft/omsagent/conf/proxy.conf")
DMI_DIR = "/sys/class/dmi/id"
DMI_KEYS = ("chassis_asset_tag", "sys_vendor", "product_name")
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
IMDS_ADDRESS = ("169.254.169.254", 80)
IMDS_PATH = "/metadata/instance?api-version=2021-02-01"
OMSAGENT_USER = "omsagent"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_BYTES = 64 * 1024


def _path(root, logical):
    return posixpath.join(root, logical.lstrip("/"))


def _describe(exc):
    text = str(exc) or exc.__class__.__name__
    return "%s: %s" % (exc.__class__.__name__, text)


def _read(root, logical, errors, where):
    """Text of a file, None when missing; other failures add an ``errors`` entry."""
    try:
        with open(_path(root, logical), "rb") as handle:
            return handle.read(_MAX_BYTES).decode("utf-8", "replace")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as exc:
        errors.append({"where": where, "error": _describe(exc)})
        return None


def _table(root, logical):
    """Rows of /etc/passwd or /etc/group as lists of fields (missing file: [])."""
    try:
        with open(_path(root, logical), "rb") as handle:
            text = handle.read(4 * 1024 * 1024).decode("utf-8", "replace")
    except (OSError, ValueError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def parse_proxy(text):
    """Parse a proxy.conf value ``[protocol://][user:pass@]host[:port]``.

    :returns: dict ``{scheme, host, port, user, password, error}``; ``error`` is None or why
        the value is not usable. The password stays in this dict: never return it.
    """
    out = {"scheme": None, "host": None, "port": None, "user": None, "password": None, "error": None}
    value = (text or "").strip()
    if not value:
        out["error"] = "empty"
        return out
    if "\n" in value:
        value = value.splitlines()[0].strip()
    scheme = "http"
    if "://" in value:
        scheme, value = value.split("://", 1)
        scheme = scheme.lower()
    out["scheme"] = scheme
    value = value.split("/", 1)[0]
    if "@" in value:
        userinfo, value = value.rsplit("@", 1)
        user, _sep, password = userinfo.partition(":")
        out["user"] = unquote(user)
        out["password"] = unquote(password)
    host, port = value, None
    if value.startswith("["):
        host, _sep, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif value.count(":") == 1:
        host, port = value.split(":", 1)
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            out["error"] = "the port is not a number from 1 to 65535"
            return out
        out["port"] = int(port)
    else:
        out["port"] = _DEFAULT_PORTS.get(scheme, 80)
    if not host:
        out["error"] = "no host"
        return out
    out["host"] = host.lower()
    if scheme not in ("http", "https"):
        out["error"] = "unsupported protocol %r (http or https expected)" % scheme
    return out


def _file_info(root, logical, passwd, groups):
    try:
        st = os.stat(_path(root, logical))
    except OSError:
        return {"exists": False, "owner": None, "group": None, "mode": None}
    users = dict((row[2], row[0]) for row in passwd if len(row) > 3)
    group_names = dict((row[2], row[0]) for row in groups if len(row) > 2)
    return {
        "exists": True,
        "owner": users.get(str(st.st_uid), str(st.st_uid)),
        "group": group_names.get(str(st.st_gid), str(st.st_gid)),
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
    }


def _omsagent_groups(passwd, groups):
    """Group names of the omsagent user, or None when there is no such user."""
    primary = None
    for row in passwd:
        if len(row) > 3 and row[0] == OMSAGENT_USER:
            primary = row[3]
            break
    if primary is None:
        return None
    names = set()
    for row in groups:
        if len(row) < 3:
            continue
        members = row[3].split(",") if len(row) > 3 else []
        if row[2] == primary or OMSAGENT_USER in members:
            names.add(row[0])
    return names


def readable_by_omsagent(info, omsagent_groups):
    """True/False whether the omsagent user can read a file of ``info``; None if unknown."""
    if not info.get("exists") or omsagent_groups is None or info.get("mode") is None:
        return None
    mode = int(info["mode"], 8)
    if info.get("owner") == OMSAGENT_USER:
        return bool(mode & 0o400)
    if info.get("group") in omsagent_groups:
        return bool(mode & 0o040)
    return bool(mode & 0o004)


def collect_proxy(root, errors, options=None):
    """The ``network.proxy`` mapping; sets ``options["proxy"]`` (with the password) for the probes."""
    passwd = _table(root, "/etc/passwd")
    groups = _table(root, "/etc/group")
    files = dict((path, _file_info(root, path, passwd, groups)) for path in PROXY_CONFS)
    proxy = {"configured": False, "path": None, "files": files, "scheme": None, "host": None, "port": None,
             "user": None, "has_credentials": False, "url": None, "error": None,
             "omsagent_can_read": None}
    for path in PROXY_CONFS:
        if not files[path]["exists"]:
            continue
        proxy["path"] = path
        proxy["omsagent_can_read"] = readable_by_omsagent(files[path], _omsagent_groups(passwd, groups))
        text = _read(root, path, errors, "network.proxy")
        if text is None:
            proxy["error"] = "not readable by the collector"
            break
        parsed = parse_proxy(text)
        if parsed["error"] == "empty":
            proxy["error"] = "the file is empty (no proxy)"
            break
        proxy["configured"] = True
        for key in ("scheme", "host", "port", "user", "error"):
            proxy[key] = parsed[key]
        proxy["has_credentials"] = parsed["user"] is not None
        if parsed["host"]:
            host = "[%s]" % parsed["host"] if ":" in parsed["host"] else parsed["host"]
            proxy["url"] = "%s://%s%s:%s" % (parsed["scheme"], "%s@" % parsed["user"] if parsed["user"] else "",
                                             host, parsed["port"])
        # An https:// proxy is reached over TLS (TLS in TLS): not probed through in this version.
        if parsed["error"] is None and parsed["scheme"] == "http" and isinstance(options, dict):
            options["proxy"] = {"host": parsed["host"], "port": parsed["port"], "user": parsed["user"],
                                "password": parsed["password"]}
        break
    return proxy


def collect_azure_vm(root, errors):
    """The ``network.azure_vm`` mapping from the DMI files."""
    values = {}
    for key in DMI_KEYS:
        text = _read(root, posixpath.join(DMI_DIR, key), errors, "network.azure_vm")
        values[key] = text.strip() if text is not None else None
    tag = values["chassis_asset_tag"]
    detected = None if tag is None else tag == AZURE_ASSET_TAG
    out = {"detected": detected, "source": posixpath.join(DMI_DIR, "chassis_asset_tag")}
    out.update(values)
    return out


def probe_imds(address=IMDS_ADDRESS, timeout=3.0, clock=time.monotonic):
    """One bounded GET of the instance metadata, directly (no proxy): the ``imds`` mapping."""
    host, port = address
    started = clock()
    out = {"probed": True, "reason": None, "url": "http://%s:%s%s" % (host, port, IMDS_PATH),
           "ok": False, "status": None, "error": None, "elapsed_ms": None}
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", IMDS_PATH, headers={"Metadata": "true"})
        response = conn.getresponse()
        response.read(_MAX_BYTES)
        out["status"] = response.status
        out["ok"] = response.status == 200
        if not out["ok"]:
            out["error"] = "HTTP %s %s" % (response.status, response.reason)
    except Exception as exc:
        out["error"] = _describe(exc)
    finally:
        conn.close()
    out["elapsed_ms"] = int(round((clock() - started) * 1000))
    return out


def _not_probed(reason):
    return {"probed": False, "reason": reason, "url": None, "ok": None, "status": None, "error": None,
            "elapsed_ms": None}


def collect_network(root, errors, facts, options):
    """The ``network`` section of the facts document (ADR 0001)."""
    options = options if isinstance(options, dict) else {}
    account = options.get("account") if isinstance(options.get("account"), dict) else {}
    azure_vm = collect_azure_vm(root, errors)
    if azure_vm["detected"] is not True:
        imds = _not_probed("not an Azure VM" if azure_vm["detected"] is False
                           else "not known to be an Azure VM (no DMI chassis asset tag)")
    elif not options.get("probe_endpoints", True):
        imds = _not_probed("probing is off")
    else:
        imds = probe_imds(options.get("imds_address") or IMDS_ADDRESS, float(options.get("probe_timeout") or 3.0))
    return {
        "proxy": collect_proxy(root, errors, options),
        "azure_vm": azure_vm,
        "imds": imds,
        "automation_account": {"id": account.get("id"), "region": account.get("region")},
    }
