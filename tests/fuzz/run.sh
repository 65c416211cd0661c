#!/usr/bin/env bash
# run.sh: run the libFuzzer targets of tests/fuzz/ one after the other (never in
# parallel: the machines are shared), each for SECONDS over its corpus.
#
#   tests/fuzz/run.sh [--tap] [SECONDS [NAME...]]     (make fuzz FUZZ_SECONDS=N)
#
# SECONDS defaults to $FUZZ_SECONDS or 60; NAMEs default to every target. Each
# target first replays tests/fuzz/regressions/<name>-* (inputs that once
# crashed it), then fuzzes build/fuzz/corpus/<name>/, which starts as a copy of
# the committed seeds tests/fuzz/corpus/<name>/ and keeps what runs add (the
# repository is never written). Crash, leak and timeout inputs go to
# build/fuzz/crashes/<name>-*, the libFuzzer log to build/fuzz/logs/<name>.log
# (<name>.short.log with --tap), and one line per run is appended to
# build/fuzz/stats.tsv (when, target, seconds it took, runs, cov, ft, result) so
# the total fuzzing time can be summed later.
# Exit status: 0 when no target crashed, 1 otherwise, 2 on a usage error.
#
# --tap prints one "ok - …" / "not ok - …" / "skip - …" line per target and per
# regression replay (tests/run.sh's suite format); otherwise a one-line summary
# per target.
set -u
cd "$(dirname "$0")/../.."
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
ALL="jwt jwks json http router webauthn mail"

tap=0
if [ "${1:-}" = "--tap" ]; then tap=1; shift; fi
secs=${1:-${FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
names=${*:-$ALL}
case "$secs" in '' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number, got '$secs'" >&2; exit 2 ;; esac

# Longest input per target: a token well past the 8 KiB a header can use, a key
# set of a few RSA-4096 keys, a JSON header or claim set, one header value, a
# request with a small body, and an attestation object a little past its cap.
max_len() {
	case "$1" in
	jwt) echo 8192 ;; jwks) echo 16384 ;; json) echo 4096 ;; http) echo 2048 ;; router) echo 8192 ;;
	webauthn) echo 4608 ;;
	*) echo 4096 ;;
	esac
}

say() { # ok|not ok|skip, text
	if [ "$tap" -eq 1 ]; then echo "$1 - $2${3:+ ($3)}"; else echo "$2${3:+ ($3)}"; fi
}

mkdir -p "$FUZZ_DIR/crashes" "$FUZZ_DIR/logs"
failed=0
for n in $names; do
	bin="$FUZZ_DIR/bin/fuzz_$n"
	if [ ! -x "$bin" ]; then
		if [ "$tap" -eq 1 ]; then
			say "skip" "fuzz $n: $bin is not built (make fuzz-build; needs clang-14 and libclang-rt-14-dev)"
		else
			say "not ok" "fuzz $n: $bin is not built (make fuzz-build)"
			failed=1
		fi
		continue
	fi
	log="$FUZZ_DIR/logs/$n.log"
	[ "$tap" -eq 1 ] && log="$FUZZ_DIR/logs/$n.short.log" # never clobber a long run's log

	# 1. Regressions: every saved reproducer must now run clean.
	regs=(tests/fuzz/regressions/"$n"-*)
	if [ -e "${regs[0]}" ]; then
		if "$bin" -runs=1 "${regs[@]}" >"$log.regressions" 2>&1; then
			say "ok" "fuzz $n: ${#regs[@]} regression input(s) replay clean"
		else
			say "not ok" "fuzz $n: a regression input crashes again, see $log.regressions"
			failed=1
		fi
	fi

	# 2. Fuzzing over the working corpus.
	corpus="$FUZZ_DIR/corpus/$n"
	mkdir -p "$corpus"
	cp -n tests/fuzz/corpus/"$n"/* "$corpus"/ 2>/dev/null
	before=$(find "$FUZZ_DIR/crashes" -name "$n-*" | wc -l)
	start=$(date +%s)
	"$bin" -max_total_time="$secs" -max_len="$(max_len "$n")" -dict="tests/fuzz/$n.dict" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/crashes/$n-" \
		"$corpus" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -a -E '^#[0-9]+.* cov: ' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	after=$(find "$FUZZ_DIR/crashes" -name "$n-*" | wc -l)
	result=ok
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		result=crash
		failed=1
		art=$(grep -a -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
		say "not ok" "fuzz $n: crashed after ${runs:-?} runs, ${took}s (exit $rc), input ${art:-?}, log $log"
		grep -a -E '^(==[0-9]+==ERROR|FUZZ_CHECK|SUMMARY|.*runtime error)' "$log" | head -3 | sed 's/^/    /'
	else
		say "ok" "fuzz $n: ${runs:-0} runs, no crash" "${took}s, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$n" "$took" "${runs:-0}" "${cov:-}" "${ft:-}" \
		"$result" >>"$FUZZ_DIR/stats.tsv"
done
exit "$failed"
