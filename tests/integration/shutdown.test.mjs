// Graceful shutdown: SIGTERM/SIGINT stop accepting, let in-flight streams finish within the
// grace period, flush every record, and exit 0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  startMock,
  startProxy,
  postJson,
  request,
  chatBody,
  uniqueModel,
  sseJson,
  hasContent,
  waitFor,
  withTimeout,
  dbRows,
  countRows,
} from './lib/harness.mjs';

// Resolves with 'refused' | 'accepted' for one connection attempt.
function tryConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('connect', () => {
      s.destroy();
      resolve('accepted');
    });
    s.on('error', () => resolve('refused'));
  });
}

describe('graceful shutdown', () => {
  it('SIGTERM with 20 streams in flight: all finish, all recorded, exit 0', async () => {
    const N = 20;
    const TOKENS = 10;
    const mock = await startMock({ ttftMs: 5, tokensPerSecond: 1000 });
    // Keep the proxy's temp dir until we have read the database after exit.
    const proxy = await startProxy({ backendUrl: mock.url, args: ['--shutdown-grace-ms', '10000'] });
    const dbPath = proxy.dbPath;
    try {
      let firstEvents = 0;
      const models = Array.from({ length: N }, () => uniqueModel('shutdown'));
      const inflight = models.map((model) => {
        let counted = false;
        let seen = '';
        return postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true, stream_options: { include_usage: true } }), {
          headers: { 'X-Mock-Completion-Tokens': String(TOKENS), 'X-Mock-Token-Interval-Ms': '100', 'X-Mock-TTFT-Ms': '0' },
          timeoutMs: 20000,
          onChunk: (d) => {
            seen += d.toString();
            if (!counted && seen.includes('data:')) {
              counted = true;
              firstEvents += 1;
            }
          },
        });
      });
      await waitFor(() => firstEvents === N, { timeoutMs: 8000, what: `all ${N} streams to get their first event` });

      const tSignal = Date.now();
      proxy.proc.signal('SIGTERM');

      // New connections are no longer accepted while the streams drain (the streams last ~1 s).
      const refusedWhileDraining = await waitFor(async () => (await tryConnect(proxy.proxyPort)) === 'refused', {
        timeoutMs: 700,
        intervalMs: 20,
        what: 'the proxy port to refuse new connections',
      }).catch(() => false);

      const results = await withTimeout(Promise.all(inflight), 15000, 'in-flight streams');
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 200, `stream ${i}`);
        assert.ok(r.complete, `stream ${i} ended properly`);
        const s = sseJson(r.text);
        assert.ok(s.done, `stream ${i} got [DONE]`);
        const contentEvents = s.payloads.filter((p) => hasContent(JSON.stringify(p))).length;
        assert.equal(contentEvents, TOKENS, `stream ${i} got all ${TOKENS} tokens`);
      }
      const exit = await withTimeout(proxy.proc.exited, 12000, 'proxy exit after SIGTERM');
      assert.equal(exit.signal, null, `exited by itself, not by ${exit.signal}`);
      assert.equal(exit.code, 0, `exit code 0\n${proxy.proc.tail(20)}`);
      assert.ok(Date.now() - tSignal < 10000, 'exited within the grace period');

      const rows = await dbRows(dbPath, 'select model, success, completion_tokens, error_type from completion_requests');
      assert.equal(rows.length, N, `exactly ${N} records`);
      assert.deepEqual(new Set(rows.map((r) => r.model)), new Set(models));
      for (const r of rows) {
        assert.equal(r.success, 1, `${r.model} success (error_type ${r.error_type})`);
        assert.equal(r.completion_tokens, TOKENS);
      }
      assert.ok(refusedWhileDraining, 'new connections were refused after SIGTERM while streams were still running');
    } finally {
      await proxy.stop();
      await mock.stop();
    }
  });

  it('SIGINT: records flushed and exit 0', async () => {
    const mock = await startMock({ ttftMs: 5, tokensPerSecond: 1000 });
    const proxy = await startProxy({ backendUrl: mock.url });
    try {
      const models = [uniqueModel('sigint'), uniqueModel('sigint'), uniqueModel('sigint')];
      for (const model of models) {
        const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
        assert.equal(r.status, 200);
      }
      // Signal right away: whatever the writer still holds must be flushed before exit.
      proxy.proc.signal('SIGINT');
      const exit = await withTimeout(proxy.proc.exited, 10000, 'proxy exit after SIGINT');
      assert.equal(exit.code, 0, proxy.proc.tail(20));
      assert.equal(await countRows(proxy.dbPath), models.length);
    } finally {
      await proxy.stop();
      await mock.stop();
    }
  });

  it('environment variables configure the proxy (flags win)', async () => {
    const mock = await startMock({ ttftMs: 5, tokensPerSecond: 1000 });
    const u = new URL(mock.url);
    const proxy = await startProxy({
      noBackendFlag: true,
      env: { BACKEND_HOST: u.hostname, BACKEND_PORT: u.port, PROXY_PORT: '1', METRICS_PORT: '1', LOG_LEVEL: 'DEBUG' },
    });
    try {
      const model = uniqueModel('env');
      const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
      assert.equal(r.status, 200, r.text);
      await proxy.recordFor(model);
      const h = await request(`${proxy.metricsUrl}/health`);
      assert.equal(h.status, 200);
    } finally {
      const exit = await proxy.stop();
      await mock.stop();
      assert.equal(exit.code, 0);
    }
  });
});
