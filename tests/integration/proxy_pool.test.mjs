// The upstream pool against a backend that closes idle keep-alive connections (as uvicorn does
// after 5 s in front of vLLM): the proxy must let go of the dead sockets on its own, not keep
// them until a request stumbles on them, and the next request must still succeed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startProxy, postJson, chatBody, uniqueModel, waitFor } from './lib/harness.mjs';

// A keep-alive HTTP/1.1 backend on raw sockets, so that nothing but the peer decides when a
// connection ends: each request gets a small chat completion; closeIdle() half-closes every
// connection (FIN), and a connection only counts as gone once the proxy has closed its side.
function rawBackend() {
  const open = new Set();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const body = JSON.parse(pending.subarray(end + 4, end + 4 + length).toString() || '{}');
        pending = pending.subarray(end + 4 + length);
        const answer = JSON.stringify({
          id: 'chatcmpl-pool',
          object: 'chat.completion',
          created: 1700000000,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
        });
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`,
        );
      }
    });
  });
  return {
    server,
    open,
    closeIdle() {
      for (const socket of open) socket.end();
    },
  };
}

describe('upstream pool', () => {
  let backend;
  let proxy;

  before(async () => {
    backend = rawBackend();
    backend.server.listen(0, '127.0.0.1');
    await once(backend.server, 'listening');
    proxy = await startProxy({ backendUrl: `http://127.0.0.1:${backend.server.address().port}` });
  });

  after(async () => {
    try {
      await proxy?.stop();
    } finally {
      for (const socket of backend?.open ?? []) socket.destroy();
      backend?.server.close();
    }
  });

  it('closes pooled connections the backend has closed without waiting for a request', async () => {
    // Several at once, so that the pool holds several idle connections afterwards.
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => postJson(`${proxy.url}/v1/chat/completions`, chatBody(uniqueModel('pool')))),
    );
    for (const r of answers) assert.equal(r.status, 200, r.text);
    const pooled = backend.open.size;
    assert.ok(pooled >= 1, 'the proxy keeps its backend connections open between requests');

    backend.closeIdle();
    // Each loop sweeps its idle connections every 5 s.
    await waitFor(() => backend.open.size === 0, {
      timeoutMs: 15000,
      intervalMs: 50,
      what: `the proxy to close ${pooled} pooled connection(s) the backend closed`,
    });

    const model = uniqueModel('after-sweep');
    const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
    assert.equal(r.status, 200, r.text);
    const row = await proxy.recordFor(model);
    assert.equal(row.success, 1);
  });
});
