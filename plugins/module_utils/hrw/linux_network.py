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

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw._hostfs import HostFiles, can_read, parse_group, parse_passwd

PROXY_CONFS = ("/etc/opt/microsoft/omsagent/proxy.conf", "/etc/opt/microsoft/omsagent/conf/proxy.conf")
DMI_DIR = "/sys/class/dmi/id"
DMI_KEYS = ("chassis_asset_tag", "sys_vendor", "product_name")
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
IMDS_ADDRESS = ("169.254.169.254", 80)
IMDS_PATH = "/metadata/instance?api-version=2021-02-01"
OMSAGENT_USER = "omsagent"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_BYTES = 64 * 1024
_MAX_ACCOUNT_BYTES = 4 * 1024 * 1024


def _describe(exc, logical=None):  # pylint: disable=unused-argument
    # this section's wording: never the host path, and "Type: Type" when the message is empty
    text = str(exc) or exc.__class__.__name__
    return "%s: %s" % (exc.__class__.__name__, text)


def _files(root, errors):
    """This section's reader: a path under a missing directory is missing too; a bad path is an error."""
    return HostFiles(root, errors, _describe, missing=(FileNotFoundError, NotADirectoryError), failures=(OSError, ValueError))


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


def _accounts(files):
    """(omsagent's passwd entry or None, its gids, uid -> name, gid -> name).

    Read quietly: an unreadable passwd or group file only leaves ``omsagent_can_read`` unknown.
    """
    quiet = _files(files.root, [])
    users = parse_passwd(quiet.read_text("network.proxy", "/etc/passwd", _MAX_ACCOUNT_BYTES))
    groups = parse_group(quiet.read_text("network.proxy", "/etc/group", _MAX_ACCOUNT_BYTES))
    omsagent = users.get(OMSAGENT_USER)
    gids = {g["gid"] for g in groups.values() if OMSAGENT_USER in g["members"]}
    if omsagent is not None:
        gids.add(omsagent["gid"])  # its primary group
    user_names = dict((v["uid"], k) for k, v in users.items())
    group_names = dict((v["gid"], k) for k, v in groups.items())
    return omsagent, gids, user_names, group_names


def _file_info(files, logical, user_names, group_names):
    """{exists, owner, group, mode, uid, gid} of a path; a path that cannot be stat'ed does not exist."""
    try:
        st = os.stat(files.path(logical))
    except OSError:
        return {"exists": False, "owner": None, "group": None, "mode": None, "uid": None, "gid": None}
    return {
        "exists": True,
        "owner": user_names.get(st.st_uid, str(st.st_uid)),
        "group": group_names.get(st.st_gid, str(st.st_gid)),
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
    }


def collect_proxy(root, errors, options=None):
    """The ``network.proxy`` mapping; sets ``options["proxy"]`` (with the password) for the probes."""
    files = _files(root, errors)
    omsagent, omsagent_gids, user_names, group_names = _accounts(files)
    infos = dict((path, _file_info(files, path, user_names, group_names)) for path in PROXY_CONFS)
    # the document shows owner and group by name only
    shown = dict((path, dict((k, info[k]) for k in ("exists", "owner", "group", "mode"))) for path, info in infos.items())
    proxy = {"configured": False, "path": None, "files": shown, "scheme": None, "host": None, "port": None,
             "user": None, "has_credentials": False, "url": None, "error": None,
             "omsagent_can_read": None}
    for path in PROXY_CONFS:
        if not infos[path]["exists"]:
            continue
        proxy["path"] = path
        proxy["omsagent_can_read"] = can_read(infos[path], omsagent, omsagent_gids)
        text = files.read_text("network.proxy", path, _MAX_BYTES)
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
    files = _files(root, errors)
    values = {}
    for key in DMI_KEYS:
        text = files.read_text("network.azure_vm", posixpath.join(DMI_DIR, key), _MAX_BYTES)
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
