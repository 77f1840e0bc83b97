"""Schemathesis drives /api/v1 from its own OpenAPI document, in-process (WSGI): generated valid
and invalid requests for every operation must never get a 5xx, and every answer must match the
document (status codes, media types, response schemas, problem documents).

Bounded and deterministic: a fixed number of examples per operation with a fixed seed, so it
runs in well under a minute and fails the same way twice.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from portal.documents.services import create_document
from tests.test_api_support import bearer, company_with_admin, forum, person_token, system_client
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture

# What the schema cannot say: a cursor must be one we gave out, an upload must be of an allowed
# type. Valid-looking data may meet those refusals (400/422) without being a bug.
EXAMPLES = 12  # per operation
CONFIG = schemathesis.Config.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "422"]}},
})


def _real_parameters(path: str, data: dict) -> dict | None:
    """Path parameters naming things that exist, so generated requests also reach the 2xx paths."""
    if "{document_id}" in path:
        return {"document_id": data["document"].id}
    if "{thread_id}" in path:
        return {"thread_id": data["thread"].id}
    if path.startswith("/people/"):
        return {"slug": data["person"].slug}
    if path.startswith("/companies/"):
        return {"slug": data["company"].slug}
    return None


def test_api_answers_every_generated_request_as_documented(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATELIMIT", "100000 per minute")
    monkeypatch.setitem(app.config, "API_WRITE_RATELIMIT", "100000 per minute")
    user, person, company = company_with_admin(session)
    client, _secret = system_client(session, company.id, grant_types=("authorization_code", "client_credentials"))
    document = create_document(session, company.id, title="Reseller price list", actor_person=person)
    data = {**forum(session, person), "person": person, "company": company, "document": document}
    # A company admin's token with every scope: the write operations can succeed too.
    headers = bearer(person_token(session, user, client, scope="api.read feeds.write documents.write"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
        real = _real_parameters(operation.path, data)
        if real:
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))

        @given(case=st.one_of(strategies))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case):
            case.call_and_validate(headers=headers)

        exercise()
