"""What a pod requests, per resource, for filtering and for scoring.

Upstream's rule (component-helpers `PodRequests`, KEP-753 for sidecars):

    request = max(Σ regular containers + Σ restartable init containers, init-phase peak)
              (pod-level `spec.resources.requests` replace cpu/memory/hugepages when set)
              + spec.overhead

where the init-phase peak is, over the non-restartable init containers, the container's
own request plus the restartable init containers ("sidecars") declared before it.

API defaulting first copies a container's limit into its request when only the limit is
given. For scoring, upstream computes the same sum with "non-zero" requests: a container
with no cpu request counts 100m and one with no memory request 200Mi (an explicit 0 stays
0), init containers included. NodeResourcesFit's scorer is built without the pod-level
flag (only its filter and BalancedAllocation see pod-level requests), so it scores the
incoming pod by the containers' non-zero totals even when `spec.resources` is set.
"""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.model.fields import check_keys, key_path, mapping
from kubesched.model.quantity import MAX_AMOUNT, resource_amount
from kubesched.model.records import Resources
from kubesched.model.validation import qualified_name

DEFAULT_CPU_REQUEST = 100  # millicores
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # bytes
NONZERO_DEFAULTS = {"cpu": DEFAULT_CPU_REQUEST, "memory": DEFAULT_MEMORY_REQUEST}

_REQUIREMENTS_KEYS = frozenset({"requests", "limits", "claims"})
_STANDARD = frozenset({"cpu", "memory", "ephemeral-storage"})


def _container_resource_name(name: str) -> bool:
    return name in _STANDARD or name.startswith("hugepages-") or "/" in name


def _qualified_resource_name(name: str) -> bool:
    try:
        qualified_name(name, "")
    except InputError:
        return False
    return True


def _pod_level_resource_name(name: str) -> bool:
    return name in ("cpu", "memory") or name.startswith("hugepages-")


def resource_list(obj: object, path: str, *, pod_level: bool = False) -> Resources:
    """A `ResourceList` map parsed into integer amounts."""
    obj = mapping(obj, path)
    result: Resources = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise InputError(f"resource names must be strings, got {name!r}", field=path)
        where = key_path(path, name)
        if pod_level and not _pod_level_resource_name(name):
            raise InputError(f"unsupported pod-level resource {name!r}: only cpu, memory and "
                             f"hugepages-<size> can be set for the whole pod", field=where)
        if not _container_resource_name(name) or not _qualified_resource_name(name):
            raise InputError(f"unknown resource {name!r}: use cpu, memory, ephemeral-storage, "
                             f"hugepages-<size> or a name with a domain such as example.com/gpu",
                             field=where)
        if value is None:  # the API decodes a null quantity as zero
            result[name] = 0
            continue
        try:
            result[name] = resource_amount(name, value)
        except ValueError as e:
            raise InputError(str(e), field=where) from None
    return result


def requirements(obj: object, path: str, *, pod_level: bool = False) -> tuple[Resources, Resources]:
    """(requests, limits) of a `resources` block, requests defaulted from limits."""
    obj = mapping(obj, path)
    check_keys(obj, _REQUIREMENTS_KEYS, path)
    requests = resource_list(obj.get("requests"), f"{path}.requests", pod_level=pod_level)
    limits = resource_list(obj.get("limits"), f"{path}.limits", pod_level=pod_level)
    for name, limit in limits.items():
        request = requests.get(name)
        if request is None:
            if not pod_level:  # pod-level defaulting depends on the containers, see below
                requests[name] = limit
        elif request != limit and not overcommit_allowed(name):
            raise InputError(f"must be equal to the {name} limit (it cannot be overcommitted)",
                             field=key_path(f"{path}.requests", name))
        elif request > limit:
            raise InputError(f"must be less than or equal to the {name} limit",
                             field=key_path(f"{path}.requests", name))
    for name in requests.keys() - limits.keys():
        if not overcommit_allowed(name):
            raise InputError(f"Limit must be set for non overcommitable resources ({name} is requested)",
                             field=key_path(f"{path}.limits", name))
    return requests, limits


def overcommit_allowed(name: str) -> bool:
    """The API server's rule: only native resources (no domain, or kubernetes.io's) other
    than huge pages may be requested below their limit, or without one."""
    return ("/" not in name or "kubernetes.io/" in name) and not name.startswith("hugepages-")


def _add(total: Resources, more: Resources) -> None:
    for name, amount in more.items():
        result = total.get(name, 0) + amount
        if result > MAX_AMOUNT:
            raise InputError(f"the pod's total {name} request (containers, init containers and overhead) "
                             f"is beyond {MAX_AMOUNT}, the largest amount", field="spec")
        total[name] = result


