"""Which kubeconfig (or the in-cluster service account) a command uses, resolved as
client-go's default loading rules do:

1. `--kubeconfig FILE`: that file alone (it must exist);
2. else `$KUBECONFIG`: a colon-separated list, merged (the first file that names a cluster,
   user or context wins; missing files are skipped);
3. else `~/.kube/config` when it exists;
4. else the pod's service account (in a cluster).

`--context` picks a context of the kubeconfig; otherwise the first `current-context` set."""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

from kubesched.errors import InputError

DEFAULT_KUBECONFIG = os.path.join("~", ".kube", "config")


@dataclass(frozen=True)
class Source:
    paths: tuple[str, ...]    # kubeconfig files in precedence order; () for in-cluster
    context: str | None       # the context to use; None: in-cluster
    described: str            # how the user named it, for error messages

    @property
    def in_cluster(self) -> bool:
        return not self.paths


def resolve(kubeconfig: str | None, context: str | None,
            environ: os._Environ | dict = os.environ) -> Source:
    if kubeconfig:
        if not os.path.isfile(kubeconfig):
            raise InputError("no such file", file=kubeconfig, field="--kubeconfig")
        paths: tuple[str, ...] = (kubeconfig,)
        described = kubeconfig
    elif environ.get("KUBECONFIG"):
        listed = [os.path.expanduser(p) for p in environ["KUBECONFIG"].split(os.pathsep) if p]
        paths = tuple(p for p in listed if os.path.isfile(p))
        described = "$KUBECONFIG"
    else:
        default = os.path.expanduser(DEFAULT_KUBECONFIG)
        paths = (default,) if os.path.isfile(default) else ()
        described = default
    if not paths:
        if context:
            raise InputError(f"no kubeconfig found ({described}) to take context {context!r} from",
                             field="--context")
        return Source((), None, "the in-cluster service account")
    return Source(paths, context or _current_context(paths), described)


def _current_context(paths: tuple[str, ...]) -> str | None:
    """The first file's `current-context` that is set (client-go's merge; the official
    Python client lets the last file win instead)."""
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                document = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError) as error:
            raise InputError(f"cannot read this kubeconfig: {error}", file=path) from None
        if isinstance(document, dict) and document.get("current-context"):
            return document["current-context"]
    return None
