#include "engine.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include "parallel.hpp"

namespace kubesched {

namespace {
constexpr size_t kMaxCachedClasses = 64;
constexpr int32_t kMinFeasibleNodesToFind = 100;
constexpr int32_t kMinFeasibleNodesPercentageToFind = 5;

bool custom_normalized(int p) { return p == kInterPodAffinityScore || p == kPodTopologySpreadScore; }

// The plugin's NormalizeScore over the feasible nodes, for the plugins normalised against
// the highest raw score (upstream's default) or against the lowest and highest (BestFit).
void normalize_over_feasible(Score plugin, const std::vector<int64_t>& raw, const std::vector<int32_t>& feasible,
                             std::vector<int64_t>& scaled) {
  if (feasible.empty()) return;
  int64_t lo = raw[static_cast<size_t>(feasible[0])], hi = lo;
  for (int32_t n : feasible) {
    lo = std::min(lo, raw[static_cast<size_t>(n)]);
    hi = std::max(hi, raw[static_cast<size_t>(n)]);
  }
  if (normalized(plugin)) {
    hi = std::max<int64_t>(hi, 0);
    for (int32_t n : feasible)
      scaled[static_cast<size_t>(n)] = default_normalize(raw[static_cast<size_t>(n)], hi, reversed(plugin));
  } else if (min_max_normalized(plugin)) {
    for (int32_t n : feasible) scaled[static_cast<size_t>(n)] = min_max_normalize(raw[static_cast<size_t>(n)], lo, hi);
  }
}
}  // namespace

void Engine::set_profile(Profile profile) {
  profile_ = std::move(profile);
  states_.clear();
  skipped_.clear();
  for (const auto& pod : classes_) {
    std::array<bool, kScoreCount> skipped{};
    for (int p = 0; p < kScoreCount; ++p) skipped[p] = skips(static_cast<Score>(p), profile_, pod);
    skipped_.push_back(skipped);
  }
}

void Engine::set_seed(int64_t seed) {
  random_ties_ = seed >= 0;
  rng_.seed(static_cast<uint64_t>(seed < 0 ? 0 : seed));
}

int32_t Engine::add_node(std::string_view name) {
  const int32_t node = snapshot.add_node(name);
  terms_.add_node();
  snapshot.volumes.resize_nodes(snapshot.node_count());
  return node;
}

int32_t Engine::add_matcher(const Matcher& matcher) {
  return terms_.add_matcher(matcher, classes_, snapshot.node_pods);
}

int32_t Engine::add_class(PodClass pod_class) {
  if (pod_class.gpu_count != 0 || pod_class.gpu_milli != 0) {
    if (pod_class.gpu_count < 0 || pod_class.gpu_count > kMaxGpusPerNode || pod_class.gpu_milli <= 0 ||
        pod_class.gpu_milli > kMilliPerGpu || (pod_class.gpu_milli < kMilliPerGpu && pod_class.gpu_count != 1))
      throw std::invalid_argument("a GPU request is 1 to 64 whole GPUs, or 1 to 999 milli of one GPU");
    snapshot.resource(kGpuResourceName);
  }
  std::array<bool, kScoreCount> skipped{};
  for (int p = 0; p < kScoreCount; ++p) skipped[p] = skips(static_cast<Score>(p), profile_, pod_class);
  if (!pod_class.affinity_required.empty()) {
    Matcher all;
    for (const auto& term : pod_class.affinity_required) all.all_of.push_back(term.matcher);
    pod_class.affinity_all = add_matcher(all);
  }
  terms_.class_added(pod_class);
  classes_.push_back(std::move(pod_class));
  skipped_.push_back(skipped);
  return class_count() - 1;
}

void Engine::log_change(int32_t node) {
  change_log_.push_back(node);
  // Keep the log short: states that fall behind its start are rebuilt in full.
  if (change_log_.size() > (1u << 20)) {
    log_base_ += change_log_.size();
    change_log_.clear();
  }
}

void Engine::assume(int32_t class_id, int32_t node) {
  const PodClass& pod = pod_class(class_id);
  last_gpu_mask_ = 0;
  if (pod.gpu_count > 0) {
    last_gpu_mask_ = select_gpus(snapshot, profile_.gpu_select, pod, node, random_ties_ ? &rng_ : nullptr);
    snapshot.take_gpus(node, class_id, pod, last_gpu_mask_);
  }
  if (pod.volume_class >= 0) log_volume_changes(snapshot.volumes.place(pod.volume_class, node, true));
  add_to_node(class_id, node);
}

void Engine::log_volume_changes(const std::vector<int32_t>& nodes) {
  if (!nodes.empty() && nodes.front() < 0) {
    for (int32_t n = 0; n < snapshot.node_count(); ++n) log_change(n);
    return;
  }
  for (int32_t n : nodes) log_change(n);
}

void Engine::add_to_node(int32_t class_id, int32_t node) {
  snapshot.add_pod(pod_class(class_id), node);
  snapshot.node_pods[static_cast<size_t>(node)].push_back(class_id);
  terms_.pod_added(class_id, node, classes_, 1);
  log_change(node);
}

void Engine::forget(int32_t class_id, int32_t node) { leave(class_id, node, 0, false); }

void Engine::forget_on_gpus(int32_t class_id, int32_t node, uint64_t mask) { leave(class_id, node, mask, true); }

void Engine::leave(int32_t class_id, int32_t node, uint64_t mask, bool exact) {
  auto& pods = snapshot.node_pods[static_cast<size_t>(node)];
  auto found = std::find(pods.begin(), pods.end(), class_id);
  if (found == pods.end()) return;
  pods.erase(found);
  if (pod_class(class_id).volume_class >= 0)
    log_volume_changes(snapshot.volumes.remove(pod_class(class_id).volume_class, node));
  if (pod_class(class_id).gpu_count > 0) snapshot.release_gpus(node, class_id, mask, exact);
  snapshot.remove_pod(pod_class(class_id), node);
  terms_.pod_added(class_id, node, classes_, -1);
  log_change(node);
}

void Engine::assume_on_gpus(int32_t class_id, int32_t node, uint64_t mask) {
  const PodClass& pod = pod_class(class_id);
  const auto& free = snapshot.gpu_free[static_cast<size_t>(node)];
  int32_t taken = 0;
  for (int32_t g = 0; g < kMaxGpusPerNode; ++g) {
    if (!(mask >> g & 1)) continue;
    if (static_cast<size_t>(g) >= free.size() || free[static_cast<size_t>(g)] < pod.gpu_milli)
      throw std::invalid_argument("GPU " + std::to_string(g) + " of the node cannot hold the pod");
    ++taken;
  }
  if (taken != pod.gpu_count) throw std::invalid_argument("the GPU indices do not match the pod's GPU count");
  last_gpu_mask_ = mask;
  if (pod.gpu_count > 0) snapshot.take_gpus(node, class_id, pod, mask);
  add_to_node(class_id, node);
}

void Engine::node_changed(int32_t node) { log_change(node); }

bool Engine::touched_by_inter_pod_rules(int32_t class_id) {
  if (pod_class(class_id).has_inter_pod_terms()) return true;
  for (const auto& term : terms_.carried())
    if (terms_.matches(term.matcher, class_id, classes_)) return true;
  return false;
}

int32_t Engine::failing_filter(int32_t class_id, int32_t node, const FilterContext* context, Reasons* reasons) {
  if (vetoes_) {
    const auto veto = vetoes_->find(node);
    if (veto != vetoes_->end()) {
      if (reasons) reasons->insert(reasons->end(), veto->second.reasons.begin(), veto->second.reasons.end());
      return veto->second.filter;
    }
  }
  int32_t failed = first_failing_filter(snapshot, profile_, pod_class(class_id), node, reasons);
  if (failed == kDynamicResourcesFilter && context) {  // the inter-pod filters come first
    Reasons inter_pod;
    const int32_t earlier = inter_pod_filters(inputs(class_id), *context, node, reasons ? &inter_pod : nullptr);
    if (earlier >= 0) {
      if (reasons) {
        reasons->pop_back();
        reasons->insert(reasons->end(), inter_pod.begin(), inter_pod.end());
      }
      return earlier;
    }
  }
  if (failed < 0 && context) failed = inter_pod_filters(inputs(class_id), *context, node, reasons);
  if (failed < 0 && excluded_ && (*excluded_)[static_cast<size_t>(node)]) failed = kFilterCount;
  return failed;
}

void Engine::basic_raw_scores(int32_t class_id, int32_t node, std::array<std::vector<int64_t>, kScoreCount>& raw) const {
  const auto& skipped = skipped_[static_cast<size_t>(class_id)];
  const PodClass& pod = pod_class(class_id);
  for (int p = 0; p < kScoreCount; ++p) {
    if (profile_.weights[p] == 0 || skipped[p] || custom_normalized(p)) continue;
    raw[p][static_cast<size_t>(node)] = raw_score(static_cast<Score>(p), snapshot, profile_, pod, node);
  }
}

void Engine::pass(int32_t class_id, bool inter_pod, const std::vector<int32_t>& nodes, Evaluation& e, bool with_reasons) {
  const auto count = static_cast<size_t>(snapshot.node_count());
  e.failed_filter.assign(count, -1);
  e.total.assign(count, -1);
  for (auto& column : e.raw) column.assign(count, 0);
  for (auto& column : e.normalized) column.assign(count, 0);
  if (with_reasons) e.reasons.assign(count, {});
  e.skipped = skipped_[static_cast<size_t>(class_id)];

  FilterContext filter_context;
  if (inter_pod) filter_context = build_filter_context(inputs(class_id));
  std::vector<int32_t> feasible;
  for_blocks(nodes.size(), [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      const int32_t n = nodes[k];
      const auto i = static_cast<size_t>(n);
      e.failed_filter[i] = failing_filter(class_id, n, inter_pod ? &filter_context : nullptr,
                                          with_reasons ? &e.reasons[i] : nullptr);
    }
  });
  for (int32_t n : nodes)
    if (e.failed_filter[static_cast<size_t>(n)] < 0) feasible.push_back(n);
  e.feasible = static_cast<int32_t>(feasible.size());

