"""A small HTTPS JSON client for the apiserver with a client certificate: enough to wait
for readiness, create thousands of nodes concurrently (one kept-alive connection per
thread) and watch them, without building the `kubernetes` package's model objects."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit


class RestClient:
    def __init__(self, server: str, *, ca: Path | None, cert: Path | None = None,
                 key: Path | None = None, timeout: float = 30.0):
        address = urlsplit(server)
        self.host = address.hostname or "127.0.0.1"
        self.port = address.port or 443
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=str(ca) if ca else None)
        if ca is None:  # a component's self-signed serving certificate, probed on loopback
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE
        if cert is not None:
            self.context.load_cert_chain(str(cert), str(key) if key else None)
        self._local = threading.local()

    def request(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        """Status and decoded JSON (or text) body. Retries once on a dropped keep-alive."""
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed a kept-alive connection: try a new one
                if attempt == 2:
                    raise
            except BaseException:
                self.close()
                raise
        text = data.decode(errors="replace")
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text

    def watch(self, path: str) -> Iterator[dict]:
        """The events of a watch request (`path` has watch=1), until the server ends it."""
        connection = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                                 timeout=self.timeout)
        try:
            connection.request("GET", path, headers={"Accept": "application/json"})
            response = connection.getresponse()
            if response.status != 200:
                raise http.client.HTTPException(f"watch {path}: HTTP {response.status}")
            for line in response:
                if line.strip():
                    yield json.loads(line)
        finally:
            connection.close()

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _connection(self) -> http.client.HTTPSConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                                     timeout=self.timeout)
            self._local.connection = connection
        return connection
