#!/usr/bin/env bash
# tests/bench/wasm.sh: the verifier package's section of `make bench` alone
# (`make bench-wasm`): fresh keys and tokens from mint.mjs (jose), then wasm.mjs:
# ops/s of both crypto modes next to jose and fast-jwt, cold start, module sizes,
# and the targets. BENCH_ALGS as in run.sh (default: HS256 RS256 PS256 ES256
# ES384 EdDSA; "all" adds HS512 RS512 ES512). About 70 s for the default list.
set -euo pipefail
cd "$(dirname "$0")/../.."
CORE_ALGS="HS256 RS256 PS256 ES256 ES384 EdDSA"
ALGS=${BENCH_ALGS:-$CORE_ALGS}
[ "$ALGS" = all ] && ALGS="$CORE_ALGS HS512 RS512 ES512"
read -r -a alg_list <<<"$ALGS"
for f in verifier-wasm/dist/verifier.wasm verifier-wasm/dist/verifier-small.wasm verifier-wasm/node.js; do
	[ -s "$f" ] || { echo "bench: $f not found: run 'make wasm' first" >&2; exit 1; }
done
[ -d tests/node_modules/jose ] && [ -d tests/node_modules/fast-jwt ] || {
	echo "bench: tests/node_modules lacks jose or fast-jwt: run 'npm ci' in tests/" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node tests/bench/mint.mjs "$tmp" "${alg_list[@]}"
node tests/bench/wasm.mjs "$tmp" "${alg_list[@]}"
