"""The directory: filters narrow results, pagination, bad input, visibility of tag matches."""

from __future__ import annotations

import re

import pytest

from portal.admin.services import set_members_only
from portal.companies import membership
from portal.directory.services import Filters, parse_filters, search_people
from portal.profiles.services import create_person, set_person_tags
from portal.profiles.visibility import Viewer
from tests.test_companies_support import login, make_company, make_user


def _names(html: str) -> set[str]:
    return set(re.findall(r'href="/people/[^"?]+"[^>]*>\s*([^<]+?)\s*</a>', html)) - {"My profile"}


@pytest.fixture
def ecosystem(session):
    """Two companies, four people with different tags and regions."""
    _, alice = make_user(session, name="Alice Alpha", region="Western Europe")
    _, bob = make_user(session, name="Bob Beta", region="North America")
    acme = make_company(session, alice, "Acme Software", industry="Software", region="Western Europe",
                        partner_type="isv", offers="Python")
    bobco = make_company(session, bob, "Bob Logistics", industry="Logistics", region="North America",
                         partner_type="reseller", offers="Trucks")
    carol = create_person(session, "Carol Gamma", region="Western Europe")
    dave = create_person(session, "Dave Delta", region="Oceania")
    set_person_tags(session, alice, "offer", "Python, SAP")
    set_person_tags(session, carol, "skill", "Python")
    set_person_tags(session, dave, "need", "Python")  # needs are visible to members only by default
    membership.request_to_join(session, carol, acme)  # pending: not an Acme person in the directory
    session.commit()
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "acme": acme, "bobco": bobco}


def test_people_filters_narrow_results(client, ecosystem):
    everyone = _names(client.get("/people").get_data(as_text=True))
    assert {"Alice Alpha", "Bob Beta", "Carol Gamma", "Dave Delta"} <= everyone
    assert _names(client.get("/people?industry=Software").get_data(as_text=True)) == {"Alice Alpha"}
    assert _names(client.get("/people?partner_type=reseller").get_data(as_text=True)) == {"Bob Beta"}
    assert _names(client.get("/people?region=Western+Europe").get_data(as_text=True)) == {"Alice Alpha",
                                                                                         "Carol Gamma"}
    assert _names(client.get("/people?q=delt").get_data(as_text=True)) == {"Dave Delta"}
    page = client.get("/people?tag=python").get_data(as_text=True)
    assert _names(page) == {"Alice Alpha", "Carol Gamma"}  # Dave's need is hidden from visitors
    assert "2 people" in page


def test_hidden_tags_are_found_only_by_those_who_may_see_them(client, session, ecosystem):
    user, _ = make_user(session, name="Member Max")
    session.commit()
    login(client, user)
    assert _names(client.get("/people?tag=python").get_data(as_text=True)) == {"Alice Alpha", "Carol Gamma",
                                                                               "Dave Delta"}
    dave = ecosystem["dave"]
    dave.visibility = {**dave.visibility, "needs": "connections"}
    session.commit()
    assert "Dave Delta" not in _names(client.get("/people?tag=python").get_data(as_text=True))
    page = search_people(session, Filters(tag="python"), Viewer(person_id=dave.id, is_member=True))
    assert dave in page.items  # people always find themselves


def test_company_filters_narrow_results(client, ecosystem):
    def names(url):
        return set(re.findall(r'href="/companies/[^"/]+">([^<]+)</a>', client.get(url).get_data(as_text=True)))

    assert names("/companies") == {"Acme Software", "Bob Logistics"}
    assert names("/companies?industry=Logistics") == {"Bob Logistics"}
    assert names("/companies?partner_type=isv") == {"Acme Software"}
    assert names("/companies?region=North+America") == {"Bob Logistics"}
    assert names("/companies?tag=PYTHON") == {"Acme Software"}
    assert names("/companies?q=acme&industry=Logistics") == set()


def test_empty_state_offers_to_clear_filters(client, ecosystem):
    page = client.get("/people?tag=no-such-tag").get_data(as_text=True)
    assert "No people match these filters" in page and 'href="/people">clear filters' in page
    page = client.get("/companies?q=zzzz").get_data(as_text=True)
    assert "No companies match these filters" in page


@pytest.mark.parametrize("query", [
    "page=abc", "page=-5", "page=99999999999999999999", "region=Atlantis", "industry=%00", "partner_type=spy",
    "tag=" + "x" * 5000, "q=" + "%" * 300, "q=_", "tag=%E2%80%AE", "page=2&page=x", "q[]=1", "_external=1&page=2",
])
def test_bad_filter_values_never_break_the_page(client, ecosystem, query):
    for url in ("/people", "/companies"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, (url, query)


def test_unknown_choices_are_ignored_with_a_notice(client, ecosystem):
    page = client.get("/companies?region=Atlantis").get_data(as_text=True)
    assert "were not recognised and were ignored: region" in page
    assert "Acme Software" in page
    assert parse_filters({"region": "Atlantis", "q": "  a  "}) == Filters(q="a", ignored=("region",))


def test_pagination_is_stable_and_keeps_filters(client, session):
    for n in range(30):
        create_person(session, f"Person {n:02d}", region="Oceania")
    session.commit()
    first = client.get("/people?region=Oceania").get_data(as_text=True)
    second = client.get("/people?region=Oceania&page=2").get_data(as_text=True)
    assert len(_names(first)) == 24 and len(_names(second)) == 6
    assert not _names(first) & _names(second)
    assert "30 people" in first and "page 1 of 2" in first
    assert 'href="/people?page=2&amp;region=Oceania"' in first
    # Past the end: the last page.
    assert _names(client.get("/people?region=Oceania&page=50").get_data(as_text=True)) == _names(second)


def test_script_payloads_are_inert_in_the_directory(client, session):
    _, person = make_user(session, name='<script>alert("p")</script>')
    make_company(session, person, '<script>alert("c")</script> Corp', offers='<b>bold</b>')
    session.commit()
    for url in ("/people", "/companies"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>bold" not in page
        assert "&lt;script&gt;" in page


def test_members_only_mode_sends_visitors_to_login(client, session, ecosystem):
    set_members_only(session, True)
    session.commit()
    for url in ("/", "/people", "/companies", f"/companies/{ecosystem['acme'].slug}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    user, _ = make_user(session)
    session.commit()
    login(client, user)
    assert client.get("/people").status_code == 200
