import { describe, expect, it } from "vitest";

import { en } from "../src/i18n/en";
import { LANGUAGES, LANGUAGE_NAMES, MESSAGES, detectLanguage, placeholders, translator } from "../src/i18n";

describe("i18n", () => {
  it("offers the reference's eight languages", () => {
    expect([...LANGUAGES].sort()).toEqual(["de", "en", "es", "fr", "ja", "ko", "ru", "zh"]);
    for (const language of LANGUAGES) expect(LANGUAGE_NAMES[language]).toBeTruthy();
  });

  it.each(LANGUAGES)("%s has every key, no extra key, no empty text, the same placeholders", (language) => {
    const messages = MESSAGES[language];
    expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const translated = messages[key as keyof typeof en];
      expect(translated.trim(), key).not.toBe("");
      expect(placeholders(translated), key).toEqual(placeholders(text));
    }
  });

  it("really translates: most texts differ from English", () => {
    for (const language of LANGUAGES.filter((l) => l !== "en")) {
      const same = Object.entries(en).filter(([key, text]) => MESSAGES[language][key as keyof typeof en] === text);
      expect(same.length / Object.keys(en).length, language).toBeLessThan(0.15);
    }
  });

  it("detects the browser's language by its base tag", () => {
    expect(detectLanguage(["de-AT", "en"])).toBe("de");
    expect(detectLanguage(["pt-BR", "ja"])).toBe("ja");
    expect(detectLanguage(["zh-Hans-CN"])).toBe("zh");
    expect(detectLanguage(["pt"])).toBe("en");
    expect(detectLanguage([])).toBe("en");
  });

  it("fills placeholders", () => {
    const t = translator("en");
    expect(t("log.page", { page: 3 })).toBe("Page 3");
    expect(translator("fr")("log.page", { page: 2 })).toBe("Page 2");
  });

  it("says how tokens per second is defined", () => {
    for (const language of LANGUAGES) expect(MESSAGES[language]["help.inferenceSpeed"]).toMatch(/÷/);
  });
});
