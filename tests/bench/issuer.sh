#!/usr/bin/env bash
# tests/bench/issuer.sh: the issuer's client_credentials token rate (ES256, RS256,
# EdDSA), ours against node-oidc-provider configured alike, same machine, same run.
#
#   make bench-issuer                          # builds, then runs this script
#   BUILD=build bash tests/bench/issuer.sh     # the same without rebuilding
#
# It builds nothing: `make` has built $BUILD/bin/identity-backend and
# $BUILD/bench/bench_sign (tests/bench/bench_sign.c). Needs wrk (scripts/setup.sh
# installs it) and tests/node_modules (oidc-provider, openid-client, jose).
#
# What it does (tests/bench/issuer.mjs, in a temp dir removed at the end):
#   1. bench_sign: keys_sign_jws in a loop on one core, per alg (the raw signing
#      rate the RS256 target is measured against).
#   2. Start-up, spawn to the first 200: ours on GET /ping, median of
#      BENCH_ISSUER_STARTS (5) first starts (empty folder: the db and the signing
#      key are created) and as many warm starts (the same db again);
#      node-oidc-provider on its discovery document, key given, median of as many.
#   3. Per alg, ours then the peer: register the client (ours: `identity-backend
#      client add --id bench --grant client_credentials --audience api --scope
#      "read write"`; the peer: the same client in its config), start the server,
#      send the exact request wrk will send once (must be 200, and the access token
#      must verify with jose against the server's JWK Set: issuer, audience "api",
#      typ at+jwt, that alg, scope "read"), get a token through openid-client too,
#      then wrk (Lua-scripted POST /token, Basic auth, scope=read) for
#      BENCH_ISSUER_WARMUP (3) s uncounted and BENCH_ISSUER_SECONDS (10) s measured
#      at BENCH_ISSUER_CONNECTIONS (64) connections with 2 wrk threads, sampling the
#      server's VmRSS every 50 ms and its CPU time. wrk's non-2xx and socket error
#      counts must be 0.
#   4. A table: alg | ours req/s | p99 | RSS max | oidc-provider req/s | p99 | RSS
#      | ratio, details (p50, max, CPU used, idle/peak RSS, token size), the
#      start-up figures, and the issue's targets, each marked met or MISSED.
#
# Ours runs with --threads BENCH_ISSUER_THREADS (2) and JWT_ALGORITHM=ALG; its
# per-request JSON log goes to /dev/null during the load (it is still formatted
# and written). The peer is one Node process (tests/bench/issuer-oidc-provider.mjs
# says how it is configured). wrk runs on the same 2 cores as the server, so
# these are shared-core figures; run on an idle machine (the load average at the
# start is printed). About 2 minutes for the three algorithms.
#
# Other knobs: BENCH_ISSUER_ALGS ("ES256 RS256 EdDSA"), BENCH_ISSUER_WRK_THREADS
# (2), BENCH_ISSUER_OURS=0 / BENCH_ISSUER_PEER=0 to leave one side out.
#
# This is a benchmark, not a test: it asserts no speed target. It exits non-zero
# only when a component fails (a binary or package missing, a server that does
# not start, a token request that is not 200 or a token that does not verify,
# openid-client refused, wrk errors or non-2xx answers, a figure missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD

fail() {
	echo "bench-issuer: FAILED: $*" >&2
	exit 1
}

[ -x "$BUILD/bin/identity-backend" ] || fail "$BUILD/bin/identity-backend not found: run 'make' first"
[ -x "$BUILD/bench/bench_sign" ] || fail "$BUILD/bench/bench_sign not found: run 'make' first"
command -v wrk >/dev/null 2>&1 || fail "wrk is not installed (apt-get install wrk, or scripts/setup.sh)"
command -v node >/dev/null 2>&1 || fail "node is not installed"
for m in oidc-provider openid-client jose; do
	[ -d "tests/node_modules/$m" ] || fail "tests/node_modules lacks $m: run 'npm install' in tests/ (or scripts/setup.sh)"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node tests/bench/issuer.mjs "$tmp"
