#!/usr/bin/env bash
# Grades question sets through the chat API, as users ask them: starts `shikaku serve` on a
# free port with a throwaway SQLite database (no rate limit), asks every item in a
# conversation of its own after its `history`, then stops the service.
#   scripts/eval-api.sh FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/eval-api.sh FILE..." >&2; exit 2; }
bin=target/debug/shikaku
work=$(mktemp -d)
DATABASE_URL="sqlite://$work/eval.db" SHIKAKU_RATE_LIMIT=0 SHIKAKU_ADDR=127.0.0.1:0 \
  "$bin" serve > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
# The service prints its address once it listens (port 0: the system picks a free one).
url=
for _ in $(seq 1 240); do
  url=$(grep -o 'serving on http://[0-9.:]*' "$work/serve.log" | sed 's/serving on //' || true)
  [ -n "$url" ] && break
  if ! kill -0 $server 2>/dev/null; then cat "$work/serve.log" >&2; exit 1; fi
  sleep 0.5
done
[ -n "$url" ] || { echo "the service did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
status=0
for file in "$@"; do
  echo "== $file (through the chat API)"
  "$bin" eval "$file" --api "$url" || status=1
done
exit $status
