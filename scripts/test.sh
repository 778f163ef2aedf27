#!/usr/bin/env bash
# Runs every test: unit and integration tests of all crates, then the end-to-end scenarios in headless
# Chromium against the release build of the console. Installs what is missing first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

log "gates: formatting and lints (native, and the console for wasm32)"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p app --lib --bins --target wasm32-unknown-unknown -- -D warnings

build_console
scripts/size.sh

log "unit and integration tests"
cargo test --workspace --exclude e2e
log "fuzzing the console's lexer, editor, completion and formatter (1,000,000 cases)"
cargo test -p app --release --test promql_fuzz -- --ignored
scripts/check-deploy.sh

# One browser at a time: scenarios start their own Chromium and servers.
log "end-to-end tests (headless Chromium)"
cargo test -p e2e --test e2e -- --test-threads=1
