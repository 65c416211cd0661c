#!/usr/bin/env bash
# tests/bench: JWT verification throughput, native core vs the Node peers.
#
#   make bench                      # builds everything, then runs this script
#   BUILD=build bash tests/bench/run.sh   # the same without rebuilding
#
# What it does (it builds nothing: `make bench` has already built
# $BUILD/bench/bench_verify from tests/bench/bench_verify.c):
#   1. mint.mjs (jose) makes, in a temp dir, a fresh key and one realistic access
#      token per algorithm (iss, sub, aud, exp far ahead, iat, jti, scope, ...:
#      ~300 bytes of claims, kid and typ in the header; RSA keys are 2048-bit):
#      <ALG>.jwks.json (the public JWK Set, the oct key for HS*), <ALG>.token and
#      <ALG>.key.json (the key in the form the Node peers take).
#   2. bench_verify imports each JWK Set once and calls jose_jwt_verify in a loop
#      (allowlist = that alg, now = the clock, issuer and audience checked); every
#      call must return JOSE_OK and is freed with jose_jwt_clear.
#   3. peers.mjs does the same with jose (await jwtVerify, KeyObject imported once,
#      issuer/audience) and fast-jwt (createVerifier with algorithms, allowedIss,
#      allowedAud, cache disabled). fast-jwt's token cache is also measured, as its
#      own column: a cache hit is a hash of the token and a map lookup, not a
#      verification, so it is never compared with the others.
#   4. A table of ops/s and ratios, with nproc and the CPU.
#   5. Package section (wasm.mjs, one Node process, same tokens; alone: `make
#      bench-wasm`): @identity-backend/verifier in both crypto modes (auto: the small
#      module with node:crypto's arithmetic; wasm: the full module's wolfCrypt),
#      createVerifier once per alg, sync verify, against jose and fast-jwt (cache off),
#      all interleaved round by round, counted per CPU-second of the process (a core
#      another process takes counts against no library); cold start per mode (median
#      and fastest of 7 fresh Node children running an ES module file: import +
#      createVerifier + first ES256 verify; the CommonJS figure apart); both modules'
#      sizes raw and gzip -9; and the targets, each marked met or MISSED with its
#      margin (reported, never asserted). Figures are medians of BENCH_WASM_ROUNDS
#      (15) interleaved rounds of BENCH_WASM_ROUND_MS (200) ms.
#
# Method: one thread, one token in flight at a time; each figure is the median of
# BENCH_ROUNDS (5) rounds of BENCH_ROUND_MS (1000) ms after one uncounted warm-up
# round of BENCH_WARMUP_MS (200) ms; the fast-jwt+cache rounds last
# BENCH_CACHE_ROUND_MS (200) ms. Note that jose hands RSA/EC/EdDSA verification to
# Node's libuv thread pool (promisified crypto.verify) and awaits it, so its
# figures include that hand-off; the work itself still runs one call at a time.
#
# Algorithms: BENCH_ALGS, default "HS256 RS256 PS256 ES256 ES384 EdDSA" (about
# 100 s in all, plus about 85 s for the WASM section); BENCH_ALGS=all adds HS512
# RS512 ES512 (about 150 s + 130 s); or give any space-separated list of those names.
# BENCH_WASM=0 skips the WASM section.
#
# Run it on an idle machine: another busy process (a test suite, a build) takes
# cores from it, and jose, which needs a second thread, suffers most; the load
# average at the start is printed with the table for that reason.
#
# This is a benchmark, not a test: it asserts no speed target. It exits non-zero
# only when a component fails (build output missing, a key or token refused, a
# peer throwing, a figure missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN="$BUILD/bench/bench_verify"
WASM_FILE=verifier-wasm/dist/verifier-small.wasm
BENCH_WASM=${BENCH_WASM:-1}

CORE_ALGS="HS256 RS256 PS256 ES256 ES384 EdDSA"
EXTRA_ALGS="HS512 RS512 ES512"
ALGS=${BENCH_ALGS:-$CORE_ALGS}
[ "$ALGS" = all ] && ALGS="$CORE_ALGS $EXTRA_ALGS"
read -r -a alg_list <<<"$ALGS"

fail() {
	echo "bench: FAILED: $*" >&2
	exit 1
}

