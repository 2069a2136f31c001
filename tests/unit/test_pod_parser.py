"""Pod manifests into Pod records: metadata, priority, interning, and the spec parts the
scheduler reads (tolerations, ports, affinity, spreading, images, gates)."""

import pytest

from kubesched.errors import InputError
from kubesched.model.images import normalize_image
from kubesched.model.pods import PodParser
from kubesched.model.records import (HostPort, LabelSelector, NodeSelectorTerm, PodAffinityTerm,
                                     PreferredSchedulingTerm, Requirement, Toleration, TopologySpreadConstraint,
                                     WeightedPodAffinityTerm)


def pod(name="p", spec=None, **metadata):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **metadata},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **(spec or {})}}


def parse(obj, **classes):
    return PodParser(classes).parse(obj, file="pods.yaml", index=7)


def test_metadata():
    record = parse(pod("web-1", namespace="shop", labels={"app": "web"}, uid="u-1",
                       creationTimestamp="2024-05-01T12:00:00+02:00",
                       ownerReferences=[{"kind": "Node", "name": "x"},
                                        {"kind": "ReplicaSet", "name": "web-abc", "controller": True}]))
    assert (record.namespace, record.name, record.key) == ("shop", "web-1", "shop/web-1")
    assert record.labels == {"app": "web"}
    assert record.uid == "u-1"
    assert record.creation == "2024-05-01T10:00:00Z"  # UTC, to the second
    assert (record.owner_kind, record.owner_name) == ("ReplicaSet", "web-abc")
    assert (record.index, record.source, record.node_name) == (7, "pods.yaml", "")
    assert record.raw["metadata"]["name"] == "web-1"


def test_defaults():
    record = parse(pod())
    assert record.namespace == "default"
    assert record.labels == {}
    assert record.priority == 0
    assert record.spec.scheduler_name == "default-scheduler"
    assert record.spec.preemption_policy == "PreemptLowerPriority"
    assert record.spec.required_node_terms is None


def test_generate_name():
    parser = PodParser()
    first = parser.parse({"kind": "Pod", "metadata": {"generateName": "job-"}, "spec": pod()["spec"]})
    second = parser.parse({"kind": "Pod", "metadata": {"generateName": "job-"}, "spec": pod()["spec"]})
    assert first.name.startswith("job-") and len(first.name) == 9
    assert first.name != second.name


def test_node_name_binds_and_is_not_part_of_the_spec_key():
    parser = PodParser()
    bound = parser.parse(pod("a", {"nodeName": "n1"}))
    pending = parser.parse(pod("b"))
    assert bound.node_name == "n1"
    assert bound.spec is pending.spec


def test_identical_specs_share_one_record_whatever_the_key_order():
    parser = PodParser()
    first = parser.parse(pod("a", {"schedulerName": "x", "priority": 5}))
    second = parser.parse({"kind": "Pod", "metadata": {"name": "b"},
                           "spec": {"priority": 5, "containers": [{"image": "nginx", "name": "c"}],
                                    "schedulerName": "x"}})
    other = parser.parse(pod("c", {"schedulerName": "y"}))
    assert first.spec is second.spec
    assert other.spec is not first.spec
    assert parser.distinct_specs == 2


@pytest.mark.parametrize("spec, classes, priority", [
    ({"priority": 42}, {}, 42),
    ({"priorityClassName": "high"}, {"high": 1000}, 1000),
    ({}, {"high": 1000, "": 50}, 50),  # the globalDefault class
    ({"priorityClassName": "high"}, {"high": 1000, "": 50}, 1000),
    ({"priority": 7, "priorityClassName": "high"}, {"high": 1000}, 7),
    ({"priorityClassName": "system-node-critical"}, {}, 2_000_001_000),
    ({"priorityClassName": "system-cluster-critical"}, {}, 2_000_000_000),
])
def test_priority(spec, classes, priority):
    assert parse(pod(spec=spec), **classes).priority == priority


def test_unknown_priority_class():
    with pytest.raises(InputError) as caught:
        parse(pod("x", {"priorityClassName": "nope"}))
    assert str(caught.value).startswith(
        "pods.yaml: Pod default/x: spec.priorityClassName: no PriorityClass named 'nope'")


def test_preemption_policy_from_the_pod_or_its_class():
    parser = PodParser({"batch": 10}, {"batch": "Never"})
    assert parser.parse(pod(spec={"priorityClassName": "batch"})).spec.preemption_policy == "Never"
    assert parser.parse(pod(spec={"preemptionPolicy": "Never"})).spec.preemption_policy == "Never"
    assert parser.parse(pod(spec={"priorityClassName": "batch", "preemptionPolicy": "PreemptLowerPriority"})
                        ).spec.preemption_policy == "PreemptLowerPriority"


def test_tolerations_are_normalised():
    info = parse(pod(spec={"tolerations": [
        {"key": "a", "value": "1", "effect": "NoSchedule"},
        {"key": "b", "operator": "Exists"},
        {"operator": "Exists"},
        {"key": "c", "operator": "Equal", "value": "x", "effect": "NoExecute", "tolerationSeconds": 30},
    ]})).spec
    assert info.tolerations == (
        Toleration("a", "Equal", "1", "NoSchedule"),
        Toleration("b", "Exists", "", ""),
        Toleration("", "Exists", "", ""),
        Toleration("c", "Equal", "x", "NoExecute"),
    )


