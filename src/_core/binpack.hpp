// Vector bin packing with node templates: the search behind `kubesched plan nodes`.
//
// Items (pods) have integer size vectors. Bin types are node templates (unlimited copies,
// with a cost) or existing nodes (one copy each, cost 0, capacity = what is still free).
// Which item may go on which type is decided outside, by the scheduling engine, and given
// as a mask; the kernel only searches. Knows nothing of Python.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kubesched::binpack {

struct Problem {
  int32_t dims = 0;
  int32_t items = 0;
  int32_t types = 0;
  std::vector<int64_t> size;      // [item * dims + r], >= 0
  std::vector<int64_t> capacity;  // [type * dims + r], >= 0
  std::vector<int64_t> cost;      // [type], >= 0
  std::vector<int32_t> limit;     // [type]: how many bins of the type may be used; < 0: no limit
  std::vector<uint8_t> allowed;   // [item * types + type]

  const int64_t* item_size(int32_t item) const { return size.data() + static_cast<size_t>(item) * dims; }
  const int64_t* type_capacity(int32_t type) const {
    return capacity.data() + static_cast<size_t>(type) * dims;
  }
  bool may_use(int32_t item, int32_t type) const {
    return allowed[static_cast<size_t>(item) * types + type] != 0;
  }
  // The item is allowed on the type and fits an empty bin of it.
  bool fits_empty(int32_t item, int32_t type) const;
  // The item fits an empty bin of some allowed type; other items are left unplaced.
  bool placeable(int32_t item) const;
  void validate() const;  // throws std::invalid_argument
};

struct Packing {
  std::vector<int32_t> bin_type;  // per bin (no empty bins)
  std::vector<int32_t> item_bin;  // per item; -1: not placed
  int64_t cost = 0;               // sum of the bins' type costs
  int32_t unplaced = 0;

  bool better_than(const Packing& other) const {
    return unplaced != other.unplaced ? unplaced < other.unplaced : cost < other.cost;
  }
};

// How a construction picks: item-centric rules take items in decreasing order and choose a
// bin; bin-centric rules open one bin at a time and choose the item that suits it best, or
// (minimum bin slack) put in the largest item and then the pairs that leave the least room.
enum Rule : int32_t { kFirstFit = 0, kBestFit = 1, kDotProduct = 2, kNormDistance = 3, kMinBinSlack = 4 };
// The size an item is sorted by (descending), on capacities scaled to the largest template.
enum Order : int32_t { kSumOrder = 0, kMaxOrder = 1, kSquaresOrder = 2 };
// Per-resource weights of the bin-centric scores: all 1, or each resource's share of demand.
enum Weighting : int32_t { kUniform = 0, kByDemand = 1 };

struct Options {
  double time_limit = 1.0;  // seconds for the whole solve
  uint64_t seed = 0;
  int64_t stop_at = -1;     // stop as soon as the cost is <= this (or <= the kernel's lower bound)
  bool improve = true;      // run the local search after the constructions
};

struct Result {
  Packing packing;
  int64_t lower_bound = 0;
  int64_t construction_cost = 0;  // the best construction's cost, before the local search
  std::string construction;       // which construction that was
  int64_t iterations = 0;         // local search steps
  int64_t eliminations = 0;       // bins the local search removed
  double seconds = 0;
};

// A valid lower bound on the cost of any packing of the placeable items.
int64_t lower_bound(const Problem& problem);
// One construction heuristic; `preferred_type` (or -1) is the template new bins are opened
// from when the item allows it.
Packing construct(const Problem& problem, Rule rule, Order order, Weighting weighting,
                  int32_t preferred_type);
// Constructions, then local search until the lower bound or the time limit.
Result solve(const Problem& problem, const Options& options);
// Every placed item in one bin of an allowed type, capacities and limits respected.
bool is_valid(const Problem& problem, const Packing& packing);

}  // namespace kubesched::binpack
