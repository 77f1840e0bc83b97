"""Open streams in this process and the hand-off of new log rows to them.

The log (log.py) is the mailbox, and waking the broker is the doorbell: whoever learns that rows
were written — the after-commit handler in this process, a message from another process through
Redis, or a stream's heartbeat noticing that nobody rang for a while — calls `wake()`, and one
thread at a time reads the rows above the broker's cursor and puts each into the queue of every
subscriber listening on its channel. Because the log hands out ids in commit order, reading "above
the cursor" never skips a row, and every stream sees its events in id order.

A stream holds one server thread while it waits (see README, "Live updates"): the caps keep
enough threads free for ordinary page requests. Under gunicorn that thread only waits: the
stream's socket is adopted by the process's one StreamWriter (writer.py), which sends the queued
events itself; elsewhere (the development server, the test client) the stream's thread is woken
to send them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable

from portal.realtime.log import LiveRecord
from portal.realtime.writer import AdoptedStream, StreamWriter

log = logging.getLogger(__name__)


class StreamLimitReached(Exception):
    """Too many open streams: for this person (`per_person`) or for this process."""

    def __init__(self, per_person: bool) -> None:
        super().__init__("too many live streams for this person" if per_person else "too many live streams")
        self.per_person = per_person


class Subscriber:
    """One open stream's queue. `get` blocks until events arrive, the timeout passes or it closes."""

    def __init__(self, person_id: int | None, channels: frozenset[str], max_queue: int) -> None:
        self.person_id = person_id
        self.channels = channels
        self._max_queue = max_queue
        self._items: deque[LiveRecord] = deque()
        self._ready = threading.Condition(threading.Lock())
        self.closed = False
        self.overflowed = False  # the client reads slower than events come: it must reload
        self.adopted: AdoptedStream | None = None  # set once a StreamWriter sends for this stream

    def put(self, record: LiveRecord) -> bool:
        """Queue a record without waking the reader (see LiveBroker.dispatch); False when full."""
        with self._ready:
            if len(self._items) >= self._max_queue:
                self.overflowed = True
                return False
            self._items.append(record)
            return True

    def wake(self) -> None:
        with self._ready:
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify()

    def get(self, timeout: float) -> list[LiveRecord]:
        with self._ready:
            if not self._items and not self.closed and not self.overflowed:
                self._ready.wait(timeout)
            return self._take()

    def take(self) -> list[LiveRecord]:
        """What is queued now, without waiting."""
        with self._ready:
            return self._take()

    def _take(self) -> list[LiveRecord]:
        items = list(self._items)
        self._items.clear()
        return items


