# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows repair actions as primitive lists for the win_hrw_remediate executor.

Pure data and functions, no I/O (Python 3.8, stdlib only). The planner asks
:func:`primitives_for` for the ordered primitives of each planned Windows action and may pass
the whole plan through :func:`merge_service_ops`; win_hrw_remediate.ps1 runs them. Every
primitive reads the current state on the host first, so a list is the same whatever the facts
say (only paths that vary per host come from the facts document): a second run is unchanged.

Primitive dicts (key ``op``), as win_hrw_remediate documents them:
``service_start|service_stop|service_restart {name}``, ``service_start_type {name, start_type}``,
``registry_key_export_remove {path}``, ``folder_archive_remove {path}``,
``registry_value_set {path, name, type, value}``, ``registry_value_remove {path, name}``,
``acl_grant {path, sid, rights, inheritance[, remove_deny]}``. Registry paths are PowerShell
provider paths under ``HKLM:\\``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import fact

HEALTH_SERVICE = "HealthService"
WU_SERVICE = "wuauserv"
SCHANNEL_TLS12 = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2"
DOTNET_V4 = "HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319"
DOTNET_V4_WOW = "HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319"
WU_AU_POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU"
HRW_KEY = "HKLM:\\SOFTWARE\\Microsoft\\HybridRunbookWorker"
MACHINE_KEYS = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
DEFAULT_AGENT_DIR = "C:\\Program Files\\Microsoft Monitoring Agent\\Agent"
STATE_FOLDER = "Health Service State"
SYSTEM_SID = "S-1-5-18"

SERVICE_OPS = ("service_start", "service_stop", "service_restart")
_UP = ("service_start", "service_restart")


def _set(path, name, value, kind="dword"):
    return {"op": "registry_value_set", "path": path, "name": name, "type": kind, "value": value}


def _service(op, name=HEALTH_SERVICE):
    return {"op": op, "name": name}


def _text(value):
    return value if isinstance(value, str) and value.strip() else None


def health_service_state_path(facts):
    """The Health Service State folder: where the facts document records it
    (``health_service_state.path``), else under the agent's install path, else the default."""
    recorded = _text(fact(facts, "health_service_state.path"))
    if recorded:
        return recorded
    install = _text(fact(facts, "agent.install_path"))
    return "%s\\%s" % ((install or DEFAULT_AGENT_DIR).rstrip("\\"), STATE_FOLDER)


def machine_keys_path(facts):
    """The MachineKeys folder the collector read (``permissions.machine_keys.path``), else the default."""
    return _text(fact(facts, "permissions.machine_keys.path")) or MACHINE_KEYS


def _enable_tls12(facts):
    # What TlsVersionCheck reads: SCHANNEL Client/Server Enabled and DisabledByDefault, and the .NET v4
    # values of both bitnesses (tls.dotnet.x64 / x86). Takes effect after a reboot (never done here).
    out = []
    for side in ("Client", "Server"):
        key = "%s\\%s" % (SCHANNEL_TLS12, side)
        out += [_set(key, "Enabled", 1), _set(key, "DisabledByDefault", 0)]
    for key in (DOTNET_V4, DOTNET_V4_WOW):
        out += [_set(key, "SchUseStrongCrypto", 1), _set(key, "SystemDefaultTlsVersions", 1)]
    return out


def _grant_machine_keys_system(facts):
    # Full control for SYSTEM on the folder itself (the rule's Write and Modify) and what it holds;
    # remove_deny drops explicit Deny entries of SYSTEM, which an Allow cannot outweigh (Failed.Denied).
    return [{"op": "acl_grant", "path": machine_keys_path(facts), "sid": SYSTEM_SID, "rights": "FullControl",
             "inheritance": "container_object", "remove_deny": True}]


def _enable_windows_update_service(facts):
    return [{"op": "service_start_type", "name": WU_SERVICE, "start_type": "manual"}, _service("service_start", WU_SERVICE)]


