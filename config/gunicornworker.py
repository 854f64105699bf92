"""gunicorn's gthread worker, with the lingering close of a finished connection moved off its event loop, a new
connection's first byte awaited for a moment only, and keep-alive for the API and health probes only."""

import contextlib
import errno
import selectors
import socket
import time
from functools import partial

from gunicorn import util
from gunicorn.workers.gthread import TConn, ThreadWorker

# gunicorn's own bounds for a lingering close (gunicorn.util.close_graceful).
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 65536
# Beyond this many sockets lingering at once, new ones close at once. Each holds a file descriptor for up to
# LINGER_SECONDS while the process keeps accepting, so the cap stays well under a common 1,024-descriptor limit,
# where an accept would fail with EMFILE.
LINGER_MAX_SOCKETS = 256
# How long a thread waits for a new connection's first request byte before handing it to the poller, where it waits
# without a thread (until GUNICORN_KEEPALIVE passes). gunicorn waits 5 s: with kept-alive connections a process takes
# more connections than it has threads, and a few clients that connect and say nothing held every thread of one for
# 5 s while it kept taking connections (tests/config/test_gunicorn_connections.py). Real clients send their request
# with the connection; one whose request takes longer than this to arrive is simply served from the poller.
FIRST_BYTE_SECONDS = 0.25
# Paths whose connections are kept alive: the token API and the health probes, whose clients (scripts, the Vault
# CLI, proxies, load balancers) send request after request. Browser pages close their connection after each
# answer, as before: a kept-alive page connection stays with one process, and during a login flood, whose requests
# hold threads while they wait for a hashing slot, the pages' requests then queued behind them (login_storm: the
# pages' p99 13.9 x idle with every connection kept alive, against a bar of 2).
KEEPALIVE_PATHS = ("/v1/", "/healthz")


class PromptConnection(TConn):
    """gthread's connection, waiting at most FIRST_BYTE_SECONDS on a thread for its first byte."""

    def wait_for_data(self, timeout):
        return super().wait_for_data(min(timeout, FIRST_BYTE_SECONDS))


class LingeringThreadWorker(ThreadWorker):
    """gthread, except that a connection closed after its response lingers on the poller, not on the main thread.

    gunicorn (26-27) closes a connection whose response was not kept alive with `util.close_graceful`, called
    on the worker's main thread: it sends FIN, then waits up to 2 s for the client to close, reading what it
    sent, so the kernel never answers leftover bytes with a reset that could cut the response short. Meanwhile
    that process accepts and dispatches nothing. A client that reads its answer but keeps the socket open (wapiti
    did, with keep-alive off) froze the whole process 2 s per request; any client can still ask for that close
    with `Connection: close`. Here the FIN goes out at once, the socket is drained by the poller as the client's
    bytes or its close arrive, and is closed at the latest 2 s later.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lingering: dict[socket.socket, list] = {}  # socket -> [deadline, bytes drained]
        # Requests handed to the thread pool and not finished yet.
        self.busy = 0

    # A process takes a new connection only while one of its threads is free, whatever gunicorn's count of open
    # connections says: idle kept-alive connections wait on the poller and need none. So a page's request waits in
    # the kernel's one queue for the first free thread of any process, instead of behind a busy process's own
    # (tail_latency, login_storm), while kept-alive API clients keep their connections.
    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self.busy < self.cfg.threads)

    def enqueue_req(self, conn):
        self.busy += 1
        if self.busy >= self.cfg.threads:
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def accept(self, listener):
        # gunicorn 27's accept, with PromptConnection for TConn.
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            client_sock.setblocking(True)
            self.enqueue_req(PromptConnection(self.cfg, client_sock, client_addr, listener.getsockname()))
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise

    def handle_request(self, req, conn):
        if not req.path.startswith(KEEPALIVE_PATHS):
            req.must_close = True
        return super().handle_request(req, conn)

    def finish_request(self, conn, fs):
        # gunicorn closes through conn.close(graceful=True) inside finish_request; route that call here.
        conn.close = partial(self.close_connection, conn)
        self.busy -= 1
        super().finish_request(conn, fs)
        if self.nr_conns < self.worker_connections:
            self.set_accept_enabled(True)

    def close_connection(self, conn, graceful=False):
        sock = conn.sock
        if not graceful or len(self.lingering) >= LINGER_MAX_SOCKETS:
            util.close(sock)
            return
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            self.poller.register(sock, selectors.EVENT_READ, self.drain)
        except (OSError, ValueError, KeyError):
            util.close(sock)
            return
        self.lingering[sock] = [time.monotonic() + LINGER_SECONDS, 0]

    def drain(self, sock):
        """Read and drop what the client still sends; close once it closes or has sent too much."""
        state = self.lingering.get(sock)
        if state is None:
            return
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        state[1] += len(data)
        if not data or state[1] >= LINGER_MAX_BYTES:
            self.stop_lingering(sock)

    def stop_lingering(self, sock):
        self.lingering.pop(sock, None)
        with contextlib.suppress(OSError, KeyError, ValueError):  # the poller may already be closed at shutdown
            self.poller.unregister(sock)
        util.close(sock)

    def murder_keepalived(self, force=False):
        # Called after every poll, and with force=True at shutdown: the place to end lingers that ran out.
        super().murder_keepalived(force=force)
        now = time.monotonic()
        for sock in [sock for sock, (deadline, _) in self.lingering.items() if force or deadline <= now]:
            self.stop_lingering(sock)
