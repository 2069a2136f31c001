"""What the controllers do with the claims of a pod that is gone (a preemption victim): the
resourceclaim controller drops the pod from each claim's `status.reservedFor`; a claim no
one uses any more is deallocated (its devices are free); a claim made for the pod from a
template is deleted (its owner is gone; the garbage collector, or the controller, deletes
it). A recreated pod gets claims of its own again."""

from __future__ import annotations

from dataclasses import replace

from kubesched.dra.plugin import DraCluster
from kubesched.model.records import Pod


def release_claims(dra: DraCluster, pod: Pod) -> list[str]:
    """Release the claims reserved for `pod`; the keys of the claims deleted."""
    deleted = []
    for key, claim in list(dra.objects.claims.items()):
        if claim.namespace != pod.namespace:
            continue
        remaining = [r for r in claim.reserved_for if not _names(r, pod)]
        owned = bool(claim.owner_pod_name) and claim.owner_pod_name == pod.name and \
            (not claim.owner_pod_uid or not pod.uid or claim.owner_pod_uid == pod.uid)
        if len(remaining) == len(claim.reserved_for) and not owned:
            continue
        released = replace(claim, reserved_for=remaining, allocation=claim.allocation if remaining else None)
        dra.update_claim(released)  # the devices of a deallocated claim are free again
        if owned and not remaining:
            del dra.objects.claims[key]
            deleted.append(key)
    if deleted:
        dra.forget_pod_claims(pod, deleted)
    return deleted


def _names(reference: dict, pod: Pod) -> bool:
    if reference.get("resource", "pods") != "pods" or reference.get("name") != pod.name:
        return False
    uid = reference.get("uid")
    return not uid or not pod.uid or uid == pod.uid
