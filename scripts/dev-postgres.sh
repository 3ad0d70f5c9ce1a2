#!/usr/bin/env bash
# A local PostgreSQL for trying the CLI by hand (tests start their own throwaway clusters).
#
#   eval "$(scripts/dev-postgres.sh start)"   # starts it and exports CLOUDSHELF_PG_CONNECTION
#   scripts/dev-postgres.sh stop              # stops it and deletes its files
#
# The cluster lives in .artifacts/dev-postgres, listens on 127.0.0.1:${DEV_PG_PORT:-55432} and
# trusts local connections. PostgreSQL refuses to run as root, so as root it runs as `postgres`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${DEV_PG_PORT:-55432}
dir=$PWD/.artifacts/dev-postgres
bin=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1 || true)
[[ -n $bin ]] || { echo "PostgreSQL server binaries not found: run 'make deps'." >&2; exit 1; }

as_owner() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case ${1:-} in
start)
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        mkdir -p "$dir"
        [[ $(id -u) == 0 ]] && chown postgres "$dir"
        as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log"
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >&2
        as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qtc \
            "SELECT 1 FROM pg_database WHERE datname = 'cloudshelf'" postgres | grep -q 1 ||
            as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres cloudshelf
    fi
    echo "export CLOUDSHELF_PG_CONNECTION='Host=127.0.0.1;Port=$port;Username=postgres;Database=cloudshelf'"
    ;;
stop)
    if [[ -d $dir/data ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
        rm -rf "$dir"
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
