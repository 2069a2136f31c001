"""GPU sharing's score plugins (kubesched.model.gpu, src/_core/gpu.hpp): the placement
policies of the FGD paper, off unless a profile enables them; they share one shape."""

from kubesched.plugins.plugin import Plugin, points, reads

# name -> the core's Score index
_SCORES = {"RandomScore": 7, "DotProductScore": 8, "GpuClusteringScore": 9, "GpuPackingScore": 10,
           "BestFitScore": 11, "FGDScore": 12,
           "FGDCapacityScore": 13}  # ours: FGD with a capacity-aware fragmentation measure

PLUGINS = tuple(Plugin(name, points("score"), core_score=index, reads=reads("gpu")) for name, index in _SCORES.items())

# How a pod sharing a GPU gets its GPU in the chosen node when a policy is the heaviest GPU score
# plugin (Profile.gpu_select); the others pick the best fit.
GPU_SELECTION = {"FGDScore": "FGD", "FGDCapacityScore": "FGDCapacity", "RandomScore": "Random"}
