# cython: language_level=3, boundscheck=False, wraparound=False
"""The binding of the C++ decision core: a thin layer that converts Python values to the
core's interned ids and packed structures, and runs the hot loops with the GIL released."""

from libc.stdint cimport int32_t, int64_t, uint8_t
from libcpp.string cimport string
from libcpp.utility cimport pair
from libcpp.vector cimport vector

import numpy as np

cimport core

FILTERS = tuple(core.filter_name(i).decode() for i in range(core.kFilterCount))  # profile.hpp
SCORES = tuple(core.score_name(i).decode() for i in range(core.kScoreCount))
EXCLUDED = "(excluded)"  # evaluate's failed filter of a node its caller's own filter rejects
GPU_SELECT = ("Best", "Worst", "Random", "FGD", "FGDCapacity")
STRATEGIES = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")
OPERATORS = {"In": 0, "NotIn": 1, "Exists": 2, "DoesNotExist": 3, "Gt": 4, "Lt": 5}
EFFECTS = {"": 0, "NoSchedule": 1, "PreferNoSchedule": 2, "NoExecute": 3}

REASON_KIND_COUNT = core.kReasonKindCount
# reasons.hpp: the fixed texts; a kind without one is worded from its payload in reason_text
_REASON_TEXT = {kind: core.reason_text(kind).decode() for kind in range(1, core.kReasonKindCount)
                if core.reason_text(kind) != NULL and core.reason_text(kind)[0] != 0}
PAYLOAD_REASON_KINDS = (7, 14, 15, 16, 17, 18)  # worded by Engine.reason_text from the payload
# A kind the core never makes: a Python plugin's reason (python_reason), its text interned;
# payload: the string id.
PYTHON_PLUGIN_REASON = 64
PREFILTER_PLUGINS = {"NodeName": 1, "NodeAffinity": 2}  # bits of a kReasonPreFilterNodes payload
PREFILTER_REJECTIONS = {1: "pod affinity terms conflict"}  # kReasonPreFilterRejected payloads
DRA_VERDICTS = {1: "cannot allocate all claims", 2: "resourceclaim not available on the node",
                3: "invalid resource pools were encountered"}  # dra.hpp
VOLUME_REASONS = {  # kReasonVolume payloads (volumes.hpp)
    1: "node(s) had no available disk",
    2: "node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by "
       "another pod",
    3: "node(s) exceed max volume count",
    4: "node(s) didn't match PersistentVolume's node affinity",
    5: "node(s) didn't find available persistent volumes to bind",
    6: "node(s) did not have enough free storage",
    7: "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)",
    8: "node(s) had no available volume zone",
}


def default_profile():
    """The C++ Profile's defaults: enabled filter names and score name -> weight."""
    cdef core.Profile profile
    return (tuple(name for index, name in enumerate(FILTERS) if profile.filters[index]),
            {name: profile.weights[index] for index, name in enumerate(SCORES)})


def prefilter_rejection_id(str text):
    """The kReasonPreFilterRejected payload of a PreFilter message, registered on first use
    (volume plugins' messages name claims and volumes)."""
    for key, known in PREFILTER_REJECTIONS.items():
        if known == text:
            return key
    key = max(PREFILTER_REJECTIONS) + 1
    PREFILTER_REJECTIONS[key] = text
    return key
# preemption.hpp: PickCriterion, and the reason of a node without lower-priority pods
PREEMPTION_CRITERIA = ("only candidate", "fewest PDB violations", "lowest highest-victim priority",
                       "smallest sum of victim priorities", "fewest victims",
                       "latest start of the highest-priority victims", "first of the tied")
PREEMPTION_NO_VICTIMS = "No preemption victims found for incoming pod"


cdef inline string _b(str text):
    return text.encode("utf-8")


