"""Cross-process delivery of after-commit events through Redis pub/sub.

One process delivers its own events in-process (portal.events). With several app processes or
hosts, state kept in memory per process — the matching graph, live streams later — must also
hear what the *other* processes committed. With `REDIS_URL` set, every commit's batch is
published on one channel; a listener thread in each process hands batches from other processes
to the handlers that asked for remote events (`events.subscribe_batch(handler, remote=True)`).
Handlers that write shared state (search index, clouds, mail) stay local: the committing
process already did that work once.

Pub/sub delivers at most once: a message published while a listener is disconnected is lost.
After each (re)connection the listener hands remote handlers one `events.gap` event, so that
in-memory state rebuilds from the database instead of drifting.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid

import redis
from flask import Flask

from portal import events

log = logging.getLogger(__name__)
CHANNEL = "partnermesh:events"
GAP_EVENT = "events.gap"


class RedisEventRelay:
    """Publishes this app's commits and listens for other processes' commits."""

    def __init__(self, app: Flask, url: str, channel: str = CHANNEL) -> None:
        self.app = app
        self.origin = uuid.uuid4().hex  # per app object: two apps in one process are two peers
        self.channel = channel
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, batch: list[dict]) -> None:
        """Send one commit's events to the other processes (best effort: the data is committed)."""
        try:
            payload = json.dumps({"origin": self.origin, "events": batch}, default=str)
            self._client.publish(self.channel, payload)
        except (redis.RedisError, TypeError, ValueError):
            log.exception("could not relay %d events to other processes", len(batch))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen_forever, name="event-relay", daemon=True)
            self._thread.start()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self._connected.wait(timeout)

    def stop(self) -> None:
        self._stop.set()

    def _listen_forever(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                self._listen_once()
                delay = 0.5
            except redis.RedisError as error:
                self._connected.clear()
                log.warning("event relay lost Redis (%s); reconnecting in %.1f s", error, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)

    def _listen_once(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.channel)
            self._connected.set()
            # Whatever was published while we were not subscribed is lost: say so once.
            self._deliver([{"event": GAP_EVENT}])
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "message":
                    self._receive(message["data"])
        finally:
            pubsub.close()

    def _receive(self, data: bytes) -> None:
        try:
            payload = json.loads(data)
            if payload.get("origin") == self.origin:
                return
            batch = [event for event in payload["events"] if isinstance(event, dict) and "event" in event]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring a malformed event message on %s", self.channel)
            return
        if batch:
            self._deliver(batch)

    def _deliver(self, batch: list[dict]) -> None:
        with self.app.app_context():
            events.deliver_remote(batch)


def init_app(app: Flask) -> None:
    """Relay events through Redis when REDIS_URL is set (and not disabled for tests)."""
    url = app.config.get("REDIS_URL")
    if not url or not app.config.get("EVENT_RELAY", True):
        return
    relay = RedisEventRelay(app, url, channel=app.config.get("EVENT_RELAY_CHANNEL", CHANNEL))
    app.extensions["event_relay"] = relay
    relay.start()
