-- Refresh token rotation: POST {issuer}/token grant_type=refresh_token, client_secret_basic.
-- Env: BENCH_BASIC_AUTH, BENCH_TOKENS_FILE (one live refresh token per line, each of its own grant).
--
-- Each thread owns a queue of live, unused refresh tokens (dealt round-robin from the file in
-- setup()). request() pops one; response() parses the successor "refresh_token" from a 200 body and
-- pushes it back. With one request in flight per connection, queue + in flight = live chains, so
-- no token is ever presented twice. Tokens beyond one per connection are spares: a failed
-- rotation (non-200) loses its chain and a spare takes over. If a thread runs out, it sends a
-- dummy token, which the server refuses (400) and which shows up in the non-200 count.
--
-- BENCH_REFRESH_ROTATES=0 (the peer, Glewlwyd, whose refresh tokens do not rotate by default): a
-- 200 carries no successor; the tokens stay live, so each thread cycles through its own tokens
-- (one per connection and the spares) and counts a 200 with an "access_token" as success.
dofile(os.getenv("BENCH_LIB") .. "/report.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_BASIC_AUTH")

local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local rotates = os.getenv("BENCH_REFRESH_ROTATES") ~= "0"

function bench_setup(thread, index)
   local mine, i = {}, 0
   for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
      if line ~= "" then
         if i % nthreads == index - 1 then table.insert(mine, line) end
         i = i + 1
      end
   end
   thread:set("initial_tokens", table.concat(mine, " "))
end

local queue = {}
local head, tail = 1, 0
local next_static = 0  -- BENCH_REFRESH_ROTATES=0: index of the token sent last
bench_ok, bench_bad, bench_bad_status = 0, 0, ""
local bad_by_status = {}

function init(args)
   for tok in string.gmatch(initial_tokens or "", "%S+") do
      tail = tail + 1
      queue[tail] = tok
   end
end

function request()
   local tok
   if not rotates and tail > 0 then
      next_static = next_static % tail + 1
      tok = queue[next_static]
   elseif head <= tail then
      tok = queue[head]
      queue[head] = nil
      head = head + 1
   else
      tok = "exhausted-no-live-refresh-token-left"
   end
   return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. tok)
end

function response(status, headers, body)
   local successor = rotates and status == 200 and string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
   if successor then
      tail = tail + 1
      queue[tail] = successor
      bench_ok = bench_ok + 1
   elseif not rotates and status == 200 and string.find(body, '"access_token"', 1, true) then
      bench_ok = bench_ok + 1
   else
      bench_bad = bench_bad + 1
      bad_by_status[status] = (bad_by_status[status] or 0) + 1
      local parts = {}
      for code, n in pairs(bad_by_status) do table.insert(parts, code .. ":" .. n) end
      bench_bad_status = table.concat(parts, ",")
   end
end
