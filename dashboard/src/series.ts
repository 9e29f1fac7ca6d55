// Turns a /timeseries answer into the column arrays uPlot draws. Pure, so it is unit-tested.
import type { TimeseriesResponse } from "./api";
import { bucketNameToSeconds } from "./timeframes";

export interface ChartColumns {
  bucketSeconds: number;
  x: number[]; // bucket starts, Unix seconds
  successful: number[];
  failed: number[];
  responseTime: { avg: (number | null)[]; p50: (number | null)[]; p95: (number | null)[]; p99: (number | null)[] };
  timeToFirstToken: { avg: (number | null)[]; p50: (number | null)[]; p95: (number | null)[]; p99: (number | null)[] };
  tokensPerSecond: (number | null)[];
}

const value = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

export function timeseriesColumns(answer: TimeseriesResponse): ChartColumns {
  const bucketSeconds = answer.bucket_seconds ?? bucketNameToSeconds(answer.bucket) ?? 60;
  // Without by=model there is one series; with it, counts add up across models while latency
  // (which cannot be summed) is taken from the all-models series when the server sends one.
  const overall = answer.series.find((s) => s.model === null) ?? answer.series[0];
  const columns: ChartColumns = {
    bucketSeconds,
    x: [],
    successful: [],
    failed: [],
    responseTime: { avg: [], p50: [], p95: [], p99: [] },
    timeToFirstToken: { avg: [], p50: [], p95: [], p99: [] },
    tokensPerSecond: [],
  };
  if (!overall) return columns;
  for (const point of overall.points) {
    columns.x.push(Math.floor(Date.parse(point.t) / 1000));
    columns.successful.push(value(point.successful) ?? 0);
    columns.failed.push(value(point.failed) ?? 0);
    for (const q of ["avg", "p50", "p95", "p99"] as const) {
      columns.responseTime[q].push(value(point.response_time_ms?.[q]));
      columns.timeToFirstToken[q].push(value(point.time_to_first_token_ms?.[q]));
    }
    columns.tokensPerSecond.push(value(point.tokens_per_second?.avg));
  }
  return columns;
}

// Whether a column has anything to draw (a chart of nulls is shown as "no data").
export function hasValues(column: readonly (number | null)[]): boolean {
  return column.some((v) => v !== null && v !== 0);
}

// Successful bars sit on top of failed ones: the "failed" series is drawn at the stack's full
// height behind the successful one, so its drawn value is the sum.
export function stackedTotals(successful: readonly number[], failed: readonly number[]): number[] {
  return successful.map((s, i) => s + (failed[i] ?? 0));
}
