# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent, bounded endpoint probes: DNS -> TCP connect -> TLS handshake (verified).

Stdlib only, Python 3.8+ syntax. Runs on the target.

Each endpoint is probed in its own daemon thread; the caller waits on the
:class:`concurrent.futures.Future` of each probe up to one shared deadline, so the whole
phase costs about one ``timeout`` however many endpoints are dead. ``getaddrinfo`` cannot be
interrupted, so it runs in the worker thread; a probe still running at the deadline is
reported as ``timeout`` at the stage it had reached, and its thread is abandoned (daemon
threads never delay the module's exit).

A result is ``{dns, tcp, tls, elapsed_ms, error_class}`` (ADR 0001):

- ``dns``: ``{ok, addresses, error}``;
- ``tcp``: ``{ok, error}``, or None when DNS failed (not attempted);
- ``tls``: ``{ok, error, subject, issuer, not_after}``, or None when TCP failed. ``subject``,
  ``issuer`` (``"CN=..., O=..."``, attributes in certificate order) and ``not_after``
  (ISO-8601 UTC, ``Z``) describe the certificate the peer presented. When verification
  failed they come from a second, unverified handshake (so a TLS-intercepting proxy shows up
  as its own issuer) and ``error`` carries the verification error;
- ``elapsed_ms``: time spent on this endpoint;
- ``error_class``: None when TCP and TLS succeeded, else ``dns`` | ``refused`` | ``timeout``
  | ``tls`` | ``proxy`` | ``other``.

Through an HTTP proxy (an endpoint dict with a ``proxy`` key ``{host, port, user, password}``):
``dns`` and ``tcp`` are those of the *proxy* (the proxy resolves the endpoint's name), then an
HTTP ``CONNECT host:port`` (with ``Proxy-Authorization: Basic`` when ``user`` is set) opens the
tunnel the TLS handshake runs through. The result gets a ``proxy`` key
``{host, port, ok, status, error}`` (never the user or password); a CONNECT the proxy answers
with a non-2xx status (407, 403, 502, ...) or not at all is ``error_class: proxy`` (``timeout``
when it did not answer in time). Credentials are never put in an error text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import concurrent.futures
import errno
import math
import socket
import ssl
import threading
import time

ERROR_CLASSES = ("dns", "refused", "timeout", "tls", "proxy", "other")

#: At most this many bytes of a proxy's answer to CONNECT are read.
_MAX_CONNECT_REPLY = 65536

#: At most this many resolved addresses are tried for one endpoint.
MAX_ADDRESSES = 4

#: Extra time the caller waits after the deadline for probes to report their own timeout.
_GRACE_MAX = 0.25

_TIMEOUT_ERRORS = (socket.timeout, TimeoutError)


# --------------------------------------------------------------------------- resolvers


def system_resolver(host, port):
    """The default resolver: ``socket.getaddrinfo(host, port, 0, SOCK_STREAM)``."""
    return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)


def static_resolver(mapping):
    """Return a resolver that answers from ``mapping`` (host name -> list of IP literals).

    Names are matched case-insensitively; an unknown name raises :class:`socket.gaierror`
    (``EAI_NONAME``) as getaddrinfo would. For tests and the lab: it sends no traffic.
    """
    table = {}
    for name, addresses in mapping.items():
        if isinstance(addresses, str):
            addresses = [addresses]
        table[name.lower().rstrip(".")] = list(addresses)

    def resolve(host, port):
        addresses = table.get(host.lower().rstrip("."))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        infos = []
        for address in addresses:
            if ":" in address:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port)))
        return infos

    return resolve


# --------------------------------------------------------------------------- certificates

_NAME_OIDS = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.42": "GN",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
}


