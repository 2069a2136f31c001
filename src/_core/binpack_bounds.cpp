// Lower bounds on the cost of packing: per-resource volume at the best price per unit, and
// with one node template Martello and Toth's L2 per resource, a greedy clique of items that
// pairwise conflict, and, when no three items fit a bin together, items minus a maximum
// matching.
#include <algorithm>
#include <vector>

#include "binpack_detail.hpp"
#include "matching.hpp"

namespace kubesched::binpack {
namespace {

using namespace detail;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Martello and Toth's L2 for one resource (positive sizes, each <= capacity): for a
// threshold k, items larger than capacity - k need a bin of their own, items larger than
// half need one each as well, and items of size in [k, capacity/2] can only use what the
// latter leave free.
int64_t l2_bound(std::vector<int64_t> x, int64_t capacity) {
  if (x.empty() || capacity <= 0) return 0;
  std::sort(x.begin(), x.end());
  std::vector<int64_t> prefix(x.size() + 1, 0);
  for (size_t i = 0; i < x.size(); ++i) prefix[i + 1] = prefix[i] + x[i];
  auto count_above = [&](int64_t v) {  // items > v
    return static_cast<int64_t>(x.end() - std::upper_bound(x.begin(), x.end(), v));
  };
  auto sum_above = [&](int64_t v) {
    return prefix.back() - prefix[static_cast<size_t>(std::upper_bound(x.begin(), x.end(), v) - x.begin())];
  };
  auto sum_from = [&](int64_t v) {  // items >= v
    return prefix.back() - prefix[static_cast<size_t>(std::lower_bound(x.begin(), x.end(), v) - x.begin())];
  };
  const int64_t half = capacity / 2;  // x <= half  <=>  2x <= capacity
  int64_t best = ceil_div(prefix.back(), capacity);
  std::vector<int64_t> thresholds{0};
  for (int64_t v : x)
    if (v <= half && v != thresholds.back()) thresholds.push_back(v);
  for (int64_t k : thresholds) {
    int64_t big = count_above(capacity - k);
    int64_t over_half = count_above(half) - big;
    int64_t over_half_sum = sum_above(half) - sum_above(capacity - k);
    int64_t small_sum = sum_from(k) - sum_above(half);
    int64_t room = over_half * capacity - over_half_sum;
    int64_t extra = small_sum > room ? ceil_div(small_sum - room, capacity) : 0;
    best = std::max(best, big + over_half + extra);
  }
  return best;
}

// Items that pairwise cannot share a bin need a bin each. The clique is grown greedily: next
// the candidate with the most conflicts among the remaining candidates (lowest index on
// ties), then only its conflicting candidates remain.
int64_t clique_bound(const Problem& p, const std::vector<int32_t>& items, int32_t type) {
  const size_t n = items.size();
  if (n == 0 || n > kCliqueItemLimit) return 0;
  const int64_t* capacity = p.type_capacity(type);
  std::vector<uint8_t> conflicts(n * n, 0);
  std::vector<int64_t> degree(n, 0);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b)
      if (conflict(p, items[a], items[b], capacity)) {
        conflicts[a * n + b] = conflicts[b * n + a] = 1;
        ++degree[a], ++degree[b];
      }
  std::vector<size_t> candidates(n);
  for (size_t a = 0; a < n; ++a) candidates[a] = a;
  int64_t clique = 0;
  while (!candidates.empty()) {
    size_t chosen = candidates[0];
    for (size_t a : candidates)
      if (degree[a] > degree[chosen]) chosen = a;
    ++clique;
    std::vector<size_t> kept, dropped;
    for (size_t a : candidates) (conflicts[chosen * n + a] ? kept : dropped).push_back(a);
    for (size_t gone : dropped)
      for (size_t a : kept) degree[a] -= conflicts[gone * n + a];
    candidates = std::move(kept);
  }
  return clique;
}

// When no three items fit together in a bin of the type, a bin holds at most a pair and the
// fewest bins are the items minus a maximum matching. Returns 0 when a triple fits or the
// check would take too long.
int64_t pairs_only_bound(const Problem& p, const std::vector<int32_t>& items, int32_t type) {
  const size_t n = items.size();
  if (n < 3 || n > kMatchingItemLimit) return 0;
  const int64_t* capacity = p.type_capacity(type);
  std::vector<std::vector<int32_t>> adjacency(n);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b)
      if (!conflict(p, items[a], items[b], capacity)) {
        adjacency[a].push_back(static_cast<int32_t>(b));
        adjacency[b].push_back(static_cast<int32_t>(a));
      }
  int64_t budget = 50'000'000;
  std::vector<int64_t> room(static_cast<size_t>(p.dims));
  for (size_t a = 0; a < n; ++a)
    for (int32_t b : adjacency[a]) {
      if (static_cast<size_t>(b) <= a) continue;
      const int64_t* sa = p.item_size(items[a]);
      const int64_t* sb = p.item_size(items[static_cast<size_t>(b)]);
      for (int32_t r = 0; r < p.dims; ++r) room[static_cast<size_t>(r)] = capacity[r] - sa[r] - sb[r];
      for (int32_t c : adjacency[a]) {  // a third item must at least fit with a
        if (c == b) continue;
        if (--budget < 0) return 0;
        const int64_t* sc = p.item_size(items[static_cast<size_t>(c)]);
        bool fits = true;
        for (int32_t r = 0; r < p.dims && fits; ++r) fits = sc[r] <= room[static_cast<size_t>(r)];
        if (fits) return 0;
      }
    }
  Matching matching(std::move(adjacency), std::vector<int32_t>(n, -1));
  const std::vector<int32_t>& mate = matching.maximum();
  int64_t pairs = 0;
  for (size_t a = 0; a < n; ++a) pairs += mate[a] > static_cast<int32_t>(a);
  return static_cast<int64_t>(n) - pairs;
}

}  // namespace

