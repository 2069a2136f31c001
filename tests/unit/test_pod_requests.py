"""What a pod requests: containers, init containers and sidecars (KEP-753), overhead,
limits copied into missing requests, pod-level resources, and the non-zero amounts used
for scoring (100m cpu / 200Mi memory for a container that names none)."""

import itertools

import pytest

from kubesched.errors import InputError
from kubesched.model.pod_resources import pod_requests
from kubesched.model.pods import PodParser
from tests.resources import resources

MI = 2**20
DEFAULT_MEMORY = 200 * MI


def container(cpu=None, memory=None, *, limits=None, sidecar=False, **extra):
    requests = {}
    if cpu is not None:
        requests["cpu"] = cpu
    if memory is not None:
        requests["memory"] = memory
    requests.update(extra)
    result = {"name": f"c{next(_names)}", "image": "busybox", "resources": resources(requests, limits)}
    if sidecar:
        result["restartPolicy"] = "Always"
    return result


_names = itertools.count()  # the API server refuses two containers of one name


def spec_info(containers, init_containers=(), **spec):
    body = {"containers": list(containers), **spec}
    if init_containers:
        body["initContainers"] = list(init_containers)
    return PodParser().spec_info(body)


@pytest.mark.parametrize("containers, init, cpu", [
    # regular containers add up
    ([container("100m"), container("200m")], [], 300),
    # one init container bigger than the containers: the pod needs it
    ([container("100m")], [container("500m")], 500),
    # init containers run one at a time: the largest counts, not the sum
    ([container("100m")], [container("300m"), container("400m")], 400),
    # containers bigger than any init container
    ([container("1"), container("1")], [container("1500m")], 2000),
    # a sidecar runs beside the containers: it adds
    ([container("300m")], [container("100m", sidecar=True)], 400),
    # sidecar declared before an init container: that init container runs beside it
    ([container("300m")], [container("100m", sidecar=True), container("1"), container("200m", sidecar=True)], 1100),
    # the same containers, sidecars declared after the init container: no overlap
    ([container("300m")], [container("1"), container("100m", sidecar=True), container("200m", sidecar=True)], 1000),
    # the steady state wins when it is larger than the init phase
    ([container("2")], [container("100m", sidecar=True), container("1")], 2100),
    # a container without a cpu request counts 0 for filtering
    ([container(memory="1Gi"), container("250m")], [], 250),
])
def test_cpu_request_combines_containers(containers, init, cpu):
    assert spec_info(containers, init).requests.get("cpu", 0) == cpu


def test_each_resource_is_combined_on_its_own():
    # cpu peaks in the init phase, memory in the steady state
    info = spec_info([container("100m", "1Gi")], [container("2", "100Mi")])
    assert info.requests == {"cpu": 2000, "memory": 1024 * MI}


def test_overhead_is_added():
    info = spec_info([container("100m", "128Mi")], overhead={"cpu": "250m", "memory": "120Mi"})
    assert info.requests == {"cpu": 350, "memory": 248 * MI}
    assert (info.nonzero_cpu, info.nonzero_memory) == (350, 248 * MI)


def test_overhead_is_added_to_the_init_peak_too():
    info = spec_info([container("100m")], [container("1")], overhead={"cpu": "10m"})
    assert info.requests["cpu"] == 1010


@pytest.mark.parametrize("resources, requests", [
    # only limits: the API copies them into the requests
    ({"limits": {"cpu": "1", "memory": "1Gi"}}, {"cpu": 1000, "memory": 1024 * MI}),
    # a request wins over its limit
    ({"requests": {"cpu": "500m"}, "limits": {"cpu": "2"}}, {"cpu": 500}),
    # per resource: memory from the limit, cpu from the request
    ({"requests": {"cpu": "500m"}, "limits": {"memory": "64Mi"}}, {"cpu": 500, "memory": 64 * MI}),
    ({"limits": {"nvidia.com/gpu": 2}}, {"nvidia.com/gpu": 2}),
])
def test_limits_default_missing_requests(resources, requests):
    info = spec_info([{"name": "c", "image": "x", "resources": resources}])
    assert info.requests == requests


def test_request_above_limit_is_refused():
    with pytest.raises(InputError, match="less than or equal to the cpu limit") as caught:
        spec_info([{"name": "c", "image": "x", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}])
    assert caught.value.field == "spec.containers[0].resources.requests.cpu"


@pytest.mark.parametrize("requests, limits, field, problem", [
    # extended resources and huge pages cannot be overcommitted: a limit, equal to the request
    ({"example.com/gpu": "1"}, {}, "spec.containers[0].resources.limits[example.com/gpu]", "Limit must be set"),
    ({"hugepages-2Mi": "2Mi", "memory": "1Gi"}, {}, "spec.containers[0].resources.limits.hugepages-2Mi",
     "Limit must be set"),
    ({"example.com/gpu": "1"}, {"example.com/gpu": "2"}, "spec.containers[0].resources.requests[example.com/gpu]",
     "must be equal to the example.com/gpu limit"),
])
def test_what_cannot_be_overcommitted_needs_an_equal_limit(requests, limits, field, problem):
    with pytest.raises(InputError) as caught:
        spec_info([{"name": "c", "image": "x", "resources": {"requests": requests, "limits": limits}}])
    assert caught.value.field == field and problem in str(caught.value)


def test_native_resources_may_go_without_a_limit():
    info = spec_info([{"name": "c", "image": "x", "resources": {
        "requests": {"cpu": "1", "ephemeral-storage": "1Gi", "example.kubernetes.io/thing": "1"}}}])
    assert info.requests["example.kubernetes.io/thing"] == 1


