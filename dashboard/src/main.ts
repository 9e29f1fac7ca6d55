// The dashboard: header controls, tabs, live refresh, and the loading / empty / unreachable
// states. Views are rebuilt when the language, theme or timeframe changes and updated in place
// on every refresh.
import "./styles.css";

import { ApiError, MetricsClient, type MetricsResponse } from "./api";
import { h, setText } from "./dom";
import { formatClock } from "./format";
import { LANGUAGE_NAMES, LANGUAGES, translator, type Language, type MessageKey } from "./i18n";
import { loadPreferences, savePreference, type Preferences } from "./preferences";
import { resolveApiBaseUrl } from "./runtime_config";
import { timeseriesColumns, type ChartColumns } from "./series";
import { THEME_COLOR_SCHEME, THEMES, isTheme, themeForColorScheme, type Theme } from "./themes";
import { TIMEFRAMES, isTimeframe, timeframeStart } from "./timeframes";
import type { DashboardData, View, ViewContext } from "./views/common";
import { kindView } from "./views/kind";
import { modelsView } from "./views/models";
import { overviewView } from "./views/overview";
import { requestsView } from "./views/requests";

const REFRESH_INTERVAL_MS = 5000;
const REFERENCE_URL = "https://github.com/rewolf/llm-metrics-proxy";

const TABS = [
  { id: "overview", label: "tab.overview", make: (ctx: ViewContext) => overviewView(ctx) },
  { id: "streamed", label: "tab.streamed", make: (ctx: ViewContext) => kindView(ctx, "streamed") },
  { id: "non-streamed", label: "tab.nonStreamed", make: (ctx: ViewContext) => kindView(ctx, "non_streamed") },
  { id: "models", label: "tab.models", make: (ctx: ViewContext) => modelsView(ctx) },
  { id: "requests", label: "tab.requests", make: (ctx: ViewContext) => requestsView(ctx) },
] as const satisfies readonly { id: string; label: MessageKey; make: (ctx: ViewContext) => View }[];
type TabId = (typeof TABS)[number]["id"];

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const darkQuery = window.matchMedia?.("(prefers-color-scheme: dark)");
const prefs: Preferences = loadPreferences(storage(), darkQuery?.matches ?? false, navigator.languages ?? [navigator.language]);
// ?theme=terminal&lang=ja&timeframe=1h&live=0 override the stored choices for this page load
// without saving them: links that show a given view, screenshots and browser tests.
const overrides = new URLSearchParams(window.location.search);
const themeOverride = overrides.get("theme");
if (isTheme(themeOverride)) Object.assign(prefs, { theme: themeOverride, themeChosen: true });
const languageOverride = overrides.get("lang");
if (LANGUAGES.includes(languageOverride as Language)) prefs.language = languageOverride as Language;
const timeframeOverride = overrides.get("timeframe");
if (isTimeframe(timeframeOverride)) prefs.timeframe = timeframeOverride;
const client = new MetricsClient(resolveApiBaseUrl(window.LMP_CONFIG, window.location));

let activeTab: TabId = tabFromHash() ?? "overview";
let views = new Map<TabId, View>();
let lastData: DashboardData | null = null;
let lastUpdated: Date | null = null;
let lastError: ApiError | null = null;
let timeseriesMissing = false; // an older API without /timeseries: stop asking
let refreshing = false;
// A refresh asked for while one is loading (a new timeframe, say) runs right after it.
let refreshPending = false;
let live = overrides.get("live") !== "0";

function tabFromHash(): TabId | null {
  const id = window.location.hash.replace(/^#/, "");
  return TABS.some((tab) => tab.id === id) ? (id as TabId) : null;
}

function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = THEME_COLOR_SCHEME[theme];
}

// ---- shell ---------------------------------------------------------------------------------

const root = document.getElementById("app")!;
let statusLine: HTMLElement;
let banner: HTMLElement;
let stateHost: HTMLElement;
let panelsHost: HTMLElement;
let tabButtons: HTMLButtonElement[] = [];
let panels = new Map<TabId, HTMLElement>();

