"""Plain requests (not watches) on kept-alive `http.client` connections.

A live scheduler posts a binding and an event per pod, thousands a second at best, on two
cores it shares with the API server. Through urllib3 a small request costs about 0.7 ms of
CPU (its per-request layers: URL parsing, header dicts, Retry and Timeout objects, a poll for
a dropped connection, a response wrapper with decoders); on a kept-alive `http.client`
connection with the same TLS settings it costs about 0.3 ms. The pool urllib3 was built with
(the official client's settings) says what those settings are; a setting this module does
not apply (a proxy, a TLS server name, socket options) keeps the request on urllib3."""

from __future__ import annotations

import collections
import http.client
import ssl
from urllib.parse import urlsplit

import urllib3

# What the official client puts in a pool's keywords that is applied here; any other
# keyword sends the request through urllib3.
_APPLIED = {"cert_reqs", "ca_certs", "cert_file", "key_file", "ca_cert_data", "maxsize", "retries"}


class Connections:
    """Idle connections to one server, reused most recent first; at most `size` kept."""

    def __init__(self, server: str, context: ssl.SSLContext | None, size: int):
        url = urlsplit(server)
        self.https = url.scheme == "https"
        self.host = url.hostname or ""
        self.port = url.port or (443 if self.https else 80)
        self.prefix = url.path.rstrip("/")
        self.context = context
        self.size = size
        self._idle: collections.deque = collections.deque()  # append/pop are atomic

    def request(self, method: str, target: str, body: bytes | None, headers: dict[str, str],
                timeout: float) -> tuple[int, bytes]:
        """(status, body) of one request; OSError or http.client.HTTPException when the
        server could not be reached or broke the exchange."""
        for attempt in (1, 2):
            try:
                connection, reused = self._idle.pop(), True
            except IndexError:
                connection, reused = self._connect(timeout), False
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
            try:
                connection.request(method, self.prefix + target, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                if reused and attempt == 1:
                    continue  # the server had closed the idle connection: once more on a new one
                raise
            except BaseException:
                connection.close()
                raise
            if response.will_close or len(self._idle) >= self.size:
                connection.close()
            else:
                self._idle.append(connection)
            return response.status, data
        raise AssertionError("unreachable")

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def close(self) -> None:
        while self._idle:
            try:
                self._idle.pop().close()
            except IndexError:
                return


def for_pool(server: str, pool: urllib3.PoolManager, size: int) -> Connections | None:
    """Connections with the TLS settings of `pool`, or None when it has one not applied here."""
    if type(pool) is not urllib3.PoolManager or not set(pool.connection_pool_kw) <= _APPLIED:
        return None
    url = urlsplit(server)
    if url.scheme not in ("http", "https"):
        return None
    return Connections(server, _context(pool.connection_pool_kw) if url.scheme == "https" else None, size)


def _context(settings: dict) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.get("cert_reqs") in (ssl.CERT_NONE, "CERT_NONE", "NONE"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.get("ca_certs") or settings.get("ca_cert_data"):
        context = _with_authority(context, settings)
    if settings.get("cert_file"):
        context.load_cert_chain(settings["cert_file"], settings.get("key_file"))
    return context


def _with_authority(context: ssl.SSLContext, settings: dict) -> ssl.SSLContext:
    """Only the given CA is trusted, as urllib3 does when given one."""
    only = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    only.check_hostname = context.check_hostname
    only.verify_mode = context.verify_mode
    data = settings.get("ca_cert_data")
    only.load_verify_locations(cafile=settings.get("ca_certs") or None,
                               cadata=data.decode() if isinstance(data, bytes) else data or None)
    return only
