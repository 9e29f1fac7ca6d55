#include "llm/response_inspector.hpp"

#include <memory>

#include "llm/json_support.hpp"

namespace lmp::llm {

ResponseObservation inspect_response(Endpoint endpoint, std::string_view body) {
  ResponseObservation out;
  std::unique_ptr<detail::JsonScratch> one_off;
  detail::JsonScratch* scratch = &detail::JsonScratch::for_this_thread();
  if (body.size() > detail::JsonScratch::kReuseLimit) {
    one_off = std::make_unique<detail::JsonScratch>();
    scratch = one_off.get();
  }
  detail::dom::element root;
  detail::BodyFacts facts;
  if (scratch->parse(body).get(root) || !detail::read_body(root, endpoint, facts)) {
    out.parsed = false;
    return out;
  }
  // Copy the views out while the parser's string buffer still holds them.
  out.usage = facts.best_usage();
  out.has_output = facts.has_output;
  if (facts.finish_reason) out.finish_reason = *facts.finish_reason;
  if (facts.model) out.model = *facts.model;
  if (auto error = facts.best_error())
    out.error_message = detail::truncate_utf8(*error, detail::kMaxErrorMessageBytes);
  return out;
}

}  // namespace lmp::llm
