import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { en } from "../src/i18n/en";
import { loadPreferences, savePreference, STORAGE_KEYS } from "../src/preferences";
import { resolveApiBaseUrl } from "../src/runtime_config";
import { THEMES, THEME_COLOR_SCHEME, themeForColorScheme } from "../src/themes";

const css = readFileSync(fileURLToPath(new URL("../src/styles.css", import.meta.url)), "utf8");

function themeBlock(theme: string): string {
  const match = new RegExp(`\\[data-theme="${theme}"\\][^{]*\\{([^}]*)\\}`).exec(css);
  return match ? match[1] : "";
}

describe("themes", () => {
  it("are the reference's five, each named in English", () => {
    expect(THEMES).toEqual(["light", "solarized", "dark", "terminal", "fluid"]);
    for (const theme of THEMES) expect(en[`theme.${theme}`]).toBeTruthy();
  });

  it("each define a palette in the stylesheet", () => {
    for (const theme of THEMES) {
      const block = themeBlock(theme);
      for (const variable of ["--bg", "--text", "--accent", "--success", "--danger"])
        expect(block, `${theme} ${variable}`).toContain(variable);
    }
  });

  it("Terminal is cyan on black, monospace, square 2px borders with a glow", () => {
    const block = themeBlock("terminal");
    expect(block).toMatch(/--bg: #000000/);
    expect(block).toMatch(/--text: #00ffff/);
    expect(block).toMatch(/--radius: 0/);
    expect(block).toMatch(/--border-width: 2px/);
    expect(block).toMatch(/--font-body:[^;]*monospace/);
    expect(block).toMatch(/--shadow: 0 0 \d+px/);
  });

  it("Fluid is magenta on deep blue with a 16px radius", () => {
    const block = themeBlock("fluid");
    expect(block).toMatch(/--bg: #0d1117/);
    expect(block).toMatch(/--accent: #e91e63/);
    expect(block).toMatch(/--radius: 16px/);
  });

  it("the OS colour scheme picks Light or Dark", () => {
    expect(themeForColorScheme(true)).toBe("dark");
    expect(themeForColorScheme(false)).toBe("light");
    expect(THEME_COLOR_SCHEME.terminal).toBe("dark");
  });
});

describe("preferences", () => {
  function memoryStorage(initial: Record<string, string> = {}) {
    const data = new Map(Object.entries(initial));
    return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
  }

  it("default to the OS scheme, the browser language and all time", () => {
    const prefs = loadPreferences(memoryStorage(), true, ["ko-KR"]);
    expect(prefs).toEqual({ theme: "dark", themeChosen: false, language: "ko", timeframe: "all" });
  });

  it("remember the user's choices and ignore junk", () => {
    const storage = memoryStorage({ [STORAGE_KEYS.timeframe]: "forever" });
    savePreference(storage, "theme", "terminal");
    savePreference(storage, "language", "ja");
    const prefs = loadPreferences(storage, false, ["en"]);
    expect(prefs).toEqual({ theme: "terminal", themeChosen: true, language: "ja", timeframe: "all" });
  });

  it("survive storage that throws", () => {
    const broken = { getItem: () => { throw new Error("denied"); }, setItem: () => { throw new Error("full"); } };
    expect(() => savePreference(broken, "theme", "dark")).not.toThrow();
    expect(loadPreferences(broken, false, ["fr"]).language).toBe("fr");
  });
});

describe("API base URL", () => {
  const page = { protocol: "http:", hostname: "example.lan", port: "3000", origin: "http://example.lan:3000" };
  it("uses an explicit URL", () => {
    expect(resolveApiBaseUrl({ apiBaseUrl: "https://metrics.example/api/" }, page)).toBe("https://metrics.example/api");
  });
  it("on the dashboard port, targets the metrics port on the same host", () => {
    expect(resolveApiBaseUrl({ apiBaseUrl: "", metricsPort: 8002 }, page)).toBe("http://example.lan:8002");
  });
  it("under the metrics port, uses the page's own origin", () => {
    expect(resolveApiBaseUrl({ apiBaseUrl: "" }, page)).toBe("http://example.lan:3000");
    expect(resolveApiBaseUrl(undefined, page)).toBe("http://example.lan:3000");
  });
});
