// Integration harness: runs the real llm-metrics-proxy binary and its mock backend on ephemeral
// ports, reads the SQLite store with the sqlite3 CLI, and speaks raw HTTP where a library would
// hide what the proxy did. Everything waits on conditions with deadlines, never on fixed sleeps.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const STARTUP_TIMEOUT_MS = Number(process.env.LMP_STARTUP_TIMEOUT_MS ?? 10000);
const STOP_TIMEOUT_MS = 10000;
const VERBOSE = !!process.env.LMP_TEST_VERBOSE;
const KEEP_TMP = !!process.env.LMP_KEEP_TMP;

// ---------------------------------------------------------------------------------------------
// Finding the binary

// LMP_BINARY wins; otherwise the most recently built build/<preset>/src/llm-metrics-proxy.
export function findBinary() {
  if (process.env.LMP_BINARY) {
    const p = path.resolve(process.env.LMP_BINARY);
    if (!fs.existsSync(p)) throw new Error(`LMP_BINARY=${p} does not exist`);
    return p;
  }
  const buildDir = path.join(REPO_ROOT, 'build');
  let best = null;
  let entries = [];
  try {
    entries = fs.readdirSync(buildDir);
  } catch {
    /* no build directory */
  }
  for (const preset of entries) {
    const p = path.join(buildDir, preset, 'src', 'llm-metrics-proxy');
    try {
      const st = fs.statSync(p);
      if (st.isFile() && (!best || st.mtimeMs > best.mtimeMs)) best = { p, mtimeMs: st.mtimeMs };
    } catch {
      /* not built for this preset */
    }
  }
  if (!best) {
    throw new Error(
      `llm-metrics-proxy binary not found under ${buildDir}/*/src/; build it ` +
        '(cmake --preset debug && cmake --build build/debug) or set LMP_BINARY',
    );
  }
  return best.p;
}

// ---------------------------------------------------------------------------------------------
// Waiting

export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls cond() (sync or async) every intervalMs until it returns a truthy value, which is
// returned. Exceptions thrown by cond count as "not yet" (the last one is reported on timeout).
export async function waitFor(cond, { timeoutMs = 5000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const err = new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError ? ` (last error: ${lastError.message})` : ''),
      );
      throw err;
    }
    await delay(intervalMs);
  }
}

