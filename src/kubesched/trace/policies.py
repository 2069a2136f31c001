"""The placement policies of the FGD paper as kubesched profiles, by the paper's names."""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.plugins import CORE_FILTERS
from kubesched.framework.profile import Profile

# Policy -> its score plugin (weights as in the paper's runs: the one plugin alone).
POLICIES: dict[str, dict[str, int]] = {
    "Random": {"RandomScore": 1},
    "DotProd": {"DotProductScore": 1},
    "GpuClustering": {"GpuClusteringScore": 1},
    "GpuPacking": {"GpuPackingScore": 1},
    "BestFit": {"BestFitScore": 1},
    "FGD": {"FGDScore": 1},
}
PAPER_POLICIES = tuple(POLICIES)
# Ours (README.md): FGD whose fragmentation measure counts, per typical pod, the GPU milli left
# over when as many copies of it as the node's CPU and GPUs hold were placed.
POLICIES["FGD-Capacity"] = {"FGDCapacityScore": 1}

def policy_profile(policy: str) -> Profile:
    """The profile that places pods as `policy` does: the policy's score plugins only (the
    paper's simulator disables every default score plugin), the default filters."""
    weights = POLICIES.get(policy)
    if weights is None:
        raise InputError(f"unknown policy {policy!r}; one of {', '.join(POLICIES)}", field="--policy")
    return Profile(scheduler_name=f"gpu-{policy}", filters=CORE_FILTERS, weights=dict(weights))
