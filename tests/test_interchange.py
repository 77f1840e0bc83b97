"""Interchange import/export: validation messages, all-or-nothing, idempotency, round trip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.companies.models import Company
from portal.companies.services import company_by_external_id, company_domains, company_tags, create_company
from portal.db import db
from portal.interchange import export_records, import_records, registry, validate_file
from portal.interchange.htmlmd import html_to_markdown
from portal.migrate import upgrade
from portal.profiles.models import Person
from portal.profiles.services import are_connected, create_person, person_by_external_id, person_tags

FIXTURES = Path(__file__).parent / "fixtures" / "interchange"


def write(tmp_path: Path, *records, name: str = "data.jsonl") -> Path:
    """A JSONL file from dicts (dumped) and strings (written as they are)."""
    path = tmp_path / name
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(runner, *args):
    return runner.invoke(args=list(args))


def counts_of(session):
    return (session.scalar(select(func.count(Company.id))), session.scalar(select(func.count(Person.id))))


# --- Validation ---------------------------------------------------------------------------------

BAD_FILE = [
    '{"kind":"company","id":"c1","name":"Northwind"}',
    '{bad json',
    '[1, 2]',
    '{"kind":"company","name":"No id"}',
    '{"kind":"company","id":"c2","name":"X","offers":"ERP"}',
    '{"kind":"person","id":"p1","name":"Dana","company":"c9"}',
    '{"kind":"widget","id":"w1"}',
    '{"kind":"thread","id":"t1","category":"general","author":"p1","title":"Hi","body":"x"}',
    '{"kind":"person","id":"p2","name":"Bo","created_at":"yesterday"}',
    '{"kind":"company","id":"c1","name":"Again"}',
    json.dumps({"kind": "company", "id": "c3", "name": "x" * 121}),
    '{"kind":"person","id":"p3","name":"Al"}',
    '{"kind":"connection","a":"p3","b":"p3"}',
    '{"kind":"connection","a":"p3","b":"nobody"}',
    '{"kind":"company","id":"c4","name":"Y","partner_type":"galactic"}',
    '{"kind":"person","id":"p5","name":""}',
    '{"kind":"person","id":"p6","name":"Cy","skills":["ok", 3]}',
    '{"kind":"person","id":7,"name":"Numeric id"}',
    '{"name":"No kind"}',
    '{"kind":"person","id":"p8","name":"Ed","bio_format":"latex"}',
]


def test_every_bad_record_is_reported_with_file_and_line(tmp_path):
    path = write(tmp_path, *BAD_FILE)
    records, errors, warnings = validate_file(path)
    f = str(path)
    assert [str(e) for e in errors] == [
        f"{f}:2: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{f}:3: a record must be a JSON object, not an array",
        f"{f}:4: missing required field 'id'",
        f"{f}:5: field 'offers' must be a list of strings",
        f"{f}:6: unknown company 'c9' (not defined on an earlier line nor in the portal)",
        f"{f}:7: unknown record kind 'widget' (known kinds: company, person, connection, category, thread, post)",
        f"{f}:8: unknown category 'general' (not defined on an earlier line nor in the portal)",
        f"{f}:9: field 'created_at' is not an ISO 8601 date-time: 'yesterday'",
        f"{f}:10: duplicate company id 'c1' (first defined on line 1)",
        f"{f}:11: field 'name' is too long (121 characters, at most 120)",
        f"{f}:13: a person cannot be connected to themselves ('p3')",
        f"{f}:14: unknown person 'nobody' (not defined on an earlier line nor in the portal)",
        f"{f}:15: unknown partner_type 'galactic' (one of: ISV, Systems integrator, Reseller, Distributor, "
        "Consultancy, Other)",
        f"{f}:16: field 'name' must be a non-empty string",
        f"{f}:17: field 'skills' must be a list of strings",
        f"{f}:18: field 'id' must be a non-empty string",
        f"{f}:19: missing required field 'kind'",
        f"{f}:20: field 'bio_format' must be one of: markdown, html",
    ]
    assert warnings == []
    assert [r.id for r in records] == ["c1", "p3"]


def test_more_field_checks(tmp_path):
    path = write(
        tmp_path,
        {"kind": "company", "id": "c1", "name": "A", "website": "ftp://files.example", "industry": "Spaceflight",
         "email_domains": ["not a domain"]},
        {"kind": "person", "id": "p1", "name": "B", "email": "not-an-email"},
        {"kind": "person", "id": "p2", "name": "C", "email": "c@x.example"},
        {"kind": "person", "id": "p3", "name": "D", "email": "C@X.example"},
        {"kind": "person", "id": "p4", "name": "E", "offers": ["x" * 65]},
        {"kind": "person", "id": "x" * 129, "name": "F"},
        {"kind": "connection", "a": "p2", "b": "p3"},
        {"kind": "connection", "a": "p3", "b": "p2"},
    )
    _, errors, _ = validate_file(path)
    messages = [e.message for e in errors]
    assert messages[0] == "unknown industry 'Spaceflight' (one of: Software, Logistics, Manufacturing, Retail, " \
        "Financial services, Healthcare, Energy, Public sector, Telecommunications, Professional services, " \
        "Education, Media, Other)"
    assert messages[1] == "field 'website': The website must start with http:// or https://."
    assert messages[2].startswith("field 'email_domains': ") and "not a valid email domain" in messages[2]
    assert messages[3].startswith("field 'email' is not a valid email address")
    assert messages[4] == "email 'c@x.example' is already used by person 'p2' (line 3)"
    assert messages[5].startswith("field 'offers': tag 'xxxxxxxxxxxxxxxxxxxx…' is too long")
    assert messages[6] == "field 'id' is too long (129 characters, at most 128)"
    assert messages[7] == "duplicate connection between 'p3' and 'p2' (first on line 7)"
    assert len(errors) == 8


def test_partner_types_accept_keys_and_labels(tmp_path):
    path = write(tmp_path, *[{"kind": "company", "id": f"c{i}", "name": f"C{i}", "partner_type": value}
                             for i, value in enumerate(["ISV", "systems integrator", "Systems_Integrator",
                                                        "reseller", "Other"])])
    records, errors, _ = validate_file(path)
    assert errors == []
    assert [r.data["partner_type"] for r in records] == ["isv", "systems_integrator", "systems_integrator",
                                                       "reseller", "other"]


def test_unknown_fields_are_warnings_not_errors(runner, session, tmp_path):
    path = write(tmp_path, {"kind": "company", "id": "c1", "name": "Northwind", "colour": "blue"})
    result = run(runner, "import", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path}:1: warning: unknown field 'colour' ignored" in result.stderr
    assert company_by_external_id(session, "c1").name == "Northwind"


def test_bom_and_blank_lines_are_tolerated_and_lines_still_count(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"kind":"company","id":"c1","name":"A"}\r\n\n   \n{"kind":"person"}\n')
    records, errors, _ = validate_file(path)
    assert [r.id for r in records] == ["c1"]
    assert [str(e) for e in errors] == [f"{path}:4: missing required field 'id'",
                                        f"{path}:4: missing required field 'name'"]


def test_references_to_records_already_in_the_database(session, tmp_path):
    create_company(session, "Existing Co", external_id="dbco")
    create_person(session, "Someone", email="taken@x.example", external_id="dbp")
    session.flush()
    path = write(tmp_path,
                 {"kind": "person", "id": "p1", "name": "New", "company": "dbco"},
                 {"kind": "connection", "a": "p1", "b": "dbp"},
                 {"kind": "person", "id": "p2", "name": "Thief", "email": "TAKEN@x.example"},
                 {"kind": "person", "id": "dbp", "name": "Someone", "email": "taken@x.example"})
    _, errors, _ = validate_file(path, session=session)
    assert [str(e) for e in errors] == [
        f"{path}:3: email 'taken@x.example' already belongs to another person in the portal"]


# --- Importing ----------------------------------------------------------------------------------

def test_spec_example_imports_and_second_run_changes_nothing(runner, session):
    path = FIXTURES / "spec_example.jsonl"
    first = run(runner, "import", str(path))
    assert first.exit_code == 0, first.output
    assert "company: 1 created, 0 updated, 0 unchanged" in first.stdout
    assert "person: 1 created, 0 updated, 0 unchanged" in first.stdout
    dana = person_by_external_id(session, "p1")
    assert dana.email == "dana@northwind.example"
    assert dana.company_id == company_by_external_id(session, "c1").id
    tags = person_tags(session, [dana.id])[dana.id]
    assert [t.name for t in tags["skill"]] == ["EDI"] and [t.name for t in tags["need"]] == ["SAP consulting"]

    second = run(runner, "import", str(path))
    assert second.exit_code == 0, second.output
    assert "company: 0 created, 0 updated, 1 unchanged" in second.stdout
    assert "person: 0 created, 0 updated, 1 unchanged" in second.stdout
    assert counts_of(session) == (1, 1)


def test_reimport_updates_by_external_id(session, tmp_path):
    records, errors, _ = validate_file(FIXTURES / "rich.jsonl", session=session)
    assert errors == []
    import_records(session, records)
    changed = write(tmp_path,
                    {"kind": "company", "id": "c1", "name": "Northwind Logistics BV", "partner_type": "reseller",
                     "offers": ["EDI integration"], "email_domains": ["northwind.example"]},
                    {"kind": "person", "id": "p3", "name": "Ngozi Okafor", "company": "c1", "skills": ["Go"]})
    records, errors, _ = validate_file(changed, session=session)
    assert errors == []
    counts = import_records(session, records)
    assert counts["company"] == {"updated": 1}
    assert counts["person"] == {"updated": 1}
    company = company_by_external_id(session, "c1")
    assert (company.name, company.partner_type, company.description) == ("Northwind Logistics BV", "reseller", "")
    assert [t.name for t in company_tags(session, [company.id])[company.id]["offer"]] == ["EDI integration"]
    assert company_domains(session, company.id) == ["northwind.example"]
    ngozi = person_by_external_id(session, "p3")
    assert ngozi.company_id == company.id
    assert counts_of(session) == (2, 3)


def test_a_bad_last_record_stores_nothing(runner, session, tmp_path):
    good = [line for line in (FIXTURES / "rich.jsonl").read_text().splitlines()]
    path = write(tmp_path, *good, '{"kind":"person","id":"late","name":"Late","company":"nowhere"}')
    result = run(runner, "import", str(path))
    assert result.exit_code != 0
    assert f"{path}:{len(good) + 1}: unknown company 'nowhere'" in result.stderr
    assert "nothing was imported" in result.output
    assert counts_of(session) == (0, 0)


def test_a_failure_while_applying_rolls_everything_back(runner, session, monkeypatch):
    def explode(*_args):
        raise RuntimeError("disk on fire")

    handler = registry.handler_for("connection")
    monkeypatch.setitem(registry._handlers, "connection", dataclasses.replace(handler, apply=explode))
    result = run(runner, "import", str(FIXTURES / "rich.jsonl"))
    assert result.exit_code != 0
    assert "import failed, nothing was stored: disk on fire" in result.output
    assert counts_of(session) == (0, 0)


def test_html_bio_is_converted_and_scripts_never_stored(session):
    records, errors, _ = validate_file(FIXTURES / "rich.jsonl", session=session)
    assert errors == []
    import_records(session, records)
    dana = person_by_external_id(session, "p1")
    assert dana.bio == "Hello **partners**, see [our EDI page](https://northwind.example/edi)."
    assert "<" not in dana.bio and "alert" not in dana.bio
    assert dana.created_at.isoformat() == "2024-03-01T08:30:00+00:00"
    lukasz = person_by_external_id(session, "p2")
    assert lukasz.created_at.isoformat() == "2024-05-02T08:00:00.250000+00:00"
    assert are_connected(session, dana.id, lukasz.id)


@pytest.mark.parametrize("html, markdown", [
    ("<img src=x onerror=alert(1)><p>Hi</p>", "Hi"),
    ("<p>a</p><p>b<br>c</p>", "a\n\nb  \nc"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
    ("<p>*not* [markup]</p>", "\\*not\\* \\[markup\\]"),
    ('<a href="javascript:alert(1)">click</a>', "click"),
    ("<style>p{}</style><em>x</em>", "*x*"),
])
def test_html_to_markdown(html, markdown):
    assert html_to_markdown(html) == markdown


# --- CLI errors ---------------------------------------------------------------------------------

def test_missing_file(runner, tmp_path):
    result = run(runner, "import", str(tmp_path / "nope.jsonl"))
    assert result.exit_code != 0
    assert f"{tmp_path / 'nope.jsonl'}: no such file" in result.output


def test_file_that_is_not_utf8(runner, session, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"kind":"company","id":"c1","name":"A"}\n{"kind":"company","id":"c2","name":"Caf\xe9"}\n')
    result = run(runner, "import", str(path))
    assert result.exit_code != 0
    assert f"{path}:2: the file is not UTF-8 text (byte 0xe9 cannot be decoded)" in result.output
    assert counts_of(session) == (0, 0)


def test_directory_instead_of_file(runner, tmp_path):
    result = run(runner, "import", str(tmp_path))
    assert result.exit_code != 0
    assert "is a directory" in result.output


# --- Export and round trip ----------------------------------------------------------------------

@pytest.fixture
def fresh_app(tmp_path):
    """A second portal on its own, freshly migrated SQLite database."""
    url = f"sqlite:///{tmp_path / 'second.db'}"
    upgrade(url)
    second = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
                         "SECRET_KEY": "second", "RATELIMIT_STORAGE_URI": "memory://"})
    yield second
    with second.app_context():
        db.engine.dispose()


def test_export_shape(session):
    records, _, _ = validate_file(FIXTURES / "rich.jsonl", session=session)
    import_records(session, records)
    exported = list(export_records(session))
    assert [(r["kind"], r.get("id")) for r in exported] == [
        ("company", "c1"), ("company", "c2"), ("person", "p1"), ("person", "p2"), ("person", "p3"),
        ("connection", None), ("connection", None)]
    assert exported[0]["email_domains"] == ["northwind.example", "nw.example"]
    assert exported[0]["partner_type"] == "systems_integrator" and exported[0]["industry"] == "Logistics"
    assert exported[3]["created_at"] == "2024-05-02T08:00:00.250000Z"
    assert "bio_format" not in exported[2] and "description" not in exported[1]
    assert exported[5] == {"kind": "connection", "a": "p1", "b": "p2", "created_at": "2025-01-27T20:09:32Z"}


# Forum records that use every field: a members-only category, pinned and locked threads,
# Markdown and HTML bodies, a quote-reply and an accepted answer.
FORUM_RECORDS = [
    {"kind": "category", "id": "general", "name": "General", "description": "Anything partners talk about."},
    {"kind": "category", "id": "partners", "name": "Partners only", "visibility": "members"},
    {"kind": "thread", "id": "t1", "category": "general", "author": "p1", "title": "Wer kennt S/4HANA-Migrationen?",
     "body": "We are *looking* for help.\n\n```\nSELECT 1;\n```", "tags": ["SAP", "Migration"],
     "created_at": "2025-02-01T09:00:00Z", "pinned": True},
    {"kind": "thread", "id": "t2", "category": "partners", "author": "p2", "title": "Tier changes",
     "body": "<p>See <a href=\"https://partners.example/tiers\">the tiers</a>.</p>", "body_format": "html",
     "created_at": "2025-02-02T10:00:00.500000Z", "locked": True},
    {"kind": "post", "id": "r1", "thread": "t1", "author": "p2", "body": "<p>We did <b>three</b>.</p>",
     "body_format": "html", "created_at": "2025-02-01T10:00:00Z"},
    {"kind": "post", "id": "r2", "thread": "t1", "author": "p3", "body": "Same here, ask me.", "reply_to": "r1",
     "created_at": "2025-02-01T11:00:00Z", "accepted": True},
    {"kind": "post", "id": "r3", "thread": "t2", "author": "p1", "body": "Noted.",
     "created_at": "2025-02-03T08:00:00Z"},
]


def test_round_trip_into_an_empty_database_is_byte_identical(runner, session, fresh_app, tmp_path):
    rich = (FIXTURES / "rich.jsonl").read_text(encoding="utf-8").splitlines()
    source = write(tmp_path, *rich, *FORUM_RECORDS, name="rich-forum.jsonl")
    assert run(runner, "import", str(source)).exit_code == 0
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    result = run(runner, "export", str(first))
    assert result.exit_code == 0, result.output
    assert "Exported 2 company, 3 person, 2 connection, 2 category, 2 thread, 3 post." in result.stderr
    exported = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    by_id = {(r["kind"], r.get("id")): r for r in exported}
    assert by_id[("thread", "t1")]["pinned"] and by_id[("thread", "t1")]["tags"] == ["SAP", "Migration"]
    assert by_id[("thread", "t2")]["body"] == "See [the tiers](https://partners.example/tiers)."
    assert by_id[("thread", "t2")]["locked"] and "body_format" not in by_id[("thread", "t2")]
    assert by_id[("post", "r2")]["reply_to"] == "r1" and by_id[("post", "r2")]["accepted"]
    assert by_id[("category", "partners")]["visibility"] == "members"

    other = fresh_app.test_cli_runner()
    imported = other.invoke(args=["import", str(first)])
    assert imported.exit_code == 0, imported.output
    assert "person: 3 created" in imported.stdout
    assert other.invoke(args=["export", str(second)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert "Łukasz Nowak" in first.read_text(encoding="utf-8")

    again = other.invoke(args=["import", str(first)])
    assert "person: 0 created, 0 updated, 3 unchanged" in again.stdout
    assert "connection: 0 created, 0 updated, 2 unchanged" in again.stdout
    assert "post: 0 created, 0 updated, 3 unchanged" in again.stdout


def test_export_to_stdout(runner, session):
    run(runner, "import", str(FIXTURES / "spec_example.jsonl"))
    result = run(runner, "export", "-")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert json.loads(lines[0])["name"] == "Northwind Logistics"
    assert len(lines) == 2


def test_import_from_standard_input(runner, session):
    data = (FIXTURES / "spec_example.jsonl").read_text(encoding="utf-8")
    result = runner.invoke(args=["import", "-"], input=data)
    assert result.exit_code == 0, result.output
    assert person_by_external_id(session, "p1").name == "Dana Reyes"


def test_update_functions_validate_and_report_changes(session):
    from portal.companies.services import update_company_fields
    from portal.errors import DomainError
    from portal.profiles.services import update_person_fields

    company = create_company(session, "Acme", external_id="acme")
    assert update_company_fields(session, company, name="Acme", size="") == []
    assert update_company_fields(session, company, name="Acme GmbH", partner_type="isv") == ["name", "partner_type"]
    with pytest.raises(DomainError):
        update_company_fields(session, company, partner_type="pirate")
    with pytest.raises(DomainError):
        update_company_fields(session, company, website="https://" + "x" * 300)
    create_person(session, "Taken", email="taken@x.example")
    person = create_person(session, "Zoë", email="zoe@x.example")
    assert update_person_fields(session, person, name="Zoë", headline="Hi") == ["headline"]
    with pytest.raises(DomainError):
        update_person_fields(session, person, email="TAKEN@x.example")
    with pytest.raises(DomainError):
        update_person_fields(session, person, headline="x" * 161)
    with pytest.raises(DomainError):
        update_person_fields(session, person, visibility={"bio": "everyone"})
    assert update_person_fields(session, person, visibility={"bio": "public"}) == ["visibility"]
    assert person.visibility["bio"] == "public" and person.visibility["email"] == "connections"
