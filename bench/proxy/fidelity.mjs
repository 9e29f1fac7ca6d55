// Issue 4, part 2: streaming fidelity. Node 20, no dependencies.
//
// Starts the mock backend and our proxy (recording to a temporary SQLite file), then sends
// STREAMS pairs of streamed chat completions, each pair at the same moment, one straight to
// the mock and one through the proxy. The mock answers with its first token after 300 ms and
// then one token every 20 ms, 50 tokens (X-Mock-* headers). For every SSE event the client
// notes its arrival time (events are parsed across chunk boundaries) and the read it came in.
// Reported: time to first token and every inter-token gap, direct and through the proxy, and
// the delay the proxy adds (proxy − direct, paired by stream pair and token index): p50, p99,
// max; and the shape of the reads (how many carried exactly one event) on both paths, which
// must match: the proxy must not merge events.
//
//   node bench/proxy/fidelity.mjs [binary] [streams]     (default build/release/..., 20)
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const binary = process.argv[2] ?? "build/release/src/llm-metrics-proxy";
const streams = Number(process.argv[3] ?? 20);
const batch = 5; // pairs in flight at once
const TTFT_MS = 300, INTERVAL_MS = 20, TOKENS = 50;

function start(args, pattern) {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (d) => {
      text += d;
      const m = text.match(pattern);
      if (m) resolve({ child, match: m, text });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${args[0]} exited ${code}: ${text}`)));
  });
}

function stream(port) {
  const body = JSON.stringify({
    model: "m1",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "hello there" }],
  });
  return new Promise((resolve, reject) => {
    const events = []; // {t, read, token}
    const reads = []; // events per read
    let buffer = "";
    let readIndex = 0;
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/v1/chat/completions",
        agent: false,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
          "X-Mock-TTFT-Ms": String(TTFT_MS),
          "X-Mock-Token-Interval-Ms": String(INTERVAL_MS),
          "X-Mock-Completion-Tokens": String(TOKENS),
        },
      },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          const t = performance.now();
          buffer += chunk;
          let n = 0;
          let end;
          // An event ends with a blank line; tolerate CRLF.
          while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const raw = buffer.slice(0, end);
            buffer = buffer.slice(end + (buffer[end] === "\r" ? 4 : 2));
            const data = raw
              .split(/\r?\n/)
              .filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trim())
              .join("\n");
            let token = false;
            if (data && data !== "[DONE]") {
              const content = JSON.parse(data).choices?.[0]?.delta?.content;
              token = typeof content === "string" && content.length > 0;
            }
            events.push({ t, read: readIndex, token });
            n++;
          }
          reads.push(n);
          readIndex++;
        });
        res.on("end", () => resolve({ t0, events, reads, status: res.statusCode }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    const t0 = performance.now();
    req.end(body);
  });
}

function summary(stream) {
  const tokens = stream.events.filter((e) => e.token);
  const ttft = tokens[0].t - stream.t0;
  const gaps = tokens.slice(1).map((e, i) => e.t - tokens[i].t);
  return { ttft, gaps, tokens: tokens.length, events: stream.events.length, reads: stream.reads };
}

const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (v) => `${v.toFixed(3)} ms`;

const dir = mkdtempSync(join(tmpdir(), "lmp-fidelity-"));
const mock = await start(["mock-backend", "--port", "0"], /listening on .*:(\d+)/);
const mockPort = Number(mock.match[1]);
const proxy = await start(
  [
    "--backend-url", `http://127.0.0.1:${mockPort}`, "--listen-address", "127.0.0.1",
    "--proxy-port", "0", "--metrics-port", "0", "--dashboard-port", "off",
    "--db-path", join(dir, "metrics.db"), "--threads", "2",
  ],
  /proxy listening on http:\/\/127\.0\.0\.1:(\d+)/,
);
const proxyPort = Number(proxy.match[1]);

