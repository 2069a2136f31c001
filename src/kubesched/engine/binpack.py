"""The core's bin-packing kernels (src/_core/binpack*.cpp), which `plan nodes` searches with:
vectors and masks in, no Kubernetes."""

from kubesched._core import pack_construct, pack_is_valid, pack_lower_bound, pack_solve

__all__ = ["pack_construct", "pack_is_valid", "pack_lower_bound", "pack_solve"]
