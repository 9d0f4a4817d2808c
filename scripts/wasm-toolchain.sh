#!/usr/bin/env bash
# Provides what building the WASM client needs: a Rust compiler that can target
# wasm32-unknown-unknown, wasm-bindgen-cli at the exact version in Cargo.lock, and
# wasm-opt (npm package `binaryen`). Idempotent; a no-op in well under a second
# once everything is in place.
#
# Two ways to use it:
#   scripts/wasm-toolchain.sh            provision, then print `export` lines on stdout
#   eval "$(scripts/wasm-toolchain.sh)"  ... and put them in your shell (only do this in a
#                                        shell that builds nothing but the WASM client!)
#   source scripts/wasm-toolchain.sh     define the functions only; then call
#   automat_wasm_toolchain               to provision and set, in the calling shell:
#     AUTOMAT_WASM_ENV          array of VAR=value for `env` (empty on the rustup route)
#     AUTOMAT_WASM_CARGO_FLAGS  array of extra cargo flags (-Zbuild-std=... on the Debian route)
#     AUTOMAT_WASM_BINDGEN      path of the wasm-bindgen binary
#     AUTOMAT_WASM_OPT_BIN      path of wasm-opt, or empty when it is unavailable/disabled
#   Nothing of these is exported: pass AUTOMAT_WASM_ENV with `env` to the wasm cargo
#   build only. (The host toolchain, picked or installed first by
#   scripts/rust-toolchain.sh, is exported: its PATH.)
#
# Compiler routes:
#   rustup  `rustup target list --installed` has wasm32-unknown-unknown (and the host
#           toolchain is not Debian's, see scripts/rust-toolchain.sh): plain cargo.
#   debian  otherwise: Debian's rustc-web (a newer rustc that knows wasm32) + its std
#           sources, fetched with `apt-get download` and unpacked with `dpkg-deb -x` into
#           the tools dir (nothing is installed system-wide; the same tree as the host
#           toolchain's Debian route, see scripts/rust-toolchain.sh), used with the
#           host's cargo (rustup's, or Debian's cargo-web) and -Zbuild-std. Needs apt
#           (root or sudo for `apt-get update` when lists lack the packages).
#
# Environment:
#   AUTOMAT_TOOLS_DIR         default ${XDG_CACHE_HOME:-$HOME/.cache}/automat/tools
#                             (outside the clone, so every clone shares it)
#   AUTOMAT_WASM_ROUTE        rustup | debian  force a route (default: auto)
#   AUTOMAT_WASM_OPT          0 = don't install or use wasm-opt
#   AUTOMAT_BINARYEN_VERSION  npm binaryen version (default 132.0.0; Debian's binaryen
#                             v108 breaks the output, so it is never used)
# To re-provision the Debian compiler, delete "$AUTOMAT_TOOLS_DIR/rustc-web".

_automat_say() { echo "[wasm-toolchain] $*" >&2; }
_automat_die() { echo "[wasm-toolchain] ERROR: $*" >&2; return 1; }

# The tools dir, the Debian unpacker (_automat_debian_provision) and the tools lock.
# shellcheck source=SCRIPTDIR/rust-toolchain.sh
source "$(dirname "${BASH_SOURCE[0]}")/rust-toolchain.sh"

# The version of a package in Cargo.lock, e.g. `_automat_lock_version wasm-bindgen`.
_automat_lock_version() {
    awk -v name="$1" '
        $0 == "name = \"" name "\"" { found = 1; next }
        found && /^version = / { gsub(/"/, "", $3); print $3; exit }
        /^$/ { found = 0 }' "$(_automat_root)/Cargo.lock"
}

# Prints `rustup` or `debian`.
_automat_route() {
    case "${AUTOMAT_WASM_ROUTE:-}" in
        rustup | debian) echo "$AUTOMAT_WASM_ROUTE"; return ;;
        "") ;;
        *) _automat_die "AUTOMAT_WASM_ROUTE must be rustup or debian" || return ;;
    esac
    # Debian's cargo (the host toolchain's Debian route) cannot use rustup's target.
    [[ "${AUTOMAT_RUST_TOOLCHAIN:-}" == debian ]] && { echo debian; return; }
    local installed=""
    if command -v rustup >/dev/null 2>&1; then
        installed=$(rustup target list --installed 2>/dev/null || true)
    fi
    if grep -qx 'wasm32-unknown-unknown' <<<"$installed"; then echo rustup; else echo debian; fi
}

