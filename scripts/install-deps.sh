#!/usr/bin/env bash
# Debian packages Shikaku needs on a fresh machine: the IPADIC sources for the Japanese
# dictionary (mecab-ipadic). Without root, the package is unpacked under data/ instead.
# Prints the folder that holds the IPADIC sources.
set -euo pipefail
cd "$(dirname "$0")/.."
system=/usr/share/mecab/dic/ipadic
if [ -f "$system/matrix.def" ]; then
  echo "$system"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mecab-ipadic >&2
  echo "$system"
else
  mkdir -p data/pkg
  (cd data/pkg && apt-get download mecab-ipadic >&2 && dpkg-deb -x mecab-ipadic_*.deb root)
  echo "$PWD/data/pkg/root$system"
fi
