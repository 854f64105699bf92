"""gunicorn settings for the web role; every value can be overridden from the environment."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
# gunicorn's rule of thumb, 2 x cores + 1: enough workers to keep every core busy while others wait on I/O.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
# gthread, measured against sync workers by `make bench` (16 connections, 2 cores, medians of 5 rounds, Nov 2026).
# Throughput and tail depend on load: quiet run, secret list sync 190 vs gthread 173 req/s, p99 105 vs 211 ms
# (gthread was bimodal then: a kept-alive connection stayed with one process, since fixed by worker_connections
# below; tail_latency p99/p50 2.1 sync, 2.9-3.9 gthread); machine overloaded by other jobs, gthread 59 vs 42
# req/s. What decides: during a login flood the pages' p99 rose 9.6x with sync (each waiting or hashing login
# holds a whole process) against 2.2-4x with gthread (login_storm), and a flood of sign-ins is an attack anyone
# can mount.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "config.gunicornworker.LingeringThreadWorker"
# /dev/shm keeps the worker heartbeat file off a possibly slow or read-only disk.
SHM_DIR = "/dev/shm"  # noqa: S108 - a RAM-backed directory, not a predictable temp file
worker_tmp_dir = SHM_DIR if os.path.isdir(SHM_DIR) else None
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# One connection per thread, none kept alive: a process accepts only while it has a free thread, so every
# request waits in one queue (the kernel's accept queue) for the first free thread of any process. With
# gunicorn's defaults (1,000 connections a process, keep-alive 5 s) a busy process kept accepting and queued
# requests behind its own, while another sat idle. Measured at 16 connections on 2 cores (`make bench`, Nov
# 2026, interleaved rounds of 1,200): the secret list's p99 fell from 280-448 to 251-312 ms (p99/p50 2.6-3.7
# to 1.8-2.2) for 5-8% less throughput (a connection per request); during a login flood the pages' p99 rose
# 1.7-1.8x instead of 2.0-3.9x (login_storm). Behind a proxy (see the README) the proxy keeps the clients'
# connections alive; a client that sends nothing within gunicorn's 5 s wait is closed.
worker_connections = threads
keepalive = 0
# Recycle workers now and then so a slow leak never grows unbounded; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
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
