// Checks the optional API token of the metrics API ("Authorization: Bearer <token>") without
// leaking through timing how much of a guess was right.
#pragma once

#include <string_view>

namespace lmp::api {

// True when a and b are equal. The time taken depends on the lengths only, never on where
// the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

// True when `authorization` is "Bearer <token>" (scheme case-insensitive, as RFC 7235 says)
// and the token equals `expected`. An empty `expected` never matches: callers decide
// whether auth is on.
bool bearer_token_matches(std::string_view authorization, std::string_view expected);

}  // namespace lmp::api
