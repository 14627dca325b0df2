# Shared bash for bench/run and bench/http (source it; it defines functions only): release builds,
# free loopback ports, waiting for a server, and the bare Hummingbird server of bench/baseline.
# The caller defines say() and REPO (the repository root).
#
# The functions return non-zero instead of exiting, so that a caller can decide whether a failure
# ends the run (bench/http) or only leaves some columns empty (bench/run). Callers must check
# every return value: set -e does not apply inside a function that runs as an `if` condition.

BASELINE_PKG="$REPO/bench/baseline"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# swift_release_build LABEL ARGS...: `swift build -c release ARGS`. Sources edited while SwiftPM
# compiles ("was modified during the build") fail a build, so that case is retried (3 attempts).
# On failure prints the tail of the log and returns 1.
swift_release_build() {
    local label=$1; shift
    say "build ($label)"
    local t0=$SECONDS log attempt built=0
    log=$(mktemp /tmp/gatehouse-bench-build.XXXXXX)
    for attempt in 1 2 3; do
        if swift build -c release "$@" >"$log" 2>&1; then built=1; break; fi
        grep -q "modified during the build" "$log" || break
        echo "sources changed during the build; retrying ($attempt)"
    done
    if (( built != 1 )); then
        tail -30 "$log"; rm -f "$log"
        echo "bench: release build failed ($label; log above)" >&2
        return 1
    fi
    rm -f "$log"
    echo "built in $((SECONDS - t0))s"
}

# wait_up PID URL LOG: returns 0 once URL answers 2xx (within 30 s); 1 if the process exited or
# the time ran out (with the tail of LOG).
wait_up() {
    local pid=$1 url=$2 log=$3 i
    for i in $(seq 150); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench: server for $url exited:"; tail -30 "$log"; return 1
        fi
        sleep 0.2
    done
    echo "bench: $url not ready after 30s"; tail -30 "$log"; return 1
}

# ---------------------------------------------------------------- bare Hummingbird baseline
# The baseline is only a baseline at the server's Hummingbird version: the `exact:` pins of the two
# Package.swift files must be equal.
hb_version() { sed -n 's|.*hummingbird-project/hummingbird.git", exact: "\([^"]*\)".*|\1|p' "$1"; }

# baseline_check: sets HB_BASE; returns 1 (saying why) if the versions differ.
baseline_check() {
    local main
    main=$(hb_version "$REPO/Package.swift")
    HB_BASE=$(hb_version "$BASELINE_PKG/Package.swift")
    if [[ -z $main || $main != "$HB_BASE" ]]; then
        echo "bench: Hummingbird ${main:-?} in Package.swift but ${HB_BASE:-?} in bench/baseline/Package.swift; make them equal" >&2
        return 1
    fi
}

# baseline_build: sets BASE_BIN (BENCH_BASELINE_BIN, or bench/baseline/.build/release/baseline) and
# builds it unless BENCH_BASELINE_BIN or BENCH_SKIP_BUILD=1 is set. Before building, the main
# checkout's Package.resolved is copied in, so the bare server runs on the same swift-nio and the
# rest as Gatehouse and SwiftPM finds every dependency in its cache (the build works offline).
baseline_build() {
    BASE_BIN=${BENCH_BASELINE_BIN:-$BASELINE_PKG/.build/release/baseline}
    if [[ -z ${BENCH_BASELINE_BIN:-} && ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
        [[ -f $REPO/Package.resolved ]] && cp "$REPO/Package.resolved" "$BASELINE_PKG/Package.resolved"
        swift_release_build "swift build -c release --package-path bench/baseline" \
            --package-path "$BASELINE_PKG" --product baseline || return 1
    fi
    if [[ ! -x $BASE_BIN ]]; then
        echo "bench: $BASE_BIN missing (build it: swift build -c release --package-path bench/baseline)" >&2
        return 1
    fi
}

# baseline_start PORT LOG: starts the bare server on 127.0.0.1:PORT, sets BASE_PID (set even when
# it then fails to come up, so the caller can stop it) and waits for /healthz.
baseline_start() {
    local port=$1 log=$2
    "$BASE_BIN" "$port" </dev/null >"$log" 2>&1 &
    BASE_PID=$!
    wait_up "$BASE_PID" "http://127.0.0.1:$port/healthz" "$log"
}

# ---------------------------------------------------------------- Debian packages
# apt_install PKG...: installs Debian packages (root only), noninteractively; if that fails, runs
# `apt-get update` once (a new machine may have no package lists yet) and tries again. apt's output
# goes to a log whose tail is printed on failure.
apt_install() {
    if (( EUID != 0 )); then
        echo "bench: not root, cannot install $* (apt-get install -y $*)" >&2
        return 1
    fi
    local log
    log=$(mktemp /tmp/gatehouse-bench-apt.XXXXXX)
    echo "installing: $*"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$log" 2>&1; then
        if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; } >"$log" 2>&1; then
            tail -15 "$log"; rm -f "$log"
            echo "bench: apt-get install $* failed (log above)" >&2
            return 1
        fi
    fi
    rm -f "$log"
}

# need_tools CMD[:PKG]...: installs the Debian package (PKG, default CMD) of each missing command.
need_tools() {
    local spec missing=()
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null || missing+=("${spec#*:}")
    done
    (( ${#missing[@]} == 0 )) || apt_install "${missing[@]}"
}
