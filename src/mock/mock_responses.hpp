// Formats the mock backend's JSON bodies and SSE events into caller-owned strings, so that a
// request reuses one buffer and the per-request parts (id, model) are formatted once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mock/mock_request.hpp"

namespace lmp::mock {

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

// The text of generated token `index`: words of a fixed sentence, cycling, each but the first
// with a leading space. Plain ASCII with nothing to escape, so it is copied into JSON as is.
std::string_view token_text(std::size_t index);

// Appends the concatenation of the first `count` tokens.
void append_completion_text(std::string& out, std::int64_t count);

// Non-streamed bodies. `usage` absent leaves the "usage" member out.
void append_chat_completion(std::string& out, std::string_view id, std::int64_t created,
                            std::string_view model, std::int64_t tokens,
                            std::string_view finish_reason, const std::optional<Usage>& usage);
void append_text_completion(std::string& out, std::string_view id, std::int64_t created,
                            std::string_view model, std::int64_t tokens,
                            std::string_view finish_reason, const std::optional<Usage>& usage);
void append_embeddings(std::string& out, std::string_view model,
                       std::span<const std::uint64_t> seeds, int dimensions, bool base64,
                       std::int64_t prompt_tokens);

// GET /v1/models: the same list every time.
const std::string& models_body();

// SSE events ("data: <json>\n\n") of one streamed chat or text completion.
class StreamEvents {
 public:
  StreamEvents(Endpoint endpoint, std::string_view id, std::int64_t created,
               std::string_view model);

  // Chat only: the first, role-only chunk.
  void role(std::string& out) const;
  void token(std::string& out, std::size_t index) const;
  void finish(std::string& out, std::string_view reason) const;
  void usage(std::string& out, const Usage& usage) const;
  static void done(std::string& out);

 private:
  bool chat_;
  // `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`, shared by every event.
  std::string prefix_;
};

}  // namespace lmp::mock
