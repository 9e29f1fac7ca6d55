// Failures: unreachable and slow backends, error statuses, broken streams, clients that leave.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  startStack,
  startProxy,
  closedPort,
  request,
  postJson,
  chatBody,
  uniqueModel,
  sseJson,
  hasContent,
  dbRows,
} from './lib/harness.mjs';

function assertOpenAIError(r) {
  let j;
  assert.doesNotThrow(() => {
    j = JSON.parse(r.text);
  }, `error body is JSON: ${r.text.slice(0, 200)}`);
  assert.ok(j.error && typeof j.error === 'object', 'has an "error" object');
  assert.equal(typeof j.error.message, 'string');
  assert.ok(j.error.message.length > 0);
  assert.ok('type' in j.error, 'error.type');
  assert.ok('code' in j.error, 'error.code');
  assert.match(r.headers['content-type'] ?? '', /application\/json/);
  return j;
}

// A POST of `body` to the proxy's chat endpoint on a connection of its own (no agent), for the
// tests that close the connection themselves.
function chatRequest(port, body, headers) {
  return http.request({
    host: '127.0.0.1',
    port,
    path: '/v1/chat/completions',
    method: 'POST',
    agent: false,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
  });
}

describe('backend unreachable', () => {
  let proxy;
  before(async () => {
    const port = await closedPort();
    proxy = await startProxy({ backendUrl: `http://127.0.0.1:${port}` });
  });
  after(async () => {
    await proxy?.stop();
  });

  it('non-streaming → 502 OpenAI-style error and a backend_unreachable record', async () => {
    const model = uniqueModel('unreach');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), { timeoutMs: 10000 });
    assert.equal(r.status, 502, r.text);
    assertOpenAIError(r);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 0);
    assert.equal(row.status_code, 502);
    assert.equal(row.error_type, 'backend_unreachable');
    assert.ok(row.error_message, 'error_message says what happened');
    assert.equal(row.model, model);
  });

  it('streaming → 502 too (not a 200 event stream)', async () => {
    const model = uniqueModel('unreach-s');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }), { timeoutMs: 10000 });
    assert.equal(r.status, 502);
    assertOpenAIError(r);
    const row = await proxy.recordFor(model);
    assert.equal(row.error_type, 'backend_unreachable');
    assert.equal(row.is_streaming, 1);
  });

  it('pass-through paths also get a 502 and no record', async () => {
    const r = await request(`${proxy.url}/v1/models`);
    assert.equal(r.status, 502);
    assertOpenAIError(r);
  });
});

