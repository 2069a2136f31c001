"""DefaultPreemption (PostFilter) as kube-scheduler v1.37 runs it: for a pod that fits no
node, find the nodes where evicting lower-priority pods lets it fit, pick one, and say whom
to evict. The same decision serves `simulate`, `explain`, `plan` and `run`.

The API
-------
``preempt(snapshot, pod, placed, pdbs=(), args=None, *, nominated=(), offset=0) -> Preemption``
    `snapshot`: the ClusterSnapshot the pod was just rejected on (its engine holds exactly
    the pods of `placed`); `pod`: the Pod record; `placed`: every pod counted on a node,
    either a ``PodTable`` (kept up to date as pods land and leave: ``table.add(pod, node,
    class_id=..., start_time=..., terminating=...)``, ``table.remove(pod)``; rows in each
    node's order; build it once per snapshot) or PodOnNode entries in each node's order,
    ``PodOnNode(pod, node, start_time, terminating)`` (``pod_on_node(pod, node)`` builds
    one from a pod's manifest/API object: status.startTime, and whether an earlier
    preemption is deleting it); `pdbs`: ``PodDisruptionBudget`` records (``parse_pdb(obj,
    bound_pods)`` from a policy/v1 object; a budget without status gets the controller's),
    used when `placed` is not a PodTable (a table takes them at construction);
    `args`: ``PreemptionArgs`` (DefaultPreemptionArgs; ``preemption_args(profile)`` reads
    a profile's, None when the profile disables DefaultPreemption); `nominated`: (pod,
    node name) of pods nominated and not bound yet — those at the pod's priority or above
    hold their node; the pod's own nominatedNodeName is read from ``pod.raw["status"]``;
    `offset`: the dry run's start among the potential nodes (upstream draws it at random,
    ``rand.Int31n(len)``; 0 in deterministic use). It changes nothing: the victim search
    runs in the core (src/_core/preemption.cpp) as what-ifs it undoes; the pure-Python
    reference (tests.reference.preemption_reference) decides the same, for the tests.

``Preemption``
    ``nominated_node``: the chosen node, or None when preemption cannot help;
    ``victims``: the Pod records to evict, in eviction order (most important first);
    ``pdb_violations``: how many of them violate a PodDisruptionBudget;
    ``candidates``: ``Candidate(node, victims, pdb_violations)`` per node the dry run found,
    in upstream's order (non-violating first); ``decided_by``: the criterion that chose the
    node ("fewest PDB violations", "lowest highest-victim priority", "smallest sum of
    victim priorities", "fewest victims", "latest start of the highest-priority victims",
    "first of the tied", "only candidate"); ``statuses``: per node the dry run rejected,
    its reasons; ``eligible``: False for `preemptionPolicy: Never` and for a pod whose
    nominated node still has lower-priority pods terminating (it waits);
    ``message``: the PostFilter status message, with upstream's ``preemption: `` prefix —
    ``preemption: not eligible due to preemptionPolicy=Never.``, ``preemption: not eligible
    due to a terminating pod on the nominated node.``, ``preemption: 0/5 nodes are
    available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found
    for incoming pod.``, or on success ``preemption: found a potential placement for pod on
    node X, preempting N victims``; ``fit_error(fit_message)`` appends it to the filters'
    ``0/N nodes are available: ...`` message as upstream's FitError does (only for a pod
    that stays unschedulable); ``to_json()`` for -o json.

``preempt_and_retry(snapshot, pod, table, class_id, *, nominated=(), held=(), args=None, offset=0) -> (Preemption, node)``
    simulate's cycle in one core call: preempt() on a PodTable, then the chosen
    victims leave the engine and the table and the pod is tried again, first on its
    nominated node, yielding to `held` ((class id, node index) of nominated pods); `node` is
    the index it is assumed on, or -1. The answer names the chosen candidate only
    (``candidates`` raises: ask preempt()).

``unresolvable_everywhere(pod, node_count) -> str``
    the PostFilter status for a pod that no node can help, every one rejected as
    unresolvable (as DynamicResources' PreFilter does): preemptionPolicy=Never's, else
    every node ``Preemption is not helpful for scheduling``; no search runs.

What the caller does with a nomination, as upstream: set the pod's nominatedNodeName, evict
the victims (``DisruptionTarget`` condition, reason ``PreemptionByScheduler``; event
``Preempted``), and schedule the pod again — first on its nominated node — while pods of
lower priority see the node's room held for it (pass it in `nominated`).
"""

from kubesched.preemption.args import PreemptionArgs, candidates_to_find, preemption_args
from kubesched.preemption.evaluate import nominated_node_of, preempt, preempt_and_retry, yields_to
from kubesched.preemption.table import PodTable
from kubesched.preemption.pdb import PodDisruptionBudget, parse_pdb, violating
from kubesched.preemption.result import Candidate, Preemption, success_message, unresolvable_everywhere
from kubesched.preemption.victims import LATEST, PodOnNode, pod_on_node, start_time, terminating_by_preemption

__all__ = ["LATEST", "Candidate", "PodDisruptionBudget", "PodOnNode", "PodTable", "Preemption", "PreemptionArgs",
           "candidates_to_find", "nominated_node_of", "parse_pdb", "pod_on_node", "preempt", "preempt_and_retry",
           "preemption_args",
           "start_time", "success_message", "terminating_by_preemption", "unresolvable_everywhere", "violating",
           "yields_to"]
