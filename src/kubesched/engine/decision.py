"""What the core decided for one pod, decoded once: the node's name or upstream's message."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubesched.model.records import Pod


@dataclass(slots=True)
class Decision:
    pod: Pod
    node: str | None  # None: it fits nowhere
    index: int = -1  # the node's index in the snapshot
    message: str = ""  # upstream's FitError message when it fits nowhere
    failure: list[tuple[int, int]] = field(default_factory=list)  # the core's (reason, nodes) histogram
    gpus: int = 0  # bit mask of the GPUs it took on its node
    counts: tuple[int, int] | None = None  # (evaluated, feasible) nodes, as upstream logs them (one pod decided alone)
    error: str | None = None  # not a fit problem: an extender failed (the attempt is retried after backoff)
    extenders: object = None  # kubesched.extenders.decide.ExtenderRun: what each extender answered, the totals

    @property
    def placed(self) -> bool:
        return self.node is not None
