"""Profile pages over HTTP: visibility per viewer, editing, avatars, connection requests."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from portal.profiles import connections
from portal.profiles.models import Person
from portal.profiles.services import connect, set_person_tags
from tests.test_companies_support import login, make_company, make_user


def _png(size=(40, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def people(session):
    alice_user, alice = make_user(session, "alice@example.org", name="Alice Alpha", headline="Integrator",
                                  bio="Hello **world**", location="Berlin", job_title="CTO",
                                  region="Western Europe")
    bob_user, bob = make_user(session, "bob@example.org", name="Bob Beta")
    carol_user, carol = make_user(session, "carol@example.org", name="Carol Gamma")
    company = make_company(session, alice, "Acme Software")
    set_person_tags(session, alice, "offer", "Python")
    set_person_tags(session, alice, "need", "Logistics")
    set_person_tags(session, alice, "interest", "Sailing")
    alice.visibility = {**alice.visibility, "location": "connections", "email": "connections"}
    connect(session, alice, carol)
    session.commit()
    return {"alice": (alice_user, alice), "bob": (bob_user, bob), "carol": (carol_user, carol), "company": company}


def test_unknown_profile_is_404(client):
    assert client.get("/people/nobody-here").status_code == 404


@pytest.mark.parametrize("who, sees, hidden", [
    (None, ["Integrator", "CTO", "Python", "Acme Software"], ["Berlin", "Logistics", "Sailing", "world",
                                                            "alice@example.org", "Edit profile"]),
    ("bob", ["Integrator", "Python", "Logistics", "Sailing", "<strong>world</strong>", "Connect"],
     ["Berlin", "alice@example.org", "Edit profile"]),
    ("carol", ["Berlin", "Logistics", 'href="mailto:alice@example.org"', "Connected"], ["Edit profile"]),
    ("alice", ["Berlin", "alice@example.org", "Edit profile", "hidden from some viewers"], ["Connect</button>"]),
])
def test_profile_fields_follow_visibility(client, people, who, sees, hidden):
    if who:
        login(client, people[who][0])
    response = client.get(f"/people/{people['alice'][1].slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in sees:
        assert text in html, text
    for text in hidden:
        assert text not in html, text
    assert f'href="/companies/{people["company"].slug}"' in html
    assert 'href="/tags/python"' in html


def _form(**overrides) -> dict:
    data = {"name": "Alice Alpha", "headline": "Architect", "bio": "I *build* things", "location": "Paris",
            "region": "Western Europe", "job_title": "Lead", "skills": "Go, Rust", "interests": "Chess",
            "offers": "SAP consulting, Data migration", "needs": "Logistics",
            "link_label_1": "Blog", "link_url_1": "https://blog.example.org/",
            "vis_headline": "public", "vis_bio": "members", "vis_location": "public", "vis_job_title": "public",
            "vis_email": "connections", "vis_skills": "public", "vis_interests": "members",
            "vis_offers": "public", "vis_needs": "members", "vis_links": "public"}
    data.update(overrides)
    return data


def test_edit_round_trip(client, people, session):
    user, alice = people["alice"]
    login(client, user)
    page = client.get("/profile/edit").get_data(as_text=True)
    for label in ("Name", "Headline", "Bio", "Location", "Region", "Job title", "Skills", "Interests", "Offers",
                  "Looking for", "Save profile"):
        assert f">{label}<" in page or f">{label} <" in page or label in page, label
    assert 'data-tag-autocomplete="/tags/suggest"' in page
    assert 'value="Integrator"' in page and 'value="Python"' in page
    response = client.post("/profile/edit", data=_form())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/{alice.slug}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your profile is saved." in html
    for text in ("Architect", "<em>build</em>", "Paris", "Lead", "SAP consulting", "Data migration", "Chess",
                 'href="https://blog.example.org/" rel="nofollow ugc noopener"'):
        assert text in html, text
    login(client, None)
    anonymous = client.get(f"/people/{alice.slug}").get_data(as_text=True)
    assert "Paris" in anonymous and "Chess" not in anonymous and "Blog" in anonymous


@pytest.mark.parametrize("overrides, message", [
    ({"name": "x" * 121}, "120"),
    ({"headline": "x" * 161}, "160"),
    ({"bio": "x" * 5001}, "5000"),
    ({"name": "  "}, "Please enter your name."),
    ({"link_url_1": "javascript:alert(1)"}, "http:// or https://"),
    ({"skills": "x" * 70}, "at most 64 characters"),
    ({"region": "Atlantis"}, "choose a region"),
    ({"vis_bio": "everyone"}, "choose who may see"),
])
def test_bad_input_is_refused_and_nothing_saved(client, people, session, overrides, message):
    user, alice = people["alice"]
    login(client, user)
    response = client.post("/profile/edit", data=_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    session.expire_all()
    fresh = session.get(Person, alice.id)
    assert fresh.headline == "Integrator" and fresh.location == "Berlin"


def test_script_payloads_come_out_inert(client, people):
    user, alice = people["alice"]
    login(client, user)
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    response = client.post("/profile/edit", data=_form(
        name="Eve " + payload[:40], headline=payload[:160], bio=payload + " [x](javascript:alert(3))",
        offers="<script>alert(4)</script>"))
    assert response.status_code == 302
    html = client.get(f"/people/{alice.slug}").get_data(as_text=True)
    main = html.split("<main", 1)[1]
    assert "<script" not in main and "<img src=x" not in main and "href=\"javascript:" not in main
    assert "&lt;script&gt;" in main


def test_avatar_upload_serve_and_remove(client, people, app, session):
    user, alice = people["alice"]
    login(client, user)
    response = client.post("/profile/avatar", data={"avatar": (io.BytesIO(_png(fmt="JPEG")), "me.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()
    token = session.get(Person, alice.id).avatar_file
    assert token
    html = client.get(f"/people/{alice.slug}").get_data(as_text=True)
    assert f'src="/avatars/{token}.png"' in html
    image = client.get(f"/avatars/{token}.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (256, 256)
    assert client.get("/avatars/..%2Fsecret_key.png").status_code == 404
    edit = client.get("/profile/edit").get_data(as_text=True)
    assert "Remove avatar" in edit
    assert client.post("/profile/remove").status_code in (404, 405)
    response = client.post("/profile/avatar/remove")
    assert response.status_code == 302
    assert client.get(f"/avatars/{token}.png").status_code == 404
    assert 'class="avatar avatar-large" aria-hidden="true">AA<' in client.get(f"/people/{alice.slug}").get_data(
        as_text=True)


@pytest.mark.parametrize("data, message", [
    (b"<?php not an image ?>", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "damaged or incomplete"),
    (b"", "choose an image"),
])
def test_bad_avatar_files_are_refused(client, people, data, message):
    login(client, people["alice"][0])
    response = client.post("/profile/avatar", data={"avatar": (io.BytesIO(data), "evil.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert message in response.get_data(as_text=True)


def test_oversize_avatar_is_refused(client, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "AVATAR_MAX_BYTES", 1000)
    login(client, people["alice"][0])
    big = _png(size=(600, 600))
    assert len(big) > 1000
    response = client.post("/profile/avatar", data={"avatar": (io.BytesIO(big), "big.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "too large" in response.get_data(as_text=True)


def test_huge_dimensions_are_refused(client, people):
    login(client, people["alice"][0])
    out = io.BytesIO()
    Image.new("1", (5000, 10)).save(out, format="PNG")
    response = client.post("/profile/avatar", data={"avatar": (io.BytesIO(out.getvalue()), "wide.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "4096" in response.get_data(as_text=True)


@pytest.mark.parametrize("csrf", [False, True])
def test_ten_megabyte_body_gets_a_clear_413(client, people, app, monkeypatch, csrf):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", csrf)
    login(client, people["alice"][0])
    response = client.post("/profile/avatar", data={"avatar": (io.BytesIO(b"0" * 10 * 1024 * 1024), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Avatar images can be at most 1024 KB" in response.get_data(as_text=True)


def test_connection_request_and_accept(client, people, session):
    bob_user, bob = people["bob"]
    alice_user, alice = people["alice"]
    login(client, bob_user)
    response = client.post(f"/people/{alice.slug}/connect", follow_redirects=True)
    assert "Your request was sent to Alice Alpha." in response.get_data(as_text=True)
    assert "Request sent" in response.get_data(as_text=True)
    login(client, alice_user)
    page = client.get("/connections/requests").get_data(as_text=True)
    assert "Bob Beta" in page
    request_id = int(re.search(r"/connections/requests/(\d+)", page).group(1))
    response = client.post(f"/connections/requests/{request_id}", data={"decision": "accept"},
                           follow_redirects=True)
    assert "You are now connected with Bob Beta." in response.get_data(as_text=True)
    assert connections.connection_state(session, bob, alice) == "connected"
    login(client, bob_user)
    html = client.get(f"/people/{alice.slug}").get_data(as_text=True)
    assert "Berlin" in html  # connections-only field now shows
    assert client.post(f"/connections/requests/{request_id}", data={"decision": "accept"}).status_code == 302


def test_decline_and_others_cannot_answer(client, people, session):
    bob_user, bob = people["bob"]
    _, alice = people["alice"]
    connections.request_connection(session, bob, alice)
    session.commit()
    request_id = connections.incoming_requests(session, alice)[0][0].id
    login(client, people["carol"][0])
    response = client.post(f"/connections/requests/{request_id}", data={"decision": "accept"},
                           follow_redirects=True)
    assert "does not exist" in response.get_data(as_text=True)
    login(client, people["alice"][0])
    client.post(f"/connections/requests/{request_id}", data={"decision": "decline"})
    assert connections.connection_state(session, bob, alice) == "none"


def test_edit_requires_login(client):
    response = client.get("/profile/edit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_edit_and_connect_need_a_csrf_token(client, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(client, people["bob"][0])
    assert client.post("/profile/edit", data=_form(name="Bob")).status_code == 400
    assert client.post(f"/people/{people['alice'][1].slug}/connect").status_code == 400


def test_requests_page_empty_state_and_company_summary(client, people, session):
    from portal.companies.services import company_summary

    login(client, people["bob"][0])
    html = client.get("/connections/requests").get_data(as_text=True)
    assert "No requests are waiting for you." in html
    company = people["company"]
    assert company_summary(session, company.id) == ("Acme Software", company.slug)
    assert company_summary(session, None) is None and company_summary(session, 10**9) is None
