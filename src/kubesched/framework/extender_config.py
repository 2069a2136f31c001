"""The `extenders` of a KubeSchedulerConfiguration, read and validated as upstream does."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

DEFAULT_TIMEOUT = 5.0  # seconds, upstream's DefaultExtenderTimeout
EXTENDER_FIELDS = {"urlPrefix", "filterVerb", "preemptVerb", "prioritizeVerb", "weight", "bindVerb",
                   "enableHTTPS", "tlsConfig", "httpTimeout", "nodeCacheCapable", "managedResources",
                   "ignorable"}
TLS_FIELDS = {"insecure", "serverName", "certFile", "keyFile", "caFile", "certData", "keyData", "caData"}
_QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class ManagedResource:
    name: str
    ignored_by_scheduler: bool = False


@dataclass(frozen=True)
class ExtenderConfig:
    url_prefix: str
    filter_verb: str = ""
    prioritize_verb: str = ""
    bind_verb: str = ""
    weight: int = 0
    enable_https: bool = False
    tls: tuple = ()  # (field, value) pairs of tlsConfig
    timeout: float = DEFAULT_TIMEOUT
    node_cache_capable: bool = False
    managed_resources: tuple[ManagedResource, ...] = ()
    ignorable: bool = False
    preempt_verb: str = ""

    @property
    def name(self) -> str:
        return self.url_prefix


def read_extenders(r, value, parse_duration) -> tuple[ExtenderConfig, ...]:
    extenders = []
    managed: set[str] = set()
    binders = 0
    for i, entry in enumerate(r.sequence(value, "extenders")):
        path = f"extenders[{i}]"
        entry = r.mapping(entry, path, EXTENDER_FIELDS)
        url = r.string(entry.get("urlPrefix"), f"{path}.urlPrefix")
        verbs = {key: _string(r, entry.get(key), f"{path}.{key}")
                 for key in ("filterVerb", "prioritizeVerb", "bindVerb", "preemptVerb")}
        weight = entry.get("weight", 0)
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise r.fail(f"{path}.weight", f"expected an integer, got {weight!r}")
        if verbs["prioritizeVerb"] and weight <= 0:
            raise r.fail(f"{path}.weight", "must have a positive weight applied to it")
        if verbs["bindVerb"]:
            binders += 1
        flags = {key: entry.get(key, False) for key in ("enableHTTPS", "nodeCacheCapable", "ignorable")}
        for key, flag in flags.items():
            if not isinstance(flag, bool):
                raise r.fail(f"{path}.{key}", f"expected true or false, got {flag!r}")
        tls = r.mapping(entry.get("tlsConfig"), f"{path}.tlsConfig", TLS_FIELDS)
        timeout = DEFAULT_TIMEOUT
        if entry.get("httpTimeout") not in (None, "", "0", "0s"):
            timeout = parse_duration(entry["httpTimeout"])
            if timeout is None or timeout < 0:
                raise r.fail(f"{path}.httpTimeout", f"expected a duration such as \"5s\", got {entry['httpTimeout']!r}")
        resources = []
        for j, item in enumerate(r.sequence(entry.get("managedResources"), f"{path}.managedResources")):
            item = r.mapping(item, f"{path}.managedResources[{j}]", {"name", "ignoredByScheduler"})
            name = r.string(item.get("name"), f"{path}.managedResources[{j}].name")
            if not _QUALIFIED.match(name) or "/" not in name or name.startswith("kubernetes.io/"):
                raise r.fail(f"{path}.managedResources[{j}].name", f"{name!r} is not an extended resource name")
            if name in managed:
                raise r.fail(f"{path}.managedResources[{j}].name", "duplicate extender managed resource name")
            managed.add(name)
            ignored = item.get("ignoredByScheduler", False)
            if not isinstance(ignored, bool):
                raise r.fail(f"{path}.managedResources[{j}].ignoredByScheduler", f"expected true or false, got {ignored!r}")
            resources.append(ManagedResource(name, ignored))
        extenders.append(ExtenderConfig(
            url, verbs["filterVerb"], verbs["prioritizeVerb"], verbs["bindVerb"], weight,
            flags["enableHTTPS"], tuple(sorted(tls.items())), timeout, flags["nodeCacheCapable"],
            tuple(resources), flags["ignorable"], verbs["preemptVerb"]))
    if binders > 1:
        raise r.fail("extenders", "only one extender can implement bind")
    # upstream calls ignorable extenders last
    return tuple([e for e in extenders if not e.ignorable] + [e for e in extenders if e.ignorable])


def _string(r, value, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise r.fail(path, f"expected a string, got {value!r}")
    return value


def ignoring_managed_resources(profiles: dict, extenders: tuple[ExtenderConfig, ...]) -> dict:
    """As upstream: the managed resources marked ignoredByScheduler replace NodeResourcesFit's
    ignoredResources in every profile."""
    ignored = tuple(r.name for e in extenders for r in e.managed_resources if r.ignored_by_scheduler)
    if not ignored:
        return profiles
    return {name: replace(p, fit_ignored_resources=ignored) for name, p in profiles.items()}
