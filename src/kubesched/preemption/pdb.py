"""PodDisruptionBudgets (policy/v1) as preemption reads them, and upstream's count of the
victims whose eviction would violate one.

The scheduler reads `status.disruptionsAllowed` and `status.disruptedPods` as the
disruption controller wrote them. A budget read from manifests without a status (written by
hand) gets the status the controller would give it for the bound pods of the input:
`disruptionsAllowed = max(0, selected - desired)`, where desired is `minAvailable` or
`selected - maxUnavailable` (percentages of the selected pods, rounded up)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kubesched.errors import InputError
from kubesched.model.records import LabelSelector, Pod
from kubesched.model.selectors import label_selector_matches, parse_label_selector


@dataclass(frozen=True)
class PodDisruptionBudget:
    namespace: str
    name: str
    selector: LabelSelector | None  # None (absent) and empty select nothing here, as upstream's preemption
    disruptions_allowed: int
    disrupted_pods: frozenset[str] = frozenset()  # pod names the controller already counts as disrupted

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def selects(self, pod: Pod) -> bool:
        """Whether evicting the pod uses one of this budget's disruptions (upstream's
        preemption skips pods without labels, empty selectors and already disrupted pods)."""
        if not pod.labels or pod.namespace != self.namespace or pod.name in self.disrupted_pods:
            return False
        selector = self.selector
        if selector is None or (not selector.match_labels and not selector.match_expressions):
            return False
        return label_selector_matches(selector, pod.labels)


def parse_pdb(obj: dict, bound: Iterable[Pod] = ()) -> PodDisruptionBudget:
    """A policy/v1 PodDisruptionBudget; without a status, the one the disruption controller
    would write for the `bound` pods. Bad fields raise InputError naming them."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or "default"
    name = meta.get("name") or ""
    spec = obj.get("spec") or {}
    status = obj.get("status")
    try:
        selector = parse_label_selector(spec.get("selector"), "spec.selector")
        if isinstance(status, dict) and "disruptionsAllowed" in status:
            allowed = status["disruptionsAllowed"]
            if isinstance(allowed, bool) or not isinstance(allowed, int):
                raise InputError(f"expected an integer, got {allowed!r}", field="status.disruptionsAllowed")
            disrupted = status.get("disruptedPods") or {}
            if not isinstance(disrupted, dict):
                raise InputError("expected a mapping of pod names to times", field="status.disruptedPods")
            return PodDisruptionBudget(namespace, name, selector, allowed, frozenset(disrupted))
        budget = PodDisruptionBudget(namespace, name, selector, 0)
        selected = sum(1 for pod in bound if pod.namespace == namespace and selector is not None
                       and label_selector_matches(selector, pod.labels))
        if spec.get("maxUnavailable") is not None:
            desired = selected - scaled(spec["maxUnavailable"], selected, "spec.maxUnavailable")
        else:
            minimum = spec.get("minAvailable")
            desired = 1 if minimum is None else scaled(minimum, selected, "spec.minAvailable")
    except InputError as error:
        raise error.located(obj=f"PodDisruptionBudget {namespace}/{name}") from None
    return PodDisruptionBudget(namespace, name, budget.selector, max(0, selected - desired))


def scaled(value: object, total: int, path: str) -> int:
    """An int, or a percentage of `total` rounded up (as the disruption controller does)."""
    if isinstance(value, bool):
        raise InputError("expected an integer or a percentage", field=path)
    if isinstance(value, int):
        if value < 0:
            raise InputError("must not be negative", field=path)
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return -(-int(value[:-1]) * total // 100)
    raise InputError(f"expected an integer or a percentage like '50%', got {value!r}", field=path)


def budgets_of(pod: Pod, pdbs: Sequence[PodDisruptionBudget]) -> list[int]:
    """The indices of the budgets whose disruptions evicting the pod would use, in order."""
    return [i for i, pdb in enumerate(pdbs) if pdb.selects(pod)]


def violating(victims: Sequence[Pod], pdbs: Sequence[PodDisruptionBudget]) -> list[bool]:
    """Upstream's FilterVictimsWithPDBViolation for victims in order of importance: each
    budget's allowed disruptions are used up victim by victim; a victim violates when a
    budget it uses goes below zero (its later budgets are then not charged)."""
    allowed = [pdb.disruptions_allowed for pdb in pdbs]
    flags = []
    for pod in victims:
        flag = False
        for i in budgets_of(pod, pdbs):
            allowed[i] -= 1
            if allowed[i] < 0:
                flag = True
                break
        flags.append(flag)
    return flags
