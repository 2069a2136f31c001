"""Every user mistake becomes one InputError naming the file, the object and the field,
never a traceback from deep inside the parser."""

import textwrap

import pytest

from kubesched.errors import InputError
from kubesched.model.cluster import read_cluster

NODE = """
kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
---
"""

AFFINITY = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"


def pod_with(spec_yaml: str, metadata: str = "{name: p, image: x}") -> str:
    """A pod whose spec is given as indented YAML lines under `spec:`."""
    return NODE + f"kind: Pod\nmetadata: {metadata}\nspec:\n" + textwrap.indent(textwrap.dedent(spec_yaml), "  ")


def container_with(resources_yaml: str) -> str:
    return pod_with("containers:\n- name: c\n  image: x\n" + textwrap.indent(textwrap.dedent(resources_yaml), "  "))


CASES = [
    # --- quantities --------------------------------------------------------------------
    ("unparseable quantity", container_with("resources: {requests: {cpu: 1.2.3}}"),
     "Pod default/p", "spec.containers[0].resources.requests.cpu", "more than one decimal point"),
    ("unknown quantity suffix", container_with("resources: {limits: {memory: 10MB}}"),
     "Pod default/p", "spec.containers[0].resources.limits.memory", "unknown suffix 'MB'"),
    ("negative quantity", container_with("resources: {requests: {memory: -1Gi}}"),
     "Pod default/p", "spec.containers[0].resources.requests.memory", "negative"),
    ("fractional extended resource", container_with("resources: {limits: {nvidia.com/gpu: 0.5}}"),
     "Pod default/p", "spec.containers[0].resources.limits[nvidia.com/gpu]", "whole number"),
    ("boolean quantity", container_with("resources: {requests: {cpu: true}}"),
     "Pod default/p", "spec.containers[0].resources.requests.cpu", "boolean"),
    ("unknown key in resources", container_with("resources: {request: {cpu: 1}}"),
     "Pod default/p", "spec.containers[0].resources.request", "unknown field"),
    # --- wrong types ------------------------------------------------------------------
    ("pod without containers", pod_with("containers: []"),
     "Pod default/p", "spec.containers", "a pod needs at least one container"),
    ("pod without spec", NODE + "kind: Pod\nmetadata: {name: p}\n",
     "Pod default/p", "spec.containers", "a pod needs at least one container"),
    ("containers is a string", pod_with("containers: nginx"),
     "Pod default/p", "spec.containers", "expected a list, got a string"),
    ("a container is a string", pod_with("containers: [nginx]"),
     "Pod default/p", "spec.containers[0]", "expected a container (a map), got a string"),
    ("resources is a list", container_with("resources: [cpu]"),
     "Pod default/p", "spec.containers[0].resources", "expected a map, got a list"),
    ("requests is a list", container_with("resources: {requests: [1]}"),
     "Pod default/p", "spec.containers[0].resources.requests", "expected a map, got a list"),
    ("tolerations is a map", pod_with("containers: [{name: c, image: x}]\ntolerations: {key: a}"),
     "Pod default/p", "spec.tolerations", "expected a list, got a map"),
    ("nodeSelector is a list", pod_with("containers: [{name: c, image: x}]\nnodeSelector: [a]"),
     "Pod default/p", "spec.nodeSelector", "expected a map, got a list"),
    ("label value is a number", pod_with("containers: [{name: c, image: x}]", "{name: p, labels: {version: 1}}"),
     "Pod default/p", "metadata.labels.version", "expected a string, got a number"),
    ("hostPort is a string", container_with("ports: [{containerPort: 80, hostPort: '80'}]"),
     "Pod default/p", "spec.containers[0].ports[0].hostPort", "expected an integer, got a string"),
    ("metadata is a list", NODE + "kind: Pod\nmetadata: [p]\nspec: {containers: [{name: c, image: x}]}\n",
     "Pod", "metadata", "expected a map, got a list"),
    ("pod without a name", NODE + "kind: Pod\nmetadata: {namespace: x}\nspec: {containers: [{name: c, image: x}]}\n",
     "Pod", "metadata.name", "a pod needs a name"),
    ("spec is a string", NODE + "kind: Pod\nmetadata: {name: p}\nspec: run nginx\n",
     "Pod default/p", "spec", "expected a map, got a string"),
    # --- tolerations ------------------------------------------------------------------
    ("unknown field in a toleration",
     pod_with("containers: [{name: c, image: x}]\ntolerations: [{key: a, operator: Exists, tolerationSecond: 5}]"),
     "Pod default/p", "spec.tolerations[0].tolerationSecond", "unknown field"),
    ("unknown toleration operator", pod_with("containers: [{name: c, image: x}]\ntolerations: [{key: a, operator: In}]"),
     "Pod default/p", "spec.tolerations[0].operator", "unknown operator 'In'"),
    ("Exists with a value", pod_with("containers: [{name: c, image: x}]\ntolerations: [{key: a, operator: Exists, value: b}]"),
     "Pod default/p", "spec.tolerations[0].value", "value must be empty"),
    ("empty key needs Exists", pod_with("containers: [{name: c, image: x}]\ntolerations: [{value: b}]"),
     "Pod default/p", "spec.tolerations[0].operator", "operator must be Exists when key is empty"),
    ("bad toleration effect", pod_with("containers: [{name: c, image: x}]\ntolerations: [{key: a, effect: NoRun}]"),
     "Pod default/p", "spec.tolerations[0].effect", "unsupported value 'NoRun'"),
    # --- node affinity ----------------------------------------------------------------
    ("unknown operator", pod_with("""\
        containers: [{name: c, image: x}]
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
              - matchExpressions:
                - {key: zone, operator: In, values: [a]}
                - {key: disk, operator: Equals, values: [ssd]}
        """),
     "Pod default/p", f"{AFFINITY}.matchExpressions[1].operator", "unknown operator 'Equals'"),
    ("In without values", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
          {matchExpressions: [{key: zone, operator: In}]}]}}}
        """),
     "Pod default/p", f"{AFFINITY}.matchExpressions[0].values", "values must be given"),
    ("Exists with values", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
          {matchExpressions: [{key: zone, operator: Exists, values: [a]}]}]}}}
        """),
     "Pod default/p", f"{AFFINITY}.matchExpressions[0].values", "values must be empty"),
    # (In a required term the API server takes it, and the term matches no node.)
    ("Gt with a non-integer in a preferred term", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference:
          {matchExpressions: [{key: cores, operator: Gt, values: [many]}]}}]}}
        """),
     "Pod default/p",
     "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference"
     ".matchExpressions[0].values[0]", "must be an integer"),
    ("Lt with two values", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
          {matchExpressions: [{key: cores, operator: Lt, values: ["1", "2"]}]}]}}}
        """),
     "Pod default/p", f"{AFFINITY}.matchExpressions[0].values", "exactly one value"),
    ("matchFields on a label", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
          {matchFields: [{key: metadata.labels, operator: In, values: [a]}]}]}}}
        """),
     "Pod default/p", f"{AFFINITY}.matchFields[0].key", "only metadata.name"),
    ("no node selector terms", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}
        """),
     "Pod default/p", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
     "at least one"),
    ("misspelt affinity key", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {requiredDuringScheduling: {nodeSelectorTerms: []}}}
        """),
     "Pod default/p", "spec.affinity.nodeAffinity.requiredDuringScheduling", "unknown field"),
    ("preferred weight out of range", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [
          {weight: 0, preference: {matchExpressions: [{key: a, operator: Exists}]}}]}}
        """),
     "Pod default/p", "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
     "range 1-100"),
    # --- pod affinity, spreading --------------------------------------------------------
    ("pod affinity without topologyKey", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [
          {labelSelector: {matchLabels: {app: a}}}]}}
        """),
     "Pod default/p", "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
     "a topologyKey is required"),
    ("Gt in a label selector", pod_with("""\
        containers: [{name: c, image: x}]
        affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [
          {topologyKey: zone, labelSelector: {matchExpressions: [{key: v, operator: Gt, values: ["1"]}]}}]}}
        """),
     "Pod default/p",
     "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector"
     ".matchExpressions[0].operator", "unknown operator 'Gt'"),
    ("unknown key in a label selector", pod_with("""\
        containers: [{name: c, image: x}]
        topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule,
          labelSelector: {matchLabel: {app: a}}}]
        """),
     "Pod default/p", "spec.topologySpreadConstraints[0].labelSelector.matchLabel", "unknown field"),
    ("maxSkew zero", pod_with("""\
        containers: [{name: c, image: x}]
        topologySpreadConstraints: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]
        """),
     "Pod default/p", "spec.topologySpreadConstraints[0].maxSkew", "at least 1"),
    ("bad whenUnsatisfiable", pod_with("""\
        containers: [{name: c, image: x}]
        topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Never}]
        """),
     "Pod default/p", "spec.topologySpreadConstraints[0].whenUnsatisfiable", "must be one of DoNotSchedule"),
    ("minDomains with ScheduleAnyway", pod_with("""\
        containers: [{name: c, image: x}]
        topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway,
          minDomains: 2}]
        """),
     "Pod default/p", "spec.topologySpreadConstraints[0].minDomains", "only with whenUnsatisfiable DoNotSchedule"),
    ("bad nodeTaintsPolicy", pod_with("""\
        containers: [{name: c, image: x}]
        topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule,
          nodeTaintsPolicy: Always}]
        """),
     "Pod default/p", "spec.topologySpreadConstraints[0].nodeTaintsPolicy", "must be one of Honor, Ignore"),
    ("init container restartPolicy",
     pod_with("containers: [{name: c, image: x}]\ninitContainers: [{name: i, image: x, restartPolicy: Never}]"),
     "Pod default/p", "spec.initContainers[0].restartPolicy", "only Always"),
    # --- nodes ------------------------------------------------------------------------
    ("node without allocatable", "kind: Node\nmetadata: {name: n1}\n",
     "Node n1", "status.allocatable", "a node needs allocatable resources"),
    ("node without pods", "kind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: 4}}\n",
     "Node n1", "status.allocatable.pods", "a node needs a pods count"),
    ("node allocatable garbage", "kind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: lots, pods: 1}}\n",
     "Node n1", "status.allocatable.cpu", "does not start with a number"),
    ("bad taint effect", "kind: Node\nmetadata: {name: n1}\nspec: {taints: [{key: a, effect: NoRun}]}\n"
     "status: {allocatable: {pods: 1}}\n",
     "Node n1", "spec.taints[0].effect", "unsupported value 'NoRun'"),
    ("taints is a map",
     "kind: Node\nmetadata: {name: n1}\nspec: {taints: {key: a}}\nstatus: {allocatable: {pods: 1}}\n",
     "Node n1", "spec.taints", "expected a list, got a map"),
    # --- workloads --------------------------------------------------------------------
    ("workload without template", NODE + "kind: Deployment\nmetadata: {name: x, namespace: ns}\n"
     "spec: {selector: {matchLabels: {a: b}}}\n",
     "Deployment ns/x", "spec.template", "needs a pod template"),
    ("selector does not match", NODE + "kind: ReplicaSet\nmetadata: {name: x}\n"
     "spec: {selector: {matchLabels: {a: b}},\n"
     "       template: {metadata: {labels: {a: c}}, spec: {containers: [{name: c, image: x}]}}}\n",
     "ReplicaSet default/x", "spec.template.metadata.labels", "selector does not match template labels"),
    ("bad template", NODE + "kind: StatefulSet\nmetadata: {name: x}\n"
     "spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c,"
     " image: x, resources: {requests: {cpu: fast}}}]}}}\n",
     "StatefulSet default/x", "spec.template.spec.containers[0].resources.requests.cpu",
     "does not start with a number"),
    ("replicas is a string", NODE + "kind: ReplicaSet\nmetadata: {name: x}\n"
     "spec: {replicas: two, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, "
     "spec: {containers: [{name: c, image: x}]}}}\n",
     "ReplicaSet default/x", "spec.replicas", "expected an integer, got a string"),
    ("replicas beyond int32", NODE + "kind: ReplicaSet\nmetadata: {name: x}\n"
     "spec: {replicas: 10000000000, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, "
     "spec: {containers: [{name: c, image: x}]}}}\n",
     "ReplicaSet default/x", "spec.replicas", "out of range for a 32-bit integer"),
    ("bad creationTimestamp", pod_with("containers: [{name: c, image: x}]", "{name: p, creationTimestamp: yesterday}"),
     "Pod default/p", "metadata.creationTimestamp", "not an RFC 3339 time"),
    # --- what the API server would refuse -------------------------------------------
    ("pod name not a DNS subdomain", pod_with("containers: [{name: c, image: x}]", "{name: My_Pod}"),
     "Pod default/My_Pod", "metadata.name", "invalid name 'My_Pod': a lowercase RFC 1123 subdomain"),
    ("namespace not a DNS label", pod_with("containers: [{name: c, image: x}]", "{name: p, namespace: a.b}"),
     "Pod a.b/p", "metadata.namespace", "a lowercase RFC 1123 label"),
    ("label key not a qualified name", pod_with("containers: [{name: c, image: x}]", "{name: p, labels: {'a b': x}}"),
     "Pod default/p", "metadata.labels.a b", "invalid label key 'a b'"),
    ("label value too long", pod_with("containers: [{name: c, image: x}]", "{name: p, labels: {a: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv}}"),
     "Pod default/p", "metadata.labels.a", "invalid label value"),
    ("container without a name", pod_with("containers: [{image: x}]"),
     "Pod default/p", "spec.containers[0].name", "a container needs a name"),
    ("container without an image", pod_with("containers: [{name: c}]"),
     "Pod default/p", "spec.containers[0].image", "a container needs an image"),
    ("duplicate container names", pod_with("initContainers: [{name: c, image: x}]\ncontainers: [{name: c, image: x}]"),
     "Pod default/p", "spec.containers[0].name", "duplicate container name 'c'"),
    ("container name not a DNS label", pod_with("containers: [{name: C_1, image: x}]"),
     "Pod default/p", "spec.containers[0].name", "a lowercase RFC 1123 label"),
    ("negative hostPort", container_with("ports: [{containerPort: 80, hostPort: -1}]"),
     "Pod default/p", "spec.containers[0].ports[0].hostPort", "must be between 1 and 65535"),
    ("containerPort zero", container_with("ports: [{containerPort: 0}]"),
     "Pod default/p", "spec.containers[0].ports[0].containerPort", "a containerPort is required"),
    ("containerPort too big", container_with("ports: [{containerPort: 70000}]"),
     "Pod default/p", "spec.containers[0].ports[0].containerPort", "must be between 1 and 65535"),
    ("resource name not qualified", container_with("resources: {requests: {'example.com/a b': 1}}"),
     "Pod default/p", "spec.containers[0].resources.requests[example.com/a b]", "unknown resource"),
    ("duplicate scheduling gates", pod_with("containers: [{name: c, image: x}]\nschedulingGates: [{name: a}, {name: a}]"),
     "Pod default/p", "spec.schedulingGates[1].name", "duplicate scheduling gate 'a'"),
    ("toleration key not qualified", pod_with("containers: [{name: c, image: x}]\ntolerations: [{key: 'a b', operator: Exists}]"),
     "Pod default/p", "spec.tolerations[0].key", "invalid key 'a b'"),
    ("topologyKey not qualified", pod_with("containers: [{name: c, image: x}]\ntopologySpreadConstraints: [{maxSkew: 1, topologyKey: '-zone', "
                                           "whenUnsatisfiable: DoNotSchedule, labelSelector: {}}]"),
     "Pod default/p", "spec.topologySpreadConstraints[0].topologyKey", "invalid topologyKey '-zone'"),
    ("taint key not qualified", "kind: Node\nmetadata: {name: n1}\nspec: {taints: [{key: a/b/c, effect: NoSchedule}]}\n"
     "status: {allocatable: {pods: 1}}\n", "Node n1", "spec.taints[0].key", "invalid taint key"),
    ("node name not a DNS subdomain", "kind: Node\nmetadata: {name: Node_1}\nstatus: {allocatable: {pods: 1}}\n",
     "Node Node_1", "metadata.name", "a lowercase RFC 1123 subdomain"),
    ("Job restartPolicy Always", NODE + "kind: Job\napiVersion: batch/v1\nmetadata: {name: j}\n"
     "spec: {template: {spec: {restartPolicy: Always, containers: [{name: c, image: x}]}}}\n",
     "Job default/j", "spec.template.spec.restartPolicy", "OnFailure or Never"),
    ("wrong apiVersion for a kind", NODE + "kind: Deployment\napiVersion: extensions/v1beta1\nmetadata: {name: d}\n"
     "spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}}\n",
     "Deployment default/d", "apiVersion", "expected 'apps/v1' for a Deployment"),
    ("ReplicaSet selector is a string", NODE + "kind: ReplicaSet\nmetadata: {name: rs, ownerReferences: []}\n"
     "spec: {selector: app=x, template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: x}]}}}\n"
     "---\nkind: Pod\nmetadata: {name: p, ownerReferences: [{kind: ReplicaSet, name: rs, controller: true}]}\n"
     "spec: {containers: [{name: c, image: x}]}\n",
     "ReplicaSet default/rs", "spec.selector", "expected a map, got a string"),
    ("PodDisruptionBudget spec is a string", NODE + "kind: PodDisruptionBudget\nmetadata: {name: b}\nspec: all\n",
     "PodDisruptionBudget default/b", "spec", "expected a map, got a string"),
    ("PodDisruptionBudget with both bounds", NODE + "kind: PodDisruptionBudget\nmetadata: {name: b}\n"
     "spec: {minAvailable: 1, maxUnavailable: 1}\n",
     "PodDisruptionBudget default/b", "spec.maxUnavailable", "cannot both be set"),
    ("Pod with a wrong apiVersion", NODE + "apiVersion: apps/v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n",
     "Pod default/p", "apiVersion", "expected 'v1' for a Pod, got 'apps/v1'"),
    ("nodeSelector value not a label value", pod_with("containers: [{name: c, image: x}]\nnodeSelector: {disk: 'a b'}"),
     "Pod default/p", "spec.nodeSelector.disk", "invalid label value 'a b'"),
    ("two Services of one name", NODE + "kind: Service\nmetadata: {name: s}\n---\nkind: Service\nmetadata: {name: s}\n",
     "Service default/s", "metadata.name", "duplicate Service"),
]


@pytest.mark.parametrize("text, obj, field, words", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_named_precisely(tmp_path, text, obj, field, words):
    file = tmp_path / "input.yaml"
    file.write_text(text)
    with pytest.raises(InputError) as caught:
        read_cluster([str(file)])
    message = str(caught.value)
    assert message.startswith(f"{file}: {obj}: {field}: "), message
    assert words in message, message
    assert "\n" not in message


def test_malformed_yaml(tmp_path):
    file = tmp_path / "broken.yaml"
    file.write_text(NODE + "kind: Pod\nmetadata:\n  name: p\n   labels: {}\n")
    with pytest.raises(InputError) as caught:
        read_cluster([str(file)])
    assert str(caught.value).startswith(f"{file}: line 9: invalid YAML: ")


def test_malformed_json(tmp_path):
    file = tmp_path / "broken.json"
    file.write_text('{"kind": "List", "items": [\n{"kind": "Pod",}\n]}')
    with pytest.raises(InputError, match=r"broken\.json: line 2: invalid JSON"):
        read_cluster([str(file)])


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="nope.yaml: no such file or directory"):
        read_cluster([str(tmp_path / "nope.yaml")])
