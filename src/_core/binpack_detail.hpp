// Internals shared by the sources of the packing kernel (binpack*.cpp): the common scale
// of sizes, the order items are taken in, which items conflict, and each part's entry point.
// Not part of the kernel's interface, which is binpack.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "binpack.hpp"

namespace kubesched::binpack::detail {

using Clock = std::chrono::steady_clock;
constexpr double kEpsilon = 1e-9;
constexpr size_t kCliqueItemLimit = 4000;    // the conflict matrix is n * n bytes
constexpr size_t kMatchingItemLimit = 3000;  // the matching is O(n^3)

// Per resource, the largest capacity of any type: the scale sizes are compared on.
std::vector<double> reference_scale(const Problem& p);
// Each resource's share of the placeable items' scaled demand; uniform when there is none.
std::vector<double> demand_share(const Problem& p, const std::vector<double>& scale);
double order_key(const Problem& p, int32_t item, Order order, const std::vector<double>& scale);
// Items that are alike (same sizes and same allowed types) get one class id: the index of
// the first of them. Constructions treat a class as a stack of copies.
std::vector<int32_t> item_classes(const Problem& p);
// Placeable items by decreasing key; equal keys keep each class together, then input order.
std::vector<int32_t> sorted_items(const Problem& p, Order order, const std::vector<double>& scale,
                                  const std::vector<int32_t>& cls);
// The two items do not fit together in a bin of this capacity.
bool conflict(const Problem& p, int32_t a, int32_t b, const int64_t* capacity);

// binpack_construct.cpp
Packing item_centric(const Problem& p, Rule rule, Order order, int32_t preferred);
Packing bin_centric(const Problem& p, Rule rule, Order order, Weighting weighting, int32_t preferred);

// binpack_search.cpp: local search from `start` until the cost is <= stop_at or the deadline.
Packing improve(const Problem& p, const Packing& start, int64_t stop_at, uint64_t seed,
                Clock::time_point deadline, Result& stats);

}  // namespace kubesched::binpack::detail