cdef class Engine:
    """Node and class indices from Python are checked here, at the boundary: the core's own
    loops index without checks."""

    """One cluster snapshot, its pod classes and a profile; decisions happen here."""

    cdef core.Engine* engine
    cdef public object volume_drivers  # CSI driver names by id, for kReasonCsiDriverMissing

    def __cinit__(self):
        self.engine = new core.Engine()

    def __dealloc__(self):
        del self.engine

    # -- strings and resources -------------------------------------------------------------

    def intern(self, str text):
        return self.engine.snapshot.strings.intern(_b(text))

    def text(self, int32_t string_id):
        return self.engine.snapshot.strings.text(string_id).decode("utf-8")

    def resource(self, str name):
        return self.engine.snapshot.resource(_b(name))

    def resource_names(self):
        return [self.engine.snapshot.resource_name(r).decode("utf-8")
                for r in range(self.engine.snapshot.resource_count())]

    # -- nodes -----------------------------------------------------------------------------

    @property
    def node_count(self):
        return self.engine.snapshot.node_count()

    cdef int32_t _node(self, int64_t node) except -1:
        if not 0 <= node < self.engine.snapshot.node_count():
            raise IndexError(f"node index {node} out of range (0..{self.engine.snapshot.node_count() - 1})")
        return <int32_t>node

    cdef int32_t _class(self, int64_t class_id) except -1:
        if not 0 <= class_id < self.engine.class_count():
            raise IndexError(f"pod class {class_id} out of range (0..{self.engine.class_count() - 1})")
        return <int32_t>class_id

    cdef void _classes(self, int32_t[::1] classes) except *:
        cdef Py_ssize_t i
        cdef int32_t count = self.engine.class_count()
        for i in range(classes.shape[0]):
            if not 0 <= classes[i] < count:
                raise IndexError(f"pod class {classes[i]} out of range (0..{count - 1})")

    def add_node(self, str name, dict labels, dict allocatable, list taints, bint unschedulable,
                 images=()):
        """Add a node; `taints` are (key, value, effect), `allocatable` maps resource names
        (and "pods") to integer amounts, `images` are (names, size). Returns its index."""
        cdef core.Snapshot* s = &self.engine.snapshot
        cdef int32_t node = self.engine.add_node(_b(name))
        for names, size in images:
            for image in names:
                s.add_image(node, _b(image), size)
        for key, value in labels.items():
            s.set_label(node, _b(key), _b(value))
        for resource, amount in allocatable.items():
            if resource == "pods":
                s.set_allowed_pods(node, amount)
            else:
                s.set_allocatable(node, s.resource(_b(resource)), amount)
        for key, value, effect in taints:
            s.add_taint(node, _b(key), _b(value), EFFECTS[effect])
        s.set_unschedulable(node, unschedulable)
        return node

    def update_node(self, int64_t node, dict labels, list taints, bint unschedulable):
        """The node's labels, taints (key, value, effect) and schedulability are now these."""
        cdef core.Snapshot* s = &self.engine.snapshot
        cdef int32_t n = self._node(node)
        s.clear_labels(n)
        for key, value in labels.items():
            s.set_label(n, _b(key), _b(value))
        s.clear_taints(n)
        for key, value, effect in taints:
            s.add_taint(n, _b(key), _b(value), EFFECTS[effect])
        s.set_unschedulable(n, unschedulable)
        self.engine.node_changed(n)

    def set_node_allocatable(self, int64_t node, dict allocatable):
        """The node's allocatable amounts are now these (a resource it no longer lists: 0)."""
        cdef core.Snapshot* s = &self.engine.snapshot
        cdef int32_t n = self._node(node)
        cdef int32_t r
        for resource in allocatable:
            if resource != "pods":
                s.resource(_b(resource))
        for r in range(s.resource_count()):
            s.set_allocatable(n, r, allocatable.get(s.resource_name(r).decode("utf-8"), 0))
        s.set_allowed_pods(n, allocatable.get("pods", 0))
        self.engine.node_changed(n)

    def set_node_images(self, int64_t node, images):
        """The node's images (names, size) are now these."""
        cdef core.Snapshot* s = &self.engine.snapshot
        cdef int32_t n = self._node(node)
        s.clear_images(n)
        for names, size in images:
            for image in names:
                s.add_image(n, _b(image), size)
        self.engine.node_changed(n)

    def node_name(self, int64_t node):
        return self.text(self.engine.snapshot.names[self._node(node)])

    def usage(self):
        """(allocatable, requested, allowed pods, pod count) as arrays: [resource, node]."""
        cdef core.Snapshot* s = &self.engine.snapshot
        allocatable = np.array([list(column) for column in s.allocatable], dtype=np.int64)
        requested = np.array([list(column) for column in s.requested], dtype=np.int64)
        return (allocatable, requested, np.array(s.allowed_pods, dtype=np.int64),
                np.array(s.pod_count, dtype=np.int64))

    # -- pod classes -----------------------------------------------------------------------

    def add_matcher(self, *, requirements=None, namespaces=(), all_namespaces=False):
        """Register a pod selector: requirements (key, operator, values) on pod labels, or
        None for a missing selector (matches nothing), and the namespaces it looks in."""
        cdef core.Matcher matcher
        matcher.nothing = requirements is None
        for requirement in requirements or ():
            matcher.requirements.push_back(self._expression(requirement))
        matcher.all_namespaces = all_namespaces
        for namespace in sorted(self.intern(n) for n in namespaces):
            matcher.namespaces.push_back(namespace)
        return self.engine.add_matcher(matcher)

    def add_class(self, *, requests, int64_t nonzero_cpu, int64_t nonzero_memory,
                  fit_score_cpu=None, fit_score_memory=None, ports=(),
                  tolerations=(), node_selector=(), required_terms=None, preferred_terms=(),
                  node_name=None, namespace="default", labels=None, affinity_required=(),
                  anti_required=(), affinity_preferred=(), anti_preferred=(), spread=(),
                  spread_is_system_default=False, images=(), enforced_terms=None, fit_ignored=(), fit_dra_served=(),
                  int32_t gpu_count=0, int32_t gpu_milli=0, prefilter_nodes=None,
                  prefilter_plugins=(), prefilter_rejection=None, dra_verdict=None, dra_score=None,
                  int32_t volume_class=-1, volume_rejection_filter=None):
        """Compile one pod class. Node terms are (expressions, fields) with expressions as
        (key, operator, values); tolerations are (key, operator, value, effect), "" for empty;
        pod terms are (matcher id, topology key, weight); spread constraints are (matcher id,
        key, maxSkew, minDomains, hard, honor node affinity, honor node taints). A GPU pod
        asks for `gpu_count` GPUs of `gpu_milli` each (1000: whole; less: a share of one).
        `prefilter_nodes`: the node names PreFilter plugins (`prefilter_plugins`) restrict
        the pod to; `prefilter_rejection`: a PreFilter rejection of the pod (its message)."""
        cdef core.PodClass pod
        cdef core.SpreadConstraint constraint
        cdef core.ResourceAmount amount
        cdef core.HostPort port
        cdef core.Toleration toleration
        cdef core.WeightedNodeTerm weighted
        for name, value in requests:
            if value > 0:
                amount.resource = self.engine.snapshot.resource(_b(name))
                amount.amount = value
                pod.requests.push_back(amount)
        for name in fit_ignored:
            pod.fit_ignored.push_back(self.engine.snapshot.resource(_b(name)))
        for name in fit_dra_served:
            pod.fit_dra_served.push_back(self.engine.snapshot.resource(_b(name)))
        pod.nonzero_cpu = nonzero_cpu
        pod.nonzero_memory = nonzero_memory
        pod.fit_score_cpu = nonzero_cpu if fit_score_cpu is None else fit_score_cpu
        pod.fit_score_memory = nonzero_memory if fit_score_memory is None else fit_score_memory
        for ip, protocol, number in ports:
            port.ip = self.intern(ip)
            port.protocol = self.intern(protocol)
            port.port = number
            pod.ports.push_back(port)
        for key, operator, value, effect in tolerations:
            toleration.key = self.intern(key) if key else -1
            toleration.op = 1 if operator == "Exists" else 0
            toleration.value = self.intern(value)
            toleration.effect = EFFECTS[effect]
            pod.tolerations.push_back(toleration)
        for key, value in node_selector:
            pod.node_selector.push_back(pair[int32_t, int32_t](self.intern(key), self.intern(value)))
        if required_terms is not None:
            pod.has_required_terms = True
            for term in required_terms:
                pod.required_terms.push_back(self._term(term))
        for weight, term in preferred_terms:
            weighted.weight = weight
            weighted.term = self._term(term)
            pod.preferred_terms.push_back(weighted)
        if enforced_terms is not None:
            pod.has_enforced_terms = True
            for term in enforced_terms:
                pod.enforced_terms.push_back(self._term(term))
        pod.node_name = self.intern(node_name) if node_name else -1
        if prefilter_nodes is not None:
            pod.has_prefilter_nodes = True
            for name_id in sorted(self.intern(n) for n in prefilter_nodes):
                pod.prefilter_nodes.push_back(name_id)
            pod.prefilter_plugins = sum(PREFILTER_PLUGINS[p] for p in set(prefilter_plugins))
        if prefilter_rejection is not None:
            pod.prefilter_rejection = prefilter_rejection_id(prefilter_rejection)
        pod.volume_class = volume_class
        pod.volume_rejection_filter = -1 if volume_rejection_filter is None else FILTERS.index(volume_rejection_filter)
        pod.namespace_id = self.intern(namespace)
        for key, value in sorted((self.intern(k), self.intern(v)) for k, v in (labels or {}).items()):
            pod.labels.push_back(pair[int32_t, int32_t](key, value))
        self._pod_terms(pod.affinity_required, affinity_required)
        self._pod_terms(pod.anti_required, anti_required)
        self._pod_terms(pod.affinity_preferred, affinity_preferred)
        self._pod_terms(pod.anti_preferred, anti_preferred)
        for matcher, key, max_skew, min_domains, hard, honor_affinity, honor_taints in spread:
            constraint.matcher = matcher
            constraint.key = self.intern(key)
            constraint.max_skew = max_skew
            constraint.min_domains = min_domains
            constraint.hard = hard
            constraint.honor_node_affinity = honor_affinity
            constraint.honor_node_taints = honor_taints
            pod.spread.push_back(constraint)
        pod.spread_is_system_default = spread_is_system_default
        for image in images:
            pod.images.push_back(self.intern(image))
        pod.gpu_count = gpu_count
        pod.gpu_milli = gpu_milli
        if dra_verdict is not None:  # one per node (dra.hpp)
            if len(dra_verdict) != self.engine.snapshot.node_count() or len(dra_score) != len(dra_verdict):
                raise ValueError("dra_verdict and dra_score need one entry per node")
            for verdict in dra_verdict:
                pod.dra_verdict.push_back(verdict)
            for value in dra_score:
                pod.dra_score.push_back(value)
        return self.engine.add_class(pod)

    cdef void _pod_terms(self, vector[core.PodTerm]& target, terms) except *:
        cdef core.PodTerm term
        for matcher, key, weight in terms:
            term.matcher = matcher
            term.key = self.intern(key)
            term.weight = weight
            target.push_back(term)

    cdef core.NodeTerm _term(self, term) except *:
        cdef core.NodeTerm compiled
        expressions, fields = term
        for expression in expressions:
            compiled.expressions.push_back(self._expression(expression))
        for field in fields:
            compiled.fields.push_back(self._expression(field))
        return compiled

    cdef core.Expression _expression(self, expression) except *:
        cdef core.Expression compiled
        key, operator, values = expression
        compiled.key = self.intern(key)
        compiled.op = OPERATORS[operator]
        for value in values:
            compiled.values.push_back(self.intern(value))
        if operator in ("Gt", "Lt"):
            compiled.number = int(values[0])
        return compiled

    @property
    def class_count(self):
        return self.engine.class_count()

    # -- profile ---------------------------------------------------------------------------

    def set_profile(self, *, filters, weights, strategy="LeastAllocated", fit_resources=(("cpu", 1), ("memory", 1)),
                    shape=(), balanced_resources=(("cpu", 1), ("memory", 1)),
                    int32_t percentage_of_nodes_to_score=100, int64_t hard_pod_affinity_weight=1,
                    bint ignore_preferred_terms_of_existing_pods=False, bint spread_system_defaulted=True,
                    str gpu_select="Best", volume_shape=((0, 100), (100, 0))):
        """`filters`: names of enabled filters; `weights`: score plugin name -> weight;
        `gpu_select`: how a pod sharing a GPU gets its GPU in the chosen node (GPU_SELECT)."""
        cdef core.Profile profile
        cdef core.ResourceWeight rw
        cdef core.ShapePoint point
        unknown = sorted(set(filters) - set(FILTERS))
        if unknown:
            raise ValueError(f"unknown filter plugin(s) {', '.join(unknown)}; the core runs {', '.join(FILTERS)}")
        unknown = sorted(set(weights) - set(SCORES))
        if unknown:
            raise ValueError(f"unknown score plugin(s) {', '.join(unknown)}; the core runs {', '.join(SCORES)}")
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown scoring strategy {strategy!r}; the core runs {', '.join(STRATEGIES)}")
        if gpu_select not in GPU_SELECT:
            raise ValueError(f"unknown GPU selection {gpu_select!r}; the core runs {', '.join(GPU_SELECT)}")
        for index, name in enumerate(FILTERS):
            profile.filters[index] = name in filters
        for index, name in enumerate(SCORES):
            profile.weights[index] = weights.get(name, 0)
        profile.strategy = STRATEGIES.index(strategy)
        profile.fit_resources.clear()
        for name, weight in fit_resources:
            rw.resource = self.engine.snapshot.resource(_b(name))
            rw.weight = weight
            profile.fit_resources.push_back(rw)
        for utilization, score in shape:
            point.utilization = utilization
            point.score = score
            profile.shape.push_back(point)
        profile.balanced_resources.clear()
        for name, weight in balanced_resources:
            rw.resource = self.engine.snapshot.resource(_b(name))
            rw.weight = weight
            profile.balanced_resources.push_back(rw)
        profile.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        profile.hard_pod_affinity_weight = hard_pod_affinity_weight
        profile.ignore_preferred_terms_of_existing_pods = ignore_preferred_terms_of_existing_pods
        profile.spread_system_defaulted = spread_system_defaulted
        profile.gpu_select = GPU_SELECT.index(gpu_select)
        profile.volume_shape.clear()
        for utilization, score in volume_shape:
            point.utilization = utilization
            point.score = score
            profile.volume_shape.push_back(point)
        self.engine.set_profile(profile)

    def set_seed(self, seed):
        self.engine.set_seed(-1 if seed is None else seed)

    @property
    def next_start_node(self):
        return self.engine.next_start_node()

    @next_start_node.setter
    def next_start_node(self, int32_t start):
        self.engine.set_next_start_node(start)

    def choose_tie(self, int64_t ties):
        """The index, among `ties` equally best nodes, the engine's selection would take."""
        return self.engine.choose_tie(ties)

    # -- decisions -------------------------------------------------------------------------

    def assume(self, int64_t class_id, int64_t node):
        self.engine.assume(self._class(class_id), self._node(node))

    def forget(self, int64_t class_id, int64_t node):
        self.engine.forget(self._class(class_id), self._node(node))

    def schedule(self, int64_t class_id):
        return self.engine.schedule(self._class(class_id))

    def schedule_queue(self, class_ids):
        """Decide a queue of pods (by class id) in order; returns the chosen node indices, -1
        where nothing fits. The reasons of each failure are in `failures()`, in order."""
        cdef int32_t[::1] classes = np.ascontiguousarray(class_ids, dtype=np.int32)
        chosen = np.empty(classes.shape[0], dtype=np.int32)
        cdef int32_t[::1] out = chosen
        cdef int64_t count = classes.shape[0]
        if count == 0:
            return chosen
        self._classes(classes)
        with nogil:
            self.engine.schedule_queue(&classes[0], count, &out[0])
        return chosen

    # -- GPU sharing (gpu.hpp) -------------------------------------------------------------

    def set_gpu_typical_pods(self, pods):
        """FGD's workload: (cpu milli, milli per GPU, GPU count, allowed models, weight) per
        typical pod; weights sum to 1. Scores computed so far are recomputed."""
        cdef vector[core.TypicalPod] typical
        cdef core.TypicalPod item
        for cpu, milli, count, models, weight in pods:
            item.cpu = cpu
            item.milli = milli
            item.count = count
            item.models.clear()
            for model in models:
                item.models.push_back(self.intern(model))
            item.weight = weight
            typical.push_back(item)
        self.engine.snapshot.set_gpu_workload(typical)

    def gpu_free(self, int64_t node):
        """Free milli of each GPU of the node."""
        return list(self.engine.snapshot.gpu_free[self._node(node)])

    def gpu_frag(self, int64_t node):
        """The node's fragmentation amount (milli-GPU) against the typical pods."""
        cdef core.GpuNodeState state = core.gpu_node_state(self.engine.snapshot, self._node(node))
        return self.engine.snapshot.gpu_workload.frag(state)

    def cluster_gpu_frag(self):
        """(fragmentation amount, free GPU milli) of the whole cluster."""
        cdef int64_t idle = 0
        cdef double amount = core.cluster_gpu_frag(self.engine.snapshot, &idle)
        return amount, idle

    @property
    def last_gpu_mask(self):
        """Bit mask of the GPUs the last assumed pod took (0: none)."""
        return self.engine.last_gpu_mask()

    def gpu_assignments(self):
        """For each pod of the last schedule_queue, the bit mask of the GPUs it took (0: none)."""
        return np.array(self.engine.queue_gpu_masks(), dtype=np.uint64)

    def assume_on_gpus(self, int64_t class_id, int64_t node, mask):
        """A GPU pod already bound to the GPUs of `mask` (bit g: GPU g)."""
        self.engine.assume_on_gpus(self._class(class_id), self._node(node), mask)

    def forget_on_gpus(self, int64_t class_id, int64_t node, mask):
        """A GPU pod leaves exactly the GPUs of `mask` (forget may give back another pod's
        GPUs when two pods of one class share the node)."""
        self.engine.forget_on_gpus(self._class(class_id), self._node(node), mask)

    def replay_gpu_queue(self, class_ids):
        """Decide a queue of pods one by one and measure after each: (chosen node, GPU milli
        allocated so far, fragmentation amount, free GPU milli), as arrays."""
        cdef int32_t[::1] classes = np.ascontiguousarray(class_ids, dtype=np.int32)
        cdef int64_t count = classes.shape[0]
        chosen = np.empty(count, dtype=np.int32)
        allocated = np.empty(count, dtype=np.int64)
        frag = np.empty(count, dtype=np.float64)
        idle = np.empty(count, dtype=np.int64)
        cdef int32_t[::1] c = chosen
        cdef int64_t[::1] a = allocated
        cdef double[::1] f = frag
        cdef int64_t[::1] i = idle
        if count:
            self._classes(classes)
            with nogil:
                core.replay_gpu_queue(self.engine[0], &classes[0], count, &c[0], &a[0], &f[0], &i[0])
        return chosen, allocated, frag, idle

    @property
    def last_counts(self):
        """(evaluated, feasible) nodes of the last schedule(), as upstream logs them."""
        return self.engine.last_evaluated(), self.engine.last_feasible()

    def last_failure(self):
        self.engine.resolve_deferred_failure()
        return [(reason, nodes) for reason, nodes in self.engine.last_failure()]

    def failures(self):
        return [[(reason, nodes) for reason, nodes in histogram] for histogram in self.engine.failures()]

    def clear_failures(self):
        self.engine.clear_failures()

    def python_reason(self, str text):
        """A Python filter plugin's reason as a reason code, for the histograms of failures
        the Python plugins take part in (reason_text gives the text back)."""
        return (PYTHON_PLUGIN_REASON << 24) | self.intern(text)

    def reason_text(self, int32_t reason):
        """The upstream wording of a filter reason."""
        kind, payload = reason >> 24, reason & 0xFFFFFF
        if kind == PYTHON_PLUGIN_REASON:
            return self.text(payload)
        if kind == 7:
            return f"Insufficient {self.engine.snapshot.resource_name(payload).decode('utf-8')}"
        if kind == 14:
            plugins = sorted(name for name, bit in PREFILTER_PLUGINS.items() if payload & bit)
            return f"node(s) didn't satisfy plugin(s) [{' '.join(plugins)}]"
        if kind == 15:
            return PREFILTER_REJECTIONS[payload]
        if kind == 16:
            return DRA_VERDICTS[payload]
        if kind == 17:
            return VOLUME_REASONS[payload]
        if kind == 18:
            return f"{self.volume_drivers[payload]} CSI driver is not installed on the node"
        return _REASON_TEXT[kind]

    # -- volumes (volumes.hpp; compiled by kubesched.engine.volumes) -------------------------

    def set_volume_table(self, *, pv_nodes, pv_capacity, pv_class, candidate_sets, claims, limits, installed,
                         driver_required, driver_names, attachments=()):
        """The PVs (`pv_nodes[i]`: sorted node ids, None: every node), the candidate sets
        ((any-node PVs, {node: PVs})), node masks and per-node capacities the claims refer
        to, the claims ((bound PV or -1, selected node or -1/-2, shared, ReadWriteOncePod, interned name)),
        the nodes' CSI limits ({driver: count}) and installed drivers (None: no CSINode),
        per driver whether CSIDriver.preventPodSchedulingIfMissing is set, and per node the
        (driver, unique volume) its VolumeAttachments attach."""
        cdef core.VolumeState* v = &self.engine.snapshot.volumes
        cdef core.CandidateSet candidate
        cdef vector[int32_t] ids
        cdef int32_t count = self.engine.snapshot.node_count()
        v.pv_nodes.clear()
        v.pv_any.clear()
        for nodes in pv_nodes:
            ids.clear()
            for n in (nodes or ()):
                ids.push_back(n)
            v.pv_nodes.push_back(ids)
            v.pv_any.push_back(nodes is None)
        v.pv_capacity = list(pv_capacity)
        v.pv_class = list(pv_class)
        v.pv_taken.assign(len(pv_capacity), 0)
        v.candidate_sets.clear()
        for any_node, by_node in candidate_sets:
            self.add_volume_candidates(any_node, by_node)
        v.claim_pv_initial = [c[0] for c in claims]
        v.claim_node_initial = [c[1] for c in claims]
        v.claim_pv = v.claim_pv_initial
        v.claim_node = v.claim_node_initial
        v.claim_users.assign(len(claims), 0)
        v.claim_binders.assign(len(claims), 0)
        v.claim_shared = [1 if c[2] else 0 for c in claims]
        v.claim_rwop = [1 if c[3] else 0 for c in claims]
        v.claim_name = [c[4] for c in claims]
        for n, node_limits in enumerate(limits):
            for driver, limit in node_limits.items():
                v.set_limit(n, driver, limit)
        for n, drivers in enumerate(installed):
            v.installed[n] = sorted(drivers or ())
            v.has_csi_node[n] = drivers is not None
        for n, volumes in enumerate(attachments):
            for driver, volume in volumes:
                v.add_attachment(n, driver, volume)
        v.driver_required = [1 if r else 0 for r in driver_required]
        self.volume_drivers = list(driver_names)

    def add_volume_candidates(self, any_node, by_node):
        """A candidate set: PVs without node affinity, and {node: PVs}; returns its id."""
        cdef core.CandidateSet candidate
        cdef int32_t count = self.engine.snapshot.node_count()
        for pv in sorted(any_node):
            candidate.any_node.push_back(pv)
        if by_node:
            offset = 0
            for n in range(count):
                candidate.offsets.push_back(offset)
                for pv in sorted(by_node.get(n, ())):
                    candidate.by_node.push_back(pv)
                    offset += 1
            candidate.offsets.push_back(offset)
        self.engine.snapshot.volumes.candidate_sets.push_back(candidate)
        return self.engine.snapshot.volumes.candidate_sets.size() - 1

    def add_volume_candidates_marked(self, marked):
        """A candidate set of the PVs marked (a uint8 per PV, in PV id order); returns its id."""
        cdef vector[uint8_t] flags = np.ascontiguousarray(marked, dtype=np.uint8)
        if flags.size() != self.engine.snapshot.volumes.pv_any.size():
            raise ValueError("candidate marks have one entry per PV")
        return self.engine.snapshot.volumes.add_candidates(flags, self.engine.snapshot.node_count())

    def volume_node_joined(self, int32_t node, pvs, masks, capacities, limits, installed):
        """A node added after the volume table was set: the PVs on it (ascending ids), its
        value in each node mask and capacity column, its CSI limits ({driver: count}) and
        installed drivers (None: no CSINode)."""
        cdef core.VolumeState* v = &self.engine.snapshot.volumes
        cdef vector[int32_t] ids = list(pvs)
        cdef vector[uint8_t] mask_values = [1 if m else 0 for m in masks]
        cdef vector[int64_t] capacity_values = list(capacities)
        v.node_joined(node, ids, mask_values, capacity_values)
        for driver, limit in limits.items():
            v.set_limit(node, driver, limit)
        v.installed[node] = sorted(installed or ())
        v.has_csi_node[node] = installed is not None

    def add_volume_mask(self, mask):
        """A per-node yes/no (uint8 per node); returns its id."""
        cdef vector[uint8_t] values = list(np.ascontiguousarray(mask, dtype=np.uint8))
        if values.size() != <size_t> self.engine.snapshot.node_count():
            raise ValueError("a volume mask has one entry per node")
        self.engine.snapshot.volumes.node_masks.push_back(values)
        return self.engine.snapshot.volumes.node_masks.size() - 1

    def add_volume_capacities(self, values):
        """Per node a capacity in bytes (-1: none); returns its id."""
        cdef vector[int64_t] column = list(values)
        if column.size() != <size_t> self.engine.snapshot.node_count():
            raise ValueError("volume capacities have one entry per node")
        self.engine.snapshot.volumes.node_capacities.push_back(column)
        return self.engine.snapshot.volumes.node_capacities.size() - 1

    def add_volume_class(self, *, restrictions, limits, binding, zone, bound_pvs, delayed, claims, rwop_claims,
                         disks, attachable, zone_mask=-1, own_attachable=()):
        """One pod class's volumes. `delayed`: (claim, candidate set or -1, request, storage
        class id, has a provisioner, topology mask or -1, capacity mask or -1, node capacity
        id or -1); `disks`: (kind 1-4, id, readOnly, monitor ids); `attachable`: (driver,
        unique volume id, in-tree); `own_attachable`: (driver, in-tree) of the volumes of the
        pod's own claims (claim -1 in `delayed`); in-tree: counted only on a node with a
        CSINode."""
        cdef core.VolumeClass vc
        cdef core.DelayedClaim d
        cdef core.Disk disk
        vc.restrictions, vc.limits, vc.binding, vc.zone = restrictions, limits, binding, zone
        vc.bound_pvs = list(bound_pvs)
        for claim, candidates, request, storage_class, provisioner, topology, capacity, node_capacity in delayed:
            d.claim, d.candidates, d.request, d.storage_class = claim, candidates, request, storage_class
            d.provisioner, d.topology, d.capacity, d.node_capacity = provisioner, topology, capacity, node_capacity
            vc.delayed.push_back(d)
        vc.claims = list(claims)
        vc.rwop_claims = list(rwop_claims)
        for kind, identity, read_only, monitors in disks:
            disk.kind, disk.id, disk.read_only = kind, identity, read_only
            disk.monitors = sorted(monitors)
            vc.disks.push_back(disk)
        for driver, volume, in_tree in attachable:
            vc.attachable.push_back(pair[int32_t, int32_t](driver, volume))
            vc.attachable_in_tree.push_back(in_tree)
        for driver, in_tree in own_attachable:
            vc.own_attachable.push_back(driver)
            vc.own_in_tree.push_back(in_tree)
        vc.zone_mask = zone_mask
        self.engine.snapshot.volumes.classes.push_back(vc)
        return self.engine.snapshot.volumes.classes.size() - 1

    def set_volume_binding(self, bint bind):
        """Whether assumed pods bind their delayed claims (not while loading bound pods)."""
        self.engine.snapshot.volumes.bind_claims = bind

    def volume_placements(self):
        """What each placement of a class with delayed claims bound, in order, then cleared:
        lists of (claim, PV or -1 for provisioned on the node)."""
        cdef core.VolumeState* v = &self.engine.snapshot.volumes
        out = [[(b.claim, b.pv) for b in bindings] for bindings in v.placements]
        v.placements.clear()
        return out

    def evaluate(self, int64_t class_id, nominated=(), bint draw=True, excluded=()):
        """Every node's filter verdict and every score, without placing the pod; with
        `nominated` (as schedule_with_nominated's) under its two passes. `draw`: "selected"
        is drawn among the tied best as schedule draws, else the first of them, no draw.
        `excluded`: nodes a filter outside the core rejects, failing EXCLUDED where the
        core's filters pass (neither scored nor counted in a normalisation)."""
        cdef core.Evaluation e
        cdef vector[int32_t] outside = [self._node(n) for n in excluded]
        if nominated or excluded:
            e = self.engine.evaluate_with_nominated(self._class(class_id), self._nominated(nominated), outside, draw)
        else:
            e = self.engine.evaluate(self._class(class_id), draw)
        return {
            "failed_filter": [(FILTERS[f] if f < core.kFilterCount else EXCLUDED) if f >= 0 else None
                              for f in e.failed_filter],
            "reasons": [[self.reason_text(r) for r in reasons] for reasons in e.reasons],
            "reason_codes": [list(reasons) for reasons in e.reasons],
            "raw": {name: list(e.raw[i]) for i, name in enumerate(SCORES)},
            "normalized": {name: list(e.normalized[i]) for i, name in enumerate(SCORES)},
            "skipped": {name: bool(e.skipped[i]) for i, name in enumerate(SCORES)},
            "total": list(e.total),
            "examined": [bool(x) for x in e.examined],
            "order": list(e.order),
            "feasible": e.feasible,
            "selected": e.selected,
        }


    # -- nominated pods (nominated.cpp) ------------------------------------------------------

    cdef vector[pair[int32_t, int32_t]] _nominated(self, nominated) except *:
        cdef vector[pair[int32_t, int32_t]] held
        for pod_class, node in nominated:
            held.push_back(pair[int32_t, int32_t](self._class(pod_class), self._node(node)))
        return held

    def schedule_with_nominated(self, int64_t class_id, nominated):
        """schedule() for a pod that must yield to pods nominated to nodes, `nominated`:
        their (class id, node). A node with some of them fits only if the filters pass both
        with them and without them (upstream's two passes); scores are without them."""
        return self.engine.schedule_with_nominated(self._class(class_id), self._nominated(nominated))

    def feasible_with_nominated(self, int64_t class_id, int64_t node, nominated):
        """feasible_on under the same rule as schedule_with_nominated."""
        return self.engine.feasible_with_nominated(self._class(class_id), self._node(node), self._nominated(nominated))

    # -- preemption (preemption.hpp) ---------------------------------------------------------

    def schedule_until_failure(self, class_ids):
        """schedule_queue up to the first pod that fits nowhere (its reasons are then in
        `last_failure()`, counted when first asked for, which must come before the next
        change): returns (the chosen node indices of the pods decided, the last -1 if it
        failed; how many pods were decided)."""
        cdef int32_t[::1] classes = np.ascontiguousarray(class_ids, dtype=np.int32)
        chosen = np.empty(classes.shape[0], dtype=np.int32)
        cdef int32_t[::1] out = chosen
        cdef int64_t count = classes.shape[0], decided = 0
        if count == 0:
            return chosen, 0
        self._classes(classes)
        with nogil:
            decided = self.engine.schedule_until_failure(&classes[0], count, &out[0])
        return chosen[:decided], decided

    def feasible_on(self, int64_t class_id, int64_t node):
        """Whether a pod of the class passes every filter on the node now."""
        return self.engine.feasible_on(self._class(class_id), self._node(node))

    def preempt(self, int64_t class_id, int32_t priority, pod_classes, pod_nodes, pod_priorities, pod_starts,
                budget_offsets, budget_indices, budgets_allowed=(), nominated=(), *, int32_t offset=0,
                int32_t min_candidate_percentage=10, int32_t min_candidate_absolute=100):
        """DefaultPreemption's dry run for a pod of the class at `priority` that fits no node.
        The pods counted on nodes, in each node's order, are columns: class id, node (-1: left
        out), priority, start time in ns; pod i charges budgets
        `budget_indices[budget_offsets[i]:budget_offsets[i + 1]]`; `budgets_allowed`:
        disruptionsAllowed per budget; `nominated`: (class id, node) of pods nominated there
        at the pod's priority or above. Returns {"candidates": [(node, [pod indices], PDB
        violations)], "rejected": [(node, [reason texts])], "chosen": index or -1,
        "decided_by": a PREEMPTION_CRITERIA index}. The snapshot is left as it was. (A
        VictimTable kept up to date pod by pod spares passing the columns each time.)"""
        cdef int32_t[::1] classes = np.ascontiguousarray(pod_classes, dtype=np.int32)
        cdef int32_t[::1] nodes = np.ascontiguousarray(pod_nodes, dtype=np.int32)
        cdef int32_t[::1] priorities = np.ascontiguousarray(pod_priorities, dtype=np.int32)
        cdef int64_t[::1] starts = np.ascontiguousarray(pod_starts, dtype=np.int64)
        cdef int32_t[::1] offsets = np.ascontiguousarray(budget_offsets, dtype=np.int32)
        cdef int32_t[::1] indices = np.ascontiguousarray(budget_indices, dtype=np.int32)
        cdef Py_ssize_t count = classes.shape[0], i
        if not (nodes.shape[0] == priorities.shape[0] == starts.shape[0] == count and offsets.shape[0] == count + 1):
            raise ValueError("the pod columns differ in length")
        table = VictimTable(self, len(budgets_allowed))
        for i in range(count):
            table.add(classes[i], nodes[i], priorities[i], starts[i], indices[offsets[i]:offsets[i + 1]])
        return table.preempt(class_id, priority, budgets_allowed, nominated, offset=offset,
                             min_candidate_percentage=min_candidate_percentage,
                             min_candidate_absolute=min_candidate_absolute).to_dict()


