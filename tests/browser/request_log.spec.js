// The request log: rows equal the API's page, each filter (and their combination) gives the
// rows the API gives for the same filter, and paging walks the cursor.
import { test, expect } from '@playwright/test';
import { SEED_TOTAL } from './lib/stack.mjs';
import { api, formatInPage, messages, openDashboard, panel, seeded, tab } from './lib/dashboard.mjs';

const en = messages('en');
const PAGE_SIZE = 50;

// What the dashboard shows for a record, in the columns the test compares.
async function expectedRows(page, records) {
  const durations = await formatInPage(
    page,
    'en',
    records.map((r) => ['duration', r.timing.response_time_ms]),
  );
  return records.map((r, i) => ({
    model: r.model ?? '—',
    kind: r.is_streaming ? en['filter.streamed'] : en['filter.nonStreamed'],
    outcome: r.success ? en['log.ok'] : en[`errorType.${r.error_type}`],
    status: r.status_code === null || r.status_code === undefined ? '—' : String(r.status_code),
    responseTime: durations[i],
    origin: r.origin ?? '—',
  }));
}

async function shownRows(page) {
  return panel(page)
    .locator('table tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => {
        const c = [...tr.cells].map((td) => td.textContent);
        return { model: c[1], kind: c[2], outcome: c[3], status: c[4], responseTime: c[5], origin: c[9] };
      }),
    );
}

// Waits until the table holds exactly the API's answer for `query`, and returns that answer.
async function expectTableEqualsApi(page, query) {
  const answer = await api(`/completion_requests?envelope=1&limit=${PAGE_SIZE}${query}`);
  const want = await expectedRows(page, answer.data);
  const rows = panel(page).locator('table tbody tr');
  if (want.length === 0) {
    await expect(panel(page).getByText(en['log.empty'])).toBeVisible();
    await expect(panel(page).locator('table')).toBeHidden();
    return answer;
  }
  await expect(rows).toHaveCount(want.length);
  await expect.poll(() => shownRows(page)).toEqual(want);
  return answer;
}

const filter = (page, name) => panel(page).getByRole('combobox', { name, exact: true });

