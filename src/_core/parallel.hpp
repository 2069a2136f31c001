// Work over node blocks on several threads, for the passes that still look at every node (a
// new class, a node added, a profile switch). The callers only write per-node slots, so the
// result does not depend on the number of threads. KUBESCHED_CORE_THREADS sets it; the
// default is 1 (everything on the calling thread): on the 2 busy cores it was measured on,
// two threads decided the heterogeneous bench slower (bench/results/heterogeneous_threads_in_memory.json).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <thread>
#include <vector>

#include "profile.hpp"

namespace kubesched {

// The GPU policies' scores share a memo (gpu.hpp): they are computed on one thread.
inline bool scores_thread_safe(const Profile& profile) {
  for (int p = kRandomScore; p <= kFgdCapacityScore; ++p)
    if (profile.weights[static_cast<size_t>(p)] != 0) return false;
  return true;
}

inline unsigned core_threads() {
  if (const char* text = std::getenv("KUBESCHED_CORE_THREADS")) {
    const long wanted = std::strtol(text, nullptr, 10);
    if (wanted >= 1) return static_cast<unsigned>(std::min<long>(wanted, 64));
  }
  return 1;
}

// body(begin, end) over [0, count) in contiguous blocks; blocks of fewer than `grain` items
// are not worth a thread.
template <class Body>
void for_blocks(size_t count, Body&& body, size_t grain = 2048) {
  const size_t threads = std::min<size_t>(core_threads(), count / std::max<size_t>(grain, 1));
  if (threads <= 1) {
    body(size_t{0}, count);
    return;
  }
  const size_t block = (count + threads - 1) / threads;
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) {
    const size_t begin = t * block, end = std::min(count, begin + block);
    if (begin < end) workers.emplace_back([&body, begin, end] { body(begin, end); });
  }
  body(size_t{0}, std::min(count, block));
  for (auto& worker : workers) worker.join();
}

}  // namespace kubesched
