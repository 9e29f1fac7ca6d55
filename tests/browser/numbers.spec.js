// The numbers on screen equal the API's: the test reads /metrics itself and formats each value
// the way the dashboard does (in the page, with the browser's Intl), then compares text.
import { test, expect } from '@playwright/test';
import { HOSTILE_MODEL, SEED_TOTAL, seedExpectations } from './lib/stack.mjs';
import { api, card, formatInPage, fill, messages, openDashboard, panel, region, seeded, successLevel, tab } from './lib/dashboard.mjs';

const en = messages('en');

test('the seed is what the API reports (sanity check of the fixture)', async () => {
  const m = await api('/metrics');
  const e = seedExpectations();
  expect(m.requests.total).toMatchObject({ total: e.total, successful: e.successful, failed: e.failed });
  for (const kind of ['streamed', 'non_streamed']) {
    expect(m.requests[kind]).toMatchObject({ total: e[kind].total, successful: e[kind].successful, failed: e[kind].failed });
    expect(m.requests[kind].error_types).toEqual(e[kind].errors);
  }
  expect(m.model_distribution).toEqual(e.models);
  expect(m.origin_distribution).toEqual(e.origins);
  expect(e.total).toBe(SEED_TOTAL);
});

// Entries of a bar list: [name, "count · share"] as the dashboard writes them.
async function barEntries(page, entries) {
  const sum = entries.reduce((n, [, c]) => n + c, 0);
  const calls = entries.flatMap(([, c]) => [['integer', c], ['percent', c / sum]]);
  const f = await formatInPage(page, 'en', calls);
  return entries.map(([name], i) => [name, `${f[2 * i]} · ${f[2 * i + 1]}`]);
}

async function barListRows(list) {
  return list.getByRole('listitem').evaluateAll((items) =>
    items.map((li) => [li.querySelector('.bar-name').textContent, li.querySelector('.bar-count').textContent]),
  );
}

test('Overview: totals, success rate, response time, speed, model usage and sources equal /metrics', async ({ page }) => {
  await openDashboard(page);
  const m = await api('/metrics');
  const all = m.requests.total;
  const speedNum = (() => {
    let w = 0;
    let n = 0;
    for (const k of [m.requests.streamed, m.requests.non_streamed]) {
      if (k.tokens.avg_tokens_per_second === null || k.tokens.reported_count <= 0) continue;
      w += k.tokens.avg_tokens_per_second * k.tokens.reported_count;
      n += k.tokens.reported_count;
    }
    return n ? w / n : null;
  })();
  const [total, ok, failed, rate, avg, p95, speed] = await formatInPage(page, 'en', [
    ['compact', all.total],
    ['integer', all.successful],
    ['integer', all.failed],
    ['percent', all.successful / all.total],
    ['duration', all.avg_response_time_ms],
    ['duration', m.percentiles.all.response_time_ms.p95],
    ['tps', speedNum],
  ]);
  const view = panel(page);
  await expect(tab(page, 'Overview')).toHaveAttribute('aria-selected', 'true');
  const totalCard = card(view, en['card.totalRequests']);
  await expect(totalCard.value).toHaveText(total);
  await expect(totalCard.detail).toHaveText(fill(en['card.successfulFailed'], { successful: ok, failed }));
  const rateCard = card(view, en['card.successRate']);
  await expect(rateCard.value).toHaveText(rate);
  await expect(rateCard.value).toHaveAttribute('data-level', successLevel(all.successful, all.total));
  const rtCard = card(view, en['card.avgResponseTime']);
  await expect(rtCard.value).toHaveText(avg);
  await expect(rtCard.detail).toHaveText(fill(en['card.p95'], { value: p95 }));
  await expect(card(view, en['card.avgInferenceSpeed']).value).toHaveText(speed);

  const models = region(view, en['section.modelUsage']);
  expect(await barListRows(models)).toEqual(await barEntries(page, Object.entries(m.model_distribution)));
  const sources = region(view, en['section.requestSources']);
  expect(await barListRows(sources)).toEqual(await barEntries(page, Object.entries(m.origin_distribution)));

  // The percentile table: one row per metric, p50/p90/p95/p99.
  const pct = region(view, en['section.percentiles']);
  const rows = [
    [en['pct.responseTime'], m.percentiles.all.response_time_ms],
    [en['pct.ttft'], m.percentiles.all.time_to_first_token_ms],
    [en['pct.tpot'], m.percentiles.all.time_per_output_token_ms],
  ];
  const expected = [];
  for (const [label, q] of rows) expected.push([label, ...(await formatInPage(page, 'en', ['p50', 'p90', 'p95', 'p99'].map((p) => ['duration', q[p]])))]);
  expect(await pct.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)))).toEqual(expected);

  // The charts are drawn (uPlot canvases) and say how wide one bar is.
  const chart = region(view, en['chart.requests']);
  await expect(chart.locator('canvas').first()).toBeVisible();
  await expect(chart.locator('.chart-caption')).toHaveText(/\S/);
});

