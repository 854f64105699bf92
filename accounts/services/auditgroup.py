"""Audit appends from one process's threads, grouped: one statement writes every record waiting at that moment.

The chain is one sequence, so appends are serial however many requests reveal at once. Here a thread that
appends outside a transaction queues its record and takes the process's writer lock; whoever holds it writes
all the records queued so far in one append (auditwrite.chain_append_many: one compare-and-swap statement),
and each waiting thread, once it gets the lock, finds its record written and returns. Under load the group
grows with the queue, so a process sends one statement per group instead of one per reveal, and its own
threads never race each other for the head; nor do the processes of one host, which take turns through a
lock file (accounts.services.audithostlock) instead of failing each other's compare-and-swaps. Each caller
still returns only after its record is committed (or raises if it could not be), so nothing is revealed
before its record is durable: this is group commit, not a write-behind buffer.
"""

import copy
import threading
from dataclasses import dataclass

from accounts.models.audit import AuditEvent
from accounts.services.audithostlock import host_lock
from accounts.services.auditwrite import chain_append_many

# A bound on one statement's size; a larger queue is written by the next holder of the lock.
GROUP_MAX = 64


@dataclass(eq=False, slots=True)
class _Queued:
    event: AuditEvent
    done: bool = False
    error: BaseException | None = None


_queue: list[_Queued] = []
_queue_lock = threading.Lock()
_writer_lock = threading.Lock()


def chain_append_grouped(event: AuditEvent) -> AuditEvent:
    """Append `event` (the caller is outside any transaction) with whatever other threads are appending now.

    Returns it saved once its record is committed; raises what its own append raised otherwise (a copy per
    thread, caused by the original, so each caller sees the error type it would have seen alone).
    """
    mine = _Queued(event)
    with _queue_lock:
        _queue.append(mine)
    with _writer_lock:
        # A queue longer than one group is written group by group, oldest first, until ours is done.
        while not mine.done:
            with host_lock():
                with _queue_lock:
                    group, _queue[:] = _queue[:GROUP_MAX], _queue[GROUP_MAX:]
                _write(group)
    if mine.error is not None:
        raise _own_copy(mine.error) from mine.error
    return event


def _write(group: list[_Queued]) -> None:
    try:
        _append(group)
        # One record the database refuses must not fail the others' reveals: a group that failed is written again
        # record by record, and only the records that fail alone fail.
        if len(group) > 1 and any(queued.error is not None for queued in group):
            for queued in group:
                queued.error = None
                _append([queued])
    finally:
        for queued in group:
            queued.done = True


def _append(group: list[_Queued]) -> None:
    try:
        chain_append_many([queued.event for queued in group])
    except BaseException as error:  # noqa: BLE001 - handed to every waiting caller, each raises it
        for queued in group:
            queued.error = error


def _own_copy(error: BaseException) -> BaseException:
    """A copy of the group's error: one exception object raised in several threads at once would have their
    tracebacks written into each other."""
    return copy.copy(error).with_traceback(None)
