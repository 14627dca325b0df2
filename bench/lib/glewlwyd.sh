#!/usr/bin/env bash
# The benchmark's peer: Glewlwyd, from Debian's `glewlwyd` package, on a loopback port with its own
# SQLite database and config file in a folder of the run. Used by bench/run; see bench/README.md
# ("Peer: Glewlwyd"). The fixtures (OIDC plugin instance, scope, user, client) and the tokens come
# from lib/glewlwyd_provision.py through Glewlwyd's admin REST API.
#
#   glewlwyd.sh install          install the package if it is missing (needs root; apt-get)
#   glewlwyd.sh start DIR PORT   a fresh database, an Ed25519 key and a config file in DIR, then
#                                glewlwyd in the background on 127.0.0.1:PORT (pid in
#                                DIR/glewlwyd.pid as soon as it runs, log in DIR/glewlwyd.log);
#                                returns once it answers
#
# A separate script rather than functions in bench/run so that set -e holds here: bench/run calls it
# as an `if` condition (a failure only leaves the peer columns empty), where set -e would not apply
# inside a function. Exits non-zero with the reason on stderr.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
say() { printf '\n== %s\n' "$*"; }
# apt_install, wait_up
source "$HERE/servers.sh"

DOC=/usr/share/doc/glewlwyd
INIT_SQL=$DOC/database/init.sqlite3.sql.gz
OIDC_PLUGIN=/usr/lib/glewlwyd/plugin/libprotocol_oidc.so

die() { echo "glewlwyd: $*" >&2; exit 1; }

install_glewlwyd() {
    if command -v glewlwyd >/dev/null && [[ -f $OIDC_PLUGIN && -f $INIT_SQL ]]; then
        command -v sqlite3 >/dev/null && command -v openssl >/dev/null && return 0
    fi
    # The postinst's default ("Personalized") sets a database up through dbconfig-common, which asks
    # questions and fails unattended. "No configuration" only copies the sample config to
    # /etc/glewlwyd, which this benchmark does not use (it writes its own config below).
    echo 'glewlwyd glewlwyd/config_type select No configuration' | debconf-set-selections
    # The postinst also starts the system service (invoke-rc.d) with that sample config. We want no
    # service: it would run on the sample's port 4593 beside the benchmark, or fail to start and
    # fail the install. A policy-rc.d that answers 101 ("action forbidden") stops it; containers
    # often have one already. Ours is only there for this install.
    local policy=/usr/sbin/policy-rc.d ours=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# bench/lib/glewlwyd.sh: no service starts while it installs glewlwyd\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        ours=1
    fi
    # dbconfig-no-thanks: the package depends on one of dbconfig-{mysql,sqlite3,pgsql,no-thanks};
    # without it apt picks dbconfig-mysql and pulls in a MariaDB client for nothing.
    local rc=0
    apt_install glewlwyd dbconfig-no-thanks sqlite3 openssl || rc=$?
    (( ours )) && rm -f "$policy"
    (( rc == 0 )) || die "could not install the glewlwyd package"
    [[ -f $OIDC_PLUGIN && -f $INIT_SQL ]] || die "the glewlwyd package lacks $OIDC_PLUGIN or $INIT_SQL"
}

start_glewlwyd() {
    local dir=$1 port=$2
    mkdir -p "$dir/no-middleware"
    # The package's own initialisation script: core tables, every module's and plugin's tables, the
    # user and client database backends, and the `admin` user (password "password", per
    # database/README.md) with the admin scope g_admin. WAL is a property of the database file.
    zcat "$INIT_SQL" | sqlite3 "$dir/glewlwyd.db"
    [[ $(sqlite3 "$dir/glewlwyd.db" 'PRAGMA journal_mode=WAL;') == wal ]] || die "could not put the database in WAL mode"
    # The signing key: Ed25519 (JWS alg EdDSA), the algorithm Gatehouse signs with by default.
    openssl genpkey -algorithm ed25519 -out "$dir/ed25519.key" 2>/dev/null
    openssl pkey -in "$dir/ed25519.key" -pubout -out "$dir/ed25519.pub"
    # The package's sample (/etc/glewlwyd/glewlwyd.conf) minus the web app's static files and the
    # TLS settings, with this run's port, loopback only, and what a plain-HTTP loopback test needs:
    # cookie_secure=0 and the cookie domain 127.0.0.1 (the admin API and the login API use the
    # session cookie). Log level WARNING like Gatehouse's (INFO logs every token issued).
    # user_middleware_module_path: an empty folder (the package ships no such modules and the
    # default path does not exist, which logs an error at start).
    cat >"$dir/glewlwyd.conf" <<EOF
# Written by bench/lib/glewlwyd.sh for one benchmark run.
port=$port
bind_address="127.0.0.1"
external_url="http://127.0.0.1:$port"
login_url="login.html"
api_prefix="api"
allow_origin="*"
log_mode="console"
log_level="WARNING"
cookie_domain="127.0.0.1"
cookie_secure=0
cookie_same_site="empty"
session_expiration=2419200
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
plugin_api_run_enabled=""
add_x_frame_option_header_deny=true
max_post_size=16778240
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
user_middleware_module_path="$dir/no-middleware"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
response_allowed_compression="deflate,gzip"
database = { type = "sqlite3"; path = "$dir/glewlwyd.db"; };
EOF
    glewlwyd --config-file "$dir/glewlwyd.conf" </dev/null >"$dir/glewlwyd.log" 2>&1 &
    echo $! >"$dir/glewlwyd.pid"
    wait_up "$!" "http://127.0.0.1:$port/config" "$dir/glewlwyd.log" || die "did not start"
    echo "glewlwyd $(glewlwyd --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1) pid $(cat "$dir/glewlwyd.pid") on http://127.0.0.1:$port, data $dir"
}

case ${1:-} in
    install) install_glewlwyd ;;
    start) (( $# == 3 )) || die "usage: glewlwyd.sh start DIR PORT"; start_glewlwyd "$2" "$3" ;;
    *) die "usage: glewlwyd.sh install | start DIR PORT" ;;
esac
