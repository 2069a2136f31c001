"""`kubesched simulate`: place pending pods on a cluster from manifests, in memory."""

from __future__ import annotations

import click

from kubesched.cli.options import (cluster_inputs, cluster_options, cluster_paths, config_option, currency_option,
                                   load_profiles_and_extenders, report_option, require_served, scheduler_name_option, seed_option)
from kubesched.cli.output import Output, json_bytes, output_options, table
from kubesched.cli.teardown import keep_until_exit
from kubesched.cli.units import amount, percent
from kubesched.model.cluster import read_cluster
from kubesched.model.manifests import paused_gc
from kubesched.plan.snapshots import usage_by_node
from kubesched.progress import Stages
from kubesched.reports import reasons
from kubesched.inputs import STDIN
from kubesched.sim.batched import BatchedResult, simulate_batched
from kubesched.sim.preempting import PREEMPTED_MODES
from kubesched.sim.simulate import SimulationResult, simulate as run_simulation


@click.command()
@cluster_options
@config_option
@scheduler_name_option
@output_options
@seed_option
@report_option
@currency_option
@click.option("--preempted", type=click.Choice(PREEMPTED_MODES), default="requeue", show_default=True,
              help="Pods evicted by preemption: requeue (those a controller recreates are decided again) "
                   "or report (only listed).")
def simulate(paths: tuple[str, ...], kubeconfig: str | None, context: str | None, config: str | None, scheduler_names: tuple[str, ...], out: Output,
             seed: int | None, report_path: str | None, currency: str, preempted: str) -> None:
    """Schedule the pending pods of PATHs (nodes + pods + workloads) in memory.

    Nodes and pods with spec.nodeName are the cluster's state; the other pods are decided
    in queue order (priority, creation time, input order) by the profile their
    schedulerName names. -o json gives every pod's node and exact message; -o wide adds one
    row per node."""
    profiles, extenders = load_profiles_and_extenders(config, scheduler_names)
    # The decisions and the answer make a few small, acyclic objects per pod, as reading
    # does: the cyclic collector is paused for them too (see paused_gc).
    with Stages() as stages, paused_gc():  # big inputs take a while: say so on the terminal
        stages.begin("reading the manifests")
        inputs = cluster_inputs(paths, kubeconfig, context)  # before `paths` takes the snapshot's directory
        with cluster_paths(paths, kubeconfig, context) as paths:
            # repeated pods as batches, decided without a record per pod where that answers
            cluster = read_cluster(paths, batched=STDIN not in paths and not report_path)
        stages.begin(f"deciding {len(cluster.pending_pods) + cluster.batched} pods on {len(cluster.nodes)} nodes")
        result = simulate_batched(cluster, profiles, seed, extenders)
        if result is None:
            cluster.expand_batches()
            require_served(cluster.pending_pods, profiles)
            result = run_simulation(cluster, profiles, seed, preempted, extenders)
        view = SimulationView(result)
        document = view.document if isinstance(result, BatchedResult) else view.document()
    if report_path:
        from kubesched.reports import pages
        from kubesched.engine.cluster import ClusterSnapshot

        before = ClusterSnapshot(cluster.nodes, next(iter(profiles.values())), seed)
        before.add_bound(cluster.bound_pods)
        made = pages.provenance(inputs, config,
                                {"scheduler names": ", ".join(scheduler_names) or None, "seed": seed})
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(pages.simulate_report(result, usage_by_node(before), currency, made))
    out.emit(document, table=view.table, wide=view.wide, names=view.names, json=view.json)
    keep_until_exit(cluster, result, view)


class SimulationView:
    """What the user sees of a simulation, in each output format."""

    def __init__(self, result: SimulationResult | BatchedResult):
        self.result = result
        self.summary = result.summary()
        self.by_reason = reasons.group(result.unplaced_messages())
        pod_count = result.snapshot.usage()[3]
        self.nodes_used = int((pod_count > 0).sum())

    def document(self) -> dict:
        document = self.document_without_placements()
        document["placements"] = [p.to_json() for p in self.result.placements]
        return document

    def document_without_placements(self) -> dict:
        summary = {**self.summary, "nodesUsed": self.nodes_used, "unschedulableByReason": self.by_reason}
        return {"placements": [], "summary": summary}

    def json(self) -> bytes:
        """The document as -o json writes it, its placements written natively where the
        result can (a batched one)."""
        placements = self.result.placements_json()
        if placements is None:
            return json_bytes(self.document())
        head, rest = json_bytes(self.document_without_placements()).split(b'"placements": []', 1)
        return head + b'"placements": ' + placements + rest

    def names(self) -> list[str]:
        return [f"pod/{p.pod}" for p in self.result.placements if p.node is not None]

    def table(self) -> str:
        s = self.summary
        lines = [f"{s['placed']}/{s['pods']} pods placed on {s['nodes']} nodes ({self.nodes_used} used); "
                 f"{s['unschedulable']} unschedulable.", ""]
        if s.get("preemptions"):
            lines[0] += f" {s['preemptions']} preemptions evicted {s['evicted']} pods."
        rows = [[resource, amount(resource, usage["requested"]), amount(resource, usage["allocatable"]),
                 percent(usage["requested"], usage["allocatable"])]
                for resource, usage in s["utilization"].items()
                if usage["requested"] or resource in ("cpu", "memory", "pods")]  # -o json has them all
        lines.append(table(["RESOURCE", "REQUESTED", "ALLOCATABLE", "%"], rows, right={1, 2, 3}))
        if self.by_reason:
            lines.append("")
            lines.append(table(["UNSCHEDULABLE", "PLUGIN", "REASON"],
                               [[g["pods"], g["plugin"], g["reason"]] for g in self.by_reason], right={0}))
        return "\n".join(lines)

    def wide(self) -> str:
        nodes = usage_by_node(self.result.snapshot)
        resources = [r for r in ("cpu", "memory") if any(r in u for u in nodes.values())]
        resources += sorted({r for u in nodes.values() for r in u if "gpu" in r})
        header = ["NODE", "PODS", *(column for r in resources for column in (r.upper(), "%"))]
        rows = []
        for name, usage in nodes.items():
            row = [name, f"{usage['pods'][0]}/{usage['pods'][1]}"]
            for resource in resources:
                used, total = usage.get(resource, (0, 0))
                row += [f"{amount(resource, used)}/{amount(resource, total)}", percent(used, total)]
            rows.append(row)
        numeric = set(range(1, len(header)))
        return self.table() + "\n\n" + table(header, rows, right=numeric)
