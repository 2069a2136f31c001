"""Pending pods read as batches: a JSON List's items that are one pod's manifest but for
metadata.name (kubesched.model.json_lists), kept as that first pod's record and where the
other names are in the file's text, without a record or an object per pod.

`simulate` reads its input so (read_cluster(batched=True)) and decides the batches without
making their pods (kubesched.sim.batched); anything it does not take makes them first
(`expand`), and they are then what the usual reading would have made. A batch is kept only
where nothing the usual reading checks can tell its pods apart: every pod of its List is
pending and of a shape that parsed, and every name (checked here, for the whole cluster at
once) is a DNS subdomain that no other pod of its namespace has. Any doubt (`Refused`) sends
the reading back to the usual one, which says what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kubesched._json_items import first_bad_name, text_hashes
from kubesched.model.records import Pod
from kubesched.model.validation import DNS_SUBDOMAIN_MAX


class Refused(Exception):
    """The batches would not read as the usual reading reads (the caller reads again as usual)."""


@dataclass(slots=True, eq=False)
class ListedShape:
    """One shape of a JSON List's items, on the manifest of its first item."""
    listing: list  # the manifests of the List's pod shapes (shared by them)
    items: np.ndarray  # the shape's pods' places among the List's pods, in order (its first first)
    names: np.ndarray  # (n, 2): where their names are in `data`
    data: bytes


@dataclass(slots=True, eq=False)
class PodBatch:
    template: Pod  # the first pod's record, with its own name and index
    data: bytes
    names: np.ndarray  # (n, 2) int64: where each pod's name is in `data`, the first one's first
    indexes: np.ndarray  # int64: each pod's place among the pending pods (Pod.index)

    def __len__(self) -> int:
        return len(self.indexes)

    def pods(self) -> Iterator[Pod]:
        """The pods as the usual reading makes them: the first one's record, renamed."""
        t = self.template
        yield t
        meta = t.raw["metadata"]
        data = self.data
        for (start, end), index in zip(self.names[1:].tolist(), self.indexes[1:].tolist()):
            name = data[start:end].decode("ascii")
            yield t.renamed(name, {**t.raw, "metadata": {**meta, "name": name}}, index)


FINISHED_PHASES = ("Succeeded", "Failed")


def has_finished(item: dict) -> bool:
    """A pod that has finished holds no resources: the reading leaves it out, as
    kube-scheduler's informer does."""
    status = item.get("status")
    return isinstance(status, dict) and status.get("phase") in FINISHED_PHASES


# Kinds that may sit among a batched List's pods: objects kept as they are, which add no pod
# between them (a workload's pods would be numbered among the List's).
BESIDE_BATCHES = frozenset({"Node", "Namespace", "Service", "PriorityClass", "PodDisruptionBudget", "RuntimeClass"})


def batchable(item: dict) -> bool:
    """Whether a List's first item of a shape lets the List be read batched: a Pod that
    reads as a pod to decide (not bound, not finished), or an object of BESIDE_BATCHES."""
    kind = item.get("kind")
    if kind != "Pod":
        return type(kind) is str and kind in BESIDE_BATCHES
    spec = item.get("spec")
    return not (isinstance(spec, dict) and spec.get("nodeName")) and not has_finished(item)


def batched_pods(shapes: list[ListedShape], templates: list[Pod], first_index: int) -> list[PodBatch]:
    """The batches of one List whose pods are all pending, the first of them at `first_index`."""
    batches = []
    for shape, template in zip(shapes, templates):
        batches.append(PodBatch(template, shape.data, shape.names, shape.items + first_index))
        template.index = int(batches[-1].indexes[0])
    return batches


def check_names(batches: list[PodBatch], keys: set[str]) -> None:
    """Refused unless every batched pod's name is a DNS subdomain and its key no other
    pod's (`keys`: the other pods' namespace/name); the first pod of a batch was checked
    when it was read."""
    by_namespace: dict[str, list[PodBatch]] = {}
    for batch in batches:
        if first_bad_name(batch.data, batch.names[1:], DNS_SUBDOMAIN_MAX) >= 0:
            raise Refused
        by_namespace.setdefault(batch.template.namespace, []).append(batch)
    others: dict[str, list[bytes]] = {}
    for key in keys:
        namespace, name = key.split("/", 1)
        if namespace in by_namespace:
            others.setdefault(namespace, []).append(name.encode())
    for namespace, group in by_namespace.items():  # a name repeats only within its namespace
        hashes = [text_hashes(batch.data, batch.names) for batch in group]
        names = others.get(namespace)
        if names:
            ends = np.cumsum(np.fromiter(map(len, names), dtype=np.int64, count=len(names)))
            starts = np.r_[0, ends[:-1]]
            hashes.append(text_hashes(b"".join(names), np.stack([starts, ends], axis=1)))
        every = np.sort(np.concatenate(hashes))
        if (every[1:] == every[:-1]).any():
            raise Refused  # a repeated name (or two hashes alike): the usual reading says which


def expand(batches: list[PodBatch], pending: list[Pod]) -> list[Pod]:
    """The pending pods with the batches' pods among them, in input order (Pod.index)."""
    if not batches:
        return pending
    everything: list = [None] * (len(pending) + sum(map(len, batches)))
    for pod in pending:
        everything[pod.index] = pod
    for batch in batches:
        for index, pod in zip(batch.indexes.tolist(), batch.pods()):
            everything[index] = pod
    return everything
