"""Company documents with versions: an uploaded file or a link per version, who may see them
(members, partners, staff), and the announcements a new version makes (feed, notifications,
the "document.version.published" event).

Publishing from elsewhere (the integration API): check the upload with
`storage.store_from_config(current_app.config).receive(file_name, stream)`, pass the result as
`upload=` to `services.publish_version`, and call its `discard()` in a `finally:`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Check the upload settings at start-up: a bad PORTAL_DOCUMENT_TYPES stops it with its name."""
    from portal.documents.storage import parse_allowed_types

    app.config["DOCUMENT_TYPES"] = parse_allowed_types(app.config.get("DOCUMENT_TYPES") or "")