cdef class PreemptionAnswer:
    """The core's preemption outcome, read on demand: the chosen candidate at once, every
    candidate and rejected node only when asked (explain, messages)."""

    cdef core.PreemptionOutcome outcome
    cdef Engine engine

    @property
    def chosen(self):
        return self.outcome.chosen

    @property
    def decided_by(self):
        return self.outcome.decided_by

    cdef _candidate(self, size_t i):
        cdef core.PreemptionOutcome* o = &self.outcome
        return (o.candidate_nodes[i], [o.victims[k] for k in range(o.victim_start[i], o.victim_start[i + 1])],
                o.candidate_violations[i])

    def chosen_candidate(self):
        """(node, [victim rows], PDB violations) of the chosen node, or None."""
        return None if self.outcome.chosen < 0 else self._candidate(self.outcome.chosen)

    def candidates(self):
        if not self.outcome.all_candidates:
            raise ValueError("this answer holds the chosen candidate only (VictimTable.preempt lists them all)")
        return [self._candidate(i) for i in range(self.outcome.candidate_nodes.size())]

    def rejected(self):
        cdef core.PreemptionOutcome* o = &self.outcome
        return [(o.rejected_nodes[j],
                 [PREEMPTION_NO_VICTIMS if o.reasons[k] == -1 else self.engine.reason_text(o.reasons[k])
                  for k in range(o.reason_start[j], o.reason_start[j + 1])])
                for j in range(o.rejected_nodes.size())]

    def to_dict(self):
        return {"candidates": self.candidates(), "rejected": self.rejected(), "chosen": self.outcome.chosen,
                "decided_by": self.outcome.decided_by}


