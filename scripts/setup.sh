#!/usr/bin/env bash
# One-time setup: Debian packages, the model, release build, the Japanese dictionary and the index.
set -euo pipefail
cd "$(dirname "$0")/.."
ipadic=$(scripts/install-deps.sh)
scripts/fetch-model.sh
# The model runs about 5x faster with this CPU's vector instructions (README, benchmarks);
# the tests build without them. Set RUSTFLAGS to build a portable binary instead.
RUSTFLAGS="${RUSTFLAGS:--C target-cpu=native}" cargo build --release --locked
target/release/shikaku setup --ipadic "$ipadic"
