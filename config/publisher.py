"""Celery publishes off the request: what a transaction queues on commit is published by a background thread.

A publish to Redis costs a request a round trip or more (a broker that is away: up to the connect timeout), yet
nothing in the response depends on it. `publish_after_commit(call, *args)` hands `call(*args)` (a function that
publishes a task, such as `notifications.tasks.publish`) to one daemon thread per process, which runs the calls
in order. The thread starts at the first publish, in the process that publishes: a gunicorn worker forked from a
master whose thread (if any) does not survive the fork starts its own.

A process that exits in good order waits for its thread a few seconds (EXIT_WAIT); a call the thread has not run
when the process dies is lost, so every caller keeps a backstop that publishes again: the outbox's rows and
`relay_outbox` for the e-mails, `expire_waitlist_offers` for the waitlist's offers. Where tasks run eagerly
(CELERY_TASK_ALWAYS_EAGER: the tests, the embedded default) the call runs inline on commit, as the task would in a
worker, so that its effects are there when the request returns.
"""
import atexit
import logging
import os
import queue
import threading
from functools import partial

from django.db import transaction

from .celery import app

logger = logging.getLogger(__name__)

EXIT_WAIT = 5  # seconds


class BackgroundPublisher:
    """One daemon thread running the calls put to it, in order; each failure is logged, never raised."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self._lock = threading.Lock()
        self._calls = None  # a queue.Queue once the thread runs

    def put(self, call):
        with self._lock:
            if self._calls is None:
                self._calls = queue.Queue()
                threading.Thread(target=self._run, args=(self._calls,), name="celery-publisher", daemon=True).start()
            self._calls.put(call)

    def drain(self, timeout=None):
        """Wait until every call put so far has run, or `timeout` seconds (tests; a process about to stop)."""
        calls = self._calls
        if calls is not None:
            with calls.all_tasks_done:
                calls.all_tasks_done.wait_for(lambda: not calls.unfinished_tasks, timeout)

    @staticmethod
    def _run(calls):
        while True:
            call = calls.get()
            try:
                call()
            except Exception:  # a broker away; the caller's backstop publishes again
                logger.warning("Publishing %r failed; its backstop will publish again", call, exc_info=True)
            finally:
                calls.task_done()


publisher = BackgroundPublisher()
# A process that stops in good order (a gunicorn worker restarted) first publishes what it holds, a little while.
atexit.register(publisher.drain, EXIT_WAIT)


def publish_after_commit(call, *args):
    """Once the current transaction commits, run `call(*args)` in this process's background publisher, or inline
    where tasks run eagerly. Outside a transaction: at once, the same way."""
    transaction.on_commit(partial(_publish, partial(call, *args)))


def _publish(call):
    if app.conf.task_always_eager:
        call()
    else:
        publisher.put(call)
