"""The `category`, `thread` and `post` record kinds.

A thread's `body` is its opening post; `post` records are the replies. HTML bodies are
converted to Markdown and then rendered and sanitized like anything a member writes.
Private groups are not part of the format: their categories and threads are not exported.
Deleted or hidden posts are not exported either (the format has no way to say so).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import queue_event
from portal.forums import services as forums
from portal.forums.activity import set_accepted_answer
from portal.forums.models import MEMBERS, PUBLIC, Category, Post, Thread
from portal.interchange import fields as f
from portal.interchange.companies import _tag_keys
from portal.interchange.htmlmd import html_to_markdown
from portal.interchange.registry import CREATED, UNCHANGED, UPDATED, KindHandler
from portal.profiles.models import Person
from portal.profiles.services import person_by_external_id

MAX_BODY = forums.MAX_BODY


def _body(data: dict[str, Any]) -> Iterator[str]:
    """Convert an HTML body to Markdown in place; complain when it ends up too long or empty."""
    if data.pop("body_format", "markdown") == "html":
        data["body"] = html_to_markdown(data["body"])
    if not data["body"].strip():
        yield "field 'body' has no text"
    elif len(data["body"]) > MAX_BODY:
        yield f"field 'body' is too long after conversion to Markdown (at most {MAX_BODY:,} characters)"


def _check_author(data: dict[str, Any], ctx) -> Iterator[str]:
    if not ctx.defines("person", data["author"]):
        yield f"unknown author '{data['author']}' (no person with that id on an earlier line nor in the portal)"


def _person_id(session: Session, state, external_id: str) -> int:
    return state.get("person", external_id, person_by_external_id).id


def _external(obj, prefix: str) -> str:
    return obj.external_id or f"{prefix}-{obj.id}"


# --- category -------------------------------------------------------------------------------

CATEGORY_FIELDS = {
    "name": f.Field(f.line_string(120, required=True), required=True),
    "description": f.Field(f.text(2000)),
    "visibility": f.Field(f.choice((PUBLIC, MEMBERS))),
}


def _check_category(data: dict[str, Any], ctx) -> Iterator[str]:
    return iter(())


def _apply_category(session: Session, record, state) -> str:
    data = record.data
    visibility = data.get("visibility", PUBLIC)
    category = state.get("category", record.id, forums.category_by_external_id)
    if category is None:
        category = forums.create_category(session, data["name"], description=data.get("description", ""),
                                          visibility=visibility, external_id=record.id)
        state.remember("category", record.id, category)
        return CREATED
    if (category.name, category.description, category.visibility) == (
            data["name"], data.get("description", ""), visibility):
        return UNCHANGED
    forums.update_category(session, category, name=data["name"], description=data.get("description", ""),
                           visibility=visibility)
    return UPDATED


def _export_categories(session: Session) -> Iterator[dict[str, Any]]:
    categories = session.scalars(select(Category).where(Category.group_id.is_(None))
                                 .order_by(Category.position, Category.id))
    for c in categories:
        record = {"kind": "category", "id": _external(c, "category"), "name": c.name}
        if c.description:
            record["description"] = c.description
        if c.visibility != PUBLIC:
            record["visibility"] = c.visibility
        yield record


# --- thread ---------------------------------------------------------------------------------

THREAD_FIELDS = {
    "category": f.Field(f.line_string(128, required=True), required=True),
    "author": f.Field(f.line_string(128, required=True), required=True),
    "title": f.Field(f.line_string(forums.MAX_TITLE, required=True), required=True),
    "body": f.Field(f.text(MAX_BODY * 4), required=True),
    "body_format": f.Field(f.choice(("markdown", "html"))),
    "tags": f.Field(f.tag_list),
    "created_at": f.Field(f.date_time),
    "pinned": f.Field(f.boolean),
    "locked": f.Field(f.boolean),
}
THREAD_ORDER = ("category", "author", "title", "body", "tags", "created_at", "pinned", "locked")


def _check_thread(data: dict[str, Any], ctx) -> Iterator[str]:
    yield from _body(data)
    if len(data.get("tags", [])) > forums.MAX_THREAD_TAGS:
        yield f"field 'tags' has more than {forums.MAX_THREAD_TAGS} tags"
    if not ctx.defines("category", data["category"]):
        yield f"unknown category '{data['category']}' (not defined on an earlier line nor in the portal)"
    yield from _check_author(data, ctx)


def _thread_exists(session: Session, external_id: str) -> bool:
    return forums.thread_by_external_id(session, external_id) is not None


def _apply_thread(session: Session, record, state) -> str:
    data = record.data
    category = state.get("category", data["category"], forums.category_by_external_id)
    author_id = _person_id(session, state, data["author"])
    thread = state.get("thread", record.id, forums.thread_by_external_id)
    if thread is None:
        thread = forums.create_thread(session, category, author_id, data["title"], data["body"],
                                      tags=data.get("tags", []), created_at=data.get("created_at"),
                                      external_id=record.id)
        thread.pinned, thread.locked = data.get("pinned", False), data.get("locked", False)
        state.remember("thread", record.id, thread)
        return CREATED
    opening = forums.opening_post(session, thread)
    changed = forums.revise_post(session, opening, data["body"], editor_id=None, title=data["title"])
    current_tags = [t.key for t in forums.thread_tags(session, [thread.id])[thread.id]]
    if current_tags != _tag_keys(session, data.get("tags", [])):
        forums.set_thread_tags(session, thread, data.get("tags", []))
        changed = True
    wanted = {"category_id": category.id, "author_id": author_id, "pinned": data.get("pinned", False),
              "locked": data.get("locked", False)}
    if data.get("created_at"):
        wanted["created_at"] = data["created_at"]
    for key, value in wanted.items():
        if getattr(thread, key) != value:
            setattr(thread, key, value)
            changed = True
    if changed:
        # The opening post carries the thread's author and date too (pages show the post's).
        opening.author_id, opening.created_at = thread.author_id, thread.created_at
        _refresh_last_post_at(session, thread)
        session.flush()
        queue_event(session, "forum.thread.changed", {"thread_id": thread.id})
    return UPDATED if changed else UNCHANGED


def _refresh_last_post_at(session: Session, thread: Thread) -> None:
    """An imported date changed: the thread's latest activity is its newest post's date again."""
    session.flush()
    newest = session.scalar(select(func.max(Post.created_at)).where(Post.thread_id == thread.id))
    thread.last_post_at = newest or thread.created_at


def _export_threads(session: Session) -> Iterator[dict[str, Any]]:
    rows = session.execute(
        select(Thread, Category, Post).join(Category, Category.id == Thread.category_id)
        .join(Post, (Post.thread_id == Thread.id) & (Post.number == 1))
        .where(Category.group_id.is_(None), Thread.deleted_at.is_(None)).order_by(Thread.created_at, Thread.id)).all()
    authors = _person_externals(session, {t.author_id for t, _, _ in rows})
    tags = forums.thread_tags(session, [t.id for t, _, _ in rows])
    for thread, category, opening in rows:
        if thread.author_id not in authors:
            continue  # the author's profile was removed: the format needs an author
        values = {"category": _external(category, "category"), "author": authors[thread.author_id],
                  "title": thread.title, "body": opening.body, "tags": [t.name for t in tags[thread.id]],
                  "created_at": f.format_datetime(thread.created_at), "pinned": thread.pinned,
                  "locked": thread.locked}
        record = {"kind": "thread", "id": _external(thread, "thread")}
        record.update((key, values[key]) for key in THREAD_ORDER if values[key])
        yield record


def _person_externals(session: Session, person_ids: set[int | None]) -> dict[int, str]:
    ids = {pid for pid in person_ids if pid is not None}
    if not ids:
        return {}
    return {pid: ext or f"person-{pid}" for pid, ext in
            session.execute(select(Person.id, Person.external_id).where(Person.id.in_(ids)))}


# --- post -----------------------------------------------------------------------------------

POST_FIELDS = {
    "thread": f.Field(f.line_string(128, required=True), required=True),
    "author": f.Field(f.line_string(128, required=True), required=True),
    "body": f.Field(f.text(MAX_BODY * 4), required=True),
    "body_format": f.Field(f.choice(("markdown", "html"))),
    "created_at": f.Field(f.date_time),
    "reply_to": f.Field(f.line_string(128)),
    "accepted": f.Field(f.boolean),
}
POST_ORDER = ("thread", "author", "body", "created_at", "reply_to", "accepted")


def _thread_of_post(ctx, post_id: str) -> str | None:
    """The thread id of a post defined earlier in the file or already in the portal."""
    earlier = ctx.seen["post-thread"].get(post_id)
    if earlier is not None:
        return earlier[0]
    if ctx.session is None:
        return None
    post = forums.post_by_external_id(ctx.session, post_id)
    if post is None:
        return None
    thread = ctx.session.get(Thread, post.thread_id)
    return _external(thread, "thread")


def _check_post(data: dict[str, Any], ctx) -> Iterator[str]:
    yield from _body(data)
    if not ctx.defines("thread", data["thread"]):
        yield f"unknown thread '{data['thread']}' (not defined on an earlier line nor in the portal)"
    yield from _check_author(data, ctx)
    if ctx.record_id:
        current_thread = _thread_of_post(ctx, ctx.record_id)
        if current_thread is not None and current_thread != data["thread"]:
            yield (f"post '{ctx.record_id}' is in thread '{current_thread}' in the portal; "
                   "a post cannot move to another thread")
    reply_to = data.get("reply_to")
    if reply_to:
        parent_thread = _thread_of_post(ctx, reply_to)
        if parent_thread is None:
            yield f"reply_to names unknown post '{reply_to}' (not defined on an earlier line nor in the portal)"
        elif parent_thread != data["thread"]:
            yield f"reply_to post '{reply_to}' belongs to thread '{parent_thread}', not '{data['thread']}'"
    if ctx.record_id:
        ctx.seen["post-thread"][ctx.record_id] = (data["thread"], ctx.line)
    if data.get("accepted"):
        earlier = ctx.claim("accepted-answer", data["thread"])
        if earlier is not None:
            yield f"thread '{data['thread']}' already has an accepted answer: post '{earlier[0]}' (line {earlier[1]})"


def _post_exists(session: Session, external_id: str) -> bool:
    return forums.post_by_external_id(session, external_id) is not None


def _apply_post(session: Session, record, state) -> str:
    data = record.data
    thread = state.get("thread", data["thread"], forums.thread_by_external_id)
    author_id = _person_id(session, state, data["author"])
    reply_to = state.get("post", data["reply_to"], forums.post_by_external_id) if data.get("reply_to") else None
    post = state.get("post", record.id, forums.post_by_external_id)
    outcome = UNCHANGED
    if post is None:
        post = forums.reply(session, thread, author_id, data["body"], reply_to=reply_to,
                            created_at=data.get("created_at"), external_id=record.id)
        state.remember("post", record.id, post)
        outcome = CREATED
    else:
        if forums.revise_post(session, post, data["body"], editor_id=None):
            outcome = UPDATED
        wanted = {"author_id": author_id, "reply_to_id": reply_to.id if reply_to else None}
        if data.get("created_at"):
            wanted["created_at"] = data["created_at"]
        for key, value in wanted.items():
            if getattr(post, key) != value:
                setattr(post, key, value)
                outcome = UPDATED
        if outcome == UPDATED:
            _refresh_last_post_at(session, thread)
    accepted = thread.accepted_post_id == post.id
    if data.get("accepted", False) != accepted:
        set_accepted_answer(session, thread, post if data.get("accepted") else None, None)
        outcome = UPDATED if outcome == UNCHANGED else outcome
    return outcome


def _export_posts(session: Session) -> Iterator[dict[str, Any]]:
    rows = session.execute(
        select(Post, Thread).join(Thread, Thread.id == Post.thread_id).join(Category, Category.id == Thread.category_id)
        .where(Post.number > 1, Post.deleted_at.is_(None), Post.hidden_at.is_(None), Thread.deleted_at.is_(None),
               Category.group_id.is_(None)).order_by(Thread.created_at, Thread.id, Post.number)).all()
    authors = _person_externals(session, {p.author_id for p, _ in rows} | {t.author_id for _, t in rows})
    externals = {p.id: _external(p, "post") for p, _ in rows}
    for post, thread in rows:
        if post.author_id not in authors or thread.author_id not in authors:
            continue
        values = {"thread": _external(thread, "thread"), "author": authors[post.author_id], "body": post.body,
                  "created_at": f.format_datetime(post.created_at),
                  "reply_to": externals.get(post.reply_to_id, ""), "accepted": thread.accepted_post_id == post.id}
        record = {"kind": "post", "id": externals[post.id]}
        record.update((key, values[key]) for key in POST_ORDER if values[key])
        yield record


CATEGORY_HANDLER = KindHandler(kind="category", fields=CATEGORY_FIELDS, check=_check_category,
                               apply=_apply_category, export=_export_categories,
                               exists=lambda s, i: forums.category_by_external_id(s, i) is not None,
                               order=40, field_order=("name", "description", "visibility"))
THREAD_HANDLER = KindHandler(kind="thread", fields=THREAD_FIELDS, check=_check_thread, apply=_apply_thread,
                             export=_export_threads, exists=_thread_exists, order=50, field_order=THREAD_ORDER)
POST_HANDLER = KindHandler(kind="post", fields=POST_FIELDS, check=_check_post, apply=_apply_post,
                           export=_export_posts, exists=_post_exists, order=60, field_order=POST_ORDER)
