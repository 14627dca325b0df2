-- POST {issuer}/introspect token=<a valid user access token>, client_secret_basic.
-- Env: BENCH_BASIC_AUTH, BENCH_ACCESS_TOKEN. (bench/run checks before and after that the token
-- introspects as active, since a 200 {"active":false} would count as success here.)
dofile(os.getenv("BENCH_LIB") .. "/report.lua")
wrk.method = "POST"
wrk.body = "token=" .. os.getenv("BENCH_ACCESS_TOKEN") .. "&token_type_hint=access_token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_BASIC_AUTH")
