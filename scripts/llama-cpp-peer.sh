#!/usr/bin/env bash
# The model's speed beside llama.cpp's, on this machine, in one run (README, "Speed, second
# round"): builds llama.cpp's `llama-bench` from the sources in llama-cpp-python 0.3.36's
# sdist on PyPI (native flags, AMX off: llama.cpp's AMX path segfaults on these CPUs, see
# ../shared/design/FINDINGS.md) into target/peer once, then times prompt (300 tokens) and
# generation (64 tokens, after the prompt) with 2 threads on the project's model file, then ours the same way
# (`shikaku bench llm`), alternately, ROUNDS times.
#   scripts/llama-cpp-peer.sh [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
bin=${SHIKAKU_BIN:-target/release/shikaku}
model=$(ls models/gemma-3-*.gguf | head -1)
peer=target/peer
if [ ! -x "$peer/llama-bench" ]; then
  command -v cmake >/dev/null && command -v ninja >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake ninja-build >/dev/null
  }
  mkdir -p "$peer/src"
  pip download --quiet --no-deps --no-binary :all: --dest "$peer/src" llama-cpp-python==0.3.36
  tar -xzf "$peer"/src/llama_cpp_python-0.3.36.tar.gz -C "$peer/src"
  sources=$peer/src/llama_cpp_python-0.3.36/vendor/llama.cpp
  no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  cmake -S "$sources" -B "$peer/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DCMAKE_C_FLAGS="$no_amx" -DCMAKE_CXX_FLAGS="$no_amx" > "$peer/cmake.log"
  ninja -C "$peer/build" llama-bench > "$peer/build.log"
  cp "$peer/build/bin/llama-bench" "$peer/"
  cp "$peer"/build/bin/*.so "$peer/" 2>/dev/null || true
fi
echo "model $model, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), 2 threads"
for round in $(seq 1 "$rounds"); do
  # Generation after a 300-token prompt (-d 300), as ours is timed.
  { LD_LIBRARY_PATH=$peer "$peer/llama-bench" -m "$model" -t 2 -p 300 -n 0 -r 3 -o csv 2>/dev/null
    LD_LIBRARY_PATH=$peer "$peer/llama-bench" -m "$model" -t 2 -p 0 -n 64 -d 300 -r 3 -o csv 2>/dev/null | tail -n +2
  } | python3 -c 'import csv,sys
for r in csv.DictReader(sys.stdin):
    what = "prompt" if int(r["n_prompt"]) else "generation"
    print("llama.cpp: %s %.1f tok/s" % (what, float(r["avg_ts"])))'
  "$bin" bench llm --repetitions 3 | grep '^prompt' | sed 's/^/shikaku: /'
done
