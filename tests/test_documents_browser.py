"""Documents in headless Chromium: a company's staff publish a file, a member follows it, a new
version reaches them as a notification, the download is the file; no serious a11y problems."""

from __future__ import annotations

import pytest

from portal.auth.services import register_account
from portal.companies.editing import CompanyFields, create_company_for
from portal.db import db
from portal.profiles.services import person_by_email
from tests.test_browser import AXE, _axe_violations
from tests.test_documents_support import PDF

pytestmark = pytest.mark.browser

PASSWORD = "a-long-documents-password"


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        session = db.session
        for name, email in (("Rosa Docs", "rosa@docs.example"), ("Ivo Reader", "ivo@docs.example")):
            register_account(session, name, email, PASSWORD, verified=True)
        company = create_company_for(session, person_by_email(session, "rosa@docs.example"),
                                     CompanyFields(name="Rosa Logistics"))
        session.commit()
        return {"company": company.slug}


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_publish_follow_new_version_and_download(page, chromium, live_server, people, tmp_path):
    first, second = tmp_path / "rates.pdf", tmp_path / "rates-2.pdf"
    first.write_bytes(PDF)
    second.write_bytes(PDF.replace(b"Catalog", b"Catalog /Lang (en)"))

    _log_in(page, "rosa@docs.example")
    page.goto(f"/companies/{people['company']}")
    page.get_by_role("link", name="Publish a document").click()
    page.get_by_label("Title").fill("Carrier rates")
    page.get_by_label("Who may see it").select_option("members")
    page.get_by_label("File").set_input_files(str(first))
    page.get_by_label("What changed (optional)").fill("Rates for the first quarter")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Carrier rates").is_visible()
    document_url = page.url

    reader = chromium.new_context(base_url=live_server.url).new_page()
    _log_in(reader, "ivo@docs.example")
    reader.goto(f"/companies/{people['company']}")
    reader.get_by_role("link", name="Carrier rates").click()
    reader.get_by_role("button", name="Follow").click()
    reader.wait_for_load_state()
    assert reader.get_by_role("button", name="Following").is_visible()

    page.goto(document_url)
    page.get_by_role("link", name="Publish a new version").click()
    page.get_by_label("File").set_input_files(str(second))
    page.get_by_role("button", name="Publish the version").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Version 2").is_visible()

    reader.goto("/notifications")
    reader.get_by_role("link", name="New version of Carrier rates: version 2").click()
    reader.wait_for_load_state()
    assert reader.url.endswith(document_url.split(live_server.url)[1])
    with reader.expect_download() as download_info:
        reader.get_by_role("link", name="Download rates-2.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "rates-2.pdf"
    assert open(download.path(), "rb").read() == second.read_bytes()
    if AXE.exists():
        assert _axe_violations(reader) == []
    reader.context.close()
