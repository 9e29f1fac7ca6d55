// The five themes of the reference dashboard. Colours and fonts live in styles.css under
// [data-theme=...]; this list is what the selector offers and what the OS preference maps to.

export const THEMES = ["light", "solarized", "dark", "terminal", "fluid"] as const;
export type Theme = (typeof THEMES)[number];

export function isTheme(value: unknown): value is Theme {
  return typeof value === "string" && (THEMES as readonly string[]).includes(value);
}

// Whether form controls and scrollbars should be drawn light or dark for a theme.
export const THEME_COLOR_SCHEME: Record<Theme, "light" | "dark"> = {
  light: "light",
  solarized: "light",
  dark: "dark",
  terminal: "dark",
  fluid: "dark",
};

// Until the user picks a theme, the OS colour scheme chooses between Light and Dark.
export function themeForColorScheme(prefersDark: boolean): Theme {
  return prefersDark ? "dark" : "light";
}
