"""The DynamicResources plugin of kube-scheduler v1.37 over an in-memory cluster: PreEnqueue
(every claim a pod names exists), PreFilter (the claims, their device classes), Filter (one
verdict per node: the allocator's, or the allocated claims' node selectors), Score (the
firstAvailable alternatives chosen) and Reserve/PreBind (the allocation and the pod's
reservation written into the claim).

The verdicts go to the core as a per-class filter (dra.hpp); a node's verdict is kept until
a device that node sees is allocated or released, so pods of one template cost one search
per changed node, not one per node.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kubesched.dra.allocated_state import Shares, release, take
from kubesched.dra.allocator import AllocationError, Allocator, ClaimToAllocate
from kubesched.dra.binding import binding_failed
from kubesched.dra.capacity import CapacityError, fits
from kubesched.dra.extended import as_fit_sees, backed_resources, claim_spec, classes_by_resource, \
    extended_claim, request_mappings
from kubesched.dra.inventory import Inventory, selects
from kubesched.model.dra_objects import pod_claim_references, pod_claim_statuses
from kubesched.model.dra_records import Allocation, DraObjects, ResourceClaim
from kubesched.model.dra_taint_rules import with_taint_rules
from kubesched.model.names import name_suffix
from kubesched.model.records import Node, Pod

FITS, CANNOT_ALLOCATE, NOT_AVAILABLE, INVALID_POOLS = 0, 1, 2, 3
VERDICT_TEXT = {CANNOT_ALLOCATE: "cannot allocate all claims", NOT_AVAILABLE: "resourceclaim not available on the node",
                INVALID_POOLS: "invalid resource pools were encountered"}
_VERDICT_OF = {text: code for code, text in VERDICT_TEXT.items()}
MAX_SUBREQUESTS = 8  # FirstAvailableDeviceRequestMaxSize: the first alternative scores 8, the next 7, …
POD_CLAIM_NAME_ANNOTATION = "resource.kubernetes.io/pod-claim-name"
EXTENDED = "<extended-resources>"  # the scheduler's claim for a pod's extended resources, as upstream names it in memory


class Unschedulable(Exception):
    """PreFilter said no for the whole pod, with upstream's message."""


class Waiting(Unschedulable):
    """PreEnqueue keeps the pod out of the queue (a claim it names does not exist yet)."""


class RejectedBefore(Unschedulable):
    """A PreFilter plugin before DynamicResources (NodeAffinity, a volume plugin) rejected the
    pod, so DynamicResources' PreFilter did not run (kubesched.engine.fit_error)."""


@dataclass
class PodClaims:
    """What PreFilter found for one pod: its claims in spec.resourceClaims order."""
    pod: Pod
    claims: list[ResourceClaim]
    to_allocate: list[int] = field(default_factory=list)  # indices into claims

    @property
    def signature(self) -> tuple:
        """Pods whose claims ask alike get alike verdicts on a node (template claims differ in name only)."""
        return tuple((i in self.to_allocate, c.spec if i in self.to_allocate else c.key)
                     for i, c in enumerate(self.claims))


def template_claim_name(pod_name: str, claim_name: str, suffix: str) -> str:
    """The resourceclaim controller's generateName for a pod's claim from a template (both
    names cut in proportion past 57 characters), plus the API server's suffix."""
    generate = f"{pod_name}-{claim_name}-"
    if len(generate) > 57:
        generate = pod_name[:len(pod_name) * 57 // len(generate)] + "-" + claim_name[:len(claim_name) * 57 //
                                                                                       len(generate)]
    return generate + suffix


