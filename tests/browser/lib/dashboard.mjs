// Helpers shared by the browser specs: the seeded stack's URLs, locators that follow the
// dashboard's roles and labels, translations read from the dashboard's own sources, and the
// dashboard's number formatting evaluated in the page (the browser's Intl, as the app uses it).
import { expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_SRC = path.resolve(HERE, '../../../dashboard/src');

export const seeded = {
  get dashboardUrl() {
    return need('LMP_BT_DASHBOARD_URL');
  },
  get mountedDashboardUrl() {
    return need('LMP_BT_MOUNTED_DASHBOARD_URL');
  },
  get apiUrl() {
    return need('LMP_BT_API_URL');
  },
};

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the global setup did not run`);
  return v;
}

export async function api(pathAndQuery, base = seeded.apiUrl) {
  const r = await fetch(`${base}${pathAndQuery}`);
  if (!r.ok) throw new Error(`GET ${pathAndQuery}: ${r.status} ${await r.text()}`);
  return r.json();
}

// ---------------------------------------------------------------------------------------------
// Vocabulary of the dashboard

export const THEMES = [
  // id, English label, html/body background, text colour
  { id: 'light', label: 'Light', bg: 'rgb(245, 247, 251)', text: 'rgb(26, 34, 48)' },
  { id: 'solarized', label: 'Solarized Light', bg: 'rgb(253, 246, 227)', text: 'rgb(7, 54, 66)' },
  { id: 'dark', label: 'Dark', bg: 'rgb(15, 20, 32)', text: 'rgb(230, 234, 242)' },
  { id: 'terminal', label: 'Terminal', bg: 'rgb(0, 0, 0)', text: 'rgb(0, 255, 255)' },
  { id: 'fluid', label: 'Fluid', bg: 'rgb(13, 17, 23)', text: 'rgb(240, 243, 250)' },
];

export const LANGUAGES = ['en', 'es', 'fr', 'de', 'ja', 'zh', 'ru', 'ko'];
export const LANGUAGE_NAMES = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  ja: '日本語',
  zh: '中文',
  ru: 'Русский',
  ko: '한국어',
};

// value, English label, seconds (null: all time)
export const TIMEFRAMES = [
  { id: '1h', label: 'Last hour', seconds: 3600 },
  { id: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { id: '12h', label: 'Last 12 hours', seconds: 12 * 3600 },
  { id: '1d', label: 'Last day', seconds: 86400 },
  { id: '1w', label: 'Last week', seconds: 7 * 86400 },
  { id: '1m', label: 'Last month', seconds: 30 * 86400 },
  { id: 'all', label: 'All time', seconds: null },
];

// The messages of one language, read from dashboard/src/i18n/<lang>.ts ("key": "text" lines).
const messageCache = new Map();
export function messages(lang) {
  if (!messageCache.has(lang)) {
    const text = fs.readFileSync(path.join(DASHBOARD_SRC, 'i18n', `${lang}.ts`), 'utf8');
    const out = {};
    for (const m of text.matchAll(/^\s*"([\w.]+)"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,?\s*$/gm)) out[m[1]] = JSON.parse(`"${m[2]}"`);
    if (Object.keys(out).length < 50) throw new Error(`could not read the messages of ${lang}`);
    messageCache.set(lang, out);
  }
  return messageCache.get(lang);
}

// ---------------------------------------------------------------------------------------------
// Locators

export const tab = (page, name) => page.getByRole('tab', { name, exact: true });
// The visible tab panel (hidden panels are not in the accessibility tree).
export const panel = (page) => page.getByRole('tabpanel');

// A stat card by its label: {value, detail} locators.
export function card(scope, label) {
  const el = scope.locator('.stat').filter({ has: scope.page().getByText(label, { exact: true }) });
  return { el, value: el.locator('.stat-value'), detail: el.locator('.stat-detail') };
}

export const region = (scope, name) => scope.getByRole('region', { name, exact: true });

// Opens the dashboard and waits until the first data is on screen.
export async function openDashboard(page, url = seeded.dashboardUrl) {
  await page.goto(url);
  await expect(page.getByRole('tablist')).toBeVisible();
  await expect(page.locator('.state-box[aria-busy="true"]')).toHaveCount(0);
}

// ---------------------------------------------------------------------------------------------
// Formatting, as dashboard/src/format.ts does it, evaluated in the page (same Intl data).
// calls: [[fn, value, extra?], ...]; returns the strings.
export function formatInPage(page, locale, calls) {
  return page.evaluate(
    ({ locale, calls }) => {
      const MISSING = '—';
      const missing = (v) => v === null || v === undefined || !Number.isFinite(v);
      const nf = (o) => new Intl.NumberFormat(locale, o);
      const integer = (v) => (missing(v) ? MISSING : nf({ maximumFractionDigits: 0 }).format(v));
      const compact = (v) =>
        missing(v) ? MISSING : Math.abs(v) < 10000 ? integer(v) : nf({ notation: 'compact', maximumFractionDigits: 1 }).format(v);
      const decimal = (v, d = 1) => (missing(v) ? MISSING : nf({ minimumFractionDigits: 0, maximumFractionDigits: d }).format(v));
      const percent = (v) =>
        missing(v) ? MISSING : nf({ style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(v);
      const duration = (ms) => {
        if (missing(ms)) return MISSING;
        const unit = (v, name, d) => nf({ style: 'unit', unit: name, unitDisplay: 'narrow', maximumFractionDigits: d }).format(v);
        const abs = Math.abs(ms);
        if (abs < 10) return unit(ms, 'millisecond', 2);
        if (abs < 1000) return unit(ms, 'millisecond', 0);
        if (abs < 60000) return unit(ms / 1000, 'second', abs < 10000 ? 2 : 1);
        if (abs < 3600000) return `${unit(Math.floor(abs / 60000), 'minute', 0)} ${unit(Math.round((abs % 60000) / 1000), 'second', 0)}`;
        return unit(ms / 3600000, 'hour', 1);
      };
      const tps = (v) => (missing(v) ? MISSING : `${decimal(v, v < 10 ? 2 : 1)} tok/s`);
      const fns = { integer, compact, decimal, percent, duration, tps };
      return calls.map(([fn, value, extra]) => fns[fn](value, extra));
    },
    { locale, calls },
  );
}

// The colour level of a success rate (format.ts successLevel).
export function successLevel(successful, total) {
  if (total <= 0) return 'none';
  const rate = successful / total;
  return rate >= 0.95 ? 'good' : rate >= 0.8 ? 'warning' : 'bad';
}

// Fills "{name}" placeholders.
export function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
