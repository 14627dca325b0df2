-- POST {issuer}/token grant_type=client_credentials, client_secret_basic.
-- Env: BENCH_BASIC_AUTH ("Basic …"); BENCH_CC_SCOPE, if set, is sent as `scope` (the peer,
-- Glewlwyd, requires one).
dofile(os.getenv("BENCH_LIB") .. "/report.lua")
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
local scope = os.getenv("BENCH_CC_SCOPE")
if scope and scope ~= "" then wrk.body = wrk.body .. "&scope=" .. scope end
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_BASIC_AUTH")
