// What the scheduling cycle does after DefaultPreemption nominated a node, in the core so
// that a simulation pays one call per preemptor: the victims are deleted (they leave the
// engine's snapshot and the victim table), and the pod's next attempt tries the nominated
// node first, as upstream's next cycle does.
#include "preemption.hpp"

namespace kubesched {

int32_t evict_and_retry(Engine& engine, const PreemptionOutcome& outcome, VictimTable& table, int32_t class_id,
                        const std::vector<std::pair<int32_t, int32_t>>& held) {
  if (outcome.chosen < 0) return -1;
  const auto chosen = static_cast<size_t>(outcome.chosen);
  for (int32_t k = outcome.victim_start[chosen]; k < outcome.victim_start[chosen + 1]; ++k) {
    const int32_t row = outcome.victims[static_cast<size_t>(k)];
    const PreemptionPod& victim = table.pods[static_cast<size_t>(row)];
    const int32_t victim_class = victim.class_id, node = victim.node;
    table.remove(row);
    engine.forget(victim_class, node);
  }
  const int32_t nominated = outcome.candidate_nodes[chosen];
  if (engine.feasible_with_nominated(class_id, nominated, held)) {
    engine.assume(class_id, nominated);
    return nominated;
  }
  return engine.schedule_with_nominated(class_id, held);
}

}  // namespace kubesched
