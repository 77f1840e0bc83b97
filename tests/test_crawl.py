"""Walk the site as three kinds of visitor and throw bad input at every form found.

A user would notice any 500, any page that shows a script payload as live markup, and any
form that chokes on long or odd text; this finds them without knowing each page by name.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from portal.auth.services import create_user
from portal.companies.services import create_company, set_company_tags
from portal.forums import services as forums
from portal.profiles.services import create_person, set_company_membership, set_person_tags

PAYLOAD = '<script>alert("pm")</script><img src=x onerror=alert(1)>'
ODD = "Zoë Ñandú 東京 \u202etxt.exe \u0000 🙂"
SKIP_PREFIXES = ("/logout", "/static/", "/dev/outbox")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "fields": {}, "enctype": attrs.get("enctype") or ""}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select"):
            name = attrs.get("name")
            if not name:
                return
            kind = attrs.get("type", "text" if tag == "input" else tag)
            self._form["fields"][name] = (kind, attrs.get("value", ""))
            if tag == "select":
                self._select = name
        elif tag == "option" and self._form is not None and self._select:
            kind, value = self._form["fields"][self._select]
            if not value:
                self._form["fields"][self._select] = ("select", attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _local(href: str, base: str) -> str | None:
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if path.startswith(SKIP_PREFIXES) else path


@pytest.fixture
def small_ecosystem(session):
    acme = create_company(session, "Acme Integrations", industry="Software", region="Western Europe",
                          partner_type="systems_integrator", description="We *integrate*.")
    set_company_tags(session, acme, "offer", ["EDI integration", "SAP consulting"])
    admin_user = create_user(session, "admin@acme.example", "correct-horse-battery", verified=True,
                             role="ecosystem_admin")
    admin = create_person(session, "Ada Admin", email=admin_user.email, user_id=admin_user.id,
                          headline="Runs the ecosystem")
    set_company_membership(session, admin, acme.id, role="admin")
    member_user = create_user(session, "mia@acme.example", "correct-horse-battery", verified=True)
    mia = create_person(session, "Mia Member", email=member_user.email, user_id=member_user.id)
    set_company_membership(session, mia, acme.id)
    set_person_tags(session, mia, "skill", ["Python", "EDI"])
    general = forums.create_category(session, "General", description="Say hello")
    forums.create_category(session, "Partners only", visibility="members")
    group = forums.create_group(session, "Acme insiders", admin.id)
    thread = forums.create_thread(session, general, mia.id, "EDI <b>partners</b>?", "Who does **EDI**?", tags="EDI")
    forums.reply(session, thread, admin.id, f"Ask @{mia.slug}")
    forums.create_thread(session, forums.group_category(session, group), admin.id, "Insider plans", "Secret")
    session.commit()
    return {"admin": admin_user.email, "member": member_user.email}


def _login(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": "correct-horse-battery"})
    assert response.status_code in (302, 303), response.data[:500]


def _crawl(client, limit: int = 120) -> dict[str, _PageParser]:
    seen: dict[str, _PageParser] = {}
    queue = ["/"]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code < 500, f"GET {path} -> {response.status_code}"
        parser = _PageParser()
        if response.mimetype == "text/html":
            parser.feed(response.get_data(as_text=True))
        seen[path] = parser
        for href in parser.links:
            target = _local(href, "http://localhost" + path)
            if target and target not in seen and target not in queue:
                queue.append(target)
    return seen


def _bad_values(kind: str, default: str) -> list[str]:
    if kind in ("hidden", "submit", "checkbox", "radio", "file", "select"):
        return [default]
    return [PAYLOAD, "x" * 20000, ODD, ""]


@pytest.mark.parametrize("visitor", ["anonymous", "member", "admin"])
def test_every_page_and_form_survives_bad_input(client, small_ecosystem, visitor):
    if visitor != "anonymous":
        _login(client, small_ecosystem[visitor])
    pages = _crawl(client)
    forms = [form for parser in pages.values() for form in parser.forms]
    print(f"{visitor}: {len(pages)} pages, {len(forms)} forms")
    assert len(pages) > 5 and forms
    for path, parser in pages.items():
        for form in parser.forms:
            action = _local(form["action"], "http://localhost" + path) if form["action"] else path
            if not action:
                continue
            for round_ in range(4):
                data = {}
                for name, (kind, default) in form["fields"].items():
                    values = _bad_values(kind, default)
                    data[name] = values[round_ % len(values)]
                if form["method"] == "post":
                    response = client.post(action, data=data)
                else:
                    response = client.get(action, query_string=data)
                assert response.status_code < 500, f"{form['method'].upper()} {action} {data!r:.200} -> 500"
                body = response.get_data(as_text=True)
                assert '<script>alert("pm")' not in body, f"payload rendered live by {action}"
                assert "onerror=alert(1)>" not in body.replace("&lt;", "<") or "<img src=x onerror" not in body
        # Bad input might have logged us out or changed roles: start each page fresh.
        if visitor != "anonymous" and client.get("/profile/edit").status_code in (302, 303):
            _login(client, small_ecosystem[visitor])
