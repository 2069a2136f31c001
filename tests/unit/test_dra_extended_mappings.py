"""`pod.status.extendedResourceClaimStatus.requestMappings`: which request of the claim made
for a pod's extended resources serves which container's resource; the cases of upstream's
Test_createRequestsAndMappings_mappings (containers named as its pod builder names them)."""

from __future__ import annotations

from kubesched.dra.extended import classes_by_resource, request_mappings
from kubesched.model.dra_objects import parse_class
from kubesched.model.pods import PodParser
from tests.conformance.dra_builders import device_class

EXT = "example.com/gpu"
INIT = EXT + "init"


def _mapping():
    classes = [parse_class(device_class("class", extendedResourceName=EXT)),
               parse_class(device_class("class-init", extendedResourceName=INIT))]
    return classes_by_resource({c.name: c for c in classes})


def _container(name, resource, count, **more):
    return {"name": name, "image": "x", "resources": {"requests": {resource: str(count)},
                                                       "limits": {resource: str(count)}}, **more}


def _mappings(containers, init=()):
    pod = PodParser().parse({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default",
                                                                            "uid": "u"},
                             "spec": {"containers": list(containers), "initContainers": list(init)}})
    found = request_mappings(pod, sorted({EXT, INIT} & set(pod.spec.requests)), _mapping())
    return sorted((m["requestName"], m["containerName"], m["resourceName"]) for m in found)


def test_init_containers_map_to_the_largest_init_request():
    assert _mappings([_container("con0", EXT, 1)], init=[_container("init-con0", INIT, 1),
                                                         _container("init-con1", INIT, 2)]) == [
        ("container-1-request-0", "init-con0", INIT), ("container-1-request-0", "init-con1", INIT),
        ("container-2-request-0", "con0", EXT)]


def test_an_init_container_reuses_a_later_sidecars_request():
    init = [_container("init-con0", INIT, 1), _container("sidecar-con1", INIT, 1, restartPolicy="Always"),
            _container("init-con2", INIT, 2)]
    assert _mappings([_container("con0", EXT, 1)], init=init) == [
        ("container-1-request-0", "init-con0", INIT), ("container-1-request-0", "sidecar-con1", INIT),
        ("container-2-request-0", "init-con2", INIT), ("container-3-request-0", "con0", EXT)]


def test_long_lived_containers_first_in_container_order():
    found = request_mappings(PodParser().parse({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "uid": "u"},
        "spec": {"initContainers": [_container("i", EXT, 2)], "containers": [_container("a", EXT, 1),
                                                                           _container("b", EXT, 1)]}}),
        [EXT], _mapping())
    # i reuses a's and b's devices: no request of its own
    assert [(m["containerName"], m["requestName"]) for m in found] == [
        ("a", "container-1-request-0"), ("b", "container-2-request-0"), ("i", "container-1-request-0"),
        ("i", "container-2-request-0")]
