// The improvement phase: take a bin away and put its items elsewhere (a tabu search on the
// items left out, with ejections), re-pair the bins of one or two items by a maximum
// matching, and with several templates move bins to cheaper types or merge two bins.
#include <algorithm>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "binpack_detail.hpp"
#include "matching.hpp"

namespace kubesched::binpack {
namespace {

using namespace detail;

// A packing being improved: the bins with their items, and the items out of any bin.
class LocalSearch {
 public:
  LocalSearch(const Problem& p, uint64_t seed, Clock::time_point deadline)
      : p_(p), rng_(seed), deadline_(deadline), used_(static_cast<size_t>(p.types), 0) {
    auto scale = reference_scale(p);
    weight_.resize(static_cast<size_t>(p.items));
    for (int32_t i = 0; i < p.items; ++i) {
      const int64_t* s = p.item_size(i);
      double w = 0;
      for (int32_t r = 0; r < p.dims; ++r) w += static_cast<double>(s[r]) / scale[static_cast<size_t>(r)];
      weight_[static_cast<size_t>(i)] = w;
    }
  }

  Packing run(const Packing& start, int64_t stop_at, Result& stats) {
    load(start);
    int64_t failures = 0;
    bool rematch = true;
    while (Clock::now() < deadline_ && cost() > stop_at) {
      if (p_.types > 1 && retype()) continue;
      if (rematch) {
        rematch = false;
        if (pair_up()) continue;
      }
      int32_t victim = choose_victim(failures);
      if (victim < 0) break;
      if (eliminate(victim)) {
        ++stats.eliminations;
        failures = 0;
        rematch = true;
      } else {
        ++failures;
      }
    }
    stats.iterations += iteration_;
    return packing();
  }

 private:
  struct Bin {
    int32_t type = 0;
    std::vector<int64_t> residual;
    std::vector<int32_t> items;
  };

  void load(const Packing& start) {
    bins_.clear();
    unplaced_.clear();
    std::fill(used_.begin(), used_.end(), 0);
    for (int32_t type : start.bin_type) new_bin(type);
    for (int32_t i = 0; i < p_.items; ++i) {
      int32_t b = start.item_bin[static_cast<size_t>(i)];
      if (b >= 0) add(i, static_cast<size_t>(b));
      else unplaced_.push_back(i);
    }
    // Free bins (existing nodes) that the packing left empty can still take items.
    for (int32_t t = 0; t < p_.types; ++t)
      if (p_.cost[static_cast<size_t>(t)] == 0)
        while (used_[static_cast<size_t>(t)] < p_.limit[static_cast<size_t>(t)]) new_bin(t);
  }

  void new_bin(int32_t type) {
    Bin bin;
    bin.type = type;
    const int64_t* c = p_.type_capacity(type);
    bin.residual.assign(c, c + p_.dims);
    bins_.push_back(std::move(bin));
    ++used_[static_cast<size_t>(type)];
  }

  Packing packing() const {
    Packing out;
    out.item_bin.assign(static_cast<size_t>(p_.items), -1);
    for (const Bin& bin : bins_) {
      if (bin.items.empty()) continue;
      for (int32_t i : bin.items) out.item_bin[static_cast<size_t>(i)] = static_cast<int32_t>(out.bin_type.size());
      out.bin_type.push_back(bin.type);
      out.cost += p_.cost[static_cast<size_t>(bin.type)];
    }
    out.unplaced = static_cast<int32_t>(unplaced_.size());
    return out;
  }

  int64_t cost() const {
    int64_t total = 0;
    for (const Bin& bin : bins_)
      if (!bin.items.empty()) total += p_.cost[static_cast<size_t>(bin.type)];
    return total;
  }

  const int64_t* size(int32_t item) const { return p_.item_size(item); }
  double weight(int32_t item) const { return weight_[static_cast<size_t>(item)]; }

  void add(int32_t item, size_t b) {
    Bin& bin = bins_[b];
    const int64_t* s = size(item);
    for (int32_t r = 0; r < p_.dims; ++r) bin.residual[static_cast<size_t>(r)] -= s[r];
    bin.items.push_back(item);
  }

  void remove(int32_t item, size_t b) {
    Bin& bin = bins_[b];
    const int64_t* s = size(item);
    for (int32_t r = 0; r < p_.dims; ++r) bin.residual[static_cast<size_t>(r)] += s[r];
    bin.items.erase(std::find(bin.items.begin(), bin.items.end(), item));
  }

