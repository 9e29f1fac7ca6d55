import { describe, expect, it } from "vitest";

import {
  MISSING,
  formatCompact,
  formatDecimal,
  formatDuration,
  formatInteger,
  formatPercent,
  formatTokensPerSecond,
  ratio,
  successLevel,
} from "../src/format";

describe("numbers", () => {
  it("groups thousands the way the locale does", () => {
    expect(formatInteger(1234567, "en")).toBe("1,234,567");
    expect(formatInteger(1234567, "de")).toBe("1.234.567");
    expect(formatInteger(1234567, "fr")).toMatch(/^1\s234\s567$/u);
  });

  it("keeps small counts exact and compacts large ones", () => {
    expect(formatCompact(9999, "en")).toBe("9,999");
    expect(formatCompact(1_234_567, "en")).toBe("1.2M");
  });

  it("renders missing values as a dash", () => {
    for (const value of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(formatInteger(value, "en")).toBe(MISSING);
      expect(formatDuration(value, "en")).toBe(MISSING);
      expect(formatPercent(value, "en")).toBe(MISSING);
      expect(formatTokensPerSecond(value, "en")).toBe(MISSING);
    }
  });

  it("uses the locale's decimal separator", () => {
    expect(formatDecimal(63.75, "en", 1)).toBe("63.8");
    expect(formatDecimal(63.75, "de", 1)).toBe("63,8");
  });
});

describe("percentages", () => {
  it("formats fractions with up to one decimal", () => {
    expect(formatPercent(0.9876, "en")).toBe("98.8%");
    expect(formatPercent(1, "en")).toBe("100%");
    expect(formatPercent(0.5, "de")).toMatch(/^50\s%$/u);
  });

  it("ratio refuses a zero whole", () => {
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(1, 4)).toBe(0.25);
  });
});

describe("durations", () => {
  it("picks the unit a person reads fastest", () => {
    expect(formatDuration(0.42, "en")).toBe("0.42ms");
    expect(formatDuration(87.4, "en")).toBe("87ms");
    expect(formatDuration(1250, "en")).toBe("1.25s");
    expect(formatDuration(42_500, "en")).toBe("42.5s");
    expect(formatDuration(125_000, "en")).toBe("2m 5s");
  });

  it("is locale-aware", () => {
    expect(formatDuration(1250, "de")).toBe("1,25 Sek.");
  });
});

describe("tokens per second", () => {
  it("keeps two decimals under 10 tok/s and one above", () => {
    expect(formatTokensPerSecond(3.456, "en")).toBe("3.46 tok/s");
    expect(formatTokensPerSecond(63.71, "en")).toBe("63.7 tok/s");
  });
});

describe("success level", () => {
  it("is green from 95%, amber from 80%, red below", () => {
    expect(successLevel(95, 100)).toBe("good");
    expect(successLevel(94, 100)).toBe("warning");
    expect(successLevel(80, 100)).toBe("warning");
    expect(successLevel(79, 100)).toBe("bad");
    expect(successLevel(0, 0)).toBe("none");
  });
});