  ScoreContext score_context;
  if (inter_pod) score_context = build_score_context(inputs(class_id), feasible);
  e.skipped[kInterPodAffinityScore] = score_context.affinity_skip;
  e.skipped[kPodTopologySpreadScore] = score_context.spread_skip;
  auto raw_scores = [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) basic_raw_scores(class_id, feasible[k], e.raw);
  };
  if (scores_thread_safe(profile_)) for_blocks(feasible.size(), raw_scores);
  else raw_scores(0, feasible.size());
  for (int p = 0; p < kScoreCount; ++p) {
    if (profile_.weights[p] == 0 || e.skipped[p]) continue;
    auto& raw = e.raw[p];
    auto& scaled = e.normalized[p];
    if (p == kInterPodAffinityScore)
      for (int32_t n : feasible) raw[static_cast<size_t>(n)] = inter_pod_affinity_score(score_context, n);
    if (p == kPodTopologySpreadScore)
      for (int32_t n : feasible) raw[static_cast<size_t>(n)] = spread_score(score_context, n, terms_);
    scaled = raw;
    if (p == kInterPodAffinityScore) {
      normalize_inter_pod_affinity(scaled, feasible);
    } else if (p == kPodTopologySpreadScore) {
      normalize_spread(score_context, scaled, feasible);
    } else {
      normalize_over_feasible(static_cast<Score>(p), raw, feasible, scaled);
    }
  }
  for (int32_t n : feasible) {
    int64_t total = 0;
    for (int p = 0; p < kScoreCount; ++p) total += profile_.weights[p] * e.normalized[p][static_cast<size_t>(n)];
    e.total[static_cast<size_t>(n)] = total;
  }
}

