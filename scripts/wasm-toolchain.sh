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
#   Nothing is exported: pass AUTOMAT_WASM_ENV with `env` to the wasm cargo build only.
#
# Compiler routes:
#   rustup  `rustup target list --installed` has wasm32-unknown-unknown: plain cargo.
#   debian  otherwise: Debian's rustc-web (a newer rustc that knows wasm32) + its std
#           sources, fetched with `apt-get download` and unpacked with `dpkg-deb -x` into
#           the tools dir (nothing is installed system-wide), used with rustup's cargo
#           and -Zbuild-std. Needs apt (root for `apt-get update` when lists are empty).
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

_automat_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }

_automat_tools_dir() {
    echo "${AUTOMAT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/automat/tools}"
}

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
    local installed=""
    if command -v rustup >/dev/null 2>&1; then
        installed=$(rustup target list --installed 2>/dev/null || true)
    fi
    if grep -qx 'wasm32-unknown-unknown' <<<"$installed"; then echo rustup; else echo debian; fi
}

# The first dependency of package $1 whose name matches the regex $2.
_automat_apt_dep() {
    apt-cache depends --no-recommends --no-suggests "$1" 2>/dev/null |
        awk '$1 == "Depends:" { print $2 }' | grep -E -m1 "$2" || true
}

_automat_provision_debian() {
    local dir="$1/rustc-web"
    if [[ -f "$dir/.complete" ]]; then
        _automat_say "Debian rustc-web already unpacked in $dir ($(head -1 "$dir/.complete"))"
        return 0
    fi
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
        _automat_die "no wasm32 target in rustup and no apt/dpkg here: run 'rustup target add wasm32-unknown-unknown'" || return

    if [[ -z "$(apt-cache policy rustc-web 2>/dev/null | awk '/Candidate:/ && $2 != "(none)"')" ]]; then
        _automat_say "apt knows no rustc-web yet: running apt-get update"
        apt-get update -q >&2 || _automat_die "apt-get update failed (root needed)" || return
    fi

    # rustc-web -> libstd-rust-web-dev -> libstd-rust-web-X.Y -> libllvmN; the wasm linker is lld-N.
    local stddev stdlib llvm
    stddev=$(_automat_apt_dep rustc-web '^libstd-rust-web-dev$')
    stdlib=$(_automat_apt_dep "$stddev" '^libstd-rust-web-[0-9.]+$')
    llvm=$(_automat_apt_dep "$stdlib" '^libllvm[0-9]+$')
    [[ -n "$stddev" && -n "$stdlib" && -n "$llvm" ]] ||
        _automat_die "could not resolve rustc-web's dependencies with apt-cache (got '$stddev' '$stdlib' '$llvm')" || return
    local lld="lld-${llvm#libllvm}"
    local pkgs=(rustc-web rust-web-src "$stddev" "$stdlib" "$llvm" "$lld")
    # Anything else they need that this system lacks (normally nothing).
    local extra
    extra=$(apt-get -s install --no-install-recommends "${pkgs[@]}" 2>/dev/null | awk '$1 == "Inst" { print $2 }')
    local p
    for p in $extra; do
        [[ " ${pkgs[*]} " == *" $p "* ]] || pkgs+=("$p")
    done

    local tmp="$dir.tmp"
    rm -rf "$tmp" && mkdir -p "$tmp/debs"
    _automat_say "downloading ${pkgs[*]}"
    (cd "$tmp/debs" && apt-get download -q "${pkgs[@]}" >&2) || _automat_die "apt-get download failed" || return
    local deb
    for deb in "$tmp"/debs/*.deb; do
        _automat_say "unpacking $(basename "$deb")"
        dpkg-deb -x "$deb" "$tmp" || return
    done
    rm -rf "$tmp/debs"

    # rustc passes `-flavor wasm` only to a linker named rust-lld.
    [[ -e "$tmp/usr/bin/$lld" ]] || _automat_die "$lld binary missing from $tmp/usr/bin" || return
    ln -sfn "$lld" "$tmp/usr/bin/rust-lld"

    local version
    version=$(env LD_LIBRARY_PATH="$(_automat_debian_libdir "$tmp")" "$tmp/usr/bin/rustc" -V) ||
        _automat_die "the unpacked rustc does not run" || return
    printf '%s\n%s\n' "$version" "${pkgs[*]}" >"$tmp/.complete"
    rm -rf "$dir" && mv "$tmp" "$dir"
    _automat_say "unpacked $version into $dir"
}

# The multiarch library dir holding librustc_driver inside an unpacked Debian tree.
_automat_debian_libdir() {
    local lib
    for lib in "$1"/usr/lib/*-linux-gnu/librustc_driver-*.so; do
        [[ -e "$lib" ]] && { dirname "$lib"; return; }
    done
    echo "$1/usr/lib/x86_64-linux-gnu"
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
    # Built with the plain rustup toolchain, never with the wasm compiler env.
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
            _automat_provision_debian "$tools" || exit 1
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
    # shellcheck disable=SC2016 # $PATH is for the shell that evals this
    printf 'export PATH=%q:"$PATH"\n' "$path_add"
fi
