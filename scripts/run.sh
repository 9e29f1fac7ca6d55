#!/usr/bin/env bash
# Builds the release binary and starts the proxy (8001), the metrics API (8002), recording to
# ./data/metrics.db. Extra arguments are passed to llm-metrics-proxy (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The dashboard (dashboard/, TypeScript + Vite) is built first: the binary embeds dashboard/dist.
# Without npm the binary still builds and its dashboard page says how to build it.
if command -v npm >/dev/null; then
  (cd dashboard && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
else
  echo "npm not found: building without the dashboard (see docs/dashboard.md)" >&2
fi
cmake --preset release -DLMP_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target llm-metrics-proxy -j"$(nproc)"
exec build/release/src/llm-metrics-proxy "$@"
