#!/usr/bin/env bash
# Issue 4, part 3: scale of connections. CONNECTIONS (default 10,000) streamed chat completions
# held open at once through the proxy, all checked to their end, and the proxy's memory.
#
# Builds the release binary and lmp_load, raises the open-file limit (the proxy needs two
# descriptors per stream: the client's and the backend's), starts on loopback the mock backend
# and ours (--threads 2, recording to SQLite in a temp dir), and measures the proxy's RSS
# (VmRSS from /proc/<pid>/status): after start-up, idle after a short warm-up, when every
# stream has its first event ("all-open" from lmp_load hold), the peak (VmHWM) at the end, and
# once every stream has closed. Each stream: the mock's role chunk at once, then TOKENS tokens,
# the first after TTFT_MS and then one every TOKEN_INTERVAL_MS (default 15 s + 9 x 0.5 s), so
# all are open together for about 15 s once the ramp is done. Then checks every stream (status
# 200, every event parsed, TOKENS content events, [DONE] last) and that the store holds one
# record per stream (the proxy stopped with SIGTERM, rows counted with sqlite3).
# Writes a Markdown table to stdout and to bench/connections/results/<UTC time>.md.
#
#   bench/connections/run.sh
#   CONNECTIONS=2000 SKIP_BUILD=1 bench/connections/run.sh
#   FD_LIMIT=65536 TTFT_MS=20000 bench/connections/run.sh
#   ALLOW_FD_SHORTFALL=1 bench/connections/run.sh   # run even if the proxy will run out of fds
set -euo pipefail
cd "$(dirname "$0")/../.."

connections=${CONNECTIONS:-10000}
fd_limit=${FD_LIMIT:-65536}
ttft_ms=${TTFT_MS:-15000}
interval_ms=${TOKEN_INTERVAL_MS:-500}
tokens=${TOKENS:-10}
ramp_window=${RAMP_WINDOW:-256}
sources=${SOURCE_ADDRESSES:-127.0.0.2-127.0.0.9}
bin=${LMP_BINARY:-build/release/src/llm-metrics-proxy}
load=${LMP_LOAD:-build/release/bench/lmp_load}

source bench/common/servers.sh
require_tools curl sqlite3 python3
build_release llm-metrics-proxy lmp_load
[[ -x $bin && -x $load ]] || { echo "missing $bin or $load (unset SKIP_BUILD)" >&2; exit 1; }

# --- limits ---------------------------------------------------------------------------------
# The proxy holds a client and a backend socket per stream, plus its listeners, the database
# and the event loop's descriptors: 2 N + 64. The mock and lmp_load need N + 64 each. All three
# inherit this shell's limit.
need=$((2 * connections + 64))
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $fd_limit ]]; then
  ulimit -Hn "$fd_limit" 2>/dev/null || true
fi
ulimit -Sn "$fd_limit" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"
have=$(ulimit -Sn)
if [[ $have != unlimited && $have -lt $need && -z ${ALLOW_FD_SHORTFALL:-} ]]; then
  echo "open-file limit: $have (hard $(ulimit -Hn)); $connections streams need at least $need" \
    "in the proxy (a client and a backend socket per stream)." >&2
  echo "Raising the hard limit needs CAP_SYS_RESOURCE (root outside a container, or" \
    "docker run --ulimit nofile=65536:65536, or LimitNOFILE= in a systemd unit)." >&2
  echo "Or run fewer: CONNECTIONS=$(( (have - 64) / 2 )) $0" \
    "(or ALLOW_FD_SHORTFALL=1 to see what the proxy does when it runs out)" >&2
  exit 1
fi

# Ephemeral ports: the clients are spread over several loopback source addresses ($sources),
# but the proxy's N connections to the mock all leave from 127.0.0.1 to one port.
read -r port_lo port_hi < /proc/sys/net/ipv4/ip_local_port_range
port_range_before=""
if (( port_hi - port_lo + 1 < connections + 1000 )); then
  port_range_before="$port_lo $port_hi"
  if sysctl -qw net.ipv4.ip_local_port_range="1024 65535" 2>/dev/null; then
    echo "raised net.ipv4.ip_local_port_range from $port_range_before to 1024 65535" >&2
  else
    echo "net.ipv4.ip_local_port_range $port_lo-$port_hi is too small for $connections backend" \
      "connections and cannot be raised here" >&2
    exit 1
  fi
fi

