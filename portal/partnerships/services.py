"""Partnerships between companies: propose, accept, decline, withdraw, end, and the lists the
pages show. Active admins of the right company act — or an ecosystem admin on its behalf
(`as_ecosystem_admin`, which the caller sets from the logged-in account's role): the audit entry
and the mails then say so. Services flush, never commit.

Ending a partnership also revokes the one-by-one grants between the two companies (when no other
active partnership joins them): a later partnership starts from the kind grants alone, and
everything they lost is recorded for introspection (portal.partnerships.access).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.companies.lookup import companies_by_ids, company_admins, company_by_id
from portal.db import queue_event, utcnow
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.introductions.company_links import accepted_introductions_of_company
from portal.mail.services import queue_mail
from portal.partnerships import audit
from portal.partnerships.access import (
    active_partner_ids,
    is_admin_of,
    record_losses,
    require_admin_of,
    snapshot,
    systems_of,
)
from portal.partnerships.models import (
    ACTIVE,
    DECLINED,
    ENDED,
    OPEN_STATUSES,
    PARTNERSHIP_KINDS,
    PROPOSED,
    Entitlement,
    EntitlementGrant,
    Partnership,
)
from portal.text import clean_text

NOTE_MAX = 2000


def _event(session: Session, partnership: Partnership) -> None:
    queue_event(session, "partnership.changed", {"partnership_id": partnership.id,
                                                 "company_ids": list(partnership.company_ids),
                                                 "status": partnership.status})


def _require_acting_for(actor, company_id: int, what: str, as_ecosystem_admin: bool) -> None:
    """Company admins act for their own company; ecosystem admins for any company."""
    if as_ecosystem_admin and actor is not None:
        return
    require_admin_of(actor, company_id, what)


def _on_behalf(actor, company_id: int, as_ecosystem_admin: bool) -> dict:
    """Audit details of an ecosystem admin acting for a company they are no admin of."""
    if as_ecosystem_admin and not is_admin_of(actor, company_id):
        return {"acting_as": "ecosystem_admin", "on_behalf_of_company_id": company_id}
    return {}


def _who(actor, company_name: str, on_behalf: dict) -> str:
    if on_behalf:
        return f"{actor.name}, an ecosystem admin, for {company_name}"
    return f"{actor.name} of {company_name}"


def _audit(session: Session, actor, action: str, partnership: Partnership, **details) -> None:
    audit.record(session, actor_person_id=actor.id if actor else None, action=action,
                 subject=f"partnership:{partnership.id}",
                 details={"partnership_id": partnership.id, "kind": partnership.kind,
                          "proposer_company_id": partnership.proposer_company_id,
                          "partner_company_id": partnership.partner_company_id, **details},
                 company_ids=list(partnership.company_ids))


def _mail_admins(session: Session, company_id: int, subject: str, body: str) -> None:
    for admin in company_admins(session, company_id):
        if admin.email:
            queue_mail(session, admin.email, subject, f"Hello {admin.name},\n\n{body}")


def open_partnership(session: Session, company_id: int, other_id: int, kind: str) -> Partnership | None:
    """The proposed or active partnership of that kind between the two companies, either way round."""
    return session.scalar(select(Partnership).where(
        Partnership.kind == kind, Partnership.status.in_(OPEN_STATUSES),
        or_(and_(Partnership.proposer_company_id == company_id, Partnership.partner_company_id == other_id),
            and_(Partnership.proposer_company_id == other_id, Partnership.partner_company_id == company_id))))


def propose(session: Session, actor, partner_company_id: int | None, kind: str, note: str = "", *,
            introduction_id: int | None = None, link: str = "", company_id: int | None = None,
            as_ecosystem_admin: bool = False) -> Partnership:
    """The actor's company (or `company_id`, for an ecosystem admin) proposes a partnership of `kind`
    to another company; its admins get a mail (`link`: the page where they answer)."""
    proposer_id = company_id if company_id is not None else (actor.company_id if actor else None)
    if actor is None or proposer_id is None or company_by_id(session, proposer_id) is None:
        raise PermissionDenied("Only a company admin can propose a partnership.")
    _require_acting_for(actor, proposer_id, "propose a partnership", as_ecosystem_admin)
    if kind not in PARTNERSHIP_KINDS:
        raise DomainError("Please choose a kind of partnership from the list.", field="kind")
    partner = company_by_id(session, partner_company_id)
    if partner is None:
        raise DomainError("Please choose a company from the list.", field="company")
    if partner.id == proposer_id:
        raise DomainError("A company cannot partner with itself.", field="company")
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise DomainError(f"The note can be at most {NOTE_MAX} characters.", field="note")
    existing = open_partnership(session, proposer_id, partner.id, kind)
    if existing is not None:
        if existing.status == ACTIVE:
            raise DomainError(f"You already have an active {existing.kind_label.lower()} partnership "
                              f"with {partner.name}.", field="kind")
        if existing.proposer_company_id == partner.id:
            raise DomainError(f"{partner.name} already proposed this partnership to you: accept it "
                              "from your partnerships page.", field="kind")
        raise DomainError(f"You already proposed this partnership to {partner.name}.", field="kind")
    if introduction_id is not None:
        allowed = {i.id for i in accepted_introductions_of_company(session, proposer_id, partner.id)}
        if introduction_id not in allowed:
            raise DomainError(f"Please choose an accepted introduction between your people and {partner.name}.",
                              field="introduction")
    own = company_by_id(session, proposer_id)
    partnership = Partnership(proposer_company_id=proposer_id, partner_company_id=partner.id, kind=kind,
                              status=PROPOSED, note=note, introduction_id=introduction_id,
                              proposed_by_id=actor.id, proposed_at=utcnow())
    session.add(partnership)
    session.flush()
    on_behalf = _on_behalf(actor, proposer_id, as_ecosystem_admin)
    _audit(session, actor, "partnership.proposed", partnership, note=note, introduction_id=introduction_id,
           **on_behalf)
    _event(session, partnership)
    _mail_admins(session, partner.id, f"{own.name} proposes a {partnership.kind_label.lower()} partnership",
                 f"{_who(actor, own.name, on_behalf)} proposes a {partnership.kind_label.lower()} partnership with "
                 f"{partner.name} on PartnerMesh.\n\n" + (f"Their note:\n{note}\n\n" if note else "")
                 + f"Accept or decline it here: {link}\n")
    return partnership


def _get(session: Session, partnership_id: int) -> Partnership:
    partnership = session.get(Partnership, partnership_id)
    if partnership is None:
        raise NotFound("There is no such partnership.")
    return partnership


def answer(session: Session, actor, partnership_id: int, accept: bool, *, link: str = "",
           as_ecosystem_admin: bool = False) -> Partnership:
    """The partner company's admin (or an ecosystem admin for it) accepts or declines a proposal."""
    partnership = _get(session, partnership_id)
    _require_acting_for(actor, partnership.partner_company_id, "answer this proposal", as_ecosystem_admin)
    if partnership.status != PROPOSED:
        raise DomainError(f"This proposal was already answered ({partnership.status_label.lower()}).")
    partnership.status = ACTIVE if accept else DECLINED
    partnership.answered_by_id = actor.id
    partnership.answered_at = utcnow()
    session.flush()
    on_behalf = _on_behalf(actor, partnership.partner_company_id, as_ecosystem_admin)
    _audit(session, actor, "partnership.accepted" if accept else "partnership.declined", partnership, **on_behalf)
    _event(session, partnership)
    names = companies_by_ids(session, partnership.company_ids)
    partner_name = names[partnership.partner_company_id].name
    verb = "accepted" if accept else "declined"
    _mail_admins(session, partnership.proposer_company_id,
                 f"{partner_name} {verb} your {partnership.kind_label.lower()} partnership",
                 f"{_who(actor, partner_name, on_behalf)} {verb} the {partnership.kind_label.lower()} partnership "
                 f"your company proposed.\n\nYour partnerships: {link}\n")
    return partnership


