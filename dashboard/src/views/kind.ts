// The Streamed and Non-streamed tabs: counts and share, token timings, speed, token usage,
// error types and the percentiles of that kind.
import { barList, h, section, statCard } from "../dom";
import {
  formatCompact,
  formatDecimal,
  formatDuration,
  formatInteger,
  formatPercent,
  formatTokensPerSecond,
  ratio,
  successLevel,
} from "../format";
import type { MessageKey } from "../i18n";
import { percentileTable, type DashboardData, type View, type ViewContext } from "./common";

export function kindView(ctx: ViewContext, kind: "streamed" | "non_streamed"): View {
  const { t, locale } = ctx;
  const count = statCard(t, "card.requests", "help.count");
  const success = statCard(t, "card.successRate", "help.successRate");
  const ttft = statCard(t, "card.ttft", "help.ttft");
  const ttlt = statCard(t, "card.ttlt", "help.ttlt");
  const completion = statCard(t, "card.completionDuration", "help.completionDuration");
  const speed = statCard(t, "card.inferenceSpeed", "help.inferenceSpeed");
  const percentiles = percentileTable(ctx, kind);

  const tokenRows: [MessageKey, HTMLElement, HTMLElement][] = (
    ["tokens.prompt", "tokens.completion", "tokens.total"] as MessageKey[]
  ).map((key) => [key, h("div", { class: "stat-value small" }), h("div", { class: "stat-detail" })]);
  const reported = h("p", { class: "muted" });
  const tokens = section(
    t,
    "section.tokenUsage",
    "help.tokenUsage",
    h(
      "div",
      { class: "token-grid" },
      ...tokenRows.map(([key, value, detail]) =>
        h("div", { class: "token-cell" }, h("div", { class: "stat-label" }, t(key)), value, detail),
      ),
    ),
    reported,
  );
  const errors = barList(t("section.noErrors"));

  const element = h(
    "div",
    { class: "view" },
    h(
      "div",
      { class: "stats stats-3" },
      count.element,
      success.element,
      ttft.element,
      ttlt.element,
      completion.element,
      speed.element,
    ),
    h("div", { class: "grid-2" }, tokens, percentiles.element),
    h("div", { class: "grid-wide" }, section(t, "section.errorTypes", "help.errorTypes", errors.element)),
  );

  return {
    element,
    update({ metrics }: DashboardData) {
      const data = metrics.requests[kind];
      const all = metrics.requests.total.total;
      count.set(
        formatCompact(data.total, locale),
        t("card.share", { share: formatPercent(ratio(data.total, all), locale) }),
      );
      success.set(
        data.total > 0 ? formatPercent(data.successful / data.total, locale) : "—",
        t("card.successfulFailed", {
          successful: formatInteger(data.successful, locale),
          failed: formatInteger(data.failed, locale),
        }),
        successLevel(data.successful, data.total),
      );
      const pct = metrics.percentiles?.[kind];
      const p95 = (v: number | null | undefined) =>
        v === undefined || v === null ? "" : t("card.p95", { value: formatDuration(v, locale) });
      ttft.set(formatDuration(data.avg_time_to_first_token_ms, locale), p95(pct?.time_to_first_token_ms?.p95));
      ttlt.set(formatDuration(data.avg_time_to_last_token_ms, locale));
      completion.set(formatDuration(data.avg_completion_duration_ms, locale));
      speed.set(formatTokensPerSecond(data.tokens.avg_tokens_per_second, locale));

      const totals = [data.tokens.prompt_total, data.tokens.completion_total, data.tokens.total];
      const reportedCount = data.tokens.reported_count;
      tokenRows.forEach(([, value, detail], i) => {
        value.textContent = formatCompact(totals[i], locale);
        detail.textContent = t("tokens.perRequest", {
          value: formatDecimal(ratio(totals[i], reportedCount), locale, 1),
        });
      });
      reported.textContent = t("tokens.reported", {
        count: formatInteger(reportedCount, locale),
        total: formatInteger(data.total, locale),
      });
      percentiles.update(metrics);
      errors.set(
        Object.entries(data.error_types).map(([type, n]) => [
          type in ERROR_LABEL_KEYS ? t(ERROR_LABEL_KEYS[type]) : type,
          n,
        ]),
        (n) => formatInteger(n, locale),
        (f) => formatPercent(f, locale),
      );
    },
    destroy() {},
  };
}

export const ERROR_LABEL_KEYS: Record<string, MessageKey> = {
  invalid_request: "errorType.invalid_request",
  authentication: "errorType.authentication",
  not_found: "errorType.not_found",
  rate_limit: "errorType.rate_limit",
  backend_error: "errorType.backend_error",
  backend_unreachable: "errorType.backend_unreachable",
  backend_timeout: "errorType.backend_timeout",
  stream_interrupted: "errorType.stream_interrupted",
  client_disconnected: "errorType.client_disconnected",
  invalid_response: "errorType.invalid_response",
};
