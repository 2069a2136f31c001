"""The claims controllers create from templates: a StatefulSet's `volumeClaimTemplates`
(claim `<template>-<set>-<ordinal>`, mounted as the template's volume) and a pod's ephemeral
volumes (claim `<pod>-<volume>`, owned by the pod), as manifests for the storage reader."""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.model.fields import mapping, sequence, string, string_map
from kubesched.model.validation import dns_subdomain


def claim_templates(spec: dict) -> list[dict]:
    templates = []
    for i, template in enumerate(sequence(spec.get("volumeClaimTemplates"), "spec.volumeClaimTemplates")):
        path = f"spec.volumeClaimTemplates[{i}]"
        template = mapping(template, path)
        meta = mapping(template.get("metadata"), f"{path}.metadata")
        if not string(meta.get("name"), f"{path}.metadata.name"):
            raise InputError("Required value", field=f"{path}.metadata.name")
        templates.append(template)
    return templates


def with_claim_volumes(pod_spec: dict, templates: list[dict], set_name: str, ordinal: int) -> dict:
    """The pod spec with each template's volume pointing at its claim, replacing a volume of
    the same name, as the StatefulSet controller does."""
    if not templates:
        return pod_spec
    names = {t["metadata"]["name"] for t in templates}
    volumes = [v for v in sequence(pod_spec.get("volumes"), "spec.template.spec.volumes")
               if not (isinstance(v, dict) and v.get("name") in names)]
    for template in templates:
        name = template["metadata"]["name"]
        volumes.append({"name": name, "persistentVolumeClaim": {"claimName": f"{name}-{set_name}-{ordinal}"}})
    return {**pod_spec, "volumes": volumes}


def stateful_set_claims(obj: dict, pod_names: list[str]) -> list[dict]:
    """The claims of a StatefulSet's pods (`<set>-<ordinal>`), labelled with its selector's
    matchLabels."""
    meta = mapping(obj.get("metadata"), "metadata")
    namespace = string(meta.get("namespace"), "metadata.namespace") or "default"
    spec = mapping(obj.get("spec"), "spec")
    selector = mapping(spec.get("selector"), "spec.selector")
    labels = string_map(selector.get("matchLabels"), "spec.selector.matchLabels")
    claims = []
    for template in claim_templates(spec):
        template_meta = template.get("metadata") or {}
        for pod_name in pod_names:
            name = f"{template_meta['name']}-{pod_name}"
            dns_subdomain(name, "spec.volumeClaimTemplates.metadata.name")
            claim_meta = {**template_meta, "name": name, "namespace": namespace,
                          "labels": {**string_map(template_meta.get("labels"), "metadata.labels"), **labels}}
            claims.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": claim_meta,
                           "spec": template.get("spec") or {}})
    return claims


def ephemeral_claim(pod_name: str, namespace: str, pod_uid: str, volume_name: str, template: dict) -> dict:
    meta = mapping(template.get("metadata"), "metadata")
    owner = {"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": pod_uid, "controller": True,
             "blockOwnerDeletion": True}
    claim_meta = {**meta, "name": f"{pod_name}-{volume_name}", "namespace": namespace, "ownerReferences": [owner]}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": claim_meta,
            "spec": template.get("spec") or {}}
