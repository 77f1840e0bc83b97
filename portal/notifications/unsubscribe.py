"""One-click unsubscribe links (RFC 8058): a signed token naming a person and a kind.

The token is the credential (mail clients POST it without cookies), so it is signed with
SECRET_KEY through itsdangerous; it does not expire, because a link in an old mail must still
work. "*" stands for every kind (the daily digest's link).
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeSerializer

from portal.errors import DomainError
from portal.notifications.models import KINDS

ALL_KINDS = "*"
_SALT = "partnermesh-notifications-unsubscribe"
INVALID = ("This unsubscribe link is not valid: it may have been cut short or changed. "
           "Open it again from the mail, or change your mail settings on the notifications page.")


def make_token(secret_key: str, person_id: int, kind: str) -> str:
    if kind != ALL_KINDS and kind not in KINDS:
        raise ValueError(kind)
    return URLSafeSerializer(secret_key, salt=_SALT).dumps({"p": person_id, "k": kind})


def read_token(secret_key: str, token: str) -> tuple[int, str]:
    """(person_id, kind) of a genuine token; a DomainError for anything forged, cut or garbled."""
    try:
        data = URLSafeSerializer(secret_key, salt=_SALT).loads(token or "")
    except (BadData, UnicodeError, ValueError) as error:
        raise DomainError(INVALID) from error
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or isinstance(data.get("p"), bool):
        raise DomainError(INVALID)
    kind = data.get("k")
    if kind != ALL_KINDS and kind not in KINDS:
        raise DomainError(INVALID)
    return data["p"], kind
