"""Document pages: a company's list, a document with its versions, new document / version / edit,
and downloads (always as attachments, never rendered by the browser)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from portal.companies.lookup import company_by_id
from portal.companies.services import company_by_slug
from portal.db import db
from portal.documents import access, services
from portal.documents.forms import DocumentForm, NewDocumentForm, VersionForm
from portal.documents.storage import ReceivedUpload, format_size, store_from_config
from portal.errors import DomainError, NotFound
from portal.extensions import talisman
from portal.feeds.services import is_following
from portal.profiles.services import persons_by_ids
from portal.web import current_person, show_form_error

log = logging.getLogger(__name__)
bp = Blueprint("documents", __name__)
UPLOAD_ENDPOINTS = {"documents.new", "documents.new_version"}
FORM_OVERHEAD_BYTES = 256 * 1024  # the other fields and multipart framing around the file
# A download is never a page: no scripts, no plugins, nothing it could load (in case a browser
# ignores the attachment disposition).
DOWNLOAD_CSP = {"default-src": "'none'", "sandbox": ""}


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict | None) -> None:
    """Allow a document-sized body on the upload pages only (everywhere else the app-wide
    MAX_CONTENT_LENGTH stays small). URL value preprocessors run before every before_request
    function, and so before CSRF protection reads the form."""
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["DOCUMENT_MAX_BYTES"] + FORM_OVERHEAD_BYTES


@bp.errorhandler(413)
def _too_large(_error):
    limit = format_size(current_app.config["DOCUMENT_MAX_BYTES"])
    message = (f"The file is too large: documents can be at most {limit}. Please choose a smaller file, "
               "or publish a link to it instead." if request.endpoint in UPLOAD_ENDPOINTS
               else "The form sent too much data. Please shorten it and try again.")
    return render_template("errors/error.html", code=413, title="Upload too large", message=message), 413


@bp.app_template_global()
def company_document_rows(company_id: int) -> list[services.DocumentRow]:
    """The company's documents the current visitor may see (templates/documents/_company_section.html)."""
    return services.list_company_documents(db.session, current_person(), company_id)


@bp.app_template_global()
def can_publish_documents(company_id: int) -> bool:
    return access.can_publish(current_person(), company_id)


@bp.app_template_filter("file_size")
def _file_size(size: int | None) -> str:
    return format_size(size)


def _company_or_404(slug: str):
    company = company_by_slug(db.session, slug)
    if company is None:
        abort(404)
    return company


def _document_or_404(document_id: int):
    try:
        return services.document_for(db.session, current_person(), document_id)
    except NotFound:
        abort(404)


def _require_publisher(company_id: int) -> None:
    if not access.can_publish(current_person(), company_id):
        abort(403, "Only the company's staff can publish its documents.")


def _store():
    return store_from_config(current_app.config)


def _publish_from_form(form, document_or_fields, company_id: int):
    """Receive the upload (if any), run the services and commit; a DomainError goes onto the form.
    Returns the document on success, None otherwise. The temporary file never outlives the request."""
    received: ReceivedUpload | None = None
    upload = request.files.get(form.file.name)
    try:
        if upload is not None and upload.filename:
            received = _store().receive(upload.filename, upload.stream)
        if isinstance(document_or_fields, dict):
            document = services.create_document(db.session, company_id, actor_person=current_person(),
                                                **document_or_fields)
        else:
            document = document_or_fields
        services.publish_version(db.session, document, actor_person=current_person(), upload=received,
                                 link=form.link.data, note=form.note.data or "")
        db.commit()
    except DomainError as error:
        db.session.rollback()
        show_form_error(form, error)
        return None
    finally:
        if received is not None:
            received.discard()
    return document


@bp.get("/companies/<slug>/documents")
@login_required
def company_documents(slug: str):
    company = _company_or_404(slug)
    rows = services.list_company_documents(db.session, current_person(), company.id)
    return render_template("documents/list.html", company=company, rows=rows,
                           can_publish=access.can_publish(current_person(), company.id))


@bp.route("/companies/<slug>/documents/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    company = _company_or_404(slug)
    _require_publisher(company.id)
    form = NewDocumentForm()
    if form.validate_on_submit():
        fields = {"title": form.title.data or "", "description": form.description.data or "",
                  "visibility": form.visibility.data or ""}
        document = _publish_from_form(form, fields, company.id)
        if document is not None:
            flash(f"{document.title} is published.", "success")
            return redirect(url_for("documents.show", document_id=document.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("documents/new.html", form=form, company=company, store=_store()), status


@bp.get("/documents/<int:document_id>")
@login_required
def show(document_id: int):
    document = _document_or_404(document_id)
    person = current_person()
    company = company_by_id(db.session, document.company_id)
    versions = services.versions_of(db.session, document)
    return render_template(
        "documents/show.html", document=document, company=company, versions=versions,
        authors=persons_by_ids(db.session, {v.created_by_person_id for v in versions if v.created_by_person_id}),
        can_publish=access.can_publish(person, document.company_id),
        following=person is not None and is_following(db.session, person.id, "document", document.id))


@bp.route("/documents/<int:document_id>/versions/new", methods=["GET", "POST"])
@login_required
def new_version(document_id: int):
    document = _document_or_404(document_id)
    _require_publisher(document.company_id)
    form = VersionForm()
    if form.validate_on_submit() and _publish_from_form(form, document, document.company_id) is not None:
        flash(f"Version {document.version_count} of {document.title} is published.", "success")
        return redirect(url_for("documents.show", document_id=document.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("documents/version_form.html", form=form, document=document, store=_store()), status


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit(document_id: int):
    document = _document_or_404(document_id)
    _require_publisher(document.company_id)
    form = DocumentForm(obj=None if request.method == "POST" else document)
    if form.validate_on_submit():
        try:
            services.update_document(db.session, document, title=form.title.data or "",
                                     description=form.description.data or "",
                                     visibility=form.visibility.data or "", actor_person=current_person())
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            flash("The document is saved.", "success")
            return redirect(url_for("documents.show", document_id=document.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("documents/edit.html", form=form, document=document), status


@bp.get("/documents/<int:document_id>/versions/<int:number>/file")
@login_required
@talisman(content_security_policy=DOWNLOAD_CSP)
def download(document_id: int, number: int):
    document = _document_or_404(document_id)
    try:
        version = services.version_of(db.session, document, number)
    except NotFound:
        abort(404)
    if version.is_link:
        abort(404)
    path = _store().existing_path(version.file_sha256)
    if path is None:
        log.error("document %s version %s: stored file %s is missing", document.id, number, version.file_sha256)
        abort(404)
    response = send_file(path, mimetype=version.content_type, as_attachment=True,
                         download_name=version.file_name, conditional=True, etag=version.file_sha256,
                         max_age=0)
    response.headers["Content-Type"] = version.content_type  # as stored (send_file would add a second charset)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Revalidate every time: who may download can change (a partnership ends), and shared caches keep nothing.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response
