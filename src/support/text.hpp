// ASCII text helpers for protocol tokens (header names and values, enum-like settings): HTTP
// compares these case-insensitively and ignores surrounding spaces and tabs.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace lmp::text {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

namespace detail {

// 0x20, the case bit, in each of the eight bytes of `w` that is an ASCII letter (of either
// case), and 0 in every other byte, 0x80 and up included (SWAR: all eight at once).
constexpr std::uint64_t ascii_letter_bits(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101;
  constexpr std::uint64_t high = ones * 0x80;
  // Clearing the case bit takes a-z onto A-Z, and no other byte onto A-Z.
  const std::uint64_t upper = w & ~(ones * 0x20);
  // Each byte's low seven bits plus k sets its high bit when they are at least 0x80 - k, and
  // stays below 0x100 (0x7F + k with k < 0x80), so nothing spills into the next byte.
  const std::uint64_t low7 = upper & ~high;
  const std::uint64_t from_a = low7 + ones * (0x80 - 'A');
  const std::uint64_t past_z = low7 + ones * (0x80 - 'Z' - 1);
  // A letter: from 'A', not past 'Z', and its own high bit clear (0xC1 is not 'A').
  return (from_a & ~past_z & ~upper & high) >> 2;  // 0x80 >> 2 == 0x20
}

// Whether eight bytes of `a` equal eight of `b` but for the case of letters: they may differ
// only in the case bit, and only where `b` has a letter. Where they differ in the case bit
// alone, `a` has a letter exactly when `b` does, so `b`'s letters are enough; they are taken
// from `b` because callers pass a constant there (a header name), whose letters the compiler
// then finds at compile time.
inline bool same_word_ignoring_case(std::uint64_t a, std::uint64_t b) {
  return ((a ^ b) & ~ascii_letter_bits(b)) == 0;
}

template <class Word>
Word load(const char* p) {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// iequals for two runs of `n` bytes, eight at a time: header names are compared on every
// request, several times each, and a byte-by-byte loop was a visible share of the proxy's
// instructions (measured with callgrind). Short runs are packed into one word; a run's tail is
// the word ending at its last byte, which may overlap the previous one (comparing a byte twice
// changes nothing).
inline bool iequals_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (!same_word_ignoring_case(load<std::uint64_t>(a + i), load<std::uint64_t>(b + i)))
        return false;
    return same_word_ignoring_case(load<std::uint64_t>(a + n - 8), load<std::uint64_t>(b + n - 8));
  }
  if (n >= 4) {
    const auto word = [n](const char* p) {
      return load<std::uint32_t>(p) | std::uint64_t{load<std::uint32_t>(p + n - 4)} << 32;
    };
    return same_word_ignoring_case(word(a), word(b));
  }
  if (n > 0) {
    // Bytes 0, n/2 and n-1 are all of them when n is 1, 2 or 3.
    const auto word = [n](const char* p) {
      return std::uint64_t{static_cast<unsigned char>(p[0])} |
             std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
             std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16;
    };
    return same_word_ignoring_case(word(a), word(b));
  }
  return true;
}

}  // namespace detail

// Exactly ASCII case-insensitive: only A-Z and a-z match each other; every other byte, 0x80
// and up included, matches only itself.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
  }
  return detail::iequals_bytes(a.data(), b.data(), a.size());
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Without the spaces and tabs around it (HTTP's optional white space).
constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each element of an HTTP comma-separated list (RFC 9110 5.6.1), trimmed,
// skipping empty ones.
template <class Fn>
constexpr void for_each_list_element(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto element = trim(list.substr(0, comma));
    if (!element.empty()) fn(element);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
}

}  // namespace lmp::text