[ -x "$BIN" ] || fail "$BIN not found: run 'make bench' (or 'make') first"
command -v node >/dev/null 2>&1 || fail "node is not installed"
if [ ! -d tests/node_modules/jose ] || [ ! -d tests/node_modules/fast-jwt ]; then
	fail "tests/node_modules lacks jose or fast-jwt: run 'npm ci' in tests/"
fi
if [ "$BENCH_WASM" != 0 ] && [ ! -s "$WASM_FILE" ]; then
	fail "$WASM_FILE not found: run 'make bench' (or 'make wasm') first, or set BENCH_WASM=0"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

echo "bench: minting keys and tokens for: ${alg_list[*]}" >&2
node tests/bench/mint.mjs "$tmp" "${alg_list[@]}" || fail "mint.mjs"

echo "bench: native (jose_jwt_verify) ..." >&2
"$BIN" "$tmp" "${alg_list[@]}" >"$tmp/native.out" || {
	cat "$tmp/native.out" >&2
	fail "bench_verify (see the error above)"
}

echo "bench: Node peers (jose, fast-jwt) ..." >&2
node tests/bench/peers.mjs "$tmp" "${alg_list[@]}" >"$tmp/peers.out" || {
	cat "$tmp/peers.out" >&2
	fail "peers.mjs (see the error above)"
}

cat "$tmp/native.out" "$tmp/peers.out" >"$tmp/all.out"
for alg in "${alg_list[@]}"; do
	for who in native jose fast-jwt fast-jwt+cache; do
		awk -v w="$who" -v a="$alg" '$1 == w && $2 == a && $3 ~ /^[0-9]+$/ && $3 > 0 { f = 1 } END { exit !f }' \
			"$tmp/all.out" || fail "no figure for $who $alg"
	done
done

if [ "$BENCH_WASM" != 0 ]; then
	echo "bench: WASM package vs jose, fast-jwt (interleaved), cold start, size ..." >&2
	node tests/bench/wasm.mjs "$tmp" "${alg_list[@]}" >"$tmp/wasm.out" || {
		cat "$tmp/wasm.out" >&2
		fail "wasm.mjs (see the error above)"
	}
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
case "$BUILD" in
*system-wolfssl*) wc="Debian libwolfssl $(pkg-config --modversion wolfssl 2>/dev/null || echo '?') (WOLFCRYPT=system)" ;;
*)
	wc_src=$(find third_party/src -maxdepth 1 -name 'wolfssl-*' -printf '%f\n' 2>/dev/null | head -1)
	wc="wolfCrypt ${wc_src#wolfssl-} from source (conf/wolfcrypt-native: SP x86-64 asm)"
	;;
esac
echo
echo "JWT verification, ops/s (single thread; medians of ${BENCH_ROUNDS:-5} rounds of ~${BENCH_ROUND_MS:-1000} ms on one core)"
echo "machine: nproc=$(nproc), cpu=${cpu:-unknown}, load average at start $load0"
echo "native: $wc; peers: node $(node --version) (OpenSSL $(node -p process.versions.openssl))"
echo
awk -v algs="${alg_list[*]}" '
	{ v[$1 " " $2] = $3 }
	function ratio(a, b) { return sprintf("%.2fx", a / b) }
	END {
		fmt = "%-6s | %12s | %10s | %14s | %11s | %15s | %20s\n"
		printf fmt, "alg", "native ops/s", "jose ops/s", "fast-jwt ops/s", "native/jose", "native/fast-jwt", "(fast-jwt+cache ops/s)"
		printf "%s\n", "-------+--------------+------------+----------------+-------------+-----------------+-----------------------"
		n = split(algs, A, " ")
		for (i = 1; i <= n; i++) {
			a = A[i]; nat = v["native " a]; jo = v["jose " a]; fj = v["fast-jwt " a]; fc = v["fast-jwt+cache " a]
			printf fmt, a, nat, jo, fj, ratio(nat, jo), ratio(nat, fj), fc
		}
	}' "$tmp/all.out"
echo
echo "Notes: figures are medians of ${BENCH_ROUNDS:-5} rounds of ~${BENCH_ROUND_MS:-1000} ms, one verification at a"
echo "time on one core. \"fast-jwt+cache\" is a cache hit (hash + map lookup, no signature"
echo "check), shown for reference only."
if [ "$BENCH_WASM" != 0 ]; then
	echo
	cat "$tmp/wasm.out"
fi
echo
echo "Total run time: $((SECONDS - start)) s."
