#!/usr/bin/env bash
# Builds the site without cargo-leptos:
#   1. the WASM client (package `frontend`) for wasm32-unknown-unknown,
#   2. wasm-bindgen --target web  ->  <site>/pkg/automat.js + automat.wasm,
#   3. wasm-opt -Oz (when available and not disabled),
#   4. style/main.css -> <site>/pkg/automat.css, public/* -> <site>/,
#   5. the server binary (package `server`, bin `automat`) with the host toolchain
#      (scripts/rust-toolchain.sh: the cargo on PATH, rustup's, or Debian's cargo-web).
# The file names match what leptos' <HydrationScripts/> requests when the server is
# compiled with LEPTOS_OUTPUT_NAME=automat (.cargo/config.toml sets it): pkg/automat.js
# and pkg/automat.wasm (no `_bg`).
#
# Usage: scripts/build-site.sh [all|wasm|server]      (default: all)
#
# Environment:
#   CARGO_TARGET_DIR      default <repo>/target. Site: $CARGO_TARGET_DIR/site;
#                         wasm build: $CARGO_TARGET_DIR/wasm; server: the usual place.
#   AUTOMAT_PROFILE       dev (default) | release: the server's cargo profile
#   AUTOMAT_WASM_PROFILE  the WASM client's cargo profile (default wasm-release; on the
#                         Debian toolchain route it must have panic = "abort")
#   AUTOMAT_WASM_OPT      0 = skip wasm-opt (faster, bigger .wasm, keeps function names)
#   plus those of scripts/wasm-toolchain.sh (AUTOMAT_TOOLS_DIR, AUTOMAT_WASM_ROUTE, ...)
#   and scripts/rust-toolchain.sh (AUTOMAT_RUST_ROUTE)
#
# Re-running with nothing changed is cheap: cargo is incremental, and wasm-bindgen and
# wasm-opt are skipped while the compiled .wasm (by hash) and the tools are unchanged.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=SCRIPTDIR/wasm-toolchain.sh
source "$ROOT/scripts/wasm-toolchain.sh"
# The host toolchain (quiet when the calling script already picked it).
[[ "${1:-}" == -h || "${1:-}" == --help ]] || automat_rust_toolchain

OUT_NAME=automat
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE="$TARGET_DIR/site"
PKG="$SITE/pkg"
WASM_TARGET_DIR="$TARGET_DIR/wasm"
WASM_PROFILE="${AUTOMAT_WASM_PROFILE:-wasm-release}"
SERVER_PROFILE="${AUTOMAT_PROFILE:-dev}"

say() { echo "[build-site] $*" >&2; }

build_wasm() {
    automat_wasm_toolchain

    local start=$SECONDS
    say "building frontend for wasm32-unknown-unknown (profile $WASM_PROFILE) in $WASM_TARGET_DIR"
    env "${AUTOMAT_WASM_ENV[@]}" cargo build -p frontend --lib \
        --target wasm32-unknown-unknown --profile "$WASM_PROFILE" \
        --target-dir "$WASM_TARGET_DIR" "${AUTOMAT_WASM_CARGO_FLAGS[@]}"
    say "frontend: $((SECONDS - start)) s"

    local profile_dir="$WASM_PROFILE"
    [[ "$WASM_PROFILE" == dev ]] && profile_dir=debug
    local wasm="$WASM_TARGET_DIR/wasm32-unknown-unknown/$profile_dir/frontend.wasm"
    [[ -f "$wasm" ]] || { say "ERROR: $wasm was not produced"; return 1; }

    # Skip wasm-bindgen/wasm-opt when neither the .wasm nor the tools changed.
    local stamp="$WASM_TARGET_DIR/bindgen.stamp" key
    key="$(sha256sum <"$wasm" | cut -d' ' -f1) $AUTOMAT_WASM_BINDGEN ${AUTOMAT_WASM_OPT_BIN:-no-wasm-opt}"
    if [[ -f "$PKG/$OUT_NAME.js" && -f "$PKG/$OUT_NAME.wasm" && "$(cat "$stamp" 2>/dev/null)" == "$key" ]]; then
        say "pkg/$OUT_NAME.js and pkg/$OUT_NAME.wasm are up to date"
        return 0
    fi

    start=$SECONDS
    local stage="$WASM_TARGET_DIR/bindgen-out"
    rm -rf "$stage"
    say "wasm-bindgen --target web --out-name $OUT_NAME"
    "$AUTOMAT_WASM_BINDGEN" --target web --no-typescript \
        --out-dir "$stage" --out-name "$OUT_NAME" "$wasm"
    if [[ -n "$AUTOMAT_WASM_OPT_BIN" ]]; then
        say "wasm-opt -Oz"
        "$AUTOMAT_WASM_OPT_BIN" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
            --strip-debug --strip-producers \
            "$stage/${OUT_NAME}_bg.wasm" -o "$stage/$OUT_NAME.wasm"
        rm "$stage/${OUT_NAME}_bg.wasm"
    else
        say "wasm-opt skipped (AUTOMAT_WASM_OPT=0 or wasm-opt unavailable)"
        mv "$stage/${OUT_NAME}_bg.wasm" "$stage/$OUT_NAME.wasm"
    fi

    mkdir -p "$PKG"
    rm -rf "$PKG/$OUT_NAME.js" "$PKG/$OUT_NAME.wasm" "$PKG/${OUT_NAME}_bg.wasm" "$PKG/snippets"
    cp -R "$stage"/. "$PKG"/
    echo "$key" >"$stamp"
    say "bindgen/opt: $((SECONDS - start)) s; $OUT_NAME.wasm is $(wc -c <"$PKG/$OUT_NAME.wasm") bytes"
}

copy_assets() {
    mkdir -p "$PKG"
    if [[ -f style/main.css ]]; then
        cmp -s style/main.css "$PKG/$OUT_NAME.css" || cp style/main.css "$PKG/$OUT_NAME.css"
        say "style/main.css -> pkg/$OUT_NAME.css"
    else
        say "no style/main.css yet: no pkg/$OUT_NAME.css"
    fi
    if [[ -d public ]]; then
        cp -R public/. "$SITE"/
        say "public/ -> $SITE/"
    fi
}

build_server() {
    local args=()
    case "$SERVER_PROFILE" in
        dev) ;;
        release) args=(--release) ;;
        *) say "ERROR: AUTOMAT_PROFILE must be dev or release"; return 1 ;;
    esac
    local start=$SECONDS
    say "building server (bin automat, profile $SERVER_PROFILE) with the host toolchain"
    # The WASM compiler's environment must never reach the host build.
    env -u RUSTC -u RUSTDOC -u RUSTC_BOOTSTRAP -u LD_LIBRARY_PATH \
        -u CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER \
        cargo build -p server --bin automat "${args[@]}"
    say "server: $((SECONDS - start)) s"
}

case "${1:-all}" in
    all) build_wasm; copy_assets; build_server ;;
    wasm) build_wasm; copy_assets ;;
    server) build_server ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) say "unknown argument '$1' (use all, wasm or server)"; exit 2 ;;
esac

server_dir=debug
[[ "$SERVER_PROFILE" == release ]] && server_dir=release
say "done. site: $SITE"
[[ "${1:-all}" != wasm ]] && say "server binary: $TARGET_DIR/$server_dir/automat"
exit 0