@pytest.mark.parametrize("containers, init, nonzero_cpu, nonzero_memory", [
    # no requests at all: one default each
    ([container()], [], 100, DEFAULT_MEMORY),
    # two containers without requests: the defaults add up
    ([container(), container()], [], 200, 2 * DEFAULT_MEMORY),
    # an explicit zero stays zero; only a missing request gets the default
    ([container("0", "0")], [], 0, 0),
    ([container("0")], [], 0, DEFAULT_MEMORY),
    ([container(memory="1Gi")], [], 100, 1024 * MI),
    ([container("250m", "64Mi")], [], 250, 64 * MI),
    # init containers get defaults too (upstream PodRequests with NonMissingContainerRequests)
    ([container("50m", "10Mi")], [container()], 100, DEFAULT_MEMORY),
    # a sidecar without requests adds the defaults to the steady state
    ([container("50m", "10Mi")], [container(sidecar=True)], 150, DEFAULT_MEMORY + 10 * MI),
    # limits-only containers are not "missing": the limit became the request
    ([container(limits={"cpu": "2"})], [], 2000, DEFAULT_MEMORY),
])
def test_nonzero_requests(containers, init, nonzero_cpu, nonzero_memory):
    info = spec_info(containers, init)
    assert (info.nonzero_cpu, info.nonzero_memory) == (nonzero_cpu, nonzero_memory)


def test_nonzero_does_not_change_filtering_requests():
    info = spec_info([container(), container("100m")])
    assert info.requests == {"cpu": 100}
    assert info.nonzero_cpu == 200


def test_zero_requests_are_left_out_and_pods_never_appear():
    info = spec_info([container("0", "0", **{"ephemeral-storage": "1Gi"})])
    assert info.requests == {"ephemeral-storage": 2**30}
    assert "pods" not in info.requests


def test_resource_names_are_kept_as_written():
    info = spec_info([container("1", **{"nvidia.com/gpu": "1", "hugepages-2Mi": "4Mi", "ephemeral-storage": "1Gi"})])
    assert info.requests == {"cpu": 1000, "nvidia.com/gpu": 1, "hugepages-2Mi": 4 * MI,
                             "ephemeral-storage": 2**30}


def test_extended_resources_add_up_across_containers():
    info = spec_info([container(**{"example.com/foo": 1}), container(**{"example.com/foo": 2})],
                     [container(**{"example.com/foo": 2})])
    assert info.requests == {"example.com/foo": 3}


def test_pod_level_requests_replace_the_containers_sum():
    info = spec_info([container("500m"), container("500m")],
                     resources={"requests": {"cpu": "3", "memory": "1Gi"}})
    assert info.requests == {"cpu": 3000, "memory": 2**30}
    assert (info.nonzero_cpu, info.nonzero_memory) == (3000, 2**30)


def test_pod_level_request_defaulted_from_the_pod_level_limit():
    # no container requests memory: the pod-level request defaults to the pod-level limit
    info = spec_info([container("100m")], resources={"limits": {"memory": "2Gi"}})
    assert info.requests == {"cpu": 100, "memory": 2 * 2**30}


def test_pod_level_requests_leave_defaults_only_where_neither_level_requests():
    # cpu is set at pod level, so containers without cpu get no 100m default; memory is set
    # nowhere, so each container still counts 200Mi for scoring
    info = spec_info([container(), container()], resources={"requests": {"cpu": "1"}})
    assert info.requests == {"cpu": 1000}
    assert (info.nonzero_cpu, info.nonzero_memory) == (1000, 2 * DEFAULT_MEMORY)


def test_pod_level_resources_refuse_other_resources():
    with pytest.raises(InputError, match="unsupported pod-level resource") as caught:
        spec_info([container()], resources={"requests": {"ephemeral-storage": "1Gi"}})
    assert caught.value.field == "spec.resources.requests.ephemeral-storage"


def test_unknown_resource_names_are_refused():
    with pytest.raises(InputError, match="unknown resource 'cpus'"):
        spec_info([container(cpus="1")])


def test_pod_level_requests_below_the_containers_total_are_refused():
    # The API server's validatePodResourceConsistency: pod-level >= aggregate container requests.
    spec = {"resources": {"requests": {"cpu": "500m"}},
            "containers": [{"name": "a", "image": "i", "resources": {"requests": {"cpu": "400m"}}},
                           {"name": "b", "image": "i", "resources": {"requests": {"cpu": "200m"}}}]}
    with pytest.raises(InputError, match="aggregate container requests") as error:
        pod_requests(spec, spec["containers"], [])
    assert error.value.field == "spec.resources.requests.cpu"


def test_a_pod_level_request_defaulted_above_the_pod_level_limit_is_refused():
    # Defaulting makes the containers' total the pod-level request; validation then finds
    # it above the pod-level limit.
    spec = {"resources": {"limits": {"memory": "1Gi"}},
            "containers": [{"name": "a", "image": "i", "resources": {"requests": {"memory": "2Gi"}}}]}
    with pytest.raises(InputError, match="less than or equal to the memory limit") as error:
        pod_requests(spec, spec["containers"], [])
    assert error.value.field == "spec.resources.requests.memory"


def test_a_null_quantity_is_zero():
    # The API decodes `cpu: null` as a zero quantity; the pod then requests no cpu, but the
    # explicit zero keeps the non-zero default from applying.
    info = spec_info([{"name": "c", "image": "x", "resources": {"requests": {"cpu": None, "memory": "1Gi"}}}])
    assert info.requests == {"memory": 2**30}
    assert info.nonzero_cpu == 0
