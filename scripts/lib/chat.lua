-- wrk script for scripts/load.sh: POST /api/v1/chat, cycling through the questions in
-- $LOAD_QUESTIONS (one JSON string a line) over the conversations in $LOAD_SESSIONS (one
-- id a line). A response that is not 200 with "saved":true counts as an error: an answer
-- given from memory while the database could not keep it is a failure under load.
local questions, sessions = {}, {}
for line in io.lines(os.getenv("LOAD_QUESTIONS")) do questions[#questions + 1] = line end
for line in io.lines(os.getenv("LOAD_SESSIONS")) do sessions[#sessions + 1] = line end

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

-- Globals: done() reads them from each thread.
n, failed, statuses = 0, 0, {}
function init(args)
  n = id * 7919
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local body = string.format('{"session_id":"%s","message":%s}',
    sessions[n % #sessions + 1], questions[n % #questions + 1])
  return wrk.format(nil, "/api/v1/chat", nil, body)
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"saved":true', 1, true) then
    failed = failed + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total, by_status = 0, {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("failed")
    for status, count in pairs(thread:get("statuses")) do
      by_status[#by_status + 1] = status .. ": " .. count
    end
  end
  io.write(string.format("chat: %d requests, %d not answered and saved (%s), %d socket errors\n",
    summary.requests, total, table.concat(by_status, ", "),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("chat: %.0f req/s, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
