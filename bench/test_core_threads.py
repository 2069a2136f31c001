"""The heterogeneous workload (every pod a class of its own: a pass over every node per pod)
at 5000 nodes with the core's passes on 1 and on 2 threads (KUBESCHED_CORE_THREADS), in one
run: wall and CPU seconds of each, and the same answer from both."""

from __future__ import annotations

import statistics
import time

from .test_heterogeneous import parsed
from .test_scheduler_perf import ROUNDS, place_measured

NODES = 5000
PODS = 1000
THREADS = (1, 2)


def test_heterogeneous_workload_on_threads(benchmark, record_result, request, monkeypatch):
    scale = 0.1 if request.config.getoption("benchmark_disable", False) else 1.0
    nodes, pods, objects = parsed(int(NODES * scale), int(PODS * scale))
    answers, numbers = {}, {}

    def run():
        for threads in THREADS:
            monkeypatch.setenv("KUBESCHED_CORE_THREADS", str(threads))
            walls, cpus = [], []
            for _ in range(1 if scale < 1 else ROUNDS):
                cpu = time.process_time()
                _, _, chosen, wall = place_measured(nodes, [], pods, objects)
                walls.append(wall)
                cpus.append(time.process_time() - cpu)
            answers[threads] = chosen.tolist()
            numbers[str(threads)] = {"pods_per_second_wall": round(len(pods) / statistics.median(walls)),
                                     "cpu_seconds": round(statistics.median(cpus), 3)}

    benchmark.pedantic(run, rounds=1, iterations=1)
    assert answers[1] == answers[2], "the decisions depend on the number of threads"
    record_result("heterogeneous_threads_in_memory", {"rounds": ROUNDS, "nodes": len(nodes), "pods": len(pods),
                                                      "threads": numbers})