// Rejects if the promise does not settle within ms.
export function withTimeout(promise, ms, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Processes

const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

class Managed {
  constructor(name, child, logPath) {
    this.name = name;
    this.child = child;
    this.logPath = logPath;
    this.output = '';
    this.stdoutLines = [];
    this.exit = null; // {code, signal} once exited
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        liveChildren.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.log = logPath ? fs.createWriteStream(logPath) : null;
    let partial = '';
    child.stdout.on('data', (d) => {
      const s = d.toString();
      this.output += s;
      this.log?.write(s);
      if (VERBOSE) process.stderr.write(`[${name}] ${s}`);
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop();
      this.stdoutLines.push(...lines);
    });
    child.stderr.on('data', (d) => {
      const s = d.toString();
      this.output += s;
      this.log?.write(s);
      if (VERBOSE) process.stderr.write(`[${name}!] ${s}`);
    });
  }

  tail(n = 40) {
    return this.output.split('\n').slice(-n).join('\n');
  }

  // Resolves with the regex match of the first stdout line that matches, or fails at the
  // deadline or when the process exits first.
  async waitForLine(re, timeoutMs = STARTUP_TIMEOUT_MS) {
    try {
      const found = await waitFor(
        () => {
          for (const line of this.stdoutLines) {
            const m = line.match(re);
            if (m) return { m };
          }
          // Exceptions in a waitFor condition mean "not yet": report the exit as a value.
          if (this.exit) return { exited: this.exit };
          return null;
        },
        { timeoutMs, intervalMs: 10, what: `${this.name} line ${re}` },
      );
      if (found.exited) throw new Error(`${this.name} exited before printing ${re} (${JSON.stringify(found.exited)})`);
      return found.m;
    } catch (e) {
      throw new Error(`${e.message}\n--- ${this.name} output ---\n${this.tail()}`);
    }
  }

  signal(sig) {
    this.signalled = true;
    if (!this.exit) this.child.kill(sig);
  }

  // An exit nobody asked for (a crash), described with the output tail; null otherwise.
  crashReport() {
    if (!this.exit || this.signalled) return null;
    return `${this.name} exited on its own (${JSON.stringify(this.exit)})\n--- ${this.name} output ---\n${this.tail()}`;
  }

  // SIGTERM (or the given signal), wait for exit with a deadline, SIGKILL on timeout.
  // Returns {code, signal, killed}.
  async stop({ signal = 'SIGTERM', timeoutMs = STOP_TIMEOUT_MS } = {}) {
    const crash = this.crashReport();
    if (crash) throw new Error(crash);
    if (this.exit) return { ...this.exit, killed: false };
    this.signalled = true;
    this.child.kill(signal);
    let killed = false;
    try {
      await withTimeout(this.exited, timeoutMs, `${this.name} exit after ${signal}`);
    } catch {
      killed = true;
      this.child.kill('SIGKILL');
      await this.exited;
    }
    this.log?.end();
    return { ...this.exit, killed };
  }
}

function spawnManaged(name, args, { env = {}, logPath } = {}) {
  const bin = findBinary();
  const child = spawn(bin, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  child.on('error', () => {});
  return new Managed(name, child, logPath);
}

async function makeTmpDir(prefix) {
  return fsp.mkdtemp(path.join(os.tmpdir(), `lmp-it-${prefix}-`));
}

// Runs the start-up wait; if it fails (the process refused its settings, or never said it was
// listening) the process is stopped and its temporary directory removed before rethrowing.
async function startedOrCleanedUp(proc, dir, wait) {
  try {
    return await wait();
  } catch (e) {
    proc.signalled = true;
    await proc.stop({ timeoutMs: 3000 }).catch(() => {});
    if (!KEEP_TMP) await fsp.rm(dir, { recursive: true, force: true });
    throw e;
  }
}

// Starts the mock backend on an ephemeral port.
// opts: {ttftMs, tokensPerSecond, completionTokens, fast, args: [...extra]}
export async function startMock(opts = {}) {
  const args = ['mock-backend', '--listen-address', '127.0.0.1', '--port', '0'];
  if (opts.ttftMs !== undefined) args.push('--ttft-ms', String(opts.ttftMs));
  if (opts.tokensPerSecond !== undefined) args.push('--tokens-per-second', String(opts.tokensPerSecond));
  if (opts.completionTokens !== undefined) args.push('--completion-tokens', String(opts.completionTokens));
  if (opts.fast) args.push('--fast');
  if (opts.args) args.push(...opts.args);
  const dir = await makeTmpDir('mock');
  const proc = spawnManaged('mock', args, { logPath: path.join(dir, 'mock.log') });
  const m = await startedOrCleanedUp(proc, dir, () => proc.waitForLine(/mock backend listening on ([\d.]+):(\d+)/));
  const port = Number(m[2]);
  return {
    proc,
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      try {
        return await proc.stop();
      } finally {
        if (!KEEP_TMP) await fsp.rm(dir, { recursive: true, force: true });
      }
    },
  };
}

// Starts the proxy in front of backendUrl with its own temporary database directory.
// opts: {backendUrl, args: [...extra flags], env: {...}, dbPath, noBackendFlag}
export async function startProxy(opts = {}) {
  const dir = await makeTmpDir('proxy');
  const dbPath = opts.dbPath ?? path.join(dir, 'metrics.db');
  const args = [];
  if (!opts.noBackendFlag) args.push('--backend-url', opts.backendUrl);
  args.push('--listen-address', '127.0.0.1', '--proxy-port', '0', '--metrics-port', '0', '--db-path', dbPath);
  // The dashboard listener defaults to port 3000: take a free port so tests never collide.
  if (!(opts.args ?? []).includes('--dashboard-port')) args.push('--dashboard-port', '0');
  if (opts.args) args.push(...opts.args);
  const proc = spawnManaged('proxy', args, { env: opts.env ?? {}, logPath: path.join(dir, 'proxy.log') });
  const [p, mm] = await startedOrCleanedUp(proc, dir, async () => [
    await proc.waitForLine(/proxy listening on (https?:\/\/[^\s]+?):(\d+)\b/),
    await proc.waitForLine(/metrics API listening on (https?:\/\/[^\s]+?):(\d+)\b/),
  ]);
  const proxyPort = Number(p[2]);
  const metricsPort = Number(mm[2]);
  const proxy = {
    proc,
    dir,
    dbPath,
    proxyPort,
    metricsPort,
    url: `http://127.0.0.1:${proxyPort}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    rows: (sql) => dbRows(dbPath, sql),
    async stop(stopOpts) {
      try {
        return await proc.stop(stopOpts);
      } finally {
        if (!KEEP_TMP) await fsp.rm(dir, { recursive: true, force: true });
      }
    },
    // Waits until the query returns at least `count` rows; returns them.
    async waitForRows(sql, count = 1, timeoutMs = 5000) {
      let last = [];
      try {
        return await waitFor(
          async () => {
            last = await dbRows(dbPath, sql);
            return last.length >= count ? last : null;
          },
          { timeoutMs, what: `${count} row(s) for: ${sql}` },
        );
      } catch (e) {
        throw new Error(`${e.message}; got ${last.length}\n--- proxy output ---\n${proc.tail(20)}`);
      }
    },
    // Proves that fn() caused no record: a recorded sentinel request before it (so that earlier
    // records are in) and one after it (records are written in order by one writer) are the
    // only new rows.
    async assertNotRecorded(fn) {
      const sentinel = async () => {
        const model = uniqueModel('sentinel');
        const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
        assert.equal(r.status, 200, `sentinel request: ${r.text.slice(0, 200)}`);
        await proxy.recordFor(model);
      };
      await sentinel();
      const before = await countRows(dbPath);
      await fn();
      await sentinel();
      assert.equal(await countRows(dbPath), before + 1, 'only the sentinel request after it was recorded');
    },
    // One recorded row selected by model (tests give each request a unique model name).
    async recordFor(model, timeoutMs = 5000) {
      const rows = await proxy.waitForRows(
        `select * from completion_requests where model = ${sqlString(model)} order by id`,
        1,
        timeoutMs,
      );
      return rows[rows.length - 1];
    },
  };
  return proxy;
}

// A mock + proxy pair for one test file.
export async function startStack({ mock = {}, proxy = {} } = {}) {
  const m = await startMock(mock);
  let p;
  try {
    p = await startProxy({ backendUrl: m.url, ...proxy });
  } catch (e) {
    await m.stop();
    throw e;
  }
  return {
    mock: m,
    proxy: p,
    async stop() {
      try {
        return await p.stop();
      } finally {
        await m.stop();
      }
    },
  };
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, read, and released).
export async function closedPort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// ---------------------------------------------------------------------------------------------
// Database (read-only, through the sqlite3 CLI)

export function sqlString(s) {
  return `'${String(s).replaceAll("'", "''")}'`;
}

// Runs a query read-only; resolves with an array of row objects ([] if the table does not
// exist yet or the database has not been created).
export function dbRows(dbPath, sql) {
  return new Promise((resolve, reject) => {
    if (!fs.existsSync(dbPath)) return resolve([]);
    execFile(
      'sqlite3',
      ['-readonly', '-json', '-cmd', '.timeout 2000', dbPath, sql],
      { timeout: 10000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          if (/no such table/.test(stderr)) return resolve([]);
          return reject(new Error(`sqlite3 failed: ${stderr || err.message} (query: ${sql})`));
        }
        const text = stdout.trim();
        if (!text) return resolve([]);
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`sqlite3 output is not JSON: ${e.message}: ${text.slice(0, 200)}`));
        }
      },
    );
  });
}

