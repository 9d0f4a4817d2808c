#!/usr/bin/env bash
# The Rust toolchain of the host build (server, tests, cargo-installed tools), installed
# without asking when the machine has none at least as new as the workspace's
# `rust-version` (Cargo.toml). Also the Debian package unpacker that
# scripts/wasm-toolchain.sh uses for its compiler.
#
#   source scripts/rust-toolchain.sh     define the functions; then
#   automat_rust_toolchain               pick (installing when needed) and export PATH
#                                        (and RUSTUP_TOOLCHAIN when it matters) in the
#                                        calling shell; says which toolchain and where
#   scripts/rust-toolchain.sh            the same, then print `export` lines on stdout
#                                        (eval "$(scripts/rust-toolchain.sh)")
#
# Routes, in the order `auto` (the default) tries them:
#   system  the `cargo` on PATH.
#   rustup  rustup's toolchain in $CARGO_HOME (default ~/.cargo; toolchains in
#           $RUSTUP_HOME, default ~/.rustup), as rustup installs it. When missing it is
#           installed with rustup-init from static.rust-lang.org (RUSTUP_UPDATE_ROOT), if
#           that answers within 5 s: profile minimal, shell files left alone.
#   debian  Debian's cargo-web + rustc-web, fetched with `apt-get download` and unpacked
#           with `dpkg-deb -x` into $AUTOMAT_TOOLS_DIR/rustc-web (nothing installed
#           system-wide; apt-get update needs root or sudo when apt's lists lack them).
#   auto: system; else a rustup toolchain already installed; else a Debian tree already
#   unpacked (no switching back and forth, which would rebuild everything); else install
#   rustup if its host answers; else debian.
#
# Environment:
#   AUTOMAT_RUST_ROUTE   auto (default) | system | rustup | debian: force a route
#   AUTOMAT_TOOLS_DIR    default ${XDG_CACHE_HOME:-$HOME/.cache}/automat/tools
# To re-provision the Debian toolchain, delete "$AUTOMAT_TOOLS_DIR/rustc-web".

_automat_rust_say() { echo "[rust-toolchain] $*" >&2; }
_automat_rust_die() { echo "[rust-toolchain] ERROR: $*" >&2; return 1; }

_automat_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }

_automat_tools_dir() {
    echo "${AUTOMAT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/automat/tools}"
}

# The workspace's rust-version, e.g. 1.94.
_automat_rust_required() {
    awk -F'"' '/^rust-version *=/ { print $2; exit }' "$(_automat_root)/Cargo.toml"
}