for (const [tabName, kind] of [
  ['Streamed', 'streamed'],
  ['Non-streamed', 'non_streamed'],
]) {
  test(`${tabName} tab: counts, share, timings, speed, tokens and error types equal /metrics`, async ({ page }) => {
    await openDashboard(page);
    await tab(page, tabName).click();
    await expect(tab(page, tabName)).toHaveAttribute('aria-selected', 'true');
    const m = await api('/metrics');
    const d = m.requests[kind];
    const all = m.requests.total.total;
    const pct = m.percentiles[kind];
    const f = await formatInPage(page, 'en', [
      ['compact', d.total],
      ['percent', d.total / all],
      ['percent', d.successful / d.total],
      ['integer', d.successful],
      ['integer', d.failed],
      ['duration', d.avg_time_to_first_token_ms],
      ['duration', pct.time_to_first_token_ms.p95],
      ['duration', d.avg_time_to_last_token_ms],
      ['duration', d.avg_completion_duration_ms],
      ['tps', d.tokens.avg_tokens_per_second],
    ]);
    const [count, share, rate, ok, failed, ttft, ttftP95, ttlt, completion, speed] = f;
    const view = panel(page);
    const countCard = card(view, en['card.requests']);
    await expect(countCard.value).toHaveText(count);
    await expect(countCard.detail).toHaveText(fill(en['card.share'], { share }));
    const rateCard = card(view, en['card.successRate']);
    await expect(rateCard.value).toHaveText(rate);
    await expect(rateCard.detail).toHaveText(fill(en['card.successfulFailed'], { successful: ok, failed }));
    await expect(rateCard.value).toHaveAttribute('data-level', successLevel(d.successful, d.total));
    const ttftCard = card(view, en['card.ttft']);
    await expect(ttftCard.value).toHaveText(ttft);
    await expect(ttftCard.detail).toHaveText(fill(en['card.p95'], { value: ttftP95 }));
    await expect(card(view, en['card.ttlt']).value).toHaveText(ttlt);
    await expect(card(view, en['card.completionDuration']).value).toHaveText(completion);
    await expect(card(view, en['card.inferenceSpeed']).value).toHaveText(speed);

    // Token usage: totals and per-request averages over the requests that reported usage.
    const tokens = region(view, en['section.tokenUsage']);
    const totals = [d.tokens.prompt_total, d.tokens.completion_total, d.tokens.total];
    const tf = await formatInPage(page, 'en', [
      ...totals.map((v) => ['compact', v]),
      ...totals.map((v) => ['decimal', d.tokens.reported_count ? v / d.tokens.reported_count : null, 1]),
      ['integer', d.tokens.reported_count],
      ['integer', d.total],
    ]);
    const cells = await tokens.locator('.token-cell').evaluateAll((cs) =>
      cs.map((c) => [c.querySelector('.stat-label').textContent, c.querySelector('.stat-value').textContent, c.querySelector('.stat-detail').textContent]),
    );
    expect(cells).toEqual(
      ['tokens.prompt', 'tokens.completion', 'tokens.total'].map((key, i) => [en[key], tf[i], fill(en['tokens.perRequest'], { value: tf[3 + i] })]),
    );
    await expect(tokens.getByText(fill(en['tokens.reported'], { count: tf[6], total: tf[7] }))).toBeVisible();

    // Error types: translated names, counts and shares, largest first as the API orders them.
    const errors = region(view, en['section.errorTypes']);
    const entries = Object.entries(d.error_types).map(([type, n]) => [en[`errorType.${type}`], n]);
    expect(entries.length).toBeGreaterThan(0);
    expect(await barListRows(errors)).toEqual(await barEntries(page, entries));
  });
}