int64_t Engine::total_of(const ClassState& state, int32_t node) const {
  const auto n = static_cast<size_t>(node);
  if (!state.feasible[n]) return kInfeasible;
  int64_t total = 0;
  for (int p = 0; p < kScoreCount; ++p) {
    const int64_t weight = profile_.weights[p];
    if (weight == 0 || custom_normalized(p)) continue;
    int64_t score = state.raw[p][n];
    if (normalized(static_cast<Score>(p))) score = default_normalize(score, state.max_raw[p], reversed(static_cast<Score>(p)));
    else if (min_max_normalized(static_cast<Score>(p))) score = min_max_normalize(score, state.min_raw[p], state.max_raw[p]);
    total += weight * score;
  }
  return total;
}

void Engine::renormalize(ClassState& state) {
  const auto count = static_cast<size_t>(snapshot.node_count());
  state.feasible_count = 0;
  state.max_raw.fill(0);
  state.at_max.fill(0);
  state.min_raw.fill(0);
  state.at_min.fill(0);
  for (size_t n = 0; n < count; ++n) {
    if (!state.feasible[n]) continue;
    ++state.feasible_count;
    for (int p = 0; p < kScoreCount; ++p) {
      if (min_max_normalized(static_cast<Score>(p)) && profile_.weights[p] != 0) {
        const int64_t raw = state.raw[p][n];
        if (state.feasible_count == 1 || raw > state.max_raw[p]) {
          state.max_raw[p] = raw;
          state.at_max[p] = 0;
        }
        if (state.feasible_count == 1 || raw < state.min_raw[p]) {
          state.min_raw[p] = raw;
          state.at_min[p] = 0;
        }
        if (raw == state.max_raw[p]) ++state.at_max[p];
        if (raw == state.min_raw[p]) ++state.at_min[p];
        continue;
      }
      if (!normalized(static_cast<Score>(p))) continue;
      const int64_t raw = state.raw[p][n];
      if (raw > state.max_raw[p]) {
        state.max_raw[p] = raw;
        state.at_max[p] = 1;
      } else if (raw == state.max_raw[p]) {
        ++state.at_max[p];
      }
    }
  }
  for (size_t n = 0; n < count; ++n) state.total[n] = total_of(state, static_cast<int32_t>(n));
  state.tree.assign(state.total);
}

