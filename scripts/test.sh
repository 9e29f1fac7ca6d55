#!/usr/bin/env bash
# Builds everything with warnings as errors and runs every test: the C++ unit tests (ctest),
# then the integration tests (Node's test runner) against the real binary and the mock backend,
# then the browser tests (Playwright and Debian's Chromium) against the binary's dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

# The dashboard: install, component tests, type-check and production build (embedded by cmake).
(cd dashboard && npm ci --no-audit --no-fund --loglevel=error && npm test && npm run build --silent)

preset=${LMP_PRESET:-ci}
cmake --preset "$preset" >/dev/null
cmake --build "build/$preset" -j"$(nproc)"
ctest --preset "$preset" -j"$(nproc)"

cd tests/integration
npm ci --no-audit --no-fund --loglevel=error
LMP_BINARY="$PWD/../../build/$preset/src/llm-metrics-proxy" npm test

# The browser tests: Playwright drives Debian's Chromium against the same binary, its dashboard
# and a seeded store (tests/browser/README.md).
cd ../browser
npm ci --no-audit --no-fund --loglevel=error
LMP_BINARY="$PWD/../../build/$preset/src/llm-metrics-proxy" npm test
