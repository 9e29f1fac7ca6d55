// POST /v1/chat/completions through the proxy: forwarded untouched, streamed event by event,
// and recorded field by field.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import {
  startStack,
  request,
  postJson,
  chatBody,
  uniqueModel,
  sseJson,
  hasContent,
  assertRecordInvariants,
  stableBody,
  lowerKeys,
  approx,
  VOLATILE_HEADERS,
  rawExchange,
  rawRequestBytes,
} from './lib/harness.mjs';

const KEY = 'sk-test-0123456789abcdefSECRET';

describe('chat completions through the proxy', () => {
  let stack;
  let proxy;
  let mock;

  before(async () => {
    stack = await startStack({ mock: { ttftMs: 10, tokensPerSecond: 500 } });
    ({ proxy, mock } = stack);
  });

  after(async () => {
    const r = await stack?.stop();
    if (r) assert.equal(r.code, 0, `proxy exit code after SIGTERM (${JSON.stringify(r)})`);
  });

  it('non-streaming: the client gets what the backend sent, and every field is recorded', async () => {
    const model = uniqueModel('chat-ns');
    const body = chatBody(model, { max_tokens: 100, temperature: 0.7, top_p: 0.9, user: 'alice' });
    const text = JSON.stringify(body);
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}`, Origin: 'http://app.example.test' };
    const tSend = Date.now();
    const viaProxy = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: text, headers });
    const tDone = Date.now();
    const direct = await request(`${mock.url}/v1/chat/completions`, { method: 'POST', body: text, headers });

    assert.equal(viaProxy.status, 200, viaProxy.text);
    assert.equal(viaProxy.status, direct.status);
    // Headers: same set and values, except per-answer ones.
    const h = (r) =>
      Object.fromEntries(Object.entries(r.headers).filter(([k]) => !VOLATILE_HEADERS.has(k)));
    assert.deepEqual(h(viaProxy), h(direct), 'response headers through the proxy equal the direct ones');
    if (viaProxy.headers['content-length'] !== undefined) {
      assert.equal(Number(viaProxy.headers['content-length']), viaProxy.body.length);
      assert.equal(viaProxy.headers['transfer-encoding'], undefined, 'not both Content-Length and Transfer-Encoding');
    }
    assert.equal(viaProxy.body.length, direct.body.length, 'same body length');
    const pj = JSON.parse(viaProxy.text);
    const dj = JSON.parse(direct.text);
    assert.deepEqual(stableBody(pj), stableBody(dj), 'same body apart from id/created');
    assert.equal(pj.model, model);

    const row = await proxy.recordFor(model);
    assertRecordInvariants(assert, row, { key: KEY, requestBytes: Buffer.byteLength(text) });
    assert.equal(row.endpoint, 'chat/completions');
    assert.equal(row.is_streaming, 0);
    assert.equal(row.success, 1);
    assert.equal(row.status_code, 200);
    assert.equal(row.message_count, 2);
    assert.equal(row.max_tokens, 100);
    assert.equal(row.temperature, 0.7);
    assert.equal(row.top_p, 0.9);
    assert.equal(row.user, 'alice');
    assert.equal(row.origin, 'http://app.example.test');
    assert.equal(row.prompt_tokens, pj.usage.prompt_tokens);
    assert.equal(row.completion_tokens, pj.usage.completion_tokens);
    assert.equal(row.total_tokens, pj.usage.total_tokens);
    assert.equal(row.finish_reason, pj.choices[0].finish_reason);
    assert.equal(row.error_type, null);
    assert.equal(row.error_message, null);
    assert.equal(row.response_bytes, viaProxy.body.length, 'response_bytes = bytes relayed');
    assert.ok(row.app_version, 'app_version set');
    assert.ok(String(row.backend).includes(String(mock.port)), `backend names the mock (${row.backend})`);
    // The timestamp is t0 (request fully received) and the response time fits in what the client saw.
    const ts = Date.parse(row.timestamp);
    assert.ok(ts >= tSend - 5 && ts <= tDone + 5, `timestamp ${row.timestamp} within the request (${new Date(tSend).toISOString()}..${new Date(tDone).toISOString()})`);
    assert.ok(row.response_time_ms <= viaProxy.tEnd + 1, `response_time ${row.response_time_ms} <= client-observed ${viaProxy.tEnd}`);
    // Non-streaming: TTFT is the response time; tokens/s = completion tokens / response time.
    assert.ok(approx(row.time_to_first_token_ms, row.response_time_ms, { abs: 0.01 }), 'non-streamed TTFT = response time');
    assert.ok(
      approx(row.tokens_per_second, row.completion_tokens / (row.response_time_ms / 1000)),
      `tokens_per_second ${row.tokens_per_second} = ${row.completion_tokens} / ${row.response_time_ms} ms`,
    );
  });

  it('max_tokens smaller than the configured length gives finish_reason "length"', async () => {
    const model = uniqueModel('chat-len');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { max_tokens: 3 }));
    assert.equal(r.status, 200);
    const j = JSON.parse(r.text);
    assert.equal(j.usage.completion_tokens, 3);
    const row = await proxy.recordFor(model);
    assert.equal(row.completion_tokens, 3);
    assert.equal(row.finish_reason, j.choices[0].finish_reason);
    assert.equal(row.finish_reason, 'length');
    assert.equal(row.max_tokens, 3);
  });

  it('streaming with include_usage: every event and [DONE] reach the client; usage, TTFT and tokens/s recorded', async () => {
    const model = uniqueModel('chat-s');
    const body = chatBody(model, { stream: true, stream_options: { include_usage: true }, temperature: 0.2, user: 'bob' });
    const text = JSON.stringify(body);
    const headers = {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${KEY}`,
      'X-Mock-Completion-Tokens': '8',
      'X-Mock-Token-Interval-Ms': '10',
    };
    const viaProxy = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: text, headers });
    const direct = await request(`${mock.url}/v1/chat/completions`, { method: 'POST', body: text, headers });
    assert.equal(viaProxy.status, 200);
    assert.match(viaProxy.headers['content-type'], /text\/event-stream/);
    assert.ok(viaProxy.complete, 'stream ended properly');
    const p = sseJson(viaProxy.text);
    const d = sseJson(direct.text);
    assert.ok(p.done, 'data: [DONE] reached the client last');
    assert.equal(p.events.length, d.events.length, 'same number of events as direct');
    assert.deepEqual(p.payloads.map(stableBody), d.payloads.map(stableBody), 'same events apart from id/created');
    assert.equal(viaProxy.body.length, direct.body.length, 'same body length');
    // Role-only chunk, 8 content chunks, finish chunk, usage chunk.
    const usageChunk = p.payloads.find((x) => x.usage);
    assert.ok(usageChunk, 'usage chunk present');
    assert.equal(usageChunk.usage.completion_tokens, 8);
    const finish = p.payloads.find((x) => x.choices?.[0]?.finish_reason)?.choices[0].finish_reason;

    const row = await proxy.recordFor(model);
    assertRecordInvariants(assert, row, { key: KEY, requestBytes: Buffer.byteLength(text) });
    assert.equal(row.endpoint, 'chat/completions');
    assert.equal(row.is_streaming, 1);
    assert.equal(row.success, 1);
    assert.equal(row.status_code, 200);
    assert.equal(row.message_count, 2);
    assert.equal(row.temperature, 0.2);
    assert.equal(row.top_p, null);
    assert.equal(row.max_tokens, null);
    assert.equal(row.user, 'bob');
    assert.equal(row.origin, null, 'no Origin header → NULL');
    assert.equal(row.prompt_tokens, usageChunk.usage.prompt_tokens);
    assert.equal(row.completion_tokens, usageChunk.usage.completion_tokens);
    assert.equal(row.total_tokens, usageChunk.usage.total_tokens);
    assert.equal(row.finish_reason, finish);
    assert.equal(row.response_bytes, viaProxy.body.length);
    assert.ok(row.time_to_first_token_ms !== null && row.time_to_last_token_ms !== null);
    assert.ok(row.time_to_first_byte_ms !== null);
    // 8 tokens 10 ms apart: last − first ≈ 70 ms (allow scheduling slack).
    const span = row.time_to_last_token_ms - row.time_to_first_token_ms;
    assert.ok(span >= 50, `TTLT − TTFT = ${span} ms for 8 tokens at 10 ms`);
    assert.ok(
      approx(row.tokens_per_second, row.completion_tokens / (row.time_to_last_token_ms / 1000)),
      `tokens_per_second ${row.tokens_per_second} = ${row.completion_tokens} / (${row.time_to_last_token_ms} ms)`,
    );
    if (row.max_inter_token_gap_ms !== null) {
      assert.ok(row.max_inter_token_gap_ms >= 5 && row.max_inter_token_gap_ms <= span + 1e-6, `max gap ${row.max_inter_token_gap_ms}`);
    }
  });

  it('streaming without include_usage: no usage is invented', async () => {
    const model = uniqueModel('chat-s-nousage');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }));
    assert.equal(r.status, 200);
    const s = sseJson(r.text);
    assert.ok(s.done, '[DONE] received');
    assert.ok(!s.payloads.some((x) => x.usage), 'the mock sent no usage chunk');
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 1);
    assert.equal(row.is_streaming, 1);
    assert.equal(row.prompt_tokens, null);
    assert.equal(row.completion_tokens, null);
    assert.equal(row.total_tokens, null);
    assert.ok(row.time_to_first_token_ms !== null, 'TTFT still measured');
    assert.equal(row.finish_reason, s.payloads.find((x) => x.choices?.[0]?.finish_reason).choices[0].finish_reason);
  });

  it('streams event by event: the first content arrives well before the end', async () => {
    const model = uniqueModel('chat-timing');
    const body = chatBody(model, { stream: true, stream_options: { include_usage: true } });
    const r = await postJson(`${proxy.url}/v1/chat/completions`, body, {
      headers: { 'X-Mock-Token-Interval-Ms': '100', 'X-Mock-Completion-Tokens': '5', 'X-Mock-TTFT-Ms': '20' },
    });
    assert.equal(r.status, 200);
    assert.ok(sseJson(r.text).done);
    const firstContent = r.chunks.find((c) => hasContent(c.data.toString()));
    assert.ok(firstContent, 'a content chunk arrived');
    const lead = r.tEnd - firstContent.t;
    assert.ok(lead >= 300, `first content chunk arrived ${lead.toFixed(1)} ms before the end (want >= 300)`);
    // Several reads, not one buffered blob.
    assert.ok(r.chunks.length >= 5, `client saw ${r.chunks.length} reads`);

    const row = await proxy.recordFor(model);
    assert.ok(row.time_to_first_token_ms >= 15, `TTFT ${row.time_to_first_token_ms} counts the mock's 20 ms TTFT, not the role chunk`);
    const span = row.time_to_last_token_ms - row.time_to_first_token_ms;
    assert.ok(span >= 350 && span < 1500, `TTLT − TTFT = ${span} ms for 5 tokens 100 ms apart`);
    if (row.max_inter_token_gap_ms !== null) {
      assert.ok(row.max_inter_token_gap_ms >= 80 && row.max_inter_token_gap_ms < 1000, `max gap ${row.max_inter_token_gap_ms}`);
    }
    assert.ok(
      approx(row.tokens_per_second, 5 / (row.time_to_last_token_ms / 1000)),
      `tokens_per_second ${row.tokens_per_second} vs 5 / ${row.time_to_last_token_ms} ms`,
    );
  });

  it('TTFT waits for the first token, not the role-only chunk', async () => {
    const model = uniqueModel('chat-ttft');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }), {
      headers: { 'X-Mock-TTFT-Ms': '300', 'X-Mock-Completion-Tokens': '2', 'X-Mock-Token-Interval-Ms': '10' },
    });
    assert.equal(r.status, 200);
    const row = await proxy.recordFor(model);
    assert.ok(row.time_to_first_token_ms >= 250, `TTFT ${row.time_to_first_token_ms} ms with a 300 ms mock TTFT`);
  });

  it('a chunked client request body is forwarded and measured', async () => {
    const model = uniqueModel('chat-chunked-req');
    const text = JSON.stringify(chatBody(model, { max_tokens: 4 }));
    const cut = Math.floor(text.length / 3);
    const r = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      bodyChunks: [text.slice(0, cut), text.slice(cut, 2 * cut), text.slice(2 * cut)],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(JSON.parse(r.text).usage.completion_tokens, 4);
    const row = await proxy.recordFor(model);
    assert.equal(row.request_bytes, Buffer.byteLength(text));
    assert.equal(row.max_tokens, 4);
    assert.equal(row.success, 1);
  });

  it('Expect: 100-continue gets a 100 and the body is then forwarded', async () => {
    const model = uniqueModel('chat-expect');
    const text = JSON.stringify(chatBody(model));
    const r = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Expect: '100-continue', 'Content-Length': String(Buffer.byteLength(text)) },
      body: text,
      expectContinue: true,
      timeoutMs: 5000,
    });
    assert.ok(r.gotContinue, 'the client received 100 Continue');
    assert.equal(r.status, 200, r.text);
    JSON.parse(r.text);
    const row = await proxy.recordFor(model);
    assert.equal(row.request_bytes, Buffer.byteLength(text));
    assert.equal(row.success, 1);
  });

  it('hop-by-hop headers stay behind; Authorization and others reach the backend; X-Forwarded-For is added', async () => {
    const model = uniqueModel('chat-headers');
    const body = JSON.stringify(chatBody(model));
    const bytes = rawRequestBytes('POST', '/v1/chat/completions', [
      ['Host', `127.0.0.1:${proxy.proxyPort}`],
      ['Content-Type', 'application/json'],
      ['Content-Length', String(Buffer.byteLength(body))],
      ['Authorization', `Bearer ${KEY}`],
      ['Origin', 'http://hdr.example.test'],
      ['X-Custom-Thing', 'kept as is'],
      ['X-Forwarded-For', '10.1.2.3'],
      ['Connection', 'keep-alive, X-Hop-Secret'],
      ['X-Hop-Secret', 'must not pass'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Authorization', 'Basic c2VjcmV0OnNlY3JldA=='],
      ['TE', 'trailers'],
      ['X-Mock-Echo-Headers', '1'],
    ], body);
    const r = await rawExchange(proxy.proxyPort, bytes);
    assert.equal(r.status, 200, r.body?.toString());
    const echoed = r.headers['x-mock-received-headers'];
    assert.ok(echoed, 'the mock echoed the headers it received (X-Mock-Received-Headers passed through)');
    const got = lowerKeys(JSON.parse(echoed));
    assert.equal(got.authorization, `Bearer ${KEY}`, 'Authorization unchanged');
    assert.equal(got['x-custom-thing'], 'kept as is');
    assert.equal(got.origin, 'http://hdr.example.test');
    assert.equal(got['content-type'], 'application/json');
    assert.ok(got['x-forwarded-for'], 'X-Forwarded-For present');
    assert.match(got['x-forwarded-for'], /10\.1\.2\.3\s*,\s*127\.0\.0\.1/, `X-Forwarded-For appends the client (${got['x-forwarded-for']})`);
    for (const hop of ['x-hop-secret', 'keep-alive', 'proxy-authorization', 'te']) {
      assert.equal(got[hop], undefined, `hop-by-hop header ${hop} not forwarded`);
    }
    if (got.connection !== undefined) assert.doesNotMatch(got.connection, /x-hop-secret/i);
    // The response itself must not carry two framings.
    assert.ok(!(r.headers['content-length'] !== undefined && r.headers['transfer-encoding'] !== undefined), 'one framing');
    await proxy.recordFor(model);
  });

  it('keep-alive: several requests on one client connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const models = [uniqueModel('ka'), uniqueModel('ka'), uniqueModel('ka')];
      const results = [];
      for (const [i, model] of models.entries()) {
        const body = chatBody(model, i === 1 ? { stream: true } : {});
        results.push(await postJson(`${proxy.url}/v1/chat/completions`, body, { agent }));
      }
      for (const r of results) assert.equal(r.status, 200);
      assert.ok(results[1].reusedSocket && results[2].reusedSocket, 'the connection was reused');
      for (const model of models) await proxy.recordFor(model);
    } finally {
      agent.destroy();
    }
  });

  it('gzip backend reply reaches the client unchanged and usage is still recorded', async () => {
    const model = uniqueModel('chat-gzip');
    const text = JSON.stringify(chatBody(model));
    const headers = { 'Content-Type': 'application/json', 'Accept-Encoding': 'gzip', 'X-Mock-Gzip': '1' };
    const r = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: text, headers });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip', 'Content-Encoding: gzip kept');
    if (r.headers['content-length'] !== undefined) {
      assert.equal(Number(r.headers['content-length']), r.body.length, 'Content-Length is the compressed length');
      assert.equal(r.headers['transfer-encoding'], undefined);
    }
    const j = JSON.parse(zlib.gunzipSync(r.body).toString());
    assert.equal(j.model, model);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 1);
    assert.equal(row.prompt_tokens, j.usage.prompt_tokens);
    assert.equal(row.completion_tokens, j.usage.completion_tokens);
    assert.equal(row.total_tokens, j.usage.total_tokens);
    assert.equal(row.response_bytes, r.body.length, 'response_bytes counts the compressed bytes relayed');
    assert.equal(row.degraded, 0);
  });

  it('chunked backend reply is not sent with both Transfer-Encoding and Content-Length', async () => {
    const model = uniqueModel('chat-chunked-resp');
    const body = JSON.stringify(chatBody(model));
    const r = await rawExchange(
      proxy.proxyPort,
      rawRequestBytes('POST', '/v1/chat/completions', [
        ['Host', 'localhost'],
        ['Content-Type', 'application/json'],
        ['Content-Length', String(Buffer.byteLength(body))],
        ['X-Mock-Chunked', '1'],
      ], body),
    );
    assert.equal(r.status, 200);
    assert.ok(
      !(r.headers['transfer-encoding'] !== undefined && r.headers['content-length'] !== undefined),
      `one framing only: ${r.rawHead}`,
    );
    const j = JSON.parse(r.body.toString());
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 1);
    assert.equal(row.completion_tokens, j.usage.completion_tokens);
    assert.equal(row.prompt_tokens, j.usage.prompt_tokens);
  });

  it('large answers (streamed and not) arrive complete and byte-identical in length', async () => {
    for (const stream of [false, true]) {
      const model = uniqueModel(stream ? 'big-s' : 'big');
      const text = JSON.stringify(chatBody(model, stream ? { stream: true, stream_options: { include_usage: true } } : {}));
      const headers = { 'Content-Type': 'application/json', 'X-Mock-Completion-Tokens': '3000', 'X-Mock-Token-Interval-Ms': '0', 'X-Mock-TTFT-Ms': '0' };
      const viaProxy = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: text, headers });
      const direct = await request(`${mock.url}/v1/chat/completions`, { method: 'POST', body: text, headers });
      assert.equal(viaProxy.status, 200);
      assert.equal(viaProxy.body.length, direct.body.length, `same length (${viaProxy.body.length} vs ${direct.body.length})`);
      if (stream) {
        const s = sseJson(viaProxy.text);
        assert.ok(s.done);
        assert.equal(s.payloads.filter((p) => p.choices?.[0]?.delta?.content).length, 3000);
      }
      const row = await proxy.recordFor(model);
      assert.equal(row.completion_tokens, 3000);
      assert.equal(row.response_bytes, viaProxy.body.length);
    }
  });

  it('200 requests, 50 at a time: every one answered and recorded exactly once, successful, with its own usage', async () => {
    // A complete answer must never be recorded as a failure because the client closed its
    // connection right after reading the last byte (agent: false sends Connection: close).
    const jobs = [];
    const results = [];
    for (let batch = 0; batch < 4; batch += 1) {
      const batchJobs = Array.from({ length: 50 }, (_, i) => {
        const model = uniqueModel('conc');
        const stream = i % 2 === 0;
        const n = 1 + (i % 7);
        const body = chatBody(model, stream ? { stream: true, stream_options: { include_usage: true } } : {});
        return { model, stream, n, p: postJson(`${proxy.url}/v1/chat/completions`, body, { headers: { 'X-Mock-Completion-Tokens': String(n), 'X-Mock-Token-Interval-Ms': '5' } }) };
      });
      results.push(...(await Promise.all(batchJobs.map((j) => j.p))));
      jobs.push(...batchJobs);
    }
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 200);
      if (jobs[i].stream) assert.ok(sseJson(r.text).done);
      else assert.equal(JSON.parse(r.text).model, jobs[i].model, 'each client got its own answer');
    }
    const names = jobs.map((j) => `'${j.model}'`).join(',');
    const rows = await proxy.waitForRows(`select model, completion_tokens, is_streaming, success, error_type, error_message, status_code, finish_reason from completion_requests where model in (${names})`, jobs.length);
    assert.equal(rows.length, jobs.length);
    const byModel = new Map(rows.map((r) => [r.model, r]));
    assert.equal(byModel.size, jobs.length, 'no duplicates');
    const failed = rows.filter((r) => r.success !== 1);
    assert.deepEqual(failed, [], `${failed.length} of ${jobs.length} complete answers recorded as failures`);
    for (const j of jobs) {
      const r = byModel.get(j.model);
      assert.equal(r.completion_tokens, j.n, j.model);
      assert.equal(r.is_streaming, j.stream ? 1 : 0);
      assert.equal(r.success, 1, `${j.model} (stream ${j.stream}, ${j.n} tokens): ${JSON.stringify(r)}`);
    }
  });

  it('pipelined requests on one connection are answered in order', async () => {
    const a = uniqueModel('pipe-a');
    const b = uniqueModel('pipe-b');
    const req = (model) => {
      const body = JSON.stringify(chatBody(model));
      return rawRequestBytes('POST', '/v1/chat/completions', [
        ['Host', 'localhost'],
        ['Content-Type', 'application/json'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ], body);
    };
    const both = Buffer.concat([req(a), req(b)]);
    const net = await import('node:net');
    const text = await new Promise((resolve, reject) => {
      const sock = net.connect({ port: proxy.proxyPort, host: '127.0.0.1' });
      let buf = '';
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timeout; got ${buf.slice(0, 300)}`)); }, 5000);
      sock.on('connect', () => sock.write(both));
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        const models = [...buf.matchAll(/"model":"([^"]+)"/g)].map((m) => m[1]);
        if (models.includes(a) && models.includes(b) && /\}\s*$/.test(buf)) {
          clearTimeout(timer);
          sock.destroy();
          resolve(buf);
        }
      });
      sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '200']);
    assert.ok(text.indexOf(a) < text.indexOf(b), 'answers in request order');
    await proxy.recordFor(a);
    await proxy.recordFor(b);
  });

  it('X-Mock-No-Usage: a non-streamed reply without usage records NULL tokens', async () => {
    const model = uniqueModel('chat-nousage');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), { headers: { 'X-Mock-No-Usage': '1' } });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.text).usage, undefined);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 1);
    assert.equal(row.total_tokens, null);
    assert.equal(row.completion_tokens, null);
  });
});