cdef class VictimTable:
    """The pods counted on an engine's nodes as preemption reads them, resident in the core
    (victim_table.hpp): rows in the order pods were counted; a removed row stays, off any
    node. `budget_count`: how many PodDisruptionBudgets rows may charge."""

    cdef core.VictimTable table
    cdef Engine engine
    cdef int32_t budget_count

    def __cinit__(self, Engine engine, int32_t budget_count=0):
        self.engine = engine
        self.budget_count = budget_count

    def __len__(self):
        return self.table.pods.size()

    def add(self, int32_t class_id, int32_t node, int32_t priority, int64_t start_time, budgets=()):
        """Count a pod of the class on the node (-1: on none); returns its row."""
        cdef core.PreemptionPod pod
        if not (0 <= class_id < self.engine.engine.class_count()
                and -1 <= node < self.engine.engine.snapshot.node_count()):
            raise IndexError(f"pod {self.table.pods.size()}: class {class_id} or node {node} out of range")
        for budget in budgets:
            if not 0 <= budget < self.budget_count:
                raise IndexError(f"budget {budget} out of range")
            pod.budgets.push_back(budget)
        pod.class_id = class_id
        pod.node = node
        pod.priority = priority
        pod.start_time = start_time
        return self.table.add(pod)

    def remove(self, int32_t row):
        """The row's pod left its node."""
        if not 0 <= row < <int32_t>self.table.pods.size():
            raise IndexError(f"row {row} out of range")
        self.table.remove(row)

    def row(self, int32_t row):
        """(class id, node or -1 once it left, priority, start time) of a row."""
        if not 0 <= row < <int32_t>self.table.pods.size():
            raise IndexError(f"row {row} out of range")
        cdef core.PreemptionPod* pod = &self.table.pods[row]
        return pod.class_id, pod.node, pod.priority, pod.start_time

    def rows_on(self, int32_t node):
        """The rows counted on the node, in the order they came."""
        cdef vector[int32_t] rows = self.table.rows_on(node)
        return [r for r in rows]

    cdef core.PreemptionRequest _request(self, int64_t class_id, int32_t priority, budgets_allowed, nominated,
                                         int32_t offset, int32_t min_candidate_percentage,
                                         int32_t min_candidate_absolute, bint all_candidates) except *:
        cdef core.PreemptionRequest request
        if len(budgets_allowed) != self.budget_count:
            raise ValueError(f"{len(budgets_allowed)} budgets given, the table has {self.budget_count}")
        request.class_id = self.engine._class(class_id)
        request.priority = priority
        for allowed in budgets_allowed:
            request.budgets_allowed.push_back(allowed)
        for pod_class, node in nominated:
            request.nominated.push_back(pair[int32_t, int32_t](self.engine._class(pod_class),
                                                               self.engine._node(node)))
        request.offset = offset
        request.min_candidate_percentage = min_candidate_percentage
        request.min_candidate_absolute = min_candidate_absolute
        request.all_candidates = all_candidates
        return request

    def preempt(self, int64_t class_id, int32_t priority, budgets_allowed=(), nominated=(), *, int32_t offset=0,
                int32_t min_candidate_percentage=10, int32_t min_candidate_absolute=100):
        """Engine.preempt over this table's pods (victims are rows): a PreemptionAnswer."""
        cdef core.PreemptionRequest request = self._request(class_id, priority, budgets_allowed, nominated, offset,
                                                            min_candidate_percentage, min_candidate_absolute, True)
        answer = PreemptionAnswer()
        answer.engine = self.engine
        with nogil:
            answer.outcome = core.find_preemption(self.engine.engine[0], request, self.table)
        return answer

    def preempt_and_retry(self, int64_t class_id, int32_t priority, budgets_allowed=(), nominated=(), held=(), *,
                          int32_t offset=0, int32_t min_candidate_percentage=10,
                          int32_t min_candidate_absolute=100):
        """preempt() answering with the chosen candidate only (its rejected nodes when none
        is chosen), then, when a node is chosen, its victims leave the engine and this table
        and the pod is tried again, first on that node, yielding to `held` (class id, node)
        as Engine.schedule_with_nominated: (PreemptionAnswer, the node the pod is assumed
        on or -1, its reasons then in the engine's last_failure)."""
        cdef core.PreemptionRequest request = self._request(class_id, priority, budgets_allowed, nominated, offset,
                                                            min_candidate_percentage, min_candidate_absolute, False)
        cdef vector[pair[int32_t, int32_t]] yielded = self.engine._nominated(held)
        cdef int32_t node
        answer = PreemptionAnswer()
        answer.engine = self.engine
        with nogil:
            answer.outcome = core.find_preemption(self.engine.engine[0], request, self.table)
            node = core.evict_and_retry(self.engine.engine[0], answer.outcome, self.table, request.class_id, yielded)
        return answer, node


