# -*- coding: utf-8 -*-
"""Tiny loopback servers for the unit tests (never resolve a name, never leave loopback).

- :class:`LoopbackServer`: the accept loop every test server here and in test_probe.py shares.
- :class:`ConnectProxy`: answers ``CONNECT name:port`` by connecting to ``routes[name]`` (a
  loopback port) and relaying bytes; optional basic authentication (407 otherwise); records
  every request head it received.
- ``mitm=context``: answers ``CONNECT`` with 200 and then terminates TLS itself with
  ``context`` (a certificate from a CA the client does not trust), as a TLS-intercepting proxy.
"""

import base64
import socket
import threading

LOCAL = "127.0.0.1"


class LoopbackServer(object):
    """A listening socket on 127.0.0.1 (a free port) served by a daemon thread: each accepted
    connection goes to :meth:`accepted`, which by default handles it in a thread of its own."""

    backlog = 32

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOCAL, 0))
        self.sock.listen(self.backlog)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted(conn)

    def accepted(self, conn):
        threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


class ConnectProxy(LoopbackServer):
    def __init__(self, routes=None, auth=None, mitm=None, status=None):
        self.routes = dict(routes or {})
        self.auth = auth
        self.mitm = mitm
        self.status = status  # force this answer to every CONNECT (e.g. 403)
        self.requests = []
        super(ConnectProxy, self).__init__()

    def _handle(self, conn):
        conn.settimeout(5)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            text = head.decode("latin-1")
            self.requests.append(text)
            lines = text.split("\r\n")
            method, target = lines[0].split()[:2]
            headers = dict((k.strip().lower(), v.strip()) for k, _s, v in
                           (line.partition(":") for line in lines[1:] if line))
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            if self.status:
                conn.sendall(("HTTP/1.1 %d Forbidden\r\nContent-Length: 0\r\n\r\n" % self.status).encode())
                return
            if self.auth:
                expected = "Basic " + base64.b64encode(("%s:%s" % self.auth).encode()).decode()
                if headers.get("proxy-authorization") != expected:
                    conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 b"Proxy-Authenticate: Basic realm=\"lab\"\r\nContent-Length: 0\r\n\r\n")
                    return
            name = target.rsplit(":", 1)[0]
            if self.mitm is not None:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                tls = self.mitm.wrap_socket(conn, server_side=True)
                tls.recv(1)
                tls.close()
                return
            port = self.routes.get(name)
            if port is None:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection((LOCAL, port), timeout=5)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._relay(conn, upstream)
        except (OSError, ValueError):
            pass
        finally:
            conn.close()

    @staticmethod
    def _relay(client, upstream):
        def pump(src, dst):
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
        other = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        other.start()
        pump(client, upstream)
        other.join(5)
        upstream.close()
