"""Record kinds: each is a handler (fields, checks, how to apply, how to export).

Every kind of ../shared/spec/interchange.md is here: companies, people, connections, and the
forum's categories, threads and posts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from portal.interchange.fields import Field

if TYPE_CHECKING:
    from portal.interchange.core import ApplyState, Record, ValidationContext

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

# Kinds the format defines that this version cannot store yet (none left; kept so that a future
# kind can be announced before it is supported).
FUTURE_KINDS: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindHandler:
    """How one record kind is validated, applied and exported.

    check(data, ctx) yields reasons a cleaned record is wrong (references, uniqueness) and may
    normalize `data`; apply(session, record, state) returns CREATED, UPDATED or UNCHANGED;
    export(session) yields records in file order; exists(session, id) tells whether the
    database already holds a record of this kind with that external id.
    """

    kind: str
    fields: dict[str, Field]
    check: Callable[[dict[str, Any], ValidationContext], Iterable[str]]
    apply: Callable[[Session, Record, ApplyState], str]
    export: Callable[[Session], Iterator[dict[str, Any]]]
    exists: Callable[[Session, str], bool] | None = None
    has_id: bool = True
    order: int = 100
    field_order: tuple[str, ...] = field(default=())


_handlers: dict[str, KindHandler] = {}


def register_kind(handler: KindHandler) -> None:
    _handlers[handler.kind] = handler


def handler_for(kind: str) -> KindHandler | None:
    _load_builtin()
    return _handlers.get(kind)


def handlers() -> list[KindHandler]:
    """Every registered kind, in export order (what others refer to comes first)."""
    _load_builtin()
    return sorted(_handlers.values(), key=lambda h: h.order)


def _load_builtin() -> None:
    if _handlers:
        return
    from portal.interchange import companies, connections, forums, people

    for handler in (companies.HANDLER, people.HANDLER, connections.HANDLER, forums.CATEGORY_HANDLER,
                    forums.THREAD_HANDLER, forums.POST_HANDLER):
        register_kind(handler)
