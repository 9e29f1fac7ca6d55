// Themes, languages and timeframes: each applies, persists across reload (localStorage), and
// the defaults follow the browser (colour scheme, language).
import { test, expect } from '@playwright/test';
import { LANGUAGE_NAMES, LANGUAGES, THEMES, TIMEFRAMES, api, card, formatInPage, messages, openDashboard, panel, seeded, tab } from './lib/dashboard.mjs';

const en = messages('en');
const themeSelect = (page) => page.getByRole('combobox', { name: 'Theme' });
const timeframeSelect = (page) => page.getByRole('combobox', { name: 'Timeframe' });
const languageSelect = (page) => page.locator('#language');

const computed = (locator, prop) => locator.evaluate((el, p) => getComputedStyle(el)[p], prop);

test.describe('themes', () => {
  for (const theme of THEMES) {
    test(`${theme.label}: applies its palette and is kept across reload`, async ({ page }) => {
      await openDashboard(page);
      await themeSelect(page).selectOption({ label: theme.label });
      const html = page.locator('html');
      await expect(html).toHaveAttribute('data-theme', theme.id);
      await expect.poll(() => computed(html, 'backgroundColor')).toBe(theme.bg);
      await expect.poll(() => computed(page.locator('body'), 'color')).toBe(theme.text);
      await expect.poll(() => computed(page.locator('h1'), 'color')).toBe(theme.text);
      if (theme.id === 'terminal') {
        expect(await computed(page.locator('body'), 'fontFamily')).toMatch(/monospace/);
        expect(await computed(card(panel(page), en['card.totalRequests']).value, 'fontFamily')).toMatch(/monospace/);
        expect(await computed(page.locator('.panel').first(), 'borderTopWidth')).toBe('2px');
        expect(await computed(page.locator('.panel').first(), 'borderTopLeftRadius')).toBe('0px');
        // The selected tab is drawn in the accent: cyan.
        expect(await computed(tab(page, 'Overview'), 'backgroundColor')).toBe('rgb(0, 255, 255)');
      }
      if (theme.id === 'fluid') {
        expect(await computed(tab(page, 'Overview'), 'backgroundColor')).toBe('rgb(233, 30, 99)');
        expect(await computed(page.locator('footer a'), 'color')).toBe('rgb(233, 30, 99)');
        expect(await computed(page.locator('.panel').first(), 'borderTopLeftRadius')).toBe('16px');
      }
      expect(await page.evaluate(() => localStorage.getItem('lmp.theme'))).toBe(theme.id);
      await page.reload();
      await expect(html).toHaveAttribute('data-theme', theme.id);
      await expect(themeSelect(page)).toHaveValue(theme.id);
      await expect.poll(() => computed(html, 'backgroundColor')).toBe(theme.bg);
      // Charts are drawn in every theme.
      await expect(page.locator('.chart canvas').first()).toBeVisible();
      if (process.env.LMP_BT_SCREENSHOT_DIR) {
        await page.screenshot({ path: `${process.env.LMP_BT_SCREENSHOT_DIR}/${theme.id}.png`, fullPage: true });
      }
    });
  }

  test('the OS colour scheme picks Dark until the user chooses, and the choice then wins', async ({ browser }) => {
    const context = await browser.newContext({ colorScheme: 'dark' });
    const page = await context.newPage();
    await openDashboard(page);
    const html = page.locator('html');
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await expect(themeSelect(page)).toHaveValue('dark');
    // Following the OS while nothing was chosen.
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(html).toHaveAttribute('data-theme', 'light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(html).toHaveAttribute('data-theme', 'dark');
    // The user's choice beats the OS, now and after reload.
    await themeSelect(page).selectOption('solarized');
    await expect(html).toHaveAttribute('data-theme', 'solarized');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await expect(html).toHaveAttribute('data-theme', 'solarized');
    await context.close();
  });

  test('a light OS colour scheme picks Light', async ({ browser }) => {
    const context = await browser.newContext({ colorScheme: 'light' });
    const page = await context.newPage();
    await openDashboard(page);
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    await context.close();
  });
});

test.describe('languages', () => {
  for (const lang of LANGUAGES) {
    test(`${LANGUAGE_NAMES[lang]} (${lang}): visible strings switch and stay after reload`, async ({ page }) => {
      const t = messages(lang);
      await openDashboard(page);
      await languageSelect(page).selectOption({ label: LANGUAGE_NAMES[lang] });
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      const check = async () => {
        await expect(page.getByRole('tablist')).toHaveAccessibleName(t['tabs.label']);
        for (const key of ['tab.overview', 'tab.streamed', 'tab.nonStreamed', 'tab.models', 'tab.requests'])
          await expect(page.getByRole('tab', { name: t[key], exact: true })).toBeVisible();
        for (const key of ['controls.timeframe', 'controls.theme', 'controls.language'])
          await expect(page.getByRole('combobox', { name: t[key], exact: true })).toBeVisible();
        await expect(page.locator('h1')).toHaveText(t['app.title']);
        await expect(page.getByText(t['card.totalRequests'], { exact: true })).toBeVisible();
        await expect(page.getByRole('combobox', { name: t['controls.timeframe'] }).locator('option')).toHaveText(
          TIMEFRAMES.map((f) => t[`timeframe.${f.id}`]),
        );
        await expect(page.getByRole('combobox', { name: t['controls.theme'] }).locator('option')).toHaveText(
          THEMES.map((x) => t[`theme.${x.id}`]),
        );
        // Numbers are formatted for the language.
        const m = await api('/metrics');
        const [rate] = await formatInPage(page, lang, [['percent', m.requests.total.successful / m.requests.total.total]]);
        await expect(card(panel(page), t['card.successRate']).value).toHaveText(rate);
        await expect(page).toHaveTitle(t['app.title']);
      };
      await check();
      if (lang !== 'en') {
        // The language really changed something visible.
        expect(t['tab.overview']).not.toBe(en['tab.overview']);
        await expect(page.getByRole('tab', { name: en['tab.overview'], exact: true })).toHaveCount(0);
      }
      expect(await page.evaluate(() => localStorage.getItem('lmp.language'))).toBe(lang);
      await page.reload();
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expect(languageSelect(page)).toHaveValue(lang);
      await check();
    });
  }

  for (const [locale, lang] of [
    ['fr-FR', 'fr'],
    ['de-AT', 'de'],
    ['ja-JP', 'ja'],
    ['pt-BR', 'en'],
  ]) {
    test(`browser locale ${locale} picks ${lang} by default`, async ({ browser }) => {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      await openDashboard(page);
      const t = messages(lang);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expect(languageSelect(page)).toHaveValue(lang);
      await expect(tab(page, t['tab.overview'])).toBeVisible();
      await expect(card(panel(page), t['card.totalRequests']).el).toBeVisible();
      await context.close();
    });
  }

  test('a stored language beats the browser locale', async ({ browser }) => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await openDashboard(page);
    await languageSelect(page).selectOption('ko');
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
    await expect(tab(page, messages('ko')['tab.overview'])).toBeVisible();
    await context.close();
  });
});

