#!/usr/bin/env bash
# Runs every test suite and prints the summary line "N passed, N failed".
# Suites: each C binary in $BUILD/tests/, then each tests/**/*.test.mjs under Node.
# A suite prints one line per check: "ok - …", "not ok - …" or "skip - …". A suite
# that exits non-zero without printing a "not ok" line (a crash, a missing
# dependency) counts as one failure, so nothing can fail silently.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export IDB_BIN="$PWD/$BUILD/bin/identity-backend"
export VECTORS=${VECTORS:-$PWD/tests/vectors}
# Used by SAN=1 builds only: third-party allocations LeakSanitizer must not blame on us.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_suite() { # name, command...
	local name=$1
	shift
	"$@" >"$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	s=$(grep -c '^skip - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '%-40s %5d passed %3d failed %3d skipped\n' "$name" "$p" "$f" "$s"
	if [ "$f" -ne 0 ]; then grep -E '^not ok - ' "$log" | head -40 | sed 's/^/    /'; tail -5 "$log" | grep -v '^ok - ' | sed 's/^/    | /'; fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done

# The short fuzz run (about 10 s per libFuzzer target; `make fuzz` is the long one).
run_suite "fuzz (short run)" bash tests/fuzz/short.test.sh

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
	echo "not ok - Node.js >= 20 is needed, found '$(node -v 2>/dev/null)' (scripts/setup.sh installs one)"
	failed=$((failed + 1))
else
	echo "node $(node -v) ($(command -v node))"
	while IFS= read -r js; do
		run_suite "${js#tests/}" node "$js"
	done < <(find tests -name '*.test.mjs' -not -path '*/node_modules/*' | sort)
fi

echo "$passed passed, $failed failed ($skipped skipped)"
[ "$failed" -eq 0 ]
