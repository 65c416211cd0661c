#!/usr/bin/env bash
# `make run`: serve the issuer with its defaults, after registering what the demo app
# (www/demo/, served at /demo/) needs, so a newcomer can sign in at once:
#   - the public client `demo` (PKCE; redirect and post-logout URI <issuer>/demo/);
#   - a user `demo` with a random password, printed once here when the user is created
#     (only its argon2id hash is stored; it is never shown again).
# Both steps run on every start and change nothing when the client and user exist.
# Any other failure of the CLI stops here with its message. DEMO=0 skips both.
# Settings: BIN (the binary), DB (default var/identity.db), PORT (default 8080: serve
# listens on 127.0.0.1:PORT), JWT_ISSUER (default http://127.0.0.1:PORT). The demo
# client is registered for the first issuer it is run with; after changing the port,
# `identity-backend client remove demo` once, and make run registers it again.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/identity-backend}
DB=${DB:-var/identity.db}
PORT=${PORT:-8080}
case "$PORT" in '' | *[!0-9]*) echo "run-demo: PORT must be a number, not '$PORT'" >&2; exit 2 ;; esac
ISSUER=${JWT_ISSUER:-http://127.0.0.1:$PORT}
ISSUER=${ISSUER%/}
DEMO_URL="$ISSUER/demo/"

# Run the CLI; exit 0 when it succeeded or failed only because $1 already exists.
# Prints the CLI's stdout on success; stops the script on any other failure.
cli_add() { # expected "exists" message, then the command
	local exists=$1 out err rc=0
	shift
	err=$(mktemp)
	out=$("$BIN" "$@" 2>"$err") || rc=$?
	if [ "$rc" -ne 0 ]; then
		if [ "$(cat "$err")" = "$exists" ]; then
			rm -f "$err"
			return 1
		fi
		cat "$err" >&2
		rm -f "$err"
		echo "run-demo: '$BIN $1 $2' failed (exit $rc)" >&2
		exit 1
	fi
	rm -f "$err"
	printf '%s' "$out"
}

if [ "${DEMO:-1}" != 0 ]; then
	mkdir -p "$(dirname "$DB")"
	if cli_add "identity-backend client: client exists: demo" \
		client add --db "$DB" --id demo --public --grant authorization_code --grant refresh_token \
		--scope "openid profile email offline_access" \
		--redirect-uri "$DEMO_URL" --post-logout-redirect-uri "$DEMO_URL" >/dev/null; then
		echo "run-demo: registered the demo app's client 'demo' (redirect URI $DEMO_URL)"
	fi
	# Letters and digits, 22 of them, or PASSWORD_MIN_LENGTH when that asks for more: a
	# random password meets every rule for new passwords (crypto/policy.h).
	len=22
	case "${PASSWORD_MIN_LENGTH:-}" in [0-9] | [0-9][0-9]) [ "$((10#$PASSWORD_MIN_LENGTH))" -le 22 ] || len=$((10#$PASSWORD_MIN_LENGTH)) ;; esac
	password=$(head -c 66 /dev/urandom | base64 -w0 | tr -d '/+=')
	password=${password:0:len}
	if cli_add "identity-backend user: user exists: demo" \
		user add --db "$DB" --username demo --email demo@example.com --password-stdin \
		<<<"$password" >/dev/null; then
		cat <<-MSG

		  Demo user created. Its password is shown this once (only a hash is stored):

		      username: demo
		      password: $password

		MSG
	else
		echo "run-demo: user 'demo' exists (its password was printed when it was created; to make a new one: $BIN user remove demo --db $DB, then make run)"
	fi
	unset password
	cat <<-MSG

	  Open $DEMO_URL and press "Sign in".
	  (Stop with Ctrl+C. Other users: $BIN user add --username alice --password-stdin;
	  passwords of at least ${PASSWORD_MIN_LENGTH:-12} characters, not a common one)

	MSG
fi
exec "$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --issuer "$ISSUER"
