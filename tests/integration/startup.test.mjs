// Start-up: --help, bad settings (one clear line, exit 2), an unusable database (exit 1), a
// database written by the reference implementation (migrated in place, every row kept), and a
// database that is locked for a while (the proxy keeps serving; nothing is lost).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  findBinary,
  startMock,
  startProxy,
  postJson,
  chatBody,
  uniqueModel,
  getJson,
  waitFor,
  countRows,
} from './lib/harness.mjs';

const run = promisify(execFile);

// Runs the binary to completion; resolves {code, stdout, stderr} whatever the exit code.
async function runBinary(args, env = {}) {
  try {
    const { stdout, stderr } = await run(findBinary(), args, { env: { ...process.env, ...env }, timeout: 10000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function sqlite(db, sql) {
  return run('sqlite3', [db, sql]);
}

describe('start-up', () => {
  let dir;
  let mock;

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lmp-it-startup-'));
    mock = await startMock({ fast: true });
  });

  after(async () => {
    await mock?.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('--help lists every setting with its environment variable and default', async () => {
    const r = await runBinary(['--help']);
    assert.equal(r.code, 0);
    for (const name of ['--backend-url', '--proxy-port', '--metrics-port', '--db-path', '--log-level', '--listen-address']) {
      assert.match(r.stdout, new RegExp(name));
    }
    for (const env of ['BACKEND_URL', 'BACKEND_HOST', 'BACKEND_PORT', 'PROXY_PORT', 'METRICS_PORT', 'DB_PATH', 'LOG_LEVEL']) {
      assert.match(r.stdout, new RegExp(`env ${env}`));
    }
    assert.match(r.stdout, /default: 8001/);
  });

  const badSettings = [
    [['--proxy-port', '70000'], {}, /--proxy-port '70000'/],
    [[], { METRICS_PORT: 'abc' }, /METRICS_PORT 'abc'/],
    [['--log-level', 'LOUD'], {}, /--log-level 'LOUD'.*DEBUG, INFO, WARNING or ERROR/],
    [['--backend-url', 'ftp://x'], {}, /backend URL 'ftp:\/\/x'.*http or https/],
    [['--no-such-flag'], {}, /unknown option '--no-such-flag'/],
    [['--db-path'], {}, /--db-path needs a value/],
  ];
  for (const [args, env, message] of badSettings) {
    it(`a bad setting (${args.join(' ') || JSON.stringify(env)}) stops start-up with one clear line`, async () => {
      const r = await runBinary(args, env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }

  it('a database path that cannot be created is a clear start-up error (exit 1)', async () => {
    const r = await runBinary(['--db-path', '/dev/null/metrics.db', '--proxy-port', '0', '--metrics-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /database/i);
    assert.match(r.stderr, /\/dev\/null/);
  });

  it('a file that is not a database is a clear start-up error (exit 1)', async () => {
    const file = path.join(dir, 'not-a-db.db');
    await fsp.writeFile(file, 'this is not a database, just text that is long enough to look like a header'.repeat(20));
    const r = await runBinary(['--db-path', file, '--proxy-port', '0', '--metrics-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not-a-db\.db/);
  });

  it("a reference implementation's database is migrated in place with every row kept", async () => {
    const db = path.join(dir, 'reference', 'metrics.db');
    await fsp.mkdir(path.dirname(db), { recursive: true });
    await sqlite(
      db,
      `CREATE TABLE completion_requests (
         id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
         success BOOLEAN NOT NULL, status_code INTEGER, response_time_ms INTEGER, model TEXT,
         origin TEXT, is_streaming BOOLEAN, max_tokens INTEGER, temperature REAL, top_p REAL,
         message_count INTEGER, prompt_tokens INTEGER, completion_tokens INTEGER,
         total_tokens INTEGER, finish_reason TEXT, time_to_first_token_ms INTEGER,
         time_to_last_token_ms INTEGER, tokens_per_second REAL, error_type TEXT,
         error_message TEXT, app_version TEXT DEFAULT '1.0.0');
       CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL,
         applied_at DATETIME DEFAULT CURRENT_TIMESTAMP, description TEXT);
       INSERT INTO schema_version (version, description) VALUES (1, 'initial'), (2, 'origin'), (3, 'errors');
       INSERT INTO completion_requests (timestamp, success, status_code, response_time_ms, model,
         origin, is_streaming, prompt_tokens, completion_tokens, total_tokens, finish_reason,
         time_to_first_token_ms, time_to_last_token_ms, tokens_per_second)
       VALUES ('2025-08-01T12:00:00.123456', 1, 200, 1500, 'llama3', 'http://app', 1, 10, 20, 30,
               'stop', 200, 1400, 14.3),
              ('2025-08-01T12:05:00', 0, 500, 30, 'llama3', NULL, 0, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL);
       UPDATE completion_requests SET error_type = 'backend_error' WHERE success = 0;`,
    );
    const proxy = await startProxy({ backendUrl: mock.url, dbPath: db, env: { TZ: 'UTC' } });
    try {
      const rows = await getJson(`${proxy.metricsUrl}/completion_requests`);
      assert.equal(rows.status, 200);
      assert.equal(rows.json.length, 2);
      assert.equal(rows.json[0].timestamp, '2025-08-01T12:05:00.000Z');
      assert.equal(rows.json[1].timestamp, '2025-08-01T12:00:00.123Z');
      assert.equal(rows.json[1].tokens.total, 30);
      assert.equal(rows.json[1].timing.time_to_first_token_ms, 200);
      assert.equal(rows.json[0].error_type, 'backend_error');
      const metrics = await getJson(`${proxy.metricsUrl}/metrics`);
      assert.equal(metrics.json.requests.total.total, 2);
      assert.equal(metrics.json.requests.streamed.tokens.total, 30);

      const backups = await fsp.readdir(path.join(path.dirname(db), 'backups'));
      assert.equal(backups.length, 1);
      assert.match(backups[0], /^metrics\.db\.\d{8}_\d{6}_\d{3}\.backup$/);

      // New requests go into the same table.
      const model = uniqueModel('after-migration');
      const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
      assert.equal(r.status, 200);
      await proxy.recordFor(model);
      assert.equal(await countRows(db), 3);
    } finally {
      const stopped = await proxy.stop();
      assert.equal(stopped.code, 0);
    }
  });

  it('a database locked by another process: requests are still served and no record is lost', async () => {
    const proxy = await startProxy({ backendUrl: mock.url });
    // Another process holds the write lock for a while (like a long backup or a careless tool).
    const locker = spawn('sqlite3', [proxy.dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      locker.stdin.write('BEGIN EXCLUSIVE;\nSELECT \'locked\';\n');
      await waitFor(() => new Promise((r) => locker.stdout.once('data', (d) => r(String(d).includes('locked')))), {
        timeoutMs: 5000,
        what: 'the lock',
      });
      const model = uniqueModel('locked-db');
      const started = Date.now();
      for (let i = 0; i < 10; i++) {
        const r = await postJson(`${proxy.url}/v1/chat/completions`, chatBody(model));
        assert.equal(r.status, 200);
      }
      // Served while the lock was held: the proxy path never waits on the database.
      assert.ok(Date.now() - started < 2000, `10 requests took ${Date.now() - started} ms`);
      const health = await getJson(`${proxy.metricsUrl}/health`);
      assert.equal(health.json.recorder.written, 0);
      locker.stdin.end('COMMIT;\n');
      await proxy.waitForRows(`SELECT id FROM completion_requests WHERE model = '${model}'`, 10, 30000);
      const after = await getJson(`${proxy.metricsUrl}/health`);
      assert.equal(after.json.recorder.write_errors, 0);
      assert.equal(after.json.recorder.dropped, 0);
    } finally {
      locker.kill();
      await proxy.stop();
    }
  });
});
