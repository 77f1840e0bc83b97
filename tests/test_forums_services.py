"""Forum services without HTTP: access scopes, threads and replies, mentions, edits, moderation."""

from __future__ import annotations

import pytest

from portal.errors import DomainError
from portal.forums import activity, moderation, services
from portal.forums.access import can_read, viewer_scopes
from portal.forums.models import Mention, ModerationAction
from portal.profiles.visibility import Viewer
from tests.test_companies_support import make_user
from tests.test_forums_support import make_thread, viewer_of


@pytest.fixture
def forum(session):
    _, dana = make_user(session, name="Dana Reyes")
    _, lee = make_user(session, name="Lee Chen")
    _, admin_person = make_user(session, role="ecosystem_admin", name="Ada Admin")
    public = services.create_category(session, "General")
    members = services.create_category(session, "Partners only", visibility="members")
    group = services.create_group(session, "SAP alliance", dana.id)
    return {"dana": dana, "lee": lee, "admin": admin_person, "public": public, "members": members,
            "group": group, "group_category": services.group_category(session, group)}


def test_scopes_decide_who_reads_what(session, forum):
    anonymous = Viewer.anonymous()
    lee, dana = viewer_of(forum["lee"]), viewer_of(forum["dana"])
    admin = viewer_of(forum["admin"], admin=True)
    assert viewer_scopes(session, anonymous) == {"public"}
    assert can_read(session, forum["public"], anonymous)
    assert not can_read(session, forum["members"], anonymous)
    assert can_read(session, forum["members"], lee)
    assert not can_read(session, forum["group_category"], lee)
    assert can_read(session, forum["group_category"], dana)
    assert can_read(session, forum["group_category"], admin)
    services.set_group_member(session, forum["group"], forum["lee"].id, "member")
    assert can_read(session, forum["group_category"], lee)


def test_outsider_cannot_post_in_a_group(session, forum):
    with pytest.raises(DomainError):
        make_thread(session, forum["group_category"], forum["lee"], viewer=viewer_of(forum["lee"]))


