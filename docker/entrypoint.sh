#!/bin/sh
# Keyhold container entrypoint: `entrypoint.sh ROLE [ARGS...]` waits (bounded by
# KEYHOLD_WAIT_SECONDS, default 60; 0 skips) for the servers ROLE needs, then execs ROLE's command
# with ARGS appended, so the process gets signals directly.
set -eu

app_dir=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
roles="web worker beat migrate listener manage"

usage() {
    cat >&2 <<EOF
usage: entrypoint.sh ROLE [ARGS...]
roles:
  web       gunicorn serving Django (HOST, PORT, WEB_CONCURRENCY)
  worker    Celery worker on the telemetry and maintenance queues
  beat      Celery beat scheduler (run exactly one)
  migrate   apply database migrations and MongoDB indexes, move old readings into buckets, then exit
  listener  telemetry UDP/TCP socket listener
  manage    any manage.py command, e.g. 'manage createsuperuser'
For a shell, override the entrypoint: docker compose run --rm --entrypoint sh web
EOF
}

if [ $# -eq 0 ]; then
    echo "keyhold-entrypoint: no role given; expected one of: $roles" >&2
    usage
    exit 64
fi
role=$1
shift

# Each role waits only for what it talks to; Django itself reports a missing or malformed value.
all="DATABASE_URL REDIS_URL CELERY_BROKER_URL MONGODB_URL"
case "$role" in
    web)
        needs=$all
        set -- gunicorn -c config/gunicorn.conf.py config.wsgi "$@" ;;
    worker)
        needs=$all
        set -- celery -A config worker -Q telemetry,maintenance --loglevel INFO "$@" ;;
    beat)
        # The schedule goes to /tmp because the app filesystem is read-only in the container.
        needs="CELERY_BROKER_URL"
        set -- celery -A config beat --loglevel INFO --schedule /tmp/celerybeat-schedule "$@" ;;
    migrate)
        # Then the MongoDB indexes and retention TTLs, and older readings into buckets (below): all before
        # any other role starts.
        needs="DATABASE_URL MONGODB_URL"
        set -- python manage.py migrate --noinput "$@" ;;
    listener)
        needs=$all
        set -- python manage.py telemetry_listener "$@" ;;
    manage)
        needs="DATABASE_URL"
        set -- python manage.py "$@" ;;
    -h | --help | help)
        usage
        exit 0 ;;
    *)
        echo "keyhold-entrypoint: unknown role '$role'; expected one of: $roles" >&2
        usage
        exit 64 ;;
esac

cd "$app_dir"
# $needs is a list of names: split on spaces on purpose.
# shellcheck disable=SC2086
python docker/wait_for_services.py $needs
if [ "$role" = migrate ]; then
    # Not exec'd: the indexes come second, then readings stored before buckets are moved into buckets,
    # each step only if the one before succeeded (set -e).
    "$@"
    python manage.py telemetry_indexes
    set -- python manage.py telemetry_migrate_buckets
fi
exec "$@"
