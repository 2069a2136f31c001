// A max segment tree over node totals (kInfeasible for an infeasible node) that also counts
// ties, so picking the best node, or a uniformly random one among the best, is O(log N).
#pragma once

#include <cstdint>
#include <vector>

namespace kubesched {

// No feasible node's total: totals may be negative (upstream's wrapping int64 resource
// scores), so feasibility is not read from the sign.
constexpr int64_t kInfeasible = INT64_MIN;

class SelectTree {
 public:
  void assign(const std::vector<int64_t>& totals) {
    leaves_ = 1;
    while (leaves_ < totals.size()) leaves_ <<= 1;
    best_.assign(2 * leaves_, kInfeasible);
    count_.assign(2 * leaves_, 0);
    for (size_t i = 0; i < totals.size(); ++i) {
      best_[leaves_ + i] = totals[i];
      count_[leaves_ + i] = totals[i] != kInfeasible ? 1 : 0;
    }
    for (size_t i = leaves_ - 1; i >= 1; --i) pull(i);
  }

  void set(size_t index, int64_t total) {
    size_t i = leaves_ + index;
    best_[i] = total;
    count_[i] = total != kInfeasible ? 1 : 0;
    for (i >>= 1; i >= 1; i >>= 1) pull(i);
  }

  // Leaves standing for several tied entries each (a group of nodes with one best total).
  void assign(const std::vector<int64_t>& totals, const std::vector<int64_t>& ties) {
    assign(totals);
    for (size_t i = 0; i < totals.size(); ++i) count_[leaves_ + i] = totals[i] != kInfeasible ? ties[i] : 0;
    for (size_t i = leaves_ - 1; i >= 1; --i) pull(i);
  }

  void set(size_t index, int64_t total, int64_t ties) {
    size_t i = leaves_ + index;
    best_[i] = total;
    count_[i] = total != kInfeasible ? ties : 0;
    for (i >>= 1; i >= 1; i >>= 1) pull(i);
  }

  // How many leaves before `index` hold the best total.
  int64_t ties_before(size_t index) const {
    const int64_t target = best_[1];
    if (target == kInfeasible || index == 0) return 0;
    if (index >= leaves_) return count_[1];
    int64_t before = 0;
    size_t i = 1, lo = 0, width = leaves_;
    while (width > 1) {
      width >>= 1;
      const size_t left = 2 * i;
      if (index < lo + width) {
        i = left;
      } else {
        if (best_[left] == target) before += count_[left];
        lo += width;
        i = left + 1;
      }
    }
    return before;
  }

  // The leaves holding the best total, in order.
  void best_leaves(std::vector<int32_t>& out) const {
    out.clear();
    if (best_[1] == kInfeasible) return;
    collect(1, best_[1], out);
  }

  int64_t best() const { return best_[1]; }
  int64_t ties() const { return count_[1]; }

  // The k-th (0-based, in node order) of the nodes holding the best total.
  int32_t pick(int64_t k) const {
    const int64_t target = best_[1];
    size_t i = 1;
    while (i < leaves_) {
      size_t left = 2 * i;
      int64_t in_left = best_[left] == target ? count_[left] : 0;
      if (k < in_left) {
        i = left;
      } else {
        k -= in_left;
        i = left + 1;
      }
    }
    return static_cast<int32_t>(i - leaves_);
  }

 private:
  void collect(size_t i, int64_t target, std::vector<int32_t>& out) const {
    if (best_[i] != target || count_[i] == 0) return;
    if (i >= leaves_) {
      out.push_back(static_cast<int32_t>(i - leaves_));
      return;
    }
    collect(2 * i, target, out);
    collect(2 * i + 1, target, out);
  }

  void pull(size_t i) {
    const size_t l = 2 * i, r = l + 1;
    if (best_[l] > best_[r]) {
      best_[i] = best_[l];
      count_[i] = count_[l];
    } else if (best_[r] > best_[l]) {
      best_[i] = best_[r];
      count_[i] = count_[r];
    } else {
      best_[i] = best_[l];
      count_[i] = best_[l] != kInfeasible ? count_[l] + count_[r] : 0;
    }
  }

  size_t leaves_ = 1;
  std::vector<int64_t> best_{kInfeasible, kInfeasible};
  std::vector<int64_t> count_{0, 0};
};

}  // namespace kubesched
