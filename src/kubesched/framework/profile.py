"""A scheduling profile as kubesched runs it: enabled filters, score weights, plugin args.

`Profile()` is upstream's default profile for the plugins kubesched implements, except that
every node is scored unless `percentageOfNodesToScore` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubesched.model.quantity import is_extended_resource
from kubesched.plugins import CORE_FILTERS, CORE_PREFILTERS, DEFAULT_WEIGHTS, GPU_SCORES
from kubesched.plugins.gpu_scores import GPU_SELECTION
from kubesched.plugins.node_affinity import AddedAffinity


@dataclass(frozen=True)
class Profile:
    scheduler_name: str = "default-scheduler"
    prefilters: tuple[str, ...] = CORE_PREFILTERS  # enabled at preFilter, apart from filter
    filters: tuple[str, ...] = CORE_FILTERS
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    strategy: str = "LeastAllocated"
    fit_resources: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
    shape: tuple[tuple[int, int], ...] = ()  # (utilization 0..100, score 0..10) as configured
    balanced_resources: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
    percentage_of_nodes_to_score: int = 100  # 0: upstream's adaptive rule
    hard_pod_affinity_weight: int = 1
    ignore_preferred_terms_of_existing_pods: bool = False
    spread_defaulting_type: str = "System"
    spread_default_constraints: tuple = ()
    added_affinity: AddedAffinity | None = None
    fit_ignored_resources: tuple[str, ...] = ()  # NodeResourcesFit ignoredResources
    fit_ignored_groups: tuple[str, ...] = ()  # and ignoredResourceGroups
    python_filters: tuple[str, ...] = ()  # import paths, see python_plugins.py
    python_scores: tuple[tuple[str, int], ...] = ()
    volume_shape: tuple[tuple[int, int], ...] = ((0, 10), (100, 0))  # VolumeBindingArgs.shape (score 0..10)
    bind_timeout_seconds: int = 600  # VolumeBindingArgs.bindTimeoutSeconds
    dra_binding_timeout_seconds: float = 600.0  # DynamicResourcesArgs.bindingTimeout (binding conditions)
    dra_filter_timeout_seconds: float = 10.0  # DynamicResourcesArgs.filterTimeout (run only; 0: none)
    gpu_selection: str = ""  # Best, Worst, Random, FGD, FGDCapacity; "": the heaviest GPU score plugin's own
    # DefaultPreemption at postFilter and its DefaultPreemptionArgs (min candidate nodes
    # percentage, absolute); None when the profile disables it.
    preemption: tuple[int, int] | None = (10, 100)
    # DynamicResources at postFilter: it deallocates unusable claims, and it ends PostFilter
    # for a pod an earlier PreFilter rejected (kubesched.framework.post_filter).
    dra_post_filter: bool = True

    def gpu_select(self) -> str:
        """How a pod sharing a GPU gets its GPU in the chosen node (kubesched.model.gpu): as the
        FGD paper's simulator does, the heaviest GPU score plugin decides unless told."""
        if self.gpu_selection:
            return self.gpu_selection
        gpu_weights = [(weight, name) for name, weight in self.weights.items() if name in GPU_SCORES and weight]
        heaviest = max(gpu_weights, default=(0, ""), key=lambda wn: wn[0])[1]
        return GPU_SELECTION.get(heaviest, "Best")

    def fit_ignores(self, resource: str) -> bool:
        """Whether NodeResourcesFit's filter skips this (extended) resource."""
        return is_extended_resource(resource) and (
            resource in self.fit_ignored_resources or resource.split("/")[0] in self.fit_ignored_groups)

    def configure(self, engine) -> None:
        """Load this profile into a core engine."""
        engine.set_profile(
            filters=self.filters,
            weights=self.weights,
            strategy=self.strategy,
            fit_resources=self.fit_resources,
            shape=tuple((utilization, score * 10) for utilization, score in self.shape),
            balanced_resources=self.balanced_resources,
            percentage_of_nodes_to_score=self.percentage_of_nodes_to_score,
            hard_pod_affinity_weight=self.hard_pod_affinity_weight,
            ignore_preferred_terms_of_existing_pods=self.ignore_preferred_terms_of_existing_pods,
            spread_system_defaulted=self.spread_defaulting_type == "System",
            gpu_select=self.gpu_select(),
            volume_shape=tuple((utilization, score * 10) for utilization, score in self.volume_shape),
        )


def default_profile() -> Profile:
    return Profile()
