#include "engine.hpp"

#include <algorithm>
#include <map>

namespace kubesched {

namespace {
constexpr size_t kMaxCachedClasses = 64;
constexpr int32_t kMinFeasibleNodesToFind = 100;
constexpr int32_t kMinFeasibleNodesPercentageToFind = 5;
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

int32_t Engine::add_class(PodClass pod_class) {
  std::array<bool, kScoreCount> skipped{};
  for (int p = 0; p < kScoreCount; ++p) skipped[p] = skips(static_cast<Score>(p), profile_, pod_class);
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
  snapshot.add_pod(pod_class(class_id), node);
  log_change(node);
}

void Engine::forget(int32_t class_id, int32_t node) {
  snapshot.remove_pod(pod_class(class_id), node);
  log_change(node);
}

void Engine::node_changed(int32_t node) { log_change(node); }

void Engine::evaluate_node(int32_t class_id, int32_t node, uint8_t& feasible,
                           std::array<std::vector<int64_t>, kScoreCount>& raw) const {
  const PodClass& pod = pod_class(class_id);
  feasible = first_failing_filter(snapshot, profile_, pod, node, nullptr) < 0 ? 1 : 0;
  if (!feasible) return;
  const auto& skipped = skipped_[static_cast<size_t>(class_id)];
  for (int p = 0; p < kScoreCount; ++p) {
    if (profile_.weights[p] == 0 || skipped[p]) continue;
    raw[p][static_cast<size_t>(node)] = raw_score(static_cast<Score>(p), snapshot, profile_, pod, node);
  }
}

int64_t Engine::total_of(const ClassState& state, int32_t node) const {
  const auto n = static_cast<size_t>(node);
  if (!state.feasible[n]) return -1;
  int64_t total = 0;
  for (int p = 0; p < kScoreCount; ++p) {
    const int64_t weight = profile_.weights[p];
    if (weight == 0) continue;
    int64_t score = state.raw[p][n];
    if (normalized(static_cast<Score>(p))) score = default_normalize(score, state.max_raw[p], reversed(static_cast<Score>(p)));
    total += weight * score;
  }
  return total;
}

void Engine::renormalize(ClassState& state) {
  const auto count = static_cast<size_t>(snapshot.node_count());
  state.feasible_count = 0;
  state.max_raw.fill(0);
  state.at_max.fill(0);
  for (size_t n = 0; n < count; ++n) {
    if (!state.feasible[n]) continue;
    ++state.feasible_count;
    for (int p = 0; p < kScoreCount; ++p) {
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
  const auto count = static_cast<size_t>(snapshot.node_count());
  state.feasible.assign(count, 0);
  for (auto& column : state.raw) column.assign(count, 0);
  state.total.assign(count, -1);
  for (size_t n = 0; n < count; ++n) evaluate_node(class_id, static_cast<int32_t>(n), state.feasible[n], state.raw);
  state.generation = snapshot.generation;
  state.synced = log_base_ + change_log_.size();
  state.diagnosed = false;
  renormalize(state);
}

void Engine::refresh_node(ClassState& state, int32_t class_id, int32_t node, bool& needs_renormalize) {
  const auto n = static_cast<size_t>(node);
  const bool was_feasible = state.feasible[n];
  std::array<int64_t, kScoreCount> old_raw{};
  for (int p = 0; p < kScoreCount; ++p) old_raw[p] = state.raw[p][n];
  evaluate_node(class_id, node, state.feasible[n], state.raw);
  const bool is_feasible = state.feasible[n];
  state.feasible_count += static_cast<int64_t>(is_feasible) - static_cast<int64_t>(was_feasible);
  for (int p = 0; p < kScoreCount; ++p) {
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
      if (oldest != states_.end() && oldest->first != class_id) states_.erase(oldest);
    }
    slot = std::make_unique<ClassState>();
  }
  ClassState& state = *states_[class_id];
  state.last_used = ++use_clock_;
  const size_t log_end = log_base_ + change_log_.size();
  const size_t pending = log_end - state.synced;
  if (state.generation != snapshot.generation || state.synced < log_base_ ||
      pending > static_cast<size_t>(snapshot.node_count()) / 4 + 1) {
    rebuild(state, class_id);
    return state;
  }
  if (pending == 0) return state;
  bool needs_renormalize = false;
  for (size_t i = state.synced; i < log_end; ++i) refresh_node(state, class_id, change_log_[i - log_base_], needs_renormalize);
  state.synced = log_end;
  state.diagnosed = false;
  if (needs_renormalize) renormalize(state);
  return state;
}

int32_t Engine::pick(const SelectTree& tree) {
  if (tree.best() < 0) return -1;
  int64_t k = 0;
  if (random_ties_ && tree.ties() > 1) k = std::uniform_int_distribution<int64_t>(0, tree.ties() - 1)(rng_);
  return tree.pick(k);
}

Histogram Engine::diagnose(const PodClass& pod) const {
  std::map<int32_t, int32_t> counts;
  Reasons reasons;
  for (int32_t n = 0; n < snapshot.node_count(); ++n) {
    reasons.clear();
    first_failing_filter(snapshot, profile_, pod, n, &reasons);
    for (int32_t reason : reasons) ++counts[reason];
  }
  return Histogram(counts.begin(), counts.end());
}

int32_t Engine::nodes_to_find() const {
  const int32_t all = snapshot.node_count();
  int32_t percentage = profile_.percentage_of_nodes_to_score;
  if (all < kMinFeasibleNodesToFind || percentage >= 100) return all;
  if (percentage <= 0) percentage = std::max(50 - all / 125, kMinFeasibleNodesPercentageToFind);
  const int32_t wanted = static_cast<int32_t>(static_cast<int64_t>(all) * percentage / 100);
  return std::max(wanted, kMinFeasibleNodesToFind);
}

int32_t Engine::schedule(int32_t class_id) {
  if (nodes_to_find() < snapshot.node_count()) return schedule_sampled(class_id);
  ClassState& state = state_for(class_id);
  const int32_t node = pick(state.tree);
  if (node < 0) {
    if (!state.diagnosed) {
      state.diagnosis = diagnose(pod_class(class_id));
      state.diagnosed = true;
    }
    last_failure_ = state.diagnosis;
    return -1;
  }
  assume(class_id, node);
  return node;
}

// percentageOfNodesToScore below 100: look at nodes from a rotating start until enough
// feasible ones are found, and score only those (upstream's sampling, done sequentially).
int32_t Engine::schedule_sampled(int32_t class_id) {
  Evaluation evaluation = evaluate(class_id);
  if (evaluation.selected < 0) {
    last_failure_ = diagnose(pod_class(class_id));
    return -1;
  }
  assume(class_id, evaluation.selected);
  return evaluation.selected;
}

void Engine::schedule_queue(const int32_t* class_ids, int64_t count, int32_t* chosen) {
  for (int64_t i = 0; i < count; ++i) {
    chosen[i] = schedule(class_ids[i]);
    if (chosen[i] < 0) failures_.push_back(last_failure_);
  }
}

Evaluation Engine::evaluate(int32_t class_id) {
  const PodClass& pod = pod_class(class_id);
  const int32_t count = snapshot.node_count();
  const auto n_count = static_cast<size_t>(count);
  Evaluation e;
  e.failed_filter.assign(n_count, -1);
  e.reasons.assign(n_count, {});
  e.total.assign(n_count, -1);
  e.examined.assign(n_count, 0);
  e.skipped = skipped_[static_cast<size_t>(class_id)];
  for (auto& column : e.raw) column.assign(n_count, 0);
  for (auto& column : e.normalized) column.assign(n_count, 0);

  const int32_t wanted = nodes_to_find();
  const bool sampled = wanted < count;
  const int32_t start = sampled ? next_start_node_ : 0;
  std::vector<int32_t> feasible;
  int32_t processed = 0;
  for (int32_t i = 0; i < count && static_cast<int32_t>(feasible.size()) < wanted; ++i, ++processed) {
    const int32_t n = (start + i) % count;
    e.examined[static_cast<size_t>(n)] = 1;
    e.failed_filter[static_cast<size_t>(n)] = first_failing_filter(snapshot, profile_, pod, n, &e.reasons[static_cast<size_t>(n)]);
    if (e.failed_filter[static_cast<size_t>(n)] < 0) feasible.push_back(n);
  }
  if (sampled && count > 0) next_start_node_ = (start + processed) % count;
  e.feasible = static_cast<int32_t>(feasible.size());
  if (feasible.empty()) return e;

  for (int p = 0; p < kScoreCount; ++p) {
    if (profile_.weights[p] == 0 || e.skipped[p]) continue;
    const auto plugin = static_cast<Score>(p);
    int64_t max_raw = 0;
    for (int32_t n : feasible) {
      const int64_t raw = raw_score(plugin, snapshot, profile_, pod, n);
      e.raw[p][static_cast<size_t>(n)] = raw;
      max_raw = std::max(max_raw, raw);
    }
    for (int32_t n : feasible) {
      const int64_t raw = e.raw[p][static_cast<size_t>(n)];
      e.normalized[p][static_cast<size_t>(n)] = normalized(plugin) ? default_normalize(raw, max_raw, reversed(plugin)) : raw;
    }
  }
  int64_t best = -1;
  std::vector<int32_t> ties;
  for (int32_t n : feasible) {
    int64_t total = 0;
    for (int p = 0; p < kScoreCount; ++p) total += profile_.weights[p] * e.normalized[p][static_cast<size_t>(n)];
    e.total[static_cast<size_t>(n)] = total;
    if (total > best) {
      best = total;
      ties.assign(1, n);
    } else if (total == best) {
      ties.push_back(n);
    }
  }
  size_t k = 0;
  if (random_ties_ && ties.size() > 1) k = std::uniform_int_distribution<size_t>(0, ties.size() - 1)(rng_);
  e.selected = ties[k];
  return e;
}

}  // namespace kubesched
