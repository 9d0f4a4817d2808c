#!/usr/bin/env bash
# CI's proof that a machine without Rust gets one from the project's scripts: with
# every cargo taken off PATH (~/.cargo/bin included), the prerequisites `make run`
# and `make test` source install Debian's cargo-web + rustc-web (the route taken
# when rustup's host does not answer; forced here) into a throwaway tools dir, and
# that toolchain checks the server: `cargo check -p server --locked` (a check,
# not a second build). The tools dir is always thrown away; the target dir is too
# unless AUTOMAT_FALLBACK_TARGET_DIR names one to keep (CI keeps it beside its
# cache, so a warm run re-checks only what changed: cargo rebuilds everything
# by itself should Debian's rustc change). Fails when the install or the check fails.
#
# Environment: TMPDIR (where the throwaway dirs go; ~1 GB tools + ~2 GB target),
#   AUTOMAT_FALLBACK_TARGET_DIR (a target dir to keep instead).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "[rust-fallback] $*" >&2; }
die() { echo "[rust-fallback] FAILED: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/automat-rust-fallback.XXXXXX")
trap 'rm -rf "$work"' EXIT

# PATH without any directory that holds cargo, rustc or rustup.
cargo_home_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
bare=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    [[ -n "$d" && "$d" != "$cargo_home_bin" ]] || continue
    if [[ -e "$d/cargo" || -e "$d/rustc" || -e "$d/rustup" ]]; then
        case "$d" in
            /usr/bin | /bin) die "$d/cargo or rustc is installed system-wide: this test needs a machine without it" ;;
        esac
        continue
    fi
    bare="${bare:+$bare:}$d"
done
export PATH="$bare"
unset RUSTUP_TOOLCHAIN RUSTC RUSTDOC RUSTC_WRAPPER CARGO _AUTOMAT_RUST_CHOSEN AUTOMAT_RUST_TOOLCHAIN
if command -v cargo >/dev/null || command -v rustc >/dev/null; then
    die "cargo or rustc is still on PATH ($PATH)"
fi
export AUTOMAT_TOOLS_DIR="$work/tools" AUTOMAT_RUST_ROUTE=debian
export CARGO_TARGET_DIR="${AUTOMAT_FALLBACK_TARGET_DIR:-$work/target}" CARGO_INCREMENTAL=0
say "PATH without cargo: $PATH; tools dir $AUTOMAT_TOOLS_DIR"

start=$SECONDS
# What `make run` and `make test` do first.
# shellcheck source=SCRIPTDIR/prerequisites.sh
source "$ROOT/scripts/prerequisites.sh"
say "toolchain install: $((SECONDS - start)) s, $(du -sh "$AUTOMAT_TOOLS_DIR" | cut -f1)"
[[ "$(command -v cargo)" == "$AUTOMAT_TOOLS_DIR/"* ]] ||
    die "cargo is $(command -v cargo || echo missing), not the one installed into $AUTOMAT_TOOLS_DIR"
say "$(cargo -V), $(rustc -V)"

start=$SECONDS
cargo check -p server --locked || die "cargo check -p server with Debian's toolchain"
say "cargo check -p server: $((SECONDS - start)) s, target dir $(du -sh "$CARGO_TARGET_DIR" | cut -f1)"
say "passed"
