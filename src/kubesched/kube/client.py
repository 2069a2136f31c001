"""Raw JSON requests to the API server: no model object is ever built. Requests go through
kept-alive connections with the official client's TLS settings (`kubesched.kube.connections`;
watches and proxied requests through its urllib3 pool) and the credentials of
`kubesched.kube.credentials`; a token bucket enforces the client's QPS and burst, as
client-go's rate limiter does."""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlencode

import orjson
import urllib3

from kubesched.kube import connections as lean
from kubesched.kube import credentials as creds
from kubesched.kube.source import resolve

DEFAULT_QPS = 5000.0
DEFAULT_BURST = 5000
REQUEST_TIMEOUT = 30.0


class ApiError(Exception):
    """A non-2xx answer; `status` is 0 when the server could not be reached."""

    def __init__(self, status: int, body: object = None, reason: str = ""):
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else None
        super().__init__(f"{status} {message or reason or body}")


class RateLimiter:
    """A token bucket: `qps` tokens a second, at most `burst` saved up."""

    def __init__(self, qps: float, burst: int):
        self.qps = qps
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if self.qps <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.qps if self._tokens < 0 else 0.0
        if wait:
            time.sleep(wait)


class Kube:
    """Where the API server is and how to talk to it."""

    def __init__(self, credentials: creds.Credentials, limiter: RateLimiter | None = None,
                 timeout: float = REQUEST_TIMEOUT):
        self.credentials = credentials
        self.limiter = limiter or RateLimiter(0, 1)
        self.timeout = timeout
        self._connections: tuple[object, lean.Connections | None] | None = None  # (the pool, its lean twin)

    @property
    def server(self) -> str:
        return self.credentials.current().server

    def request(self, method: str, path: str, body: object = None, *, query: dict | None = None,
                content_type: str = "application/json", timeout: float | None = None) -> object:
        """One request; the decoded JSON answer, or ApiError."""
        self.limiter.acquire()
        suffix = path + ("?" + urlencode(query) if query else "")
        data = None if body is None else orjson.dumps(body)
        for attempt in (1, 2):
            used = self.credentials.current()
            headers = used.headers if data is None else {**used.headers, "Content-Type": content_type}
            connections = self._lean(used)
            try:
                if connections is not None:
                    status, answer = connections.request(method, suffix, data, headers, timeout or self.timeout)
                else:
                    response = used.pool.request(method, used.server + suffix, body=data, headers=headers,
                                                 timeout=timeout or self.timeout, retries=False)
                    status, answer = response.status, response.data
            except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as error:
                raise ApiError(0, reason=str(error)) from None
            if status == 401 and attempt == 1 and self.credentials.unauthorized(used):
                continue  # the credential was renewed: once more with it
            payload = _decode(answer)
            if not 200 <= status < 300:
                raise ApiError(status, payload)
            return payload

    def _lean(self, used: creds.Loaded) -> lean.Connections | None:
        """The kept-alive connections for `used`'s pool (new when the TLS settings changed)."""
        known = self._connections
        if known is None or known[0] is not used.pool:
            if known is not None and known[1] is not None:
                known[1].close()
            known = self._connections = (used.pool, lean.for_pool(used.server, used.pool,
                                                                  self.credentials.connections))
        return known[1]

    def close(self) -> None:
        """Close the kept-alive connections."""
        self.credentials.current().pool.clear()
        if self._connections is not None and self._connections[1] is not None:
            self._connections[1].close()

    def answers(self, path: str) -> bool:
        """True when a GET of `path` (a health endpoint) answers 2xx."""
        try:
            self.request("GET", path)
            return True
        except ApiError:
            return False

    def stream(self, path: str, query: dict, timeout: float) -> urllib3.BaseHTTPResponse:
        """A streaming GET (a watch); the caller reads lines and releases the connection."""
        self.limiter.acquire()
        for attempt in (1, 2):
            used = self.credentials.current()
            try:
                response = used.pool.request(
                    "GET", used.server + path + "?" + urlencode(query), headers=used.headers,
                    preload_content=False, timeout=urllib3.Timeout(connect=10, read=timeout),
                    retries=False)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise ApiError(0, reason=str(error)) from None
            if response.status == 200:
                return response
            payload = _decode(response.data)
            response.release_conn()
            if response.status == 401 and attempt == 1 and self.credentials.unauthorized(used):
                continue
            raise ApiError(response.status, payload)
        raise AssertionError("unreachable")


def _decode(data: bytes) -> object:
    if not data:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode(errors="replace")


def connect(kubeconfig: str | None = None, context: str | None = None, *, qps: float = DEFAULT_QPS,
            burst: int = DEFAULT_BURST, connections: int = 64) -> Kube:
    """A client for the kubeconfig resolved as client-go resolves it (see `source`);
    InputError when it cannot be used."""
    load, periodic = creds.loader_for(resolve(kubeconfig, context))
    return Kube(creds.Credentials(load, connections, periodic=periodic), RateLimiter(qps, burst))


def connect_with_files(server: str, *, ca: str | None, cert: str | None = None,
                       key: str | None = None, timeout: float = REQUEST_TIMEOUT) -> Kube:
    """A client with a client certificate given as files (the local plane's admin)."""
    return Kube(creds.static(server, ca=ca, cert=cert, key=key), timeout=timeout)
