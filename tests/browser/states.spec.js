// Loading, empty, "API unreachable" and API-error states, live refresh, and recovery.
import { test, expect } from '@playwright/test';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closedPort, getJson, startDashboardStack, waitFor } from './lib/stack.mjs';
import { api, card, fill, messages, openDashboard, panel, seeded, tab } from './lib/dashboard.mjs';
import { postJson, startProxy } from '../integration/lib/harness.mjs';

const en = messages('en');

async function sendChat(proxyUrl, model, headers = {}) {
  const r = await postJson(`${proxyUrl}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }] }, { headers });
  return r.status;
}

// A promise with its resolver, to hold a routed response until the test lets it go.
function gate() {
  let open;
  const opened = new Promise((r) => (open = r));
  return { opened, open };
}

test.describe('with a fresh, empty store', () => {
  let stack;
  test.beforeAll(async () => {
    stack = await startDashboardStack();
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test('says there are no requests, on every tab, and live refresh shows the first one', async ({ page }) => {
    await page.goto(stack.dashboardUrl);
    const empty = page.getByRole('heading', { name: en['status.empty'] });
    await expect(empty).toBeVisible();
    await expect(page.getByText(en['status.emptyHint'])).toBeVisible();
    // The empty state replaces the cards (no column of zeros and dashes).
    await expect(panel(page)).toHaveCount(0);
    await tab(page, en['tab.streamed']).click();
    await expect(empty).toBeVisible();
    await tab(page, en['tab.nonStreamed']).click();
    await expect(empty).toBeVisible();
    await tab(page, en['tab.models']).click();
    await expect(empty).toBeVisible();
    await tab(page, en['tab.requests']).click();
    await expect(panel(page).getByText(en['log.empty'])).toBeVisible();
    await tab(page, en['tab.overview']).click();

    // One request through the proxy; the 5-second live refresh brings it without a reload.
    expect(await sendChat(stack.proxyUrl, 'first-model')).toBe(200);
    await waitFor(async () => (await getJson(`${stack.apiUrl}/metrics`)).json.requests.total.total === 1, { what: 'the request recorded' });
    await expect(card(panel(page), en['card.totalRequests']).value).toHaveText('1', { timeout: 12_000 });
    await expect(empty).toHaveCount(0);
    await expect(card(panel(page), en['card.successRate']).value).toHaveText('100%');
    await expect(page.getByRole('status').filter({ hasText: /^Updated / }).first()).toBeVisible();
  });
});

test('API unreachable from the start: a clear state naming the URL tried', async ({ browser }) => {
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const stack = await startDashboardStack({ extraArgs: ['--dashboard-api-url', dead] });
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(stack.dashboardUrl);
    await expect(page.getByRole('heading', { name: en['status.unreachable'] })).toBeVisible();
    await expect(page.getByText(fill(en['status.unreachableHint'], { url: dead }))).toBeVisible();
    await expect(page.locator('footer')).toContainText(fill(en['footer.api'], { url: dead }));
    // No numbers pretend to be data.
    await expect(panel(page)).toHaveCount(0);
    // Still in the other languages.
    await page.locator('#language').selectOption('ja');
    await expect(page.getByRole('heading', { name: messages('ja')['status.unreachable'] })).toBeVisible();
  } finally {
    await context.close();
    await stack.stop();
  }
});

test('the API goes away after data was shown: numbers stay, a banner says so; it recovers when the API is back', async ({ page }) => {
  // The store outlives the first process: it is in a directory of this test's.
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lmp-bt-recover-'));
  const dbPath = path.join(dir, 'metrics.db');
  const stack = await startDashboardStack({ dbPath });
  let second;
  try {
    for (const model of ['a', 'b', 'c']) expect(await sendChat(stack.proxyUrl, model)).toBe(200);
    await waitFor(async () => (await getJson(`${stack.apiUrl}/metrics`)).json.requests.total.total === 3, { what: '3 records' });
    // Served from the metrics port: the page keeps working while no process listens.
    await openDashboard(page, stack.dashboardUrl);
    const total = card(panel(page), en['card.totalRequests']).value;
    await expect(total).toHaveText('3');
    const metricsPort = stack.proxy.metricsPort;
    await stack.proxy.stop({ timeoutMs: 5000 }).catch(() => {});
    await page.getByRole('button', { name: en['controls.refresh'] }).click();
    const banner = page.getByRole('alert');
    await expect(banner).toBeVisible();
    await expect(banner).toContainText(en['status.unreachable']);
    await expect(total).toHaveText('3');
    await expect(page.getByRole('status').filter({ hasText: /^Showing data from / }).first()).toBeVisible();

    // Back on the same port with the same store (a new proxy in front of the same mock).
    second = await startProxy({
      backendUrl: stack.mock.url,
      dbPath,
      args: ['--metrics-port', String(metricsPort), '--dashboard-port', 'off'],
    });
    expect(second.metricsPort).toBe(metricsPort);
    expect(await sendChat(second.url, 'd')).toBe(200);
    await waitFor(async () => (await getJson(`${second.metricsUrl}/metrics`)).json.requests.total.total === 4, { what: '4 records' });
    await page.getByRole('button', { name: en['controls.refresh'] }).click();
    await expect(total).toHaveText('4');
    await expect(banner).toBeHidden();
  } finally {
    await second?.stop();
    await stack.mock.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('loading state until the first answer arrives', async ({ page }) => {
  const hold = gate();
  await page.route('**/metrics*', async (route) => {
    await hold.opened;
    await route.continue();
  });
  await page.goto(seeded.dashboardUrl);
  const loading = page.getByText(en['status.loading']);
  await expect(loading).toBeVisible();
  await expect(page.locator('[aria-busy="true"]')).toBeVisible();
  hold.open();
  await expect(loading).toBeHidden();
  const m = await api('/metrics');
  await expect(card(panel(page), en['card.totalRequests']).value).toHaveText(String(m.requests.total.total));
});

test('an API error answer is shown with its message', async ({ page }) => {
  await page.route('**/metrics*', (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { message: 'the store is resting', type: 'server_error', code: 'store_unavailable' } }),
    }),
  );
  await page.goto(seeded.dashboardUrl);
  await expect(page.getByRole('heading', { name: fill(en['status.apiError'], { message: 'the store is resting' }) })).toBeVisible();
});

test('an older API without /timeseries: charts say why, numbers still shown', async ({ page }) => {
  await page.route('**/timeseries*', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"message":"no such endpoint: /timeseries","type":"not_found","code":"not_found"}}' }));
  await openDashboard(page);
  const m = await api('/metrics');
  await expect(card(panel(page), en['card.totalRequests']).value).toHaveText(String(m.requests.total.total));
  await expect(panel(page).getByText(en['chart.unavailable']).first()).toBeVisible();
});

test('changing the timeframe while a refresh is in flight still loads the new timeframe', async ({ page }) => {
  // Fails while dashboard/src/main.ts refresh() starts with `if (refreshing) return;`: a change
  // made while a refresh is in flight is dropped, and the old range's answer is shown under
  // the new timeframe until the next 5-second tick (for good with live updates off).
  // live=0: no timer refresh that would hide a lost request.
  const hold = gate();
  let held = false;
  await page.route('**/metrics*', async (route) => {
    if (!held) {
      held = true;
      await hold.opened;
    }
    await route.continue();
  });
  await page.goto(`${seeded.dashboardUrl}?live=0`);
  await expect(page.getByText(en['status.loading'])).toBeVisible();
  const newRange = page.waitForRequest((r) => new URL(r.url()).pathname === '/metrics' && new URL(r.url()).searchParams.has('start'), { timeout: 8000 });
  await page.getByRole('combobox', { name: 'Timeframe' }).selectOption('1h');
  hold.open();
  await newRange;
});

test('"Live updates" off says so, and back on refreshes at once', async ({ page }) => {
  await openDashboard(page);
  const status = page.getByRole('status').filter({ hasText: /^(Updated |Live updates paused)/ });
  await expect(status).toHaveText(/^Updated /);
  await page.getByRole('checkbox', { name: en['controls.live'] }).uncheck();
  await expect(status).toHaveText(en['status.paused']);
  const next = page.waitForRequest((r) => new URL(r.url()).pathname === '/metrics');
  await page.getByRole('checkbox', { name: en['controls.live'] }).check();
  await next;
  await expect(status).toHaveText(/^Updated /);
});
