"""The in-process broker without HTTP or a database: channels, caps, the doorbell, shutdown."""

from __future__ import annotations

import threading

import pytest

from portal.realtime.broker import LiveBroker, StreamLimitReached
from portal.realtime.log import LiveRecord
from portal.realtime.sse import format_event
from portal.realtime.stream import event_stream


class FakeLog:
    """The log as the broker reads it: rows above an id, oldest first."""

    def __init__(self) -> None:
        self.rows: list[LiveRecord] = []
        self.reads = 0

    def add(self, channel: str, event: str = "post", **data) -> LiveRecord:
        record = LiveRecord(len(self.rows) + 1, channel, event, data)
        self.rows.append(record)
        return record

    def read_after(self, after_id: int) -> list[LiveRecord]:
        self.reads += 1
        return [row for row in self.rows if row.id > after_id]

    def newest_id(self) -> int:
        return self.rows[-1].id if self.rows else 0


@pytest.fixture
def live():
    log = FakeLog()
    broker = LiveBroker(log.read_after, log.newest_id, max_streams=3, max_per_person=2, max_queue=5, poll_seconds=0)
    return log, broker


def test_each_subscriber_gets_only_its_channels_events(live):
    log, broker = live
    broker.start_cursor()
    ann = broker.subscribe(1, ["person:1", "thread:9"])
    ben = broker.subscribe(2, ["person:2"])
    log.add("thread:9")
    log.add("person:2", "notifications", unread=3)
    broker.wake()
    assert [r.channel for r in ann.get(timeout=0)] == ["thread:9"]
    assert [r.data for r in ben.get(timeout=0)] == [{"unread": 3}]
    # The cursor moved: waking again hands out nothing twice.
    broker.wake()
    assert ann.get(timeout=0) == [] and ben.get(timeout=0) == []


def test_events_written_before_the_first_stream_are_not_replayed_to_it(live):
    log, broker = live
    log.add("person:1")
    broker.start_cursor()
    ann = broker.subscribe(1, ["person:1"])
    broker.wake()
    assert ann.get(timeout=0) == []


def test_caps_per_person_and_per_process(live):
    _log, broker = live
    broker.subscribe(1, ["person:1"])
    second = broker.subscribe(1, ["person:1"])
    with pytest.raises(StreamLimitReached) as per_person:
        broker.subscribe(1, ["person:1"])
    assert per_person.value.per_person
    broker.subscribe(2, ["person:2"])
    with pytest.raises(StreamLimitReached) as total:
        broker.subscribe(3, ["person:3"])
    assert not total.value.per_person
    broker.unsubscribe(second)
    broker.unsubscribe(second)  # twice is harmless
    assert broker.stream_count == 2
    broker.subscribe(1, ["person:1"])


def test_a_slow_reader_overflows_and_is_told_to_reload(live):
    log, broker = live
    broker.start_cursor()
    ann = broker.subscribe(1, ["person:1"])
    for _ in range(7):
        log.add("person:1")
    broker.wake()
    stream = event_stream(broker, ann, start_id=0, backlog=[], reload=False, retry_ms=1000,
                          heartbeat_seconds=0.01, max_seconds=5)
    next(stream)  # retry + ready
    assert next(stream) == format_event("reload", {})
    with pytest.raises(StopIteration):
        next(stream)
    assert broker.stream_count == 0  # the stream's end unsubscribed it


def test_wake_ups_during_a_read_are_not_lost():
    """A wake-up arriving while another thread reads makes that reader read once more."""
    log = FakeLog()
    entered, release = threading.Event(), threading.Event()

    def slow_read(after_id):
        rows = log.read_after(after_id)
        if log.reads == 2:  # the first real read (the first call only set the cursor)
            entered.set()
            release.wait(5)
        return rows

    broker = LiveBroker(slow_read, log.newest_id, max_streams=5, max_per_person=5, poll_seconds=0)
    broker.start_cursor()
    ann = broker.subscribe(1, ["person:1"])
    log.add("person:1")
    reader = threading.Thread(target=broker.wake)
    reader.start()
    assert entered.wait(5)
    log.add("person:1")  # written while the first read is under way…
    broker.wake()  # …whose wake-up returns at once, the busy reader takes it over
    release.set()
    reader.join(5)
    assert [r.id for r in ann.get(timeout=0)] == [1, 2]


def test_shutdown_ends_open_streams_and_refuses_new_ones(live):
    _log, broker = live
    ann = broker.subscribe(1, ["person:1"])
    stream = event_stream(broker, ann, start_id=4, backlog=[], reload=False, retry_ms=1500,
                          heartbeat_seconds=5, max_seconds=60)
    assert next(stream) == "retry: 1500\n" + format_event("ready", {}, 4)
    threading.Timer(0.05, broker.close).start()
    with pytest.raises(StopIteration):
        next(stream)  # returns promptly instead of waiting out the heartbeat
    with pytest.raises(StreamLimitReached):
        broker.subscribe(2, ["person:2"])


def test_heartbeat_comment_when_nothing_happens(live):
    log, broker = live
    broker.start_cursor()
    ann = broker.subscribe(1, ["person:1"])
    stream = event_stream(broker, ann, start_id=0, backlog=[], reload=False, retry_ms=1000,
                          heartbeat_seconds=0.01, max_seconds=5)
    next(stream)
    assert next(stream) == ": keep-alive\n\n"
    log.add("person:1", "notifications", unread=1)
    broker.wake()
    assert next(stream) == format_event("notifications", {"unread": 1}, 1)
    stream.close()
    assert broker.stream_count == 0


def test_the_cursor_follows_a_log_whose_ids_went_back(live):
    """A database restored from a backup hands out ids the broker already passed."""
    _log, broker = live
    assert broker.start_cursor(40) == 40
    assert broker.start_cursor(50) == 40  # moving forward is the reader's job
    assert broker.start_cursor(12) == 12