  void to_pool(int32_t item, size_t b) {
    remove(item, b);
    pool_.push_back(item);
    pool_weight_ += weight(item);
    forbid(item, b, iteration_ + tenure());
  }

  void from_pool(int32_t item, size_t b) {
    pool_.erase(std::find(pool_.begin(), pool_.end(), item));
    pool_weight_ -= weight(item);
    add(item, b);
  }

  void forbid(int32_t item, size_t b, int64_t until) {
    auto& entries = tabu_[static_cast<size_t>(item)];
    std::erase_if(entries, [&](const auto& entry) { return entry.second <= iteration_ || entry.first == b; });
    entries.emplace_back(b, until);
  }

  int64_t tenure() { return 3 + static_cast<int64_t>(rng_() % (2 * pool_.size() + 3)); }

  bool may_enter(int32_t item, size_t b) const {
    if (!p_.may_use(item, bins_[b].type)) return false;
    for (const auto& [bin, until] : tabu_[static_cast<size_t>(item)])
      if (bin == b && until > iteration_) return false;
    return true;
  }

  // Would the bin still fit after `in` items enter and `out` items leave?
  bool fits_exchange(size_t b, std::initializer_list<int32_t> in, std::initializer_list<int32_t> out) const {
    const Bin& bin = bins_[b];
    for (int32_t r = 0; r < p_.dims; ++r) {
      int64_t room = bin.residual[static_cast<size_t>(r)];
      for (int32_t o : out) room += size(o)[r];
      for (int32_t i : in) room -= size(i)[r];
      if (room < 0) return false;
    }
    return true;
  }

  // A bin with the least load per cost, randomised so that repeated failures try others.
  int32_t choose_victim(int64_t failures) {
    std::vector<std::pair<double, int32_t>> candidates;
    for (size_t b = 0; b < bins_.size(); ++b) {
      const Bin& bin = bins_[b];
      int64_t c = p_.cost[static_cast<size_t>(bin.type)];
      if (bin.items.empty() || c == 0) continue;
      double load = 0;
      for (int32_t i : bin.items) load += weight(i);
      candidates.emplace_back(load / static_cast<double>(c), static_cast<int32_t>(b));
    }
    if (candidates.empty()) return -1;
    std::sort(candidates.begin(), candidates.end());
    if (failures == 0) return candidates.front().second;
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    auto index = static_cast<size_t>(static_cast<double>(candidates.size()) * u * u * u);
    return candidates[std::min(index, candidates.size() - 1)].second;
  }

  // Removes the bin and tries to put its items elsewhere; restores the packing on failure.
  bool eliminate(int32_t victim) {
    std::vector<Bin> saved = bins_;
    std::vector<int32_t> saved_used = used_;
    auto b = static_cast<size_t>(victim);
    pool_ = bins_[b].items;
    pool_weight_ = 0;
    for (int32_t i : pool_) pool_weight_ += weight(i);
    --used_[static_cast<size_t>(bins_[b].type)];
    bins_.erase(bins_.begin() + victim);
    if (empty_pool()) {
      drop_empty_bins();
      return true;
    }
    bins_ = std::move(saved);
    used_ = std::move(saved_used);
    pool_.clear();
    return false;
  }

  void drop_empty_bins() {
    std::vector<Bin> kept;
    for (Bin& bin : bins_) {
      if (bin.items.empty() && p_.cost[static_cast<size_t>(bin.type)] > 0) --used_[static_cast<size_t>(bin.type)];
      else kept.push_back(std::move(bin));
    }
    bins_ = std::move(kept);
  }

  // Tabu search on the items out of any bin: descend while the pool's weight drops, then
  // force one item in, ejecting the lightest set of items that makes room.
  bool empty_pool() {
    tabu_.assign(static_cast<size_t>(p_.items), {});
    const int64_t patience = 200 + 10 * static_cast<int64_t>(p_.items);
    double best = std::numeric_limits<double>::infinity();
    int64_t since_best = 0;
    for (;;) {
      descend();
      if (pool_.empty()) return true;
      if (pool_weight_ < best - kEpsilon) {
        best = pool_weight_;
        since_best = 0;
      } else if (++since_best > patience) {
        return false;
      }
      if (Clock::now() >= deadline_) return false;
      if (!tabu_step()) return false;
      ++iteration_;
    }
  }

  void descend() {
    while (!pool_.empty() && (insert() || swap_one_for_one() || swap_two_for_one() || swap_one_for_two())) {
    }
  }

