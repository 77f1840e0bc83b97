"""Profile services without HTTP: cards, visibility, connections."""

from __future__ import annotations

from sqlalchemy import event

from portal.profiles.services import connect, create_person, person_cards, set_person_tags
from portal.profiles.visibility import Viewer, viewer_for
from tests.test_companies_support import make_company, make_user


def test_person_cards_honour_visibility_and_batch_queries(session):
    user, alice = make_user(session, name="Alice Alpha", headline="Integrator", location="Berlin",
                            job_title="CTO")
    company = make_company(session, alice, "Acme Software")
    set_person_tags(session, alice, "offer", "Python, SAP")
    set_person_tags(session, alice, "need", "Logistics")
    set_person_tags(session, alice, "skill", "Go")
    alice.visibility = {**alice.visibility, "location": "connections"}
    others = [create_person(session, f"Other {n}") for n in range(5)]
    session.flush()

    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        cards = person_cards(session, [alice, *others], Viewer.anonymous())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert 1 <= len(statements) <= 3, statements
    card = cards[0]
    assert card["company"] == ("Acme Software", company.slug)
    assert card["headline"] == "Integrator" and card["job_title"] == "CTO"
    assert card["location"] == ""  # connections only
    assert [t.name for t in card["offers"]] == ["Python", "SAP"]
    assert card["needs"] == []  # members only by default
    assert [t.name for t in card["skills"]] == ["Go"]

    member = viewer_for(session, user, alice)  # herself
    assert person_cards(session, [alice], member)[0]["location"] == "Berlin"
    _, bob = make_user(session, name="Bob")
    connect(session, alice, bob)
    bob_view = Viewer(person_id=bob.id, is_member=True, connection_ids=frozenset({alice.id}))
    card = person_cards(session, [alice], bob_view)[0]
    assert card["location"] == "Berlin" and [t.name for t in card["needs"]] == ["Logistics"]


def test_person_cards_empty_list(session):
    assert person_cards(session, [], Viewer.anonymous()) == []