describe('backend errors and broken streams', () => {
  let stack;
  let proxy;
  let mock;
  before(async () => {
    stack = await startStack({
      mock: { ttftMs: 5, tokensPerSecond: 1000 },
      proxy: { args: ['--backend-timeout-ms', '800', '--stream-idle-timeout-ms', '600'] },
    });
    ({ proxy, mock } = stack);
  });
  after(async () => {
    await stack?.stop();
  });

  it('backend slower than --backend-timeout-ms → 504 and a backend_timeout record', async () => {
    const model = uniqueModel('timeout');
    const t0 = Date.now();
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), {
      headers: { 'X-Mock-Stall-Ms': '4000' },
      timeoutMs: 10000,
    });
    const elapsed = Date.now() - t0;
    assert.equal(r.status, 504, r.text);
    assertOpenAIError(r);
    assert.ok(elapsed >= 700 && elapsed < 3500, `answered after ${elapsed} ms with an 800 ms timeout`);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 0);
    assert.equal(row.status_code, 504);
    assert.equal(row.error_type, 'backend_timeout');
  });

  it('a streaming request whose backend stalls before the headers → 504 backend_timeout', async () => {
    const model = uniqueModel('timeout-s');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }), {
      headers: { 'X-Mock-Stall-Ms': '4000' },
      timeoutMs: 10000,
    });
    assert.equal(r.status, 504, r.text);
    assertOpenAIError(r);
    const row = await proxy.recordFor(model);
    assert.equal(row.error_type, 'backend_timeout');
    assert.equal(row.is_streaming, 1);
  });

  it('a stream that stalls longer than --stream-idle-timeout-ms is cut off and recorded as backend_timeout', async () => {
    const model = uniqueModel('idle');
    const t0 = Date.now();
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }), {
      headers: { 'X-Mock-Completion-Tokens': '3', 'X-Mock-Token-Interval-Ms': '3000', 'X-Mock-TTFT-Ms': '0' },
      timeoutMs: 10000,
    });
    const elapsed = Date.now() - t0;
    assert.equal(r.status, 200, 'headers and the first events had already gone out');
    assert.ok(!sseJson(r.text).done, 'no [DONE]');
    assert.ok(!r.complete || r.aborted, 'the client sees the stream cut off');
    assert.ok(elapsed < 2500, `cut after ~600 ms of silence, not after the 3 s token gap (${elapsed} ms)`);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 0);
    assert.equal(row.error_type, 'backend_timeout');
  });

  it('the proxy still serves after a timeout', async () => {
    const model = uniqueModel('after-timeout');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
    assert.equal(r.status, 200);
    assert.equal((await proxy.recordFor(model)).success, 1);
  });

  for (const [status, errorType] of [
    [429, 'rate_limit'],
    [500, 'backend_error'],
    [503, 'backend_error'],
    [401, 'authentication'],
    [403, 'authentication'],
    [404, 'not_found'],
    [400, 'invalid_request'],
  ]) {
    it(`backend ${status} passes through with its body; record error_type ${errorType}`, async () => {
      const model = uniqueModel(`st${status}`);
      const headers = { 'X-Mock-Status': String(status) };
      const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), { headers });
      const d = await postJson(`${mock.url}/v1/chat/completions`, chatBody(model), { headers });
      assert.equal(r.status, status);
      assert.equal(d.status, status);
      assert.ok(r.body.equals(d.body), `same error body as direct: ${r.text} vs ${d.text}`);
      assert.equal(r.headers['content-type'], d.headers['content-type']);
      const row = await proxy.recordFor(model);
      assert.equal(row.success, 0);
      assert.equal(row.status_code, status);
      assert.equal(row.error_type, errorType);
      assert.equal(row.is_streaming, 0);
      assert.equal(row.total_tokens, null);
    });
  }

  it('backend error on a streaming request reaches the client as that error, not 200 text/event-stream', async () => {
    const model = uniqueModel('st500-s');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }), {
      headers: { 'X-Mock-Status': '500' },
    });
    assert.equal(r.status, 500);
    assertOpenAIError(r);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 0);
    assert.equal(row.is_streaming, 1);
    assert.equal(row.status_code, 500);
    assert.equal(row.error_type, 'backend_error');
  });

  it('backend closes mid-stream → the client sees an abrupt end (no [DONE]); record stream_interrupted', async () => {
    const model = uniqueModel('interrupted');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true, stream_options: { include_usage: true } }), {
      headers: { 'X-Mock-Close-After-Events': '3', 'X-Mock-Token-Interval-Ms': '10' },
      timeoutMs: 8000,
    });
    assert.equal(r.status, 200);
    const s = sseJson(r.text);
    assert.ok(!s.done, 'no [DONE] after an interrupted stream');
    assert.ok(s.events.length <= 3, `at most the 3 events the backend sent (got ${s.events.length})`);
    // The relay must not pretend the stream completed: the chunked body should be cut off.
    assert.ok(!r.complete || r.aborted, 'the client response is not a cleanly terminated body');
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 0);
    assert.equal(row.is_streaming, 1);
    assert.equal(row.status_code, 200);
    assert.equal(row.error_type, 'stream_interrupted');
  });

  it('client disconnects mid-stream → a client_disconnected record appears', async () => {
    const model = uniqueModel('client-gone');
    const body = JSON.stringify(chatBody(model, { stream: true }));
    await new Promise((resolve, reject) => {
      const req = chatRequest(proxy.proxyPort, body, {
        'X-Mock-Completion-Tokens': '50',
        'X-Mock-Token-Interval-Ms': '100',
      });
      req.on('response', (res) => {
        let seen = '';
        res.on('data', (d) => {
          seen += d.toString();
          if (hasContent(seen)) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => {});
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error('no content event within 8 s'));
      }, 8000);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e); // a no-op once resolved (we destroy the request ourselves)
      });
      req.on('close', () => {
        clearTimeout(timer);
        reject(new Error('connection closed before a content event')); // no-op once resolved
      });
      req.end(body);
    });
    const row = await proxy.recordFor(model, 5000);
    assert.equal(row.success, 0);
    assert.equal(row.is_streaming, 1);
    assert.equal(row.error_type, 'client_disconnected');
    assert.ok(row.response_time_ms < 4000, `recorded when the client left (${row.response_time_ms} ms), not after the full 5 s stream`);
  });

  it('client leaves before the backend answers → recorded as client_disconnected at once, not when the answer comes', async () => {
    // The backend takes 3 s to its first byte; the client sends its request and closes. The
    // proxy's watcher (armed once an exchange has lasted ~10 ms) sees the close, drops the
    // backend connection and records the request.
    const model = uniqueModel('client-gone-early');
    const body = JSON.stringify(chatBody(model));
    await new Promise((resolve) => {
      const req = chatRequest(proxy.proxyPort, body, { 'X-Mock-Ttft-Ms': '3000' });
      req.on('error', () => {});
      req.on('finish', () => {
        req.destroy();
        resolve();
      });
      req.end(body);
    });
    const row = await proxy.recordFor(model, 5000);
    assert.equal(row.success, 0);
    assert.equal(row.error_type, 'client_disconnected');
    assert.ok(row.response_time_ms < 1500, `recorded when the client left (${row.response_time_ms} ms), not when the backend answered (3 s)`);
  });

  it('still serves after all of that, with one record per recorded request', async () => {
    const model = uniqueModel('final');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }));
    assert.equal(r.status, 200);
    assert.ok(sseJson(r.text).done);
    await proxy.recordFor(model);
    // No duplicates for any model in this file.
    const dups = await dbRows(proxy.dbPath, 'select model, count(*) n from completion_requests group by model having n > 1');
    assert.deepEqual(dups, []);
  });
});