def _raise_to(total: Resources, more: Resources) -> None:
    for name, amount in more.items():
        if amount > total.get(name, -1):
            total[name] = amount


def aggregate(containers: list[Resources], init_containers: list[tuple[Resources, bool]]) -> Resources:
    """Σ containers and sidecars, raised to the init-phase peak. A resource that some
    container names (even with 0) is present in the result."""
    total: Resources = {}
    for requests in containers:
        _add(total, requests)
    sidecars: Resources = {}
    peak: Resources = {}
    for requests, restartable in init_containers:
        if restartable:
            _add(total, requests)
            _add(sidecars, requests)
            _raise_to(peak, sidecars)
        else:
            during = dict(sidecars)
            _add(during, requests)
            _raise_to(peak, during)
    _raise_to(total, peak)
    return total


def _with_defaults(requests: Resources, defaults: dict[str, int]) -> Resources:
    missing = {name: amount for name, amount in defaults.items() if name not in requests}
    return {**requests, **missing} if missing else requests


class PodRequests:
    """What a pod brings to a node: requests (filtering, missing = 0), the non-zero cpu
    and memory (the node's scoring totals), and the non-zero cpu and memory that
    NodeResourcesFit's scorer reads of the incoming pod (pod-level requests left out)."""

    __slots__ = ("requests", "nonzero_cpu", "nonzero_memory", "fit_score_cpu", "fit_score_memory")

    def __init__(self, requests: Resources, nonzero_cpu: int, nonzero_memory: int,
                 fit_score_cpu: int, fit_score_memory: int):
        self.requests = requests
        self.nonzero_cpu = nonzero_cpu
        self.nonzero_memory = nonzero_memory
        self.fit_score_cpu = fit_score_cpu
        self.fit_score_memory = fit_score_memory


def pod_requests(spec: dict, containers: list[dict], init_containers: list[dict]) -> PodRequests:
    """`containers` and `init_containers` are the already type-checked container maps."""
    regular = [requirements(c.get("resources"), f"spec.containers[{i}].resources")[0]
               for i, c in enumerate(containers)]
    inits = [(requirements(c.get("resources"), f"spec.initContainers[{i}].resources")[0],
              c.get("restartPolicy") == "Always")
             for i, c in enumerate(init_containers)]
    overhead = resource_list(spec.get("overhead"), "spec.overhead")
    explicit, pod_limits = requirements(spec.get("resources"), "spec.resources", pod_level=True)

    requests = aggregate(regular, inits)
    for name, amount in explicit.items():
        if requests.get(name, 0) > amount:
            # API validation (validatePodResourceConsistency)
            raise InputError(f"must be greater than or equal to aggregate container requests of "
                             f"{requests[name]}", field=key_path("spec.resources.requests", name))
    pod_level = dict(explicit)
    for name, limit in pod_limits.items():
        # API defaulting of a pod-level request from the pod-level limit: the containers'
        # own total when some container requests the resource, else the limit.
        if name not in pod_level:
            pod_level[name] = requests[name] if name in requests else limit
            if pod_level[name] > limit:
                raise InputError(f"must be less than or equal to the {name} limit (the containers' requests, "
                                 f"{pod_level[name]}, become the pod-level request)",
                                 field=key_path("spec.resources.requests", name))
    requests.update(pod_level)
    _add(requests, overhead)

    containers_nonzero = _nonzero(regular, inits, NONZERO_DEFAULTS)
    _add(containers_nonzero, overhead)
    if not pod_level:
        nonzero = containers_nonzero
    else:
        # With pod-level requests, defaults fill in only what neither level requests.
        defaults = {n: a for n, a in NONZERO_DEFAULTS.items() if n not in requests}
        if defaults:
            nonzero = _nonzero(regular, inits, defaults)
            nonzero.update(pod_level)
            _add(nonzero, overhead)
        else:
            nonzero = requests
    return PodRequests({n: a for n, a in requests.items() if a},
                       nonzero.get("cpu", 0), nonzero.get("memory", 0),
                       containers_nonzero.get("cpu", 0), containers_nonzero.get("memory", 0))


def _nonzero(regular: list[Resources], inits: list[tuple[Resources, bool]],
             defaults: dict[str, int]) -> Resources:
    """The containers' total with `defaults` filled into every container that lacks them."""
    return aggregate([_with_defaults(r, defaults) for r in regular],
                     [(_with_defaults(r, defaults), restartable) for r, restartable in inits])
