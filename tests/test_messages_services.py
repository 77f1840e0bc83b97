"""Private messages without HTTP: one-to-one and groups, read markers and unread counts, blocks,
the daily cap on new conversations, privacy (NotFound for outsiders), reports, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.errors import DomainError, NotFound, PermissionDenied
from portal.messages import blocking, reports
from portal.messages import services as messages
from portal.messages.models import Conversation
from portal.messages.settings import MessageSettings
from portal.notifications.models import Notification
from tests.test_auth_support import mails_to
from tests.test_companies_support import make_user

SETTINGS = MessageSettings(new_conversations_per_day=3, group_max=4, max_length=200)


@pytest.fixture
def people(session):
    """Four members, someone listed who never joined, and an ecosystem admin."""
    from portal.profiles.services import create_person

    found = {name: make_user(session, f"{name}@example.org", name=f"{name.title()} Tester")[1]
             for name in ("ann", "bob", "cat", "dan")}
    found["lee"] = create_person(session, "Lee Listed", email="lee@example.org")
    found["eve"] = make_user(session, "eve@example.org", name="Eve Admin", role="ecosystem_admin")[1]
    session.flush()
    return found


def _notifications(session, person) -> list[str]:
    return list(session.scalars(select(Notification.title).where(Notification.person_id == person.id,
                                                                  Notification.kind == "message")))


def test_one_to_one_is_unique_per_pair_and_counts_unread(session, people):
    ann, bob = people["ann"], people["bob"]
    first = messages.start_conversation(session, ann, [bob], "Hello **Bob**", settings=SETTINGS)
    again = messages.start_conversation(session, ann, [bob], "Are you there?", settings=SETTINGS)
    assert again.conversation_id == first.conversation_id
    conversation = session.get(Conversation, first.conversation_id)
    assert not conversation.is_group
    assert messages.unread_counts(session, bob.id) == {conversation.id: 2}
    assert messages.unread_total(session, ann.id) == 0  # one's own messages are read
    # Bob is notified once for the burst (in-app, and by mail: the default for messages).
    assert _notifications(session, bob) == ["Ann Tester wrote to you on PartnerMesh"]
    assert [m.subject for m in mails_to(session, "bob@example.org")] == ["Ann Tester wrote to you on PartnerMesh"]

    page = messages.conversation_messages(session, bob, conversation.id)
    assert [m.body for m, _ in page.messages] == ["Hello **Bob**", "Are you there?"]
    assert messages.mark_read(session, bob, conversation.id)
    assert messages.unread_total(session, bob.id) == 0
    messages.post_message(session, bob, conversation.id, "Yes!", settings=SETTINGS)
    assert messages.unread_total(session, ann.id) == 1
    inbox = messages.inbox(session, ann)
    assert [row.name for row in inbox.items] == ["Bob Tester"] and inbox.items[0].unread == 1
    assert inbox.items[0].last_message.body == "Yes!"


def test_outsiders_get_not_found(session, people):
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    message = messages.start_conversation(session, ann, [bob], "Just us", settings=SETTINGS)
    for call in (lambda: messages.conversation_messages(session, cat, message.conversation_id),
                 lambda: messages.post_message(session, cat, message.conversation_id, "me too", settings=SETTINGS),
                 lambda: messages.mark_read(session, cat, message.conversation_id),
                 lambda: messages.conversation_messages(session, cat, 999999),
                 lambda: reports.report_message(session, cat, message.id, "spam")):
        with pytest.raises(NotFound):
            call()


def test_who_can_be_written_to(session, people):
    ann = people["ann"]
    with pytest.raises(DomainError, match="has not joined"):
        messages.start_conversation(session, ann, [people["lee"]], "Hi", settings=SETTINGS)
    with pytest.raises(DomainError, match="other than yourself"):
        messages.start_conversation(session, ann, [ann], "Hi me", settings=SETTINGS)
    with pytest.raises(DomainError, match="write a message"):
        messages.start_conversation(session, ann, [people["bob"]], "  \n ", settings=SETTINGS)
    with pytest.raises(DomainError, match="at most 200 characters"):
        messages.start_conversation(session, ann, [people["bob"]], "x" * 201, settings=SETTINGS)
    with pytest.raises(DomainError, match="at most 4 people"):
        messages.start_conversation(session, ann, [people[n] for n in ("bob", "cat", "dan", "eve")], "Hi all",
                                    settings=SETTINGS)
    assert [p.name for p in messages.resolve_addresses(session, f"@{people['bob'].slug}, "
                                                                f"https://x.example/people/{people['cat'].slug}")] \
        == ["Bob Tester", "Cat Tester"]
    with pytest.raises(DomainError, match="Nobody has the profile address"):
        messages.resolve_addresses(session, "no-such-person")


def test_groups_add_people_and_leave(session, people):
    ann, bob, cat, dan = people["ann"], people["bob"], people["cat"], people["dan"]
    first = messages.start_conversation(session, ann, [bob, cat], "Kick-off", title="EDI project", settings=SETTINGS)
    group = session.get(Conversation, first.conversation_id)
    assert group.is_group and group.title == "EDI project"
    with pytest.raises(PermissionDenied):
        messages.add_participants(session, bob, group.id, [dan], settings=SETTINGS)
    messages.add_participants(session, ann, group.id, [dan], settings=SETTINGS)
    # Dan reads from his arrival on: the event, not the kick-off.
    seen = messages.conversation_messages(session, dan, group.id).messages
    assert [(m.kind, m.body) for m, _ in seen] == [("added", "Dan Tester")]
    with pytest.raises(DomainError, match="at most 4 people"):
        messages.add_participants(session, ann, group.id, [people["eve"]], settings=SETTINGS)
    assert _notifications(session, dan) == ["Ann Tester added you to “EDI project”"]
    messages.post_message(session, bob, group.id, "Welcome Dan", settings=SETTINGS)
    assert messages.unread_counts(session, dan.id) == {group.id: 1}

    # The creator leaves: the group leaves her inbox, Bob (longest-standing) may add people now.
    messages.leave_conversation(session, ann, group.id)
    assert messages.inbox(session, ann).items == []
    with pytest.raises(NotFound):
        messages.conversation_messages(session, ann, group.id)
    assert group.created_by_id == bob.id
    messages.add_participants(session, bob, group.id, [ann], settings=SETTINGS)
    assert messages.conversation_summary(session, ann, group.id).others  # back in
    one_to_one = messages.start_conversation(session, ann, [bob], "Private", settings=SETTINGS)
    with pytest.raises(DomainError, match="Only group conversations can be left"):
        messages.leave_conversation(session, ann, one_to_one.conversation_id)


def test_block_stops_new_conversations_and_hides_group_messages(session, people):
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    old = messages.start_conversation(session, bob, [ann], "Before the block", settings=SETTINGS)
    group = messages.start_conversation(session, cat, [ann, bob], "Group hello", settings=SETTINGS)
    blocking.block(session, ann, bob.id)

    with pytest.raises(DomainError, match="does not accept messages from you"):
        messages.start_conversation(session, bob, [ann], "Hello?", settings=SETTINGS)
    with pytest.raises(DomainError, match="does not accept messages from you"):
        messages.post_message(session, bob, old.conversation_id, "Hello??", settings=SETTINGS)
    with pytest.raises(DomainError, match="Unblock them"):
        messages.start_conversation(session, ann, [bob], "Hi", settings=SETTINGS)
    with pytest.raises(DomainError, match="does not accept"):
        messages.start_conversation(session, bob, [ann, cat], "A new group", settings=SETTINGS)
    assert not messages.may_message(session, bob, ann) and messages.may_message(session, cat, ann)

    # The old conversation stays readable; in the group Bob's new message does not reach Ann.
    assert [m.body for m, _ in messages.conversation_messages(session, ann, old.conversation_id).messages] \
        == ["Before the block"]
    for conversation_id in (old.conversation_id, group.conversation_id):
        messages.mark_read(session, ann, conversation_id)
    messages.post_message(session, bob, group.conversation_id, "Ann, answer me", settings=SETTINGS)
    assert messages.unread_total(session, ann.id) == 0
    assert "Ann, answer me" not in [m.body for m, _ in
                                    messages.conversation_messages(session, ann, group.conversation_id).messages]
    assert "Ann, answer me" in [m.body for m, _ in
                                messages.conversation_messages(session, cat, group.conversation_id).messages]
    last_seen = {row.conversation.id: row.last_message.body for row in messages.inbox(session, ann).items}
    assert last_seen[group.conversation_id] == "Group hello"
    assert messages.inbox(session, cat).items[0].last_message.body == "Ann, answer me"
    assert [p.name for p in blocking.blocked_people(session, ann)] == ["Bob Tester"]
    blocking.unblock(session, ann, bob.id)
    messages.post_message(session, bob, old.conversation_id, "Thanks for unblocking", settings=SETTINGS)
    with pytest.raises(DomainError, match="cannot block yourself"):
        blocking.block(session, ann, ann.id)


def test_daily_cap_on_new_conversations(session, people):
    ann = people["ann"]
    others = [people[n] for n in ("bob", "cat", "dan")]
    for other in others:
        messages.start_conversation(session, ann, [other], "Hi", settings=SETTINGS)
    with pytest.raises(DomainError, match="started 3 new conversations in the last 24 hours"):
        messages.start_conversation(session, ann, [people["eve"]], "Hi", settings=SETTINGS)
    # Writing in an existing conversation is not capped; yesterday's conversations no longer count.
    messages.start_conversation(session, ann, [others[0]], "Still fine", settings=SETTINGS)
    for conversation in session.scalars(select(Conversation).where(Conversation.created_by_id == ann.id)):
        conversation.created_at -= timedelta(days=1, minutes=1)
    messages.start_conversation(session, ann, [people["eve"]], "Hi", settings=SETTINGS)


def test_reports_reach_admins_who_dismiss_or_suspend(session, people):
    ann, bob, eve = people["ann"], people["bob"], people["eve"]
    rude = messages.start_conversation(session, bob, [ann], "Buy my stuff", settings=SETTINGS)
    with pytest.raises(DomainError, match="your own message"):
        reports.report_message(session, bob, rude.id, "spam")
    with pytest.raises(DomainError, match="choose a reason"):
        reports.report_message(session, ann, rude.id, "bored")
    reports.report_message(session, ann, rude.id, "spam", "Third time today")
    with pytest.raises(DomainError, match="already reported"):
        reports.report_message(session, ann, rude.id, "spam")
    with pytest.raises(PermissionDenied):
        reports.open_reports(session, ann)
    queue = reports.open_reports(session, eve)
    assert [(item.message.body, item.reasons) for item in queue] == [("Buy my stuff", ["Spam or advertising"])]
    assert reports.open_report_count(session) == 1

    reports.dismiss_reports(session, eve, rude.id)
    assert reports.open_reports(session, eve) == []
    reports.report_message(session, ann, rude.id, "harassment")  # again, after the dismissal
    author = reports.suspend_author(session, eve, rude.id)
    assert author.id == bob.id and reports.open_report_count(session) == 0
    from portal.auth.member_accounts import account_states
    assert account_states(session, [bob.id])[bob.id].suspended
    with pytest.raises(DomainError, match="suspended"):
        messages.start_conversation(session, ann, [bob], "Are you ok?", settings=SETTINGS)


def test_message_sent_event_names_only_receiving_people(session, people):
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    blocking.block(session, cat, ann.id)
    message = messages.start_conversation(session, bob, [ann, cat], "Hi both", settings=SETTINGS)
    message = messages.post_message(session, ann, message.conversation_id, "Hi Bob", settings=SETTINGS)
    sent = [payload for name, payload in session.info["pending_events"] if name == "message.sent"]
    assert sent[-1] == {"message_id": message.id, "conversation_id": message.conversation_id,
                        "author_id": ann.id, "recipient_ids": [bob.id]}


def test_accepted_introduction_opens_or_links_the_pairs_conversation(session, people):
    from portal.introductions import services as introductions
    from portal.introductions.conversation import conversation_for

    ann, bob, cat, eve = people["ann"], people["bob"], people["cat"], people["eve"]
    earlier = messages.start_conversation(session, ann, [bob], "We met at the fair", settings=SETTINGS)
    for pair in ((ann, bob), (ann, cat)):
        intro = introductions.propose_introduction(session, eve.id, pair[0].id, pair[1].id, "Talk!")
        for person in pair:
            introductions.answer_introduction(session, person, intro.id, accept=True)
        conversation = conversation_for(session, pair[0], intro.id)
        assert conversation.introduction_id == intro.id and not conversation.is_group
        kinds = [m.kind for m, _ in messages.conversation_messages(session, pair[1], conversation.id).messages]
        assert kinds[-1] == "introduced" and messages.unread_counts(session, pair[1].id).get(conversation.id, 0) \
            == (1 if pair[1] is bob else 0)
    # Ann and Bob already talked: their conversation is linked, not doubled.
    assert conversation_for(session, ann, session.get(Conversation, earlier.conversation_id).introduction_id).id \
        == earlier.conversation_id
    assert [row.name for row in messages.inbox(session, ann).items] == ["Cat Tester", "Bob Tester"]
