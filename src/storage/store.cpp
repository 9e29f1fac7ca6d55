#include "storage/store.hpp"

#include <charconv>

namespace lmp::storage {

// "<timestamp_ms>.<id>": opaque to clients, but readable when debugging.
std::string encode_cursor(const Cursor& cursor) {
  return std::to_string(cursor.timestamp_ms) + "." + std::to_string(cursor.id);
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  Cursor c;
  const auto a = text.substr(0, dot), b = text.substr(dot + 1);
  auto r1 = std::from_chars(a.data(), a.data() + a.size(), c.timestamp_ms);
  auto r2 = std::from_chars(b.data(), b.data() + b.size(), c.id);
  if (r1.ec != std::errc{} || r1.ptr != a.data() + a.size() || r2.ec != std::errc{} ||
      r2.ptr != b.data() + b.size() || a.empty() || b.empty())
    return std::nullopt;
  return c;
}

Timeseries Store::timeseries(const TimeseriesQuery&) {
  throw StoreError("this store does not answer timeseries queries");
}

std::optional<std::int64_t> Store::first_record_time() {
  throw StoreError("this store does not answer first-record queries");
}

}  // namespace lmp::storage
