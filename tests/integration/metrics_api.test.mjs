// The metrics API after a known set of requests: /metrics numbers equal what we compute by hand
// (counts, tokens, distributions) and from the stored rows (averages); /completion_requests
// pages; time filters; errors name the bad parameter.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack,
  startProxy,
  closedPort,
  request,
  getJson,
  postJson,
  chatBody,
  sseJson,
  round2,
  TIMESTAMP_RE,
} from './lib/harness.mjs';

const A = 'metrics-model-a';
const B = 'metrics-model-b';
const C = 'metrics-model-c';
const OA = 'http://a.example.test';
const OB = 'http://b.example.test';

// The known set: [model, stream, includeUsage, origin, mock headers, expected outcome]
const PLAN = [
  { model: A, stream: false, origin: OA, ok: true },
  { model: A, stream: false, origin: OA, ok: true, maxTokens: 5 },
  { model: B, stream: false, origin: OB, ok: true },
  { model: A, stream: true, usage: true, origin: OA, ok: true },
  { model: A, stream: true, usage: true, origin: OA, ok: true, hdr: { 'X-Mock-Completion-Tokens': '4' } },
  { model: B, stream: true, usage: false, ok: true },
  { model: C, stream: false, origin: OB, ok: false, hdr: { 'X-Mock-Status': '429' }, error: 'rate_limit' },
  { model: C, stream: false, ok: false, hdr: { 'X-Mock-Status': '500' }, error: 'backend_error' },
  { model: A, stream: true, usage: true, origin: OA, ok: false, hdr: { 'X-Mock-Status': '500' }, error: 'backend_error' },
  { model: B, stream: true, usage: true, ok: false, hdr: { 'X-Mock-Close-After-Events': '3' }, error: 'stream_interrupted' },
];

const avg = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const nonNull = (xs) => xs.filter((x) => x !== null && x !== undefined);

function assertAvg(actual, rowsValues, what) {
  const values = nonNull(rowsValues);
  if (values.length === 0) {
    assert.ok(actual === null || actual === undefined || actual === 0, `${what}: no data → omitted/null (got ${actual})`);
    return;
  }
  const expected = round2(avg(values));
  assert.ok(typeof actual === 'number', `${what} is a number (got ${actual})`);
  assert.ok(Math.abs(actual - expected) <= 0.011, `${what}: API ${actual} vs computed ${expected} from ${values.length} rows`);
}

function countBy(xs) {
  const m = {};
  for (const x of xs) if (x) m[x] = (m[x] ?? 0) + 1;
  return m;
}

