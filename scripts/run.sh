#!/usr/bin/env bash
# Builds the release binary and starts the proxy (8001), the metrics API (8002), recording to
# ./data/metrics.db. Extra arguments are passed to llm-metrics-proxy (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release -DLMP_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target llm-metrics-proxy -j"$(nproc)"
exec build/release/src/llm-metrics-proxy "$@"
