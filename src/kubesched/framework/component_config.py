"""The KubeSchedulerConfiguration beyond its profiles, as `kubesched run` honours it:
leaderElection, clientConnection, the pod backoffs, parallelism, delayCacheUntilActive;
extenders; validated as upstream validates them. What kubesched cannot honour (profiling
endpoints, a protobuf wire format) is an error that names the
field, never ignored.

Fields the file leaves out keep kubesched's own defaults, not kube-scheduler's: no leader
election and a Lease named `kubesched` unless asked (kube-scheduler's defaults would
contend for kube-scheduler's own Lease), 5000 QPS."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kubesched.framework.extender_config import ExtenderConfig, read_extenders

LEASE_LOCK = "leases"
JITTER_FACTOR = 1.2
JSON = "application/json"
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class LeaderElection:
    leader_elect: bool = False
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    resource_name: str = "kubesched"
    resource_namespace: str = "kube-system"


@dataclass(frozen=True)
class ClientConnection:
    kubeconfig: str | None = None
    qps: float = 5000.0
    burst: int = 5000


@dataclass(frozen=True)
class ComponentConfig:
    leader_election: LeaderElection = field(default_factory=LeaderElection)
    client_connection: ClientConnection = field(default_factory=ClientConnection)
    parallelism: int = 16
    pod_initial_backoff: float = 1.0
    pod_max_backoff: float = 10.0
    delay_cache_until_active: bool = False
    extenders: tuple[ExtenderConfig, ...] = ()
    given: frozenset[str] = frozenset()  # dotted paths the file set, e.g. "clientConnection.qps"


LEADER_FIELDS = {"leaderElect", "leaseDuration", "renewDeadline", "retryPeriod", "resourceLock",
                 "resourceName", "resourceNamespace"}
CLIENT_FIELDS = {"kubeconfig", "acceptContentTypes", "contentType", "qps", "burst"}


def parse_duration(text) -> float | None:
    """Seconds in a Go duration ("15s", "1m30s", "250ms"); None if it is not one."""
    if not isinstance(text, str) or not text:
        return None
    sign, body = (-1.0, text[1:]) if text[0] == "-" else (1.0, text.lstrip("+"))
    if body == "0":
        return 0.0
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(body):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return sign * total if position == len(body) and position else None


def read_component_config(r, top: dict) -> ComponentConfig:
    """`r` is the config reader (`fail`, `mapping`, `integer`, `string`); `top` the document."""
    given: set[str] = set()
    defaults = ComponentConfig()
    extenders = read_extenders(r, top.get("extenders"), parse_duration)
    for name in ("healthzBindAddress", "metricsBindAddress"):
        if name in top:
            raise r.fail(name, "not a field of kubescheduler.config.k8s.io/v1 (use --secure-port "
                         "and --bind-address)")
    for name in ("enableProfiling", "enableContentionProfiling"):
        if top.get(name) not in (None, False):
            raise r.fail(name, "kubesched serves no /debug/pprof endpoints; set it to false")
    parallelism = defaults.parallelism
    if "parallelism" in top:
        parallelism = _positive_int(r, top["parallelism"], "parallelism",
                                    "should be an integer value greater than zero")
        given.add("parallelism")
    initial, maximum = defaults.pod_initial_backoff, defaults.pod_max_backoff
    if "podInitialBackoffSeconds" in top:
        initial = _positive_int(r, top["podInitialBackoffSeconds"], "podInitialBackoffSeconds",
                                "must be greater than 0")
    if "podMaxBackoffSeconds" in top:
        value = top["podMaxBackoffSeconds"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise r.fail("podMaxBackoffSeconds", f"expected an integer, got {value!r}")
        maximum = value
    if maximum < initial:
        raise r.fail("podMaxBackoffSeconds", "must be greater than or equal to PodInitialBackoffSeconds")
    delay = top.get("delayCacheUntilActive", False)
    if not isinstance(delay, bool):
        raise r.fail("delayCacheUntilActive", f"expected true or false, got {delay!r}")
    return ComponentConfig(_leader_election(r, top.get("leaderElection"), given),
                           _client_connection(r, top.get("clientConnection"), given),
                           parallelism, float(initial), float(maximum), delay, extenders, frozenset(given))


def _positive_int(r, value, path: str, problem: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise r.fail(path, f"expected an integer, got {value!r}")
    if value <= 0:
        raise r.fail(path, problem)
    return value


def _leader_election(r, value, given: set[str]) -> LeaderElection:
    section = r.mapping(value, "leaderElection", LEADER_FIELDS)
    defaults = LeaderElection()
    given.update(f"leaderElection.{key}" for key in section)
    elect = section.get("leaderElect", defaults.leader_elect)
    if not isinstance(elect, bool):
        raise r.fail("leaderElection.leaderElect", f"expected true or false, got {elect!r}")
    durations = {}
    for key, default in (("leaseDuration", defaults.lease_duration),
                         ("renewDeadline", defaults.renew_deadline),
                         ("retryPeriod", defaults.retry_period)):
        if key not in section:
            durations[key] = default
            continue
        seconds = parse_duration(section[key])
        if seconds is None:
            raise r.fail(f"leaderElection.{key}", f"expected a duration such as \"15s\", got {section[key]!r}")
        durations[key] = seconds
    lock = section.get("resourceLock", LEASE_LOCK)
    names = {key: r.string(section[key], f"leaderElection.{key}") if key in section else default
             for key, default in (("resourceName", defaults.resource_name),
                                  ("resourceNamespace", defaults.resource_namespace))}
    if elect:
        for key in ("leaseDuration", "renewDeadline", "retryPeriod"):
            if durations[key] <= 0:
                raise r.fail(f"leaderElection.{key}", "must be greater than zero")
        if durations["leaseDuration"] <= durations["renewDeadline"]:
            raise r.fail("leaderElection.leaseDuration", "must be greater than `RenewDeadline`")
        if durations["renewDeadline"] <= JITTER_FACTOR * durations["retryPeriod"]:  # client-go's check
            raise r.fail("leaderElection.renewDeadline", "must be greater than retryPeriod*JitterFactor (1.2)")
    if lock != LEASE_LOCK:
        raise r.fail("leaderElection.resourceLock", 'resourceLock value must be "leases"')
    return LeaderElection(elect, durations["leaseDuration"], durations["renewDeadline"],
                          durations["retryPeriod"], names["resourceName"], names["resourceNamespace"])


def _client_connection(r, value, given: set[str]) -> ClientConnection:
    section = r.mapping(value, "clientConnection", CLIENT_FIELDS)
    defaults = ClientConnection()
    given.update(f"clientConnection.{key}" for key in section)
    for key in ("contentType", "acceptContentTypes"):
        if section.get(key) not in (None, "", JSON):
            raise r.fail(f"clientConnection.{key}", f"kubesched speaks {JSON} only, got {section[key]!r}")
    kubeconfig = section.get("kubeconfig") or None
    if kubeconfig is not None:
        kubeconfig = r.string(kubeconfig, "clientConnection.kubeconfig")
    qps = section.get("qps", defaults.qps)
    if isinstance(qps, bool) or not isinstance(qps, (int, float)):
        raise r.fail("clientConnection.qps", f"expected a number, got {qps!r}")
    burst = section.get("burst", defaults.burst)
    if isinstance(burst, bool) or not isinstance(burst, int):
        raise r.fail("clientConnection.burst", f"expected an integer, got {burst!r}")
    if burst < 0:
        raise r.fail("clientConnection.burst", "must be non-negative")
    return ClientConnection(kubeconfig, float(qps), burst)
