// Locale-aware formatting of the numbers the dashboard shows. Every function accepts null or
// undefined (a value nobody measured) and renders it as an em dash, so views never test for it.

export const MISSING = "—";

type Maybe = number | null | undefined;

function isMissing(value: Maybe): value is null | undefined {
  return value === null || value === undefined || !Number.isFinite(value);
}

// Intl formatters are costly to build; the dashboard re-renders every few seconds.
const formatterCache = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale + JSON.stringify(options);
  let formatter = formatterCache.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, options);
    formatterCache.set(key, formatter);
  }
  return formatter;
}

export function formatInteger(value: Maybe, locale: string): string {
  if (isMissing(value)) return MISSING;
  return numberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

// Large counts on cards stay readable on a phone: 1.2M rather than 1,234,567.
export function formatCompact(value: Maybe, locale: string): string {
  if (isMissing(value)) return MISSING;
  if (Math.abs(value) < 10_000) return formatInteger(value, locale);
  return numberFormat(locale, { notation: "compact", maximumFractionDigits: 1 }).format(value);
}

export function formatDecimal(value: Maybe, locale: string, fractionDigits = 1): string {
  if (isMissing(value)) return MISSING;
  return numberFormat(locale, {
    minimumFractionDigits: 0,
    maximumFractionDigits: fractionDigits,
  }).format(value);
}

// `fraction` is 0..1.
export function formatPercent(fraction: Maybe, locale: string, fractionDigits = 1): string {
  if (isMissing(fraction)) return MISSING;
  return numberFormat(locale, {
    style: "percent",
    minimumFractionDigits: 0,
    maximumFractionDigits: fractionDigits,
  }).format(fraction);
}

// Milliseconds as the unit a person reads fastest: 0.42 ms, 87 ms, 1.25 s, 2 min 5 s.
export function formatDuration(ms: Maybe, locale: string): string {
  if (isMissing(ms)) return MISSING;
  const unit = (value: number, name: string, digits: number) =>
    numberFormat(locale, {
      style: "unit",
      unit: name,
      unitDisplay: "narrow",
      maximumFractionDigits: digits,
    }).format(value);
  const abs = Math.abs(ms);
  if (abs < 10) return unit(ms, "millisecond", 2);
  if (abs < 1000) return unit(ms, "millisecond", 0);
  if (abs < 60_000) return unit(ms / 1000, "second", abs < 10_000 ? 2 : 1);
  if (abs < 3_600_000) {
    const minutes = Math.floor(abs / 60_000);
    const seconds = Math.round((abs % 60_000) / 1000);
    return `${unit(minutes, "minute", 0)} ${unit(seconds, "second", 0)}`;
  }
  return unit(ms / 3_600_000, "hour", 1);
}

export function formatTokensPerSecond(value: Maybe, locale: string): string {
  if (isMissing(value)) return MISSING;
  return `${formatDecimal(value, locale, value < 10 ? 2 : 1)} tok/s`;
}

export type SuccessLevel = "good" | "warning" | "bad" | "none";

// The colour of the success rate: green from 95%, amber from 80%, red below.
export function successLevel(successful: number, total: number): SuccessLevel {
  if (total <= 0) return "none";
  const rate = successful / total;
  if (rate >= 0.95) return "good";
  if (rate >= 0.8) return "warning";
  return "bad";
}

export function ratio(part: Maybe, whole: Maybe): number | null {
  if (isMissing(part) || isMissing(whole) || whole === 0) return null;
  return part / whole;
}

const dateTimeCache = new Map<string, Intl.DateTimeFormat>();
export function dateTimeFormat(
  locale: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = locale + JSON.stringify(options);
  let formatter = dateTimeCache.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, options);
    dateTimeCache.set(key, formatter);
  }
  return formatter;
}

export function formatTimestamp(iso: string | null | undefined, locale: string): string {
  if (!iso) return MISSING;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(date);
}

export function formatClock(date: Date, locale: string): string {
  return dateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(
    date,
  );
}
