"""Fake Azure endpoints of the lab, all on loopback in the root namespace.

Every lab host's /etc/hosts points the Azure names at one of three addresses:
  ok        127.<net>.2.1:443  a threaded TLS server (certificate from the lab's test CA); it is
                               also the agent service's fake worker registration (registration.py)
  refused   127.<net>.2.2      nothing listens: connect() fails at once with ECONNREFUSED
  blackhole 127.<net>.2.3:443  a listen(0) socket whose accept queue we fill with one
                               connection we never accept: Linux then drops further SYNs,
                               so connect() times out (no firewall tool needed)
and a host whose fault sets a proxy has one of these in its proxy.conf:
  proxy     127.<net>.2.4:3128 an HTTP CONNECT proxy: a tunnel to any lab name (SANS below)
                               goes to the ok server; it never resolves a name itself
  mitm      127.<net>.2.5:3128 a TLS-intercepting proxy: answers CONNECT and presents its own
                               certificate from a second CA ("Lab Intercepting Proxy CA")
                               that the hosts do not trust
Run as ``python -m tests.lab.endpoints serve STATE_DIR NET`` (lab.py starts and ends it).
"""
import base64
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import time

import socketserver
import threading

from . import PROXY_PASSWORD, PROXY_PORT, PROXY_USER, REPO_HOST, endpoint_ips, registration

# Names the collector derives (docs/adr/0001): agentsvc, ods, oms, jrds and registration,
# the account-specific records of the lab region (we) and Microsoft's internet check host.
SANS = ("*.agentsvc.azure-automation.net", "*.ods.opinsights.azure.com",
        "*.oms.opinsights.azure.com", "*.azure-automation.net",
        "*.agentsvc.we.azure-automation.net", "*.jrds.we.azure-automation.net", "bing.com", REPO_HOST)
PROXIED_SUFFIXES = (".azure-automation.net", ".opinsights.azure.com")
PROXIED_NAMES = ("bing.com",)
# proxy.conf of a proxied lab host holds PROXY_USER/PROXY_PASSWORD; both lab proxies require them.
PROXY_AUTH = "Basic " + base64.b64encode(("%s:%s" % (PROXY_USER, PROXY_PASSWORD)).encode()).decode()


def openssl(*args, cwd):
    subprocess.run(("openssl",) + args, cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(pki_dir):
    """Test CA plus the server certificate of the ok endpoint, made with the openssl CLI."""
    os.makedirs(pki_dir, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/O=azure_hrw.doctor lab/CN=Lab Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki_dir)
    with open(os.path.join(pki_dir, "server.ext"), "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + n for n in SANS) + "\n"
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=*.azure-automation.net", cwd=pki_dir)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-set_serial", str(int(time.time() * 1000)), "-days", "30", "-out", "server.crt",
            "-extfile", "server.ext", cwd=pki_dir)
    # The intercepting proxy's own CA (never added to a host's bundle) and its certificate.
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-keyout", "mitm-ca.key", "-out", "mitm-ca.crt",
            "-subj", "/O=Contoso Web Filter/CN=Lab Intercepting Proxy CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki_dir)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "mitm.key", "-out", "mitm.csr",
            "-subj", "/CN=*.azure-automation.net", cwd=pki_dir)
    openssl("x509", "-req", "-in", "mitm.csr", "-CA", "mitm-ca.crt", "-CAkey", "mitm-ca.key",
            "-set_serial", str(int(time.time() * 1000) + 1), "-days", "30", "-out", "mitm.crt",
            "-extfile", "server.ext", cwd=pki_dir)
    return os.path.join(pki_dir, "ca.crt")


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers like the services do without credentials: GET 200, anything else 403; the agent
    service's worker registration (PUT .../HybridV2(...), DELETE .../Hybrid(...)) is answered by
    the server's ``registry`` (tests/lab/registration.py)."""
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"

    def _answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        self._answer(200, {"status": "ok", "lab": True})

    do_HEAD = do_GET

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        registry = getattr(self.server, "registry", None)
        answer = registry.handle(self.command, self.path, self.headers, body) if registry else None
        if answer is None:  # not the agent service's registration paths
            self._answer(403, {"Message": "Authorization has been denied for this request."})
            return
        code, reason, content_type, data = answer
        self.send_response(code, reason)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_DELETE = do_PUT

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s %s\n" % (self.headers.get("Host") if self.headers else "-",
                                         self.client_address[0], fmt % args))


