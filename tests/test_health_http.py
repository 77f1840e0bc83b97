"""The ecosystem health pages: access, charts, segments, CSV, the owner setting and bad input."""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.admin.owner import owner_company_id
from portal.health.services import health_report
from tests.test_companies_support import login, make_user
from tests.test_health_support import small_ecosystem


@pytest.mark.parametrize("url", ["/admin/health", "/admin/health.csv"])
def test_health_is_for_ecosystem_admins_only(client, session, url):
    member, _ = make_user(session)
    session.commit()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, member)
    assert client.get(url).status_code == 403
    assert client.post("/admin/health/owner", data={"company": ""}).status_code == 403


def test_health_page_shows_score_charts_and_segments(client, session):
    eco = small_ecosystem(session, owner_name="<script>alert('owner')</script> Hub")
    login(client, eco["admin_user"])
    admin_page = client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/health"' in admin_page
    response = client.get("/admin/health?segment=region&months=3")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert page.count("<svg") == 5 and 'role="img"' in page
    score = health_report(session, months=3).overall.mesh_score
    assert score == pytest.approx(62.5) and f'Mesh score: <span class="mesh-score">{score:.0f}</span>' in page
    assert "Through &lt;script&gt;" in page  # the owner's name inside the chart legend, as text
    assert "Data table: Who talks to whom, month by month" in page
    assert "67%" in page  # this month's peer-to-peer share in the data table
    assert "By region" in page and "North America: month by month" in page
    assert 'href="/admin/health.csv?segment=region&amp;months=3"' in page


def test_csv_export(client, session):
    eco = small_ecosystem(session)
    login(client, eco["admin_user"])
    response = client.get("/admin/health.csv?segment=partner_type&months=2")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and re.search(r'filename="ecosystem-health-partner_type-'
                                                               r'\d{4}-\d{2}-2m\.csv"', disposition)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2 * 4 and {r["segment"] for r in rows} == {"Reseller", "ISV", "Other", "No company"}
    this_month = eco["now"].strftime("%Y-%m")
    reseller = next(r for r in rows if r["month"] == this_month and r["segment"] == "Reseller")
    assert int(reseller["interactions"]) == 2 and float(reseller["peer_share"]) == 0.5
    for row in rows:  # every value is a number or empty (undefined)
        for key, value in row.items():
            if key not in ("month", "segment_by", "segment") and value:
                float(value)
    whole = list(csv.DictReader(io.StringIO(client.get("/admin/health.csv").get_data(as_text=True))))
    assert len(whole) == 12 and {r["segment"] for r in whole} == {"All members"}


@pytest.mark.parametrize(("query", "message"), [
    ("segment=company", "Not a valid choice"), ("months=0", "between 1 and 36"),
    ("months=abc", "Not a valid integer"), ("months=99999999999999999999", "between 1 and 36")])
def test_bad_parameters_on_the_page_are_form_errors(client, session, query, message):
    admin, _ = make_user(session, role="ecosystem_admin")
    session.commit()
    login(client, admin)
    response = client.get(f"/admin/health?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ("segment=company", "Unknown segment"), ("months=37", "between 1 and 36"), ("months=-1", "between 1 and 36"),
    ("months=1.5", "whole number")])
def test_bad_parameters_on_the_csv_are_400(client, session, query, message):
    admin, _ = make_user(session, role="ecosystem_admin")
    session.commit()
    login(client, admin)
    response = client.get(f"/admin/health.csv?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_admin_chooses_the_owner_company(client, session):
    eco = small_ecosystem(session)
    login(client, eco["admin_user"])
    response = client.post("/admin/health/owner", data={"company": str(eco["gamma"].id)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/health")
    session.expire_all()
    assert owner_company_id(session) == eco["gamma"].id
    page = client.get("/admin/health").get_data(as_text=True)
    assert "Owner company: <strong>Gamma Freight</strong>" in page
    bad = client.post("/admin/health/owner", data={"company": "999999"})
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    client.post("/admin/health/owner", data={"company": ""})
    session.expire_all()
    assert owner_company_id(session) is None
