"""Ecosystem health pages for ecosystem admins: the report, its CSV export and the owner setting."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from portal.admin.owner import owner_company_id, set_owner_company
from portal.auth.permissions import ecosystem_admin_required
from portal.db import db
from portal.errors import DomainError
from portal.health import presenter
from portal.health.forms import HealthQueryForm, OwnerCompanyForm
from portal.health.services import ALL_MEMBERS, SEGMENTS, csv_rows, health_report, parse_months, parse_segment
from portal.web import commit_form_action

bp = Blueprint("health", __name__)


def _owner_form(data=None) -> OwnerCompanyForm:
    from portal.companies.graph_export import company_rows

    companies = sorted(((c.id, c.name) for c in company_rows(db.session)),
                       key=lambda item: (item[1].casefold(), item[0]))
    form = OwnerCompanyForm(data) if data is not None else OwnerCompanyForm(
        company=str(owner_company_id(db.session) or ""))
    form.set_companies(companies)
    return form


def _render(query: HealthQueryForm, owner_form: OwnerCompanyForm, status: int = 200):
    report = charts = None
    if not query.errors:
        report = health_report(db.session, months=query.months.data or 12, segment_by=query.segment.data or None)
        charts = presenter.report_charts(report)
    return render_template("health/report.html", query=query, owner_form=owner_form, report=report,
                           charts=charts, segments=SEGMENTS, all_label=ALL_MEMBERS, fmt=presenter), status


@bp.get("/admin/health")
@ecosystem_admin_required
def report():
    query = HealthQueryForm(request.args)
    if not query.validate():
        return _render(query, _owner_form(), 400)
    return _render(query, _owner_form())


@bp.get("/admin/health.csv")
@ecosystem_admin_required
def export_csv():
    try:
        months = parse_months(request.args.get("months"))
        segment_by = parse_segment(request.args.get("segment"))
    except DomainError as error:
        abort(400, description=error.message)
    data = health_report(db.session, months=months, segment_by=segment_by)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(data))
    name = f"ecosystem-health-{segment_by or 'all'}-{data.months[-1].strftime('%Y-%m')}-{months}m.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/admin/health/owner")
@ecosystem_admin_required
def set_owner():
    form = _owner_form(request.form)
    if form.validate():
        company_id = int(form.company.data) if form.company.data else None
        done, _ = commit_form_action(form, set_owner_company, company_id)
        if done:
            flash("The ecosystem owner is saved; the report now counts its members as owner staff."
                  if company_id else "No owner company: only ecosystem admins count as owner staff.", "success")
            return redirect(url_for("health.report"))
    return _render(HealthQueryForm(formdata=None), form, 400)