class LiveBroker:
    """Subscriptions by channel, connection caps, and delivery of new log rows."""

    def __init__(self, read_after: Callable[[int], list[LiveRecord]], newest_id: Callable[[], int], *,
                 max_streams: int, max_per_person: int, max_queue: int = 500, poll_seconds: float = 5.0) -> None:
        self._read_after = read_after  # reads the log (own session) above an id
        self._newest_id = newest_id
        self.max_streams = max_streams
        self.max_per_person = max_per_person
        self._max_queue = max_queue
        self._poll_seconds = poll_seconds
        self._lock = threading.Lock()  # subscriptions
        self._by_channel: dict[str, set[Subscriber]] = defaultdict(set)
        self._per_person: Counter[int] = Counter()
        self._count = 0
        self._cursor: int | None = None  # the newest log id handed out (None: not read yet)
        self._reading = threading.Lock()  # one reader of the log at a time
        self._rang = threading.Event()  # a wake-up arrived while someone was reading
        self._last_read = 0.0
        self.closing = False
        self.writer = StreamWriter()  # its thread starts with the first adopted stream

    # --- subscriptions --------------------------------------------------------------------------

    @property
    def stream_count(self) -> int:
        return self._count

    def start_cursor(self, newest_id: int | None = None) -> int:
        """The id streams opened now start after (`newest_id`: the log's newest id, read by the
        caller's own session). Set on first use; no lock is held while the log is read, so a
        request that holds a pooled connection never waits for a reader that waits for one."""
        if self._cursor is None or (newest_id is not None and newest_id < self._cursor):
            newest = self._newest_id() if newest_id is None else newest_id
            with self._lock:
                # Also when the log's ids went back (a database restored from a backup; in tests, a
                # rolled-back transaction): the rows above the old cursor would never be handed out.
                if self._cursor is None or newest < self._cursor:
                    self._cursor = newest
                    self._last_read = time.monotonic()
        return self._cursor

    def subscribe(self, person_id: int | None, channels: Iterable[str]) -> Subscriber:
        subscriber = Subscriber(person_id, frozenset(channels), self._max_queue)
        with self._lock:
            if self.closing or self._count >= self.max_streams:
                raise StreamLimitReached(per_person=False)
            if person_id is not None and self._per_person[person_id] >= self.max_per_person:
                raise StreamLimitReached(per_person=True)
            self._count += 1
            if person_id is not None:
                self._per_person[person_id] += 1
            for channel in subscriber.channels:
                self._by_channel[channel].add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            removed = False
            for channel in subscriber.channels:
                listeners = self._by_channel.get(channel)
                if listeners is not None and subscriber in listeners:
                    listeners.discard(subscriber)
                    removed = True
                    if not listeners:
                        del self._by_channel[channel]
            if not removed:
                return
            self._count -= 1
            if subscriber.person_id is not None:
                self._per_person[subscriber.person_id] -= 1
                if self._per_person[subscriber.person_id] <= 0:
                    del self._per_person[subscriber.person_id]

    def close(self) -> None:
        """Shutting down: refuse new streams and end the open ones (browsers reconnect elsewhere)."""
        with self._lock:
            self.closing = True
            everyone = {s for listeners in self._by_channel.values() for s in listeners}
        for subscriber in everyone:
            subscriber.close()
        self._wake_all(everyone)

    # --- delivery -------------------------------------------------------------------------------

    def dispatch(self, records: list[LiveRecord]) -> None:
        """Queue the records for their channels' subscribers, then wake each subscriber once.
        Waking while still queueing would make woken stream threads compete for the GIL with
        this loop; queueing first keeps the loop short (benchmarks/live.py)."""
        with self._lock:
            targets = [(record, list(self._by_channel.get(record.channel, ()))) for record in records]
        woken: dict[int, Subscriber] = {}
        for record, subscribers in targets:
            record.frame(chunked=True)  # format once here, not for every stream
            for subscriber in subscribers:
                subscriber.put(record)
                woken[id(subscriber)] = subscriber
        self._wake_all(woken.values())

    def _wake_all(self, subscribers: Iterable[Subscriber]) -> None:
        adopted: list[AdoptedStream] = []
        for subscriber in subscribers:
            # Read once: a stream adopted after this check has its queue drained by the writer anyway.
            stream = subscriber.adopted
            if stream is None:
                subscriber.wake()
            else:
                adopted.append(stream)
        if adopted:
            self.writer.wait_for_round(self.writer.ready(adopted), timeout=0.25)

    def wake(self) -> None:
        """New rows may be in the log: deliver them. Never blocks behind another reader: if one
        is busy, it reads again once done, so the rows this wake-up announced are not missed."""
        self._rang.set()
        while self._rang.is_set():
            if not self._reading.acquire(blocking=False):
                return  # the reader sees the flag when it finishes its round
            try:
                self._rang.clear()
                self._read_new()
            except Exception:  # noqa: BLE001 - the database is away: the next wake-up reads again
                log.exception("could not read the live event log")
                return
            finally:
                self._reading.release()

    def wake_if_stale(self) -> None:
        """A safety net for lost wake-ups (a Redis message missed, another process writing
        without Redis): read the log when nobody did for `poll_seconds`."""
        if self._poll_seconds and time.monotonic() - self._last_read >= self._poll_seconds:
            self.wake()

    def _read_new(self) -> None:
        self._last_read = time.monotonic()
        if self._cursor is None:
            return  # nobody ever subscribed (subscribing sets the cursor first): nothing to hand out
        while True:
            records = self._read_after(self._cursor)
            if not records:
                return
            self._cursor = records[-1].id
            self.dispatch(records)
