// Interned strings: label keys and values, node names, resource names, ports' IPs.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kubesched {

class Interner {
 public:
  int32_t intern(std::string_view text) {
    auto found = ids_.find(std::string(text));
    if (found != ids_.end()) return found->second;
    auto id = static_cast<int32_t>(strings_.size());
    strings_.emplace_back(text);
    ids_.emplace(strings_.back(), id);
    int64_t number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    bool whole = error == std::errc() && end == text.data() + text.size() && !text.empty();
    if (!text.empty() && text[0] == '+') {  // Go's ParseInt accepts a leading plus sign
      auto [end2, error2] = std::from_chars(text.data() + 1, text.data() + text.size(), number);
      whole = error2 == std::errc() && end2 == text.data() + text.size() && text.size() > 1;
    }
    integer_.push_back(whole ? number : 0);
    is_integer_.push_back(whole ? 1 : 0);
    return id;
  }

  // -1 when the text was never interned.
  int32_t find(std::string_view text) const {
    auto found = ids_.find(std::string(text));
    return found == ids_.end() ? -1 : found->second;
  }

  const std::string& text(int32_t id) const { return strings_.at(static_cast<size_t>(id)); }
  bool is_integer(int32_t id) const { return is_integer_[static_cast<size_t>(id)] != 0; }
  int64_t integer(int32_t id) const { return integer_[static_cast<size_t>(id)]; }
  size_t size() const { return strings_.size(); }

 private:
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<std::string> strings_;
  std::vector<int64_t> integer_;
  std::vector<uint8_t> is_integer_;
};

}  // namespace kubesched
