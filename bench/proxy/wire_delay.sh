#!/usr/bin/env bash
# Issue 4, part 2, on the wire: the delay the proxy adds to each streamed event, from the
# kernel's capture timestamps of the packet that brought the event in from the backend and the
# one that took it out to the client (bench/proxy/wire_delay.py). Unlike fidelity.mjs, which
# compares what a client sees directly and through the proxy, this leaves out the client's and
# the mock's own scheduling jitter.
#
# Starts the mock (first token after 300 ms, then one every 20 ms, 50 tokens) and ours
# (--threads 2, SQLite in a temp dir), captures loopback with tcpdump, runs STREAMS (40)
# streams through the proxy, CONCURRENT (5) at a time, and prints the delay distribution.
#   bench/proxy/wire_delay.sh
#   STREAMS=100 CONCURRENT=10 SKIP_BUILD=1 bench/proxy/wire_delay.sh
#   HALT_POLL_NS=200000 bench/proxy/wire_delay.sh
# HALT_POLL_NS sets the guest's cpuidle halt polling (haltpoll's guest_halt_poll_ns; a VM like
# this one ships it at 0, so an idle vCPU halts at once and each wake-up goes through the
# host) for the run, and puts it back afterwards: it shows how much of the delay is that.
set -euo pipefail
cd "$(dirname "$0")/../.."

streams=${STREAMS:-40}  # at most 253: each stream gets its own loopback source address
concurrent=${CONCURRENT:-5}
bin=${LMP_BINARY:-build/release/src/llm-metrics-proxy}
load=${LMP_LOAD:-build/release/bench/lmp_load}

source bench/common/servers.sh
install_packages tcpdump
require_tools tcpdump python3 curl
build_release llm-metrics-proxy lmp_load

tmp=$(mktemp -d /tmp/lmp-wire-delay.XXXXXX)
mock_pid="" ours_pid="" dump_pid=""
halt_poll=/sys/module/haltpoll/parameters/guest_halt_poll_ns
halt_poll_before=""
cleanup() {
  [[ -z $halt_poll_before ]] || echo "$halt_poll_before" >"$halt_poll" || true
  for pid in $dump_pid $ours_pid $mock_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $dump_pid $ours_pid $mock_pid; do wait "$pid" 2>/dev/null || true; done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

if [[ -n ${HALT_POLL_NS:-} ]]; then
  [[ -w $halt_poll ]] || { echo "HALT_POLL_NS: $halt_poll is not writable here" >&2; exit 1; }
  halt_poll_before=$(cat "$halt_poll")
  echo "$HALT_POLL_NS" >"$halt_poll"
fi

start_mock
start_ours "$tmp/metrics.db" --dashboard-port off

tcpdump -i lo -nn -s 0 -B 65536 -U --immediate-mode --time-stamp-precision=nano -w "$tmp/capture.pcap" \
  "tcp port $mock_port or tcp port $proxy_port" 2>"$tmp/tcpdump.err" &
dump_pid=$!
wait_for "$tmp/tcpdump.err" "listening on"

"$load" hold --url "http://127.0.0.1:$proxy_port/v1/chat/completions" --connections "$streams" \
  --ramp-window "$concurrent" --source-addresses "127.0.0.2-127.0.0.$((1 + streams))" \
  --header "X-Mock-TTFT-Ms: 300" \
  --header "X-Mock-Token-Interval-Ms: 20" --header "X-Mock-Completion-Tokens: 50" \
  >"$tmp/hold.out" 2>&1 || { cat "$tmp/hold.out" >&2; exit 1; }
# Every stream's [DONE] twice (in from the backend, out to the client) in the file before the
# capture stops: tcpdump is stopped by a signal and would drop what it has not written yet.
done_in_file() { python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"data: [DONE]"))' "$tmp/capture.pcap"; }
deadline=$((SECONDS + 10))
until (($(done_in_file) >= 2 * streams)); do
  ((SECONDS < deadline)) || { echo "the capture is missing events: $(done_in_file) of $((2 * streams)) [DONE]" >&2; break; }
  sleep 0.1
done
kill -INT "$dump_pid"
wait "$dump_pid" 2>/dev/null || true
dump_pid=""

echo "## Delay the proxy adds to each streamed event, on the wire"
echo
echo "Commit $(git rev-parse --short HEAD); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$streams streams, $concurrent at a time; mock: first token after 300 ms, then every 20 ms, 50 tokens;" \
  "guest halt polling $(cat "$halt_poll" 2>/dev/null || echo "n/a") ns."
echo
python3 bench/proxy/wire_delay.py "$tmp/capture.pcap" "$mock_port" "$proxy_port"
echo
echo "lmp_load: $(tail -1 "$tmp/hold.out")"
