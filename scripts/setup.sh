#!/usr/bin/env bash
# setup.sh: install everything identity-backend needs on Debian 12, idempotently.
#
#   sudo bash scripts/setup.sh      (or as root)
#
# 1. Debian packages: compiler, make, pkg-config, the pinned libraries of the
#    design card (wolfSSL 5.5.4, cJSON 1.7.15, SQLite, H2O 2.2.5, libargon2),
#    Emscripten 3.1.6 (the WASM verifier), Chromium (browser tests),
#    Node.js (Debian's 18 if no Node is present; Node 20 also works).
# 2. The wolfSSL and cJSON *source* packages, for the WASM build, unpacked into
#    third_party/src/ (git-ignored): adds a deb-src entry first when missing.
# 3. The test suites' npm dev dependencies (jose, fast-jwt, playwright-core, deno,
#    workerd, typescript: peers and runtimes, never runtime dependencies) into
#    tests/node_modules.
# Re-running it only does what is missing. It stops at the first problem with
# a one-line reason.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "setup: $*" >&2; exit 1; }
say() { echo "setup: $*"; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
	die "run as root or install sudo"
fi
[ -r /etc/debian_version ] || die "this script expects Debian 12 (bookworm)"
export DEBIAN_FRONTEND=noninteractive

PKGS=(build-essential make pkg-config ca-certificates curl dpkg-dev
	libwolfssl-dev libcjson-dev libsqlite3-dev libargon2-dev libh2o-evloop-dev libh2o-dev libssl-dev
	emscripten clang-14 libclang-rt-14-dev chromium clang-format valgrind wrk sqlite3)
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
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "Node.js >= 18 needed, found $(node -v)"

# Source packages for the WASM build (toolchain.md: deb-src must be added first).
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

# npm dev dependencies of the tests and benchmarks (versions locked in package-lock.json).
if [ ! -d tests/node_modules/jose ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
	say "installing test dependencies with npm"
	# Not `npm ci`: npm 11 leaves the other platforms' optional packages of deno and
	# workerd out of the lock file and then refuses it. `npm install` keeps every
	# version the lock file pins (package.json pins the direct ones exactly).
	(cd tests && npm install --no-audit --no-fund --loglevel=error) || die "npm install in tests/ failed"
fi
say "ready"
