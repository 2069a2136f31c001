# Declarations of the C++ core for the Cython binding; every call may raise (except +).
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libcpp cimport bool
from libcpp.string cimport string
from libcpp.utility cimport pair
from libcpp.vector cimport vector


cdef extern from "<array>" namespace "std" nogil:
    cdef cppclass filter_flags "std::array<bool, kubesched::kFilterCount>":
        bool& operator[](size_t)
    cdef cppclass score_weights "std::array<int64_t, kubesched::kScoreCount>":
        int64_t& operator[](size_t)
    cdef cppclass score_flags "std::array<bool, kubesched::kScoreCount>":
        bool& operator[](size_t)
    cdef cppclass score_columns "std::array<std::vector<int64_t>, kubesched::kScoreCount>":
        vector[int64_t]& operator[](size_t)


cdef extern from "pod_class.hpp" namespace "kubesched" nogil:
    cdef cppclass Expression:
        int32_t key
        uint8_t op
        vector[int32_t] values
        int64_t number

    cdef cppclass NodeTerm:
        vector[Expression] expressions
        vector[Expression] fields

    cdef cppclass WeightedNodeTerm:
        int32_t weight
        NodeTerm term

    cdef cppclass Toleration:
        int32_t key
        uint8_t op
        int32_t value
        uint8_t effect

    cdef cppclass HostPort:
        int32_t ip
        int32_t protocol
        int32_t port

    cdef cppclass ResourceAmount:
        int32_t resource
        int64_t amount

    cdef cppclass Matcher:
        bool nothing
        vector[Expression] requirements
        bool all_namespaces
        vector[int32_t] namespaces
        vector[int32_t] all_of

    cdef cppclass PodTerm:
        int32_t matcher
        int32_t key
        int64_t weight

    cdef cppclass SpreadConstraint:
        int32_t matcher
        int32_t key
        int64_t max_skew
        int64_t min_domains
        bool hard
        bool honor_node_affinity
        bool honor_node_taints

    cdef cppclass PodClass:
        vector[ResourceAmount] requests
        vector[int32_t] fit_ignored
        vector[int32_t] fit_dra_served
        int64_t nonzero_cpu
        int64_t nonzero_memory
        int64_t fit_score_cpu
        int64_t fit_score_memory
        vector[HostPort] ports
        vector[Toleration] tolerations
        vector[pair[int32_t, int32_t]] node_selector
        bool has_required_terms
        vector[NodeTerm] required_terms
        vector[WeightedNodeTerm] preferred_terms
        bool has_enforced_terms
        vector[NodeTerm] enforced_terms
        int32_t node_name
        bint has_prefilter_nodes
        vector[int32_t] prefilter_nodes
        int32_t prefilter_plugins
        int32_t prefilter_rejection
        int32_t namespace_id
        vector[pair[int32_t, int32_t]] labels
        vector[PodTerm] affinity_required
        vector[PodTerm] anti_required
        vector[PodTerm] affinity_preferred
        vector[PodTerm] anti_preferred
        vector[SpreadConstraint] spread
        bool spread_is_system_default
        vector[int32_t] images
        int32_t gpu_count
        int32_t gpu_milli
        vector[uint8_t] dra_verdict
        vector[int64_t] dra_score
        int32_t volume_class
        int32_t volume_rejection_filter


cdef extern from "profile.hpp" namespace "kubesched" nogil:
    cdef cppclass ResourceWeight:
        int32_t resource
        int64_t weight

    cdef cppclass ShapePoint:
        int64_t utilization
        int64_t score

    cdef cppclass Profile:
        filter_flags filters
        score_weights weights
        uint8_t strategy
        vector[ResourceWeight] fit_resources
        vector[ShapePoint] shape
        vector[ResourceWeight] balanced_resources
        int32_t percentage_of_nodes_to_score
        int64_t hard_pod_affinity_weight
        bool ignore_preferred_terms_of_existing_pods
        bool spread_system_defaulted
        uint8_t gpu_select
        vector[ShapePoint] volume_shape

    int kFilterCount
    int kScoreCount
    const char* filter_name(int)
    const char* score_name(int)


cdef extern from "reasons.hpp" namespace "kubesched" nogil:
    int kReasonKindCount
    const char* reason_text(int)


cdef extern from "strings.hpp" namespace "kubesched" nogil:
    cdef cppclass Interner:
        int32_t intern(string) except +
        int32_t find(string)
        const string& text(int32_t) except +


cdef extern from "gpu.hpp" namespace "kubesched" nogil:
    cdef cppclass TypicalPod:
        int64_t cpu
        int32_t milli
        int32_t count
        vector[int32_t] models
        double weight

    cdef cppclass GpuNodeState:
        int64_t cpu_left
        int32_t model
        int32_t count

    cdef cppclass GpuWorkload:
        void set(vector[TypicalPod]) except +
        double frag(const GpuNodeState&) except +


