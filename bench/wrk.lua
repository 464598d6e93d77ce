-- wrk script: every request carries one of the bench users' tokens, in turn,
-- so each connection speaks for many users; prints a JSON summary at the end.
-- Environment: BENCH_TOKENS (file, one token a line), BENCH_PATH, BENCH_METHOD.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = line
end
local path = os.getenv("BENCH_PATH") or "/api/v1/tasks/"
local method = os.getenv("BENCH_METHOD") or "GET"
local counter = 0
local thread_index = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", thread_index)
  thread_index = thread_index + 1
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local token = tokens[((counter * 7919 + thread_index * 104729) % #tokens) + 1]
  local headers = {["Authorization"] = "Bearer " .. token}
  local body = nil
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    body = '{"title": "bench task ' .. counter .. '"}'
  end
  return wrk.format(method, path, headers, body)
end

local non_2xx = 0
function response(status, headers, body)
  if status >= 300 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non_2xx") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p90_ms": %.2f, ' ..
    '"p99_ms": %.2f, "max_ms": %.2f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, bad + summary.errors.status))
end
