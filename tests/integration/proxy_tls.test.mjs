// An https:// backend: the proxy verifies its certificate against the system store plus
// --ca-file, sends SNI, and refuses (502, recorded) a backend it cannot verify.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProxy, postJson, chatBody, uniqueModel } from './lib/harness.mjs';

const run = promisify(execFile);

// A throwaway self-signed certificate for localhost and 127.0.0.1.
async function makeCertificate(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]);
  return { key, cert };
}

// A minimal OpenAI-style backend over TLS that reports which SNI name it was asked for.
async function startTlsBackend({ key, cert }) {
  const server = https.createServer(
    { key: await fsp.readFile(key), cert: await fsp.readFile(cert) },
    (req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const request = JSON.parse(body || '{}');
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('X-Tls-Servername', req.socket.servername ?? '');
        res.end(
          JSON.stringify({
            id: 'chatcmpl-tls',
            object: 'chat.completion',
            model: request.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'secure' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 },
          }),
        );
      });
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('https backend', () => {
  let dir;
  let certs;
  let backend;
  let port;

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lmp-it-tls-'));
    certs = await makeCertificate(dir);
    backend = await startTlsBackend(certs);
    port = backend.address().port;
  });

  after(async () => {
    backend?.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('with --ca-file the request goes over TLS, with SNI, and is recorded', async () => {
    const proxy = await startProxy({ backendUrl: `https://localhost:${port}`, args: ['--ca-file', certs.cert] });
    try {
      const model = uniqueModel('tls-ok');
      const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
      assert.equal(r.status, 200, r.text);
      assert.equal(JSON.parse(r.text).choices[0].message.content, 'secure');
      assert.equal(r.headers['x-tls-servername'], 'localhost');
      const row = await proxy.recordFor(model);
      assert.equal(row.success, 1);
      assert.equal(row.total_tokens, 5);
      assert.equal(row.backend, `https://localhost:${port}`);
    } finally {
      const stopped = await proxy.stop();
      assert.equal(stopped.code, 0);
    }
  });

  it('an unverifiable certificate gives 502 and a backend_unreachable record', async () => {
    const proxy = await startProxy({ backendUrl: `https://localhost:${port}` });
    try {
      const model = uniqueModel('tls-untrusted');
      const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
      assert.equal(r.status, 502, r.text);
      const error = JSON.parse(r.text).error;
      assert.equal(error.code, 'backend_unreachable');
      assert.match(error.message, /certificate/i);
      const row = await proxy.recordFor(model);
      assert.equal(row.success, 0);
      assert.equal(row.error_type, 'backend_unreachable');
    } finally {
      await proxy.stop();
    }
  });

  it('a backend that never answers the TLS handshake gives 504 within --connect-timeout-ms', async () => {
    // Accepts the TCP connection, then says nothing: the proxy's connect deadline covers the
    // handshake too.
    const silent = net.createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const proxy = await startProxy({
      backendUrl: `https://localhost:${silent.address().port}`,
      args: ['--connect-timeout-ms', '300'],
    });
    try {
      const model = uniqueModel('tls-silent');
      const started = Date.now();
      const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model), { timeoutMs: 10000 });
      const waited = Date.now() - started;
      assert.equal(r.status, 504, r.text);
      assert.equal(JSON.parse(r.text).error.code, 'backend_timeout');
      assert.ok(waited >= 250 && waited < 5000, `answered after ${waited} ms`);
      const row = await proxy.recordFor(model);
      assert.equal(row.error_type, 'backend_timeout');
    } finally {
      await proxy.stop();
      silent.close();
    }
  });

  it('--ca-file naming a missing file stops start-up with a clear message', async () => {
    await assert.rejects(
      startProxy({ backendUrl: `https://localhost:${port}`, args: ['--ca-file', path.join(dir, 'missing.pem')] }),
      /CA file/,
    );
  });
});