# ---- binpack: vector bin packing for `kubesched plan nodes` -------------------------------
# Items have integer size vectors; bin types have capacities, a cost and a limit on their
# count (< 0: none); `allowed[item, type]` says where an item may go (the engine decides it).

from libc.stdint cimport uint64_t

PACK_RULES = ("FirstFit", "BestFit", "DotProduct", "NormDistance", "MinBinSlack")
PACK_ORDERS = ("sum", "max", "squares")
PACK_WEIGHTINGS = ("uniform", "demand")


cdef core.PackProblem _pack_problem(sizes, capacities, costs, limits, allowed) except *:
    cdef int64_t[:, ::1] s = np.ascontiguousarray(sizes, dtype=np.int64)
    cdef int64_t[:, ::1] c = np.ascontiguousarray(capacities, dtype=np.int64)
    cdef int64_t[::1] k = np.ascontiguousarray(costs, dtype=np.int64)
    cdef int32_t[::1] l = np.ascontiguousarray(limits, dtype=np.int32)
    cdef uint8_t[:, ::1] a = np.ascontiguousarray(allowed, dtype=np.uint8)
    if s.shape[1] != c.shape[1]:
        raise ValueError("sizes and capacities must have the same number of resources")
    if k.shape[0] != c.shape[0] or l.shape[0] != c.shape[0]:
        raise ValueError("one cost and one limit per bin type")
    if a.shape[0] != s.shape[0] or a.shape[1] != c.shape[0]:
        raise ValueError("allowed must be items x types")
    cdef core.PackProblem problem
    problem.items = s.shape[0]
    problem.dims = s.shape[1]
    problem.types = c.shape[0]
    cdef Py_ssize_t i, j
    for i in range(s.shape[0]):
        for j in range(s.shape[1]):
            problem.size.push_back(s[i, j])
        for j in range(a.shape[1]):
            problem.allowed.push_back(a[i, j])
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            problem.capacity.push_back(c[i, j])
        problem.cost.push_back(k[i])
        problem.limit.push_back(l[i])
    return problem