# Succeeds when dotted version $1 >= $2.
_automat_version_ge() {
    [[ -n "$1" && "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# The version (1.95.0) of the cargo and rustc that PATH gives, the older of the two;
# empty when either is missing or does not run (a rustup proxy without a toolchain).
_automat_rust_found_version() {
    local c r
    c=$(cargo -V 2>/dev/null | awk '$1 == "cargo" { sub(/-.*/, "", $2); print $2 }' || true)
    r=$(rustc -V 2>/dev/null | awk '$1 == "rustc" { sub(/-.*/, "", $2); print $2 }' || true)
    [[ -n "$c" && -n "$r" ]] || return 0
    printf '%s\n%s\n' "$c" "$r" | sort -V | head -n1
}

_automat_rust_usable() { _automat_version_ge "$(_automat_rust_found_version)" "$(_automat_rust_required)"; }

# One provisioner at a time per tools dir (parallel builds, several clones): runs "$@"
# in a subshell holding "$tools/.lock".
_automat_with_tools_lock() {
    local tools
    tools=$(_automat_tools_dir)
    mkdir -p "$tools"
    (
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$tools/.lock"
            flock 9
        fi
        "$@"
    )
}

# --- Debian's rustc-web family, unpacked ------------------------------------------------

# The first dependency of package $1 whose name matches the regex $2.
_automat_apt_dep() {
    apt-cache depends --no-recommends --no-suggests "$1" 2>/dev/null |
        awk '$1 == "Depends:" { print $2 }' | grep -E -m1 "$2" || true
}

# The upstream version (1.96.0) of apt's candidate for package $1, empty when none.
_automat_apt_candidate() {
    apt-cache policy "$1" 2>/dev/null |
        awk '/Candidate:/ && $2 != "(none)" { v = $2; sub(/^[0-9]+:/, "", v); sub(/[+~-].*/, "", v); print v }'
}

_automat_as_root() {
    if [[ "$(id -u)" == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        _automat_rust_die "'$*' needs root, and there is no sudo"
    fi
}

# The multiarch library dir holding librustc_driver inside an unpacked Debian tree.
_automat_debian_libdir() {
    local lib
    for lib in "$1"/usr/lib/*-linux-gnu/librustc_driver-*.so; do
        [[ -e "$lib" ]] && { dirname "$lib"; return; }
    done
    echo "$1/usr/lib/x86_64-linux-gnu"
}

# The packages each component brings beyond rustc-web and its std (lld-N: see below).
_automat_debian_component_pkgs() {
    case "$1" in
        host) echo cargo-web ;;
        wasm) echo rust-web-src lld ;;
        lint) echo rustfmt-web rust-web-clippy ;;
        *) _automat_rust_die "unknown Debian toolchain component '$1'" ;;
    esac
}

# Runs the binaries of an unpacked tree from <tree>/bin, with the tree's libraries.
_automat_debian_wrappers() {
    local dir="$1" libdir name
    libdir=$(_automat_debian_libdir "$dir")
    libdir="${libdir#"$dir"/}"
    mkdir -p "$dir/bin"
    for name in cargo rustc rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do
        [[ -x "$dir/usr/bin/$name" ]] || continue
        cat >"$dir/bin/$name.tmp" <<EOF
#!/bin/sh
# Debian's $name from this unpacked tree, whose libraries are not installed system-wide.
d=\$(cd "\$(dirname "\$0")/.." && pwd)
LD_LIBRARY_PATH="\$d/$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$d/usr/bin/$name" "\$@"
EOF
        chmod +x "$dir/bin/$name.tmp"
        mv "$dir/bin/$name.tmp" "$dir/bin/$name"
    done
}

# Succeeds when the tree in $1 is complete and has the components $2...
_automat_debian_has() {
    local dir="$1" component pkg
    shift
    [[ -f "$dir/.complete" ]] || return 1
    local have
    have=" $(sed -n 2p "$dir/.complete") "
    for component in "$@"; do
        for pkg in $(_automat_debian_component_pkgs "$component"); do
            if [[ "$pkg" == lld ]]; then
                [[ "$have" =~ \ lld-[0-9]+\  ]] || return 1
            else
                [[ "$have" == *" $pkg "* ]] || return 1
            fi
        done
    done
}

# Debian's rustc-web, its std and the given components (host, wasm, lint) unpacked into
# <tools>/rustc-web (idempotent; a tree of the same version gets what it lacks added).
# <tools>/rustc-web/.complete: line 1 `rustc -V`, line 2 the packages. The caller holds
# the tools lock.
_automat_debian_provision() {
    local tools="$1"
    shift
    local dir="$tools/rustc-web"
    if _automat_debian_has "$dir" "$@"; then
        _automat_rust_say "Debian rustc-web already unpacked in $dir ($(head -n1 "$dir/.complete"))"
        return 0
    fi
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
        _automat_rust_die "no apt/dpkg here to fetch Debian's Rust: install rustup (https://rustup.rs)" || return

    local required candidate
    required=$(_automat_rust_required)
    candidate=$(_automat_apt_candidate rustc-web)
    if ! _automat_version_ge "$candidate" "$required"; then
        _automat_rust_say "apt offers no rustc-web >= $required yet (candidate: ${candidate:-none}): apt-get update"
        _automat_as_root apt-get update -q >&2 || _automat_rust_die "apt-get update failed" || return
        candidate=$(_automat_apt_candidate rustc-web)
        _automat_version_ge "$candidate" "$required" ||
            _automat_rust_die "apt has no rustc-web >= $required (candidate: ${candidate:-none}; Debian 12 has it in bookworm-security): install rustup (https://rustup.rs)" || return
    fi

    # rustc-web -> libstd-rust-web-dev -> libstd-rust-web-X.Y -> libllvmN; the wasm linker is lld-N.
    local stddev stdlib llvm
    stddev=$(_automat_apt_dep rustc-web '^libstd-rust-web-dev$')
    stdlib=$(_automat_apt_dep "$stddev" '^libstd-rust-web-[0-9.]+$')
    llvm=$(_automat_apt_dep "$stdlib" '^libllvm[0-9]+$')
    [[ -n "$stddev" && -n "$stdlib" && -n "$llvm" ]] ||
        _automat_rust_die "could not resolve rustc-web's dependencies with apt-cache (got '$stddev' '$stdlib' '$llvm')" || return
    local lld="lld-${llvm#libllvm}"
    local pkgs=(rustc-web "$stddev" "$stdlib" "$llvm") component pkg
    for component in "$@"; do
        for pkg in $(_automat_debian_component_pkgs "$component"); do
            [[ "$pkg" == lld ]] && pkg="$lld"
            pkgs+=("$pkg")
        done
    done
    # Anything else they need that this system lacks (libgit2 for cargo, say).
    local extra
    extra=$(apt-get -s install --no-install-recommends "${pkgs[@]}" 2>/dev/null | awk '$1 == "Inst" { print $2 }')
    for pkg in $extra; do
        [[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
    done

    # Keep a tree of the candidate's version and add to it; start again otherwise.
    local have=""
    if [[ -f "$dir/.complete" ]] && [[ "$(head -n1 "$dir/.complete")" == "rustc $candidate "* ]]; then
        have=" $(sed -n 2p "$dir/.complete") "
    else
        rm -rf "$dir"
    fi
    local fetch=()
    for pkg in "${pkgs[@]}"; do
        [[ "$have" == *" $pkg "* ]] || fetch+=("$pkg")
    done

    # Unpacked in place: .complete, written last, says what the tree holds (a tree being
    # added to stays usable for what its old .complete lists).
    local debs="$dir.debs"
    rm -rf "$debs" && mkdir -p "$debs" "$dir"
    _automat_rust_say "downloading ${fetch[*]}"
    # As root apt would drop to its _apt user, who cannot write into a private dir.
    local sandbox=()
    [[ "$(id -u)" == 0 ]] && sandbox=(-o APT::Sandbox::User=root)
    (cd "$debs" && apt-get download -q "${sandbox[@]}" "${fetch[@]}" >&2) || _automat_rust_die "apt-get download failed" || return
    local deb
    for deb in "$debs"/*.deb; do
        _automat_rust_say "unpacking $(basename "$deb")"
        dpkg-deb -x "$deb" "$dir" || return
    done
    rm -rf "$debs"

    # rustc passes `-flavor wasm` only to a linker named rust-lld.
    if [[ " ${pkgs[*]} " == *" $lld "* ]]; then
        [[ -e "$dir/usr/bin/$lld" ]] || _automat_rust_die "$lld binary missing from $dir/usr/bin" || return
        ln -sfn "$lld" "$dir/usr/bin/rust-lld"
    fi
    _automat_debian_wrappers "$dir"

    local version
    version=$("$dir/bin/rustc" -V) || _automat_rust_die "the unpacked rustc does not run" || return
    if [[ -x "$dir/bin/cargo" ]]; then
        "$dir/bin/cargo" -V >/dev/null || _automat_rust_die "the unpacked cargo does not run" || return
    fi
    local all=("${pkgs[@]}")
    for pkg in $have; do
        [[ " ${all[*]} " == *" $pkg "* ]] || all+=("$pkg")
    done
    printf '%s\n%s\n' "$version" "${all[*]}" >"$dir/.complete.tmp"
    mv "$dir/.complete.tmp" "$dir/.complete"
    _automat_rust_say "unpacked $version into $dir"
}

# --- rustup ----------------------------------------------------------------------------

_automat_rustup_init_url() {
    local arch
    arch=$(uname -m)
    case "$arch" in
        x86_64 | aarch64 | riscv64 | powerpc64le | s390x) ;;
        arm64) arch=aarch64 ;;
        *) return 1 ;;
    esac
    echo "${RUSTUP_UPDATE_ROOT:-https://static.rust-lang.org/rustup}/dist/$arch-unknown-linux-gnu/rustup-init"
}

# Succeeds when rustup's download host answers within a few seconds.
_automat_rustup_reachable() {
    local url
    url=$(_automat_rustup_init_url) || return 1
    command -v curl >/dev/null 2>&1 || return 1
    curl -fsS -o /dev/null -I --connect-timeout 3 --max-time 5 "$url" 2>/dev/null
}

# rustup's bin dir on PATH, when rustup or its cargo is there.
_automat_rustup_on_path() {
    local bin="${CARGO_HOME:-$HOME/.cargo}/bin"
    if [[ -x "$bin/rustup" || -x "$bin/cargo" ]] && [[ ":$PATH:" != *":$bin:"* ]]; then
        export PATH="$bin:$PATH"
    fi
    return 0
}

# Uses an installed rustup toolchain when one is new enough: the default, else stable.
_automat_rustup_use_installed() {
    _automat_rustup_on_path
    command -v rustup >/dev/null 2>&1 || return 1
    _automat_rust_usable && return 0
    if rustup toolchain list 2>/dev/null | grep -q '^stable-'; then
        export RUSTUP_TOOLCHAIN=stable
        _automat_rust_usable && return 0
        unset RUSTUP_TOOLCHAIN
    fi
    return 1
}

# Runs under the tools lock, in a subshell: the caller finds the result with
# _automat_rustup_use_installed.
_automat_rustup_install() {
    _automat_rustup_on_path
    if command -v rustup >/dev/null 2>&1; then
        _automat_rust_say "installing rustup's stable toolchain (rustup toolchain install stable)"
        rustup toolchain install stable --profile minimal >&2 || _automat_rust_die "rustup toolchain install stable failed"
        return
    fi
    local url tmp sum
    url=$(_automat_rustup_init_url) || _automat_rust_die "no rustup-init for $(uname -m)" || return
    tmp=$(mktemp -d)
    _automat_rust_say "downloading $url"
    if ! curl -fsSL --retry 2 -o "$tmp/rustup-init" "$url" ||
        ! sum=$(curl -fsSL --retry 2 "$url.sha256") ||
        [[ "$(sha256sum <"$tmp/rustup-init" | cut -d' ' -f1)" != "${sum%% *}" ]]; then
        rm -rf "$tmp"
        _automat_rust_die "could not download rustup-init (or its checksum did not match)"
        return
    fi
    chmod +x "$tmp/rustup-init"
    _automat_rust_say "installing rustup and the stable toolchain into ${CARGO_HOME:-$HOME/.cargo} (shell files left alone)"
    RUSTUP_INIT_SKIP_PATH_CHECK=yes "$tmp/rustup-init" -y --no-modify-path --profile minimal \
        --default-toolchain stable >&2 || { rm -rf "$tmp"; _automat_rust_die "rustup-init failed"; return; }
    rm -rf "$tmp"
}

# --- the choice -------------------------------------------------------------------------

_automat_rust_use_debian() {
    local dir
    dir="$(_automat_tools_dir)/rustc-web"
    _automat_debian_has "$dir" host || return 1
    local before="$PATH"
    [[ ":$PATH:" == *":$dir/bin:"* ]] || export PATH="$dir/bin:$PATH"
    _automat_rust_usable && return 0
    export PATH="$before"
    return 1
}

_automat_rust_report() {
    local route="$1" where
    case "$route" in
        system) where="the cargo on PATH, $(command -v cargo)" ;;
        rustup) where="rustup's ${RUSTUP_TOOLCHAIN:-default} toolchain, $(rustup which cargo 2>/dev/null || command -v cargo)" ;;
        debian) where="Debian's cargo-web and rustc-web unpacked in $(_automat_tools_dir)/rustc-web" ;;
    esac
    _automat_rust_say "Rust $(_automat_rust_found_version) ($route route): $where"
}

# Picks the toolchain (installing it when needed) and exports PATH in the calling shell.
automat_rust_toolchain() {
    local route="${AUTOMAT_RUST_ROUTE:-auto}" required
    case "$route" in
        auto | system | rustup | debian) ;;
        *) _automat_rust_die "AUTOMAT_RUST_ROUTE must be auto, system, rustup or debian" || return ;;
    esac
    required=$(_automat_rust_required)
    [[ -n "$required" ]] || _automat_rust_die "no rust-version in $(_automat_root)/Cargo.toml" || return
    # Already chosen by the script that called this one.
    if [[ "${_AUTOMAT_RUST_CHOSEN:-}" == "$route" ]] && _automat_rust_usable; then
        return 0
    fi

    local chosen=""
    if [[ "$route" == auto || "$route" == system ]] && _automat_rust_usable; then
        chosen=system
    elif [[ "$route" == system ]]; then
        _automat_rust_die "AUTOMAT_RUST_ROUTE=system, but the cargo on PATH is missing or older than $required (found: $(_automat_rust_found_version))" || return
    fi
    if [[ -z "$chosen" && ("$route" == auto || "$route" == rustup) ]] && _automat_rustup_use_installed; then
        chosen=rustup
    fi
    if [[ -z "$chosen" && ("$route" == auto || "$route" == debian) ]] && _automat_rust_use_debian; then
        chosen=debian
    fi
    if [[ -z "$chosen" && "$route" == auto ]]; then
        _automat_rust_say "no Rust >= $required here (found: $(_automat_rust_found_version)); installing one"
        if _automat_rustup_reachable; then
            route=rustup
        else
            _automat_rust_say "rustup's host ($(_automat_rustup_init_url 2>/dev/null || echo none)) does not answer: Debian's cargo-web and rustc-web instead"
            route=debian
        fi
    fi
    if [[ -z "$chosen" && "$route" == rustup ]]; then
        local start=$SECONDS
        _automat_with_tools_lock _automat_rustup_install || return
        _automat_rustup_use_installed ||
            _automat_rust_die "rustup installed, but its cargo is missing or older than $required (found: $(_automat_rust_found_version))" || return
        _automat_rust_say "rustup toolchain installed in $((SECONDS - start)) s"
        chosen=rustup
    fi
    if [[ -z "$chosen" && "$route" == debian ]]; then
        local start=$SECONDS
        _automat_with_tools_lock _automat_debian_provision "$(_automat_tools_dir)" host || return
        _automat_rust_use_debian ||
            _automat_rust_die "Debian's cargo unpacked, but it does not run or is older than $required (found: $(_automat_rust_found_version))" || return
        _automat_rust_say "Debian toolchain ready in $((SECONDS - start)) s"
        chosen=debian
    fi
    _automat_rust_report "$chosen"
    export _AUTOMAT_RUST_CHOSEN="${AUTOMAT_RUST_ROUTE:-auto}" AUTOMAT_RUST_TOOLCHAIN="$chosen"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    automat_rust_toolchain
    printf 'export PATH=%q\n' "$PATH"
    [[ -n "${RUSTUP_TOOLCHAIN:-}" ]] && printf 'export RUSTUP_TOOLCHAIN=%q\n' "$RUSTUP_TOOLCHAIN"
    exit 0
fi
