#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document with schemathesis (PyPI), every check
# on every operation, as nobody and signed in (an admin, who may use both consoles):
# starts `shikaku serve` on a free port with a throwaway SQLite database, LINE and Telegram
# on (their APIs unreachable: nothing valid is ever sent to them), no rate limit. Fails on
# any failure schemathesis reports.
#   [FUZZ_EXAMPLES=N (per operation, default 25)] scripts/fuzz-api.sh [extra schemathesis options]
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.32.5
venv=data/venv-schemathesis
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
bin=target/debug/shikaku
work=$(mktemp -d)
export DATABASE_URL="sqlite://$work/fuzz.db" SHIKAKU_RATE_LIMIT=0 SHIKAKU_MODEL=off \
  SHIKAKU_LINE_CHANNEL_SECRET=fuzz-line-secret SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN=fuzz-line-token \
  SHIKAKU_LINE_API_URL=http://127.0.0.1:9 \
  SHIKAKU_TELEGRAM_BOT_TOKEN=123:fuzz SHIKAKU_TELEGRAM_MODE=webhook \
  SHIKAKU_TELEGRAM_WEBHOOK_SECRET=fuzz-telegram-secret SHIKAKU_TELEGRAM_API_URL=http://127.0.0.1:9
password="fuzzing password $RANDOM$RANDOM"
echo "$password" | "$bin" user add fuzz-admin --role admin > /dev/null
# The account the account operations act on (tests/fuzz/signed-in.toml).
echo "$password" | "$bin" user add fuzz-agent --role agent > /dev/null
. scripts/lib/service.sh
start_service "$work"

# The admin's session: its cookie and CSRF token.
login=$(curl -sS -D "$work/login.headers" -H 'Content-Type: application/json' \
  -d "$(python3 -c 'import json,sys; print(json.dumps({"name": "fuzz-admin", "password": sys.argv[1]}))' "$password")" \
  "$url/agent/api/login")
SHIKAKU_FUZZ_SESSION=$(grep -i '^set-cookie:' "$work/login.headers" | sed 's/^[^:]*: *[^=]*=//; s/;.*//' | tr -d '\r')
SHIKAKU_FUZZ_CSRF=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])' <<< "$login")
export SHIKAKU_FUZZ_SESSION SHIKAKU_FUZZ_CSRF

# st [--config-file FILE] [run options]. Each request is given 3 s: an event stream of a real
# session stays open, and waiting schemathesis's default 10 s for each made a run 3x longer.
# One worker: with two, hypothesis describes its strategies' lambdas with ast.parse from two
# threads at once, which the CPython 3.11 here can fail with "AST constructor recursion depth
# mismatch" (cpython#106905): a Runtime Error that fails the operation being fuzzed (CI, stop 24).
st() {
  local config=()
  if [ "${1:-}" = --config-file ]; then config=(--config-file "$2"); shift 2; fi
  "$venv/bin/schemathesis" "${config[@]}" run "$url/api/v1/openapi.json" --checks all --no-color \
    --workers 1 --max-examples "${FUZZ_EXAMPLES:-25}" --seed 1 --request-timeout 3 "$@"
}
status=0
echo "== schemathesis: not signed in"
st --config-file tests/fuzz/anonymous.toml "$@" || status=1
echo "== schemathesis: signed in (all but signing out, importing and publishing)"
st --config-file tests/fuzz/signed-in.toml --exclude-path /agent/api/logout \
  --exclude-path /admin/api/import --exclude-path /admin/api/publish "$@" || status=1
# Whether an imported file can be read, or the drafts published, is not something a schema
# can say: any bytes are a schema-valid body, and random bytes named .pdf are not a
# readable PDF; the run above edits and deletes drafts (the glossary too), and drafts with
# problems are not published (422 says so in both cases). These two are fuzzed with every
# other check.
echo "== schemathesis: signed in, importing and publishing"
st --config-file tests/fuzz/signed-in.toml --include-path /admin/api/import \
  --include-path /admin/api/publish --exclude-checks positive_data_acceptance "$@" || status=1
echo "== schemathesis: signed in, signing out"
st --config-file tests/fuzz/signed-in.toml --include-path /agent/api/logout "$@" || status=1
if grep -q 'panicked' "$work/serve.log"; then
  echo "the service panicked:" >&2
  grep -A5 'panicked' "$work/serve.log" >&2
  status=1
fi
exit $status
