// The construction heuristics: item-centric first fit and best fit decreasing, and
// bin-centric fills (dot product, norm distance, minimum bin slack), each over several
// orders and for any mix of node templates and existing nodes.
#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "binpack_detail.hpp"

namespace kubesched::binpack {
namespace {

using namespace detail;

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

Packing item_centric_packing(const Problem& p, Rule rule, Order order, int32_t preferred) {
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

}  // namespace

namespace detail {

Packing item_centric(const Problem& p, Rule rule, Order order, int32_t preferred) {
  return item_centric_packing(p, rule, order, preferred);
}

Packing bin_centric(const Problem& p, Rule rule, Order order, Weighting weighting, int32_t preferred) {
  return BinCentric(p, rule, order, weighting).run(preferred);
}

}  // namespace detail
}  // namespace kubesched::binpack