function build(): void {
  const t = translator(prefs.language);
  const locale = prefs.language;
  document.documentElement.lang = prefs.language;
  document.title = t("app.title");
  for (const view of views.values()) view.destroy();
  views = new Map();

  const control = (id: string, labelKey: MessageKey, options: [string, string][], value: string, onChange: (v: string) => void) => {
    const select = h("select", { id }, ...options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
    select.addEventListener("change", () => onChange(select.value));
    return h("div", { class: "field" }, h("label", { for: id }, t(labelKey)), select);
  };
  const liveToggle = h("input", { type: "checkbox", id: "live", checked: live });
  liveToggle.addEventListener("change", () => {
    live = liveToggle.checked;
    updateStatus();
    if (live) void refresh();
  });
  const refreshButton = h("button", { type: "button", class: "button" }, t("controls.refresh"));
  refreshButton.addEventListener("click", () => void refresh());

  statusLine = h("span", { class: "status-line muted", role: "status", "aria-live": "polite" });
  banner = h("div", { class: "banner", role: "alert", hidden: true });
  stateHost = h("div", { class: "state" });
  panelsHost = h("div", {});

  const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": t("tabs.label") });
  tabButtons = [];
  panels = new Map();
  const ctx: ViewContext = { t, locale, client };
  for (const tab of TABS) {
    const button = h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${tab.id}`,
        "aria-controls": `panel-${tab.id}`,
        class: "tab",
      },
      t(tab.label),
    );
    button.addEventListener("click", () => selectTab(tab.id, true));
    button.addEventListener("keydown", (event) => onTabKey(event, tab.id));
    tabButtons.push(button);
    tablist.append(button);
    const view = tab.make(ctx);
    views.set(tab.id, view);
    const panel = h("div", { role: "tabpanel", id: `panel-${tab.id}`, "aria-labelledby": `tab-${tab.id}`, tabindex: 0 }, view.element);
    panels.set(tab.id, panel);
    panelsHost.append(panel);
  }

  const header = h(
    "header",
    { class: "app-header" },
    h("div", { class: "brand" }, h("h1", {}, t("app.title")), h("p", { class: "muted" }, t("app.subtitle"))),
    h(
      "div",
      { class: "controls", role: "group", "aria-label": t("controls.label") },
      control("timeframe", "controls.timeframe", TIMEFRAMES.map((id) => [id, t(`timeframe.${id}`)]), prefs.timeframe, (v) => {
        if (!isTimeframe(v)) return;
        prefs.timeframe = v;
        savePreference(storage(), "timeframe", v);
        rebuild();
      }),
      control("theme", "controls.theme", THEMES.map((id) => [id, t(`theme.${id}`)]), prefs.theme, (v) => {
        if (!isTheme(v)) return;
        prefs.theme = v;
        prefs.themeChosen = true;
        savePreference(storage(), "theme", v);
        applyTheme(v);
        rebuild(); // charts read their colours from the theme when created
      }),
      control("language", "controls.language", LANGUAGES.map((id) => [id, LANGUAGE_NAMES[id]]), prefs.language, (v) => {
        prefs.language = v as Language;
        savePreference(storage(), "language", v);
        rebuild();
      }),
      h("div", { class: "field field-inline" }, liveToggle, h("label", { for: "live" }, t("controls.live"))),
      h("div", { class: "field field-button" }, refreshButton),
    ),
  );
  const footer = h(
    "footer",
    { class: "app-footer muted" },
    h("p", {}, ...creditWithLink(t("footer.credit", { reference: "\u0000" }))),
    h("p", {}, t("footer.api", { url: client.baseUrl })),
  );

  root.replaceChildren(
    h("a", { class: "skip-link", href: "#main" }, t("tabs.label")),
    header,
    h("main", { id: "main", tabindex: -1 }, h("div", { class: "toolbar" }, tablist, statusLine), banner, stateHost, panelsHost),
    footer,
  );
  selectTab(activeTab, false);
}

// The footer names the reference project as a link wherever the translation puts it.
function creditWithLink(text: string): (string | Node)[] {
  const [before, after = ""] = text.split("\u0000");
  return [before, h("a", { href: REFERENCE_URL, rel: "noopener" }, "rewolf/llm-metrics-proxy"), after];
}

function selectTab(id: TabId, focus: boolean): void {
  activeTab = id;
  TABS.forEach((tab, index) => {
    const selected = tab.id === id;
    const button = tabButtons[index];
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    panels.get(tab.id)!.hidden = !selected;
    if (selected && focus) button.focus();
  });
  if (tabFromHash() !== id) history.replaceState(null, "", `#${id}`);
  render();
  if (id === "requests") views.get("requests")?.refresh?.(timeframeStart(prefs.timeframe, new Date()));
}

// Arrow keys move between tabs, Home/End jump (WAI-ARIA tabs pattern, automatic activation).
function onTabKey(event: KeyboardEvent, id: TabId): void {
  const index = TABS.findIndex((tab) => tab.id === id);
  let next = index;
  if (event.key === "ArrowRight") next = (index + 1) % TABS.length;
  else if (event.key === "ArrowLeft") next = (index - 1 + TABS.length) % TABS.length;
  else if (event.key === "Home") next = 0;
  else if (event.key === "End") next = TABS.length - 1;
  else return;
  event.preventDefault();
  selectTab(TABS[next].id, true);
}

function rebuild(): void {
  build();
  lastData = null;
  void refresh();
}

// ---- data ----------------------------------------------------------------------------------

async function loadData(): Promise<DashboardData> {
  const start = timeframeStart(prefs.timeframe, new Date());
  const metricsPromise = client.metrics(start);
  let columns: ChartColumns | null = null;
  if (!timeseriesMissing) {
    try {
      columns = timeseriesColumns(await client.timeseries(start));
    } catch (error) {
      // An API without /timeseries hides the charts; any other failure is reported below.
      if (error instanceof ApiError && error.kind === "not_found") timeseriesMissing = true;
      else if (error instanceof ApiError && error.kind === "unreachable") throw error;
      columns = null;
    }
  }
  const metrics: MetricsResponse = await metricsPromise;
  return { metrics, columns, start };
}

async function refresh(): Promise<void> {
  if (refreshing) {
    refreshPending = true;
    return;
  }
  refreshing = true;
  try {
    lastData = await loadData();
    lastUpdated = new Date();
    lastError = null;
  } catch (error) {
    lastError = error instanceof ApiError ? error : new ApiError("http", String(error));
  } finally {
    refreshing = false;
  }
  render();
  if (activeTab === "requests" && lastData) views.get("requests")?.refresh?.(lastData.start);
  if (refreshPending) {
    refreshPending = false;
    void refresh();
  }
}

function render(): void {
  const t = translator(prefs.language);
  updateStatus();
  // Before any data: one clear state in place of the tabs.
  if (!lastData) {
    panelsHost.hidden = true;
    banner.hidden = true;
    if (lastError) {
      stateHost.replaceChildren(stateMessage(lastError, t));
    } else {
      stateHost.replaceChildren(
        h("div", { class: "state-box", "aria-busy": "true" }, h("div", { class: "spinner", "aria-hidden": "true" }), h("p", {}, t("status.loading"))),
      );
    }
    return;
  }
  panelsHost.hidden = false;
  // Data on screen and a failed refresh: keep the numbers, say they are not fresh.
  banner.hidden = !lastError;
  if (lastError) setText(banner, errorText(lastError, t));
  const empty = lastData.metrics.requests.total.total === 0;
  if (empty && activeTab !== "requests") {
    stateHost.replaceChildren(
      h("div", { class: "state-box" }, h("h2", {}, t("status.empty")), h("p", { class: "muted" }, t("status.emptyHint"))),
    );
  } else {
    stateHost.replaceChildren();
  }
  panelsHost.classList.toggle("is-empty", empty);
  views.get(activeTab)?.update(lastData);
}

function errorText(error: ApiError, t: ReturnType<typeof translator>): string {
  if (error.kind === "unreachable") return `${t("status.unreachable")}. ${t("status.unreachableHint", { url: client.baseUrl })}`;
  return t("status.apiError", { message: error.message });
}

function stateMessage(error: ApiError, t: ReturnType<typeof translator>): HTMLElement {
  if (error.kind === "unreachable")
    return h(
      "div",
      { class: "state-box error" },
      h("h2", {}, t("status.unreachable")),
      h("p", { class: "muted" }, t("status.unreachableHint", { url: client.baseUrl })),
    );
  return h("div", { class: "state-box error" }, h("h2", {}, t("status.apiError", { message: error.message })));
}

function updateStatus(): void {
  if (!statusLine) return;
  const t = translator(prefs.language);
  const time = lastUpdated ? formatClock(lastUpdated, prefs.language) : "";
  let text = "";
  if (!live) text = t("status.paused");
  else if (lastError && lastUpdated) text = t("status.stale", { time });
  else if (lastUpdated) text = t("status.updated", { time });
  setText(statusLine, text);
  statusLine.dataset.state = lastError ? "error" : "ok";
}

// ---- start ---------------------------------------------------------------------------------

applyTheme(prefs.theme);
darkQuery?.addEventListener("change", (event) => {
  if (prefs.themeChosen) return; // the user's choice beats the OS
  prefs.theme = themeForColorScheme(event.matches);
  applyTheme(prefs.theme);
  rebuild();
});
window.addEventListener("hashchange", () => {
  const id = tabFromHash();
  if (id && id !== activeTab) selectTab(id, false);
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && live) void refresh();
});
setInterval(() => {
  if (live && !document.hidden) void refresh();
}, REFRESH_INTERVAL_MS);

build();
void refresh();
