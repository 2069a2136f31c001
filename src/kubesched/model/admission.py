"""What the API server's mutating admission plugins change in a pod that the scheduler
reads, applied to the pods of the input (a live API server's pods come admitted):
RuntimeClass (model/runtime_class.py), then DefaultTolerationSeconds, which lets every pod
stay 300 s on a node tainted `not-ready` or `unreachable` (NoExecute) unless the pod
tolerates that taint itself. The Priority plugin's part is the pod parser's."""

from __future__ import annotations

from kubesched.model.fields import sequence
from kubesched.model.runtime_class import admit as admit_runtime_class

DEFAULT_TOLERATED = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
DEFAULT_TOLERATION_SECONDS = 300


def admit(spec: dict, runtime_classes: dict[str, dict]) -> dict:
    return _with_default_tolerations(admit_runtime_class(spec, runtime_classes))


def _with_default_tolerations(spec: dict) -> dict:
    tolerations = sequence(spec.get("tolerations"), "spec.tolerations")
    missing = [key for key in DEFAULT_TOLERATED
               if not any(isinstance(t, dict) and _tolerates_no_execute(t, key) for t in tolerations)]
    if not missing:
        return spec
    added = [{"key": key, "operator": "Exists", "effect": "NoExecute",
              "tolerationSeconds": DEFAULT_TOLERATION_SECONDS} for key in missing]
    return {**spec, "tolerations": [*tolerations, *added]}


def _tolerates_no_execute(toleration: dict, key: str) -> bool:
    return toleration.get("key") in (key, "", None) and toleration.get("effect") in ("NoExecute", "", None)