def end(session: Session, actor, partnership_id: int, *, link: str = "", company_id: int | None = None,
        as_ecosystem_admin: bool = False) -> Partnership:
    """Either company's admin ends an active partnership; the proposer may also withdraw a proposal.
    An ecosystem admin does it for one of the two companies (`company_id`)."""
    partnership = _get(session, partnership_id)
    side = company_id if company_id is not None else (actor.company_id if actor else None)
    if partnership.status == PROPOSED:
        side = partnership.proposer_company_id
        _require_acting_for(actor, side, "withdraw this proposal", as_ecosystem_admin)
        action = "partnership.withdrawn"
    elif partnership.status == ACTIVE:
        if actor is None or side not in partnership.company_ids:
            raise PermissionDenied("Only an admin of one of the two companies can end this partnership.")
        _require_acting_for(actor, side, "end this partnership", as_ecosystem_admin)
        action = "partnership.ended"
    else:
        raise DomainError(f"This partnership is already {partnership.status_label.lower()}.")
    a, b = partnership.company_ids
    before = snapshot(session, [(b, s) for s in systems_of(session, a)] + [(a, s) for s in systems_of(session, b)])
    partnership.status = ENDED
    partnership.ended_by_id = actor.id
    partnership.ended_at = utcnow()
    session.flush()
    if action == "partnership.ended":
        _revoke_company_grants(session, actor, a, b)
    lost = record_losses(session, before, "partnership.ended")
    on_behalf = _on_behalf(actor, side, as_ecosystem_admin)
    _audit(session, actor, action, partnership, entitlements_revoked=lost, **on_behalf)
    _event(session, partnership)
    other = partnership.other_company_id(side)
    names = companies_by_ids(session, partnership.company_ids)
    own_name = names[side].name
    what = "withdrew its proposal of" if action == "partnership.withdrawn" else "ended"
    _mail_admins(session, other, f"{own_name} {what} your {partnership.kind_label.lower()} partnership",
                 f"{_who(actor, own_name, on_behalf)} {what} the {partnership.kind_label.lower()} partnership with "
                 f"{names[other].name}.\n\nYour partnerships: {link}\n")
    return partnership


