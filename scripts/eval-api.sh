#!/usr/bin/env bash
# Grades question sets through the chat API, as users ask them: starts `shikaku serve` on a
# free port with a throwaway SQLite database (no rate limit), asks every item in a
# conversation of its own after its `history`, then stops the service.
#   scripts/eval-api.sh FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/eval-api.sh FILE..." >&2; exit 2; }
bin=target/debug/shikaku
. scripts/lib/service.sh
export DATABASE_URL="sqlite://$(mktemp -d)/eval.db" SHIKAKU_RATE_LIMIT=0
start_service "$(dirname "${DATABASE_URL#sqlite://}")"
status=0
for file in "$@"; do
  echo "== $file (through the chat API)"
  "$bin" eval "$file" --api "$url" || status=1
done
exit $status
