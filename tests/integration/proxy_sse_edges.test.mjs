// Byte-level relay and measurement against a scripted backend (a Node server in this file), for
// the cases the mock cannot produce: SSE events split across reads or packed into one, CRLF
// framing, unparseable events, backend-native usage fields, a reply that is not HTTP.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { startProxy, postJson, chatBody, uniqueModel, delay } from './lib/harness.mjs';

function chunk(model, choice, extra = {}) {
  return { id: 'chatcmpl-edge', object: 'chat.completion.chunk', created: 1700000000, model, choices: [choice], ...extra };
}

// The exact SSE text of a small stream: role, 3 tokens, finish, usage, [DONE].
function streamText(model, eol = '\n') {
  const ev = (o) => `data: ${typeof o === 'string' ? o : JSON.stringify(o)}${eol}${eol}`;
  return [
    ev(chunk(model, { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null })),
    ev(chunk(model, { index: 0, delta: { content: 'Hello' }, finish_reason: null })),
    ev(chunk(model, { index: 0, delta: { content: ' there' }, finish_reason: null })),
    ev(chunk(model, { index: 0, delta: { content: ' friend' }, finish_reason: null })),
    ev(chunk(model, { index: 0, delta: {}, finish_reason: 'stop' })),
    ev({ id: 'chatcmpl-edge', object: 'chat.completion.chunk', created: 1700000000, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } }),
    ev('[DONE]'),
  ];
}

const SCENARIOS = {
  // Every event cut into 7-byte writes, 3 ms apart.
  async split(req, res, model) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const all = Buffer.from(streamText(model).join(''));
    for (let i = 0; i < all.length; i += 7) {
      res.write(all.subarray(i, i + 7));
      await delay(3);
    }
    res.end();
    return all;
  },
  // Role chunk first, then after 150 ms everything else in one write.
  async packed(req, res, model) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const evs = streamText(model);
    res.write(evs[0]);
    await delay(150);
    res.end(evs.slice(1).join(''));
    return Buffer.from(evs.join(''));
  },
  // [DONE] in a write of its own, after a pause.
  async doneAlone(req, res, model) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const evs = streamText(model);
    res.write(evs.slice(0, -1).join(''));
    await delay(50);
    res.end(evs[evs.length - 1]);
    return Buffer.from(evs.join(''));
  },
  // CRLF line endings, one event per write.
  async crlf(req, res, model) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const evs = streamText(model, '\r\n');
    for (const e of evs) {
      res.write(e);
      await delay(10);
    }
    res.end();
    return Buffer.from(evs.join(''));
  },
  // An unparseable event between good ones: relayed untouched, the record says degraded.
  async badJson(req, res, model) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const evs = streamText(model);
    evs.splice(2, 0, 'data: {"this is": not json\n\n');
    for (const e of evs) {
      res.write(e);
      await delay(5);
    }
    res.end();
    return Buffer.from(evs.join(''));
  },
  // Ollama-style counts instead of an OpenAI usage block (non-streamed).
  async ollamaCounts(req, res, model) {
    const body = JSON.stringify({
      id: 'chatcmpl-ollama',
      object: 'chat.completion',
      created: 1700000000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
      prompt_eval_count: 21,
      eval_count: 9,
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return Buffer.from(body);
  },
  // Not HTTP at all.
  async garbage(req, res) {
    res.socket.end('THIS IS NOT HTTP\r\n\r\n');
    return null;
  },
};

describe('SSE edge cases against a scripted backend', () => {
  let server;
  let proxy;
  const sent = new Map(); // model -> bytes the backend sent

  before(async () => {
    server = http.createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      const model = JSON.parse(body || '{}').model ?? 'none';
      const scenario = SCENARIOS[req.headers['x-scenario']];
      if (!scenario) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"error":{"message":"no scenario","type":"invalid_request_error","code":null}}');
        return;
      }
      sent.set(model, await scenario(req, res, model));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    proxy = await startProxy({ backendUrl: `http://127.0.0.1:${server.address().port}` });
  });

  after(async () => {
    try {
      await proxy?.stop();
    } finally {
      server?.closeAllConnections?.();
      server?.close();
    }
  });

  const streamReq = (model, scenario) =>
    postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true, stream_options: { include_usage: true } }), {
      headers: { 'X-Scenario': scenario },
    });

  for (const scenario of ['split', 'packed', 'doneAlone', 'crlf']) {
    it(`${scenario}: the client gets the exact bytes; usage and finish reason are recorded`, async () => {
      const model = uniqueModel(`edge-${scenario}`);
      const r = await streamReq(model, scenario);
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(sent.get(model)), `byte-identical relay:\n${r.text}`);
      const row = await proxy.recordFor(model);
      assert.equal(row.success, 1, `success (error ${row.error_type}: ${row.error_message})`);
      assert.equal(row.degraded, 0);
      assert.equal(row.prompt_tokens, 11);
      assert.equal(row.completion_tokens, 3);
      assert.equal(row.total_tokens, 14);
      assert.equal(row.finish_reason, 'stop');
      assert.ok(row.time_to_first_token_ms !== null);
      assert.ok(row.time_to_first_token_ms <= row.time_to_last_token_ms);
      if (scenario === 'packed') {
        // The role chunk came 150 ms before any token: it must not count as the first token.
        assert.ok(row.time_to_first_token_ms >= 120, `TTFT ${row.time_to_first_token_ms} ms skips the role-only chunk`);
        assert.ok(row.time_to_first_byte_ms < 100, `TTFB ${row.time_to_first_byte_ms} ms is the role chunk`);
      }
      if (scenario === 'split' || scenario === 'crlf') {
        assert.ok(row.time_to_last_token_ms - row.time_to_first_token_ms >= 5, 'tokens spread over time are not collapsed');
      }
    });
  }

  it('an unparseable event is relayed untouched; the record is kept and marked degraded', async () => {
    const model = uniqueModel('edge-badjson');
    const r = await streamReq(model, 'badJson');
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(sent.get(model)), 'byte-identical relay');
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 1, 'the request itself worked');
    assert.equal(row.degraded, 1);
    assert.equal(row.completion_tokens, 3, 'later usage still read');
  });

  it('backend-native counts (Ollama prompt_eval_count/eval_count) fill in missing usage', async () => {
    const model = uniqueModel('edge-ollama');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), { headers: { 'X-Scenario': 'ollamaCounts' } });
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(sent.get(model)));
    const row = await proxy.recordFor(model);
    assert.equal(row.prompt_tokens, 21);
    assert.equal(row.completion_tokens, 9);
    assert.equal(row.total_tokens, 30);
  });

  it('a reply that is not HTTP → 502 and an invalid_response record', async () => {
    const model = uniqueModel('edge-garbage');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), { headers: { 'X-Scenario': 'garbage' } });
    assert.equal(r.status, 502, r.text);
    const j = JSON.parse(r.text);
    assert.ok(j.error?.message);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 0);
    assert.equal(row.error_type, 'invalid_response');
  });
});
