#!/usr/bin/env bash
# Installs what `make demo` and `make test` need and this machine lacks.
# Every part checks first and does nothing when the thing is there, so the
# Makefile runs it before each build or test (a newcomer types only the
# README's two commands; .ci/run is `make test`).
#
#   tools/setup.sh rust       the wasm32 target and rust-src (rustup) and wasm-bindgen-cli at the version Cargo.toml pins
#   tools/setup.sh chromium   Debian's Chromium and chromedriver, for the browser tests (CHROMIUM_PATH skips it)
#   tools/setup.sh redis      Debian's redis-server
#
# npm packages are the Makefile's own rules (node_modules/.package-lock.json,
# tests/consumers/node_modules/.package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== setup: %s\n' "$*"; }
die() { printf 'tools/setup.sh: %s\n' "$*" >&2; exit 1; }

# Whether rustc has the standard library for wasm32-unknown-unknown (with or without rustup).
wasm_target_installed() {
  local dir
  dir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null) && compgen -G "$dir/libcore-*" >/dev/null
}

rust() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs), then run make again"
  if ! wasm_target_installed; then
    command -v rustup >/dev/null || die "the wasm32-unknown-unknown target is missing and there is no rustup to add it: install Rust with rustup"
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  # The package's wasm is built with -Z build-std (Makefile: WASM_RUSTFLAGS), which needs the
  # standard library's source.
  if [ ! -f "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.lock" ]; then
    command -v rustup >/dev/null || die "the standard library's source (rust-src) is missing and there is no rustup to add it: install Rust with rustup"
    say "rustup component add rust-src"
    rustup component add rust-src
  fi
  # The CLI must be exactly the version the crate pins (Cargo.toml: wasm-bindgen = "=X").
  local version
  version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
  [ -n "$version" ] || die 'Cargo.toml pins no wasm-bindgen version (wasm-bindgen = "=X")'
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
    say "cargo install wasm-bindgen-cli --version =$version (a few minutes, once)"
    # Not --locked: the CLI's lock file names a webpki-roots version the registry no longer has.
    cargo install wasm-bindgen-cli --version "=$version"
    [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $version" ] ||
      die "wasm-bindgen $version was installed but is not first on PATH ($(command -v wasm-bindgen || echo none)): put \$CARGO_HOME/bin on PATH"
  fi
}

# Installs the Debian packages named that are not installed yet.
debian() {
  local missing=() p
  if command -v dpkg-query >/dev/null; then
    for p in "$@"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
  else
    missing=("$@")
  fi
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "needs ${missing[*]} (Debian package names): install them with this system's package manager"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q "${missing[@]}"
}

chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
    return 0
  fi
  debian chromium chromium-driver
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after installing Debian's chromium"
}

redis() {
  debian redis-server
  command -v redis-server >/dev/null || die "redis-server is not on PATH after installing Debian's redis-server"
}

[ "$#" -gt 0 ] || die "usage: tools/setup.sh rust|chromium|redis ..."
for part in "$@"; do
  case "$part" in
    rust | chromium | redis) "$part" ;;
    *) die "unknown part $part (rust, chromium, redis)" ;;
  esac
done
