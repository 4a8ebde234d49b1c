#!/usr/bin/env bash
# Event streams held at once, and their memory (README, "Speed, second round"): `shikaku serve`
# (release build) on a throwaway SQLite database; STREAMS conversations each keep their
# widget's event stream open (GET /api/v1/sessions/{id}/events) while each also asks a
# question as a streamed chat (POST /api/v1/chat/stream), all at once (three questions,
# each asked once before). Prints the service's
# memory (RSS) before, with the streams held, and after the chats, per stream; and how long
# the streamed chats took. Every chat must end with its `done` event and every held stream
# must still be open at the end, else it fails.
#   [COLD=1] scripts/streams.sh [STREAMS=1000]   (COLD=1: the three questions never asked before)
# The service runs with the environment as it is (SHIKAKU_MODEL=off for "model off").
set -euo pipefail
cd "$(dirname "$0")/.."
streams=${1:-1000}
bin=${SHIKAKU_BIN:-target/release/shikaku}
[ -x "$bin" ] || { echo "no $bin: run scripts/setup.sh first" >&2; exit 1; }
# Two sockets per conversation on each side, and some to spare.
ulimit -n $((streams * 4 + 1024))
. scripts/lib/service.sh
work=$(mktemp -d)
export DATABASE_URL="sqlite://$work/streams.db" SHIKAKU_RATE_LIMIT=0 \
  SHIKAKU_MAX_STREAMS=$((streams * 2 + 16)) SHIKAKU_MAX_STREAMS_PER_CLIENT=$((streams * 2 + 16))
start_service "$work"
echo "service: model=${SHIKAKU_MODEL:-default} embedder=${SHIKAKU_EMBEDDER:-default}, $(nproc) cores, $streams conversations"
python3 - "$url" "$streams" "$service_pid" "${COLD:-0}" <<'PY'
import asyncio, json, sys, time, urllib.parse

url, n, pid, cold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("the service is gone")

async def request(method, path, body=None):
    """Opens a connection, sends the request and reads the status line and headers."""
    reader, writer = await asyncio.open_connection(host, port)
    data = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    writer.write(head.encode() + data)
    await writer.drain()
    status = (await reader.readline()).decode()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    if " 200 " not in status:
        raise RuntimeError(f"{method} {path}: {status.strip()}")
    return reader, writer

async def session():
    reader, writer = await request("POST", "/api/v1/chat", {"message": "こんにちは"})
    body = await reader.read(65536)
    writer.close()
    text = body.decode(errors="replace")
    return json.loads(text[text.index("{"):text.rindex("}") + 1])["session_id"]

async def streamed_chat(sid, question):
    started = time.perf_counter()
    reader, writer = await request("POST", "/api/v1/chat/stream", {"message": question, "session_id": sid})
    while True:
        line = await reader.readline()
        if not line:
            raise RuntimeError("a streamed chat ended without its done event")
        if line.startswith(b"event: done"):
            writer.close()
            return time.perf_counter() - started

questions = ["カードリーダーの申込期限はいつですか", "病院は何台申し込めますか", "ポスターはどこに貼ればいいですか"]

async def main():
    sessions = []
    for i in range(0, n, 50):
        sessions += await asyncio.gather(*(session() for _ in range(min(50, n - i))))
    # Each question once first: the chats then time the streams, not 1,000 askers of the
    # same three new questions (a new question's cost is `shikaku bench`'s). COLD=1 skips it.
    for question in ([] if cold else questions):
        await streamed_chat(sessions[0], question)
    await asyncio.sleep(1)
    before = rss_mb()
    held = await asyncio.gather(*(request("GET", f"/api/v1/sessions/{sid}/events") for sid in sessions))
    await asyncio.sleep(1)
    with_streams = rss_mb()
    started = time.perf_counter()
    times = sorted(await asyncio.gather(*(streamed_chat(sid, questions[i % 3]) for i, sid in enumerate(sessions))))
    wall = time.perf_counter() - started
    after = rss_mb()
    open_still = sum(1 for reader, _ in held if not reader.at_eof())
    for _, writer in held:
        writer.close()
    if open_still != n:
        raise SystemExit(f"only {open_still} of {n} held event streams are still open")
    pct = lambda p: times[round((len(times) - 1) * p)] * 1000
    print(f"streams: {n} event streams held: RSS {before:.1f} -> {with_streams:.1f} MB, "
          f"{(with_streams - before) * 1024 / n:.1f} KB per stream")
    print(f"streams: {n} streamed chats at once beside them: all done in {wall:.2f} s, "
          f"p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms; RSS after {after:.1f} MB; "
          f"{open_still} of {n} event streams still open")

asyncio.run(main())
PY