cdef extern from "volumes.hpp" namespace "kubesched" nogil:
    cdef cppclass CandidateSet:
        vector[int32_t] any_node
        vector[int32_t] offsets
        vector[int32_t] by_node

    cdef cppclass DelayedClaim:
        int32_t claim
        int32_t candidates
        int64_t request
        int32_t storage_class
        bool provisioner
        int32_t topology
        int32_t capacity
        int32_t node_capacity

    cdef cppclass Disk:
        int32_t kind
        int32_t id
        bool read_only
        vector[int32_t] monitors

    cdef cppclass VolumeClass:
        bool restrictions, limits, binding, zone
        vector[int32_t] bound_pvs
        vector[DelayedClaim] delayed
        vector[int32_t] claims
        vector[int32_t] rwop_claims
        vector[Disk] disks
        vector[pair[int32_t, int32_t]] attachable
        vector[int32_t] own_attachable
        vector[uint8_t] attachable_in_tree, own_in_tree
        int32_t zone_mask

    cdef cppclass VolumeBinding:
        int32_t claim
        int32_t pv

    cdef cppclass VolumeState:
        vector[vector[int32_t]] pv_nodes
        vector[uint8_t] pv_any
        vector[int64_t] pv_capacity
        vector[int32_t] pv_class
        vector[uint8_t] pv_taken
        vector[CandidateSet] candidate_sets
        vector[vector[uint8_t]] node_masks
        vector[vector[int64_t]] node_capacities
        vector[int32_t] claim_pv, claim_node, claim_users, claim_pv_initial, claim_node_initial, claim_binders
        vector[uint8_t] claim_shared, claim_rwop
        vector[int32_t] claim_name
        vector[vector[int32_t]] installed
        vector[uint8_t] has_csi_node
        vector[uint8_t] driver_required
        vector[VolumeClass] classes
        vector[vector[VolumeBinding]] placements
        bool bind_claims
        void set_limit(int32_t, int32_t, int64_t)
        void add_attachment(int32_t, int32_t, int32_t)
        int32_t add_candidates(const vector[uint8_t]&, int32_t) except +
        void node_joined(int32_t, const vector[int32_t]&, const vector[uint8_t]&, const vector[int64_t]&) except +


cdef extern from "snapshot.hpp" namespace "kubesched" nogil:
    cdef cppclass Snapshot:
        VolumeState volumes
        Interner strings
        int32_t resource(string) except +
        int32_t find_resource(string)
        const string& resource_name(int32_t)
        int32_t resource_count()
        int32_t add_node(string) except +
        int32_t node_count()
        int32_t find_node(int32_t)
        void set_label(int32_t, string, string) except +
        void set_allocatable(int32_t, int32_t, int64_t) except +
        void add_taint(int32_t, string, string, uint8_t) except +
        void set_unschedulable(int32_t, bool)
        void set_allowed_pods(int32_t, int64_t)
        void clear_taints(int32_t)
        void clear_labels(int32_t)
        void add_image(int32_t, string, int64_t) except +
        void clear_images(int32_t)
        vector[int32_t] names
        vector[vector[int64_t]] allocatable
        vector[vector[int64_t]] requested
        vector[int64_t] allowed_pods
        vector[int64_t] pod_count
        vector[uint8_t] unschedulable
        vector[pair[int32_t, int32_t]] taint_table
        void set_gpu_workload(vector[TypicalPod]) except +
        vector[vector[int32_t]] gpu_free
        GpuWorkload gpu_workload
        int32_t gpu_resource


