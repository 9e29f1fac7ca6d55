// Theme, language and timeframe, kept in localStorage. Reading tolerates storage that is
// missing, full or disabled (private windows): the dashboard then simply forgets.
import { detectLanguage, isLanguage, type Language } from "./i18n";
import { isTheme, themeForColorScheme, type Theme } from "./themes";
import { DEFAULT_TIMEFRAME, isTimeframe, type Timeframe } from "./timeframes";

export const STORAGE_KEYS = {
  theme: "lmp.theme",
  language: "lmp.language",
  timeframe: "lmp.timeframe",
} as const;

export interface Preferences {
  theme: Theme;
  themeChosen: boolean; // false: follow the OS colour scheme
  language: Language;
  timeframe: Timeframe;
}

type Store = Pick<Storage, "getItem" | "setItem">;

function read(storage: Store | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function loadPreferences(
  storage: Store | null,
  prefersDark: boolean,
  browserLanguages: readonly string[],
): Preferences {
  const theme = read(storage, STORAGE_KEYS.theme);
  const language = read(storage, STORAGE_KEYS.language);
  const timeframe = read(storage, STORAGE_KEYS.timeframe);
  return {
    theme: isTheme(theme) ? theme : themeForColorScheme(prefersDark),
    themeChosen: isTheme(theme),
    language: isLanguage(language) ? language : detectLanguage(browserLanguages),
    timeframe: isTimeframe(timeframe) ? timeframe : DEFAULT_TIMEFRAME,
  };
}

export function savePreference(
  storage: Store | null,
  name: keyof typeof STORAGE_KEYS,
  value: string,
): void {
  try {
    storage?.setItem(STORAGE_KEYS[name], value);
  } catch {
    // Storage full or disabled: the choice lasts for this visit only.
  }
}
