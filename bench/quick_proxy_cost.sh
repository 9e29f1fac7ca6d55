#!/usr/bin/env bash
# A quick look at what the proxy costs: the same wrk load straight to the mock backend and
# through the proxy (one I/O thread, recording to SQLite), reporting requests/s, mean latency
# and the proxy's CPU microseconds per request from /proc. Not the full benchmark (issue 4):
# one short run per case on a noisy machine, so read ratios, not absolutes.
#   bench/quick_proxy_cost.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-4}
connections=${2:-16}
bin=${LMP_BINARY:-build/release/src/llm-metrics-proxy}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
[[ -x $bin ]] || { echo "build the release binary first: cmake --preset release && cmake --build build/release" >&2; exit 1; }

tmp=$(mktemp -d)
"$bin" mock-backend --port 0 --fast >"$tmp/mock.out" 2>&1 &
mock_pid=$!
trap 'kill $mock_pid ${proxy_pid:-} 2>/dev/null; rm -rf "$tmp"' EXIT
until grep -q listening "$tmp/mock.out"; do sleep 0.05; done
mock_port=$(grep -o '[0-9]*$' "$tmp/mock.out")
"$bin" --backend-url "http://127.0.0.1:$mock_port" --listen-address 127.0.0.1 --proxy-port 0 \
  --metrics-port 0 --db-path "$tmp/metrics.db" --threads 1 >"$tmp/proxy.out" 2>&1 &
proxy_pid=$!
until grep -q "proxy listening" "$tmp/proxy.out"; do sleep 0.05; done
proxy_port=$(grep -o 'proxy listening on http://127.0.0.1:[0-9]*' "$tmp/proxy.out" | grep -o '[0-9]*$')
ticks_per_second=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$proxy_pid/stat"; }
printf '%-12s %-7s %12s %12s %18s\n' workload path requests/s latency_avg proxy_cpu_us/req
for workload in chat_small chat_stream; do
  for path in direct proxy; do
    port=$([[ $path == direct ]] && echo "$mock_port" || echo "$proxy_port")
    before=$(cpu_ticks)
    out=$(wrk -t1 -c"$connections" -d"${seconds}s" -s "bench/lua/$workload.lua" \
      "http://127.0.0.1:$port/v1/chat/completions")
    after=$(cpu_ticks)
    requests=$(awk '/requests in/{print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
    latency=$(awk '/Latency/{print $2}' <<<"$out")
    cpu_us=$(( (after - before) * 1000000 / ticks_per_second / requests ))
    [[ $path == direct ]] && cpu_us="-"
    printf '%-12s %-7s %12s %12s %18s\n' "$workload" "$path" "$rps" "$latency" "$cpu_us"
  done
done