class DraCluster:
    def __init__(self, objects: DraObjects, nodes: list[Node], *, create_template_claims: bool = True):
        """`create_template_claims`: act as the resourceclaim controller for pods whose
        template claims are not in the input (offline); otherwise such a pod waits."""
        # Claims change as pods are placed (allocation, reservedFor): this run's own copies.
        self.objects = replace(objects, claims={key: replace(c, reserved_for=list(c.reserved_for))
                                                for key, c in objects.claims.items()}, slices=list(objects.slices))
        self.nodes = nodes
        self.inventory = Inventory(objects.slices)
        self.create_template_claims = create_template_claims
        self.filter_timeout: float | None = None  # seconds a node's search may take (run's filterTimeout)
        self.allocated: set[tuple[str, str, str]] = set()  # devices allocated whole
        self.shares = Shares()  # shares of devices that allow multiple allocations
        for claim in objects.claims.values():
            self._take(claim.allocation)
        self._node_generation = [0] * len(nodes)
        # Per claims signature, per node: (verdict, allocations, score, node generation).
        self._cache: dict[tuple, list[tuple | None]] = {}
        self._pool_nodes: dict[tuple[str, str], set[str] | None] = {}  # None: a pool other nodes see too
        for s in objects.slices:
            names = self._pool_nodes.setdefault((s.driver, s.pool), set())
            if names is not None:
                if s.node_name:
                    names.add(s.node_name)
                else:
                    self._pool_nodes[(s.driver, s.pool)] = None
        self._created: dict[tuple[str, str], str] = {}  # (pod, pod claim name) → the claim made for it
        # Extended resources backed by DRA (extended.py).
        self._by_resource = classes_by_resource(objects.classes)
        self._advertised: set[str] = set()  # of those, the ones some node lists in its allocatable
        self._note_advertised(nodes)
        self._served: dict[str, list[str]] = {}  # pod key → the resources its claim asks on its node (reserve)
        self._for_filters: dict = {}
        self._gone: set[str] = set()  # claims deleted with their pod (release.py): a recreated pod gets new ones

    @property
    def active(self) -> bool:
        return bool(self.objects)

    def _take(self, allocation: Allocation | None) -> None:
        take(self.allocated, self.shares, allocation)

    def add_nodes(self, added: list[tuple[Node, list]]) -> None:
        """Nodes join the cluster with the ResourceSlices they publish (plan nodes' new nodes).
        Their slices are their own (nodeName), so what other nodes see does not change;
        the input's DeviceTaintRules taint their devices as they taint published ones."""
        self._note_advertised([node for node, _ in added])
        for node, slices in added:
            slices = with_taint_rules(slices, self.objects.taint_rules)  # as on the input's own slices
            self.nodes.append(node)
            self._node_generation.append(0)
            for s in slices:
                self.objects.slices.append(s)
                names = self._pool_nodes.setdefault((s.driver, s.pool), set())
                if names is not None:
                    names.add(node.name)
        for cache in self._cache.values():
            cache.extend([None] * (len(self.nodes) - len(cache)))
        if any(slices for _, slices in added):
            self.inventory = Inventory(self.objects.slices)

    # -- PreEnqueue and PreFilter ---------------------------------------------------------

    def any_has_claims(self, pods: list[Pod]) -> bool:
        """`has_claims` of any of the pods; a workload's replicas, sharing their template's
        spec, are asked once."""
        if self._by_resource:
            return any(self.has_claims(pod) for pod in pods)
        without = None  # the last spec without claims
        for pod in pods:
            spec = pod.raw.get("spec") if pod.raw else None
            if spec is without:
                continue
            if isinstance(spec, dict) and spec.get("resourceClaims"):
                return True
            without = spec
        return False

    def has_claims(self, pod: Pod) -> bool:
        spec = (pod.raw or {}).get("spec")
        return isinstance(spec, dict) and bool(spec.get("resourceClaims")) or bool(self.backed_resources(pod))

    def backed_resources(self, pod: Pod) -> list[str]:
        """The extended resources the pod asks for that devices serve (extended.py)."""
        return backed_resources(pod, self._by_resource) if self._by_resource else []

    def for_filters(self, pod: Pod) -> Pod:
        """The pod as the filters before DynamicResources see it: NodeResourcesFit leaves the
        extended resources that devices serve to DynamicResources, except on nodes whose
        allocatable lists them (extended.as_fit_sees)."""
        resources = self.backed_resources(pod)
        return as_fit_sees(pod, resources, self._advertised, self._for_filters) if resources else pod

    def _note_advertised(self, nodes: list[Node]) -> None:
        self._advertised |= {name for n in nodes for name, amount in n.allocatable.items()
                             if amount > 0 and name in self._by_resource}

    def on_node(self, claims: PodClaims, node: Node) -> PodClaims:
        """The claims as DynamicResources allocates them on `node` (upstream's
        filterExtendedResources): the claim for the pod's extended resources asks only for
        those the node's allocatable lacks (device plugins serve the others), and is left out
        where the node lists them all."""
        extended = self.extended_claim_of(claims.pod) if self._advertised else None
        if extended is None:
            return claims
        resources = self.backed_resources(claims.pod)
        needed = self._needed_on(resources, node)
        if len(needed) == len(resources):
            return claims
        index = next(i for i, c in enumerate(claims.claims) if c.key == extended.key)
        kept = list(claims.claims)
        to_allocate = list(claims.to_allocate)
        if needed:
            kept[index] = replace(extended, spec=claim_spec(claims.pod, needed, self._by_resource))
        else:
            del kept[index]
            to_allocate = [i - (i > index) for i in to_allocate if i != index]
        return PodClaims(claims.pod, kept, to_allocate)

    @staticmethod
    def _needed_on(resources: list[str], node: Node) -> list[str]:
        """Of these extended resources, those DynamicResources serves on the node."""
        return [r for r in resources if node.allocatable.get(r, 0) == 0]

    def claims_of(self, pod: Pod) -> list[ResourceClaim]:
        """PreEnqueue: each claim the pod names, or Unschedulable with upstream's message."""
        claims = []
        statuses = pod_claim_statuses(pod.raw or {})
        for name, claim_name, template_name in pod_claim_references(pod.raw or {}):
            if template_name:
                if statuses.get(name) is not None and f"{pod.namespace}/{statuses[name]}" in self._gone:
                    del statuses[name]  # the pod was recreated: its old claim went with the old pod
                if name not in statuses and (pod.key, name) in self._created:
                    statuses[name] = self._created[(pod.key, name)]
                if name not in statuses:
                    if not self.create_template_claims:
                        raise Waiting(f'pod "{pod.namespace}/{pod.name}": ResourceClaim not created yet')
                    statuses[name] = self._create_from_template(pod, name, template_name)
                claim_name = statuses[name]
                if claim_name is None:
                    continue  # no claim was needed
            claim = self.objects.claims.get(f"{pod.namespace}/{claim_name}")
            if claim is None:
                raise Waiting(f'could not find ResourceClaim "{pod.namespace}/{claim_name}"')
            if claim.deleting:
                raise Waiting(f'resourceclaim "{claim.name}" is being deleted')
            if template_name and claim.owner_pod_uid != pod.uid:
                raise Waiting(f"ResourceClaim {claim.namespace}/{claim.name} was not created for Pod "
                                    f"{pod.namespace}/{pod.name} (Pod is not owner)")
            claims.append(claim)
        resources = self.backed_resources(pod)
        if resources:  # the scheduler's own claim for them, after the pod's
            claims.append(self._extended_claim(pod, resources))
        return claims

    def extended_claim_of(self, pod: Pod) -> ResourceClaim | None:
        """The claim made in memory for the pod's extended resources, if it has one."""
        made = self._created.get((pod.key, EXTENDED))
        return self.objects.claims.get(f"{pod.namespace}/{made}") if made is not None else None

    def request_mappings(self, pod: Pod) -> list[dict]:
        """Which container's resource each request of that claim serves (pod status)."""
        resources = self._served.get(pod.key, self.backed_resources(pod))
        return request_mappings(pod, resources, self._by_resource)

    def _extended_claim(self, pod: Pod, resources: list[str]) -> ResourceClaim:
        made = self._created.get((pod.key, EXTENDED))
        if made is None:
            claim = extended_claim(pod, claim_spec(pod, resources, self._by_resource), len(self._created))
            self.objects.claims[claim.key] = claim
            made = self._created[(pod.key, EXTENDED)] = claim.name
        return self.objects.claims[f"{pod.namespace}/{made}"]

    def _create_from_template(self, pod: Pod, name: str, template_name: str) -> str | None:
        template = self.objects.templates.get(f"{pod.namespace}/{template_name}")
        if template is None:
            raise Waiting(f'pod "{pod.namespace}/{pod.name}": ResourceClaim not created yet')
        claim_name = template_claim_name(pod.name, name, name_suffix(f"{pod.namespace}/{pod.name}/{name}", 0))
        claim = ResourceClaim(pod.namespace, claim_name, template.spec, uid=f"simulated-{len(self._created)}",
                              owner_pod_uid=pod.uid, owner_pod_name=pod.name)
        self.objects.claims[claim.key] = claim
        self._created[(pod.key, name)] = claim_name
        return claim_name

    def prefilter(self, pod: Pod) -> PodClaims:
        claims = self.claims_of(pod)
        result = PodClaims(pod, claims)
        for index, claim in enumerate(claims):
            if claim.allocation is not None:
                continue
            result.to_allocate.append(index)
            for request in claim.spec.requests:
                alternatives = [(request.name, request.exactly)] if request.exactly else \
                    [(f"{request.name}/{s.name}", s) for s in request.first_available]
                for name, sub in alternatives:
                    if sub.device_class_name not in self.objects.classes:
                        raise Unschedulable(f"request {name}: device class {sub.device_class_name} does not exist")
        return result

    # -- Filter and Score -----------------------------------------------------------------

    def verdicts(self, claims: PodClaims, nodes: list[int] | None = None) -> tuple[list[int], list[int], dict]:
        """Per node: the verdict code, the raw score, and the allocations of the claims to
        allocate where they fit. `nodes`: only these (the others get FITS, unlooked at)."""
        count = len(self.nodes)
        verdict, score, allocations = [FITS] * count, [0] * count, {}
        allocator = Allocator(self.inventory, self.objects.classes, self.allocated, self.shares)
        cache = self._cache.get(claims.signature)
        if cache is None:
            cache = self._cache[claims.signature] = [None] * count
        generations = self._node_generation
        for n in range(count) if nodes is None else nodes:
            cached = cache[n]
            if cached is None or cached[3] != generations[n]:
                on_node = self.on_node(claims, self.nodes[n])
                code, found = self._filter(allocator, on_node, self.nodes[n])
                points = self._score(on_node, found or []) if code == FITS else 0
                cached = cache[n] = (code, found, points, generations[n])
            verdict[n] = cached[0]
            if cached[0] == FITS:
                allocations[n] = cached[1] or []
                score[n] = cached[2]
        return verdict, score, allocations

    def _filter(self, allocator: Allocator, claims: PodClaims, node: Node) -> tuple[int, list[Allocation] | None]:
        unavailable = any(c.allocation is not None and c.allocation.node_selector is not None
                          and not selects(c.allocation.node_selector, node) for c in claims.claims) \
            or any(binding_failed(c) for c in claims.claims)
        found = None
        if claims.to_allocate:
            to_allocate = [ClaimToAllocate(claims.claims[i].key, claims.claims[i].spec) for i in claims.to_allocate]
            result = allocator.allocate(node, to_allocate, self.filter_timeout)  # AllocationError: the caller's
            if isinstance(result, str):
                return _VERDICT_OF[result], None
            found = result
        return (NOT_AVAILABLE if unavailable else FITS), found

    def _score(self, claims: PodClaims, allocations: list[Allocation]) -> int:
        score = 0
        new = iter(allocations)
        for index, claim in enumerate(claims.claims):
            allocation = next(new) if index in claims.to_allocate else claim.allocation
            chosen = {r.request for r in allocation.results if "/" in r.request}
            for request in claim.spec.requests:
                for i, sub in enumerate(request.first_available):
                    if f"{request.name}/{sub.name}" in chosen:
                        score += MAX_SUBREQUESTS - i
        return score

    def explain_node(self, claims: PodClaims, n: int) -> list[dict]:
        """Why the node's devices do or do not serve each request: how many it has, how many
        of those each selector (the class's, then the request's) keeps, how many are free."""
        node = self.nodes[n]
        claims = self.on_node(claims, node)
        pools = self.inventory.pools_for(node)
        entries = [e for p in pools if not (p.incomplete or p.invalid) for es in p.entries for e in es]
        report = []
        for index in claims.to_allocate:
            claim = claims.claims[index]
            for request in claim.spec.requests:
                alternatives = [(request.name, request.exactly)] if request.exactly else \
                    [(f"{request.name}/{s.name}", s) for s in request.first_available]
                for name, sub in alternatives:
                    device_class = self.objects.classes[sub.device_class_name]
                    left = entries
                    steps = []
                    for origin, expressions in (("class", device_class.selectors), ("request", sub.selectors)):
                        for i, expression in enumerate(expressions):
                            matches, _ = self.inventory.evaluate(expression)
                            left = [e for e in left if matches >> e.index & 1]
                            steps.append({"selector": f"{origin} {device_class.name if origin == 'class' else name} "
                                                      f"#{i}", "expression": expression, "devices": len(left)})
                    free = [e for e in left if (sub.admin_access or e.device_id not in self.allocated)
                            and self._capacity_left(sub, e)]
                    report.append({"claim": claim.key, "request": name, "deviceClass": device_class.name,
                                   "needed": "All" if sub.allocation_mode == "All" else sub.count,
                                   "devices": len(entries), "selectors": steps, "free": len(free),
                                   "incompletePools": [f"{p.driver}/{p.name}" for p in pools if p.incomplete],
                                   "invalidPools": [f"{p.driver}/{p.name}" for p in pools if p.invalid]})
        return report

    def _capacity_left(self, sub, entry) -> bool:
        try:
            return fits(sub.capacity_requests, entry.device, self.shares.capacity(entry.device_id), None)
        except CapacityError:
            return False

    # -- Reserve and PreBind ----------------------------------------------------------------

    def reserve(self, claims: PodClaims, node: int, allocations: list[Allocation], timestamp: str = "") -> None:
        """The pod is placed: its new allocations are taken and written into the claims,
        and every claim is reserved for the pod. `claims` becomes what the node's allocation
        is for (on_node): the claim for extended resources the node's device plugins serve
        is dropped or narrowed."""
        on_node = self.on_node(claims, self.nodes[node])
        if on_node is not claims:
            extended = self.extended_claim_of(claims.pod)
            narrowed = next((c for c in on_node.claims if c.key == extended.key), None)
            if narrowed is None:
                del self.objects.claims[extended.key]
                del self._created[(claims.pod.key, EXTENDED)]
            else:
                self.objects.claims[extended.key] = narrowed
            claims.claims, claims.to_allocate = on_node.claims, on_node.to_allocate
        self._served[claims.pod.key] = self._needed_on(self.backed_resources(claims.pod), self.nodes[node])
        for index, allocation in zip(claims.to_allocate, allocations):
            claims.claims[index].allocation = allocation
            self._take(allocation)
            self._changed(allocation)
        for claim in claims.claims:
            reference = {"resource": "pods", "name": claims.pod.name, "uid": claims.pod.uid}
            if reference not in claim.reserved_for:
                claim.reserved_for.append(reference)

    def update_claim(self, claim: ResourceClaim) -> None:
        """A claim as the API now holds it (the live scheduler's watch): its devices are
        taken or given back, and the nodes that see them search again."""
        old = self.objects.claims.get(claim.key)
        self.objects.claims[claim.key] = claim
        if old is not None and old.allocation == claim.allocation:
            if old.device_conditions != claim.device_conditions:  # binding may have failed: Filter again
                for n in range(len(self._node_generation)):
                    self._node_generation[n] += 1
            return
        for allocation in (old.allocation if old is not None else None, claim.allocation):
            if allocation is not None:
                self._changed(allocation)
        if old is not None:
            release(self.allocated, self.shares, old.allocation)
        self._take(claim.allocation)

    def forget_pod_claims(self, pod: Pod, deleted: list[str]) -> None:
        """The claims made for the pod were deleted with it (release.py)."""
        self._gone.update(deleted)
        for made, name in list(self._created.items()):
            if made[0] == pod.key and f"{pod.namespace}/{name}" in deleted:
                del self._created[made]

    def _changed(self, allocation: Allocation) -> None:
        """Nodes that see a device just taken must search again."""
        names: set[str] = set()
        for result in allocation.results:
            pool_nodes = self._pool_nodes.get((result.driver, result.pool))
            if pool_nodes is None:
                names = None  # every node may see that pool
                break
            names |= pool_nodes
        for n, node in enumerate(self.nodes):
            if names is None or node.name in names:
                self._node_generation[n] += 1


__all__ = ["AllocationError", "DraCluster", "PodClaims", "Unschedulable", "VERDICT_TEXT", "Waiting"]
