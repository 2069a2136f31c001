"""A cluster read from manifests: nodes, bound and pending pods, namespaces, the objects the
scheduler consults, and what a dump of a live cluster needs (no double expansion)."""

import orjson
import pytest

from kubesched.errors import InputError
from kubesched.model.cluster import read_cluster
from kubesched.model.nodes import parse_node
from kubesched.model.records import Image, Taint

GI = 2**30

NODES = """
kind: Node
metadata: {name: n1, labels: {zone: a}, annotations: {note: x}}
spec:
  unschedulable: true
  taints: [{key: dedicated, value: db, effect: NoSchedule}]
status:
  allocatable: {cpu: "3800m", memory: 15Gi, pods: "110", nvidia.com/gpu: "2"}
  images:
  - {names: ["nginx:1.25", "docker.io/library/nginx@sha256:abc"], sizeBytes: 1000}
---
kind: Node
metadata: {name: n2}
status: {capacity: {cpu: 4, memory: 16Gi, pods: 110}}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_nodes(tmp_path):
    cluster = read_cluster([write(tmp_path, "nodes.yaml", NODES)])
    n1, n2 = cluster.nodes
    assert n1.name == "n1" and n1.labels == {"zone": "a"} and n1.annotations == {"note": "x"}
    assert n1.allocatable == {"cpu": 3800, "memory": 15 * GI, "pods": 110, "nvidia.com/gpu": 2}
    assert n1.taints == (Taint("dedicated", "db", "NoSchedule"),)
    assert n1.unschedulable is True
    assert n1.images == (Image(("nginx:1.25", "docker.io/library/nginx@sha256:abc"), 1000),)  # as reported
    assert n1.source.endswith("nodes.yaml")
    # allocatable defaults to capacity, as the API does
    assert n2.allocatable == {"cpu": 4000, "memory": 16 * GI, "pods": 110}
    assert n2.unschedulable is False and n2.taints == ()


def test_parse_node_directly():
    node = parse_node({"kind": "Node", "metadata": {"name": "x"}, "status": {"allocatable": {"pods": 3}}})
    assert node.allocatable == {"pods": 3}


def test_pods_bound_and_pending_in_input_order(tmp_path):
    file = write(tmp_path, "all.yaml", NODES + """
---
kind: Pod
metadata: {name: running, namespace: shop}
spec: {nodeName: n2, containers: [{name: c, image: x}]}
---
kind: Pod
metadata: {name: first}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec: {containers: [{name: c, image: x}]}
---
kind: Pod
metadata: {name: last, namespace: other}
spec: {containers: [{name: c, image: x}]}
""")
    cluster = read_cluster([file])
    assert [p.key for p in cluster.bound_pods] == ["shop/running"]
    pending = [p.key for p in cluster.pending_pods]
    assert pending[0] == "default/first" and pending[-1] == "other/last"
    assert all(k.startswith("default/rs-") for k in pending[1:3])
    assert [p.index for p in cluster.pending_pods] == [0, 1, 2, 3]
    assert cluster.replica_sets[0]["metadata"]["name"] == "rs"
    assert cluster.namespaces == {"shop": {"kubernetes.io/metadata.name": "shop"},
                                  "default": {"kubernetes.io/metadata.name": "default"},
                                  "other": {"kubernetes.io/metadata.name": "other"}}


def test_priority_classes_are_read_first(tmp_path):
    file = write(tmp_path, "p.yaml", NODES + """
---
kind: Pod
metadata: {name: p}
spec: {priorityClassName: high, containers: [{name: c, image: x}]}
---
kind: Pod
metadata: {name: q}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
preemptionPolicy: Never
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: base}
value: 10
globalDefault: true
""")
    cluster = read_cluster([file])
    assert cluster.priority_classes == {"high": 1000, "base": 10, "": 10}
    assert [(p.name, p.priority) for p in cluster.pending_pods] == [("p", 1000), ("q", 10)]
    assert cluster.pending_pods[0].spec.preemption_policy == "Never"


def test_namespaces_get_their_name_label(tmp_path):
    file = write(tmp_path, "ns.yaml", "kind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n")
    assert read_cluster([file]).namespaces == {"shop": {"team": "a", "kubernetes.io/metadata.name": "shop"}}


def test_raw_objects_are_kept(tmp_path):
    file = write(tmp_path, "raw.yaml", """
