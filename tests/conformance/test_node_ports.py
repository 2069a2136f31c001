"""NodePorts filter, ported from upstream's nodeports/node_ports_test.go (TestNodePorts and
TestFits): the ports of one existing pod on the node against the incoming pod's ports."""

import pytest

from kubesched.errors import InputError

from .builders import container, evaluate, host_port, node, pod

REASON = "node(s) didn't have free ports for the requested pod ports"


def ports(*specs):
    """Host ports from "PROTOCOL/IP/PORT" strings."""
    result = []
    for spec in specs:
        protocol, ip, number = spec.split("/")
        result.append(host_port(protocol, ip, int(number)))
    return result


def run(incoming, existing_ports):
    existing = pod(node="n1", ports=ports(*existing_ports))
    return evaluate([node("n1")], incoming, [existing])


CASES = [
    # (upstream case name, incoming pod's ports, existing pod's ports, conflict?)
    ("other port", ["UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/9090"], False),
    ("same udp port", ["UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/8080"], True),
    ("same tcp port", ["TCP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], True),
    ("different host ip", ["TCP/127.0.0.1/8080"], ["TCP/127.0.0.2/8080"], False),
    ("different protocol", ["UDP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], False),
    ("second udp port conflict", ["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/8080"], True),
    ("first tcp port conflict", ["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"],
     ["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"], True),
    ("first tcp port conflict due to 0.0.0.0 hostIP", ["TCP/0.0.0.0/8001"], ["TCP/127.0.0.1/8001"], True),
    ("TCP hostPort conflict due to 0.0.0.0 hostIP", ["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"],
     ["TCP/127.0.0.1/8001"], True),
    ("second tcp port conflict to 0.0.0.0 hostIP", ["TCP/127.0.0.1/8001"], ["TCP/0.0.0.0/8001"], True),
    ("second different protocol", ["UDP/127.0.0.1/8001"], ["TCP/0.0.0.0/8001"], False),
    ("UDP hostPort conflict due to 0.0.0.0 hostIP", ["UDP/127.0.0.1/8001"],
     ["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"], True),
    # TestFits
    ("multiple non-conflicting ports",
     ["TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"],
     ["TCP/127.0.0.1/9090", "TCP/127.0.0.1/9191", "TCP/127.0.1.1/8080"], False),
    ("same ports on different protocols", ["TCP/127.0.0.1/80"], ["UDP/127.0.0.1/80"], False),
    ("multiple ports, some conflicting",
     ["TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"],
     ["TCP/127.0.0.1/9090", "TCP/127.0.1.1/90", "TCP/127.0.1.1/8080"], True),
]


@pytest.mark.parametrize("name, wanted, used, conflict", CASES, ids=[c[0] for c in CASES])
def test_host_port_conflicts(name, wanted, used, conflict):
    result = run(pod(ports=ports(*wanted)), used)
    assert result.failed("n1") == ("NodePorts" if conflict else None)
    assert result.reasons("n1") == ([REASON] if conflict else [])


def test_pod_without_ports_always_fits():
    # "skip filter": a pod without host ports is never rejected, whatever the node uses.
    result = run(pod(), ["TCP/0.0.0.0/8001"])
    assert result.failed("n1") is None


def test_non_sidecar_init_container_host_port_is_ignored():
    # "non-sidecar initContainer using hostPort": PreFilter skips, the node fits.
    incoming = pod(init_containers=[container(ports=[{"containerPort": 8001, "hostPort": 8001,
                                                      "protocol": "TCP"}])])
    assert run(incoming, ["TCP/0.0.0.0/8001"]).failed("n1") is None


def test_sidecar_init_container_host_port_conflicts():
    # "TCP hostPort conflict from sidecar initContainer"
    incoming = pod(init_containers=[container(ports=[{"containerPort": 8001, "hostPort": 8001,
                                                      "protocol": "TCP"}], sidecar=True)])
    result = run(incoming, ["TCP/0.0.0.0/8001"])
    assert result.failed("n1") == "NodePorts"
    assert result.reasons("n1") == [REASON]


def test_ports_of_existing_sidecar_are_in_use():
    # Derived (not an upstream table case): the node's used ports include those of an
    # existing pod's sidecar, as upstream's GetHostPorts counts restartable init containers.
    existing = pod(node="n1", init_containers=[container(ports=[host_port("TCP", "", 8001)], sidecar=True)])
    result = evaluate([node("n1")], pod(ports=ports("TCP/127.0.0.1/8001")), [existing])
    assert result.failed("n1") == "NodePorts"


def test_host_network_ports_default_to_their_container_port():
    # The API server defaults hostPort = containerPort for every port of a hostNetwork pod
    # (pkg/apis/core/v1 defaults), so such a pod conflicts without naming a host port.
    incoming = pod(spec_fields={"hostNetwork": True},
                   containers=[{"name": "c", "image": "i", "ports": [{"containerPort": 8080}]}])
    assert run(incoming, ["TCP/0.0.0.0/8080"]).reasons("n1") == [REASON]
    assert run(incoming, ["TCP/0.0.0.0/9090"]).failed("n1") is None


def test_host_network_port_must_match_its_container_port():
    # Validation: "must match `containerPort` when `hostNetwork` is true".
    with pytest.raises(InputError, match="hostPort"):
        pod(spec_fields={"hostNetwork": True},
            containers=[{"name": "c", "image": "i", "ports": [{"containerPort": 8080, "hostPort": 80}]}])