test.describe('timeframes', () => {
  // The start parameter a request carries, as epoch ms (null when absent).
  const startOf = (url) => {
    const s = new URL(url).searchParams.get('start');
    return s === null ? null : Date.parse(s);
  };
  const isPath = (url, p) => new URL(url).pathname === p;

  for (const tf of TIMEFRAMES) {
    test(`${tf.label}: API calls carry the matching start, numbers equal that answer, kept across reload`, async ({ page }) => {
      await openDashboard(page);
      const matches = (r) => {
        const s = startOf(r.url());
        if (tf.seconds === null) return s === null;
        return s !== null && Math.abs(Date.now() - tf.seconds * 1000 - s) < 60_000;
      };
      // "All time" is the default, so pick another one first for it to be a change.
      if (tf.id === 'all') await timeframeSelect(page).selectOption('1h');
      const metricsCall = page.waitForRequest((r) => isPath(r.url(), '/metrics') && matches(r));
      const seriesCall = page.waitForRequest((r) => isPath(r.url(), '/timeseries') && matches(r));
      await timeframeSelect(page).selectOption({ label: tf.label });
      const [metricsReq] = await Promise.all([metricsCall, seriesCall]);
      // No stray call with another range once the choice was made.
      const strays = [];
      page.on('request', (r) => {
        if ((isPath(r.url(), '/metrics') || isPath(r.url(), '/timeseries')) && !matches(r)) strays.push(r.url());
      });
      // The screen equals the API's answer for the very same query.
      const answer = await (await fetch(metricsReq.url())).json();
      const [total, avg] = await formatInPage(page, 'en', [
        ['compact', answer.requests.total.total],
        ['duration', answer.requests.total.avg_response_time_ms],
      ]);
      const view = panel(page);
      await expect(card(view, en['card.totalRequests']).value).toHaveText(total);
      await expect(card(view, en['card.avgResponseTime']).value).toHaveText(avg);
      expect(await page.evaluate(() => localStorage.getItem('lmp.timeframe'))).toBe(tf.id);

      const afterReload = page.waitForRequest((r) => isPath(r.url(), '/metrics'));
      await page.reload();
      const first = await afterReload;
      expect(matches(first), `first /metrics after reload: ${first.url()}`).toBe(true);
      await expect(timeframeSelect(page)).toHaveValue(tf.id);
      await expect(card(panel(page), en['card.totalRequests']).value).toHaveText(total);
      expect(strays).toEqual([]);
    });
  }

  test('the request log follows the timeframe too', async ({ page }) => {
    await openDashboard(page);
    await timeframeSelect(page).selectOption('6h');
    const call = page.waitForRequest((r) => isPath(r.url(), '/completion_requests'));
    await tab(page, en['tab.requests']).click();
    const s = startOf((await call).url());
    expect(s).not.toBeNull();
    expect(Math.abs(Date.now() - 6 * 3600_000 - s)).toBeLessThan(60_000);
  });
});

test('URL overrides (?theme=&lang=&timeframe=) apply for one load without being saved', async ({ page }) => {
  await page.goto(`${seeded.dashboardUrl}?theme=terminal&lang=de&timeframe=1d`);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'terminal');
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await expect(page.locator('#timeframe')).toHaveValue('1d');
  expect(await page.evaluate(() => [localStorage.getItem('lmp.theme'), localStorage.getItem('lmp.language'), localStorage.getItem('lmp.timeframe')])).toEqual([null, null, null]);
  await page.goto(seeded.dashboardUrl);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});

test('theme, language and timeframe together survive a reload', async ({ page }) => {
  await openDashboard(page);
  await themeSelect(page).selectOption('fluid');
  await timeframeSelect(page).selectOption('12h');
  await languageSelect(page).selectOption('es');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'fluid');
  await expect(page.locator('html')).toHaveAttribute('lang', 'es');
  await expect(page.locator('#timeframe')).toHaveValue('12h');
  await expect(page.locator('#theme')).toHaveValue('fluid');
  const t = messages('es');
  await expect(page.getByRole('combobox', { name: t['controls.timeframe'] })).toHaveValue('12h');
  await expect(page.getByRole('combobox', { name: t['controls.timeframe'] }).locator('option:checked')).toHaveText(t['timeframe.12h']);
});
