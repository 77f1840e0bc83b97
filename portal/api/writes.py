"""Write operations of /api/v1: an activity into the company feed, a new document version."""

from __future__ import annotations

from flask import current_app, request, url_for

from portal.api import writing
from portal.api.auth import rate_limit_key, require, write_limit
from portal.api.blueprint import bp
from portal.api.problems import ApiProblem
from portal.api.schemas import (
    ActivityIn,
    ActivityOut,
    DocumentVersionIn,
    DocumentVersionOut,
    DocumentVersionUpload,
)
from portal.api.services import activity_out
from portal.api.spec import operation, parse_json
from portal.api.views import answer, links
from portal.db import db
from portal.extensions import limiter

MULTIPART = "multipart/form-data"
FORM_OVERHEAD_BYTES = 64 * 1024  # the note and the multipart framing around the file


@operation(bp, "/activities", method="POST", status=201, tag="write", scope="feeds.write",
           summary="Post an activity into the company feed of the token's company (e.g. \"price list v3 published\")",
           response=ActivityOut, bodies={"application/json": ActivityIn})
@limiter.limit(write_limit, key_func=rate_limit_key)
def post_activity():
    caller = require("feeds.write")
    body = parse_json(ActivityIn, current_app.config["API_MAX_JSON_BYTES"])
    activity = writing.post_company_activity(
        db.session, company_id=caller.company_id, client_id=caller.client_id, person=caller.person,
        verb=body.verb, title=body.title, url=body.url, summary=body.summary)
    db.commit()
    from portal.companies.lookup import company_by_id

    return answer(activity_out(activity, company_by_id(db.session, activity.company_id), links()), 201)


def _version_out(version) -> DocumentVersionOut:
    from portal.auth.provider.settings import issuer

    base = issuer()
    file_url = None if version.link_url else base + url_for(
        "documents.download", document_id=version.document_id, number=version.number)
    return DocumentVersionOut(
        id=version.id, document_id=version.document_id, number=version.number,
        url=base + url_for("documents.show", document_id=version.document_id), file_url=file_url,
        link=version.link_url, file_name=version.file_name, content_type=version.content_type,
        size=version.size_bytes, note=version.note, created_at=version.created_at)


def _upload_fields():
    """The multipart body: exactly one `file` and an optional `note`, nothing else."""
    from portal.documents.storage import store_from_config

    request.max_content_length = current_app.config["DOCUMENT_MAX_BYTES"] + FORM_OVERHEAD_BYTES
    files, form = request.files, request.form
    unknown = sorted((set(files) | set(form)) - {"file", "note"})
    errors = [{"field": name, "message": "unknown field"} for name in unknown]
    if len(files.getlist("file")) != 1 or not files["file"].filename:
        errors.append({"field": "file", "message": "send exactly one file, with its file name"})
    if len(form.getlist("note")) > 1 or len(form.get("note", "")) > 500:
        errors.append({"field": "note", "message": "at most one note of at most 500 characters"})
    if "\x00" in form.get("note", ""):
        errors.append({"field": "note", "message": "contains a NUL character"})
    if errors:
        raise ApiProblem(422, "The form does not match the schema.", errors=errors)
    upload = files["file"]
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size > current_app.config["DOCUMENT_MAX_BYTES"]:
        raise ApiProblem(413, f"The file is larger than the {current_app.config['DOCUMENT_MAX_BYTES']} bytes "
                              "a document version may have.")
    return store_from_config(current_app.config).receive(upload.filename, upload.stream), form.get("note", "")


@operation(bp, "/documents/<int(max=2147483647):document_id>/versions", method="POST", status=201, tag="write",
           scope="documents.write", summary="Publish a new version of a company document: a link (JSON) or a file "
                                            "(multipart/form-data); its followers are told",
           response=DocumentVersionOut,
           bodies={"application/json": DocumentVersionIn, MULTIPART: DocumentVersionUpload})
@limiter.limit(write_limit, key_func=rate_limit_key)
def publish_document_version(document_id: int):
    caller = require("documents.write")
    document = writing.document_to_publish(db.session, document_id, company_id=caller.company_id,
                                           person=caller.person)
    media = (request.mimetype or "").lower()
    if media not in (MULTIPART, "application/json"):
        raise ApiProblem(415, "Send application/json (a link) or multipart/form-data (a file).",
                         headers={"Accept-Post": f"application/json, {MULTIPART}"})
    received = None
    try:
        if media == MULTIPART:
            received, note = _upload_fields()
            version = writing.publish(db.session, document, person=caller.person, client_id=caller.client_id,
                                      upload=received, note=note)
        else:
            body = parse_json(DocumentVersionIn, current_app.config["API_MAX_JSON_BYTES"])
            version = writing.publish(db.session, document, person=caller.person, client_id=caller.client_id,
                                      link=body.link, note=body.note)
        db.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        if received is not None:
            received.discard()
    out = _version_out(version)
    response = answer(out, 201)
    response.headers["Location"] = out.url
    return response