  // Pool items that fit somewhere go in, heaviest first, each into the tightest bin.
  bool insert() {
    std::vector<int32_t> order = pool_;
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return weight(a) > weight(b); });
    bool any = false;
    for (int32_t item : order) {
      int32_t best_bin = -1;
      double best_slack = std::numeric_limits<double>::infinity();
      for (size_t b = 0; b < bins_.size(); ++b) {
        if (!p_.may_use(item, bins_[b].type) || !fits_exchange(b, {item}, {})) continue;
        const int64_t* c = p_.type_capacity(bins_[b].type);
        double slack = 0;
        for (int32_t r = 0; r < p_.dims; ++r)
          if (c[r] > 0) slack += static_cast<double>(bins_[b].residual[static_cast<size_t>(r)] - size(item)[r]) / static_cast<double>(c[r]);
        if (slack < best_slack) { best_slack = slack; best_bin = static_cast<int32_t>(b); }
      }
      if (best_bin >= 0) {
        from_pool(item, static_cast<size_t>(best_bin));
        any = true;
      }
    }
    return any;
  }

  // A pool item takes the place of a lighter item of a bin.
  bool swap_one_for_one() {
    double best_gain = kEpsilon;
    int32_t best_in = -1, best_out = -1, best_bin = -1;
    for (int32_t y : pool_)
      for (size_t b = 0; b < bins_.size(); ++b) {
        if (!may_enter(y, b)) continue;
        for (int32_t x : bins_[b].items) {
          double gain = weight(y) - weight(x);
          if (gain > best_gain && fits_exchange(b, {y}, {x})) {
            best_gain = gain;
            best_in = y, best_out = x, best_bin = static_cast<int32_t>(b);
          }
        }
      }
    if (best_bin < 0) return false;
    to_pool(best_out, static_cast<size_t>(best_bin));
    from_pool(best_in, static_cast<size_t>(best_bin));
    return true;
  }

  // A pool item takes the place of two lighter items of a bin.
  bool swap_two_for_one() {
    double best_gain = kEpsilon;
    int32_t best_in = -1, best_out1 = -1, best_out2 = -1, best_bin = -1;
    for (int32_t y : pool_)
      for (size_t b = 0; b < bins_.size(); ++b) {
        if (!may_enter(y, b)) continue;
        const auto& items = bins_[b].items;
        if (items.size() > 40) continue;
        for (size_t i = 0; i < items.size(); ++i)
          for (size_t j = i + 1; j < items.size(); ++j) {
            double gain = weight(y) - weight(items[i]) - weight(items[j]);
            if (gain > best_gain && fits_exchange(b, {y}, {items[i], items[j]})) {
              best_gain = gain;
              best_in = y, best_out1 = items[i], best_out2 = items[j], best_bin = static_cast<int32_t>(b);
            }
          }
      }
    if (best_bin < 0) return false;
    auto b = static_cast<size_t>(best_bin);
    to_pool(best_out1, b);
    to_pool(best_out2, b);
    from_pool(best_in, b);
    return true;
  }

  // Two pool items take the place of one lighter item of a bin.
  bool swap_one_for_two() {
    double best_gain = kEpsilon;
    int32_t best_in1 = -1, best_in2 = -1, best_out = -1, best_bin = -1;
    for (size_t a = 0; a < pool_.size(); ++a)
      for (size_t c = a + 1; c < pool_.size(); ++c) {
        int32_t y1 = pool_[a], y2 = pool_[c];
        for (size_t b = 0; b < bins_.size(); ++b) {
          if (!may_enter(y1, b) || !may_enter(y2, b)) continue;
          for (int32_t x : bins_[b].items) {
            double gain = weight(y1) + weight(y2) - weight(x);
            if (gain > best_gain && fits_exchange(b, {y1, y2}, {x})) {
              best_gain = gain;
              best_in1 = y1, best_in2 = y2, best_out = x, best_bin = static_cast<int32_t>(b);
            }
          }
        }
      }
    if (best_bin < 0) return false;
    auto b = static_cast<size_t>(best_bin);
    to_pool(best_out, b);
    from_pool(best_in1, b);
    from_pool(best_in2, b);
    return true;
  }

