#include "llm/error_type.hpp"

#include <array>
#include <utility>

namespace lmp::llm {
namespace {
constexpr std::array<std::pair<ErrorType, std::string_view>, 10> kNames{{
    {ErrorType::invalid_request, "invalid_request"},
    {ErrorType::authentication, "authentication"},
    {ErrorType::not_found, "not_found"},
    {ErrorType::rate_limit, "rate_limit"},
    {ErrorType::backend_error, "backend_error"},
    {ErrorType::backend_unreachable, "backend_unreachable"},
    {ErrorType::backend_timeout, "backend_timeout"},
    {ErrorType::stream_interrupted, "stream_interrupted"},
    {ErrorType::client_disconnected, "client_disconnected"},
    {ErrorType::invalid_response, "invalid_response"},
}};
}  // namespace

std::string_view to_string(ErrorType type) {
  for (const auto& [t, name] : kNames)
    if (t == type) return name;
  return {};
}

std::optional<ErrorType> error_type_from_string(std::string_view name) {
  for (const auto& [t, n] : kNames)
    if (n == name) return t;
  return std::nullopt;
}

ErrorType error_type_for_status(unsigned status) {
  if (status >= 200 && status < 300) return ErrorType::none;
  switch (status) {
    case 401:
    case 403:
      return ErrorType::authentication;
    case 404:
      return ErrorType::not_found;
    case 429:
      return ErrorType::rate_limit;
    case 408:
    case 504:
      return ErrorType::backend_timeout;
    default:
      break;
  }
  if (status >= 400 && status < 500) return ErrorType::invalid_request;
  return ErrorType::backend_error;
}

}  // namespace lmp::llm