describe('metrics API', () => {
  let stack;
  let proxy;
  const responses = [];

  before(async () => {
    stack = await startStack({ mock: { ttftMs: 5, tokensPerSecond: 1000 } });
    proxy = stack.proxy;
    for (const p of PLAN) {
      const body = chatBody(p.model, {
        ...(p.stream ? { stream: true } : {}),
        ...(p.usage ? { stream_options: { include_usage: true } } : {}),
        ...(p.maxTokens ? { max_tokens: p.maxTokens } : {}),
      });
      const headers = { 'X-Mock-Token-Interval-Ms': '5', ...(p.origin ? { Origin: p.origin } : {}), ...(p.hdr ?? {}) };
      const r = await postJson(`${proxy.url}/v1/chat/completions`, body, { headers });
      let usage = null;
      if (r.status === 200) {
        if (p.stream) usage = sseJson(r.text).payloads.find((x) => x.usage)?.usage ?? null;
        else usage = JSON.parse(r.text).usage ?? null;
      }
      responses.push({ status: r.status, usage });
    }
    await proxy.waitForRows('select id from completion_requests', PLAN.length);
  });

  after(async () => {
    await stack?.stop();
  });

  const rowsAll = () => proxy.rows('select * from completion_requests order by timestamp desc, id desc');

  it('GET /health', async () => {
    const r = await getJson(`${proxy.metricsUrl}/health`);
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'healthy');
    assert.ok(!Number.isNaN(Date.parse(r.json.timestamp)), `timestamp ${r.json.timestamp}`);
  });

  it('the stored rows match the plan', async () => {
    const rows = await proxy.rows('select * from completion_requests order by id');
    assert.equal(rows.length, PLAN.length);
    for (const [i, p] of PLAN.entries()) {
      const row = rows[i];
      assert.equal(row.model, p.model, `row ${i} model`);
      assert.equal(row.is_streaming, p.stream ? 1 : 0, `row ${i} is_streaming`);
      assert.equal(row.success, p.ok ? 1 : 0, `row ${i} success`);
      assert.equal(row.error_type, p.error ?? null, `row ${i} error_type`);
      assert.equal(row.origin, p.origin ?? null, `row ${i} origin`);
      // Averages below assume TTFT and TTLT are known together.
      assert.equal(row.time_to_first_token_ms === null, row.time_to_last_token_ms === null, `row ${i} TTFT/TTLT both or neither`);
    }
  });

  it('GET /metrics equals the hand-computed numbers', async () => {
    const r = await getJson(`${proxy.metricsUrl}/metrics`);
    assert.equal(r.status, 200);
    const m = r.json;
    assert.ok(m.timestamp);
    const rows = await rowsAll();

    const group = (stream) => PLAN.map((p, i) => ({ p, res: responses[i] })).filter(({ p }) => !stream === !p.stream);
    const expectGroup = (stream) => {
      const g = group(stream);
      const withUsage = g.filter(({ res }) => res.usage);
      return {
        total: g.length,
        successful: g.filter(({ p }) => p.ok).length,
        failed: g.filter(({ p }) => !p.ok).length,
        error_types: countBy(g.filter(({ p }) => !p.ok).map(({ p }) => p.error)),
        tokens: {
          reported_count: withUsage.length,
          total: withUsage.reduce((s, { res }) => s + res.usage.total_tokens, 0),
          prompt_total: withUsage.reduce((s, { res }) => s + res.usage.prompt_tokens, 0),
          completion_total: withUsage.reduce((s, { res }) => s + res.usage.completion_tokens, 0),
        },
      };
    };

    // Hand-checked: 10 requests, 6 ok; 5 streamed (3 ok), 5 not (3 ok).
    assert.equal(m.requests.total.total, 10);
    assert.equal(m.requests.total.successful, 6);
    assert.equal(m.requests.total.failed, 4);
    assertAvg(m.requests.total.avg_response_time_ms, rows.map((x) => x.response_time_ms), 'total.avg_response_time_ms');

    for (const [key, stream] of [['streamed', true], ['non_streamed', false]]) {
      const got = m.requests[key];
      const want = expectGroup(stream);
      const gr = rows.filter((x) => x.is_streaming === (stream ? 1 : 0));
      assert.equal(got.total, want.total, `${key}.total`);
      assert.equal(got.successful, want.successful, `${key}.successful`);
      assert.equal(got.failed, want.failed, `${key}.failed`);
      assert.deepEqual(got.error_types, want.error_types, `${key}.error_types`);
      for (const f of ['reported_count', 'total', 'prompt_total', 'completion_total']) {
        assert.equal(got.tokens[f], want.tokens[f], `${key}.tokens.${f}`);
      }
      assertAvg(got.tokens.avg_tokens_per_second, gr.map((x) => x.tokens_per_second), `${key}.tokens.avg_tokens_per_second`);
      assertAvg(got.avg_time_to_first_token_ms, gr.map((x) => x.time_to_first_token_ms), `${key}.avg_time_to_first_token_ms`);
      assertAvg(got.avg_time_to_last_token_ms, gr.map((x) => x.time_to_last_token_ms), `${key}.avg_time_to_last_token_ms`);
      assertAvg(
        got.avg_completion_duration_ms,
        gr.map((x) => (x.time_to_first_token_ms === null || x.time_to_last_token_ms === null ? null : x.time_to_last_token_ms - x.time_to_first_token_ms)),
        `${key}.avg_completion_duration_ms`,
      );
      if (stream) assertAvg(got.avg_response_time_ms, gr.map((x) => x.response_time_ms), `${key}.avg_response_time_ms`);
    }
    // The literal values too, so a plan/computation bug cannot hide a wrong answer.
    assert.deepEqual(m.requests.streamed.error_types, { backend_error: 1, stream_interrupted: 1 });
    assert.deepEqual(m.requests.non_streamed.error_types, { rate_limit: 1, backend_error: 1 });
    assert.equal(m.requests.streamed.tokens.reported_count, 2);
    assert.equal(m.requests.non_streamed.tokens.reported_count, 3);

    assert.deepEqual(m.model_distribution, { [A]: 5, [B]: 3, [C]: 2 });
    assert.deepEqual(Object.keys(m.model_distribution), [A, B, C], 'sorted by count, descending');
    assert.deepEqual(m.origin_distribution, { [OA]: 5, [OB]: 2 });
    assert.deepEqual(Object.keys(m.origin_distribution), [OA, OB]);
  });

  it('GET /completion_requests: newest first, the compat shape, values from the rows', async () => {
    const r = await getJson(`${proxy.metricsUrl}/completion_requests`);
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(r.json), 'a plain array by default');
    assert.equal(r.json.length, PLAN.length);
    const rows = await rowsAll();
    for (const [i, item] of r.json.entries()) {
      const row = rows[i];
      for (const k of ['timestamp', 'is_streaming', 'success', 'error_type', 'message_count', 'timing', 'tokens', 'model', 'origin']) {
        assert.ok(k in item, `item ${i} has ${k}`);
      }
      assert.equal(typeof item.is_streaming, 'boolean');
      assert.equal(typeof item.success, 'boolean');
      assert.equal(item.model, row.model, `item ${i} is row ${row.id} (newest first)`);
      assert.equal(item.is_streaming, row.is_streaming === 1);
      assert.equal(item.success, row.success === 1);
      assert.equal(item.error_type ?? null, row.error_type);
      assert.equal(item.origin ?? null, row.origin);
      assert.equal(item.message_count, row.message_count);
      assert.equal(item.tokens.total ?? null, row.total_tokens);
      assert.equal(item.tokens.prompt ?? null, row.prompt_tokens);
      assert.equal(item.tokens.completion ?? null, row.completion_tokens);
      for (const [k, col] of [
        ['time_to_first_token_ms', 'time_to_first_token_ms'],
        ['time_to_last_token_ms', 'time_to_last_token_ms'],
        ['response_time_ms', 'response_time_ms'],
      ]) {
        if (row[col] === null) assert.equal(item.timing[k] ?? null, null);
        else assert.ok(Math.abs(item.timing[k] - row[col]) <= 0.011, `item ${i} timing.${k} ${item.timing[k]} vs ${row[col]}`);
      }
      assert.ok(!Number.isNaN(Date.parse(item.timestamp)), `timestamp ${item.timestamp}`);
      if (i > 0) assert.ok(Date.parse(item.timestamp) <= Date.parse(r.json[i - 1].timestamp), 'newest first');
    }
    assert.equal(r.json[0].model, B, 'the last request is first');
    assert.equal(r.json[0].error_type, 'stream_interrupted');
  });

  it('paging with limit and X-Next-Cursor walks every row once, in order', async () => {
    const all = (await getJson(`${proxy.metricsUrl}/completion_requests`)).json;
    const seen = [];
    let url = `${proxy.metricsUrl}/completion_requests?limit=3`;
    for (let page = 0; page < 10 && url; page += 1) {
      const r = await getJson(url);
      assert.equal(r.status, 200);
      assert.ok(Array.isArray(r.json));
      assert.ok(r.json.length <= 3);
      seen.push(...r.json);
      const cursor = r.headers['x-next-cursor'];
      if (seen.length < all.length) assert.ok(cursor, `X-Next-Cursor after ${seen.length} of ${all.length}`);
      url = cursor ? `${proxy.metricsUrl}/completion_requests?limit=3&cursor=${encodeURIComponent(cursor)}` : null;
    }
    assert.equal(url, null, 'the last page has no X-Next-Cursor');
    assert.deepEqual(seen, all);
  });

  it('envelope=1 gives {data, next_cursor}', async () => {
    const all = (await getJson(`${proxy.metricsUrl}/completion_requests`)).json;
    const seen = [];
    let cursor;
    for (let page = 0; page < 10; page += 1) {
      const q = `limit=4&envelope=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await getJson(`${proxy.metricsUrl}/completion_requests?${q}`);
      assert.equal(r.status, 200);
      assert.ok(Array.isArray(r.json.data), 'data array');
      assert.ok('next_cursor' in r.json, 'next_cursor member');
      seen.push(...r.json.data);
      cursor = r.json.next_cursor;
      if (!cursor) break;
    }
    assert.equal(cursor ?? null, null);
    assert.deepEqual(seen, all);
  });

  it('start/end filters select by timestamp, with or without a zone', async () => {
    const rows = await proxy.rows('select id, timestamp from completion_requests order by timestamp, id');
    const far = '2999-01-01T00:00:00Z';
    const past = '2001-01-01T00:00:00Z';
    const q = (path, params) => getJson(`${proxy.metricsUrl}${path}?${new URLSearchParams(params)}`);

    assert.deepEqual((await q('/completion_requests', { start: far })).json, []);
    assert.deepEqual((await q('/completion_requests', { end: past })).json, []);
    assert.equal((await q('/completion_requests', { start: past })).json.length, rows.length);
    assert.equal((await q('/completion_requests', { end: far })).json.length, rows.length);
    assert.equal((await q('/completion_requests', { start: past, end: far })).json.length, rows.length);
    assert.equal((await q('/metrics', { start: far })).json.requests.total.total, 0);
    assert.equal((await q('/metrics', { end: past })).json.requests.total.total, 0);
    assert.equal((await q('/metrics', { start: past, end: far })).json.requests.total.total, rows.length);
    // Date only.
    assert.equal((await q('/metrics', { start: '2001-01-01' })).json.requests.total.total, rows.length);

    // A boundary between two rows at least 2 ms apart, in three spellings of the same instant.
    let cut = null;
    for (let i = 1; i < rows.length; i += 1) {
      const a = Date.parse(rows[i - 1].timestamp);
      const b = Date.parse(rows[i].timestamp);
      if (b - a >= 2) {
        cut = { t: a + 1, after: rows.length - i };
        break;
      }
    }
    if (!cut) return; // all requests landed in the same millisecond pair; nothing to split
    const iso = new Date(cut.t).toISOString(); // ...Z
    const noZone = iso.slice(0, -1);
    const d = new Date(cut.t + 2 * 3600 * 1000).toISOString().slice(0, -1);
    const plus2 = `${d}+02:00`;
    for (const start of [iso, noZone, plus2]) {
      const list = (await q('/completion_requests', { start })).json;
      assert.equal(list.length, cut.after, `start=${start}`);
      const m = (await q('/metrics', { start })).json;
      assert.equal(m.requests.total.total, cut.after, `/metrics start=${start}`);
      const e = (await q('/metrics', { end: start })).json;
      assert.equal(e.requests.total.total, rows.length - cut.after, `/metrics end=${start}`);
    }
  });

  for (const path of ['/metrics', '/completion_requests']) {
    for (const [param, value] of [
      ['start', 'not-a-date'],
      ['end', '2024-13-45'],
    ]) {
      it(`${path}?${param}=${value} → 400 JSON naming '${param}'`, async () => {
        const r = await request(`${proxy.metricsUrl}${path}?${param}=${encodeURIComponent(value)}`);
        assert.equal(r.status, 400);
        assert.match(r.headers['content-type'] ?? '', /json/);
        const j = JSON.parse(r.text);
        assert.ok(r.text.includes(param), `the error names '${param}': ${r.text}`);
        if (j.error?.param !== undefined) assert.equal(j.error.param, param);
      });
    }
  }

  it("/completion_requests?limit=abc → 400 naming 'limit'", async () => {
    const r = await request(`${proxy.metricsUrl}/completion_requests?limit=abc`);
    assert.equal(r.status, 400);
    JSON.parse(r.text);
    assert.ok(r.text.includes('limit'), r.text);
  });

  it('an unknown path → 404 JSON', async () => {
    const r = await request(`${proxy.metricsUrl}/no/such/endpoint`);
    assert.equal(r.status, 404);
    assert.match(r.headers['content-type'] ?? '', /json/);
    JSON.parse(r.text);
  });

  it('timestamps in the store are UTC with milliseconds', async () => {
    const rows = await proxy.rows('select timestamp from completion_requests');
    for (const r of rows) assert.match(r.timestamp, TIMESTAMP_RE);
  });
});

describe('metrics API with --metrics-token', () => {
  let proxy;
  before(async () => {
    proxy = await startProxy({ backendUrl: `http://127.0.0.1:${await closedPort()}`, args: ['--metrics-token', 'tok-123'] });
  });
  after(async () => {
    await proxy?.stop();
  });

  it('/metrics needs the bearer token; /health does not', async () => {
    assert.equal((await request(`${proxy.metricsUrl}/metrics`)).status, 401);
    assert.equal((await request(`${proxy.metricsUrl}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await request(`${proxy.metricsUrl}/metrics`, { headers: { Authorization: 'Bearer tok-123' } })).status, 200);
    assert.equal((await request(`${proxy.metricsUrl}/completion_requests`)).status, 401);
    assert.equal((await request(`${proxy.metricsUrl}/health`)).status, 200);
  });
});
