#!/usr/bin/env bash
# Runs the browser end-to-end tests in end2end/: playwright-core (npm) driving Debian's
# chromium, run by Node's own test runner (node --test). Builds nothing: build the
# server and the site first (scripts/build-site.sh). Idempotent: installs chromium
# (apt) and the npm packages (npm ci) only when they are missing or out of date.
#
# Usage: scripts/e2e.sh [node --test options] [end2end/tests/<file>.test.mjs ...]
#   e.g. scripts/e2e.sh --test-name-pattern='admin'
#        scripts/e2e.sh end2end/tests/devices.test.mjs
#
# Environment:
#   AUTOMAT_BIN        server binary  (default ${CARGO_TARGET_DIR:-<repo>/target}/debug/automat)
#   AUTOMAT_SITE_ROOT  built site     (default ${CARGO_TARGET_DIR:-<repo>/target}/site)
#   CHROMIUM_PATH      browser        (default /usr/bin/chromium, installed with apt when missing)
#   E2E_REPORTER       node test reporter (default tap: it ends with `# pass N` / `# fail N`)
#   E2E_CONCURRENCY    test files run at once (default 1; each starts a server and a browser)
#   E2E_TEST_TIMEOUT_MS  limit for one test (default 180000)
#   AUTOMAT_LOG        the servers' log level (default warn)
#   E2E_PREPARE_ONLY=1 install the browser, node and the npm packages, then stop
#                      (scripts/test.sh does this before the cargo tests, some of
#                      which drive the browser too)
# Exits non-zero when a test fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$ROOT/end2end"

say() { echo "[e2e] $*" >&2; }
die() { echo "[e2e] ERROR: $*" >&2; exit 1; }

# Like cargo: a relative CARGO_TARGET_DIR is relative to the current directory.
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
TARGET_DIR="$(abspath "${CARGO_TARGET_DIR:-$ROOT/target}")"
AUTOMAT_BIN="$(abspath "${AUTOMAT_BIN:-$TARGET_DIR/debug/automat}")"
AUTOMAT_SITE_ROOT="$(abspath "${AUTOMAT_SITE_ROOT:-$TARGET_DIR/site}")"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export AUTOMAT_BIN AUTOMAT_SITE_ROOT CHROMIUM_PATH

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: cannot install what is missing"
    SUDO=(sudo)
fi

# apt-get install, running apt-get update first only when apt knows no candidate for
# a package yet, or when the install fails (stale lists).
apt_install() {
    command -v apt-get >/dev/null || die "no apt-get here: install $* by hand"
    local pkg updated=0
    for pkg in "$@"; do
        if [[ -z "$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)"')" ]]; then
            say "apt knows no $pkg yet: apt-get update"
            "${SUDO[@]}" apt-get update -q >&2
            updated=1
            break
        fi
    done
    say "apt-get install -y $*"
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; then
        [[ "$updated" == 1 ]] && die "apt-get install $* failed"
        say "apt-get install failed: apt-get update, then again"
        "${SUDO[@]}" apt-get update -q >&2
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
    fi
}

# 1. The browser.
if [[ ! -x "$CHROMIUM_PATH" ]]; then
    [[ "$CHROMIUM_PATH" == /usr/bin/chromium ]] || die "CHROMIUM_PATH=$CHROMIUM_PATH does not exist"
    apt_install chromium
    [[ -x "$CHROMIUM_PATH" ]] || die "chromium installed, but $CHROMIUM_PATH is missing"
fi

# 2. Node (playwright-core needs 20 or newer).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
(( node_major >= 20 )) || die "node $(node --version) is too old: the tests need Node 20 or newer"

# 3. The npm packages, when missing or when package-lock.json changed since the last npm ci.
stamp="$E2E/node_modules/.automat-e2e.stamp"
want="$(cat "$E2E/package.json" "$E2E/package-lock.json" | sha256sum | cut -d' ' -f1) node-$node_major"
if [[ ! -d "$E2E/node_modules/playwright-core" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    say "npm ci in end2end/"
    (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$want" >"$stamp"
fi

if [[ "${E2E_PREPARE_ONLY:-}" == 1 ]]; then
    say "browser, node and npm packages ready"
    exit 0
fi

# 4. What the tests start.
[[ -x "$AUTOMAT_BIN" ]] ||
    die "server binary $AUTOMAT_BIN not found: build it first (cargo build -p server or scripts/build-site.sh), or set AUTOMAT_BIN"
if [[ ! -f "$AUTOMAT_SITE_ROOT/pkg/automat.js" || ! -f "$AUTOMAT_SITE_ROOT/pkg/automat.wasm" ]]; then
    say "WARNING: no $AUTOMAT_SITE_ROOT/pkg/automat.{js,wasm}: pages will not hydrate and the tests that" \
        "need JavaScript will fail. Build the site with scripts/build-site.sh (or set AUTOMAT_SITE_ROOT)."
fi

# 5. The tests: options for node --test and test files from the arguments (default: all).
opts=()
files=()
for arg in "$@"; do
    if [[ "$arg" == *.mjs || "$arg" == *.js ]]; then
        files+=("$(abspath "$arg")")
    else
        opts+=("$arg")
    fi
done
if ((${#files[@]} == 0)); then
    shopt -s nullglob
    files=("$E2E"/tests/*.test.mjs)
    shopt -u nullglob
    ((${#files[@]} > 0)) || die "no tests in $E2E/tests"
fi

say "server $AUTOMAT_BIN; site $AUTOMAT_SITE_ROOT; browser $CHROMIUM_PATH ($("$CHROMIUM_PATH" --version 2>/dev/null || echo '?'))"
cd "$E2E"
exec node --test \
    --test-reporter="${E2E_REPORTER:-tap}" \
    --test-concurrency="${E2E_CONCURRENCY:-1}" \
    --test-timeout="${E2E_TEST_TIMEOUT_MS:-180000}" \
    "${opts[@]}" "${files[@]}"
