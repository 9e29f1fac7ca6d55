// `llm-metrics-proxy demo`: one process starts the mock backend, the proxy, the metrics API and
// the dashboard and sends traffic through the proxy; within seconds /metrics shows several models, streamed
// and non-streamed requests and some failures; SIGTERM stops it cleanly with every record kept.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findBinary, waitFor, withTimeout, getJson, request, countRows } from './lib/harness.mjs';

const KEEP_TMP = !!process.env.LMP_KEEP_TMP;

// Runs the binary with args, keeping its stdout lines and all of its output for reports.
function run(args) {
  const child = spawn(findBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, lines: [], output: '', exit: null };
  proc.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      proc.exit = { code, signal };
      resolve(proc.exit);
    });
  });
  let partial = '';
  child.stdout.on('data', (d) => {
    proc.output += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop();
    proc.lines.push(...lines);
  });
  child.stderr.on('data', (d) => {
    proc.output += d;
  });
  child.on('error', () => {});
  return proc;
}

// The first stdout line matching re, once the process printed it; fails if it exits first.
async function line(proc, re) {
  const found = await waitFor(
    () => {
      for (const l of proc.lines) {
        const m = l.match(re);
        if (m) return { m };
      }
      return proc.exit ? { exited: proc.exit } : null;
    },
    { timeoutMs: 10000, intervalMs: 10, what: `line ${re}` },
  );
  if (found.exited) throw new Error(`demo exited (${JSON.stringify(found.exited)}) before ${re}:\n${proc.output}`);
  return found.m;
}

describe('demo', () => {
  let dir;
  let proc;

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lmp-it-demo-'));
  });

  after(async () => {
    if (proc && !proc.exit) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    if (!KEEP_TMP) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('serves live, varied traffic through the proxy and stops cleanly on SIGTERM', async () => {
    const dbPath = path.join(dir, 'demo.db');
    proc = run([
      'demo',
      '--proxy-port', '0',
      '--metrics-port', '0',
      '--dashboard-port', '0',
      '--listen-address', '127.0.0.1',
      '--db-path', dbPath,
      '--rate', '20',
      '--duration', '0',
    ]);
    const proxyPort = Number((await line(proc, /^proxy listening on http:\/\/127\.0\.0\.1:(\d+) \(backend: http:\/\/127\.0\.0\.1:(\d+)\)/))[1]);
    const metricsPort = Number((await line(proc, /^metrics API listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    const dashboardPort = Number((await line(proc, /^dashboard listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    await line(proc, new RegExp(`^recording to ${dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    // The traffic goes to the proxy, not straight to the mock.
    await line(proc, new RegExp(`^demo: sending traffic to http://127\\.0\\.0\\.1:${proxyPort} at 20 requests/s`));

    let last;
    try {
      await waitFor(
        async () => {
          const { status, json } = await getJson(`http://127.0.0.1:${metricsPort}/metrics`);
          if (status !== 200) return false;
          last = json;
          const r = json.requests;
          return (
            r.total.total >= 20 &&
            Object.keys(json.model_distribution).length >= 2 &&
            r.streamed.total > 0 &&
            r.non_streamed.total > 0 &&
            r.total.failed > 0
          );
        },
        // At 20 requests/s with about 4% failures this takes a few seconds; the deadline leaves
        // room for a loaded machine.
        { timeoutMs: 25000, intervalMs: 250, what: '/metrics to show varied traffic' },
      );
    } catch (e) {
      throw new Error(`${e.message}\nlast /metrics: ${JSON.stringify(last)}\n--- demo output ---\n${proc.output.slice(-3000)}`);
    }
    // Several origins (and requests without one) reach the records through the proxy.
    assert.ok(Object.keys(last.origin_distribution).length >= 2, JSON.stringify(last.origin_distribution));
    const seen = last.requests.total.total;
    // The dashboard is served too (the built app, or the page saying how to build it).
    const page = await request(`http://127.0.0.1:${dashboardPort}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /text\/html/);

    proc.child.kill('SIGTERM');
    const exit = await withTimeout(proc.exited, 15000, 'demo exit after SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, proc.output.slice(-3000));
    assert.match(proc.output, /demo: sent \d+ request\(s\)/);
    // Every request the API counted is on disk after the shutdown, and more arrived meanwhile.
    const rows = await countRows(dbPath);
    assert.ok(rows >= seen, `${rows} rows on disk, /metrics had counted ${seen}`);
    const failed = await countRows(dbPath, 'success = 0');
    assert.ok(failed > 0, 'some failures were recorded');
  });
});
