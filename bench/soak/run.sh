#!/usr/bin/env bash
# Issue 4, part 4: no loss under load. Part 1's highest-throughput load (small non-streamed
# chat, 16 connections; CONNECTIONS=256 for the other) through the proxy for DURATION seconds
# (default 60), with lmp_load closed, which drains at the end: no new request once the time is
# up, every request in flight waited for, so that its count of requests is exact. Then waits
# until the recorder has written everything (/health: written + write_errors = submitted,
# queue_depth 0), stops the proxy with SIGTERM, counts the rows of completion_requests, and
# compares: records = requests completed (+ failed, if any), dropped = 0, write errors = 0.
# Writes a Markdown table to stdout and to bench/soak/results/<UTC time>.md.
#
#   bench/soak/run.sh
#   CONNECTIONS=256 bench/soak/run.sh
#   DURATION=5 SKIP_BUILD=1 bench/soak/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${DURATION:-60}
connections=${CONNECTIONS:-16}
load_threads=${LOAD_THREADS:-$((connections >= 256 ? 2 : 1))}
bin=${LMP_BINARY:-build/release/src/llm-metrics-proxy}
load=${LMP_LOAD:-build/release/bench/lmp_load}

source bench/common/servers.sh
require_tools curl sqlite3 python3
build_release llm-metrics-proxy lmp_load
[[ -x $bin && -x $load ]] || { echo "missing $bin or $load (unset SKIP_BUILD)" >&2; exit 1; }

need=$((connections * 2 + 64))
ulimit -Sn "$(ulimit -Hn)"
have=$(ulimit -Sn)
[[ $have == unlimited || $have -ge $need ]] || { echo "open-file limit $have < $need" >&2; exit 1; }

tmp=$(mktemp -d /tmp/lmp-soak.XXXXXX)
mock_pid="" ours_pid=""
cleanup() {
  for pid in $ours_pid $mock_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $ours_pid $mock_pid; do wait "$pid" 2>/dev/null || true; done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

start_mock --fast
db="$tmp/metrics.db"
start_ours "$db" --dashboard-port off
# Not recorded (a pass-through path): checks the proxy reaches the mock.
curl -fs -o /dev/null "http://127.0.0.1:$proxy_port/v1/models"

health_before=$(health)
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$ours_pid/stat"; }
cpu_before=$(cpu_ticks)

echo "mock :$mock_port, ours :$proxy_port (pid $ours_pid); ${duration}s of small chat," \
  "$connections connections ..." >&2
load_rc=0
"$load" closed --url "http://127.0.0.1:$proxy_port/v1/chat/completions" \
  --connections "$connections" --threads "$load_threads" --duration "$duration" \
  >"$tmp/load.json" || load_rc=$?
[[ -s $tmp/load.json ]] || { echo "lmp_load printed no summary (status $load_rc)" >&2; exit 1; }
cpu_after=$(cpu_ticks)
completed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completed"])' "$tmp/load.json")

# Every completed request is submitted once its response is relayed; wait (with a deadline)
# until they all are and the writer has caught up.
health_after=$(RECORDED_SOFT=1 wait_recorded "$completed" 120)
hwm_kb=$(awk '$1=="VmHWM:"{print $2}' "/proc/$ours_pid/status")

kill -TERM "$ours_pid"
proxy_rc=0
wait "$ours_pid" || proxy_rc=$?
ours_pid=""
rows=$(sqlite3 "$db" 'SELECT count(*) FROM completion_requests')
rows_ok=$(sqlite3 "$db" 'SELECT count(*) FROM completion_requests WHERE success = 1')
errors=$(sqlite3 "$db" "SELECT coalesce(group_concat(e || ' ' || n, ', '), '') FROM (SELECT error_type e, count(*) n FROM completion_requests WHERE success = 0 GROUP BY 1)")

mkdir -p bench/soak/results
result="bench/soak/results/$(date -u +%Y%m%dT%H%M%SZ).md"
python3 - "$tmp/load.json" "$health_before" "$health_after" "$rows" "$rows_ok" "$errors" \
  "$((cpu_after - cpu_before))" "$ticks" "$hwm_kb" "$proxy_rc" "$(git rev-parse --short HEAD)" \
  "$(nproc)" "$(uname -r)" "$(free -g | awk '/^Mem:/{print $2}')" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF' | tee "$result"
import json, sys
(load_file, hb, ha, rows, rows_ok, errors, cpu, ticks, hwm, proxy_rc, commit, nproc, kernel,
 mem_gb, loadavg) = sys.argv[1:]
load = json.load(open(load_file))
b, a = json.loads(hb)["recorder"], json.loads(ha)["recorder"]
rows, rows_ok = int(rows), int(rows_ok)
completed, failed, started = load["completed"], load["failed"], load["started"]
submitted = a["submitted"] - b["submitted"]
written = a["written"] - b["written"]
dropped = a["dropped"] - b["dropped"]
werr = a["write_errors"] - b["write_errors"]
lat = load["latency_ms"]
records_ok = rows == completed + failed and rows_ok == completed
passed = records_ok and dropped == 0 and werr == 0 and load["drained"] and started == completed + failed
yn = lambda x: "yes" if x else "**no**"
p = print
p(f"## Soak: {load['duration_s']:g} s of small chat at {load['connections']} connections\n")
p(f"Commit {commit}; {nproc} cores, {mem_gb} GB RAM, kernel {kernel}, load average at the end "
  f"{loadavg}; mock --fast, proxy --threads 2, lmp_load closed --threads {load['threads']}.\n")
p("| measure | value | check | met |")
p("|---|---:|---|---|")
p(f"| requests started by lmp_load | {started:,} | = completed + failed | {yn(started == completed + failed)} |")
p(f"| completed (2xx, complete body) | {completed:,} | | |")
p(f"| failed | {failed:,} | | |")
p(f"| drained at the end | {load['drain_s'] * 1000:.1f} ms | every request in flight finished | {yn(load['drained'])} |")
p(f"| requests/s (completed ÷ {load['elapsed_s']:.2f} s) | {load['requests_per_s']:,.0f} | | |")
p(f"| latency p50 / p90 / p99 / max | {lat.get('p50', 0):.2f} / {lat.get('p90', 0):.2f} / {lat.get('p99', 0):.2f} / {lat.get('max', 0):.2f} ms | | |")
p(f"| records stored (rows of completion_requests) | {rows:,} | = completed + failed ({completed + failed:,}) | {yn(rows == completed + failed)} |")
p(f"| of which successful | {rows_ok:,} | = completed | {yn(rows_ok == completed)} |")
p(f"| recorder submitted / written during the run | {submitted:,} / {written:,} | | |")
p(f"| dropped | {dropped} | 0 | {yn(dropped == 0)} |")
p(f"| write errors | {werr} | 0 | {yn(werr == 0)} |")
p(f"| proxy CPU per request | {int(cpu) / int(ticks) * 1e6 / max(completed, 1):.1f} µs | | |")
p(f"| proxy peak RSS (VmHWM) | {int(hwm) / 1024:.1f} MiB | | |")
p(f"| **result** | | | **{'PASS' if passed else 'FAIL'}** |")
p("")
if load["failures"]:
    p(f"lmp_load failures: {json.dumps(load['failures'])}  ")
if errors:
    p(f"Failed records by error type: {errors}  ")
if proxy_rc != "0":
    p(f"The proxy exited with status {proxy_rc} after SIGTERM.  ")
p(f"lmp_load: `{json.dumps(load)}`")
EOF
echo "results: $result" >&2
