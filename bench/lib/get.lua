-- Plain GET of the URL given to wrk (healthz, jwks.json, discovery).
dofile(os.getenv("BENCH_LIB") .. "/report.lua")
wrk.headers["Accept"] = "application/json"