void Engine::rebuild(ClassState& state, int32_t class_id) {
  state.inter_pod = touched_by_inter_pod_rules(class_id);
  state.generation = snapshot.generation;
  state.synced = log_base_ + change_log_.size();
  state.carried_seen = terms_.carried().size();
  state.diagnosed = false;
  if (!state.inter_pod) state.incremental.reset();
  if (state.inter_pod) {
    if (!state.incremental) state.incremental = std::make_unique<IncrementalInterPod>();
    if (state.incremental->build(inputs(class_id), skipped_[static_cast<size_t>(class_id)])) {
      state.feasible_count = state.incremental->feasible_count();
      return;
    }
    state.incremental.reset();
    rebuild_inter_pod(state, class_id);
    return;
  }
  std::vector<int32_t> all(static_cast<size_t>(snapshot.node_count()));
  for (size_t n = 0; n < all.size(); ++n) all[n] = static_cast<int32_t>(n);
  Evaluation e;
  pass(class_id, state.inter_pod, all, e, false);
  state.feasible.assign(all.size(), 0);
  for (size_t n = 0; n < all.size(); ++n) state.feasible[n] = e.failed_filter[n] < 0;
  state.raw = std::move(e.raw);
  state.total.assign(all.size(), kInfeasible);
  renormalize(state);
}

void Engine::refresh_local(ClassState& state, int32_t class_id, int32_t node) {
  const auto n = static_cast<size_t>(node);
  state.local_ok[n] = first_failing_filter(snapshot, profile_, pod_class(class_id), node, nullptr) < 0;
  if (state.local_ok[n]) basic_raw_scores(class_id, node, state.raw);
}

void Engine::rebuild_inter_pod(ClassState& state, int32_t class_id) {
  const auto count = static_cast<size_t>(snapshot.node_count());
  state.local_ok.assign(count, 0);
  state.inter_pod_ok.assign(count, 0);
  for (auto& column : state.raw) column.assign(count, 0);
  state.filter_context = build_filter_context(inputs(class_id));
  for (size_t n = 0; n < count; ++n) {
    refresh_local(state, class_id, static_cast<int32_t>(n));
    state.inter_pod_ok[n] = inter_pod_filters(inputs(class_id), state.filter_context, static_cast<int32_t>(n), nullptr) < 0;
  }
  score_inter_pod(state, class_id);
}