# --- start the servers ----------------------------------------------------------------------
tmp=$(mktemp -d /tmp/lmp-connections.XXXXXX)
mock_pid="" ours_pid="" sampler_pid="" hold_pid=""
cleanup() {
  for pid in $hold_pid $sampler_pid $ours_pid $mock_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $hold_pid $sampler_pid $ours_pid $mock_pid; do wait "$pid" 2>/dev/null || true; done
  if [[ -n $port_range_before ]]; then
    sysctl -qw net.ipv4.ip_local_port_range="$port_range_before" || true
  fi
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

start_mock
db="$tmp/metrics.db"
start_ours "$db" --dashboard-port 0
url="http://127.0.0.1:$proxy_port/v1/chat/completions"
proxy_limit=$(awk '/Max open files/{print $4}' "/proc/$ours_pid/limits")

status_kb() { awk -v k="$1:" '$1==k{print $2}' "/proc/$ours_pid/status"; }

wait_recorded 0 >/dev/null
rss_start=$(status_kb VmRSS)

# Warm-up: a few hundred requests, small and streamed, through a few connections.
"$load" closed --url "$url" --connections 8 --duration 1 >"$tmp/warm1.json"
"$load" closed --url "$url" --connections 8 --duration 1 --stream >"$tmp/warm2.json"
warm_requests=$(python3 -c 'import json,sys; print(sum(json.load(open(f))["started"] for f in sys.argv[1:]))' \
  "$tmp/warm1.json" "$tmp/warm2.json")
health_warm=$(wait_recorded "$warm_requests")
rss_idle=$(status_kb VmRSS)
hwm_idle=$(status_kb VmHWM)
written_before=$(field written <<<"$health_warm")
cat "/proc/$ours_pid/smaps_rollup" >"$tmp/smaps_idle.txt"
# Idle once settled: the proxy gives free memory back (memory::release_free) at the first tick of its
# 5 s memory timer that finds no new record since the tick before, so at most ~10 s after the
# load stops. 11 s is that settling time, not a wait for a condition.
sleep "${SETTLE_S:-11}"
rss_settled=$(status_kb VmRSS)

echo "mock :$mock_port, ours :$proxy_port (pid $ours_pid, fd limit $proxy_limit);" \
  "idle RSS $((rss_idle / 1024)) MiB; holding $connections streams ..." >&2

# --- the hold ---------------------------------------------------------------------------------
# A sampler notes the proxy's RSS and open descriptors every 0.2 s (for the record; the
# figures compared below are the all-open sample and VmHWM).
(
  while kill -0 "$ours_pid" 2>/dev/null; do
    printf '%s %s %s\n' "$(date +%s.%N)" "$(status_kb VmRSS)" "$(ls "/proc/$ours_pid/fd" | wc -l)"
    sleep 0.2
  done
) >"$tmp/samples.txt" 2>/dev/null &
sampler_pid=$!

hold_timeout=$(( (ttft_ms + tokens * interval_ms) / 1000 + 120 ))
exec {hold_fd}< <(exec "$load" hold --url "$url" --connections "$connections" \
  --ramp-window "$ramp_window" --source-addresses "$sources" --timeout "$hold_timeout" \
  --header "X-Mock-TTFT-Ms: $ttft_ms" --header "X-Mock-Token-Interval-Ms: $interval_ms" \
  --header "X-Mock-Completion-Tokens: $tokens" 2>"$tmp/hold.err")
hold_pid=$!
rss_open="" fds_open="" open_line=""
while IFS= read -r line <&"$hold_fd"; do
  case $line in
    all-open* | not-all-open*)
      rss_open=$(status_kb VmRSS)
      fds_open=$(ls "/proc/$ours_pid/fd" | wc -l)
      cat "/proc/$ours_pid/smaps_rollup" >"$tmp/smaps_open.txt"
      open_line=$line
      echo "$line: proxy RSS $((rss_open / 1024)) MiB, $fds_open descriptors" >&2
      ;;
    '{'*) echo "$line" >"$tmp/hold.json" ;;
    *) echo "lmp_load: $line" >&2 ;;
  esac
done
exec {hold_fd}<&-
hold_rc=0
wait "$hold_pid" || hold_rc=$?
hold_pid=""
[[ -s $tmp/hold.json ]] || { echo "lmp_load hold printed no summary:" >&2; cat "$tmp/hold.err" >&2; exit 1; }
hwm_end=$(status_kb VmHWM)

health_end=$(wait_recorded $((written_before + connections)))
# The proxy gives a burst's memory back once most of its connections are gone (it checks every
# 5 s): wait for that, with a deadline, and note how long it took.
release_start=$(date +%s.%N)
for _ in $(seq 100); do
  (( $(status_kb VmRSS) <= 20000 )) && break
  sleep 0.2
