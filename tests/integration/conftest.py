"""A real control plane for integration tests: etcd, kube-apiserver, kwok and the reference
kube-scheduler on loopback, started once per session (binaries are built if missing)."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import kubernetes
import pytest

NODES = 3


@pytest.fixture(scope="session")
def control_plane(request, tmp_path_factory):
    from kubesched.cluster import build, plane

    capture = request.config.pluginmanager.getplugin("capturemanager")

    def progress(message: str) -> None:
        # Shown live even under output capture: a cold build takes many minutes.
        with capture.global_and_fixture_disabled() if capture else nullcontext():
            print(message, file=sys.stderr, flush=True)

    if build.cached_bin_dir() is None:
        progress("\nthe control plane's binaries are not built yet: building them now")
        build.ensure_built(progress)
    directory = tmp_path_factory.mktemp("control-plane")
    # No controller manager: the tests create pods right after their namespaces, which its
    # ServiceAccount admission would refuse until the token controller caught up.
    started = plane.up(directory, plane.PlaneOptions(nodes=NODES, with_kube_scheduler=True,
                                                     with_controller_manager=False),
                       progress=lambda message: None)
    yield started
    plane.down(directory)


@pytest.fixture(scope="session")
def core_api(control_plane):
    api_client = kubernetes.config.new_client_from_config(config_file=str(control_plane.kubeconfig))
    yield kubernetes.client.CoreV1Api(api_client)
    api_client.close()
