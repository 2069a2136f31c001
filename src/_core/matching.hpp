// Maximum cardinality matching in a general graph: Edmonds' blossom algorithm, O(V^3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace kubesched {

// Maximum cardinality matching in a general graph (Edmonds' blossoms), grown from a given
// matching: a bin holds a pair of items exactly when they fit together, so among items that
// go at most two to a bin a maximum matching is a packing with the fewest bins.
class Matching {
 public:
  Matching(std::vector<std::vector<int32_t>> adjacency, std::vector<int32_t> mate)
      : adj_(std::move(adjacency)), mate_(std::move(mate)), n_(static_cast<int32_t>(adj_.size())) {}

  const std::vector<int32_t>& maximum() {
    for (int32_t root = 0; root < n_; ++root) {
      if (mate_[static_cast<size_t>(root)] >= 0) continue;
      int32_t end = augmenting_path(root);
      while (end >= 0) {  // flip the path's edges
        int32_t previous = parent_[static_cast<size_t>(end)];
        int32_t next = mate_[static_cast<size_t>(previous)];
        mate_[static_cast<size_t>(end)] = previous;
        mate_[static_cast<size_t>(previous)] = end;
        end = next;
      }
    }
    return mate_;
  }

 private:
  size_t at(int32_t v) const { return static_cast<size_t>(v); }

  int32_t common_base(int32_t a, int32_t b) const {
    std::vector<uint8_t> on_path(at(n_), 0);
    for (;;) {
      a = base_[at(a)];
      on_path[at(a)] = 1;
      if (mate_[at(a)] < 0) break;
      a = parent_[at(mate_[at(a)])];
    }
    for (;;) {
      b = base_[at(b)];
      if (on_path[at(b)]) return b;
      b = parent_[at(mate_[at(b)])];
    }
  }

  void mark_blossom(int32_t v, int32_t b, int32_t child) {
    while (base_[at(v)] != b) {
      in_blossom_[at(base_[at(v)])] = in_blossom_[at(base_[at(mate_[at(v)])])] = 1;
      parent_[at(v)] = child;
      child = mate_[at(v)];
      v = parent_[at(mate_[at(v)])];
    }
  }

  // Breadth-first search for an augmenting path from an unmatched root; returns its free
  // end (the path follows parent_ and mate_ back to the root), or -1.
  int32_t augmenting_path(int32_t root) {
    visited_.assign(at(n_), 0);
    parent_.assign(at(n_), -1);
    base_.resize(at(n_));
    for (int32_t v = 0; v < n_; ++v) base_[at(v)] = v;
    std::vector<int32_t> queue{root};
    visited_[at(root)] = 1;
    for (size_t head = 0; head < queue.size(); ++head) {
      int32_t v = queue[head];
      for (int32_t to : adj_[at(v)]) {
        if (base_[at(v)] == base_[at(to)] || mate_[at(v)] == to) continue;
        if (to == root || (mate_[at(to)] >= 0 && parent_[at(mate_[at(to)])] >= 0)) {
          int32_t b = common_base(v, to);
          in_blossom_.assign(at(n_), 0);
          mark_blossom(v, b, to);
          mark_blossom(to, b, v);
          for (int32_t u = 0; u < n_; ++u) {
            if (!in_blossom_[at(base_[at(u)])]) continue;
            base_[at(u)] = b;
            if (!visited_[at(u)]) {
              visited_[at(u)] = 1;
              queue.push_back(u);
            }
          }
        } else if (parent_[at(to)] < 0) {
          parent_[at(to)] = v;
          if (mate_[at(to)] < 0) return to;
          visited_[at(mate_[at(to)])] = 1;
          queue.push_back(mate_[at(to)]);
        }
      }
    }
    return -1;
  }

  std::vector<std::vector<int32_t>> adj_;
  std::vector<int32_t> mate_;
  int32_t n_;
  std::vector<int32_t> parent_, base_;
  std::vector<uint8_t> visited_, in_blossom_;
};

}  // namespace kubesched
