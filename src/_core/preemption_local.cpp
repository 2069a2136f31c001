// The dry run for a preemptor whose filters read only its node's own state. Evicting pods
// then changes nothing a filter reads but the node's requested resources and pod count, so
// SelectVictimsOnNode is NodeResourcesFit's arithmetic over the freed amounts (no what-if
// on the snapshot), and a node's verdict holds until the node changes: the table keeps
// them and recomputes only the nodes the engine or the table changed since.
#include <algorithm>

#include "preemption.hpp"
#include "reasons.hpp"

namespace kubesched {

bool node_local_preemptor(Engine& engine, int32_t class_id) {
  const PodClass& pod = engine.pod_class(class_id);
  return pod.ports.empty() && pod.gpu_count == 0 && pod.volume_class < 0 && pod.dra_verdict.empty() &&
         !engine.inter_pod_rules_touch(class_id);
}

namespace {

// NodeResourcesFit with `freed_pods` pods and `freed[k]` of the pod's k-th request gone
// from the node: the same verdict and reasons as resources_fit on the node without them.
bool fits_freed(const Snapshot& s, const Profile& profile, const PodClass& pod, int32_t node, int64_t freed_pods,
                const std::vector<int64_t>& freed, Reasons* reasons) {
  if (!profile.filters[kNodeResourcesFitFilter]) return true;
  const auto n = static_cast<size_t>(node);
  bool fits = true;
  if (s.pod_count[n] - freed_pods + 1 > s.allowed_pods[n]) {
    if (!reasons) return false;
    reasons->push_back(make_reason(kReasonTooManyPods));
    fits = false;
  }
  for (size_t k = 0; k < pod.requests.size(); ++k) {
    const auto& r = pod.requests[k];
    const auto resource = static_cast<size_t>(r.resource);
    if (pod.fit_skips(r.resource, s.allocatable[resource][n])) continue;
    if (r.amount > s.allocatable[resource][n] - (s.requested[resource][n] - freed[k])) {
      if (!reasons) return false;
      reasons->push_back(make_reason(kReasonInsufficient, r.resource));
      fits = false;
    }
  }
  return fits;
}

// What a victim frees of each of the preemptor's requests.
void add_freed(const Engine& engine, const PodClass& preemptor, int32_t victim_class, int64_t sign,
               std::vector<int64_t>& freed) {
  const PodClass& victim = engine.pod_class(victim_class);
  for (size_t k = 0; k < preemptor.requests.size(); ++k) freed[k] += sign * victim.request(preemptor.requests[k].resource);
}

// SelectVictimsOnNode for a node-local preemptor, in the general dry run's order: all
// lower-priority pods leave; the violating ones, then the rest, most important first, are
// reprieved while the pod still fits.
void decide_node(Engine& engine, const PreemptionRequest& request, const VictimTable& table, int32_t node,
                 NodeVerdict& out) {
  const PodClass& pod = engine.pod_class(request.class_id);
  const std::vector<PreemptionPod>& pods = table.pods;
  out.reasons.clear();
  out.candidate.victims.clear();
  out.candidate.pdb_violations = 0;
  out.candidate.node = node;
  if (engine.trial_failing_filter(request.class_id, node, &out.reasons) < 0 ||
      !resolvable(engine, pod, node, out.reasons)) {
    out.kind = NodeVerdict::kNotPotential;
    return;
  }
  std::vector<int32_t> potential;
  for (int32_t i : table.rows_on(node))
    if (pods[static_cast<size_t>(i)].priority < request.priority) potential.push_back(i);
  if (potential.empty()) {
    out.kind = NodeVerdict::kRejected;
    out.reasons.assign(1, kNoVictimsReason);
    return;
  }
  std::vector<int64_t> freed(pod.requests.size(), 0);
  for (int32_t i : potential) add_freed(engine, pod, pods[static_cast<size_t>(i)].class_id, 1, freed);
  auto freed_pods = static_cast<int64_t>(potential.size());
  out.reasons.clear();
  if (!fits_freed(engine.snapshot, engine.profile(), pod, node, freed_pods, freed, &out.reasons)) {
    out.kind = NodeVerdict::kRejected;
    return;
  }
  std::sort(potential.begin(), potential.end(), [&](int32_t a, int32_t b) { return more_important(pods, a, b); });
  const std::vector<uint8_t> flags = violating(request, pods, potential);
  bool any_violating = false, any_clean = false;
  for (int pass = 1; pass >= 0; --pass) {
    for (size_t k = 0; k < potential.size(); ++k) {
      if (flags[k] != pass) continue;
      const int32_t i = potential[k];
      const int32_t class_id = pods[static_cast<size_t>(i)].class_id;
      add_freed(engine, pod, class_id, -1, freed);  // reprieved: back on the node
      --freed_pods;
      if (!fits_freed(engine.snapshot, engine.profile(), pod, node, freed_pods, freed, nullptr)) {
        add_freed(engine, pod, class_id, 1, freed);  // it must go after all
        ++freed_pods;
        out.candidate.victims.push_back(i);
        out.candidate.pdb_violations += flags[k];
      }
      (flags[k] ? any_violating : any_clean) = true;
    }
  }
  if (any_violating && any_clean)
    std::sort(out.candidate.victims.begin(), out.candidate.victims.end(),
              [&](int32_t a, int32_t b) { return more_important(pods, a, b); });
  summarize(pods, out.candidate);
  out.kind = NodeVerdict::kCandidate;
}

int32_t potential(uint8_t kind) {
  return kind == NodeVerdict::kRejected || kind == NodeVerdict::kCandidate ? 1 : 0;
}

}  // namespace

const std::vector<NodeVerdict>& node_local_verdicts(Engine& engine, const PreemptionRequest& request,
                                                    VictimTable& table) {
  VerdictCache& cache = table.cache;
  const auto count = static_cast<size_t>(engine.snapshot.node_count());
  static thread_local std::vector<int32_t> changed;
  const bool same = cache.valid && cache.class_id == request.class_id && cache.priority == request.priority &&
                    cache.generation == engine.snapshot.generation && cache.nodes.size() == count &&
                    cache.budgets_allowed == request.budgets_allowed &&
                    cache.filters == engine.profile().filters && engine.changed_since(cache.clock, changed);
  if (same) {
    for (int32_t n : changed) {
      if (static_cast<size_t>(n) >= count || cache.kinds[static_cast<size_t>(n)] == NodeVerdict::kUnknown) continue;
      cache.kinds[static_cast<size_t>(n)] = NodeVerdict::kUnknown;
      cache.stale.push_back(n);
    }
  } else {
    cache.nodes.assign(count, NodeVerdict{});
    cache.potential_count = 0;
    cache.kinds.assign(count, NodeVerdict::kUnknown);
    cache.stale.resize(count);
    for (size_t n = 0; n < count; ++n) cache.stale[n] = static_cast<int32_t>(n);
    cache.class_id = request.class_id;
    cache.priority = request.priority;
    cache.generation = engine.snapshot.generation;
    cache.budgets_allowed = request.budgets_allowed;
    cache.filters = engine.profile().filters;
    cache.tree.reset(count);
    cache.valid = true;
  }
  cache.clock = engine.change_clock();
  for (int32_t n : cache.stale) {
    if (static_cast<size_t>(n) >= count) continue;
    NodeVerdict& verdict = cache.nodes[static_cast<size_t>(n)];
    cache.potential_count -= potential(verdict.kind);  // its kind as last decided, while kinds[n] says kUnknown
    decide_node(engine, request, table, n, verdict);
    cache.potential_count += potential(verdict.kind);
    cache.kinds[static_cast<size_t>(n)] = verdict.kind;
    cache.tree.set(static_cast<size_t>(n), potential(verdict.kind) == 1, verdict.kind == NodeVerdict::kCandidate,
                   verdict.candidate.score());
  }
  cache.stale.clear();
  return cache.nodes;
}

}  // namespace kubesched
