#!/usr/bin/env bash
# Scale check of the metrics API: fills a store with N realistic records (default 10 million
# over 30 days) with lmp_fill_store, starts the real binary on it, and times /metrics,
# /timeseries and /completion_requests?limit=100 (envelope) over the last hour, day, month and
# all time: the median of 5 curl calls each, in milliseconds.
#
#   bench/scale/run.sh                      # 10,000,000 records, build/release
#   N=1000000 DAYS=30 bench/scale/run.sh    # fewer records
#   BUILD_DIR=build/h-rollup-rel DB=/tmp/scale.db KEEP_DB=1 bench/scale/run.sh
#
# The ranges end at the newest record (the fill's end), so "last hour" holds an hour of data.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
N=${N:-10000000}
DAYS=${DAYS:-30}
DB=${DB:-$(mktemp -d)/scale.db}
RUNS=${RUNS:-5}

if [[ ! -x $BUILD_DIR/src/llm-metrics-proxy || ! -x $BUILD_DIR/bench/lmp_fill_store ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" --target llm-metrics-proxy lmp_fill_store -j"$(nproc)"
fi

# The fill ends at a whole second a little in the past, so that every range is reproducible.
END_MS=${END_MS:-$(( ($(date +%s) - 60) * 1000 ))}
if [[ -n ${KEEP_DB:-} && -f $DB ]]; then
  echo "reusing $DB (KEEP_DB set); END_MS must match the fill: $END_MS"
else
  rm -f "$DB" "$DB-wal" "$DB-shm"
  echo "filling $DB with $N records over $DAYS days..."
  "$BUILD_DIR/bench/lmp_fill_store" --db "$DB" --records "$N" --days "$DAYS" --end-ms "$END_MS"
fi
echo "database: $(du -h "$DB" | cut -f1)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
METRICS_PORT=$(free_port)
PROXY_PORT=$(free_port)
CLOSED_PORT=$(free_port)  # nothing listens there: the proxy is not exercised
"$BUILD_DIR/src/llm-metrics-proxy" --db-path "$DB" --metrics-port "$METRICS_PORT" \
  --proxy-port "$PROXY_PORT" --dashboard-port off --listen-address 127.0.0.1 \
  --backend-url "http://127.0.0.1:$CLOSED_PORT" --log-level WARNING &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$METRICS_PORT/health" && break
  sleep 0.1
done

iso() { date -u -d "@$(( $1 / 1000 ))" +%Y-%m-%dT%H:%M:%SZ; }
END_ISO=$(iso "$END_MS")
declare -A START=(
  [hour]=$(iso $(( END_MS - 3600000 )))
  [day]=$(iso $(( END_MS - 86400000 )))
  [month]=$(iso $(( END_MS - 30 * 86400000 )))
  [all]=""
)

median_ms() {  # url -> median time_total in ms over RUNS calls (after one warm-up)
  local url=$1 times=()
  curl -s -o /dev/null "$url"
  for _ in $(seq "$RUNS"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}'
}

check() {  # fails loudly on a non-200 answer
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$1")
  [[ $code == 200 ]] || { echo "HTTP $code from $1" >&2; curl -s "$1" >&2; exit 1; }
}

BASE="http://127.0.0.1:$METRICS_PORT"
printf '\n%d records over %s days, %s, median of %d calls (ms)\n' "$N" "$DAYS" "$(nproc) cores" "$RUNS"
printf '%-8s %10s %12s %22s %12s\n' range /metrics /timeseries "/timeseries?by=model" "/completion_requests"
for r in hour day month all; do
  if [[ -n ${START[$r]} ]]; then q="start=${START[$r]}&end=$END_ISO"; else q="end=$END_ISO"; fi
  for path in "/metrics?$q" "/timeseries?$q" "/timeseries?$q&by=model" \
              "/completion_requests?$q&limit=100&envelope=1"; do
    check "$BASE$path"
  done
  printf '%-8s %10s %12s %22s %12s\n' "$r" \
    "$(median_ms "$BASE/metrics?$q")" \
    "$(median_ms "$BASE/timeseries?$q")" \
    "$(median_ms "$BASE/timeseries?$q&by=model")" \
    "$(median_ms "$BASE/completion_requests?$q&limit=100&envelope=1")"
done
