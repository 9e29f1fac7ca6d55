// The proxy's reading of client request heads (src/net/http_head.cpp): malformed or ambiguous
// heads get a 400 and the connection ends, so that no bytes of them are read as another request;
// what RFC 9112 asks a server to tolerate is tolerated.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chatBody, uniqueModel, rawExchange, rawRequestBytes } from './lib/harness.mjs';

describe('request head syntax', () => {
  let stack;
  let proxy;

  before(async () => {
    stack = await startStack({ mock: { ttftMs: 5, tokensPerSecond: 1000 } });
    ({ proxy } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  // Sends `bytes` and expects a 400 OpenAI-style error, the connection closed, and no record.
  async function refused(bytes, what) {
    await proxy.assertNotRecorded(async () => {
      const r = await rawExchange(proxy.proxyPort, bytes);
      assert.equal(r.status, 400, `${what}: ${r.rawHead}`);
      assert.equal(JSON.parse(r.body.toString()).error.type, 'invalid_request_error', what);
      assert.match(String(r.headers.connection ?? ''), /close/i, `${what}: the connection ends`);
    });
  }

  it('Content-Length together with Transfer-Encoding → 400, and the smuggled request is not served', async () => {
    const smuggledModel = uniqueModel('smuggled');
    const smuggled = rawRequestBytes('POST', '/v1/chat/completions', [
      ['Host', 'localhost'],
      ['Content-Type', 'application/json'],
      ['Content-Length', String(JSON.stringify(chatBody(smuggledModel)).length)],
    ], JSON.stringify(chatBody(smuggledModel)));
    const outer = Buffer.concat([Buffer.from('0\r\n\r\n'), smuggled]);
    await refused(
      rawRequestBytes('POST', '/v1/chat/completions', [
        ['Host', 'localhost'],
        ['Content-Length', String(outer.length)],
        ['Transfer-Encoding', 'chunked'],
      ], outer),
      'CL + TE',
    );
  });

  it('two different Content-Lengths → 400', async () => {
    await refused(
      rawRequestBytes('POST', '/v1/chat/completions', [
        ['Host', 'localhost'],
        ['Content-Length', '2'],
        ['Content-Length', '3'],
      ], '{}x'),
      'two lengths',
    );
  });

  it('a Transfer-Encoding that does not end in chunked → 400', async () => {
    await refused(
      rawRequestBytes('POST', '/v1/chat/completions', [['Host', 'localhost'], ['Transfer-Encoding', 'chunked, gzip']], '0\r\n\r\n'),
      'chunked, gzip',
    );
  });

  it('a folded field line (obs-fold) → 400', async () => {
    await refused(Buffer.from('GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: one\r\n  two\r\n\r\n'), 'obs-fold');
  });

  it('a space before the colon of a field → 400', async () => {
    await refused(Buffer.from('GET /v1/models HTTP/1.1\r\nHost : localhost\r\n\r\n'), 'space before colon');
  });

  it('a malformed request line → 400', async () => {
    await refused(Buffer.from('GET /v1/models  HTTP/1.1\r\nHost: localhost\r\n\r\n'), 'two spaces');
    await refused(Buffer.from('GET /v1/models HTTP/2\r\nHost: localhost\r\n\r\n'), 'HTTP/2 in an HTTP/1 line');
  });

  it('a bare LF line end → 400', async () => {
    await refused(Buffer.from('GET /v1/models HTTP/1.1\nHost: localhost\r\n\r\n'), 'bare LF');
  });

  it('empty lines before a request are ignored (RFC 9112 2.2)', async () => {
    const model = uniqueModel('leading-crlf');
    const body = JSON.stringify(chatBody(model));
    const bytes = Buffer.concat([
      Buffer.from('\r\n\r\n'),
      rawRequestBytes('POST', '/v1/chat/completions', [
        ['Host', 'localhost'],
        ['Content-Type', 'application/json'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ], body),
    ]);
    const r = await rawExchange(proxy.proxyPort, bytes);
    assert.equal(r.status, 200, r.rawHead);
    const row = await proxy.recordFor(model);
    assert.equal(row.request_bytes, Buffer.byteLength(body));
  });

  it('a head split across many writes is read whole', async () => {
    const model = uniqueModel('split-head');
    const body = JSON.stringify(chatBody(model));
    const bytes = rawRequestBytes('POST', '/v1/chat/completions', [
      ['Host', 'localhost'],
      ['Content-Type', 'application/json'],
      ['Content-Length', String(Buffer.byteLength(body))],
    ], body);
    // One byte at a time around the end of the head, where a search must straddle reads.
    const headEnd = bytes.indexOf('\r\n\r\n') + 4;
    const parts = [bytes.subarray(0, headEnd - 5)];
    for (let i = headEnd - 5; i < headEnd + 3; ++i) parts.push(bytes.subarray(i, i + 1));
    parts.push(bytes.subarray(headEnd + 3));
    const r = await rawExchange(proxy.proxyPort, parts);
    assert.equal(r.status, 200, r.rawHead);
    await proxy.recordFor(model);
  });
});
