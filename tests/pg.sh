#!/usr/bin/env bash
# tests/pg.sh: a throwaway PostgreSQL server for one test run, in its own folder.
#   tests/pg.sh start DIR   initdb into DIR/data, start on a free port with its unix
#                           socket in DIR, print the superuser's URL (database
#                           "postgres") on stdout; DIR is created if missing.
#   tests/pg.sh standby PRIMARY DIR
#                           a hot standby of the server in folder PRIMARY, by
#                           streaming replication (pg_basebackup -R), started in DIR
#                           on a free port; the primary then commits synchronously
#                           (a commit waits for the standby). Prints its URL.
#   tests/pg.sh promote DIR make the standby in DIR a primary (pg_ctl promote).
#   tests/pg.sh crash DIR   kill -9 the server in DIR and every process it started.
#   tests/pg.sh stop DIR    stop it (immediate) and remove DIR.
# Runs the server as the invoking user, or as "postgres" (or "nobody") when
# that is root, which PostgreSQL refuses. Authentication is trust, on loopback
# and the socket only: a test server, never a real one.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: tests/pg.sh start|stop DIR" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/pg_ctl" ] || { echo "tests/pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
	owner=postgres
	id -u postgres >/dev/null 2>&1 || owner=nobody
fi

# Start the cluster in $1/data on a free port with its socket in $1; print the port.
start_on_free_port() {
	for _ in $(seq 1 20); do
		port=$((20000 + RANDOM % 30000))
		if as_owner "$bindir/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 start \
			-o "-k $1 -p $port -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null 2>&1; then
			echo "$port"
			return 0
		fi
	done
	cat "$1/server.log" >&2
	return 1
}

# The port of the running server in folder $1.
port_of() { sed -n 4p "$1/data/postmaster.pid"; }

case "$cmd" in
standby)
	primary=$dir
	dir=${3:-}
	[ -n "$dir" ] || { echo "usage: tests/pg.sh standby PRIMARY DIR" >&2; exit 2; }
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown "$owner" "$dir"
	pport=$(port_of "$primary")
	as_owner "$bindir/pg_basebackup" -h 127.0.0.1 -p "$pport" -U idb -D "$dir/data" -R -X stream \
		>"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
	port=$(start_on_free_port "$dir") || exit 1
	psql=("$bindir/psql" -h 127.0.0.1 -p "$pport" -U idb -d postgres -qAt)
	for _ in $(seq 1 100); do # until the standby streams
		[ "$(as_owner "${psql[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ] && break
		sleep 0.1
	done
	as_owner "${psql[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
	echo "postgresql://idb@127.0.0.1:$port/postgres"
	;;
promote)
	as_owner "$bindir/pg_ctl" -D "$dir/data" -w promote >/dev/null
	;;
crash)
	pid=$(head -1 "$dir/data/postmaster.pid")
	pkill -9 -P "$pid" 2>/dev/null || true
	kill -9 "$pid"
	;;
start)
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown "$owner" "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U idb --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	port=$(start_on_free_port "$dir") || exit 1
	echo "postgresql://idb@127.0.0.1:$port/postgres"
	;;
stop)
	[ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	echo "usage: tests/pg.sh start|stop DIR" >&2
	exit 2
	;;
esac