export async function countRows(dbPath, where = '1=1') {
  const rows = await dbRows(dbPath, `select count(*) as n from completion_requests where ${where}`);
  return rows.length ? rows[0].n : 0;
}

// ---------------------------------------------------------------------------------------------
// HTTP through node:http (no keep-alive unless an agent is given; nothing decompressed)

// Sends one request. opts: {method, headers, body (string|Buffer), bodyChunks ([...] sent as a
// chunked body, in separate writes), expectContinue (body written only on 100 Continue),
// agent, timeoutMs, onChunk(chunk, tMs, res), onResponse(res, req)}.
// Resolves with {status, headers, rawHeaders, body: Buffer, text, chunks: [{t, data}], t0,
// tHeaders, tEnd, complete, aborted, gotContinue, reusedSocket}. t values are ms since send.
export function request(url, opts = {}) {
  const u = new URL(url);
  const method = opts.method ?? (opts.body !== undefined || opts.bodyChunks ? 'POST' : 'GET');
  const headers = { ...(opts.headers ?? {}) };
  let body = opts.body;
  if (body !== undefined && !Buffer.isBuffer(body)) body = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  if (body !== undefined && !opts.bodyChunks && !hasHeader(headers, 'content-length') && !hasHeader(headers, 'transfer-encoding')) {
    headers['Content-Length'] = String(body.length);
  }
  const timeoutMs = opts.timeoutMs ?? 15000;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const result = {
      status: 0,
      headers: {},
      rawHeaders: [],
      chunks: [],
      body: Buffer.alloc(0),
      text: '',
      t0,
      tHeaders: null,
      tEnd: null,
      complete: false,
      aborted: false,
      gotContinue: false,
      reusedSocket: false,
      error: null,
    };
    let settled = false;
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.tEnd = performance.now() - t0;
      result.body = Buffer.concat(result.chunks.map((c) => c.data));
      result.text = result.body.toString('utf8');
      if (opts.expectContinue && !result.gotContinue) req.destroy();
      if (err && !result.status) reject(err);
      else {
        if (err) result.error = err;
        resolve(result);
      }
    };
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        headers,
        agent: opts.agent ?? false,
      },
      (res) => {
        result.status = res.statusCode;
        result.headers = res.headers;
        result.rawHeaders = res.rawHeaders;
        result.tHeaders = performance.now() - t0;
        result.reusedSocket = req.reusedSocket;
        opts.onResponse?.(res, req);
        res.on('data', (d) => {
          const t = performance.now() - t0;
          result.chunks.push({ t, data: d });
          opts.onChunk?.(d, t, res, req);
        });
        res.on('aborted', () => {
          result.aborted = true;
        });
        res.on('error', () => {
          result.aborted = true;
        });
        res.on('close', () => {
          result.complete = res.complete;
          finish(null);
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`request ${method} ${url} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => finish(e));
    req.on('continue', () => {
      result.gotContinue = true;
      if (opts.expectContinue) req.end(body);
    });
    if (opts.expectContinue) {
      req.flushHeaders();
      return;
    }
    if (opts.bodyChunks) {
      (async () => {
        for (const c of opts.bodyChunks) {
          req.write(c);
          // Let each piece leave as its own chunk.
          await new Promise((r) => setImmediate(r));
        }
        req.end();
      })();
    } else {
      req.end(body);
    }
  });
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

export async function getJson(url, opts = {}) {
  const r = await request(url, opts);
  let json;
  try {
    json = JSON.parse(r.text);
  } catch (e) {
    throw new Error(`GET ${url}: ${r.status} body is not JSON: ${r.text.slice(0, 300)}`);
  }
  return { ...r, json };
}

export function postJson(url, body, opts = {}) {
  return request(url, {
    ...opts,
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...(opts.headers ?? {}) },
  });
}

// Parses an SSE body into events: [{data: string, raw: string}], in order.
export function parseSse(text) {
  const events = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    events.push({ raw: block, data });
  }
  return events;
}

// The JSON payloads of an SSE body (without [DONE]) and whether [DONE] was seen last.
export function sseJson(text) {
  const events = parseSse(text);
  const done = events.length > 0 && events[events.length - 1].data === '[DONE]';
  const payloads = events.filter((e) => e.data && e.data !== '[DONE]').map((e) => JSON.parse(e.data));
  return { events, payloads, done };
}

// Does this chunk text hold a content-bearing chat/completions event?
export function hasContent(text) {
  return /"content"\s*:\s*"[^"]/.test(text) || /"text"\s*:\s*"[^"]/.test(text);
}

// ---------------------------------------------------------------------------------------------
// Raw TCP exchange: exact request bytes in, a parsed response out

// Writes `bytes` (string|Buffer|array of them, written in order) and reads one response.
// Resolves with {status, statusLine, headers (lowercased, arrays for repeats), rawHead,
// body (de-chunked Buffer), rawBody, closed, chunked, complete}. Write errors after the server
// answered (it may close early on an oversized request) are ignored.
export function rawExchange(port, bytes, { timeoutMs = 8000, host = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host });
    let buf = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => done(new Error(`raw exchange timed out; got: ${buf.toString('latin1').slice(0, 300)}`)), timeoutMs);
    const done = (err) => {
      if (settled) return;
      const parsed = parseResponse(buf);
      if (err && !(parsed && parsed.headEnd)) {
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        return reject(err);
      }
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...parsed, closed: true });
    };
    sock.on('connect', async () => {
      const parts = Array.isArray(bytes) ? bytes : [bytes];
      for (const p of parts) {
        if (sock.destroyed) break;
        sock.write(p);
        await new Promise((r) => setImmediate(r));
      }
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const parsed = parseResponse(buf);
      if (parsed && parsed.complete && parsed.status >= 200) {
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        resolve({ ...parsed, closed: false });
      }
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error('connection closed before a response')));
  });
}

// Parses one HTTP/1.1 response (skipping 1xx interim responses) from buf.
export function parseResponse(buf) {
  let offset = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) return { status: 0, headEnd: 0, complete: false, rawHead: buf.toString('latin1') };
    const rawHead = buf.subarray(offset, headEnd).toString('latin1');
    const lines = rawHead.split('\r\n');
    const statusLine = lines[0];
    const status = Number(statusLine.split(' ')[1]);
    const headers = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      if (k in headers) headers[k] = [].concat(headers[k], v);
      else headers[k] = v;
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      offset = bodyStart;
      continue;
    }
    const rawBody = buf.subarray(bodyStart);
    const te = String(headers['transfer-encoding'] ?? '').toLowerCase();
    const result = { status, statusLine, headers, rawHead, rawBody, headEnd: bodyStart, chunked: te.includes('chunked') };
    if (result.chunked) {
      const { body, complete } = dechunk(rawBody);
      return { ...result, body, complete };
    }
    if (headers['content-length'] !== undefined) {
      const n = Number([].concat(headers['content-length'])[0]);
      return { ...result, body: rawBody.subarray(0, n), complete: rawBody.length >= n };
    }
    if (status === 204 || status === 304) return { ...result, body: Buffer.alloc(0), complete: true };
    return { ...result, body: rawBody, complete: false }; // delimited by close
  }
}

export function dechunk(raw) {
  const parts = [];
  let i = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', i);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(raw.subarray(i, lineEnd).toString('latin1').split(';')[0], 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) {
      // Trailers end with an empty line.
      const end = raw.indexOf('\r\n\r\n', lineEnd);
      const complete = end >= 0 || raw.subarray(lineEnd, lineEnd + 4).toString() === '\r\n\r\n' || raw.length >= lineEnd + 4;
      return { body: Buffer.concat(parts), complete: complete && raw.subarray(lineEnd).includes('\r\n\r\n') };
    }
    const start = lineEnd + 2;
    if (raw.length < start + size + 2) {
      parts.push(raw.subarray(start, Math.min(raw.length, start + size)));
      return { body: Buffer.concat(parts), complete: false };
    }
    parts.push(raw.subarray(start, start + size));
    i = start + size + 2;
  }
}

// Builds request bytes. headers: array of [name, value] (order and case kept).
export function rawRequestBytes(method, target, headers, body = '') {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

// ---------------------------------------------------------------------------------------------
// Request bodies and record checks

export function chatBody(model, extra = {}) {
  return {
    model,
    messages: [
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: `Say something for ${model}.` },
    ],
    ...extra,
  };
}

// Lower-cased keys of an object (for header maps whose case the server chose).
export function lowerKeys(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj ?? {})) out[k.toLowerCase()] = v;
  return out;
}

export const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Close enough for values stored with rounding (abs or relative tolerance).
export function approx(actual, expected, { abs = 0.02, rel = 0.005 } = {}) {
  if (actual === null || actual === undefined) return false;
  const d = Math.abs(actual - expected);
  return d <= abs || d <= Math.abs(expected) * rel;
}

export function round2(x) {
  return Math.round(x * 100) / 100;
}

let counter = 0;
// A model name unique within this run, so each test can find its own record.
export function uniqueModel(tag) {
  counter += 1;
  return `it-${tag}-${process.pid}-${counter}`;
}

// Checks that hold for every record of a request that got a backend response: timing order,
// identity fields, no leaked key. `key` is the API key the client sent (if any).
export function assertRecordInvariants(assert, row, { key, requestBytes } = {}) {
  assert.match(row.timestamp, TIMESTAMP_RE, 'timestamp is ISO 8601 UTC with milliseconds');
  const ts = Date.parse(row.timestamp);
  assert.ok(Math.abs(Date.now() - ts) < 120000, `timestamp ${row.timestamp} is near now`);
  assert.equal(row.client_address, '127.0.0.1', 'client_address');
  assert.equal(row.degraded, 0, 'degraded');
  if (requestBytes !== undefined) assert.equal(row.request_bytes, requestBytes, 'request_bytes = body length');
  if (key) {
    assert.ok(row.api_key_fingerprint, 'api_key_fingerprint present');
    assert.ok(!String(row.api_key_fingerprint).includes(key), 'fingerprint does not contain the key');
    // Not even the secret tail of it.
    assert.ok(!String(row.api_key_fingerprint).includes(key.slice(-8)), 'fingerprint does not contain the key tail');
  }
  const t = (x) => (x === null || x === undefined ? null : Number(x));
  const ttfb = t(row.time_to_first_byte_ms);
  const ttft = t(row.time_to_first_token_ms);
  const ttlt = t(row.time_to_last_token_ms);
  const rt = t(row.response_time_ms);
  const eps = 1e-6;
  assert.ok(rt !== null && rt >= 0, `response_time_ms present (${rt})`);
  if (ttfb !== null) assert.ok(ttfb >= 0 && ttfb <= rt + eps, `TTFB ${ttfb} <= response time ${rt}`);
  if (ttft !== null) {
    assert.ok(ttft <= rt + eps, `TTFT ${ttft} <= response time ${rt}`);
    if (ttfb !== null) assert.ok(ttfb <= ttft + eps, `TTFB ${ttfb} <= TTFT ${ttft}`);
  }
  if (ttlt !== null) {
    assert.ok(ttlt <= rt + eps, `TTLT ${ttlt} <= response time ${rt}`);
    if (ttft !== null) assert.ok(ttft <= ttlt + eps, `TTFT ${ttft} <= TTLT ${ttlt}`);
  }
}

// The parts of an OpenAI response body that do not vary per request (ids and clocks do).
export function stableBody(json) {
  const copy = structuredClone(json);
  const strip = (o) => {
    if (o && typeof o === 'object') {
      delete o.id;
      delete o.created;
      delete o.system_fingerprint;
      for (const v of Object.values(o)) strip(v);
    }
  };
  strip(copy);
  return copy;
}

// Response headers whose values legitimately differ between two answers.
export const VOLATILE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'x-request-id', 'content-length', 'transfer-encoding']);
