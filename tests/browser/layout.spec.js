// Tabs, keyboard navigation, accessible names, tooltips, and a phone-sized viewport.
import { test, expect } from '@playwright/test';
import { THEMES, card, messages, openDashboard, panel, seeded, tab } from './lib/dashboard.mjs';

const en = messages('en');
const TABS = [
  ['overview', en['tab.overview']],
  ['streamed', en['tab.streamed']],
  ['non-streamed', en['tab.nonStreamed']],
  ['models', en['tab.models']],
  ['requests', en['tab.requests']],
];

test('every tab shows its own panel, sets the fragment, and is restored on reload', async ({ page }) => {
  await openDashboard(page);
  await expect(page.getByRole('tab')).toHaveText(TABS.map(([, name]) => name));
  for (const [id, name] of TABS) {
    await tab(page, name).click();
    await expect(tab(page, name)).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tab', { selected: true })).toHaveCount(1);
    // Exactly one panel is visible, and it is the one this tab controls.
    await expect(panel(page)).toHaveCount(1);
    await expect(panel(page)).toHaveAttribute('id', `panel-${id}`);
    await expect(tab(page, name)).toHaveAttribute('aria-controls', `panel-${id}`);
    await expect(page).toHaveURL(new RegExp(`#${id}$`));
    await expect(panel(page)).toHaveAccessibleName(name);
  }
  await page.reload();
  await expect(tab(page, en['tab.requests'])).toHaveAttribute('aria-selected', 'true');
  // The fragment alone switches tabs too (back/forward, links).
  await page.goto(`${seeded.dashboardUrl}#streamed`);
  await expect(tab(page, en['tab.streamed'])).toHaveAttribute('aria-selected', 'true');
  await expect(card(panel(page), en['card.requests']).value).not.toHaveText('—');
});

test('keyboard: Tab reaches the timeframe, theme and language controls and the tabs, all named; arrows move between tabs', async ({ page }) => {
  await openDashboard(page);
  const reached = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => {
      const el = document.activeElement;
      return el ? el.id || el.getAttribute('role') || el.tagName.toLowerCase() : null;
    }));
    if (reached.at(-1) === 'tab-overview') break;
  }
  for (const id of ['timeframe', 'theme', 'language', 'live', 'tab-overview']) expect(reached, `focus order ${reached.join(' > ')}`).toContain(id);
  expect(reached.indexOf('timeframe')).toBeLessThan(reached.indexOf('tab-overview'));
  // Only the selected tab is in the Tab order (roving tabindex).
  await expect(tab(page, en['tab.overview'])).toBeFocused();

  await expect(page.locator('#timeframe')).toHaveAccessibleName(en['controls.timeframe']);
  await expect(page.locator('#theme')).toHaveAccessibleName(en['controls.theme']);
  await expect(page.locator('#language')).toHaveAccessibleName(en['controls.language']);
  await expect(page.locator('#live')).toHaveAccessibleName(en['controls.live']);
  await expect(page.getByRole('button', { name: en['controls.refresh'] })).toBeVisible();
  await expect(page.getByRole('group', { name: en['controls.label'] })).toBeVisible();

  await page.keyboard.press('ArrowRight');
  await expect(tab(page, en['tab.streamed'])).toBeFocused();
  await expect(tab(page, en['tab.streamed'])).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('End');
  await expect(tab(page, en['tab.requests'])).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await expect(tab(page, en['tab.overview'])).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft');
  await expect(tab(page, en['tab.requests'])).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Home');
  await expect(tab(page, en['tab.overview'])).toBeFocused();

  // The controls work from the keyboard: focus the theme selector and pick with the arrows.
  await page.locator('#theme').focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'solarized');
});

test('every input has an accessible name, every chart a label', async ({ page }) => {
  await openDashboard(page);
  for (const [, name] of TABS) {
    await tab(page, name).click();
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('select, input, button')]
        .filter((el) => el.offsetParent !== null)
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    expect(unnamed).toEqual([]);
  }
  await tab(page, en['tab.overview']).click();
  await expect(page.getByRole('img', { name: en['chart.requests'] })).toBeVisible();
  await expect(page.getByRole('img', { name: en['chart.responseTime'] })).toBeVisible();
});

