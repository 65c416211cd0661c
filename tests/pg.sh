#!/usr/bin/env bash
# tests/pg.sh: a throwaway PostgreSQL server for one test run, in its own folder.
#   tests/pg.sh start DIR   initdb into DIR/data, start on a free port with its unix
#                           socket in DIR, print the superuser's URL (database
#                           "postgres") on stdout; DIR is created if missing.
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

case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown "$owner" "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U idb --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	for _ in $(seq 1 20); do
		port=$((20000 + RANDOM % 30000))
		if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
			-o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null 2>&1; then
			echo "postgresql://idb@127.0.0.1:$port/postgres"
			exit 0
		fi
	done
	cat "$dir/server.log" >&2
	exit 1
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