// Bring an inter-pod class up to date with the nodes changed in log entries [from, to):
// their node-local verdicts and scores, then the domain counts, then the inter-pod
// verdicts of the nodes sharing a domain with a changed node (all nodes when a global
// quantity, such as a spread constraint's minimum, moved).
void Engine::sync_inter_pod(ClassState& state, int32_t class_id, size_t from, size_t to) {
  const auto count = static_cast<size_t>(snapshot.node_count());
  std::vector<uint8_t> affected(count, 0);
  std::vector<int32_t> changed;
  for (size_t i = from; i < to; ++i) {
    const int32_t node = change_log_[i - log_base_];
    if (affected[static_cast<size_t>(node)]) continue;
    affected[static_cast<size_t>(node)] = 1;
    changed.push_back(node);
    refresh_local(state, class_id, node);
  }
  FilterContext context = build_filter_context(inputs(class_id));
  if (context.global() != state.filter_context.global()) {
    std::fill(affected.begin(), affected.end(), 1);
  } else {
    for (const Domains* domains : context.partitions()) {
      for (int32_t node : changed) {
        const int32_t d = domains->of_node[static_cast<size_t>(node)];
        if (d < 0) continue;
        for (int32_t member : domains->members[static_cast<size_t>(d)]) affected[static_cast<size_t>(member)] = 1;
      }
    }
  }
  state.filter_context = std::move(context);
  for (size_t n = 0; n < count; ++n)
    if (affected[n])
      state.inter_pod_ok[n] = inter_pod_filters(inputs(class_id), state.filter_context, static_cast<int32_t>(n), nullptr) < 0;
  score_inter_pod(state, class_id);
}

// Feasibility from both halves, then every score over the feasible nodes: the inter-pod
// scores and all normalisations depend on the whole feasible set.
void Engine::score_inter_pod(ClassState& state, int32_t class_id) {
  const auto count = static_cast<size_t>(snapshot.node_count());
  state.feasible.assign(count, 0);
  std::vector<int32_t> feasible;
  for (size_t n = 0; n < count; ++n) {
    state.feasible[n] = state.local_ok[n] && state.inter_pod_ok[n];
    if (state.feasible[n]) feasible.push_back(static_cast<int32_t>(n));
  }
  const ScoreContext context = build_score_context(inputs(class_id), feasible);
  state.feasible_count = static_cast<int64_t>(feasible.size());
  // Per plugin the column its totals read: the raw scores themselves unless normalised.
  std::array<const std::vector<int64_t>*, kScoreCount> column{};
  std::array<std::vector<int64_t>, kScoreCount>& scaled = scaled_;
  const auto& skipped = skipped_[static_cast<size_t>(class_id)];
  for (int p = 0; p < kScoreCount; ++p) {
    if (profile_.weights[p] == 0 || skipped[p]) continue;
    auto& raw = state.raw[p];
    if (p == kInterPodAffinityScore) {
      if (context.affinity_skip) continue;
      for (int32_t n : feasible) raw[static_cast<size_t>(n)] = inter_pod_affinity_score(context, n);
    } else if (p == kPodTopologySpreadScore) {
      if (context.spread_skip) continue;
      for (int32_t n : feasible) raw[static_cast<size_t>(n)] = spread_score(context, n, terms_);
    }
    const auto plugin = static_cast<Score>(p);
    if (!custom_normalized(p) && !normalized(plugin) && !min_max_normalized(plugin)) {
      column[p] = &raw;
      continue;
    }
    scaled[p] = raw;
    if (p == kInterPodAffinityScore) {
      normalize_inter_pod_affinity(scaled[p], feasible);
    } else if (p == kPodTopologySpreadScore) {
      normalize_spread(context, scaled[p], feasible);
    } else {
      normalize_over_feasible(plugin, raw, feasible, scaled[p]);
    }
    column[p] = &scaled[p];
  }
  state.total.assign(count, kInfeasible);
  for (int32_t n : feasible) {
    int64_t total = 0;
    for (int p = 0; p < kScoreCount; ++p)
      if (column[p]) total += profile_.weights[p] * (*column[p])[static_cast<size_t>(n)];
    state.total[static_cast<size_t>(n)] = total;
  }
  state.tree.assign(state.total);
}

