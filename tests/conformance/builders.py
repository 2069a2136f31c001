"""Terse builders for the conformance tests.

Nodes and pods are written as small manifests (the way upstream's tests build theirs with
`st.MakeNode()` / `st.MakePod()`) and read by kubesched's own parsers, so the tests go
through the same requests arithmetic and validation as real input. `evaluate` runs one
pod through the core against a cluster and keys the answer by node name.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from kubesched.framework.config import parse_config
from kubesched.framework.cluster_objects import ClusterObjects
from kubesched.framework.profile import Profile
from kubesched.model.nodes import parse_node
from kubesched.model.pods import PodParser
from kubesched.model.pod_resources import overcommit_allowed
from kubesched.model.records import Node, Pod
from kubesched.engine.cluster import ClusterSnapshot

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
MiB = 1024 * 1024

# Enough room that resources never decide a test that is not about them.
ROOMY = {"cpu": "1000", "memory": "1000Gi", "pods": "110"}

_parser = PodParser()
_names = itertools.count()


# -- nodes ------------------------------------------------------------------------------------

def taint(key: str, value: str = "", effect: str = "NoSchedule") -> dict:
    return {"key": key, "value": value, "effect": effect}


def node(name: str, labels: dict | None = None, *, allocatable: dict | None = None,
         taints: list | None = None, unschedulable: bool = False,
         images: list[tuple[list[str], int]] | None = None) -> Node:
    """`allocatable` in manifest quantities; a pods count of 110 is added when missing."""
    resources = dict(ROOMY if allocatable is None else allocatable)
    resources.setdefault("pods", "110")
    spec: dict = {}
    if taints:
        spec["taints"] = list(taints)
    if unschedulable:
        spec["unschedulable"] = True
    status: dict = {"allocatable": resources}
    if images:
        status["images"] = [{"names": list(names), "sizeBytes": size} for names, size in images]
    return parse_node({"apiVersion": "v1", "kind": "Node",
                       "metadata": {"name": name, "labels": dict(labels or {})},
                       "spec": spec, "status": status})


# -- pods -------------------------------------------------------------------------------------

def host_port(protocol: str, ip: str, port: int) -> dict:
    return {"containerPort": port, "hostPort": port, "hostIP": ip, "protocol": protocol}


def container(requests: dict | None = None, *, image: str | None = None, ports: list | None = None,
              sidecar: bool = False) -> dict:
    """One container; `requests` None means no `resources` at all (missing requests)."""
    # The API server requires an image; one that no node holds changes no score.
    result: dict = {"name": f"c{next(_names)}", "image": image if image is not None else "registry.k8s.io/pause:3.10"}
    if requests is not None:
        result["resources"] = {"requests": dict(requests)}
        # The API server wants a limit equal to the request for what cannot be overcommitted.
        fixed = {name: value for name, value in requests.items() if not overcommit_allowed(name)}
        if fixed:
            result["resources"]["limits"] = fixed
    if ports:
        result["ports"] = list(ports)
    if sidecar:
        result["restartPolicy"] = "Always"
    return result


def pod(name: str | None = None, *, namespace: str | None = None, labels: dict | None = None,
        node: str | None = None, requests: dict | None = None, containers: list[dict] | None = None,
        init_containers: list[dict] | None = None, overhead: dict | None = None,
        node_selector: dict | None = None, affinity: dict | None = None, tolerations: list | None = None,
        spread: list | None = None, ports: list | None = None, owner: tuple[str, str] | None = None,
        spec_fields: dict | None = None) -> Pod:
    """A pod manifest parsed by kubesched. Without `containers`, one container carries
    `requests` (None: no requests at all) and `ports`. `node` binds the pod (spec.nodeName);
    `spec_fields` are further pod spec fields as they are."""
    metadata: dict = {"name": name or f"pod-{next(_names)}", "labels": dict(labels or {})}
    if namespace is not None:
        metadata["namespace"] = namespace
    if owner is not None:
        kind, owner_name = owner
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": owner_name,
                                        "uid": f"uid-{owner_name}", "controller": True}]
    if containers is None:
        containers = [container(requests, ports=ports)]
    spec: dict = {"containers": containers}
    if init_containers:
        spec["initContainers"] = init_containers
    if overhead:
        spec["overhead"] = dict(overhead)
    if node:
        spec["nodeName"] = node
    if node_selector is not None:
        spec["nodeSelector"] = dict(node_selector)
    if affinity:
        spec["affinity"] = affinity
    if tolerations is not None:
        spec["tolerations"] = list(tolerations)
    if spread:
        spec["topologySpreadConstraints"] = list(spread)
    spec.update(spec_fields or {})
    return _parser.parse({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec})


def toleration(key: str = "", value: str = "", effect: str = "", operator: str = "") -> dict:
    result: dict = {}
    if key:
        result["key"] = key
    if operator:
        result["operator"] = operator
    if value:
        result["value"] = value
    if effect:
        result["effect"] = effect
    return result


# -- selectors and terms ------------------------------------------------------------------------

def req(key: str, operator: str, *values: str) -> dict:
    """A matchExpressions / matchFields entry."""
    result: dict = {"key": key, "operator": operator}
    if values:
        result["values"] = list(values)
    return result


def selector(*expressions: dict, labels: dict | None = None) -> dict:
    """A label selector: matchLabels from `labels`, matchExpressions from `expressions`."""
    result: dict = {}
    if labels is not None:
        result["matchLabels"] = dict(labels)
    if expressions:
        result["matchExpressions"] = list(expressions)
    return result


def exists(key: str) -> dict:
    return selector(req(key, "Exists"))


def node_term(*expressions: dict, fields: list[dict] | None = None) -> dict:
    result: dict = {}
    if expressions:
        result["matchExpressions"] = list(expressions)
    if fields:
        result["matchFields"] = list(fields)
    return result


def pod_term(label_selector: dict | None, topology_key: str, *, namespaces: list[str] | None = None,
             namespace_selector: dict | None = None, match_label_keys: list[str] | None = None) -> dict:
    result: dict = {"topologyKey": topology_key}
    if label_selector is not None:
        result["labelSelector"] = label_selector
    if namespaces is not None:
        result["namespaces"] = list(namespaces)
    if namespace_selector is not None:
        result["namespaceSelector"] = namespace_selector
    if match_label_keys is not None:
        result["matchLabelKeys"] = list(match_label_keys)
    return result


def affinity(*, node_required: list[dict] | None = None, node_preferred: list[tuple[int, dict]] | None = None,
             pod_required: list[dict] | None = None, pod_preferred: list[tuple[int, dict]] | None = None,
             anti_required: list[dict] | None = None, anti_preferred: list[tuple[int, dict]] | None = None) -> dict:
    """spec.affinity from node selector terms and pod affinity terms; preferred ones as (weight, term)."""
    required_key = "requiredDuringSchedulingIgnoredDuringExecution"
    preferred_key = "preferredDuringSchedulingIgnoredDuringExecution"
    result: dict = {}
    node_part: dict = {}
    if node_required is not None:
        node_part[required_key] = {"nodeSelectorTerms": list(node_required)}
    if node_preferred:
        node_part[preferred_key] = [{"weight": w, "preference": t} for w, t in node_preferred]
    if node_part:
        result["nodeAffinity"] = node_part
    for name, required, preferred in (("podAffinity", pod_required, pod_preferred),
                                      ("podAntiAffinity", anti_required, anti_preferred)):
        part: dict = {}
        if required:
            part[required_key] = list(required)
        if preferred:
            part[preferred_key] = [{"weight": w, "podAffinityTerm": t} for w, t in preferred]
        if part:
            result[name] = part
    return result


def spread(max_skew: int, topology_key: str, when: str, label_selector: dict | None, *,
           min_domains: int | None = None, node_affinity_policy: str | None = None,
           node_taints_policy: str | None = None, match_label_keys: list[str] | None = None) -> dict:
    result: dict = {"maxSkew": max_skew, "topologyKey": topology_key, "whenUnsatisfiable": when}
    if label_selector is not None:
        result["labelSelector"] = label_selector
    if min_domains is not None:
        result["minDomains"] = min_domains
    if node_affinity_policy is not None:
        result["nodeAffinityPolicy"] = node_affinity_policy
    if node_taints_policy is not None:
        result["nodeTaintsPolicy"] = node_taints_policy
    if match_label_keys is not None:
        result["matchLabelKeys"] = list(match_label_keys)
    return result


# -- profiles ---------------------------------------------------------------------------------

def filters_only(*names: str) -> Profile:
    """Only these filters run (no PreFilter result) and nothing is scored: a plugin's Filter
    in isolation."""
    return Profile(prefilters=(), filters=tuple(names), weights={})


def score_only(plugin: str, base: Profile | None = None, filters: tuple[str, ...] = ()) -> Profile:
    """One score plugin with weight 1 and (by default) no filters, as upstream's plugin tests
    score every node they are given."""
    return replace(base or Profile(), filters=tuple(filters), weights={plugin: 1})


def configured(*plugin_config: dict) -> Profile:
    """The default profile of a KubeSchedulerConfiguration with these pluginConfig entries."""
    document = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                "profiles": [{"schedulerName": "default-scheduler", "pluginConfig": list(plugin_config)}]}
    return parse_config(document)["default-scheduler"]


def plugin_args(name: str, **args) -> dict:
    return {"name": name, "args": {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": f"{name}Args", **args}}


# -- running ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """The core's evaluation of one pod, by node name."""

    names: list[str]
    data: dict

    def _index(self, name: str) -> int:
        return self.names.index(name)

    def failed(self, name: str) -> str | None:
        """The first filter that rejected the node, or None when it passes."""
        return self.data["failed_filter"][self._index(name)]

    def verdicts(self) -> dict[str, str | None]:
        return {n: self.failed(n) for n in self.names}

    def reasons(self, name: str) -> list[str]:
        return list(self.data["reasons"][self._index(name)])

    def feasible(self) -> list[str]:
        return [n for n in self.names if self.failed(n) is None]

    def scores(self, plugin: str) -> dict[str, int]:
        """The plugin's normalized score (what NormalizeScore returns) on each feasible node."""
        column = self.data["normalized"][plugin]
        return {n: column[self._index(n)] for n in self.feasible()}

    def raw(self, plugin: str) -> dict[str, int]:
        column = self.data["raw"][plugin]
        return {n: column[self._index(n)] for n in self.feasible()}

    def skipped(self, plugin: str) -> bool:
        return self.data["skipped"][plugin]


def snapshot(nodes: list[Node], existing: list[Pod] = (), profile: Profile | None = None,
             objects: ClusterObjects | None = None) -> ClusterSnapshot:
    result = ClusterSnapshot(nodes, profile or Profile(), objects=objects)
    result.add_bound(existing)
    return result


def evaluate(nodes: list[Node], incoming: Pod, existing: list[Pod] = (), profile: Profile | None = None,
             objects: ClusterObjects | None = None) -> Outcome:
    cluster = snapshot(nodes, existing, profile, objects)
    return Outcome(list(cluster.node_names), cluster.evaluate(cluster.class_of(incoming)))


def failure_message(nodes: list[Node], incoming: Pod, existing: list[Pod] = (),
                    profile: Profile | None = None, objects: ClusterObjects | None = None) -> str:
    """The `0/N nodes are available: ...` message for a pod that fits nowhere."""
    cluster = snapshot(nodes, existing, profile, objects)
    [decision] = cluster.decide_queue([incoming])
    assert not decision.placed, f"the pod was placed on {decision.node}"
    return decision.message
