# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probes against real servers on 127.0.0.1 only; names are always resolved by an injected resolver.

No test resolves a real DNS name or sends traffic off the machine. No tight wall-clock
assertions: timing is checked structurally (every result present, classified, and the
call returned while blocked probes were still blocked).
"""

import datetime
import socket
import ssl
import threading
import time

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import probe as probe_mod
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.probe import (
    parse_certificate,
    probe_endpoint,
    probe_endpoints,
    static_resolver,
)

NAME = "ws.agentsvc.azure-automation.invalid"
LOCAL = "127.0.0.1"


# --------------------------------------------------------------------------- a throw-away PKI


def _name(*pairs):
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


class _CA(object):
    def __init__(self, common_name, organization="azure_hrw.doctor tests"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name((NameOID.COUNTRY_NAME, "US"), (NameOID.ORGANIZATION_NAME, organization),
                          (NameOID.COMMON_NAME, common_name))
        now = datetime.datetime.now(datetime.timezone.utc)
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, dns_names, not_after=None, subject=None):
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        not_after = not_after or (now + datetime.timedelta(days=10))
        subject = subject or _name((NameOID.COMMON_NAME, dns_names[0]))
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return cert, key

    def write(self, path):
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return str(path)


def _write_chain(tmp_path, name, cert, key):
    cert_file = tmp_path / (name + ".crt")
    key_file = tmp_path / (name + ".key")
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- local servers


def _load_proxies():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hrw_proxies.py")
    spec = importlib.util.spec_from_file_location("hrw_proxies", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_proxies = _load_proxies()


class _Server(_proxies.LoopbackServer):
    """A loopback server whose ``mode`` says how it answers: tls, silent or close."""

    def __init__(self, mode, context=None):
        self.mode = mode
        self.context = context
        self.held = []
        super(_Server, self).__init__()

    def accepted(self, conn):
        if self.mode == "tls":
            threading.Thread(target=self._tls, args=(conn,), daemon=True).start()
        elif self.mode == "silent":  # accepts TCP, never speaks TLS
            self.held.append(conn)
        else:  # "close": hang up at once
            conn.close()

    def _tls(self, conn):
        conn.settimeout(5)
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
            tls.recv(1)  # until the client closes
            tls.close()
        except (OSError, ssl.SSLError):
            conn.close()

    def close(self):
        super(_Server, self).close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def pki(tmp_path):
    ca = _CA("HRW Test Root CA")
    cert, key = ca.issue([NAME, "other-name.invalid"])
    chain = _write_chain(tmp_path, "server", cert, key)
    return {"ca": ca, "cafile": ca.write(tmp_path / "ca.crt"), "cert": cert, "chain": chain}


@pytest.fixture
def tls_server(pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pki["chain"])
    server = _Server("tls", context)
    yield server
    server.close()


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind((LOCAL, 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more: connect() is refused
    return port


@pytest.fixture
def full_backlog():
    """A listener whose accept queue is full: Linux then drops SYNs, so connect() times out."""
    listener = socket.socket()
    listener.bind((LOCAL, 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _attempt in range(8):
        client = socket.socket()
        client.settimeout(0.3)
        try:
            client.connect((LOCAL, port))
        except socket.timeout:
            client.close()
            break
        fillers.append(client)
    else:  # pragma: no cover - a kernel that never drops SYNs
        pytest.fail("this kernel does not drop SYNs on a full accept queue: no timeout to test against")
    yield port
    for client in fillers:
        client.close()
    listener.close()


def _resolver(*names):
    return static_resolver(dict((n, LOCAL) for n in names or (NAME,)))


# --------------------------------------------------------------------------- the outcomes


def test_ok_verified_tls(tls_server, pki):
    result = probe_endpoint(NAME, tls_server.port, timeout=10, cafile=pki["cafile"], resolver=_resolver())
    assert result["error_class"] is None
    assert result["dns"] == {"ok": True, "addresses": [LOCAL], "error": None}
    assert result["tcp"] == {"ok": True, "error": None}
    assert result["tls"] == {
        "ok": True,
        "error": None,
        "subject": "CN=%s" % NAME,
        "issuer": "C=US, O=azure_hrw.doctor tests, CN=HRW Test Root CA",
        "not_after": _iso(pki["cert"].not_valid_after_utc),
    }
    assert isinstance(result["elapsed_ms"], int) and result["elapsed_ms"] >= 0
    assert sorted(result) == ["dns", "elapsed_ms", "error_class", "tcp", "tls"]


def test_refused(closed_port):
    result = probe_endpoint(NAME, closed_port, timeout=5, resolver=_resolver())
    assert result["error_class"] == "refused"
    assert result["dns"]["ok"] is True
    assert result["tcp"]["ok"] is False
    assert "127.0.0.1:%d" % closed_port in result["tcp"]["error"]
    assert "ConnectionRefusedError" in result["tcp"]["error"]
    assert result["tls"] is None


def test_timeout_when_syns_are_dropped(full_backlog):
    result = probe_endpoint(NAME, full_backlog, timeout=0.5, resolver=_resolver())
    assert result["error_class"] == "timeout"
    assert result["dns"]["ok"] is True
    assert result["tcp"]["ok"] is False
    assert "timed out" in result["tcp"]["error"]
    assert result["tls"] is None


def test_untrusted_ca_reports_the_presented_issuer(tls_server, tmp_path):
    other = _CA("Some Other CA", organization="Not The Server's CA")
    result = probe_endpoint(NAME, tls_server.port, timeout=10, cafile=other.write(tmp_path / "other.crt"),
                            resolver=_resolver())
    assert result["error_class"] == "tls"
    assert result["tcp"] == {"ok": True, "error": None}
    tls = result["tls"]
    assert tls["ok"] is False
    assert "CERTIFICATE_VERIFY_FAILED" in tls["error"]
    # from the second, unverified handshake: who presented the rejected certificate
    assert tls["issuer"] == "C=US, O=azure_hrw.doctor tests, CN=HRW Test Root CA"
    assert tls["subject"] == "CN=%s" % NAME
    assert tls["not_after"]


def test_tls_interception_with_system_store(tls_server):
    # the default (system) store does not trust our test CA: like a TLS-inspecting proxy
    result = probe_endpoint(NAME, tls_server.port, timeout=10, resolver=_resolver())
    assert result["error_class"] == "tls"
    assert result["tls"]["issuer"].endswith("CN=HRW Test Root CA")


def test_hostname_mismatch_is_tls(tls_server, pki):
    name = "wrong-name.invalid"
    result = probe_endpoint(name, tls_server.port, timeout=10, cafile=pki["cafile"], resolver=_resolver(name))
    assert result["error_class"] == "tls"
    assert "CERTIFICATE_VERIFY_FAILED" in result["tls"]["error"]
    assert "mismatch" in result["tls"]["error"].lower() or "match" in result["tls"]["error"].lower()
    assert result["tls"]["subject"] == "CN=%s" % NAME


def test_peer_that_hangs_up_is_tls():
    server = _Server("close")
    try:
        result = probe_endpoint(NAME, server.port, timeout=5, resolver=_resolver())
    finally:
        server.close()
    assert result["error_class"] == "tls"
    assert result["tcp"]["ok"] is True
    assert result["tls"]["ok"] is False and result["tls"]["error"]
    assert result["tls"]["issuer"] is None


def test_peer_that_never_speaks_tls_is_timeout():
    server = _Server("silent")
    try:
        result = probe_endpoint(NAME, server.port, timeout=0.5, resolver=_resolver())
    finally:
        server.close()
    assert result["error_class"] == "timeout"
    assert result["tcp"]["ok"] is True
    assert result["tls"]["ok"] is False
    assert "timed out" in result["tls"]["error"]


def test_dns_failure():
    def resolver(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    result = probe_endpoint(NAME, 443, timeout=5, resolver=resolver)
    assert result["error_class"] == "dns"
    assert result["dns"] == {"ok": False, "addresses": [],
                             "error": "gaierror: [Errno %d] Name or service not known" % socket.EAI_NONAME}
    assert result["tcp"] is None and result["tls"] is None


def test_unknown_name_with_static_resolver():
    result = probe_endpoint("unknown.invalid", 443, timeout=5, resolver=_resolver())
    assert result["error_class"] == "dns"


def test_resolver_with_no_address_is_dns():
    result = probe_endpoint(NAME, 443, timeout=5, resolver=lambda host, port: [])
    assert result["error_class"] == "dns"
    assert result["dns"]["ok"] is False


def test_second_address_is_tried(tls_server, pki, closed_port):
    # the first address refuses, the second answers: the endpoint is fine
    def resolver(host, port):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", closed_port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (LOCAL, tls_server.port))]

    result = probe_endpoint(NAME, tls_server.port, timeout=10, cafile=pki["cafile"], resolver=resolver)
    assert result["error_class"] is None
    assert result["dns"]["addresses"] == ["127.0.0.2", LOCAL]


def test_unexpected_socket_error_is_other():
    def factory(*args):
        raise RuntimeError("no sockets today")

    result = probe_endpoints([{"host": NAME, "port": 1}], timeout=5, resolver=_resolver(),
                             socket_factory=factory)[0]
    assert result["error_class"] == "other"
    assert "no sockets today" in result["tcp"]["error"]


def test_unreachable_network_is_other():
    class Unreachable(object):
        def __init__(self, *args):
            pass

        def settimeout(self, value):
            pass

        def connect(self, address):
            raise OSError(101, "Network is unreachable")

        def close(self):
            pass

    result = probe_endpoints([{"host": NAME, "port": 1}], timeout=5, resolver=_resolver(),
                             socket_factory=Unreachable)[0]
    assert result["error_class"] == "other"
    assert "Network is unreachable" in result["tcp"]["error"]


# --------------------------------------------------------------------------- concurrency and the deadline


def test_many_dead_endpoints_cost_one_timeout(full_backlog, closed_port, tls_server, pki):
    """Stuck resolvers, dropped SYNs and refusals together: every result is there and classified,
    and the call returned while the stuck resolvers were still stuck (it did not wait for them)."""
    release = threading.Event()
    stuck_calls = []

    def resolver(host, port):
        if host.startswith("stuck"):
            stuck_calls.append(host)
            release.wait(30)  # getaddrinfo that never answers within the deadline
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (LOCAL, port))]

    endpoints = ([{"host": "stuck%d.invalid" % n, "port": 443} for n in range(15)]
                 + [{"host": "dropped%d.invalid" % n, "port": full_backlog} for n in range(10)]
                 + [{"host": "refused%d.invalid" % n, "port": closed_port} for n in range(5)]
                 + [{"host": NAME, "port": tls_server.port}])
    timeout = 2.0
    started = time.monotonic()
    try:
        results = probe_endpoints(endpoints, timeout=timeout, cafile=pki["cafile"], resolver=resolver)
        returned_while_stuck = not release.is_set()
    finally:
        release.set()
    elapsed = time.monotonic() - started
    assert returned_while_stuck
    assert len(stuck_calls) == 15  # all started at once, none waited for another
    assert len(results) == len(endpoints)
    classes = [r["error_class"] for r in results]
    assert classes == ["timeout"] * 25 + ["refused"] * 5 + [None]
    for result in results[:15]:
        assert result["dns"] == {"ok": False, "addresses": [], "error": "timed out (no answer within 2 s)"}
        assert result["tcp"] is None and result["tls"] is None
    for result in results[15:25]:
        assert result["dns"]["ok"] is True and result["tcp"]["ok"] is False and result["tls"] is None
    # serial probing would take 25 timeouts; allow a very generous margin for a busy machine
    assert elapsed < 10 * timeout


def test_deadline_comes_from_the_injected_clock():
    """With a clock that jumps past the deadline, the waiting side gives up at once: the deadline
    is computed from the clock, not from sleeps."""
    release = threading.Event()
    both_started = threading.Barrier(2)
    ticks = [0.0]

    def clock():
        return ticks[0]

    def resolver(host, port):
        both_started.wait(10)
        ticks[0] = 100.0  # "time passes" while resolving
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "late")

    try:
        results = probe_endpoints([{"host": "a.invalid", "port": 1}, {"host": "b.invalid", "port": 1}],
                                  timeout=0.5, resolver=resolver, clock=clock)
        returned_while_stuck = not release.is_set()
    finally:
        release.set()
    assert returned_while_stuck
    assert [r["error_class"] for r in results] == ["timeout", "timeout"]
    assert [r["elapsed_ms"] for r in results] == [100000, 100000]


def test_results_keep_input_order_and_ignore_extra_keys(closed_port):
    endpoints = [{"purpose": "jrds", "index": 1, "host": "a.invalid", "port": closed_port, "source": "x"},
                 {"purpose": "agentsvc", "index": 1, "host": "nope.invalid", "port": closed_port, "source": "y"}]
    results = probe_endpoints(endpoints, timeout=5, resolver=_resolver("a.invalid"))
    assert [r["error_class"] for r in results] == ["refused", "dns"]


def test_no_endpoints_and_bad_timeout():
    assert probe_endpoints([], timeout=1) == []
    with pytest.raises(ValueError):
        probe_endpoints([{"host": "a.invalid", "port": 1}], timeout=0)


def test_probe_threads_are_daemons():
    release = threading.Event()

    def resolver(host, port):
        release.wait(30)
        return []

    try:
        probe_endpoints([{"host": "a.invalid", "port": 1}], timeout=0.2, resolver=resolver)
        stuck = [t for t in threading.enumerate() if t.name.startswith("hrw-probe-")]
        assert stuck and all(t.daemon for t in stuck)
    finally:
        release.set()


# --------------------------------------------------------------------------- certificate parsing and resolvers


def test_parse_certificate_names_and_times():
    ca = _CA("Issuing CA 04")
    subject = _name((NameOID.COUNTRY_NAME, "US"), (NameOID.STATE_OR_PROVINCE_NAME, "WA"),
                    (NameOID.LOCALITY_NAME, "Redmond"), (NameOID.ORGANIZATION_NAME, "Microsoft Corporation"),
                    (NameOID.ORGANIZATIONAL_UNIT_NAME, "Azure Automation"),
                    (NameOID.COMMON_NAME, "*.agentsvc.azure-automation.net"),
                    (NameOID.EMAIL_ADDRESS, "ops@example.invalid"))
    # after 2049 the validity is a GeneralizedTime rather than a UTCTime
    for not_after in (datetime.datetime(2027, 6, 27, 23, 59, 59, tzinfo=datetime.timezone.utc),
                      datetime.datetime(2051, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)):
        cert, _key = ca.issue(["x.invalid"], not_after=not_after, subject=subject)
        parsed = parse_certificate(cert.public_bytes(serialization.Encoding.DER))
        assert parsed == {
            "subject": "C=US, ST=WA, L=Redmond, O=Microsoft Corporation, OU=Azure Automation, "
                       "CN=*.agentsvc.azure-automation.net, emailAddress=ops@example.invalid",
            "issuer": "C=US, O=azure_hrw.doctor tests, CN=Issuing CA 04",
            "not_after": _iso(not_after),
        }


def test_parse_certificate_unicode_and_unknown_oid():
    ca = _CA("Zertifizierungsstelle \u00c4")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "h\u00f6st"),
                         x509.NameAttribute(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), "custom")])
    cert, _key = ca.issue(["x.invalid"], subject=subject)
    parsed = parse_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert parsed["subject"] == "CN=h\u00f6st, 1.3.6.1.4.1.99999.1=custom"
    assert parsed["issuer"].endswith("CN=Zertifizierungsstelle \u00c4")


def test_parse_certificate_rejects_garbage():
    with pytest.raises((ValueError, IndexError)):
        parse_certificate(b"\x30\x03\x02\x01\x01")


def test_static_resolver():
    resolve = static_resolver({"A.invalid": "127.0.0.1", "b.invalid": ["127.0.0.2", "::1"]})
    assert resolve("a.INVALID.", 443) == [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                                           ("127.0.0.1", 443))]
    assert [info[4][0] for info in resolve("b.invalid", 1)] == ["127.0.0.2", "::1"]
    assert resolve("b.invalid", 1)[1][0] == socket.AF_INET6
    with pytest.raises(socket.gaierror):
        resolve("c.invalid", 443)


def test_system_resolver_on_an_ip_literal_sends_nothing():
    # an IP literal is answered by getaddrinfo itself, without any DNS query
    infos = probe_mod.system_resolver(LOCAL, 443)
    assert infos and infos[0][4] == (LOCAL, 443)


# --------------------------------------------------------------------------- through an HTTP proxy (CONNECT)


PROXY_NAME = "proxy.contoso.invalid"


@pytest.fixture
def connect_proxy(tls_server):
    proxy = _proxies.ConnectProxy(routes={NAME: tls_server.port})
    yield proxy
    proxy.close()


def _via(proxy_port, **extra):
    spec = {"host": PROXY_NAME, "port": proxy_port, "user": None, "password": None}
    spec.update(extra)
    return spec


def test_through_a_connect_proxy(connect_proxy, pki):
    [result] = probe_endpoints([{"host": NAME, "port": 443, "proxy": _via(connect_proxy.port)}], timeout=10,
                               cafile=pki["cafile"], resolver=_resolver(PROXY_NAME))
    assert result["error_class"] is None
    assert result["dns"] == {"ok": True, "addresses": [LOCAL], "error": None}  # the proxy's name
    assert result["tls"]["ok"] is True and result["tls"]["subject"] == "CN=%s" % NAME
    assert result["proxy"] == {"host": PROXY_NAME, "port": connect_proxy.port, "ok": True, "status": 200,
                               "error": None}
    assert connect_proxy.requests[0].startswith("CONNECT %s:443 HTTP/1.1\r\n" % NAME)
    assert "proxy-authorization" not in connect_proxy.requests[0].lower()


def test_proxy_credentials_are_sent_but_never_echoed(tls_server, pki):
    proxy = _proxies.ConnectProxy(routes={NAME: tls_server.port}, auth=("svc-hrw", "S3cret!pw"))
    try:
        ok, bad = probe_endpoints(
            [{"host": NAME, "port": 443, "proxy": _via(proxy.port, user="svc-hrw", password="S3cret!pw")},
             {"host": NAME, "port": 443, "proxy": _via(proxy.port, user="svc-hrw", password="wrong-pw")}],
            timeout=10, cafile=pki["cafile"], resolver=_resolver(PROXY_NAME))
    finally:
        proxy.close()
    assert ok["error_class"] is None and ok["proxy"]["status"] == 200
    assert bad["error_class"] == "proxy"
    assert bad["proxy"]["ok"] is False and bad["proxy"]["status"] == 407
    assert "407" in bad["proxy"]["error"]
    assert bad["tls"] is None
    text = repr([ok, bad])
    assert "S3cret" not in text and "wrong-pw" not in text and "svc-hrw" not in text


def test_proxy_refusing_connect_is_proxy_class(tls_server, pki):
    proxy = _proxies.ConnectProxy(status=403)
    try:
        result = probe_endpoints([{"host": NAME, "port": 443, "proxy": _via(proxy.port)}], timeout=10,
                                 cafile=pki["cafile"], resolver=_resolver(PROXY_NAME))[0]
    finally:
        proxy.close()
    assert result["error_class"] == "proxy"
    assert result["proxy"]["status"] == 403


def test_dead_proxy_is_refused_at_the_proxy(closed_port, pki):
    result = probe_endpoints([{"host": NAME, "port": 443, "proxy": _via(closed_port)}], timeout=5,
                             cafile=pki["cafile"], resolver=_resolver(PROXY_NAME))[0]
    assert result["error_class"] == "refused"
    assert result["tcp"]["ok"] is False and ("127.0.0.1:%d" % closed_port) in result["tcp"]["error"]
    assert result["proxy"]["ok"] is None and result["tls"] is None


def test_blackholed_proxy_times_out_within_the_shared_deadline(full_backlog, pki):
    result = probe_endpoints([{"host": NAME, "port": 443, "proxy": _via(full_backlog)}], timeout=1.0,
                             cafile=pki["cafile"], resolver=_resolver(PROXY_NAME))[0]
    assert result["error_class"] == "timeout"


def test_intercepting_proxy_shows_its_own_issuer(pki, tmp_path):
    rogue = _CA("Contoso TLS Inspection CA", organization="Contoso Ltd")
    cert, key = rogue.issue([NAME])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_write_chain(tmp_path, "mitm", cert, key))
    proxy = _proxies.ConnectProxy(mitm=context)
    try:
        result = probe_endpoints([{"host": NAME, "port": 443, "proxy": _via(proxy.port)}], timeout=10,
                                 cafile=pki["cafile"], resolver=_resolver(PROXY_NAME))[0]
    finally:
        proxy.close()
    assert result["error_class"] == "tls"
    assert result["proxy"]["ok"] is True
    assert result["tls"]["ok"] is False
    assert "certificate verify failed" in result["tls"]["error"]
    assert result["tls"]["issuer"] == "C=US, O=Contoso Ltd, CN=Contoso TLS Inspection CA"


def test_direct_and_proxied_probes_share_one_call(connect_proxy, tls_server, pki, closed_port):
    direct, proxied, dead = probe_endpoints(
        [{"host": NAME, "port": tls_server.port},
         {"host": NAME, "port": 443, "proxy": _via(connect_proxy.port)},
         {"host": NAME, "port": 443, "proxy": _via(closed_port)}],
        timeout=10, cafile=pki["cafile"], resolver=_resolver(NAME, PROXY_NAME))
    assert "proxy" not in direct and direct["error_class"] is None
    assert proxied["error_class"] is None
    assert dead["error_class"] == "refused"
