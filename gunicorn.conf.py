"""gunicorn settings for production (`make serve-prod`, or `gunicorn wsgi:app` from this folder).

Live updates keep one HTTP response open per browser tab (GET /live/stream). The `gthread` worker
gives each open response a thread, so `threads` must cover LIVE_MAX_STREAMS plus room for ordinary
pages. Those threads only wait: once a stream's opening is out, the process's one stream writer
(portal/realtime/writer.py) sends its events on gunicorn's socket, so one event costs one
non-blocking send per stream instead of waking a thousand threads (see README "Live updates").
gevent is not used: it would turn the matching graph's CPU-heavy rebuild thread into a greenlet
that freezes every request and stream of its worker for seconds.
"""

import os
import signal

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
wsgi_app = "wsgi:app"
worker_class = "gthread"
# One worker holds every stream of this host in one broker. Several workers (WEB_CONCURRENCY)
# need REDIS_URL so that a commit in one wakes the streams of the others at once (without it,
# they notice within LIVE_POLL_SECONDS).
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
_streams = int(float(os.environ.get("LIVE_MAX_STREAMS", "1000")))
threads = int(os.environ.get("PORTAL_THREADS", str(_streams + 64)))  # gthread: one per open response
worker_connections = threads + 64  # gthread counts open connections against this
backlog = 2048
keepalive = 5
timeout = 60  # the worker's heartbeat to the arbiter, not a per-request limit in gthread
graceful_timeout = 20
accesslog = os.environ.get("PORTAL_ACCESS_LOG") or None


def post_worker_init(worker):
    """On SIGTERM, end the open streams first: gthread waits for every open response before it
    exits, and browsers reconnect (with Last-Event-ID) to whichever worker serves next.

    Also move everything the app loaded into the collector's permanent generation: a full
    collection otherwise walks every module, template and mapper each time, 300 ms pauses with
    1,000 open streams that delay whatever every thread is sending (benchmarks/live.py)."""
    import gc

    gc.freeze()
    gunicorn_exit = worker.handle_exit

    def end_streams_then_exit(sig, frame):
        broker = getattr(worker.wsgi, "extensions", {}).get("live_broker")
        if broker is not None:
            broker.close()
        gunicorn_exit(sig, frame)

    worker.handle_exit = end_streams_then_exit
    signal.signal(signal.SIGTERM, end_streams_then_exit)

