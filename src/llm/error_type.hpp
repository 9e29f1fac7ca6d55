// The fixed set of failure classes a record can carry, so that labels stay bounded.
#pragma once

#include <optional>
#include <string_view>

namespace lmp::llm {

enum class ErrorType {
  none,
  invalid_request,      // backend answered 400, 413, 422 ...
  authentication,       // 401, 403
  not_found,            // 404 (unknown model or path)
  rate_limit,           // 429
  backend_error,        // 5xx, or another non-2xx
  backend_unreachable,  // could not connect or send (the proxy answers 502)
  backend_timeout,      // no answer, or a stall, within the timeout (the proxy answers 504)
  stream_interrupted,   // the backend closed a stream before it ended properly
  client_disconnected,  // the client went away before the response was relayed
  invalid_response,     // the backend's response could not be parsed as HTTP
};

// The stored and served name ("rate_limit"); empty for none.
std::string_view to_string(ErrorType type);
std::optional<ErrorType> error_type_from_string(std::string_view name);

// The class of a backend's HTTP status: none for 2xx.
ErrorType error_type_for_status(unsigned status);

}  // namespace lmp::llm
