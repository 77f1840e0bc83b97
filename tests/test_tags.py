"""Tags: normalization, merging, suggestions, tag pages, admin merge, CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.companies.services import company_tags, set_company_tags
from portal.profiles.models import PersonTag
from portal.profiles.services import person_tags, set_person_tags
from portal.tags.models import Tag, TagAlias
from portal.tags.services import (
    find_tag,
    get_or_create_tags,
    merge_tags,
    normalize_tag_key,
    parse_tag_list,
    suggest_tags,
    tag_usage,
)
from tests.test_companies_support import login, make_company, make_user


@pytest.mark.parametrize("raw, key", [
    ("SAP  Consulting", "sap consulting"), ("sap consulting!", "sap consulting"), ("SAP-consulting", "sap consulting"),
    ("C++", "c++"), ("C#", "c#"), (".NET", "net"), ("Node.js", "node.js"), ("S/4HANA", "s/4hana"),
    ("ＦＵＬＬＷＩＤＴＨ", "fullwidth"), ("Straße", "strasse"), ("<script>", "script"), ("   ", ""),
])
def test_normalize_tag_key(raw, key):
    assert normalize_tag_key(raw) == key


def test_parse_tag_list_drops_duplicates_and_refuses_long_tags():
    from portal.errors import DomainError

    assert parse_tag_list("Python, python , ,PYTHON!, Go") == ["Python", "Go"]
    with pytest.raises(DomainError):
        parse_tag_list("x" * 65)
    with pytest.raises(DomainError):
        parse_tag_list(",".join(f"t{i}" for i in range(31)))


def test_merge_moves_uses_collapses_duplicates_and_leaves_an_alias(session):
    _, alice = make_user(session, name="Alice")
    _, bob = make_user(session, name="Bob")
    company = make_company(session, alice, "Acme")
    set_person_tags(session, alice, "skill", "Postgres, PostgreSQL")  # both: collapses to one
    set_person_tags(session, bob, "offer", "Postgres")
    set_company_tags(session, company, "offer", "Postgres")
    source, target = find_tag(session, "Postgres"), find_tag(session, "PostgreSQL")
    source_id = source.id
    merge_tags(session, source, target)
    session.flush()
    assert session.get(Tag, source_id) is None
    assert session.get(TagAlias, "postgres").tag_id == target.id
    tags = person_tags(session, [alice.id, bob.id])
    assert [t.key for t in tags[alice.id]["skill"]] == ["postgresql"]
    assert [t.key for t in tags[bob.id]["offer"]] == ["postgresql"]
    assert [t.key for t in company_tags(session, [company.id])[company.id]["offer"]] == ["postgresql"]
    assert tag_usage(session, [target.id]) == {target.id: 3}
    # New uses of the old spelling land on the merged tag.
    assert get_or_create_tags(session, ["postgres"])[0].id == target.id
    assert session.scalar(select(PersonTag).where(PersonTag.tag_id == source_id)) is None


def test_merge_into_itself_is_refused(session):
    from portal.errors import DomainError

    tag = get_or_create_tags(session, ["Rust"])[0]
    with pytest.raises(DomainError):
        merge_tags(session, tag, tag)


def test_suggest_prefers_prefix_matches(session):
    get_or_create_tags(session, ["Data migration", "Big data", "Databases", "Go"])
    assert [t.key for t in suggest_tags(session, "data")] == ["databases", "data migration", "big data"]
    assert suggest_tags(session, "%") == [] or all("%" in t.key for t in suggest_tags(session, "%"))


def test_suggest_endpoint_json(client, session):
    _, alice = make_user(session)
    set_person_tags(session, alice, "skill", "Kotlin")
    session.commit()
    response = client.get("/tags/suggest?q=kot")
    assert response.status_code == 200
    assert response.json == [{"name": "Kotlin", "key": "kotlin", "count": 1}]
    assert client.get("/tags/suggest?q=").json == []
    too_long = client.get("/tags/suggest?q=" + "x" * 65)
    assert too_long.status_code == 400 and "error" in too_long.json


def test_tag_page_hides_people_whose_tag_kind_is_hidden(client, session):
    viewer_user, _ = make_user(session, name="Viewer")
    _, open_person = make_user(session, name="Olga Open")
    _, hidden_person = make_user(session, name="Hank Hidden")
    _, connected = make_user(session, name="Carl Connected")
    set_person_tags(session, open_person, "offer", "Welding")
    set_person_tags(session, hidden_person, "need", "Welding")  # needs: members only by default
    set_person_tags(session, connected, "skill", "Welding")
    connected.visibility = {**connected.visibility, "skills": "connections"}
    company = make_company(session, open_person, "Weld Co", offers="Welding")
    session.commit()
    html = client.get("/tags/welding").get_data(as_text=True)
    assert "Olga Open" in html and "Weld Co" in html
    assert "Hank Hidden" not in html and "Carl Connected" not in html
    login(client, viewer_user)
    html = client.get("/tags/welding").get_data(as_text=True)
    assert "Hank Hidden" in html and "Carl Connected" not in html
    assert f'href="/companies/{company.slug}"' in html
    assert client.get("/tags/no-such-tag").status_code == 404
    assert client.get("/tags/WELDING").status_code == 301


def test_tag_index_counts_filter_and_empty_state(client, session):
    _, alice = make_user(session)
    _, bob = make_user(session)
    set_person_tags(session, alice, "skill", "Rust, Ruby")
    set_person_tags(session, bob, "skill", "Rust")
    session.commit()
    html = client.get("/tags").get_data(as_text=True)
    assert html.index("Rust") < html.index("Ruby") and "(2)" in html
    filtered = client.get("/tags?q=rub").get_data(as_text=True)
    assert "Ruby" in filtered and "Rust" not in filtered
    assert "No tags start with" in client.get("/tags?q=zzz").get_data(as_text=True)
    assert client.get("/tags?page=abc").status_code == 200


def test_admin_merges_on_the_tag_page_members_get_403(client, session):
    admin, _ = make_user(session, role="ecosystem_admin")
    member, alice = make_user(session)
    set_person_tags(session, alice, "offer", "K8s, Kubernetes")
    session.commit()
    login(client, member)
    assert "Merge this tag" not in client.get("/tags/k8s").get_data(as_text=True)
    assert client.post("/tags/k8s/merge", data={"target": "Kubernetes"}).status_code == 403
    login(client, None)
    assert client.post("/tags/k8s/merge", data={"target": "Kubernetes"}).status_code == 302
    login(client, admin)
    assert "Merge this tag" in client.get("/tags/k8s").get_data(as_text=True)
    response = client.post("/tags/k8s/merge", data={"target": "nothing-like-it"}, follow_redirects=True)
    assert "There is no tag" in response.get_data(as_text=True)
    response = client.post("/tags/k8s/merge", data={"target": "Kubernetes"}, follow_redirects=True)
    assert "is merged into" in response.get_data(as_text=True)
    assert client.get("/tags/k8s").status_code == 301


def test_cli_merge_and_list(runner, session):
    _, alice = make_user(session)
    set_person_tags(session, alice, "skill", "JS, JavaScript")
    session.commit()
    result = runner.invoke(args=["tags", "list"])
    assert result.exit_code == 0 and "javascript" in result.output
    result = runner.invoke(args=["tags", "merge", "JS", "nope"])
    assert result.exit_code != 0 and "No tag" in result.output
    result = runner.invoke(args=["tags", "merge", "JS", "js"])
    assert result.exit_code != 0 and "itself" in result.output
    result = runner.invoke(args=["tags", "merge", "JS", "JavaScript"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert find_tag(session, "js").key == "javascript"
