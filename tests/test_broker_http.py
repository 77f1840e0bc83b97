"""The broker console over HTTP: who may use it, suggesting a batch, proposing, errors per row,
the pipeline and the members' request queue.

Most tests feed the console fixed candidate pairs (the engine's scores are not what is tested
here); test_broker_engine.py runs it on the real matching engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from portal.broker import services as broker_services
from portal.broker.models import BrokerBatchItem
from portal.introductions import services as introductions
from portal.introductions.models import Introduction
from tests.test_companies_support import login, make_company, make_user


@dataclass
class Pair:
    a_id: int
    b_id: int
    score: float
    reasons: list[str] = field(default_factory=list)


@pytest.fixture
def ecosystem(session):
    """An admin and six members in two companies (Logistics in Western Europe, Software in East Asia)."""
    admin_user, admin = make_user(session, "broker@hub.example", role="ecosystem_admin", name="Bea Broker")
    members = {}
    for name in ("Ada", "Ben", "Cyd", "Dee", "Eli", "Fay"):
        user, person = make_user(session, f"{name.lower()}@example.org", name=f"{name} Member")
        members[name] = (user, person)
    west = make_company(session, members["Ada"][1], "Westhaul Logistics", industry="Logistics",
                        region="Western Europe", partner_type="reseller")
    east = make_company(session, members["Dee"][1], "Eastsoft", industry="Software", region="East Asia",
                        partner_type="isv")
    from portal.profiles.services import set_company_membership

    for name in ("Ben", "Cyd"):
        set_company_membership(session, members[name][1], west.id)
    for name in ("Eli", "Fay"):
        set_company_membership(session, members[name][1], east.id)
    session.commit()
    return {"admin_user": admin_user, "admin": admin, **{n: p for n, (_, p) in members.items()},
            "users": {n: u for n, (u, _) in members.items()}}


@pytest.fixture
def candidates(monkeypatch):
    """Make the engine return these pairs (set `.pairs`); records what it was asked for."""

    class Engine:
        pairs: list[Pair] = []
        calls: list = []

        def __call__(self, session, person_ids, per_person):
            self.calls.append((person_ids, per_person))
            return list(self.pairs)

    engine = Engine()
    monkeypatch.setattr(broker_services, "candidate_pairs", engine)
    return engine


def _suggest(client, **form):
    data = {"per_person_limit": "1", "candidates_per_person": "10", "both_in_segment": "y", **form}
    return client.post("/broker/batches", data=data)


def _items(session, batch_id=None):
    session.expire_all()
    stmt = select(BrokerBatchItem).order_by(BrokerBatchItem.rank)
    if batch_id:
        stmt = stmt.where(BrokerBatchItem.batch_id == batch_id)
    return list(session.scalars(stmt))


@pytest.mark.parametrize("method,url", [
    ("get", "/broker/"), ("post", "/broker/batches"), ("get", "/broker/batches/1"),
    ("post", "/broker/batches/1/propose"), ("post", "/broker/batches/1/items/1/propose"),
    ("get", "/broker/pipeline"), ("get", "/broker/requests"), ("post", "/broker/requests/1/propose"),
    ("post", "/broker/requests/1/decline"),
])
def test_console_is_for_ecosystem_admins_only(client, session, ecosystem, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, ecosystem["users"]["Ada"])
    assert getattr(client, method)(url).status_code == 403


def test_admin_console_links_to_the_broker_console(client, session, ecosystem):
    login(client, ecosystem["admin_user"])
    assert 'href="/broker/"' in client.get("/admin").get_data(as_text=True)
    login(client, ecosystem["users"]["Ada"])
    assert 'href="/broker/"' not in client.get("/").get_data(as_text=True)


def test_suggest_a_batch_respects_k_and_shows_both_people(client, session, ecosystem, candidates):
    e = ecosystem
    # Ada is everyone's best match; with k = 1 she gets one proposal and the others pair up.
    candidates.pairs = [Pair(e["Ada"].id, e["Dee"].id, 0.9, ["You look for *SAP consulting*; Dee offers it"]),
                        Pair(e["Ada"].id, e["Eli"].id, 0.8), Pair(e["Ada"].id, e["Fay"].id, 0.7),
                        Pair(e["Eli"].id, e["Fay"].id, 0.5), Pair(e["Ben"].id, e["Dee"].id, 0.4)]
    login(client, e["admin_user"])
    page = client.get("/broker/").get_data(as_text=True)
    assert "Suggest a batch" in page and 'for="region"' in page and "Western Europe" in page
    response = _suggest(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    chosen = {(i.a_id, i.b_id) for i in _items(session)}
    # The optimum for k = 1: Ada-Dee 0.9 + Eli-Fay 0.5 (Ben-Dee would take Dee from Ada).
    assert chosen == {tuple(sorted((e["Ada"].id, e["Dee"].id))), tuple(sorted((e["Eli"].id, e["Fay"].id)))}
    assert "Ada Member" in page and "Westhaul Logistics" in page and "Eastsoft" in page
    assert "Logistics · Western Europe" in page and "Software · East Asia" in page
    assert "Dee offers it" in page and "0.900" in page and "the exact optimum" in page
    assert candidates.calls == [(None, 10)]
    # Recorded for the pipeline.
    assert introductions.pipeline_counts(session)["suggested"] == 2


def test_segment_filters_narrow_the_people(client, session, ecosystem, candidates):
    e = ecosystem
    candidates.pairs = [Pair(e["Ada"].id, e["Ben"].id, 0.9), Pair(e["Ada"].id, e["Dee"].id, 0.8)]
    login(client, e["admin_user"])
    assert _suggest(client, region="Western Europe", industry="Logistics", partner_type="reseller").status_code == 302
    west = {e[n].id for n in ("Ada", "Ben", "Cyd")}
    assert candidates.calls[-1] == (west, 10)
    assert [(i.a_id, i.b_id) for i in _items(session)] == [tuple(sorted((e["Ada"].id, e["Ben"].id)))]
    # At least one side in the segment: the cross-region pair may come in.
    _suggest(client, region="Western Europe", per_person_limit="2", both_in_segment="")
    batch_id = max(i.batch_id for i in _items(session))
    assert len(_items(session, batch_id)) == 2


@pytest.mark.parametrize("form,message", [
    ({"region": "Atlantis"}, "Not a valid choice"),
    ({"partner_type": "pirate"}, "Not a valid choice"),
    ({"per_person_limit": "0"}, "between 1 and 20"),
    ({"per_person_limit": "many"}, "Not a valid integer"),
    ({"candidates_per_person": "500"}, "between 1 and 50"),
])
def test_bad_filter_values_are_form_errors(client, session, ecosystem, candidates, form, message):
    login(client, ecosystem["admin_user"])
    response = _suggest(client, **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert candidates.calls == [] and _items(session) == []


def test_an_empty_segment_is_a_clear_error(client, session, ecosystem, candidates):
    login(client, ecosystem["admin_user"])
    response = _suggest(client, region="Oceania")
    assert response.status_code == 400 and "Nobody belongs to this segment" in response.get_data(as_text=True)


def test_propose_with_a_note_reaches_both_people(client, session, ecosystem, candidates):
    e = ecosystem
    candidates.pairs = [Pair(e["Ada"].id, e["Dee"].id, 0.9, ["both active in #logistics"])]
    login(client, e["admin_user"])
    batch_url = _suggest(client).headers["Location"]
    item = _items(session)[0]
    response = client.post(f"{batch_url}/items/{item.id}/propose", data={"note": "Ada, Dee: talk about routing."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#item-{item.id}")
    session.expire_all()
    introduction = session.scalars(select(Introduction)).one()
    assert {introduction.a_id, introduction.b_id} == {e["Ada"].id, e["Dee"].id}
    assert introduction.broker_id == e["admin"].id and introduction.note == "Ada, Dee: talk about routing."
    assert introduction.reasons == ["both active in #logistics"] and introduction.score == 0.9
    assert _items(session)[0].status == "proposed"
    page = client.get(batch_url).get_data(as_text=True)
    assert "Proposed" in page and "1 proposed" in page and f"/introductions/{introduction.id}" in page
    # Both people see it among their introductions.
    for name in ("Ada", "Dee"):
        assert introduction.id in {i.id for i in _introductions_of(session, e[name])}


def _introductions_of(session, person):
    session.expire_all()
    return list(session.scalars(select(Introduction).where(
        (Introduction.a_id == person.id) | (Introduction.b_id == person.id))))


def test_refused_proposals_show_their_reason_next_to_the_row(client, session, ecosystem, candidates):
    e = ecosystem
    candidates.pairs = [Pair(e["Ada"].id, e["Dee"].id, 0.9), Pair(e["Ben"].id, e["Eli"].id, 0.5)]
    login(client, e["admin_user"])
    batch_url = _suggest(client).headers["Location"]
    first, second = _items(session)
    # Ada and Dee get introduced elsewhere in the meantime (another admin, another batch).
    introductions.propose_introduction(session, e["admin"].id, e["Ada"].id, e["Dee"].id, "Meet!")
    session.commit()
    response = client.post(f"{batch_url}/propose", data={"item": [str(first.id), str(second.id)],
                                                         "note": "Hello {name_a} and {name_b} of {company_b}"})
    assert response.status_code == 302
    first, second = _items(session)
    assert first.status == "failed" and first.error
    assert second.status == "proposed"
    note = session.get(Introduction, second.introduction_id).note
    assert note == "Hello Ben Member and Eli Member of Eastsoft"
    page = client.get(batch_url).get_data(as_text=True)
    row = re.search(rf'<tr id="item-{first.id}">.*?</tr>', page, re.S).group(0)
    assert "Not proposed" in row and first.error.replace("'", "&#39;") in row
    assert "could not be proposed" in page


def test_a_suspended_member_fails_that_row_only(client, session, ecosystem, candidates):
    from portal.auth.services import suspend_user

    e = ecosystem
    candidates.pairs = [Pair(e["Ada"].id, e["Dee"].id, 0.9)]
    login(client, e["admin_user"])
    batch_url = _suggest(client).headers["Location"]
    suspend_user(session, e["users"]["Dee"])
    session.commit()
    item = _items(session)[0]
    response = client.post(f"{batch_url}/items/{item.id}/propose", data={"note": "Please meet."})
    assert response.status_code == 302
    item = _items(session)[0]
    assert item.status == "failed" and item.error
    assert session.scalars(select(Introduction)).first() is None


def test_bad_proposals_are_clear_errors(client, session, ecosystem, candidates):
    e = ecosystem
    candidates.pairs = [Pair(e["Ada"].id, e["Dee"].id, 0.9)]
    login(client, e["admin_user"])
    batch_url = _suggest(client).headers["Location"]
    item = _items(session)[0]
    response = client.post(f"{batch_url}/propose", data={"item": [str(item.id)], "note": "Hi {nom}"})
    assert response.status_code == 400 and "Unknown placeholder {nom}" in response.get_data(as_text=True)
    response = client.post(f"{batch_url}/propose", data={"note": "Hi"})
    assert response.status_code == 400 and "Tick at least one" in response.get_data(as_text=True)
    assert client.post(f"{batch_url}/propose", data={"item": ["x"], "note": "Hi"}).status_code == 400
    assert client.post(f"{batch_url}/propose", data={"item": ["999999"], "note": "Hi"}).status_code == 404
    assert client.post("/broker/batches/999999/propose", data={"item": [str(item.id)], "note": "Hi"}).status_code == 404
    response = client.post(f"{batch_url}/items/{item.id}/propose", data={"note": ""}, follow_redirects=True)
    assert "Write a personal note" in response.get_data(as_text=True)
    assert _items(session)[0].status == "open"


def test_pipeline_counts_conversions_and_funnel(client, session, ecosystem, candidates):
    e = ecosystem
    candidates.pairs = [Pair(e["Ada"].id, e["Dee"].id, 0.9), Pair(e["Ben"].id, e["Eli"].id, 0.5)]
    login(client, e["admin_user"])
    batch_url = _suggest(client).headers["Location"]
    item = _items(session)[0]
    client.post(f"{batch_url}/items/{item.id}/propose", data={"note": "Please meet."})
    response = client.get("/broker/pipeline")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r"Suggested</th>\s*<td class=\"num\">2</td>", page)
    assert re.search(r"Proposed</th>\s*<td class=\"num\">1</td>\s*<td class=\"num\">50.0 %", page)
    assert "<svg" in page and 'role="img"' in page and "Suggested: 2; Proposed: 1" in page
    # A segment without anyone in these pairs.
    page = client.get("/broker/pipeline?region=Oceania").get_data(as_text=True)
    assert re.search(r"Suggested</th>\s*<td class=\"num\">0</td>", page)


@pytest.mark.parametrize("query", ["region=Atlantis", "since=yesterday", "since=2026-05-01&until=2026-04-01"])
def test_pipeline_bad_filters_are_400(client, session, ecosystem, query):
    login(client, ecosystem["admin_user"])
    response = client.get(f"/broker/pipeline?{query}")
    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True) or "form-errors" in response.get_data(as_text=True)


def test_request_queue_propose_and_decline(client, session, ecosystem):
    e = ecosystem
    first = introductions.ask_broker(session, e["Ada"], e["Eli"], "We need an ISV in Asia.")
    second = introductions.ask_broker(session, e["Ben"], e["Fay"], "")
    session.commit()
    login(client, e["admin_user"])
    assert "2 member requests" in client.get("/broker/").get_data(as_text=True)
    page = client.get("/broker/requests").get_data(as_text=True)
    assert "We need an ISV in Asia." in page and "Fay Member" in page
    response = client.post(f"/broker/requests/{first.id}/propose", data={"note": "Eli, meet Ada."})
    assert response.status_code == 302
    introduction = session.scalars(select(Introduction)).one()
    assert {introduction.a_id, introduction.b_id} == {e["Ada"].id, e["Eli"].id}
    assert client.post(f"/broker/requests/{second.id}/decline", data={"reason": "Fay is on leave."}).status_code == 302
    page = client.get("/broker/requests").get_data(as_text=True)
    assert "No open request" in page
    # Acting twice is a message, not a 500.
    response = client.post(f"/broker/requests/{second.id}/decline", data={}, follow_redirects=True)
    assert response.status_code == 200 and "already declined" in response.get_data(as_text=True)
    assert client.post("/broker/requests/999999/decline", data={}).status_code == 404


def test_a_refused_row_keeps_the_events_of_the_rows_proposed_before_it(client, session, ecosystem, candidates):
    from portal import events

    e = ecosystem
    candidates.pairs = [Pair(e["Ben"].id, e["Eli"].id, 0.9), Pair(e["Ada"].id, e["Dee"].id, 0.5)]
    login(client, e["admin_user"])
    batch_url = _suggest(client).headers["Location"]
    first, second = _items(session)
    introductions.propose_introduction(session, e["admin"].id, e["Ada"].id, e["Dee"].id, "Meet!")
    session.commit()
    seen = []
    events.subscribe("introduction.changed", seen.append)
    try:
        client.post(f"{batch_url}/propose", data={"item": [str(first.id), str(second.id)], "note": "Hello"})
    finally:
        events._handlers["introduction.changed"].remove(seen.append)
    first, second = _items(session)
    assert first.status == "proposed" and second.status == "failed"
    assert [sorted(event["person_ids"]) for event in seen] == [sorted((e["Ben"].id, e["Eli"].id))]


def test_cli_suggest_stores_a_batch_the_console_lists(runner, client, session, ecosystem, candidates):
    e = ecosystem
    candidates.pairs = [Pair(e["Ada"].id, e["Dee"].id, 0.9), Pair(e["Ben"].id, e["Eli"].id, 0.5)]
    result = runner.invoke(args=["broker", "suggest", "-k", "1", "--broker", "broker@hub.example"])
    assert result.exit_code == 0, result.output
    assert "2 introductions, 1.40 total score from 2 candidate pairs (exact optimum)" in result.output
    login(client, e["admin_user"])
    assert "/broker/batches/" in client.get("/broker/").get_data(as_text=True)
    result = runner.invoke(args=["broker", "suggest", "--region", "Atlantis"])
    assert result.exit_code != 0 and "Unknown region" in result.output
    result = runner.invoke(args=["broker", "suggest", "-k", "0"])
    assert result.exit_code != 0 and "-k" in result.output
