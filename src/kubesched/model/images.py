"""Container image names as ImageLocality compares them.

Upstream compares a container's image, with `:latest` appended when it names no tag, to
the names a node reports in `status.images` exactly as reported: `nginx` on a pod matches a
node's `nginx:latest`, not its `docker.io/library/nginx:latest` (kubelets usually report
both spellings).
"""

from __future__ import annotations


def normalize_image(reference: str) -> str:
    if reference and reference.rfind(":") <= reference.rfind("/"):
        return reference + ":latest"
    return reference
