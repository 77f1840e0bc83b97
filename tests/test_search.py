"""Search on both backends: language features, filters, permissions, freshness, recovery, bad input.

Every test runs on Whoosh; on the PostgreSQL run of the suite it runs on PostgreSQL's
full-text search too (the same test functions).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.companies.services import create_company
from portal.db import db
from portal.forums import moderation
from portal.forums import services as forums
from portal.forums.models import Category, Post, Thread
from portal.profiles.models import Person
from portal.profiles.services import connect, set_company_membership, set_person_tags, update_person_fields
from portal.profiles.visibility import Viewer
from portal.search import services as search
from portal.search.documents import SearchDocument, all_documents, documents_for
from portal.search.query import build_query
from portal.search.whoosh_backend import WhooshBackend
from tests.conftest import service_missing
from tests.test_companies_support import login, make_user
from tests.test_forums_support import viewer_of


def _backends_of_this_pass() -> list[str]:
    """The PostgreSQL backend keeps its rows in the app's database, so it runs in the suite's
    PostgreSQL pass; the SQLite pass leaves it to that pass, or, when no PostgreSQL is configured,
    reports it as a missing service (which fails with PORTAL_REQUIRE_SERVICES=1)."""
    if os.environ.get("PORTAL_TEST_BACKEND") == "postgres" or not os.environ.get("PORTAL_TEST_DATABASE_URL"):
        return ["whoosh", "postgres"]
    return ["whoosh"]


BACKENDS = _backends_of_this_pass()
WHOOSH_ONLY = pytest.mark.parametrize("backend", ["whoosh"], indirect=True)


@pytest.fixture(params=BACKENDS)
def backend(request, app, tmp_path):
    """A fresh, empty index of the chosen backend on the test app for the length of one test."""
    if request.param == "postgres" and os.environ.get("PORTAL_TEST_BACKEND") != "postgres":
        service_missing("PostgreSQL for the search backend (PORTAL_TEST_DATABASE_URL)")
    previous = app.extensions["portal_search"]
    if request.param == "whoosh":
        fresh = WhooshBackend(tmp_path / "index")
        fresh.rebuild(None, [])
    else:
        from portal.search.postgres_backend import PostgresBackend

        fresh = PostgresBackend()
    with app.app_context():
        fresh.rebuild(db.session, [])
        db.commit()
    app.extensions["portal_search"] = fresh
    yield fresh
    app.extensions["portal_search"] = previous


def when(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=UTC)


@pytest.fixture
def world(app, backend):
    with app.app_context():
        s = db.session
        dana_user, dana = make_user(s, name="Dana Reyes", headline="Coffee roaster in Oslo")
        lee_user, lee = make_user(s, name="Lee Chen")
        kim_user, kim = make_user(s, name="Kim Park")
        admin_user, admin = make_user(s, role="ecosystem_admin", name="Ada Admin")
        update_person_fields(s, dana, bio="I secretly collect vintage grinders.",
                             visibility={"bio": "members", "location": "connections"}, location="Trondheim")
        connect(s, dana, kim)
        acme = create_company(s, "Acme Beans", description="Green coffee importers")
        set_company_membership(s, lee, acme.id)
        set_person_tags(s, dana, "skill", ["Latte art"])
        general = forums.create_category(s, "General")
        members = forums.create_category(s, "Members lounge", visibility="members")
        group = forums.create_group(s, "Roasters guild", dana.id)
        guild = forums.group_category(s, group)
        roast = forums.create_thread(s, general, dana.id, "Roasting at home with a popcorn popper",
                                     "My popcorn popper roasts beans evenly.", tags="roasting, home",
                                     created_at=when(1))
        forums.reply(s, roast, lee.id, "I prefer a drum for roasting; popper smoke is a lot.", created_at=when(2))
        grind = forums.create_thread(s, general, lee.id, "Grinder burrs", "Conical or flat burrs for espresso?",
                                     tags="grinding", created_at=when(10))
        forums.create_thread(s, members, lee.id, "Members only cupping", "Cupping notes about espresso blends.",
                             created_at=when(11))
        forums.create_thread(s, guild, dana.id, "Guild secret blend", "Our espresso blend uses Yirgacheffe.",
                             created_at=when(12))
        db.commit()
        return {"users": {"dana": dana_user, "lee": lee_user, "kim": kim_user, "admin": admin_user},
                "ids": {"dana": dana.id, "lee": lee.id, "kim": kim.id, "admin": admin.id},
                "general": general.id, "members": members.id, "guild": guild.id, "acme": acme.id,
                "acme_slug": acme.slug, "roast": roast.id, "grind": grind.id, "group": group.id}


def find(app, text, viewer=None, **filters):
    with app.app_context():
        results = search.search(db.session, viewer or Viewer.anonymous(), build_query(text, **filters))
        return results


def titles(results) -> list[str]:
    return [hit.title or f"re: {hit.context}" for hit in results.hits]


def member(world, name, app):
    with app.app_context():
        from portal.profiles.services import person_for_user
        from portal.profiles.visibility import viewer_for

        user = world["users"][name]
        return viewer_for(db.session, user, person_for_user(db.session, user.id))


def test_stemming_finds_other_word_forms(app, world):
    assert "Roasting at home with a popcorn popper" in titles(find(app, "roasted"))


def test_phrase_queries_need_the_words_together(app, world):
    assert titles(find(app, '"popcorn popper"'))[0] == "Roasting at home with a popcorn popper"
    assert find(app, '"popper popcorn"').total == 0


def test_title_matches_rank_above_body_matches(app, world):
    results = find(app, "roasting", kind="thread")
    assert titles(results)[0] == "Roasting at home with a popcorn popper"
    hits = titles(find(app, "roasting"))
    assert hits.index("Roasting at home with a popcorn popper") < hits.index(
        "re: Roasting at home with a popcorn popper")


def test_filters_by_type_category_tag_company_and_date(app, world):
    assert {h.kind for h in find(app, "coffee", kind="company").hits} == {"company"}
    assert titles(find(app, "burrs", category_id=world["general"])) == ["Grinder burrs"]
    assert find(app, "burrs", category_id=world["members"]).total == 0
    assert titles(find(app, "", tag_key="grinding")) == ["Grinder burrs"]
    assert "re: Roasting at home with a popcorn popper" in titles(find(app, "drum", company_id=world["acme"]))
    assert find(app, "drum", company_id=world["acme"] + 999).total == 0
    assert titles(find(app, "espresso", date_from="2026-03-05", date_to="2026-03-10")) == ["Grinder burrs"]


def test_snippets_highlight_and_stay_inert(app, world):
    with app.app_context():
        forums.create_thread(db.session, db.session.get(Category, world["general"]), world["ids"]["lee"],
                             "<script>alert(1)</script> kettle", "<img src=x onerror=alert(1)> gooseneck kettle")
        db.commit()
    hit = find(app, "gooseneck").hits[0]
    assert "<mark>gooseneck</mark>" in hit.snippet
    assert "<img" not in hit.snippet and "alert(1)&gt;" in hit.snippet


def test_search_page_shows_script_payloads_as_text(app, world, client):
    with app.app_context():
        s = db.session
        _, mallory = make_user(s, name='<script>alert("name")</script> Mallory', headline="<b>kettle</b> fan")
        forums.create_thread(s, s.get(Category, world["general"]), mallory.id, "<script>alert(1)</script> kettle",
                             '<img src=x onerror=alert(2)> kettle "quotes" & ampersands')
        db.commit()
    page = client.get("/search?q=kettle").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>kettle" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; kettle" in page
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; Mallory" in page
    assert "<mark>kettle</mark>" in page
    suggestion_page = client.get("/search?q=<script>kettl").get_data(as_text=True)
    assert "<script>kettl" not in suggestion_page


def test_private_group_and_members_content_stay_private(app, world):
    anonymous_titles = titles(find(app, "espresso"))
    assert "Guild secret blend" not in anonymous_titles and "Members only cupping" not in anonymous_titles
    lee = member(world, "lee", app)
    assert "Members only cupping" in titles(find(app, "espresso", lee))
    assert "Guild secret blend" not in titles(find(app, "espresso", lee))
    assert "Guild secret blend" in titles(find(app, "espresso", member(world, "dana", app)))
    assert "Guild secret blend" in titles(find(app, "espresso", member(world, "admin", app)))


def test_hidden_profile_fields_are_neither_matched_nor_shown(app, world):
    assert find(app, "vintage grinders", kind="person").total == 0  # bio is for members
    lee = member(world, "lee", app)
    hit = find(app, "vintage grinders", lee, kind="person").hits[0]
    assert hit.title == "Dana Reyes" and "vintage" in hit.snippet
    # The location is for connections: Kim is one, Lee is not.
    assert find(app, "Trondheim", lee).total == 0
    assert titles(find(app, "Trondheim", member(world, "kim", app))) == ["Dana Reyes"]
    # One query may mix words of several levels, each counting where the viewer may see it.
    assert titles(find(app, "roaster vintage", lee, kind="person")) == ["Dana Reyes"]
    assert find(app, "roaster vintage", kind="person").total == 0
    assert titles(find(app, "roaster Trondheim", member(world, "kim", app))) == ["Dana Reyes"]
    assert find(app, "roaster Trondheim", lee).total == 0
    assert titles(find(app, "roaster Trondheim", member(world, "admin", app))) == ["Dana Reyes"]
    # A public match never brings hidden text along in its snippet.
    snippet = find(app, "roaster", kind="person").hits[0].snippet
    assert "Trondheim" not in snippet and "vintage" not in snippet


def test_index_follows_edits_deletes_and_moderation(app, world):
    with app.app_context():
        s = db.session
        post = forums.opening_post(s, s.get(Thread, world["grind"]))
        forums.edit_post(s, post, viewer_of(s.get(Person, world["ids"]["lee"])), "Ceramic burrs for pour-over")
        db.commit()
    assert find(app, "ceramic").total == 1 and find(app, "conical").total == 0
    with app.app_context():
        s = db.session
        reply = s.scalars(select(Post).where(Post.thread_id == world["roast"],
                                                           Post.number == 2)).one()
        moderation.hide_post(s, reply, viewer_of(s.get(Person, world["ids"]["admin"]), admin=True))
        db.commit()
    assert find(app, "drum").total == 0
    with app.app_context():
        s = db.session
        opening = forums.opening_post(s, s.get(Thread, world["roast"]))
        forums.delete_post(s, opening, viewer_of(s.get(Person, world["ids"]["dana"])))
        db.commit()
    assert find(app, "popcorn").total == 0


def test_merged_tag_is_no_longer_found_on_its_threads(app, world):
    from portal.tags.services import find_tag, get_or_create_tags, merge_tags

    assert titles(find(app, "", tag_key="grinding")) == ["Grinder burrs"]
    with app.app_context():
        s = db.session
        target = get_or_create_tags(s, ["Grinders"])[0]
        merge_tags(s, find_tag(s, "grinding"), target)
        db.commit()
    assert find(app, "", tag_key="grinding").total == 0


# PostgreSQL rebuilds in one transaction: a concurrent upsert waits for it and applies after.
@WHOOSH_ONLY
def test_changes_during_a_rebuild_are_not_lost(app, world, backend, monkeypatch):
    with app.app_context():
        stale = list(all_documents(db.session))  # what a long rebuild read before the edit below
    backend._rebuild_marker.write_text("another process")  # the rebuild is still running
    with app.app_context():
        s = db.session
        post = forums.opening_post(s, s.get(Thread, world["grind"]))
        forums.edit_post(s, post, viewer_of(s.get(Person, world["ids"]["lee"])), "Ceramic burrs for pour-over")
        db.commit()
    assert find(app, "ceramic").total == 1  # the live index is kept current meanwhile
    monkeypatch.setattr(search, "all_documents", lambda session: iter(stale))
    with app.app_context():
        search.rebuild(db.session)
    assert backend.status() == "ready"
    assert find(app, "ceramic").total == 1 and find(app, "conical").total == 0


def test_did_you_mean(app, world):
    results = find(app, "espreso")
    assert results.suggestion == "espresso"


def test_did_you_mean_offers_only_words_the_viewer_may_read(app, world):
    assert find(app, "Yirgachefe").suggestion is None  # the word is only in a private group's thread
    assert find(app, "vintag").suggestion is None  # a members-level bio, and the viewer is anonymous
    lee = member(world, "lee", app)
    assert find(app, "vintag", lee).suggestion == "vintage"
    assert find(app, "Yirgachefe", lee).suggestion is None  # Lee is not in the group
    assert find(app, "Trondhem", member(world, "kim", app)).suggestion is None  # connections-only field
    assert find(app, '"popcorn poper" or espreso').suggestion == '"popcorn popper" or espresso'


def test_reindex_command_rebuilds_everything(app, world, runner, backend):
    ghost = SearchDocument(doc_id="thread:999999", kind="thread", title="Ghost popcorn thread",
                           url="/forums/t/999999/ghost", created_at=when(1))
    with app.app_context():
        backend.index(db.session, [ghost])
        db.commit()
    assert "Ghost popcorn thread" in titles(find(app, "popcorn"))
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "4 threads, 1 replies, 4 people, 1 companies" in result.output
    assert "Indexed 10 documents" in result.output and "posts/s" in result.output
    found = titles(find(app, "popcorn"))
    assert "Roasting at home with a popcorn popper" in found and "Ghost popcorn thread" not in found


# Only the on-disk index can be damaged by a crash or a full disk.
@WHOOSH_ONLY
@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
def test_damaged_index_is_rebuilt_and_the_page_says_so(app, world, client, backend, damage):
    if damage == "missing":
        shutil.rmtree(backend.directory)
    for path in backend.directory.iterdir() if backend.directory.exists() else ():
        path.write_bytes(b"\x00garbage" if damage == "garbage" else path.read_bytes()[:len(path.read_bytes()) // 3])
    page = client.get("/search?q=popcorn")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "being rebuilt" in text or "popcorn popper" in text
    again = client.get("/search?q=popcorn").get_data(as_text=True)
    assert "Roasting at home with a popcorn popper" in again


# PostgreSQL rows are locked one by one by the database.
@WHOOSH_ONLY
def test_writers_wait_for_each_other(app, world, backend):
    with app.app_context():
        docs, _ = documents_for(db.session, [f"thread:{world['grind']}"])
    docs[0].title = "Grinder burrs, revised"
    holder = backend._open().writer()  # another request or process is writing right now
    writer_thread = threading.Thread(target=backend.index, args=(None, docs))
    writer_thread.start()
    time.sleep(0.3)
    assert writer_thread.is_alive()  # waiting for the lock instead of failing
    holder.commit()
    writer_thread.join(10)
    assert not writer_thread.is_alive()
    assert titles(find(app, "revised")) == ["Grinder burrs, revised"]


@pytest.mark.parametrize("q", ['"unbalanced', "((", "or", "-", "*", "title:", "AND OR NOT", "a" * 199, "\u202e🙂",
                               "body_members:vintage"])
def test_odd_query_syntax_never_fails(client, world, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert "Dana Reyes" not in response.get_data(as_text=True)  # no field prefix reaches hidden profile text


def test_bad_search_input_gets_a_clear_message(client, world):
    response = client.get("/search", query_string={"q": "x" * 500})
    assert response.status_code == 400 and "at most 200 characters" in response.get_data(as_text=True)
    response = client.get("/search", query_string={"q": "coffee", "from": "yesterday"})
    assert response.status_code == 400 and "2026-01-31" in response.get_data(as_text=True)
    assert client.get("/search", query_string={"q": "coffee", "type": "secret"}).status_code == 400
    assert client.get("/search", query_string={"q": "coffee", "category": "999999"}).status_code == 400


def test_search_page_shows_results_for_the_logged_in_member(client, world):
    login(client, world["users"]["dana"])
    page = client.get("/search?q=espresso").get_data(as_text=True)
    assert "Guild secret blend" in page and "<mark>espresso</mark>" in page
    login(client, world["users"]["lee"])
    assert "Guild secret blend" not in client.get("/search?q=espresso").get_data(as_text=True)


def test_similar_threads_while_typing_respect_groups(client, world):
    login(client, world["users"]["lee"])
    found = client.get("/search/similar?title=secret blend").get_json()
    assert all("Guild" not in item["title"] for item in found)
    found = client.get("/search/similar?title=burrs for grinding").get_json()
    assert found and found[0]["title"] == "Grinder burrs"
