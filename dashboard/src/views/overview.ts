// Overview: totals, success rate, the request and latency charts, model usage, sources.
import { barList, h, section, statCard } from "../dom";
import {
  formatCompact,
  formatDecimal,
  formatDuration,
  formatInteger,
  formatPercent,
  formatTokensPerSecond,
  successLevel,
} from "../format";
import type { MetricsResponse } from "../api";
import { chartPanel, latencySeries, percentileTable, type DashboardData, type View, type ViewContext } from "./common";

// The mean of per-request speeds over both kinds, weighted by how many requests reported usage.
export function overallTokensPerSecond(metrics: MetricsResponse): number | null {
  let weighted = 0;
  let count = 0;
  for (const kind of [metrics.requests.streamed, metrics.requests.non_streamed]) {
    const tps = kind.tokens.avg_tokens_per_second;
    if (tps === null || kind.tokens.reported_count <= 0) continue;
    weighted += tps * kind.tokens.reported_count;
    count += kind.tokens.reported_count;
  }
  return count > 0 ? weighted / count : null;
}

export function overviewView(ctx: ViewContext): View {
  const { t, locale } = ctx;
  const total = statCard(t, "card.totalRequests", "help.totalRequests");
  const success = statCard(t, "card.successRate", "help.successRate");
  const responseTime = statCard(t, "card.avgResponseTime", "help.avgResponseTime");
  const speed = statCard(t, "card.avgInferenceSpeed", "help.inferenceSpeed");

  const requestsChart = chartPanel(
    ctx,
    "chart.requests",
    "help.requestsChart",
    "stackedBars",
    [
      { label: t("series.successful"), colorVar: "--success" },
      { label: t("series.failed"), colorVar: "--danger" },
    ],
    (v) => formatInteger(v, locale),
  );
  const duration = (v: number | null) => formatDuration(v, locale);
  const responseChart = chartPanel(ctx, "chart.responseTime", "help.responseTimeChart", "lines", latencySeries(t), duration);
  const ttftChart = chartPanel(ctx, "chart.ttft", "help.ttftChart", "lines", latencySeries(t), duration);
  const speedChart = chartPanel(
    ctx,
    "chart.tokensPerSecond",
    "help.tokensPerSecondChart",
    "lines",
    [{ label: t("series.avg"), colorVar: "--chart-1", width: 2 }],
    (v) => formatTokensPerSecond(v, locale),
    (v) => formatDecimal(v, locale, 0),
  );
  const percentiles = percentileTable(ctx, "all");
  const models = barList(t("section.noData"));
  const origins = barList(t("section.noData"));

  const element = h(
    "div",
    { class: "view" },
    h("div", { class: "stats" }, total.element, success.element, responseTime.element, speed.element),
    h("div", { class: "grid-wide" }, requestsChart.element),
    h("div", { class: "grid-2" }, responseChart.element, ttftChart.element),
    h("div", { class: "grid-2" }, speedChart.element, percentiles.element),
    h(
      "div",
      { class: "grid-2" },
      section(t, "section.modelUsage", "help.modelUsage", models.element),
      section(t, "section.requestSources", "help.requestSources", origins.element),
    ),
  );

  return {
    element,
    update({ metrics, columns }: DashboardData) {
      const all = metrics.requests.total;
      total.set(
        formatCompact(all.total, locale),
        t("card.successfulFailed", {
          successful: formatInteger(all.successful, locale),
          failed: formatInteger(all.failed, locale),
        }),
      );
      success.set(
        all.total > 0 ? formatPercent(all.successful / all.total, locale) : "—",
        "",
        successLevel(all.successful, all.total),
      );
      const p95 = metrics.percentiles?.all?.response_time_ms?.p95;
      responseTime.set(
        formatDuration(all.avg_response_time_ms, locale),
        p95 !== undefined && p95 !== null ? t("card.p95", { value: formatDuration(p95, locale) }) : "",
      );
      speed.set(formatTokensPerSecond(overallTokensPerSecond(metrics), locale));

      requestsChart.update(columns, (c) => [c.successful, c.failed]);
      responseChart.update(columns, (c) => [c.responseTime.avg, c.responseTime.p50, c.responseTime.p95, c.responseTime.p99]);
      ttftChart.update(columns, (c) => [
        c.timeToFirstToken.avg,
        c.timeToFirstToken.p50,
        c.timeToFirstToken.p95,
        c.timeToFirstToken.p99,
      ]);
      speedChart.update(columns, (c) => [c.tokensPerSecond]);
      percentiles.update(metrics);

      const count = (n: number) => formatInteger(n, locale);
      const share = (f: number) => formatPercent(f, locale);
      models.set(Object.entries(metrics.model_distribution), count, share);
      origins.set(Object.entries(metrics.origin_distribution), count, share);
    },
    destroy() {
      for (const panel of [requestsChart, responseChart, ttftChart, speedChart]) panel.chart.destroy();
    },
  };
}