void Engine::refresh_node(ClassState& state, int32_t class_id, int32_t node, bool& needs_renormalize) {
  const auto n = static_cast<size_t>(node);
  const bool was_feasible = state.feasible[n];
  std::array<int64_t, kScoreCount> old_raw{};
  for (int p = 0; p < kScoreCount; ++p) old_raw[p] = state.raw[p][n];
  const bool is_feasible = failing_filter(class_id, node, nullptr, nullptr) < 0;
  state.feasible[n] = is_feasible;
  if (is_feasible) basic_raw_scores(class_id, node, state.raw);
  state.feasible_count += static_cast<int64_t>(is_feasible) - static_cast<int64_t>(was_feasible);
  for (int p = 0; p < kScoreCount; ++p) {
    if (min_max_normalized(static_cast<Score>(p)) && profile_.weights[p] != 0) {
      if (was_feasible && old_raw[p] == state.max_raw[p]) --state.at_max[p];
      if (was_feasible && old_raw[p] == state.min_raw[p]) --state.at_min[p];
      if (is_feasible) {
        const int64_t raw = state.raw[p][n];
        if (state.feasible_count == 1 || raw > state.max_raw[p] || raw < state.min_raw[p]) {
          needs_renormalize = true;
        } else {
          if (raw == state.max_raw[p]) ++state.at_max[p];
          if (raw == state.min_raw[p]) ++state.at_min[p];
        }
      }
      if ((state.at_max[p] <= 0 || state.at_min[p] <= 0) && state.feasible_count > 0) needs_renormalize = true;
      continue;
    }
    if (!normalized(static_cast<Score>(p))) continue;
    if (was_feasible && old_raw[p] == state.max_raw[p]) --state.at_max[p];
    if (is_feasible) {
      if (state.raw[p][n] > state.max_raw[p]) needs_renormalize = true;
      else if (state.raw[p][n] == state.max_raw[p]) ++state.at_max[p];
    }
    if (state.at_max[p] == 0 && state.feasible_count > 0) needs_renormalize = true;
  }
  if (!needs_renormalize) {
    state.total[n] = total_of(state, node);
    state.tree.set(n, state.total[n]);
  }
}

Engine::ClassState& Engine::state_for(int32_t class_id) {
  auto& slot = states_[class_id];
  if (!slot) {
    if (states_.size() > kMaxCachedClasses) {
      auto oldest = states_.end();
      for (auto it = states_.begin(); it != states_.end(); ++it)
        if (it->second && (oldest == states_.end() || it->second->last_used < oldest->second->last_used)) oldest = it;
      if (oldest != states_.end()) states_.erase(oldest);
    }
    states_[class_id] = std::make_unique<ClassState>();
  }
  ClassState& state = *states_[class_id];
  state.last_used = ++use_clock_;
  const size_t log_end = log_base_ + change_log_.size();
  const size_t pending = log_end - state.synced;
  const bool stale = state.generation != snapshot.generation || state.synced < log_base_ ||
                     state.carried_seen != terms_.carried().size();
  if (stale || pending > static_cast<size_t>(snapshot.node_count()) / 4 + 1) {
    rebuild(state, class_id);
    return state;
  }
  if (pending == 0) return state;
  if (state.incremental) {
    sync_incremental(state, class_id, state.synced, log_end);
    state.synced = log_end;
    state.diagnosed = false;
    return state;
  }
  if (state.inter_pod) {
    sync_inter_pod(state, class_id, state.synced, log_end);
    state.synced = log_end;
    state.diagnosed = false;
    return state;
  }
  bool needs_renormalize = false;
  for (size_t i = state.synced; i < log_end; ++i) refresh_node(state, class_id, change_log_[i - log_base_], needs_renormalize);
  state.synced = log_end;
  state.diagnosed = false;
  if (needs_renormalize) renormalize(state);
  return state;
}