const pairs = [];
try {
  for (let i = 0; i < streams; i += batch) {
    const n = Math.min(batch, streams - i);
    const results = await Promise.all(
      Array.from({ length: n }, () => Promise.all([stream(mockPort), stream(proxyPort)])),
    );
    for (const [d, p] of results) pairs.push({ direct: summary(d), proxy: summary(p) });
  }
} finally {
  proxy.child.kill("SIGTERM");
  mock.child.kill("SIGTERM");
}
setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500);

const all = (path, key) => pairs.flatMap((p) => p[path][key]);
const addedTtft = pairs.map((p) => p.proxy.ttft - p.direct.ttft);
const addedGaps = pairs.flatMap((p) => p.proxy.gaps.map((g, i) => g - p.direct.gaps[i]));
const oneEventReads = (path) => pairs.reduce((n, p) => n + p[path].reads.filter((r) => r === 1).length, 0);
const totalReads = (path) => pairs.reduce((n, p) => n + p[path].reads.filter((r) => r > 0).length, 0);
const events = (path) => pairs.reduce((n, p) => n + p[path].events, 0);
const tokens = (path) => pairs.reduce((n, p) => n + p[path].tokens, 0);
const readShapes = (path) => {
  const shapes = new Map();
  for (const p of pairs) {
    const key = p[path].reads.filter((r) => r > 0).join(",");
    shapes.set(key, (shapes.get(key) ?? 0) + 1);
  }
  return shapes;
};
const sameShape = pairs.every(
  (p) => p.direct.reads.filter((r) => r > 0).join(",") === p.proxy.reads.filter((r) => r > 0).join(","),
);

// "1,1,1,4" -> "1 (×3), 4"
const rle = (items) => {
  const out = [];
  for (let i = 0; i < items.length; ) {
    let j = i;
    while (j < items.length && items[j] === items[i]) j++;
    out.push(j - i > 1 ? `${items[i]} (×${j - i})` : items[i]);
    i = j;
  }
  return out.join(", ");
};

const lines = [];
lines.push(`Streaming fidelity: ${pairs.length} stream pairs (direct and through the proxy at the same moment, ${batch} pairs at a time);`);
lines.push(`mock: first token after ${TTFT_MS} ms, then one every ${INTERVAL_MS} ms, ${TOKENS} tokens.`);
lines.push("");
lines.push("| measure | direct p50 | direct p99 | proxy p50 | proxy p99 | added p50 | added p99 | added max |");
lines.push("|---|---:|---:|---:|---:|---:|---:|---:|");
lines.push(
  `| time to first token (${pairs.length}) | ${ms(pct(all("direct", "ttft"), 50))} | ${ms(pct(all("direct", "ttft"), 99))} | ` +
    `${ms(pct(all("proxy", "ttft"), 50))} | ${ms(pct(all("proxy", "ttft"), 99))} | ${ms(pct(addedTtft, 50))} | ` +
    `${ms(pct(addedTtft, 99))} | ${ms(Math.max(...addedTtft))} |`,
);
lines.push(
  `| inter-token gap (${addedGaps.length}) | ${ms(pct(all("direct", "gaps"), 50))} | ${ms(pct(all("direct", "gaps"), 99))} | ` +
    `${ms(pct(all("proxy", "gaps"), 50))} | ${ms(pct(all("proxy", "gaps"), 99))} | ${ms(pct(addedGaps, 50))} | ` +
    `${ms(pct(addedGaps, 99))} | ${ms(Math.max(...addedGaps))} |`,
);
lines.push("");
for (const path of ["direct", "proxy"]) {
  lines.push(
    `${path}: ${events(path)} events (${tokens(path)} tokens) in ${totalReads(path)} reads, ` +
      `${oneEventReads(path)} of them carrying exactly one event; read shapes (events per read): ` +
      [...readShapes(path)].map(([k, n]) => `${n}× [${rle(k.split(","))}]`).join("; "),
  );
}
lines.push(`every pair has the same read shape: ${sameShape ? "yes (no events merged)" : "NO"}`);
console.log(lines.join("\n"));
process.exitCode = sameShape ? 0 : 1;
