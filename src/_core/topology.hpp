// Topology domains: for one label key, which domain each node is in (nodes with the same
// value share a domain) and the nodes of each domain.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "snapshot.hpp"

namespace kubesched {

struct Domains {
  std::vector<int32_t> of_node;  // domain index per node, -1 when the node lacks the key
  std::vector<int32_t> value;    // label value id per domain
  std::vector<std::vector<int32_t>> members;  // nodes per domain
  int32_t count() const { return static_cast<int32_t>(value.size()); }
};

// Domains per key, rebuilt when the snapshot's generation moves.
class DomainCache {
 public:
  const Domains& get(const Snapshot& s, int32_t key) {
    if (generation_ != s.generation) {
      cache_.clear();
      generation_ = s.generation;
    }
    auto found = cache_.find(key);
    if (found != cache_.end()) return found->second;
    Domains d;
    d.of_node.assign(static_cast<size_t>(s.node_count()), -1);
    std::unordered_map<int32_t, int32_t> index;
    for (int32_t n = 0; n < s.node_count(); ++n) {
      const int32_t v = s.label(n, key);
      if (v < 0) continue;
      auto [it, added] = index.try_emplace(v, d.count());
      if (added) {
        d.value.push_back(v);
        d.members.emplace_back();
      }
      d.of_node[static_cast<size_t>(n)] = it->second;
      d.members[static_cast<size_t>(it->second)].push_back(n);
    }
    return cache_.emplace(key, std::move(d)).first->second;
  }

 private:
  uint64_t generation_ = ~0ULL;
  std::unordered_map<int32_t, Domains> cache_;
};

}  // namespace kubesched