done
rss_after=$(status_kb VmRSS)
release_s=$(python3 -c "import time; print(f'{time.time() - $release_start:.1f}')")
# What is still held 20 s after the burst is mostly live: among it the backend pool's idle
# connections, which the pool's sweep (every 5 s) closes once idle for 60 s. Wait for that too
# (EXPIRY_WAIT_S, 0 to skip), with a deadline, and note how long it took.
expiry_wait_s=${EXPIRY_WAIT_S:-80}
rss_expired="" expired_s=""
if (( expiry_wait_s > 0 )); then
  for _ in $(seq $((expiry_wait_s * 5))); do
    (( $(status_kb VmRSS) <= 20000 )) && break
    sleep 0.2
  done
  rss_expired=$(status_kb VmRSS)
  expired_s=$(python3 -c "import time; print(f'{time.time() - $release_start:.1f}')")
fi
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""

kill -TERM "$ours_pid"
wait "$ours_pid" || { echo "the proxy exited with status $?" >&2; }
ours_pid=""
rows_total=$(sqlite3 "$db" 'SELECT count(*) FROM completion_requests')
rows_hold=$(sqlite3 "$db" 'SELECT count(*) FROM completion_requests WHERE id > '"$written_before")
rows_hold_ok=$(sqlite3 "$db" 'SELECT count(*) FROM completion_requests WHERE id > '"$written_before"' AND success = 1 AND is_streaming = 1 AND completion_tokens = '"$tokens")
errors_hold=$(sqlite3 "$db" "SELECT coalesce(group_concat(e || ' ' || n, ', '), '') FROM (SELECT error_type e, count(*) n FROM completion_requests WHERE id > $written_before AND success = 0 GROUP BY 1)")

# --- report -------------------------------------------------------------------------------------
mkdir -p bench/connections/results
result="bench/connections/results/$(date -u +%Y%m%dT%H%M%SZ).md"
python3 - "$tmp" "$connections" "$rss_start" "$rss_idle" "$hwm_idle" "$rss_open" "$fds_open" \
  "$hwm_end" "$rss_after" "$health_warm" "$health_end" "$rows_total" "$rows_hold" "$rows_hold_ok" \
  "$errors_hold" "$open_line" "$proxy_limit" "$ttft_ms" "$interval_ms" "$tokens" "$rss_settled" \
  "$rss_expired" "$expired_s" \
  "$(git rev-parse --short HEAD)" "$(nproc)" "$(uname -r)" \
  "$(free -g | awk '/^Mem:/{print $2}')" "$(cut -d' ' -f1-3 /proc/loadavg)" "$release_s" <<'EOF' | tee "$result"
import json, os, sys
(tmp, n, rss_start, rss_idle, hwm_idle, rss_open, fds_open, hwm_end, rss_after, health_warm,
 health_end, rows_total, rows_hold, rows_hold_ok, errors_hold, open_line, fd_limit, ttft, interval,
 tokens, rss_settled, rss_expired, expired_s, commit, nproc, kernel, mem_gb, load,
 release_s) = sys.argv[1:]
n = int(n)
hold = json.load(open(f"{tmp}/hold.json"))
hw, he = json.loads(health_warm)["recorder"], json.loads(health_end)["recorder"]
mib = lambda kb: int(kb) / 1024 if kb else float("nan")
mb = lambda kb: int(kb) * 1024 / 1e6 if kb else float("nan")
# The targets are read in decimal megabytes (10^6 bytes), the stricter reading; MiB shown too.
size = lambda kb: f"{mib(kb):.1f} MiB = {mb(kb):.1f} MB"
def smaps(name):
    out = {}
    try:
        for line in open(f"{tmp}/{name}"):
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    except FileNotFoundError:
        pass
    return out
si, so = smaps("smaps_idle.txt"), smaps("smaps_open.txt")
samples = [l.split() for l in open(f"{tmp}/samples.txt") if len(l.split()) == 3]
max_fds = max((int(s[2]) for s in samples), default=0)
max_rss = max((int(s[1]) for s in samples), default=0)
per_conn = (int(rss_open) - int(rss_idle)) * 1024 / n if rss_open else float("nan")
per_conn_peak = (int(hwm_end) - int(rss_idle)) * 1024 / n
all_ok = hold["completed_ok"] == n and hold["failed"] == 0
records_ok = int(rows_hold) == n and int(rows_hold_ok) == n
rec_ok = he["dropped"] == 0 and he["write_errors"] == 0
idle_ok = mb(rss_settled) <= 20 and mb(rss_start) <= 20
open_ok = bool(rss_open) and mb(rss_open) <= 200 and mb(hwm_end) <= 200
yn = lambda b: "yes" if b else "**no**"
p = print
p(f"## Connections: {n:,} streams held open through the proxy\n")
p(f"Commit {commit}; {nproc} cores, {mem_gb} GB RAM, kernel {kernel}, load average {load}; "
  f"proxy --threads 2, fd limit {fd_limit}. Each stream: role chunk at once, {tokens} tokens, "
  f"the first after {ttft} ms, then every {interval} ms.\n")
