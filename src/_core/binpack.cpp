// The packing kernel's interface: the problem's checks, the constructions by name, the
// solve that runs them and then the local search, and the validity check of a packing.
#include "binpack.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include "binpack_detail.hpp"

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

// -- shared by the parts ---------------------------------------------------------------------

namespace detail {

std::vector<double> reference_scale(const Problem& p) {
  std::vector<double> scale(static_cast<size_t>(p.dims), 1.0);
  for (int32_t r = 0; r < p.dims; ++r) {
    int64_t largest = 0;
    for (int32_t t = 0; t < p.types; ++t) largest = std::max(largest, p.type_capacity(t)[r]);
    if (largest > 0) scale[static_cast<size_t>(r)] = static_cast<double>(largest);
  }
  return scale;
}

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

bool conflict(const Problem& p, int32_t a, int32_t b, const int64_t* capacity) {
  const int64_t* sa = p.item_size(a);
  const int64_t* sb = p.item_size(b);
  for (int32_t r = 0; r < p.dims; ++r)
    if (sa[r] + sb[r] > capacity[r]) return true;
  return false;
}

}  // namespace detail

// -- the interface ---------------------------------------------------------------------------

namespace {

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

Packing construct(const Problem& p, Rule rule, Order order, Weighting weighting, int32_t preferred_type) {
  p.validate();
  if (rule == kFirstFit || rule == kBestFit) return detail::item_centric(p, rule, order, preferred_type);
  return detail::bin_centric(p, rule, order, weighting, preferred_type);
}

Result solve(const Problem& p, const Options& options) {
  const auto start = detail::Clock::now();
  const auto deadline = start + std::chrono::duration_cast<detail::Clock::duration>(
                                    std::chrono::duration<double>(std::max(0.0, options.time_limit)));
  Result result;
  result.lower_bound = lower_bound(p);
  const int64_t stop_at = std::max(options.stop_at, result.lower_bound);  // nothing is below the bound

  std::vector<int32_t> preferred{-1};
  if (p.types > 1)
    for (int32_t t = 0; t < p.types; ++t)
      if (p.limit[static_cast<size_t>(t)] < 0) preferred.push_back(t);
  bool have = false;
  // Past the deadline, only the first construction is made (one packing is the least answer);
  // one construction on a big instance takes long, so the clock is read before each.
  auto out_of_time = [&] { return have && detail::Clock::now() >= deadline; };
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
        if (out_of_time()) break;
        std::string name = std::string(rule_name(rule)) + (weighting == kUniform ? "(uniform)" : "(by demand)");
        consider(construct(p, rule, kSumOrder, weighting, type), label(name, type));
      }
    if (!out_of_time())
      consider(construct(p, kMinBinSlack, kSumOrder, kUniform, type), label("MinimumBinSlack", type));
    for (Rule rule : {kFirstFit, kBestFit})
      for (Order order : {kSumOrder, kMaxOrder, kSquaresOrder}) {
        if (out_of_time()) break;
        consider(construct(p, rule, order, kUniform, type),
                 label(std::string(rule_name(rule)) + "(" + order_name(order) + ")", type));
      }
    if (out_of_time()) break;
  }
  result.construction_cost = result.packing.cost;
  if (options.improve && result.packing.cost > stop_at && detail::Clock::now() < deadline) {
    Packing improved = detail::improve(p, result.packing, stop_at, options.seed, deadline, result);
    if (improved.better_than(result.packing)) result.packing = std::move(improved);
  }
  result.seconds = std::chrono::duration<double>(detail::Clock::now() - start).count();
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
