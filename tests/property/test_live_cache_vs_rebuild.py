"""The live cache's snapshot, changed in place event by event (kubesched.live.cache), decides
every pending pod exactly as a snapshot built from scratch from the same objects: the same
node or the same upstream message, the same verdicts and scores on every node. Random
clusters go through random events — nodes added, changed (labels, taints, allocatable,
unschedulable, images), heartbeats, deleted; pods bound, relabelled, removed and decided by
the cache itself; Services, ReplicaSets and StatefulSets added, changed, deleted; Namespace labels
changed; the profile switched — with spreading, inter-pod (anti-)affinity, node affinity,
images and ports in the pods. Ties are broken at random from the same seed on both sides."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kubesched.framework.pod_class import ClusterObjects
from kubesched.live.cache import Cache
from kubesched.model.nodes import parse_node
from kubesched.model.records import Node, Pod
from kubesched.engine.cluster import ClusterSnapshot

from .strategies import KEYS, NAMESPACES, VALUES, node, nodes, pod_labels, profiles, specs, taints

KINDS = {"services": "services", "replicasets": "replica_sets", "statefulsets": "stateful_sets"}
NAMES = {"services": "svc", "replicasets": "rs", "statefulsets": "ss"}
OWNERS = (("", ""), ("ReplicaSet", "rs"), ("StatefulSet", "ss"))
ADDED = 3  # nodes that may join after the start


def node_object(node: Node, heartbeat: int = 0) -> dict:
    """The API's form of a node record (label values made valid: no leading '-')."""
    allocatable = {name: f"{amount}m" if name == "cpu" else str(amount) for name, amount in node.allocatable.items()}
    spec: dict = {"taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in node.taints]}
    if node.unschedulable:
        spec["unschedulable"] = True
    return {"metadata": {"name": node.name, "labels": {k: v.lstrip("-") for k, v in node.labels.items()}},
            "spec": spec,
            "status": {"allocatable": allocatable,
                       "images": [{"names": list(image.names), "sizeBytes": image.size_bytes} for image in node.images],
                       "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": str(heartbeat)}]}}


def workload_object(kind: str, namespace: str, labels: dict, uid: str) -> dict:
    selector = labels if kind == "services" else {"matchLabels": labels}
    return {"metadata": {"name": NAMES[kind], "namespace": namespace, "uid": uid}, "spec": {"selector": selector}}


selector_labels = st.one_of(
    st.fixed_dictionaries({"app": st.sampled_from(("a", "b"))}, optional={"tier": st.sampled_from(("x", "y"))}),
    st.fixed_dictionaries({"tier": st.sampled_from(("x", "y"))}))


@st.composite
def node_change(draw, old: Node, i: int) -> Node:
    """`old` with one or two of what scheduling reads changed (a label set or dropped, the
    taints, allocatable, unschedulable or images drawn anew)."""
    new = draw(node(i))
    changed = {}
    for name in draw(st.lists(st.sampled_from(("labels", "labels", "taints", "allocatable", "unschedulable",
                                               "images")), min_size=1, max_size=2, unique=True)):
        if name == "labels":
            labels = dict(old.labels)
            key, value = draw(st.sampled_from(KEYS)), draw(st.one_of(st.none(), st.sampled_from(VALUES)))
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
            changed["labels"] = labels
        elif name == "taints":
            changed["taints"] = tuple(draw(taints))
        elif name == "unschedulable":
            changed["unschedulable"] = not old.unschedulable
        else:
            changed[name] = getattr(new, name)
    return replace(old, **changed)


