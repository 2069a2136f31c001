"""The "what a user writes in an afternoon" baseline: one vectorised numpy filter+score pass
per pod, for resources-only workloads (NodeResourcesFit + LeastAllocated,
BalancedAllocation; TaintToleration and NodeAffinity give every node the same score when
no node has taints or labels the pod asks for). Ties go to the first node, as in kubesched.
"""

from __future__ import annotations

import numpy as np


def numpy_schedule(allocatable: np.ndarray, requests: np.ndarray, nonzero: np.ndarray) -> np.ndarray:
    """allocatable: [N, 3] (cpu milli, memory bytes, pods); requests and nonzero: [P, 2]
    (cpu milli, memory bytes) per pod. Returns the chosen node per pod, -1 when none fits."""
    count = allocatable.shape[0]
    requested = np.zeros((count, 2), dtype=np.int64)
    nonzero_requested = np.zeros((count, 2), dtype=np.int64)
    pods = np.zeros(count, dtype=np.int64)
    capacity = allocatable[:, :2]
    chosen = np.full(requests.shape[0], -1, dtype=np.int64)
    for i in range(requests.shape[0]):
        request, nonzero_request = requests[i], nonzero[i]
        fits = (pods + 1 <= allocatable[:, 2]) & np.all(
            (request == 0) | (request <= capacity - requested), axis=1)
        if not fits.any():
            continue
        used = nonzero_requested + nonzero_request
        least = np.where(used > capacity, 0, (capacity - used) * 100 // np.maximum(capacity, 1))
        fit_score = least.sum(axis=1) // 2
        fractions = np.minimum((requested + request) / np.maximum(capacity, 1), 1.0)
        balanced = ((1 - np.abs(fractions[:, 0] - fractions[:, 1]) / 2) * 100).astype(np.int64)
        total = np.where(fits, fit_score + balanced, -1)
        node = int(np.argmax(total))
        chosen[i] = node
        requested[node] += request
        nonzero_requested[node] += nonzero_request
        pods[node] += 1
    return chosen
