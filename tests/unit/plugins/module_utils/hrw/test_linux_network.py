# -*- coding: utf-8 -*-
"""The network section collector (proxy.conf, DMI, IMDS) and the proxy-aware endpoint phase.

Everything runs on 127.0.0.1 with servers and proxies started here and names answered by an
injected resolver: nothing is resolved for real and 169.254.169.254 is never contacted.
"""

import http.client
import http.server
import importlib.util
import os
import ssl
import threading

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_network
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_facts import collect
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_network import (
    AZURE_ASSET_TAG,
    collect_network,
    parse_proxy,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.probe import static_resolver

HERE = os.path.dirname(os.path.abspath(__file__))
LOCAL = "127.0.0.1"
PROXY_CONF = "/etc/opt/microsoft/omsagent/proxy.conf"
OLD_PROXY_CONF = "/etc/opt/microsoft/omsagent/conf/proxy.conf"


def _load(name):
    spec = importlib.util.spec_from_file_location("hrw_net_" + name, os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fake = _load("hrw_fake_host")
_proxies = _load("hrw_proxies")
_pki = _load("test_probe")  # the throw-away CA helpers


def _options(**extra):
    options = {"account": {}, "probe_endpoints": False, "probe_timeout": 2.0}
    options.update(extra)
    return options


@pytest.fixture
def host(tmp_path):
    fake = _fake.FakeHost(tmp_path / "root")
    fake.healthy()
    uid, gid = os.getuid(), os.getgid()
    # the test's own uid/gid stand for root and omiusers, so modes decide readability
    fake.write("/etc/passwd", "root:x:%d:%d:root:/root:/bin/bash\n"
                              "omsagent:x:998:998::/var/opt/microsoft/omsagent/run:/bin/bash\n" % (uid, uid))
    fake.write("/etc/group", "omsagent:x:998:\nomiusers:x:%d:omsagent\n" % gid)
    return fake


# --------------------------------------------------------------------------- proxy.conf


@pytest.mark.parametrize("text, expected", [
    ("http://proxy.contoso.com:3128", ("http", "proxy.contoso.com", 3128, None, None)),
    ("proxy.contoso.com:8080", ("http", "proxy.contoso.com", 8080, None, None)),
    ("PROXY.contoso.com", ("http", "proxy.contoso.com", 80, None, None)),
    ("https://user:p%40ss@proxy:443\n", ("https", "proxy", 443, "user", "p@ss")),
    ("http://u:pa:ss@10.0.0.5:3128", ("http", "10.0.0.5", 3128, "u", "pa:ss")),
    ("http://[fd00::1]:3128", ("http", "fd00::1", 3128, None, None)),
])
def test_parse_proxy(text, expected):
    parsed = parse_proxy(text)
    assert parsed["error"] is None
    assert (parsed["scheme"], parsed["host"], parsed["port"], parsed["user"], parsed["password"]) == expected


@pytest.mark.parametrize("text, error", [
    ("", "empty"),
    ("http://proxy:99999", "the port is not a number from 1 to 65535"),
    ("http://:3128", "no host"),
    ("socks5://proxy:1080", "unsupported protocol 'socks5' (http or https expected)"),
])
def test_parse_proxy_errors(text, error):
    assert parse_proxy(text)["error"] == error


def test_no_proxy_conf(host):
    options = _options()
    network = collect_network(host.root, [], {}, options)
    proxy = network["proxy"]
    assert proxy["configured"] is False and proxy["path"] is None and proxy["url"] is None
    assert proxy["files"] == {PROXY_CONF: {"exists": False, "owner": None, "group": None, "mode": None},
                              OLD_PROXY_CONF: {"exists": False, "owner": None, "group": None, "mode": None}}
    assert "proxy" not in options


def test_proxy_with_credentials_never_returns_the_password(host):
    host.write(PROXY_CONF, "http://svc-hrw:S3cret!pw@proxy.contoso.com:3128", mode=0o640)
    errors, options = [], _options()
    network = collect_network(host.root, errors, {}, options)
    proxy = network["proxy"]
    assert errors == []
    assert proxy["configured"] is True and proxy["path"] == PROXY_CONF
    assert (proxy["scheme"], proxy["host"], proxy["port"]) == ("http", "proxy.contoso.com", 3128)
    assert proxy["user"] == "svc-hrw" and proxy["has_credentials"] is True
    assert proxy["url"] == "http://svc-hrw@proxy.contoso.com:3128"
    assert proxy["files"][PROXY_CONF]["mode"] == "0640"
    assert proxy["files"][PROXY_CONF]["group"] == "omiusers"
    assert proxy["omsagent_can_read"] is True
    assert "S3cret" not in repr(network)
    # the probes get the password in memory, through options only
    assert options["proxy"] == {"host": "proxy.contoso.com", "port": 3128, "user": "svc-hrw",
                                "password": "S3cret!pw"}


def test_https_proxy_is_reported_but_not_handed_to_the_probes(host):
    host.write(PROXY_CONF, "https://proxy.contoso.com", mode=0o640)
    options = _options()
    proxy = collect_network(host.root, [], {}, options)["proxy"]
    assert proxy["configured"] is True and proxy["error"] is None
    assert (proxy["scheme"], proxy["port"]) == ("https", 443)
    assert "proxy" not in options


def test_preferred_path_wins_over_conf(host):
    host.write(OLD_PROXY_CONF, "http://old-proxy:3128", mode=0o644)
    network = collect_network(host.root, [], {}, _options())
    assert network["proxy"]["path"] == OLD_PROXY_CONF and network["proxy"]["host"] == "old-proxy"
    host.write(PROXY_CONF, "http://new-proxy:3128", mode=0o644)
    network = collect_network(host.root, [], {}, _options())
    assert network["proxy"]["path"] == PROXY_CONF and network["proxy"]["host"] == "new-proxy"


def test_proxy_conf_not_readable_by_omsagent(host):
    host.write(PROXY_CONF, "http://proxy:3128", mode=0o600)
    network = collect_network(host.root, [], {}, _options())
    assert network["proxy"]["omsagent_can_read"] is False
    assert network["proxy"]["files"][PROXY_CONF]["owner"] == "root"


def test_empty_proxy_conf_means_no_proxy(host):
    host.write(PROXY_CONF, "\n", mode=0o640)
    options = _options()
    proxy = collect_network(host.root, [], {}, options)["proxy"]
    assert proxy["configured"] is False and proxy["error"] == "the file is empty (no proxy)"
    assert "proxy" not in options


def test_invalid_proxy_conf_is_reported_and_not_probed(host):
    host.write(PROXY_CONF, "http://proxy:notaport", mode=0o640)
    options = _options()
    proxy = collect_network(host.root, [], {}, options)["proxy"]
    assert proxy["configured"] is True and proxy["error"] == "the port is not a number from 1 to 65535"
    assert "proxy" not in options


def test_missing_root_never_raises(tmp_path):
    network = collect_network(str(tmp_path / "nothing"), [], {}, None)
    assert network["proxy"]["configured"] is False
    assert network["azure_vm"]["detected"] is None
    assert network["imds"]["probed"] is False
    assert network["automation_account"] == {"id": None, "region": None}


# --------------------------------------------------------------------------- DMI and IMDS


class _Imds(object):
    """A loopback stand-in for IMDS that records what it was asked."""

    def __init__(self):
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append((self.path, self.headers.get("Metadata")))
                ok = self.headers.get("Metadata") == "true"
                body = b'{"compute": {"vmId": "x"}}' if ok else b'{"error": "Bad request"}'
                self.send_response(200 if ok else 400)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((LOCAL, 0), Handler)
        self.address = (LOCAL, self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def imds():
    server = _Imds()
    yield server
    server.close()


@pytest.fixture
def no_imds(monkeypatch):
    """Fail the test if anything opens an HTTP connection (IMDS must not be contacted)."""
    def refuse(*args, **kwargs):
        raise AssertionError("IMDS must not be contacted here: %r" % (args,))
    monkeypatch.setattr(http.client, "HTTPConnection", refuse)


def _dmi(host, tag, vendor="Microsoft Corporation", product="Virtual Machine"):
    host.write("/sys/class/dmi/id/chassis_asset_tag", tag + "\n")
    host.write("/sys/class/dmi/id/sys_vendor", vendor + "\n")
    host.write("/sys/class/dmi/id/product_name", product + "\n")


def test_azure_vm_imds_answers(host, imds):
    _dmi(host, AZURE_ASSET_TAG)
    network = collect_network(host.root, [], {}, _options(probe_endpoints=True, imds_address=imds.address))
    assert network["azure_vm"] == {"detected": True, "source": "/sys/class/dmi/id/chassis_asset_tag",
                                   "chassis_asset_tag": AZURE_ASSET_TAG, "sys_vendor": "Microsoft Corporation",
                                   "product_name": "Virtual Machine"}
    assert network["imds"]["probed"] is True and network["imds"]["ok"] is True
    assert network["imds"]["status"] == 200
    assert imds.seen == [("/metadata/instance?api-version=2021-02-01", "true")]


def test_azure_vm_imds_unreachable(host):
    _dmi(host, AZURE_ASSET_TAG)
    import socket
    sock = socket.socket()
    sock.bind((LOCAL, 0))
    port = sock.getsockname()[1]
    sock.close()
    network = collect_network(host.root, [], {}, _options(probe_endpoints=True, imds_address=(LOCAL, port)))
    assert network["imds"]["probed"] is True and network["imds"]["ok"] is False
    assert "ConnectionRefusedError" in network["imds"]["error"]


def test_non_azure_host_never_contacts_imds(host, no_imds):
    _dmi(host, "No Asset Tag", vendor="Dell Inc.", product="PowerEdge R640")
    network = collect_network(host.root, [], {}, _options(probe_endpoints=True))
    assert network["azure_vm"]["detected"] is False
    assert network["imds"] == {"probed": False, "reason": "not an Azure VM", "url": None, "ok": None,
                               "status": None, "error": None, "elapsed_ms": None}


def test_no_dmi_never_contacts_imds(host, no_imds):
    network = collect_network(host.root, [], {}, _options(probe_endpoints=True))
    assert network["azure_vm"]["detected"] is None
    assert network["imds"]["probed"] is False and "not known" in network["imds"]["reason"]


def test_azure_vm_without_probing_sends_nothing(host, no_imds):
    _dmi(host, AZURE_ASSET_TAG)
    network = collect_network(host.root, [], {}, _options(probe_endpoints=False))
    assert network["imds"]["probed"] is False and network["imds"]["reason"] == "probing is off"


def test_account_options_are_recorded(host):
    network = collect_network(host.root, [], {}, _options(account={"id": "abc", "region": "westeurope"}))
    assert network["automation_account"] == {"id": "abc", "region": "westeurope"}


def test_module_default_imds_address_is_the_real_one():
    assert linux_network.IMDS_ADDRESS == ("169.254.169.254", 80)


# --------------------------------------------------------------------------- endpoints through the proxy


@pytest.fixture
def lab_pki(tmp_path):
    ca = _pki._CA("HRW Unit Test CA")
    cert, key = ca.issue(["*.azure-automation.net", "*.jrds.eus2.azure-automation.net", "*.opinsights.azure.com",
                          "*.ods.opinsights.azure.com", "*.oms.opinsights.azure.com",
                          "*.agentsvc.azure-automation.net", "bing.com"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_pki._write_chain(tmp_path, "server", cert, key))
    server = _pki._Server("tls", context)
    yield {"cafile": ca.write(tmp_path / "ca.crt"), "server": server}
    server.close()


def _names(doc):
    return [e["host"] for e in doc["endpoints"]]


def test_collect_probes_every_endpoint_both_ways(host, lab_pki, no_imds):
    probe_doc = collect(root=host.root, probe_endpoints=False)
    names = _names(probe_doc)
    proxy = _proxies.ConnectProxy(routes=dict((n, lab_pki["server"].port) for n in names),
                                  auth=("svc-hrw", "S3cret!pw"))
    try:
        host.write(PROXY_CONF, "http://svc-hrw:S3cret!pw@proxy.contoso.invalid:%d" % proxy.port, mode=0o640)
        # the Azure names resolve to a closed loopback address: only the proxy path works
        mapping = dict((n, "127.0.0.2") for n in names)
        mapping["proxy.contoso.invalid"] = LOCAL
        doc = collect(root=host.root, probe_endpoints=True, probe_timeout=5.0, cafile=lab_pki["cafile"],
                      resolver=static_resolver(mapping))
    finally:
        proxy.close()
    assert doc["network"]["proxy"]["configured"] is True
    assert "S3cret" not in repr(doc)
    assert len(proxy.requests) == len(names)
    for ep in doc["endpoints"]:
        assert ep["via_proxy"]["error_class"] is None, ep
        assert ep["via_proxy"]["proxy"]["status"] == 200
        assert ep["direct"]["error_class"] in ("refused", "timeout"), ep
        # the top-level keys are the agent's path: through the proxy
        assert ep["error_class"] is None and ep["tls"]["ok"] is True
        assert "proxy" not in ep


def test_collect_without_proxy_probes_direct_only(host, lab_pki):
    names = _names(collect(root=host.root, probe_endpoints=False))
    doc = collect(root=host.root, probe_endpoints=True, probe_timeout=5.0, cafile=lab_pki["cafile"],
                  resolver=static_resolver(dict((n, "127.0.0.2") for n in names)))
    for ep in doc["endpoints"]:
        assert ep["via_proxy"] is None
        assert ep["direct"]["error_class"] == ep["error_class"]


def test_same_host_and_port_is_probed_once():
    from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_facts import collect_endpoints
    calls = []

    def resolver(name, port):
        calls.append((name, port))
        return static_resolver({})(name, port)

    facts = {"agent": {"workspace_id": None, "omsadmin": None},
             "worker": {"system_worker_conf": {"worker-required": {"jrds_base_uri": "https://a.jrds.invalid"}},
                        "user_worker_conf": {"worker-required": {"jrds_base_uri": "https://A.jrds.invalid/"}}}}
    endpoints, _errors = collect_endpoints(facts, [], True, 2.0, resolver=resolver)
    assert [(e["purpose"], e["host"]) for e in endpoints] == [
        ("jrds", "a.jrds.invalid"), ("jrds_user", "a.jrds.invalid"), ("internet", "bing.com")]
    assert sorted(calls) == [("a.jrds.invalid", 443), ("bing.com", 443)]
    assert endpoints[0]["error_class"] == endpoints[1]["error_class"] == "dns"
