"""Helpers for ecosystem health tests (no tests of its own): a small ecosystem with known answers.

Three companies: Hub Co (the owner), Beta (North America, retail reseller: ben and bea) and Gamma
(Western Europe, logistics ISV: gus); ivy has no company and does nothing; adam is an ecosystem
admin without a company. This month: gus replies to ben, ben quotes gus, bea replies to ben
(2 of 3 interactions peer to peer, 1 within Beta). Last month: olga (Hub Co) and adam reply to gus.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.admin.owner import set_owner_company
from portal.db import utcnow
from portal.forums import services as forums
from tests.test_companies_support import make_company, make_user


def month_start(now: datetime, back: int = 0) -> datetime:
    y, m = divmod(now.year * 12 + now.month - 1 - back, 12)
    return datetime(y, m + 1, 1, tzinfo=UTC)


def small_ecosystem(session, *, owner_name: str = "Hub Co", now: datetime | None = None) -> dict:
    now = now or utcnow()
    this_month, last_month = month_start(now), month_start(now, 1)
    admin_user, adam = make_user(session, "adam@hub.example", role="ecosystem_admin", name="Adam Admin")
    _, olga = make_user(session, "olga@hub.example", name="Olga Owner")
    _, ben = make_user(session, "ben@beta.example", name="Ben Beta")
    _, bea = make_user(session, "bea@beta.example", name="Bea Beta")
    _, gus = make_user(session, "gus@gamma.example", name="Gus Gamma")
    member_user, ivy = make_user(session, "ivy@solo.example", name="Ivy Solo")
    hub = make_company(session, olga, owner_name, region="Western Europe", industry="Software",
                       partner_type="other")
    beta = make_company(session, ben, "Beta Retail", region="North America", industry="Retail",
                        partner_type="reseller")
    gamma = make_company(session, gus, "Gamma Freight", region="Western Europe", industry="Logistics",
                         partner_type="isv")
    from portal.profiles.services import set_company_membership

    set_company_membership(session, bea, beta.id)
    set_owner_company(session, hub.id)

    category = forums.create_category(session, "General")
    at = this_month + timedelta(hours=1)
    thread = forums.create_thread(session, category, ben.id, "Who knows freight APIs?", "Looking for help.",
                                  created_at=at)
    gus_post = forums.reply(session, thread, gus.id, "We do, happy to help.", created_at=at + timedelta(hours=1))
    forums.reply(session, thread, ben.id, "Great, thanks!", reply_to=gus_post, created_at=at + timedelta(hours=2))
    forums.reply(session, thread, bea.id, "I can join the call.", created_at=at + timedelta(hours=3))

    earlier = last_month + timedelta(days=2)
    old = forums.create_thread(session, category, gus.id, "Partner programme tiers?", "How do tiers work?",
                               created_at=earlier)
    forums.reply(session, old, olga.id, "See the programme page.", created_at=earlier + timedelta(hours=1))
    forums.reply(session, old, adam.id, "And ask us anything.", created_at=earlier + timedelta(hours=2))
    session.commit()
    return {"admin_user": admin_user, "member_user": member_user, "adam": adam, "olga": olga, "ben": ben,
            "bea": bea, "gus": gus, "ivy": ivy, "hub": hub, "beta": beta, "gamma": gamma, "now": now}
