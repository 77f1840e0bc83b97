"""The broker console end to end on the real matching engine: an admin suggests a batch, proposes
with a note, and both people find the proposal on their introductions page."""

from __future__ import annotations

from sqlalchemy import select

from portal.broker.models import BrokerBatchItem
from portal.companies.services import set_company_tags
from portal.introductions.models import Introduction
from portal.profiles.services import set_company_membership, set_person_tags
from tests.test_companies_support import login, make_company, make_user


def _ecosystem(session):
    admin_user, _ = make_user(session, "hub@owner.example", role="ecosystem_admin", name="Hana Hub")
    people = {}
    for name, needs, offers in (
        ("Nina Need", ["SAP consulting", "warehouse robotics"], ["route planning"]),
        ("Omar Offer", ["cold chain"], ["SAP consulting", "warehouse robotics"]),
        ("Pia Peer", ["route planning"], ["cold chain"]),
        ("Quinn Quiet", [], []),
    ):
        user, person = make_user(session, f"{name.split()[0].lower()}@example.org", name=name)
        set_person_tags(session, person, "need", needs)
        set_person_tags(session, person, "offer", offers)
        person.visibility = {**person.visibility, "needs": "public", "offers": "public"}
        people[name.split()[0]] = (user, person)
    logistics = make_company(session, people["Nina"][1], "Nordic Freight", industry="Logistics",
                             region="Northern Europe", partner_type="reseller")
    consult = make_company(session, people["Omar"][1], "Omar Consulting", industry="Professional services",
                           region="Northern Europe", partner_type="consultancy")
    set_company_tags(session, consult, "offer", ["SAP consulting"])
    set_company_membership(session, people["Pia"][1], logistics.id)
    session.commit()
    return admin_user, people


def test_suggest_propose_and_both_people_see_it(client, session):
    admin_user, people = _ecosystem(session)
    nina, omar = people["Nina"][1], people["Omar"][1]
    login(client, admin_user)
    response = client.post("/broker/batches", data={"per_person_limit": "1", "candidates_per_person": "5",
                                                    "region": "Northern Europe", "both_in_segment": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    batch_url = response.headers["Location"]
    page = client.get(batch_url).get_data(as_text=True)
    items = list(session.scalars(select(BrokerBatchItem).order_by(BrokerBatchItem.rank)))
    pairs = {(i.a_id, i.b_id) for i in items}
    # Nina needs what Omar offers: the engine ranks them, the batch keeps them (k = 1 each).
    assert tuple(sorted((nina.id, omar.id))) in pairs
    assert all(people["Quinn"][1].id not in pair for pair in pairs)  # no company: outside the segment
    nina_omar = next(i for i in items if {i.a_id, i.b_id} == {nina.id, omar.id})
    assert nina_omar.reasons and "SAP consulting" in " ".join(nina_omar.reasons)
    assert "Nina Need" in page and "Omar Consulting" in page and "SAP consulting" in page

    response = client.post(f"{batch_url}/items/{nina_omar.id}/propose",
                           data={"note": "Nina, Omar does exactly the SAP work you asked about."})
    assert response.status_code == 302
    session.expire_all()
    introduction = session.scalars(select(Introduction)).one()
    assert {introduction.a_id, introduction.b_id} == {nina.id, omar.id}

    for name in ("Nina", "Omar"):
        login(client, people[name][0])
        listing = client.get("/introductions/").get_data(as_text=True)
        assert f"/introductions/{introduction.id}" in listing
        detail = client.get(f"/introductions/{introduction.id}").get_data(as_text=True)
        assert "Omar does exactly the SAP work" in detail and "Hana Hub" in detail
    login(client, people["Pia"][0])
    assert client.get(f"/introductions/{introduction.id}").status_code == 404

    # A second batch leaves the introduced pair out.
    login(client, admin_user)
    response = client.post("/broker/batches", data={"per_person_limit": "1", "candidates_per_person": "5",
                                                    "region": "Northern Europe", "both_in_segment": "y"})
    latest = int(response.headers["Location"].rsplit("/", 1)[1])
    session.expire_all()
    again = {(i.a_id, i.b_id) for i in session.scalars(select(BrokerBatchItem)
                                                       .where(BrokerBatchItem.batch_id == latest))}
    assert latest != nina_omar.batch_id and tuple(sorted((nina.id, omar.id))) not in again
