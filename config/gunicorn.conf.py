"""gunicorn settings for the web role; every value can be overridden from the environment."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
# gunicorn's rule of thumb, 2 x cores + 1: enough workers to keep every core busy while others wait on I/O. Measured
# again in Dec 2026 (README Performance): one process per core served the API about as fast (its reveals share one
# audit append per process, accounts/services/auditgroup.py, and fewer processes race less for the chain's head),
# but with 8 threads the pages lost to sync workers (web_worker_class 0.83), and with 4 the pages' p99 during a
# login flood rose 8-14x the idle p99 (login_storm, bar 2): fewer processes leave fewer free threads to go to.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gthread (threads above) with three changes, config/gunicornworker.py: keep-alive for the API and probes only, a
# new connection taken only by a process with a free thread, and the lingering close off the event loop. On the last:
# gunicorn's own gthread closes a connection
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
# The token API and the health probes keep their connections alive between requests (their clients, wrk, hvac,
# the Vault CLI, proxies and load balancers, send request after request); browser pages close theirs after each
# answer (config/gunicornworker.py, KEEPALIVE_PATHS). Closing every connection (keepalive 0, this file's setting
# until Dec 2026) cost a TCP connection per API request: /healthz answered about 1,950 requests/s under wrk against
# 2,500-3,600 kept alive, the KV read 430-540 against 530-650 (2 x 4 threads, interleaved rounds, busy machine).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A process takes a new connection only while one of its threads is free (config/gunicornworker.py), so a page's
# request waits in one queue (the kernel's accept queue) for the first free thread of any process. With gunicorn's
# own rule (a process accepts while it holds fewer connections than this) a busy process kept accepting and queued
# requests behind its own, while another sat idle: tail_latency 2.6-3.7 against 1.8-2.2 (Nov 2026); during a login
# flood the pages' p99 rose 4-23x the idle p99 (Dec 2026, bar 2). This bounds the connections a process holds,
# idle kept-alive ones included (gunicorn keeps at most this many minus its threads alive).
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
