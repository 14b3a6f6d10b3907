# -*- coding: utf-8 -*-
"""A healthy Windows facts document (docs/adr/0002-windows-facts.md), key for key, for rule tests.

``healthy()`` returns a fresh dict every call: a Windows Server 2019 agent-based (V1) Hybrid
Runbook Worker with one workspace, the system worker started after the agent, no proxy, every
endpoint probed and working. Tests mutate their own copy. The recorded fixtures of the
"wiring" work (tests/unit/fixtures/facts/windows_*.json) are separate.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

WS = "3c7a7f5e-2b1d-4e8f-9a0b-5d6c7e8f9a01"
OTHER_WS = "9f8e7d6c-5b4a-4321-8765-0fedcba98765"
ACCOUNT = "b1e2c3d4-0000-4a1b-9c2d-1234567890ab"
NOW = "2026-11-25T20:00:00Z"
AGENT_START = "2026-11-25T06:01:12Z"
INSTALL = "C:\\Program Files\\Microsoft Monitoring Agent\\Agent"
MS_ISSUER = "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US"


def probe(error_class=None, issuer=MS_ISSUER):
    """One probe result (ADR 0001 shape, without direct/via_proxy)."""
    dns_ok = error_class != "dns"
    tcp_ok = error_class in (None, "tls") if dns_ok else None
    return {
        "dns": {"ok": dns_ok, "addresses": ["20.50.1.2"] if dns_ok else [],
                "error": None if dns_ok else "No such host is known"},
        "tcp": {"ok": tcp_ok, "error": None if tcp_ok or tcp_ok is None else
                {"refused": "No connection could be made because the target machine actively refused it",
                 "timeout": "connect timed out", "proxy": None, "other": "network unreachable"}.get(error_class)},
        "tls": ({"ok": error_class is None, "error": None if error_class is None else
                 "The remote certificate is invalid according to the validation procedure",
                 "subject": "CN=*.azure-automation.net", "issuer": issuer, "not_after": "2027-06-01T00:00:00Z"}
                if tcp_ok else None),
        "elapsed_ms": 41,
        "error_class": error_class,
    }


def endpoint(purpose, index, host, error_class=None):
    entry = {"purpose": purpose, "index": index, "host": host, "port": 443, "source": "workspace id (cloud public)"}
    entry.update(probe(error_class))
    entry["direct"] = None
    entry["via_proxy"] = None
    return entry


def _service(name, display, status, start_type, pid=None, started=None):
    return {"name": name, "exists": True, "display_name": display, "status": status, "start_type": start_type,
            "process_id": pid, "process_start_utc": started}


def healthy():
    return {
        "schema": 1,
        "platform": "windows",
        "collector": {"name": "win_hrw_facts", "version": "0.2.0", "elapsed_ms": 812},
        "host": {
            "hostname": "WS2019-HRW01",
            "fqdn": "ws2019-hrw01.contoso.com",
            "machine_guid": "5d1f3a3e-8a4b-4b8e-9d55-0a1b2c3d4e5f",
            "utc_now": NOW,
            "os": {"id": "windows", "version_id": "10.0.17763", "build": 17763, "ubr": 5830,
                   "pretty_name": "Microsoft Windows Server 2019 Datacenter", "product_type": 3},
            "powershell": {"windows_powershell_version": "5.1.17763.1", "running_version": "5.1.17763.5830",
                           "running_edition": "Desktop"},
            "cpu_count": 2,
            "memory": {"total_kb": 8388148, "available_kb": 5242880},
            "cpu_load_percent": 7,
        },
        "dotnet": {"release": 528049, "version_key_exists": True},
        "agent": {
            "service": _service("HealthService", "Microsoft Monitoring Agent", "Running", "Automatic", 2312,
                                AGENT_START),
            "version": "10.20.18067.0",
            "install_path": INSTALL,
            "workspaces": [{"workspace_id": WS, "connection_status": 0,
                            "connection_status_text": "Azure Log Analytics service connected", "cloud_type": 0}],
            "workspaces_source": "com",
            "management_groups": ["AOI-" + WS],
            "workspace_id": WS,
            "updates_workspace_ids": [WS],
            "proxy": {"url": None, "has_credentials": False, "source": "com"},
        },
        "health_service_state": {
            "path": INSTALL + "\\Health Service State", "exists": True, "size_bytes": 73400320, "file_count": 412,
            "truncated": False, "oldest_write_utc": "2026-09-01T10:00:00Z", "newest_write_utc": "2026-11-25T19:58:00Z",
        },
        "registration": {
            "key_exists": True,
            "root_values": {},
            "accounts": [{"account_id": ACCOUNT,
                          "groups": [{"name": "hrw-group-1", "values": {}, "user_worker": True, "user_values": {}}]}],
        },
        "azure_automation": {
            "path": INSTALL + "\\AzureAutomation", "exists": True, "versions": ["7.3.1125.0"], "latest": "7.3.1125.0",
            "hybrid_registration_path": INSTALL + "\\AzureAutomation\\7.3.1125.0\\HybridRegistration\\"
                                                  "HybridRegistration.psd1",
            "hybrid_registration_exists": True,
        },
        "extension": {
            "service": {"name": "HybridWorkerService", "exists": False, "display_name": None, "status": None,
                        "start_type": None, "process_id": None, "process_start_utc": None},
            "plugin_path": "C:\\Packages\\Plugins\\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows",
            "plugin_exists": False,
            "versions": [],
            "registry_keys": {"hybrid_worker": False, "hybrid_runbook_worker_v2": False},
        },
        "events": {
            "window_hours": 24,
            "operations_manager": {"log_exists": True, "events_4502": []},
            "sma": {
                "log_exists": True,
                "worker_events": [
                    {"id": 15003, "time_created": "2026-11-25T06:02:40Z",
                     "properties": ["7.3.1125.0", WS + "_WS2019-HRW01", WS, "WS2019-HRW01"]},
                    {"id": 15004, "time_created": "2026-11-25T06:00:58Z",
                     "properties": ["7.3.1125.0", WS + "_WS2019-HRW01", WS, "WS2019-HRW01"]},
                ],
                "events_15011": [],
                "process_exit_4294967295": [],
                "process_exit_2148734720": [],
            },
            "windows_update": {"events": []},
        },
        "tls": {
            "schannel": {"client": {"key_exists": False, "Enabled": None, "DisabledByDefault": None},
                         "server": {"key_exists": False, "Enabled": None, "DisabledByDefault": None}},
            "dotnet": {"x64": {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1},
                       "x86": {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1}},
        },
        "windows_update": {
            "policy": {"WUServer": None, "WUStatusServer": None, "UseWUServer": None, "AUOptions": None,
                       "NoAutoUpdate": None, "AlwaysAutoRebootAtScheduledTime": None,
                       "AlwaysAutoRebootAtScheduledTimeMinutes": None},
            "service": _service("wuauserv", "Windows Update", "Stopped", "Manual"),
        },
        "permissions": {
            "machine_keys": {
                "path": "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys", "exists": True,
                "owner": "BUILTIN\\Administrators",
                "aces": [
                    {"identity": "Everyone", "sid": "S-1-1-0", "type": "Allow", "rights": 1180063, "inherited": False},
                    {"identity": "BUILTIN\\Administrators", "sid": "S-1-5-32-544", "type": "Allow",
                     "rights": 2032127, "inherited": False},
                    {"identity": "NT AUTHORITY\\SYSTEM", "sid": "S-1-5-18", "type": "Allow", "rights": 2032127,
                     "inherited": False},
                ],
            },
            "rsa": {
                "path": "C:\\ProgramData\\Microsoft\\Crypto\\RSA", "exists": True, "owner": "NT AUTHORITY\\SYSTEM",
                "aces": [{"identity": "NT AUTHORITY\\SYSTEM", "sid": "S-1-5-18", "type": "Allow", "rights": 2032127,
                          "inherited": False}],
            },
        },
        "run_as_certificate": None,
        "network": {
            "winhttp_proxy": {"raw": ["", "Current WinHTTP proxy settings:", "", "    Direct access (no proxy server).",
                                      ""]},
            "azure_vm": {"detected": True, "source": "Win32_SystemEnclosure.SMBIOSAssetTag",
                         "chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77",
                         "sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"},
            "imds": {"probed": True, "reason": None,
                     "url": "http://169.254.169.254/metadata/instance?api-version=2021-02-01", "ok": True,
                     "status": 200, "error": None, "elapsed_ms": 4, "direct_ok": None},
            "automation_account": {"id": ACCOUNT, "region": "westeurope"},
        },
        "endpoints": [
            endpoint("agentsvc", 1, WS + ".agentsvc.azure-automation.net"),
            endpoint("jrds", 1, "we-jobruntimedata-prod-su1.azure-automation.net"),
            endpoint("log_analytics", 1, WS + ".ods.opinsights.azure.com"),
            endpoint("log_analytics", 2, WS + ".oms.opinsights.azure.com"),
            endpoint("account_agentsvc", 1, ACCOUNT + ".agentsvc.we.azure-automation.net"),
            endpoint("account_jrds", 1, ACCOUNT + ".jrds.we.azure-automation.net"),
        ],
        "endpoint_errors": [],
        "errors": [],
    }
