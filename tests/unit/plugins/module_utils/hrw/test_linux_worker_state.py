# -*- coding: utf-8 -*-
"""The worker_state collector against fake host trees (ADR 0001, worker_state)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import importlib.util
import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_facts
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_worker_state as lws


def _load_fake_host():
    """The tree builder next to this file, loaded by path (independent of pytest's import mode)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hrw_fake_host.py")
    spec = importlib.util.spec_from_file_location("hrw_fake_host", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fake = _load_fake_host()

MOF = "/etc/opt/omi/conf/omsconfig/configuration/Current.mof"
CERT = "/etc/opt/microsoft/omsagent/%s/certs/oms.crt" % fake.WS
DIY_CERT = "/home/nxautomation/state/worker_diy.crt"
WORKER_LOG = "/var/opt/microsoft/omsagent/%s/run/automationworker/worker.log" % fake.WS
RESOURCE_LOG = "/var/opt/microsoft/omsagent/%s/log/nxOMSAutomationWorker.log" % fake.WS


@pytest.fixture
def host(tmp_path):
    return fake.FakeHost(tmp_path / "root").healthy()


def state(host, **options):
    """(worker_state, errors) collected the way collect() does it."""
    errors = []
    agent = linux_facts.collect_agent(host.root, errors)
    worker = linux_facts.collect_worker(host.root, errors, agent)
    section = lws.collect_worker_state(host.root, errors, {"agent": agent, "worker": worker}, options)
    return section, errors


def test_healthy_host_every_key(host):
    section, errors = state(host)
    assert errors == []
    pem, thumb = fake.make_certificate(fake.WS, fake.AGENT_CERT_NOT_AFTER)
    _pem, diy_thumb = fake.make_certificate("Hybrid Runbook Worker", fake.DIY_CERT_NOT_AFTER)
    assert section == {
        "current_mof": {
            "path": MOF, "exists": True, "encoding": "utf-16-le", "resource_present": True,
            "resource_settings": [{"WorkspaceId": fake.WS, "AzureDnsAgentSvcZone": "agentsvc.azure-automation.net",
                                   "Solutions": {"Updates": {"Enabled": True}, "AzureAutomation": {"Enabled": True}}}],
            "workspace_id": fake.WS, "agent_svc_zone": "agentsvc.azure-automation.net",
            "updates_enabled": True, "automation_enabled": True,
        },
        "agent_certificate": {
            "path": "/etc/opt/microsoft/omsagent/certs/oms.crt", "exists": True, "thumbprint": thumb,
            "subject": "CN=%s, O=Microsoft" % fake.WS, "issuer": "CN=%s, O=Microsoft" % fake.WS,
            "not_after": "2027-09-14T08:12:40Z",
        },
        "system_worker_cert_path": "/etc/opt/microsoft/omsagent/certs/oms.crt",
        "user_worker_certificate": {
            "path": DIY_CERT, "exists": True, "thumbprint": diy_thumb,
            "subject": "CN=Hybrid Runbook Worker, O=Microsoft", "issuer": "CN=Hybrid Runbook Worker, O=Microsoft",
            "not_after": "2027-06-01T10:00:00Z",
        },
        "expected_oms_conf": {
            "oms-worker-conf": {
                "auto_registered_worker_conf_path": "/var/opt/microsoft/omsagent/state/automationworker/worker.conf",
                "manually_registered_worker_conf_path": "/home/nxautomation/state/worker.conf",
            },
            "oms-global": {"workspace_id": fake.WS, "resource_version": fake.VERSION},
        },
        "logs": {
            "worker": {"path": "/var/opt/microsoft/omsagent/run/automationworker/worker.log", "exists": False,
                       "tail_bytes": None, "error_count": None, "error_lines": None, "last_line": None},
            "resource": {"path": "/var/opt/microsoft/omsagent/log/nxOMSAutomationWorker.log", "exists": False,
                         "tail_bytes": None, "error_count": None, "error_lines": None, "last_line": None},
        },
    }
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")


def test_whole_document_has_the_section(host):
    doc = linux_facts.collect(root=host.root, probe_endpoints=False)
    assert doc["worker_state"]["current_mof"]["updates_enabled"] is True
    assert not [e for e in doc["errors"] if e["where"].startswith("worker_state")]


@pytest.mark.parametrize("encoding,expected", [
    ("utf-16", "utf-16-le"),          # BOM, as omsconfig writes it
    ("utf-16-le", "utf-16-le"),       # no BOM: NUL bytes tell
    ("utf-16-be", "utf-16-be"),
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8"),
])
def test_mof_encodings(host, encoding, expected):
    host.write(MOF, fake.current_mof(fake.WS, updates=False, encoding=encoding))
    mof = state(host)[0]["current_mof"]
    assert (mof["encoding"], mof["updates_enabled"], mof["automation_enabled"]) == (expected, False, True)
    assert mof["workspace_id"] == fake.WS


def test_mof_settings_of_the_agent_workspace_are_chosen(host):
    other = fake.current_mof(fake.WS2, updates=False).decode("utf-16")
    mine = fake.current_mof(fake.WS, updates=True).decode("utf-16")
    settings_other = other.split('ResourceSettings = "')[1].split('";')[0]
    settings_mine = mine.split('ResourceSettings = "')[1].split('";')[0]
    both = settings_other[:-1] + "," + settings_mine[1:]  # two objects in one list
    host.write(MOF, other.replace(settings_other, both).encode("utf-16"))
    mof = state(host)[0]["current_mof"]
    assert mof["workspace_id"] == fake.WS and mof["updates_enabled"] is True
    assert len(mof["resource_settings"]) == 2


def test_missing_mof_is_not_an_error(host):
    host.remove(MOF)
    section, errors = state(host)
    assert section["current_mof"]["exists"] is False
    assert section["current_mof"]["encoding"] is None
    assert section["current_mof"]["updates_enabled"] is None
    assert errors == []


def test_mof_without_worker_resource(host):
    host.write(MOF, "instance of OMI_ConfigurationDocument\n{\n Version=\"2.0.0\";\n};\n".encode("utf-16"))
    section, errors = state(host)
    assert section["current_mof"]["resource_present"] is False
    assert section["current_mof"]["updates_enabled"] is None
    assert errors == []


def test_malformed_settings_are_an_error_not_an_exception(host):
    host.write(MOF, b'instance of MSFT_nxOMSAutomationWorkerResource as $x\n{\n ResourceSettings = "[{not json";\n};\n')
    section, errors = state(host)
    assert section["current_mof"]["resource_present"] is True
    assert section["current_mof"]["resource_settings"] is None
    assert [e["where"] for e in errors] == ["worker_state.current_mof"]
    assert "not JSON" in errors[0]["error"]


def test_unreadable_mof_is_null_and_error(host):
    os.remove(host.path(MOF))
    os.makedirs(host.path(MOF))  # a directory in its place
    section, errors = state(host)
    assert section["current_mof"]["exists"] is True
    assert section["current_mof"]["encoding"] is None
    assert [e["where"] for e in errors] == ["worker_state.current_mof"]


def test_thumbprint_is_sha1_of_der_upper_hex(host):
    pem, thumb = fake.make_certificate("rotated", datetime.datetime(2028, 1, 2, 3, 4, 5))
    host.write(CERT, b"Bag Attributes\n" + pem)  # text before the PEM block is ignored
    cert = state(host)[0]["agent_certificate"]
    assert cert["thumbprint"] == thumb and thumb == thumb.upper() and len(thumb) == 40
    assert cert["not_after"] == "2028-01-02T03:04:05Z"


def test_der_certificate_is_read_too(host):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    pem, thumb = fake.make_certificate(fake.WS, fake.AGENT_CERT_NOT_AFTER)
    host.write(CERT, x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))
    assert state(host)[0]["agent_certificate"]["thumbprint"] == thumb


@pytest.mark.parametrize("content", [b"not a certificate\n", b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
                                     b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n"])
def test_garbage_certificate_is_null_and_error(host, content):
    host.write(CERT, content)
    section, errors = state(host)
    assert section["agent_certificate"]["exists"] is True
    assert section["agent_certificate"]["thumbprint"] is None
    assert [e["where"] for e in errors] == ["worker_state.agent_certificate"]


def test_missing_agent_certificate(host):
    host.remove(CERT)
    section, errors = state(host)
    assert section["agent_certificate"]["exists"] is False
    assert section["agent_certificate"]["thumbprint"] is None
    assert errors == []


def test_expired_diy_certificate_is_reported_as_is(host):
    pem, _thumb = fake.make_certificate("Hybrid Runbook Worker", datetime.datetime(2026, 1, 1),
                                        datetime.datetime(2025, 1, 1))
    host.write(DIY_CERT, pem)
    cert = state(host)[0]["user_worker_certificate"]
    assert cert["not_after"] == "2026-01-01T00:00:00Z"


def test_no_diy_worker_no_diy_certificate(tmp_path):
    host = fake.FakeHost(tmp_path / "root").healthy(user_worker=False)
    section, errors = state(host)
    assert section["user_worker_certificate"] is None
    assert errors == []


def test_diy_certificate_missing(host):
    host.remove(DIY_CERT)
    cert = state(host)[0]["user_worker_certificate"]
    assert cert["exists"] is False and cert["path"] == DIY_CERT


def test_log_error_lines_newest_last_and_capped(host):
    lines = ["2026-11-25 19:%02d:00,000 - INFO - poll" % m for m in range(10)]
    lines += ["2026-11-25 19:30:%02d,000 - ERROR - failed %d" % (i, i) for i in range(25)]
    lines += ["Traceback (most recent call last):", "  File \"x.py\", line 1", "ssl.SSLError: bad handshake",
              "2026-11-25 19:59:00,000 - INFO - done"]
    host.write(WORKER_LOG, "\n".join(lines) + "\n")
    log = state(host)[0]["logs"]["worker"]
    assert log["exists"] is True
    assert log["error_count"] == 27
    assert len(log["error_lines"]) == lws.MAX_LOG_LINES
    assert log["error_lines"][-2:] == ["Traceback (most recent call last):", "ssl.SSLError: bad handshake"]
    assert log["error_lines"][0] == "2026-11-25 19:30:07,000 - ERROR - failed 7"
    assert log["last_line"] == "2026-11-25 19:59:00,000 - INFO - done"


def test_clean_log(host):
    host.write(RESOURCE_LOG, "2026-11-25 19:45:02,511 - INFO - Test_Marshall: all good\n")
    log = state(host)[0]["logs"]["resource"]
    assert (log["exists"], log["error_count"], log["error_lines"]) == (True, 0, [])


def test_log_tail_is_bounded(host):
    old_error = "2026-11-24 00:00:00,000 - ERROR - long ago\n"
    host.write(WORKER_LOG, old_error + "x" * 100 + "\n" + "INFO line\n" * 2000)
    log = state(host, worker_log_tail_bytes=4096)[0]["logs"]["worker"]
    assert log["tail_bytes"] == 4096
    assert log["error_count"] == 0


def test_unreadable_log_is_null_and_error(host):
    os.makedirs(host.path(WORKER_LOG))
    section, errors = state(host)
    assert section["logs"]["worker"]["exists"] is True
    assert section["logs"]["worker"]["error_lines"] is None
    assert [e["where"] for e in errors] == ["worker_state.logs.worker"]


def test_empty_facts_never_raise(tmp_path):
    errors = []
    section = lws.collect_worker_state(str(tmp_path), errors, {}, {})
    assert section["current_mof"]["exists"] is False
    assert section["user_worker_certificate"] is None
    assert section["expected_oms_conf"]["oms-global"] == {"workspace_id": None, "resource_version": None}
    assert errors == []
    section = lws.collect_worker_state(str(tmp_path), errors, None, None)
    assert section["agent_certificate"]["exists"] is False
