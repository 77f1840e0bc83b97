"""An index written by an older version of the Whoosh backend (other fields, or the same field
names with other types) is rebuilt instead of being read or written with today's schema."""

from __future__ import annotations

import shutil

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import STORED, TEXT

from portal.search.backend import SearchUnavailable
from portal.search.whoosh_backend import _schema
from tests.test_search import WHOOSH_ONLY, backend, find, titles, world  # noqa: F401 - fixtures and helpers


def _older_schema(layout: str):
    schema = _schema()
    if layout == "separate title, tags and body":
        # Before the combined `text` field: three indexed fields, matched one by one.
        schema.remove("text")
        schema.remove("title")
        schema.remove("body")
        schema.add("title", TEXT(stored=True, field_boost=3.0))
        schema.add("tags", TEXT(stored=True, field_boost=2.0))
        schema.add("body", TEXT(stored=True))
    else:  # the same field names, one of them of another type
        schema.remove("text")
        schema.add("text", STORED)
    return schema


# The PostgreSQL backend's table comes with the database migrations: only Whoosh keeps a schema of its own.
@WHOOSH_ONLY
@pytest.mark.parametrize("layout", ["separate title, tags and body", "same names, other type"])
def test_index_of_an_older_schema_is_rebuilt(app, world, client, backend, layout):  # noqa: F811
    shutil.rmtree(backend.directory)
    backend.directory.mkdir()
    older = whoosh_index.create_in(str(backend.directory), _older_schema(layout))
    writer = older.writer()
    writer.add_document(doc_id="thread:1", kind="thread", title="Old popcorn index", url="/old")
    writer.commit()
    with pytest.raises(SearchUnavailable, match="outdated"):
        backend._open()

    page = client.get("/search?q=popcorn")
    assert page.status_code == 200  # rebuilt (synchronously in tests) or "being rebuilt"
    found = titles(find(app, "popcorn"))
    assert "Roasting at home with a popcorn popper" in found and "Old popcorn index" not in found
    assert type(backend._open().schema["text"]) is type(_schema()["text"])  # today's field type
