"""The claims that controllers would have created by the time the scheduler sees the pods:
those of StatefulSets' volumeClaimTemplates and of pods' ephemeral volumes, unless the input
has them already (a dump of a live cluster does)."""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.model.claim_templates import ephemeral_claim, stateful_set_claims
from kubesched.model.manifests import Manifest


def add_controller_claims(manifests: list[Manifest], set_claims: list[tuple[Manifest, list[str]]],
                          cluster) -> list[Manifest]:
    """The manifests plus the claims the StatefulSet and ephemeral volume controllers create."""
    present = set()
    for manifest in manifests:
        if manifest.kind == "PersistentVolumeClaim":
            meta = manifest.obj.get("metadata") if isinstance(manifest.obj.get("metadata"), dict) else {}
            present.add((meta.get("namespace") or "default", meta.get("name")))
    added: list[Manifest] = []

    def add(claim: dict, file: str) -> None:
        key = (claim["metadata"]["namespace"], claim["metadata"]["name"])
        if key not in present:
            present.add(key)
            added.append(Manifest(claim, file, "generated"))

    for manifest, pod_names in set_claims:
        try:
            for claim in stateful_set_claims(manifest.obj, pod_names):
                add(claim, manifest.file)
        except InputError as e:
            meta = manifest.obj.get("metadata") or {}
            raise e.located(file=manifest.file or None,
                            obj=f"StatefulSet {meta.get('namespace') or 'default'}/{meta.get('name')}") from None
    for pod in (*cluster.bound_pods, *cluster.pending_pods):
        for volume in pod.spec.volumes:
            if volume.ephemeral is not None:
                add(ephemeral_claim(pod.name, pod.namespace, pod.uid, volume.name, volume.ephemeral), pod.source)
    return [*manifests, *added] if added else manifests