kind: Service
metadata: {name: s}
spec: {selector: {app: x}}
---
kind: PodDisruptionBudget
metadata: {name: b}
---
kind: StatefulSet
metadata: {name: ss}
spec:
  replicas: 0
  selector: {matchLabels: {app: ss}}
  template: {metadata: {labels: {app: ss}}, spec: {containers: [{name: c, image: x}]}}
---
kind: ReplicationController
metadata: {name: rc}
spec: {replicas: 0, selector: {app: rc}, template: {metadata: {labels: {app: rc}}, spec: {containers: [{name: c, image: x}]}}}
""")
    cluster = read_cluster([file])
    assert [s["metadata"]["name"] for s in cluster.services] == ["s"]
    assert [s["metadata"]["name"] for s in cluster.pdbs] == ["b"]
    assert [s["metadata"]["name"] for s in cluster.stateful_sets] == ["ss"]
    assert [s["metadata"]["name"] for s in cluster.replication_controllers] == ["rc"]
    assert cluster.deployments == []


def test_a_dump_does_not_expand_workloads_whose_pods_are_present(tmp_path):
    file = write(tmp_path, "dump.yaml", NODES + """
---
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}
---
kind: ReplicaSet
metadata:
  name: web-abc
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}
---
kind: Pod
metadata:
  name: web-abc-1
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, controller: true}]
spec: {nodeName: n2, containers: [{name: c, image: x}]}
---
kind: Pod
metadata:
  name: web-abc-2
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, controller: true}]
spec: {containers: [{name: c, image: x}]}
""")
    cluster = read_cluster([file])
    assert [p.name for p in cluster.bound_pods] == ["web-abc-1"]
    assert [p.name for p in cluster.pending_pods] == ["web-abc-2"]
    assert [r["metadata"]["name"] for r in cluster.replica_sets] == ["web-abc"]
    assert [d["metadata"]["name"] for d in cluster.deployments] == ["web"]


def test_finished_pods_are_left_out_with_a_warning(tmp_path):
    file = write(tmp_path, "done.yaml", NODES + """