def _set_auoptions_3(facts):
    return [_set(WU_AU_POLICY, "AUOptions", 3)]


def _remove_always_auto_reboot(facts):
    return [{"op": "registry_value_remove", "path": WU_AU_POLICY, "name": name}
            for name in ("AlwaysAutoRebootAtScheduledTime", "AlwaysAutoRebootAtScheduledTimeMinutes")]


def _remove_hybrid_registration(facts):
    return [{"op": "registry_key_export_remove", "path": HRW_KEY}, _service("service_restart")]


def _purge_health_service_state(facts):
    return [_service("service_stop"), {"op": "folder_archive_remove", "path": health_service_state_path(facts)},
            _service("service_start")]


def _restart_health_service(facts):
    return [_service("service_restart")]


def _start_health_service(facts):
    return [_service("service_start")]


_BUILDERS = {
    "enable_tls12": _enable_tls12,
    "grant_machine_keys_system": _grant_machine_keys_system,
    "enable_windows_update_service": _enable_windows_update_service,
    "set_auoptions_3": _set_auoptions_3,
    "remove_always_auto_reboot": _remove_always_auto_reboot,
    "remove_hybrid_registration": _remove_hybrid_registration,
    "purge_health_service_state": _purge_health_service_state,
    "restart_health_service": _restart_health_service,
    "start_health_service": _start_health_service,
}

#: The Windows actions this module builds, in the catalog's names.
ACTIONS = tuple(sorted(_BUILDERS))


def primitives_for(action, facts, options=None):
    """The ordered primitive list (new dicts) of the Windows repair ``action``.

    ``facts`` is the host's Windows facts document (paths that vary per host come from it; any
    document, even ``None``, gives the defaults). ``options`` is accepted for the planner's
    uniform call and not used by any Windows action today. Raises ``ValueError`` for a name
    that is not a Windows action.
    """
    builder = _BUILDERS.get(action)
    if builder is None:
        raise ValueError("%r is not a Windows repair action; expected one of: %s" % (action, ", ".join(ACTIONS)))
    return builder(facts if isinstance(facts, dict) else {})


def merge_service_ops(steps):
    """The steps (``[{"action", "primitives", ...}]``, in run order) with redundant service starts
    dropped: per service, only the last start/restart of the whole plan is kept.

    An earlier ``service_start``/``service_restart`` of a service is dropped when a later step (or a
    later primitive) starts or restarts the same service. When a dropped one was a restart and no
    ``service_stop`` of that service lies between it and the kept one, the kept one becomes a
    restart, so what the plan restarts is still restarted. So purge_health_service_state (stop,
    archive, start) followed by restart_health_service (restart) runs stop, archive, restart: one
    HealthService start at the end; remove_hybrid_registration's restart before a purge is covered
    by the purge's stop and start. Returns new step and primitive dicts; a step may be left with
    no primitives (the executor reports it unchanged). Caveat: if a step between the dropped and
    the kept operation fails, the later steps do not run and the service stays as it was left.
    """
    out = [dict(step, primitives=[dict(p) for p in (step.get("primitives") or [])]) for step in steps]
    flat = [(i, j, p) for i, step in enumerate(out) for j, p in enumerate(step["primitives"])]
    drop = set()
    kept = {}          # service -> the primitive dict that survives (the last up operation)
    stopped = {}       # service -> a stop lies between the current position and the kept operation
    for i, j, prim in reversed(flat):
        op = prim.get("op")
        name = str(prim.get("name", "")).lower()
        if op == "service_stop":
            stopped[name] = True
        elif op in _UP:
            if name not in kept:
                kept[name], stopped[name] = prim, False
                continue
            drop.add((i, j))
            if op == "service_restart" and not stopped[name]:
                kept[name]["op"] = "service_restart"
    for i, step in enumerate(out):
        step["primitives"] = [p for j, p in enumerate(step["primitives"]) if (i, j) not in drop]
    return out
