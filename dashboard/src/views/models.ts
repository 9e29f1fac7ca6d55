// Per-model table from /metrics "models".
import { fillRows, h, section } from "../dom";
import { formatCompact, formatDuration, formatInteger, formatPercent, formatTokensPerSecond } from "../format";
import type { MessageKey } from "../i18n";
import type { DashboardData, View, ViewContext } from "./common";

export function modelsView(ctx: ViewContext): View {
  const { t, locale } = ctx;
  const columns: MessageKey[] = [
    "models.model",
    "models.requests",
    "models.successRate",
    "models.avgResponse",
    "models.p50Response",
    "models.p95Response",
    "models.avgTtft",
    "models.p95Ttft",
    "models.promptTokens",
    "models.completionTokens",
    "models.tokensPerSecond",
  ];
  const body = h("tbody");
  const table = h(
    "table",
    { class: "data-table" },
    h("thead", {}, h("tr", {}, ...columns.map((key, i) => h("th", { scope: "col", class: i ? "num" : "" }, t(key))))),
    body,
  );
  const unavailable = h("p", { class: "muted", hidden: true }, t("models.unavailable"));
  const empty = h("p", { class: "muted", hidden: true }, t("section.noData"));
  const wrapper = h("div", { class: "table-scroll", tabindex: 0, "aria-label": t("section.models") }, table);
  const element = h("div", { class: "view" }, section(t, "section.models", "help.models", wrapper, unavailable, empty));
  return {
    element,
    update({ metrics }: DashboardData) {
      const models = metrics.models;
      unavailable.hidden = models !== undefined;
      wrapper.hidden = !models || models.length === 0;
      empty.hidden = !models || models.length > 0;
      fillRows(
        body,
        (models ?? []).map((m) => [
          m.model,
          formatInteger(m.total, locale),
          m.total > 0 ? formatPercent(m.successful / m.total, locale) : "—",
          formatDuration(m.avg_response_time_ms, locale),
          formatDuration(m.p50_response_time_ms, locale),
          formatDuration(m.p95_response_time_ms, locale),
          formatDuration(m.avg_time_to_first_token_ms, locale),
          formatDuration(m.p95_time_to_first_token_ms, locale),
          formatCompact(m.tokens.prompt_total, locale),
          formatCompact(m.tokens.completion_total, locale),
          formatTokensPerSecond(m.avg_tokens_per_second, locale),
        ]),
        ["name", ...Array(10).fill("num")],
      );
    },
    destroy() {},
  };
}
