"""The event types a company can subscribe to: the one place that lists and describes them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    description: str


EVENT_TYPES: dict[str, EventType] = {e.name: e for e in (
    EventType("document.version.published", "Document version published",
              "A new version of one of your company's documents is published (an upload or a link)."),
    EventType("partner.document.version.published", "Partner's document version published",
              "A company in an active partnership with yours publishes a new version of a document your "
              "company may see (open to members or to partners; never a staff-only one)."),
    EventType("activity.posted", "Activity in your company feed",
              "Something appears in your company's feed: posted by your people or your systems through the "
              "API. Activity of private forum groups is never sent."),
    EventType("partnership.proposed", "Partnership proposed",
              "Your company proposed a partnership to another company, or received a proposal."),
    EventType("partnership.started", "Partnership started",
              "A partnership proposal between your company and another was accepted."),
    EventType("partnership.declined", "Partnership declined",
              "A partnership proposal between your company and another was declined."),
    EventType("partnership.ended", "Partnership ended",
              "A partnership of your company ended, or a proposal was withdrawn."),
)}

# Sent by "Send a ping" only; nobody subscribes to it.
PING = "webhook.ping"


def label_of(name: str) -> str:
    if name == PING:
        return "Ping"
    event_type = EVENT_TYPES.get(name)
    return event_type.label if event_type else name
