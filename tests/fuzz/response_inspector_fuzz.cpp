// libFuzzer target: inspect_response must accept any bytes for every endpoint.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llm/response_inspector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto endpoint : {lmp::llm::Endpoint::chat_completions, lmp::llm::Endpoint::completions,
                        lmp::llm::Endpoint::embeddings}) {
    const auto obs = lmp::llm::inspect_response(endpoint, body);
    if (obs.error_message.size() > 200) __builtin_trap();
  }
  return 0;
}