  // The least bad forced insertion: a pool item enters a bin that it may enter, and the
  // lightest set of up to three of the bin's items that makes room goes to the pool.
  bool tabu_step() {
    double best_delta = std::numeric_limits<double>::infinity();
    int32_t best_item = -1, best_bin = -1;
    std::vector<int32_t> best_out, out;
    int64_t ties = 0;
    std::vector<int64_t> deficit(static_cast<size_t>(p_.dims));
    auto consider = [&](double delta, int32_t item, size_t b) {
      if (delta < best_delta - kEpsilon) {
        ties = 1;
      } else if (delta <= best_delta + kEpsilon) {
        if (rng_() % static_cast<uint64_t>(++ties) != 0) return;
      } else {
        return;
      }
      best_delta = std::min(best_delta, delta);
      best_item = item;
      best_bin = static_cast<int32_t>(b);
      best_out = out;
    };
    auto covers = [&](std::initializer_list<int32_t> leaving) {
      for (int32_t r = 0; r < p_.dims; ++r) {
        int64_t freed = 0;
        for (int32_t x : leaving) freed += size(x)[r];
        if (freed < deficit[static_cast<size_t>(r)]) return false;
      }
      return true;
    };
    for (int32_t y : pool_)
      for (size_t b = 0; b < bins_.size(); ++b) {
        if (!may_enter(y, b)) continue;
        const auto& items = bins_[b].items;
        for (int32_t r = 0; r < p_.dims; ++r)
          deficit[static_cast<size_t>(r)] = size(y)[r] - bins_[b].residual[static_cast<size_t>(r)];
        const size_t m = items.size();
        for (size_t i = 0; i < m; ++i) {
          double wi = weight(items[i]);
          if (wi - weight(y) <= best_delta + kEpsilon && covers({items[i]})) {
            out = {items[i]};
            consider(wi - weight(y), y, b);
          }
          if (m > 40) continue;
          for (size_t j = i + 1; j < m; ++j) {
            double wij = wi + weight(items[j]);
            if (wij - weight(y) <= best_delta + kEpsilon && covers({items[i], items[j]})) {
              out = {items[i], items[j]};
              consider(wij - weight(y), y, b);
            }
            if (m > 10) continue;
            for (size_t k = j + 1; k < m; ++k) {
              double wijk = wij + weight(items[k]);
              if (wijk - weight(y) <= best_delta + kEpsilon && covers({items[i], items[j], items[k]})) {
                out = {items[i], items[j], items[k]};
                consider(wijk - weight(y), y, b);
              }
            }
          }
        }
      }
    if (best_item < 0) return false;
    auto b = static_cast<size_t>(best_bin);
    for (int32_t x : best_out) to_pool(x, b);
    from_pool(best_item, b);
    return true;
  }

  // Per type, the items of its bins that hold one or two items are re-paired by a maximum
  // matching; applied when that needs fewer bins.
  bool pair_up() {
    bool improved = false;
    for (int32_t t = 0; t < p_.types; ++t) {
      if (p_.cost[static_cast<size_t>(t)] == 0) continue;
      std::vector<size_t> small_bins;
      std::vector<int32_t> items;
      for (size_t b = 0; b < bins_.size(); ++b)
        if (bins_[b].type == t && !bins_[b].items.empty() && bins_[b].items.size() <= 2) {
          small_bins.push_back(b);
          items.insert(items.end(), bins_[b].items.begin(), bins_[b].items.end());
        }
      if (small_bins.size() < 2 || items.size() > kMatchingItemLimit) continue;
      const size_t n = items.size();
      std::vector<std::vector<int32_t>> adjacency(n);
      const int64_t* capacity = p_.type_capacity(t);
      for (size_t a = 0; a < n; ++a)
        for (size_t b = a + 1; b < n; ++b)
          if (!conflict(p_, items[a], items[b], capacity)) {
            adjacency[a].push_back(static_cast<int32_t>(b));
            adjacency[b].push_back(static_cast<int32_t>(a));
          }
      std::vector<int32_t> mate(n, -1);
      for (size_t k = 0, a = 0; k < small_bins.size(); a += bins_[small_bins[k]].items.size(), ++k)
        if (bins_[small_bins[k]].items.size() == 2) {
          mate[a] = static_cast<int32_t>(a + 1);
          mate[a + 1] = static_cast<int32_t>(a);
        }
      Matching matching(std::move(adjacency), std::move(mate));
      const std::vector<int32_t>& best = matching.maximum();
      size_t pairs = 0;
      for (size_t a = 0; a < n; ++a) pairs += best[a] > static_cast<int32_t>(a);
      if (n - pairs >= small_bins.size()) continue;
      // Refill the small bins with the new pairs and singles; the bins left over are dropped.
      size_t next = 0;
      for (size_t b : small_bins) rebuild_bin(b, t, {});
      for (size_t a = 0; a < n; ++a) {
        if (best[a] >= 0 && best[a] < static_cast<int32_t>(a)) continue;
        std::vector<int32_t> content{items[a]};
        if (best[a] >= 0) content.push_back(items[static_cast<size_t>(best[a])]);
        rebuild_bin(small_bins[next++], t, content);
      }
      drop_empty_bins();
      improved = true;
    }
    return improved;
  }