def _revoke_company_grants(session: Session, actor, a: int, b: int) -> None:
    """One-by-one grants between two companies end with their last active partnership."""
    if b in active_partner_ids(session, a):
        return
    for owner, grantee in ((a, b), (b, a)):
        system_ids = [s.id for s in systems_of(session, owner)]
        if not system_ids:
            continue
        grants = session.scalars(select(EntitlementGrant).join(
            Entitlement, Entitlement.id == EntitlementGrant.entitlement_id).where(
            Entitlement.system_id.in_(system_ids), EntitlementGrant.grantee_company_id == grantee,
            EntitlementGrant.revoked_at.is_(None)))
        for grant in grants:
            grant.revoked_at = utcnow()
            grant.revoked_by_id = actor.id
            audit.record(session, actor_person_id=actor.id, action="grant.revoked", subject=f"grant:{grant.id}",
                         details={"grant_id": grant.id, "reason": "partnership ended",
                                  "owner_company_id": owner, "grantee_company_id": grantee},
                         company_ids=[owner, grantee])
    session.flush()


@dataclass
class PartnershipRow:
    partnership: Partnership
    other_name: str
    other_slug: str
    incoming: bool  # proposed by the other company


@dataclass
class CompanyPartnerships:
    incoming: list[PartnershipRow]
    outgoing: list[PartnershipRow]
    active: list[PartnershipRow]
    past: list[PartnershipRow]


def company_partnerships(session: Session, company_id: int) -> CompanyPartnerships:
    """Every partnership of a company, grouped for its partnerships page."""
    rows = list(session.scalars(select(Partnership).where(or_(
        Partnership.proposer_company_id == company_id, Partnership.partner_company_id == company_id))
        .order_by(Partnership.proposed_at.desc(), Partnership.id.desc())))
    companies = companies_by_ids(session, [p.other_company_id(company_id) for p in rows])
    result = CompanyPartnerships([], [], [], [])
    for partnership in rows:
        other = companies.get(partnership.other_company_id(company_id))
        row = PartnershipRow(partnership, other.name if other else "(deleted company)",
                             other.slug if other else "", partnership.partner_company_id == company_id)
        if partnership.status == PROPOSED:
            (result.incoming if row.incoming else result.outgoing).append(row)
        elif partnership.status == ACTIVE:
            result.active.append(row)
        else:
            result.past.append(row)
    result.active.sort(key=lambda r: r.other_name.lower())
    return result


def partnership_for(session: Session, company_id: int, partnership_id: int) -> PartnershipRow:
    """One partnership seen from one of its companies (NotFound for anyone else)."""
    partnership = _get(session, partnership_id)
    if company_id not in partnership.company_ids:
        raise NotFound("There is no such partnership.")
    other = company_by_id(session, partnership.other_company_id(company_id))
    return PartnershipRow(partnership, other.name if other else "", other.slug if other else "",
                          partnership.partner_company_id == company_id)
