#include "preemption.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "gpu.hpp"
#include "reasons.hpp"
#include "volumes.hpp"

namespace kubesched {

uint64_t Engine::trial_leave(int32_t class_id, int32_t node) {
  auto& pods = snapshot.node_pods[static_cast<size_t>(node)];
  auto found = std::find(pods.begin(), pods.end(), class_id);
  if (found == pods.end()) return 0;
  pods.erase(found);
  trial_context_valid_ = false;
  uint64_t gpus = 0;
  if (pod_class(class_id).gpu_count > 0) gpus = snapshot.release_gpus(node, class_id, 0, false);
  if (pod_class(class_id).volume_class >= 0) snapshot.volumes.use(pod_class(class_id).volume_class, node, -1, true);
  snapshot.remove_pod(pod_class(class_id), node);
  terms_.pod_added(class_id, node, classes_, -1);
  return gpus;
}

void Engine::trial_join(int32_t class_id, int32_t node, uint64_t gpus) {
  const PodClass& pod = pod_class(class_id);
  if (pod.gpu_count > 0) snapshot.take_gpus(node, class_id, pod, gpus);
  if (pod.volume_class >= 0) snapshot.volumes.use(pod.volume_class, node, 1, true);
  snapshot.add_pod(pod, node);
  snapshot.node_pods[static_cast<size_t>(node)].push_back(class_id);
  terms_.pod_added(class_id, node, classes_, 1);
  trial_context_valid_ = false;
}

int32_t Engine::trial_failing_filter(int32_t class_id, int32_t node, Reasons* reasons) {
  if (!touched_by_inter_pod_rules(class_id)) return failing_filter(class_id, node, nullptr, reasons);
  if (!trial_context_valid_ || trial_context_class_ != class_id) {
    trial_context_ = build_filter_context(inputs(class_id));
    trial_context_class_ = class_id;
    trial_context_valid_ = true;
  }
  return failing_filter(class_id, node, &trial_context_, reasons);
}

int64_t Engine::schedule_until_failure(const int32_t* class_ids, int64_t count, int32_t* chosen) {
  queue_gpu_masks_.assign(static_cast<size_t>(count), 0);
  deferred_class_ = -1;
  defer_diagnosis_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{defer_diagnosis_};
  for (int64_t i = 0; i < count; ++i) {
    chosen[i] = schedule(class_ids[i]);
    if (chosen[i] < 0) return i + 1;
    queue_gpu_masks_[static_cast<size_t>(i)] = last_gpu_mask_;
  }
  return count;
}

int32_t Engine::defer_failure(int32_t class_id) {
  deferred_class_ = class_id;
  deferred_clock_ = change_clock();
  deferred_generation_ = snapshot.generation;
  last_failure_.clear();
  return -1;
}

void Engine::resolve_deferred_failure() {
  if (deferred_class_ < 0) return;
  const int32_t class_id = deferred_class_;
  deferred_class_ = -1;
  if (change_clock() != deferred_clock_ || snapshot.generation != deferred_generation_)
    throw std::logic_error("the reasons of a failure were asked for after the snapshot changed");
  last_failure_ = diagnose(class_id);
}

int32_t candidates_to_find(int32_t potential, int32_t percentage, int32_t absolute) {
  const auto wanted = static_cast<int32_t>(static_cast<int64_t>(potential) * percentage / 100);
  return std::min(std::max(wanted, absolute), potential);
}

namespace {

constexpr int64_t kInt32Shift = int64_t{1} << 31;  // upstream adds MaxInt32+1 to each priority

// A what-if on one node: pods leave and join; `restore` puts the node back as it was (its
// rows, and the domain counts through the inverse moves).
class Trial {
 public:
  Trial(Engine& engine, int32_t node) : engine_(engine), node_(node) {
    const auto n = static_cast<size_t>(node);
    Snapshot& s = engine.snapshot;
    pods_ = s.node_pods[n];
    ports_ = s.ports[n];
    if (n < s.gpu_free.size()) gpu_free_ = s.gpu_free[n];
    if (n < s.gpu_pods.size()) gpu_pods_ = s.gpu_pods[n];
  }
  Trial(const Trial&) = delete;
  Trial& operator=(const Trial&) = delete;
  ~Trial() { restore(); }

