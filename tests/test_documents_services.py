"""Document services: versions, upload checks, links, visibility, who may publish, announcements."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from portal.auth.provider.clients import disable_client, register_client
from portal.documents import services
from portal.documents.models import DocumentVersion
from portal.documents.storage import DocumentStore
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.feeds import services as feeds
from portal.notifications.models import Notification
from portal.partnerships import services as partnerships
from portal.profiles.visibility import Viewer
from tests.test_documents_support import CSV, PDF, PNG, document_world, office_file, receive


@pytest.fixture
def store(tmp_path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents", max_bytes=64 * 1024)


@pytest.fixture
def world(session):
    return document_world(session)


def _document(session, world, visibility="members", title="Price list"):
    return services.create_document(session, world["alpha"].id, title=title, visibility=visibility,
                                    actor_person=world["alice"])


def _viewer(person) -> Viewer:
    return Viewer(person_id=person.id, is_member=True)


# --- versions and uploads -----------------------------------------------------------------------

def test_versions_are_numbered_one_to_n_and_the_list_shows_the_latest(session, world, store):
    document = _document(session, world)
    first = services.publish_version(session, document, actor_person=world["alice"],
                                     upload=receive(store, "prices.pdf", PDF), note="First issue")
    second = services.publish_version(session, document, actor_person=world["dan"],
                                      link="https://example.com/prices-v2", note="Moved online")
    third = services.publish_version(session, document, actor_person=world["alice"],
                                     upload=receive(store, "prices.csv", CSV))
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert [v.number for v in services.versions_of(session, document)] == [3, 2, 1]
    assert (first.content_type, first.file_name, first.size_bytes) == ("application/pdf", "prices.pdf", len(PDF))
    assert store.existing_path(first.file_sha256).read_bytes() == PDF
    assert second.is_link and second.file_sha256 is None
    assert third.content_type.startswith("text/csv")
    other = _document(session, world, title="Brochure")
    services.publish_version(session, other, actor_person=world["alice"], link="http://example.com/b")
    rows = services.list_company_documents(session, world["dan"], world["alpha"].id)
    assert [(r.document.title, r.latest.number) for r in rows] == [("Brochure", 1), ("Price list", 3)]
    assert list((store.folder / "tmp").iterdir()) == []  # every upload moved to its content address


@pytest.mark.parametrize(("name", "data", "message"), [
    ("prices.pdf", PNG, "not a PDF"),
    ("logo.png", PDF, "not a PNG"),
    ("report.docx", office_file("xl/workbook.xml"), "not a Word document"),
    ("report.docx", b"PK\x03\x04" + b"\x00" * 40, "not a Word document"),
    ("sheet.xlsx", office_file(first=tuple(f"media/{n}.xml" for n in range(6)), content_types=False),
     "not an Excel workbook"),
    ("notes.txt", b"<!DOCTYPE html><script>alert(1)</script>", "plain UTF-8 text"),
    ("data.csv", b"\xff\xfe\x00a\x00b", "plain UTF-8 text"),
    ("page.html", b"<p>hi</p>", "cannot be uploaded"),
    ("drawing.svg", b"<svg/>", "cannot be uploaded"),
    ("tool.exe", b"MZ\x90\x00", "cannot be uploaded"),
    ("noextension", PDF, "choose a file"),
    ("empty.pdf", b"", "empty"),
])
def test_uploads_are_checked_by_content_and_name(store, name, data, message):
    with pytest.raises(DomainError, match=message):
        receive(store, name, data)
    assert not (store.folder / "tmp").exists() or list((store.folder / "tmp").iterdir()) == []


def test_office_files_and_size_limit(store):
    for name, part in (("a.docx", "word/document.xml"), ("b.xlsx", "xl/workbook.xml"),
                       ("c.pptx", "ppt/presentation.xml"), ("d.zip", "word/document.xml")):
        received = receive(store, name, office_file(part))
        assert received.file_name == name
        received.discard()
    # Entries in another order than Word's (some generators): found from the zip's directory.
    late = office_file("xl/workbook.xml", first=tuple(f"docProps/{n}.xml" for n in range(6)))
    received = receive(store, "late.xlsx", late)
    assert received.content_type.endswith("spreadsheetml.sheet")
    received.discard()
    with pytest.raises(DomainError, match="too large: at most 64 KB"):
        receive(store, "big.txt", b"a" * (64 * 1024 + 1))
    assert list((store.folder / "tmp").iterdir()) == []
    assert receive(store, "../../etc/pass\x00wd .PDF", PDF).file_name == "passwd.pdf"  # a name, not a path


def test_a_failed_transaction_leaves_no_visible_file_and_prune_removes_it(session, world, store):
    document = _document(session, world)
    session.commit()
    version = services.publish_version(session, document, actor_person=world["alice"],
                                       upload=receive(store, "orphan.pdf", PDF))
    digest = version.file_sha256
    session.rollback()
    assert session.scalar(select(DocumentVersion).where(DocumentVersion.file_sha256 == digest)) is None
    assert digest not in services.referenced_files(session)
    old = store.existing_path(digest)
    os.utime(old, (0, 0))
    assert store.prune(services.referenced_files(session)) == 1
    assert store.existing_path(digest) is None


def test_a_version_is_a_file_or_a_link_not_both_nor_neither(session, world, store):
    document = _document(session, world)
    with pytest.raises(DomainError, match="file or enter a link"):
        services.publish_version(session, document, actor_person=world["alice"])
    with pytest.raises(DomainError, match="file or enter a link"):
        services.publish_version(session, document, actor_person=world["alice"],
                                 upload=receive(store, "a.pdf", PDF), link="https://example.com")


@pytest.mark.parametrize("link", [
    "javascript:alert(1)", "ftp://example.com/file", "data:text/html,hi", "https://", "example.com/x",
    "https://user:pw@example.com/", "https://exa mple.com/", "https://example.com:99999/", "http://[::1/",
    "https://example.com/" + "a" * 2000,
])
def test_links_must_be_plain_http_or_https(link):
    with pytest.raises(DomainError):
        services.validate_link(link)


def test_good_links_are_kept_as_typed():
    assert services.validate_link("  https://example.com/prices?v=2#top ") == "https://example.com/prices?v=2#top"
    assert services.validate_link("HTTP://Example.com") == "HTTP://Example.com"


def test_title_and_visibility_are_checked(session, world):
    with pytest.raises(DomainError, match="title"):
        services.create_document(session, world["alpha"].id, title="  ", actor_person=world["alice"])
    with pytest.raises(DomainError, match="who may see"):
        services.create_document(session, world["alpha"].id, title="X", visibility="public",
                                 actor_person=world["alice"])


# --- visibility and permissions -----------------------------------------------------------------

def test_visibility_members_partners_staff(session, world):
    docs = {level: _document(session, world, level, title=level) for level in ("members", "partners", "staff")}
    expected = {
        "alice": {"members", "partners", "staff"}, "dan": {"members", "partners", "staff"},
        "bob": {"members", "partners"}, "gina": {"members"}, None: set(),
    }
    for who, levels in expected.items():
        person = world[who] if who else None
        listed = {r.document.title for r in services.list_company_documents(session, person, world["alpha"].id)}
        assert listed == levels, who
        for level, document in docs.items():
            if level in levels:
                assert services.document_for(session, person, document.id) is document
            else:
                with pytest.raises(NotFound):
                    services.document_for(session, person, document.id)
    partnerships.end(session, world["bob"], world["partnership"].id)
    with pytest.raises(NotFound):
        services.document_for(session, world["bob"], docs["partners"].id)
    with pytest.raises(NotFound):
        services.document_for_viewer(session, docs["staff"].id, _viewer(world["gina"]))
    assert services.document_for_viewer(session, docs["staff"].id, _viewer(world["dan"])) is docs["staff"]


def test_only_staff_and_the_companys_own_systems_publish(session, world, store):
    document = _document(session, world)
    for outsider in (world["bob"], world["gina"], None):
        with pytest.raises(PermissionDenied):
            services.publish_version(session, document, actor_person=outsider, link="https://example.com")
        with pytest.raises(PermissionDenied):
            services.create_document(session, world["alpha"].id, title="X", actor_person=outsider)
    own, _ = register_client(session, name="Alpha ERP", owner_company_id=world["alpha"].id, redirect_uris=[],
                             grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_basic",
                             scopes=[])
    foreign, _ = register_client(session, name="Gamma ERP", owner_company_id=world["gamma"].id, redirect_uris=[],
                                 grant_types=["client_credentials"],
                                 token_endpoint_auth_method="client_secret_basic", scopes=[])
    version = services.publish_version(session, document, actor_client_id=own.client_id,
                                       upload=receive(store, "from-erp.pdf", PDF), note="Nightly export")
    assert (version.number, version.created_by_client_id, version.created_by_person_id) == (1, own.client_id, None)
    with pytest.raises(PermissionDenied):
        services.publish_version(session, document, actor_client_id=foreign.client_id, link="https://example.com")
    disable_client(session, own)
    with pytest.raises(PermissionDenied):
        services.publish_version(session, document, actor_client_id=own.client_id, link="https://example.com")


# --- announcements ------------------------------------------------------------------------------

def _notified(session, person) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.person_id == person.id,
                                                           Notification.kind == "document_version")))


def test_followers_who_may_see_it_are_notified_and_the_event_is_queued(session, world):
    document = _document(session, world, "partners")
    for person in (world["dan"], world["bob"], world["gina"], world["alice"]):
        feeds.follow(session, person, "document", document.id)  # gina followed, then lost sight (no partner)
    services.publish_version(session, document, actor_person=world["alice"], link="https://example.com/v1")
    assert [n.title for n in _notified(session, world["dan"])] == ["New version of Price list: version 1"]
    assert _notified(session, world["dan"])[0].url == f"/documents/{document.id}"
    assert len(_notified(session, world["bob"])) == 1
    assert _notified(session, world["gina"]) == [] and _notified(session, world["alice"]) == []  # actor skipped
    events = [(name, payload) for name, payload in session.info["pending_events"]
              if name == "document.version.published"]
    assert events[-1][1] == {"document_id": document.id, "version_id": events[-1][1]["version_id"],
                             "company_id": world["alpha"].id, "number": 1}


def test_feed_items_of_restricted_documents_reach_only_those_who_may_see_them(session, world):
    for person in (world["dan"], world["bob"], world["gina"]):
        feeds.follow(session, person, "company", world["alpha"].id)
    staff_doc = _document(session, world, "staff", title="Internal margins")
    public_doc = _document(session, world, "members", title="Brochure")
    services.publish_version(session, staff_doc, actor_person=world["alice"], link="https://example.com/m")
    services.publish_version(session, public_doc, actor_person=world["alice"], link="https://example.com/b")
    session.commit()

    def titles(person):
        return [a.title for a in feeds.personal_feed(session, _viewer(person)).items if a.verb == "document.version"]

    assert titles(world["dan"]) == ["Alpha Docs published Brochure (version 1)",
                                    "Alpha Docs published Internal margins (version 1)"]
    assert titles(world["gina"]) == ["Alpha Docs published Brochure (version 1)"]
    assert titles(world["bob"]) == ["Alpha Docs published Brochure (version 1)"]
    # Narrowing a document hides what its earlier versions put in feeds.
    services.update_document(session, public_doc, title="Brochure", description="", visibility="staff",
                             actor_person=world["alice"])
    session.commit()
    assert titles(world["gina"]) == []
    assert len(titles(world["dan"])) == 1


def test_prune_command_keeps_referenced_files(session, world, app, runner, monkeypatch, tmp_path):
    from portal.documents.storage import store_from_config

    monkeypatch.setitem(app.config, "DOCUMENT_STORAGE_PATH", str(tmp_path / "documents"))  # not other tests' files
    app_store = store_from_config(app.config)
    document = _document(session, world)
    kept = services.publish_version(session, document, actor_person=world["alice"],
                                    upload=receive(app_store, "kept.pdf", PDF))
    session.commit()
    orphan = receive(app_store, "orphan.csv", CSV)
    orphan.place()
    for digest in (kept.file_sha256, orphan.sha256):
        os.utime(app_store.existing_path(digest), (0, 0))
    result = runner.invoke(args=["documents", "prune", "--older-than", "0"])
    assert result.exit_code == 0 and "Removed 1 unreferenced file(s)." in result.output
    assert app_store.existing_path(kept.file_sha256) is not None and app_store.existing_path(orphan.sha256) is None
    assert runner.invoke(args=["documents", "prune", "--older-than", "-1"]).exit_code != 0


def test_allowed_types_come_from_config_and_a_bad_one_stops_start_up(tmp_path):
    from portal.documents.storage import parse_allowed_types

    assert parse_allowed_types(" PDF, .csv ,pdf") == ("pdf", "csv")
    assert "docx" in parse_allowed_types("")
    with pytest.raises(SystemExit, match="PORTAL_DOCUMENT_TYPES: unknown file type.*exe"):
        parse_allowed_types("pdf,exe")
    narrow = DocumentStore(tmp_path, max_bytes=1024, allowed=parse_allowed_types("pdf"))
    with pytest.raises(DomainError, match="allowed: pdf"):
        receive(narrow, "prices.csv", CSV)
