"""The server, the TLS settings and the `Authorization` header, kept fresh as client-go
keeps them: the official client's loaders read the kubeconfig (client certificates, tokens,
token files, exec plugins, auth providers) or the service account; this module decides when
to ask them again.

- a credential with an expiry (exec plugins, auth providers) is fetched again just before
  it expires;
- a request answered 401 fetches the credential again and is retried once;
- in a cluster the service-account token file, which the kubelet rotates, is read again
  every minute."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import urllib3

from kubesched.errors import InputError
from kubesched.logs import V, kv
from kubesched.kube.source import Source

EXPIRY_MARGIN = 5.0          # seconds before a credential's expiry that it is renewed
TOKEN_FILE_PERIOD = 60.0     # the service-account token file is read again this often
UNAUTHORIZED_PAUSE = 1.0     # at most one renewal a second on 401 answers

log = logging.getLogger("kubesched.kube")


@dataclass(frozen=True)
class Loaded:
    server: str
    pool: urllib3.PoolManager
    headers: dict[str, str]
    expires_at: float | None   # epoch seconds; None: no known expiry
    tls: tuple                 # what the pool was built with, to rebuild it only on change


class Credentials:
    """What a request needs right now: `current()` → (server, pool, headers)."""

    def __init__(self, load: Callable[[], object], connections: int, *, periodic: float | None = None,
                 user_agent: str = "kubesched"):
        self._load_configuration = load   # → a kubernetes.client.Configuration, freshly loaded
        self._connections = connections
        self.connections = connections  # kept alive at most
        self._periodic = periodic
        self._user_agent = user_agent
        self._lock = threading.Lock()
        self._loaded: Loaded | None = None
        self._loaded_at = 0.0
        self._renewed_on_401_at = -UNAUTHORIZED_PAUSE
        self._retry_at = 0.0
        self._reload()  # errors of the first load are the caller's: a kubeconfig that cannot work

    def current(self) -> Loaded:
        loaded = self._loaded
        if self._stale(loaded) and time.monotonic() >= self._retry_at:
            with self._lock:
                if self._loaded is loaded:
                    self._renew()
            loaded = self._loaded
        return loaded

    def _renew(self) -> None:
        """Fetch the credential again; if that fails, keep the one we have (the server will
        say whether it still works) and try again a second later."""
        try:
            self._reload()
        except (InputError, OSError, ValueError) as error:
            self._retry_at = time.monotonic() + UNAUTHORIZED_PAUSE
            log.error("could not renew the credential: %s", error)

    def unauthorized(self, used: Loaded) -> bool:
        """A request made with `used` got 401: renew unless someone did meanwhile. True when
        a retry may help (the credential changed)."""
        with self._lock:
            if self._loaded is not used:
                return True
            now = time.monotonic()
            if now - self._renewed_on_401_at < UNAUTHORIZED_PAUSE:
                return False
            self._renewed_on_401_at = now
            self._renew()
            return self._loaded.headers != used.headers

    def _stale(self, loaded: Loaded) -> bool:
        if loaded.expires_at is not None and time.time() >= loaded.expires_at - EXPIRY_MARGIN:
            return True
        return self._periodic is not None and time.monotonic() - self._loaded_at >= self._periodic

    def _reload(self) -> None:
        from kubernetes.client.rest import RESTClientObject

        configuration = self._load_configuration()
        tls = (configuration.ssl_ca_cert, configuration.cert_file, configuration.key_file,
               configuration.verify_ssl, getattr(configuration, "tls_server_name", None),
               configuration.proxy)
        previous = self._loaded
        if previous is not None and previous.tls == tls:
            pool = previous.pool
        else:
            if not configuration.verify_ssl:  # asked for (insecure-skip-tls-verify): no warning per request
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            configuration.connection_pool_maxsize = self._connections
            pool = RESTClientObject(configuration).pool_manager
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        token = configuration.api_key.get("BearerToken")
        if token:
            headers["Authorization"] = token
        expiry = getattr(configuration, "kubesched_expiry", None)
        self._loaded = Loaded(configuration.host.rstrip("/"), pool, headers,
                              expiry.timestamp() if expiry is not None else None, tls)
        self._loaded_at = time.monotonic()
        if previous is not None:
            log.log(V(4), "credential renewed", extra=kv(server=self._loaded.server))


def loader_for(source: Source) -> tuple[Callable[[], object], float | None]:
    """A function that loads a fresh Configuration for `source`, and the period after which
    it must be called again regardless of expiry (None: only on expiry or 401)."""
    from kubernetes import client, config

    if source.in_cluster:
        def load_in_cluster():
            configuration = client.Configuration()
            try:
                config.load_incluster_config(client_configuration=configuration,
                                             try_refresh_token=False)
            except config.ConfigException as error:
                raise InputError(f"not in a cluster and no kubeconfig given: {error}",
                                 field="--kubeconfig") from None
            return configuration
        return load_in_cluster, TOKEN_FILE_PERIOD

    from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

    try:
        merged = KubeConfigMerger(":".join(source.paths)).config
    except Exception as error:  # the merger raises ConfigException, yaml errors, OSError...
        raise InputError(f"cannot read this kubeconfig: {error}", file=source.described) from None
    if merged is None:
        raise InputError("an empty kubeconfig", file=source.described)

    def load_kubeconfig():
        configuration = client.Configuration()
        try:
            loader = KubeConfigLoader(config_dict=merged, active_context=source.context,
                                      config_base_path=None)
            loader.load_and_set(configuration)
        except Exception as error:  # ConfigException, ValueError, KeyError, exec failures...
            raise InputError(f"cannot use this kubeconfig: {error}", file=source.described,
                             field=f"context {source.context}" if source.context else None) from None
        configuration.refresh_api_key_hook = None  # renewal is ours: see Credentials
        configuration.kubesched_expiry = getattr(loader, "expiry", None)
        return configuration
    return load_kubeconfig, None


def static(server: str, *, ca: str | None, cert: str | None = None, key: str | None = None,
           connections: int = 16) -> Credentials:
    """Client-certificate credentials given as files (the local plane's admin); no CA means
    a loopback component's self-signed certificate, not verified."""
    from kubernetes import client

    def load():
        configuration = client.Configuration()
        configuration.host = server
        configuration.ssl_ca_cert = ca
        configuration.cert_file = cert
        configuration.key_file = key
        configuration.verify_ssl = ca is not None
        return configuration
    return Credentials(load, connections)