int64_t lower_bound(const Problem& p) {
  p.validate();
  std::vector<int32_t> items;
  for (int32_t i = 0; i < p.items; ++i)
    if (p.placeable(i)) items.push_back(i);
  int64_t bound = 0;
  // Volume: per resource, what the limited bins (existing nodes) can take must be bought at
  // the best price per unit among the unlimited types. A limited type takes at most its
  // capacity, and at most what the items that fit it alone request.
  std::vector<int64_t> demand(static_cast<size_t>(p.dims), 0);
  for (int32_t i : items)
    for (int32_t r = 0; r < p.dims; ++r) demand[static_cast<size_t>(r)] += p.item_size(i)[r];
  std::vector<int64_t> usable(static_cast<size_t>(p.dims));
  for (int32_t t = 0; t < p.types; ++t) {
    const int64_t limit = p.limit[static_cast<size_t>(t)];
    if (limit < 0) continue;
    std::fill(usable.begin(), usable.end(), 0);
    for (int32_t i : items)
      if (p.fits_empty(i, t))
        for (int32_t r = 0; r < p.dims; ++r) usable[static_cast<size_t>(r)] += p.item_size(i)[r];
    for (int32_t r = 0; r < p.dims; ++r)
      demand[static_cast<size_t>(r)] -= std::min(limit * p.type_capacity(t)[r], usable[static_cast<size_t>(r)]);
  }
  for (int32_t r = 0; r < p.dims; ++r) {
    if (demand[static_cast<size_t>(r)] <= 0) continue;
    int64_t cheapest = -1;
    for (int32_t t = 0; t < p.types; ++t) {
      int64_t c = p.type_capacity(t)[r];
      if (p.limit[static_cast<size_t>(t)] >= 0 || c == 0) continue;
      __int128 need = (static_cast<__int128>(demand[static_cast<size_t>(r)]) * p.cost[static_cast<size_t>(t)] + c - 1) / c;
      if (cheapest < 0 || need < cheapest) cheapest = static_cast<int64_t>(need);
    }
    bound = std::max(bound, cheapest);
  }
  // One template and nothing else: the stronger bounds of classic vector bin packing.
  if (p.types == 1 && p.limit[0] < 0) {
    int64_t bins = std::max(clique_bound(p, items, 0), pairs_only_bound(p, items, 0));
    for (int32_t r = 0; r < p.dims; ++r) {
      std::vector<int64_t> sizes;
      for (int32_t i : items)
        if (p.item_size(i)[r] > 0) sizes.push_back(p.item_size(i)[r]);
      bins = std::max(bins, l2_bound(std::move(sizes), p.type_capacity(0)[r]));
    }
    bound = std::max(bound, bins * p.cost[0]);
  }
  return bound;
}

}  // namespace kubesched::binpack
