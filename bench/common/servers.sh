# Shared by the benchmark scripts that run the mock and our proxy (sourced, not run):
# building, starting both on loopback with ephemeral ports, and waiting on the recorder.
# The caller sets `bin` (the proxy binary) and `tmp` (a scratch directory) and stops the
# servers by PID ($mock_pid, $ours_pid) in its own EXIT trap.

require_tools() {  # tool...
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null || { echo "needs $p (apt-get install $p)" >&2; exit 1; }
  done
}

install_packages() {  # Debian package...: installs the ones missing (apt-get, as root or sudo)
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_release() {  # target...; skipped when SKIP_BUILD is set
  [[ -n ${SKIP_BUILD:-} ]] && return
  echo "building $* ..." >&2
  cmake --preset release -DLMP_BUILD_TESTS=OFF >/dev/null
  cmake --build build/release --target "$@" -j2 >/dev/null
}

wait_for() {  # file pattern [seconds]: polls until the pattern appears, or fails
  local deadline=$((SECONDS + ${3:-10}))
  until grep -q "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; exit 1; }
    sleep 0.05
  done
}

start_mock() {  # [mock-backend options...]; sets mock_pid and mock_port
  "$bin" mock-backend --port 0 "$@" >"$tmp/mock.out" 2>&1 &
  mock_pid=$!
  wait_for "$tmp/mock.out" "listening on"
  mock_port=$(grep -o 'listening on .*' "$tmp/mock.out" | grep -o '[0-9]*$')
}

start_ours() {  # db [proxy options...]; sets ours_pid, proxy_port and metrics_port
  local db=$1
  shift
  "$bin" --backend-url "http://127.0.0.1:$mock_port" --listen-address 127.0.0.1 --proxy-port 0 \
    --metrics-port 0 --db-path "$db" --threads 2 "$@" >"$tmp/ours.out" 2>&1 &
  ours_pid=$!
  wait_for "$tmp/ours.out" "metrics API listening"
  proxy_port=$(grep -o 'proxy listening on http://127.0.0.1:[0-9]*' "$tmp/ours.out" | grep -o '[0-9]*$')
  metrics_port=$(grep -o 'metrics API listening on http://127.0.0.1:[0-9]*' "$tmp/ours.out" |
    grep -o '[0-9]*$')
}

health() { curl -fs "http://127.0.0.1:$metrics_port/health"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)["recorder"][sys.argv[1]])' "$1"; }

# Waits until the recorder has taken at least $1 records, written (or failed) every one it took
# and emptied its queue; prints the /health body. Fails after $2 seconds (60), or with
# RECORDED_SOFT=1 only warns and prints the last body.
wait_recorded() {  # want [seconds]
  local want=$1 deadline=$((SECONDS + ${2:-60})) h
  while :; do
    h=$(health)
    if (($(field submitted <<<"$h") >= want)) && (($(field queue_depth <<<"$h") == 0)) &&
      (($(field written <<<"$h") + $(field write_errors <<<"$h") == $(field submitted <<<"$h"))); then
      echo "$h"
      return
    fi
    if ((SECONDS >= deadline)); then
      echo "recorder did not catch up: $h" >&2
      [[ -n ${RECORDED_SOFT:-} ]] && { echo "$h"; return; }
      exit 1
    fi
    sleep 0.1
  done
}
