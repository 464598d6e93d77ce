-- wrk script: every request carries one of the bench users' tokens, in turn,
-- so each connection speaks for many users; prints a JSON summary at the end.
-- Environment: BENCH_TOKENS (file, one token a line), BENCH_PLACES (file, the
-- same user's "list-id task-id" a line), BENCH_PATH (with {list} and {task}
-- standing for that user's), BENCH_METHOD, BENCH_BODY (default: a new task).
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = line
end
local places = {}
if os.getenv("BENCH_PLACES") then
  for line in io.lines(os.getenv("BENCH_PLACES")) do
    local list, task = line:match("(%d+) (%d+)")
    places[#places + 1] = {list = list, task = task}
  end
end
local path = os.getenv("BENCH_PATH") or "/api/v1/tasks/"
local method = os.getenv("BENCH_METHOD") or "GET"
local fixed_body = os.getenv("BENCH_BODY")
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
  local index = ((counter * 7919 + thread_index * 104729) % #tokens) + 1
  local headers = {["Authorization"] = "Bearer " .. tokens[index]}
  local target = path
  if places[index] then
    target = target:gsub("{list}", places[index].list):gsub("{task}", places[index].task)
  end
  local body = nil
  if method ~= "GET" then
    headers["Content-Type"] = "application/json"
    body = fixed_body or ('{"title": "bench task ' .. counter .. '"}')
  end
  return wrk.format(method, target, headers, body)
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