cdef dict _packing(const core.Packing& packing):
    return {"bin_type": np.array(packing.bin_type, dtype=np.int32),
            "item_bin": np.array(packing.item_bin, dtype=np.int32),
            "cost": packing.cost, "unplaced": packing.unplaced}


def pack_lower_bound(sizes, capacities, costs, limits, allowed):
    """A lower bound on the cost of any packing of the items that fit some allowed type."""
    cdef core.PackProblem problem = _pack_problem(sizes, capacities, costs, limits, allowed)
    with nogil:
        bound = core.pack_lower_bound(problem)
    return bound


def pack_construct(sizes, capacities, costs, limits, allowed, str rule, str order="sum",
                   str weighting="uniform", int32_t preferred_type=-1):
    """One construction heuristic: {"bin_type", "item_bin" (-1: unplaced), "cost", "unplaced"}."""
    cdef core.PackProblem problem = _pack_problem(sizes, capacities, costs, limits, allowed)
    cdef int32_t r = PACK_RULES.index(rule)
    cdef int32_t o = PACK_ORDERS.index(order)
    cdef int32_t w = PACK_WEIGHTINGS.index(weighting)
    cdef core.Packing packing
    with nogil:
        packing = core.pack_construct(problem, <core.PackRule> r, <core.PackOrder> o,
                                      <core.PackWeighting> w, preferred_type)
    return _packing(packing)


