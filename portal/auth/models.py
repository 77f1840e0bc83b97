"""Login accounts. A profile (portal.profiles.Person) is separate: people can be listed
in the ecosystem (imported, invited) before they have an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

ROLE_MEMBER = "member"
ROLE_ECOSYSTEM_ADMIN = "ecosystem_admin"
ROLES = (ROLE_MEMBER, ROLE_ECOSYSTEM_ADMIN)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default=ROLE_MEMBER)
    email_verified_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Bumped on password change so that every remember-me cookie and session dies with it.
    session_version: Mapped[int] = mapped_column(default=1)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.suspended_at is None and self.email_verified_at is not None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_ecosystem_admin(self) -> bool:
        return self.role == ROLE_ECOSYSTEM_ADMIN
