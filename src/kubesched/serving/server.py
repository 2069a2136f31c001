"""A bounded HTTP(S) server for /metrics, /healthz, /livez and /readyz.

One event loop on its own thread holds every connection, so idle clients cost a socket, not
a thread; at most `MAX_CONNECTIONS` are open at once past their TLS handshake (more are
closed on arrival); each gets `CONNECTION_TIMEOUT` seconds for its handshake and as many
for its one request. A client that
goes away mid-request is logged at -v=4, never with a traceback.

Over HTTPS every path but the always-allowed ones (health) is checked with the API server
(`delegated.Delegated`, on a small pool of threads); plain HTTP, which only an explicit
address turns on, is not."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

from kubesched.logs import V
from kubesched.serving.delegated import Delegated

log = logging.getLogger("kubesched.serving")

MAX_CONNECTIONS = 512
CHECK_WORKERS = 4
BACKLOG = 128
CONNECTION_TIMEOUT = 10.0
MAX_HEADER_LINES = 100
LINE_LIMIT = 16 * 1024
ALWAYS_ALLOWED = ("/healthz", "/readyz", "/livez")
HEALTH = ("/healthz", "/livez")


class Endpoints:
    """What the server answers: `metrics()` → (body, content type); `ready()` → bool."""

    def __init__(self, metrics: Callable[[], tuple[bytes, str]], ready: Callable[[], bool]):
        self.metrics = metrics
        self.ready = ready


class BoundedServer:
    def __init__(self, address: str, endpoints: Endpoints, *, tls: ssl.SSLContext | None = None,
                 delegated: Delegated | None = None, always_allowed: tuple[str, ...] = ALWAYS_ALLOWED,
                 max_connections: int = MAX_CONNECTIONS):
        host, _, port = address.rpartition(":")
        self.endpoints = endpoints
        self.tls = tls
        self.delegated = delegated
        self.always_allowed = always_allowed
        self.max_connections = max_connections
        self.open_connections = 0
        self._checks = ThreadPoolExecutor(max_workers=CHECK_WORKERS, thread_name_prefix="serving-auth")
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_quiet)
        started = self._loop.run_until_complete(asyncio.start_server(
            self._connection, host.strip("[]") or "0.0.0.0", int(port), ssl=tls,
            ssl_handshake_timeout=CONNECTION_TIMEOUT if tls else None, backlog=BACKLOG,
            limit=LINE_LIMIT))  # raises OSError when the port is taken
        self._server = started
        bound = started.sockets[0].getsockname()
        self.address = f"[{bound[0]}]:{bound[1]}" if ":" in bound[0] else f"{bound[0]}:{bound[1]}"
        self._thread = threading.Thread(target=self._loop.run_forever, name="serving", daemon=True)
        self._thread.start()

    def close(self) -> None:
        async def stop():
            self._server.close()
            await self._server.wait_closed()
        try:
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=2)
        except Exception:  # noqa: BLE001 (connections still open at exit are dropped)
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)
        self._checks.shutdown(wait=False, cancel_futures=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?",)
        if self.open_connections >= self.max_connections:
            writer.close()
            return
        self.open_connections += 1
        try:
            await asyncio.wait_for(self._serve(reader, writer), CONNECTION_TIMEOUT)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError, ssl.SSLError, OSError, ValueError) as error:
            log.log(V(4), "connection from %s ended: %s", peer[0], error or type(error).__name__)
        finally:
            self.open_connections -= 1
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode("latin-1").strip()
        if not request_line:
            return  # closed before asking anything
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts = request_line.split()
        if len(parts) != 3 or parts[0] not in ("GET", "HEAD"):
            await _answer(writer, 405 if len(parts) == 3 else 400, b"")
            return
        path = parts[1].split("?", 1)[0]
        if self.tls is not None and self.delegated is not None and path not in self.always_allowed:
            status, reason = await asyncio.get_running_loop().run_in_executor(
                self._checks, self.delegated.check, headers.get("authorization"), path)
            if status != 200:
                await _answer(writer, status, reason.encode())
                return
        if path == "/metrics":
            body, content_type = self.endpoints.metrics()
            await _answer(writer, 200, body, content_type, head=parts[0] == "HEAD")
        elif path in HEALTH:
            await _answer(writer, 200, b"ok")
        elif path == "/readyz":
            ok = self.endpoints.ready()
            await _answer(writer, 200 if ok else 503, b"ok" if ok else b"informers not synced")
        else:
            await _answer(writer, 404, b"404 page not found")


async def _answer(writer: asyncio.StreamWriter, status: int, body: bytes,
                  content_type: str = "text/plain; charset=utf-8", head: bool = False) -> None:
    phrase = HTTPStatus(status).phrase
    writer.write((f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {content_type}\r\n"
                  f"Content-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\n"
                  f"Connection: close\r\n\r\n").encode("latin-1") + (b"" if head else body))
    await writer.drain()


def _quiet(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Failed handshakes and reset connections reach the loop's handler: -v=4, no traceback."""
    log.log(V(4), "serving: %s", context.get("exception") or context.get("message"))
