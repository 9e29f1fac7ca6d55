// /v1/completions and /v1/embeddings are forwarded and recorded; every other path and method is
// forwarded unchanged and not recorded.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack,
  request,
  postJson,
  chatBody,
  uniqueModel,
  sseJson,
  assertRecordInvariants,
  stableBody,
  approx,
  VOLATILE_HEADERS,
} from './lib/harness.mjs';

describe('other endpoints through the proxy', () => {
  let stack;
  let proxy;
  let mock;

  before(async () => {
    stack = await startStack({ mock: { ttftMs: 10, tokensPerSecond: 500 } });
    ({ proxy, mock } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  const assertNotRecorded = (fn) => proxy.assertNotRecorded(fn);

  it('POST /v1/completions (non-streaming) is forwarded and recorded', async () => {
    const model = uniqueModel('cmpl');
    const body = { model, prompt: 'Once upon a time', max_tokens: 7, temperature: 1.0, top_p: 0.5, user: 'carol' };
    const text = JSON.stringify(body);
    const headers = { 'Content-Type': 'application/json', Authorization: 'Bearer sk-cmpl-abcdef0123456789', Origin: 'http://cmpl.test' };
    const r = await request(`${proxy.url}/v1/completions`, { method: 'POST', body: text, headers });
    const d = await request(`${mock.url}/v1/completions`, { method: 'POST', body: text, headers });
    assert.equal(r.status, 200, r.text);
    const j = JSON.parse(r.text);
    assert.deepEqual(stableBody(j), stableBody(JSON.parse(d.text)));
    assert.equal(typeof j.choices[0].text, 'string');
    assert.equal(j.usage.completion_tokens, 7);

    const row = await proxy.recordFor(model);
    assertRecordInvariants(assert, row, { key: 'sk-cmpl-abcdef0123456789', requestBytes: Buffer.byteLength(text) });
    assert.equal(row.endpoint, 'completions');
    assert.equal(row.is_streaming, 0);
    assert.equal(row.success, 1);
    assert.equal(row.status_code, 200);
    assert.equal(row.max_tokens, 7);
    assert.equal(row.temperature, 1.0);
    assert.equal(row.top_p, 0.5);
    assert.equal(row.user, 'carol');
    assert.equal(row.origin, 'http://cmpl.test');
    assert.equal(row.message_count, 1, 'a text completion counts its prompts (one string here)');
    assert.equal(row.prompt_tokens, j.usage.prompt_tokens);
    assert.equal(row.completion_tokens, j.usage.completion_tokens);
    assert.equal(row.total_tokens, j.usage.total_tokens);
    assert.equal(row.finish_reason, j.choices[0].finish_reason);
  });

  it('POST /v1/completions (streaming) is relayed with [DONE] and recorded with usage', async () => {
    const model = uniqueModel('cmpl-s');
    const r = await postJson(
      `${proxy.url}/v1/completions`,
      { model, prompt: 'Hello', stream: true, stream_options: { include_usage: true } },
      { headers: { 'X-Mock-Completion-Tokens': '6', 'X-Mock-Token-Interval-Ms': '10' } },
    );
    assert.equal(r.status, 200);
    const s = sseJson(r.text);
    assert.ok(s.done, '[DONE] reached the client');
    const usage = s.payloads.find((p) => p.usage)?.usage;
    assert.ok(usage, 'usage chunk');
    assert.equal(usage.completion_tokens, 6);
    const row = await proxy.recordFor(model);
    assertRecordInvariants(assert, row, {});
    assert.equal(row.endpoint, 'completions');
    assert.equal(row.is_streaming, 1);
    assert.equal(row.success, 1);
    assert.equal(row.completion_tokens, 6);
    assert.equal(row.prompt_tokens, usage.prompt_tokens);
    assert.ok(row.time_to_first_token_ms !== null, 'TTFT from the first "text" event');
    assert.ok(row.time_to_last_token_ms - row.time_to_first_token_ms >= 35, 'TTLT − TTFT covers 6 tokens at 10 ms');
    assert.ok(approx(row.tokens_per_second, 6 / (row.time_to_last_token_ms / 1000)), `tokens/s ${row.tokens_per_second}`);
  });

  it('POST /v1/embeddings is forwarded and recorded', async () => {
    const model = uniqueModel('emb');
    const body = { model, input: ['first input', 'second input'] };
    const text = JSON.stringify(body);
    const r = await request(`${proxy.url}/v1/embeddings`, { method: 'POST', body: text, headers: { 'Content-Type': 'application/json' } });
    const d = await request(`${mock.url}/v1/embeddings`, { method: 'POST', body: text, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, d.text, 'embeddings are deterministic: same bytes through the proxy');
    const j = JSON.parse(r.text);
    assert.equal(j.data.length, 2);
    assert.ok(Array.isArray(j.data[0].embedding));
    const row = await proxy.recordFor(model);
    assertRecordInvariants(assert, row, { requestBytes: Buffer.byteLength(text) });
    assert.equal(row.endpoint, 'embeddings');
    assert.equal(row.is_streaming, 0);
    assert.equal(row.success, 1);
    assert.equal(row.status_code, 200);
    assert.equal(row.message_count, 2, 'embeddings count their inputs');
    assert.equal(row.prompt_tokens, j.usage.prompt_tokens);
    if (j.usage.total_tokens !== undefined) assert.equal(row.total_tokens, j.usage.total_tokens);
  });

  it('GET /v1/models is forwarded byte for byte and not recorded', async () => {
    await assertNotRecorded(async () => {
      const r = await request(`${proxy.url}/v1/models`, { headers: { Authorization: 'Bearer sk-x' } });
      const d = await request(`${mock.url}/v1/models`, { headers: { Authorization: 'Bearer sk-x' } });
      assert.equal(r.status, 200);
      assert.equal(r.status, d.status);
      assert.ok(r.body.equals(d.body), 'same bytes as direct');
      const h = (x) => Object.fromEntries(Object.entries(x.headers).filter(([k]) => !VOLATILE_HEADERS.has(k)));
      assert.deepEqual(h(r), h(d));
      assert.ok(Array.isArray(JSON.parse(r.text).data));
    });
  });

  it('GET /v1/models with a query string keeps the query', async () => {
    await assertNotRecorded(async () => {
      const r = await request(`${proxy.url}/v1/models?x=1&y=two`, { headers: { 'X-Mock-Echo-Headers': '1' } });
      const d = await request(`${mock.url}/v1/models?x=1&y=two`, { headers: { 'X-Mock-Echo-Headers': '1' } });
      assert.equal(r.status, d.status);
      assert.ok(r.body.equals(d.body));
    });
  });

  it('unknown paths and methods are forwarded unchanged and not recorded', async () => {
    await assertNotRecorded(async () => {
      for (const [method, path, body] of [
        ['GET', '/v1/no-such-thing', undefined],
        ['POST', '/api/generate', JSON.stringify({ model: 'x', prompt: 'y' })],
        ['GET', '/v1/chat/completions', undefined],
        ['DELETE', '/v1/models/some-model', undefined],
      ]) {
        const opts = { method, body, headers: body ? { 'Content-Type': 'application/json' } : {} };
        const r = await request(`${proxy.url}${path}`, opts);
        const d = await request(`${mock.url}${path}`, opts);
        assert.equal(r.status, d.status, `${method} ${path}: status ${r.status} vs direct ${d.status}`);
        assert.ok(r.body.equals(d.body), `${method} ${path}: same body bytes (${r.text.slice(0, 100)} vs ${d.text.slice(0, 100)})`);
      }
    });
  });
});
