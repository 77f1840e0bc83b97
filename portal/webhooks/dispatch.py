"""Who sends, and when: after commit in a background thread, inline, or only from the CLI.

WEBHOOKS_SENDER:
- "thread" (default): after a commit that made deliveries, the app's sender thread sends them,
  so the request that caused them never waits for somebody else's server (a slow endpoint has
  up to 15 s of timeouts). While the process lives, the thread also sends the retries that come
  due (it looks every WEBHOOKS_SWEEP_SECONDS, 30 by default). Its one database session is its own.
- "inline": sent in the committing thread right after the commit (tests; scripts that must
  know the outcome before they exit).
- "off": nothing is sent by the web process; `portal webhooks deliver` (cron or a worker loop)
  does it all.
Whatever the mode, deliveries are rows: anything a process did not get to (it stopped, the
thread's queue was lost with it) is sent by the next sweep or `portal webhooks deliver`.
"""

from __future__ import annotations

import logging
import queue
import threading

from flask import Flask, current_app, has_app_context

from portal.webhooks.delivery import DeliverySettings, deliver_due

log = logging.getLogger(__name__)


def on_queued(payload: dict) -> None:
    """The "webhook.queued" event: new deliveries were committed."""
    if not has_app_context():
        return
    app = current_app._get_current_object()
    mode = app.config.get("WEBHOOKS_SENDER", "thread")
    ids = [int(i) for i in payload.get("delivery_ids", [])]
    if not ids or "portal_db" not in app.extensions:
        return
    if mode == "inline":
        send_now(app, ids)
    elif mode == "thread":
        sender_thread(app).submit(ids)


def send_now(app: Flask, delivery_ids: list[int] | None = None) -> None:
    from portal.db import db

    session = db.new_session(writes=True)
    try:
        deliver_due(session, DeliverySettings.from_config(app.config), delivery_ids=delivery_ids)
    except Exception:  # noqa: BLE001 - rows stay pending; the next sweep or the CLI sends them
        log.exception("sending webhooks failed")
        session.rollback()
    finally:
        session.close()


class SenderThread:
    """One daemon thread per app: sends what commits hand it, and sweeps for due retries."""

    def __init__(self, app: Flask, sweep_seconds: float) -> None:
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.requests: queue.Queue[list[int]] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self.thread.start()

    def submit(self, delivery_ids: list[int]) -> None:
        self.requests.put(delivery_ids)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what was handed over, then end the thread."""
        self.requests.put(_STOP)
        self.thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            taken = 0
            try:
                ids: list[int] | None = self.requests.get(timeout=self.sweep_seconds)
                taken = 1
            except queue.Empty:
                ids = None  # a sweep: everything due
            else:
                if ids is _STOP:
                    self.requests.task_done()
                    return
                ids = list(ids)
                while True:  # take whatever else is already waiting in one go
                    try:
                        more = self.requests.get_nowait()
                    except queue.Empty:
                        break
                    taken += 1
                    if more is _STOP:
                        stopping = True
                        break
                    ids += more
            with self.app.app_context():
                send_now(self.app, ids)
            for _ in range(taken):
                self.requests.task_done()  # lets `requests.join()` wait for what was handed over


_STOP: list[int] = []  # a sentinel: compared by identity
_lock = threading.Lock()


def sender_thread(app: Flask) -> SenderThread:
    with _lock:
        thread = app.extensions.get("webhook_sender")
        if thread is None:
            thread = SenderThread(app, float(app.config.get("WEBHOOKS_SWEEP_SECONDS", 30)))
            app.extensions["webhook_sender"] = thread
        return thread


def stop_sender_thread(app: Flask) -> None:
    """Stop the app's sender thread, if it runs (tests; an orderly shutdown)."""
    with _lock:
        thread = app.extensions.pop("webhook_sender", None)
    if thread is not None:
        thread.stop()