test('help tooltips open on keyboard focus and close on Escape', async ({ page }) => {
  await openDashboard(page);
  const help = page.getByRole('button', { name: `About “${en['card.totalRequests']}”` });
  const tip = page.getByRole('tooltip').filter({ hasText: en['help.totalRequests'] });
  await expect(tip).toBeHidden();
  await help.focus();
  await expect(tip).toBeVisible();
  await expect(help).toHaveAccessibleDescription(en['help.totalRequests']);
  await page.keyboard.press('Escape');
  await expect(tip).toBeHidden();
});

test.describe('phone-sized viewport (375 × 667)', () => {
  test.use({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });

  // The page must not be wider than the phone. On failure, name what sticks out (outside the
  // tab strip and tables, which scroll inside themselves); hidden boxes count too, as they do
  // for the browser's scroll width.
  const noHorizontalScroll = async (page, label) => {
    const { width, culprits } = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('body *')) {
        if (el.closest('.table-scroll, [role="tablist"]')) continue;
        const box = el.getBoundingClientRect();
        if (box.right > window.innerWidth + 1 || box.right > 376) {
          const where = el.closest('.stat, section')?.querySelector('.stat-label span, h2')?.textContent;
          out.push(`<${el.tagName.toLowerCase()} class="${el.className}"> right edge ${Math.round(box.right)} px (in "${where ?? '?'}")`);
        }
      }
      return { width: document.documentElement.scrollWidth, culprits: out.slice(0, 6) };
    });
    // Soft: the test goes on (tabs, other views) and reports every overflow at the end.
    expect.soft(width, `${label}: document scroll width; sticking out: ${culprits.join('; ')}`).toBeLessThanOrEqual(375);
  };

  test('no horizontal scroll on any tab; the tabs can be tapped', async ({ page }) => {
    await openDashboard(page);
    for (const [id, name] of TABS) {
      await tab(page, name).tap();
      await expect(tab(page, name)).toHaveAttribute('aria-selected', 'true');
      await expect(panel(page)).toHaveAttribute('id', `panel-${id}`);
      await expect(tab(page, name)).toBeInViewport();
      if (id === 'requests') await expect(panel(page).locator('table tbody tr').first()).toBeVisible();
      await noHorizontalScroll(page, `tab ${id}`);
    }
    // The controls stay usable too.
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  });

  test('every theme: no horizontal scroll', async ({ page }) => {
    for (const theme of THEMES) {
      await page.goto(`${seeded.dashboardUrl}?theme=${theme.id}`);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme.id);
      await expect(card(panel(page), en['card.totalRequests']).value).not.toHaveText('—');
      await noHorizontalScroll(page, theme.label);
    }
  });

  test('long words (de, ru, ja): no horizontal scroll on any tab', async ({ page }) => {
    for (const lang of ['de', 'ru', 'ja']) {
      const t = messages(lang);
      await page.goto(`${seeded.dashboardUrl}?lang=${lang}`);
      await expect(tab(page, t['tab.overview'])).toHaveAttribute('aria-selected', 'true');
      await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
      for (const key of ['tab.overview', 'tab.streamed', 'tab.nonStreamed', 'tab.models', 'tab.requests']) {
        await tab(page, t[key]).tap();
        await expect(tab(page, t[key])).toHaveAttribute('aria-selected', 'true');
        await noHorizontalScroll(page, `${lang} ${key}`);
      }
    }
  });
});

test('every section and card has a help tooltip with text; the footer credits the project', async ({ page }) => {
  await openDashboard(page);
  for (const [, name] of TABS) {
    await tab(page, name).click();
    const helps = panel(page).getByRole('button', { name: /^About “/ });
    expect(await helps.count()).toBeGreaterThan(0);
    const missing = await helps.evaluateAll((buttons) =>
      buttons
        .filter((b) => !(document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent ?? '').trim())
        .map((b) => b.getAttribute('aria-label')),
    );
    expect(missing, `help buttons without a tooltip text on ${name}`).toEqual([]);
  }
  const footer = page.getByRole('contentinfo');
  await expect(footer.getByRole('link', { name: 'rewolf/llm-metrics-proxy' })).toHaveAttribute('href', 'https://github.com/rewolf/llm-metrics-proxy');
  await expect(footer).toContainText('LLM Metrics Proxy');
});
