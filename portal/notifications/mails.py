"""The text of notification mail: one notification right away, or a day's worth in a digest.

Every mail carries a one-click unsubscribe link in its body and in the List-Unsubscribe and
List-Unsubscribe-Post header fields (RFC 2369, RFC 8058), so mail clients offer an
"Unsubscribe" button that POSTs to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from portal.mail.models import OutboxMessage
from portal.mail.services import queue_mail
from portal.notifications.models import Notification
from portal.notifications.settings import NotificationSettings
from portal.notifications.unsubscribe import ALL_KINDS, make_token

KIND_NOUNS = {"mention": "mentions", "reply": "replies", "introduction": "introduction proposals",
              "message": "private messages", "document_version": "new document versions"}


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated"}


def unsubscribe_url(settings: NotificationSettings, person_id: int, kind: str) -> str:
    return settings.link(f"/notifications/unsubscribe/{make_token(settings.secret_key, person_id, kind)}")


def right_away_mail(notification: Notification, address: str, settings: NotificationSettings) -> dict:
    """One notification's mail (for portal.mail.services.queue_mails), sent once the transaction
    that made it commits."""
    stop = unsubscribe_url(settings, notification.person_id, notification.kind)
    body = (f"{notification.title}\n\n"
            f"Open it on PartnerMesh:\n{settings.link(notification.url)}\n\n"
            "-- \n"
            f"You get {KIND_NOUNS[notification.kind]} by mail right away. "
            f"Change that in your notification settings:\n{settings.link('/notifications/settings')}\n"
            f"Stop mail about {KIND_NOUNS[notification.kind]} with one click:\n{stop}\n")
    return {"to_address": address, "subject": notification.title, "body_text": body,
            "headers": unsubscribe_headers(stop)}


def queue_digest(session: Session, person_id: int, address: str, items: Sequence[Notification],
                 settings: NotificationSettings) -> OutboxMessage:
    """Everything a person had waiting for the daily digest, oldest first, in one mail."""
    stop = unsubscribe_url(settings, person_id, ALL_KINDS)
    subject = (f"PartnerMesh: {len(items)} new notification" + ("s" if len(items) != 1 else "")
               + " since the last digest")
    lines = [f"Here is what happened on PartnerMesh ({len(items)}):", ""]
    for item in items:
        lines.append(f"* {item.title}")
        lines.append(f"  {item.created_at:%d %b %H:%M} UTC - {settings.link(item.url)}")
    lines += ["", f"All your notifications:\n{settings.link('/notifications')}", "", "-- ",
              "You get this digest once a day. Change what you get in your notification settings:",
              settings.link("/notifications/settings"),
              "Stop all notification mail with one click:", stop, ""]
    return queue_mail(session, address, subject, "\n".join(lines), headers=unsubscribe_headers(stop))
