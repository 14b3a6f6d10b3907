# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux collector against fake hosts built in tmp_path (no real host state is read)."""

import datetime
import importlib.util
import os
import socket

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import _hostfs, linux_facts
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_facts import (
    classify_process,
    collect,
    collect_agent,
    collect_logs,
    collect_processes,
    collect_worker,
)


def _load_fake_host():
    """The tree builder next to this file, loaded by path (independent of pytest's import mode)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hrw_fake_host.py")
    spec = importlib.util.spec_from_file_location("hrw_fake_host", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fake = _load_fake_host()
ACCOUNT = _fake.ACCOUNT
AGENT_GUID = _fake.AGENT_GUID
AW = _fake.AW
DSC_ENDPOINT = _fake.DSC_ENDPOINT
MANAGER_ARGV = _fake.MANAGER_ARGV
OMSAGENT_ARGV = _fake.OMSAGENT_ARGV
SYSTEM_JRDS = _fake.SYSTEM_JRDS
SYSTEM_WORKER_ARGV = _fake.SYSTEM_WORKER_ARGV
USER_JRDS = _fake.USER_JRDS
USER_WORKER_ARGV = _fake.USER_WORKER_ARGV
VERSION = _fake.VERSION
WS = _fake.WS
WS2 = _fake.WS2
FakeHost = _fake.FakeHost

NOW = datetime.datetime(2026, 11, 25, 20, 0, 0, tzinfo=datetime.timezone.utc)


def _now():
    return NOW


def _no_dns(host, port):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def host(tmp_path):
    return FakeHost(tmp_path / "root").healthy()


def _collect(host, **kwargs):
    kwargs.setdefault("probe_endpoints", False)
    return collect(root=host.root, now=_now, **kwargs)


# --------------------------------------------------------------------------- the whole document


def test_healthy_document_every_key(host):
    doc = _collect(host)
    elapsed = doc["collector"].pop("elapsed_ms")
    assert isinstance(elapsed, int) and elapsed >= 0
    assert doc["host"].pop("python")  # the running interpreter's version
    assert doc["host"].pop("cpu_count") == os.cpu_count()
    expected = {
        "schema": 1,
        "platform": "linux",
        "collector": {"name": "hrw_facts", "version": "0.1.0"},
        "host": {
            "hostname": "hrw-healthy",
            "machine_id": "5d2a0c6f4e8b4f1a9c3d7e6b2a1f0e9d",
            "utc_now": "2026-11-25T20:00:00Z",
            "os": {"id": "debian", "version_id": "12", "pretty_name": "Debian GNU/Linux 12 (bookworm)"},
            "memory": {"total_kb": 24000000, "available_kb": 23000000},
            "load": [0.1, 0.2, 0.3],
        },
        "agent": {
            "files": {
                "/etc/opt/microsoft/omsagent/conf/omsadmin.conf": True,
                "/var/opt/microsoft/omsagent/log/omsagent.log": True,
                "/opt/microsoft/omsagent/bin/service_control": True,
            },
            "omsadmin": {
                "WORKSPACE_ID": WS,
                "AGENT_GUID": AGENT_GUID,
                "LOG_FACILITY": "local0",
                "CERTIFICATE_UPDATE_ENDPOINT":
                    "https://%s.oms.opinsights.azure.com/ConfigurationService.Svc/RenewCertificate" % WS,
                "URL_TLD": "opinsights.azure.com",
                "DSC_ENDPOINT": DSC_ENDPOINT,
                "OMS_ENDPOINT": "https://%s.ods.opinsights.azure.com/OperationalData.svc/PostJsonDataItems" % WS,
                "AZURE_RESOURCE_ID": "",
                "OMSCLOUD_ID": "7783-7084-3265-9085-8269-3286-77",
                "UUID": "4C4C4544-0000-0000-0000-000000000000",
            },
            "workspace_id": WS,
            "workspace_dirs": [WS],
        },
        "worker": {
            "version": VERSION,
            "oms_conf": {
                "oms-worker-conf": {
                    "auto_registered_worker_conf_path":
                        "/var/opt/microsoft/omsagent/state/automationworker/worker.conf",
                    "manually_registered_worker_conf_path": "/home/nxautomation/state/worker.conf",
                },
                "oms-global": {
                    "resource_version": VERSION,
                    "hybrid_worker_path": AW + "/3.x/worker/hybridworker.py",
                    "workspace_id": WS,
                    "disable_worker_creation": "False",
                },
            },
            "system_worker_conf": {
                "worker-required": {
                    "jrds_cert_path": "/etc/opt/microsoft/omsagent/certs/oms.crt",
                    "jrds_key_path": "/etc/opt/microsoft/omsagent/certs/oms.key",
                    "jrds_base_uri": SYSTEM_JRDS,
                    "account_id": ACCOUNT,
                    "machine_id": AGENT_GUID,
                    "hybrid_worker_group_name": "hrw-healthy_" + WS,
                    "working_directory_path": "/var/opt/microsoft/omsagent/run/automationworker",
                },
                "worker-optional": {
                    "proxy_configuration_path": "/etc/opt/microsoft/omsagent/proxy.conf",
                    "state_directory_path": "/var/opt/microsoft/omsagent/state/automationworker",
                    "gpg_public_keyring_path": "/etc/opt/omi/conf/omsconfig/keyring.gpg",
                },
                "oms-metadata": {
                    "agent_id": AGENT_GUID,
                    "workspace_id": WS,
                    "jrds_cert_thumbprint": "3F2A9B7C1D4E5F60718293A4B5C6D7E8F9012345",
                },
            },
            "user_worker_conf": {
                "worker-required": {
                    "jrds_cert_path": "/home/nxautomation/state/worker_diy.crt",
                    "jrds_key_path": "/home/nxautomation/state/worker_diy.key",
                    "jrds_base_uri": USER_JRDS,
                    "account_id": ACCOUNT,
                    "machine_id": "11111111-2222-4333-8444-555555555555",
                    "hybrid_worker_group_name": "diy-group",
                    "working_directory_path": "/home/nxautomation/run",
                },
                "worker-optional": {"enforce_runbook_signature_validation": "false"},
                "metadata": {"worker_type": "diy", "is_azure_vm": "False"},
                "registration-metadata": {
                    "registration_endpoint": "https://eus2-agentservice-prod-1.azure-automation.net/accounts/" + ACCOUNT,
                    "workspace_id": WS,
                },
            },
            "user_worker_conf_path": "/home/nxautomation/state/worker.conf",
        },
        "processes": [
            {"pid": 200, "user": "omsagent", "argv": OMSAGENT_ARGV, "role": "omsagent",
             "workspace_id": None, "version": None},
            {"pid": 300, "user": "nxautomation", "argv": MANAGER_ARGV, "role": "manager",
             "workspace_id": WS, "version": VERSION},
            {"pid": 1000, "user": "nxautomation", "argv": SYSTEM_WORKER_ARGV, "role": "system_worker",
             "workspace_id": WS, "version": VERSION},
            {"pid": 1200, "user": "nxautomation", "argv": USER_WORKER_ARGV, "role": "user_worker",
             "workspace_id": WS, "version": VERSION},
        ],
        "logs": {
            "omsconfig": {
                "path": "/var/opt/microsoft/omsconfig/omsconfig.log",
                "exists": True,
                "tail_bytes": os.path.getsize(host.path("/var/opt/microsoft/omsconfig/omsconfig.log")),
                "matches": [],
            },
        },
        "endpoints": [
            {"purpose": "agentsvc", "index": 1, "host": "%s.agentsvc.azure-automation.net" % WS, "port": 443,
             "source": "omsadmin.conf DSC_ENDPOINT"},
            {"purpose": "jrds", "index": 1, "host": "eus2-jobruntimedata-prod-su1.azure-automation.net",
             "port": 443, "source": "system worker.conf [worker-required] jrds_base_uri"},
            {"purpose": "log_analytics", "index": 1, "host": "%s.ods.opinsights.azure.com" % WS, "port": 443,
             "source": "WORKSPACE_ID (cloud public)"},
            {"purpose": "log_analytics", "index": 2, "host": "%s.oms.opinsights.azure.com" % WS, "port": 443,
             "source": "WORKSPACE_ID (cloud public)"},
            {"purpose": "jrds_user", "index": 1, "host": USER_JRDS.split("/")[2], "port": 443,
             "source": "user worker.conf [worker-required] jrds_base_uri"},
            {"purpose": "internet", "index": 1, "host": "bing.com", "port": 443,
             "source": "Microsoft's internet check"},
        ],
        "endpoint_errors": [],
        "errors": [],
    }
    for endpoint in expected["endpoints"]:
        endpoint.update({"dns": None, "tcp": None, "tls": None, "elapsed_ms": None, "error_class": None,
                         "direct": None, "via_proxy": None})
    assert list(doc) == ["schema", "platform", "collector", "host", "agent", "worker", "processes", "logs",
                         "system", "accounts", "worker_state", "network",
                         "endpoints", "endpoint_errors", "errors"]
    # the sections added later are checked key by key in tests of their own collectors
    for section in ("system", "accounts", "worker_state", "network"):
        assert isinstance(doc.pop(section), dict), section
    assert doc == expected


def test_document_is_plain_json(host):
    import json
    doc = _collect(host)
    assert json.loads(json.dumps(doc)) == doc


def test_probes_are_merged_into_the_endpoints(host):
    doc = _collect(host, probe_endpoints=True, probe_timeout=2.0, resolver=_no_dns)
    assert [e["purpose"] for e in doc["endpoints"]] == ["agentsvc", "jrds", "log_analytics", "log_analytics",
                                                        "jrds_user", "internet"]
    for endpoint in doc["endpoints"]:
        assert endpoint["via_proxy"] is None  # no proxy.conf: only the direct path, which is the agent's
        probe_keys = ("dns", "tcp", "tls", "elapsed_ms", "error_class")
        assert endpoint["direct"] == dict((k, endpoint[k]) for k in probe_keys)
        assert endpoint["error_class"] == "dns"
        assert endpoint["dns"]["ok"] is False
        assert "Name or service not known" in endpoint["dns"]["error"]
        assert endpoint["tcp"] is None and endpoint["tls"] is None
        assert isinstance(endpoint["elapsed_ms"], int)
    assert doc["errors"] == []


def test_empty_host_gives_nulls_not_errors(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    doc = collect(root=str(root), probe_endpoints=False, now=_now)
    assert doc["host"]["hostname"] is None
    assert doc["host"]["machine_id"] is None
    assert doc["host"]["os"] == {"id": None, "version_id": None, "pretty_name": None}
    assert doc["host"]["memory"] == {"total_kb": None, "available_kb": None}
    assert doc["host"]["load"] is None
    assert doc["agent"] == {
        "files": dict((p, False) for p in linux_facts.AGENT_FILES),
        "omsadmin": None, "workspace_id": None, "workspace_dirs": None,
    }
    assert doc["worker"] == {"version": None, "oms_conf": None, "system_worker_conf": None,
                             "user_worker_conf": None, "user_worker_conf_path": None}
    assert doc["logs"]["omsconfig"] == {"path": "/var/opt/microsoft/omsconfig/omsconfig.log", "exists": False,
                                        "tail_bytes": None, "matches": None}
    # only Microsoft's internet check, which needs no agent
    assert [e["purpose"] for e in doc["endpoints"]] == ["internet"]
    assert sorted(e["purpose"] for e in doc["endpoint_errors"]) == ["agentsvc", "jrds", "log_analytics"]
    # only the missing /proc is an error: a missing file is a fact, not a collector failure
    assert doc["processes"] is None
    assert doc["errors"] == [{"where": "processes", "error": "FileNotFoundError: /proc is missing"}]


# --------------------------------------------------------------------------- missing and unreadable files


@pytest.mark.parametrize("logical, where, check", [
    ("/etc/opt/microsoft/omsagent/conf/omsadmin.conf", "agent.omsadmin",
     lambda d: d["agent"]["omsadmin"] is None and d["agent"]["workspace_id"] is None),
    ("/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION", "worker.version",
     lambda d: d["worker"]["version"] is None),
    ("/var/opt/microsoft/omsagent/state/automationworker/oms.conf", "worker.oms_conf",
     lambda d: d["worker"]["oms_conf"] is None),
    ("/var/opt/microsoft/omsagent/state/automationworker/worker.conf", "worker.system_worker_conf",
     lambda d: d["worker"]["system_worker_conf"] is None),
    ("/var/opt/microsoft/omsconfig/omsconfig.log", "logs.omsconfig",
     lambda d: d["logs"]["omsconfig"]["tail_bytes"] is None and d["logs"]["omsconfig"]["matches"] is None),
    ("/etc/os-release", "host.os", lambda d: d["host"]["os"]["id"] is None),
    ("/proc/meminfo", "host.memory", lambda d: d["host"]["memory"]["total_kb"] is None),
    # unreadable: null, and no fall back to /var/lib/dbus/machine-id (which would be another file's value)
    ("/etc/machine-id", "host.machine_id", lambda d: d["host"]["machine_id"] is None),
])
def test_unreadable_file_gives_null_and_error(host, logical, where, check):
    host.remove(logical)
    host.mkdir(logical)  # a directory where the file should be: open() fails with EISDIR
    doc = _collect(host)
    assert check(doc)
    assert doc["errors"] == [{"where": where, "error": "IsADirectoryError: [Errno 21] Is a directory: %r" % logical}]


@pytest.mark.parametrize("etc, dbus, expected", [
    ("0123456789ABCDEF0123456789abcdef\n", "ffffffffffffffffffffffffffffffff\n", "0123456789abcdef0123456789abcdef"),
    (None, "ffffffffffffffffffffffffffffffff\n", "ffffffffffffffffffffffffffffffff"),
    (None, None, None),
    ("uninitialized\n", "ffffffffffffffffffffffffffffffff\n", None),
    ("\n", None, None),
])
def test_machine_id_from_etc_else_dbus(host, etc, dbus, expected):
    host.remove("/etc/machine-id")
    if etc is not None:
        host.write("/etc/machine-id", etc)
    if dbus is not None:
        host.write("/var/lib/dbus/machine-id", dbus)
    doc = _collect(host)
    assert doc["host"]["machine_id"] == expected
    assert doc["errors"] == []


def test_permission_denied_gives_null_and_error(host, monkeypatch):
    # the tests may run as root, which chmod cannot stop: make open() refuse instead
    denied = host.path("/etc/opt/microsoft/omsagent/conf/omsadmin.conf")
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == denied:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(_hostfs, "open", fake_open, raising=False)
    doc = _collect(host)
    assert doc["agent"]["omsadmin"] is None
    assert doc["agent"]["workspace_id"] is None
    assert doc["agent"]["files"]["/etc/opt/microsoft/omsagent/conf/omsadmin.conf"] is True
    assert doc["errors"] == [{
        "where": "agent.omsadmin",
        "error": "PermissionError: [Errno 13] Permission denied: '/etc/opt/microsoft/omsagent/conf/omsadmin.conf'",
    }]


@pytest.mark.parametrize("logical, key", [
    ("/etc/opt/microsoft/omsagent/conf/omsadmin.conf", "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"),
    ("/var/opt/microsoft/omsagent/log/omsagent.log", "/var/opt/microsoft/omsagent/log/omsagent.log"),
    ("/opt/microsoft/omsagent/bin/service_control", "/opt/microsoft/omsagent/bin/service_control"),
])
def test_agent_files_flags(host, logical, key):
    host.remove(logical)
    files = _collect(host)["agent"]["files"]
    assert files[key] is False
    assert sorted(files) == sorted(linux_facts.AGENT_FILES)
    assert sum(files.values()) == 2


def test_dangling_symlink_counts_as_missing(host):
    host.remove("/etc/opt/microsoft/omsagent/%s/conf" % WS)
    doc = _collect(host)
    assert doc["agent"]["files"]["/etc/opt/microsoft/omsagent/conf/omsadmin.conf"] is False
    assert doc["agent"]["omsadmin"] is None
    assert doc["errors"] == []


def test_missing_workers_are_null(host):
    host.remove("/var/opt/microsoft/omsagent/%s/state/automationworker/worker.conf" % WS)
    host.remove("/home/nxautomation")
    doc = _collect(host)
    assert doc["worker"]["system_worker_conf"] is None
    assert doc["worker"]["user_worker_conf"] is None
    assert doc["worker"]["user_worker_conf_path"] is None
    assert doc["endpoint_errors"] == [{"purpose": "jrds", "reason": "no worker.conf (system or user) was read"}]
    assert doc["errors"] == []


# --------------------------------------------------------------------------- agent and worker details


def test_workspace_id_lower_cased_and_workspace_dirs(host):
    host.write("/etc/opt/microsoft/omsagent/%s/conf/omsadmin.conf" % WS, "WORKSPACE_ID= %s \n" % WS.upper())
    host.mkdir("/var/opt/microsoft/omsagent/%s" % WS2.upper())  # multihomed
    host.mkdir("/var/opt/microsoft/omsagent/not-a-guid")
    host.write("/var/opt/microsoft/omsagent/%s" % "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "a file, not a dir")
    agent = collect_agent(host.root, [])
    assert agent["workspace_id"] == WS
    assert agent["omsadmin"] == {"WORKSPACE_ID": WS.upper()}
    assert agent["workspace_dirs"] == sorted([WS, WS2.upper()])


def test_no_workspace_id_line(host):
    host.write("/etc/opt/microsoft/omsagent/%s/conf/omsadmin.conf" % WS, "AGENT_GUID=%s\nWORKSPACE_ID=\n" % AGENT_GUID)
    agent = collect_agent(host.root, [])
    assert agent["workspace_id"] is None
    assert agent["omsadmin"] == {"AGENT_GUID": AGENT_GUID, "WORKSPACE_ID": ""}


def test_empty_omsagent_var_dir(tmp_path):
    fake = FakeHost(tmp_path)
    fake.mkdir("/var/opt/microsoft/omsagent")
    assert collect_agent(fake.root, [])["workspace_dirs"] == []


def test_legacy_user_worker_conf(host):
    host.remove("/home/nxautomation")
    legacy = "/var/opt/microsoft/omsagent/%s/state/automationworker/diy/worker.conf" % WS
    host.write(legacy, "[worker-required]\njrds_base_uri = https://legacy.jrds.example.invalid\n")
    worker = collect_worker(host.root, [], collect_agent(host.root, []))
    assert worker["user_worker_conf_path"] == legacy
    assert worker["user_worker_conf"] == {"worker-required": {"jrds_base_uri": "https://legacy.jrds.example.invalid"}}


def test_legacy_user_worker_conf_found_through_workspace_dirs(host):
    host.remove("/home/nxautomation")
    host.write("/etc/opt/microsoft/omsagent/%s/conf/omsadmin.conf" % WS, "AGENT_GUID=x\n")  # no WORKSPACE_ID
    legacy = "/var/opt/microsoft/omsagent/%s/state/automationworker/diy/worker.conf" % WS
    host.write(legacy, "[metadata]\nworker_type = diy\n")
    worker = collect_worker(host.root, [], collect_agent(host.root, []))
    assert worker["user_worker_conf_path"] == legacy


def test_home_user_worker_conf_wins_over_legacy(host):
    host.write("/var/opt/microsoft/omsagent/%s/state/automationworker/diy/worker.conf" % WS, "[a]\nb = c\n")
    worker = collect_worker(host.root, [])
    assert worker["user_worker_conf_path"] == "/home/nxautomation/state/worker.conf"


def test_version_is_stripped_and_empty_is_null(host):
    path = "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION"
    host.write(path, "  1.6.10.2 \r\n")
    assert collect_worker(host.root, [])["version"] == "1.6.10.2"
    host.write(path, "\n")
    assert collect_worker(host.root, [])["version"] is None


# --------------------------------------------------------------------------- processes


@pytest.mark.parametrize("argv, expected", [
    (MANAGER_ARGV, ("manager", WS, VERSION)),
    (["python", AW + "/worker/main.py", "/var/opt/microsoft/omsagent/state/automationworker/oms.conf",
      "rworkspace:" + WS.upper(), "1.4.3.0"], ("manager", WS, None)),
    (SYSTEM_WORKER_ARGV, ("system_worker", WS, VERSION)),
    (["python3", AW + "/3.x/worker/hybridworker.py",
      "/var/opt/microsoft/omsagent/%s/state/automationworker/worker.conf" % WS, "managed",
      "rworkspace:" + WS, "rversion:1.7.4.0"], ("system_worker", WS, "1.7.4.0")),
    (["python3", AW + "/3.x/worker/hybridworker.py",
      "/var/opt/microsoft/omsagent//state/automationworker/./worker.conf"], ("system_worker", None, None)),
    (USER_WORKER_ARGV, ("user_worker", WS, VERSION)),
    (["python2", AW + "/worker/hybridworker.py",
      "/var/opt/microsoft/omsagent/state/automationworker/diy/worker.conf"], ("user_worker", None, None)),
    (["python3", AW + "/3.x/worker/hybridworker.py",
      "/var/opt/microsoft/omsagent/%s/state/automationworker/diy/worker.conf" % WS,
      "rworkspace:" + WS], ("user_worker", WS, None)),
    (OMSAGENT_ARGV, ("omsagent", None, None)),
    (["/opt/microsoft/omsagent/bin/omsagent"], ("omsagent", None, None)),
    # the official test: anything mentioning omsagent.conf or omsagent.log
    (["ruby", "agent", "-c", "/etc/opt/microsoft/omsagent/conf/omsagent.conf"], ("omsagent", None, None)),
    (["tail", "-F", "/var/opt/microsoft/omsagent/log/omsagent.log"], ("omsagent", None, None)),
    (["/usr/sbin/sshd", "-D"], (None, None, None)),
    (["python3", "/opt/microsoft/omsagent/bin/omsadmin.py"], (None, None, None)),
    (["/opt/microsoft/omsagent/bin/omsagent-helper"], (None, None, None)),
    (["vi", "/tmp/main.py"], (None, None, None)),
    ([], (None, None, None)),
])
def test_classify_process(argv, expected):
    assert classify_process(argv) == expected


def test_processes_sorted_with_real_user(host):
    processes = collect_processes(host.root, [])
    assert [(p["pid"], p["role"], p["user"]) for p in processes] == [
        (200, "omsagent", "omsagent"),
        (300, "manager", "nxautomation"),
        (1000, "system_worker", "nxautomation"),
        (1200, "user_worker", "nxautomation"),
    ]


def test_process_user_is_real_uid_and_numeric_when_unknown(host):
    # Uid: real effective saved fs -- the real one (first) counts
    host.write("/proc/300/status", "Name:\tpython3\nUid:\t4242\t0\t0\t0\n")
    host.write("/proc/1000/status", "Name:\tpython3\nUid:\t0\t997\t997\t997\n")
    users = dict((p["pid"], p["user"]) for p in collect_processes(host.root, []))
    assert users[300] == "4242"
    assert users[1000] == "root"


def test_process_vanished_status_is_skipped_and_unreadable_status_is_null(host, monkeypatch):
    host.remove("/proc/300/status")  # exited between cmdline and status
    status = host.path("/proc/1000/status")
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == status:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(linux_facts, "open", fake_open, raising=False)
    errors = []
    processes = collect_processes(host.root, errors)
    assert [p["pid"] for p in processes] == [200, 1000, 1200]
    assert processes[1]["user"] is None
    assert errors == [{"where": "processes",
                       "error": "PermissionError: [Errno 13] Permission denied: '/proc/1000/status'"}]


def test_hidden_command_lines_are_counted_once(host, monkeypatch):
    hidden = set(host.path("/proc/%d/cmdline" % pid) for pid in (1, 57))
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path in hidden:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(linux_facts, "open", fake_open, raising=False)
    errors = []
    assert len(collect_processes(host.root, errors)) == 4
    assert errors == [{"where": "processes",
                       "error": "PermissionError: the command line of 2 process(es) could not be read"}]


def test_process_users_on_the_real_root_use_nss():
    users = linux_facts._Users(_hostfs.HostFiles("/", []))
    assert users.name(0) == "root"


def test_real_proc_is_readable():
    # the collector's own interpreter has no role; this only checks /proc parsing does not fail
    errors = []
    assert isinstance(collect_processes("/", errors), list)
    assert all(e["where"] == "processes" for e in errors)


# --------------------------------------------------------------------------- omsconfig.log


LINE = "2026/11/25 19:%02d:%02d: ERROR: Scripts/nxOMSAutomationWorker.py(88): The specified class does not exist #%d"


def test_omsconfig_matches(host):
    host.write("/var/opt/microsoft/omsconfig/omsconfig.log",
               "start\n" + LINE % (0, 1, 1) + "\r\nother\n" + LINE % (0, 2, 2) + "\n")
    logs = collect_logs(host.root, [])["omsconfig"]
    assert logs["exists"] is True
    assert logs["matches"] == [
        {"pattern": "class_does_not_exist", "line": LINE % (0, 1, 1)},
        {"pattern": "class_does_not_exist", "line": LINE % (0, 2, 2)},
    ]


SUCCESS = ("2026/11/25 20:%02d:00: INFO: Scripts/PerformRequiredConfigurationChecks.py: Operation "
           "PerformRequiredConfigurationChecks completed successfully. Operation was successful.")


def test_omsconfig_keeps_only_the_newest_successful_check_in_log_order(host):
    host.write("/var/opt/microsoft/omsconfig/omsconfig.log", "\n".join(
        [SUCCESS % 1, LINE % (0, 2, 2), SUCCESS % 3, SUCCESS % 4, LINE % (0, 5, 5)]) + "\n")
    matches = collect_logs(host.root, [])["omsconfig"]["matches"]
    assert matches == [
        {"pattern": "class_does_not_exist", "line": LINE % (0, 2, 2)},
        {"pattern": "consistency_check_succeeded", "line": SUCCESS % 4},
        {"pattern": "class_does_not_exist", "line": LINE % (0, 5, 5)},
    ]


def test_omsconfig_match_cap_keeps_newest_in_order(host):
    lines = [LINE % (n // 60, n % 60, n) for n in range(1, 51)]
    host.write("/var/opt/microsoft/omsconfig/omsconfig.log", "\n".join(lines) + "\n")
    matches = collect_logs(host.root, [])["omsconfig"]["matches"]
    assert len(matches) == linux_facts.MAX_MATCHES == 20
    assert [m["line"] for m in matches] == lines[30:]


def test_omsconfig_tail_is_bounded(host):
    early = LINE % (0, 0, 0)
    filler = "x" * 99 + "\n"
    late = LINE % (59, 59, 99)
    content = early + "\n" + filler * 100 + late + "\n"
    path = host.write("/var/opt/microsoft/omsconfig/omsconfig.log", content)
    tail = 4096
    logs = collect_logs(host.root, [], tail_bytes=tail)["omsconfig"]
    assert os.path.getsize(path) > tail
    assert logs["tail_bytes"] == tail
    assert logs["matches"] == [{"pattern": "class_does_not_exist", "line": late}]


def test_omsconfig_partial_first_line_is_dropped(host):
    # the tail starts in the middle of a matching line: that fragment must not count
    line = LINE % (1, 1, 1)
    content = line + "\n" + "y" * 50 + "\n"
    host.write("/var/opt/microsoft/omsconfig/omsconfig.log", content)
    tail = len(content) - 10  # cuts into the first line, after the pattern text starts
    logs = collect_logs(host.root, [], tail_bytes=tail)["omsconfig"]
    assert logs["tail_bytes"] == tail
    assert logs["matches"] == []


def test_omsconfig_default_bound_is_one_mib(host):
    assert linux_facts.LOG_TAIL_BYTES == 1024 * 1024
    big = "z" * 1023 + "\n"
    host.write("/var/opt/microsoft/omsconfig/omsconfig.log", LINE % (0, 0, 0) + "\n" + big * 1100)
    logs = _collect(host)["logs"]["omsconfig"]
    assert logs["tail_bytes"] == 1024 * 1024
    assert logs["matches"] == []


def test_omsconfig_long_lines_are_cut(host):
    host.write("/var/opt/microsoft/omsconfig/omsconfig.log", LINE % (0, 0, 0) + "!" * 5000 + "\n")
    match = collect_logs(host.root, [])["omsconfig"]["matches"][0]
    assert len(match["line"]) == linux_facts.MAX_LINE_CHARS


def test_omsconfig_invalid_utf8_does_not_fail(host):
    host.write("/var/opt/microsoft/omsconfig/omsconfig.log",
               b"\xff\xfe bad bytes The specified class does not exist\n")
    matches = collect_logs(host.root, [])["omsconfig"]["matches"]
    assert len(matches) == 1 and "The specified class does not exist" in matches[0]["line"]


# --------------------------------------------------------------------------- robustness


def test_a_bug_in_one_section_costs_only_that_section(host, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(linux_facts, "collect_logs", broken)
    doc = _collect(host)
    assert doc["logs"] == {"omsconfig": None}
    assert doc["errors"] == [{"where": "logs", "error": "unexpected RuntimeError: boom"}]
    assert doc["agent"]["workspace_id"] == WS


def test_probe_phase_failure_is_an_error_not_an_exception(host, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("no CA store")

    monkeypatch.setattr(linux_facts, "_probe_endpoints", broken)
    doc = _collect(host, probe_endpoints=True)
    assert len(doc["endpoints"]) == 6
    assert all(e["dns"] is None and e["error_class"] is None and e["direct"] is None for e in doc["endpoints"])
    assert doc["errors"] == [{"where": "endpoints", "error": "OSError: no CA store"}]


def test_default_clock_gives_utc_z(host):
    doc = collect(root=host.root, probe_endpoints=False)
    stamp = doc["host"]["utc_now"]
    assert stamp.endswith("Z") and len(stamp) == 20
    datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")


def test_naive_and_aware_now_are_both_utc(host):
    aware = datetime.datetime(2026, 11, 25, 21, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    doc = collect(root=host.root, probe_endpoints=False, now=lambda: aware)
    assert doc["host"]["utc_now"] == "2026-11-25T20:00:00Z"