@st.composite
def scenarios(draw):
    cluster = draw(nodes(min_size=1, max_size=6))
    joining = [draw(node(len(cluster) + k)) for k in range(ADDED)]
    names = [n.name for n in cluster + joining]
    pool = draw(st.lists(specs(), min_size=1, max_size=4))
    # pods without constraints of their own: the system's default spreading (by the Services
    # and workloads that select them) is theirs
    pool += [replace(spec, topology_spread=()) for spec in pool if spec.topology_spread]
    label_pool = draw(st.lists(pod_labels, min_size=1, max_size=3))

    def pod(name: str, node_name: str = "") -> Pod:
        owner_kind, owner_name = draw(st.sampled_from(OWNERS))
        return Pod(draw(st.sampled_from(tuple(NAMESPACES))), name, dict(draw(st.sampled_from(label_pool))),
                   draw(st.sampled_from(pool)), node_name=node_name, uid=name, owner_kind=owner_kind,
                   owner_name=owner_name)

    pending = [pod(f"pending-{i}") for i in range(draw(st.integers(1, 6)))]
    chosen_profiles = [draw(profiles(f"profile-{i}")) for i in range(draw(st.integers(1, 2)))]
    steps = []
    bound = 0
    for _ in range(draw(st.integers(1, 20))):
        kind = draw(st.sampled_from(("add", "change", "change", "change", "change", "heartbeat", "delete", "bind",
                                     "bind", "remove", "relabel", "decide", "decide", "confirm", "object",
                                     "object", "namespace", "profile")))
        if kind == "add":
            steps.append(("node", draw(st.sampled_from(joining))))
        elif kind == "change":
            i = draw(st.integers(0, len(cluster) - 1) if draw(st.integers(0, 3)) else st.integers(0, len(names) - 1))
            old = (cluster + joining)[i]
            steps.append(("node", draw(node_change(old, i))))
        elif kind in ("heartbeat", "delete"):
            steps.append((kind, draw(st.sampled_from(names))))
        elif kind == "bind":
            bound += 1
            where = draw(st.sampled_from(names))
            steps.append(("bind", pod(f"bound-{bound}", where), where))
        elif kind in ("remove", "confirm"):
            steps.append((kind, draw(st.integers(0, 100))))
        elif kind == "relabel":
            steps.append((kind, draw(st.integers(0, 100)), dict(draw(st.sampled_from(label_pool)))))
        elif kind == "decide":
            steps.append(("decide", draw(st.integers(0, len(pending) - 1))))
        elif kind == "object":
            which = draw(st.sampled_from(tuple(KINDS)))
            selected = draw(st.sampled_from(pending))  # mostly an object that selects a pending pod
            namespace = selected.namespace if draw(st.integers(0, 3)) else draw(st.sampled_from(tuple(NAMESPACES)))
            labels = selected.labels if selected.labels and draw(st.integers(0, 3)) else draw(selector_labels)
            obj = None if draw(st.integers(0, 3)) == 0 else workload_object(
                which, namespace, labels, draw(st.sampled_from(("u1", "u2"))))
            steps.append(("object", which, f"{namespace}/{NAMES[which]}", obj))
        elif kind == "namespace":
            name = draw(st.sampled_from(tuple(NAMESPACES)))
            labels = {"kubernetes.io/metadata.name": name}
            team = draw(st.sampled_from((None, "x", "y")))
            if team is not None:
                labels["team"] = team
            steps.append(("namespace", name, labels))
        else:
            steps.append(("profile", draw(st.integers(0, len(chosen_profiles) - 1))))
    seed = draw(st.one_of(st.none(), st.integers(0, 2**31)))
    return cluster, pending, chosen_profiles, steps, seed


@dataclass
class Objects:
    """What the cluster holds, as the test keeps it beside the cache."""

    nodes: dict[str, Node] = field(default_factory=dict)
    placed: dict[str, tuple[Pod, str]] = field(default_factory=dict)  # uid → (pod, node)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    objects: dict[str, dict[str, dict]] = field(default_factory=lambda: {kind: {} for kind in KINDS})

    def snapshot(self, profile, seed) -> ClusterSnapshot:
        """A snapshot built from scratch: the nodes, the objects, every pod on a known node."""
        lists = {field_name: list(self.objects[kind].values()) for kind, field_name in KINDS.items()}
        snapshot = ClusterSnapshot(self.nodes.values(), profile, seed, objects=ClusterObjects(
            namespaces=dict(self.namespaces), storage=None, **lists))
        for pod, where in self.placed.values():
            if where in snapshot.node_index:
                snapshot.assume(snapshot.class_of(pod), snapshot.node_index[where])
        return snapshot


def decision(snapshot: ClusterSnapshot, pod: Pod, seed) -> tuple:
    """Where the engine places the pod (or upstream's message) and every node's verdicts and
    scores (explain's), leaving the snapshot as it was."""
    class_id = snapshot.class_of(pod)
    snapshot._engine.set_seed(seed)
    chosen = snapshot._engine.schedule(class_id)
    if chosen >= 0:
        snapshot.forget(class_id, chosen)
        outcome = snapshot.node_names[chosen]
    else:
        outcome = snapshot.failure_message(snapshot.last_failure())
    snapshot._engine.set_seed(seed)
    return outcome, snapshot.evaluate(class_id)