p("| measure | value | target | met |")
p("|---|---:|---|---|")
p(f"| proxy RSS after start-up | {size(rss_start)} | ≤ 20 MB | {yn(mb(rss_start) <= 20)} |")
p(f"| proxy RSS right after the warm-up ({hw['written']} requests) | {size(rss_idle)} | | |")
p(f"| proxy RSS idle after the warm-up, settled ({os.environ.get('SETTLE_S', '11')} s later) | {size(rss_settled)} | ≤ 20 MB | {yn(mb(rss_settled) <= 20)} |")
p(f"| proxy RSS with all {n:,} streams open | {size(rss_open)} | ≤ 200 MB | {yn(bool(rss_open) and mb(rss_open) <= 200)} |")
p(f"| proxy peak RSS (VmHWM) over the run | {size(hwm_end)} | ≤ 200 MB | {yn(mb(hwm_end) <= 200)} |")
p(f"| per stream: (RSS open − RSS idle) / {n:,} | {per_conn / 1024:.1f} KiB | | |")
p(f"| per stream at the peak: (VmHWM − RSS idle) / {n:,} | {per_conn_peak / 1024:.1f} KiB | | |")
p(f"| proxy RSS idle again once every stream had closed (after {release_s} s; at most 20 s waited) | {size(rss_after)} | ≤ 20 MB idle | {yn(mb(rss_after) <= 20)} |")
if rss_expired:
  p(f"| proxy RSS once the backend pool's idle connections expired (after {expired_s} s; "
    f"idle 60 s, swept every 5 s) | {size(rss_expired)} | ≤ 20 MB idle | {yn(mb(rss_expired) <= 20)} |")
p(f"| proxy descriptors with all open (most seen) | {fds_open} ({max_fds}) | | |")
t_open = hold["time_to_all_open_s"]
p(f"| time until every stream had its first event | {'never (not all opened)' if t_open is None else f'{t_open:.2f} s'} | | |")
p(f"| first event after connect p50 / p99 / max | {hold['first_event_ms'].get('p50', 0):.1f} / {hold['first_event_ms'].get('p99', 0):.1f} / {hold['first_event_ms'].get('max', 0):.1f} ms | | |")
p(f"| streams completed correctly (200, every event JSON, {tokens} content events, [DONE]) | {hold['completed_ok']:,} of {n:,} | all | {yn(all_ok)} |")
p(f"| records stored for the streams (successful, streamed, {tokens} tokens) | {int(rows_hold):,} ({int(rows_hold_ok):,}) | {n:,} | {yn(records_ok)} |")
p(f"| recorder: submitted / written / dropped / write errors | {he['submitted']:,} / {he['written']:,} / {he['dropped']} / {he['write_errors']} | 0 dropped, 0 errors | {yn(rec_ok)} |")
p(f"| **result** | | | **{'PASS' if all(x for x in (all_ok, records_ok, rec_ok, idle_ok, open_ok)) else 'FAIL'}** |")
p("")
if hold["failed"]:
    p(f"Stream failures: {json.dumps(hold['failures'])}  ")
if errors_hold:
    p(f"Failed records by error type: {errors_hold}  ")
p(f"Total rows in the store: {int(rows_total):,}; peak of the 0.2 s RSS samples {mib(max_rss):.1f} MiB.\n")
keys = ["Rss", "Anonymous", "Pss_Anon", "Pss_File", "Private_Dirty", "Shared_Clean"]
p("smaps_rollup of the proxy (kB):\n")
p("| | " + " | ".join(keys) + " |")
p("|---|" + "---:|" * len(keys))
p("| idle | " + " | ".join(str(si.get(k, "")) for k in keys) + " |")
p("| all open | " + " | ".join(str(so.get(k, "")) for k in keys) + " |")
p("")
p(f"lmp_load hold: `{json.dumps(hold)}`")
EOF
echo "results: $result" >&2
[[ $hold_rc -eq 0 ]] || echo "lmp_load hold exited with status $hold_rc" >&2
