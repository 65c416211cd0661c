#!/usr/bin/env bash
# tests/bench/soak.sh: the hardening soak (issue 6, item 3). A benchmark script,
# not part of `make test`.
#
#   make && bash tests/bench/soak.sh               # 60 s
#   SOAK_SECONDS=10 bash tests/bench/soak.sh       # smoke run (~15 s in all)
#
# What it does, in a temp dir removed at the end (SOAK_KEEP=1 keeps it):
#   1. `identity-backend client add --id soak --audience api --scope "read write"`
#      on a fresh database; starts `identity-backend serve --threads
#      SOAK_SERVER_THREADS (2)` on a free loopback port with ACCESS_LOG=on and its
#      stderr (the access log) sent to a file; mints one access token with curl.
#   2. wrk -t SOAK_WRK_THREADS (2) -c SOAK_CONNECTIONS (64) for SOAK_WARMUP (3) s,
#      not counted, then for SOAK_SECONDS (60) s measured, with tests/bench/soak.lua:
#      every connection rotates among POST /token (client_credentials), POST
#      /verify (the pre-minted token), POST /introspect (the same) and GET
#      /.well-known/jwks.json; every 200 is checked for what it must say.
#   3. While the measured run lasts, the server's VmRSS (and its open file
#      descriptors) are read from /proc/PID every second.
#   4. After it: /metrics is read (the server's own count of 5xx answers), the
#      access log is checked (no 5xx line), SIGTERM must stop the server with
#      exit 0 within 5 s.
#
# It prints: total requests, req/s, latency p50/p99/max, answers by status,
# wrong answers, socket errors (connect/read/write/timeout), RSS mean over the
# first and the last W seconds of the measured run (W = 10, or SOAK_SECONDS/2
# when that is less) and the growth in %, open fds before and after (a leak check).
#
# Exit status: 0 when the issue's criteria hold: no 5xx, no socket error or
# timeout, no 4xx (none is sent on purpose), no wrong answer, RSS growth < 10%
# (SOAK_MAX_GROWTH). 1 when one does not, or when a component fails.
#
# wrk and the server share the machine's cores; run on an idle machine for
# meaningful rates (the load average at the start is printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=$PWD/$BUILD/bin/identity-backend
LUA=$PWD/tests/bench/soak.lua
SECONDS_=${SOAK_SECONDS:-60}
WARMUP=${SOAK_WARMUP:-3}
CONNS=${SOAK_CONNECTIONS:-64}
SERVER_THREADS=${SOAK_SERVER_THREADS:-2}
WRK_THREADS=${SOAK_WRK_THREADS:-2}
MAX_GROWTH=${SOAK_MAX_GROWTH:-10}

fail() {
	echo "soak: FAILED: $*" >&2
	exit 1
}

[ -x "$BIN" ] || fail "$BIN not found: run 'make' first"
command -v wrk >/dev/null 2>&1 || fail "wrk is not installed (apt-get install wrk, or scripts/setup.sh)"
command -v curl >/dev/null 2>&1 || fail "curl is not installed"
command -v node >/dev/null 2>&1 || fail "node is not installed (used to find a free port)"
[[ $SECONDS_ =~ ^[0-9]+$ && $SECONDS_ -ge 2 ]] || fail "SOAK_SECONDS must be an integer >= 2"
[[ $WARMUP =~ ^[0-9]+$ ]] || fail "SOAK_WARMUP must be an integer >= 0"

