"""gunicorn settings for the web role; every value can be overridden from the environment."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
# One process per core (never fewer than two, so a worker being recycled or stuck never leaves no one to answer),
# 4 threads each; measured in Dec 2026 on 2 cores (README Performance), interleaved rounds on a busy machine: the
# Vault API's reads under wrk (16 keep-alive connections) and the pages under the bench's client (web_worker_class)
# against 2 x cores + 1 processes. Every reveal appends to the one audit chain, and fewer processes means fewer of
# them racing for its head (accounts/services/auditwrite.py): threads of one process share a single append. With 8
# threads the pages lost to sync workers (web_worker_class 0.83): CPU-bound requests fought over each process's
# interpreter lock.
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, os.cpu_count() or 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gthread (threads above) with one change, config/gunicornworker.py: gunicorn's own gthread closes a connection
# that is not kept alive by waiting up to 2 s on the process's event loop for the client to close, so any client
# sending `Connection: close` and keeping its socket open froze the whole process (tests/config/
# test_gunicorn_connections.py; the wapiti scan took 113 s instead of 39 s). The sync class has no event loop but
# does the same wait on its only thread after every response, and cannot keep a connection alive at all.
worker_class = "config.gunicornworker.LingeringThreadWorker"
# /dev/shm keeps the worker heartbeat file off a possibly slow or read-only disk.
SHM_DIR = "/dev/shm"  # noqa: S108 - a RAM-backed directory, not a predictable temp file
worker_tmp_dir = SHM_DIR if os.path.isdir(SHM_DIR) else None
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Connections are kept alive between requests (HTTP/1.1's default; wrk, hvac, the Vault CLI and proxies reuse
# them). Closing after every response (keepalive 0, this file's setting until Dec 2026) cost a TCP connection per
# request: /healthz answered 1,600 requests/s with a p99 of 36 ms under wrk, the KV read 303/s. An idle kept-alive
# connection waits on the process's poller, not on a thread, for GUNICORN_KEEPALIVE seconds.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Connections a process holds, idle kept-alive ones included: four per thread. Idle ones hold a slot until their
# keep-alive time ends, so with two per thread (16 slots on 2 cores) the 16 connections of a login flood took every
# slot and the pages' own connections waited behind them (login_storm 8.3, bar 2; 1.9 with four per thread). New
# connections go to whichever process has a slot; requests wait for a free thread in the process they are in.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", str(4 * threads)))
# The app is imported once in the master and workers are forked from it: recycling one (max_requests) costs a
# fork instead of a Django start (about a second of CPU, which at 1,000 requests/s per process recycled each one
# every 2 s with the old limit of 2,000). PyMongo and the database connect after the fork (post_fork, lazily).
preload_app = True
# Recycle workers now and then so a slow leak never grows unbounded; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = 5000
# One line per request stays: it costs about 26 µs of CPU (gunicorn's atoms and our redacting formatter), under 3%
# of a KV read, and it is what an operator reads first.
accesslog = "-"
errorlog = "-"
# Our formatters: one line per entry, control characters escaped, tokens redacted, JSON in production.
logger_class = "config.gunicornlog.KeyholdLogger"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "keyhold-web"
# gunicorn's runtime control socket is not used here. Left on, it lives at a fixed path under
# $HOME, which two servers on one host would share and a read-only container cannot write.
control_socket_disable = True


def post_fork(server, worker):
    # PyMongo is not fork-safe: connect in each worker after the fork, never in the master.
    from telemetry import mongo

    mongo.connect()