  void leave(int32_t class_id) { moves_.push_back({class_id, engine_.trial_leave(class_id, node_), false}); }
  void join(int32_t class_id, uint64_t gpus = 0) {
    engine_.trial_join(class_id, node_, gpus);
    moves_.push_back({class_id, gpus, true});
  }
  uint64_t gpus_of_last_leave() const { return moves_.back().gpus; }

  void restore() {
    for (auto it = moves_.rbegin(); it != moves_.rend(); ++it) {
      if (it->joined) engine_.trial_leave(it->class_id, node_);
      else engine_.trial_join(it->class_id, node_, it->gpus);
    }
    moves_.clear();
    const auto n = static_cast<size_t>(node_);
    Snapshot& s = engine_.snapshot;
    s.node_pods[n] = pods_;
    s.ports[n] = ports_;
    if (n < s.gpu_free.size()) s.gpu_free[n] = gpu_free_;
    if (n < s.gpu_pods.size()) s.gpu_pods[n] = gpu_pods_;
  }

 private:
  struct Move {
    int32_t class_id;
    uint64_t gpus;
    bool joined;
  };
  Engine& engine_;
  int32_t node_;
  std::vector<Move> moves_;
  std::vector<int32_t> pods_;
  std::vector<UsedPort> ports_;
  std::vector<int32_t> gpu_free_;
  std::vector<Snapshot::GpuHolder> gpu_pods_;
};

}  // namespace

// Upstream's RunFilterPluginsWithNominatedPods: the pod must pass with the pods nominated to
// the node (at its priority or above) added and, when some were, without them too.
int32_t fails_with_nominated(Engine& engine, const PreemptionRequest& request, int32_t node, Reasons* reasons) {
  const bool any = std::any_of(request.nominated.begin(), request.nominated.end(),
                               [&](const auto& nominated) { return nominated.second == node; });
  if (!any) return engine.trial_failing_filter(request.class_id, node, reasons);
  bool added = false;
  int32_t failed;
  {
    Trial trial(engine, node);
    for (const auto& [class_id, where] : request.nominated) {
      if (where != node) continue;
      // a nominated GPU pod holds its share, on the GPUs the selection would give it (no draw)
      trial.join(class_id, select_gpus(engine.snapshot, engine.profile().gpu_select, engine.pod_class(class_id),
                                       node, nullptr));
      added = true;
    }
    failed = engine.trial_failing_filter(request.class_id, node, reasons);
  }
  if (failed < 0 && added) failed = engine.trial_failing_filter(request.class_id, node, reasons);
  return failed;
}

// Whether a node's rejection may be resolved by removing pods: upstream's Unschedulable, not
// UnschedulableAndUnresolvable (which NodeResourcesFit returns when a request exceeds the
// node's allocatable outright).
bool resolvable(const Engine& engine, const PodClass& pod, int32_t node, const Reasons& reasons) {
  if (reasons.empty()) return false;
  for (int32_t reason : reasons) {
    const int32_t kind = reason >> 24;
    switch (kind) {
      case kReasonPorts:
      case kReasonTooManyPods:
      case kReasonSpread:
      case kReasonAntiAffinity:
      case kReasonExistingAnti:
      case kReasonCsiDriverMissing:
        break;
      case kReasonVolume:  // VolumeRestrictions' and NodeVolumeLimits' (VolumeBinding's and VolumeZone's are not)
        if ((reason & 0xFFFFFF) > kVolumeMaxCount) return false;
        break;
      case kReasonInsufficient: {
        const int32_t resource = reason & 0xFFFFFF;
        const auto& allocatable = engine.snapshot.allocatable[static_cast<size_t>(resource)];
        if (pod.request(resource) > allocatable[static_cast<size_t>(node)]) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// MoreImportantVictim: higher priority, then the earlier start (ties: the node's order).
bool more_important(const std::vector<PreemptionPod>& pods, int32_t a, int32_t b) {
  const PreemptionPod& x = pods[static_cast<size_t>(a)];
  const PreemptionPod& y = pods[static_cast<size_t>(b)];
  if (x.priority != y.priority) return x.priority > y.priority;
  if (x.start_time != y.start_time) return x.start_time < y.start_time;
  return a < b;
}

// FilterVictimsWithPDBViolation over the victims in order of importance.
std::vector<uint8_t> violating(const PreemptionRequest& request, const std::vector<PreemptionPod>& pods,
                               const std::vector<int32_t>& victims) {
  std::vector<int64_t> allowed(request.budgets_allowed.begin(), request.budgets_allowed.end());
  std::vector<uint8_t> flags(victims.size(), 0);
  for (size_t i = 0; i < victims.size(); ++i) {
    for (int32_t budget : pods[static_cast<size_t>(victims[i])].budgets) {
      if (--allowed[static_cast<size_t>(budget)] < 0) {
        flags[i] = 1;
        break;
      }
    }
  }
  return flags;
}

// The candidate's scores for pickOneNodeForPreemption. The highest victim priority is the
// first victim's (they are most important first); GetEarliestPodStartTime gives the
// earliest start among the victims of that priority.
void summarize(const std::vector<PreemptionPod>& pods, PreemptionCandidate& c) {
  c.top_priority = c.victims.empty() ? std::numeric_limits<int32_t>::min() : pods[static_cast<size_t>(c.victims.front())].priority;
  int32_t top = std::numeric_limits<int32_t>::min();
  c.priority_sum = 0;
  for (int32_t i : c.victims) {
    top = std::max(top, pods[static_cast<size_t>(i)].priority);
    c.priority_sum += pods[static_cast<size_t>(i)].priority + kInt32Shift;
  }
  c.earliest_top_start = std::numeric_limits<int64_t>::max();
  for (int32_t i : c.victims)
    if (pods[static_cast<size_t>(i)].priority == top)
      c.earliest_top_start = std::min(c.earliest_top_start, pods[static_cast<size_t>(i)].start_time);
}

namespace {

// SelectVictimsOnNode. Returns false (with the reasons) when no eviction lets the pod fit.
bool select_victims(Engine& engine, const PreemptionRequest& request, const std::vector<PreemptionPod>& pods,
                    int32_t node, const std::vector<int32_t>& on_node, PreemptionCandidate& out, Reasons& reasons) {
  std::vector<int32_t> potential;
  for (int32_t i : on_node)
    if (pods[static_cast<size_t>(i)].priority < request.priority) potential.push_back(i);
  if (potential.empty()) {
    reasons.assign(1, kNoVictimsReason);
    return false;
  }
  Trial trial(engine, node);
  std::vector<std::pair<int32_t, uint64_t>> held;  // (pod, GPUs it held) as the pods left
  for (int32_t i : potential) {
    trial.leave(pods[static_cast<size_t>(i)].class_id);
    held.emplace_back(i, trial.gpus_of_last_leave());
  }
  auto gpus_of = [&](int32_t i) {
    for (const auto& [pod, mask] : held)
      if (pod == i) return mask;
    return uint64_t{0};
  };
  reasons.clear();
  if (fails_with_nominated(engine, request, node, &reasons) >= 0) return false;
  std::sort(potential.begin(), potential.end(), [&](int32_t a, int32_t b) { return more_important(pods, a, b); });
  const std::vector<uint8_t> flags = violating(request, pods, potential);
  std::vector<int32_t> order;  // the violating victims first, then the rest
  for (int pass = 1; pass >= 0; --pass)
    for (size_t k = 0; k < potential.size(); ++k)
      if (flags[k] == pass) order.push_back(static_cast<int32_t>(k));
  bool any_violating = false, any_clean = false;
  out.node = node;
  out.victims.clear();
  out.pdb_violations = 0;
  for (int32_t k : order) {
    const int32_t i = potential[static_cast<size_t>(k)];
    const int32_t class_id = pods[static_cast<size_t>(i)].class_id;
    trial.join(class_id, gpus_of(i));  // back on the GPUs it held
    if (fails_with_nominated(engine, request, node, nullptr) >= 0) {
      trial.leave(class_id);
      for (auto& [pod, mask] : held)
        if (pod == i) mask = trial.gpus_of_last_leave();
      out.victims.push_back(i);
      out.pdb_violations += flags[static_cast<size_t>(k)];
    }
    (flags[static_cast<size_t>(k)] ? any_violating : any_clean) = true;
  }
  if (any_violating && any_clean)
    std::sort(out.victims.begin(), out.victims.end(), [&](int32_t a, int32_t b) { return more_important(pods, a, b); });
  return true;
}

static_assert(kCandidateCriteria == kLatestStart - kFewestViolations + 1);

int32_t decided_by(int shared) {
  return shared < kCandidateCriteria ? kFewestViolations + shared : kFirstOfTied;
}

// pickOneNodeForPreemption: each criterion keeps the best-scoring candidates; the first
// that leaves one decides.
void pick(const std::vector<const PreemptionCandidate*>& candidates, PreemptionOutcome& outcome) {
  if (candidates.empty()) return;
  if (candidates.size() == 1) {
    outcome.chosen = 0;
    outcome.decided_by = kOnlyCandidate;
    return;
  }
  // Filtering criterion by criterion keeps the lexicographic best (the first of equals);
  // the criterion that decides is the one after the longest run of scores another
  // candidate shares with it. One pass finds both: for scores x <= y <= z (lexicographic),
  // the leading run x shares with z is the shorter of those x shares with y and y with z,
  // so when a better candidate takes over, the longest run any earlier one shares with it
  // is the one the previous best shares.
  size_t best = 0;
  int shared = 0;  // how many leading criteria some other candidate ties the best on
  for (size_t i = 1; i < candidates.size(); ++i) {
    const auto [same, better] = compare_scores(candidates[best]->score(), candidates[i]->score());
    if (better) {
      best = i;
      shared = same;
    } else {
      shared = std::max(shared, same);
    }
  }
  outcome.chosen = static_cast<int32_t>(best);
  outcome.decided_by = decided_by(shared);
}

// The walk below for a node-local preemptor when no candidate violates a budget and only
// the chosen one is wanted: the first `wanted` candidates from the offset-th potential node
// on (wrapping around), and their best (candidate_tree.hpp).
void pick_from_tree(const VerdictCache& cache, size_t count, size_t offset, size_t wanted,
                    PreemptionOutcome& outcome) {
  const CandidateTree& tree = cache.tree;
  const auto want = static_cast<int32_t>(wanted);
  const size_t start = tree.kth_potential(static_cast<int32_t>(offset) + 1);
  const CandidateTree::Range after = tree.query(start, count);
  CandidateTree::Range walked;
  if (after.candidates >= want) {
    const int32_t before = tree.query(0, start).candidates;
    walked = tree.query(start, tree.kth_candidate(before + want) + 1);
  } else if (tree.all().candidates >= want) {
    walked = tree.join(after, tree.query(0, tree.kth_candidate(want - after.candidates) + 1));
  } else {
    walked = tree.join(after, tree.query(0, start));
  }
  const PreemptionCandidate& chosen = cache.nodes[static_cast<size_t>(walked.best)].candidate;
  outcome.candidate_nodes.push_back(walked.best);
  outcome.candidate_violations.push_back(0);
  outcome.victims = chosen.victims;
  outcome.victim_start.push_back(static_cast<int32_t>(chosen.victims.size()));
  outcome.chosen = 0;
  outcome.decided_by = walked.candidates == 1
                           ? kOnlyCandidate
                           : decided_by(compare_scores(tree.score(walked.best), tree.score(walked.second)).first);
}

}  // namespace

PreemptionOutcome find_preemption(Engine& engine, const PreemptionRequest& request, VictimTable& table) {
  PreemptionOutcome outcome;
  outcome.all_candidates = request.all_candidates;
  engine.trial_begin();
  const int32_t count = engine.snapshot.node_count();
  const PodClass& pod = engine.pod_class(request.class_id);
  const std::vector<PreemptionPod>& pods = table.pods;
  // A node-local preemptor with no nominated pod around: each node's verdict is the
  // table's, kept until the node changes; otherwise every node is asked afresh.
  const std::vector<NodeVerdict>* verdicts = nullptr;
  if (request.nominated.empty() && node_local_preemptor(engine, request.class_id))
    verdicts = &node_local_verdicts(engine, request, table);
  // The potential nodes: counted in the verdict cache (read in place below), or listed.
  std::vector<int32_t> potential;
  if (!verdicts) {
    potential.reserve(static_cast<size_t>(count));
    Reasons reasons;
    for (int32_t n = 0; n < count; ++n) {
      reasons.clear();
      if (fails_with_nominated(engine, request, n, &reasons) >= 0 && resolvable(engine, pod, n, reasons))
        potential.push_back(n);
    }
  }
  const size_t total = verdicts ? static_cast<size_t>(table.cache.potential_count) : potential.size();
  if (total == 0) return outcome;

  const auto wanted = static_cast<size_t>(candidates_to_find(
      static_cast<int32_t>(total), request.min_candidate_percentage, request.min_candidate_absolute));
  if (verdicts && !request.all_candidates && wanted > 0 && table.cache.tree.all().violating == 0 &&
      table.cache.tree.all().candidates > 0) {
    pick_from_tree(table.cache, static_cast<size_t>(count), static_cast<size_t>(std::max(request.offset, 0)) % total,
                   wanted, outcome);
    return outcome;
  }
  // The candidates point into the verdict cache, or into `examined` for the general dry run.
  std::vector<PreemptionCandidate> examined;
  if (!verdicts) examined.reserve(potential.size());
  std::vector<const PreemptionCandidate*> clean, dirty;
  clean.reserve(wanted);
  const size_t offset = static_cast<size_t>(std::max(request.offset, 0)) % total;
  // The offset-th potential node, then the next ones in turn: a position in `potential`,
  // or a node index whose kind the cache says is potential.
  const std::vector<uint8_t>& kinds = table.cache.kinds;
  auto potential_here = [&](size_t n) { return kinds[n] != NodeVerdict::kNotPotential; };
  size_t at = offset;
  if (verdicts) {
    at = 0;
    for (size_t seen = 0; !potential_here(at) || seen++ < offset;) ++at;
  }
  Reasons reasons;
  auto reject = [&](int32_t node, const Reasons& why) {
    outcome.rejected_nodes.push_back(node);
    outcome.reasons.insert(outcome.reasons.end(), why.begin(), why.end());
    outcome.reason_start.push_back(static_cast<int32_t>(outcome.reasons.size()));
  };
  std::vector<int32_t> rejected_cached;
  for (size_t k = 0; k < total; ++k) {
    int32_t node;
    if (verdicts) {
      while (!potential_here(at)) at = at + 1 == static_cast<size_t>(count) ? 0 : at + 1;
      node = static_cast<int32_t>(at);
      at = at + 1 == static_cast<size_t>(count) ? 0 : at + 1;
    } else {
      node = potential[at];
      at = at + 1 == total ? 0 : at + 1;
    }
    const PreemptionCandidate* candidate;
    if (verdicts) {
      const NodeVerdict& verdict = (*verdicts)[static_cast<size_t>(node)];
      if (verdict.kind == NodeVerdict::kRejected) {
        rejected_cached.push_back(node);  // its reasons stay in the cache until asked for
        continue;
      }
      candidate = &verdict.candidate;
    } else {
      examined.emplace_back();
      if (!select_victims(engine, request, pods, node, table.rows_on(node), examined.back(), reasons)) {
        examined.pop_back();
        reject(node, reasons);
        continue;
      }
      summarize(pods, examined.back());
      candidate = &examined.back();
    }
    auto& target = candidate->pdb_violations ? dirty : clean;
    if (target.size() < wanted) target.push_back(candidate);
    if (!clean.empty() && clean.size() + dirty.size() >= wanted) break;
  }
  clean.insert(clean.end(), dirty.begin(), dirty.end());
  if (request.all_candidates || clean.empty())
    for (int32_t node : rejected_cached) reject(node, (*verdicts)[static_cast<size_t>(node)].reasons);
  pick(clean, outcome);
  if (!request.all_candidates && !clean.empty()) {
    clean.assign(1, clean[static_cast<size_t>(outcome.chosen)]);
    outcome.chosen = 0;
  }
  size_t victim_count = 0;
  for (const PreemptionCandidate* c : clean) victim_count += c->victims.size();
  outcome.candidate_nodes.reserve(clean.size());
  outcome.candidate_violations.reserve(clean.size());
  outcome.victim_start.reserve(clean.size() + 1);
  outcome.victims.reserve(victim_count);
  for (const PreemptionCandidate* c : clean) {
    outcome.candidate_nodes.push_back(c->node);
    outcome.candidate_violations.push_back(c->pdb_violations);
    outcome.victims.insert(outcome.victims.end(), c->victims.begin(), c->victims.end());
    outcome.victim_start.push_back(static_cast<int32_t>(outcome.victims.size()));
  }
  return outcome;
}

}  // namespace kubesched
