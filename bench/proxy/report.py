#!/usr/bin/env python3
"""Turns bench/proxy/run.sh's raw rows into the Markdown report (stdout).

args: raw.tsv clk_tck duration rounds health_before health_after cores commit nginx_version cpu
Every figure is the median over the rounds; every comparison is taken within a round (ours vs
nginx vs direct of the same workload, concurrency and round), then medianed.
"""
import json
import statistics
import sys
from collections import defaultdict

raw, ticks, duration, rounds, h0, h1, cores, commit, nginx_version, cpu = sys.argv[1:11]
ticks = int(ticks)
UNIT = {"us": 1.0, "ms": 1000.0, "s": 1e6, "m": 60e6}


def micros(text):
    for suffix in ("us", "ms", "s", "m"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * UNIT[suffix]
    return float(text)


rows = defaultdict(dict)  # (workload, conc) -> round -> path -> row
with open(raw) as f:
    header = f.readline().rstrip("\n").split("\t")
    for line in f:
        r = dict(zip(header, line.rstrip("\n").split("\t")))
        requests = int(r["requests"])
        rows[(r["workload"], int(r["conc"]))].setdefault(int(r["round"]), {})[r["path"]] = {
            "requests": requests,
            "rps": float(r["rps"]),
            "p50": micros(r["p50"]),
            "p90": micros(r["p90"]),
            "p99": micros(r["p99"]),
            "max": micros(r["max"]),
            "cpu_us": int(r["cpu_ticks"]) * 1e6 / ticks / max(requests, 1),
            "rss_mb": int(r["hwm_kb"]) / 1024,
            "errors": int(r["errors"]),
            "sys_share": int(r.get("sys_ticks") or 0) / max(int(r["cpu_ticks"]), 1),
        }

med = statistics.median


def fmt_us(v):
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} µs"


def fmt_delta(v):
    return f"{v / 1000:+.2f} ms" if abs(v) >= 1000 else f"{v:+.0f} µs"


workload_names = {
    "chat_small": "small JSON",
    "chat_stream": "streamed, 50 events (~14 KB)",
    "chat_32k": "32 KB request body",
}
out = []
out.append("## Proxy cost side by side with nginx: run of " + "commit " + commit)
out.append("")
out.append(
    f"{cores} cores ({cpu}); nginx {nginx_version}; {rounds} interleaved rounds of "
    f"{duration} s per cell; medians over the rounds. CPU µs/req: the proxy process only "
    "(nginx: master + workers). Peak RSS: VmHWM since start (nginx: sum of the workers)."
)
out.append("")
out.append(
    "| workload | c | path | req/s | p50 | p90 | p99 | max | proxy CPU µs/req | of which kernel | peak RSS MB | errors |"
)
out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (workload, conc), by_round in rows.items():
    for path in ("direct", "nginx", "ours"):
        cells = [by_round[r][path] for r in sorted(by_round) if path in by_round[r]]
        m = lambda k: med(c[k] for c in cells)  # noqa: E731
        cpu_text = "-" if path == "direct" else f"{m('cpu_us'):.1f}"
        rss_text = "-" if path == "direct" else f"{m('rss_mb'):.1f}"
        sys_text = "-" if path == "direct" else f"{100 * m('sys_share'):.0f}%"
        out.append(
            f"| {workload_names.get(workload, workload)} | {conc} | {path} | {m('rps'):,.0f} | "
            f"{fmt_us(m('p50'))} | {fmt_us(m('p90'))} | {fmt_us(m('p99'))} | {fmt_us(m('max'))} | "
            f"{cpu_text} | {sys_text} | {rss_text} | {sum(c['errors'] for c in cells)} |"
        )

out.append("")
out.append("### Comparisons (taken within each round, then medianed)")
out.append("")
out.append(
    "| workload | c | ours/nginx CPU per req | ours/nginx req/s | ours−direct p50 | "
    "ours−direct p99 | nginx−direct p50 | nginx−direct p99 |"
)
out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
for (workload, conc), by_round in rows.items():
    rs = [by_round[r] for r in sorted(by_round) if len(by_round[r]) == 3]
    cpu_ratio = med(r["ours"]["cpu_us"] / r["nginx"]["cpu_us"] for r in rs if r["nginx"]["cpu_us"] > 0)
    rps_ratio = med(r["ours"]["rps"] / r["nginx"]["rps"] for r in rs)
    d = lambda a, k: med(r[a][k] - r["direct"][k] for r in rs)  # noqa: E731
    out.append(
        f"| {workload_names.get(workload, workload)} | {conc} | {cpu_ratio:.2f} | {rps_ratio:.2f} | "
        f"{fmt_delta(d('ours', 'p50'))} | {fmt_delta(d('ours', 'p99'))} | "
        f"{fmt_delta(d('nginx', 'p50'))} | {fmt_delta(d('nginx', 'p99'))} |"
    )

completed = sum(
    row["requests"] for by_round in rows.values() for rr in by_round.values() for p, row in rr.items() if p == "ours"
)
before = json.loads(h0).get("recorder", {})
after = json.loads(h1).get("recorder", {})
written = after.get("written", 0) - before.get("written", 0)
submitted = after.get("submitted", 0) - before.get("submitted", 0)
out.append("")
out.append("### The store")
out.append("")
out.append(
    f"Requests completed through ours (wrk's count, all cells): {completed:,}. Recorder over the "
    f"same span (/health): submitted {submitted:,}, written {written:,}, dropped "
    f"{after.get('dropped', 0) - before.get('dropped', 0)}, write errors "
    f"{after.get('write_errors', 0) - before.get('write_errors', 0)}, queue depth at the end "
    f"{after.get('queue_depth', 0)}. Written − completed = {written - completed:+,} "
    "(requests still in flight when wrk stops are not counted by wrk but are recorded, as "
    "client disconnects)."
)
print("\n".join(out))