test('Models tab: one row per model with the API\'s per-model figures', async ({ page }) => {
  await openDashboard(page);
  await tab(page, en['tab.models']).click();
  const m = await api('/metrics');
  const expected = [];
  for (const x of m.models) {
    expected.push([
      x.model,
      ...(await formatInPage(page, 'en', [
        ['integer', x.total],
        ['percent', x.successful / x.total],
        ['duration', x.avg_response_time_ms],
        ['duration', x.p50_response_time_ms],
        ['duration', x.p95_response_time_ms],
        ['duration', x.avg_time_to_first_token_ms],
        ['duration', x.p95_time_to_first_token_ms],
        ['compact', x.tokens.prompt_total],
        ['compact', x.tokens.completion_total],
        ['tps', x.avg_tokens_per_second],
      ])),
    ]);
  }
  const body = panel(page).locator('table tbody tr');
  await expect(body).toHaveCount(m.models.length);
  expect(await body.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)))).toEqual(expected);
});

test('the dashboard under /dashboard/ on the metrics port calls its own origin and shows the same totals', async ({ page }) => {
  const calls = [];
  page.on('request', (r) => calls.push(r.url()));
  await openDashboard(page, seeded.mountedDashboardUrl);
  const m = await api('/metrics');
  const [total] = await formatInPage(page, 'en', [['compact', m.requests.total.total]]);
  await expect(card(panel(page), en['card.totalRequests']).value).toHaveText(total);
  const metricsCalls = calls.filter((u) => new URL(u).pathname === '/metrics');
  expect(metricsCalls.length).toBeGreaterThan(0);
  for (const u of metricsCalls) expect(new URL(u).origin).toBe(new URL(seeded.apiUrl).origin);
});

test('the requests chart: hovering a bar shows that bucket\'s successful and failed counts from /timeseries', async ({ page }) => {
  const seriesCall = page.waitForResponse((r) => new URL(r.url()).pathname === '/timeseries');
  await openDashboard(page);
  const seriesUrl = (await seriesCall).url();
  // The same query, asked by the test.
  const ts = await (await fetch(seriesUrl)).json();
  const points = ts.series[0].points;
  const m = await api('/metrics');
  // The buckets add up to the totals.
  expect(points.reduce((n, p) => n + (p.successful ?? 0), 0)).toBe(m.requests.total.successful);
  expect(points.reduce((n, p) => n + (p.failed ?? 0), 0)).toBe(m.requests.total.failed);

  const chart = region(panel(page), en['chart.requests']);
  const over = chart.locator('.u-over');
  await expect(over).toBeVisible();
  const values = chart.locator('.u-legend .u-series');
  const legendOf = async (label) =>
    values.filter({ hasText: label }).locator('.u-value').textContent();
  const busy = points.filter((p) => (p.successful ?? 0) + (p.failed ?? 0) > 0);
  const wanted = await Promise.all(
    busy.map(async (p) => (await formatInPage(page, 'en', [['integer', p.successful], ['integer', p.failed]])).join('/')),
  );
  // Sweep the cursor across the plot until it rests on a bucket with requests.
  const box = await over.boundingBox();
  let seen = null;
  for (let i = 0; i <= 40 && !seen; i++) {
    await page.mouse.move(box.x + (box.width * i) / 40, box.y + box.height / 2);
    const shown = `${await legendOf(en['series.successful'])}/${await legendOf(en['series.failed'])}`;
    if (wanted.includes(shown)) seen = shown;
  }
  expect(seen, `legend never showed one of ${wanted.join(', ')}`).not.toBeNull();
});

test('markup in a model name is shown as text, never run', async ({ page }) => {
  await openDashboard(page);
  const models = region(panel(page), en['section.modelUsage']);
  await expect(models.getByText(HOSTILE_MODEL, { exact: true })).toBeVisible();
  await tab(page, en['tab.requests']).click();
  await expect(panel(page).getByRole('cell', { name: HOSTILE_MODEL, exact: true })).toBeVisible();
  await tab(page, en['tab.models']).click();
  await expect(panel(page).getByRole('cell', { name: HOSTILE_MODEL, exact: true })).toBeVisible();
  expect(await page.evaluate(() => window.__lmpInjected)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
});