def test_thread_numbers_posts_and_keeps_counters(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"], tags="SAP, migration")
    first = services.opening_post(session, thread)
    second = services.reply(session, thread, forum["lee"].id, "I can help.", reply_to=first)
    third = services.reply(session, thread, forum["dana"].id, "Great, thanks!")
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert thread.post_count == 3 and thread.last_number == 3
    assert [t.name for t in services.thread_tags(session, [thread.id])[thread.id]] == ["SAP", "migration"]
    assert services.page_of_post(third) == 1


def test_markdown_is_sanitized_and_links_are_nofollow(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"],
                         body="<script>alert(1)</script> [x](javascript:alert(1)) [site](https://example.org)\n\n"
                              "```python\nprint('hi')\n```")
    html = services.opening_post(session, thread).body_html
    assert "<script" not in html and "&lt;script&gt;" in html and "href=\"javascript" not in html
    assert 'rel="nofollow ugc noopener"' in html
    assert '<pre><code class="language-python">' in html


def test_mentions_link_profiles_and_fire_the_hook(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"],
                         body=f"Ping @{forum['lee'].slug}, but not `@{forum['admin'].slug}` nor @nobody-here.")
    post = services.opening_post(session, thread)
    assert f'href="/people/{forum["lee"].slug}"' in post.body_html
    assert f'/people/{forum["admin"].slug}' not in post.body_html
    mentioned = session.scalars(Mention.__table__.select().with_only_columns(Mention.person_id)
                                .where(Mention.post_id == post.id)).all()
    assert mentioned == [forum["lee"].id]
    assert any(name == "forum.mentioned" for name, _ in session.info["pending_events"])


def test_edit_keeps_history_and_only_author_or_moderator_may(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"])
    post = services.opening_post(session, thread)
    with pytest.raises(DomainError):
        services.edit_post(session, post, viewer_of(forum["lee"]), "Hijacked")
    services.edit_post(session, post, viewer_of(forum["dana"]), "New text", title="A better title")
    assert thread.title == "A better title" and post.edited_at is not None
    history = services.post_history(session, post)
    assert [r.body for r in history] == ["We are *looking* for help."]
    assert history[0].title == "Who knows S/4HANA migrations?"


def test_deleting_the_opening_post_deletes_the_thread(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"])
    services.delete_post(session, services.opening_post(session, thread), viewer_of(forum["dana"]))
    assert thread.deleted_at is not None
    assert services.category_threads(session, forum["public"])[1] == 0


def test_locked_thread_refuses_replies_except_moderators(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"])
    moderation.set_thread_state(session, thread, viewer_of(forum["admin"], admin=True), locked=True)
    with pytest.raises(DomainError, match="locked"):
        services.reply(session, thread, forum["lee"].id, "Late", viewer=viewer_of(forum["lee"]))
    services.reply(session, thread, forum["admin"].id, "Closing note", viewer=viewer_of(forum["admin"], admin=True))


def test_accepted_answer_by_author_only(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"])
    answer = services.reply(session, thread, forum["lee"].id, "Use the migration cockpit.")
    with pytest.raises(DomainError):
        activity.set_accepted_answer(session, thread, answer, viewer_of(forum["lee"]))
    with pytest.raises(DomainError):
        activity.set_accepted_answer(session, thread, services.opening_post(session, thread), viewer_of(forum["dana"]))
    activity.set_accepted_answer(session, thread, answer, viewer_of(forum["dana"]))
    assert thread.accepted_post_id == answer.id


def test_reactions_toggle(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"])
    post = services.opening_post(session, thread)
    lee = viewer_of(forum["lee"])
    assert activity.toggle_reaction(session, post, lee, "thanks") is True
    assert activity.reaction_summary(session, [post.id], forum["lee"].id)[post.id]["counts"]["thanks"] == 1
    assert activity.toggle_reaction(session, post, lee, "thanks") is False
    with pytest.raises(DomainError):
        activity.toggle_reaction(session, post, lee, "<script>")


def test_unread_markers_count_new_posts(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"])
    lee = forum["lee"].id
    assert activity.unread_info(thread, activity.read_markers(session, lee, [thread.id]), lee)["new"] is True
    activity.mark_read(session, lee, thread, 1)
    services.reply(session, thread, forum["dana"].id, "More")
    services.reply(session, thread, forum["dana"].id, "Even more")
    info = activity.unread_info(thread, activity.read_markers(session, lee, [thread.id]), lee)
    assert info == {"new": False, "unread": 2}
    activity.mark_read(session, lee, thread, 1)  # an old page never moves the marker back
    activity.mark_read(session, lee, thread, 3)
    assert activity.read_markers(session, lee, [thread.id]) == {thread.id: 3}


def test_flag_queue_hide_restore_and_audit_log(session, forum):
    thread = make_thread(session, forum["public"], forum["dana"], body="Buy cheap watches")
    post = services.opening_post(session, thread)
    admin = viewer_of(forum["admin"], admin=True)
    with pytest.raises(DomainError):
        moderation.flag_post(session, post, viewer_of(forum["dana"]), "spam")  # own post
    moderation.flag_post(session, post, viewer_of(forum["lee"]), "spam", "Looks like spam")
    with pytest.raises(DomainError, match="already"):
        moderation.flag_post(session, post, viewer_of(forum["lee"]), "spam")
    assert moderation.open_flag_count(session, admin) == 1
    assert moderation.moderation_queue(session, viewer_of(forum["lee"])) == []
    with pytest.raises(DomainError):
        moderation.hide_post(session, post, viewer_of(forum["lee"]))
    moderation.hide_post(session, post, admin, "Spam")
    assert post.hidden_at is not None and moderation.open_flag_count(session, admin) == 0
    moderation.restore_post(session, post, admin)
    assert post.is_visible
    actions = list(session.scalars(ModerationAction.__table__.select()
                                   .with_only_columns(ModerationAction.action)))
    assert actions == ["hide_post", "restore_post"]


def test_group_admin_moderates_only_their_group(session, forum):
    dana = viewer_of(forum["dana"])  # admin of the SAP alliance group
    group_thread = make_thread(session, forum["group_category"], forum["dana"])
    public_thread = make_thread(session, forum["public"], forum["lee"])
    moderation.set_thread_state(session, group_thread, dana, pinned=True)
    with pytest.raises(DomainError):
        moderation.set_thread_state(session, public_thread, dana, pinned=True)
    with pytest.raises(DomainError):  # moving a group thread into the open needs rights there too
        moderation.move_thread(session, group_thread, forum["public"], dana)


def test_group_keeps_one_admin(session, forum):
    with pytest.raises(DomainError, match="at least one admin"):
        services.set_group_member(session, forum["group"], forum["dana"].id, None)


def test_suspend_member_ends_logins_and_is_logged(session, forum):
    from portal.auth.models import User

    admin = viewer_of(forum["admin"], admin=True)
    with pytest.raises(DomainError):
        moderation.suspend_member(session, forum["lee"].id, viewer_of(forum["dana"]))
    moderation.suspend_member(session, forum["lee"].id, admin, "Spam wave")
    assert session.get(User, forum["lee"].user_id).suspended_at is not None
    rows, total = moderation.audit_log(session, admin)
    assert total == 1 and rows[0].action == "suspend" and rows[0].detail["reason"] == "Spam wave"


@pytest.mark.parametrize("title,body,message", [
    ("", "text", "title"), ("x" * 201, "text", "at most 200"), ("Title", "  ", "write something"),
    ("Title", "x" * 50_001, "at most 50,000"),
])
def test_bad_thread_input_is_refused(session, forum, title, body, message):
    with pytest.raises(DomainError, match=message):
        make_thread(session, forum["public"], forum["dana"], title=title, body=body)


def test_merging_tags_keeps_threads_tagged(session, forum):
    from portal.tags.services import find_tag, merge_tags

    one = make_thread(session, forum["public"], forum["dana"], tags="S4 HANA, migration")
    two = make_thread(session, forum["public"], forum["dana"], title="Other", tags="S/4HANA, S4 HANA")
    merge_tags(session, find_tag(session, "S4 HANA"), find_tag(session, "S/4HANA"))
    tags = services.thread_tags(session, [one.id, two.id])
    assert [t.name for t in tags[one.id]] == ["S/4HANA", "migration"]
    assert [t.name for t in tags[two.id]] == ["S/4HANA"]
