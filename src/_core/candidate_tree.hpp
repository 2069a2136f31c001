// The node-local dry run's walk without the walk: over the nodes in index order, a segment
// tree counts the potential nodes and the candidates without PDB violations, and keeps the
// two best candidates of each range in pickOneNodeForPreemption's order (the earlier node
// first among equals). The first `wanted` candidates from any start are then two range
// queries, and the pick is their best; the criterion that decided is the one after the run
// of scores the best shares with the second best (for scores x <= y <= z the run x shares
// with z is the shorter of x's with y and y's with z, so no other shares a longer one).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace kubesched {

// What pickOneNodeForPreemption compares, in its order of precedence.
struct CandidateScore {
  int32_t violations = 0;
  int32_t top_priority = 0;  // the highest victim priority
  int64_t priority_sum = 0;  // each shifted by 2^31
  int64_t victims = 0;
  int64_t earliest_top_start = 0;  // among the highest-priority victims
};

constexpr int kCandidateCriteria = 5;

// (how many leading criteria a and b tie on, whether b is the better on the next): fewer
// violations, a lower highest priority, a smaller sum, fewer victims, a later start.
inline std::pair<int, bool> compare_scores(const CandidateScore& a, const CandidateScore& b) {
  if (a.violations != b.violations) return {0, b.violations < a.violations};
  if (a.top_priority != b.top_priority) return {1, b.top_priority < a.top_priority};
  if (a.priority_sum != b.priority_sum) return {2, b.priority_sum < a.priority_sum};
  if (a.victims != b.victims) return {3, b.victims < a.victims};
  if (a.earliest_top_start != b.earliest_top_start) return {4, b.earliest_top_start > a.earliest_top_start};
  return {kCandidateCriteria, false};
}

class CandidateTree {
 public:
  struct Range {
    int32_t potential = 0;
    int32_t candidates = 0;  // without PDB violations
    int32_t violating = 0;   // candidates with some
    int32_t best = -1, second = -1;  // nodes, among the candidates without violations
  };

  void reset(size_t count) {
    size_ = 1;
    while (size_ < count) size_ *= 2;
    ranges_.assign(2 * size_, Range{});
    scores_.assign(count, CandidateScore{});
  }

  // The node's verdict: not potential, potential without a candidate, or a candidate.
  void set(size_t node, bool potential, bool candidate, const CandidateScore& score) {
    scores_[node] = score;
    Range& leaf = ranges_[size_ + node];
    leaf = Range{};
    leaf.potential = potential ? 1 : 0;
    if (candidate && score.violations > 0) leaf.violating = 1;
    if (candidate && score.violations == 0) {
      leaf.candidates = 1;
      leaf.best = static_cast<int32_t>(node);
    }
    for (size_t i = (size_ + node) / 2; i >= 1; i /= 2) ranges_[i] = join(ranges_[2 * i], ranges_[2 * i + 1]);
  }

  const Range& all() const { return ranges_[1]; }
  const CandidateScore& score(int32_t node) const { return scores_[static_cast<size_t>(node)]; }

  // Nodes [from, to), in index order.
  Range query(size_t from, size_t to) const {
    Range left, right;
    for (size_t l = from + size_, r = to + size_; l < r; l /= 2, r /= 2) {
      if (l & 1) left = join(left, ranges_[l++]);
      if (r & 1) right = join(ranges_[--r], right);
    }
    return join(left, right);
  }

  // The node holding the k-th (from 1) potential node / candidate in index order.
  size_t kth_potential(int32_t k) const { return kth(k, &Range::potential); }
  size_t kth_candidate(int32_t k) const { return kth(k, &Range::candidates); }

  // `earlier`'s nodes come first in the walk: among equals its own win.
  Range join(const Range& earlier, const Range& later) const {
    Range out;
    out.potential = earlier.potential + later.potential;
    out.candidates = earlier.candidates + later.candidates;
    out.violating = earlier.violating + later.violating;
    if (earlier.best < 0) {
      out.best = later.best;
      out.second = later.second;
    } else if (later.best < 0) {
      out.best = earlier.best;
      out.second = earlier.second;
    } else if (better(earlier.best, later.best)) {
      out.best = later.best;
      out.second = later.second >= 0 && better(earlier.best, later.second) ? later.second : earlier.best;
    } else {
      out.best = earlier.best;
      out.second = earlier.second >= 0 && !better(earlier.second, later.best) ? earlier.second : later.best;
    }
    return out;
  }

 private:
  bool better(int32_t than, int32_t node) const { return compare_scores(score(than), score(node)).second; }

  size_t kth(int32_t k, int32_t Range::*count) const {
    size_t i = 1;
    while (i < size_) {
      if (ranges_[2 * i].*count >= k) {
        i = 2 * i;
      } else {
        k -= ranges_[2 * i].*count;
        i = 2 * i + 1;
      }
    }
    return i - size_;
  }

  size_t size_ = 1;
  std::vector<Range> ranges_;
  std::vector<CandidateScore> scores_;
};

}  // namespace kubesched
