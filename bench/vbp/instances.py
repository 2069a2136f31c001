"""The vector bin packing instances of Mommessin et al. (Computers & Operations Research,
2024; data from Vectorpack/experiments_vector_paper, MIT licence) as Kubernetes: one node
template whose allocatable has one extended resource per dimension, one pod per item copy.

The data stays where it is: `.vbp` files are read straight out of the `.tar.gz` archives of
the data directory — `--data`, else $KUBESCHED_DATA, else `../shared/data` beside the
repository. A pod cannot request a negative amount, so the few negative sizes of the
Triplet set (-1, -2: an artefact of generating exact triplets) become 0; such instances are
flagged `clamped`, and their published optimum may no longer be reachable.
"""

from __future__ import annotations

import csv
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kubesched.model.cluster import ClusterInput
from kubesched.model.records import Node, Pod, PodSpecInfo
from kubesched.plan.templates import NodeTemplate

SETS = ("Panigrahy", "New", "Triplet")
REPOSITORY = Path(__file__).resolve().parents[2]
MI = 1024 * 1024


def data_directory(explicit: str | None = None) -> Path:
    candidate = explicit or os.environ.get("KUBESCHED_DATA") or str(REPOSITORY.parent / "shared" / "data")
    return Path(candidate)


def vbp_directory(explicit: str | None = None) -> Path:
    base = data_directory(explicit)
    return base / "vbp" if (base / "vbp").is_dir() else base


@dataclass
class Known:
    """A row of `<set>_summary_known.csv`."""

    lower_bound: int
    optimum: int | None  # None when unknown (-1 in the file)
    best_overall: int    # the best of the paper's heuristics


@dataclass
class Instance:
    name: str
    capacities: list[int]
    items: list[list[int]]  # one per pod (demands expanded)
    clamped: bool

    def as_cluster(self) -> tuple[ClusterInput, NodeTemplate]:
        resources = [f"example.com/r{r}" for r in range(len(self.capacities))]
        specs: dict[tuple, PodSpecInfo] = {}
        pods = []
        for index, sizes in enumerate(self.items):
            key = tuple(sizes)
            if key not in specs:
                specs[key] = PodSpecInfo(requests={r: s for r, s in zip(resources, sizes) if s > 0},
                                         nonzero_cpu=100, nonzero_memory=200 * MI)
            pods.append(Pod("vbp", f"item-{index}", {}, specs[key], index=index))
        node = Node("bin", {}, {**dict(zip(resources, self.capacities)), "pods": len(self.items)})
        return ClusterInput(pending_pods=pods), NodeTemplate(node, None)


def read_known(directory: Path, set_name: str) -> dict[str, Known]:
    with open(directory / f"{set_name}_summary_known.csv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["instance_name"]: Known(int(row["LB"]), int(row["OPT"]) if int(row["OPT"]) > 0 else None,
                                            int(row["best_overall"])) for row in rows}


def parse_vbp(name: str, text: str) -> Instance:
    """VPSolver's format: d; the d capacities; m; then m lines of d sizes and a demand."""
    tokens = [int(token) for token in text.split()]
    dims = tokens[0]
    capacities = tokens[1:1 + dims]
    count = tokens[1 + dims]
    position = 2 + dims
    items, clamped = [], False
    for _ in range(count):
        sizes = tokens[position:position + dims]
        demand = tokens[position + dims]
        position += dims + 1
        if min(sizes) < 0:
            clamped = True
            sizes = [max(0, s) for s in sizes]
        items.extend([list(sizes)] * demand)
    return Instance(name, capacities, items, clamped)


def instances(directory: Path, set_name: str, names: set[str] | None = None) -> Iterator[Instance]:
    """The set's instances in archive order (all, or those named)."""
    with tarfile.open(directory / f"{set_name}_instances.tar.gz") as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith(".vbp"):
                continue
            name = Path(member.name).stem
            if names is None or name in names:
                yield parse_vbp(name, archive.extractfile(member).read().decode())
