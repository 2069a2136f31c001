#include "binpack.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>

namespace kubesched::binpack {

// -- the problem ---------------------------------------------------------------------------

bool Problem::fits_empty(int32_t item, int32_t type) const {
  if (!may_use(item, type)) return false;
  const int64_t* s = item_size(item);
  const int64_t* c = type_capacity(type);
  for (int32_t r = 0; r < dims; ++r)
    if (s[r] > c[r]) return false;
  return true;
}

bool Problem::placeable(int32_t item) const {
  for (int32_t t = 0; t < types; ++t)
    if (fits_empty(item, t)) return true;
  return false;
}

void Problem::validate() const {
  if (dims < 0 || items < 0 || types < 0) throw std::invalid_argument("negative problem dimensions");
  if (size.size() != static_cast<size_t>(items) * dims) throw std::invalid_argument("size: wrong length");
  if (capacity.size() != static_cast<size_t>(types) * dims)
    throw std::invalid_argument("capacity: wrong length");
  if (cost.size() != static_cast<size_t>(types) || limit.size() != static_cast<size_t>(types))
    throw std::invalid_argument("cost/limit: one per type");
  if (allowed.size() != static_cast<size_t>(items) * types)
    throw std::invalid_argument("allowed: one per item and type");
  for (int64_t v : size)
    if (v < 0) throw std::invalid_argument("negative item size");
  for (int64_t v : capacity)
    if (v < 0) throw std::invalid_argument("negative capacity");
  for (int64_t v : cost)
    if (v < 0) throw std::invalid_argument("negative cost");
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kEpsilon = 1e-9;
constexpr size_t kCliqueItemLimit = 4000;  // the conflict matrix is n * n bytes
constexpr size_t kMatchingItemLimit = 3000;

// Sizes are compared on one scale: per resource, the largest capacity of any type.
std::vector<double> reference_scale(const Problem& p) {
  std::vector<double> scale(static_cast<size_t>(p.dims), 1.0);
  for (int32_t r = 0; r < p.dims; ++r) {
    int64_t largest = 0;
    for (int32_t t = 0; t < p.types; ++t) largest = std::max(largest, p.type_capacity(t)[r]);
    if (largest > 0) scale[static_cast<size_t>(r)] = static_cast<double>(largest);
  }
  return scale;
}

// Each resource's share of the placeable items' scaled demand; uniform when there is none.
std::vector<double> demand_share(const Problem& p, const std::vector<double>& scale) {
  std::vector<double> share(static_cast<size_t>(p.dims), 0.0);
  double total = 0;
  for (int32_t i = 0; i < p.items; ++i) {
    if (!p.placeable(i)) continue;
    const int64_t* s = p.item_size(i);
    for (int32_t r = 0; r < p.dims; ++r) share[static_cast<size_t>(r)] += static_cast<double>(s[r]) / scale[static_cast<size_t>(r)];
  }
  for (double v : share) total += v;
  for (auto& v : share) v = total > 0 ? v / total : 1.0 / std::max(1, p.dims);
  return share;
}

double order_key(const Problem& p, int32_t item, Order order, const std::vector<double>& scale) {
  const int64_t* s = p.item_size(item);
  double key = 0;
  for (int32_t r = 0; r < p.dims; ++r) {
    double x = static_cast<double>(s[r]) / scale[static_cast<size_t>(r)];
    if (order == kSumOrder) key += x;
    else if (order == kMaxOrder) key = std::max(key, x);
    else key += x * x;
  }
  return key;
}

// Items that are alike (same sizes and same allowed types) get one class id: the index of
// the first of them. Constructions treat a class as a stack of copies.
std::vector<int32_t> item_classes(const Problem& p) {
  std::map<std::vector<int64_t>, int32_t> seen;
  std::vector<int32_t> cls(static_cast<size_t>(p.items));
  std::vector<int64_t> key(static_cast<size_t>(p.dims + p.types));
  for (int32_t i = 0; i < p.items; ++i) {
    const int64_t* s = p.item_size(i);
    for (int32_t r = 0; r < p.dims; ++r) key[static_cast<size_t>(r)] = s[r];
    for (int32_t t = 0; t < p.types; ++t) key[static_cast<size_t>(p.dims + t)] = p.may_use(i, t);
    cls[static_cast<size_t>(i)] = seen.emplace(key, i).first->second;
  }
  return cls;
}

// Placeable items by decreasing key; equal keys keep each class together, then input order.
std::vector<int32_t> sorted_items(const Problem& p, Order order, const std::vector<double>& scale,
                                  const std::vector<int32_t>& cls) {
  std::vector<int32_t> items;
  std::vector<double> key(static_cast<size_t>(p.items));
  for (int32_t i = 0; i < p.items; ++i) {
    if (!p.placeable(i)) continue;
    items.push_back(i);
    key[static_cast<size_t>(i)] = order_key(p, i, order, scale);
  }
  std::stable_sort(items.begin(), items.end(), [&](int32_t a, int32_t b) {
    double ka = key[static_cast<size_t>(a)], kb = key[static_cast<size_t>(b)];
    if (ka != kb) return ka > kb;
    return cls[static_cast<size_t>(a)] < cls[static_cast<size_t>(b)];
  });
  return items;
}

// A packing under construction: open bins with their residual capacity.
class Builder {
 public:
  explicit Builder(const Problem& p) : p_(p), used_(static_cast<size_t>(p.types), 0) {
    item_bin_.assign(static_cast<size_t>(p.items), -1);
  }

  // Existing nodes (types with a limit) are open from the start so that items fill them first.
  void open_limited() {
    for (int32_t t = 0; t < p_.types; ++t)
      for (int32_t k = 0; k < p_.limit[static_cast<size_t>(t)]; ++k) open(t);
  }

  bool available(int32_t type) const {
    int32_t limit = p_.limit[static_cast<size_t>(type)];
    return limit < 0 || used_[static_cast<size_t>(type)] < limit;
  }

  int32_t open(int32_t type) {
    ++used_[static_cast<size_t>(type)];
    bin_type.push_back(type);
    const int64_t* c = p_.type_capacity(type);
    residual.emplace_back(c, c + p_.dims);
    return static_cast<int32_t>(bin_type.size()) - 1;
  }

  bool fits(int32_t item, int32_t bin) const {
    if (!p_.may_use(item, bin_type[static_cast<size_t>(bin)])) return false;
    const int64_t* s = p_.item_size(item);
    const auto& res = residual[static_cast<size_t>(bin)];
    for (int32_t r = 0; r < p_.dims; ++r)
      if (s[r] > res[static_cast<size_t>(r)]) return false;
    return true;
  }

  void place(int32_t item, int32_t bin) {
    const int64_t* s = p_.item_size(item);
    auto& res = residual[static_cast<size_t>(bin)];
    for (int32_t r = 0; r < p_.dims; ++r) res[static_cast<size_t>(r)] -= s[r];
    item_bin_[static_cast<size_t>(item)] = bin;
  }

  int32_t bin_count() const { return static_cast<int32_t>(bin_type.size()); }

  // Drops empty bins and numbers the rest in opening order.
  Packing finish() const {
    Packing out;
    std::vector<int32_t> renumber(bin_type.size(), -1);
    std::vector<uint8_t> used(bin_type.size(), 0);
    for (int32_t b : item_bin_)
      if (b >= 0) used[static_cast<size_t>(b)] = 1;
    for (size_t b = 0; b < bin_type.size(); ++b) {
      if (!used[b]) continue;
      renumber[b] = static_cast<int32_t>(out.bin_type.size());
      out.bin_type.push_back(bin_type[b]);
      out.cost += p_.cost[static_cast<size_t>(bin_type[b])];
    }
    out.item_bin.resize(item_bin_.size());
    for (size_t i = 0; i < item_bin_.size(); ++i) {
      int32_t b = item_bin_[i];
      out.item_bin[i] = b >= 0 ? renumber[static_cast<size_t>(b)] : -1;
      if (b < 0) ++out.unplaced;
    }
    return out;
  }

  std::vector<int32_t> bin_type;
  std::vector<std::vector<int64_t>> residual;

 private:
  const Problem& p_;
  std::vector<int32_t> used_;
  std::vector<int32_t> item_bin_;
};

// Cost per unit of useful capacity: what a new bin of the type costs for what it holds,
// with capacity weighted by how much each resource is demanded.
std::vector<double> type_price(const Problem& p, const std::vector<double>& scale,
                               const std::vector<double>& share) {
  std::vector<double> price(static_cast<size_t>(p.types));
  for (int32_t t = 0; t < p.types; ++t) {
    const int64_t* c = p.type_capacity(t);
    double value = 0;
    for (int32_t r = 0; r < p.dims; ++r)
      value += share[static_cast<size_t>(r)] * static_cast<double>(c[r]) / scale[static_cast<size_t>(r)];
    price[static_cast<size_t>(t)] =
        value > 0 ? static_cast<double>(p.cost[static_cast<size_t>(t)]) / value : std::numeric_limits<double>::infinity();
  }
  return price;
}

int32_t new_bin_type(const Problem& p, const Builder& builder, int32_t item, int32_t preferred,
                     const std::vector<double>& price) {
  if (preferred >= 0 && builder.available(preferred) && p.fits_empty(item, preferred)) return preferred;
  int32_t best = -1;
  for (int32_t t = 0; t < p.types; ++t) {
    if (!builder.available(t) || !p.fits_empty(item, t)) continue;
    if (best < 0 || price[static_cast<size_t>(t)] < price[static_cast<size_t>(best)]) best = t;
  }
  return best;
}

// Slack left in a bin after adding the item, each resource relative to the bin's capacity.
double slack_after(const Problem& p, const Builder& builder, int32_t item, int32_t bin) {
  const int64_t* s = p.item_size(item);
  const int64_t* c = p.type_capacity(builder.bin_type[static_cast<size_t>(bin)]);
  const auto& res = builder.residual[static_cast<size_t>(bin)];
  double slack = 0;
  for (int32_t r = 0; r < p.dims; ++r)
    if (c[r] > 0) slack += static_cast<double>(res[static_cast<size_t>(r)] - s[r]) / static_cast<double>(c[r]);
  return slack;
}

Packing item_centric(const Problem& p, Rule rule, Order order, int32_t preferred) {
  auto scale = reference_scale(p);
  auto share = demand_share(p, scale);
  auto price = type_price(p, scale, share);
  auto cls = item_classes(p);
  Builder builder(p);
  builder.open_limited();
  // First fit: a copy of a class never fits a bin before the one its previous copy took.
  std::vector<int32_t> first_candidate(static_cast<size_t>(p.items), 0);
  for (int32_t item : sorted_items(p, order, scale, cls)) {
    int32_t chosen = -1;
    if (rule == kFirstFit) {
      int32_t& start = first_candidate[static_cast<size_t>(cls[static_cast<size_t>(item)])];
      for (int32_t b = start; b < builder.bin_count(); ++b)
        if (builder.fits(item, b)) { chosen = b; break; }
    } else {
      double best = std::numeric_limits<double>::infinity();
      for (int32_t b = 0; b < builder.bin_count(); ++b) {
        if (!builder.fits(item, b)) continue;
        double slack = slack_after(p, builder, item, b);
        if (slack < best) { best = slack; chosen = b; }
      }
    }
    if (chosen < 0) {
      int32_t type = new_bin_type(p, builder, item, preferred, price);
      if (type < 0) continue;
      chosen = builder.open(type);
    }
    builder.place(item, chosen);
    if (rule == kFirstFit) first_candidate[static_cast<size_t>(cls[static_cast<size_t>(item)])] = chosen;
  }
  return builder.finish();
}

// Bin-centric: fill one bin at a time, each time with the class of items that suits the
// bin's residual best (dot product with the residual, or closest to it).
class BinCentric {
 public:
  BinCentric(const Problem& p, Rule rule, Order order, Weighting weighting)
      : p_(p), rule_(rule), builder_(p) {
    scale_ = reference_scale(p);
    share_ = demand_share(p, scale_);
    weight_.assign(static_cast<size_t>(p.dims), 1.0);
    if (weighting == kByDemand)
      for (int32_t r = 0; r < p.dims; ++r) weight_[static_cast<size_t>(r)] = share_[static_cast<size_t>(r)] * p.dims;
    auto cls = item_classes(p);
    // Classes in the order of their first item; each is a stack of its items, lowest index first.
    for (int32_t item : sorted_items(p, order, scale_, cls)) {
      int32_t c = cls[static_cast<size_t>(item)];
      auto found = class_slot_.find(c);
      if (found == class_slot_.end()) {
        found = class_slot_.emplace(c, static_cast<int32_t>(members_.size())).first;
        members_.emplace_back();
        representative_.push_back(item);
      }
      members_[static_cast<size_t>(found->second)].push_back(item);
    }
    next_.assign(members_.size(), 0);
  }

  Packing run(int32_t preferred) {
    builder_.open_limited();
    for (int32_t b = 0; b < builder_.bin_count(); ++b)
      fill(builder_.bin_type[static_cast<size_t>(b)], builder_.residual[static_cast<size_t>(b)], b);
    for (;;) {
      int32_t type = choose_type(preferred);
      if (type < 0) break;
      int32_t bin = builder_.open(type);
      fill(type, builder_.residual[static_cast<size_t>(bin)], bin);
    }
    return builder_.finish();
  }

 private:
  bool remaining(size_t c) const { return next_[c] < members_[c].size(); }

  double score(int32_t item, int32_t type, const std::vector<int64_t>& res) const {
    const int64_t* s = p_.item_size(item);
    const int64_t* cap = p_.type_capacity(type);
    double total = 0;
    for (int32_t r = 0; r < p_.dims; ++r) {
      if (cap[r] == 0) continue;
      double c = static_cast<double>(cap[r]);
      double w = weight_[static_cast<size_t>(r)];
      if (rule_ == kDotProduct) {
        total += w * (static_cast<double>(s[r]) / c) * (static_cast<double>(res[static_cast<size_t>(r)]) / c);
      } else {
        double gap = static_cast<double>(res[static_cast<size_t>(r)] - s[r]) / c;
        total -= w * gap * gap;
      }
    }
    return total;
  }

  // Fills a bin of the type starting from the residual; places the items in `bin`, or with
  // bin < 0 only values the type. Returns the share-weighted scaled volume packed.
  double fill(int32_t type, std::vector<int64_t> res, int32_t bin) {
    std::vector<size_t> taken = next_;
    double volume = 0;
    auto take = [&](size_t c) {
      int32_t item = members_[c][taken[c]++];
      const int64_t* s = p_.item_size(item);
      for (int32_t r = 0; r < p_.dims; ++r) {
        res[static_cast<size_t>(r)] -= s[r];
        volume += share_[static_cast<size_t>(r)] * static_cast<double>(s[r]) / scale_[static_cast<size_t>(r)];
      }
      if (bin >= 0) builder_.place(item, bin);
    };
    for (bool first = true;; first = false) {
      auto [a, b] = rule_ == kMinBinSlack ? least_slack(type, res, taken, first) : best_single(type, res, taken);
      if (a < 0) break;
      take(static_cast<size_t>(a));
      if (b >= 0) take(static_cast<size_t>(b));
    }
    if (bin >= 0) next_ = taken;
    return volume;
  }

  bool can_take(size_t c, int32_t type, const std::vector<int64_t>& res, const std::vector<size_t>& taken,
                size_t copies = 1) const {
    if (taken[c] + copies > members_[c].size()) return false;
    int32_t item = representative_[c];
    if (!p_.may_use(item, type)) return false;
    const int64_t* s = p_.item_size(item);
    for (int32_t r = 0; r < p_.dims; ++r)
      if (s[r] * static_cast<int64_t>(copies) > res[static_cast<size_t>(r)]) return false;
    return true;
  }

  std::pair<int32_t, int32_t> best_single(int32_t type, const std::vector<int64_t>& res,
                                          const std::vector<size_t>& taken) const {
    int32_t best_class = -1;
    double best = -std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < members_.size(); ++c) {
      if (!can_take(c, type, res, taken)) continue;
      double value = score(representative_[c], type, res);
      if (value > best) { best = value; best_class = static_cast<int32_t>(c); }
    }
    return {best_class, -1};
  }

  // Room left (scaled to the bin's capacity) after the classes' items enter.
  double slack(int32_t type, const std::vector<int64_t>& res, int32_t a, int32_t b) const {
    const int64_t* cap = p_.type_capacity(type);
    const int64_t* sa = p_.item_size(representative_[static_cast<size_t>(a)]);
    const int64_t* sb = b >= 0 ? p_.item_size(representative_[static_cast<size_t>(b)]) : nullptr;
    double total = 0;
    for (int32_t r = 0; r < p_.dims; ++r) {
      if (cap[r] == 0) continue;
      int64_t left = res[static_cast<size_t>(r)] - sa[r] - (sb ? sb[r] : 0);
      total += static_cast<double>(left) / static_cast<double>(cap[r]);
    }
    return total;
  }

  // Minimum bin slack: an empty bin first takes the largest item that fits; then, while
  // anything fits, the pair (or single item) of classes that leaves the least room.
  std::pair<int32_t, int32_t> least_slack(int32_t type, const std::vector<int64_t>& res,
                                          const std::vector<size_t>& taken, bool first) const {
    std::vector<int32_t> fitting;
    for (size_t c = 0; c < members_.size(); ++c)
      if (can_take(c, type, res, taken)) fitting.push_back(static_cast<int32_t>(c));
    if (fitting.empty()) return {-1, -1};
    if (first) return {fitting.front(), -1};
    int32_t best_a = -1, best_b = -1;
    double best = std::numeric_limits<double>::infinity();
    for (int32_t a : fitting) {
      double single = slack(type, res, a, -1);
      if (single < best - kEpsilon) { best = single; best_a = a; best_b = -1; }
    }
    if (fitting.size() * fitting.size() > kPairBudget) return {best_a, best_b};
    std::vector<int64_t> after(res.size());
    for (size_t i = 0; i < fitting.size(); ++i) {
      auto a = static_cast<size_t>(fitting[i]);
      const int64_t* sa = p_.item_size(representative_[a]);
      for (int32_t r = 0; r < p_.dims; ++r) after[static_cast<size_t>(r)] = res[static_cast<size_t>(r)] - sa[r];
      std::vector<size_t> with_a = taken;
      ++with_a[a];
      for (size_t j = i; j < fitting.size(); ++j) {
        auto b = static_cast<size_t>(fitting[j]);
        if (!can_take(b, type, after, with_a)) continue;
        double both = slack(type, res, fitting[i], fitting[j]);
        if (both < best - kEpsilon) { best = both; best_a = fitting[i]; best_b = fitting[j]; }
      }
      if (best <= kEpsilon) break;
    }
    return {best_a, best_b};
  }

  static constexpr size_t kPairBudget = 4'000'000;

  // The type of the next bin: the preferred one if some remaining item can use it, else the
  // type that packs the most demand per unit of cost (cost 0 first).
  int32_t choose_type(int32_t preferred) {
    std::vector<int32_t> candidates;
    for (int32_t t = 0; t < p_.types; ++t) {
      if (!builder_.available(t)) continue;
      for (size_t c = 0; c < members_.size(); ++c)
        if (remaining(c) && p_.fits_empty(representative_[c], t)) { candidates.push_back(t); break; }
    }
    if (candidates.empty()) return -1;
    if (candidates.size() == 1) return candidates[0];
    if (std::find(candidates.begin(), candidates.end(), preferred) != candidates.end()) return preferred;
    int32_t best = -1;
    double best_value = -1;
    for (int32_t t : candidates) {
      const int64_t* cap = p_.type_capacity(t);
      double volume = fill(t, std::vector<int64_t>(cap, cap + p_.dims), -1);
      int64_t cost = p_.cost[static_cast<size_t>(t)];
      double value = cost == 0 ? std::numeric_limits<double>::infinity() : volume / static_cast<double>(cost);
      if (value > best_value) { best_value = value; best = t; }
    }
    return best;
  }

  const Problem& p_;
  Rule rule_;
  Builder builder_;
  std::vector<double> scale_, share_, weight_;
  std::map<int32_t, int32_t> class_slot_;
  std::vector<std::vector<int32_t>> members_;
  std::vector<int32_t> representative_;
  std::vector<size_t> next_;
};

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

bool conflict(const Problem& p, int32_t a, int32_t b, const int64_t* capacity) {
  const int64_t* sa = p.item_size(a);
  const int64_t* sb = p.item_size(b);
  for (int32_t r = 0; r < p.dims; ++r)
    if (sa[r] + sb[r] > capacity[r]) return true;
  return false;
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

  Packing improve(const Packing& start, int64_t stop_at, Result& stats) {
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
    tabu_[static_cast<size_t>(item) * bins_.size() + b] = iteration_ + tenure();
  }

  void from_pool(int32_t item, size_t b) {
    pool_.erase(std::find(pool_.begin(), pool_.end(), item));
    pool_weight_ -= weight(item);
    add(item, b);
  }

  int64_t tenure() { return 3 + static_cast<int64_t>(rng_() % (2 * pool_.size() + 3)); }

  bool may_enter(int32_t item, size_t b) const {
    return p_.may_use(item, bins_[b].type) && tabu_[static_cast<size_t>(item) * bins_.size() + b] <= iteration_;
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
    tabu_.assign(static_cast<size_t>(p_.items) * bins_.size(), 0);
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
  std::vector<int64_t> tabu_;  // [item * bins + bin]: the iteration from which the item may enter again
  int64_t iteration_ = 0;
};

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

const char* rule_name(Rule rule) {
  switch (rule) {
    case kFirstFit: return "FirstFitDecreasing";
    case kBestFit: return "BestFitDecreasing";
    case kDotProduct: return "BinCentricDotProduct";
    case kNormDistance: return "BinCentricNormDistance";
    default: return "MinimumBinSlack";
  }
}

const char* order_name(Order order) {
  switch (order) {
    case kSumOrder: return "sum";
    case kMaxOrder: return "max";
    default: return "squares";
  }
}

}  // namespace
}  // namespace kubesched::binpack

