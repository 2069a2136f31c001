"""Raw JSON requests to the API server over the official client's connection pool.

The official client reads the kubeconfig (or the in-cluster service account) and owns the
TLS settings; requests go straight through its urllib3 pool, so no model object is ever
built. A token bucket enforces `--kube-api-qps` / `--kube-api-burst`."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson
import urllib3

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


@dataclass
class Kube:
    """Where the API server is and how to talk to it."""

    server: str
    pool: urllib3.PoolManager
    headers: dict[str, str]
    limiter: RateLimiter

    def request(self, method: str, path: str, body: object = None, *, query: dict | None = None,
                content_type: str = "application/json", timeout: float = REQUEST_TIMEOUT) -> object:
        """One request; the decoded JSON answer, or ApiError."""
        self.limiter.acquire()
        url = self.server + path + ("?" + urlencode(query) if query else "")
        headers = self.headers
        data = None
        if body is not None:
            headers = {**headers, "Content-Type": content_type}
            data = orjson.dumps(body)
        try:
            response = self.pool.request(method, url, body=data, headers=headers,
                                         timeout=timeout, retries=False)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ApiError(0, reason=str(error)) from None
        payload = _decode(response.data)
        if not 200 <= response.status < 300:
            raise ApiError(response.status, payload)
        return payload

    def stream(self, path: str, query: dict, timeout: float) -> urllib3.BaseHTTPResponse:
        """A streaming GET (a watch); the caller reads lines and releases the connection."""
        self.limiter.acquire()
        url = self.server + path + "?" + urlencode(query)
        try:
            response = self.pool.request("GET", url, headers=self.headers, preload_content=False,
                                         timeout=urllib3.Timeout(connect=10, read=timeout),
                                         retries=False)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ApiError(0, reason=str(error)) from None
        if response.status != 200:
            payload = _decode(response.data)
            response.release_conn()
            raise ApiError(response.status, payload)
        return response


def _decode(data: bytes) -> object:
    if not data:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode(errors="replace")


def connect(kubeconfig: str | None, qps: float = DEFAULT_QPS, burst: int = DEFAULT_BURST,
            connections: int = 64) -> Kube:
    """A client from a kubeconfig file, or from the pod's service account when None."""
    from kubernetes import client, config

    configuration = client.Configuration()
    if kubeconfig:
        config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    else:
        config.load_incluster_config(client_configuration=configuration)
    configuration.connection_pool_maxsize = connections
    api_client = client.ApiClient(configuration)
    headers = {"Accept": "application/json", "User-Agent": "kubesched"}
    for setting in configuration.auth_settings().values():
        if setting["in"] == "header" and setting["value"]:
            headers[setting["key"]] = setting["value"]
    return Kube(configuration.host.rstrip("/"), api_client.rest_client.pool_manager, headers,
                RateLimiter(qps, burst))