tmp=$(mktemp -d)
server_pid=
sampler_pid=
cleanup() {
	[ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		sleep 1
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

db=$tmp/identity.db
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
base=http://127.0.0.1:$port
mport=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

echo "soak: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$WRK_THREADS -c$CONNS, ${WARMUP} s warm-up + ${SECONDS_} s measured; serve --threads $SERVER_THREADS"

# 1. client, server, token
added=$("$BIN" client add --db "$db" --id soak --audience api --scope "read write") || fail "client add failed"
secret=$(printf '%s' "$added" | sed -n 's/.*"client_secret":[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$secret" ] || fail "client add printed no secret"
basic=$(printf 'soak:%s' "$secret" | base64 -w0)

ACCESS_LOG=on JWT_EXPIRATION_MINUTES=1440 METRICS_LISTEN=127.0.0.1:$mport "$BIN" serve --db "$db" --listen "127.0.0.1:$port" \
	--threads "$SERVER_THREADS" 2>"$tmp/access.log" &
server_pid=$!
for _ in $(seq 1 100); do
	grep -q '"listening"' "$tmp/access.log" 2>/dev/null && break
	kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start-up: $(head -3 "$tmp/access.log")"
	sleep 0.05
done
grep -q '"listening"' "$tmp/access.log" || fail "the server is not listening after 5 s"

answer=$(curl -sS -H "Authorization: Basic $basic" -d grant_type=client_credentials -d scope=read "$base/token")
token=$(printf '%s' "$answer" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "no token: $answer"
check=$(curl -sS -H 'content-type: application/json' -d "{\"token\":\"$token\",\"aud\":\"api\"}" "$base/verify")
case $check in *'"valid":true'*) ;; *) fail "the pre-minted token does not verify: $check" ;; esac
export SOAK_BASIC=$basic SOAK_TOKEN=$token

# 2. warm-up (not counted), then the measured run with RSS sampling
if [ "$WARMUP" -gt 0 ]; then
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" --timeout 5s -s "$LUA" "$base" >"$tmp/warmup.out" 2>&1 ||
		fail "wrk warm-up failed: $(tail -3 "$tmp/warmup.out")"
fi
rss_idle=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
fds_start=$(ls "/proc/$server_pid/fd" | wc -l)

(
	# one sample per second, on the second (no drift): "second rss_kb fds"
	t0=${EPOCHREALTIME/[.,]/}
	i=0
	while kill -0 "$server_pid" 2>/dev/null; do
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true)
		fds=$(ls "/proc/$server_pid/fd" 2>/dev/null | wc -l)
		[ -n "$rss" ] && echo "$i $rss $fds"
		i=$((i + 1))
		now=${EPOCHREALTIME/[.,]/}
		wait_us=$((t0 + i * 1000000 - now))
		[ "$wait_us" -gt 0 ] && sleep "$(printf "%d.%06d" $((wait_us / 1000000)) $((wait_us % 1000000)))"
	done
) >"$tmp/rss.txt" &
sampler_pid=$!
wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_}s" --timeout 5s --latency -s "$LUA" "$base" >"$tmp/wrk.out" 2>&1 ||
	fail "wrk failed: $(tail -5 "$tmp/wrk.out")"
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=
sleep 0.5 # wrk has closed its connections
fds_after=$(ls "/proc/$server_pid/fd" | wc -l)

