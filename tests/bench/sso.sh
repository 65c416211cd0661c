#!/usr/bin/env bash
# tests/bench/sso.sh: password logins per second per core at the configured
# argon2id cost (issue 5, deliverable 10; Keycloak's sizing guide plans 15
# password logins/s per vCPU), and the rates of silent SSO /authorize, code
# exchange and refresh rotation, ours against node-oidc-provider where it can run.
#
#   make bench-sso                           # builds, then runs this script
#   BUILD=build bash tests/bench/sso.sh      # the same without rebuilding
#
# It builds nothing: `make` has built $BUILD/bin/identity-backend and
# $BUILD/bench/bench_argon2 (tests/bench/bench_argon2.c). Needs node and
# tests/node_modules (oidc-provider, jose).
#
# What it does (tests/bench/sso.mjs, in a temp dir removed at the end):
#   1. bench_argon2: password_verify in a loop on one core at the configured
#      cost (the server's environment: PASSWORD_ARGON2_M_KIB/_T/_P; unset, as
#      here by default: m=19456 KiB, t=2, p=1), median of 3 rounds of 2 s.
#   2. BENCH_SSO_USERS (32) users by `identity-backend user add` (the median
#      time of one is printed) and one confidential client (`client add --grant
#      authorization_code --grant refresh_token`).
#   3. Logins, for each W in BENCH_SSO_WORKERS ("1 2"): `serve --threads 2
#      --workers W` with LOGIN_FAILURES_PER_ADDRESS=0; 4*W lanes
#      (BENCH_SSO_LOGIN_LANES_PER_WORKER), each a fresh browser per login: GET
#      /authorize (login page, flow, csrf, idb_browser cookie), POST /login as
#      the next user (round-robin, so that no account is hot) → 303 to the
#      redirect URI with a code. BENCH_SSO_LOGIN_WARMUP (2) s uncounted, then
#      BENCH_SSO_ROUNDS (3) rounds of BENCH_SSO_LOGIN_SECONDS (8) s. Meanwhile
#      GET /ping every 10 ms: its p50/p99/max show the event loop stays free.
#      Reported: logins/s, per worker (each worker hashes on one core: the "per
#      core" figure), the ratio to 15/s/vCPU and to the raw one-core rate, the
#      POST /login p50/p99, server CPU.
#   4. Codes and refresh, ours (--workers 2) then the peer: one login (ours:
#      the real form; the peer: devInteractions' login and consent forms,
#      scripted; tests/bench/sso-oidc-provider.mjs says how it is configured),
#      then per round BENCH_SSO_CODES (3000) silent /authorize requests with the
#      session cookie (each a redirect with a code: the SSO rate) and the
#      exchange of each code at /token (200 with id_token, access_token and
#      refresh_token: the exchange rate); then refresh_token rotations of all
#      those families, each rotated sequentially, BENCH_SSO_CONNS (64) lanes,
#      1 s warm-up then BENCH_SSO_ROUNDS rounds of BENCH_SSO_SECONDS (5) s.
#   5. Tables, and the reference (15 logins/s per vCPU) marked met or MISSED.
#
# The driver is one Node process on the same 2 cores as the server, so these
# are shared-core figures; run on an idle machine (the load average at the start
# is printed). Rates are medians of the rounds. About 3 minutes.
# BENCH_SSO_PEER=0 leaves the peer out. The database lives in the temp dir and
# commits with an fsync each (WAL, synchronous=FULL): code exchanges and refreshes
# are bound by that disk; TMPDIR=/dev/shm measures them without it.
#
# This is a benchmark, not a test: it asserts no speed target. It exits non-zero
# only when a component fails (a binary or package missing, a server that does
# not start, any answer other than the expected one: a non-2xx token answer, a
# login without its 303 and code, a /ping that is not 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD

fail() {
	echo "bench-sso: FAILED: $*" >&2
	exit 1
}

[ -x "$BUILD/bin/identity-backend" ] || fail "$BUILD/bin/identity-backend not found: run 'make' first"
[ -x "$BUILD/bench/bench_argon2" ] || fail "$BUILD/bench/bench_argon2 not found: run 'make' first"
command -v node >/dev/null 2>&1 || fail "node is not installed"
for m in oidc-provider jose; do
	[ -d "tests/node_modules/$m" ] || fail "tests/node_modules lacks $m: run 'npm install' in tests/ (or scripts/setup.sh)"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node tests/bench/sso.mjs "$tmp"