cdef extern from "engine.hpp" namespace "kubesched" nogil:
    ctypedef vector[pair[int32_t, int32_t]] Histogram

    cdef cppclass Evaluation:
        vector[int32_t] failed_filter
        vector[vector[int32_t]] reasons
        score_columns raw
        score_columns normalized
        vector[int64_t] total
        score_flags skipped
        vector[uint8_t] examined
        vector[int32_t] order
        int32_t feasible
        int32_t selected

    cdef cppclass Engine:
        Snapshot snapshot
        const Profile& profile()
        void set_profile(Profile) except +
        void set_seed(int64_t)
        int32_t next_start_node()
        void set_next_start_node(int32_t)
        int64_t choose_tie(int64_t)
        int32_t add_node(string) except +
        int32_t add_matcher(const Matcher&) except +
        int32_t add_class(PodClass) except +
        int32_t class_count()
        void assume(int32_t, int32_t) except +
        void forget(int32_t, int32_t) except +
        void assume_on_gpus(int32_t, int32_t, uint64_t) except +
        void forget_on_gpus(int32_t, int32_t, uint64_t) except +
        uint64_t last_gpu_mask()
        const vector[uint64_t]& queue_gpu_masks()
        void node_changed(int32_t) except +
        int32_t schedule(int32_t) except +
        void schedule_queue(const int32_t*, int64_t, int32_t*) except +
        Histogram last_failure()
        void resolve_deferred_failure() except +
        int32_t last_evaluated()
        int32_t last_feasible()
        vector[Histogram] failures()
        void clear_failures()
        Evaluation evaluate(int32_t, bint) except +
        bint feasible_on(int32_t, int32_t) except +
        vector[uint8_t] feasible_nodes(int32_t) except +
        int64_t schedule_until_failure(const int32_t*, int64_t, int32_t*) except +
        int32_t schedule_with_nominated(int32_t, const vector[pair[int32_t, int32_t]]&) except +
        bint feasible_with_nominated(int32_t, int32_t, const vector[pair[int32_t, int32_t]]&) except +
        Evaluation evaluate_with_nominated(int32_t, const vector[pair[int32_t, int32_t]]&, const vector[int32_t]&, bint) except +


cdef extern from "gpu.hpp" namespace "kubesched" nogil:
    GpuNodeState gpu_node_state(const Snapshot&, int32_t) except +
    double cluster_gpu_frag(const Snapshot&, int64_t*) except +
    void replay_gpu_queue(Engine&, const int32_t*, int64_t, int32_t*, int64_t*, double*, int64_t*) except +


# ---- binpack: vector bin packing for `kubesched plan nodes` (binpack.hpp) ----------------
cdef extern from "binpack.hpp" namespace "kubesched::binpack" nogil:
    ctypedef int32_t PackRule "kubesched::binpack::Rule"
    ctypedef int32_t PackOrder "kubesched::binpack::Order"
    ctypedef int32_t PackWeighting "kubesched::binpack::Weighting"

    cdef cppclass PackProblem "kubesched::binpack::Problem":
        int32_t dims
        int32_t items
        int32_t types
        vector[int64_t] size
        vector[int64_t] capacity
        vector[int64_t] cost
        vector[int32_t] limit
        vector[uint8_t] allowed

    cdef cppclass Packing "kubesched::binpack::Packing":
        vector[int32_t] bin_type
        vector[int32_t] item_bin
        int64_t cost
        int32_t unplaced

    cdef cppclass PackOptions "kubesched::binpack::Options":
        double time_limit
        uint64_t seed
        int64_t stop_at
        bool improve

    cdef cppclass PackResult "kubesched::binpack::Result":
        Packing packing
        int64_t lower_bound
        int64_t construction_cost
        string construction
        int64_t iterations
        int64_t eliminations
        double seconds

    int64_t pack_lower_bound "kubesched::binpack::lower_bound"(const PackProblem&) except +
    Packing pack_construct "kubesched::binpack::construct"(const PackProblem&, PackRule, PackOrder,
                                                           PackWeighting, int32_t) except +
    PackResult pack_solve "kubesched::binpack::solve"(const PackProblem&, const PackOptions&) except +
    bool pack_is_valid "kubesched::binpack::is_valid"(const PackProblem&, const Packing&) except +
# ---- end binpack ---------------------------------------------------------------------------


# ---- preemption: DefaultPreemption's victim search (preemption.hpp) -------------------------
cdef extern from "preemption.hpp" namespace "kubesched" nogil:
    cdef cppclass PreemptionPod:
        int32_t class_id
        int32_t node
        int32_t priority
        int64_t start_time
        vector[int32_t] budgets

    cdef cppclass VictimTable:
        vector[PreemptionPod] pods
        int32_t add(PreemptionPod) except +
        void remove(int32_t)
        vector[int32_t] rows_on(int32_t)

    cdef cppclass PreemptionRequest:
        int32_t class_id
        int32_t priority
        vector[int32_t] budgets_allowed
        vector[pair[int32_t, int32_t]] nominated
        int32_t offset
        int32_t min_candidate_percentage
        int32_t min_candidate_absolute
        bint all_candidates

    cdef cppclass PreemptionOutcome:
        vector[int32_t] candidate_nodes
        vector[int32_t] candidate_violations
        vector[int32_t] victim_start
        vector[int32_t] victims
        vector[int32_t] rejected_nodes
        vector[int32_t] reason_start
        vector[int32_t] reasons
        int32_t chosen
        int32_t decided_by
        bint all_candidates

    PreemptionOutcome find_preemption(Engine&, const PreemptionRequest&, VictimTable&) except +
    int32_t evict_and_retry(Engine&, const PreemptionOutcome&, VictimTable&, int32_t,
                            const vector[pair[int32_t, int32_t]]&) except +
