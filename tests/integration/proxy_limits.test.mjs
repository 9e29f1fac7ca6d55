// Request size limits: bodies over --max-body-bytes get 413, headers over --max-header-bytes 431;
// the proxy keeps serving afterwards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack,
  request,
  postJson,
  chatBody,
  uniqueModel,
  rawExchange,
  rawRequestBytes,
} from './lib/harness.mjs';

const MAX_BODY = 4096;
const MAX_HEADER = 4096;

function paddedChat(model, totalBytes) {
  const base = chatBody(model);
  const text = JSON.stringify(base);
  const pad = totalBytes - text.length - JSON.stringify({ pad: '' }).length + 1;
  const body = JSON.stringify({ ...base, pad: 'x'.repeat(Math.max(0, pad)) });
  return body;
}

describe('request size limits', () => {
  let stack;
  let proxy;

  before(async () => {
    stack = await startStack({
      mock: { ttftMs: 5, tokensPerSecond: 1000 },
      proxy: { args: ['--max-body-bytes', String(MAX_BODY), '--max-header-bytes', String(MAX_HEADER)] },
    });
    ({ proxy } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it('a body under the limit is forwarded', async () => {
    const model = uniqueModel('small');
    const body = paddedChat(model, MAX_BODY - 200);
    assert.ok(body.length < MAX_BODY);
    const r = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200, r.text);
    const row = await proxy.recordFor(model);
    assert.equal(row.request_bytes, Buffer.byteLength(body));
  });

  it('a Content-Length body over --max-body-bytes → 413', async () => {
    const model = uniqueModel('big');
    const body = paddedChat(model, MAX_BODY * 3);
    const r = await rawExchange(
      proxy.proxyPort,
      rawRequestBytes('POST', '/v1/chat/completions', [
        ['Host', 'localhost'],
        ['Content-Type', 'application/json'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ], body),
    );
    assert.equal(r.status, 413, r.rawHead);
  });

  it('a chunked body over --max-body-bytes → 413', async () => {
    const model = uniqueModel('big-chunked');
    const body = paddedChat(model, MAX_BODY * 3);
    const third = Math.ceil(body.length / 3);
    const pieces = [body.slice(0, third), body.slice(third, 2 * third), body.slice(2 * third)];
    const head = rawRequestBytes('POST', '/v1/chat/completions', [
      ['Host', 'localhost'],
      ['Content-Type', 'application/json'],
      ['Transfer-Encoding', 'chunked'],
    ]);
    const chunks = pieces.map((p) => Buffer.from(`${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`));
    const r = await rawExchange(proxy.proxyPort, [head, ...chunks, Buffer.from('0\r\n\r\n')]);
    assert.equal(r.status, 413, r.rawHead);
  });

  it('Expect: 100-continue with an oversized Content-Length → 413 without 100 Continue', async () => {
    const model = uniqueModel('big-expect');
    const body = paddedChat(model, MAX_BODY * 3);
    const r = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Expect: '100-continue', 'Content-Length': String(Buffer.byteLength(body)) },
      body,
      expectContinue: true,
      timeoutMs: 5000,
    });
    assert.equal(r.status, 413);
    assert.equal(r.gotContinue, false, 'no 100 Continue for a body that will be refused');
  });

  it('headers over --max-header-bytes → 431', async () => {
    const model = uniqueModel('bighdr');
    const body = JSON.stringify(chatBody(model));
    const r = await rawExchange(
      proxy.proxyPort,
      rawRequestBytes('POST', '/v1/chat/completions', [
        ['Host', 'localhost'],
        ['Content-Type', 'application/json'],
        ['Content-Length', String(Buffer.byteLength(body))],
        ['X-Big', 'h'.repeat(MAX_HEADER * 2)],
      ], body),
    );
    assert.equal(r.status, 431, r.rawHead);
  });

  it('headers under the limit are fine', async () => {
    const model = uniqueModel('okhdr');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), {
      headers: { 'X-Medium': 'm'.repeat(MAX_HEADER / 2) },
    });
    assert.equal(r.status, 200, r.text);
    await proxy.recordFor(model);
  });

  it('keeps serving after refusing requests', async () => {
    const model = uniqueModel('after');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model, { stream: true }));
    assert.equal(r.status, 200);
    assert.match(r.text, /data: \[DONE\]/);
    await proxy.recordFor(model);
  });
});