def _der_item(data, pos):
    """Read one DER TLV at ``pos``: returns ``(tag, start, end)`` of its contents."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, pos, end


def _der_children(data, start, end):
    items = []
    pos = start
    while pos < end:
        item = _der_item(data, pos)
        items.append(item)
        pos = item[2]
    return items


def _der_oid(raw):
    if not raw:
        return ""
    first = raw[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _der_string(tag, raw):
    if tag == 0x1E:
        return raw.decode("utf-16-be", "replace")
    if tag == 0x1C:
        return raw.decode("utf-32-be", "replace")
    if tag == 0x14:
        return raw.decode("latin-1")
    return raw.decode("utf-8", "replace")


def _der_name(data, start, end):
    rdns = []
    for _tag, s_start, s_end in _der_children(data, start, end):
        attributes = []
        for _t, a_start, a_end in _der_children(data, s_start, s_end):
            children = _der_children(data, a_start, a_end)
            if len(children) < 2:
                continue
            oid = _der_oid(data[children[0][1]:children[0][2]])
            v_tag, v_start, v_end = children[1]
            attributes.append("%s=%s" % (_NAME_OIDS.get(oid, oid), _der_string(v_tag, data[v_start:v_end])))
        if attributes:
            rdns.append("+".join(attributes))
    return ", ".join(rdns)


def _der_time(tag, raw):
    text = raw.decode("ascii", "replace").rstrip("Z")
    if tag == 0x17:  # UTCTime YYMMDDHHMM[SS]
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    digits = (text + "00")[:14]
    return "%s-%s-%sT%s:%s:%sZ" % (digits[0:4], digits[4:6], digits[6:8], digits[8:10], digits[10:12], digits[12:14])


def parse_certificate(der):
    """Parse a DER certificate into ``{subject, issuer, not_after}`` (strings).

    A minimal X.509 reader (stdlib only): names are ``"CN=x, O=y"`` with attributes in
    certificate order (multi-valued RDNs joined with ``+``); ``not_after`` is ISO-8601 UTC.
    Raises ValueError (or IndexError) on a malformed certificate.
    """
    data = bytes(der)
    _tag, c_start, c_end = _der_item(data, 0)
    _tag, t_start, t_end = _der_item(data, c_start)
    fields = _der_children(data, t_start, t_end)
    if fields and fields[0][0] == 0xA0:  # explicit version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject
    if len(fields) < 5:
        raise ValueError("not an X.509 certificate")
    issuer = _der_name(data, fields[2][1], fields[2][2])
    validity = _der_children(data, fields[3][1], fields[3][2])
    subject = _der_name(data, fields[4][1], fields[4][2])
    v_tag, v_start, v_end = validity[1]
    return {"subject": subject, "issuer": issuer, "not_after": _der_time(v_tag, data[v_start:v_end])}


# --------------------------------------------------------------------------- one probe


def _describe(exc):
    text = str(exc)
    name = type(exc).__name__
    return "%s: %s" % (name, text) if text else name


def _tcp_error_class(exc):
    if isinstance(exc, _TIMEOUT_ERRORS):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, OSError) and exc.errno == errno.ETIMEDOUT:
        return "timeout"
    if isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED:
        return "refused"
    return "other"


def _sockaddr_text(sockaddr):
    if len(sockaddr) > 2:
        return "[%s]:%s" % (sockaddr[0], sockaddr[1])
    return "%s:%s" % (sockaddr[0], sockaddr[1])


def _empty_tls():
    return {"ok": False, "error": None, "subject": None, "issuer": None, "not_after": None}


class _Probe(object):
    """One endpoint's probe, run in its own thread; ``abandon()`` snapshots it at the deadline."""

    def __init__(self, host, port, deadline, options, proxy=None):
        self.host = host
        self.port = port
        self.proxy = proxy
        self.deadline = deadline
        self.options = options
        self.future = concurrent.futures.Future()
        self._lock = threading.Lock()
        self._abandoned = False
        self._stage = "dns"
        self._start = None
        self._result = {"dns": None, "tcp": None, "tls": None, "elapsed_ms": None, "error_class": None}
        if proxy:
            self._result["proxy"] = {"host": proxy.get("host"), "port": proxy.get("port"), "ok": None,
                                     "status": None, "error": None}

    # -- state shared with the waiting thread

    def _set(self, key, value, stage=None):
        with self._lock:
            if self._abandoned:
                return
            self._result[key] = value
            if stage is not None:
                self._stage = stage

    def _stage_to(self, stage):
        with self._lock:
            self._stage = stage

    def _remaining(self):
        return self.deadline - self.options["clock"]()

    def _finish(self, error_class):
        clock = self.options["clock"]
        with self._lock:
            self._result["error_class"] = error_class
            self._result["elapsed_ms"] = int(round((clock() - self._start) * 1000))
            return dict(self._result)

    def abandon(self):
        """Called at the deadline for a probe that has not finished: report it as a timeout."""
        clock = self.options["clock"]
        timeout = self.options["timeout"]
        message = "timed out (no answer within %g s)" % timeout
        with self._lock:
            self._abandoned = True
            result = dict(self._result)
            stage = self._stage
            start = self._start if self._start is not None else clock()
        error_class = "timeout"
        if stage == "dns":
            result["dns"] = {"ok": False, "addresses": [], "error": message}
        elif stage == "tcp":
            result["tcp"] = {"ok": False, "error": message}
        elif stage == "proxy":
            result["proxy"] = dict(result.get("proxy") or {}, ok=False, error="CONNECT " + message)
        elif stage == "tls":
            tls = _empty_tls()
            tls["error"] = message
            result["tls"] = tls
        else:  # "tls_detail": the handshake already failed; only its details were pending
            error_class = result.get("error_class") or "tls"
        result["error_class"] = error_class
        result["elapsed_ms"] = int(round((clock() - start) * 1000))
        return result

    # -- the probe itself

    def run(self):
        try:
            result = self._run()
        except Exception as exc:  # a bug or an odd socket: report it, never leave the future unset
            message = "unexpected %s" % _describe(exc)
            with self._lock:
                stage = self._stage
            if self._start is None:
                self._start = self.options["clock"]()
            if stage == "dns":
                self._set("dns", {"ok": False, "addresses": [], "error": message})
            elif stage == "tcp":
                self._set("tcp", {"ok": False, "error": message})
            elif stage == "proxy":
                self._set("proxy", dict(self._result.get("proxy") or {}, ok=False, error=message))
            elif stage == "tls":
                tls = _empty_tls()
                tls["error"] = message
                self._set("tls", tls)
            result = self._finish("other")
        self.future.set_result(result)

    def _run(self):
        clock = self.options["clock"]
        self._start = clock()
        resolver = self.options["resolver"]
        name, number = (self.proxy["host"], int(self.proxy["port"])) if self.proxy else (self.host, self.port)
        try:
            infos = list(resolver(name, number))
        except _TIMEOUT_ERRORS as exc:
            self._set("dns", {"ok": False, "addresses": [], "error": _describe(exc)})
            return self._finish("timeout")
        except Exception as exc:  # gaierror, UnicodeError (bad IDNA name), ...
            self._set("dns", {"ok": False, "addresses": [], "error": _describe(exc)})
            return self._finish("dns")
        candidates = []
        addresses = []
        for info in infos:
            sockaddr = info[4]
            if sockaddr[0] not in addresses:
                addresses.append(sockaddr[0])
            if len(candidates) < MAX_ADDRESSES and all(c[4] != sockaddr for c in candidates):
                candidates.append(info)
        if not candidates:
            self._set("dns", {"ok": False, "addresses": [], "error": "no address for %s" % name})
            return self._finish("dns")
        self._set("dns", {"ok": True, "addresses": addresses, "error": None}, stage="tcp")

        sock, connected_info, tcp_class = self._connect(candidates)
        if sock is None:
            return self._finish(tcp_class)
        try:
            if self.proxy:
                self._stage_to("proxy")
                proxy_class = self._tunnel(sock)
                if proxy_class is not None:
                    return self._finish(proxy_class)
            self._stage_to("tls")
            return self._handshake(sock, connected_info)
        finally:
            sock.close()

    def _connect_request(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        target = "%s:%d" % (host, self.port)
        lines = ["CONNECT %s HTTP/1.1" % target, "Host: %s" % target]
        user = self.proxy.get("user")
        if user is not None:
            secret = "%s:%s" % (user, self.proxy.get("password") or "")
            lines.append("Proxy-Authorization: Basic %s" % base64.b64encode(secret.encode("utf-8")).decode("ascii"))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def _open_tunnel(self, sock):
        """Send CONNECT on ``sock`` and read the proxy's answer: ``(status or None, error or None)``."""
        sock.settimeout(max(self._remaining(), 0.001))
        sock.sendall(self._connect_request())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return None, "the proxy closed the connection without answering CONNECT"
            data += chunk
            if len(data) > _MAX_CONNECT_REPLY:
                return None, "the proxy's answer to CONNECT is longer than %d bytes" % _MAX_CONNECT_REPLY
        status_line = data.split(b"\r\n", 1)[0].decode("latin-1")[:200]
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            return None, "not an HTTP answer to CONNECT: %r" % status_line
        status = int(parts[1])
        if not 200 <= status < 300:
            return status, "the proxy answered CONNECT with %s" % status_line
        return status, None

    def _tunnel(self, sock):
        """CONNECT through the proxy; records ``proxy``; returns an error class or None."""
        proxy = dict(self._result.get("proxy") or {})
        try:
            status, error = self._open_tunnel(sock)
        except _TIMEOUT_ERRORS as exc:
            proxy.update(ok=False, error="CONNECT %s" % _describe(exc))
            self._set("proxy", proxy)
            return "timeout"
        except OSError as exc:
            proxy.update(ok=False, error="CONNECT %s" % _describe(exc))
            self._set("proxy", proxy)
            return "proxy"
        proxy.update(ok=error is None, status=status, error=error)
        self._set("proxy", proxy)
        return None if error is None else "proxy"

    def _connect(self, candidates):
        factory = self.options["socket_factory"]
        failures = []
        for position, info in enumerate(candidates):
            family, socktype, proto, _canon, sockaddr = info
            remaining = self._remaining()
            if remaining <= 0:
                failures.append(("timeout", "%s: no time left" % _sockaddr_text(sockaddr)))
                break
            sock = None
            try:
                sock = factory(family, socktype or socket.SOCK_STREAM, proto)
                sock.settimeout(remaining / (len(candidates) - position))
                sock.connect(sockaddr)
            except Exception as exc:
                if sock is not None:
                    sock.close()
                failures.append((_tcp_error_class(exc), "%s: %s" % (_sockaddr_text(sockaddr), _describe(exc))))
                continue
            self._set("tcp", {"ok": True, "error": None})
            return sock, info, None
        classes = [c for c, _text in failures]
        error_class = "other"
        for candidate in ("timeout", "refused"):
            if candidate in classes:
                error_class = candidate
                break
        self._set("tcp", {"ok": False, "error": "; ".join(text for _c, text in failures)})
        return None, None, error_class

    def _handshake(self, sock, info):
        tls = _empty_tls()
        context = self.options["context"]
        try:
            sock.settimeout(max(self._remaining(), 0.001))
            tls_sock = context.wrap_socket(sock, server_hostname=self.host)
            try:
                der = tls_sock.getpeercert(binary_form=True)
            finally:
                tls_sock.close()
        except ssl.SSLCertVerificationError as exc:
            tls["error"] = _describe(exc)
            self._set("tls", dict(tls), stage="tls_detail")
            with self._lock:
                self._result["error_class"] = "tls"
            tls.update(self._presented_certificate(info))
            self._set("tls", tls)
            return self._finish("tls")
        except _TIMEOUT_ERRORS as exc:
            tls["error"] = _describe(exc)
            self._set("tls", tls)
            return self._finish("timeout")
        except (ssl.SSLError, OSError) as exc:
            # includes resets and EOF during the handshake (middleboxes, SNI filters)
            tls["error"] = _describe(exc)
            self._set("tls", tls)
            return self._finish("tls")
        tls["ok"] = True
        if der:
            try:
                tls.update(parse_certificate(der))
            except (ValueError, IndexError):
                pass
        self._set("tls", tls)
        return self._finish(None)

    def _presented_certificate(self, info):
        """Second, unverified handshake to learn who presented the rejected certificate."""
        remaining = self._remaining()
        if remaining <= 0:
            return {}
        family, socktype, proto, _canon, sockaddr = info
        sock = None
        try:
            sock = self.options["socket_factory"](family, socktype or socket.SOCK_STREAM, proto)
            sock.settimeout(remaining)
            sock.connect(sockaddr)
            if self.proxy and self._open_tunnel(sock)[1] is not None:
                return {}
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            tls_sock = context.wrap_socket(sock, server_hostname=self.host)
            sock = tls_sock
            der = tls_sock.getpeercert(binary_form=True)
            return parse_certificate(der) if der else {}
        except Exception:
            return {}
        finally:
            if sock is not None:
                sock.close()


# --------------------------------------------------------------------------- public API


def probe_endpoints(endpoints, timeout=3.0, cafile=None, resolver=None, clock=None, socket_factory=None):
    """Probe endpoints concurrently; the whole call takes about ``timeout`` seconds at most.

    :param endpoints: iterable of dicts with at least ``host`` and ``port`` and optionally
        ``proxy`` (``{host, port, user, password}``: probe through that HTTP proxy with CONNECT);
        other keys (e.g. ``purpose``/``index``/``source``) are ignored.
    :param timeout: seconds (> 0) shared by DNS, TCP and TLS of every endpoint.
    :param cafile: CA bundle for verification instead of the system store (tests).
    :param resolver: ``resolver(host, port)`` returning getaddrinfo-style 5-tuples (tests:
        :func:`static_resolver`); default :func:`system_resolver`.
    :param clock: monotonic clock in seconds (default :func:`time.monotonic`).
    :param socket_factory: ``socket_factory(family, type, proto)`` (default ``socket.socket``).
    :returns: list of results ``{dns, tcp, tls, elapsed_ms, error_class}`` in input order.
    """
    endpoints = list(endpoints)
    if not endpoints:
        return []
    timeout = float(timeout)
    if math.isnan(timeout) or timeout <= 0:
        raise ValueError("timeout must be > 0, got %r" % (timeout,))
    clock = clock or time.monotonic
    options = {
        "timeout": timeout,
        "clock": clock,
        "resolver": resolver or system_resolver,
        "socket_factory": socket_factory or socket.socket,
        "context": ssl.create_default_context(cafile=cafile),
    }
    deadline = clock() + timeout
    probes = []
    for number, endpoint in enumerate(endpoints):
        probe = _Probe(endpoint["host"], int(endpoint["port"]), deadline, options, endpoint.get("proxy"))
        thread = threading.Thread(target=probe.run, name="hrw-probe-%d" % number)
        thread.daemon = True  # a resolver stuck past the deadline must not delay exit
        probes.append(probe)
        thread.start()
    grace = min(_GRACE_MAX, timeout / 10.0)
    futures = [p.future for p in probes]
    concurrent.futures.wait(futures, timeout=max(0.0, deadline + grace - clock()))
    results = []
    for probe in probes:
        if probe.future.done():
            results.append(probe.future.result())
        else:
            results.append(probe.abandon())
    return results


def probe_endpoint(host, port=443, **kwargs):
    """Probe one endpoint; keyword arguments as :func:`probe_endpoints`."""
    return probe_endpoints([{"host": host, "port": port}], **kwargs)[0]
