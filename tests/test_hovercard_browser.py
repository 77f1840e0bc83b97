"""Hovercards in headless Chromium: hover a name in the directory, or reach it with the keyboard."""

from __future__ import annotations

import pytest

from portal.db import db
from portal.forums import services as forums
from portal.profiles.services import create_person, set_person_tags

pytestmark = pytest.mark.browser

NAME = "Ingrid Hovercard"


@pytest.fixture(scope="module")
def author(live_server):
    with live_server.app.app_context():
        session = db.session
        person = create_person(session, NAME, headline="Espresso machine technician")
        set_person_tags(session, person, "skill", ["Boiler descaling"])
        category = forums.create_category(session, "Hovercard workshop")
        forums.create_thread(session, category, person.id, "Gasket replacement on lever machines",
                             "Replacing the group gasket on lever machines: gasket sizes, lever springs.")
        session.commit()
        return person.slug


def test_hovering_a_name_shows_the_card_with_the_cloud(page, author):
    page.goto(f"/people?q={NAME.split()[1]}")
    link = page.locator(f'a.person-link[href="/people/{author}"]').first
    link.hover()
    card = page.locator("#hovercard")
    card.wait_for(state="visible")
    assert NAME in card.inner_text() and "Espresso machine technician" in card.inner_text()
    cloud = card.locator("ul.tag-cloud")
    assert cloud.get_by_role("link", name="gasket").first.is_visible()
    assert cloud.get_by_role("link", name="Boiler descaling").first.is_visible()
    assert link.get_attribute("aria-expanded") == "true"
    assert link.get_attribute("aria-describedby") == "hovercard"

    page.mouse.move(0, 0)
    card.wait_for(state="hidden")
    assert link.get_attribute("aria-expanded") == "false"


def test_keyboard_focus_shows_the_card_and_escape_hides_it(page, author):
    page.goto(f"/people?q={NAME.split()[1]}")
    link = page.locator(f'a.person-link[href="/people/{author}"]').first
    for _ in range(80):  # tab through the page until the name has focus
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the person's name was never reached with Tab")
    card = page.locator("#hovercard")
    card.wait_for(state="visible")
    assert card.get_by_role("link", name="gasket").first.is_visible()
    page.keyboard.press("Escape")
    card.wait_for(state="hidden")
    assert link.get_attribute("aria-expanded") == "false"
    # Without the card, the name is still a plain link to the profile.
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{author}")
