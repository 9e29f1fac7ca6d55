// The system under test for the browser tests: the real llm-metrics-proxy binary (found like the
// integration tests find it: LMP_BINARY, else the newest build/*/src/llm-metrics-proxy) in front
// of its mock backend, every port ephemeral, a temporary database, the dashboard on a free port.
// Process handling, waiting and HTTP come from the integration harness.
import {
  closedPort,
  findBinary,
  getJson,
  postJson,
  startMock,
  startProxy,
  waitFor,
} from '../../integration/lib/harness.mjs';

export { closedPort, findBinary, getJson, waitFor };

// Starts mock + proxy with the dashboard on a free port. extraArgs go to the proxy.
// dbPath: a store of the caller's (by default a temporary one, removed on stop).
export async function startDashboardStack({ extraArgs = [], mock = {}, dbPath } = {}) {
  const m = await startMock({ ttftMs: 5, ...mock });
  let p;
  try {
    p = await startProxy({ backendUrl: m.url, dbPath, args: ['--dashboard-port', '0', ...extraArgs] });
  } catch (e) {
    await m.stop();
    throw e;
  }
  let dashboardUrl;
  try {
    const d = await p.proc.waitForLine(/dashboard listening on (https?:\/\/[^\s]+?):(\d+)\b/);
    dashboardUrl = `http://127.0.0.1:${Number(d[2])}/`;
  } catch (e) {
    await p.stop().catch(() => {});
    await m.stop().catch(() => {});
    throw e;
  }
  return {
    mock: m,
    proxy: p,
    proxyUrl: p.url,
    apiUrl: p.metricsUrl,
    dashboardUrl,
    // The same dashboard mounted on the metrics port.
    mountedDashboardUrl: `${p.metricsUrl}/dashboard/`,
    async stop() {
      try {
        await p.stop();
      } finally {
        await m.stop();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Seed: a fixed, deterministic set of requests. Every entry is sent `count` times.
//   stream: SSE with usage; status: X-Mock-Status (a backend error); closeAfter: the mock closes
//   the stream after that many events (stream_interrupted).
export const ORIGIN_APP = 'http://localhost:3000';
export const ORIGIN_CHAT = 'https://chat.example';

export const HOSTILE_MODEL = '<img src=x onerror="window.__lmpInjected=1">';

export const SEED = [
  { model: 'llama3:8b', stream: true, count: 14, origin: ORIGIN_APP },
  { model: 'llama3:8b', stream: false, count: 8, origin: ORIGIN_APP },
  { model: 'llama3:8b', stream: true, count: 2, status: 429, origin: ORIGIN_APP }, // rate_limit
  { model: 'qwen3:4b', stream: false, count: 12, origin: ORIGIN_CHAT },
  { model: 'qwen3:4b', stream: true, count: 6, origin: ORIGIN_CHAT, tokens: 32 },
  { model: 'qwen3:4b', stream: false, count: 3, status: 500, origin: ORIGIN_CHAT }, // backend_error
  { model: 'qwen3:4b', stream: true, count: 2, closeAfter: 3, origin: ORIGIN_CHAT }, // stream_interrupted
  { model: 'mistral:7b', stream: false, count: 9 },
  { model: 'mistral:7b', stream: true, count: 3, tokens: 8 },
  { model: 'mistral:7b', stream: false, count: 1, status: 401 }, // authentication
  { model: 'mistral:7b', stream: false, count: 2, status: 404 }, // not_found
  // Markup in a model name must be shown as text, never run.
  { model: HOSTILE_MODEL, stream: false, count: 1 },
];

export const SEED_TOTAL = SEED.reduce((n, s) => n + s.count, 0);

const ERROR_FOR_STATUS = { 401: 'authentication', 404: 'not_found', 429: 'rate_limit', 500: 'backend_error' };

// What the seed must produce, computed from the table (independent of the API).
export function seedExpectations() {
  const e = {
    total: 0,
    successful: 0,
    failed: 0,
    streamed: { total: 0, successful: 0, failed: 0, errors: {} },
    non_streamed: { total: 0, successful: 0, failed: 0, errors: {} },
    models: {},
    origins: {},
  };
  for (const s of SEED) {
    const failed = s.status !== undefined || s.closeAfter !== undefined;
    const kind = s.stream ? e.streamed : e.non_streamed;
    e.total += s.count;
    kind.total += s.count;
    if (failed) {
      e.failed += s.count;
      kind.failed += s.count;
      const type = s.closeAfter !== undefined ? 'stream_interrupted' : ERROR_FOR_STATUS[s.status];
      kind.errors[type] = (kind.errors[type] ?? 0) + s.count;
    } else {
      e.successful += s.count;
      kind.successful += s.count;
    }
    e.models[s.model] = (e.models[s.model] ?? 0) + s.count;
    if (s.origin) e.origins[s.origin] = (e.origins[s.origin] ?? 0) + s.count;
  }
  return e;
}

async function sendOne(proxyUrl, s, i) {
  const headers = { 'X-Mock-Token-Interval-Ms': '1' };
  if (s.origin) headers.Origin = s.origin;
  if (s.status !== undefined) headers['X-Mock-Status'] = String(s.status);
  if (s.closeAfter !== undefined) headers['X-Mock-Close-After-Events'] = String(s.closeAfter);
  if (s.tokens !== undefined) headers['X-Mock-Completion-Tokens'] = String(s.tokens);
  const body = {
    model: s.model,
    messages: [{ role: 'user', content: `Seed request ${i} for ${s.model}.` }],
  };
  if (s.stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  try {
    return await postJson(`${proxyUrl}/v1/chat/completions`, body, { headers, timeoutMs: 10000 });
  } catch (e) {
    // An interrupted stream may surface as a socket error: the proxy still records it.
    if (s.closeAfter !== undefined) return { status: 200, interrupted: true };
    throw e;
  }
}

// Sends the seed (a few at a time) and waits until /metrics counts every request.
export async function seed(stack, { concurrency = 6 } = {}) {
  const jobs = [];
  for (const s of SEED) for (let i = 0; i < s.count; i++) jobs.push([s, jobs.length]);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [s, i] = jobs[next++];
      const r = await sendOne(stack.proxyUrl, s, i);
      const want = s.status ?? 200;
      if (r.status !== want) throw new Error(`seed request ${i} (${s.model}): status ${r.status}, expected ${want}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await waitFor(
    async () => (await getJson(`${stack.apiUrl}/metrics`)).json.requests.total.total === SEED_TOTAL,
    { timeoutMs: 15000, intervalMs: 50, what: `/metrics to count all ${SEED_TOTAL} seeded requests` },
  );
}