def test_host_ports_of_containers_and_sidecars():
    spec = {
        "initContainers": [
            {"name": "init", "image": "x", "ports": [{"containerPort": 1, "hostPort": 1000}]},
            {"name": "sidecar", "image": "x", "restartPolicy": "Always",
             "ports": [{"containerPort": 2, "hostPort": 2000, "protocol": "UDP"}]},
        ],
        "containers": [{"name": "c", "image": "x", "ports": [
            {"containerPort": 80, "hostPort": 8080},
            {"containerPort": 81, "hostPort": 8081, "hostIP": "10.0.0.1", "protocol": "SCTP"},
            {"containerPort": 82},
            {"containerPort": 83, "hostPort": 0},
        ]}],
    }
    assert parse(pod(spec=spec)).spec.host_ports == (
        HostPort("0.0.0.0", "UDP", 2000),
        HostPort("0.0.0.0", "TCP", 8080),
        HostPort("10.0.0.1", "SCTP", 8081),
    )


# ImageLocality's rule (upstream's normalizedImageName): append ":latest" when the last
# ":" does not come after the last "/"; nothing else changes.
@pytest.mark.parametrize("image, normal", [
    ("nginx", "nginx:latest"),
    ("nginx:1.25", "nginx:1.25"),
    ("repo/x:tag", "repo/x:tag"),
    ("repo/x", "repo/x:latest"),
    ("docker.io/library/nginx:latest", "docker.io/library/nginx:latest"),
    ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
    ("localhost:5000/x", "localhost:5000/x:latest"),
    ("gcr.io/p/img@sha256:abc", "gcr.io/p/img@sha256:abc"),
    ("nginx@sha256:abc", "nginx@sha256:abc"),
])
def test_image_names(image, normal):
    assert normalize_image(image) == normal


def test_images_one_per_container_init_first():
    spec = {"initContainers": [{"name": "i", "image": "busybox"}],
            "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "registry.k8s.io/pause:3.10"}]}
    assert parse(pod(spec=spec)).spec.images == ("busybox:latest", "nginx:latest", "registry.k8s.io/pause:3.10")


def test_node_selector_and_node_affinity():
    spec = {"nodeSelector": {"disk": "ssd"}, "affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]},
                                  {"key": "gpu", "operator": "DoesNotExist"},
                                  {"key": "cores", "operator": "Gt", "values": ["4"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]},
        ]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 20, "preference": {"matchExpressions": [{"key": "spot", "operator": "Exists"}]}}],
    }}}
    info = parse(pod(spec=spec)).spec
    assert info.node_selector == (("disk", "ssd"),)
    assert info.required_node_terms == (
        NodeSelectorTerm((Requirement("zone", "In", ("a", "b")), Requirement("gpu", "DoesNotExist"),
                          Requirement("cores", "Gt", ("4",)))),
        NodeSelectorTerm(match_fields=(Requirement("metadata.name", "NotIn", ("n1",)),)),
    )
    assert info.preferred_node_terms == (
        PreferredSchedulingTerm(20, NodeSelectorTerm((Requirement("spot", "Exists"),))),)


def test_pod_affinity_and_anti_affinity():
    term = {"labelSelector": {"matchLabels": {"app": "db"},
                              "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]}]},
            "topologyKey": "zone", "namespaces": ["a"], "namespaceSelector": {},
            "matchLabelKeys": ["pod-template-hash"]}
    spec = {"affinity": {
        "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 5, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                              "topologyKey": "kubernetes.io/hostname",
                                              "mismatchLabelKeys": ["team"]}}]},
    }}
    info = parse(pod(spec=spec)).spec
    assert info.pod_affinity_required == (PodAffinityTerm(
        LabelSelector((("app", "db"),), (Requirement("tier", "NotIn", ("x",)),)), "zone", ("a",),
        LabelSelector(), ("pod-template-hash",)),)
    assert info.pod_anti_affinity_preferred == (WeightedPodAffinityTerm(5, PodAffinityTerm(
        LabelSelector((("app", "web"),)), "kubernetes.io/hostname", mismatch_label_keys=("team",))),)
    assert info.pod_affinity_preferred == () and info.pod_anti_affinity_required == ()


def test_topology_spread_defaults():
    spec = {"topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"app": "web"}}, "minDomains": 3, "matchLabelKeys": ["rev"]},
        {"maxSkew": 2, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
         "nodeAffinityPolicy": "Ignore", "nodeTaintsPolicy": "Honor"},
    ]}
    assert parse(pod(spec=spec)).spec.topology_spread == (
        TopologySpreadConstraint(1, "zone", "DoNotSchedule", LabelSelector((("app", "web"),)), 3, "Honor", "Ignore",
                                 ("rev",)),
        TopologySpreadConstraint(2, "kubernetes.io/hostname", "ScheduleAnyway", None, 1, "Ignore", "Honor"),
    )


def test_scheduling_gates_and_names():
    info = parse(pod(spec={"schedulingGates": [{"name": "a"}, {"name": "b"}], "schedulerName": "mine"})).spec
    assert info.scheduling_gates == ("a", "b")
    assert info.scheduler_name == "mine"


def test_yaml_datetime_creation_timestamps():
    from datetime import datetime, timezone
    record = parse(pod(creationTimestamp=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)))
    assert record.creation == "2024-01-02T03:04:05Z"
