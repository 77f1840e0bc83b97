"""Document pages over HTTP: publishing, uploads and their limits, downloads, who sees what."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.documents import services
from portal.documents.models import Document
from portal.notifications.models import Notification
from tests.test_companies_support import login
from tests.test_documents_support import CSV, PDF, PNG, document_world

XSS = '<script>alert("x")</script>'


@pytest.fixture
def world(session):
    return document_world(session)


def _file(data: bytes, name: str):
    return (io.BytesIO(data), name)


def _publish(client, world, *, title="Price list", visibility="members", data=PDF, name="prices.pdf", **extra):
    form = {"title": title, "description": "", "visibility": visibility, "note": "", "link": ""}
    form.update(extra)
    if data is not None:
        form["file"] = _file(data, name)
    return client.post(f"/companies/{world['alpha'].slug}/documents/new", data=form,
                        content_type="multipart/form-data")


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Document))


def test_staff_publish_a_document_then_a_new_version_and_see_the_history(client, session, world):
    login(client, world["dan_user"])
    page = client.get(f"/companies/{world['alpha'].slug}/documents/new")
    assert page.status_code == 200 and "Allowed: pdf, png, jpg" in page.get_data(as_text=True)
    response = _publish(client, world, title="Price list " + XSS, note="First issue")
    assert response.status_code == 302
    document = session.scalar(select(Document))
    assert response.headers["Location"].endswith(f"/documents/{document.id}")
    response = client.post(f"/documents/{document.id}/versions/new", content_type="multipart/form-data",
                           data={"link": "https://example.com/prices-v2", "note": "Now online " + XSS + "\nSee v2",
                                 "file": _file(b"", "")})
    assert response.status_code == 302
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page and "Download prices.pdf" in page
    assert 'href="https://example.com/prices-v2" rel="nofollow ugc noopener noreferrer"' in page
    assert "Now online &lt;script&gt;" in page and XSS not in page and "<br>See v2" in page
    assert f'by <a href="/people/{world["dan"].slug}">Dan Staff</a>' in page
    assert 'action="/follow/document/' in page or "follow-form" in page
    listing = client.get(f"/companies/{world['alpha'].slug}").get_data(as_text=True)
    assert "Documents (1)" in listing and "version 2" in listing and XSS not in listing


def test_bad_uploads_are_form_errors_and_nothing_is_created(client, session, world):
    login(client, world["alice_user"])
    for data, name, message in ((PNG, "prices.pdf", "not a PDF"), (b"<svg onload=x/>", "logo.svg",
                                                                    "cannot be uploaded"),
                                (None, "", "choose a file or enter a link")):
        response = _publish(client, world, data=data, name=name)
        assert response.status_code == 400, name
        assert message in response.get_data(as_text=True)
    response = _publish(client, world, data=None, link="javascript:alert(1)")
    assert response.status_code == 400 and "must start with http:// or https://" in response.get_data(as_text=True)
    assert _count(session) == 0


def test_too_large_uploads_get_a_friendly_413_and_smaller_overruns_a_form_error(client, session, world, app,
                                                                              monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 1024)
    login(client, world["alice_user"])
    response = _publish(client, world, data=b"a" * (400 * 1024), name="big.txt")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "documents can be at most 1 KB" in page and "publish a link" in page
    response = _publish(client, world, data=b"a" * 2048, name="big.txt")
    assert response.status_code == 400 and "too large: at most 1 KB" in response.get_data(as_text=True)
    assert _count(session) == 0
    # Other forms keep the app-wide limit (2 MB by default), not the documents' one.
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


def test_downloads_are_attachments_with_their_type_and_nosniff(client, session, world, store_folder):
    document = services.create_document(session, world["alpha"].id, title="Prices", actor_person=world["alice"])
    for data, name in ((PDF, "prices 2026.pdf"), (CSV, "prices.csv")):
        received = store_folder.receive(name, io.BytesIO(data))
        services.publish_version(session, document, actor_person=world["alice"], upload=received)
    session.commit()
    login(client, world["gina_user"])
    response = client.get(f"/documents/{document.id}/versions/1/file")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "prices 2026.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "private" in response.headers["Cache-Control"]
    response = client.get(f"/documents/{document.id}/versions/2/file")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8" and response.data == CSV
    assert response.headers["Content-Disposition"] == "attachment; filename=prices.csv"
    assert client.get(f"/documents/{document.id}/versions/3/file").status_code == 404


@pytest.fixture
def store_folder(app):
    from portal.documents.storage import store_from_config

    return store_from_config(app.config)


def test_restricted_documents_are_404_for_outsiders(client, session, world):
    docs = {}
    for level in ("partners", "staff"):
        docs[level] = services.create_document(session, world["alpha"].id, title=f"{level} sheet",
                                               visibility=level, actor_person=world["alice"])
        services.publish_version(session, docs[level], actor_person=world["alice"], link="https://example.com")
    session.commit()
    urls = lambda d: [f"/documents/{d.id}", f"/documents/{d.id}/versions/1/file",  # noqa: E731
                      f"/documents/{d.id}/versions/new", f"/documents/{d.id}/edit"]
    login(client, world["gina_user"])
    for document in docs.values():
        for url in urls(document):
            assert client.get(url).status_code == 404, url
    listing = client.get(f"/companies/{world['alpha'].slug}/documents").get_data(as_text=True)
    assert "partners sheet" not in listing and "staff sheet" not in listing and "no documents you can see" in listing
    login(client, world["bob_user"])  # a partner: sees the partners' sheet, cannot publish
    assert client.get(f"/documents/{docs['partners'].id}").status_code == 200
    assert client.get(f"/documents/{docs['staff'].id}").status_code == 404
    assert client.get(f"/documents/{docs['partners'].id}/versions/new").status_code == 403
    assert client.post(f"/documents/{docs['partners'].id}/edit", data={"title": "Mine", "visibility": "members"}
                       ).status_code == 403
    assert client.get(f"/companies/{world['alpha'].slug}/documents/new").status_code == 403
    login(client, None)
    response = client.get(f"/documents/{docs['partners'].id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(f"/companies/{world['alpha'].slug}").get_data(as_text=True)
    assert "to see the company&#39;s documents" in page or "see the company's documents" in page
    assert "partners sheet" not in page


def test_edit_narrows_who_sees_it(client, session, world):
    document = services.create_document(session, world["alpha"].id, title="Deck", actor_person=world["alice"])
    services.publish_version(session, document, actor_person=world["alice"], link="https://example.com/deck")
    session.commit()
    login(client, world["dan_user"])
    assert client.post(f"/documents/{document.id}/edit", data={"title": "", "visibility": "staff"}
                       ).status_code == 400
    response = client.post(f"/documents/{document.id}/edit", data={"title": "Deck 2026", "visibility": "staff",
                                                                   "description": "Our **pitch**"})
    assert response.status_code == 302
    assert "<strong>pitch</strong>" in client.get(f"/documents/{document.id}").get_data(as_text=True)
    login(client, world["gina_user"])
    assert client.get(f"/documents/{document.id}").status_code == 404


def test_a_follower_is_notified_of_a_new_version(client, session, world):
    document = services.create_document(session, world["alpha"].id, title="Catalogue", actor_person=world["alice"])
    services.publish_version(session, document, actor_person=world["alice"], link="https://example.com/c1")
    session.commit()
    login(client, world["gina_user"])
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Follow" in page
    assert client.post(f"/follow/document/{document.id}").status_code in (302, 303)
    login(client, world["alice_user"])
    assert client.post(f"/documents/{document.id}/versions/new", content_type="multipart/form-data",
                       data={"link": "https://example.com/c2"}).status_code == 302
    session.expire_all()
    notes = session.scalars(select(Notification).where(Notification.person_id == world["gina"].id)).all()
    assert [(n.kind, n.title, n.url) for n in notes] == [
        ("document_version", "New version of Catalogue: version 2", f"/documents/{document.id}")]


def test_a_document_larger_than_the_app_wide_limit_passes_csrf_and_is_stored(client, session, world, app,
                                                                            monkeypatch):
    """The upload pages raise the body limit before CSRF protection reads the form (a 3 MB file
    is over the 2 MB app-wide limit other forms keep)."""
    import re

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(client, world["alice_user"])
    form_page = client.get(f"/companies/{world['alpha'].slug}/documents/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page).group(1)
    big = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024)
    response = _publish(client, world, data=big, name="catalogue.pdf", csrf_token=token)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    document = session.scalar(select(Document))
    assert services.versions_of(session, document)[0].size_bytes == len(big)
    assert client.post(f"/documents/{document.id}/edit", data={"title": "x" * 3_000_000, "csrf_token": token}
                       ).status_code == 413
