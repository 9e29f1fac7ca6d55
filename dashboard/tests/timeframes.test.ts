import { describe, expect, it } from "vitest";

import { timeseriesColumns, stackedTotals, hasValues } from "../src/series";
import {
  DEFAULT_TIMEFRAME,
  TIMEFRAMES,
  bucketLabel,
  bucketNameToSeconds,
  bucketWidthLabel,
  naturalBucketSeconds,
  timeframeStart,
} from "../src/timeframes";

const now = new Date("2026-11-29T10:00:00Z");

describe("timeframes", () => {
  it("has the reference's seven, all time by default", () => {
    expect(TIMEFRAMES).toEqual(["1h", "6h", "12h", "1d", "1w", "1m", "all"]);
    expect(DEFAULT_TIMEFRAME).toBe("all");
  });

  it("maps to start = now − duration, and all time to no start", () => {
    expect(timeframeStart("1h", now)?.toISOString()).toBe("2026-11-29T09:00:00.000Z");
    expect(timeframeStart("1d", now)?.toISOString()).toBe("2026-11-28T10:00:00.000Z");
    expect(timeframeStart("1w", now)?.toISOString()).toBe("2026-11-22T10:00:00.000Z");
    expect(timeframeStart("1m", now)?.toISOString()).toBe("2026-10-30T10:00:00.000Z");
    expect(timeframeStart("all", now)).toBeNull();
  });
});

describe("buckets", () => {
  it("picks natural sizes", () => {
    expect(naturalBucketSeconds(3600)).toBe(60);
    expect(naturalBucketSeconds(6 * 3600)).toBe(300);
    expect(naturalBucketSeconds(86400)).toBe(900);
    expect(naturalBucketSeconds(7 * 86400)).toBe(6 * 3600);
    expect(naturalBucketSeconds(365 * 86400)).toBe(7 * 86400);
  });

  it("parses the server's bucket names", () => {
    expect(bucketNameToSeconds("5m")).toBe(300);
    expect(bucketNameToSeconds("1h")).toBe(3600);
    expect(bucketNameToSeconds("1d")).toBe(86400);
    expect(bucketNameToSeconds("1w")).toBe(604800);
    expect(bucketNameToSeconds("soon")).toBeNull();
  });

  it("labels buckets by clock, by date, or both when a chart spans days", () => {
    const start = new Date("2026-11-29T09:05:00Z");
    expect(bucketLabel(start, 300, 3600, "en-GB")).toMatch(/\d\d:\d\d/);
    expect(bucketLabel(start, 86400, 30 * 86400, "en")).toMatch(/Nov/);
    expect(bucketLabel(start, 3600, 7 * 86400, "en")).toMatch(/Nov.*\d\d:\d\d/);
    expect(bucketLabel(start, 86400, 30 * 86400, "de")).toMatch(/Nov/);
  });

  it("describes a bar's width in the reader's language", () => {
    expect(bucketWidthLabel(300, "en")).toBe("5 min");
    expect(bucketWidthLabel(3600, "en")).toBe("1 hr");
    expect(bucketWidthLabel(86400, "de")).toBe("1 Tg.");
  });
});

describe("timeseries columns", () => {
  const answer = {
    start: "2026-11-29T09:00:00.000Z",
    end: "2026-11-29T09:10:00.000Z",
    bucket: "5m",
    bucket_seconds: 300,
    series: [
      {
        model: null,
        points: [
          {
            t: "2026-11-29T09:00:00.000Z",
            successful: 3,
            failed: 1,
            response_time_ms: { avg: 100, p50: 90, p95: 180, p99: 200 },
            time_to_first_token_ms: { avg: 20, p50: 18, p95: 30, p99: 40 },
            tokens_per_second: { avg: 50 },
          },
          { t: "2026-11-29T09:05:00.000Z", successful: null, failed: null, response_time_ms: null },
        ],
      },
    ],
  };

  it("turns points into columns, counts missing as zero and latency missing as null", () => {
    const c = timeseriesColumns(answer);
    expect(c.bucketSeconds).toBe(300);
    expect(c.x).toEqual([Date.parse("2026-11-29T09:00:00Z") / 1000, Date.parse("2026-11-29T09:05:00Z") / 1000]);
    expect(c.successful).toEqual([3, 0]);
    expect(c.failed).toEqual([1, 0]);
    expect(c.responseTime.p95).toEqual([180, null]);
    expect(c.timeToFirstToken.avg).toEqual([20, null]);
    expect(c.tokensPerSecond).toEqual([50, null]);
  });

  it("falls back on the bucket name when bucket_seconds is absent", () => {
    const { bucket_seconds: _unused, ...withoutSeconds } = answer;
    expect(timeseriesColumns(withoutSeconds).bucketSeconds).toBe(300);
  });

  it("stacks successful on failed", () => {
    expect(stackedTotals([3, 0, 2], [1, 0, 5])).toEqual([4, 0, 7]);
    expect(hasValues([null, 0])).toBe(false);
    expect(hasValues([null, 2])).toBe(true);
  });
});
