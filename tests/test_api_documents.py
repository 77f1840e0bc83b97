"""Publishing document versions through the API: a link or a file, followers told, others refused."""

from __future__ import annotations

import json

import pytest

from portal.documents.services import create_document, versions_of
from portal.feeds.services import follow
from portal.notifications.services import unread_count
from tests.test_api_support import bearer, client_token, company_with_admin, person_token, system_client
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_companies_support import make_user
from tests.test_documents_support import CSV, PDF

PROBLEM = "application/problem+json"


@pytest.fixture
def acme(session):
    user, person, company = company_with_admin(session)
    client, secret = system_client(session, company.id)
    document = create_document(session, company.id, title="Reseller price list", actor_person=person)
    session.commit()
    return {"user": user, "person": person, "company": company, "client": client, "secret": secret,
            "document": document}


@pytest.fixture
def system(client, acme):
    return bearer(client_token(client, acme["client"], acme["secret"]))


def versions_path(document) -> str:
    return f"/api/v1/documents/{document.id}/versions"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json()


def test_a_system_publishes_a_link_version_and_followers_are_told(client, session, acme, system):
    _user, follower = make_user(session, name="Fatima Follower")
    follow(session, follower, "document", acme["document"].id)
    session.commit()
    response = client.post(versions_path(acme["document"]), headers=system, json={
        "link": "https://erp.acme.example/prices/v3.pdf", "note": "Price list v3"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["number"] == 1 and body["link"] == "https://erp.acme.example/prices/v3.pdf"
    assert body["file_url"] is None and response.headers["Location"] == body["url"]
    [version] = versions_of(session, acme["document"])
    assert version.created_by_client_id == acme["client"].client_id
    assert unread_count(session, follower.id) == 1


def test_a_system_uploads_a_file_version(client, session, acme, system):
    response = _multipart(client, versions_path(acme["document"]), system,
                          {"file": ("prices.csv", CSV), "note": "CSV export"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["file_name"] == "prices.csv" and body["size"] == len(CSV)
    assert body["file_url"].endswith(f"/documents/{acme['document'].id}/versions/1/file")


def _multipart(client, path, headers, fields):
    import io

    data = {name: (io.BytesIO(value[1]), value[0]) if isinstance(value, tuple) else value
            for name, value in fields.items()}
    return client.post(path, headers=headers, content_type="multipart/form-data", data=data)


def test_upload_type_size_and_form_problems(client, app, session, monkeypatch, acme, system):
    path = versions_path(acme["document"])
    body = assert_problem(_multipart(client, path, system, {"file": ("prices.pdf", CSV)}), 422)  # not a PDF
    assert body["errors"][0]["field"] == "file"
    assert_problem(_multipart(client, path, system, {"file": ("prices.exe", PDF)}), 422)
    body = assert_problem(_multipart(client, path, system, {"file": ("a.csv", CSV), "colour": "blue"}), 422)
    assert [e["field"] for e in body["errors"]] == ["colour"]
    assert_problem(_multipart(client, path, system, {"note": "no file"}), 422)
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 20)
    assert_problem(_multipart(client, path, system, {"file": ("prices.csv", CSV)}), 413)
    assert versions_of(session, acme["document"]) == []


def test_bad_json_bodies_and_media_types(client, acme, system):
    path = versions_path(acme["document"])
    assert_problem(client.post(path, headers=system, data="{", content_type="application/json"), 400)
    assert_problem(client.post(path, headers=system, json={"link": "ftp://x.example/a"}), 422)
    assert_problem(client.post(path, headers=system, json={"link": "https://x.example", "extra": 1}), 422)
    assert_problem(client.post(path, headers=system, data=json.dumps({"link": "https://x.example"}),
                               content_type="text/plain"), 415)


def test_another_companys_document_is_not_found_for_a_system(client, session, acme):
    _user, _person, other_company = company_with_admin(session, "Globex", "Gina Globex")
    other, secret = system_client(session, other_company.id)
    response = client.post(versions_path(acme["document"]), headers=bearer(client_token(client, other, secret)),
                           json={"link": "https://globex.example/x"})
    assert_problem(response, 404)
    assert_problem(client.post("/api/v1/documents/2147483647/versions", headers=bearer(
        client_token(client, other, secret)), json={"link": "https://globex.example/x"}), 404)


def test_a_person_publishes_as_staff_and_an_outsider_cannot(client, session, acme):
    staff = bearer(person_token(session, acme["user"], acme["client"], scope="documents.write"))
    response = client.post(versions_path(acme["document"]), headers=staff, json={"link": "https://acme.example/v"})
    assert response.status_code == 201
    outsider_user, _outsider = make_user(session, name="Olga Outsider")
    session.commit()
    outsider = bearer(person_token(session, outsider_user, acme["client"], scope="documents.write"))
    assert_problem(client.post(versions_path(acme["document"]), headers=outsider,
                               json={"link": "https://acme.example/v"}), 403)


def test_publishing_needs_the_documents_scope(client, session, acme):
    reader, secret = system_client(session, acme["company"].id, scopes=("api.read", "feeds.write"))
    response = client.post(versions_path(acme["document"]), headers=bearer(client_token(client, reader, secret)),
                           json={"link": "https://acme.example/v"})
    assert_problem(response, 403)
    assert 'scope="documents.write"' in response.headers["WWW-Authenticate"]
