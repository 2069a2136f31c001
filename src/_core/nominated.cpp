// The scheduling cycle with nominated pods, as upstream's RunFilterPluginsWithNominatedPods:
// on a node where pods the incoming pod must yield to are nominated, the filters run with
// them added (node and cycle state) and, if that passes, again without them; the node fits
// only if both pass. Only those nodes are tried twice (with the preemption dry run's
// what-if, which leaves no trace); the others, and every score, see the snapshot as it is.
#include <algorithm>
#include <stdexcept>

#include "engine.hpp"
#include "preemption.hpp"

namespace kubesched {

std::unordered_map<int32_t, Engine::Veto> Engine::nominated_vetoes(
    int32_t class_id, const std::vector<std::pair<int32_t, int32_t>>& nominated, int32_t only_node) {
  std::unordered_map<int32_t, Veto> vetoes;
  if (nominated.empty()) return vetoes;
  PreemptionRequest request;
  request.class_id = class_id;
  request.nominated = nominated;
  std::vector<int32_t> nodes;
  for (const auto& [nominated_class, node] : nominated) {
    if (nominated_class < 0 || nominated_class >= class_count() || node < 0 || node >= snapshot.node_count())
      throw std::out_of_range("a nominated pod's class or node is out of range");
    if ((only_node < 0 || node == only_node) && std::find(nodes.begin(), nodes.end(), node) == nodes.end())
      nodes.push_back(node);
  }
  trial_begin();
  for (int32_t node : nodes) {
    Reasons reasons;
    const int32_t failed = fails_with_nominated(*this, request, node, &reasons);
    if (failed >= 0) vetoes.emplace(node, Veto{failed, std::move(reasons)});
  }
  trial_begin();
  return vetoes;
}

int32_t Engine::schedule_with_nominated(int32_t class_id, const std::vector<std::pair<int32_t, int32_t>>& nominated) {
  const std::unordered_map<int32_t, Veto> vetoes = nominated_vetoes(class_id, nominated, -1);
  if (vetoes.empty()) return schedule(class_id);  // the pass with them passed wherever it ran
  // Some nodes are rejected for this pod only: one uncached evaluation with them rejected
  // (the feasible set, and so every normalisation, is the one upstream scores).
  deferred_class_ = -1;
  vetoes_ = &vetoes;
  struct Clear {
    const std::unordered_map<int32_t, Veto>*& vetoes;
    ~Clear() { vetoes = nullptr; }
  } clear{vetoes_};
  const Evaluation evaluation = evaluate(class_id);
  last_evaluated_ = static_cast<int32_t>(std::count(evaluation.examined.begin(), evaluation.examined.end(), uint8_t{1}));
  last_feasible_ = evaluation.feasible;
  if (evaluation.selected < 0) {
    last_failure_ = diagnose(class_id);
    return -1;
  }
  vetoes_ = nullptr;
  assume(class_id, evaluation.selected);
  return evaluation.selected;
}

Evaluation Engine::evaluate_with_nominated(int32_t class_id,
                                           const std::vector<std::pair<int32_t, int32_t>>& nominated,
                                           const std::vector<int32_t>& excluded, bool draw) {
  const std::unordered_map<int32_t, Veto> vetoes = nominated_vetoes(class_id, nominated, -1);
  std::vector<uint8_t> outside(excluded.empty() ? 0 : static_cast<size_t>(snapshot.node_count()), 0);
  for (int32_t node : excluded) {
    if (node < 0 || node >= snapshot.node_count()) throw std::out_of_range("an excluded node is out of range");
    outside[static_cast<size_t>(node)] = 1;
  }
  vetoes_ = &vetoes;
  excluded_ = excluded.empty() ? nullptr : &outside;
  struct Clear {
    const std::unordered_map<int32_t, Veto>*& vetoes;
    const std::vector<uint8_t>*& excluded;
    ~Clear() { vetoes = nullptr; excluded = nullptr; }
  } clear{vetoes_, excluded_};
  return evaluate(class_id, draw);
}

bool Engine::feasible_with_nominated(int32_t class_id, int32_t node,
                                     const std::vector<std::pair<int32_t, int32_t>>& nominated) {
  return nominated_vetoes(class_id, nominated, node).empty() && feasible_on(class_id, node);
}

}  // namespace kubesched
