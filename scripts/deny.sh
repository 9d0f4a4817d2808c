#!/usr/bin/env bash
# cargo-deny over the dependency graph, as deny.toml says: licenses, bans
# (duplicates, wildcards), sources, and security advisories when a database
# is at hand. Installs cargo-deny from crates.io into the tools dir the first
# time (a few minutes of compiling), like scripts/wasm-toolchain.sh does for
# wasm-bindgen.
#
# Advisories: cargo-deny fetches the RustSec database from GitHub, which the
# project's machines and CI cannot reach. So by default they are checked
# against a database already on the machine (under $CARGO_HOME/advisory-dbs,
# e.g. from `cargo deny fetch` where GitHub is reachable) and skipped, with a
# notice, when there is none.
#
# Environment:
#   AUTOMAT_TOOLS_DIR         default ${XDG_CACHE_HOME:-$HOME/.cache}/automat/tools
#   AUTOMAT_DENY_ADVISORIES   auto (default) | fetch (fetch the database first) | skip
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "[deny] $*" >&2; }

DENY_VERSION=0.20.2
tools="${AUTOMAT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/automat/tools}"
deny="$tools/cargo-deny-$DENY_VERSION/bin/cargo-deny"
if [[ ! -x "$deny" ]]; then
    say "installing cargo-deny $DENY_VERSION into $tools (a few minutes, once)"
    # Its own temporary target dir: not the project's, which it would only clutter.
    env -u CARGO_TARGET_DIR cargo install cargo-deny --version "=$DENY_VERSION" --locked \
        --root "$tools/cargo-deny-$DENY_VERSION" --force >&2
fi

"$deny" --version >&2
# The inclusion graphs of the ~40 duplicate warnings would fill the log.
"$deny" --locked check --hide-inclusion-graph bans licenses sources

case "${AUTOMAT_DENY_ADVISORIES:-auto}" in
    fetch)
        "$deny" --locked check --hide-inclusion-graph advisories
        ;;
    skip)
        say "advisories: skipped (AUTOMAT_DENY_ADVISORIES=skip)"
        ;;
    auto)
        db_root="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
        if compgen -G "$db_root/*/crates" >/dev/null; then
            say "advisories: against the database in $db_root as it is (not fetched: see docs/security.md)"
            "$deny" --locked --offline check --hide-inclusion-graph advisories
        else
            say "advisories: NOT CHECKED: no advisory database in $db_root, and this machine cannot"
            say "  fetch one (it is on GitHub). Where GitHub is reachable, run with"
            say "  AUTOMAT_DENY_ADVISORIES=fetch (see docs/security.md, \"Checks in CI\")."
        fi
        ;;
    *)
        say "AUTOMAT_DENY_ADVISORIES must be auto, fetch or skip"
        exit 2
        ;;
esac