def pack_solve(sizes, capacities, costs, limits, allowed, *, double time_limit=1.0, uint64_t seed=0,
               int64_t stop_at=-1, bint improve=True):
    """Constructions, then local search until the lower bound (or `stop_at`) or the time limit."""
    cdef core.PackProblem problem = _pack_problem(sizes, capacities, costs, limits, allowed)
    cdef core.PackOptions options
    options.time_limit = time_limit
    options.seed = seed
    options.stop_at = stop_at
    options.improve = improve
    cdef core.PackResult result
    with nogil:
        result = core.pack_solve(problem, options)
    out = _packing(result.packing)
    out.update(lower_bound=result.lower_bound, construction=result.construction.decode("utf-8"),
               construction_cost=result.construction_cost, iterations=result.iterations,
               eliminations=result.eliminations, seconds=result.seconds)
    return out


def pack_is_valid(sizes, capacities, costs, limits, allowed, bin_type, item_bin, int64_t cost, int32_t unplaced):
    """The kernel's own check of a packing (every placed item allowed, capacities, limits, cost)."""
    cdef core.PackProblem problem = _pack_problem(sizes, capacities, costs, limits, allowed)
    cdef core.Packing packing
    for t in bin_type:
        packing.bin_type.push_back(t)
    for b in item_bin:
        packing.item_bin.push_back(b)
    packing.cost = cost
    packing.unplaced = unplaced
    return core.pack_is_valid(problem, packing)


def feasible_on(Engine engine, int64_t class_id, int64_t node):
    """Whether a pod of the class passes every enabled filter on this node now."""
    return engine.engine.feasible_on(engine._class(class_id), engine._node(node))


def feasible_nodes(Engine engine, int32_t class_id):
    """Per node, whether a pod of the class passes every enabled filter now (bool array),
    every node checked whatever percentageOfNodesToScore samples, nothing drawn."""
    cdef vector[uint8_t] passes = engine.engine.feasible_nodes(engine._class(class_id))
    out = np.empty(passes.size(), dtype=bool)
    cdef uint8_t[::1] view = out.view(np.uint8)
    cdef size_t n
    for n in range(passes.size()):
        view[n] = passes[n]
    return out
# ---- end binpack ---------------------------------------------------------------------------
