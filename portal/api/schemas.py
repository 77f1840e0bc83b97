"""The API's request and response shapes as pydantic models.

They are the single source of truth: request bodies and query strings are validated with them
(unknown fields rejected, no type coercion from JSON), responses are built through them, and the
OpenAPI document's schemas are their JSON Schema (pydantic emits draft 2020-12, the dialect of
OpenAPI 3.1).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from portal.api.cursors import INT_MAX

# The patterns say what the services accept, so that a request the schema allows is not refused
# further in (printable ASCII addresses with a host and a valid port; no control characters).
_PORT = r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
HttpUrl = Annotated[str, StringConstraints(
    max_length=500, pattern=r"^https?://[A-Za-z0-9.-]+" + _PORT + r"([/?#][\x21-\x5b\x5d-\x7e]*)?$")]
Verb = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_.-]*$")]
Title = Annotated[str, StringConstraints(
    min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$")]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]
Note = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")]


def _utc(value: datetime) -> datetime:
    """Stored times are UTC; some come back without their offset (SQLite, the search index).
    RFC 3339 date-times need one."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]
QueryText = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
TagText = Annotated[str, StringConstraints(max_length=64, pattern=r"^[^\x00]*$")]


def _in_utc(value: datetime) -> datetime:
    """A time the database can compare with: converted to UTC (0001-01-01T00:00+01:00 would fall
    before year 1, which Python cannot represent: a bad value, not a crash)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


Since = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class Body(BaseModel):
    """A request body: strict JSON types and no fields we do not know."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query-string parameters: values arrive as text, so numbers are parsed (not strict); unknown
    parameters are refused so a typo does not silently change nothing."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------------------------

