"""The home page: hero for visitors, welcome for members, live numbers, empty state."""

from __future__ import annotations

from portal.home.services import popular_tags
from portal.profiles.services import create_person, set_person_tags
from portal.profiles.visibility import Viewer
from tests.test_companies_support import login, make_company, make_user


def test_empty_ecosystem_shows_hero_and_demo_hint(client):
    page = client.get("/").get_data(as_text=True)
    assert "Turn the hub into a mesh" in page
    assert 'href="/signup"' in page and 'href="/people"' in page
    assert "portal demo" in page


def test_home_is_alive_with_companies_people_and_tags(client, session):
    _, alice = make_user(session, name="Alice Alpha")
    make_company(session, alice, "Acme Software", offers="Python, SAP", needs="Hosting")
    bob = create_person(session, "Bob Beta")
    set_person_tags(session, bob, "offer", "Python")
    set_person_tags(session, bob, "need", "Secret Need")  # members-only by default
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Acme Software" in page and "Alice Alpha" in page and "Bob Beta" in page
    assert "Python" in page and "Hosting" in page
    assert "Secret Need" not in page
    assert "portal demo" not in page
    offers = popular_tags(session, Viewer.anonymous(), "offer")
    assert [(t.name, n) for t, n in offers][:1] == [("Python", 2)]
    assert "Secret Need" in [t.name for t, _ in popular_tags(session, Viewer(person_id=None, is_member=True), "need")]


def test_logged_in_welcome_links_to_profile_and_company(client, session):
    user, person = make_user(session, name="Carla")
    session.commit()
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Carla" in page and "Turn the hub into a mesh" not in page
    assert f'href="/people/{person.slug}"' in page and 'href="/companies/new"' in page
    company = make_company(session, person, "Carla Co")
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert f'href="/companies/{company.slug}"' in page


def test_script_payloads_are_inert_on_home(client, session):
    _, person = make_user(session, name='<script>alert("p")</script>')
    make_company(session, person, '<script>alert("c")</script>', offers='<script>x</script>')
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert" not in page and "<script>x" not in page