---
kind: Pod
metadata: {name: done}
spec: {nodeName: n1, containers: [{name: c, image: x}]}
status: {phase: Succeeded}
""")
    warnings = []
    cluster = read_cluster([file], warn=warnings.append)
    assert cluster.bound_pods == []
    assert warnings == ["leaving out 1 finished pod (status.phase Succeeded or Failed)"]


def test_unknown_kinds_are_ignored_with_one_warning_per_kind(tmp_path, capsys):
    file = write(tmp_path, "x.yaml", "kind: ConfigMap\nmetadata: {name: a}\n---\nkind: ConfigMap\n"
                                     "metadata: {name: b}\n---\nkind: Secret\nmetadata: {name: c}\n")
    read_cluster([file])
    assert capsys.readouterr().err.splitlines() == [
        "kubesched: warning: ignoring 2 objects of kind ConfigMap (not used for scheduling)",
        "kubesched: warning: ignoring 1 object of kind Secret (not used for scheduling)",
    ]


@pytest.mark.parametrize("extra, words", [
    ("kind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {pods: 1}}\n",
     "Node n1: metadata.name: duplicate node: another node in the input has this name"),
    ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n---\n"
     "kind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: c, image: x}]}\n",
     "Pod default/p: metadata.name: duplicate pod: another pod in the input has this namespace and name"),
    ("kind: PriorityClass\nmetadata: {name: a}\nvalue: 1\nglobalDefault: true\n---\n"
     "kind: PriorityClass\nmetadata: {name: b}\nvalue: 2\nglobalDefault: true\n",
     "PriorityClass b: globalDefault: PriorityClass a is already the global default"),
    ("kind: PriorityClass\nmetadata: {name: huge}\nvalue: 2000000000\n",
     "PriorityClass huge: value: must be no greater than 1000000000"),
    ("kind: PriorityClass\nmetadata: {name: none}\n", "PriorityClass none: value: a PriorityClass needs a value"),
])
def test_cluster_errors(tmp_path, extra, words):
    file = write(tmp_path, "c.yaml", NODES + "---\n" + extra)
    with pytest.raises(InputError) as caught:
        read_cluster([file])
    assert str(caught.value) == f"{file}: {words}"


def test_big_json_cluster(tmp_path):
    items = [{"kind": "Node", "metadata": {"name": f"n{i}", "labels": {"zone": str(i % 3)}},
              "status": {"allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}}} for i in range(500)]
    items += [{"kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"app": "x"}},
               "spec": {"containers": [{"name": "c", "image": "pause",
                                        "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}]}}
              for i in range(1000)]
    file = tmp_path / "big.json"
    file.write_bytes(orjson.dumps({"kind": "List", "items": items}))
    cluster = read_cluster([str(file)])
    assert len(cluster.nodes) == 500 and len(cluster.pending_pods) == 1000
    assert len({id(p.spec) for p in cluster.pending_pods}) == 1  # one interned spec


def test_a_pod_bound_to_a_missing_node_is_left_out_with_a_warning(tmp_path):
    # A snapshot taken while a node was being deleted: upstream's cache skips such pods.
    file = write(tmp_path, "c.yaml", NODES + "---\nkind: Pod\nmetadata: {name: p}\n"
                                            "spec: {nodeName: n9, containers: [{name: c, image: x}]}\n")
    warnings = []
    cluster = read_cluster([file], warn=warnings.append)
    assert cluster.bound_pods == [] and cluster.pending_pods == []
    assert warnings == ["leaving out 1 pod bound to nodes not in the input (as the scheduler's cache does), "
                        "e.g. default/p on n9"]


def bound_pod(name: str, memory: str, node: str = "n2") -> str:
    return (f"---\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{nodeName: {node}, containers: "
            f"[{{name: c, image: x, resources: {{requests: {{memory: {memory}}}}}}}]}}\n")


def test_totals_past_int64_name_the_pod_and_the_resource(tmp_path):
    file = write(tmp_path, "c.yaml", NODES + bound_pod("a", "7Ei") + bound_pod("b", "7Ei"))
    with pytest.raises(InputError) as caught:
        read_cluster([file])
    assert str(caught.value).startswith(f"{file}: Pod default/b: spec.nodeName: the pods bound to node n2 "
                                        "request more memory in total than 9223372036854775807")
    three = ("---\nkind: Pod\nmetadata: {name: p}\nspec: {containers: ["
             + ", ".join(f"{{name: c{i}, image: x, resources: {{requests: {{memory: 4Ei}}}}}}" for i in range(3))
             + "]}\n")
    with pytest.raises(InputError, match=r"Pod default/p: spec: the pod's total memory request .* is beyond"):
        read_cluster([write(tmp_path, "d.yaml", NODES + three)])
    overhead = ("---\napiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: vm}\nhandler: vm\n"
                "overhead: {podFixed: {cpu: '1'}}\n"
                "---\nkind: Pod\nmetadata: {name: q}\nspec: {runtimeClassName: vm, containers: "
                "[{name: c, image: x, resources: {requests: {cpu: '9223372036854775807m'}}}]}\n")
    with pytest.raises(InputError, match=r"Pod default/q: spec: the pod's total cpu request"):
        read_cluster([write(tmp_path, "e.yaml", NODES + overhead)])


def test_integers_past_int64_are_refused(tmp_path):
    node = ("kind: Node\nmetadata: {name: big}\nstatus:\n  allocatable: {pods: 1}\n"
            f"  images: [{{names: [x], sizeBytes: {2**70}}}]\n")
    with pytest.raises(InputError, match=r"Node big: status.images\[0\].sizeBytes: 1180591620717411303424 is out "
                                         "of range for a 64-bit integer"):
        read_cluster([write(tmp_path, "n.yaml", node)])
    # (In a required term upstream takes it and the term matches nothing; a preferred one it cannot use.)
    gt = ("---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x}]\n  affinity: {nodeAffinity: "
          "{preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {matchExpressions: "
          f"[{{key: k, operator: Gt, values: ['{'9' * 40}']}}]}}}}]}}}}\n")
    with pytest.raises(InputError, match="must be an integer"):
        read_cluster([write(tmp_path, "p.yaml", NODES + gt)])
