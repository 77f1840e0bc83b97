"""A damaged Whoosh index is rebuilt in a background thread while the site keeps serving.

The main suite rebuilds synchronously (its sessions share one connection, which a second
thread may not use); this test runs an app of its own on its own SQLite file, as production
does, so the real background thread is exercised.
"""

from __future__ import annotations

from pathlib import Path

from portal import create_app
from portal.db import db
from portal.forums import services as forums
from portal.migrate import upgrade
from portal.profiles.services import create_person
from portal.search import services as search


def test_background_rebuild_keeps_the_site_serving(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        author = create_person(db.session, "Rita Roaster")
        category = forums.create_category(db.session, "General")
        forums.create_thread(db.session, category, author.id, "Fluid bed roasters compared",
                             "Hot air keeps the beans moving.")
        db.commit()  # the index is missing: this commit's events start the first rebuild
        search.wait_for_rebuild(db.session)
    client = app.test_client()
    assert "Fluid bed roasters compared" in client.get("/search?q=roaster").get_data(as_text=True)

    index = Path(app.instance_path) / "search-index"
    for path in index.iterdir():
        path.write_bytes(b"\x00 not an index")
    page = client.get("/search?q=roaster")
    assert page.status_code == 200
    assert "The search index is being rebuilt" in page.get_data(as_text=True)
    assert client.get("/").status_code == 200  # everything else works meanwhile
    with app.app_context():
        search.wait_for_rebuild(db.session)
    assert "Fluid bed roasters compared" in client.get("/search?q=roaster").get_data(as_text=True)
    app.extensions["portal_db"].engine.dispose()
