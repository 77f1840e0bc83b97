"""Interchange of categories, threads and posts, with the real coffee forum as the main fixture."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.db import db
from portal.forums.models import Category, Post, Thread
from portal.forums.services import opening_post, post_by_external_id, post_history, thread_by_external_id
from portal.interchange.core import import_records, validate_file
from portal.migrate import upgrade
from tests.test_interchange import run, write

COFFEE = Path(__file__).parent / "fixtures" / "coffee-forum.jsonl"
BASE = [{"kind": "person", "id": "p1", "name": "Dana Reyes"}, {"kind": "person", "id": "p2", "name": "Lee Chen"},
        {"kind": "category", "id": "general", "name": "General"}]


def test_coffee_forum_imports_with_accepted_answers_and_clean_html(runner, session):
    result = run(runner, "import", str(COFFEE))
    assert result.exit_code == 0, result.output
    assert "thread: 225 created" in result.stdout and "post: 327 created" in result.stdout
    assert session.scalar(select(func.count(Thread.id))) == 225
    assert session.scalar(select(func.count(Post.id))) == 225 + 327
    storage = thread_by_external_id(session, "se-q1")
    assert storage.title == "How should I store whole bean coffee?"
    assert storage.accepted_post_id == post_by_external_id(session, "se-a24").id
    accepted = session.scalar(select(func.count(Thread.id)).where(Thread.accepted_post_id.is_not(None)))
    assert accepted > 100
    html = " ".join(session.scalars(select(Post.body_html)))
    assert "<script" not in html and "<p>" in html
    assert 'rel="nofollow ugc noopener"' in html
    # Re-importing the same file changes nothing.
    again = run(runner, "import", str(COFFEE))
    assert "thread: 0 created, 0 updated, 225 unchanged" in again.stdout
    assert "post: 0 created, 0 updated, 327 unchanged" in again.stdout


@pytest.fixture
def fresh_app(tmp_path):
    from portal import create_app

    url = f"sqlite:///{tmp_path / 'second.db'}"
    upgrade(url)
    second = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
                         "SECRET_KEY": "second", "RATELIMIT_STORAGE_URI": "memory://",
                         "SEARCH_BACKGROUND_REBUILD": False})
    yield second
    with second.app_context():
        db.engine.dispose()


def test_forum_round_trip_is_byte_identical(runner, session, fresh_app, tmp_path):
    assert run(runner, "import", str(COFFEE)).exit_code == 0
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert run(runner, "export", str(first)).exit_code == 0
    other = fresh_app.test_cli_runner()
    imported = other.invoke(args=["import", str(first)])
    assert imported.exit_code == 0, imported.output
    assert other.invoke(args=["export", str(second)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    kinds = [json.loads(line)["kind"] for line in first.read_text().splitlines()]
    assert kinds.count("thread") == 225 and kinds.count("post") == 327


def test_reimport_updates_thread_and_keeps_history(session, tmp_path):
    records, errors, _ = validate_file(write(tmp_path, *BASE, {
        "kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": "Old title", "body": "Old"}),
        session=session)
    import_records(session, records)
    records, errors, _ = validate_file(write(tmp_path, *BASE, {
        "kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": "New title", "body": "New",
        "pinned": True}), session=session)
    assert errors == []
    counts = import_records(session, records)
    assert counts["thread"]["updated"] == 1
    thread = thread_by_external_id(session, "t1")
    assert thread.title == "New title" and thread.pinned
    opening = opening_post(session, thread)
    assert opening.body == "New" and opening.edited_at is not None
    # The old text and title stay in the post's visible history.
    assert [(r.title, r.body) for r in post_history(session, opening)] == [("Old title", "Old")]


def test_reimport_with_new_dates_moves_the_threads_activity(session, tmp_path):
    def records(reply_at: str):
        found, errors, _ = validate_file(write(tmp_path, *BASE, {
            "kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": "T", "body": "b",
            "created_at": "2025-01-01T09:00:00Z"}, {
            "kind": "post", "id": "r1", "thread": "t1", "author": "p2", "body": "reply", "created_at": reply_at}),
            session=session)
        assert errors == []
        return found

    import_records(session, records("2025-01-03T09:00:00Z"))
    counts = import_records(session, records("2025-01-02T09:00:00Z"))
    assert counts["post"]["updated"] == 1 and counts["thread"]["unchanged"] == 1
    thread = thread_by_external_id(session, "t1")
    assert thread.last_post_at == datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    assert post_history(session, post_by_external_id(session, "r1")) == []  # same text: no revision


def test_a_post_cannot_move_to_another_thread(session, tmp_path):
    two_threads = [*BASE, {"kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": "A",
                           "body": "a"},
                   {"kind": "thread", "id": "t2", "category": "general", "author": "p1", "title": "B", "body": "b"}]
    records, _, _ = validate_file(write(tmp_path, *two_threads, {
        "kind": "post", "id": "r1", "thread": "t1", "author": "p2", "body": "reply"}), session=session)
    import_records(session, records)
    _, errors, _ = validate_file(write(tmp_path, *two_threads, {
        "kind": "post", "id": "r1", "thread": "t2", "author": "p2", "body": "reply"}), session=session)
    assert [str(e).split(":", 1)[1] for e in errors] == [
        "6: post 'r1' is in thread 't1' in the portal; a post cannot move to another thread"]


def test_bad_forum_records_are_reported_with_their_line(tmp_path, session):
    path = write(tmp_path, *BASE,
                 {"kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": "T", "body": "b"},
                 {"kind": "thread", "id": "t2", "category": "nowhere", "author": "p1", "title": "T", "body": "b"},
                 {"kind": "thread", "id": "t3", "category": "general", "author": "ghost", "title": "T", "body": "b"},
                 {"kind": "thread", "id": "t4", "category": "general", "author": "p1", "body": "b"},
                 {"kind": "thread", "id": "t5", "category": "general", "author": "p1", "title": "T",
                  "body": "x" * 60000},
                 {"kind": "thread", "id": "t6", "category": "general", "author": "p1", "title": "T", "body": "b",
                  "created_at": "yesterday"},
                 {"kind": "thread", "id": "t7", "category": "general", "author": "p1", "title": "T", "body": "b"},
                 {"kind": "post", "id": "r1", "thread": "t1", "author": "p2", "body": "reply"},
                 {"kind": "post", "id": "r2", "thread": "t7", "author": "p2", "body": "x", "reply_to": "r1"},
                 {"kind": "post", "id": "r3", "thread": "t1", "author": "p2", "body": "x", "accepted": True},
                 {"kind": "post", "id": "r4", "thread": "t1", "author": "p2", "body": "x", "accepted": True},
                 {"kind": "category", "id": "secret", "name": "S", "visibility": "group"},
                 {"kind": "post", "id": "r5", "thread": "t1", "author": "p2", "body": "<p></p>",
                  "body_format": "html"})
    _, errors, _ = validate_file(path, session=session)
    messages = [str(e).split(":", 1)[1] for e in errors]
    assert messages == [
        "5: unknown category 'nowhere' (not defined on an earlier line nor in the portal)",
        "6: unknown author 'ghost' (no person with that id on an earlier line nor in the portal)",
        "7: missing required field 'title'",
        "8: field 'body' is too long after conversion to Markdown (at most 50,000 characters)",
        "9: field 'created_at' is not an ISO 8601 date-time: 'yesterday'",
        "12: reply_to post 'r1' belongs to thread 't1', not 't7'",
        "14: thread 't1' already has an accepted answer: post 'r3' (line 13)",
        "15: field 'visibility' must be one of: public, members",
        "16: field 'body' has no text",
    ]


def test_script_payloads_are_inert_after_import(session, tmp_path):
    payload = '<script>alert(1)</script><a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)>hello'
    records, errors, _ = validate_file(write(tmp_path, *BASE, {
        "kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": "<b>bold</b> title",
        "body": payload, "body_format": "html"}), session=session)
    assert errors == []
    import_records(session, records)
    thread = thread_by_external_id(session, "t1")
    html = opening_post(session, thread).body_html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html and "hello" in html
    assert thread.title == "<b>bold</b> title"  # stored as text; every page escapes it


def test_script_payloads_are_inert_on_the_thread_page(runner, client, session, tmp_path):
    payload = "<script>alert('x')</script>"
    path = write(tmp_path, {"kind": "person", "id": "p1", "name": f"Eve {payload}"}, BASE[2], {
        "kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": f"Title {payload}",
        "body": f'<p>Body</p>{payload}<a href="https://x.example" onclick="alert(1)">link</a>',
        "body_format": "html", "tags": [f"tag{payload}"]}, {
        "kind": "post", "id": "r1", "thread": "t1", "author": "p1",
        "body": f"Reply {payload} [x](javascript:alert(1))"})
    result = run(runner, "import", str(path))
    assert result.exit_code == 0, result.output
    thread = thread_by_external_id(session, "t1")
    page = client.get(f"/forums/t/{thread.id}").get_data(as_text=True)
    assert "Title &lt;script&gt;" in page and "Eve &lt;script&gt;" in page and "Reply &lt;script&gt;" in page
    assert "<script>alert" not in page and "onclick" not in page and 'href="javascript' not in page
    assert 'href="https://x.example" rel="nofollow ugc noopener"' in page


def test_categories_keep_their_visibility(session, tmp_path):
    records, _, _ = validate_file(write(tmp_path, {"kind": "category", "id": "m", "name": "Members",
                                                   "visibility": "members"}), session=session)
    import_records(session, records)
    assert session.scalar(select(Category.visibility).where(Category.external_id == "m")) == "members"