namespace kubesched::binpack {

int64_t lower_bound(const Problem& p) {
  p.validate();
  std::vector<int32_t> items;
  for (int32_t i = 0; i < p.items; ++i)
    if (p.placeable(i)) items.push_back(i);
  int64_t bound = 0;
  // Volume: per resource, what the free bins cannot hold must be bought at the best price
  // per unit among the unlimited types.
  for (int32_t r = 0; r < p.dims; ++r) {
    int64_t demand = 0;
    for (int32_t i : items) demand += p.item_size(i)[r];
    for (int32_t t = 0; t < p.types; ++t)
      if (p.limit[static_cast<size_t>(t)] >= 0) demand -= p.limit[static_cast<size_t>(t)] * p.type_capacity(t)[r];
    if (demand <= 0) continue;
    int64_t cheapest = -1;
    for (int32_t t = 0; t < p.types; ++t) {
      int64_t c = p.type_capacity(t)[r];
      if (p.limit[static_cast<size_t>(t)] >= 0 || c == 0) continue;
      __int128 need = (static_cast<__int128>(demand) * p.cost[static_cast<size_t>(t)] + c - 1) / c;
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

Packing construct(const Problem& p, Rule rule, Order order, Weighting weighting, int32_t preferred_type) {
  p.validate();
  if (rule == kFirstFit || rule == kBestFit) return item_centric(p, rule, order, preferred_type);
  return BinCentric(p, rule, order, weighting).run(preferred_type);
}

Result solve(const Problem& p, const Options& options) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(std::max(0.0, options.time_limit)));
  Result result;
  result.lower_bound = lower_bound(p);
  const int64_t stop_at = std::max(options.stop_at, result.lower_bound);  // nothing is below the bound

  std::vector<int32_t> preferred{-1};
  if (p.types > 1)
    for (int32_t t = 0; t < p.types; ++t)
      if (p.limit[static_cast<size_t>(t)] < 0) preferred.push_back(t);
  bool have = false;
  auto consider = [&](Packing packing, std::string name) {
    if (!have || packing.better_than(result.packing)) {
      result.packing = std::move(packing);
      result.construction = std::move(name);
      have = true;
    }
  };
  auto label = [&](const std::string& base, int32_t type) {
    return type < 0 ? base : base + " @type " + std::to_string(type);
  };
  for (int32_t type : preferred) {
    for (Rule rule : {kDotProduct, kNormDistance})
      for (Weighting weighting : {kUniform, kByDemand}) {
        std::string name = std::string(rule_name(rule)) + (weighting == kUniform ? "(uniform)" : "(by demand)");
        consider(construct(p, rule, kSumOrder, weighting, type), label(name, type));
      }
    consider(construct(p, kMinBinSlack, kSumOrder, kUniform, type), label("MinimumBinSlack", type));
    for (Rule rule : {kFirstFit, kBestFit})
      for (Order order : {kSumOrder, kMaxOrder, kSquaresOrder})
        consider(construct(p, rule, order, kUniform, type),
                 label(std::string(rule_name(rule)) + "(" + order_name(order) + ")", type));
    if (Clock::now() >= deadline) break;
  }
  result.construction_cost = result.packing.cost;
  if (options.improve && result.packing.cost > stop_at && Clock::now() < deadline) {
    LocalSearch search(p, options.seed, deadline);
    Packing improved = search.improve(result.packing, stop_at, result);
    if (improved.better_than(result.packing)) result.packing = std::move(improved);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

bool is_valid(const Problem& p, const Packing& packing) {
  if (packing.item_bin.size() != static_cast<size_t>(p.items)) return false;
  const size_t bins = packing.bin_type.size();
  std::vector<int64_t> load(bins * static_cast<size_t>(p.dims), 0);
  std::vector<int32_t> per_type(static_cast<size_t>(p.types), 0);
  int64_t cost = 0;
  for (int32_t type : packing.bin_type) {
    if (type < 0 || type >= p.types) return false;
    ++per_type[static_cast<size_t>(type)];
    cost += p.cost[static_cast<size_t>(type)];
  }
  for (int32_t t = 0; t < p.types; ++t)
    if (p.limit[static_cast<size_t>(t)] >= 0 && per_type[static_cast<size_t>(t)] > p.limit[static_cast<size_t>(t)]) return false;
  int32_t unplaced = 0;
  for (int32_t i = 0; i < p.items; ++i) {
    int32_t b = packing.item_bin[static_cast<size_t>(i)];
    if (b < 0) { ++unplaced; continue; }
    if (static_cast<size_t>(b) >= bins || !p.may_use(i, packing.bin_type[static_cast<size_t>(b)])) return false;
    for (int32_t r = 0; r < p.dims; ++r) load[static_cast<size_t>(b) * p.dims + r] += p.item_size(i)[r];
  }
  for (size_t b = 0; b < bins; ++b) {
    const int64_t* c = p.type_capacity(packing.bin_type[b]);
    for (int32_t r = 0; r < p.dims; ++r)
      if (load[b * p.dims + r] > c[r]) return false;
  }
  return cost == packing.cost && unplaced == packing.unplaced;
}

}  // namespace kubesched::binpack