# 3. figures
summary=$(grep '^SOAK summary ' "$tmp/wrk.out") || fail "wrk printed no summary: $(tail -5 "$tmp/wrk.out")"
field() { printf '%s\n' "$summary" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
requests=$(field requests) duration_us=$(field duration_us)
connect=$(field connect) read_=$(field read) write_=$(field write) timeout=$(field timeout) non2xx=$(field non2xx)
p50=$(field p50_us) p99=$(field p99_us) max=$(field max_us)
rate=$(awk -v n="$requests" -v d="$duration_us" 'BEGIN {printf "%.0f", n / (d / 1e6)}')
statuses=$(grep '^SOAK status ' "$tmp/wrk.out" | awk '{print $3, $4}' | sort -n)
count_status() { printf '%s\n' "$statuses" | awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 <= hi {s += $2} END {print s + 0}'; }
n5xx=$(count_status 500 599)
n4xx=$(count_status 400 499)
kind() { grep "^SOAK kind $1 " "$tmp/wrk.out" | awk '{print $4}'; }
wrong=$(kind wrong)

samples=$(wc -l <"$tmp/rss.txt")
window=10
[ $((SECONDS_ / 2)) -lt $window ] && window=$((SECONDS_ / 2))
[ "$samples" -ge 4 ] || fail "only $samples RSS samples for a ${SECONDS_} s run"
[ "$samples" -ge $((2 * window)) ] || window=$((samples / 2))
# the last sample may fall after wrk ended: keep the first SECONDS_ samples at most
keep=$samples
[ "$keep" -gt "$SECONDS_" ] && keep=$SECONDS_
read -r rss_first rss_last rss_max growth < <(head -n "$keep" "$tmp/rss.txt" | awk -v w="$window" -v n="$keep" '
	{ rss[NR] = $2; if ($2 > max) max = $2 }
	END {
		for (i = 1; i <= w; i++) a += rss[i]
		for (i = n - w + 1; i <= n; i++) b += rss[i]
		a /= w; b /= w
		printf "%.0f %.0f %d %.2f\n", a, b, max, (b - a) * 100 / a
	}')

# 4. the server's view, the access log, a clean stop
metrics=$(curl -sS "http://127.0.0.1:$mport/metrics") || fail "GET /metrics (METRICS_LISTEN) failed after the run"
m5xx=$(printf "%s\n" "$metrics" | awk '/^idb_http_requests_total\{/ && /code="5/ {s += $NF} END {print s + 0}')
m_total=$(printf "%s\n" "$metrics" | awk '/^idb_http_requests_total\{/ {s += $NF} END {print s + 0}')
log_lines=$(grep -c '"msg":"request"' "$tmp/access.log" || true)
log_5xx=$(grep -c '"status":5[0-9][0-9]' "$tmp/access.log" || true)
log_bytes=$(stat -c %s "$tmp/access.log")
kill -TERM "$server_pid"
stopped=
for _ in $(seq 1 50); do
	kill -0 "$server_pid" 2>/dev/null || {
		stopped=1
		break
	}
	sleep 0.1
done
stop_rc=1
if [ -n "$stopped" ]; then
	wait "$server_pid" && stop_rc=0 || stop_rc=$?
fi
server_pid=

echo
echo "requests        $requests in $(awk -v d="$duration_us" 'BEGIN {printf "%.1f", d / 1e6}') s = $rate req/s (latency p50 $((p50 / 1000)) ms, p99 $((p99 / 1000)) ms, max $((max / 1000)) ms)"
echo "by status       $(printf '%s\n' "$statuses" | awk '{printf "%s%s: %s", sep, $1, $2; sep = ", "}')"
echo "200s by kind    token $(kind token), verify $(kind verify), introspect $(kind introspect), jwks $(kind jwks); wrong answers $wrong"
echo "non-2xx         $non2xx (4xx $n4xx, 5xx $n5xx; the server's /metrics: $m5xx 5xx of $m_total answers)"
echo "socket errors   connect $connect, read $read_, write $write_, timeout $timeout"
echo "RSS (VmRSS)     idle after warm-up $rss_idle kB; first ${window} s mean $rss_first kB, last ${window} s mean $rss_last kB, growth $growth% (max $rss_max kB, $samples samples)"
echo "open fds        $fds_start before the run, $fds_after after it (connections closed)"
echo "access log      $log_lines request lines ($((log_bytes / 1024)) KiB), $log_5xx with a 5xx status"
echo "SIGTERM         $([ -n "$stopped" ] && echo "stopped, exit $stop_rc" || echo "still running after 5 s")"

problems=()
[ "$n5xx" -eq 0 ] || problems+=("$n5xx answers with a 5xx status")
[ "$m5xx" -eq 0 ] || problems+=("/metrics counts $m5xx 5xx answers")
[ "$m_total" -ge "$requests" ] || problems+=("/metrics counts $m_total answers, fewer than wrk's $requests")
[ "$fds_after" -le "$fds_start" ] || problems+=("open fds grew from $fds_start to $fds_after")
[ "$log_5xx" -eq 0 ] || problems+=("the access log has $log_5xx 5xx lines")
[ "$n4xx" -eq 0 ] || problems+=("$n4xx answers with a 4xx status (none is sent on purpose)")
[ "$((connect + read_ + write_ + timeout))" -eq 0 ] || problems+=("socket errors or timeouts")
[ "${wrong:-0}" -eq 0 ] || problems+=("$wrong 200 answers that do not say what they must")
[ "$requests" -gt 0 ] || problems+=("no request completed")
awk -v g="$growth" -v m="$MAX_GROWTH" 'BEGIN {exit !(g < m)}' || problems+=("RSS grew $growth% (limit $MAX_GROWTH%)")
[ -n "$stopped" ] && [ "$stop_rc" -eq 0 ] || problems+=("SIGTERM did not stop the server cleanly")
if [ ${#problems[@]} -ne 0 ]; then
	printf 'soak: FAILED: %s\n' "${problems[@]}" >&2
	exit 1
fi
echo "soak: PASSED (0 5xx, 0 socket errors, RSS growth $growth% < $MAX_GROWTH%)"