void Engine::sync_incremental(ClassState& state, int32_t class_id, size_t from, size_t to) {
  seen_.resize(static_cast<size_t>(snapshot.node_count()), 0);
  changed_.clear();
  for (size_t i = from; i < to; ++i) {
    const int32_t node = change_log_[i - log_base_];
    if (seen_[static_cast<size_t>(node)]) continue;
    seen_[static_cast<size_t>(node)] = 1;
    changed_.push_back(node);
  }
  for (int32_t node : changed_) seen_[static_cast<size_t>(node)] = 0;
  state.incremental->sync(inputs(class_id), changed_);
  state.feasible_count = state.incremental->feasible_count();
}

int32_t Engine::pick(const IncrementalInterPod& incremental) {
  if (incremental.best() == kInfeasible) return -1;
  int64_t k = 0;
  if (random_ties_ && incremental.ties() > 1)
    k = std::uniform_int_distribution<int64_t>(0, incremental.ties() - 1)(rng_);
  return incremental.pick(k);
}

int32_t Engine::pick(const SelectTree& tree) {
  if (tree.best() == kInfeasible) return -1;
  int64_t k = 0;
  if (random_ties_ && tree.ties() > 1) k = std::uniform_int_distribution<int64_t>(0, tree.ties() - 1)(rng_);
  return tree.pick(k);
}

Histogram Engine::diagnose(int32_t class_id) {
  FilterContext context;
  const bool inter_pod = touched_by_inter_pod_rules(class_id);
  if (inter_pod) context = build_filter_context(inputs(class_id));
  std::map<int32_t, int32_t> counts;
  Reasons reasons;
  for (int32_t n = 0; n < snapshot.node_count(); ++n) {
    reasons.clear();
    failing_filter(class_id, n, inter_pod ? &context : nullptr, &reasons);
    for (int32_t reason : reasons) ++counts[reason];
  }
  return Histogram(counts.begin(), counts.end());
}

int32_t Engine::nodes_to_find() const { return nodes_to_find(snapshot.node_count()); }

int32_t Engine::nodes_to_find(int32_t all) const {
  int32_t percentage = profile_.percentage_of_nodes_to_score;
  if (all < kMinFeasibleNodesToFind || percentage >= 100) return all;
  if (percentage <= 0) percentage = std::max(50 - all / 125, kMinFeasibleNodesPercentageToFind);
  const auto wanted = static_cast<int32_t>(static_cast<int64_t>(all) * percentage / 100);
  return std::max(wanted, kMinFeasibleNodesToFind);
}

int32_t Engine::schedule(int32_t class_id) {
  if (!defer_diagnosis_) deferred_class_ = -1;
  if (nodes_to_find() < snapshot.node_count()) return schedule_sampled(class_id);
  ClassState& state = state_for(class_id);
  const int32_t node = state.incremental ? pick(*state.incremental) : pick(state.tree);
  last_evaluated_ = snapshot.node_count();
  last_feasible_ = static_cast<int32_t>(state.feasible_count);
  if (node < 0) {
    if (defer_diagnosis_ && !state.diagnosed) return defer_failure(class_id);
    if (!state.diagnosed) {
      state.diagnosis = diagnose(class_id);
      state.diagnosed = true;
    }
    last_failure_ = state.diagnosis;
    return -1;
  }
  assume(class_id, node);
  return node;
}

int32_t Engine::schedule_sampled(int32_t class_id) {
  Evaluation evaluation = evaluate(class_id);
  last_evaluated_ = static_cast<int32_t>(
      std::count(evaluation.examined.begin(), evaluation.examined.end(), uint8_t{1}));
  last_feasible_ = evaluation.feasible;
  if (evaluation.selected < 0) {
    if (defer_diagnosis_) return defer_failure(class_id);
    last_failure_ = diagnose(class_id);
    return -1;
  }
  assume(class_id, evaluation.selected);
  return evaluation.selected;
}

