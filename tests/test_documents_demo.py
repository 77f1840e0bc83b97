"""The demo's documents: the printed members' and other admins' companies get documents with dated
versions (files really stored, links) at each visibility level, through the documents services."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from portal.demo.documents import build_documents
from portal.demo.generator import DemoAccount
from portal.documents import services
from portal.documents.storage import DocumentStore
from tests.test_documents_support import document_world

TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def test_demo_companies_have_documents_with_dated_versions(session, tmp_path):
    world = document_world(session)
    # What build_documents reads of the demo's plan and result (the full generator takes long).
    plan = SimpleNamespace(company_admins=[world["bob"].external_id])
    result = SimpleNamespace(members=[DemoAccount(world["dan"].email, "", world["dan"].name, "member")])
    store = DocumentStore(tmp_path / "documents", max_bytes=1024 * 1024)
    counts = build_documents(session, plan, result, store, now=TODAY, seed=3)
    session.commit()
    assert counts["documents"] == {"members": 4, "partners": 2, "staff": 2}
    assert counts["document versions"]["file"] >= 6 and counts["document versions"]["link"] == 6

    rows = services.list_company_documents(session, world["dan"], world["alpha"].id)
    assert {r.document.visibility for r in rows} == {"members", "partners", "staff"}
    for row in rows:
        versions = services.versions_of(session, row.document)
        assert [v.number for v in versions] == list(range(len(versions), 0, -1))
        assert all(v.created_at <= TODAY for v in versions) and row.latest.number == len(versions)
        assert row.document.created_at == versions[-1].created_at
        for version in versions:
            assert version.is_link or store.existing_path(version.file_sha256) is not None
    # Beta is Alpha's partner: Dan sees Beta's price list, not its staff-only calculator.
    partner_view = services.list_company_documents(session, world["dan"], world["beta"].id)
    assert {r.document.title for r in partner_view} == {"Partner price list", "Partner programme guide",
                                                        "Implementation checklist"}
