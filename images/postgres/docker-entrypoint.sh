#!/bin/bash
# Entrypoint of composer-test/postgres:15, honouring the official image's contract:
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
#   POSTGRES_USER (default postgres), POSTGRES_DB (default: the user's name),
#   PGDATA (default /var/lib/postgresql/data), POSTGRES_INITDB_ARGS,
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256) and the scripts in
#   /docker-entrypoint-initdb.d (*.sh, *.sql), run once on an empty data directory.
# The server runs as user postgres, listens on 0.0.0.0:5432 and replaces this
# shell, so it receives the stop signal directly.
set -Eeuo pipefail

log() {
    printf 'entrypoint: %s\n' "$*" >&2
}

# Read VAR or VAR_FILE (Docker secrets), as the official image does.
file_env() {
    local var="$1" default="${2:-}" file_var="${1}_FILE" value
    value="$default"
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        log "both $var and $file_var are set; use one"
        exit 1
    elif [ -n "${!var:-}" ]; then
        value="${!var}"
    elif [ -n "${!file_var:-}" ]; then
        value="$(<"${!file_var}")"
    fi
    export "$var"="$value"
    unset "$file_var"
}

# As root: make the data and socket directories belong to postgres.
prepare_dirs() {
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 3777 /var/run/postgresql
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$PGDATA" /var/run/postgresql
        chmod 700 "$PGDATA"
    fi
}

check_settings() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        log "the database is uninitialised and POSTGRES_PASSWORD is empty;"
        log "set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow"
        log "every connection without a password (never do that in production)"
        exit 1
    fi
}

init_database() {
    local pwfile
    log "initialising a new cluster in $PGDATA"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list by contract
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" \
        --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
        ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    {
        printf '\n# Added by docker-entrypoint.sh: any address, password auth.\n'
        printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD"
    } >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
}

# Start a server on a private socket only (so that a pg_isready health check does
# not report ready too early), create the database, run the init scripts.
run_setup() {
    local f
    PGHOST="$(mktemp -d)"
    export PGHOST
    pg_ctl -D "$PGDATA" -w \
        -o "-c listen_addresses='' -c unix_socket_directories=$PGHOST" start >/dev/null
    local psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER")
    if [ "$POSTGRES_DB" != postgres ]; then
        echo 'CREATE DATABASE :"db";' |
            "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" >/dev/null
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
        *.sh)
            log "running $f"
            # shellcheck disable=SC1090
            . "$f"
            ;;
        *.sql)
            log "running $f"
            "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" >/dev/null
            ;;
        *.sql.gz)
            log "running $f"
            gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" >/dev/null
            ;;
        *) [ -e "$f" ] && log "ignoring $f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    rmdir "$PGHOST"
    unset PGHOST
    log "initialisation done"
}

main() {
    if [ "${1:0:1}" = '-' ]; then
        set -- postgres "$@"
    fi
    if [ "$1" != postgres ]; then
        exec "$@"
    fi

    export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
    prepare_dirs
    if [ "$(id -u)" = 0 ]; then
        exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
    fi

    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    export POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        check_settings
        init_database
        run_setup
    else
        log "found an existing cluster in $PGDATA; skipping initialisation"
    fi
    unset POSTGRES_PASSWORD
    exec "$@"
}

main "$@"
