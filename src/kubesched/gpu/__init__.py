"""GPU sharing: nodes with G GPUs of one model, pods asking for whole GPUs or a share of one.

The names, as Kubernetes objects carry them (see README.md beside this file):

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

GPU_RESOURCE = "kubesched.io/gpu"
GPU_MODEL_LABEL = "kubesched.io/gpu-model"
GPU_COUNT_ANNOTATION = "kubesched.io/gpu-count"
GPU_MILLI_ANNOTATION = "kubesched.io/gpu-milli"
GPU_MODELS_ANNOTATION = "kubesched.io/gpu-models"
GPU_INDICES_ANNOTATION = "kubesched.io/gpu-indices"
MILLI_PER_GPU = 1000
MAX_GPUS_PER_NODE = 64