_automat_provision_bindgen() {
    local version="$1" root="$2"
    local bin="$root/bin/wasm-bindgen"
    if [[ -x "$bin" && "$("$bin" --version 2>/dev/null)" == "wasm-bindgen $version" ]]; then
        _automat_say "wasm-bindgen $version already installed"
        return 0
    fi
    _automat_say "installing wasm-bindgen-cli $version into $root (a few minutes)"
    # Without --locked: its lockfile pins crates that the registry mirror may lack.
    # Built with the host toolchain, never with the wasm compiler env.
    env -u RUSTC -u RUSTDOC -u RUSTC_BOOTSTRAP -u LD_LIBRARY_PATH -u CARGO_TARGET_DIR \
        cargo install wasm-bindgen-cli --version "=$version" --root "$root" --force >&2 ||
        _automat_die "cargo install wasm-bindgen-cli $version failed" || return
}

_automat_provision_wasm_opt() {
    local version="$1" prefix="$2"
    if [[ -x "$prefix/node_modules/.bin/wasm-opt" ]]; then
        _automat_say "wasm-opt (npm binaryen $version) already installed"
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        _automat_say "npm not found: wasm-opt will be skipped (the site still works, just bigger)"
        return 0
    fi
    _automat_say "installing npm binaryen@$version into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "binaryen@$version" >&2 ||
        _automat_die "npm install binaryen@$version failed" || return
}

# Provision everything (idempotent) and set the AUTOMAT_WASM_* variables described above.
automat_wasm_toolchain() {
    local tools route bindgen_version binaryen_version
    # The host's cargo builds wasm-bindgen and drives the WASM build (quiet when the
    # calling script already picked it).
    automat_rust_toolchain || return
    tools=$(_automat_tools_dir)
    route=$(_automat_route) || return
    bindgen_version=$(_automat_lock_version wasm-bindgen)
    [[ -n "$bindgen_version" ]] || _automat_die "wasm-bindgen not found in Cargo.lock" || return
    binaryen_version="${AUTOMAT_BINARYEN_VERSION:-132.0.0}"
    mkdir -p "$tools"

    # One provisioner at a time per tools dir (parallel builds, several clones).
    (
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$tools/.lock"
            flock 9
        fi
        if [[ "$route" == debian ]]; then
            _automat_debian_provision "$tools" wasm || exit 1
        else
            _automat_say "using rustup's wasm32-unknown-unknown target"
        fi
        _automat_provision_bindgen "$bindgen_version" "$tools/wasm-bindgen-$bindgen_version" || exit 1
        if [[ "${AUTOMAT_WASM_OPT:-1}" != 0 ]]; then
            _automat_provision_wasm_opt "$binaryen_version" "$tools/binaryen-$binaryen_version" || exit 1
        fi
    ) || return

    AUTOMAT_WASM_ENV=()
    AUTOMAT_WASM_CARGO_FLAGS=()
    if [[ "$route" == debian ]]; then
        local d="$tools/rustc-web"
        AUTOMAT_WASM_ENV=(
            "RUSTC=$d/usr/bin/rustc"
            "RUSTDOC=$d/usr/bin/rustdoc"
            "RUSTC_BOOTSTRAP=1"
            "LD_LIBRARY_PATH=$(_automat_debian_libdir "$d")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$d/usr/bin/rust-lld"
        )
        AUTOMAT_WASM_CARGO_FLAGS=("-Zbuild-std=std,panic_abort")
    fi
    AUTOMAT_WASM_BINDGEN="$tools/wasm-bindgen-$bindgen_version/bin/wasm-bindgen"
    AUTOMAT_WASM_OPT_BIN=""
    local opt="$tools/binaryen-$binaryen_version/node_modules/.bin/wasm-opt"
    if [[ "${AUTOMAT_WASM_OPT:-1}" != 0 && -x "$opt" ]]; then
        AUTOMAT_WASM_OPT_BIN="$opt"
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    automat_wasm_toolchain
    _automat_say "ready; the environment for the WASM build (stdout):"
    for kv in "${AUTOMAT_WASM_ENV[@]}"; do
        printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
    printf 'export AUTOMAT_WASM_CARGO_FLAGS=%q\n' "${AUTOMAT_WASM_CARGO_FLAGS[*]}"
    path_add="$(dirname "$AUTOMAT_WASM_BINDGEN")"
    [[ -n "$AUTOMAT_WASM_OPT_BIN" ]] && path_add="$path_add:$(dirname "$AUTOMAT_WASM_OPT_BIN")"
    # This PATH has the host toolchain's (scripts/rust-toolchain.sh) in it.
    printf 'export PATH=%q\n' "$path_add:$PATH"
    [[ -n "${RUSTUP_TOOLCHAIN:-}" ]] && printf 'export RUSTUP_TOOLCHAIN=%q\n' "$RUSTUP_TOOLCHAIN"
    exit 0
fi