  bool type_has_room(int32_t type) const {
    int32_t limit = p_.limit[static_cast<size_t>(type)];
    return limit < 0 || used_[static_cast<size_t>(type)] < limit;
  }

  // The cheapest type other than `current` cheaper than `budget` that takes all the items.
  int32_t cheaper_type(const std::vector<int32_t>& items, int32_t current, int64_t budget) const {
    int32_t best = -1;
    for (int32_t t = 0; t < p_.types; ++t) {
      int64_t c = p_.cost[static_cast<size_t>(t)];
      if (t == current || c >= budget || !type_has_room(t)) continue;
      if (best >= 0 && c >= p_.cost[static_cast<size_t>(best)]) continue;
      const int64_t* cap = p_.type_capacity(t);
      bool ok = true;
      for (int32_t r = 0; r < p_.dims && ok; ++r) {
        int64_t total = 0;
        for (int32_t i : items) total += size(i)[r];
        ok = total <= cap[r];
      }
      for (int32_t i : items) ok = ok && p_.may_use(i, t);
      if (ok) best = t;
    }
    return best;
  }

  void rebuild_bin(size_t b, int32_t type, const std::vector<int32_t>& items) {
    --used_[static_cast<size_t>(bins_[b].type)];
    ++used_[static_cast<size_t>(type)];
    const int64_t* c = p_.type_capacity(type);
    bins_[b].type = type;
    bins_[b].residual.assign(c, c + p_.dims);
    bins_[b].items.clear();
    for (int32_t i : items) add(i, b);
  }

  // With several templates: a bin whose items fit a cheaper type changes type, and two bins
  // whose items together fit a type cheaper than both become one.
  bool retype() {
    for (size_t b = 0; b < bins_.size(); ++b) {
      const Bin& bin = bins_[b];
      int64_t c = p_.cost[static_cast<size_t>(bin.type)];
      if (bin.items.empty() || c == 0) continue;
      int32_t t = cheaper_type(bin.items, bin.type, c);
      if (t >= 0) {
        std::vector<int32_t> items = bin.items;
        rebuild_bin(b, t, items);
        return true;
      }
    }
    for (size_t a = 0; a < bins_.size(); ++a)
      for (size_t b = a + 1; b < bins_.size(); ++b) {
        int64_t ca = p_.cost[static_cast<size_t>(bins_[a].type)], cb = p_.cost[static_cast<size_t>(bins_[b].type)];
        if (ca == 0 || cb == 0 || bins_[a].items.empty() || bins_[b].items.empty()) continue;
        std::vector<int32_t> items = bins_[a].items;
        items.insert(items.end(), bins_[b].items.begin(), bins_[b].items.end());
        int32_t t = cheaper_type(items, -1, ca + cb);
        if (t < 0) continue;
        rebuild_bin(a, t, items);
        bins_[b].items.clear();
        drop_empty_bins();
        return true;
      }
    return false;
  }

  const Problem& p_;
  std::mt19937_64 rng_;
  Clock::time_point deadline_;
  std::vector<int32_t> used_;  // bins per type
  std::vector<double> weight_;
  std::vector<Bin> bins_;
  std::vector<int32_t> unplaced_;
  std::vector<int32_t> pool_;
  double pool_weight_ = 0;
  // Per item: (bin, iteration) pairs; the item may not enter the bin again before the iteration.
  std::vector<std::vector<std::pair<size_t, int64_t>>> tabu_;
  int64_t iteration_ = 0;
};

}  // namespace

namespace detail {

Packing improve(const Problem& p, const Packing& start, int64_t stop_at, uint64_t seed,
                Clock::time_point deadline, Result& stats) {
  return LocalSearch(p, seed, deadline).run(start, stop_at, stats);
}

}  // namespace detail
}  // namespace kubesched::binpack