def apply(step: tuple, cache: Cache, held: Objects, profile, seed) -> None:
    kind = step[0]
    if kind == "node":
        cache.set_node(node_object(step[1]))
        held.nodes[step[1].name] = parse_node(node_object(step[1]))
    elif kind == "heartbeat":
        if step[1] in held.nodes:
            cache.set_node(node_object(held.nodes[step[1]], heartbeat=1))
    elif kind == "delete":
        cache.delete_node(step[1])
        held.nodes.pop(step[1], None)
    elif kind == "bind":
        cache.confirm(step[1].uid, step[1], step[2])
        held.placed.pop(step[1].uid, None)
        held.placed[step[1].uid] = (step[1], step[2])
    elif kind == "remove":
        if held.placed:
            uid = list(held.placed)[step[1] % len(held.placed)]
            cache.remove(uid)
            del held.placed[uid]
    elif kind == "relabel":  # a pod on a node seen with other labels
        if held.placed:
            uid = list(held.placed)[step[1] % len(held.placed)]
            pod, where = held.placed.pop(uid)
            pod = replace(pod, labels=step[2])
            cache.confirm(uid, pod, where)
            held.placed[uid] = (pod, where)
    elif kind == "confirm":  # the watch shows a pod the cache decided bound where it was assumed
        assumed = [uid for uid in held.placed if cache.assumed_node(uid)]
        if assumed:
            uid = assumed[step[1] % len(assumed)]
            pod, where = held.placed[uid]
            assert not cache.confirm(uid, replace(pod, node_name=where), where)
    elif kind == "decide":
        pod = step[1]
        snapshot = cache.snapshot_for(profile)
        snapshot._engine.set_seed(seed)
        class_id = snapshot.class_of(pod)
        chosen = snapshot._engine.schedule(class_id)
        if chosen >= 0:
            where = snapshot.node_names[chosen]
            cache.assumed(pod.uid, pod, where, (class_id, chosen), snapshot.last_gpu_mask)
            held.placed[pod.uid] = (pod, where)
    elif kind == "object":
        _, which, key, obj = step
        cache.set_object(which, key, obj)
        if obj is None:
            held.objects[which].pop(key, None)
        else:
            held.objects[which][key] = obj
    elif kind == "namespace":
        cache.set_namespace({"metadata": {"name": step[1], "labels": step[2]}})
        held.namespaces[step[1]] = step[2]


@settings(max_examples=300)
@given(scenarios())
def test_the_cache_changed_in_place_decides_as_a_snapshot_built_anew(scenario):
    cluster, pending, chosen_profiles, steps, seed = scenario
    profile = chosen_profiles[0]
    cache = Cache(profile, seed)
    held = Objects()
    for name, labels in NAMESPACES.items():
        cache.set_namespace({"metadata": {"name": name, "labels": labels}})
        held.namespaces[name] = dict(labels)
    for n in cluster:
        apply(("node", n), cache, held, profile, seed)
    cache.snapshot_for(profile)  # as the first decision makes it
    in_place = 0
    for number, step in enumerate(steps):
        if step[0] == "profile":
            profile = chosen_profiles[step[1]]
        elif step[0] == "decide":
            template = pending[step[1]]
            apply(("decide", replace(template, name=f"decided-{number}", uid=f"decided-{number}")),
                  cache, held, profile, seed)
        else:
            apply(step, cache, held, profile, seed)
        kept = cache.snapshot is not None
        in_place += kept
        snapshot = cache.snapshot_for(profile)
        rebuilt = held.snapshot(profile, seed)
        assert snapshot.node_names == rebuilt.node_names, (number, step[0])
        for pod in pending:
            got, want = decision(snapshot, pod, seed), decision(rebuilt, pod, seed)
            assert got[0] == want[0], (number, step[0], pod.name, kept, got[0], want[0])
            assert got[1] == want[1], (number, step[0], pod.name, kept)
    event(f"snapshot kept in place after {min(in_place, 5)}{'+' if in_place >= 5 else ''} of the steps")
