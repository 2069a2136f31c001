"""List, then watch, one resource as raw JSON: resourceVersion, bookmarks, re-list on 410 Gone.

Every change is handed to `handler(event_type, obj)` with event_type ADDED, MODIFIED or
DELETED (objects are plain dicts, never client models). After a re-list, objects that
vanished meanwhile are reported DELETED, so nothing is missed. Errors back off from
0.2 s up to 30 s, then the watch resumes from the last resourceVersion seen."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import orjson
import urllib3

from kubesched.kube import ApiError, Kube

log = logging.getLogger("kubesched.live")

Handler = Callable[[str, dict], None]

PAGE_SIZE = 500
WATCH_TIMEOUT = 300  # seconds the server keeps one watch open
INITIAL_BACKOFF = 0.2
MAX_BACKOFF = 30.0


class Gone(Exception):
    """The resourceVersion to resume from is too old: list again."""


def object_key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


class Informer:
    def __init__(self, kube: Kube, path: str, handler: Handler, *, field_selector: str = "",
                 stop: threading.Event | None = None, watch_timeout: int = WATCH_TIMEOUT):
        self.kube = kube
        self.path = path
        self.handler = handler
        self.field_selector = field_selector
        self.stop = stop or threading.Event()
        self.watch_timeout = watch_timeout
        self.synced = threading.Event()  # set once the first list was handed over
        self.resource_version = ""
        self.known: dict[str, dict] = {}  # key → last object seen
        self.relists = 0
        self._thread: threading.Thread | None = None

    def start(self) -> "Informer":
        self._thread = threading.Thread(target=self.run, name=f"informer {self.path}", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        backoff = INITIAL_BACKOFF
        need_list = True
        while not self.stop.is_set():
            try:
                if need_list:
                    self.list()
                    need_list = False
                self.watch()
                backoff = INITIAL_BACKOFF  # the watch ended normally: resume at once
            except Gone:
                log.info("%s: resourceVersion %s expired, listing again", self.path,
                         self.resource_version)
                need_list = True
            except (ApiError, OSError, ValueError, urllib3.exceptions.HTTPError) as error:
                # HTTPError: the connection broke mid-watch (the server went away)
                if isinstance(error, ApiError) and error.status == 410:
                    need_list = True
                    continue
                log.warning("%s: %s; retrying in %.1fs", self.path, error, backoff)
                self.stop.wait(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
            except Exception:  # a handler bug must not end the informer silently
                log.exception("%s: unexpected error", self.path)
                self.stop.wait(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)

    def list(self) -> None:
        """A full list, paged; vanished objects become DELETED events."""
        items: list[dict] = []
        query = {"limit": PAGE_SIZE}
        if self.field_selector:
            query["fieldSelector"] = self.field_selector
        while True:
            try:
                page = self.kube.request("GET", self.path, query=query)
            except ApiError as error:
                if error.status == 410 and "continue" in query:  # the continue token expired
                    items, query = [], {k: v for k, v in query.items() if k != "continue"}
                    continue
                raise
            items.extend(page.get("items") or ())
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                break
            query["continue"] = token
        self.relists += 1
        previous = self.known
        self.known = {}
        for obj in items:
            key = object_key(obj)
            self.known[key] = obj
            self.handler("MODIFIED" if key in previous else "ADDED", obj)
        for key, obj in previous.items():
            if key not in self.known:
                self.handler("DELETED", obj)
        self.resource_version = (page.get("metadata") or {}).get("resourceVersion", "")
        self.synced.set()

    def watch(self) -> None:
        query = {"watch": "true", "allowWatchBookmarks": "true",
                 "resourceVersion": self.resource_version, "timeoutSeconds": self.watch_timeout}
        if self.field_selector:
            query["fieldSelector"] = self.field_selector
        response = self.kube.stream(self.path, query, timeout=self.watch_timeout + 30)
        try:
            self.consume(response)
        finally:
            response.release_conn()

    def consume(self, lines) -> None:
        """Handle a watch stream's lines until it ends, the server says Gone, or we stop."""
        for line in lines:
            if self.stop.is_set():
                return
            if not line.strip():
                continue
            event = orjson.loads(line)
            kind = event.get("type")
            obj = event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise Gone()
                raise ApiError(obj.get("code") or 500, obj)
            version = (obj.get("metadata") or {}).get("resourceVersion")
            if kind != "BOOKMARK":
                key = object_key(obj)
                if kind == "DELETED":
                    self.known.pop(key, None)
                else:
                    self.known[key] = obj
                self.handler(kind, obj)
            if version:
                self.resource_version = version
