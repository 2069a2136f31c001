"""GPU sharing's model: nodes with G GPUs of one model, pods asking for whole GPUs or a share of
one; a pod's GPU request and a node's GPUs, read from their annotations, labels and resources.

The names, as Kubernetes objects carry them (see gpu.md beside this file):

- node allocatable ``kubesched.io/gpu: G`` — G GPUs of 1000 milli-GPU each;
- node label ``kubesched.io/gpu-model: <model>``;
- pod annotations ``kubesched.io/gpu-count: "k"`` and ``kubesched.io/gpu-milli: "m"``
  (k GPUs of m milli each; m < 1000 only with k = 1), or the extended resource request
  ``kubesched.io/gpu: k`` (k whole GPUs);
- pod annotation ``kubesched.io/gpu-models: "A|B"`` — only nodes of these models;
- pod annotation ``kubesched.io/gpu-indices: "0,1"`` — the GPUs a bound pod holds, written
  by the live scheduler when it binds and read back from bound pods.

The core keeps the free milli of every GPU; the score plugins RandomScore, DotProductScore,
GpuClusteringScore, GpuPackingScore, BestFitScore and FGDScore are the placement policies
of Weng et al., "Beware of Fragmentation" (USENIX ATC'23); FGDCapacityScore is ours.
"""

from __future__ import annotations

from typing import NamedTuple

from kubesched.errors import InputError
from kubesched.model.records import Pod

GPU_RESOURCE = "kubesched.io/gpu"
GPU_MODEL_LABEL = "kubesched.io/gpu-model"
GPU_COUNT_ANNOTATION = "kubesched.io/gpu-count"
GPU_MILLI_ANNOTATION = "kubesched.io/gpu-milli"
GPU_MODELS_ANNOTATION = "kubesched.io/gpu-models"
GPU_INDICES_ANNOTATION = "kubesched.io/gpu-indices"
MILLI_PER_GPU = 1000
MAX_GPUS_PER_NODE = 64


class GpuRequest(NamedTuple):
    """`count` GPUs of `milli` milli-GPU each, on a node of one of `models` (any if empty)."""

    count: int = 0
    milli: int = 0
    models: tuple[str, ...] = ()

    @property
    def total_milli(self) -> int:
        return self.count * self.milli

    @property
    def shares(self) -> bool:
        """A fraction of one GPU."""
        return self.count == 1 and self.milli < MILLI_PER_GPU


NO_GPU = GpuRequest()


def pod_annotations(pod: Pod) -> dict:
    raw = pod.raw
    if not raw:
        return {}
    meta = raw.get("metadata")
    return (meta.get("annotations") if isinstance(meta, dict) else None) or {}


def _integer(value, field: str, low: int, high: int) -> int:
    text = value.strip() if isinstance(value, str) else None
    if not text or not text.isdigit():
        raise InputError(f"expected an integer string, got {value!r}", field=field)
    number = int(text)
    if not low <= number <= high:
        raise InputError(f"must be between {low} and {high}, got {number}", field=field)
    return number


def parse_models(value, field: str = f"metadata.annotations[{GPU_MODELS_ANNOTATION}]") -> tuple[str, ...]:
    if not isinstance(value, str):
        raise InputError(f"expected GPU models as a string \"A|B\", got {value!r}", field=field)
    return tuple(part.strip() for part in value.split("|") if part.strip())


def gpu_request(pod: Pod) -> GpuRequest:
    """The pod's GPU request; InputError names the pod and the field when it is malformed."""
    annotations = pod_annotations(pod)
    whole = pod.spec.requests.get(GPU_RESOURCE, 0)
    if not whole and not annotations:
        return NO_GPU
    if not whole and GPU_COUNT_ANNOTATION not in annotations and GPU_MILLI_ANNOTATION not in annotations \
            and GPU_MODELS_ANNOTATION not in annotations:
        return NO_GPU
    try:
        count = milli = 0
        if GPU_COUNT_ANNOTATION in annotations:
            count = _integer(annotations[GPU_COUNT_ANNOTATION], f"metadata.annotations[{GPU_COUNT_ANNOTATION}]",
                             0, MAX_GPUS_PER_NODE)
        if GPU_MILLI_ANNOTATION in annotations:
            milli = _integer(annotations[GPU_MILLI_ANNOTATION], f"metadata.annotations[{GPU_MILLI_ANNOTATION}]",
                             0, MILLI_PER_GPU)
            if GPU_COUNT_ANNOTATION not in annotations and milli:
                count = 1
        if count and not milli:
            milli = MILLI_PER_GPU
        if whole:
            if (count or milli) and (count, milli) != (whole, MILLI_PER_GPU):
                raise InputError(f"requests {whole} whole GPUs ({GPU_RESOURCE}) but its annotations ask for "
                                 f"{count} x {milli} milli-GPU", field=f"metadata.annotations[{GPU_COUNT_ANNOTATION}]")
            if whole > MAX_GPUS_PER_NODE:
                raise InputError(f"at most {MAX_GPUS_PER_NODE} GPUs, got {whole}", field=f"resources[{GPU_RESOURCE}]")
            count, milli = whole, MILLI_PER_GPU
        if count == 0 or milli == 0:
            count = milli = 0
        if count > 1 and milli < MILLI_PER_GPU:
            raise InputError(f"a share of a GPU ({milli} milli) is for one GPU only, got {count}",
                             field=f"metadata.annotations[{GPU_COUNT_ANNOTATION}]")
        models = parse_models(annotations[GPU_MODELS_ANNOTATION]) if GPU_MODELS_ANNOTATION in annotations else ()
        if not count:
            models = ()  # a pod without GPUs runs on any model
        return GpuRequest(count, milli, models)
    except InputError as error:
        raise error.located(file=pod.source or None, obj=f"Pod {pod.key}") from None


def gpu_indices(pod: Pod) -> tuple[int, ...] | None:
    """The GPUs a bound pod holds (its kubesched.io/gpu-indices annotation), if recorded."""
    value = pod_annotations(pod).get(GPU_INDICES_ANNOTATION)
    if value is None:
        return None
    field = f"metadata.annotations[{GPU_INDICES_ANNOTATION}]"
    try:
        indices = tuple(sorted({int(part) for part in str(value).split(",") if part.strip()}))
    except ValueError:
        raise InputError(f"expected GPU indices like \"0,1\", got {value!r}", file=pod.source or None,
                         obj=f"Pod {pod.key}", field=field) from None
    if any(not 0 <= index < MAX_GPUS_PER_NODE for index in indices):
        raise InputError(f"GPU indices must be between 0 and {MAX_GPUS_PER_NODE - 1}, got {value!r}",
                         file=pod.source or None, obj=f"Pod {pod.key}", field=field)
    return indices


def mask_of(indices) -> int:
    mask = 0
    for index in indices:
        mask |= 1 << int(index)
    return mask


def indices_of(mask: int) -> tuple[int, ...]:
    mask = int(mask)
    return tuple(g for g in range(MAX_GPUS_PER_NODE) if mask >> g & 1)


def indices_annotation(mask: int) -> str:
    """The value of kubesched.io/gpu-indices for a GPU mask: "0,1"."""
    return ",".join(str(g) for g in indices_of(mask))
