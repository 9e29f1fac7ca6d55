// The seven timeframes of the reference dashboard, how they map to the API's `start`, and the
// labels of time buckets on chart axes.
import { dateTimeFormat } from "./format";

export const TIMEFRAMES = ["1h", "6h", "12h", "1d", "1w", "1m", "all"] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
export const DEFAULT_TIMEFRAME: Timeframe = "all";

const HOUR = 3600;
const DAY = 24 * HOUR;
const TIMEFRAME_SECONDS: Record<Exclude<Timeframe, "all">, number> = {
  "1h": HOUR,
  "6h": 6 * HOUR,
  "12h": 12 * HOUR,
  "1d": DAY,
  "1w": 7 * DAY,
  "1m": 30 * DAY,
};

export function isTimeframe(value: unknown): value is Timeframe {
  return typeof value === "string" && (TIMEFRAMES as readonly string[]).includes(value);
}

// `start` for the API: now − duration, or null for all time (the API then reads everything).
export function timeframeStart(timeframe: Timeframe, now: Date): Date | null {
  if (timeframe === "all") return null;
  return new Date(now.getTime() - TIMEFRAME_SECONDS[timeframe] * 1000);
}

// Bucket sizes the server picks from (natural divisions of the clock and calendar).
export const NATURAL_BUCKETS = [60, 300, 900, 3600, 6 * HOUR, DAY, 7 * DAY] as const;

// The smallest natural bucket that keeps a range under `maxBuckets` bars; used only to describe
// a range before the server answers, the server's `bucket_seconds` always wins.
export function naturalBucketSeconds(rangeSeconds: number, maxBuckets = 120): number {
  for (const size of NATURAL_BUCKETS) if (rangeSeconds / size <= maxBuckets) return size;
  return NATURAL_BUCKETS[NATURAL_BUCKETS.length - 1];
}

// Parses the server's bucket names ("1m", "5m", "1h", "1d", "1w") when bucket_seconds is absent.
export function bucketNameToSeconds(name: string): number | null {
  const match = /^(\d+)\s*([smhdw])$/.exec(name.trim());
  if (!match) return null;
  const factor = { s: 1, m: 60, h: HOUR, d: DAY, w: 7 * DAY }[match[2] as "s" | "m" | "h" | "d" | "w"];
  return Number(match[1]) * factor;
}

// A bucket's axis label: the clock for buckets shorter than a day, the date otherwise; the date
// is added to clock labels when the chart spans more than one day.
export function bucketLabel(
  bucketStart: Date,
  bucketSeconds: number,
  spanSeconds: number,
  locale: string,
): string {
  if (bucketSeconds >= DAY) {
    return dateTimeFormat(locale, { month: "short", day: "numeric" }).format(bucketStart);
  }
  if (spanSeconds > DAY) {
    return dateTimeFormat(locale, {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    }).format(bucketStart);
  }
  return dateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(bucketStart);
}

// "5 min", "1 h", "1 d": how wide one bar is, in the legend.
export function bucketWidthLabel(bucketSeconds: number, locale: string): string {
  const unit = (value: number, name: string) =>
    new Intl.NumberFormat(locale, { style: "unit", unit: name, unitDisplay: "short" }).format(value);
  if (bucketSeconds % (7 * DAY) === 0) return unit(bucketSeconds / (7 * DAY), "week");
  if (bucketSeconds % DAY === 0) return unit(bucketSeconds / DAY, "day");
  if (bucketSeconds % HOUR === 0) return unit(bucketSeconds / HOUR, "hour");
  if (bucketSeconds % 60 === 0) return unit(bucketSeconds / 60, "minute");
  return unit(bucketSeconds, "second");
}
