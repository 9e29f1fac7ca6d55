// Recorded-style streams and bodies shared by the llm/ tests and the fuzz smoke test.
#pragma once

#include <string>
#include <string_view>

namespace lmp::llm::fixtures {

// An OpenAI chat stream with stream_options.include_usage: role chunk, three content chunks
// (with multi-byte UTF-8), finish chunk, usage-only chunk, [DONE].
inline constexpr std::string_view kOpenAiStream =
    "data: {\"id\":\"chatcmpl-9xQ\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":"
    "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-9xQ\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":"
    "[{\"index\":0,\"delta\":{\"content\":\"Bonjour\"},\"logprobs\":null,\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-9xQ\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":"
    "[{\"index\":0,\"delta\":{\"content\":\" l\xC3\xA0-bas \xE2\x82\xAC\"},\"logprobs\":null,"
    "\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-9xQ\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":"
    "[{\"index\":0,\"delta\":{\"content\":\" \xF0\x9F\x98\x80\\n\"},\"logprobs\":null,"
    "\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-9xQ\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":"
    "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-9xQ\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17,"
    "\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":"
    "{\"reasoning_tokens\":0}}}\n\n"
    "data: [DONE]\n\n";

// A short stream for the every-pair-of-split-points test (quadratic in its length).
inline constexpr std::string_view kShortStream =
    "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"\xF0\x9F\x98\x80\"},"
    "\"finish_reason\":\"length\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

// llama.cpp server: usage absent, timings in the final chunk.
inline constexpr std::string_view kLlamaCppStream =
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Hi\"}}],"
    "\"created\":1718000000,\"id\":\"chatcmpl-x\",\"model\":\"qwen2.5\",\"object\":"
    "\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],"
    "\"created\":1718000000,\"id\":\"chatcmpl-x\",\"model\":\"qwen2.5\",\"object\":"
    "\"chat.completion.chunk\",\"timings\":{\"prompt_n\":9,\"prompt_ms\":20.1,"
    "\"predicted_n\":2,\"predicted_ms\":31.5}}\n\n"
    "data: [DONE]\n\n";

// A non-streamed chat completion.
inline constexpr std::string_view kChatResponse =
    R"({"id":"chatcmpl-1","object":"chat.completion","created":1718000000,)"
    R"("model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"Hello!","refusal":null},"logprobs":null,"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12},)"
    R"("system_fingerprint":"fp_1"})";

// A chat request as clients send it.
inline constexpr std::string_view kChatRequest =
    R"({"model":"llama3.1:8b","messages":[{"role":"system","content":"You are terse."},)"
    R"({"role":"user","content":"Say hi"}],"stream":true,"stream_options":)"
    R"({"include_usage":true},"max_tokens":256,"temperature":0.7,"top_p":0.9,"user":"u-42"})";

}  // namespace lmp::llm::fixtures
