"""Read-only account facts about profiles (may this person be contacted, where does mail go),
for features that act on people rather than on accounts (introductions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import ROLE_ECOSYSTEM_ADMIN, User
from portal.profiles.models import Person


@dataclass(frozen=True)
class AccountState:
    person_id: int
    email: str
    verified: bool
    suspended: bool
    is_ecosystem_admin: bool

    @property
    def active(self) -> bool:
        """Can log in and act (verified, not suspended)."""
        return self.verified and not self.suspended


def account_states(session: Session, person_ids: Iterable[int]) -> dict[int, AccountState]:
    """The account behind each profile that has one (people without an account are left out)."""
    ids = {pid for pid in person_ids if pid is not None}
    if not ids:
        return {}
    rows = session.execute(select(Person.id, User.email, User.email_verified_at, User.suspended_at, User.role)
                           .join(User, User.id == Person.user_id).where(Person.id.in_(ids)))
    return {pid: AccountState(pid, email, verified is not None, suspended is not None, role == ROLE_ECOSYSTEM_ADMIN)
            for pid, email, verified, suspended, role in rows}
