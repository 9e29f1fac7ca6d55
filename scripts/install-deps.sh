#!/usr/bin/env bash
# Installs what building and testing need, from Debian 12 packages (and npm for the test suite).
# Skips apt-get entirely when everything is already there, so repeated runs are fast.
set -euo pipefail

packages=(
  g++ cmake make pkg-config ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsimdjson-dev libsqlite3-dev libssl-dev zlib1g-dev libfmt-dev
  libgtest-dev libbenchmark-dev libjemalloc-dev
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(sqlite3 openssl)
  # The browser tests drive Debian's Chromium with Playwright (no browser downloads).
  packages+=(chromium)
  # Machines of this kind ship Node.js 20 with npm; fall back to Debian's packages elsewhere.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
