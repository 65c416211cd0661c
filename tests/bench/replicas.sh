#!/usr/bin/env bash
# tests/bench/replicas.sh: the scale-out benchmark. In one run: identity-backend on
# SQLite, on PostgreSQL with one replica, on PostgreSQL with two replicas behind
# HAProxy, and node-oidc-provider: client_credentials, code exchange and refresh
# rotation per second with p99, ratios (to SQLite for client_credentials, to
# node-oidc-provider for the rest), RSS per server process and PostgreSQL
# connections (tests/bench/replicas.mjs says exactly what it does).
#
#   make bench-replicas                          # builds, then runs this script
#   BUILD=build bash tests/bench/replicas.sh      # the same without rebuilding
#   BENCH_REPLICAS_SECONDS=10 BENCH_REPLICAS_CODES=5000 ...   # longer runs
#
# It starts its own PostgreSQL (tests/pg.sh) and HAProxy and stops them. A
# benchmark, not a test: it asserts no speed target and exits non-zero only when a
# component fails (a server that does not start, an answer other than the expected one).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD
[ -x "$BUILD/bin/identity-backend" ] || { echo "bench-replicas: $BUILD/bin/identity-backend not found: run 'make' first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node tests/bench/replicas.mjs "$tmp"
