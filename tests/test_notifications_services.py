"""Notification services without HTTP: who gets what, preferences, unread counts, the digest,
unsubscribe tokens."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from portal.auth.models import User
from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.mail.models import OutboxMessage
from portal.notifications import services, unsubscribe
from portal.notifications.digest import digest_for, people_waiting
from portal.notifications.models import DIGEST, EMAIL, IN_APP, OFF, Notification
from portal.profiles.services import create_person
from tests.test_companies_support import make_user


@pytest.fixture
def people(session):
    _, ann = make_user(session, name="Ann Actor")
    ben_user, ben = make_user(session, name="Ben Reader")
    _, cat = make_user(session, name="Cat Quiet")
    return {"ann": ann, "ben": ben, "ben_user": ben_user, "cat": cat}


def _mail_to(session, address):
    return list(session.scalars(OutboxMessage.__table__.select().with_only_columns(OutboxMessage.id)
                                .where(OutboxMessage.to_address == address)))


def _outbox(session, address) -> list[OutboxMessage]:
    return [session.get(OutboxMessage, i) for i in _mail_to(session, address)]


def test_notify_skips_the_actor_and_duplicates(session, people):
    made = services.notify(session, person_ids=[people["ann"].id, people["ben"].id, people["ben"].id],
                           kind="mention", title="Ann mentioned you", url="/forums/p/1",
                           actor_person_id=people["ann"].id)
    assert [n.person_id for n in made] == [people["ben"].id]
    assert services.unread_count(session, people["ann"].id) == 0
    assert services.unread_count(session, people["ben"].id) == 1
    events = [(name, p) for name, p in session.info["pending_events"] if name == "notification.created"]
    assert events == [("notification.created", {"notification_id": made[0].id, "person_id": people["ben"].id,
                                                "kind": "mention"})]


def test_suspended_people_and_profiles_without_account_get_nothing(session, people):
    session.get(User, people["ben_user"].id).suspended_at = utcnow()
    unjoined = create_person(session, "Una Listed", email="una@example.org")
    session.flush()
    made = services.notify(session, person_ids=[people["ben"].id, unjoined.id], kind="reply",
                           title="New reply", url="/forums/p/1")
    assert made == []


def test_mention_mails_right_away_with_one_click_unsubscribe(session, people):
    services.notify(session, person_ids=[people["ben"].id], kind="mention", title="Ann mentioned you in “Pricing”",
                    url="/forums/p/7", actor_person_id=people["ann"].id)
    [mail] = _outbox(session, people["ben"].email)
    assert mail.subject == "Ann mentioned you in “Pricing”"
    assert "http://127.0.0.1:5000/forums/p/7" in mail.body_text or "/forums/p/7" in mail.body_text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail.headers["List-Unsubscribe"].strip("<>")
    assert url in mail.body_text
    token = url.rsplit("/", 1)[1]
    assert unsubscribe.read_token("test-secret", token) == (people["ben"].id, "mention")


def test_a_busy_conversation_mails_once_until_read(session, people):
    ben = people["ben"]
    for n in range(3):
        services.notify(session, person_ids=[ben.id], kind="message", title=f"Message {n} from Ann",
                        url="/messages/7", actor_person_id=people["ann"].id)
    assert len(_mail_to(session, ben.email)) == 1 and services.unread_count(session, ben.id) == 3
    services.notify(session, person_ids=[ben.id], kind="message", title="Cat wrote", url="/messages/8")
    assert len(_mail_to(session, ben.email)) == 2  # another conversation mails
    services.mark_read(session, ben, "all")
    services.notify(session, person_ids=[ben.id], kind="message", title="Message 3 from Ann", url="/messages/7")
    assert len(_mail_to(session, ben.email)) == 3  # read since: the next one mails again


def test_preferences_decide_delivery(session, people):
    ben = people["ben"]
    assert services.preferences(session, ben)["mention"] == EMAIL
    assert services.preferences(session, ben)["reply"] == DIGEST
    services.set_preferences(session, ben, {"mention": IN_APP, "reply": OFF})
    made = services.notify(session, person_ids=[ben.id], kind="mention", title="m", url="/x")
    assert made[0].delivery == IN_APP and _mail_to(session, ben.email) == []
    assert services.notify(session, person_ids=[ben.id], kind="reply", title="r", url="/x") == []
    assert services.unread_count(session, ben.id) == 1


def test_bad_preferences_are_refused_whole(session, people):
    ben = people["ben"]
    with pytest.raises(DomainError):
        services.set_preferences(session, ben, {"mention": IN_APP, "reply": "sometimes"})
    with pytest.raises(DomainError):
        services.set_preferences(session, ben, {"introduction": EMAIL})  # introductions mail themselves
    assert services.preferences(session, ben)["mention"] == EMAIL


def test_links_must_stay_on_the_portal(session, people):
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""):
        with pytest.raises(DomainError):
            services.notify(session, person_ids=[people["ben"].id], kind="mention", title="t", url=url)


def test_mark_read_one_all_and_not_someone_elses(session, people):
    ben, cat = people["ben"], people["cat"]
    first, = services.notify(session, person_ids=[ben.id], kind="reply", title="one", url="/a")
    services.notify(session, person_ids=[ben.id], kind="reply", title="two", url="/b")
    catch, = services.notify(session, person_ids=[cat.id], kind="reply", title="cat's", url="/c")
    session.info["pending_events"].clear()
    assert services.mark_read(session, ben, [first.id, catch.id]) == 1
    assert services.unread_count(session, ben.id) == 1 and services.unread_count(session, cat.id) == 1
    assert ("notification.read", {"person_id": ben.id}) in session.info["pending_events"]
    assert services.mark_read(session, ben, "all") == 1
    session.info["pending_events"].clear()
    assert services.mark_read(session, ben, "all") == 0
    assert session.info["pending_events"] == []  # nothing dropped, no event
    with pytest.raises(NotFound):
        services.open_notification(session, ben, catch.id)
    assert services.open_notification(session, cat, catch.id) == "/c"
    assert services.unread_count(session, cat.id) == 0


def test_unread_counts_of_many_people_in_one_go(session, people):
    services.notify(session, person_ids=[people["ben"].id, people["cat"].id], kind="reply", title="r", url="/t")
    services.notify(session, person_ids=[people["ben"].id], kind="reply", title="r2", url="/t")
    assert services.unread_counts(session, [people["ben"].id, people["cat"].id, people["ann"].id]) == {
        people["ben"].id: 2, people["cat"].id: 1, people["ann"].id: 0}


def test_page_is_newest_first_with_actor(session, people):
    for n in range(3):
        services.notify(session, person_ids=[people["ben"].id], kind="reply", title=f"reply {n}", url="/t",
                        actor_person_id=people["ann"].id)
    page = services.notifications_page(session, people["ben"], 1, per_page=2)
    assert [i.title for i in page.items] == ["reply 2", "reply 1"] and page.total == 3 and page.has_next
    assert page.items[0].actor_name == "Ann Actor"


def test_digest_collects_once_and_is_idempotent(session, people):
    ben = people["ben"]
    for n in range(3):
        services.notify(session, person_ids=[ben.id], kind="reply", title=f"reply {n}", url=f"/forums/p/{n}")
    read_one = session.scalars(Notification.__table__.select().with_only_columns(Notification.id)
                               .where(Notification.person_id == ben.id).order_by(Notification.id)).first()
    services.mark_read(session, ben, [read_one])
    assert ben.id in people_waiting(session)
    result = digest_for(session, ben.id)
    assert (result.mailed, result.skipped) == (2, 1)
    [mail] = _outbox(session, ben.email)
    assert "reply 1" in mail.body_text and "reply 2" in mail.body_text and "reply 0" not in mail.body_text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.read_token("test-secret", mail.headers["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]) \
        == (ben.id, "*")
    # A second run finds nothing: no second mail.
    assert ben.id not in people_waiting(session)
    assert digest_for(session, ben.id).mailed == 0
    assert len(_mail_to(session, ben.email)) == 1


def test_digest_claim_lost_to_a_concurrent_run_mails_nothing(session, people, monkeypatch):
    ben = people["ben"]
    services.notify(session, person_ids=[ben.id], kind="reply", title="r", url="/t")
    from portal.notifications import digest

    real_waiting = digest.waiting_items

    def another_run_claims_meanwhile(s, person_id):
        items = real_waiting(s, person_id)
        s.execute(Notification.__table__.update().where(Notification.person_id == person_id)
                  .values(mailed_at=utcnow()))
        return items

    monkeypatch.setattr(digest, "waiting_items", another_run_claims_meanwhile)
    assert digest.digest_for(session, ben.id) is None
    assert _mail_to(session, ben.email) == []


def test_digest_after_a_crash_midway_mails_once(session, people):
    ben = people["ben"]
    services.notify(session, person_ids=[ben.id], kind="reply", title="r", url="/t")
    session.commit()
    assert digest_for(session, ben.id).mailed == 1
    session.rollback()  # the run died before its commit: neither the claim nor the mail stayed
    assert _mail_to(session, ben.email) == [] and people_waiting(session) == [ben.id]
    assert digest_for(session, ben.id).mailed == 1
    session.commit()
    assert digest_for(session, ben.id).mailed == 0
    assert len(_mail_to(session, ben.email)) == 1


def test_digest_leaves_out_kinds_switched_off_since(session, people):
    ben = people["ben"]
    services.notify(session, person_ids=[ben.id], kind="document_version", title="Price list v3", url="/d/1")
    services.stop_mail(session, ben.id, ["document_version"])
    result = digest_for(session, ben.id)
    assert (result.mailed, result.skipped) == (0, 1) and _mail_to(session, ben.email) == []


def test_unsubscribe_token_tampering_is_a_clear_error(session, people):
    token = unsubscribe.make_token("test-secret", people["ben"].id, "mention")
    assert unsubscribe.read_token("test-secret", token) == (people["ben"].id, "mention")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token + "x", "", "garbage",
                unsubscribe.make_token("other-secret", people["ben"].id, "mention")):
        with pytest.raises(DomainError, match="not valid"):
            unsubscribe.read_token("test-secret", bad)


def test_mail_headers_survive_into_the_eml(session, people, outbox_dir):
    services.notify(session, person_ids=[people["ben"].id], kind="message", title="New message from Ann",
                    url="/messages/1")
    session.commit()  # delivered right after commit, to the instance outbox folder
    [mail] = _outbox(session, people["ben"].email)
    session.refresh(mail)
    assert mail.sent_at is not None
    parsed = BytesParser(policy=policy.default).parsebytes((outbox_dir / mail.file_name).read_bytes())
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"].startswith("<http")
    assert "/notifications/unsubscribe/" in parsed["List-Unsubscribe"]
    assert parsed["Subject"] == "New message from Ann"
