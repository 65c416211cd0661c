#!/usr/bin/env bash
# Runs every C unit test under valgrind's memcheck (invalid reads and writes, uses of
# undefined values, definite and indirect leaks) and ends with "N passed, N failed".
# test_ct and test_mfa_ct are left out: they run themselves under valgrind as part of `make test`.
# About 2.5 minutes on 2 cores (test_keys, RSA key generation, is most of it).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export VECTORS=${VECTORS:-$PWD/tests/vectors}
command -v valgrind >/dev/null || { echo "not ok - valgrind is not installed (run scripts/setup.sh)"; exit 1; }
passed=0 failed=0
for t in "$BUILD"/tests/test_*; do
	name=$(basename "$t")
	case $name in test_ct | test_mfa_ct) continue ;; esac
	log="$BUILD/valgrind-$name.log"
	if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$t" >"$log" 2>&1; then
		echo "ok - valgrind $name"
		passed=$((passed + 1))
	else
		echo "not ok - valgrind $name (see $log)"
		grep -E '^==[0-9]+==' "$log" | head -30 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
