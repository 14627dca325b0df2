-- POST {issuer}/token grant_type=client_credentials, client_secret_basic.
-- Env: BENCH_BASIC_AUTH ("Basic …").
dofile(os.getenv("BENCH_LIB") .. "/report.lua")
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_BASIC_AUTH")
