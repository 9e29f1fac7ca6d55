// Appends JSON text to a string: objects, arrays, escaped strings, integers and doubles printed
// the way people read them (63.7, not 6.37E1). Used for every JSON answer we produce.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmp::json {

// Appends s as a quoted JSON string, escaping quotes, backslashes and control characters.
// Invalid UTF-8 bytes are replaced by U+FFFD so the output is always valid JSON.
void append_quoted(std::string& out, std::string_view s);

// Rounds to `decimals` places and prints the shortest form; NaN and infinities print as null.
void append_number(std::string& out, double value, int decimals = 2);

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view name);

  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(bool b);
  Writer& value(std::int64_t n);
  Writer& value(int n) { return value(static_cast<std::int64_t>(n)); }
  Writer& value(double d, int decimals = 2);
  Writer& null();

  // null when empty.
  Writer& value_or_null(const std::optional<std::int64_t>& n);
  Writer& value_or_null(const std::optional<double>& d, int decimals = 2);
  Writer& string_or_null(std::string_view s);

  // Inserts already-serialized JSON as one value.
  Writer& raw(std::string_view json);

 private:
  void before_value();
  std::string& out_;
  // One entry per open container: true once it holds an element (a comma is due).
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace lmp::json
