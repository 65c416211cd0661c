#!/usr/bin/env bash
# short.test.sh: the short fuzz run of `make test`: every target for
# $FUZZ_SHORT_SECONDS (default 10) seconds, after replaying its regression
# inputs, printing tests/run.sh's lines ("ok - fuzz jwt: N runs, no crash",
# "not ok - …"; "skip - …" when the fuzz binaries are not built). The long run
# is `make fuzz FUZZ_SECONDS=N` (tests/fuzz/run.sh).
exec bash "$(dirname "$0")/run.sh" --tap "${FUZZ_SHORT_SECONDS:-10}"
