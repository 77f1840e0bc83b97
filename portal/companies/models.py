"""Company profiles, their email domains, tags and invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

PARTNER_TYPES = {
    "isv": "ISV",
    "systems_integrator": "Systems integrator",
    "reseller": "Reseller",
    "distributor": "Distributor",
    "consultancy": "Consultancy",
    "other": "Other",
}
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+")
COMPANY_TAG_KINDS = ("offer", "need")


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    industry: Mapped[str] = mapped_column(String(80), default="", index=True)
    region: Mapped[str] = mapped_column(String(80), default="", index=True)
    size: Mapped[str] = mapped_column(String(16), default="")
    partner_type: Mapped[str] = mapped_column(String(32), default="other", index=True)
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def initials(self) -> str:
        words = [w for w in self.name.split() if w[:1].isalnum()]
        return ("".join(w[0] for w in words[:2]) or "?").upper()

    @property
    def partner_type_label(self) -> str:
        return PARTNER_TYPES.get(self.partner_type, self.partner_type)


class CompanyDomain(Base):
    __tablename__ = "company_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)


class CompanyTag(Base):
    __tablename__ = "company_tags"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class CompanyInvitation(Base):
    """An admin's invitation: whoever signs up (or is signed up) with this email joins the company."""

    __tablename__ = "company_invitations"
    __table_args__ = (UniqueConstraint("company_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    invited_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]

# Choices for company profiles (and the directory filters that use them).
INDUSTRIES = (
    "Software", "Logistics", "Manufacturing", "Retail", "Financial services", "Healthcare", "Energy",
    "Public sector", "Telecommunications", "Professional services", "Education", "Media", "Other",
)
_FALLBACK_REGIONS = (
    "North America", "Latin America", "Western Europe", "Northern Europe", "Southern Europe",
    "Central & Eastern Europe", "Middle East", "Africa", "South Asia", "East Asia", "Southeast Asia", "Oceania",
)


def company_regions() -> tuple[str, ...]:
    """The region list shared with profiles (portal.profiles.models.REGIONS) when it exists."""
    try:
        from portal.profiles.models import REGIONS
    except ImportError:
        return _FALLBACK_REGIONS
    return tuple(REGIONS)
