# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hrw_facts module: arguments, check mode and the result shape (collector pointed at a fake host)."""

import datetime
import importlib.util
import json
import os
import socket

import pytest
import yaml

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_facts
from ansible_collections.azure_hrw.doctor.plugins.modules import hrw_facts
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import module_docs

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old


def _load_fake_host():
    path = os.path.join(os.path.dirname(__file__), "..", "module_utils", "hrw", "hrw_fake_host.py")
    spec = importlib.util.spec_from_file_location("hrw_fake_host_for_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fake_host = _load_fake_host()


def _no_dns(host, port):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def calls(tmp_path, monkeypatch):
    """Point the module's collector at a fake healthy host; record how it was called."""
    host = fake_host.FakeHost(tmp_path / "root").healthy()
    seen = []

    def collect(**kwargs):
        seen.append(kwargs)
        return linux_facts.collect(root=host.root, resolver=_no_dns,
                                   now=lambda: datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc),
                                   **kwargs)

    monkeypatch.setattr(hrw_facts, "collect", collect)
    return seen


def _run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            hrw_facts.main()
    result = json.loads(capsys.readouterr().out)
    return exit_info.value.code, result


def test_defaults(calls, capsys):
    code, result = _run({}, capsys)
    assert code == 0
    assert result["changed"] is False
    assert "failed" not in result
    assert calls == [{"probe_timeout": 3.0, "probe_endpoints": True, "account": {"id": None, "region": None}}]
    facts = result["ansible_facts"]["hrw_facts"]
    assert list(result["ansible_facts"]) == ["hrw_facts"]
    assert sorted(facts) == sorted(["schema", "platform", "collector", "host", "agent", "worker", "processes",
                                    "logs", "system", "accounts", "worker_state", "network",
                                    "endpoints", "endpoint_errors", "errors"])
    assert facts["schema"] == 1 and facts["platform"] == "linux"
    assert facts["collector"]["name"] == "hrw_facts"
    assert facts["host"]["hostname"] == "hrw-healthy"
    assert facts["agent"]["workspace_id"] == fake_host.WS
    assert [p["role"] for p in facts["processes"]] == ["omsagent", "manager", "system_worker", "user_worker"]
    assert [e["error_class"] for e in facts["endpoints"]] == ["dns"] * 6
    assert facts["errors"] == []


def test_check_mode_is_the_same_read(calls, capsys):
    code, result = _run({"_ansible_check_mode": True, "probe_endpoints": False, "probe_timeout": "1.5"}, capsys)
    assert code == 0
    assert result["changed"] is False
    assert calls == [{"probe_timeout": 1.5, "probe_endpoints": False, "account": {"id": None, "region": None}}]
    endpoints = result["ansible_facts"]["hrw_facts"]["endpoints"]
    assert endpoints and all(e["dns"] is None and e["error_class"] is None for e in endpoints)


def test_account_options_reach_the_collector(calls, capsys):
    code, dummy = _run({"automation_account_id": "acc0c0de-0000-4b2c-8d3e-4f5a6b7c8d9e",
                        "automation_account_region": "westeurope", "probe_endpoints": False}, capsys)
    assert code == 0
    assert calls[0]["account"] == {"id": "acc0c0de-0000-4b2c-8d3e-4f5a6b7c8d9e", "region": "westeurope"}


@pytest.mark.parametrize("value", [60, 0.01, "60.0"])
def test_probe_timeout_bounds_accepted(calls, capsys, value):
    code, result = _run({"probe_timeout": value, "probe_endpoints": False}, capsys)
    assert code == 0 and not result.get("failed")


@pytest.mark.parametrize("value", [0, -1, 60.5, 1000, "nan", "inf"])
def test_probe_timeout_out_of_range(calls, capsys, value):
    code, result = _run({"probe_timeout": value}, capsys)
    assert code == 1
    assert result["failed"] is True
    assert "probe_timeout" in result["msg"]
    assert "greater than 0 and at most 60" in result["msg"]
    assert calls == []  # nothing was read


def test_probe_timeout_not_a_number(calls, capsys):
    code, result = _run({"probe_timeout": "soon"}, capsys)
    assert code == 1
    assert result["failed"] is True
    assert "probe_timeout" in result["msg"] and "float" in result["msg"]
    assert calls == []


def test_unknown_option_fails(calls, capsys):
    code, result = _run({"probe_timeot": 3}, capsys)
    assert code == 1
    assert "probe_timeot" in result["msg"]
    assert calls == []


def test_documentation_parses():
    yaml.safe_load(hrw_facts.DOCUMENTATION)
    doc = module_docs.rendered("hrw_facts")   # with the azure_hrw.doctor.probe options
    assert doc["module"] == "hrw_facts"
    assert str(doc["version_added"]) == "0.1.0"
    assert doc["author"] == ["azure_hrw.doctor contributors (@azure-hrw)"]
    assert doc["options"]["probe_timeout"] == {
        "description": doc["options"]["probe_timeout"]["description"], "type": "float", "default": 3.0}
    assert doc["options"]["probe_endpoints"]["default"] is True
    yaml.safe_load(hrw_facts.EXAMPLES)
    returned = yaml.safe_load(hrw_facts.RETURN)
    document = returned["ansible_facts"]["contains"]["hrw_facts"]["contains"]
    assert sorted(document) == sorted(["schema", "platform", "collector", "host", "agent", "worker", "processes",
                                       "logs", "system", "accounts", "worker_state", "network",
                                       "endpoints", "endpoint_errors", "errors"])


def test_every_document_key_is_documented(tmp_path):
    """Walk a real document and check each dict key appears in RETURN (maps of paths excepted)."""
    documented = yaml.safe_load(hrw_facts.RETURN)["ansible_facts"]["contains"]["hrw_facts"]["contains"]
    host = fake_host.FakeHost(tmp_path / "root").healthy()
    doc = linux_facts.collect(root=host.root, resolver=_no_dns, probe_timeout=2)
    free_form = {"files", "omsadmin", "oms_conf", "system_worker_conf", "user_worker_conf"}

    def walk(value, spec, path):
        if isinstance(value, list):
            for item in value:
                walk(item, spec, path)
            return
        if not isinstance(value, dict) or spec is None:
            return
        for key, item in value.items():
            assert key in spec, "%s.%s is not documented in RETURN" % (path, key)
            if key not in free_form:
                walk(item, spec[key].get("contains"), path + "." + key)

    walk(doc, documented, "hrw_facts")
    # the probe sub-documents too (TLS with a certificate is covered by the RETURN spec check)
    tls = {"ok": True, "error": None, "subject": "s", "issuer": "i", "not_after": "n"}
    walk({"endpoints": [{"tls": tls, "tcp": {"ok": True, "error": None}}]}, documented, "hrw_facts")
