#!/usr/bin/env bash
# Issue 4, part 1: the proxy's cost side by side with nginx.
#
# Builds the release binary, starts on loopback the mock backend (--fast), nginx as a plain
# reverse proxy (2 workers, upstream keepalive, buffering off; its own prefix and config, not a
# service) and our proxy (--threads 2, recording to SQLite), then drives the same wrk load
# through the three paths (direct, nginx, ours), interleaved: for every workload x concurrency,
# ROUNDS rounds of the three paths in rotating order. Per cell: requests/s, latency
# p50/p90/p99/max, CPU microseconds per request of the proxy process (utime+stime from
# /proc/<pid>/stat, delta over the cell / requests; nginx: master + workers) and peak RSS
# (VmHWM; nginx: sum of the workers). Every figure is the median over the rounds; the
# comparisons are ratios (differences for latency) taken in the same round, then medianed.
# Writes a Markdown table to stdout and to bench/proxy/results/<UTC time>.md.
#
#   bench/proxy/run.sh                   # about 7 minutes after the build
#   DURATION=3 ROUNDS=3 bench/proxy/run.sh
#   WORKLOADS="chat_small" CONCURRENCY="1 16" bench/proxy/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

duration=${DURATION:-5}
rounds=${ROUNDS:-3}
workloads=${WORKLOADS:-"chat_small chat_stream chat_32k"}
concurrency=${CONCURRENCY:-"1 16 256"}
bin=${LMP_BINARY:-build/release/src/llm-metrics-proxy}

# --- what it needs ------------------------------------------------------------------------
missing=()
for p in nginx wrk python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

source bench/common/servers.sh
build_release llm-metrics-proxy

# --- start the three servers ---------------------------------------------------------------
tmp=$(mktemp -d /tmp/lmp-proxy-bench.XXXXXX)
chmod 755 "$tmp"
mock_pid="" nginx_pid="" ours_pid=""
cleanup() {
  for pid in $ours_pid $nginx_pid $mock_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $ours_pid $nginx_pid $mock_pid; do wait "$pid" 2>/dev/null || true; done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

start_mock --fast

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    ss -Hltn "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}
nginx_port=$(free_port)
sed -e "s|@PREFIX@|$tmp|g" -e "s|@NGINX_PORT@|$nginx_port|g" -e "s|@BACKEND_PORT@|$mock_port|g" \
  bench/proxy/nginx.conf.template >"$tmp/nginx.conf"
"$nginx_bin" -p "$tmp" -c "$tmp/nginx.conf" -g "daemon off; pid $tmp/nginx.pid;" \
  >"$tmp/nginx.out" 2>&1 &
nginx_pid=$!

start_ours "$tmp/metrics.db" --dashboard-port off
ours_port=$proxy_port

for _ in $(seq 100); do
  workers=$(pgrep -P "$nginx_pid" | tr '\n' ' ' || true)
  [[ $(wc -w <<<"$workers") -ge 2 ]] && curl -fs -o /dev/null "http://127.0.0.1:$nginx_port/v1/models" && break
  sleep 0.05
done
[[ $(wc -w <<<"$workers") -ge 2 ]] || { echo "nginx did not start:" >&2; cat "$tmp/nginx.out" "$tmp/error.log" >&2; exit 1; }
for port in "$mock_port" "$ours_port"; do
  curl -fs -o /dev/null "http://127.0.0.1:$port/v1/models"
done

# --- measuring -----------------------------------------------------------------------------
ticks=$(getconf CLK_TCK)
# Sum of utime+stime (clock ticks) over the given PIDs.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
# Of which stime (kernel).
sys_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $15}' "/proc/$p/stat"))); done; echo "$t"; }
# Sum of VmHWM (kB) over the given PIDs.
hwm_kb() { local t=0 p; for p in "$@"; do t=$((t + $(awk '/^VmHWM/{print $2}' "/proc/$p/status"))); done; echo "$t"; }

raw="$tmp/raw.tsv"
printf 'workload\tconc\tround\tpath\trequests\trps\tp50\tp90\tp99\tmax\tcpu_ticks\thwm_kb\terrors\tsys_ticks\n' >"$raw"
paths=(direct nginx ours)
cells=$(( $(wc -w <<<"$workloads") * $(wc -w <<<"$concurrency") * rounds * 3 ))
echo "mock :$mock_port, nginx :$nginx_port (pid $nginx_pid, workers $workers), ours :$ours_port;" \
  "$cells cells of ${duration}s" >&2

# Prime every path once (connections to the backend, page faults), unmeasured.
for port in "$mock_port" "$nginx_port" "$ours_port"; do
  wrk -t1 -c16 -d1s -s bench/lua/chat_small.lua "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
done

sleep 1
health_before=$(curl -fs "http://127.0.0.1:$metrics_port/health")
cell=0
for workload in $workloads; do
  for c in $concurrency; do
    threads=1; ((c >= 256)) && threads=2
    for ((r = 0; r < rounds; r++)); do
      for ((k = 0; k < 3; k++)); do
        path=${paths[$(( (k + r + cell) % 3 ))]}
        case $path in
          direct) port=$mock_port; pids="" ;;
          nginx) port=$nginx_port; pids="$nginx_pid $workers" ;;
          ours) port=$ours_port; pids="$ours_pid" ;;
        esac
        before=0 sys_before=0
        [[ -n $pids ]] && { before=$(cpu_ticks $pids); sys_before=$(sys_ticks $pids); }
        out=$(wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s "bench/lua/$workload.lua" \
          "http://127.0.0.1:$port/v1/chat/completions")
        after=0 sys_after=0 hwm=0
        if [[ -n $pids ]]; then
          after=$(cpu_ticks $pids); sys_after=$(sys_ticks $pids); hwm=$(hwm_kb ${pids#"$nginx_pid "})
        fi
        [[ $path == ours ]] && hwm=$(hwm_kb "$ours_pid")
        requests=$(awk '/requests in/{print $1}' <<<"$out")
        rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
        max=$(awk '$1=="Latency"{print $4; exit}' <<<"$out")
        p50=$(awk '$1=="50%"{print $2}' <<<"$out")
        p90=$(awk '$1=="90%"{print $2}' <<<"$out")
        p99=$(awk '$1=="99%"{print $2}' <<<"$out")
        errors=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(/,/,""); n+=$4+$6+$8+$10} END{print n+0}' <<<"$out")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$c" "$r" "$path" \
          "$requests" "$rps" "$p50" "$p90" "$p99" "$max" "$((after - before))" "$hwm" "$errors" \
          "$((sys_after - sys_before))" >>"$raw"
        echo "  $workload c$c round $r $path: $rps req/s, p50 $p50, p99 $p99, errors $errors" >&2
      done
    done
    cell=$((cell + 1))
  done
done

# --- the store: records written = requests completed through ours ---------------------------
sleep 2  # the writer flushes its last batch
health=$(curl -fs "http://127.0.0.1:$metrics_port/health")

mkdir -p bench/proxy/results
result="bench/proxy/results/$(date -u +%Y%m%dT%H%M%SZ).md"
cp "$raw" "${result%.md}.tsv"
python3 bench/proxy/report.py "$raw" "$ticks" "$duration" "$rounds" "$health_before" "$health" \
  "$(nproc)" "$(git rev-parse --short HEAD)" "$("$nginx_bin" -v 2>&1 | cut -d/ -f2)" \
  "$(lscpu | awk -F: '/Model name/{gsub(/^ +/,"",$2); print $2; exit}')" | tee "$result"
echo "results: $result (raw rows: ${result%.md}.tsv)" >&2
