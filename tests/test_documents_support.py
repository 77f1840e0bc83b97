"""Helpers for document tests (no tests of its own)."""

from __future__ import annotations

import io
import zipfile

from portal.documents.storage import DocumentStore
from tests.test_partnerships_support import company_with_admin, member_of

# The smallest files each sniffing rule accepts.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
CSV = b"name,price\nWidget,12.50\nGadget,7.25\n"


def office_file(part: str = "word/document.xml", *, first: tuple[str, ...] = (),
                content_types: bool = True) -> bytes:
    """A minimal Office Open XML package (docx by default; xl/workbook.xml or ppt/presentation.xml),
    `first`: entries written before it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in first:
            archive.writestr(name, "<x/>" * 200)
        if content_types:
            archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def receive(store: DocumentStore, name: str, data: bytes):
    return store.receive(name, io.BytesIO(data))


def document_world(session) -> dict:
    """Alpha (admin Alice, staff Dan), Beta (admin Bob) in an active partnership with Alpha, and
    Gamma (admin Gina) with no partnership. Committed to the test's savepoint."""
    from portal.partnerships import services as partnerships

    alice_user, alice, alpha = company_with_admin(session, "Alpha Docs")
    dan_user, dan = member_of(session, alpha, "Dan Staff")
    bob_user, bob, beta = company_with_admin(session, "Beta Partner")
    gina_user, gina, gamma = company_with_admin(session, "Gamma Outsider")
    proposal = partnerships.propose(session, alice, beta.id, "reseller")
    partnerships.answer(session, bob, proposal.id, True)
    session.commit()
    return {"alice_user": alice_user, "alice": alice, "alpha": alpha, "dan_user": dan_user, "dan": dan,
            "bob_user": bob_user, "bob": bob, "beta": beta, "gina_user": gina_user, "gina": gina,
            "gamma": gamma, "partnership": proposal}
