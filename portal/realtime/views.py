"""GET /live/stream: the Server-Sent Events stream of the logged-in person (and an open thread)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user

from portal.db import db
from portal.errors import DomainError, NotFound
from portal.profiles.visibility import viewer_for
from portal.realtime import broker_of, services
from portal.realtime import log as live_log
from portal.realtime.broker import StreamLimitReached
from portal.realtime.stream import event_stream, server_socket
from portal.web import current_person

bp = Blueprint("live", __name__, url_prefix="/live")


@bp.get("/stream")
def stream():
    if not current_user.is_authenticated:
        abort(401)
    person = current_person()
    viewer = viewer_for(db.session, current_user, person)
    try:
        channels = services.channels_for(db.session, viewer, thread_id=request.args.get("thread"))
        last_event_id = services.parse_last_event_id(
            request.headers.get("Last-Event-ID") or request.args.get("last_event_id"))
    except NotFound:
        abort(404)
    except DomainError as error:
        abort(400, error.message)
    broker = broker_of(current_app)
    broker.start_cursor(live_log.newest_id(db.session))
    try:
        subscriber = broker.subscribe(viewer.person_id, channels)
    except StreamLimitReached as error:
        # Browsers' EventSource gives up on an error status; live.js retries later by itself.
        return Response(str(error), status=429 if error.per_person else 503, headers={"Retry-After": "30"},
                        mimetype="text/plain")
    try:
        plan = services.resume_plan(db.session, channels, last_event_id)
    except Exception:
        broker.unsubscribe(subscriber)
        raise
    db.session.close()  # a stream lasts long: never hold a pooled connection through it
    config = current_app.config
    body = event_stream(broker, subscriber, start_id=plan.start_id, backlog=plan.backlog, reload=plan.reload,
                        retry_ms=config["LIVE_RETRY_MS"], heartbeat_seconds=config["LIVE_HEARTBEAT_SECONDS"],
                        max_seconds=config["LIVE_STREAM_MAX_SECONDS"],
                        direct=server_socket(request.environ) if config["LIVE_DIRECT_WRITES"] else None)
    return Response(body, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
