# Sourced by the scripts that talk to a running service. start_service WORK: runs
# `$bin serve` (default target/debug/shikaku) on a free port (port 0) with the environment as it is, its
# log in WORK/serve.log; stops it and removes WORK on exit; sets `url` once it listens.
start_service() {
  service_work=$1
  "${bin:-target/debug/shikaku}" serve --addr 127.0.0.1:0 > "$service_work/serve.log" 2>&1 &
  service_pid=$!
  trap 'kill $service_pid 2>/dev/null; wait $service_pid 2>/dev/null; rm -rf "$service_work"' EXIT
  url=
  for _ in $(seq 1 240); do
    url=$(grep -o 'serving on http://[0-9.:]*' "$service_work/serve.log" | sed 's/serving on //' || true)
    [ -n "$url" ] && return 0
    if ! kill -0 "$service_pid" 2>/dev/null; then cat "$service_work/serve.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "the service did not start:" >&2
  cat "$service_work/serve.log" >&2
  exit 1
}
