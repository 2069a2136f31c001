"""Kubeconfig files for the plane: self-contained (certificates embedded), one per identity."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from kubesched.cluster.certs import Identity, Pki

CLUSTER_NAME = "kubesched"


def write_kubeconfig(path: Path, server: str, pki: Pki, identity: Identity) -> Path:
    client, user = pki.client(identity), identity.user

    def embedded(file: Path) -> str:
        return base64.b64encode(file.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CLUSTER_NAME, "cluster": {
            "server": server, "certificate-authority-data": embedded(pki.ca.cert)}}],
        "users": [{"name": user, "user": {
            "client-certificate-data": embedded(client.cert),
            "client-key-data": embedded(client.key)}}],
        "contexts": [{"name": CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": CLUSTER_NAME,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
