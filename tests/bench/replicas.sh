#!/usr/bin/env bash
# tests/bench/replicas.sh: the scale-out benchmark. In one run on this machine:
# identity-backend on SQLite, on PostgreSQL with one replica, on PostgreSQL with two
# replicas behind HAProxy, and node-oidc-provider; for each, client_credentials
# tokens/s, authorization-code exchanges/s and refresh-token rotations/s with their
# p50 and p99, the ratio to node-oidc-provider, the RSS of each server process under
# load and the PostgreSQL connections the replicas hold (tests/bench/replicas.mjs says
# exactly how).
#
#   make bench-replicas                          # builds, then runs this script
#   BUILD=build bash tests/bench/replicas.sh     # the same without rebuilding
#   BENCH_REPLICAS_SECONDS=10 bash tests/bench/replicas.sh   # longer measurements
#
# It builds nothing: `make` has built $BUILD/bin/identity-backend. Needs wrk, haproxy,
# the PostgreSQL server and psql (scripts/setup.sh installs them), node, and
# tests/node_modules (oidc-provider, jose). It starts its own PostgreSQL (tests/pg.sh),
# HAProxy, servers and peers, in a temp dir removed at the end, and stops them, also
# when it fails or is interrupted. About a minute and a half with the defaults
# (BENCH_REPLICAS_SECONDS=10: three and a half minutes).
#
# Knobs: BENCH_REPLICAS_SECONDS (3: each measured load), BENCH_REPLICAS_WARMUP (1: wrk's
# warm-up), BENCH_REPLICAS_CONNS (64: Node lanes for logins, exchanges, refreshes),
# BENCH_REPLICAS_WRK_CONNS (32) and BENCH_REPLICAS_WRK_THREADS (1) for
# client_credentials, BENCH_REPLICAS_USERS (8: users the logins take turns with),
# BENCH_DB_POOL_SIZE (unset: serve's default DB_POOL_SIZE).
#
# A benchmark, not a test: it asserts no speed target and exits non-zero only when a
# component fails (a tool missing, a server that does not start, an answer other than
# the expected one).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD

fail() {
	echo "bench-replicas: FAILED: $*" >&2
	exit 1
}

[ -x "$BUILD/bin/identity-backend" ] || fail "$BUILD/bin/identity-backend not found: run 'make' first"
for t in node wrk psql; do
	command -v "$t" >/dev/null 2>&1 || fail "$t is not installed (scripts/setup.sh)"
done
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || fail "haproxy is not installed (scripts/setup.sh)"
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || fail "the PostgreSQL server is not installed (scripts/setup.sh)"
for m in oidc-provider jose; do
	[ -d "tests/node_modules/$m" ] || fail "tests/node_modules lacks $m: run 'npm install' in tests/ (or scripts/setup.sh)"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node tests/bench/replicas.mjs "$tmp"
