"""Shared helpers for the benchmarks: results are written to bench/results/ as JSON."""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

import pytest

RESULTS = Path(__file__).parent / "results"


def median_seconds(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.fixture
def record_result(request):
    """Write a benchmark's numbers, with the command that produced them, when benchmarking."""

    def record(name: str, numbers: dict) -> None:
        if request.config.getoption("benchmark_disable", False):
            return
        RESULTS.mkdir(exist_ok=True)
        document = {
            "benchmark": name,
            "command": "make bench  # " + " ".join(["pytest", *sys.argv[1:]]),
            "machine": {"python": platform.python_version(), "processor": platform.machine(),
                        "cpus": __import__("os").cpu_count()},
            "date": time.strftime("%Y-%m-%d"),
            **numbers,
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")

    return record