void Engine::schedule_queue(const int32_t* class_ids, int64_t count, int32_t* chosen) {
  queue_gpu_masks_.assign(static_cast<size_t>(count), 0);
  for (int64_t i = 0; i < count; ++i) {
    chosen[i] = schedule(class_ids[i]);
    if (chosen[i] < 0) failures_.push_back(last_failure_);
    else queue_gpu_masks_[static_cast<size_t>(i)] = last_gpu_mask_;
  }
}

bool Engine::feasible_on(int32_t class_id, int32_t node) {
  if (!touched_by_inter_pod_rules(class_id)) return failing_filter(class_id, node, nullptr, nullptr) < 0;
  const FilterContext context = build_filter_context(inputs(class_id));
  return failing_filter(class_id, node, &context, nullptr) < 0;
}

std::vector<uint8_t> Engine::feasible_nodes(int32_t class_id) {
  const bool inter_pod = touched_by_inter_pod_rules(class_id);
  FilterContext context;
  if (inter_pod) context = build_filter_context(inputs(class_id));
  std::vector<uint8_t> passes(static_cast<size_t>(snapshot.node_count()));
  for (size_t n = 0; n < passes.size(); ++n)
    passes[n] = failing_filter(class_id, static_cast<int32_t>(n), inter_pod ? &context : nullptr, nullptr) < 0;
  return passes;
}

// percentageOfNodesToScore below 100: look at nodes from a rotating start until enough
// feasible ones are found, and score only those (upstream's sampling, done sequentially).
Evaluation Engine::evaluate(int32_t class_id, bool draw) {
  const int32_t count = snapshot.node_count();
  const bool inter_pod = touched_by_inter_pod_rules(class_id);
  const bool sampled = nodes_to_find() < count;
  std::vector<int32_t> examined;
  if (sampled) {
    // Upstream searches only the nodes a PreFilter result allows (none when it rejects the
    // pod) and wants a number of those; the start moves on by the ones it processed.
    const PodClass& pod = pod_class(class_id);
    auto allowed = [&](int32_t n) { return prefilter_allows(snapshot, pod, n); };
    int32_t allowed_count = 0;
    for (int32_t n = 0; n < count; ++n) allowed_count += allowed(n) ? 1 : 0;
    const int32_t wanted = nodes_to_find(allowed_count);
    // Find the first `wanted` feasible nodes from the rotating start, filters only.
    FilterContext context;
    if (inter_pod) context = build_filter_context(inputs(class_id));
    int32_t feasible = 0, processed = 0;
    for (int32_t i = 0; i < count; ++i) {
      const int32_t n = (next_start_node_ + i) % count;
      const bool passes = failing_filter(class_id, n, inter_pod ? &context : nullptr, nullptr) < 0;
      // Upstream (on one worker) goes on past the wanted-th feasible node, counting the
      // nodes that fail, and cancels the search at the next feasible one, uncounted.
      if (passes && feasible == wanted) break;
      examined.push_back(n);
      if (allowed(n) && !pod.prefilter_rejection) ++processed;  // a rejected pod is never searched
      if (passes) ++feasible;
    }
    next_start_node_ = count ? (next_start_node_ + processed) % count : 0;
  } else {
    for (int32_t n = 0; n < count; ++n) examined.push_back(n);
  }
  Evaluation e;
  pass(class_id, inter_pod, examined, e, true);
  e.examined.assign(static_cast<size_t>(count), 0);
  for (int32_t n : examined) e.examined[static_cast<size_t>(n)] = 1;
  e.order = examined;
  // Feasibility comes from the filters, not from the sign of the total.
  bool any = false;
  int64_t best = 0;
  std::vector<int32_t> ties;
  for (int32_t n : examined) {
    if (e.failed_filter[static_cast<size_t>(n)] >= 0) continue;
    const int64_t total = e.total[static_cast<size_t>(n)];
    if (!any || total > best) {
      any = true;
      best = total;
      ties.assign(1, n);
    } else if (total == best) {
      ties.push_back(n);
    }
  }
  if (!ties.empty()) {
    size_t k = 0;
    if (draw && random_ties_ && ties.size() > 1) k = std::uniform_int_distribution<size_t>(0, ties.size() - 1)(rng_);
    e.selected = ties[k];
  }
  return e;
}

}  // namespace kubesched
