#!/usr/bin/env bash
# The API's load figures (README, "Speed"): `shikaku serve` (release build) on a throwaway
# SQLite database, then wrk on the same machine: POST /api/v1/chat, cycling through the
# questions of ../shared/eval/dev.jsonl (or $LOAD_FILE) over $SESSIONS conversations (1,000:
# about 20 messages each in a run, as a helpdesk conversation has a few), and GET /healthz,
# the stack's floor, in the same run. Installs wrk (Debian) when missing.
#   scripts/load.sh [CONNECTIONS=64] [SECONDS=20]
# The service runs with the environment as it is: SHIKAKU_MODEL=off for "model off",
# SHIKAKU_EMBEDDER=off for words alone.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-64}
seconds=${2:-20}
sessions=${SESSIONS:-1000}
questions_file=${LOAD_FILE:-../shared/eval/dev.jsonl}
bin=${SHIKAKU_BIN:-target/release/shikaku}
[ -x "$bin" ] || { echo "no $bin: run scripts/setup.sh first" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
. scripts/lib/service.sh
work=$(mktemp -d)
export DATABASE_URL="sqlite://$work/load.db" SHIKAKU_RATE_LIMIT=0
start_service "$work"
echo "service: $("$bin" --version 2>/dev/null || true) model=${SHIKAKU_MODEL:-default} embedder=${SHIKAKU_EMBEDDER:-default}, $(nproc) cores, wrk -t2 -c$connections -d${seconds}s"
python3 -c 'import json,sys
for line in open(sys.argv[1]):
    if line.strip(): print(json.dumps(json.loads(line)["question"], ensure_ascii=False))' \
  "$questions_file" > "$work/questions"
python3 - "$url" "$sessions" > "$work/sessions" <<'PY'
import json, sys, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
for _ in range(n):
    request = urllib.request.Request(f"{url}/api/v1/chat", data=json.dumps({"message": "こんにちは"}).encode(),
                                     headers={"Content-Type": "application/json"})
    print(json.load(urllib.request.urlopen(request))["session_id"])
PY
# Warm-up: every question once, so that caches hold what a running service would.
LOAD_QUESTIONS=$work/questions LOAD_SESSIONS=$work/sessions \
  wrk -t2 -c"$connections" -d3s -s scripts/lib/chat.lua "$url" > /dev/null
LOAD_QUESTIONS=$work/questions LOAD_SESSIONS=$work/sessions \
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/lib/chat.lua "$url" | grep '^chat:'
wrk -t2 -c"$connections" -d"${seconds}s" --latency "$url/healthz" \
  | awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {printf "healthz: %.0f req/s, p50 %s, p99 %s\n", rps, p50, p99}'
