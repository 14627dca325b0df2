-- Shared wrk reporting: collects the threads in setup() and prints one machine-readable line
--   BENCHJSON {...}
-- in done(). A script may define bench_setup(thread, index) to hand per-thread data to a thread,
-- and may keep per-thread globals bench_ok / bench_bad / bench_bad_status (read back here); without
-- them, "ok" is wrk's request count minus its non-2xx/3xx count.
local threads = {}

-- BENCH_DELAY_MS: each connection waits this many milliseconds (a fraction allowed) after a
-- response before its next request (wrk's delay()), which paces the run below the server's maximum
-- (bench/run's half-rate pass). wrk takes whole milliseconds, so the fraction is carried from one
-- delay to the next: the delays average BENCH_DELAY_MS.
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pace and pace > 0 then
   local carried = 0
   function delay()
      carried = carried + pace
      local whole = math.floor(carried)
      carried = carried - whole
      return whole
   end
end

function setup(thread)
   table.insert(threads, thread)
   if bench_setup then bench_setup(thread, #threads) end
end

function done(summary, latency, requests)
   local ok, bad, counted = 0, 0, false
   local statuses = {}
   for _, t in ipairs(threads) do
      local tok = t:get("bench_ok")
      if tok ~= nil then
         counted = true
         ok = ok + tok
         bad = bad + (t:get("bench_bad") or 0)
         local s = t:get("bench_bad_status") or ""
         for code, n in string.gmatch(s, "(%d+):(%d+)") do
            statuses[code] = (statuses[code] or 0) + tonumber(n)
         end
      end
   end
   if not counted then
      ok = summary.requests - summary.errors.status
      bad = summary.errors.status
   end
   local parts = {}
   for code, n in pairs(statuses) do table.insert(parts, string.format('"%s":%d', code, n)) end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"ok":%d,"bad":%d,"bad_statuses":{%s},"duration_us":%d,' ..
      '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"status_errors":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, ok, bad, table.concat(parts, ","), summary.duration,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