class TLSServer(http.server.ThreadingHTTPServer):
    """TLS handshake in the request thread, so one silent client never blocks accept()."""
    daemon_threads = True
    # a fleet's probes arrive together; socketserver's default backlog of 5 drops SYNs and the
    # kernel retries them a second later, which a short probe_timeout reports as a timeout
    request_queue_size = 256

    def __init__(self, address, context, registry=None):
        self.context = context
        self.registry = registry
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(10)
        with self.context.wrap_socket(request, server_side=True) as tls:
            Handler(tls, client_address, self)

    def handle_error(self, request, client_address):
        pass  # probes that close right after connect() are normal here


def proxied(name):
    """Whether the lab proxies open a tunnel to ``name`` (lab names only; nothing is resolved)."""
    name = name.lower().rstrip(".")
    return name in PROXIED_NAMES or name.endswith(PROXIED_SUFFIXES)


class ProxyHandler(socketserver.StreamRequestHandler):
    """HTTP CONNECT only. ``server.upstream`` is the ok server; ``server.mitm`` a TLS context or None."""

    def handle(self):
        self.request.settimeout(10)
        head = self.rfile.readline(8192).decode("latin-1")
        auth = None
        while True:
            line = self.rfile.readline(8192)
            if line in (b"\r\n", b"\n", b""):
                break
            key, _sep, value = line.decode("latin-1").partition(":")
            if key.strip().lower() == "proxy-authorization":
                auth = value.strip()
        parts = head.split()
        if len(parts) < 2 or parts[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        name = parts[1].rsplit(":", 1)[0]
        sys.stderr.write("%s CONNECT %s\n" % (self.client_address[0], parts[1]))
        if auth != PROXY_AUTH:
            self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"lab\"\r\nContent-Length: 0\r\n\r\n")
            return
        if not proxied(name):
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        if self.server.mitm is not None:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            with self.server.mitm.wrap_socket(self.request, server_side=True) as tls:
                Handler(tls, self.client_address, self.server)
            return
        upstream = socket.create_connection(self.server.upstream, timeout=10)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        pipe = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
        pipe.start()
        _pump(self.request, upstream)
        pipe.join(10)
        upstream.close()


def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # as TLSServer: the fleet's probes arrive together

    def __init__(self, address, upstream, mitm=None):
        self.upstream = upstream
        self.mitm = mitm
        super().__init__(address, ProxyHandler)

    def handle_error(self, request, client_address):
        pass  # probes that close early are normal here


def serve(state_dir, net):
    ips = endpoint_ips(net)
    pki = os.path.join(state_dir, "pki")
    hole = socket.socket()
    hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hole.bind((ips["blackhole"], 443))
    hole.listen(0)
    filler = socket.create_connection((ips["blackhole"], 443), timeout=5)  # fills the queue
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(pki, "server.crt"), os.path.join(pki, "server.key"))
    server = TLSServer((ips["ok"], 443), ctx, registry=registration.Registry(state_dir))
    mitm_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    mitm_ctx.load_cert_chain(os.path.join(pki, "mitm.crt"), os.path.join(pki, "mitm.key"))
    proxies = [ProxyServer((ips["proxy"], PROXY_PORT), (ips["ok"], 443)),
               ProxyServer((ips["mitm"], PROXY_PORT), (ips["ok"], 443), mitm=mitm_ctx)]
    for proxy in proxies:
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
    with open(os.path.join(state_dir, "run", "endpoints.ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    try:
        server.serve_forever()
    finally:
        for proxy in proxies:
            proxy.shutdown()
            proxy.server_close()
        filler.close()
        hole.close()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "serve":
        sys.exit("usage: python -m tests.lab.endpoints serve STATE_DIR NET")
    serve(sys.argv[2], int(sys.argv[3]))
