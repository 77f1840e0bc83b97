"""Person profiles, their tags, links and connections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

PUBLIC, MEMBERS, CONNECTIONS = "public", "members", "connections"
VISIBILITY_LEVELS = (PUBLIC, MEMBERS, CONNECTIONS)
# Fields a person can hide; name, avatar and company membership identify them and stay visible.
PRIVATE_FIELDS = (
    "headline", "bio", "location", "job_title", "email",
    "skills", "interests", "offers", "needs", "links",
)
DEFAULT_VISIBILITY = {
    "headline": PUBLIC, "bio": MEMBERS, "location": PUBLIC, "job_title": PUBLIC,
    "email": CONNECTIONS, "skills": PUBLIC, "interests": MEMBERS, "offers": PUBLIC,
    "needs": MEMBERS, "links": MEMBERS,
}
PERSON_TAG_KINDS = ("skill", "interest", "offer", "need")
# The private field that governs each kind of tag.
TAG_KIND_FIELDS = {"skill": "skills", "interest": "interests", "offer": "offers", "need": "needs"}
REGIONS = (
    "North America", "Latin America", "Western Europe", "Northern Europe", "Southern Europe",
    "Central & Eastern Europe", "Middle East", "Africa", "South Asia", "East Asia", "Southeast Asia", "Oceania",
)
COMPANY_ROLE_MEMBER, COMPANY_ROLE_ADMIN = "member", "admin"
MEMBERSHIP_ACTIVE, MEMBERSHIP_PENDING = "active", "pending"


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    headline: Mapped[str] = mapped_column(String(160), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(80), default="", index=True)
    job_title: Mapped[str] = mapped_column(String(120), default="")
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    company_role: Mapped[str] = mapped_column(String(16), default=COMPANY_ROLE_MEMBER)
    membership_status: Mapped[str] = mapped_column(String(16), default=MEMBERSHIP_ACTIVE)
    avatar_file: Mapped[str | None] = mapped_column(String(120))
    visibility: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_VISIBILITY))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p[:1].isalnum()]
        letters = "".join(p[0] for p in parts[:2]) or self.name[:1] or "?"
        return letters.upper()


class PersonTag(Base):
    __tablename__ = "person_tags"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class PersonLink(Base):
    __tablename__ = "person_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)


class Connection(Base):
    """A mutual connection; stored once with the lower person id first."""

    __tablename__ = "connections"
    __table_args__ = (CheckConstraint("person_a_id < person_b_id", name="ordered_pair"),)

    person_a_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    person_b_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConnectionRequest(Base):
    __tablename__ = "connection_requests"
    __table_args__ = (UniqueConstraint("from_person_id", "to_person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    to_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
