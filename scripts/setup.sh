#!/usr/bin/env bash
# Installs what building, running and testing need, skipping what is already there.
# Sourced by demo.sh and test.sh; leaves PATH pointing at the tools.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${THANOS_CONSOLE_TOOLS:-$HOME/.local/share/thanos-console-tools}"
APT_PACKAGES=(curl openssl protobuf-compiler libprotobuf-dev prometheus prometheus-alertmanager prometheus-node-exporter chromium chromium-driver nginx dnsmasq-base)
TRUNK_VERSION="0.21"   # trunk 0.22 needs a newer rustc than these machines have
BINARYEN_VERSION="132" # Debian's binaryen 108 emits wasm that fails at run time

log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

source "$ROOT/scripts/apt.sh"
apt_install "${APT_PACKAGES[@]}"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${component}"; then
    log "adding the ${component} component"
    rustup component add "${component}"
  fi
done

if ! trunk --version 2>/dev/null | grep -q "^trunk ${TRUNK_VERSION}\."; then
  log "installing trunk ${TRUNK_VERSION} (a few minutes)"
  cargo install --locked trunk --version "~${TRUNK_VERSION}"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly. Not --locked: one of its
# locked dependencies is missing from the registry.
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')"
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  log "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (a few minutes)"
  cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
fi
grep -q "wasm_bindgen = \"${WASM_BINDGEN_VERSION}\"" "$ROOT/Trunk.toml" \
  || { log "Trunk.toml's [tools] wasm_bindgen must be ${WASM_BINDGEN_VERSION}, as in Cargo.lock"; exit 1; }

if ! "$TOOLS/binaryen/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION}"; then
  log "installing binaryen ${BINARYEN_VERSION} (npm)"
  mkdir -p "$TOOLS/binaryen"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/binaryen" "binaryen@${BINARYEN_VERSION}" >/dev/null
fi
export PATH="$TOOLS/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# moto_server: the S3-compatible server the ruler's upload tests ship blocks to.
MOTO_VERSION="5.2.5"
# Read into a variable first: under pipefail, `pip show | grep -q` fails when grep exits early.
moto_installed="$("$TOOLS/venv-moto/bin/python" -m pip show moto 2>/dev/null || true)"
if ! grep -qx "Version: ${MOTO_VERSION}" <<<"$moto_installed"; then
  log "installing moto ${MOTO_VERSION} (PyPI, into $TOOLS/venv-moto)"
  python3 -m venv "$TOOLS/venv-moto"
  "$TOOLS/venv-moto/bin/pip" install -q "moto[server]==${MOTO_VERSION}"
fi

# Builds the console into dist/ (release: size-optimised, wasm-opt'd). Offline: trunk must not download tools.
build_console() {
  log "building the console (trunk, release)"
  (cd "$ROOT" && trunk build --release --offline)
}