class FieldError(Out):
    field: str = Field(description="Where the problem is: a dotted path into the body, or a parameter name.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


# --- shared pieces --------------------------------------------------------------------------------

class PageQuery(Query):
    cursor: QueryText | None = Field(None, description="The next_cursor of the previous page.")
    limit: int = Field(20, ge=1, le=100)


class CompanyRef(Out):
    id: int
    slug: str
    name: str
    url: str


class PersonRef(Out):
    id: int
    slug: str
    name: str
    url: str


class Link(Out):
    label: str
    url: str


# --- people and companies -------------------------------------------------------------------------

class PersonOut(Out):
    """A profile as the caller may see it: a field the person hides from the caller is null and
    named in hidden_fields (the web page leaves it out the same way)."""

    id: int
    slug: str
    name: str
    url: str
    company: CompanyRef | None
    company_role: Literal["admin", "member"] | None
    region: str
    headline: str | None
    bio: str | None = Field(description="Markdown source")
    location: str | None
    job_title: str | None
    email: str | None
    skills: list[str] | None
    interests: list[str] | None
    offers: list[str] | None
    needs: list[str] | None
    links: list[Link] | None
    hidden_fields: list[str]
    updated_at: Timestamp


class CompanyOut(Out):
    id: int
    slug: str
    name: str
    url: str
    description: str = Field(description="Markdown source")
    website: str
    industry: str
    region: str
    size: str
    partner_type: str
    verified: bool
    offers: list[str]
    needs: list[str]
    members: list[PersonRef]
    updated_at: Timestamp


# --- forums ---------------------------------------------------------------------------------------

class CategoryRef(Out):
    id: int
    name: str
    visibility: Literal["public", "members", "group"]


class ThreadOut(Out):
    id: int
    title: str
    url: str
    category: CategoryRef
    author: PersonRef | None
    tags: list[str]
    post_count: int
    pinned: bool
    locked: bool
    accepted_post_id: int | None
    created_at: Timestamp
    last_post_at: Timestamp


class PostOut(Out):
    """A post; a deleted or hidden one keeps its place and number without its text."""

    id: int
    number: int
    url: str
    author: PersonRef | None
    body: str | None = Field(description="Markdown source; null when deleted or hidden")
    body_html: str | None = Field(description="Sanitised HTML rendering; null when deleted or hidden")
    reply_to_id: int | None
    deleted: bool
    hidden: bool
    created_at: Timestamp
    edited_at: Timestamp | None


class PostPage(Out):
    items: list[PostOut]
    next_cursor: str | None


class ThreadListParams(PageQuery):
    category: int | None = Field(None, ge=1, le=INT_MAX,
                                 description="Only threads of this category (the ids GET /categories lists)")
    tag: TagText | None = Field(None, description="Only threads with this tag")
    active_since: Since | None = Field(
        None, description="Only threads with a post at or after this time (RFC 3339 date-time with an offset)")


class ThreadList(Out):
    """Threads the caller may read, latest post first."""

    items: list[ThreadOut]
    next_cursor: str | None


class CategoryOut(Out):
    id: int
    slug: str
    name: str
    description: str = Field(description="Plain text")
    visibility: Literal["public", "members", "group"] = Field(
        description="group: a private group's category, listed only for its members")
    url: str


class CategoryList(Out):
    """The forum categories the caller may read, in the forum's order."""

    items: list[CategoryOut]


# --- search and recommendations -------------------------------------------------------------------

class SearchParams(Query):
    q: QueryText = Field("", description="Words, \"phrases\", or, -word")
    type: Literal["thread", "post", "person", "company"] | None = None
    tag: TagText | None = None
    cursor: QueryText | None = Field(None, description="The next_cursor of the previous page (it keeps its page size)")
    limit: int = Field(10, ge=1, le=50, description="Hits per page")


class SearchHit(Out):
    kind: Literal["thread", "post", "person", "company"]
    title: str
    url: str
    snippet_html: str = Field(description="Escaped text with the matched words in <mark> elements")
    context: str
    created_at: Timestamp


class SearchResults(Out):
    items: list[SearchHit]
    total: int
    exact: bool = Field(description="false: total is an estimate")
    suggestion: str | None = Field(description="A corrected query (\"did you mean\")")
    next_cursor: str | None


class RecommendationParams(Query):
    limit: int = Field(10, ge=1, le=50)


class Recommendation(Out):
    person: PersonRef
    score: float
    reasons: list[str]


class RecommendationList(Out):
    items: list[Recommendation]


# --- who is calling -------------------------------------------------------------------------------

class Caller(Out):
    kind: Literal["person", "system"]
    client_id: str
    scopes: list[str]
    company: CompanyRef | None
    person: PersonRef | None


# --- writes ---------------------------------------------------------------------------------------

class ActivityIn(Body):
    """Something that happened in the member's own system, for the company's feed."""

    title: Title
    url: HttpUrl
    summary: Text = ""
    verb: Verb = Field("system.update", description="What kind of event, e.g. pricelist.published")


class ActivityOut(Out):
    """The activity as it now shows in the company's feed."""

    id: int
    verb: str
    title: str
    summary: str
    url: str
    company: CompanyRef
    created_at: Timestamp


class ActivityList(Out):
    """A page of the company feed, newest first."""

    items: list[ActivityOut]
    next_cursor: str | None


class DocumentVersionIn(Body):
    """A new version that lives at an address (to upload a file, send multipart/form-data)."""

    link: HttpUrl
    note: Note = ""


class DocumentVersionUpload(Body):
    """multipart/form-data: the file and an optional note."""

    file: bytes = Field(json_schema_extra={"format": "binary", "contentMediaType": "application/octet-stream"})
    note: Note = ""


class DocumentVersionOut(Out):
    """The version just published."""

    id: int
    document_id: int
    number: int
    url: str = Field(description="The document's page on the portal")
    file_url: str | None = Field(description="Where the uploaded file is downloaded (members who may see it)")
    link: str | None
    file_name: str | None
    content_type: str | None
    size: int | None
    note: str
    created_at: Timestamp
