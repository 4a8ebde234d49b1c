#!/usr/bin/env bash
# One-time setup: Debian packages, the model, release build, the Japanese dictionary and the index.
set -euo pipefail
cd "$(dirname "$0")/.."
ipadic=$(scripts/install-deps.sh)
scripts/fetch-model.sh
cargo build --release --locked
target/release/shikaku setup --ipadic "$ipadic"
