"""The pods DaemonSets run on nodes that the plan adds: each new node gets one pod of every
DaemonSet that targets it, as the controller would create it."""

from __future__ import annotations

from kubesched.model.manifests import Manifest
from kubesched.model.pods import PodParser
from kubesched.model.records import Node, Pod
from kubesched.model.workloads import expand_workload


class DaemonSets:
    def __init__(self, manifests: list[Manifest], parser: PodParser):
        self.manifests = [m for m in manifests if m.kind == "DaemonSet"]
        self.parser = parser

    def pods_for(self, node: Node) -> list[Pod]:
        pods = []
        for manifest in self.manifests:
            for obj in expand_workload(manifest, [node], self.parser):
                # One pod per node: named after the node so that names stay unique.
                obj["metadata"]["name"] = f"{manifest.obj['metadata']['name']}-{node.name}"
                pods.append(self.parser.parse(obj, file=manifest.file))
        return pods
