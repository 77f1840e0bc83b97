"""The hovercard fragment and the clouds on pages, over HTTP."""

from __future__ import annotations

import re

import pytest

from portal.db import db
from portal.forums import services as forums
from portal.profiles.models import DEFAULT_VISIBILITY
from portal.profiles.services import set_person_tags
from tests.test_companies_support import login, make_company, make_user

XSS = '<script>alert("x")</script>'


@pytest.fixture
def people(app):
    with app.app_context():
        s = db.session
        dana_user, dana = make_user(s, name="Dana Reyes", headline="Secret headline for connections")
        dana.visibility = {**DEFAULT_VISIBILITY, "headline": "connections"}
        lee_user, lee = make_user(s, name="Lee Chen", headline="Roaster in Oslo")
        mallory_user, mallory = make_user(s, name=f"Mal {XSS}", headline=f"Head {XSS}")
        set_person_tags(s, mallory, "skill", [f"{XSS}", "<b>bold</b>"])
        make_company(s, lee, name="Oslo Roasters")
        general = forums.create_category(s, "General")
        forums.create_thread(s, general, lee.id, "Nordic roast profiles", "Light nordic roasts for filter coffee.",
                             tags="roasting")
        forums.create_thread(s, general, mallory.id, f"Title {XSS}", f"Body {XSS} javascript onerror")
        group = forums.create_group(s, "Private circle", dana.id)
        forums.create_thread(s, forums.group_category(s, group), dana.id, "Hush", "Our zanzibar supplier.")
        db.commit()
        return {"dana": dana_user, "lee": lee_user, "dana_slug": dana.slug, "lee_slug": lee.slug,
                "mallory_slug": mallory.slug, "company": "oslo-roasters"}


def cloud_terms(html: str) -> list[str]:
    return re.findall(r'class="cloud-term cloud-step-\d"[^>]*>([^<]*)<', html)


def test_unknown_person_card_is_404(client, people):
    assert client.get("/people/nobody-here/card").status_code == 404


def test_card_shows_cloud_company_and_caching_headers(client, people):
    response = client.get(f"/people/{people['lee_slug']}/card")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Lee Chen" in html and "Roaster in Oslo" in html and "Oslo Roasters" in html
    assert {"nordic", "roasting"} <= set(cloud_terms(html))
    assert '<ul class="tag-cloud" aria-label="Topics of Lee Chen">' in html
    assert 'href="/search?q=nordic"' in html and "(weight " in html
    assert "<html" not in html  # a fragment, not a page
    assert response.headers["Cache-Control"] == "private, max-age=60"
    assert "Cookie" in response.headers["Vary"]


def test_hidden_headline_and_private_group_terms_not_in_card(client, people):
    html = client.get(f"/people/{people['dana_slug']}/card").get_data(as_text=True)
    assert "Secret headline" not in html and "zanzibar" not in html
    login(client, people["lee"])
    html = client.get(f"/people/{people['dana_slug']}/card").get_data(as_text=True)
    assert "Secret headline" not in html and "zanzibar" not in html
    login(client, people["dana"])
    html = client.get(f"/people/{people['dana_slug']}/card").get_data(as_text=True)
    assert "Secret headline" in html and "zanzibar" in cloud_terms(html)


def test_script_payloads_come_out_inert(client, people):
    html = client.get(f"/people/{people['mallory_slug']}/card").get_data(as_text=True)
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;" in html  # the name and headline, escaped
    for path in ("/", f"/people/{people['mallory_slug']}", "/people"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page, path


def test_pages_show_clouds_and_hovercard_links(client, people):
    profile = client.get(f"/people/{people['lee_slug']}").get_data(as_text=True)
    assert "nordic" in cloud_terms(profile)
    company = client.get(f"/companies/{people['company']}").get_data(as_text=True)
    assert "nordic" in cloud_terms(company)
    assert f'data-hovercard="/people/{people["lee_slug"]}/card"' in company
    home = client.get("/").get_data(as_text=True)
    assert "nordic" in cloud_terms(home) and "zanzibar" not in home
    directory = client.get("/people").get_data(as_text=True)
    assert f'<a href="/people/{people["lee_slug"]}" class="person-link" ' \
           f'data-hovercard="/people/{people["lee_slug"]}/card">Lee Chen</a>' in directory
    assert "js/hovercard.js" in directory