test.beforeEach(async ({ page }) => {
  await openDashboard(page);
  await tab(page, en['tab.requests']).click();
  await expect(tab(page, en['tab.requests'])).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL(/#requests$/);
});

test('rows appear, newest first, equal to the API\'s first page', async ({ page }) => {
  expect(SEED_TOTAL).toBeGreaterThan(PAGE_SIZE); // so that there is a second page
  const answer = await expectTableEqualsApi(page, '');
  expect(answer.data).toHaveLength(PAGE_SIZE);
  await expect(panel(page).getByText('Page 1', { exact: true })).toBeVisible();
  await expect(panel(page).getByRole('button', { name: en['log.first'] })).toBeDisabled();
  await expect(panel(page).getByRole('button', { name: new RegExp(en['log.newer']) })).toBeDisabled();
  await expect(panel(page).getByRole('button', { name: new RegExp(en['log.older']) })).toBeEnabled();
  // Column headers.
  await expect(panel(page).locator('table thead th')).toHaveText(
    ['log.time', 'log.model', 'log.kind', 'log.outcome', 'log.status', 'log.responseTime', 'log.ttft', 'log.tokens', 'log.speed', 'log.origin'].map((k) => en[k]),
  );
});

test('the model filter offers every model and narrows the rows to the API\'s answer', async ({ page }) => {
  const m = await api('/metrics');
  const models = Object.keys(m.model_distribution).sort();
  await expect(filter(page, en['filter.model']).locator('option')).toHaveText([en['filter.any'], ...models]);
  for (const model of models) {
    await filter(page, en['filter.model']).selectOption(model);
    const answer = await expectTableEqualsApi(page, `&model=${encodeURIComponent(model)}`);
    expect(answer.data.length).toBe(m.model_distribution[model]);
    expect(new Set(answer.data.map((r) => r.model))).toEqual(new Set([model]));
  }
});

test('the kind filter (streamed / non-streamed) equals the API\'s answer', async ({ page }) => {
  const m = await api('/metrics');
  for (const [label, value, kind] of [
    [en['filter.streamed'], 'true', 'streamed'],
    [en['filter.nonStreamed'], 'false', 'non_streamed'],
  ]) {
    await filter(page, en['filter.streaming']).selectOption({ label });
    const answer = await expectTableEqualsApi(page, `&is_streaming=${value}`);
    expect(answer.data.length).toBe(Math.min(PAGE_SIZE, m.requests[kind].total));
  }
});

test('the outcome filter (successful / failed) equals the API\'s answer', async ({ page }) => {
  const m = await api('/metrics');
  await filter(page, en['filter.success']).selectOption({ label: en['filter.failed'] });
  const failed = await expectTableEqualsApi(page, '&success=false');
  expect(failed.data.length).toBe(m.requests.total.failed);
  expect(failed.data.every((r) => !r.success)).toBe(true);
  await filter(page, en['filter.success']).selectOption({ label: en['filter.successful'] });
  const ok = await expectTableEqualsApi(page, '&success=true');
  expect(ok.data.length).toBe(Math.min(PAGE_SIZE, m.requests.total.successful));
});

test('the error type filter equals the API\'s answer for every recorded type, and none for others', async ({ page }) => {
  const m = await api('/metrics');
  const counts = { ...m.requests.streamed.error_types };
  for (const [k, n] of Object.entries(m.requests.non_streamed.error_types)) counts[k] = (counts[k] ?? 0) + n;
  expect(Object.keys(counts).length).toBeGreaterThanOrEqual(4);
  for (const [type, n] of Object.entries(counts)) {
    await filter(page, en['filter.errorType']).selectOption({ label: en[`errorType.${type}`] });
    const answer = await expectTableEqualsApi(page, `&error_type=${type}`);
    expect(answer.data.length).toBe(n);
  }
  await filter(page, en['filter.errorType']).selectOption('backend_timeout');
  await expectTableEqualsApi(page, '&error_type=backend_timeout');
});

test('filters combine, and "Clear filters" restores the full log', async ({ page }) => {
  await filter(page, en['filter.model']).selectOption('qwen3:4b');
  await filter(page, en['filter.streaming']).selectOption({ label: en['filter.streamed'] });
  await filter(page, en['filter.success']).selectOption({ label: en['filter.failed'] });
  const answer = await expectTableEqualsApi(page, '&model=qwen3%3A4b&is_streaming=true&success=false');
  expect(answer.data.map((r) => r.error_type)).toEqual(['stream_interrupted', 'stream_interrupted']);
  await panel(page).getByRole('button', { name: en['filter.clear'] }).click();
  for (const name of ['filter.model', 'filter.streaming', 'filter.success', 'filter.errorType']) await expect(filter(page, en[name])).toHaveValue('');
  await expectTableEqualsApi(page, '');
});

test('paging: Older shows the API\'s next page, Newer and Newest go back', async ({ page }) => {
  const first = await expectTableEqualsApi(page, '');
  expect(first.next_cursor).toBeTruthy();
  const older = panel(page).getByRole('button', { name: new RegExp(en['log.older']) });
  const newer = panel(page).getByRole('button', { name: new RegExp(en['log.newer']) });
  const newest = panel(page).getByRole('button', { name: en['log.first'] });
  await older.click();
  await expect(panel(page).getByText('Page 2', { exact: true })).toBeVisible();
  const second = await expectTableEqualsApi(page, `&cursor=${encodeURIComponent(first.next_cursor)}`);
  expect(second.data).toHaveLength(SEED_TOTAL - PAGE_SIZE);
  expect(second.next_cursor).toBeNull();
  await expect(older).toBeDisabled();
  await expect(newer).toBeEnabled();
  await expect(newest).toBeEnabled();
  // No row is on both pages.
  const ids = new Set(first.data.map((r) => r.id));
  expect(second.data.filter((r) => ids.has(r.id))).toEqual([]);
  await newer.click();
  await expect(panel(page).getByText('Page 1', { exact: true })).toBeVisible();
  await expectTableEqualsApi(page, '');
  await older.click();
  await expect(panel(page).getByText('Page 2', { exact: true })).toBeVisible();
  await newest.click();
  await expect(panel(page).getByText('Page 1', { exact: true })).toBeVisible();
  await expectTableEqualsApi(page, '');
});

test('a filter while on page 2 starts again at page 1', async ({ page }) => {
  await expectTableEqualsApi(page, '');
  await panel(page).getByRole('button', { name: new RegExp(en['log.older']) }).click();
  await expect(panel(page).getByText('Page 2', { exact: true })).toBeVisible();
  await filter(page, en['filter.model']).selectOption('mistral:7b');
  await expect(panel(page).getByText('Page 1', { exact: true })).toBeVisible();
  await expectTableEqualsApi(page, '&model=mistral%3A7b');
});

test('opening #requests directly shows the log', async ({ page }) => {
  await page.goto(`${seeded.dashboardUrl}#requests`);
  await expect(tab(page, en['tab.requests'])).toHaveAttribute('aria-selected', 'true');
  await expectTableEqualsApi(page, '');
});
