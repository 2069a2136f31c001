"""Authentication and authorization delegated to the API server, as kube-scheduler's
serving does: a bearer token is checked with a TokenReview, the user's access to the path
with a SubjectAccessReview (a non-resource `get`). Answers are cached for 10 s, as the
delegating options cache them; a request without a token is `system:anonymous`."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from kubesched.kube import ApiError, Kube

CACHE_SECONDS = 10.0
ANONYMOUS = ("system:anonymous", ("system:unauthenticated",))


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple = ()  # (key, (values...)) pairs


class _TtlCache:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self._entries: dict = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] < time.monotonic():
                return None
            return found[1]

    def put(self, key, value) -> None:
        with self._lock:
            if len(self._entries) > 4096:  # a flood of distinct tokens cannot grow it unbounded
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.seconds, value)


class Delegated:
    """`check(authorization_header, path)` → (status, reason): 200 allowed, 401 not
    authenticated, 403 forbidden; 500 when the API server could not answer."""

    def __init__(self, kube: Kube, authorizing: Kube | None = None):
        self.kube = kube                        # TokenReviews
        self.authorizing = authorizing or kube  # SubjectAccessReviews
        self._tokens = _TtlCache(CACHE_SECONDS)
        self._decisions = _TtlCache(CACHE_SECONDS)

    def check(self, authorization: str | None, path: str) -> tuple[int, str]:
        try:
            user = self.authenticate(authorization)
            if user is None:
                return 401, "Unauthorized"
            if self.authorize(user, path):
                return 200, ""
        except ApiError as error:
            return 500, f"delegated check failed: {error}"
        return 403, f'forbidden: User "{user.name}" cannot get path "{path}"'

    def authenticate(self, authorization: str | None) -> User | None:
        if not authorization:
            return User(*ANONYMOUS)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        token = token.strip()
        cached = self._tokens.get(token)
        if cached is not None:
            return cached or None
        review = self.kube.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})
        status = (review or {}).get("status") or {}
        user = False
        if status.get("authenticated"):
            found = status.get("user") or {}
            user = User(found.get("username", ""), tuple(found.get("groups") or ()), found.get("uid", ""),
                        tuple(sorted((k, tuple(v)) for k, v in (found.get("extra") or {}).items())))
        self._tokens.put(token, user)
        return user or None

    def authorize(self, user: User, path: str) -> bool:
        key = (user, path)
        cached = self._decisions.get(key)
        if cached is not None:
            return cached
        spec = {"user": user.name, "groups": list(user.groups),
                "nonResourceAttributes": {"path": path, "verb": "get"}}
        if user.uid:
            spec["uid"] = user.uid
        if user.extra:
            spec["extra"] = {k: list(v) for k, v in user.extra}
        review = self.authorizing.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
        allowed = bool(((review or {}).get("status") or {}).get("allowed"))
        self._decisions.put(key, allowed)
        return allowed
