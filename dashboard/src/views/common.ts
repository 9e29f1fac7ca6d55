// Pieces shared by the tabs: the data every view gets, chart panels and the percentile table.
import type { MetricsClient, MetricsResponse, PercentileScope } from "../api";
import { TimeChart, type SeriesSpec } from "../charts";
import { fillRows, h, section, setText } from "../dom";
import { formatDuration } from "../format";
import type { MessageKey, Translate } from "../i18n";
import type { ChartColumns } from "../series";
import { bucketWidthLabel } from "../timeframes";

export interface ViewContext {
  t: Translate;
  locale: string;
  client: MetricsClient;
}

export interface DashboardData {
  metrics: MetricsResponse;
  // null: the API has no /timeseries (an older one); charts say so instead of failing.
  columns: ChartColumns | null;
  start: Date | null;
}

export interface View {
  element: HTMLElement;
  update(data: DashboardData): void;
  destroy(): void;
  // Called on every live tick while the tab is visible (views that fetch their own data).
  refresh?(start: Date | null): void;
}

export interface ChartPanel {
  element: HTMLElement;
  chart: TimeChart;
  update(columns: ChartColumns | null, pick: (c: ChartColumns) => (number | null)[][]): void;
}

export function chartPanel(
  ctx: ViewContext,
  titleKey: MessageKey,
  helpKey: MessageKey,
  kind: "stackedBars" | "lines",
  series: SeriesSpec[],
  formatValue: (v: number | null) => string,
  formatAxis?: (v: number) => string,
): ChartPanel {
  const { t } = ctx;
  const host = h("div", { class: "chart" });
  const caption = h("p", { class: "chart-caption muted" });
  const unavailable = h("p", { class: "muted", hidden: true }, t("chart.unavailable"));
  const noData = h("p", { class: "chart-empty muted", hidden: true }, t("section.noData"));
  const element = section(t, titleKey, helpKey, host, noData, unavailable, caption);
  element.classList.add("chart-panel");
  const chart = new TimeChart(host, {
    kind,
    series,
    formatValue,
    formatAxis,
    locale: ctx.locale,
    ariaLabel: t(titleKey),
    timeLabel: t("log.time"),
  });
  return {
    element,
    chart,
    update(columns, pick) {
      unavailable.hidden = columns !== null;
      host.hidden = columns === null;
      if (!columns) {
        noData.hidden = true;
        setText(caption, "");
        return;
      }
      const values = pick(columns);
      noData.hidden = values.some((column) => column.some((v) => v !== null && v !== 0));
      chart.update(columns.x, values, columns.bucketSeconds);
      setText(caption, t("chart.bucket", { width: bucketWidthLabel(columns.bucketSeconds, ctx.locale) }));
    },
  };
}

export function latencySeries(t: Translate): SeriesSpec[] {
  return [
    { label: t("series.avg"), colorVar: "--chart-1", width: 2 },
    { label: t("series.p50"), colorVar: "--chart-2", width: 1.5 },
    { label: t("series.p95"), colorVar: "--chart-3", width: 1.5, dash: [6, 4] },
    { label: t("series.p99"), colorVar: "--chart-4", width: 1.5, dash: [2, 4] },
  ];
}

// p50/p90/p95/p99 of response time, TTFT and time per output token, from /metrics.
export function percentileTable(ctx: ViewContext, scope: PercentileScope) {
  const { t } = ctx;
  const body = h("tbody");
  const table = h(
    "table",
    { class: "data-table compact" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t("pct.metric")),
        ...["p50", "p90", "p95", "p99"].map((q) => h("th", { scope: "col", class: "num" }, q)),
      ),
    ),
    body,
  );
  const unavailable = h("p", { class: "muted", hidden: true }, t("section.noData"));
  const element = section(t, "section.percentiles", "help.percentiles", h("div", { class: "table-scroll" }, table), unavailable);
  const rows: [MessageKey, "response_time_ms" | "time_to_first_token_ms" | "time_per_output_token_ms"][] = [
    ["pct.responseTime", "response_time_ms"],
    ["pct.ttft", "time_to_first_token_ms"],
    ["pct.tpot", "time_per_output_token_ms"],
  ];
  return {
    element,
    update(metrics: MetricsResponse) {
      const percentiles = metrics.percentiles?.[scope];
      element.hidden = metrics.percentiles === undefined;
      unavailable.hidden = percentiles !== undefined;
      fillRows(
        body,
        rows.map(([label, key]) => {
          const q = percentiles?.[key];
          return [t(label), ...(["p50", "p90", "p95", "p99"] as const).map((p) => formatDuration(q?.[p], ctx.locale))];
        }),
        ["", "num", "num", "num", "num"],
      );
    },
  };
}
